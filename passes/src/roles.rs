//! Roles: the cores of a layer that run the same code at other addresses,
//! found so that `rram-sync` writes that code once (a `msg.role` function)
//! and each core's program only calls it with its own values (SPMD). The
//! column blocks of a layer run identical schedules on other channels, so a
//! layer of `H x V` tiles needs about `H` roles instead of `H * V` programs.
//!
//! Two programs share a role when they differ only in the constants of
//! their addresses and sequence values and in the cores they signal: same
//! crossbars, instructions, counts, loops and coefficients. Within a role,
//! a value that is the same for every member stays a constant; the others
//! become parameters, one per distinct way of varying: two values whose
//! difference is the same for every member share a parameter (an address
//! and the address next to it cost one argument). Plain data, so that the
//! factoring is tested on its own; invariant: instantiating a role with a
//! member's arguments gives back exactly that member's program.

use rram_isa::{Affine, CoreProgram, Crossbar, Instr};
use std::collections::HashMap;

/// The prefix of a parameter's name in a role's affine values: `$0`,
/// `$1`, ... A loop counter cannot start with it.
pub const PARAMETER_PREFIX: &str = "$";

/// Code that several cores run, and who runs it with what.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub crossbars: Vec<Crossbar>,
    /// The members' instructions, with parameters (`$k`) among the terms
    /// of their affine operands.
    pub body: Vec<Instr>,
    /// The core each `CALL` and `PUT` of `body` signals, in program order.
    pub targets: Vec<Affine>,
    /// Each member's core and its value of every parameter.
    pub members: Vec<(u32, Vec<i64>)>,
}

/// The programs of a layer: cores that share a role with others, and the
/// cores whose code is their own.
#[derive(Debug, Clone, PartialEq)]
pub struct Factored {
    pub roles: Vec<Role>,
    pub alone: Vec<CoreProgram>,
}

/// The name of parameter `k`.
pub fn parameter(k: usize) -> String {
    format!("{PARAMETER_PREFIX}{k}")
}

/// Groups `cores` into roles; a program that no other core shares stays as
/// it is. Roles and single programs keep the order of their first core.
pub fn factor(cores: &[CoreProgram]) -> Factored {
    // Per shape, its members and their slot values.
    let mut groups: Vec<Vec<(&CoreProgram, Vec<i64>)>> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    for core in cores {
        let (shape, values) = shape_and_values(core);
        let index = *index_of.entry(shape).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[index].push((core, values));
    }
    let mut factored = Factored { roles: Vec::new(), alone: Vec::new() };
    for members in groups {
        match members.as_slice() {
            [(only, _)] => factored.alone.push((*only).clone()),
            _ => factored.roles.push(role(&members)),
        }
    }
    factored
}

