//! The per-layer summary of a network (`rram-translate --summary`): shapes,
//! the im2col kernel matrix each conv/dense layer puts on crossbars, MACs
//! and parameters, with totals.

use crate::frontend::{Network, NetworkError, Ref};
use rram_dialects::nn::{element_count, NnOp};
use std::fmt;

/// One layer (every node but weights).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSummary {
    pub name: String,
    pub op: &'static str,
    pub input: Vec<i64>,
    pub output: Vec<i64>,
    /// The kernel matrix `[rows, cols]` of a conv or dense layer:
    /// `Kh*Kw*Cin/groups` rows and `Cout` columns; `None` for other ops.
    pub matrix: Option<[i64; 2]>,
    pub groups: i64,
    /// Multiply-accumulates of one inference (0 for ops without a matrix).
    pub macs: u64,
    /// Elements of the layer's parameters as torchvision counts them: its
    /// weights, but not a batchnorm's running mean and variance (buffers).
    pub params: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub network: String,
    pub layers: Vec<LayerSummary>,
}

impl Summary {
    /// The summary of `network`; an error naming the layer where a count
    /// exceeds 64 bits.
    pub fn of(network: &Network) -> Result<Self, NetworkError> {
        let is_weight = |r: &Ref| matches!(r, Ref::Node(i) if matches!(network.nodes[*i].op, NnOp::Weight { .. }));
        let layers = network
            .nodes
            .iter()
            .filter(|node| !matches!(node.op, NnOp::Weight { .. }))
            .map(|node| {
                let error = |message: String| NetworkError { node: node.name.clone(), op: node.op.name(), message };
                let input = node.inputs.first().map(|&r| network.shape(r).to_vec()).unwrap_or_default();
                let weight = node.inputs.get(1).map(|&r| network.shape(r));
                let (matrix, groups) = match (&node.op, weight) {
                    (NnOp::Conv2d(conv), Some(w)) => {
                        (Some([element_count(&w[1..]).map_err(error)?, w[0]]), conv.groups)
                    }
                    (NnOp::Dense, Some(w)) => (Some([w[1], w[0]]), 1),
                    _ => (None, 1),
                };
                // Each output element of a conv/dense takes one kernel-matrix column
                // restricted to its group: rows (= Kh*Kw*Cin/g) MACs.
                let macs = match matrix {
                    Some([rows, _]) => element_count(&node.shape)
                        .and_then(|outputs| {
                            outputs.checked_mul(rows).ok_or_else(|| {
                                format!(
                                    "{outputs} outputs of {rows} multiply-accumulates each are more MACs than fit in \
                                     64 bits"
                                )
                            })
                        })
                        .map_err(error)?,
                    None => 0,
                };
                let parameters = match node.op {
                    // x, scale, bias; then mean and var, which are not learned.
                    NnOp::BatchNorm { .. } => &node.inputs[..node.inputs.len().min(3)],
                    _ => &node.inputs[..],
                };
                let params = parameters
                    .iter()
                    .filter(|r| is_weight(r))
                    .try_fold(0i64, |sum, &r| {
                        let count = element_count(network.shape(r))?;
                        sum.checked_add(count)
                            .ok_or_else(|| "the weights have more elements than fit in 64 bits".into())
                    })
                    .map_err(error)?;
                Ok(LayerSummary {
                    name: node.name.clone(),
                    op: node.op.name(),
                    input,
                    output: node.shape.clone(),
                    matrix,
                    groups,
                    macs: macs as u64,
                    params: params as u64,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Summary { network: network.name.clone(), layers })
    }

    /// In u128, which no sum of the layers' u64 counts can overflow.
    pub fn total_macs(&self) -> u128 {
        self.layers.iter().map(|l| u128::from(l.macs)).sum()
    }

    pub fn total_params(&self) -> u128 {
        self.layers.iter().map(|l| u128::from(l.params)).sum()
    }
}

fn dims(shape: &[i64]) -> String {
    shape.iter().map(i64::to_string).collect::<Vec<_>>().join("x")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["#", "layer", "op", "input", "output", "matrix", "groups", "MACs", "params"];
        let mut rows: Vec<[String; 9]> = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                [
                    (i + 1).to_string(),
                    l.name.clone(),
                    l.op.trim_start_matches("nn.").to_string(),
                    dims(&l.input),
                    dims(&l.output),
                    l.matrix.map_or("-".into(), |[r, c]| format!("{r}x{c}")),
                    l.matrix.map_or("-".into(), |_| l.groups.to_string()),
                    l.macs.to_string(),
                    l.params.to_string(),
                ]
            })
            .collect();
        let total = |s: &str| s.to_string();
        rows.push([
            total(""),
            total("total"),
            format!("{} layers", self.layers.len()),
            total(""),
            total(""),
            total(""),
            total(""),
            self.total_macs().to_string(),
            self.total_params().to_string(),
        ]);
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        writeln!(f, "{}", self.network)?;
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .enumerate()
                // Numbers right-aligned, text left-aligned.
                .map(|(i, (c, w))| if i == 0 || i >= 6 { format!("{c:>w$}") } else { format!("{c:<w$}") })
                .collect();
            padded.join("  ").trim_end().to_string()
        };
        writeln!(f, "{}", line(&header.map(String::from)))?;
        for row in &rows {
            writeln!(f, "{}", line(row))?;
        }
        Ok(())
    }
}
