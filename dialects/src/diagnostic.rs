//! Diagnostics and errors: MLIR's diagnostics turned into plain Rust values
//! that print like `mlir-opt` (`file:line:col: error: message`).

use std::fmt;

/// Where an operation or a diagnostic comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A position in a source file (1-based line and column); line 0 when
    /// only the file is known (an op named in MLIR text, whose position the
    /// parser drops, or an ONNX node, written `"model.onnx":0:0`).
    File {
        file: String,
        line: usize,
        column: usize,
    },
    /// A named location, e.g. the ONNX node an op was imported from, with the
    /// file position it was read at, where known.
    Name {
        name: String,
        at: Option<Box<Location>>,
    },
    Unknown,
}

impl Location {
    /// The file position of this location, looking through names.
    pub fn file_position(&self) -> Option<(&str, usize, usize)> {
        match self {
            Location::File { file, line, column } if *line > 0 => Some((file, *line, *column)),
            Location::Name { at: Some(at), .. } => at.file_position(),
            _ => None,
        }
    }
}

impl Location {
    /// With the position of an op named `loc("name")` in MLIR text, which
    /// the parser drops, found again in `source` (the text of the file
    /// `source_name`): the line of the one `loc("name")` there, at its op's
    /// name (after the results, as MLIR locates an op). Unchanged where the
    /// name is written on no or several lines, or only in a location alias
    /// (`#loc = loc("name")`), which does not say where its ops are.
    pub fn recover_position(&self, source_name: &str, source: &str) -> Location {
        let Location::Name { name, at: Some(at) } = self else { return self.clone() };
        if !matches!(at.as_ref(), Location::File { file, line: 0, .. } if file == source_name) {
            return self.clone();
        }
        let written = format!("loc({})", crate::string_literal(name));
        let mut lines = source.lines().enumerate().filter(|(_, code)| code.contains(&written));
        let (Some((index, code)), None) = (lines.next(), lines.next()) else { return self.clone() };
        let indent = code.len() - code.trim_start().len();
        if code.trim_start().starts_with('#') {
            return self.clone();
        }
        let op_start = match code.trim_start().starts_with('%') {
            true => code.find(" = ").map_or(indent, |equals| equals + 3),
            false => indent,
        };
        let file = Location::File { file: source_name.to_string(), line: index + 1, column: op_start + 1 };
        Location::Name { name: name.clone(), at: Some(Box::new(file)) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { file, line: 0, .. } => write!(f, "{file}"),
            Location::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Location::Name { name, at: Some(at) } => write!(f, "{at}: '{name}'"),
            Location::Name { name, at: None } => write!(f, "'{name}'"),
            Location::Unknown => write!(f, "<unknown>"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Note,
    Remark,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
            Severity::Remark => "remark",
        })
    }
}

/// One message about the IR, with the notes attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    pub notes: Vec<Diagnostic>,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, location, message: message.into(), notes: Vec::new() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.severity, self.message)?;
        for note in &self.notes {
            write!(f, "\n{note}")?;
        }
        Ok(())
    }
}

impl Diagnostic {
    /// The diagnostic followed, like mlir-opt prints it, by the source line
    /// it points at and a caret under the column, for each position that lies
    /// in `source` (the text of the file named `source_name`).
    pub fn render_with_source(&self, source_name: &str, source: &str) -> String {
        let location = self.location.recover_position(source_name, source);
        let mut text = format!("{location}: {}: {}", self.severity, self.message);
        if let Some((file, line, column)) = location.file_position() {
            if let Some(code) = source.lines().nth(line.wrapping_sub(1)).filter(|_| file == source_name) {
                text.push_str(&format!("\n{code}\n{}^", " ".repeat(column.saturating_sub(1))));
            }
        }
        for note in &self.notes {
            text.push('\n');
            text.push_str(&note.render_with_source(source_name, source));
        }
        text
    }
}

/// A non-empty list of diagnostics, printed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong when reading, verifying or transforming IR.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not valid MLIR (syntax, unknown op, operands or attributes
    /// that do not match the dialect definitions).
    #[error("{0}")]
    Parse(Diagnostics),
    /// The IR parsed but breaks an invariant.
    #[error("{0}")]
    Verify(Diagnostics),
    /// A transformation failed on valid IR.
    #[error("{0}")]
    Transform(Diagnostics),
    /// A pass pipeline or pass option that does not exist or does not parse.
    #[error("{0}")]
    Pipeline(String),
    /// The dialect definitions shipped with the compiler did not load: a bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The diagnostics carried by this error, if it has any.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Parse(d) | Error::Verify(d) | Error::Transform(d) => &d.0,
            Error::Pipeline(_) | Error::Internal(_) => &[],
        }
    }
}
