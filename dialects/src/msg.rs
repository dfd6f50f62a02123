//! The `msg` dialect: per-core programs, one op per instruction of the
//! instruction set (docs/isa.md). [`MsgOp`] is the typed view of an op's
//! attributes, shared by the verifier, by `rram-sync`, which writes
//! programs, and by the translation back to the instruction set.
//!
//! Invariants: every op sits in a `func.func` that names its core with a
//! `msg.core` attribute or is a role (`msg.role`: code that several cores
//! run with other arguments, called from their programs), each core has one
//! program, a crossbar is declared (`msg.crossbar`, directly in the body of
//! its program or role, once per index) before an `msg.mvm` can name it,
//! and counts, numbers and classes are within the instruction set's ranges.
//! Addresses, sequence values and the cores that `msg.call` and `msg.put`
//! signal are `index` operands (IRDL checks the type); that they are affine
//! in the loop counters (and constant, for cores) is checked where a
//! program is translated.

use crate::attrs::{f32_attr, i64_attr, string_attr, AttrResult};
use crate::ir::{AttributeValue, Op};

/// The discardable attribute that marks a `func.func` as the program of a core.
pub const CORE_ATTRIBUTE: &str = "msg.core";

/// The discardable (unit) attribute that marks a `func.func` as a role: the
/// code several cores run, each calling it with its own addresses and
/// partner cores as `index` arguments.
pub const ROLE_ATTRIBUTE: &str = "msg.role";

/// The discardable attribute that names an `scf.for`'s counter in the
/// instruction set (`LOOP p, 64`); a loop without it gets a generated name.
pub const LOOP_VAR_ATTRIBUTE: &str = "msg.var";

/// The module attribute naming the layer whose programs the module holds.
pub const LAYER_ATTRIBUTE: &str = "msg.layer";

/// Module attributes that say where a layer's data lives in shared memory,
/// each `array<i64: address, words>`, and what the region holds.
pub const LAYOUT_ATTRIBUTES: [(&str, &str); 3] = [
    ("msg.input", "input windows, pixel after pixel, each in kernel-matrix row order (im2col)"),
    ("msg.output", "output vectors, pixel after pixel, one word per channel"),
    ("msg.bias", "bias, one word per output channel"),
];

/// Traffic classes of loads and stores, as the simulator accounts them.
pub const TRAFFIC_CLASSES: [&str; 4] = ["input", "partial", "output", "sync"];

/// One `msg` op: the instruction it stands for, with its attributes; its
/// operands (addresses and sequence values) are named by
/// [`MsgOp::operand_names`], in operand order.
#[derive(Debug, Clone, PartialEq)]
pub enum MsgOp {
    /// `.xbar crossbar rowsxcols`: a declaration, not an instruction.
    Crossbar {
        crossbar: u32,
        rows: u32,
        cols: u32,
    },
    Load {
        n: u32,
        class: &'static str,
    },
    Store {
        n: u32,
        class: &'static str,
    },
    Mov {
        n: u32,
    },
    Mvm {
        crossbar: u32,
    },
    Add {
        n: u32,
    },
    Bias {
        n: u32,
    },
    Max {
        n: u32,
    },
    Relu {
        n: u32,
    },
    Clip {
        n: u32,
        lo: f32,
        hi: f32,
    },
    Avg {
        n: u32,
        count: u32,
    },
    Requant {
        n: u32,
        shift: u32,
    },
    Put {
        n: u32,
        class: &'static str,
    },
    Call,
    Wait,
    Barrier {
        id: u32,
    },
    Halt,
}

impl MsgOp {
    /// Reads a `msg` op's attributes, checking their ranges; `None` for an
    /// op of another dialect.
    pub fn read(op: &Op) -> AttrResult<Option<MsgOp>> {
        let n = || positive_u32(op, "n");
        Ok(Some(match op.name().as_str() {
            "msg.crossbar" => MsgOp::Crossbar {
                crossbar: u32_attr(op, "crossbar")?,
                rows: positive_u32(op, "rows")?,
                cols: positive_u32(op, "cols")?,
            },
            "msg.load" => MsgOp::Load { n: n()?, class: traffic_class(op)? },
            "msg.store" => MsgOp::Store { n: n()?, class: traffic_class(op)? },
            "msg.mov" => MsgOp::Mov { n: n()? },
            "msg.mvm" => MsgOp::Mvm { crossbar: u32_attr(op, "crossbar")? },
            "msg.add" => MsgOp::Add { n: n()? },
            "msg.bias" => MsgOp::Bias { n: n()? },
            "msg.max" => MsgOp::Max { n: n()? },
            "msg.relu" => MsgOp::Relu { n: n()? },
            "msg.clip" => {
                let (lo, hi) = (f32_attr(op, "lo")?, f32_attr(op, "hi")?);
                // Also refuses NaN, which is not ordered with anything.
                if lo.partial_cmp(&hi).is_none_or(|order| order.is_gt()) {
                    return Err(format!("bounds must satisfy lo <= hi, got lo = {lo}, hi = {hi}"));
                }
                MsgOp::Clip { n: n()?, lo, hi }
            }
            "msg.avg" => MsgOp::Avg { n: n()?, count: positive_u32(op, "count")? },
            "msg.requant" => MsgOp::Requant { n: n()?, shift: u32_attr(op, "shift")? },
            "msg.put" => MsgOp::Put { n: n()?, class: traffic_class(op)? },
            "msg.call" => MsgOp::Call,
            "msg.wait" => MsgOp::Wait,
            "msg.barrier" => MsgOp::Barrier { id: u32_attr(op, "id")? },
            "msg.halt" => MsgOp::Halt,
            name if name.starts_with("msg.") => return Err(format!("unknown msg op '{name}'")),
            _ => return Ok(None),
        }))
    }

