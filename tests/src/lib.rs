//! The lit-style test harness: every `lit/**/*.mlir` file starts with
//!
//! ```text
//! // RUN: rram-opt %s --nn-fold-batchnorm
//! ```
//!
//! The harness runs that command in-process and compares what it printed
//! with an insta snapshot. `%s` is the file itself; for `rram-opt` it is
//! appended when absent. `// RUN: rram-translate <flags>` runs the importer
//! `// RUN: rram-sim <flags>` the simulator and `// RUN: rramc <flags>` the driver (paths are relative to this crate,
//! e.g. `../models/lenet5.struct.onnx`). A file that must fail declares the errors it expects:
//!
//! ```text
//! // EXPECT-ERROR: pads.mlir:5:8: error: 'nn.conv2d' op attribute 'pads' must be non-negative
//! ```
//!
//! Then the run must exit with 1 and stderr must contain every expected
//! text; otherwise it must exit with 0. What the run printed on stderr (the
//! errors, or `--print-ir-after-all` dumps) is part of the snapshot.

use std::path::Path;

/// The tools a RUN line can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Opt,
    Translate,
    Sim,
    Rramc,
}

/// What a test file asks for.
#[derive(Debug)]
pub struct LitTest {
    pub tool: Tool,
    /// The arguments after the tool's name, with `%s` substituted.
    pub args: Vec<String>,
    pub expected_errors: Vec<String>,
}

/// What one run printed.
#[derive(Debug)]
pub struct LitOutcome {
    pub exit_code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl LitTest {
    /// Reads the header of the test at `path` (relative to this crate).
    pub fn parse(path: &Path, text: &str) -> Result<Self, String> {
        let first = text.lines().next().unwrap_or("");
        let (tool, command) = if let Some(command) = first.strip_prefix("// RUN: rram-opt") {
            (Tool::Opt, command)
        } else if let Some(command) = first.strip_prefix("// RUN: rram-translate") {
            (Tool::Translate, command)
        } else if let Some(command) = first.strip_prefix("// RUN: rram-sim") {
            (Tool::Sim, command)
        } else if let Some(command) = first.strip_prefix("// RUN: rramc") {
            (Tool::Rramc, command)
        } else {
            return Err(format!(
                "{}: first line must be '// RUN: rram-opt|rram-translate|rram-sim|rramc <flags>'",
                path.display()
            ));
        };
        let file = path.to_string_lossy().into_owned();
        let mut args = split_command(command)?;
        if args.iter().any(|a| a.contains("%s")) {
            args = args.into_iter().map(|a| a.replace("%s", &file)).collect();
        } else if tool == Tool::Opt {
            args.push(file);
        }
        let expected_errors = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("// EXPECT-ERROR:"))
            .map(|e| e.trim().to_string())
            .collect();
        Ok(LitTest { tool, args, expected_errors })
    }

    /// Runs the tool in-process.
    pub fn run(&self) -> LitOutcome {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let exit_code = match self.tool {
            Tool::Opt => {
                let args = std::iter::once("rram-opt".to_string()).chain(self.args.iter().cloned());
                rram_tools::opt::run(args, &mut std::io::empty(), &mut stdout, &mut stderr)
            }
            Tool::Translate => {
                let args = std::iter::once("rram-translate".to_string()).chain(self.args.iter().cloned());
                rram_tools::translate::run(args, &mut stdout, &mut stderr)
            }
            Tool::Sim => {
                let args = std::iter::once("rram-sim".to_string()).chain(self.args.iter().cloned());
                rram_tools::sim::run(args, &mut stdout, &mut stderr)
            }
            Tool::Rramc => {
                let args = std::iter::once("rramc".to_string()).chain(self.args.iter().cloned());
                rram_tools::rramc::run(args, &mut stdout, &mut stderr)
            }
        };
        LitOutcome {
            exit_code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Checks the exit code and expected errors; returns the snapshot text.
    pub fn check(&self, outcome: &LitOutcome) -> Result<String, String> {
        let expected_exit = if self.expected_errors.is_empty() { 0 } else { 1 };
        if outcome.exit_code != expected_exit {
            return Err(format!("expected exit {expected_exit}, got exit {}:\n{}", outcome.exit_code, outcome.stderr));
        }
        for expected in &self.expected_errors {
            if !outcome.stderr.contains(expected.as_str()) {
                return Err(format!("stderr lacks '{expected}':\n{}", outcome.stderr));
            }
        }
        let mut snapshot = outcome.stdout.clone();
        if !outcome.stderr.is_empty() {
            snapshot.push_str("// stderr:\n");
            snapshot.push_str(&outcome.stderr);
        }
        Ok(snapshot)
    }
}

/// Splits a RUN line into arguments, honouring single and double quotes.
fn split_command(command: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut current: Option<String> = None;
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => args.extend(current.take()),
            (None, c) => current.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("unterminated quote in RUN line: {command}"));
    }
    args.extend(current);
    Ok(args)
}

/// The `lit/**/*.mlir` files, relative to this crate, sorted.
pub fn lit_files() -> Vec<std::path::PathBuf> {
    fn visit(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, files);
            } else if path.extension().is_some_and(|e| e == "mlir") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    visit(Path::new("lit"), &mut files);
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lines_split_like_a_shell() {
        let args = split_command(" %s --pass-pipeline='builtin.module(a, b)' -o \"x y\"").unwrap();
        assert_eq!(args, ["%s", "--pass-pipeline=builtin.module(a, b)", "-o", "x y"]);
        assert!(split_command("'open").is_err());
    }

    #[test]
    fn header_substitutes_the_file_and_collects_errors() {
        let text = "// RUN: rram-opt --cse\n// EXPECT-ERROR: boom\nfunc.func @f() { return }\n";
        let test = LitTest::parse(Path::new("lit/x.mlir"), text).unwrap();
        assert_eq!(test.args, ["--cse", "lit/x.mlir"]);
        assert_eq!(test.expected_errors, ["boom"]);
        assert!(LitTest::parse(Path::new("y.mlir"), "func.func @f() { return }").is_err());
        let translate = LitTest::parse(Path::new("lit/t.mlir"), "// RUN: rram-translate --zoo lenet5\n").unwrap();
        assert_eq!(
            (translate.tool, translate.args),
            (Tool::Translate, vec!["--zoo".to_string(), "lenet5".to_string()])
        );
    }
}
