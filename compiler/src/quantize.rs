//! Int8 networks: a network's input, weights and biases made integers, as
//! an int8 chip computes with them, and an integer reference that computes
//! the same integer network directly (NCHW, no tiles, no schedule, no
//! layout), so that the chip can be checked against it exactly.
//!
//! Scales are powers of two. Every feature map holds int8 values at one
//! scale for the whole network, `2^-frac`, `frac` the most fractional bits
//! that keep the input's largest magnitude within 127. A crossbar layer's
//! weights have their own scale `2^-k` (the most bits that keep its
//! largest weight within 127) and its bias `2^-(frac + k)`, so that its
//! int32 sums have `frac + k` fractional bits and `REQUANT k` brings them
//! back to int8 at `frac`. A residual add saturates its sum (`REQUANT 0`);
//! pooling keeps int8 values (an average truncates toward zero, as the
//! vector unit's `AVG` does on integers); a clip's bounds are scaled by
//! `2^frac`. Values beyond int8 saturate: the integer network is exact,
//! not always close to the f32 one.

use rram_passes::network::{ConvData, Net, NetOp, PoolKind};
use rram_passes::schedule::{Activation, Window};
use rram_sim::requantize;

/// A network of integers, and the scale of its feature maps.
#[derive(Debug, Clone)]
pub struct Int8Network {
    pub net: Net,
    /// Feature maps hold `value * 2^frac`.
    pub frac: i32,
}

/// The most fractional bits that keep `largest` within 127 (0 for 0).
fn fraction_bits(largest: f64) -> i32 {
    if largest > 0.0 {
        (127.0 / largest).log2().floor() as i32
    } else {
        0
    }
}

/// `value * 2^bits` rounded to the nearest integer, halves up.
fn scaled(value: f64, bits: i32) -> f64 {
    (value * 2f64.powi(bits) + 0.5).floor()
}

/// `net` (with its input and weights) in integers.
pub fn quantize(net: &Net) -> Result<Int8Network, String> {
    let input = net.layers.iter().find_map(|l| match &l.op {
        NetOp::Input { data: Some(values) } => Some(values),
        _ => None,
    });
    let input = input.ok_or("an int8 network needs its input values")?;
    let frac = fraction_bits(input.iter().fold(0.0f64, |m, v| m.max(v.abs())));
    let mut quantized = net.clone();
    for layer in &mut quantized.layers {
        layer.activation = match layer.activation {
            Activation::Clip { lo, hi } => {
                let unit = 2f32.powi(frac);
                Activation::Clip { lo: lo * unit, hi: hi * unit }
            }
            other => other,
        };
        match &mut layer.op {
            NetOp::Input { data: Some(values) } => {
                values.iter_mut().for_each(|v| *v = scaled(*v, frac).clamp(-128.0, 127.0));
            }
            NetOp::Conv { data: Some(ConvData { weights, bias }), .. } => {
                let largest = weights.iter().fold(0.0f64, |m, w| m.max(w.abs()));
                if largest > 127.0 {
                    return Err(format!("layer '{}' has a weight of {largest}, beyond int8", layer.name));
                }
                let k = fraction_bits(largest).min(24);
                weights.iter_mut().for_each(|w| *w = scaled(*w, k));
                for b in bias.iter_mut().flatten() {
                    *b = scaled(*b, frac + k);
                    if b.abs() > f64::from(i32::MAX) {
                        return Err(format!("layer '{}': a bias of {b} is beyond int32", layer.name));
                    }
                }
                layer.requant = Some(k as u32);
            }
            NetOp::Conv { data: None, .. } => {
                return Err(format!("layer '{}' has no weights to quantize", layer.name));
            }
            NetOp::Add => layer.requant = Some(0),
            _ => {}
        }
    }
    Ok(Int8Network { net: quantized, frac })
}

