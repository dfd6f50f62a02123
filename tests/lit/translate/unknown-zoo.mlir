// RUN: rram-translate --zoo resnet1000
// EXPECT-ERROR: resnet1000
