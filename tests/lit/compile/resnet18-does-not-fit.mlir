// RUN: rramc compile --zoo resnet18
// EXPECT-ERROR: rramc: 'layer4.1.conv1': error: rram-place: the network needs 2864 crossbars, 2048 available (1024 cores x 2 crossbars)
// The default chip is too small for ResNet-18 with one copy of every weight:
// the error says by how much, at the first layer that does not fit.
