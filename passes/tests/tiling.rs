//! The tiling plan: every weight on exactly one crossbar cell, no crossbar
//! overfilled, horizontal groups as small as the crossbar allows; for conv
//! and dense layers alike. The plan's size and the cores it takes are known
//! without listing its tiles, also for layers far too large to list. And
//! `rram-tile` on dense layers writes the plan.

use proptest::prelude::*;
use rram_dialects::{Context, Op};
use rram_passes::tiling::{core_slots, plan, plan_size, Chip, KernelMatrix, SlotCursor, Tile, TilePlan};
use rram_passes::{Pass, PassOptions, TileLayers, VerifyShapes};

fn overlap(a: [i64; 2], b: [i64; 2]) -> i64 {
    (a[1].min(b[1]) - a[0].max(b[0])).max(0)
}

/// Checks the plan's invariants; returns why it is wrong, if it is.
fn check(matrix: &KernelMatrix, xbar: [i64; 2], plan: &TilePlan) -> Result<(), String> {
    for t in &plan.tiles {
        if t.rows[1] - t.rows[0] > xbar[0] || t.cols[1] - t.cols[0] > xbar[1] {
            return Err(format!("{t:?} overfills a {xbar:?} crossbar"));
        }
        if !(0 <= t.rows[0] && t.rows[0] < t.rows[1] && t.rows[1] <= matrix.rows()) {
            return Err(format!("{t:?} rows outside the matrix"));
        }
        if !(0 <= t.cols[0] && t.cols[0] < t.cols[1] && t.cols[1] <= matrix.cols()) {
            return Err(format!("{t:?} cols outside the matrix"));
        }
        if t.cols[0] % matrix.slices != 0 || t.cols[1] % matrix.slices != 0 {
            return Err(format!("{t:?} splits a weight's slices"));
        }
        if t.h >= plan.h || t.v >= plan.v {
            return Err(format!("{t:?} outside the {}x{} grid", plan.h, plan.v));
        }
    }
    for (i, a) in plan.tiles.iter().enumerate() {
        for b in &plan.tiles[i + 1..] {
            if overlap(a.rows, b.rows) * overlap(a.cols, b.cols) > 0 {
                return Err(format!("{a:?} and {b:?} overlap"));
            }
            if (a.h, a.v) == (b.h, b.v) {
                return Err(format!("{a:?} and {b:?} share a grid position"));
            }
        }
    }
    // Disjoint tiles whose overlaps with each diagonal block add up to the
    // block cover every weight exactly once.
    for g in 0..matrix.groups {
        let rows = [g * matrix.rows_per_group, (g + 1) * matrix.rows_per_group];
        let cols = [g * matrix.cols_per_group, (g + 1) * matrix.cols_per_group];
        let covered: i64 = plan.tiles.iter().map(|t| overlap(t.rows, rows) * overlap(t.cols, cols)).sum();
        if covered != matrix.rows_per_group * matrix.cols_per_group {
            return Err(format!("group {g}: {covered} of its cells are on crossbars"));
        }
    }
    if plan.tiles.len() as i64 != plan.h * plan.v {
        return Err(format!("{} tiles in a {}x{} grid", plan.tiles.len(), plan.h, plan.v));
    }
    Ok(())
}

fn slices() -> impl Strategy<Value = i64> {
    prop::sample::select(vec![1i64, 2, 4, 8])
}

fn crossbars() -> impl Strategy<Value = [i64; 2]> {
    let side = prop::sample::select(vec![16i64, 32, 64, 128, 256]);
    (side.clone(), side).prop_map(|(rows, cols)| [rows, cols])
}

