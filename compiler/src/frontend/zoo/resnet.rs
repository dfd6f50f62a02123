//! ResNet-18 and ResNet-50 (He et al., 2015) in torchvision's layout; the
//! bottleneck strides on its 3x3 conv (torchvision's "v1.5").
//!
//! A module called more than once per block (the shared `relu`) names its
//! later calls `relu_1`, `relu_2`, as torch's ONNX exporter does.

use super::builder::{Activation::Relu, Builder, Conv, Rounding::Floor};
use crate::frontend::{Network, NetworkError, Ref};

/// The two residual blocks of the paper.
#[derive(Debug, Clone, Copy)]
enum Block {
    /// Two 3x3 convs (ResNet-18/34).
    Basic,
    /// 1x1 down, 3x3, 1x1 up to four times the width (ResNet-50/101/152).
    Bottleneck,
}

impl Block {
    /// Output channels over the block's width.
    fn expansion(self) -> i64 {
        match self {
            Block::Basic => 1,
            Block::Bottleneck => 4,
        }
    }
}

pub(super) fn resnet18() -> Result<Network, NetworkError> {
    resnet("resnet18", Block::Basic, [2, 2, 2, 2])
}

pub(super) fn resnet50() -> Result<Network, NetworkError> {
    resnet("resnet50", Block::Bottleneck, [3, 4, 6, 3])
}

/// The stem, four stages of `blocks` blocks at widths 64..512 (each but the
/// first halving the resolution in its first block), pooling and the classifier.
fn resnet(name: &str, block: Block, blocks: [usize; 4]) -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new(name, [1, 3, 224, 224]);
    x = b.conv_bn("conv1", "bn1", x, Conv::new(64, 7).stride(2).pad(3))?;
    x = b.activation("relu", x, Relu)?;
    x = b.max_pool("maxpool", x, 3, 2, 1, Floor)?;
    for (stage, (count, width)) in blocks.into_iter().zip([64, 128, 256, 512]).enumerate() {
        for index in 0..count {
            let stride = if stage > 0 && index == 0 { 2 } else { 1 };
            let prefix = format!("layer{}.{index}", stage + 1);
            x = residual_block(&mut b, &prefix, x, block, width, stride)?;
        }
    }
    x = b.global_avg_pool("avgpool", x)?;
    x = b.flatten("flatten", x)?;
    x = b.linear("fc", x, 1000)?;
    Ok(b.finish(x))
}

/// One block: its main path, plus a 1x1 projection of the shortcut
/// (`downsample`) where the shape changes.
fn residual_block(
    b: &mut Builder,
    prefix: &str,
    x: Ref,
    block: Block,
    width: i64,
    stride: i64,
) -> Result<Ref, NetworkError> {
    let name = |module: &str| format!("{prefix}.{module}");
    let out = width * block.expansion();
    let y = match block {
        Block::Basic => {
            let y = b.conv_bn(&name("conv1"), &name("bn1"), x, Conv::new(width, 3).stride(stride).pad(1))?;
            let y = b.activation(&name("relu"), y, Relu)?;
            b.conv_bn(&name("conv2"), &name("bn2"), y, Conv::new(out, 3).pad(1))?
        }
        Block::Bottleneck => {
            let y = b.conv_bn(&name("conv1"), &name("bn1"), x, Conv::new(width, 1))?;
            let y = b.activation(&name("relu"), y, Relu)?;
            let y = b.conv_bn(&name("conv2"), &name("bn2"), y, Conv::new(width, 3).stride(stride).pad(1))?;
            let y = b.activation(&name("relu_1"), y, Relu)?;
            b.conv_bn(&name("conv3"), &name("bn3"), y, Conv::new(out, 1))?
        }
    };
    let shortcut = if stride != 1 || b.channels(x) != out {
        b.conv_bn(&name("downsample.0"), &name("downsample.1"), x, Conv::new(out, 1).stride(stride))?
    } else {
        x
    };
    let sum = b.add(&name("add"), y, shortcut)?;
    let last_relu = match block {
        Block::Basic => "relu_1",
        Block::Bottleneck => "relu_2",
    };
    b.activation(&name(last_relu), sum, Relu)
}
