//! The MLIR context with exactly the dialects and passes the compiler uses:
//! builtin, func, arith, math, scf and irdl upstream, plus our `nn`, `xbar`
//! and `msg` dialects loaded from their IRDL definitions at run time.

use crate::diagnostic::{Diagnostic, Diagnostics, Error, Location, Severity};
use crate::ir::{location_from_raw, Module};
use melior::dialect::{DialectHandle, DialectRegistry};
use std::{cell::RefCell, rc::Rc, sync::Once};

/// The IRDL definitions of our dialects, in load order.
const DIALECT_SOURCES: [(&str, &str); 3] = [
    ("nn.irdl.mlir", include_str!("../irdl/nn.irdl.mlir")),
    ("xbar.irdl.mlir", include_str!("../irdl/xbar.irdl.mlir")),
    ("msg.irdl.mlir", include_str!("../irdl/msg.irdl.mlir")),
];

/// All dialect definitions as one module, the form `mlir-opt --irdl-file` reads.
pub fn irdl_definitions() -> String {
    let mut text = String::new();
    for (_, source) in DIALECT_SOURCES {
        text.push_str(source);
        text.push('\n');
    }
    text
}

/// An MLIR context that knows our dialects and collects diagnostics instead
/// of printing them.
pub struct Context {
    mlir: melior::Context,
    /// The parsed IRDL modules stay alive as long as the dialects they define.
    irdl_modules: Vec<mlir_sys::MlirModule>,
    diagnostics: Rc<RefCell<Vec<Diagnostic>>>,
}

impl Context {
    pub fn new() -> Result<Self, Error> {
        register_upstream_passes();
        let registry = DialectRegistry::new();
        for handle in [DialectHandle::func(), DialectHandle::arith(), DialectHandle::scf()] {
            handle.insert_dialect(&registry);
        }
        // SAFETY: plain C getters for static dialect handles.
        unsafe {
            for handle in [mlir_sys::mlirGetDialectHandle__math__(), mlir_sys::mlirGetDialectHandle__irdl__()] {
                mlir_sys::mlirDialectHandleInsertDialect(handle, registry.to_raw());
            }
        }
        let mlir = melior::Context::new_with_registry(&registry, false);
        mlir.load_all_available_dialects();

        let diagnostics = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&diagnostics);
        mlir.attach_diagnostic_handler(move |diagnostic| {
            sink.borrow_mut().push(convert_diagnostic(&diagnostic));
            true
        });

        let mut context = Context { mlir, irdl_modules: Vec::new(), diagnostics };
        for (name, source) in DIALECT_SOURCES {
            context.load_irdl(name, source)?;
        }
        Ok(context)
    }

    fn load_irdl(&mut self, name: &str, source: &str) -> Result<(), Error> {
        let module = self.parse(source, name).map_err(|e| Error::Internal(e.to_string()))?;
        let raw = module.into_raw();
        // SAFETY: `raw` is a valid module owned by this context until `drop`.
        let loaded = unsafe { mlir_sys::mlirLoadIRDLDialects(raw).value == 1 };
        self.irdl_modules.push(raw);
        if loaded {
            Ok(())
        } else {
            Err(Error::Internal(format!("{name} does not define a loadable dialect: {}", self.take_diagnostics(name))))
        }
    }

    /// Parses MLIR text; `source_name` names it in diagnostics (a path, or
    /// `<stdin>`). The result is verified against the dialect definitions and
    /// the Rust verifiers of our ops.
    pub fn parse(&self, source: &str, source_name: &str) -> Result<Module<'_>, Error> {
        // MLIR takes the text as a C string, which ends at a NUL.
        if let Some(offset) = source.find('\0') {
            let before = &source[..offset];
            let line = before.matches('\n').count() + 1;
            let column = offset - before.rfind('\n').map_or(0, |newline| newline + 1) + 1;
            let location = Location::File { file: source_name.to_string(), line, column };
            let message = "a NUL byte, which MLIR text cannot contain";
            return Err(Error::Parse(Diagnostics(vec![Diagnostic::error(location, message)])));
        }
        self.take_diagnostics(source_name);
        match melior::ir::Module::parse(&self.mlir, source) {
            Some(module) => {
                let module = Module::new(self, module, source_name);
                module.verify()?;
                Ok(module)
            }
            None => {
                let mut diagnostics = self.take_diagnostics(source_name);
                if diagnostics.0.is_empty() {
                    diagnostics.0.push(silent_parse_failure(source, source_name));
                }
                Err(Error::Parse(diagnostics))
            }
        }
    }

    pub(crate) fn mlir(&self) -> &melior::Context {
        &self.mlir
    }

    /// Drains the diagnostics collected so far; the buffer MLIR parsed has no
    /// name, so its positions are attributed to `source_name`.
    pub(crate) fn take_diagnostics(&self, source_name: &str) -> Diagnostics {
        let mut taken: Vec<Diagnostic> = self.diagnostics.borrow_mut().drain(..).collect();
        for diagnostic in &mut taken {
            crate::ir::name_source(diagnostic, source_name);
        }
        Diagnostics(taken)
    }
}

