//! Properties of the passes over randomly shaped layers.

use proptest::prelude::*;
use rram_arch::Architecture;
use rram_dialects::{Context, Module};
use rram_passes::tiling::{plan, KernelMatrix, Tile};
use rram_passes::{DuplicateLayers, FoldBatchnorm, Pass, PassOptions, Place, TileLayers, VerifyShapes};

/// A conv layer's geometry; `out_hw` is computed by the test, independently
/// of the dialect's shape inference.
#[derive(Debug, Clone)]
struct Conv {
    cin_per_group: i64,
    cout_per_group: i64,
    groups: i64,
    kernel: i64,
    stride: i64,
    pad: i64,
    input_hw: i64,
    bias: bool,
}

impl Conv {
    fn out_hw(&self) -> i64 {
        (self.input_hw + 2 * self.pad - self.kernel) / self.stride + 1
    }

    fn module(&self, declared_out_hw: i64) -> String {
        let (cin, cout, g) = (self.cin_per_group * self.groups, self.cout_per_group * self.groups, self.groups);
        let (k, s, p, hw) = (self.kernel, self.stride, self.pad, self.input_hw);
        let input = format!("tensor<1x{cin}x{hw}x{hw}xf32>");
        let weight = format!("tensor<{cout}x{}x{k}x{k}xf32>", self.cin_per_group);
        let output = format!("tensor<1x{cout}x{declared_out_hw}x{declared_out_hw}xf32>");
        let channel = format!("tensor<{cout}xf32>");
        let (bias_operand, bias_type) = if self.bias { (", %b", format!(", {channel}")) } else { ("", String::new()) };
        format!(
            r#"func.func @main(%x: {input}) -> {output} {{
  %w = "nn.weight"() {{name = "conv.weight"}} : () -> {weight}
  %b = "nn.weight"() {{name = "conv.bias"}} : () -> {channel}
  %g = "nn.weight"() {{name = "bn.weight"}} : () -> {channel}
  %be = "nn.weight"() {{name = "bn.bias"}} : () -> {channel}
  %m = "nn.weight"() {{name = "bn.running_mean"}} : () -> {channel}
  %v = "nn.weight"() {{name = "bn.running_var"}} : () -> {channel}
  %c = "nn.conv2d"(%x, %w{bias_operand}) {{strides = array<i64: {s}, {s}>, pads = array<i64: {p}, {p}, {p}, {p}>, dilations = array<i64: 1, 1>, groups = {g} : i64}} : ({input}, {weight}{bias_type}) -> {output}
  %n = "nn.batchnorm"(%c, %g, %be, %m, %v) {{epsilon = 1.0e-05 : f32}} : ({output}, {channel}, {channel}, {channel}, {channel}) -> {output}
  %r = "nn.relu"(%n) : ({output}) -> {output}
  return %r : {output}
}}"#
        )
    }
}

fn conv() -> impl Strategy<Value = Conv> {
    (1i64..5, 1i64..5, prop::sample::select(vec![1i64, 2, 4]), 1i64..4, 1i64..3, 0i64..2, 4i64..12, any::<bool>())
        .prop_map(|(cin_per_group, cout_per_group, groups, kernel, stride, pad, input_hw, bias)| Conv {
            cin_per_group,
            cout_per_group,
            groups,
            kernel,
            stride,
            pad,
            input_hw,
            bias,
        })
}