/// Conv layers, half of them depthwise-like, and dense layers.
fn matrices() -> impl Strategy<Value = (KernelMatrix, [i64; 2])> {
    let conv = (1i64..5, 1i64..65, 1i64..300, 1i64..200, slices()).prop_map(|(kernel, groups, cin, cout, slices)| {
        // Half the layers depthwise-like (one input channel per group).
        let cin_per_group = if cin % 2 == 0 { 1 } else { cin };
        KernelMatrix::conv([cout * groups, cin_per_group, kernel, kernel], groups, slices).unwrap()
    });
    let dense =
        (1i64..1200, 1i64..1200, slices()).prop_map(|(m, k, slices)| KernelMatrix::dense([m, k], slices).unwrap());
    (prop_oneof![conv, dense], crossbars())
}

proptest! {
    #[test]
    fn every_weight_is_on_exactly_one_cell_and_no_crossbar_overfills((matrix, xbar) in matrices()) {
        let plan = plan(&matrix, xbar[0], xbar[1]);
        // The pairwise checks are quadratic: keep the layers they see small.
        prop_assume!(plan.tiles.len() <= 400);
        prop_assert!(check(&matrix, xbar, &plan).is_ok(), "{:?}", check(&matrix, xbar, &plan));
    }

    #[test]
    fn horizontal_groups_are_as_short_as_the_crossbar_allows((matrix, xbar) in matrices()) {
        let plan = plan(&matrix, xbar[0], xbar[1]);
        let usable = xbar[1] / matrix.slices * matrix.slices;
        let fits = matrix.rows_per_group <= xbar[0] && matrix.cols_per_group <= usable;
        if matrix.groups > 1 && fits {
            // Packed: as many groups per crossbar as fit, so as few tiles as possible.
            let per_tile = (xbar[0] / matrix.rows_per_group).min(usable / matrix.cols_per_group);
            prop_assert_eq!((plan.h, plan.groups_per_tile), (1, per_tile));
            prop_assert_eq!(plan.v, (matrix.groups + per_tile - 1) / per_tile);
        } else {
            prop_assert_eq!(plan.h, (matrix.rows_per_group + xbar[0] - 1) / xbar[0]);
        }
    }
}

proptest! {
    #[test]
    fn the_plan_size_is_the_planned_grid((matrix, xbar) in matrices()) {
        let plan = plan(&matrix, xbar[0], xbar[1]);
        let size = plan_size(&matrix, xbar[0], xbar[1]);
        prop_assert_eq!((size.h, size.v, size.groups_per_tile), (plan.h, plan.v, plan.groups_per_tile));
        prop_assert_eq!(size.tiles(), Some(plan.tiles.len() as i64));
    }

    #[test]
    fn the_slot_cursor_ends_where_core_slots_do(
        layers in prop::collection::vec(matrices(), 1..4), crossbars in 1i64..5,
    ) {
        let plans: Vec<TilePlan> = layers.iter().map(|(matrix, xbar)| plan(matrix, xbar[0], xbar[1])).collect();
        let tiles: Vec<(usize, i64, i64)> = plans
            .iter()
            .enumerate()
            .flat_map(|(layer, plan)| plan.tiles.iter().map(move |t| (layer, t.h, plan.h)))
            .collect();
        let slots = core_slots(tiles.iter().copied(), crossbars);
        // A core serves one layer.
        for pair in tiles.iter().zip(&slots).collect::<Vec<_>>().windows(2) {
            let [(a, (core_a, _)), (b, (core_b, _))] = pair else { unreachable!() };
            prop_assert!(a.0 == b.0 || core_a < core_b, "layers {} and {} share core {core_b}", a.0, b.0);
        }
        let mut cursor = SlotCursor::default();
        for (matrix, xbar) in &layers {
            cursor.advance(plan_size(matrix, xbar[0], xbar[1]), crossbars).unwrap();
        }
        prop_assert_eq!(cursor.tiles, slots.len() as i64);
        prop_assert_eq!(cursor.cores_used(), slots.iter().map(|&(core, _)| core + 1).max().unwrap_or(0));
    }
}

