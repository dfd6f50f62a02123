//! The synthetic workload of `rram-sim --bench`: horizontal groups of four
//! cores accumulating partial sums in linear hand-off order, the pattern
//! compiled convolutions have, large enough to time the simulator itself.

use rram_isa::{Affine, BinaryOp, Class, CoreProgram, Crossbar, Instr, Program};

/// Cores per horizontal group.
const GROUP: u32 = 4;
/// Pixels per pass over a feature map; passes repeat to reach any size.
const PIXELS: u32 = 256;

/// `cores` cores (a multiple of 4), each running `passes` times a loop of
/// 256 pixels of LOAD, MVM, (WAIT), LOAD, ADD, STORE, (CALL): about
/// `6.5 * 256 * cores * passes` instructions. Addresses follow the pixel,
/// as in compiled programs; sequence numbers count every hand-off.
pub fn synthetic_program(cores: u32, passes: u32, rows: u32, cols: u32) -> Program {
    let (rows_i, cols_i, pixels) = (i64::from(rows), i64::from(cols), i64::from(PIXELS));
    let c = Affine::constant;
    let pixel = |base: i64, stride: i64| Affine::constant(base).plus("p", stride);
    let handoff = Affine::constant(1).plus("q", pixels).plus("p", 1);
    let input_words = i64::from(GROUP) * rows_i * pixels;
    let programs = (0..cores)
        .map(|core| {
            let (group, h) = (core / GROUP, core % GROUP);
            let output = input_words + i64::from(group) * cols_i * pixels;
            let mut body = vec![
                Instr::Load {
                    local: c(0),
                    shared: pixel(i64::from(h) * rows_i, i64::from(GROUP) * rows_i),
                    n: rows,
                    class: Class::Input,
                },
                Instr::Mvm { xbar: 0, dst: c(rows_i), src: c(0) },
            ];
            if h > 0 {
                body.push(Instr::Wait { register: 0, value: handoff.clone() });
            }
            body.extend([
                Instr::Load {
                    local: c(rows_i + cols_i),
                    shared: pixel(output, cols_i),
                    n: cols,
                    class: Class::Partial,
                },
                Instr::Binary { op: BinaryOp::Add, dst: c(rows_i), a: c(rows_i), b: c(rows_i + cols_i), n: cols },
                Instr::Store { shared: pixel(output, cols_i), local: c(rows_i), n: cols, class: Class::Partial },
            ]);
            if h + 1 < GROUP {
                body.push(Instr::Call { core: core + 1, register: 0, value: handoff.clone() });
            }
            let pixels = Instr::Loop { var: "p".into(), count: PIXELS, body };
            CoreProgram {
                core,
                crossbars: vec![Crossbar { index: 0, rows, cols, weights: None }],
                body: vec![Instr::Loop { var: "q".into(), count: passes, body: vec![pixels] }],
            }
        })
        .collect();
    Program { cores: programs, memory: Vec::new() }
}

/// Instructions one pass of [`synthetic_program`] executes on `cores` cores.
pub fn instructions_per_pass(cores: u32) -> u64 {
    // 5 instructions per pixel, plus a WAIT on all but the first core of a
    // group and a CALL on all but the last.
    let per_group_pixel = 5 * GROUP + 2 * (GROUP - 1);
    u64::from(cores / GROUP) * u64::from(per_group_pixel) * u64::from(PIXELS)
}
