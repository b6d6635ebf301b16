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

#[test]
fn corrupt_grid_avif_that_aborted_rav1d_is_undecodable() {
    for query in ["w=64&fmt=png", "fmt=jpeg", "w=320&fmt=webp"] {
        let result = run("rav1d-abort-grid.avif", query);
        assert!(
            matches!(result, Err(EngineError::Undecodable(_))),
            "{query}: {:?}",
            result.map(|o| (o.width, o.height))
        );
    }
}
