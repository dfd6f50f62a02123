use rram_dialects::{Context, Error, Location};

const CONV: &str = r#"
func.func @main(%x: tensor<1x3x8x8xf32>) -> tensor<1x4x6x6xf32> {
  %w = "nn.weight"() {name = "conv.weight"} : () -> tensor<4x3x3x3xf32>
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}
"#;

#[test]
fn parses_and_prints_our_ops() {
    let context = Context::new().unwrap();
    let module = context.parse(CONV, "conv.mlir").unwrap();
    let text = module.print();
    assert!(text.contains("\"nn.conv2d\""), "{text}");
    assert_eq!(module.operations_named("nn.conv2d").len(), 1);
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let context = Context::new().unwrap();
    let err = context.parse("func.func @f( {\n", "bad.mlir").err().unwrap();
    let Error::Parse(d) = &err else { panic!("{err}") };
    eprintln!("{err}");
    assert!(matches!(d.0[0].location, Location::File { ref file, line: 1, .. } if file == "bad.mlir"), "{err}");
}

#[test]
fn rust_verifier_reports_negative_pads_at_the_op() {
    let context = Context::new().unwrap();
    let source = CONV.replace("pads = array<i64: 0, 0, 0, 0>", "pads = array<i64: -1, 0, 0, 0>");
    let err = context.parse(&source, "pads.mlir").err().unwrap();
    assert_eq!(
        err.to_string(),
        "pads.mlir:4:8: error: 'nn.conv2d' op attribute 'pads' must be non-negative, got [-1, 0, 0, 0]"
    );
}

#[test]
fn irdl_reports_missing_attribute() {
    let context = Context::new().unwrap();
    let source = CONV.replace(", groups = 1 : i64", "");
    let err = context.parse(&source, "m.mlir").err().unwrap();
    eprintln!("{err}");
    assert!(err.to_string().starts_with("m.mlir:4:8: error:"), "{err}");
    assert!(err.to_string().contains("groups"), "{err}");
}
