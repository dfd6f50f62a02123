//! The report of a whole network simulated on a chip: one inference's
//! latency, where it goes layer by layer, and what it costs the bus and
//! the memories, as JSON for scripts (`report.json`), Markdown for people
//! (`report.md`), an SVG timeline of the layers and a Perfetto trace.

use crate::whole_network::NetworkSync;
use crate::whole_network::{stage, CompiledNetwork};
use rram_passes::network::NetOp;
use rram_passes::schedule::group_members;
use rram_sim::{BusBytes, CoreStats, Stats};
use std::collections::HashMap;
use std::fmt::Write;

/// One layer of the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerReport {
    pub name: String,
    pub kind: String,
    /// The cores that work on it.
    pub cores: usize,
    /// Crossbar layers: tiles per horizontal group and column blocks.
    pub h: Option<i64>,
    pub v: Option<i64>,
    /// Crossbar layers: the cores sharing an output, its parallelism limit.
    pub pv: Option<i64>,
    /// Crossbar layers: the replicas of its tiles, each computing a band of
    /// its output rows.
    pub duplication: Option<i64>,
    /// Crossbar layers: the stage time the duplication cost model predicts.
    pub stage_cycles: Option<f64>,
    /// Crossbar layers: whether the model finds the bus sets that time, so
    /// that more replicas would not shorten it.
    pub bus_bound: Option<bool>,
    pub start_cycle: u64,
    pub end_cycle: u64,
}

/// What one inference of a network took on a chip.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetworkReport {
    pub model: String,
    pub arch: String,
    pub network_sync: &'static str,
    pub cores_used: usize,
    pub crossbars_used: i64,
    pub latency_cycles: u64,
    pub latency_us: f64,
    pub speedup_vs_layer_by_layer: f64,
    pub bus_utilization: f64,
    pub bus_bytes: BusBytes,
    pub sync_memory_bytes: u64,
    pub peak_shared_memory_bytes: u64,
    /// Whether the host computes a final softmax (the chip has no exponentials).
    pub host_softmax: bool,
    pub compile_seconds: f64,
    pub simulate_seconds: f64,
    /// The layers computed on the chip, in network order.
    pub layers: Vec<LayerReport>,
    /// Several inputs streamed back to back (`rramc compile --inferences N`).
    pub streaming: Option<StreamingReport>,
}

/// Inputs streamed through a network back to back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StreamingReport {
    pub inferences: u32,
    /// As compiled (with its duplication).
    #[serde(flatten)]
    pub run: StreamRun,
    /// The same network with one copy of each layer, when it was duplicated.
    pub without_duplication: Option<StreamRun>,
}

/// What streaming `N` inferences took: the steady-state interval is the
/// time the last `N - 1` inferences added to the first one's latency, per
/// inference.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StreamRun {
    /// Of one inference alone.
    pub latency_cycles: u64,
    /// Until the last of the `N` inferences is out.
    pub cycles: u64,
    pub steady_state_interval_cycles: f64,
    pub throughput_inferences_per_s: f64,
}

impl StreamRun {
    /// From one inference's latency and `inferences >= 2` streamed in
    /// `cycles`, at `clock_mhz`.
    pub fn new(latency_cycles: u64, cycles: u64, inferences: u32, clock_mhz: f64) -> Self {
        let interval = cycles.saturating_sub(latency_cycles) as f64 / f64::from(inferences.max(2) - 1);
        StreamRun {
            latency_cycles,
            cycles,
            steady_state_interval_cycles: interval,
            throughput_inferences_per_s: clock_mhz * 1e6 / interval.max(1.0),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{:.0} cycles per inference in steady state, {:.1} inferences/s (latency {} cycles)",
            self.steady_state_interval_cycles, self.throughput_inferences_per_s, self.latency_cycles
        )
    }
}

