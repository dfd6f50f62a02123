// RUN: rram-translate --list-zoo
