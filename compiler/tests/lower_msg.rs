//! `rram-sync` and the translation of its programs back to the instruction
//! set: for random conv layers, tilings, placements and modes, the
//! translation is exactly the schedule's program (`layer_program`) with its
//! cores placed; the programs, simulated, compute the convolution; the IR
//! does not grow with the pixel count; what the translation cannot express
//! is an error at the op.

mod common;

use common::conv;
use proptest::prelude::*;
use rram_arch::Architecture;
use rram_compiler::lower_msg;
use rram_compiler::pipeline::{Pipeline, RunOptions};
use rram_compiler::report::check::LayerCheck;
use rram_dialects::{float_literal, AttributeValue, Context, Module};
use rram_isa::{CoreProgram, Instr, Program};
use rram_passes::schedule::{layer_program, Activation, Layer, Scheme};
use rram_passes::tiling::{plan, KernelMatrix};
use rram_sim::NumericMode;

fn run(module: &mut Module, pipeline: &str) {
    let messages = Pipeline::parse(pipeline).unwrap().run(module, RunOptions::default(), |_, _| {}).unwrap();
    assert!(messages.warnings.is_empty(), "{:?}", messages.warnings);
}

/// A chip of `xbar` x `xbar` crossbars holding weights of `slices` cells,
/// with room for every layer these tests make, and remote writes.
fn on_chip(module: &Module, xbar: u32, slices: u32, crossbars: u32) {
    let mut chip = Architecture::default();
    (chip.crossbar.rows, chip.crossbar.cols) = (xbar, xbar);
    chip.crossbar.cell_bits = chip.crossbar.weight_bits / slices;
    chip.core.crossbars = crossbars;
    chip.core.remote_writes = true;
    chip.shared_memory.size_bytes = 1 << 30;
    chip.validate("test chip").unwrap();
    rram_compiler::arch::attach_to(&chip, module).unwrap();
}

/// A conv layer with an optional bias and activation, as `nn` MLIR.
#[derive(Debug, Clone)]
struct Shape {
    cin_per_group: i64,
    cout_per_group: i64,
    groups: i64,
    kernel: i64,
    stride: i64,
    pad: i64,
    size: i64,
    bias: bool,
    activation: Activation,
}

impl Shape {
    fn out(&self) -> i64 {
        (self.size + 2 * self.pad - self.kernel) / self.stride + 1
    }

    fn mlir(&self) -> String {
        let (cin, cout, g, k, s, p, n) = (
            self.cin_per_group * self.groups,
            self.cout_per_group * self.groups,
            self.groups,
            self.kernel,
            self.stride,
            self.pad,
            self.size,
        );
        let o = self.out();
        let output = format!("tensor<1x{cout}x{o}x{o}xf32>");
        let activation = match self.activation {
            Activation::None => String::new(),
            Activation::Relu => format!("  %a = \"nn.relu\"(%y) : ({output}) -> {output}\n"),
            Activation::Clip { lo, hi } => format!(
                "  %a = \"nn.clip\"(%y) {{min = {} : f32, max = {} : f32}} : ({output}) -> {output}\n",
                float_literal(f64::from(lo)),
                float_literal(f64::from(hi))
            ),
        };
        let result = if activation.is_empty() { "%y" } else { "%a" };
        let (bias, bias_operand, bias_type) = if self.bias {
            (
                format!("  %b = \"nn.weight\"() {{name = \"b\"}} : () -> tensor<{cout}xf32>\n"),
                ", %b",
                format!(", tensor<{cout}xf32>"),
            )
        } else {
            (String::new(), "", String::new())
        };
        format!(
            "func.func @main(%x: tensor<1x{cin}x{n}x{n}xf32>) -> {output} {{
  %w = \"nn.weight\"() {{name = \"w\"}} : () -> tensor<{cout}x{}x{k}x{k}xf32>
{bias}  %y = \"nn.conv2d\"(%x, %w{bias_operand}) {{strides = array<i64: {s}, {s}>, pads = array<i64: {p}, {p}, {p}, {p}>, dilations = array<i64: 1, 1>, groups = {g} : i64}} : (tensor<1x{cin}x{n}x{n}xf32>, tensor<{cout}x{}x{k}x{k}xf32>{bias_type}) -> {output}
{activation}  return {result} : {output}
}}",
            self.cin_per_group, self.cin_per_group
        )
    }
}

