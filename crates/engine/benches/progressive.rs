//! Shrink-on-load renders of JPEGs: the reduced-coefficient decode (`decode::jpeg::reduced`)
//! against libjpeg's scaled decode, same run, interleaved. Prints medians and the ratio; asserts
//! nothing about time. Baseline files take ours only where the pipeline chooses it (a JPEG
//! output of exactly 1/4), so their other rows measure the same path twice.
//!
//! `cargo bench -p imgfront-engine --bench progressive [DIR]` (release profile); DIR defaults to
//! the photos `scripts/bench-photos` downloads.

use std::time::{Duration, Instant};

use imgfront_engine::probe::header;
use imgfront_engine::{Settings, SourceFormat, transform};
use imgfront_spec::{Config, Key, Spec};

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| format!("{}/../../target/bench-photos", env!("CARGO_MANIFEST_DIR")));
    let rounds = 7;
    let config = Config::embedded();
    let ours = Settings::request(&config);
    let mut libjpeg = ours.clone();
    libjpeg.reduced_decoder = false;
    let key = Key::from_decoded(&config, "demo/bench").expect("key");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg" || x == "jpeg"))
        .collect();
    files.sort();
    println!("JPEGs, request encoders, median of {rounds} interleaved rounds");
    println!(
        "{:<44} {:>14} {:>10} {:>10} {:>7}",
        "original", "op", "ours", "libjpeg", "ratio"
    );
    for path in files {
        let input = std::fs::read(&path).expect("read");
        let Ok(h) = header(SourceFormat::Jpeg, &input) else {
            continue;
        };
        let name = format!(
            "{} ({}x{})",
            path.file_name().unwrap_or_default().to_string_lossy(),
            h.width,
            h.height
        );
        for query in [
            "w=160&fmt=webp",
            "w=320&fmt=webp",
            "w=640&fmt=jpeg",
            "w=640&fmt=webp",
        ] {
            let ops = Spec::from_key_and_query(&config, key.clone(), query)
                .expect("query")
                .ops;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let t = Instant::now();
                transform(&input, &ops, &ours).expect("reduced decode");
                a.push(t.elapsed());
                let t = Instant::now();
                transform(&input, &ops, &libjpeg).expect("libjpeg");
                b.push(t.elapsed());
            }
            let (a, b) = (median(a), median(b));
            println!(
                "{name:<44} {query:>14} {a:>8.1}ms {b:>8.1}ms {:>7.3}",
                a / b
            );
        }
    }
}
