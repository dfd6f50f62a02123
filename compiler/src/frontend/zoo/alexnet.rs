//! AlexNet (Krizhevsky et al., 2012) in torchvision's single-tower form
//! (Krizhevsky 2014, "One weird trick"): 64-192-384-256-256 channels.

use super::builder::{Activation::Relu, Builder, Conv, Rounding::Floor, Sequential};
use crate::frontend::{Network, NetworkError};

pub(super) fn alexnet() -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new("alexnet", [1, 3, 224, 224]);
    let mut features = Sequential::new("features");
    let convs = [
        (Conv::new(64, 11).stride(4).pad(2), true),
        (Conv::new(192, 5).pad(2), true),
        (Conv::new(384, 3).pad(1), false),
        (Conv::new(256, 3).pad(1), false),
        (Conv::new(256, 3).pad(1), true),
    ];
    for (conv, pooled) in convs {
        x = b.conv(&features.next_name(), x, conv.with_bias())?;
        x = b.activation(&features.next_name(), x, Relu)?;
        if pooled {
            x = b.max_pool(&features.next_name(), x, 3, 2, 0, Floor)?;
        }
    }
    x = b.adaptive_avg_pool("avgpool", x, 6)?;
    x = b.flatten("flatten", x)?;
    let mut classifier = Sequential::new("classifier");
    for _ in 0..2 {
        classifier.skip_dropout();
        x = b.linear(&classifier.next_name(), x, 4096)?;
        x = b.activation(&classifier.next_name(), x, Relu)?;
    }
    x = b.linear(&classifier.next_name(), x, 1000)?;
    Ok(b.finish(x))
}