fn shape() -> impl Strategy<Value = Shape> {
    let activation = prop_oneof![
        Just(Activation::None),
        Just(Activation::Relu),
        Just(Activation::Clip { lo: 0.0, hi: 6.0 }),
        Just(Activation::Clip { lo: f32::NEG_INFINITY, hi: 1.5 }),
    ];
    let bias = prop::bool::weighted(0.75);
    (1i64..6, 1i64..10, prop::sample::select(vec![1i64, 2, 3]), 1i64..4, 1i64..3, 0i64..2, 3i64..9, (bias, activation))
        .prop_filter("the window must fit", |(_, _, _, k, _, p, n, _)| k <= &(n + 2 * p))
        .prop_map(|(cin_per_group, cout_per_group, groups, kernel, stride, pad, size, (bias, activation))| Shape {
            cin_per_group,
            cout_per_group,
            groups,
            kernel,
            stride,
            pad,
            size,
            bias,
            activation,
        })
}

/// The schedule's program with tile `i`'s core and crossbar 0 moved to
/// `placed[i]`: the oracle, independent of the pass's own renumbering.
fn placed(mut program: Program, placed: &[(u32, u32)]) -> Program {
    fn calls(body: &mut [Instr], placed: &[(u32, u32)], crossbar: u32) {
        for instr in body {
            match instr {
                Instr::Call { core, .. } | Instr::Put { core, .. } => *core = placed[*core as usize].0,
                Instr::Mvm { xbar, .. } => *xbar = crossbar,
                Instr::Loop { body, .. } => calls(body, placed, crossbar),
                _ => {}
            }
        }
    }
    for core in &mut program.cores {
        let (number, crossbar) = placed[core.core as usize];
        core.core = number;
        core.crossbars[0].index = crossbar;
        calls(&mut core.body, placed, crossbar);
    }
    program.cores.sort_by_key(|c| c.core);
    program
}

fn sorted(mut program: Program) -> Program {
    program.cores.sort_by_key(|c| c.core);
    program
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn translating_sync_gives_the_schedule_with_cores_placed(
        shape in shape(),
        xbar in prop::sample::select(vec![8i64, 16, 32]),
        slices in 1i64..3,
        scheme in prop::sample::select(Scheme::ALL.to_vec()),
        seed in any::<u32>(),
    ) {
        let context = Context::new().unwrap();
        let mut module = context.parse(&shape.mlir(), "layer.mlir").unwrap();
        on_chip(&module, xbar as u32, slices as u32, 2);
        run(&mut module, "rram-tile,rram-place");
        // Tiles scattered over the chip in an order of their own, some on crossbar 1.
        let tiles = module.operations_named("xbar.tile");
        let count = tiles.len() as u32;
        let mut cores: Vec<u32> = (0..count).map(|i| i * 7 + 3).collect();
        cores.rotate_left((seed % count) as usize);
        let mut placement = Vec::new();
        for (i, tile) in tiles.iter().enumerate() {
            let crossbar = (seed >> (i % 32)) & 1;
            tile.set_attribute("core", &AttributeValue::I64(cores[i].into())).unwrap();
            tile.set_attribute("crossbar", &AttributeValue::I64(crossbar.into())).unwrap();
            placement.push((cores[i], crossbar));
        }
        run(&mut module, &format!("rram-sync{{{}}}", scheme.pass_options()));
        let translated = sorted(lower_msg::program(&module).unwrap());

        let cout = shape.cout_per_group * shape.groups;
        let weight = [cout, shape.cin_per_group, shape.kernel, shape.kernel];
        let matrix = KernelMatrix::conv(weight, shape.groups, slices).unwrap();
        let layer = Layer {
            pixels: shape.out() * shape.out(),
            channels: cout,
            slices,
            window: matrix.rows(),
            bias: shape.bias,
            activation: shape.activation,
            requant: None,
        };
        let expected = layer_program(&layer, &plan(&matrix, xbar, xbar), scheme, 1, &|_| None, None).unwrap();
        prop_assert_eq!(translated, placed(expected, &placement));
    }
}

fn arch(cores: u32, xbar: u32) -> Architecture {
    let text = format!(
        "[core]\ncount = {cores}\ncrossbars = 1\nlocal_memory_bytes = 65536\nremote_writes = true\n\
         [crossbar]\nrows = {xbar}\ncols = {xbar}\nweight_bits = 8\ncell_bits = 8\n\
         [bus]\nwidth_bytes = 16\n[shared_memory]\nsize_bytes = 16777216\n"
    );
    Architecture::from_toml_str(&text, "test.toml").unwrap()
}

