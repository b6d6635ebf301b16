//! Figures to text: the console table, the Markdown report and the SVG chart of ratios.

use std::fmt::Write as _;

/// One side's result for one image and operation.
#[derive(Clone, Debug, Default)]
pub struct Side {
    pub median_ms: f64,
    /// Output bytes per variant.
    pub bytes: Vec<usize>,
    /// SSIMULACRA2 per variant.
    pub scores: Vec<f64>,
}

/// One image under one operation, both sides.
#[derive(Clone, Debug)]
pub struct Row {
    pub op: String,
    pub image: String,
    pub imgfront: Side,
    pub sharp: Side,
    /// Per-variant byte allowance (1.05 or 1.15).
    pub slack: Vec<f64>,
    /// Variant labels (viewer queries), for the failures list.
    pub labels: Vec<String>,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        self.imgfront.median_ms / self.sharp.median_ms
    }

    /// Every variant whose bytes or score break the quality rule, described.
    pub fn quality_failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.labels.len() {
            let (bi, bs) = (self.imgfront.bytes[i] as f64, self.sharp.bytes[i] as f64);
            if bi > bs * self.slack[i] {
                out.push(format!(
                    "{} on {}: {} bytes > {:.2} x sharp's {}",
                    self.labels[i], self.image, bi, self.slack[i], bs
                ));
            }
            if let (Some(si), Some(ss)) = (self.imgfront.scores.get(i), self.sharp.scores.get(i))
                && *si < ss - 2.0
            {
                out.push(format!(
                    "{} on {}: SSIMULACRA2 {si:.2} < sharp's {ss:.2} - 2",
                    self.labels[i], self.image
                ));
            }
        }
        out
    }

    fn total_bytes(side: &Side) -> usize {
        side.bytes.iter().sum()
    }

    /// The lowest margin over sharp's score across variants (imgfront - sharp).
    fn score_margin(&self) -> Option<f64> {
        self.imgfront
            .scores
            .iter()
            .zip(&self.sharp.scores)
            .map(|(i, s)| i - s)
            .reduce(f64::min)
    }

    fn mean_score(side: &Side) -> Option<f64> {
        (!side.scores.is_empty())
            .then(|| side.scores.iter().sum::<f64>() / side.scores.len() as f64)
    }
}

pub fn geomean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v.ln(), n + 1));
    if n == 0 {
        f64::NAN
    } else {
        (sum / n as f64).exp()
    }
}

/// Per-operation summary: geometric mean of ratios against the goal, and quality failures.
pub struct Summary {
    pub op: String,
    pub geomean: f64,
    pub goal: f64,
    pub failures: Vec<String>,
}

impl Summary {
    pub fn holds(&self) -> bool {
        self.geomean <= self.goal && self.failures.is_empty()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

/// The per-image table, as Markdown (the console prints the same lines).
pub fn rows_markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| op | image | imgfront ms | sharp ms | ratio | imgfront bytes | sharp bytes | bytes ratio | imgfront SSIMULACRA2 | sharp SSIMULACRA2 | worst margin | quality |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let (bi, bs) = (Row::total_bytes(&r.imgfront), Row::total_bytes(&r.sharp));
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {:.1} | {:.3} | {} | {} | {:.3} | {} | {} | {} | {} |",
            r.op,
            r.image,
            r.imgfront.median_ms,
            r.sharp.median_ms,
            r.ratio(),
            bi,
            bs,
            bi as f64 / bs as f64,
            opt(Row::mean_score(&r.imgfront)),
            opt(Row::mean_score(&r.sharp)),
            opt(r.score_margin()),
            if r.quality_failures().is_empty() {
                "ok"
            } else {
                "FAIL"
            },
        );
    }
    s
}

pub fn summary_markdown(summaries: &[Summary], total: f64) -> String {
    let mut s = String::from(
        "| op | time ratio imgfront/sharp (geomean) | goal | time | quality rule |\n|---|---:|---:|---|---|\n",
    );
    for m in summaries {
        let _ = writeln!(
            s,
            "| {} | {:.3} | ≤ {} | {} | {} |",
            m.op,
            m.geomean,
            m.goal,
            if m.geomean <= m.goal {
                "met"
            } else {
                "NOT met"
            },
            if m.failures.is_empty() {
                "holds in every case".to_string()
            } else {
                format!("{} failures", m.failures.len())
            }
        );
    }
    let _ = writeln!(s, "| **all ops** | **{total:.3}** | | | |");
    for m in summaries {
        for f in &m.failures {
            let _ = writeln!(s, "\n- quality rule broken: {f}");
        }
    }
    s
}

/// A horizontal bar per operation: the geomean ratio, with the goal marked.
pub fn chart_svg(summaries: &[Summary]) -> String {
    let (left, width, bar, gap) = (190.0, 420.0, 22.0, 12.0);
    let scale = width / 1.2; // the axis runs from 0 to 1.2 (sharp = 1.0)
    let height = 60.0 + (bar + gap) * summaries.len() as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-size=\"14\">time ratio imgfront/sharp (geomean; lower is faster; | = goal)</text>\n",
        left + width + 80.0
    );
    let x1 = left + scale;
    let _ = writeln!(
        s,
        "<line x1=\"{x1}\" y1=\"28\" x2=\"{x1}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\" fill=\"#666\">sharp = 1.0</text>",
        height - 20.0,
        x1 - 30.0,
        height - 6.0
    );
    for (i, m) in summaries.iter().enumerate() {
        let y = 34.0 + (bar + gap) * i as f64;
        let w = (m.geomean.min(1.2) * scale).max(1.0);
        let colour = if m.holds() { "#2a9d5c" } else { "#d1495b" };
        let gx = left + m.goal * scale;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{}\">{:.3}</text>\
             <line x1=\"{gx}\" y1=\"{}\" x2=\"{gx}\" y2=\"{}\" stroke=\"black\" stroke-width=\"2\"/>",
            left - 8.0,
            y + 15.0,
            m.op,
            left + w + 6.0,
            y + 15.0,
            m.geomean,
            y - 3.0,
            y + bar + 3.0
        );
    }
    s.push_str("</svg>\n");
    s
}
