//! Textual pass pipelines, as `mlir-opt` takes them:
//! `builtin.module(nn-fold-batchnorm,canonicalize,cse)`.
//!
//! MLIR's C API cannot register a Rust pass by name, so the pipeline is
//! parsed here: our pass names run the Rust passes of `rram-passes`, the
//! upstream names (`canonicalize`, `cse`) run through MLIR's pass manager.
//! Options follow the pass in braces, `name{key=value key2=value2}`.

use crate::arch::{self, Architecture};
use rram_dialects::{Error, Module, UPSTREAM_PASSES};
use rram_isa::check_fit;
use rram_passes::{ChipField, Pass, PassInfo, PassOptions};

/// One pass of a pipeline.
pub enum Step {
    /// One of our passes, with its options applied.
    Ours { name: String, pass: Box<dyn Pass> },
    /// One of our passes with options that stand for quantities of the
    /// chip ([`PassInfo::chip`]), that reads the chip's costs, or that
    /// writes programs, which must fit the chip: created when it runs, its chip options given the values
    /// of the one chip the pipeline compiles for ([`Pipeline::run`]).
    OnChip { info: &'static PassInfo, options: PassOptions },
    /// An upstream pass, in pipeline syntax (options included).
    Upstream { text: String },
}

impl Step {
    /// Creates the pass `name` with the option text found between braces.
    pub fn new(name: &str, options: Option<&str>) -> Result<Self, Error> {
        if let Some(info) = rram_passes::lookup(name) {
            let options = PassOptions::parse(options.unwrap_or(""))?;
            // Unknown options and malformed values are errors before anything runs.
            let pass = info.create(&options, &Architecture::default())?;
            if !info.chip.is_empty() || info.writes_programs || info.reads_chip {
                return Ok(Step::OnChip { info, options });
            }
            return Ok(Step::Ours { name: name.to_string(), pass });
        }
        if UPSTREAM_PASSES.iter().any(|(n, _)| *n == name) {
            let text = match options {
                Some(options) => format!("{name}{{{options}}}"),
                None => name.to_string(),
            };
            return Ok(Step::Upstream { text });
        }
        let known = rram_passes::registry().iter().map(|p| p.name).chain(UPSTREAM_PASSES.iter().map(|(n, _)| *n));
        Err(Error::Pipeline(format!(
            "unknown pass '{name}'{}; rram-opt --list-passes lists them",
            rram_passes::did_you_mean(name, known)
        )))
    }

    pub fn name(&self) -> &str {
        match self {
            Step::Ours { name, .. } => name,
            Step::OnChip { info, .. } => info.name,
            Step::Upstream { text } => text.split('{').next().unwrap_or(text),
        }
    }
}

/// How a pipeline runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Verify the module after every pass (MLIR's verifier and ours).
    pub verify_each: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { verify_each: true }
    }
}

/// What a pipeline run has to tell the user besides errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    /// Pass options that override the chip the module carries.
    pub warnings: Vec<String>,
    /// What passes report on the module they ran on (explanations).
    pub remarks: Vec<String>,
}

/// A sequence of passes run one after another on a module.
#[derive(Default)]
pub struct Pipeline {
    pub steps: Vec<Step>,
}

