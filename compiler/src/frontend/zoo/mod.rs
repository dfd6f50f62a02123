//! The built-in zoo: the standard CNN benchmarks built in Rust, shapes only,
//! each at its usual input size with batch 1.
//!
//! Weights are `nn.weight` nodes named like torchvision's parameters
//! (`conv1.weight`, `layer1.0.bn1.running_mean`, `fc.bias`) and nodes like
//! its modules (`layer1.0.conv1`), so a zoo model can be compared layer by
//! layer with the ONNX export of the same torchvision model. As in
//! torchvision, a conv followed by batch norm has no bias and a separate
//! `nn.batchnorm` node, and classifiers end with their last layer (the
//! dense, or SqueezeNet's pooled conv): no softmax.

mod alexnet;
mod builder;
mod lenet;
mod mobilenet;
mod resnet;
mod squeezenet;
mod testnet;
mod vgg;

use crate::frontend::{Network, NetworkError};

/// A model that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZooError {
    #[error("unknown model '{name}' (available: {})", available.join(", "))]
    Unknown { name: String, available: Vec<&'static str> },
    /// A zoo model whose layers do not fit together: a bug in the zoo.
    #[error("model '{model}': {source}")]
    Network { model: &'static str, source: NetworkError },
}

struct Model {
    name: &'static str,
    description: &'static str,
    build: fn() -> Result<Network, NetworkError>,
}

/// Sorted by name.
static MODELS: [Model; 9] = [
    Model {
        name: "alexnet",
        description: "AlexNet (Krizhevsky et al. 2012), torchvision's single-tower variant; input 1x3x224x224",
        build: alexnet::alexnet,
    },
    Model {
        name: "lenet5",
        description: "LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, 10 classes; input 1x1x32x32",
        build: lenet::lenet5,
    },
    Model {
        name: "mobilenet_v1",
        description: "MobileNet-V1 1.0 (Howard et al. 2017), 13 depthwise + pointwise pairs; input 1x3x224x224",
        build: mobilenet::mobilenet_v1,
    },
    Model {
        name: "mobilenet_v2",
        description: "MobileNet-V2 1.0 (Sandler et al. 2018), torchvision, ReLU6 as clip; input 1x3x224x224",
        build: mobilenet::mobilenet_v2,
    },
    Model {
        name: "resnet18",
        description: "ResNet-18 (He et al. 2015), torchvision, basic blocks; input 1x3x224x224",
        build: resnet::resnet18,
    },
    Model {
        name: "resnet50",
        description: "ResNet-50 (He et al. 2015), torchvision, bottlenecks strided at the 3x3; input 1x3x224x224",
        build: resnet::resnet50,
    },
    Model {
        name: "squeezenet1_1",
        description: "SqueezeNet 1.1 (Iandola et al. 2016), torchvision, ceil-mode pools; input 1x3x224x224",
        build: squeezenet::squeezenet1_1,
    },
    Model {
        name: "testnet",
        description: "a small test network with a layer of every kind the chip runs (strided, depthwise and \
                      pointwise convs, max and average pooling, residual add, concat, dense); input 1x3x16x16",
        build: testnet::testnet,
    },
    Model {
        name: "vgg16",
        description: "VGG-16 (Simonyan & Zisserman 2014), torchvision, config D without batch norm; input 1x3x224x224",
        build: vgg::vgg16,
    },
];

/// The names of the models, sorted.
pub fn names() -> Vec<&'static str> {
    MODELS.iter().map(|model| model.name).collect()
}

/// One line about a model: its paper, variant and input size.
pub fn describe(name: &str) -> Option<&'static str> {
    find(name).map(|model| model.description)
}

/// Builds the named model.
pub fn build(name: &str) -> Result<Network, ZooError> {
    let model = find(name).ok_or_else(|| ZooError::Unknown { name: name.into(), available: names() })?;
    (model.build)().map_err(|source| ZooError::Network { model: model.name, source })
}

fn find(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|model| model.name == name)
}
