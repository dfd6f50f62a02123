// RUN: rramc arch lit/arch/inputs/zero-bus.toml
// EXPECT-ERROR: rramc: lit/arch/inputs/zero-bus.toml: bus.width_bytes
