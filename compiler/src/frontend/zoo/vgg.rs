//! VGG-16 (Simonyan & Zisserman, 2014), configuration D without batch norm,
//! in torchvision's layout.

use super::builder::{Activation::Relu, Builder, Conv, Rounding::Floor, Sequential};
use crate::frontend::{Network, NetworkError};

/// Configuration D: per block, how many 3x3 convs of how many channels; a
/// 2x2 max pool ends each block.
const VGG16_BLOCKS: [(usize, i64); 5] = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)];

pub(super) fn vgg16() -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new("vgg16", [1, 3, 224, 224]);
    let mut features = Sequential::new("features");
    for (convs, channels) in VGG16_BLOCKS {
        for _ in 0..convs {
            x = b.conv(&features.next_name(), x, Conv::new(channels, 3).pad(1).with_bias())?;
            x = b.activation(&features.next_name(), x, Relu)?;
        }
        x = b.max_pool(&features.next_name(), x, 2, 2, 0, Floor)?;
    }
    x = b.adaptive_avg_pool("avgpool", x, 7)?;
    x = b.flatten("flatten", x)?;
    let mut classifier = Sequential::new("classifier");
    for _ in 0..2 {
        x = b.linear(&classifier.next_name(), x, 4096)?;
        x = b.activation(&classifier.next_name(), x, Relu)?;
        classifier.skip_dropout();
    }
    x = b.linear(&classifier.next_name(), x, 1000)?;
    Ok(b.finish(x))
}
