//! `imgfront backfill`: renders the presets of every original under a bucket/prefix or folder
//! into a bucket or folder, resumably (current derivatives are skipped), with a progress bar;
//! or writes an S3 Batch Operations manifest for runs too big for one machine.

use std::sync::Arc;
use std::time::Instant;

use imgfront_precompute::{Failure, Precompute};
use imgfront_spec::Config;
use imgfront_store::{AnyStore, ObjectStore};
use indicatif::{ProgressBar, ProgressStyle};

pub struct Args {
    pub from: String,
    pub to: String,
    pub prefix: String,
    pub concurrency: usize,
    pub manifest: Option<String>,
}

#[derive(Default)]
struct Summary {
    rendered: usize,
    written: usize,
    up_to_date: usize,
    failed: Vec<(String, String)>,
}

pub fn run(config: Config, args: Args) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(backfill(config, args))
}

async fn backfill(config: Config, args: Args) -> Result<(), String> {
    let originals = AnyStore::open(&args.from)
        .await
        .map_err(|e| e.to_string())?;
    let keys = originals
        .list(&args.prefix)
        .await
        .map_err(|e| format!("cannot list {}{}: {e}", args.from, args.prefix))?;
    if let Some(path) = &args.manifest {
        return write_manifest(&args.from, &keys, path);
    }
    let derivatives = AnyStore::open(&args.to).await.map_err(|e| e.to_string())?;
    let pre = Arc::new(Precompute::new(config, originals, derivatives));

    let bar = ProgressBar::new(keys.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} originals  {per_sec}  ETA {eta}  {wide_msg}",
        )
        .map_err(|e| e.to_string())?,
    );
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let pre = Arc::clone(&pre);
        let gate = Arc::clone(&gate);
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let result = pre.render(&key, None).await;
            (key, result)
        });
    }
    let mut summary = Summary::default();
    while let Some(joined) = tasks.join_next().await {
        let (key, result) = joined.map_err(|e| format!("a render task failed: {e}"))?;
        match result {
            Ok(r) => {
                if r.written.is_empty() && r.failed.is_empty() {
                    summary.up_to_date += 1;
                } else if !r.written.is_empty() {
                    summary.rendered += 1;
                }
                summary.written += r.written.len();
                summary.failed.extend(r.failed);
            }
            Err(Failure::Permanent(why) | Failure::Temporary(why)) => {
                summary.failed.push((key.clone(), why));
            }
        }
        bar.set_message(key);
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "backfill: {} originals in {:.1} s: {} rendered ({} derivatives written), {} up to date, {} failed",
        bar.length().unwrap_or(0),
        started.elapsed().as_secs_f64(),
        summary.rendered,
        summary.written,
        summary.up_to_date,
        summary.failed.len()
    );
    summary.failed.sort();
    for (key, why) in &summary.failed {
        println!("  failed {key}: {why}");
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} failures (listed above)", summary.failed.len()))
    }
}

/// `bucket,key` lines, keys URL-encoded, as S3 Batch Operations' CSV manifest wants them.
fn write_manifest(from: &str, keys: &[String], path: &str) -> Result<(), String> {
    let bucket = from
        .strip_prefix("s3://")
        .map(|b| b.trim_end_matches('/'))
        .ok_or("--manifest needs an s3:// source: Batch Operations reads originals from S3")?;
    let mut out = String::new();
    for key in keys {
        out.push_str(&format!("{bucket},{}\n", url_encode(key)));
    }
    std::fs::write(path, out).map_err(|e| format!("cannot write {path}: {e}"))?;
    println!(
        "backfill: wrote a Batch Operations manifest of {} originals to {path}; create a job \
         (LambdaInvoke, invocation schema 2.0) on the precompute function with it",
        keys.len()
    );
    Ok(())
}

fn url_encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn manifest_keys_round_trip_through_the_batch_decoder() {
        for key in [
            "demo/a b+c.jpg",
            "demo/café/日本.webp",
            "demo/100%.gif",
            "demo/x,y.png",
        ] {
            let encoded = super::url_encode(key);
            assert!(
                !encoded.contains(',') && !encoded.contains(' '),
                "{encoded}"
            );
            assert_eq!(
                imgfront_precompute::events::decode_key(&encoded, false).as_deref(),
                Ok(key)
            );
        }
    }
}
