//! `check_fit`: what a program needs of a chip, found from its text.

use rram_arch::Architecture;
use rram_isa::{check_fit, Affine, Class, CoreProgram, Crossbar, Instr, MemoryInit, Program};

/// The published 32x32 setup: 8-bit weights on 2-bit cells, so a crossbar
/// row of 32 cells holds 8 weights; 16 MiB of shared memory, 16 KiB local.
fn chip() -> Architecture {
    Architecture::preset("xbar32-bus16").unwrap()
}

fn program(crossbars: Vec<Crossbar>, body: Vec<Instr>) -> Program {
    Program { cores: vec![CoreProgram { core: 3, crossbars, body }], memory: Vec::new() }
}

fn xbar(index: u32, rows: u32, cols: u32) -> Crossbar {
    Crossbar { index, rows, cols, weights: None }
}

fn misfit(program: &Program) -> String {
    check_fit(program, &chip()).unwrap_err().to_string()
}

fn load(shared: Affine, n: u32) -> Instr {
    Instr::Load { local: Affine::constant(0), shared, n, class: Class::Input }
}

#[test]
fn crossbar_columns_count_weights_and_the_chip_counts_cells() {
    assert!(check_fit(&program(vec![xbar(0, 32, 8)], vec![]), &chip()).is_ok());
    // 32 weights of 4 cells: 128 cells on a 32-cell crossbar.
    assert_eq!(
        misfit(&program(vec![xbar(0, 32, 32)], vec![])),
        "the programs do not fit chip 'xbar32-bus16': crossbar 0 of core 3 holds 32 rows x 32 weights of 4 cells \
         = 32 x 128 cells, the chip's crossbars have 32 x 32 (crossbar.rows x crossbar.cols)"
    );
    assert!(misfit(&program(vec![xbar(0, 33, 8)], vec![])).contains("33 rows x 8 weights of 4 cells = 33 x 32 cells"));
}

#[test]
fn cores_and_crossbars_are_within_the_chip() {
    assert!(misfit(&program(vec![xbar(1, 32, 8)], vec![]))
        .ends_with("core 3 declares crossbar 1, a core holds 1 (core.crossbars)"));
    let mut far = program(vec![], vec![]);
    far.cores[0].core = 1024;
    assert!(misfit(&far).ends_with("core 1024 has a program, the chip has 1024 cores (core.count)"));
}

#[test]
fn shared_memory_extents_cover_every_loop_trip() {
    let words = 16 * 1024 * 1024 / 4;
    // 64 trips of 8 words from 4194304 - 512: the last ends exactly at the end.
    let fits =
        Instr::Loop { var: "p".into(), count: 64, body: vec![load(Affine::constant(words - 512).plus("p", 8), 8)] };
    assert!(check_fit(&program(vec![], vec![fits]), &chip()).is_ok());
    let beyond =
        Instr::Loop { var: "p".into(), count: 65, body: vec![load(Affine::constant(words - 512).plus("p", 8), 8)] };
    assert_eq!(
        misfit(&program(vec![], vec![beyond])),
        "the programs do not fit chip 'xbar32-bus16': shared memory: core 3 LOAD reads shared words [4193792, \
         4194312), the chip has 4194304 words (16777216 bytes, shared_memory.size_bytes); the programs reach word \
         4194312"
    );
    // Counting down below 0, and a loop of no trips touching nothing.
    let down = Instr::Loop { var: "p".into(), count: 3, body: vec![load(Affine::constant(8).plus("p", -8), 8)] };
    assert!(misfit(&program(vec![], vec![down])).contains("LOAD reads shared words [-8, 16)"));
    let never = Instr::Loop { var: "p".into(), count: 0, body: vec![load(Affine::constant(-1), 8)] };
    assert!(check_fit(&program(vec![], vec![never]), &chip()).is_ok());
    // What memory.txt initializes must be there too.
    let mut initialized = program(vec![], vec![]);
    initialized.memory.push(MemoryInit { address: words as u64 - 1, values: vec![0.0, 1.0] });
    assert!(misfit(&initialized).contains("shared memory: memory.txt initializes words [4194303, 4194305)"));
}

#[test]
fn local_memory_holds_what_the_crossbars_read_and_write() {
    // 16 KiB: 4096 words; an MVM of crossbar 0 writes its 8 weight columns.
    let mvm = |dst: i64| Instr::Mvm { xbar: 0, dst: Affine::constant(dst), src: Affine::constant(0) };
    assert!(check_fit(&program(vec![xbar(0, 32, 8)], vec![mvm(4088)]), &chip()).is_ok());
    assert_eq!(
        misfit(&program(vec![xbar(0, 32, 8)], vec![mvm(4089)])),
        "the programs do not fit chip 'xbar32-bus16': local memory: core 3 MVM writes local words [4089, 4097), a \
         core has 4096 words (16384 bytes, core.local_memory_bytes)"
    );
}

#[test]
fn remote_writes_need_a_chip_with_them() {
    let put = Instr::Put {
        core: 4,
        dst: Affine::constant(0),
        src: Affine::constant(0),
        n: 8,
        class: Class::Partial,
        signal: Affine::constant(1),
    };
    let forwarding = program(vec![], vec![put]);
    assert!(misfit(&forwarding).ends_with("the chip has no core.remote_writes"));
    let mut remote = chip();
    remote.core.remote_writes = true;
    assert!(check_fit(&forwarding, &remote).is_ok());
}
