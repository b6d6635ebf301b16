//! Test tooling shared by the crates: the test corpus, the committed events, and (feature
//! `moto`, on by default) one `moto_server` per test process on a free port (S3, CloudFront
//! and SQS) with SDK configs pointed at it and dummy credentials.

use std::path::PathBuf;

#[cfg(feature = "moto")]
mod moto;
#[cfg(feature = "moto")]
pub use moto::Moto;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test corpus: `IMGFRONT_CORPUS` if set, else `../shared/corpus` beside the checkout.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("IMGFRONT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/corpus"))
}

/// The bytes of corpus file `name`; panics naming the path and `IMGFRONT_CORPUS` if missing.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "corpus file {} ({e}); set IMGFRONT_CORPUS to the corpus folder",
            path.display()
        )
    })
}

/// The committed events for one function: `events/{function}-{case}.json` as (case, path),
/// sorted by case, so tests can prove every file is replayed.
pub fn event_cases(function: &str) -> Vec<(String, PathBuf)> {
    let prefix = format!("{function}-");
    let mut events: Vec<(String, PathBuf)> = std::fs::read_dir(repo_root().join("events"))
        .expect("events dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let case = name
                .strip_prefix(&prefix)?
                .strip_suffix(".json")?
                .to_string();
            Some((case, e.path()))
        })
        .collect();
    events.sort();
    events
}
