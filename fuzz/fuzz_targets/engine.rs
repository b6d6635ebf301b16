//! The engine on arbitrary bytes, through every decoder with the configured limits on: it may
//! refuse, it must never panic in our code, abort, or allocate past the limits (libFuzzer's
//! -rss_limit_mb catches that).
//!
//! A panic inside a dependency (say a `debug_assert!` of avif-parse, compiled in because fuzz
//! builds keep debug assertions) unwinds into the pipeline's `catch_unwind` and becomes
//! `Undecodable`, exactly as in production, so only panics located in this workspace's crates
//! count as crashes. A panic that cannot unwind (inside an `extern "C"` codec entry point)
//! still aborts the process and is reported.
#![no_main]

use imgfront_engine::{Settings, YccPath, transform, transform_many};
use imgfront_spec::{Config, Key, Ops, Spec};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use std::sync::LazyLock;

static CONFIG: LazyLock<Config> = LazyLock::new(Config::embedded);

/// Renders that between them reach every encoder, the YCbCr path (JPEG from a JPEG; the
/// settings also take libjpeg's scaled planes where our decoder declines), the reduced decode
/// at 1/8, 1/4 and 1/2 (on the 256 px progressive seeds) and of a baseline file at exactly 1/4
/// (`w=64` of the 256 px baseline seed), smart crop, padding and effects. The input's length picks one, so the bytes themselves stay an unmodified
/// image for the seeds.
static OPS: LazyLock<Vec<Ops>> = LazyLock::new(|| {
    let key = Key::from_decoded(&CONFIG, "demo/fuzz").expect("key");
    [
        "w=64&h=64&fit=cover&fmt=png",
        "w=48&fmt=jpeg",
        "w=40&h=40&fit=cover&pos=top&fmt=webp",
        "w=32&h=32&fit=cover&pos=attention&fmt=gif",
        "w=40&h=30&fit=contain&bg=ff0000&blur=1&fmt=jpeg",
        "w=16&rot=90&flip=h&sharpen=1&fmt=avif",
        // 1/16 of the 256 px progressive seeds: the DC-only (1/8) decode.
        "w=16&fmt=webp",
        // 1/4 of the 256 px seeds, JPEG to JPEG: the reduced decode is the output.
        "w=64&fmt=jpeg",
    ]
    .iter()
    .map(|q| {
        Spec::from_key_and_query(&CONFIG, key.clone(), q)
            .expect("ops")
            .ops
    })
    .collect()
});
static SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
    let mut s = Settings::request(&CONFIG);
    s.ycc_path = YccPath::Always;
    s
});

fuzz_target!(init: common::our_panics_only(), |data: &[u8]| {
    let pick = data.len() % (OPS.len() + 1);
    match OPS.get(pick) {
        Some(ops) => {
            let _ = transform(data, ops, &SETTINGS);
        }
        // The fan-out: one decode shared by several renders.
        None => {
            let _ = transform_many(data, &OPS[..3], &SETTINGS);
        }
    }
});
