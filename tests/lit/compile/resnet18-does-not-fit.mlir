// RUN: rramc compile --zoo resnet18
// EXPECT-ERROR: rramc: the network needs 1448 cores (2864 crossbars on cores of 2 crossbars, each layer on cores of its own), the chip has 1024
// The default chip is too small for ResNet-18 with one copy of every weight:
// the error says by how much.
