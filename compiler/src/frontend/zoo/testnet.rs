//! A small network with a layer of every kind the chip runs, for tests and
//! first runs: strided, depthwise and pointwise convs with batch norm, max
//! pooling whose windows reach into the padding, a residual add, average
//! pooling that does not count the padding, a concat of a conv and a
//! pooling, global average pooling and a dense classifier.

use super::builder::{
    Activation::{Relu, Relu6},
    Builder, Conv,
    Rounding::Floor,
};
use crate::frontend::{Network, NetworkError};

pub(super) fn testnet() -> Result<Network, NetworkError> {
    let (mut b, x) = Builder::new("testnet", [1, 3, 16, 16]);
    let x = b.conv_bn_activation("stem", x, Conv::new(8, 3).stride(2).pad(1), Relu)?;
    let x = b.max_pool("pool", x, 3, 1, 1, Floor)?;
    let y = b.conv_bn_activation("block.dw", x, Conv::new(8, 3).pad(1).groups(8), Relu6)?;
    let y = b.conv_bn("block.pw", "block.bn", y, Conv::new(8, 1))?;
    let x = b.add("block.add", x, y)?;
    let x = b.activation("block.relu", x, Relu)?;
    let conv = b.conv_bn_activation("branch_conv", x, Conv::new(12, 3).stride(2).pad(1), Relu)?;
    let pool = b.avg_pool("branch_pool", x, 3, 2, 1, false)?;
    let x = b.concat_channels("concat", conv, pool)?;
    let x = b.global_avg_pool("gap", x)?;
    let x = b.flatten("flatten", x)?;
    let x = b.linear("fc", x, 10)?;
    Ok(b.finish(x))
}