/// `[address, words]` of a layout attribute `rram-sync` records.
fn region(module: &Module, name: &str) -> [usize; 2] {
    let values = module.operation().attribute(name).and_then(|a| a.as_i64_array()).unwrap();
    [values[0] as usize, values[1] as usize]
}

#[test]
fn the_translated_programs_compute_the_convolution() {
    // 36 rows on 16-row crossbars (H = 3), 20 channels in blocks of 16 and 4
    // (V = 2), 36 pixels: the layer of tests/schedule.rs, through the IR.
    let case = conv::case(4, 20, 3, 8);
    let [_, c, n, _] = [0, 1, 2, 3].map(|d| case.input.shape[d]);
    let weight = [0, 1, 2, 3].map(|d| case.weight.shape[d]);
    let [cout, _, k, _] = weight;
    let o = n - k + 1;
    let text = format!(
        "func.func @main(%x: tensor<1x{c}x{n}x{n}xf32>) -> tensor<1x{cout}x{o}x{o}xf32> {{
  %w = \"nn.weight\"() {{name = \"w\"}} : () -> tensor<{cout}x{c}x{k}x{k}xf32>
  %b = \"nn.weight\"() {{name = \"b\"}} : () -> tensor<{cout}xf32>
  %y = \"nn.conv2d\"(%x, %w, %b) {{strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64}} : (tensor<1x{c}x{n}x{n}xf32>, tensor<{cout}x{c}x{k}x{k}xf32>, tensor<{cout}xf32>) -> tensor<1x{cout}x{o}x{o}xf32>
  %r = \"nn.relu\"(%y) : (tensor<1x{cout}x{o}x{o}xf32>) -> tensor<1x{cout}x{o}x{o}xf32>
  return %r : tensor<1x{cout}x{o}x{o}xf32>
}}"
    );
    // The library's check of the layer: its programs carry each tile's
    // weights and the shared memory data (im2col windows, bias), and it
    // compares a program's output words with its direct convolution.
    let check = LayerCheck::new(&case, &arch(6, 16), NumericMode::F32).unwrap();
    let matrix = KernelMatrix::conv(weight, 1, 1).unwrap();
    let tiles = plan(&matrix, 16, 16).tiles;
    let layer = Layer {
        pixels: o * o,
        channels: cout,
        slices: 1,
        window: matrix.rows(),
        bias: true,
        activation: case.activation,
        requant: None,
    };
    for scheme in Scheme::ALL {
        let context = Context::new().unwrap();
        let mut module = context.parse(&text, "conv.mlir").unwrap();
        on_chip(&module, 16, 1, 1);
        run(&mut module, "rram-tile,rram-place");
        // Which matrix rows and channels each core holds, before the tiles go.
        let held: Vec<(u32, [i64; 2], [i64; 2])> = module
            .operations_named("xbar.tile")
            .iter()
            .map(|t| {
                let int = |name| t.attribute(name).and_then(|a| a.as_i64()).unwrap();
                let range =
                    |name| <[i64; 2]>::try_from(t.attribute(name).and_then(|a| a.as_i64_array()).unwrap()).unwrap();
                (int("core") as u32, range("rows"), range("cols"))
            })
            .collect();
        run(&mut module, &format!("rram-sync{{{}}}", scheme.pass_options()));
        let mut program = lower_msg::program(&module).unwrap();
        // The schedule's program holds tile i's weights on core i.
        let data = check.program(scheme).unwrap();
        for core in &mut program.cores {
            let (_, rows, cols) = held.iter().find(|(number, ..)| *number == core.core).unwrap();
            let tile = tiles.iter().position(|t| (t.rows, t.cols) == (*rows, *cols)).unwrap();
            core.crossbars[0].weights.clone_from(&data.cores[tile].crossbars[0].weights);
        }
        let at = |init: usize| [data.memory[init].address as usize, data.memory[init].values.len()];
        assert_eq!((region(&module, "msg.input"), region(&module, "msg.bias")), (at(0), at(1)));
        program.memory = data.memory;
        let [output, words] = region(&module, "msg.output");
        assert_eq!([output, words], [layer.layout().outputs as usize, 720]);
        let result = check.run(scheme, &program);
        assert!(result.passed(), "{result}");
        assert_eq!(result.words, words, "{result}");
        // Within 1e-5 of every word, and so within 1e-5 max(|want|, 1).
        assert!(result.max_abs_error <= 1e-5, "{result}");
    }
}

