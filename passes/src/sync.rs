//! `rram-sync{mode=sequential|linear|cyclic|auto exchange=shared-memory|forward explain=true}`
//! (xbar -> msg): turns a module whose function holds one tiled and placed
//! conv layer into one program per core that synchronizes the layer's
//! partial sums, in the scheme `mode` names (MISSION.md section 3; default
//! cyclic), exchanging them through shared memory or, in the linear
//! scheme, core to core (`exchange=forward`, `msg.put`). With `mode=auto`
//! the exchange cost model of the chip chooses the scheme it predicts
//! fastest among those the chip can run ([`crate::exchange`]);
//! `explain=true` reports every scheme's prediction.
//!
//! The layer is read back from what `rram-tile` and `rram-place` wrote:
//!
//! ```text
//! xbar.grid -> xbar.tile (core, crossbar) -> xbar.mvm -> xbar.accumulate per column block
//!   -> nn.concat of the blocks along channels -> xbar.bias (optional) -> nn.relu | nn.clip (optional) -> return
//! ```
//!
//! The schedule itself is [`crate::schedule::layer_program`], the single
//! source of truth: this pass rebuilds its inputs (the [`TilePlan`] from the
//! grid and tile attributes, checked to be `rram-tile`'s cut; the
//! [`Layer`]: pixels `N*OH*OW` of the MVM results, channels, slices =
//! matrix columns / channels, window = matrix rows, the activation fused
//! from a following relu or clip; the crossbars per core: the most tiles
//! the placement puts on one core, which must be as `rram-place` puts them,
//! see [`crate::schedule::core_tiles`]), moves the schedule's cores
//! (numbered in core order, crossbar `j` holding a core's `j`-th tile) onto
//! the placed `core` and `crossbar` of each tile, CALL and PUT targets
//! included, and writes every
//! instruction as one `msg` op ([`write_msg_program`], which writes a
//! whole network's programs too). The function is replaced by one
//! `func.func @core_N` per core, carrying `msg.core = N`; cores that run
//! the same code at other addresses share it as a role
//! ([`crate::roles`]: `func.func @role_K` with `msg.role`, which their
//! programs call with their own values), so that the IR grows with the
//! roles of a layer, about its `H`, more than with its cores; the module
//! records the layer (`msg.layer`) and where its data lives in shared
//! memory (`msg.input`, `msg.output`, `msg.bias`, each `array<i64:
//! address, words>`).
//!
//! Invariants: translating the programs back (`rram_compiler::lower_msg`)
//! gives exactly the schedule's program with its cores placed; loops stay
//! `scf.for` (named by `msg.var`), so the IR does not grow with the pixel
//! count; addresses and sequence values are `arith` index expressions of
//! the loop counters, each computed once per block. What the schedule does
//! not cover is an error located at the op, never a program that computes
//! something else: several layers or functions in a module, ops that are
//! not part of the layer, weight duplication (replicas), tiles that are not
//! `rram-tile`'s plan, tiles on cores otherwise than `rram-place` puts them
//! (tiles of two horizontal groups on one core).

use crate::exchange;
use crate::roles::{self, Role, PARAMETER_PREFIX};
use crate::schedule::{core_tiles, layer_program, Activation, Exchange, Layer, Scheme, SyncMode, UnsupportedExchange};
use crate::tiling::{plan, plan_size, KernelMatrix, TilePlan};
use crate::{Pass, PassOptions};
use rram_arch::Architecture;
use rram_dialects::msg::{
    MsgOp, CORE_ATTRIBUTE, LAYER_ATTRIBUTE, LAYOUT_ATTRIBUTES, LOOP_VAR_ATTRIBUTE, ROLE_ATTRIBUTE,
};
use rram_dialects::nn::{static_shape, NnOp};
use rram_dialects::xbar::{Grid, Tile};
use rram_dialects::{AttributeValue, Error, Module, Op, OpBuilder, OpId, Type, Value};
use rram_isa::{Affine, BinaryOp, Instr, Program, UnaryOp};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

pub struct Synchronize {
    /// The scheme, or `None` for the one the exchange cost model predicts
    /// fastest on `chip` ([`exchange::rank`]).
    pub scheme: Option<Scheme>,
    /// Report every scheme's prediction ([`Pass::remarks`]).
    pub explain: bool,
    pub chip: Architecture,
    /// What `explain` reports of the last run.
    explained: RefCell<Vec<String>>,
}

