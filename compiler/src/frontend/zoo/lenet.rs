//! LeNet-5 (LeCun et al., 1998) as shipped in `models/lenet5.struct.onnx`:
//! the modern variant with ReLU and max pooling instead of tanh and
//! subsampling, and a full C3 (every one of its 16 maps sees all 6 of S2).

use super::builder::{Activation::Relu, Builder, Conv, Rounding::Floor, Sequential};
use crate::frontend::{Network, NetworkError};

pub(super) fn lenet5() -> Result<Network, NetworkError> {
    let (mut b, mut x) = Builder::new("lenet5", [1, 1, 32, 32]);
    let mut features = Sequential::new("features");
    for channels in [6, 16] {
        x = b.conv(&features.next_name(), x, Conv::new(channels, 5).with_bias())?;
        x = b.activation(&features.next_name(), x, Relu)?;
        x = b.max_pool(&features.next_name(), x, 2, 2, 0, Floor)?;
    }
    let mut classifier = Sequential::new("classifier");
    x = b.flatten(&classifier.next_name(), x)?;
    for width in [120, 84] {
        x = b.linear(&classifier.next_name(), x, width)?;
        x = b.activation(&classifier.next_name(), x, Relu)?;
    }
    x = b.linear(&classifier.next_name(), x, 10)?;
    Ok(b.finish(x))
}
