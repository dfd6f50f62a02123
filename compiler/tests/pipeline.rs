//! Running pipelines: order, IR dumps after each pass, and --verify-each
//! catching a pass that leaves invalid IR.

use rram_compiler::pipeline::{Pipeline, RunOptions, Step};
use rram_dialects::{AttributeValue, Context, Error, Module};
use rram_passes::Pass;

const RELU: &str = r#"func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = "nn.relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}"#;

/// Inserts a clip whose bounds are reversed: valid to MLIR, invalid to our verifier.
struct BreakClip;

impl Pass for BreakClip {
    fn run(&self, module: &mut Module) -> Result<(), Error> {
        let relu = module.operations_named("nn.relu")[0];
        let input = relu.operand(0).unwrap();
        module
            .build("nn.clip", &relu)
            .operand(input)
            .result(input.ty())
            .attribute("min", AttributeValue::F32(6.0))
            .attribute("max", AttributeValue::F32(0.0))
            .insert_before(relu)?;
        Ok(())
    }
}

fn broken_then_cse() -> Pipeline {
    let mut pipeline = Pipeline::parse("builtin.module(cse)").unwrap();
    pipeline.steps.insert(0, Step::Ours { name: "break-clip".into(), pass: Box::new(BreakClip) });
    pipeline
}

#[test]
fn verify_each_stops_at_the_pass_that_broke_the_ir() {
    let context = Context::new().unwrap();
    let mut module = context.parse(RELU, "relu.mlir").unwrap();
    let mut ran = Vec::new();
    let error = broken_then_cse()
        .run(&mut module, RunOptions { verify_each: true }, |pass, _| ran.push(pass.to_string()))
        .unwrap_err();
    assert_eq!(error.to_string(), "relu.mlir:2:8: error: 'nn.clip' op attribute 'min' (6) must not exceed 'max' (0)");
    assert!(ran.is_empty(), "no pass after the broken one may run: {ran:?}");
}

#[test]
fn without_verify_each_the_pipeline_runs_on() {
    let context = Context::new().unwrap();
    let mut module = context.parse(RELU, "relu.mlir").unwrap();
    let mut ran = Vec::new();
    broken_then_cse()
        .run(&mut module, RunOptions { verify_each: false }, |pass, module| {
            ran.push((pass.to_string(), module.operations_named("nn.clip").len()))
        })
        .unwrap();
    // cse removes the unused clip? No: IRDL ops are not Pure, so it stays.
    assert_eq!(ran, [("break-clip".to_string(), 1), ("cse".to_string(), 1)]);
    assert!(module.verify().is_err());
}