impl Synchronize {
    pub fn from_options(options: &PassOptions, chip: &Architecture) -> Result<Self, Error> {
        let explain = options.flag("rram-sync", "explain")?;
        let mode = match options.0.get("mode").map(String::as_str) {
            None | Some("cyclic") => SyncMode::Cyclic,
            Some("linear") => SyncMode::Linear,
            Some("sequential") => SyncMode::Sequential,
            Some("auto") => {
                if options.0.contains_key("exchange") {
                    return Err(Error::Pipeline(
                        "option 'exchange' of pass 'rram-sync': mode=auto chooses the exchange too".into(),
                    ));
                }
                let (explained, chip) = (RefCell::new(Vec::new()), chip.clone());
                return Ok(Synchronize { scheme: None, explain, chip, explained });
            }
            Some(other) => {
                return Err(Error::Pipeline(format!(
                    "option 'mode' of pass 'rram-sync' must be sequential, linear, cyclic or auto, got '{other}'"
                )))
            }
        };
        let exchange = match options.0.get("exchange").map(String::as_str) {
            None | Some("shared-memory") => Exchange::SharedMemory,
            Some("forward") if mode == SyncMode::Linear => Exchange::Forward,
            Some("forward") => {
                let error = UnsupportedExchange { mode };
                return Err(Error::Pipeline(format!("option 'exchange=forward' of pass 'rram-sync': {error}")));
            }
            Some(other) => {
                return Err(Error::Pipeline(format!(
                    "option 'exchange' of pass 'rram-sync' must be shared-memory or forward, got '{other}'"
                )))
            }
        };
        let (explained, chip) = (RefCell::new(Vec::new()), chip.clone());
        Ok(Synchronize { scheme: Some(Scheme { mode, exchange }), explain, chip, explained })
    }
}

impl Pass for Synchronize {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        let replaced = {
            let layer = TiledLayer::find(module)?;
            let crossbars = layer.placed.crossbars;
            // The predictions only when they choose or are reported.
            let ranked = match (self.scheme, self.explain) {
                (Some(_), false) => Vec::new(),
                _ => exchange::rank(&layer.layer, &layer.plan, crossbars, &self.chip),
            };
            let scheme = self.scheme.unwrap_or_else(|| ranked[0].0);
            if self.explain {
                let name = layer.grid.attribute("layer").and_then(|a| a.as_string()).unwrap_or_default();
                let (h, v, pixels) = (layer.plan.h, layer.plan.v, layer.layer.pixels);
                self.explained.borrow_mut().push(format!(
                    "rram-sync: layer '{name}' (h = {h}, v = {v}, {pixels} pixels) in {scheme}\n{}",
                    exchange::explain(&ranked, scheme)
                ));
            }
            let mut program = layer_program(&layer.layer, &layer.plan, scheme, crossbars, &|_| None, None)
                .map_err(|e| Error::Pipeline(format!("rram-sync: {e}")))?;
            layer.place(&mut program)?;
            let tiles: HashMap<u32, Op> = layer.placed.tiles.iter().rev().map(|p| (p.core, p.tile)).collect();
            write_msg_program(module, &program, &|core| tiles.get(&core).copied().unwrap_or(layer.grid))?;
            layer.record_layout(module)?;
            layer.function.id()
        };
        module.erase_if_unused(&[replaced]);
        Ok(())
    }

    fn remarks(&self, _module: &Module) -> Vec<String> {
        self.explained.take()
    }
}

/// Appends `program` to `module` as `msg` functions: cores whose programs
/// differ only in constants and in the cores they signal share a role
/// ([`roles::factor`]), written once as `func.func @role_K` (`msg.role`,
/// `K` in order of the roles' first cores) with their varying values as
/// arguments; every core then gets `func.func @core_N` (`msg.core = N`, in
/// the order of `program.cores`), which calls its role with its values, or
/// holds its own program when no other core shares it. Every op of a
/// core's function, and of a role's, is located at `at(N)` (for a role,
/// its first member's).
///
/// Invariants: `rram_compiler::lower_msg::program` of the module gives back
/// `program.cores` exactly, except the crossbars' weights, which stay
/// outside the IR (a crossbar is declared with its shape only), as does
/// `program.memory`; loops stay `scf.for` named by `msg.var`, so the IR
/// grows with the instructions and roles, never with loop counts. The
/// module must hold no function named `role_K` or `core_N` already, and no
/// other core programs (a core has one program per module); the caller
/// verifies it.
pub fn write_msg_program<'m>(
    module: &'m Module<'m>,
    program: &Program,
    at: &dyn Fn(u32) -> Op<'m>,
) -> Result<(), Error> {
    let factored = roles::factor(&program.cores);
    // Each core's role and arguments, for the cores that share one.
    let mut instances: HashMap<u32, (String, &[i64])> = HashMap::new();
    for (k, role) in factored.roles.iter().enumerate() {
        let name = format!("role_{k}");
        FunctionWriter::role(module, at(role.members[0].0), &name, role)?;
        for (core, arguments) in &role.members {
            instances.insert(*core, (name.clone(), arguments));
        }
    }
    for core in &program.cores {
        match instances.get(&core.core) {
            Some((role, arguments)) => FunctionWriter::instance(module, at(core.core), core.core, role, arguments)?,
            None => FunctionWriter::program(module, at(core.core), core)?,
        }
    }
    Ok(())
}

/// Where one tile of the plan was placed.
struct Placement<'m> {
    tile: Op<'m>,
    core: u32,
    crossbar: u32,
}

/// The layer of a module, as the schedule needs it.
struct TiledLayer<'m> {
    function: Op<'m>,
    grid: Op<'m>,
    name: String,
    layer: Layer,
    plan: TilePlan,
    placed: Placed<'m>,
}

