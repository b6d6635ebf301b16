//! Regression tests for inputs the fuzzers found: each must end in a clean error, never a
//! panic or an abort (an abort would kill this test binary, failing the run).

use imgfront_engine::{EngineError, Settings, transform};
use imgfront_spec::{Config, Key, Spec};

fn run(file: &str, query: &str) -> Result<imgfront_engine::Output, EngineError> {
    let path = format!("{}/tests/fuzz-crashes/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).expect("crash input");
    let config = Config::embedded();
    let key = Key::from_decoded(&config, "demo/crash.avif").expect("key");
    let ops = Spec::from_key_and_query(&config, key, query)
        .expect("query")
        .ops;
    transform(&bytes, &ops, &Settings::request(&config))
}

/// Every query on `file` must end in `Undecodable` whose message contains `why`.
fn undecodable(file: &str, queries: &[&str], why: &str) {
    for query in queries {
        let result = run(file, query);
        assert!(
            matches!(&result, Err(EngineError::Undecodable(m)) if m.contains(why)),
            "{file} {query}: {:?}",
            result.map(|o| (o.width, o.height))
        );
    }
}

#[test]
fn corrupt_grid_avif_that_aborted_rav1d_is_undecodable() {
    undecodable(
        "rav1d-abort-grid.avif",
        &["w=64&fmt=png", "fmt=jpeg", "w=320&fmt=webp"],
        "the AV1 payload did not decode to a picture",
    );
}

#[test]
fn avif_with_unread_meta_bytes_is_undecodable() {
    undecodable(
        "avif-parse-debug-assert.avif",
        &["w=64&h=64&fit=cover&fmt=png", "w=48&fmt=jpeg"],
        "unread box content",
    );
}

#[test]
fn animated_webp_with_a_corrupt_frame_ends_instead_of_hanging() {
    // Before the fix this never returned (the decode loop retried the bad frame forever).
    undecodable(
        "webp-anim-corrupt-frame-hang.webp",
        &[
            "w=16&fmt=png",
            "w=16&rot=90&flip=h&sharpen=1&fmt=avif",
            "w=32&fmt=webp",
        ],
        "frame",
    );
}

#[test]
fn a_width_on_a_very_tall_source_stays_within_the_output_limits() {
    // A 196632×18 animated WebP canvas, rotated upright to 18×196632: `w=16` asked for a
    // 16×174784 output (beyond AV1's frame size, so a 500 from the AV1 encoder, then rav1e, after
    // seconds of work).
    let max = Settings::request(&Config::embedded()).max_height;
    for query in [
        "w=16&rot=90&flip=h&sharpen=1&fmt=avif",
        "w=16&rot=90&fmt=png",
        "h=16&fmt=webp",
    ] {
        match run("webp-tall-canvas-unbounded-output.webp", query) {
            Ok(out) => assert!(
                out.width <= max && out.height <= max,
                "{query}: {}×{}",
                out.width,
                out.height
            ),
            Err(e) => assert!(!matches!(e, EngineError::Internal(_)), "{query}: {e}"),
        }
    }
}