#[test]
fn kernel_matrices_beyond_64_bits_are_errors_naming_the_weight() {
    let message = KernelMatrix::conv([4, i64::MAX / 2, 3, 3], 1, 4).unwrap_err();
    assert!(message.contains(&format!("weight [4, {}, 3, 3]", i64::MAX / 2)), "{message}");
    assert!(KernelMatrix::conv([1 << 40, 1, 1, 1], 1, 1 << 30).is_err());
    assert!(KernelMatrix::dense([i64::MAX, 2], 4).unwrap_err().contains("more columns than fit in 64 bits"));
}

#[test]
fn a_huge_layer_is_measured_and_rejected_without_listing_its_tiles() {
    // A 2^20 x 2^20 kernel matrix: 2^26 tiles of 128 x 128 cells with 1 slice.
    let matrix = KernelMatrix::dense([1 << 20, 1 << 20], 1).unwrap();
    let size = plan_size(&matrix, 128, 128);
    assert_eq!(size.tiles(), Some(1 << 26));
    let chip = Chip { cores: 1024, crossbars: 1 };
    let (layer, message) =
        chip.check_fit([plan_size(&KernelMatrix::dense([4, 4], 1).unwrap(), 128, 128), size]).unwrap_err();
    assert_eq!(layer, 1);
    assert_eq!(
        message,
        format!("the network needs {} crossbars, 1024 available (1024 cores x 1 crossbars)", (1 << 26) + 1)
    );
    // Tiles past i64: a matrix of 2^62 rows in one-row crossbars, twice.
    let tall = KernelMatrix::dense([1, 1 << 62], 1).unwrap();
    let (_, message) = Chip { cores: 1, crossbars: 1 }.check_fit([plan_size(&tall, 1, 1); 2]).unwrap_err();
    assert!(message.contains("more tiles than fit in 64 bits"), "{message}");
}

/// `rram-tile` on `y = W x (+ b)` with `x: [n, k]`, `W: [m, k]`: the tiles in
/// the IR are the plan's, every MVM is rank 2 with its tile's channels,
/// and the layer's result keeps its type.
fn tile_dense(n: i64, k: i64, m: i64, bias: bool, xbar: [i64; 2], slices: i64) -> Result<(), TestCaseError> {
    let (input, weight, output) =
        (format!("tensor<{n}x{k}xf32>"), format!("tensor<{m}x{k}xf32>"), format!("tensor<{n}x{m}xf32>"));
    let (bias_operand, bias_type) = if bias { (", %b", format!(", tensor<{m}xf32>")) } else { ("", String::new()) };
    let text = format!(
        r#"func.func @main(%x: {input}) -> {output} {{
  %w = "nn.weight"() {{name = "fc.weight"}} : () -> {weight}
  %b = "nn.weight"() {{name = "fc.bias"}} : () -> tensor<{m}xf32>
  %y = "nn.dense"(%x, %w{bias_operand}) : ({input}, {weight}{bias_type}) -> {output}
  %r = "nn.relu"(%y) : ({output}) -> {output}
  return %r : {output}
}}"#
    );
    let context = Context::new().unwrap();
    let mut module = context.parse(&text, "dense.mlir").unwrap();
    let options = PassOptions::parse(&format!("rows={} cols={} slices={slices}", xbar[0], xbar[1])).unwrap();
    TileLayers::from_options(&options).unwrap().run(&mut module).unwrap();
    module.verify().unwrap();
    VerifyShapes.run(&mut module).unwrap();

    let count = |name: &str| module.operations_named(name).len();
    prop_assert_eq!(count("nn.dense"), 0);
    prop_assert_eq!(count("xbar.bias"), usize::from(bias));
    let expected = plan(&KernelMatrix::dense([m, k], slices).unwrap(), xbar[0], xbar[1]);
    prop_assert_eq!(count("xbar.accumulate"), expected.v as usize);
    let int = |op: &Op, name: &str| op.attribute(name).unwrap().as_i64().unwrap();
    let pair = |op: &Op, name: &str| {
        let v = op.attribute(name).unwrap().as_i64_array().unwrap();
        [v[0], v[1]]
    };
    let mvms = module.operations_named("xbar.mvm");
    prop_assert_eq!(mvms.len(), expected.tiles.len());
    for (mvm, planned) in mvms.iter().zip(&expected.tiles) {
        let tile = mvm.operand(0).unwrap().defining_op().unwrap();
        let written =
            Tile { h: int(&tile, "h"), v: int(&tile, "v"), rows: pair(&tile, "rows"), cols: pair(&tile, "cols") };
        prop_assert_eq!(&written, planned);
        let channels = (planned.cols[1] - planned.cols[0]) / slices;
        prop_assert_eq!(mvm.result(0).unwrap().ty().static_shape(), Some(vec![n, channels]));
    }
    let relu = module.operations_named("nn.relu")[0];
    prop_assert_eq!(relu.operand(0).unwrap().ty().to_string(), output);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn tiling_a_dense_layer_writes_the_plan_and_keeps_its_type(
        n in 1i64..4, k in 1i64..200, m in 1i64..100, bias in any::<bool>(),
        side in prop::sample::select(vec![16i64, 32, 64]), slices in 1i64..5,
    ) {
        prop_assume!(slices <= side);
        tile_dense(n, k, m, bias, [side, side], slices)?;
    }
}