/// How a layer's tiles were placed, as the schedule sees it.
struct Placed<'m> {
    /// One per tile, in plan order.
    tiles: Vec<Placement<'m>>,
    /// Crossbars per core: the most tiles the placement puts on one core.
    crossbars: i64,
    /// The tiles of each of the schedule's cores ([`core_tiles`]).
    cores: Vec<Range<usize>>,
}

fn fail(op: &Op, message: impl std::fmt::Display) -> Error {
    op.error(format!("rram-sync: {message}"))
}

/// What the pass handles, for error messages.
const HANDLED: &str = "rram-sync handles a module of one function holding one conv layer as rram-tile writes it \
                       (tiles, MVMs, accumulations, concats, optionally a bias), then optionally nn.relu or nn.clip";

impl<'m> TiledLayer<'m> {
    fn find(module: &'m Module) -> Result<Self, Error> {
        let function = the_function(module)?;
        let grid = match module.operations_named("xbar.grid").as_slice() {
            [] => return Err(fail(&function, "no tiled layer (xbar.grid): run rram-tile and rram-place first")),
            [grid] => *grid,
            [_, second, ..] => return Err(fail(second, format!("a second tiled layer: {HANDLED}"))),
        };
        let grid_view = Grid::read(&grid).map_err(|e| fail(&grid, e))?;
        if grid_view.replicas != 1 {
            return Err(fail(&grid, format!("replicas = {}: weight duplication is not supported", grid_view.replicas)));
        }
        let path = DataPath::follow(function, grid)?;
        let mut allowed: HashSet<OpId> = HashSet::from([grid.id()]);
        allowed.extend(path.tiles.iter().map(|(op, _)| op.id()));
        allowed.extend(path.ops.iter().map(Op::id));
        for op in function.body() {
            if !allowed.contains(&op.id()) && !is_weight_computation(&op) {
                return Err(fail(&op, format!("'{}' op is not part of the tiled layer: {HANDLED}", op.name())));
            }
        }
        let plan = check_plan(&grid, &grid_view, &path)?;
        let placed = place(&grid_view, &plan, &path)?;
        let output = static_shape(&path.output, "the layer's result").map_err(|e| fail(&grid, e))?;
        let partial = static_shape(&path.partial, "a partial sum").map_err(|e| fail(&grid, e))?;
        let channels = output[1];
        // The schedule's loop counts, word counts and addresses must fit the
        // instruction set's: checked here, since it computes them unchecked.
        let too_large = |what: String| Err(fail(&grid, format!("{what}: more than the instruction set can count")));
        let pixels = partial[0].checked_mul(partial[2]).and_then(|p| p.checked_mul(partial[3]));
        let Some(pixels) = pixels.filter(|p| *p <= i64::from(u32::MAX)) else {
            return too_large(format!("the output pixels of {partial:?} partial sums"));
        };
        if grid_view.xbar.iter().any(|&extent| extent > i64::from(u32::MAX)) {
            return too_large(format!("crossbars of {:?} cells", grid_view.xbar));
        }
        let window = grid_view.matrix[0];
        let words =
            window.checked_add(channels).and_then(|w| w.checked_mul(pixels)).and_then(|w| w.checked_add(channels));
        if words.is_none() {
            return too_large(format!("{pixels} pixels of {window}-word windows and {channels} channels"));
        }
        let layer = Layer {
            pixels,
            channels,
            slices: grid_view.matrix[1] / channels,
            window,
            bias: path.bias,
            activation: path.activation,
            requant: None,
        };
        Ok(TiledLayer { function, grid, name: grid_view.layer, layer, plan, placed })
    }

    /// Moves the schedule's programs, numbered in core order with crossbar
    /// `j` holding the core's `j`-th tile, onto the placed cores and
    /// crossbars.
    fn place(&self, program: &mut Program) -> Result<(), Error> {
        // The placement of a schedule core's `j`-th tile.
        let placed = |core: u32, j: u32| {
            let tiles = self.placed.cores.get(core as usize).filter(|tiles| (j as usize) < tiles.len());
            tiles.map(|tiles| &self.placed.tiles[tiles.start + j as usize])
        };
        for core in &mut program.cores {
            let number = core.core;
            let here = placed(number, 0)
                .ok_or_else(|| Error::Internal(format!("the schedule has a core {number} for no tile")))?;
            for crossbar in &mut core.crossbars {
                crossbar.index = placed(number, crossbar.index)
                    .ok_or_else(|| Error::Internal(format!("core {number} has a crossbar for no tile")))?
                    .crossbar;
            }
            core.core = here.core;
            renumber(&mut core.body, &|xbar| placed(number, xbar).map(|p| p.crossbar).ok_or(xbar), &|target| {
                placed(target, 0).map(|p| p.core).ok_or(target)
            })?;
        }
        Ok(())
    }

    fn record_layout(&self, module: &Module) -> Result<(), Error> {
        let layout = self.layer.layout();
        let (pixels, channels) = (self.layer.pixels, self.layer.channels);
        let regions = [
            Some([layout.inputs, pixels * self.layer.window]),
            Some([layout.outputs, pixels * channels]),
            self.layer.bias.then_some([layout.bias, channels]),
        ];
        let target = module.operation();
        target.set_attribute(LAYER_ATTRIBUTE, &AttributeValue::String(self.name.clone()))?;
        for ((name, _), region) in LAYOUT_ATTRIBUTES.iter().zip(regions) {
            if let Some(region) = region {
                target.set_attribute(name, &AttributeValue::I64Array(region.to_vec()))?;
            }
        }
        Ok(())
    }
}

