//! SqueezeNet 1.1 (Iandola et al., 2016; version 1.1 of the reference
//! repository) in torchvision's layout: no dense layer, the classifier is a
//! 1x1 conv to the 1000 classes followed by ReLU and global average pooling.

use super::builder::{Activation::Relu, Builder, Conv, Rounding::Ceil, Sequential};
use crate::frontend::{Network, NetworkError, Ref};

/// The features after the stem: a Fire module's squeeze and per-branch
/// expand channels, or a 3x3 stride-2 max pool in ceil mode.
enum Layer {
    Fire(i64, i64),
    Pool,
}

const SQUEEZENET1_1_FEATURES: [Layer; 10] = [
    Layer::Fire(16, 64),
    Layer::Fire(16, 64),
    Layer::Pool,
    Layer::Fire(32, 128),
    Layer::Fire(32, 128),
    Layer::Pool,
    Layer::Fire(48, 192),
    Layer::Fire(48, 192),
    Layer::Fire(64, 256),
    Layer::Fire(64, 256),
];

pub(super) fn squeezenet1_1() -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new("squeezenet1_1", [1, 3, 224, 224]);
    let mut features = Sequential::new("features");
    x = b.conv(&features.next_name(), x, Conv::new(64, 3).stride(2).with_bias())?;
    x = b.activation(&features.next_name(), x, Relu)?;
    x = b.max_pool(&features.next_name(), x, 3, 2, 0, Ceil)?;
    for layer in SQUEEZENET1_1_FEATURES {
        x = match layer {
            Layer::Fire(squeeze, expand) => fire(&mut b, &features.next_name(), x, squeeze, expand)?,
            Layer::Pool => b.max_pool(&features.next_name(), x, 3, 2, 0, Ceil)?,
        };
    }
    let mut classifier = Sequential::new("classifier");
    classifier.skip_dropout();
    x = b.conv(&classifier.next_name(), x, Conv::new(1000, 1).with_bias())?;
    x = b.activation(&classifier.next_name(), x, Relu)?;
    x = b.global_avg_pool(&classifier.next_name(), x)?;
    x = b.flatten("flatten", x)?;
    Ok(b.finish(x))
}

/// A Fire module: a 1x1 squeeze, then 1x1 and 3x3 expand branches side by
/// side, their outputs joined along the channels.
fn fire(b: &mut Builder, prefix: &str, x: Ref, squeeze: i64, expand: i64) -> Result<Ref, NetworkError> {
    let name = |module: &str| format!("{prefix}.{module}");
    let s = b.conv(&name("squeeze"), x, Conv::new(squeeze, 1).with_bias())?;
    let s = b.activation(&name("squeeze_activation"), s, Relu)?;
    let e1 = b.conv(&name("expand1x1"), s, Conv::new(expand, 1).with_bias())?;
    let e1 = b.activation(&name("expand1x1_activation"), e1, Relu)?;
    let e3 = b.conv(&name("expand3x3"), s, Conv::new(expand, 3).pad(1).with_bias())?;
    let e3 = b.activation(&name("expand3x3_activation"), e3, Relu)?;
    b.concat_channels(&name("concat"), e1, e3)
}