#[test]
fn the_check_itself_catches_a_missing_and_a_doubled_tile() {
    let matrix = KernelMatrix::conv([64, 64, 3, 3], 1, 4).unwrap();
    let mut plan = plan(&matrix, 128, 128);
    let last = plan.tiles.pop().unwrap();
    assert!(check(&matrix, [128, 128], &plan).is_err());
    plan.tiles.push(last);
    plan.tiles.push(Tile { h: 9, ..last });
    assert!(check(&matrix, [128, 128], &plan).is_err());
}

#[test]
fn known_layers() {
    // ResNet-18's 3x3 64 -> 64 conv with 4 slices per weight on 128x128:
    // 576 rows in 5 crossbars (PV = 5), 256 cells in 2 column blocks.
    let resnet = plan(&KernelMatrix::conv([64, 64, 3, 3], 1, 4).unwrap(), 128, 128);
    assert_eq!((resnet.h, resnet.v, resnet.tiles.len()), (5, 2, 10));
    assert_eq!(resnet.tiles[4], Tile { h: 4, v: 0, rows: [512, 576], cols: [0, 128] });
    // MobileNet's 3x3 depthwise over 32 channels: 9 x 4 blocks, 14 per crossbar.
    let depthwise = plan(&KernelMatrix::conv([32, 1, 3, 3], 32, 4).unwrap(), 128, 128);
    assert_eq!((depthwise.h, depthwise.v, depthwise.groups_per_tile), (1, 3, 14));
    assert_eq!(depthwise.tiles[2], Tile { h: 0, v: 2, rows: [252, 288], cols: [112, 128] });
    // A dense layer 512 -> 1000 on 256x256 with 2 slices: 2 x 8 tiles.
    let dense = plan(&KernelMatrix::dense([1000, 512], 2).unwrap(), 256, 256);
    assert_eq!((dense.h, dense.v), (2, 8));
    // LeNet-5's first dense layer 400 -> 120 on the default 128x128 with 4
    // slices: 400 rows in 4 crossbars, 480 cells in blocks of 32, 32, 32, 24 outputs.
    let lenet = plan(&KernelMatrix::dense([120, 400], 4).unwrap(), 128, 128);
    assert_eq!((lenet.h, lenet.v, lenet.tiles.len()), (4, 4, 16));
    assert_eq!(lenet.tiles[15], Tile { h: 3, v: 3, rows: [384, 400], cols: [384, 480] });
}