/// The module's one function, which must not be a core program already.
fn the_function<'m>(module: &'m Module) -> Result<Op<'m>, Error> {
    let top = module.operation();
    let ops = top.body();
    let Some(function) = ops.first() else {
        return Err(fail(&top, "the module is empty"));
    };
    if let Some(other) = ops.iter().find(|op| op.name() != "func.func" || op.attribute(CORE_ATTRIBUTE).is_some()) {
        let what = if other.name() == "func.func" { "a core program already" } else { "not a function" };
        return Err(fail(other, format!("this op is {what}: {HANDLED}")));
    }
    if let Some(second) = ops.get(1) {
        return Err(fail(second, format!("a second function: {HANDLED}")));
    }
    Ok(*function)
}

/// Ops that compute weights (named weights, folded batchnorm factors and
/// biases): they do not depend on the function's arguments, and go away
/// with the function, their data staying outside the IR.
fn is_weight_computation(op: &Op) -> bool {
    let name = op.name();
    let weight_op =
        name == "nn.weight" || name == "nn.scale_channels" || name.starts_with("arith.") || name.starts_with("math.");
    weight_op && op.operands().iter().all(|v| v.defining_op().is_some())
}

/// The layer's dataflow, from the function's argument to its result.
struct DataPath<'m> {
    /// Tiles with their MVMs' results.
    tiles: Vec<(Op<'m>, Tile)>,
    /// MVMs, accumulations, concats, bias and activation.
    ops: Vec<Op<'m>>,
    /// One MVM result: `[N, channels, OH, OW]`.
    partial: Value<'m>,
    /// What the function returns.
    output: Value<'m>,
    /// Whether an `xbar.bias` follows the accumulations.
    bias: bool,
    activation: Activation,
}

impl<'m> DataPath<'m> {
    /// Follows the layer's values from its tiles to the function's return,
    /// requiring the structure `rram-tile` writes.
    fn follow(function: Op<'m>, grid: Op<'m>) -> Result<Self, Error> {
        let only_user = |value: Value<'m>, producer: &Op<'m>| match value.users().as_slice() {
            [user] => Ok(*user),
            users => Err(fail(producer, format!("its result must have exactly one use, it has {}", users.len()))),
        };
        let expect = |op: Op<'m>, name: &str| {
            if op.name() == name {
                Ok(op)
            } else {
                Err(fail(&op, format!("'{}' op is not part of the tiled layer: {HANDLED}", op.name())))
            }
        };
        let grid_result = grid.result(0).ok_or_else(|| fail(&grid, "has no result"))?;
        let input = function.body_arguments();
        let mut tiles = Vec::new();
        let mut ops = Vec::new();
        // Per column block, the MVM results with their tile's h.
        let mut blocks: HashMap<i64, Vec<(i64, Value<'m>)>> = HashMap::new();
        let mut partial = None;
        for tile_op in grid_result.users() {
            let tile = Tile::read(&tile_op).map_err(|e| fail(&tile_op, e))?;
            let tile_result = tile_op.result(0).ok_or_else(|| fail(&tile_op, "has no result"))?;
            let mvm = expect(only_user(tile_result, &tile_op)?, "xbar.mvm")?;
            match mvm.operand(1) {
                Some(x) if input.contains(&x) => {}
                _ => return Err(fail(&mvm, "the MVM must read the function's argument, the layer's input")),
            }
            let result = mvm.result(0).ok_or_else(|| fail(&mvm, "has no result"))?;
            if static_shape(&result, "result").map_err(|e| fail(&mvm, e))?.len() != 4 {
                return Err(fail(&mvm, "rram-sync handles conv layers, whose partial sums are [N, C, OH, OW]"));
            }
            blocks.entry(tile.v).or_default().push((tile.h, result));
            partial = Some(result);
            ops.push(mvm);
            tiles.push((tile_op, tile));
        }
        let partial = partial.ok_or_else(|| fail(&grid, "the grid has no tiles"))?;
        // Each column block accumulates its MVMs; the blocks are concatenated in order.
        let mut so_far: Option<Value<'m>> = None;
        for v in 0..blocks.len() as i64 {
            let block = blocks.get(&v).ok_or_else(|| fail(&grid, format!("no tile has v = {v}")))?;
            let (_, first) = block[0];
            let accumulate = expect(only_user(first, &first.defining_op().unwrap_or(grid))?, "xbar.accumulate")?;
            if accumulate.operands().len() != block.len()
                || !block.iter().all(|(_, p)| accumulate.operands().contains(p))
            {
                return Err(fail(&accumulate, format!("must add exactly the partial sums of column block {v}")));
            }
            let sum = accumulate.result(0).ok_or_else(|| fail(&accumulate, "has no result"))?;
            ops.push(accumulate);
            so_far = Some(match so_far {
                None => sum,
                Some(left) => {
                    let concat = expect(only_user(left, &left.defining_op().unwrap_or(grid))?, "nn.concat")?;
                    let along_channels = matches!(NnOp::read(&concat), Ok(Some(NnOp::Concat { axis: 1 })));
                    if !(along_channels && concat.operand(0) == Some(left) && concat.operand(1) == Some(sum)) {
                        return Err(fail(&concat, "must join the column blocks in order along channels (axis 1)"));
                    }
                    ops.push(concat);
                    concat.result(0).ok_or_else(|| fail(&concat, "has no result"))?
                }
            });
        }
        let mut value = so_far.ok_or_else(|| fail(&grid, "the grid has no tiles"))?;
        let next = |value: Value<'m>| only_user(value, &value.defining_op().unwrap_or(grid));
        let mut user = next(value)?;
        let bias = user.name() == "xbar.bias";
        if bias {
            ops.push(user);
            value = user.result(0).ok_or_else(|| fail(&user, "has no result"))?;
            user = next(value)?;
        }
        let activation = match NnOp::read(&user) {
            Ok(Some(NnOp::Relu)) => Activation::Relu,
            Ok(Some(NnOp::Clip { min, max })) => Activation::Clip { lo: min, hi: max },
            _ => Activation::None,
        };
        if activation != Activation::None {
            ops.push(user);
            value = user.result(0).ok_or_else(|| fail(&user, "has no result"))?;
            user = next(value)?;
        }
        let returned = expect(user, "func.return")?;
        if returned.operands() != [value] {
            return Err(fail(&returned, "the function must return the layer's result, and nothing else"));
        }
        ops.push(returned);
        Ok(DataPath { tiles, ops, partial, output: value, bias, activation })
    }
}

