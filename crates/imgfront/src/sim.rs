//! `imgfront sim`: replays a trace through naive keying and imgfront normalization, then prices
//! both with the reference design's cost model.

use std::io::BufRead;
use std::time::Instant;

use imgfront_edge::sim::cost::{self, Bill, Prices, Workload};
use imgfront_edge::sim::trace::{self, TraceRequest, TraceShape};
use imgfront_edge::sim::{self, Layers, Outcome};
use imgfront_engine::{Settings, transform};
use imgfront_spec::{Config, Key, Spec};

pub struct Args {
    pub shape: TraceShape,
    pub trace: Option<String>,
    pub write_trace: Option<String>,
    pub layers: Layers,
    /// Requests replayed before counting starts (default: as many as measured, generated only).
    pub warmup: Option<u64>,
    pub precomputed: bool,
    pub transform_ms: Option<f64>,
    pub transform_mb: f64,
    pub prices: Prices,
}

/// The demo photo the transform time is measured on when `--transform-ms` is not given.
const SAMPLE: &str = "demo/originals/demo/harbour.jpg";

fn measure_transform_ms(config: &Config) -> Result<f64, String> {
    let bytes = std::fs::read(SAMPLE).map_err(|e| {
        format!("cannot read {SAMPLE} to measure the transform ({e}); run from the repository root or pass --transform-ms")
    })?;
    let key = Key::from_decoded(config, "demo/sample.jpg").map_err(|e| e.message)?;
    let spec = Spec::from_key_and_query(config, key, "w=640&fmt=webp").map_err(|e| e.message)?;
    let settings = Settings::request(config);
    let mut times = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        transform(&bytes, &spec.ops, &settings).map_err(|e| e.to_string())?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn money(x: f64) -> String {
    let whole = x.round() as u64;
    format!("${}", count(whole))
}

fn print_outcomes(naive: &Outcome, ours: &Outcome, bound: u64) {
    let rows: Vec<(&str, String, String)> = vec![
        (
            "edge hit ratio",
            pct(naive.hit_ratio()),
            pct(ours.hit_ratio()),
        ),
        ("edge hits", count(naive.edge_hits), count(ours.edge_hits)),
        (
            "shield hits",
            count(naive.shield_hits),
            count(ours.shield_hits),
        ),
        (
            "origin fetches",
            count(naive.origin_fetches),
            count(ours.origin_fetches),
        ),
        (
            "transforms invoked",
            count(naive.transforms),
            count(ours.transforms),
        ),
        ("S3 GET requests", count(naive.s3_gets), count(ours.s3_gets)),
        (
            "distinct cache keys",
            count(naive.distinct_keys),
            count(ours.distinct_keys),
        ),
        (
            "keys per original (max)",
            count(naive.keys_per_original_max),
            count(ours.keys_per_original_max),
        ),
        (
            "keys per original (mean)",
            format!("{:.1}", naive.keys_per_original_mean),
            format!("{:.1}", ours.keys_per_original_mean),
        ),
        (
            "bytes served",
            count(naive.bytes_served),
            count(ours.bytes_served),
        ),
        (
            "bytes from origin",
            count(naive.bytes_from_origin),
            count(ours.bytes_from_origin),
        ),
        ("invalid requests", count(naive.errors), count(ours.errors)),
    ];
    println!("| | naive keying (full query) | imgfront normalization |");
    println!("|---|---:|---:|");
    for (name, a, b) in rows {
        println!("| {name} | {a} | {b} |");
    }
    let within = ours.keys_per_original_max <= bound;
    println!(
        "\nvariant bound per original: {bound} (widths × 2 shapes × 3 formats × 2 qualities); \
         imgfront max {} → {}",
        ours.keys_per_original_max,
        if within {
            "within the bound"
        } else {
            "OVER THE BOUND"
        }
    );
    println!(
        "goal: imgfront hit ratio ≥ 97% → {} ({} vs naive {})",
        if ours.hit_ratio() >= 0.97 {
            "met"
        } else {
            "NOT MET"
        },
        pct(ours.hit_ratio()),
        pct(naive.hit_ratio())
    );
}

fn print_bills(reference: &Bill, ours: &Bill, ours_label: &str) {
    let published = [72_000.0, 22_400.0, 3_000.0, 4_500.0, 2_400.0, 0.0];
    println!("| monthly | reference design | published | Δ | {ours_label} |");
    println!("|---|---:|---:|---:|---:|");
    for (((name, r), p), (_, o)) in reference.lines().iter().zip(published).zip(ours.lines()) {
        let delta = if p > 0.0 {
            format!("{:+.2}%", (r - p) / p * 100.0)
        } else {
            "–".into()
        };
        let p = if p > 0.0 { money(p) } else { "–".into() };
        println!("| {name} | {} | {p} | {delta} | {} |", money(*r), money(o));
    }
    let total = reference.total();
    println!(
        "| **total** | **{}** | **$104,000** | {:+.2}% | **{}** |",
        money(total),
        (total - 104_000.0) / 104_000.0 * 100.0,
        money(ours.total())
    );
}

pub fn run(config: Config, args: Args) -> Result<(), String> {
    let bound = sim::variant_bound(&config);
    let started = Instant::now();
    let (naive, ours, described) = match &args.trace {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let lines = std::io::BufReader::new(file)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| TraceRequest::from_line(&l));
            let warmup = args.warmup.unwrap_or(0);
            let (n, o) = sim::replay(&config, lines, &args.layers, args.precomputed, warmup);
            (n, o, format!("trace file {path}"))
        }
        None => {
            let warmup = args.warmup.unwrap_or(args.shape.requests);
            let total = TraceShape {
                requests: args.shape.requests + warmup,
                ..args.shape.clone()
            };
            let s = &total;
            if let Some(out) = &args.write_trace {
                let mut text = String::new();
                for r in trace::generate(s) {
                    text.push_str(&r.to_line());
                    text.push('\n');
                }
                std::fs::write(out, text).map_err(|e| format!("cannot write {out}: {e}"))?;
            }
            let (n, o) = sim::replay(
                &config,
                trace::generate(s),
                &args.layers,
                args.precomputed,
                warmup,
            );
            (
                n,
                o,
                format!(
                    "seeded trace: seed {}, {} originals, Zipf s={}, {:.0}% with junk params, \
                     after a warm-up of {} requests",
                    s.seed,
                    count(s.originals as u64),
                    s.zipf_s,
                    s.junk * 100.0,
                    count(warmup)
                ),
            )
        }
    };
    let shield = args
        .layers
        .shield_bytes
        .map_or("no shield".to_string(), |b| {
            format!("shield LRU {} MiB", b >> 20)
        });
    println!(
        "imgfront sim: {} requests, {described}; edge LRU {} MiB, {shield}, presets {} ({:.1} s)\n",
        count(naive.requests),
        args.layers.edge_bytes >> 20,
        if args.precomputed {
            "precomputed"
        } else {
            "not precomputed"
        },
        started.elapsed().as_secs_f64()
    );
    print_outcomes(&naive, &ours, bound);

    let measured = match args.transform_ms {
        Some(ms) => ms,
        None => measure_transform_ms(&config)?,
    };
    let reference = cost::monthly(&args.prices, &Workload::reference());
    let served = (ours.requests - ours.errors).max(1) as f64;
    let lambda_ms = cost::lambda_ms(measured, args.transform_mb);
    let imgfront = Workload {
        edge_hit_ratio: ours.hit_ratio(),
        shield_fraction: 1.0 - ours.hit_ratio(),
        s3_get_fraction: ours.s3_gets as f64 / served,
        transform_fraction: ours.transforms as f64 / served,
        transform_mb: args.transform_mb,
        transform_ms: lambda_ms,
        ..Workload::reference()
    };
    let ours_bill = cost::monthly(&args.prices, &imgfront);
    println!(
        "\ncost model: 1B requests/day for 30 days, 40 KB average object, 8 variants × 100k products at 50 KB.\n\
         reference: 80% hit ratio, every miss through the shield to S3 and a 128 MB, 500 ms transform.\n\
         imgfront: the simulated ratios above (hit {}, S3 GETs {} and transforms {} of requests), and a transform \
         measured at {measured:.1} ms on one core (w=640 WebP of {SAMPLE}), billed at {} MB as {lambda_ms:.0} ms \
         (Lambda gives 1 vCPU at 1,769 MB).\n",
        pct(ours.hit_ratio()),
        pct(imgfront.s3_get_fraction),
        pct(imgfront.transform_fraction),
        args.transform_mb,
    );
    print_bills(&reference, &ours_bill, "imgfront (simulated)");
    Ok(())
}
