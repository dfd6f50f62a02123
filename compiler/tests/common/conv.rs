//! A small convolution with deterministic values, its im2col form and a
//! direct f64 reference: the oracle for programs computed through tiles.

/// `[Cin, H, W]` input, `[Cout, Cin, K, K]` weights, stride 1, no padding.
#[derive(Debug, Clone)]
pub struct Conv {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub size: usize,
    pub input: Vec<f64>,
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
}

impl Conv {
    /// Values are small multiples of 1/8, exact in f32 and in their sums.
    pub fn new(cin: usize, cout: usize, kernel: usize, size: usize) -> Self {
        let value = |i: usize, salt: usize| ((i * 7919 + salt * 104_729) % 23) as f64 / 8.0 - 1.25;
        Conv {
            cin,
            cout,
            kernel,
            size,
            input: (0..cin * size * size).map(|i| value(i, 1)).collect(),
            weight: (0..cout * cin * kernel * kernel).map(|i| value(i, 2)).collect(),
            bias: (0..cout).map(|i| value(i, 3)).collect(),
        }
    }

    pub fn out_size(&self) -> usize {
        self.size - self.kernel + 1
    }

    pub fn rows(&self) -> usize {
        self.cin * self.kernel * self.kernel
    }

    /// The input window of output pixel `(y, x)`, in kernel-matrix row order.
    pub fn window(&self, y: usize, x: usize) -> Vec<f64> {
        let mut window = Vec::with_capacity(self.rows());
        for c in 0..self.cin {
            for ky in 0..self.kernel {
                for kx in 0..self.kernel {
                    window.push(self.input[(c * self.size + y + ky) * self.size + x + kx]);
                }
            }
        }
        window
    }

    /// Every pixel's window, pixel after pixel (row-major pixels).
    pub fn windows(&self) -> Vec<f64> {
        let n = self.out_size();
        (0..n * n).flat_map(|p| self.window(p / n, p % n)).collect()
    }

    /// Kernel-matrix rows `rows` and channels `channels`, row-major.
    pub fn matrix(&self, rows: std::ops::Range<usize>, channels: std::ops::Range<usize>) -> Vec<f64> {
        let r = self.rows();
        rows.flat_map(|row| channels.clone().map(move |k| (row, k))).map(|(row, k)| self.weight[k * r + row]).collect()
    }

    /// `relu(conv + bias)` in f64, as output vectors: `[pixel][channel]`.
    pub fn reference(&self) -> Vec<f64> {
        let n = self.out_size();
        let mut out = Vec::with_capacity(n * n * self.cout);
        for p in 0..n * n {
            let window = self.window(p / n, p % n);
            for k in 0..self.cout {
                let sum: f64 = (0..self.rows()).map(|r| self.weight[k * self.rows() + r] * window[r]).sum();
                out.push((sum + self.bias[k]).max(0.0));
            }
        }
        out
    }
}