/// The plan `rram-tile` cuts for the grid: the tiles in the IR must be
/// exactly its tiles, which the schedule is written for.
fn check_plan(grid: &Op, view: &Grid, path: &DataPath) -> Result<TilePlan, Error> {
    let weight = grid.operand(0).ok_or_else(|| fail(grid, "has no weight"))?;
    let shape = static_shape(&weight, "weight").map_err(|e| fail(grid, e))?;
    let Ok(weight) = <[i64; 4]>::try_from(shape.as_slice()) else {
        return Err(fail(
            grid,
            format!("rram-sync handles conv layers, whose weight is [Cout, Cin/groups, Kh, Kw], got {shape:?}"),
        ));
    };
    let output = static_shape(&path.output, "the layer's result").map_err(|e| fail(grid, e))?;
    if output[1] != weight[0] || view.matrix[1] % weight[0] != 0 {
        return Err(fail(
            grid,
            format!("a {:?} matrix and a result of {} channels do not hold weight {shape:?}", view.matrix, output[1]),
        ));
    }
    let matrix = KernelMatrix::conv(weight, view.groups, view.matrix[1] / weight[0]).map_err(|e| fail(grid, e))?;
    // Sizes first, so that the plan listed is no larger than the IR's tiles.
    let size = plan_size(&matrix, view.xbar[0], view.xbar[1]);
    let same_size = [matrix.rows(), matrix.cols()] == view.matrix
        && (size.h, size.v) == (view.h, view.v)
        && size.tiles() == Some(path.tiles.len() as i64);
    let plan = same_size.then(|| plan(&matrix, view.xbar[0], view.xbar[1])).filter(|plan| {
        let in_ir: HashSet<_> = path.tiles.iter().map(|(_, ir)| (ir.h, ir.v, ir.rows, ir.cols)).collect();
        plan.tiles.iter().all(|t| in_ir.contains(&(t.h, t.v, t.rows, t.cols)))
    });
    plan.ok_or_else(|| {
        fail(
            grid,
            format!(
                "the tiles of layer '{}' are not rram-tile's cut of its {:?} matrix on {:?} crossbars, \
                 the only tilings rram-sync schedules",
                view.layer, view.matrix, view.xbar
            ),
        )
    })
}

