// RUN: rram-translate --zoo mobilenet_v1 --summary
// The original 224x224 MobileNet: 13 depthwise + pointwise pairs.