impl Pipeline {
    /// Parses `builtin.module(p1,p2{k=v},...)`; the `builtin.module(...)`
    /// anchor may be left out.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let body = match text.strip_prefix("builtin.module(") {
            Some(rest) => rest
                .strip_suffix(')')
                .ok_or_else(|| Error::Pipeline(format!("pipeline '{text}' is missing its closing ')'")))?,
            None if text.contains('(') => {
                return Err(Error::Pipeline(format!(
                    "pipeline '{text}' must be anchored on builtin.module, e.g. 'builtin.module(cse)'"
                )))
            }
            None => text,
        };
        let mut steps = Vec::new();
        for element in split_top_level(body)? {
            let element = element.trim();
            if element.is_empty() {
                if body.trim().is_empty() {
                    continue;
                }
                return Err(Error::Pipeline(format!("empty pass name in pipeline '{text}'")));
            }
            let (name, options) = match element.split_once('{') {
                Some((name, rest)) => {
                    let options = rest.strip_suffix('}').ok_or_else(|| {
                        Error::Pipeline(format!("options of pass '{name}' must end with '}}': '{element}'"))
                    })?;
                    (name.trim(), Some(options))
                }
                None => (element, None),
            };
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
                return Err(Error::Pipeline(format!("invalid pass name '{name}' in pipeline '{text}'")));
            }
            steps.push(Step::new(name, options)?);
        }
        Ok(Pipeline { steps })
    }

    /// Runs every pass in order; `after_pass` sees the module after each one
    /// (for `--print-ir-after-all`). When a pass needs a chip, the module is
    /// first given the one chip the pipeline compiles for (`chip`). Stops
    /// at the first error; returns the warnings (pass options that override
    /// the chip) and the passes' remarks ([`rram_passes::Pass::remarks`]).
    pub fn run(
        &self,
        module: &mut Module,
        options: RunOptions,
        mut after_pass: impl FnMut(&str, &Module),
    ) -> Result<Messages, Error> {
        let mut messages = Messages::default();
        let chip = self.chip(module, &mut messages.warnings)?;
        if let Some(chip) = &chip {
            arch::attach_to(chip, module)?;
        }
        for step in &self.steps {
            match (step, &chip) {
                (Step::Ours { pass, .. }, _) => {
                    pass.run(module)?;
                    messages.remarks.extend(pass.remarks(module));
                }
                (Step::OnChip { info, options }, Some(chip)) => {
                    let mut resolved = options.clone();
                    for &(option, field) in info.chip {
                        resolved.0.insert(option.to_string(), chip_value(chip, field).to_string());
                    }
                    let pass = info.create(&resolved, chip)?;
                    pass.run(module)?;
                    messages.remarks.extend(pass.remarks(module));
                    if info.writes_programs {
                        let program = crate::lower_msg::program(module)?;
                        check_fit(&program, chip).map_err(|e| Error::Pipeline(format!("{}: {e}", info.name)))?;
                    }
                }
                (Step::OnChip { info, .. }, None) => {
                    return Err(Error::Internal(format!("pass '{}' runs without a chip", info.name)))
                }
                (Step::Upstream { text }, _) => module.run_upstream_pass(text)?,
            }
            if options.verify_each {
                module.verify()?;
            }
            after_pass(step.name(), module);
        }
        Ok(messages)
    }

    /// The one chip the whole pipeline compiles for, if a pass needs one:
    /// the module's (the default chip when it carries none) with the chip
    /// options its passes are given ([`PassInfo::chip`]) applied in order,
    /// before any pass runs, so that `rram-tile` already sees the cores an
    /// `rram-place{cores=N}` after it asks for. Each change is a warning and
    /// must leave a valid chip; two passes that set one quantity to
    /// different values are an error.
    fn chip(&self, module: &Module, warnings: &mut Vec<String>) -> Result<Option<Architecture>, Error> {
        let on_chip: Vec<(&PassInfo, &PassOptions)> = self
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::OnChip { info, options } => Some((*info, options)),
                _ => None,
            })
            .collect();
        if on_chip.is_empty() {
            return Ok(None);
        }
        let mut chip = arch::of_module(module).map_err(|e| Error::Pipeline(e.to_string()))?.unwrap_or_default();
        let mut set: Vec<(ChipField, &str, &str, i64)> = Vec::new();
        for (info, options) in on_chip {
            for &(option, field) in info.chip {
                if !options.0.contains_key(option) {
                    continue;
                }
                let value = options.positive(info.name, option, 0)?;
                if let Some(&(_, pass, earlier_option, earlier)) = set.iter().find(|(f, ..)| *f == field) {
                    if earlier != value {
                        return Err(Error::Pipeline(format!(
                            "option {option}={value} of pass '{}' contradicts {earlier_option}={earlier} of pass \
                             '{pass}': both are the chip's {}",
                            info.name,
                            field_name(field)
                        )));
                    }
                    continue;
                }
                let on_chip = chip_value(&chip, field);
                if value != on_chip {
                    warnings.push(format!(
                        "{}: option {option}={value} overrides {} = {on_chip} of chip '{}'",
                        info.name,
                        field_name(field),
                        chip.name
                    ));
                    set_chip_value(&mut chip, field, value)
                        .and_then(|()| chip.validate(&format!("chip '{}'", chip.name)).map_err(|e| e.to_string()))
                        .map_err(|e| Error::Pipeline(format!("option '{option}' of pass '{}': {e}", info.name)))?;
                    chip.name = format!("{}+{option}={value}", chip.name);
                }
                set.push((field, info.name, option, value));
            }
        }
        Ok(Some(chip))
    }
}