/// Where each tile of the plan was placed, how many crossbars per core
/// that takes, and the schedule's cores: the placement must put tiles on
/// cores as `rram-place` does ([`core_tiles`]), one group's adjacent tiles
/// or single-tile groups per core, any core and crossbar numbers.
fn place<'m>(view: &Grid, plan: &TilePlan, path: &DataPath<'m>) -> Result<Placed<'m>, Error> {
    let mut placement: Vec<Placement<'m>> = Vec::new();
    // The first tile at each position, as the plan's tiles are unique.
    let by_position: HashMap<(i64, i64), &(Op<'m>, Tile)> =
        path.tiles.iter().rev().map(|entry| ((entry.1.h, entry.1.v), entry)).collect();
    for t in &plan.tiles {
        let Some((op, tile)) = by_position.get(&(t.h, t.v)) else {
            return Err(Error::Internal(format!("tile h = {}, v = {} vanished", t.h, t.v)));
        };
        let number = |value: i64| u32::try_from(value).map_err(|_| fail(op, format!("{value} is not a core number")));
        placement.push(Placement { tile: *op, core: number(tile.core)?, crossbar: number(tile.crossbar)? });
    }
    let mut sharing: HashMap<u32, Vec<usize>> = HashMap::new();
    for (index, p) in placement.iter().enumerate() {
        sharing.entry(p.core).or_default().push(index);
    }
    let crossbars = sharing.values().map(Vec::len).max().unwrap_or(1) as i64;
    let cores = core_tiles(plan, crossbars);
    let describe = |indices: &mut dyn Iterator<Item = usize>| {
        let names: Vec<String> = indices.map(|i| format!("h = {}, v = {}", plan.tiles[i].h, plan.tiles[i].v)).collect();
        names.join(" and ")
    };
    for tiles in &cores {
        let core = placement[tiles.start].core;
        let together = &sharing[&core];
        if together.len() != tiles.len() || together.iter().any(|index| !tiles.contains(index)) {
            let mut holders: Vec<u32> = tiles.clone().map(|index| placement[index].core).collect();
            holders.dedup();
            let held: Vec<String> = holders
                .iter()
                .map(|core| format!("core {core} holds {}", describe(&mut sharing[core].iter().copied())))
                .collect();
            return Err(fail(
                &placement[tiles.start].tile,
                format!(
                    "the tiles of layer '{}' are not on cores as rram-place puts them with {crossbars} crossbars per \
                     core (adjacent tiles of one horizontal group from h = 0, or single-tile groups): {} should \
                     share a core of their own, but {}",
                    view.layer,
                    describe(&mut tiles.clone()),
                    held.join(", ")
                ),
            ));
        }
        let mut used: Vec<u32> = together.iter().map(|&index| placement[index].crossbar).collect();
        used.sort_unstable();
        if let Some(pair) = used.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(fail(
                &placement[tiles.start].tile,
                format!("crossbar {} of core {core} holds two tiles", pair[0]),
            ));
        }
    }
    Ok(Placed { tiles: placement, crossbars, cores })
}

/// Renames crossbars and CALL targets throughout a program; each mapping
/// returns the name it cannot map as its error.
fn renumber(
    body: &mut [Instr],
    crossbar: &dyn Fn(u32) -> Result<u32, u32>,
    core: &dyn Fn(u32) -> Result<u32, u32>,
) -> Result<(), Error> {
    for instr in body {
        match instr {
            Instr::Mvm { xbar, .. } => {
                *xbar = crossbar(*xbar).map_err(|k| {
                    Error::Internal(format!("the schedule uses crossbar {k}, which it does not declare"))
                })?
            }
            Instr::Call { core: target, .. } | Instr::Put { core: target, .. } => {
                *target = core(*target)
                    .map_err(|c| Error::Internal(format!("the schedule calls core {c}, which holds no tile")))?
            }
            Instr::Loop { body, .. } => renumber(body, crossbar, core)?,
            _ => {}
        }
    }
    Ok(())
}

/// The `msg` op of an instruction and the affine values of its operands,
/// in the op's operand order (the core a CALL or PUT signals first); `None`
/// for a loop.
fn msg_op(instr: &Instr) -> Option<(MsgOp, Vec<Affine>)> {
    let core = |number: &u32| Affine::constant(i64::from(*number));
    Some(match instr {
        Instr::Load { local, shared, n, class } => {
            (MsgOp::Load { n: *n, class: class.name() }, vec![local.clone(), shared.clone()])
        }
        Instr::Store { shared, local, n, class } => {
            (MsgOp::Store { n: *n, class: class.name() }, vec![shared.clone(), local.clone()])
        }
        Instr::Mov { dst, src, n } => (MsgOp::Mov { n: *n }, vec![dst.clone(), src.clone()]),
        Instr::Mvm { xbar, dst, src } => (MsgOp::Mvm { crossbar: *xbar }, vec![dst.clone(), src.clone()]),
        Instr::Binary { op, dst, a, b, n } => {
            let n = *n;
            let msg = match op {
                BinaryOp::Add => MsgOp::Add { n },
                BinaryOp::Bias => MsgOp::Bias { n },
                BinaryOp::Max => MsgOp::Max { n },
            };
            (msg, vec![dst.clone(), a.clone(), b.clone()])
        }
        Instr::Unary { op, dst, a, n } => {
            let n = *n;
            let msg = match *op {
                UnaryOp::Relu => MsgOp::Relu { n },
                UnaryOp::Clip { lo, hi } => MsgOp::Clip { n, lo, hi },
                UnaryOp::Avg { count } => MsgOp::Avg { n, count },
                UnaryOp::Requant { shift } => MsgOp::Requant { n, shift },
            };
            (msg, vec![dst.clone(), a.clone()])
        }
        Instr::Put { core: target, dst, src, n, class, signal } => {
            (MsgOp::Put { n: *n, class: class.name() }, vec![core(target), dst.clone(), src.clone(), signal.clone()])
        }
        // Register 0 goes without saying: its operand is optional.
        Instr::Call { core: target, register, value } => {
            let register = (*register > 0).then(|| Affine::constant(i64::from(*register)));
            (MsgOp::Call, [core(target), value.clone()].into_iter().chain(register).collect())
        }
        Instr::Wait { register, value } => {
            let register = (*register > 0).then(|| Affine::constant(i64::from(*register)));
            (MsgOp::Wait, [value.clone()].into_iter().chain(register).collect())
        }
        Instr::Barrier { id } => (MsgOp::Barrier { id: *id }, Vec::new()),
        Instr::Halt => (MsgOp::Halt, Vec::new()),
        Instr::Loop { .. } => return None,
    })
}

