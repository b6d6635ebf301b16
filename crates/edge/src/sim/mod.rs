//! The hit-ratio simulator: one trace replayed through naive keying (the full query string)
//! and through imgfront's normalization, each with a bounded edge LRU and an optional shield
//! layer, then priced with the cost model.

pub mod cost;
pub mod trace;

use std::collections::{HashMap, HashSet};

use imgfront_spec::{Config, Format, Key, Ops, Spec};

use crate::lru::ByteLru;
use trace::TraceRequest;

/// Cache sizes of the replay.
#[derive(Clone, Debug)]
pub struct Layers {
    pub edge_bytes: u64,
    /// `None` replays without Origin Shield.
    pub shield_bytes: Option<u64>,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            edge_bytes: 4 << 30,
            shield_bytes: Some(16 << 30),
        }
    }
}

/// What one keying scheme did with the trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub requests: u64,
    pub edge_hits: u64,
    pub shield_hits: u64,
    /// Requests that reached the origin group (S3 derivatives, then the transform).
    pub origin_fetches: u64,
    pub transforms: u64,
    pub s3_gets: u64,
    pub errors: u64,
    pub distinct_keys: u64,
    pub keys_per_original_max: u64,
    pub keys_per_original_mean: f64,
    pub bytes_served: u64,
    pub bytes_from_origin: u64,
}

impl Outcome {
    pub fn hit_ratio(&self) -> f64 {
        let served = self.requests - self.errors;
        if served == 0 {
            0.0
        } else {
            self.edge_hits as f64 / served as f64
        }
    }
}

/// Bytes of a derivative, from its pixel count and format (4:3 originals; bytes per pixel of
/// product photos at the default qualities, calibrated so the default trace averages about the
/// reference design's 40 KB). Only cache-capacity effects depend on it.
pub fn object_bytes(ops: &Ops) -> u64 {
    let w = f64::from(ops.width().unwrap_or(1200));
    let h = f64::from(ops.height().unwrap_or((w * 0.75) as u32));
    let per_pixel = match ops.format() {
        Some(Format::Avif) => 0.036,
        Some(Format::Webp) => 0.057,
        Some(Format::Png) => 0.45,
        _ => 0.083,
    };
    (w * h * per_pixel) as u64 + 300
}

/// The most distinct variants the generated trace can produce per original: every width
/// breakpoint, in two shapes (width only, square cover), three negotiated formats and the
/// quality values it sends after snapping (the default and one other).
pub fn variant_bound(config: &Config) -> u64 {
    config.breakpoints.width.len() as u64 * 2 * 3 * 2
}

struct Scheme {
    edge: ByteLru<()>,
    shield: Option<ByteLru<()>>,
    /// Derivatives in S3: precomputed presets plus every earlier transform (imgfront only).
    stored: Option<HashSet<String>>,
    keys: HashMap<String, HashSet<String>>,
    out: Outcome,
}

impl Scheme {
    fn new(layers: &Layers, stores_derivatives: bool) -> Scheme {
        Scheme {
            edge: ByteLru::new(layers.edge_bytes),
            shield: layers.shield_bytes.map(ByteLru::new),
            stored: stores_derivatives.then(HashSet::new),
            keys: HashMap::new(),
            out: Outcome::default(),
        }
    }

    fn request(&mut self, original: &str, key: String, size: u64) {
        const FOREVER: u64 = u64::MAX;
        self.out.requests += 1;
        self.out.bytes_served += size;
        if self.edge.get(&key, 0).is_some() {
            self.out.edge_hits += 1;
        } else if self
            .shield
            .as_mut()
            .is_some_and(|s| s.get(&key, 0).is_some())
        {
            self.out.shield_hits += 1;
            self.edge.insert(&key, (), size, FOREVER);
        } else {
            self.out.origin_fetches += 1;
            self.out.bytes_from_origin += size;
            match &mut self.stored {
                // The origin group reads S3 first; only a missing derivative is transformed
                // (one more GET for the original), and the result is stored for good.
                Some(stored) => {
                    self.out.s3_gets += 1;
                    if stored.insert(key.clone()) {
                        self.out.transforms += 1;
                        self.out.s3_gets += 1;
                    }
                }
                // The reference handler transforms every origin request from the original.
                None => {
                    self.out.transforms += 1;
                    self.out.s3_gets += 1;
                }
            }
            if let Some(shield) = &mut self.shield {
                shield.insert(&key, (), size, FOREVER);
            }
            self.edge.insert(&key, (), size, FOREVER);
        }
        let keys = self.keys.entry(original.to_string()).or_default();
        keys.insert(key);
    }

