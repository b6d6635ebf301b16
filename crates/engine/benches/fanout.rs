//! The fan-out figure: every preset of one original rendered from a single decode
//! (`transform_many`, as precompute does) against each preset rendered on its own through
//! `transform` (as the transform function would), same encoder settings, same run.
//! Prints medians and the ratio; asserts nothing about time.
//!
//! `cargo bench -p imgfront-engine --bench fanout` (release profile).

use std::time::{Duration, Instant};

use imgfront_engine::{Settings, transform, transform_many};
use imgfront_spec::{Config, Key, Ops, Spec};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let corpus = imgfront_testkit::corpus_dir().display().to_string();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let config = Config::embedded();
    let settings = Settings::precompute(&config);
    let key = Key::from_decoded(&config, "demo/bench").expect("key");
    let variants: Vec<Ops> = config
        .presets
        .iter()
        .flat_map(|p| {
            p.formats.iter().map(|f| {
                Spec::from_key_and_query(&config, key.clone(), &format!("{}&fmt={f}", p.query))
                    .expect("preset")
                    .ops
            })
        })
        .collect();
    println!(
        "fan-out: {} variants (presets x formats), precompute encoders, median of {rounds} rounds",
        variants.len()
    );
    println!(
        "{:<40} {:>12} {:>12} {:>8}",
        "original", "one decode", "one by one", "ratio"
    );
    for file in [
        "2569067123_aca715a2ee_o.jpg",
        "alpha-premultiply-2048x1536-paper.png",
        "Landscape_1.jpg",
    ] {
        let input = std::fs::read(format!("{corpus}/{file}")).expect("corpus file");
        let (mut many, mut single) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            let outs = transform_many(&input, &variants, &settings).expect("fan-out");
            assert!(outs.iter().all(|o| o.is_ok()));
            many.push(t.elapsed());
            let t = Instant::now();
            for v in &variants {
                transform(&input, v, &settings).expect("single");
            }
            single.push(t.elapsed());
        }
        let (m, s) = (median(many), median(single));
        println!(
            "{file:<40} {:>10.0}ms {:>10.0}ms {:>7.2}x",
            m.as_secs_f64() * 1e3,
            s.as_secs_f64() * 1e3,
            s.as_secs_f64() / m.as_secs_f64()
        );
    }
}