impl NetworkReport {
    /// The report of `network` simulated as `stats` says; with the
    /// latency of the same network synchronized layer by layer, for the
    /// speedup. Layer by layer, the `k`-th layer on the chip runs from the
    /// release of barrier `k - 1` (or the start) to the release of barrier
    /// `k` (or the end); pipelined, from the first cycle one of its cores
    /// works to the last at which one halts.
    pub fn new(
        network: &CompiledNetwork,
        stats: &Stats,
        compile_seconds: f64,
        simulate_seconds: f64,
        layer_by_layer_cycles: Option<u64>,
    ) -> Self {
        let crossbars = i64::from(network.arch.core.crossbars);
        let mut releases = stats.barriers.iter().map(|b| b.cycle);
        let core_stats: HashMap<u32, &CoreStats> = stats.cores.iter().map(|c| (c.core, c)).collect();
        let mut previous_end = 0;
        let mut layers = Vec::new();
        for (index, layer) in network.net.layers.iter().enumerate() {
            let cores = &network.compiled.cores[index];
            if cores.is_empty() {
                continue;
            }
            let (start, end) = match network.sync {
                NetworkSync::LayerByLayer => (previous_end, releases.next().unwrap_or(stats.cycles)),
                NetworkSync::Pipelined => {
                    let of = |core: &u32| core_stats.get(core);
                    let start = cores.iter().filter_map(|c| of(c).and_then(|s| s.started)).min().unwrap_or(0);
                    let end = cores.iter().filter_map(of).map(|s| stats.cycles - s.idle).max().unwrap_or(0);
                    (start, end)
                }
            };
            previous_end = end;
            let (h, v, pv, duplication) = match &layer.op {
                NetOp::Conv { plan, replicas, .. } => {
                    (Some(plan.h), Some(plan.v), Some(group_members(plan.h, crossbars)), Some(*replicas))
                }
                _ => (None, None, None, None),
            };
            let stage = stage(layer, &network.arch).zip(duplication);
            let kind = network.kinds[index].to_string();
            layers.push(LayerReport {
                name: layer.name.clone(),
                kind,
                cores: cores.len(),
                h,
                v,
                pv,
                duplication,
                stage_cycles: stage.map(|(s, d)| s.time(d)),
                bus_bound: stage.map(|(s, d)| s.bus_bound(d)),
                start_cycle: start,
                end_cycle: end,
            });
        }
        NetworkReport {
            model: network.net.name.clone(),
            arch: network.arch.name.clone(),
            network_sync: network.sync.name(),
            cores_used: network.compiled.program.cores.len(),
            crossbars_used: network.compiled.crossbars_used,
            latency_cycles: stats.cycles,
            latency_us: stats.time_us,
            speedup_vs_layer_by_layer: layer_by_layer_cycles.map_or(1.0, |c| c as f64 / stats.cycles.max(1) as f64),
            bus_utilization: stats.bus_utilization,
            bus_bytes: stats.bus_bytes.clone(),
            sync_memory_bytes: stats.sync_memory_bytes,
            peak_shared_memory_bytes: stats.shared_memory_peak_bytes,
            host_softmax: network.host_softmax,
            compile_seconds,
            simulate_seconds,
            layers,
            streaming: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes") + "\n"
    }

    /// The layers by time taken, longest first.
    fn slowest(&self) -> Vec<&LayerReport> {
        let mut layers: Vec<&LayerReport> = self.layers.iter().collect();
        layers.sort_by_key(|l| std::cmp::Reverse(l.end_cycle - l.start_cycle));
        layers
    }

    /// The headline: latency, cores, bus, and the longest-running layers.
    pub fn headline(&self) -> String {
        let mut text = format!(
            "{} on {} ({}): {} cycles = {:.1} us per inference; {} cores, {} crossbars; bus {:.1}% busy, {} bytes \
             ({:.2}% synchronization)\n",
            self.model,
            self.arch,
            self.network_sync,
            self.latency_cycles,
            self.latency_us,
            self.cores_used,
            self.crossbars_used,
            100.0 * self.bus_utilization,
            self.bus_bytes.total(),
            100.0 * self.bus_bytes.sync as f64 / self.bus_bytes.total().max(1) as f64,
        );
        if self.network_sync != NetworkSync::LayerByLayer.name() {
            let _ = writeln!(text, "speedup over layer-by-layer: {:.2}x", self.speedup_vs_layer_by_layer);
        }
        let slowest: Vec<String> = self.slowest().iter().take(3).map(|l| self.share(l)).collect();
        let _ = writeln!(text, "longest-running layers: {}", slowest.join(", "));
        if let Some(streaming) = &self.streaming {
            let _ = writeln!(text, "{} inferences streamed: {}", streaming.inferences, streaming.run.describe());
            if let Some(plain) = &streaming.without_duplication {
                let _ = writeln!(text, "without duplication: {}", plain.describe());
            }
        }
        text
    }

    /// `name (kind) N%`: a layer's share of the latency.
    fn share(&self, layer: &LayerReport) -> String {
        let percent = 100.0 * (layer.end_cycle - layer.start_cycle) as f64 / self.latency_cycles.max(1) as f64;
        format!("{} ({}) {percent:.1}%", layer.name, layer.kind)
    }

    pub fn to_markdown(&self) -> String {
        let mut text = format!("# {} on {}\n\n{}\n", self.model, self.arch, self.headline());
        let bytes = &self.bus_bytes;
        let _ = writeln!(
            text,
            "Bus bytes: {} input, {} partial sums, {} output, {} synchronization. Synchronization memory {} B, \
             shared memory peak {} B. Compiled in {:.2} s, simulated in {:.2} s.{}\n",
            bytes.input,
            bytes.partial,
            bytes.output,
            bytes.sync,
            self.sync_memory_bytes,
            self.peak_shared_memory_bytes,
            self.compile_seconds,
            self.simulate_seconds,
            if self.host_softmax { " The final softmax is left to the host." } else { "" },
        );
        text.push_str(
            "| layer | kind | cores | h | v | PV | replicas | bound by | start | end | cycles | % of latency |\n",
        );
        text.push_str("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n");
        let or_dash = |value: Option<i64>| value.map_or("-".to_string(), |v| v.to_string());
        for layer in &self.layers {
            let cycles = layer.end_cycle - layer.start_cycle;
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
                layer.name,
                layer.kind,
                layer.cores,
                or_dash(layer.h),
                or_dash(layer.v),
                or_dash(layer.pv),
                or_dash(layer.duplication),
                match layer.bus_bound {
                    Some(true) => "bus",
                    Some(false) => "MVMs",
                    None => "-",
                },
                layer.start_cycle,
                layer.end_cycle,
                cycles,
                100.0 * cycles as f64 / self.latency_cycles.max(1) as f64
            );
        }
        text
    }