    /// The op's name, e.g. `msg.load`.
    pub fn name(&self) -> &'static str {
        match self {
            MsgOp::Crossbar { .. } => "msg.crossbar",
            MsgOp::Load { .. } => "msg.load",
            MsgOp::Store { .. } => "msg.store",
            MsgOp::Mov { .. } => "msg.mov",
            MsgOp::Mvm { .. } => "msg.mvm",
            MsgOp::Add { .. } => "msg.add",
            MsgOp::Bias { .. } => "msg.bias",
            MsgOp::Max { .. } => "msg.max",
            MsgOp::Relu { .. } => "msg.relu",
            MsgOp::Clip { .. } => "msg.clip",
            MsgOp::Avg { .. } => "msg.avg",
            MsgOp::Requant { .. } => "msg.requant",
            MsgOp::Put { .. } => "msg.put",
            MsgOp::Call => "msg.call",
            MsgOp::Wait => "msg.wait",
            MsgOp::Barrier { .. } => "msg.barrier",
            MsgOp::Halt => "msg.halt",
        }
    }

    /// The names of the op's `index` operands, in order (as the IRDL
    /// definition names them).
    pub fn operand_names(&self) -> &'static [&'static str] {
        match self {
            MsgOp::Crossbar { .. } | MsgOp::Barrier { .. } | MsgOp::Halt => &[],
            MsgOp::Load { .. } => &["local", "shared"],
            MsgOp::Store { .. } => &["shared", "local"],
            MsgOp::Mov { .. } | MsgOp::Mvm { .. } => &["dst", "src"],
            MsgOp::Add { .. } | MsgOp::Bias { .. } | MsgOp::Max { .. } => &["dst", "a", "b"],
            MsgOp::Relu { .. } | MsgOp::Clip { .. } | MsgOp::Avg { .. } | MsgOp::Requant { .. } => &["dst", "a"],
            MsgOp::Put { .. } => &["core", "dst", "src", "signal"],
            // The register is optional: register 0 when absent.
            MsgOp::Call => &["core", "value", "register"],
            MsgOp::Wait => &["value", "register"],
        }
    }

    /// The op's attributes, to build it.
    pub fn attributes(&self) -> Vec<(&'static str, AttributeValue)> {
        let int = |value: u32| AttributeValue::I64(i64::from(value));
        let class = |class: &str| AttributeValue::String(class.to_string());
        match *self {
            MsgOp::Crossbar { crossbar, rows, cols } => {
                vec![("crossbar", int(crossbar)), ("rows", int(rows)), ("cols", int(cols))]
            }
            MsgOp::Load { n, class: c } | MsgOp::Store { n, class: c } => vec![("n", int(n)), ("class", class(c))],
            MsgOp::Mov { n } | MsgOp::Add { n } | MsgOp::Bias { n } | MsgOp::Max { n } | MsgOp::Relu { n } => {
                vec![("n", int(n))]
            }
            MsgOp::Mvm { crossbar } => vec![("crossbar", int(crossbar))],
            MsgOp::Clip { n, lo, hi } => {
                vec![("n", int(n)), ("lo", AttributeValue::F32(lo)), ("hi", AttributeValue::F32(hi))]
            }
            MsgOp::Avg { n, count } => vec![("n", int(n)), ("count", int(count))],
            MsgOp::Requant { n, shift } => vec![("n", int(n)), ("shift", int(shift))],
            MsgOp::Put { n, class: c } => vec![("n", int(n)), ("class", class(c))],
            MsgOp::Barrier { id } => vec![("id", int(id))],
            MsgOp::Call | MsgOp::Wait | MsgOp::Halt => Vec::new(),
        }
    }
}

/// An integer attribute in `0..=u32::MAX`: a crossbar, core or barrier number.
fn u32_attr(op: &Op, name: &str) -> AttrResult<u32> {
    within_u32(name, i64_attr(op, name)?)
}

/// An integer attribute in `1..=u32::MAX`: a word count or a divisor.
fn positive_u32(op: &Op, name: &str) -> AttrResult<u32> {
    match i64_attr(op, name)? {
        value if value <= 0 => Err(format!("attribute '{name}' must be positive, got {value}")),
        value => within_u32(name, value),
    }
}

