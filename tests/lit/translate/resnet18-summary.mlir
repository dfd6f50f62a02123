// RUN: rram-translate --import-onnx ../models/resnet18.struct.onnx --summary
// Per-layer shapes of torchvision's ResNet-18 at 224x224: conv1 112x112,
// layer1 56x56, layer2 28x28, layer3 14x14, layer4 7x7, fc 1000.