#[test]
fn the_ir_does_not_grow_with_the_pixel_count() {
    // Ops other than constants: how many constants there are depends on
    // which addresses happen to coincide.
    let ops = |size: i64| {
        let shape = Shape {
            cin_per_group: 4,
            cout_per_group: 8,
            groups: 1,
            kernel: 3,
            stride: 1,
            pad: 1,
            size,
            bias: true,
            activation: Activation::Relu,
        };
        let context = Context::new().unwrap();
        let mut module = context.parse(&shape.mlir(), "layer.mlir").unwrap();
        on_chip(&module, 16, 1, 1);
        run(&mut module, "rram-tile,rram-place,rram-sync");
        module.operations().iter().filter(|op| op.name() != "arith.constant").count()
    };
    // The remainder of a batch of hand-offs comes and goes with the pixel
    // count, so sizes differ by a few ops per core, not by a factor.
    let small = ops(12);
    for size in [56, 224, 448] {
        assert!(ops(size) <= small + small / 2, "{size}x{size}: {} ops, 12x12: {small}", ops(size));
    }
}

/// A core program by hand, translated.
fn translate(body: &str) -> Result<Vec<CoreProgram>, String> {
    let text = format!("func.func @core_0() attributes {{msg.core = 0 : i64}} {{\n{body}\n  return\n}}\n");
    let context = Context::new().unwrap();
    let module = context.parse(&text, "core.mlir").map_err(|e| e.to_string())?;
    lower_msg::program(&module).map(|p| p.cores).map_err(|e| e.to_string())
}

#[test]
fn loops_and_affine_arithmetic_become_the_instruction_set() {
    let cores = translate(
        r#"  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c10 = arith.constant 10 : index
  %c100 = arith.constant 100 : index
  scf.for %i = %c3 to %c10 step %c2 {
    scf.for %j = %c2 to %c3 step %c3 {
      %a = arith.muli %c3, %i : index
      %b = arith.subi %a, %j : index
      %d = arith.addi %c100, %b : index
      %e = arith.subi %d, %i : index
      "msg.wait"(%e) : (index) -> ()
    }
  }
  "msg.halt"() : () -> ()"#,
    )
    .unwrap();
    // i = 3 + 2*i0 (4 trips), j = 2 + 3*i1 (1 trip): 100 + 3i - j - i = 104 + 4*i0 - 3*i1.
    let expected = "LOOP i0, 4\n  LOOP i1, 1\n    WAIT 104+4*i0-3*i1\n  END\nEND\nHALT\n";
    let text = rram_isa::print_core(&cores[0]);
    assert!(text.ends_with(expected), "{text}");
}

#[test]
fn what_the_instruction_set_cannot_say_is_an_error_at_the_op() {
    let cases = [
        (
            "  %c4 = arith.constant 4 : index\n  %d = arith.divui %c4, %c4 : index\n  \"msg.wait\"(%d) : (index) -> ()",
            "core.mlir:3:8: error: 'arith.divui' op computes operand 'value' of 'msg.wait', which must be affine",
        ),
        (
            "  %c0 = arith.constant 0 : index\n  %c4 = arith.constant 4 : index\n  scf.for %i = %c0 to %c4 step %c4 {\n    %s = arith.muli %i, %i : index\n    \"msg.wait\"(%s) : (index) -> ()\n  }",
            "core.mlir:5:10: error: 'arith.muli' op computes operand 'value' of 'msg.wait', which must be affine in the loop counters: it multiplies two loop-dependent values",
        ),
        (
            "  %c0 = arith.constant 0 : index\n  %c4 = arith.constant 4 : index\n  scf.for %i = %c0 to %c4 step %c4 {\n    scf.for %j = %c0 to %i step %c4 {\n    }\n  }",
            "core.mlir:5:5: error: 'scf.for' op has the upper bound 4*i0: a hardware loop's bounds and step are constants",
        ),
        (
            "  %c0 = arith.constant 0 : index\n  %c4 = arith.constant 4 : index\n  scf.for %i = %c0 to %c4 step %c4 {\n    scf.for %j = %c0 to %c4 step %c4 {\n    } {msg.var = \"p\"}\n  } {msg.var = \"p\"}",
            "core.mlir:5:5: error: 'scf.for' op reuses the loop variable 'p' of an enclosing loop",
        ),
        (
            "  %c0 = arith.constant 0 : index\n  scf.for unsigned %i = %c0 to %c0 step %c0 {\n  }",
            "core.mlir:3:3: error: 'scf.for' op compares its bounds unsigned: a hardware loop's are signed",
        ),
        (
            "  %c0 = arith.constant 0 : index\n  %c4 = arith.constant 4 : index\n  scf.for %i = %c4 to %c0 step %c0 {\n  }",
            "core.mlir:4:3: error: 'scf.for' op has the step 0: it must be positive",
        ),
        (
            "  %c = arith.constant 9223372036854775807 : index\n  %s = arith.addi %c, %c : index\n  \"msg.wait\"(%s) : (index) -> ()",
            "core.mlir:3:8: error: 'arith.addi' op computes operand 'value' of 'msg.wait', which must be affine in the loop counters: it overflows 64 bits",
        ),
        (
            "  %c = arith.constant 4 : i32\n  %v = arith.index_cast %c : i32 to index\n  \"msg.wait\"(%v) : (index) -> ()",
            "core.mlir:3:8: error: 'arith.index_cast' op computes operand 'value' of 'msg.wait', which must be affine in the loop counters: only arith.constant, addi, subi and muli by a constant are",
        ),
    ];
    for (body, expected) in cases {
        let message = translate(body).err().unwrap_or_default();
        assert!(message.contains(expected), "expected '{expected}', got '{message}'");
    }
}

