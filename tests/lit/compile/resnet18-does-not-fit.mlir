// RUN: rramc compile --zoo resnet18
// EXPECT-ERROR: rramc: resnet18: 'layer4.1.conv1': error: rram-tile: the network needs 1448 cores of 2 crossbars for its 2864 tiles (a layer, and a horizontal group of several tiles, does not share a core with another), 1024 available
// The default chip is too small for ResNet-18 with one copy of every weight:
// the error says by how much, at the first layer that does not fit.