    /// Ends the warm-up: caches and stored derivatives stay, the counters start over.
    fn start_measuring(&mut self) {
        self.out = Outcome::default();
        self.keys.clear();
    }

    fn error(&mut self) {
        self.out.requests += 1;
        self.out.errors += 1;
    }

    fn finish(mut self) -> Outcome {
        self.out.distinct_keys = self.keys.values().map(|k| k.len() as u64).sum();
        self.out.keys_per_original_max = self
            .keys
            .values()
            .map(|k| k.len() as u64)
            .max()
            .unwrap_or(0);
        self.out.keys_per_original_mean = if self.keys.is_empty() {
            0.0
        } else {
            self.out.distinct_keys as f64 / self.keys.len() as f64
        };
        self.out
    }
}

/// Replays `trace` through naive keying and through imgfront normalization. With
/// `precomputed`, every original's presets are in S3 before its first request (the precompute
/// Lambda ran at upload). The first `warmup` requests fill the caches without being counted:
/// a CDN at a billion requests a day is never cold.
pub fn replay(
    config: &Config,
    trace: impl Iterator<Item = TraceRequest>,
    layers: &Layers,
    precomputed: bool,
    warmup: u64,
) -> (Outcome, Outcome) {
    let mut naive = Scheme::new(layers, false);
    let mut normalized = Scheme::new(layers, true);
    let mut seen_originals = HashSet::new();
    for (n, req) in trace.enumerate() {
        if warmup > 0 && n as u64 == warmup {
            naive.start_measuring();
            normalized.start_measuring();
        }
        let parsed = match Spec::from_viewer(config, &req.path, &req.query, Some(&req.accept)) {
            Ok(p) => p.spec,
            Err(_) => {
                naive.error();
                normalized.error();
                continue;
            }
        };
        if precomputed
            && seen_originals.insert(req.path.clone())
            && let Some(stored) = &mut normalized.stored
        {
            stored.extend(preset_paths(config, &parsed.key));
        }
        let size = object_bytes(&parsed.ops);
        // Naive keying still has to vary on the negotiated format to be correct at all.
        let format = parsed.ops.format().map_or("", Format::extension);
        naive.request(
            &req.path,
            format!("{}?{}#{format}", req.path, req.query),
            size,
        );
        normalized.request(&req.path, parsed.canonical_path(), size);
    }
    (naive.finish(), normalized.finish())
}

fn preset_paths(config: &Config, key: &Key) -> Vec<String> {
    imgfront_precompute::variants(config, key)
        .map(|specs| specs.iter().map(Spec::canonical_path).collect())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use trace::{TraceShape, generate};

    #[test]
    fn normalization_collapses_keys_and_beats_naive_keying() {
        let config = Config::embedded();
        let shape = TraceShape {
            requests: 50_000,
            originals: 200,
            ..TraceShape::default()
        };
        let (naive, ours) = replay(&config, generate(&shape), &Layers::default(), true, 0);
        assert_eq!(naive.errors, 0);
        assert_eq!(ours.errors, 0);
        assert!(ours.keys_per_original_max <= variant_bound(&config));
        assert!(
            ours.distinct_keys * 3 < naive.distinct_keys,
            "{ours:?} vs {naive:?}"
        );
        assert!(ours.hit_ratio() > naive.hit_ratio() + 0.1);
        assert!(ours.transforms < naive.transforms / 3);
        // Every origin fetch in the normalized scheme is at most one transform per key.
        assert!(ours.transforms <= ours.distinct_keys);
    }

    #[test]
    fn a_tiny_edge_evicts_and_the_shield_catches_it() {
        let config = Config::embedded();
        let shape = TraceShape {
            requests: 20_000,
            originals: 100,
            ..TraceShape::default()
        };
        let tiny = Layers {
            edge_bytes: 1 << 20,
            shield_bytes: Some(1 << 30),
        };
        let (_, ours) = replay(&config, generate(&shape), &tiny, false, 0);
        assert!(ours.shield_hits > 1000, "{ours:?}");
        assert_eq!(ours.origin_fetches, ours.distinct_keys);
    }

    #[test]
    fn warm_up_is_not_counted() {
        let config = Config::embedded();
        let shape = TraceShape {
            requests: 20_000,
            originals: 100,
            ..TraceShape::default()
        };
        let (_, cold) = replay(&config, generate(&shape), &Layers::default(), true, 0);
        let (_, warm) = replay(&config, generate(&shape), &Layers::default(), true, 10_000);
        assert_eq!(cold.requests, 20_000);
        assert_eq!(warm.requests, 10_000);
        assert!(warm.hit_ratio() > cold.hit_ratio(), "{warm:?} vs {cold:?}");
        assert!(warm.transforms < cold.transforms);
    }
}