/// The name of a chip quantity in the architecture file.
fn field_name(field: ChipField) -> &'static str {
    match field {
        ChipField::CrossbarRows => "crossbar.rows",
        ChipField::CrossbarCols => "crossbar.cols",
        ChipField::SlicesPerWeight => "the cells per weight (crossbar.weight_bits / crossbar.cell_bits)",
        ChipField::Cores => "core.count",
        ChipField::CrossbarsPerCore => "core.crossbars",
    }
}

fn chip_value(chip: &Architecture, field: ChipField) -> i64 {
    i64::from(match field {
        ChipField::CrossbarRows => chip.crossbar.rows,
        ChipField::CrossbarCols => chip.crossbar.cols,
        ChipField::SlicesPerWeight => chip.slices_per_weight(),
        ChipField::Cores => chip.core.count,
        ChipField::CrossbarsPerCore => chip.core.crossbars,
    })
}

fn set_chip_value(chip: &mut Architecture, field: ChipField, value: i64) -> Result<(), String> {
    let value = u32::try_from(value).map_err(|_| format!("{value} is too large"))?;
    match field {
        ChipField::CrossbarRows => chip.crossbar.rows = value,
        ChipField::CrossbarCols => chip.crossbar.cols = value,
        ChipField::SlicesPerWeight => {
            // The cells that split the chip's weights into `value` slices.
            let bits = chip.crossbar.weight_bits;
            chip.crossbar.cell_bits = bits.div_ceil(value);
            if chip.slices_per_weight() != value {
                return Err(format!("{bits}-bit weights cannot be cut into {value} slices of equal cells"));
            }
        }
        ChipField::Cores => chip.core.count = value,
        ChipField::CrossbarsPerCore => chip.core.crossbars = value,
    }
    Ok(())
}

/// Splits at commas outside braces.
fn split_top_level(text: &str) -> Result<Vec<&str>, Error> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| Error::Pipeline(format!("unbalanced '}}' in pipeline '{text}'")))?
            }
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(Error::Pipeline(format!("unbalanced '{{' in pipeline '{text}'")));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        Pipeline::parse(text).unwrap().steps.iter().map(|s| s.name().to_string()).collect()
    }

    #[test]
    fn parses_anchored_and_bare_pipelines() {
        assert_eq!(
            names("builtin.module(nn-fold-batchnorm,canonicalize,cse)"),
            ["nn-fold-batchnorm", "canonicalize", "cse"]
        );
        assert_eq!(names(" nn-verify-shapes , cse "), ["nn-verify-shapes", "cse"]);
        assert!(names("builtin.module()").is_empty());
    }

    #[test]
    fn our_pass_options_may_be_separated_by_commas() {
        assert_eq!(
            names("builtin.module(rram-tile{rows=32,cols=32 slices=4},rram-place{cores=64})"),
            ["rram-tile", "rram-place"]
        );
        let message = Pipeline::parse("rram-tile{rows=32,cols=0}").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(message, "option 'cols' of pass 'rram-tile' must be a positive integer, got '0'");
    }

    #[test]
    fn upstream_options_are_passed_through() {
        let pipeline =
            Pipeline::parse("builtin.module(canonicalize{max-iterations=3 region-simplify=disabled})").unwrap();
        assert!(
            matches!(&pipeline.steps[0], Step::Upstream { text } if text == "canonicalize{max-iterations=3 region-simplify=disabled}")
        );
    }

    #[test]
    fn rejects_malformed_pipelines_with_a_reason() {
        let cases = [
            ("builtin.module(nope)", "unknown pass 'nope'; rram-opt --list-passes lists them"),
            (
                "builtin.module(nn-fold-batchnrom)",
                "unknown pass 'nn-fold-batchnrom' (did you mean 'nn-fold-batchnorm'?)",
            ),
            ("builtin.module(canonicalise)", "(did you mean 'canonicalize'?)"),
            ("builtin.module(rram-tile{row=32})", "has no option 'row' (did you mean 'rows'?)"),
            ("builtin.module(cse", "missing its closing ')'"),
            ("func.func(cse)", "must be anchored on builtin.module"),
            ("builtin.module(cse,,canonicalize)", "empty pass name"),
            ("builtin.module(nn-verify-shapes{x=1})", "has no option 'x'"),
            ("builtin.module(nn-verify-shapes{x})", "not of the form key=value"),
            ("builtin.module(cse{a=1)", "unbalanced '{'"),
            ("builtin.module(c$e)", "invalid pass name"),
        ];
        for (text, expected) in cases {
            let message = Pipeline::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(expected), "{text}: got '{message}', expected '{expected}'");
        }
    }
}