#[test]
fn a_core_that_calls_its_role_runs_the_role_with_its_arguments() {
    let text = r#"func.func @role_0(%out: index, %next: index) attributes {msg.role} {
  "msg.crossbar"() {crossbar = 0 : i64, rows = 4 : i64, cols = 2 : i64} : () -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %p = %c0 to %c4 step %c1 {
    %a = arith.muli %p, %c4 : index
    %at = arith.addi %a, %out : index
    "msg.store"(%at, %c0) {class = "partial", n = 2 : i64} : (index, index) -> ()
    "msg.call"(%next, %p) : (index, index) -> ()
  } {msg.var = "p"}
  return
}
func.func @core_5() attributes {msg.core = 5 : i64} {
  %c100 = arith.constant 100 : index
  %c6 = arith.constant 6 : index
  func.call @role_0(%c100, %c6) : (index, index) -> ()
  return
}
"#;
    let context = Context::new().unwrap();
    let module = context.parse(text, "roles.mlir").unwrap();
    let program = lower_msg::program(&module).unwrap();
    assert_eq!(program.cores.len(), 1, "a role is no core's program");
    let printed = rram_isa::print_core(&program.cores[0]);
    assert_eq!(
        printed, ".core 5\n.xbar 0 4x2\nLOOP p, 4\n  STORE s[100+4*p], l[0], 2, partial\n  CALL c6, p\nEND\n",
        "{printed}"
    );
}

#[test]
fn roles_and_signalled_cores_that_the_instruction_set_cannot_say_are_errors_at_the_op() {
    let role =
        "func.func @role_0(%x: index) attributes {msg.role} {\n  \"msg.wait\"(%x) : (index) -> ()\n  return\n}\n";
    let cases = [
        (
            "func.func @core_1() attributes {msg.core = 1 : i64} {\n  return\n}\nfunc.func @core_0() attributes {msg.core = 0 : i64} {\n  func.call @core_1() : () -> ()\n  return\n}\n".to_string(),
            "calls.mlir:5:3: error: 'func.call' op calls @core_1, which is not a role (a func.func with 'msg.role')",
        ),
        (
            format!("{role}func.func @core_0() attributes {{msg.core = 0 : i64}} {{\n  %c0 = arith.constant 0 : index\n  %c2 = arith.constant 2 : index\n  scf.for %i = %c0 to %c2 step %c2 {{\n    func.call @role_0(%i) : (index) -> ()\n  }}\n  return\n}}\n"),
            "calls.mlir:9:5: error: 'func.call' op must be directly in a core's program: a role calls no other",
        ),
        (
            "func.func @core_0() attributes {msg.core = 0 : i64} {\n  %c0 = arith.constant 0 : index\n  %c2 = arith.constant 2 : index\n  scf.for %i = %c0 to %c2 step %c2 {\n    \"msg.call\"(%i, %c0) : (index, index) -> ()\n  } {msg.var = \"p\"}\n  return\n}\n".to_string(),
            "calls.mlir:5:5: error: 'msg.call' op signals core 2*p: it must be a constant core number",
        ),
    ];
    for (text, expected) in cases {
        let context = Context::new().unwrap();
        let message = match context.parse(&text, "calls.mlir") {
            Ok(module) => lower_msg::program(&module).err().map(|e| e.to_string()).unwrap_or_default(),
            Err(error) => error.to_string(),
        };
        assert!(message.contains(expected), "expected '{expected}', got '{message}'");
    }
}
