//! Errors of reading an architecture description: one line each, starting
//! with the file (and line:column where the text is at fault).

use super::presets::preset_names;

/// Why an architecture description could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ArchError {
    #[error("{path}: cannot read: {source}")]
    Read { path: String, source: std::io::Error },
    /// Bad TOML syntax, an unknown key, a value of the wrong type.
    #[error("{}: {message}", at_position(source_name, *position))]
    Parse { source_name: String, position: Option<LineColumn>, message: String },
    /// A well-formed value outside its allowed range.
    #[error("{source_name}: {field} must be {requirement}, got {got}")]
    Invalid { source_name: String, field: String, requirement: String, got: String },
    #[error("unknown architecture preset '{name}' (presets: {})", preset_names().join(", "))]
    UnknownPreset { name: String },
    #[error("architecture '{name}' cannot be written as TOML: {message}")]
    Serialize { name: String, message: String },
}

/// A 1-based position in a text; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

impl LineColumn {
    /// The position of byte `offset` of `text`. Works on bytes so that an
    /// offset inside a multi-byte character or past the end cannot panic.
    pub fn of_offset(text: &str, offset: usize) -> LineColumn {
        let before = &text.as_bytes()[..offset.min(text.len())];
        let line_start = before.iter().rposition(|&byte| byte == b'\n').map_or(0, |newline| newline + 1);
        let is_char_start = |byte: &&u8| (**byte & 0xC0) != 0x80;
        LineColumn {
            line: 1 + before.iter().filter(|&&byte| byte == b'\n').count(),
            column: 1 + before[line_start..].iter().filter(is_char_start).count(),
        }
    }
}

fn at_position(source_name: &str, position: Option<LineColumn>) -> String {
    match position {
        Some(LineColumn { line, column }) => format!("{source_name}:{line}:{column}"),
        None => source_name.to_string(),
    }
}

impl ArchError {
    pub(super) fn from_toml(source_name: &str, text: &str, error: &toml::de::Error) -> ArchError {
        ArchError::Parse {
            source_name: source_name.to_string(),
            position: error.span().map(|span| LineColumn::of_offset(text, span.start)),
            message: plain_expectation(error.message().trim()).replace('\n', "; "),
        }
    }
}

/// Says what serde expected in the file's terms rather than as a Rust type.
fn plain_expectation(message: &str) -> String {
    if let Some(index) = message.find("expected struct ") {
        return format!("{}expected a table", &message[..index]);
    }
    for (rust_type, plain) in [
        ("u32", "an integer between 0 and 4294967295"),
        ("u64", "an integer between 0 and 18446744073709551615"),
        ("f64", "a number"),
    ] {
        if let Some(start) = message.strip_suffix(rust_type).and_then(|rest| rest.strip_suffix("expected ")) {
            return format!("{start}expected {plain}");
        }
    }
    message.to_string()
}