    /// A Gantt chart of the layers: one row each, a bar from its start to
    /// its end, coloured by kind.
    pub fn timeline_svg(&self) -> String {
        let (label, width, row) = (260.0, 640.0, 16.0);
        let height = row * self.layers.len() as f64 + 40.0;
        let scale = width / self.latency_cycles.max(1) as f64;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" \
             font-size=\"11\">\n<text x=\"4\" y=\"14\">{} on {}: {} cycles ({})</text>\n",
            label + width + 10.0,
            escape(&self.model),
            escape(&self.arch),
            self.latency_cycles,
            self.network_sync
        );
        for (i, layer) in self.layers.iter().enumerate() {
            let y = 24.0 + row * i as f64;
            let colour = match layer.kind.as_str() {
                "conv" => "#4e79a7",
                "dense" => "#59a14f",
                "add" => "#e15759",
                _ => "#f28e2b",
            };
            let _ = writeln!(
                svg,
                "<text x=\"4\" y=\"{}\">{}</text><rect x=\"{:.2}\" y=\"{y}\" width=\"{:.2}\" height=\"{}\" \
                 fill=\"{colour}\"><title>{}: cycles {}..{}</title></rect>",
                y + 11.0,
                escape(&layer.name),
                label + layer.start_cycle as f64 * scale,
                ((layer.end_cycle - layer.start_cycle) as f64 * scale).max(0.5),
                row - 3.0,
                escape(&layer.name),
                layer.start_cycle,
                layer.end_cycle
            );
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// The layers as a Perfetto (Chrome JSON) trace: one track per layer,
    /// one slice for its span, in microseconds at the chip's clock.
    pub fn perfetto_trace(&self, clock_mhz: f64) -> String {
        let us = |cycles: u64| cycles as f64 / clock_mhz;
        let mut events = vec![serde_json::json!({
            "ph": "M", "pid": 0, "name": "process_name", "args": { "name": format!("{} layers", self.model) }
        })];
        for (tid, layer) in self.layers.iter().enumerate() {
            events.push(serde_json::json!({
                "ph": "M", "pid": 0, "tid": tid, "name": "thread_name", "args": { "name": layer.name }
            }));
            events.push(serde_json::json!({
                "ph": "X", "pid": 0, "tid": tid, "name": layer.name, "cat": layer.kind,
                "ts": us(layer.start_cycle), "dur": us(layer.end_cycle - layer.start_cycle),
                "args": { "cores": layer.cores, "start_cycle": layer.start_cycle, "end_cycle": layer.end_cycle }
            }));
        }
        serde_json::json!({ "traceEvents": events, "displayTimeUnit": "ns" }).to_string() + "\n"
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
