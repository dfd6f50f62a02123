// RUN: rramc arch lit/arch/inputs/typo.toml
// EXPECT-ERROR: rramc: lit/arch/inputs/typo.toml:5:1
// EXPECT-ERROR: crosbars
