//! msg -> instruction set: every core program of a module (a `func.func`
//! with `msg.core`, as `rram-sync` writes them) becomes an
//! [`rram_isa::CoreProgram`], one instruction per `msg` op, so that
//! `rram-translate --emit-isa` can write it for `rram-sim`.
//!
//! - A role (`func.func` with `msg.role`) is no core's program: a core
//!   program's `func.call` of it becomes the role's instructions, its
//!   arguments (constants) in place of its parameters.
//! - `msg.crossbar` becomes the core's crossbar declaration (`.xbar`).
//! - The core a `msg.call` or `msg.put` signals must be a constant.
//! - `scf.for %i = lb to ub step s` becomes `LOOP v, count` with
//!   `count = ceil((ub - lb) / s)` (0 when `ub <= lb`) and `%i = lb + s*v`;
//!   `v` is the loop's `msg.var`, else `i<depth>`. Bounds and step must be
//!   constants and the step positive; a loop with results (`iter_args`) or
//!   unsigned bounds is refused.
//! - Operands (addresses, sequence values) must be affine in the counters
//!   of the enclosing loops: built from `arith.constant`, `arith.addi`,
//!   `arith.subi` and `arith.muli` by a constant, without overflowing 64
//!   bits. `canonicalize` and `cse` keep them so.
//! - `arith` ops are expressions, evaluated where a `msg` op uses them;
//!   `func.return` and `scf.yield` end blocks. Any other op is an error, as
//!   is a function without `msg.core`: nothing is silently dropped.
//!
//! Every error is located at the op it is about. Invariant, tested in
//! `tests/lower_msg.rs`: for a layer, the translation of `rram-sync`'s
//! output is exactly `rram_passes::schedule::layer_program` with the cores
//! placed.

use rram_dialects::msg::{is_role, program_core, MsgOp, LOOP_VAR_ATTRIBUTE};
use rram_dialects::{Error, Module, Op, OpId, Value};
use rram_isa::{Affine, BinaryOp, Class, CoreProgram, Crossbar, Instr, Program, UnaryOp};
use std::collections::HashMap;

/// The instruction-set program of every core program in `module`, in the
/// order of the module. Shared memory is not initialised: the data stays
/// outside the IR.
pub fn program(module: &Module) -> Result<Program, Error> {
    let top = module.operation();
    let functions = top.body();
    let roles: HashMap<String, Op> = functions
        .iter()
        .filter(|op| op.name() == "func.func" && is_role(op))
        .filter_map(|op| Some((op.attribute("sym_name")?.as_string()?, *op)))
        .collect();
    let mut cores = Vec::new();
    for op in functions {
        let core = match (op.name().as_str(), program_core(&op)) {
            ("func.func", Some(core)) => core.map_err(|e| op.error(e))?,
            ("func.func", None) if is_role(&op) => continue,
            ("func.func", None) => {
                return Err(op.error("this function is not a core program (no 'msg.core'): run rram-sync first"))
            }
            (name, _) => return Err(op.error(format!("'{name}' op is not a core program"))),
        };
        let core = u32::try_from(core).map_err(|_| op.error(format!("{core} is not a core number")))?;
        let mut reader = Reader {
            roles: &roles,
            crossbars: Vec::new(),
            counters: Vec::new(),
            arguments: Vec::new(),
            memo: HashMap::new(),
        };
        let body = reader.block(&op)?;
        cores.push(CoreProgram { core, crossbars: reader.crossbars, body });
    }
    if cores.is_empty() {
        return Err(top.error("the module holds no core program (func.func with 'msg.core'): run rram-sync first"));
    }
    Ok(Program { cores, memory: Vec::new() })
}

