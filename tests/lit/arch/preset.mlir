// RUN: rramc arch --preset xbar64-bus16
// A published setup with every field resolved and the derived quantities.