/// An affine expression as a key: its constant and terms.
type AffineKey = (i64, Vec<(String, i64)>);

/// A block being filled: the op new ops go before (its terminator), the
/// loop counter it defines, and the expressions computed in it.
struct OpenBlock<'m> {
    end: Op<'m>,
    counter: Option<(String, Value<'m>)>,
    values: HashMap<AffineKey, Value<'m>>,
}

/// Writes one `func.func`: a core's program, a role, or a core's call of
/// its role.
struct FunctionWriter<'m> {
    module: &'m Module<'m>,
    /// Where every op of the function is located: a tile the core holds.
    at: Op<'m>,
    index: Type<'m>,
    /// The function's first op that is not a constant: constants go before
    /// it, so that they dominate every use.
    first: Option<Op<'m>>,
    constants: HashMap<i64, Value<'m>>,
    /// The function's body, then the loops around the current instruction.
    blocks: Vec<OpenBlock<'m>>,
    /// A role's parameters, `$k` being the `k`-th argument.
    parameters: Vec<Value<'m>>,
    /// A role's CALL and PUT targets, in program order (`None` outside a
    /// role, where the instructions name their cores).
    targets: Option<std::vec::IntoIter<Affine>>,
}

impl<'m> FunctionWriter<'m> {
    /// Starts the function `@name` with `arguments` index arguments and a
    /// marking attribute.
    fn start(
        module: &'m Module<'m>,
        at: Op<'m>,
        name: &str,
        marker: (&str, AttributeValue),
        arguments: usize,
    ) -> Result<Self, Error> {
        let index = module.parse_type("index")?;
        let function = module
            .build("func.func", &at)
            .attribute("sym_name", AttributeValue::String(name.to_string()))
            .attribute(
                "function_type",
                AttributeValue::Text(format!("({}) -> ()", vec!["index"; arguments].join(", "))),
            )
            .attribute(marker.0, marker.1)
            .body(&vec![index; arguments], "func.return")
            .append_to_module()?;
        let end = last_op(&function)?;
        Ok(FunctionWriter {
            module,
            at,
            index,
            first: None,
            constants: HashMap::new(),
            blocks: vec![OpenBlock { end, counter: None, values: HashMap::new() }],
            parameters: function.body_arguments(),
            targets: None,
        })
    }

    /// A core's program of its own.
    fn program(module: &'m Module<'m>, at: Op<'m>, core: &rram_isa::CoreProgram) -> Result<(), Error> {
        let marker = (CORE_ATTRIBUTE, AttributeValue::I64(i64::from(core.core)));
        let mut writer = FunctionWriter::start(module, at, &format!("core_{}", core.core), marker, 0)?;
        writer.declare(&core.crossbars)?;
        writer.instructions(&core.body)
    }

    /// The code the members of `role` share, with its parameters as arguments.
    fn role(module: &'m Module<'m>, at: Op<'m>, name: &str, role: &Role) -> Result<(), Error> {
        let marker = (ROLE_ATTRIBUTE, AttributeValue::Text("unit".into()));
        let arguments = role.members.first().map_or(0, |(_, arguments)| arguments.len());
        let mut writer = FunctionWriter::start(module, at, name, marker, arguments)?;
        writer.targets = Some(role.targets.clone().into_iter());
        writer.declare(&role.crossbars)?;
        writer.instructions(&role.body)
    }

    /// A core's program that runs its role with its arguments.
    fn instance(module: &'m Module<'m>, at: Op<'m>, core: u32, role: &str, arguments: &[i64]) -> Result<(), Error> {
        let marker = (CORE_ATTRIBUTE, AttributeValue::I64(i64::from(core)));
        let mut writer = FunctionWriter::start(module, at, &format!("core_{core}"), marker, 0)?;
        let mut call = module.build("func.call", &at).attribute("callee", AttributeValue::Text(format!("@{role}")));
        for &argument in arguments {
            call = call.operand(writer.constant(argument)?);
        }
        writer.insert(call)?;
        Ok(())
    }

    fn declare(&mut self, crossbars: &[rram_isa::Crossbar]) -> Result<(), Error> {
        for crossbar in crossbars {
            let declaration = MsgOp::Crossbar { crossbar: crossbar.index, rows: crossbar.rows, cols: crossbar.cols };
            with_attributes(self.module.build(declaration.name(), &self.at), &declaration)
                .insert_before(self.blocks[0].end)?;
        }
        Ok(())
    }