/// Why MLIR rejected `source` without a diagnostic: it does so for an op of
/// an IRDL dialect in custom form (`nn.relu(...)`), which has no parser;
/// located at the first such op, if there is one.
fn silent_parse_failure(source: &str, source_name: &str) -> Diagnostic {
    let custom_form = source.lines().enumerate().find_map(|(index, code)| {
        let indent = code.len() - code.trim_start().len();
        let op_start = if code.trim_start().starts_with('%') { code.find(" = ")? + 3 } else { indent };
        let op = code[op_start..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')).next()?;
        ["nn.", "xbar.", "msg."].iter().any(|dialect| op.starts_with(dialect)).then(|| (index + 1, op_start + 1, op))
    });
    match custom_form {
        Some((line, column, op)) => Diagnostic::error(
            Location::File { file: source_name.to_string(), line, column },
            format!("'{op}' must be written in the generic form, \"{op}\"(...): the nn, xbar and msg dialects have no other"),
        ),
        None => Diagnostic::error(
            Location::File { file: source_name.to_string(), line: 0, column: 0 },
            "the text is not valid MLIR, and MLIR gave no reason",
        ),
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        for module in self.irdl_modules.drain(..) {
            // SAFETY: each module was created by this context and is destroyed once.
            unsafe { mlir_sys::mlirModuleDestroy(module) };
        }
    }
}

fn register_upstream_passes() {
    static ONCE: Once = Once::new();
    // SAFETY: registration functions take no arguments; running them twice is
    // what must be avoided, hence the Once.
    ONCE.call_once(|| unsafe {
        mlir_sys::mlirRegisterTransformsCanonicalizer();
        mlir_sys::mlirRegisterTransformsCSE();
    });
}

/// Names of the upstream passes a pipeline may use.
pub const UPSTREAM_PASSES: [(&str, &str); 2] = [
    ("canonicalize", "Canonicalize operations (upstream MLIR; our ops are opaque to it)"),
    ("cse", "Eliminate common sub-expressions (upstream MLIR)"),
];

fn convert_diagnostic(diagnostic: &melior::diagnostic::Diagnostic) -> Diagnostic {
    use melior::diagnostic::DiagnosticSeverity as S;
    let severity = match diagnostic.severity() {
        S::Error => Severity::Error,
        S::Warning => Severity::Warning,
        S::Note => Severity::Note,
        S::Remark => Severity::Remark,
    };
    let mut message = diagnostic.to_string();
    let mut notes = Vec::new();
    for note in (0..diagnostic.note_count()).filter_map(|i| diagnostic.note(i).ok()) {
        let note = convert_diagnostic(&note);
        // This note dumps the whole op in generic form, which users need not
        // read; but IRDL's messages ("op expects exactly 1 operands") do not
        // name the op, so take its name from there.
        match note.message.strip_prefix("see current operation: ") {
            Some(dump) => message = name_the_op(&message, dump),
            None => notes.push(note),
        }
    }
    Diagnostic { severity, location: location_from_raw(diagnostic.location().to_raw()), message, notes }
}

/// Prefixes `'dialect.op' op ` to a message that does not name its op, taking
/// the name from the op's generic form (`%0 = "nn.relu"(...)`).
fn name_the_op(message: &str, dump: &str) -> String {
    let name = dump.split('"').nth(1).filter(|n| n.contains('.') && !n.contains(' '));
    match name {
        Some(name) if !message.contains(&format!("'{name}'")) => {
            format!("'{name}' op {}", message.strip_prefix("op ").unwrap_or(message))
        }
        _ => message.to_string(),
    }
}