/// Reads one core program.
struct Reader<'a, 'm> {
    /// The module's roles by name.
    roles: &'a HashMap<String, Op<'m>>,
    crossbars: Vec<Crossbar>,
    /// The counters of the loops around the op being read, innermost last:
    /// the induction variable, its loop variable and its value in it.
    counters: Vec<(Value<'m>, String, Affine)>,
    /// The arguments of the role being read: its parameter and the value
    /// the core calls it with.
    arguments: Vec<(Value<'m>, Affine)>,
    /// The affine value of every `arith` op evaluated so far.
    memo: HashMap<OpId, Affine>,
}

impl<'m> Reader<'_, 'm> {
    /// The instructions of the body of `parent` (a function or a loop).
    fn block(&mut self, parent: &Op<'m>) -> Result<Vec<Instr>, Error> {
        let mut body = Vec::new();
        for op in parent.body() {
            let name = op.name();
            if name == "scf.for" {
                body.push(self.for_loop(&op)?);
                continue;
            }
            if name.starts_with("arith.") || name == "func.return" || name == "scf.yield" {
                continue;
            }
            if name == "func.call" {
                body.extend(self.call(parent, &op)?);
                continue;
            }
            let msg = MsgOp::read(&op).map_err(|e| op.error(format!("'{name}' op {e}")))?.ok_or_else(|| {
                op.error(format!(
                    "'{name}' op is not an instruction: a core program holds msg ops, scf.for loops and index \
                     arithmetic"
                ))
            })?;
            let operands = op.operands();
            let mut operand = |index: usize| {
                let value = operands
                    .get(index)
                    .copied()
                    .ok_or_else(|| op.error(format!("'{name}' op lacks operand #{index}")))?;
                self.affine(value, &op, msg.operand_names().get(index).copied().unwrap_or("?"))
            };
            body.push(match msg {
                MsgOp::Crossbar { crossbar, rows, cols } => {
                    self.crossbars.push(Crossbar { index: crossbar, rows, cols, weights: None });
                    continue;
                }
                MsgOp::Load { n, class } => {
                    Instr::Load { local: operand(0)?, shared: operand(1)?, n, class: class_of(class)? }
                }
                MsgOp::Store { n, class } => {
                    Instr::Store { shared: operand(0)?, local: operand(1)?, n, class: class_of(class)? }
                }
                MsgOp::Mov { n } => Instr::Mov { dst: operand(0)?, src: operand(1)?, n },
                MsgOp::Mvm { crossbar } => Instr::Mvm { xbar: crossbar, dst: operand(0)?, src: operand(1)? },
                MsgOp::Add { n } => binary(BinaryOp::Add, n, operand)?,
                MsgOp::Bias { n } => binary(BinaryOp::Bias, n, operand)?,
                MsgOp::Max { n } => binary(BinaryOp::Max, n, operand)?,
                MsgOp::Relu { n } => unary(UnaryOp::Relu, n, operand)?,
                MsgOp::Clip { n, lo, hi } => unary(UnaryOp::Clip { lo, hi }, n, operand)?,
                MsgOp::Avg { n, count } => unary(UnaryOp::Avg { count }, n, operand)?,
                MsgOp::Requant { n, shift } => unary(UnaryOp::Requant { shift }, n, operand)?,
                MsgOp::Put { n, class } => Instr::Put {
                    core: core_number(&op, operand(0)?)?,
                    dst: operand(1)?,
                    src: operand(2)?,
                    n,
                    class: class_of(class)?,
                    signal: operand(3)?,
                },
                MsgOp::Call => {
                    let register = optional_register(&op, operands.len() > 2, &mut || operand(2))?;
                    Instr::Call { core: core_number(&op, operand(0)?)?, register, value: operand(1)? }
                }
                MsgOp::Wait => {
                    let register = optional_register(&op, operands.len() > 1, &mut || operand(1))?;
                    Instr::Wait { register, value: operand(0)? }
                }
                MsgOp::Barrier { id } => Instr::Barrier { id },
                MsgOp::Halt => Instr::Halt,
            });
        }
        Ok(body)
    }

    /// A core program's call of its role: the role's instructions with
    /// the call's arguments, constants, for its parameters.
    fn call(&mut self, parent: &Op<'m>, op: &Op<'m>) -> Result<Vec<Instr>, Error> {
        let callee = op.attribute("callee").and_then(|a| a.as_symbol()).unwrap_or_default();
        let role = *self.roles.get(&callee).ok_or_else(|| {
            op.error(format!("'func.call' op calls @{callee}, which is not a role (a func.func with 'msg.role')"))
        })?;
        if !self.arguments.is_empty() || program_core(parent).is_none() {
            return Err(op.error("'func.call' op must be directly in a core's program: a role calls no other"));
        }
        let parameters = role.body_arguments();
        let operands = op.operands();
        if operands.len() != parameters.len() {
            return Err(op.error(format!(
                "'func.call' op passes {} arguments to @{callee}, which takes {}",
                operands.len(),
                parameters.len()
            )));
        }
        for (index, (parameter, value)) in parameters.into_iter().zip(operands).enumerate() {
            let argument = self.affine(value, op, &format!("#{index}"))?;
            if !argument.terms.is_empty() {
                return Err(
                    op.error(format!("'func.call' op's argument #{index} is {argument}: it must be a constant"))
                );
            }
            self.arguments.push((parameter, argument));
        }
        let body = self.block(&role);
        self.arguments.clear();
        body
    }

    /// `scf.for` as `LOOP var, count`.
    fn for_loop(&mut self, op: &Op<'m>) -> Result<Instr, Error> {
        if op.result_count() > 0 {
            return Err(op.error("'scf.for' op carries values (iter_args): a hardware loop has none"));
        }
        if op.attribute("unsignedCmp").is_some() {
            return Err(op.error("'scf.for' op compares its bounds unsigned: a hardware loop's are signed"));
        }
        let mut bound = |index: usize, what: &str| -> Result<i64, Error> {
            let value = op.operand(index).ok_or_else(|| op.error(format!("'scf.for' op lacks its {what}")))?;
            let affine = self.affine(value, op, what)?;
            match affine.terms.is_empty() {
                true => Ok(affine.constant),
                false => Err(op.error(format!(
                    "'scf.for' op has the {what} {affine}: a hardware loop's bounds and step are constants"
                ))),
            }
        };
        let (lower, upper, step) = (bound(0, "lower bound")?, bound(1, "upper bound")?, bound(2, "step")?);
        if step <= 0 {
            return Err(op.error(format!("'scf.for' op has the step {step}: it must be positive")));
        }
        let trips = if upper > lower {
            (i128::from(upper) - i128::from(lower) + i128::from(step) - 1) / i128::from(step)
        } else {
            0
        };
        let count = u32::try_from(trips)
            .map_err(|_| op.error(format!("'scf.for' op runs {trips} times, more than a hardware loop counts")))?;
        let var = match op.attribute(LOOP_VAR_ATTRIBUTE).and_then(|a| a.as_string()) {
            Some(var) => var,
            None => format!("i{}", self.counters.len()),
        };
        if self.counters.iter().any(|(_, enclosing, _)| *enclosing == var) {
            return Err(op.error(format!("'scf.for' op reuses the loop variable '{var}' of an enclosing loop")));
        }
        let counter = op.body_arguments().first().copied().ok_or_else(|| op.error("'scf.for' op has no counter"))?;
        self.counters.push((counter, var.clone(), Affine::constant(lower).plus(&var, step)));
        let body = self.block(op);
        self.counters.pop();
        Ok(Instr::Loop { var, count, body: body? })
    }

    /// The value of `value` as an affine expression of the loop counters;
    /// `user` and `operand` name where it is used, for errors.
    fn affine(&mut self, value: Value<'m>, user: &Op<'m>, operand: &str) -> Result<Affine, Error> {
        // Depth-first without recursion, so that no expression, however
        // deep, can overflow the stack.
        let mut pending = vec![value];
        while let Some(&next) = pending.last() {
            let Some(op) = next.defining_op() else {
                pending.pop();
                continue;
            };
            if self.memo.contains_key(&op.id()) {
                pending.pop();
                continue;
            }
            if !op.name().starts_with("arith.") {
                return Err(not_affine(&op, user, operand, ONLY_AFFINE));
            }
            let operands = op.operands();
            let unknown = |v: &Value| v.defining_op().is_some_and(|o| !self.memo.contains_key(&o.id()));
            let unknown: Vec<Value> = operands.iter().copied().filter(unknown).collect();
            if !unknown.is_empty() {
                pending.extend(unknown);
                continue;
            }
            let inputs: Vec<Affine> =
                operands.iter().map(|v| self.known(*v, user, operand)).collect::<Result<_, _>>()?;
            let result = evaluate(&op, &inputs, user, operand)?;
            self.memo.insert(op.id(), result);
            pending.pop();
        }
        self.known(value, user, operand)
    }

    /// A value already evaluated, or a loop counter.
    fn known(&self, value: Value<'m>, user: &Op<'m>, operand: &str) -> Result<Affine, Error> {
        match value.defining_op() {
            Some(op) => self.memo.get(&op.id()).cloned().ok_or_else(|| Error::Internal(format!("{op} not evaluated"))),
            None => {
                let argument = self.arguments.iter().find(|(parameter, _)| *parameter == value).map(|(_, a)| a);
                let counter = self.counters.iter().rev().find(|(counter, ..)| *counter == value).map(|(.., a)| a);
                argument.or(counter).cloned().ok_or_else(|| {
                    user.error(format!(
                        "'{}' op's operand '{operand}' is a block argument that is not the counter of an enclosing \
                         scf.for or an argument of its role",
                        user.name()
                    ))
                })
            }
        }
    }
}

/// The core a CALL or PUT signals: a constant core number.
fn core_number(op: &Op, core: Affine) -> Result<u32, Error> {
    match (core.terms.is_empty(), u32::try_from(core.constant)) {
        (true, Ok(number)) => Ok(number),
        _ => Err(op.error(format!("'{}' op signals core {core}: it must be a constant core number", op.name()))),
    }
}

/// The sequence register of a `msg.call` or `msg.wait`: its optional last
/// operand (a constant), else register 0.
fn optional_register(op: &Op, present: bool, operand: &mut dyn FnMut() -> Result<Affine, Error>) -> Result<u32, Error> {
    if !present {
        return Ok(0);
    }
    let register = operand()?;
    match (register.terms.is_empty(), u32::try_from(register.constant)) {
        (true, Ok(number)) => Ok(number),
        _ => Err(op.error(format!("'{}' op names register {register}: it must be a constant", op.name()))),
    }
}

/// What an address may be computed with.
const ONLY_AFFINE: &str = "only arith.constant, addi, subi and muli by a constant are";

/// The error for `op`, which computes `operand` of `user` in a way the
/// instruction set cannot express.
fn not_affine(op: &Op, user: &Op, operand: &str, why: &str) -> Error {
    op.error(format!(
        "'{}' op computes operand '{operand}' of '{}', which must be affine in the loop counters: {why}",
        op.name(),
        user.name()
    ))
}

/// The affine value of one `arith` op from those of its operands.
fn evaluate(op: &Op, inputs: &[Affine], user: &Op, operand: &str) -> Result<Affine, Error> {
    let overflow = || not_affine(op, user, operand, "it overflows 64 bits");
    match (op.name().as_str(), inputs) {
        ("arith.constant", []) => op
            .attribute("value")
            .and_then(|a| a.as_i64())
            .map(Affine::constant)
            .ok_or_else(|| not_affine(op, user, operand, "the constant is not an integer")),
        ("arith.addi", [a, b]) => combine(a, b, 1).ok_or_else(overflow),
        ("arith.subi", [a, b]) => combine(a, b, -1).ok_or_else(overflow),
        ("arith.muli", [a, b]) => match (a.terms.is_empty(), b.terms.is_empty()) {
            (_, true) => scale(a, b.constant).ok_or_else(overflow),
            (true, false) => scale(b, a.constant).ok_or_else(overflow),
            (false, false) => Err(not_affine(op, user, operand, "it multiplies two loop-dependent values")),
        },
        _ => Err(not_affine(op, user, operand, ONLY_AFFINE)),
    }
}

/// `a + sign * b`, terms in the order first met, zero terms dropped.
fn combine(a: &Affine, b: &Affine, sign: i64) -> Option<Affine> {
    let mut sum = a.clone();
    sum.constant = sum.constant.checked_add(b.constant.checked_mul(sign)?)?;
    for (var, coefficient) in &b.terms {
        let coefficient = coefficient.checked_mul(sign)?;
        match sum.terms.iter_mut().find(|(v, _)| v == var) {
            Some((_, c)) => *c = c.checked_add(coefficient)?,
            None => sum.terms.push((var.clone(), coefficient)),
        }
    }
    sum.terms.retain(|(_, c)| *c != 0);
    Some(sum)
}

fn scale(a: &Affine, factor: i64) -> Option<Affine> {
    let mut terms = Vec::new();
    for (var, coefficient) in &a.terms {
        terms.push((var.clone(), coefficient.checked_mul(factor)?));
    }
    terms.retain(|(_, c)| *c != 0);
    Some(Affine { constant: a.constant.checked_mul(factor)?, terms })
}

fn binary(op: BinaryOp, n: u32, mut operand: impl FnMut(usize) -> Result<Affine, Error>) -> Result<Instr, Error> {
    Ok(Instr::Binary { op, dst: operand(0)?, a: operand(1)?, b: operand(2)?, n })
}

fn unary(op: UnaryOp, n: u32, mut operand: impl FnMut(usize) -> Result<Affine, Error>) -> Result<Instr, Error> {
    Ok(Instr::Unary { op, dst: operand(0)?, a: operand(1)?, n })
}

/// The instruction set's class of a traffic class the verifier accepted.
fn class_of(name: &str) -> Result<Class, Error> {
    Class::ALL
        .into_iter()
        .find(|c| c.name() == name)
        .ok_or_else(|| Error::Internal(format!("traffic class '{name}' has no instruction-set class")))
}
