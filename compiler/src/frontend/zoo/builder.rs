//! Layer helpers shared by the zoo's models, so that each model reads like
//! its paper. Weights are named like torchvision's parameters
//! (`layer1.0.bn1.running_mean`) and nodes like its modules
//! (`layer1.0.conv1`), which lines a zoo model up with the ONNX export of the
//! same torchvision model layer by layer.

use crate::frontend::{Network, NetworkError, Ref};
use rram_dialects::nn::{Conv2d, NnOp, Pool, Window};

/// The epsilon of torchvision's `BatchNorm2d`.
const BATCH_NORM_EPSILON: f32 = 1e-5;

/// A square convolution: `out` channels from a `kernel` x `kernel` window.
#[derive(Debug, Clone, Copy)]
pub(super) struct Conv {
    out: i64,
    kernel: i64,
    stride: i64,
    pad: i64,
    groups: i64,
    bias: bool,
}

impl Conv {
    /// Stride 1, no padding, one group and no bias (a batch norm follows).
    pub(super) fn new(out: i64, kernel: i64) -> Self {
        Conv { out, kernel, stride: 1, pad: 0, groups: 1, bias: false }
    }

    pub(super) fn stride(self, stride: i64) -> Self {
        Conv { stride, ..self }
    }

    /// The same padding on all four sides.
    pub(super) fn pad(self, pad: i64) -> Self {
        Conv { pad, ..self }
    }

    /// Depthwise when `groups` equals the input channels.
    pub(super) fn groups(self, groups: i64) -> Self {
        Conv { groups, ..self }
    }

    /// With a `{name}.bias` weight, as convs that no batch norm follows.
    pub(super) fn with_bias(self) -> Self {
        Conv { bias: true, ..self }
    }
}

/// The nonlinearity after a conv: ReLU, or ReLU6 written as a clip to 0..6.
#[derive(Debug, Clone, Copy)]
pub(super) enum Activation {
    Relu,
    Relu6,
}

/// How a pooling window count is rounded: PyTorch's `ceil_mode`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rounding {
    Floor,
    Ceil,
}

/// Names the children of a torch `nn.Sequential` in order: `features.0`,
/// `features.1`, ...
pub(super) struct Sequential {
    prefix: String,
    index: usize,
}

impl Sequential {
    pub(super) fn new(prefix: impl Into<String>) -> Self {
        Sequential { prefix: prefix.into(), index: 0 }
    }

    pub(super) fn next_name(&mut self) -> String {
        self.index += 1;
        format!("{}.{}", self.prefix, self.index - 1)
    }

    /// Dropout is the identity at inference, but it takes an index.
    pub(super) fn skip_dropout(&mut self) {
        self.index += 1;
    }
}

/// A network under construction, layer by layer.
pub(super) struct Builder {
    net: Network,
}

impl Builder {
    /// A network with one NCHW input named `input`, as in the ONNX exports.
    pub(super) fn new(name: &str, input_shape: [i64; 4]) -> (Self, Ref) {
        let mut net = Network::new(name);
        let input = net.input("input", input_shape.to_vec());
        (Builder { net }, input)
    }

    pub(super) fn channels(&self, x: Ref) -> i64 {
        self.net.shape(x)[1]
    }

    /// The weight is `[out, in / groups, k, k]`, as in PyTorch.
    pub(super) fn conv(&mut self, name: &str, x: Ref, conv: Conv) -> Result<Ref, NetworkError> {
        let in_per_group = self.channels(x) / conv.groups;
        let mut inputs =
            vec![x, self.net.weight(format!("{name}.weight"), vec![conv.out, in_per_group, conv.kernel, conv.kernel])?];
        if conv.bias {
            inputs.push(self.net.weight(format!("{name}.bias"), vec![conv.out])?);
        }
        let op = NnOp::Conv2d(Conv2d {
            strides: [conv.stride; 2],
            pads: [conv.pad; 4],
            dilations: [1, 1],
            groups: conv.groups,
        });
        self.net.add(name, op, &inputs)
    }

    /// Inference batch norm with torchvision's four per-channel tensors.
    pub(super) fn batch_norm(&mut self, name: &str, x: Ref) -> Result<Ref, NetworkError> {
        let channels = self.channels(x);
        let mut inputs = vec![x];
        for tensor in ["weight", "bias", "running_mean", "running_var"] {
            inputs.push(self.net.weight(format!("{name}.{tensor}"), vec![channels])?);
        }
        self.net.add(name, NnOp::BatchNorm { epsilon: BATCH_NORM_EPSILON }, &inputs)
    }

    pub(super) fn activation(&mut self, name: &str, x: Ref, activation: Activation) -> Result<Ref, NetworkError> {
        let op = match activation {
            Activation::Relu => NnOp::Relu,
            Activation::Relu6 => NnOp::Clip { min: 0.0, max: 6.0 },
        };
        self.net.add(name, op, &[x])
    }

