//! Request traces for the simulator: a seeded generator shaped like real image traffic, and a
//! reader for recorded request lines (`PATH?QUERY<TAB>ACCEPT`, `#` comments).

/// A small, fast, seedable PRNG (SplitMix64); the trace must be identical for a given seed on
/// every machine, which rules out OS entropy.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Picks by weight from `(weight, value)` pairs.
    pub fn weighted<'a, T>(&mut self, items: &'a [(f64, T)]) -> &'a T {
        let total: f64 = items.iter().map(|(w, _)| w).sum();
        let mut x = self.unit() * total;
        for (w, v) in items {
            if x < *w {
                return v;
            }
            x -= w;
        }
        &items[items.len() - 1].1
    }
}

/// Zipf over ranks 0..n (rank 0 most popular), by inverse CDF.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for rank in 1..=n.max(1) {
            sum += 1.0 / (rank as f64).powf(s);
            cdf.push(sum);
        }
        for v in &mut cdf {
            *v /= sum;
        }
        Zipf { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let x = rng.unit();
        self.cdf.partition_point(|&c| c < x).min(self.cdf.len() - 1)
    }
}

/// One viewer request of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRequest {
    pub path: String,
    pub query: String,
    pub accept: String,
}

impl TraceRequest {
    pub fn to_line(&self) -> String {
        format!("{}?{}\t{}", self.path, self.query, self.accept)
    }

    pub fn from_line(line: &str) -> Option<TraceRequest> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() || line.starts_with('#') {
            return None;
        }
        let (url, accept) = line.split_once('\t').unwrap_or((line, "*/*"));
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        Some(TraceRequest {
            path: path.to_string(),
            query: query.to_string(),
            accept: accept.to_string(),
        })
    }
}

/// What the generated trace looks like; docs/local-edge.md reports the run of the defaults.
#[derive(Clone, Debug)]
pub struct TraceShape {
    pub requests: u64,
    pub originals: usize,
    pub zipf_s: f64,
    pub seed: u64,
    /// Share of requests that carry tracking junk or cache-busters.
    pub junk: f64,
}

impl Default for TraceShape {
    fn default() -> Self {
        TraceShape {
            requests: 1_000_000,
            originals: 1_000,
            zipf_s: 1.0,
            seed: 42,
            junk: 0.30,
        }
    }
}

/// Real browsers' image `Accept` headers, with rough shares.
pub const ACCEPTS: [(f64, &str); 4] = [
    (
        0.62,
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    ),
    (
        0.18,
        "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
    ),
    (0.12, "image/webp,*/*"),
    (0.08, "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"),
];

/// Layout slots in CSS px: thumbnails (square cover), cards, content and hero images.
const SLOTS: [(f64, (u32, bool)); 5] = [
    (0.25, (150, true)),
    (0.30, (300, false)),
    (0.20, (480, false)),
    (0.15, (800, false)),
    (0.10, (1200, false)),
];

const JUNK: [&str; 6] = ["utm_source", "utm_campaign", "fbclid", "gclid", "cb", "_"];

/// The seeded trace: Zipf-popular originals; realistic and off-grid widths (fluid layouts give
/// `w=287`); a DPR mix sent either as `dpr` or already multiplied into `w`; an `Accept` mix;
/// `fmt=auto` mostly, explicit formats sometimes; junk on `junk` of requests; shuffled
/// parameter order and upper-case names now and then.
pub fn generate(shape: &TraceShape) -> impl Iterator<Item = TraceRequest> + '_ {
    let zipf = Zipf::new(shape.originals, shape.zipf_s);
    let mut rng = Rng::new(shape.seed);
    (0..shape.requests).map(move |_| {
        let original = zipf.sample(&mut rng);
        let path = format!("/demo/catalog/p{original:05}.jpg");
        let &(slot, cover) = rng.weighted(&SLOTS);
        // Fluid layouts: half the requests are a few percent off the slot width.
        let css = if rng.chance(0.5) {
            let jitter = 0.85 + rng.unit() * 0.15;
            ((f64::from(slot) * jitter) as u32).max(16)
        } else {
            slot
        };
        let dpr = *rng.weighted(&[(0.45, 1u32), (0.40, 2), (0.15, 3)]);
        let mut params: Vec<(String, String)> = Vec::new();
        let dpr_as_param = dpr > 1 && rng.chance(0.5);
        let w = if dpr_as_param { css } else { css * dpr };
        params.push(("w".into(), w.to_string()));
        if cover {
            params.push(("h".into(), w.to_string()));
            params.push(("fit".into(), "cover".into()));
        }
        if dpr_as_param {
            params.push(("dpr".into(), dpr.to_string()));
        }
        let fmt = *rng.weighted(&[(0.9, "auto"), (0.05, "webp"), (0.03, "jpg"), (0.02, "jpeg")]);
        params.push(("fmt".into(), fmt.into()));
        if rng.chance(0.15) {
            let q = *rng.weighted(&[(0.5, "80"), (0.3, "75"), (0.2, "78")]);
            params.push(("q".into(), q.into()));
        }
        if rng.chance(shape.junk) {
            for _ in 0..1 + rng.below(2) {
                let name = JUNK[rng.below(JUNK.len())];
                params.push((name.into(), format!("{:x}", rng.next_u64() >> 20)));
            }
        }
        // Random order, sometimes upper-case names (hand-written or legacy links).
        for i in (1..params.len()).rev() {
            let j = rng.below(i + 1);
            params.swap(i, j);
        }
        if rng.chance(0.05) {
            for p in &mut params {
                p.0 = p.0.to_ascii_uppercase();
            }
        }
        let query = params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let accept = rng.weighted(&ACCEPTS).to_string();
        TraceRequest {
            path,
            query,
            accept,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_trace_and_lines_round_trip() {
        let shape = TraceShape {
            requests: 500,
            ..TraceShape::default()
        };
        let a: Vec<_> = generate(&shape).collect();
        let b: Vec<_> = generate(&shape).collect();
        assert_eq!(a, b);
        for r in &a {
            assert_eq!(TraceRequest::from_line(&r.to_line()).as_ref(), Some(r));
        }
        let junk = a
            .iter()
            .filter(|r| {
                JUNK.iter()
                    .any(|j| r.query.to_ascii_lowercase().contains(&format!("{j}=")))
            })
            .count();
        assert!((100..=200).contains(&junk), "{junk} of 500 carry junk");
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let z = Zipf::new(1000, 1.0);
        let mut rng = Rng::new(7);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng)] += 1;
        }
        // Rank 1 should get about twice rank 2 and ten times rank 10.
        let r = f64::from(counts[0]) / f64::from(counts[9]);
        assert!((7.0..14.0).contains(&r), "rank1/rank10 = {r}");
        assert!(counts[0] > counts[1] && counts[1] > counts[50]);
    }
}