    fn instructions(&mut self, body: &[Instr]) -> Result<(), Error> {
        for instr in body {
            match (instr, msg_op(instr)) {
                (_, Some((msg, mut operands))) => {
                    // In a role, the cores signalled are the role's.
                    if let (MsgOp::Call | MsgOp::Put { .. }, Some(targets)) = (&msg, &mut self.targets) {
                        operands[0] = targets
                            .next()
                            .ok_or_else(|| Error::Internal("a role has fewer targets than CALLs and PUTs".into()))?;
                    }
                    let mut builder = with_attributes(self.module.build(msg.name(), &self.at), &msg);
                    for operand in &operands {
                        builder = builder.operand(self.value(operand)?);
                    }
                    self.insert(builder)?;
                }
                (Instr::Loop { var, count, body }, None) => {
                    let bounds = [0, i64::from(*count), 1].map(|v| self.constant(v));
                    let mut builder = self.module.build("scf.for", &self.at);
                    for bound in bounds {
                        builder = builder.operand(bound?);
                    }
                    let builder = builder
                        .attribute(LOOP_VAR_ATTRIBUTE, AttributeValue::String(var.clone()))
                        .body(&[self.index], "scf.yield");
                    let for_op = self.insert(builder)?;
                    let counter = for_op
                        .body_arguments()
                        .first()
                        .copied()
                        .ok_or_else(|| Error::Internal("scf.for was built without a counter".into()))?;
                    let end = last_op(&for_op)?;
                    self.blocks.push(OpenBlock { end, counter: Some((var.clone(), counter)), values: HashMap::new() });
                    self.instructions(body)?;
                    self.blocks.pop();
                }
                (_, None) => return Err(Error::Internal(format!("no msg op for {instr:?}"))),
            }
        }
        Ok(())
    }

    /// Inserts at the end of the innermost open block.
    fn insert(&mut self, builder: OpBuilder<'m>) -> Result<Op<'m>, Error> {
        let block = self.blocks.last().ok_or_else(|| Error::Internal("no open block".into()))?;
        let op = builder.insert_before(block.end)?;
        if self.first.is_none() && self.blocks.len() == 1 {
            self.first = Some(op);
        }
        Ok(op)
    }

    fn constant(&mut self, value: i64) -> Result<Value<'m>, Error> {
        if let Some(known) = self.constants.get(&value) {
            return Ok(*known);
        }
        let anchor = self.first.unwrap_or(self.blocks[0].end);
        let constant = self
            .module
            .build("arith.constant", &self.at)
            .attribute("value", AttributeValue::Text(format!("{value} : index")))
            .result(self.index)
            .insert_value_before(anchor)?;
        self.constants.insert(value, constant);
        Ok(constant)
    }

    /// The value of `affine`: terms in order (`counter`, or `counter * k`),
    /// summed left to right, then the constant added; each sub-expression
    /// computed once per block.
    fn value(&mut self, affine: &Affine) -> Result<Value<'m>, Error> {
        let Affine { constant, terms } = affine;
        let (last, head) = match terms.split_last() {
            None => return self.constant(*constant),
            Some(split) => split,
        };
        let key: AffineKey = (*constant, terms.clone());
        if let Some(known) = self.blocks.iter().rev().find_map(|b| b.values.get(&key)) {
            return Ok(*known);
        }
        let (lhs, rhs, op) = if *constant != 0 {
            (self.value(&Affine { constant: 0, terms: terms.clone() })?, self.constant(*constant)?, "arith.addi")
        } else if !head.is_empty() {
            let head = self.value(&Affine { constant: 0, terms: head.to_vec() })?;
            (head, self.value(&Affine { constant: 0, terms: vec![last.clone()] })?, "arith.addi")
        } else if last.1 == 1 {
            return self.counter(&last.0);
        } else {
            (self.counter(&last.0)?, self.constant(last.1)?, "arith.muli")
        };
        let builder = self.module.build(op, &self.at).operand(lhs).operand(rhs).result(self.index);
        let value = self.insert(builder)?.result(0).ok_or_else(|| Error::Internal(format!("{op} has no result")))?;
        if let Some(block) = self.blocks.last_mut() {
            block.values.insert(key, value);
        }
        Ok(value)
    }

    /// A loop counter, or a role's parameter.
    fn counter(&self, var: &str) -> Result<Value<'m>, Error> {
        if let Some(k) = var.strip_prefix(PARAMETER_PREFIX) {
            return k
                .parse::<usize>()
                .ok()
                .and_then(|k| self.parameters.get(k).copied())
                .ok_or_else(|| Error::Internal(format!("the role has no parameter '{var}'")));
        }
        self.blocks
            .iter()
            .rev()
            .find_map(|b| b.counter.as_ref().filter(|(name, _)| name == var).map(|(_, v)| *v))
            .ok_or_else(|| Error::Internal(format!("the schedule uses loop variable '{var}' outside its loop")))
    }
}

fn with_attributes<'m>(mut builder: OpBuilder<'m>, msg: &MsgOp) -> OpBuilder<'m> {
    for (name, value) in msg.attributes() {
        builder = builder.attribute(name, value);
    }
    builder
}

/// The terminator of an op's body, before which the body is filled.
fn last_op<'m>(op: &Op<'m>) -> Result<Op<'m>, Error> {
    op.body().last().copied().ok_or_else(|| Error::Internal(format!("{} was built without a body", op.name())))
}