/// One value of a program that may differ between the members of a role.
enum Slot<'a> {
    /// The core a `CALL` or `PUT` signals.
    Target(&'a mut u32),
    /// The constant of an affine operand.
    Offset(&'a mut Affine),
}

/// Calls `visit` on every slot of `body`, in program order.
fn for_each_slot(body: &mut [Instr], visit: &mut dyn FnMut(Slot)) {
    for instr in body {
        match instr {
            Instr::Loop { body, .. } => for_each_slot(body, visit),
            Instr::Load { local, shared, .. } | Instr::Store { shared, local, .. } => {
                visit(Slot::Offset(local));
                visit(Slot::Offset(shared));
            }
            Instr::Mov { dst, src, .. } | Instr::Mvm { dst, src, .. } => {
                visit(Slot::Offset(dst));
                visit(Slot::Offset(src));
            }
            Instr::Binary { dst, a, b, .. } => [dst, a, b].into_iter().for_each(|x| visit(Slot::Offset(x))),
            Instr::Unary { dst, a, .. } => [dst, a].into_iter().for_each(|x| visit(Slot::Offset(x))),
            Instr::Put { core, dst, src, signal, .. } => {
                visit(Slot::Target(core));
                [dst, src, signal].into_iter().for_each(|x| visit(Slot::Offset(x)));
            }
            Instr::Call { core, value, .. } => {
                visit(Slot::Target(core));
                visit(Slot::Offset(value));
            }
            Instr::Wait { value, .. } => visit(Slot::Offset(value)),
            Instr::Barrier { .. } | Instr::Halt => {}
        }
    }
}

/// A program with every slot zeroed, as text (equal for programs that can
/// share a role), and the values of its slots in program order.
fn shape_and_values(core: &CoreProgram) -> (String, Vec<i64>) {
    let mut values = Vec::new();
    let mut body = core.body.clone();
    for_each_slot(&mut body, &mut |slot| match slot {
        Slot::Target(core) => values.push(i64::from(std::mem::take(core))),
        Slot::Offset(affine) => values.push(std::mem::take(&mut affine.constant)),
    });
    (format!("{:?}{body:?}", core.crossbars), values)
}

/// The role of programs of one shape, given with their slot values.
fn role(members: &[(&CoreProgram, Vec<i64>)]) -> Role {
    let values: Vec<&Vec<i64>> = members.iter().map(|(_, values)| values).collect();
    // Per parameter, how it varies (each member's value minus the first's)
    // and the members' values.
    let mut parameters: HashMap<Vec<i64>, usize> = HashMap::new();
    let mut arguments: Vec<Vec<i64>> = vec![Vec::new(); members.len()];
    // Per slot: the constant, and the parameter it adds if it varies.
    let mut slots: Vec<(i64, Option<usize>)> = Vec::new();
    for slot in 0..values[0].len() {
        let first = values[0][slot];
        let variation: Vec<i64> = values.iter().map(|v| v[slot] - first).collect();
        if variation.iter().all(|d| *d == 0) {
            slots.push((first, None));
            continue;
        }
        let k = *parameters.entry(variation).or_insert_with(|| {
            for (member, v) in arguments.iter_mut().zip(&values) {
                member.push(v[slot]);
            }
            arguments[0].len() - 1
        });
        slots.push((first - arguments[0][k], Some(k)));
    }
    let mut body = members[0].0.body.clone();
    let mut targets = Vec::new();
    let mut next = slots.into_iter();
    for_each_slot(&mut body, &mut |slot| {
        let (constant, parameter_index) = next.next().expect("every slot was valued");
        let mut value = Affine::constant(constant);
        if let Some(k) = parameter_index {
            value = value.plus(&parameter(k), 1);
        }
        match slot {
            Slot::Target(core) => {
                *core = 0;
                targets.push(value);
            }
            Slot::Offset(affine) => {
                affine.constant = value.constant;
                affine.terms.extend(value.terms);
            }
        }
    });
    Role {
        crossbars: members[0].0.crossbars.clone(),
        body,
        targets,
        members: members.iter().zip(arguments).map(|((m, _), args)| (m.core, args)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rram_isa::Class;

    fn program(core: u32, input: i64, output: i64, next: u32) -> CoreProgram {
        let at = |c: i64| Affine::constant(c).plus("p", 8);
        CoreProgram {
            core,
            crossbars: vec![Crossbar { index: 0, rows: 16, cols: 8, weights: None }],
            body: vec![Instr::Loop {
                var: "p".into(),
                count: 4,
                body: vec![
                    Instr::Load { local: Affine::constant(0), shared: at(input), n: 16, class: Class::Input },
                    Instr::Store { shared: at(output), local: Affine::constant(16), n: 8, class: Class::Partial },
                    Instr::Store { shared: at(output + 8), local: Affine::constant(24), n: 8, class: Class::Partial },
                    Instr::Call { core: next, register: 0, value: Affine::constant(1).plus("p", 1) },
                ],
            }],
        }
    }

    /// A role's body with a member's arguments in place of its parameters.
    fn instantiate(role: &Role, arguments: &[i64]) -> Vec<Instr> {
        let mut body = role.body.clone();
        let mut targets = role.targets.iter();
        let value = |affine: &Affine| {
            let mut plain = Affine::constant(affine.constant);
            for (var, coefficient) in &affine.terms {
                match var.strip_prefix(PARAMETER_PREFIX) {
                    Some(k) => plain.constant += coefficient * arguments[k.parse::<usize>().unwrap()],
                    None => plain.terms.push((var.clone(), *coefficient)),
                }
            }
            plain
        };
        for_each_slot(&mut body, &mut |slot| match slot {
            Slot::Target(core) => *core = value(targets.next().unwrap()).constant as u32,
            Slot::Offset(affine) => *affine = value(affine),
        });
        body
    }

    #[test]
    fn programs_of_one_shape_share_a_role_with_one_argument_per_way_of_varying() {
        // Two column blocks of two cores: the cores of a block read other
        // inputs, the blocks write outputs 32 words apart, each core calls
        // its partner.
        let cores =
            [program(0, 100, 500, 1), program(1, 200, 500, 0), program(2, 100, 532, 3), program(3, 200, 532, 2)];
        let factored = factor(&cores);
        assert!(factored.alone.is_empty());
        let [role] = factored.roles.as_slice() else { panic!("one role: {factored:?}") };
        // Inputs, outputs (both stores vary alike) and the partner: three arguments.
        let expected = [(0, vec![100, 500, 1]), (1, vec![200, 500, 0]), (2, vec![100, 532, 3]), (3, vec![200, 532, 2])];
        assert_eq!(role.members, expected);
        for (core, arguments) in &role.members {
            assert_eq!(instantiate(role, arguments), cores[*core as usize].body, "core {core}");
        }
    }

    #[test]
    fn a_program_of_its_own_stays_as_it_is() {
        let mut odd = program(2, 100, 532, 3);
        odd.body.push(Instr::Halt);
        let cores = [program(0, 100, 500, 1), program(1, 100, 516, 0), odd.clone()];
        let factored = factor(&cores);
        assert_eq!(factored.alone, [odd]);
        assert_eq!(factored.roles.len(), 1);
        assert_eq!(factored.roles[0].members, [(0, vec![500, 1]), (1, vec![516, 0])]);
    }
}
