//! MobileNet-V1 (Howard et al., 2017) and MobileNet-V2 (Sandler et al.,
//! 2018), width 1.0 at 224x224. V2 follows torchvision; V1, which
//! torchvision lacks, is named the same way (`features.N`, each conv + batch
//! norm + activation a `Conv2dNormActivation`).

use super::builder::{
    Activation::{self, Relu, Relu6},
    Builder, Conv, Sequential,
};
use crate::frontend::{Network, NetworkError, Ref};

/// V1's 13 depthwise-separable pairs (Table 1 of the paper): output
/// channels of the pointwise conv, stride of the depthwise one.
const V1_PAIRS: [(i64, i64); 13] = [
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
];

/// V2's bottleneck stages (Table 2 of the paper): expansion factor t,
/// output channels c, repeats n, stride s of the first repeat.
const V2_STAGES: [(i64, i64, usize, i64); 7] =
    [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

pub(super) fn mobilenet_v1() -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new("mobilenet_v1", [1, 3, 224, 224]);
    let mut features = Sequential::new("features");
    x = b.conv_bn_activation(&features.next_name(), x, Conv::new(32, 3).stride(2).pad(1), Relu)?;
    for (out, stride) in V1_PAIRS {
        let pair = features.next_name();
        x = depthwise(&mut b, &format!("{pair}.0"), x, stride, Relu)?;
        x = b.conv_bn_activation(&format!("{pair}.1"), x, Conv::new(out, 1), Relu)?;
    }
    x = b.global_avg_pool("avgpool", x)?;
    x = b.flatten("flatten", x)?;
    x = b.linear("fc", x, 1000)?;
    Ok(b.finish(x))
}

pub(super) fn mobilenet_v2() -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new("mobilenet_v2", [1, 3, 224, 224]);
    let mut features = Sequential::new("features");
    x = b.conv_bn_activation(&features.next_name(), x, Conv::new(32, 3).stride(2).pad(1), Relu6)?;
    for (expansion, out, repeats, first_stride) in V2_STAGES {
        for repeat in 0..repeats {
            let stride = if repeat == 0 { first_stride } else { 1 };
            x = inverted_residual(&mut b, &features.next_name(), x, expansion, out, stride)?;
        }
    }
    x = b.conv_bn_activation(&features.next_name(), x, Conv::new(1280, 1), Relu6)?;
    x = b.global_avg_pool("avgpool", x)?;
    x = b.flatten("flatten", x)?;
    let mut classifier = Sequential::new("classifier");
    classifier.skip_dropout();
    x = b.linear(&classifier.next_name(), x, 1000)?;
    Ok(b.finish(x))
}

/// A 3x3 depthwise conv (one group per channel) with batch norm and activation.
fn depthwise(b: &mut Builder, prefix: &str, x: Ref, stride: i64, activation: Activation) -> Result<Ref, NetworkError> {
    let channels = b.channels(x);
    b.conv_bn_activation(prefix, x, Conv::new(channels, 3).stride(stride).pad(1).groups(channels), activation)
}

/// V2's block (torchvision's `InvertedResidual`, a sequential `conv`): a 1x1
/// expansion (absent when t = 1), a 3x3 depthwise, a linear 1x1 projection
/// with its batch norm, and a shortcut where the shape is kept.
fn inverted_residual(
    b: &mut Builder,
    prefix: &str,
    x: Ref,
    expansion: i64,
    out: i64,
    stride: i64,
) -> Result<Ref, NetworkError> {
    let mut conv = Sequential::new(format!("{prefix}.conv"));
    let mut y = x;
    if expansion != 1 {
        y = b.conv_bn_activation(&conv.next_name(), y, Conv::new(b.channels(x) * expansion, 1), Relu6)?;
    }
    y = depthwise(b, &conv.next_name(), y, stride, Relu6)?;
    y = b.conv_bn(&conv.next_name(), &conv.next_name(), y, Conv::new(out, 1))?;
    if stride == 1 && b.channels(x) == out {
        y = b.add(&format!("{prefix}.add"), x, y)?;
    }
    Ok(y)
}