/// Every layer's output (NCHW) of an integer network, computed directly.
pub fn evaluate_int8(net: &Net) -> Result<Vec<Vec<f64>>, String> {
    let mut outputs: Vec<Vec<f64>> = Vec::with_capacity(net.layers.len());
    for layer in &net.layers {
        let [channels, height, width] = layer.shape;
        let input = |k: usize| (&outputs[layer.inputs[k]], net.layers[layer.inputs[k]].shape);
        let sums: Vec<f64> = match &layer.op {
            NetOp::Input { data } => data.clone().ok_or("the integer reference needs the input values")?,
            NetOp::Conv { window, data, .. } => {
                let data = data.as_ref().ok_or_else(|| format!("layer '{}' has no weights", layer.name))?;
                let (values, shape) = input(0);
                convolve(values, shape, window, data, layer.shape)
            }
            NetOp::Pool { kind, kernel, stride, dilation, pads } => {
                let (values, shape) = input(0);
                let pool = Pooling { kind: *kind, kernel: *kernel, stride: *stride, dilation: *dilation, pads: *pads };
                pool.apply(values, shape, layer.shape)
            }
            NetOp::GlobalAvgPool => {
                let (values, [_, h, w]) = input(0);
                let plane = (h * w) as usize;
                values.chunks(plane).map(|c| (c.iter().sum::<f64>() / plane as f64).trunc()).collect()
            }
            NetOp::Add => input(0).0.iter().zip(input(1).0).map(|(a, b)| a + b).collect(),
            NetOp::Concat => (0..layer.inputs.len()).flat_map(|k| input(k).0.iter().copied()).collect(),
        };
        debug_assert_eq!(sums.len() as i64, channels * height * width);
        let values = sums
            .into_iter()
            .map(|v| {
                let v = layer.requant.map_or(v, |shift| requantize(v, shift));
                match layer.activation {
                    Activation::None => v,
                    Activation::Relu => v.max(0.0),
                    Activation::Clip { lo, hi } => v.max(f64::from(lo).ceil()).min(f64::from(hi).floor()),
                }
            })
            .collect();
        outputs.push(values);
    }
    Ok(outputs)
}

/// The sums (bias included) of a conv of `input` (`[C, H, W]`) into
/// `output`, zero in the padding.
fn convolve(input: &[f64], [cin, h, w]: [i64; 3], window: &Window, data: &ConvData, output: [i64; 3]) -> Vec<f64> {
    let [cout, oh, ow] = output;
    let cin_g = window.group_channels;
    let cout_g = cout / (cin / cin_g);
    let [kh, kw] = window.kernel;
    let mut sums = Vec::with_capacity((cout * oh * ow) as usize);
    for o in 0..cout {
        let group = o / cout_g;
        for y in 0..oh {
            for x in 0..ow {
                let mut sum = data.bias.as_ref().map_or(0.0, |b| b[o as usize]);
                for ci in 0..cin_g {
                    for i in 0..kh {
                        for j in 0..kw {
                            let iy = y * window.stride[0] - window.pad[0] + i * window.dilation[0];
                            let ix = x * window.stride[1] - window.pad[1] + j * window.dilation[1];
                            if (0..h).contains(&iy) && (0..w).contains(&ix) {
                                let weight = data.weights[(((o * cin_g + ci) * kh + i) * kw + j) as usize];
                                sum += weight * input[(((group * cin_g + ci) * h + iy) * w + ix) as usize];
                            }
                        }
                    }
                }
                sums.push(sum);
            }
        }
    }
    sums
}

/// A max or average pooling's window.
struct Pooling {
    kind: PoolKind,
    kernel: [i64; 2],
    stride: [i64; 2],
    dilation: [i64; 2],
    /// Top, left, bottom, right.
    pads: [i64; 4],
}

impl Pooling {
    /// Pools `input` (`[C, H, W]`) into `output` over the taps inside the
    /// input; an average divides by them, or with `count_include_pad` by
    /// the taps inside the padded input, and truncates toward zero.
    fn apply(&self, input: &[f64], [_, h, w]: [i64; 3], [channels, oh, ow]: [i64; 3]) -> Vec<f64> {
        let position = |d: usize, o: i64, k: i64| o * self.stride[d] - self.pads[d] + k * self.dilation[d];
        let mut values = Vec::with_capacity((channels * oh * ow) as usize);
        for c in 0..channels {
            for y in 0..oh {
                for x in 0..ow {
                    let (mut inside, mut padded) = (Vec::new(), 0);
                    for i in 0..self.kernel[0] {
                        for j in 0..self.kernel[1] {
                            let (iy, ix) = (position(0, y, i), position(1, x, j));
                            if iy < h + self.pads[2] && ix < w + self.pads[3] {
                                padded += 1;
                            }
                            if (0..h).contains(&iy) && (0..w).contains(&ix) {
                                inside.push(input[((c * h + iy) * w + ix) as usize]);
                            }
                        }
                    }
                    values.push(match self.kind {
                        PoolKind::Max => inside.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        PoolKind::Avg { count_include_pad } => {
                            let count = if count_include_pad { padded } else { inside.len() };
                            (inside.iter().sum::<f64>() / count as f64).trunc()
                        }
                    });
                }
            }
        }
        values
    }
}