    /// A conv without bias and the batch norm after it (torchvision's ResNets).
    pub(super) fn conv_bn(&mut self, conv_name: &str, bn_name: &str, x: Ref, conv: Conv) -> Result<Ref, NetworkError> {
        let y = self.conv(conv_name, x, conv)?;
        self.batch_norm(bn_name, y)
    }

    /// torchvision's `Conv2dNormActivation`: a sequential of conv (`prefix.0`),
    /// batch norm (`prefix.1`) and activation (`prefix.2`).
    pub(super) fn conv_bn_activation(
        &mut self,
        prefix: &str,
        x: Ref,
        conv: Conv,
        activation: Activation,
    ) -> Result<Ref, NetworkError> {
        let y = self.conv_bn(&format!("{prefix}.0"), &format!("{prefix}.1"), x, conv)?;
        self.activation(&format!("{prefix}.2"), y, activation)
    }

    pub(super) fn max_pool(
        &mut self,
        name: &str,
        x: Ref,
        kernel: i64,
        stride: i64,
        pad: i64,
        rounding: Rounding,
    ) -> Result<Ref, NetworkError> {
        let pool = Pool { window: square_window(kernel, stride, pad), ceil_mode: matches!(rounding, Rounding::Ceil) };
        self.net.add(name, NnOp::MaxPool2d(pool), &[x])
    }

    /// PyTorch's `AdaptiveAvgPool2d(size)` where it is a plain average pool:
    /// the input extent is a multiple of `size` (an identity when equal, as
    /// AlexNet's and VGG's at 224x224); exported the same way to ONNX.
    pub(super) fn adaptive_avg_pool(&mut self, name: &str, x: Ref, size: i64) -> Result<Ref, NetworkError> {
        let shape = self.net.shape(x).to_vec();
        if shape[2] % size != 0 || shape[3] % size != 0 {
            return Err(NetworkError {
                node: name.into(),
                op: "nn.avgpool2d",
                message: format!("adaptive pooling of {shape:?} to {size}x{size} needs uneven windows"),
            });
        }
        let kernel = [shape[2] / size, shape[3] / size];
        let window = Window { kernel, strides: kernel, pads: [0; 4], dilations: [1, 1] };
        self.avg_pool_window(name, x, window, false)
    }

    /// `AvgPool2d(kernel, stride, pad, count_include_pad)`.
    pub(super) fn avg_pool(
        &mut self,
        name: &str,
        x: Ref,
        kernel: i64,
        stride: i64,
        pad: i64,
        count_include_pad: bool,
    ) -> Result<Ref, NetworkError> {
        self.avg_pool_window(name, x, square_window(kernel, stride, pad), count_include_pad)
    }

    fn avg_pool_window(&mut self, name: &str, x: Ref, window: Window, count: bool) -> Result<Ref, NetworkError> {
        let op = NnOp::AvgPool2d { pool: Pool { window, ceil_mode: false }, count_include_pad: count };
        self.net.add(name, op, &[x])
    }

    pub(super) fn global_avg_pool(&mut self, name: &str, x: Ref) -> Result<Ref, NetworkError> {
        self.net.add(name, NnOp::GlobalAvgPool, &[x])
    }

    /// `[N, C, H, W]` to `[N, C * H * W]`, as `torch.flatten(x, 1)`.
    pub(super) fn flatten(&mut self, name: &str, x: Ref) -> Result<Ref, NetworkError> {
        self.net.add(name, NnOp::Flatten { axis: 1 }, &[x])
    }

    /// torchvision's `nn.Linear`: weight `[out, in]` and a bias.
    pub(super) fn linear(&mut self, name: &str, x: Ref, out: i64) -> Result<Ref, NetworkError> {
        let features = self.net.shape(x)[1];
        let weight = self.net.weight(format!("{name}.weight"), vec![out, features])?;
        let bias = self.net.weight(format!("{name}.bias"), vec![out])?;
        self.net.add(name, NnOp::Dense, &[x, weight, bias])
    }

    pub(super) fn add(&mut self, name: &str, lhs: Ref, rhs: Ref) -> Result<Ref, NetworkError> {
        self.net.add(name, NnOp::Add, &[lhs, rhs])
    }

    /// Joins two feature maps along the channels.
    pub(super) fn concat_channels(&mut self, name: &str, lhs: Ref, rhs: Ref) -> Result<Ref, NetworkError> {
        self.net.add(name, NnOp::Concat { axis: 1 }, &[lhs, rhs])
    }

    pub(super) fn finish(mut self, output: Ref) -> Network {
        self.net.outputs = vec![output];
        self.net
    }
}

/// A pooling window of `kernel x kernel`, the same stride and padding on
/// every side.
fn square_window(kernel: i64, stride: i64, pad: i64) -> Window {
    Window { kernel: [kernel; 2], strides: [stride; 2], pads: [pad; 4], dilations: [1, 1] }
}
