//! Small SVG charts for reports: points and lines on linear or log2 axes,
//! with ticks, a legend and nothing else; plain text that any browser shows
//! and that diffs well.

use std::fmt::Write as _;

/// A horizontal or vertical axis.
#[derive(Debug, Clone)]
pub struct Axis {
    pub label: String,
    /// Doubling steps instead of equal ones (core counts, sizes).
    pub log2: bool,
    pub min: f64,
    pub max: f64,
}

impl Axis {
    /// An axis that shows `values` (with a margin on a linear axis).
    pub fn fit(label: &str, log2: bool, values: impl Iterator<Item = f64>) -> Axis {
        let (mut min, mut max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !min.is_finite() {
            (min, max) = (0.0, 1.0);
        }
        if log2 {
            min = 2f64.powf(min.max(f64::MIN_POSITIVE).log2().floor());
            max = 2f64.powf(max.max(min).log2().ceil());
            if max <= min {
                max = min * 2.0;
            }
        } else {
            let pad = ((max - min) * 0.05).max(1e-9);
            (min, max) = (min - pad, max + pad);
        }
        Axis { label: label.to_string(), log2, min, max }
    }

    /// A linear axis from `min` to `max`.
    pub fn range(label: &str, min: f64, max: f64) -> Axis {
        Axis { label: label.to_string(), log2: false, min, max }
    }

    /// Where `value` falls, from 0 (min) to 1 (max).
    fn fraction(&self, value: f64) -> f64 {
        if self.log2 {
            (value.log2() - self.min.log2()) / (self.max.log2() - self.min.log2())
        } else {
            (value - self.min) / (self.max - self.min)
        }
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log2 {
            let (lo, hi) = (self.min.log2().round() as i32, self.max.log2().round() as i32);
            let step = ((hi - lo) / 10 + 1) as usize;
            return (lo..=hi).step_by(step).map(|e| 2f64.powi(e)).collect();
        }
        let raw = (self.max - self.min) / 6.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw);
        let first = (self.min / step).ceil() as i64;
        let last = (self.max / step).floor() as i64;
        (first..=last).map(|i| i as f64 * step).collect()
    }
}

/// One series: points, optionally joined.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub lines: bool,
}

/// A chart with a title, two axes and series in distinct colours.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
}

const COLOURS: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

impl Chart {
    pub fn to_svg(&self) -> String {
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let px = |x: f64| LEFT + self.x.fraction(x).clamp(0.0, 1.0) * plot_w;
        let py = |y: f64| TOP + (1.0 - self.y.fraction(y).clamp(0.0, 1.0)) * plot_h;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
            LEFT + plot_w / 2.0,
            escape(&self.title)
        );
        for tick in self.x.ticks() {
            let x = px(tick);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                TOP + plot_h,
                TOP + plot_h + 16.0,
                number(tick)
            );
        }
        for tick in self.y.ticks() {
            let y = py(tick);
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                y + 4.0,
                number(tick)
            );
        }
        let _ = writeln!(
            svg,
            r#"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 18.0,
            escape(&self.x.label)
        );
        let _ = writeln!(
            svg,
            r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + plot_h / 2.0,
            escape(&self.y.label)
        );
        for (index, series) in self.series.iter().enumerate() {
            let colour = COLOURS[index % COLOURS.len()];
            if series.lines && series.points.len() > 1 {
                let path: Vec<String> =
                    series.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
                let _ = writeln!(
                    svg,
                    r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
                    path.join(" ")
                );
            }
            for &(x, y) in &series.points {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}" fill-opacity="0.7"/>"#,
                    px(x),
                    py(y)
                );
            }
            let legend_y = TOP + 10.0 + 18.0 * index as f64;
            let legend_x = LEFT + plot_w + 14.0;
            let _ = writeln!(
                svg,
                r#"<circle cx="{legend_x}" cy="{legend_y}" r="4" fill="{colour}"/><text x="{}" y="{}">{}</text>"#,
                legend_x + 10.0,
                legend_y + 4.0,
                escape(&series.name)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn number(value: f64) -> String {
    if value == value.round() && value.abs() < 1e9 {
        format!("{}", value as i64)
    } else {
        format!("{value:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
