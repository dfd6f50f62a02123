// RUN: rram-opt --list-passes
// Every pass with its one-line description.
