// RUN: rram-opt %s --preset xbar64-bus16 --rram-place
// EXPECT-ERROR: error: 'lit/chip/compiled-for-another-chip.mlir' is compiled for chip 'xbar32-bus16' (its 'rram.arch' attribute), not for 'xbar64-bus16' given by --arch, --preset or --set: compile the network again for that chip
// A module keeps the chip it was compiled for: naming another one is an
// error, not a silent retargeting.
module attributes {rram.arch = {bus = {arbitration = "round-robin", overhead_cycles = 4 : i64, pipelined = true, width_bytes = 16 : i64}, clock_mhz = 1.000000e+03 : f64, core = {count = 1024 : i64, crossbars = 1 : i64, local_memory_bytes = 16384 : i64, remote_writes = false}, crossbar = {adc_count = 1 : i64, adc_cycles = 1 : i64, cell_bits = 2 : i64, cols = 32 : i64, dac_bits = 1 : i64, input_bits = 8 : i64, output_bits = 32 : i64, read_cycles = 10 : i64, rows = 32 : i64, weight_bits = 8 : i64}, name = "xbar32-bus16", shared_memory = {size_bytes = 16777216 : i64}, sync = {register_bytes = 4 : i64}, vector_unit = {elements_per_cycle = 32 : i64, latency_cycles = 4 : i64}}} {
}
