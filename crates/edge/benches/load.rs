//! Load test of `imgfront dev` over loopback: 20,000 requests at 64 concurrency (fixed count),
//! then a fixed-time run (`LOAD_SECONDS`, default 10). Prints throughput, p50/p99 latency, the
//! edge hit ratio and transforms; exits non-zero on any error. Run with
//! `cargo bench -p imgfront-edge --bench load`.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use imgfront_edge::client::Client;
use imgfront_edge::sim::trace::{ACCEPTS, Rng};
use imgfront_edge::{Dev, server};
use imgfront_spec::Config;
use imgfront_store::{AnyStore, FsStore};

const CONCURRENCY: usize = 64;
const COUNT: u64 = 20_000;

/// Viewer URLs over the demo originals: a few widths, junk on some, mixed case and order.
fn urls(originals: &[String]) -> Vec<(String, &'static str)> {
    let mut rng = Rng::new(7);
    let mut out = Vec::new();
    for i in 0..2_000 {
        let key = &originals[i % originals.len()];
        if key.starts_with("acme/") {
            continue; // private: the gallery signs those; the load test stays public
        }
        let w = [160, 287, 320, 480, 640, 750, 1080][rng.below(7)];
        let junk = if rng.chance(0.3) {
            format!("&utm_source=l{}", rng.below(1000))
        } else {
            String::new()
        };
        let name = if rng.chance(0.1) { "W" } else { "w" };
        let accept = ACCEPTS[rng.below(ACCEPTS.len())].1;
        out.push((format!("/{key}?fmt=auto&{name}={w}{junk}"), accept));
    }
    out
}

struct Run {
    latencies: Vec<Duration>,
    errors: u64,
    wall: Duration,
}

async fn run(
    addr: std::net::SocketAddr,
    urls: Arc<Vec<(String, &'static str)>>,
    count: Option<u64>,
    until: Option<Instant>,
) -> Run {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (next, errors, urls) = (next.clone(), errors.clone(), urls.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let Ok(mut client) = Client::connect(addr).await else {
                errors.fetch_add(1, Ordering::Relaxed);
                return latencies;
            };
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if count.is_some_and(|c| n >= c) || until.is_some_and(|u| Instant::now() >= u) {
                    break;
                }
                let (url, accept) = &urls[n as usize % urls.len()];
                let t = Instant::now();
                match client.get(url, accept).await {
                    Ok(r) if r.status == 200 && !r.body.is_empty() => latencies.push(t.elapsed()),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.unwrap_or_default());
    }
    latencies.sort();
    Run {
        latencies,
        errors: errors.load(Ordering::Relaxed),
        wall: started.elapsed(),
    }
}

fn report(name: &str, r: &Run, hits: u64, misses: u64, transforms: u64) {
    let pct = |p: f64| {
        r.latencies
            .get(((r.latencies.len() as f64 * p) as usize).min(r.latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let n = r.latencies.len() as f64;
    println!(
        "{name}: {} ok, {} errors in {:.2} s → {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms; \
         hit ratio {:.2}% ({hits} hits, {misses} misses), {transforms} transforms",
        r.latencies.len(),
        r.errors,
        r.wall.as_secs_f64(),
        n / r.wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        100.0 * hits as f64 / (hits + misses).max(1) as f64,
    );
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let derivatives =
            std::env::temp_dir().join(format!("imgfront-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&derivatives);
        let config = Config::embedded();
        let originals = AnyStore::Fs(FsStore::new(root.join("demo/originals")));
        let dev = Arc::new(Dev::new(
            config,
            Default::default(),
            originals,
            AnyStore::Fs(FsStore::new(&derivatives)),
            512 << 20,
        ));
        let keys = dev.originals().await.expect("demo originals");
        let urls = Arc::new(urls(&keys));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(server::serve(listener, dev.clone()));
        println!(
            "load test of imgfront dev on {addr}: {} distinct viewer URLs over {} originals, \
             {CONCURRENCY} connections, cold derivatives folder",
            urls.len(),
            keys.len()
        );

        let before = dev.edge.stats();
        let fixed = run(addr, urls.clone(), Some(COUNT), None).await;
        let after = dev.edge.stats();
        report(
            "fixed count (20,000)",
            &fixed,
            after.hits - before.hits,
            after.misses - before.misses,
            after.transforms - before.transforms,
        );

        let seconds: u64 = std::env::var("LOAD_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10);
        let before = dev.edge.stats();
        let timed = run(
            addr,
            urls,
            None,
            Some(Instant::now() + Duration::from_secs(seconds)),
        )
        .await;
        let after = dev.edge.stats();
        report(
            &format!("fixed time ({seconds} s)"),
            &timed,
            after.hits - before.hits,
            after.misses - before.misses,
            after.transforms - before.transforms,
        );
        let _ = std::fs::remove_dir_all(&derivatives);
        if fixed.errors + timed.errors > 0 {
            eprintln!("load test: errors seen");
            return ExitCode::FAILURE;
        }
        ExitCode::SUCCESS
    })
}