fn count(module: &Module, name: &str) -> usize {
    module.operations_named(name).len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn folding_keeps_the_layer_valid_and_removes_every_batchnorm(conv in conv()) {
        let context = Context::new().unwrap();
        let mut module = context.parse(&conv.module(conv.out_hw()), "layer.mlir").unwrap();
        let relu_input_type = |m: &Module| m.operations_named("nn.relu")[0].operand(0).unwrap().ty().to_string();
        let before = relu_input_type(&module);
        let conv_attributes = |m: &Module| {
            let c = m.operations_named("nn.conv2d")[0];
            ["strides", "pads", "dilations", "groups"].map(|a| c.attribute(a).unwrap().to_string())
        };
        let attributes_before = conv_attributes(&module);

        FoldBatchnorm.run(&mut module).unwrap();
        module.verify().unwrap();
        VerifyShapes.run(&mut module).unwrap();

        prop_assert_eq!(count(&module, "nn.batchnorm"), 0);
        prop_assert_eq!(count(&module, "nn.conv2d"), 1);
        prop_assert_eq!(relu_input_type(&module), before);
        prop_assert_eq!(conv_attributes(&module), attributes_before);
        let folded = module.operations_named("nn.conv2d")[0];
        prop_assert_eq!(folded.operand_count(), 3, "the folded conv always has a bias");
        let weight = folded.operand(1).unwrap().defining_op().unwrap();
        prop_assert_eq!(weight.name(), "nn.scale_channels");
        let original = weight.operand(0).unwrap().defining_op().unwrap();
        prop_assert_eq!(original.attribute("name").unwrap().as_string().unwrap(), "conv.weight");
        // Folding twice changes nothing: there is no batchnorm left to fold.
        let once = module.print();
        FoldBatchnorm.run(&mut module).unwrap();
        prop_assert_eq!(module.print(), once);
    }

    #[test]
    fn tiling_writes_the_plan_and_keeps_the_layer_valid(
        conv in conv(), xbar in prop::sample::select(vec![8i64, 16, 32]), slices in 1i64..4,
    ) {
        let context = Context::new().unwrap();
        let mut module = context.parse(&conv.module(conv.out_hw()), "layer.mlir").unwrap();
        let text = format!("rows={xbar} cols={xbar} slices={slices}");
        let pass = TileLayers::from_options(&PassOptions::parse(&text).unwrap()).unwrap();
        pass.run(&mut module).unwrap();
        module.verify().unwrap();
        VerifyShapes.run(&mut module).unwrap();
        prop_assert_eq!(count(&module, "nn.conv2d"), 0);
        prop_assert_eq!(count(&module, "xbar.bias"), usize::from(conv.bias));
        let weight = [conv.cout_per_group * conv.groups, conv.cin_per_group, conv.kernel, conv.kernel];
        let expected = plan(&KernelMatrix::conv(weight, conv.groups, slices).unwrap(), xbar, xbar);
        let array = |op: &rram_dialects::Op, name: &str| {
            let v = op.attribute(name).unwrap().as_i64_array().unwrap();
            [v[0], v[1]]
        };
        let int = |op: &rram_dialects::Op, name: &str| op.attribute(name).unwrap().as_i64().unwrap();
        let tiles: Vec<Tile> = module
            .operations_named("xbar.tile")
            .iter()
            .map(|t| Tile { h: int(t, "h"), v: int(t, "v"), rows: array(t, "rows"), cols: array(t, "cols") })
            .collect();
        prop_assert_eq!(tiles, expected.tiles);
        prop_assert_eq!(count(&module, "xbar.mvm"), expected.h as usize * expected.v as usize);
        prop_assert_eq!(count(&module, "xbar.accumulate"), expected.v as usize);
    }

    #[test]
    fn placement_fills_distinct_crossbars_or_says_it_cannot(conv in conv(), cores in 1i64..40, crossbars in 1i64..4) {
        let context = Context::new().unwrap();
        let mut module = context.parse(&conv.module(conv.out_hw()), "layer.mlir").unwrap();
        let options = |text: &str| PassOptions::parse(text).unwrap();
        TileLayers::from_options(&options("rows=16 cols=16 slices=2")).unwrap().run(&mut module).unwrap();
        let int = |op: &rram_dialects::Op, name: &str| op.attribute(name).unwrap().as_i64().unwrap();
        let grid = &module.operations_named("xbar.grid")[0];
        let (h, v) = (int(grid, "h"), int(grid, "v"));
        // A group of several tiles takes cores of its own; single tiles share.
        let needed = if h > 1 { v * ((h + crossbars - 1) / crossbars) } else { (v + crossbars - 1) / crossbars };
        let place = Place::from_options(&options(&format!("cores={cores} crossbars={crossbars}"))).unwrap();
        match place.run(&mut module) {
            Err(error) => {
                prop_assert!(needed > cores, "{}", error);
                let expected = if crossbars == 1 {
                    format!("needs {needed} crossbars, {cores} available")
                } else {
                    format!("needs {needed} cores of {crossbars} crossbars for its {} tiles", h * v)
                };
                prop_assert!(error.to_string().contains(&expected), "{}", error);
            }
            Ok(()) => {
                prop_assert!(needed <= cores);
                module.verify().unwrap();
                let mut used = std::collections::HashSet::new();
                let mut groups = std::collections::HashMap::new();
                for tile in module.operations_named("xbar.tile") {
                    let (core, crossbar) = (int(&tile, "core"), int(&tile, "crossbar"));
                    prop_assert!(core < cores && crossbar < crossbars);
                    prop_assert!(used.insert((core, crossbar)), "crossbar {crossbar} of core {core} holds two tiles");
                    // Crossbar c of a core holds tile h0 + c of one group, or single tiles.
                    let (tile_h, tile_v) = (int(&tile, "h"), int(&tile, "v"));
                    let key = if h > 1 { Some((tile_v, tile_h - crossbar)) } else { None };
                    let first = *groups.entry(core).or_insert(key);
                    prop_assert_eq!(first, key, "core {} mixes groups", core);
                }
            }
        }
    }

    #[test]
    fn verify_shapes_accepts_exactly_the_computed_output(conv in conv(), delta in -2i64..3) {
        let declared = conv.out_hw() + delta;
        prop_assume!(declared > 0);
        let context = Context::new().unwrap();
        let mut module = context.parse(&conv.module(declared), "layer.mlir").unwrap();
        let result = VerifyShapes.run(&mut module);
        if delta == 0 {
            prop_assert!(result.is_ok(), "{:?}", result.err().map(|e| e.to_string()));
        } else {
            let message = result.unwrap_err().to_string();
            prop_assert!(message.starts_with("layer.mlir:8:"), "{}", message);
            prop_assert!(message.contains("'nn.conv2d' op result shape"), "{}", message);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every replica holds each of the layer's tiles exactly once, on cores
    /// of its own, and all replicas fit the budget's cores.
    #[test]
    fn duplication_copies_every_tile_once_per_replica_within_the_budget(
        conv in conv(), spare in 0i64..24, crossbars in 1i64..4, greedy in any::<bool>()
    ) {
        let context = Context::new().unwrap();
        let mut module = context.parse(&conv.module(conv.out_hw()), "layer.mlir").unwrap();
        let options = |text: &str| PassOptions::parse(text).unwrap();
        TileLayers::from_options(&options("rows=16 cols=16 slices=2")).unwrap().run(&mut module).unwrap();
        let int = |op: &rram_dialects::Op, name: &str| op.attribute(name).unwrap().as_i64().unwrap();
        let array = |op: &rram_dialects::Op, name: &str| op.attribute(name).unwrap().as_i64_array().unwrap();
        let tile_of = |t: &rram_dialects::Op| (int(t, "h"), int(t, "v"), array(t, "rows"), array(t, "cols"));
        let original: Vec<_> = module.operations_named("xbar.tile").iter().map(tile_of).collect();
        // One replica needs as many cores as placing the layer takes.
        Place::from_options(&options(&format!("cores=100000 crossbars={crossbars}"))).unwrap().run(&mut module).unwrap();
        let needed = module.operations_named("xbar.tile").iter().map(|t| int(t, "core")).max().unwrap() + 1;
        let budget = needed + spare;
        let mut chip = Architecture::default();
        chip.core.crossbars = crossbars as u32;
        let mode = if greedy { "greedy" } else { "exact" };
        let duplicate = DuplicateLayers::from_options(&options(&format!("mode={mode} budget={budget}")), &chip).unwrap();
        duplicate.run(&mut module).unwrap();
        let place = Place::from_options(&options(&format!("cores={budget} crossbars={crossbars}"))).unwrap();
        place.run(&mut module).unwrap();
        module.verify().unwrap();
        let replicas = int(&module.operations_named("xbar.grid")[0], "replicas");
        prop_assert!(replicas >= 1 && replicas <= conv.out_hw());
        let mut cores_of_replica = std::collections::HashMap::new();
        for r in 0..replicas {
            let tiles: Vec<_> = module.operations_named("xbar.tile").into_iter().filter(|t| int(t, "replica") == r).collect();
            prop_assert_eq!(tiles.iter().map(tile_of).collect::<Vec<_>>(), original.clone(), "replica {}", r);
            for tile in &tiles {
                let owner = *cores_of_replica.entry(int(tile, "core")).or_insert(r);
                prop_assert_eq!(owner, r, "core {} holds tiles of two replicas", int(tile, "core"));
            }
        }
    }
}