fn within_u32(name: &str, value: i64) -> AttrResult<u32> {
    if value < 0 {
        return Err(format!("attribute '{name}' must be non-negative, got {value}"));
    }
    u32::try_from(value).map_err(|_| format!("attribute '{name}' must be at most {}, got {value}", u32::MAX))
}

fn traffic_class(op: &Op) -> AttrResult<&'static str> {
    let class = string_attr(op, "class")?;
    TRAFFIC_CLASSES
        .into_iter()
        .find(|c| *c == class)
        .ok_or_else(|| format!("attribute 'class' must be one of {TRAFFIC_CLASSES:?}, got \"{class}\""))
}

/// The core a program (`func.func`) runs on, if it is one.
pub fn program_core(func: &Op) -> Option<AttrResult<i64>> {
    func.attribute(CORE_ATTRIBUTE).map(|_| i64_attr(func, CORE_ATTRIBUTE))
}

/// Whether a function is a role (`msg.role`).
pub fn is_role(func: &Op) -> bool {
    func.attribute(ROLE_ATTRIBUTE).is_some()
}

/// The program or role (`func.func` with `msg.core` or `msg.role`) an op
/// is nested in, at any depth.
fn enclosing_program<'m>(op: &Op<'m>) -> Option<Op<'m>> {
    let mut ancestor = op.parent();
    while let Some(a) = ancestor {
        if a.name() == "func.func" {
            return (program_core(&a).is_some() || is_role(&a)).then_some(a);
        }
        ancestor = a.parent();
    }
    None
}

/// The verifier of `msg` ops, of `func.func`s that carry `msg.core` and of
/// loops that carry `msg.var`.
pub fn verify(op: &Op) -> AttrResult<()> {
    let name = op.name();
    if name == "func.func" {
        return verify_program(op);
    }
    if op.attribute(LOOP_VAR_ATTRIBUTE).is_some() {
        verify_loop_var(op)?;
    }
    let Some(msg) = MsgOp::read(op)? else {
        return Ok(());
    };
    let program = enclosing_program(op)
        .ok_or(format!("must be inside a func.func with a '{CORE_ATTRIBUTE}' or '{ROLE_ATTRIBUTE}' attribute"))?;
    let declarations = || program.body().into_iter().filter(|o| o.name() == "msg.crossbar");
    let declared = |o: &Op| i64_attr(o, "crossbar").ok();
    match msg {
        MsgOp::Crossbar { crossbar, .. } => {
            if op.parent().as_ref() != Some(&program) {
                return Err("must be directly in the body of its program or role, not in a loop".into());
            }
            let first = declarations().find(|o| declared(o) == Some(i64::from(crossbar)));
            if first.is_some_and(|f| f != *op) {
                return Err(format!("crossbar {crossbar} is already declared"));
            }
        }
        MsgOp::Mvm { crossbar } if !declarations().any(|o| declared(&o) == Some(i64::from(crossbar))) => {
            return Err(format!("crossbar {crossbar} is not declared (no msg.crossbar with crossbar = {crossbar})"));
        }
        _ => {}
    }
    Ok(())
}

/// `msg.var` names the counter of an `scf.for` in the instruction set:
/// a name the instruction set's text reads, `[A-Za-z_][A-Za-z0-9_]*`.
fn verify_loop_var(op: &Op) -> AttrResult<()> {
    if op.name() != "scf.for" {
        return Err(format!("only scf.for loops carry '{LOOP_VAR_ATTRIBUTE}'"));
    }
    let var = string_attr(op, LOOP_VAR_ATTRIBUTE)?;
    let mut chars = var.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!("attribute '{LOOP_VAR_ATTRIBUTE}' must be a name ([A-Za-z_][A-Za-z0-9_]*), got \"{var}\""));
    }
    Ok(())
}

fn verify_program(func: &Op) -> AttrResult<()> {
    match program_core(func) {
        Some(_) if is_role(func) => {
            Err(format!("is a core's program ('{CORE_ATTRIBUTE}') or a role ('{ROLE_ATTRIBUTE}'), not both"))
        }
        Some(core) => within_u32(CORE_ATTRIBUTE, core?).map(drop),
        None => Ok(()),
    }
}

/// The one check that needs the whole module: every core has at most one
/// program. Returns the programs that repeat a core, with the message.
/// One pass over the module's top-level ops, so that verifying a module of
/// thousands of core programs stays linear in their number.
pub fn verify_programs<'m>(top_level: &[Op<'m>]) -> Vec<(Op<'m>, String)> {
    let mut seen = std::collections::HashSet::new();
    top_level
        .iter()
        .filter(|op| op.name() == "func.func")
        .filter_map(|func| match program_core(func) {
            Some(Ok(core)) if !seen.insert(core) => Some((*func, format!("core {core} already has a program"))),
            _ => None,
        })
        .collect()
}
