//! Viewer requests: path, query and `Accept` from arbitrary bytes. Whatever parses must render a
//! canonical path that parses back to the same spec (the cache-key invariant).
#![no_main]

use imgfront_spec::{Config, Spec};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<Config> = LazyLock::new(Config::embedded);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Fields separated by newlines: path, query, Accept (absent when missing).
    let mut parts = text.splitn(3, '\n');
    let path = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let accept = parts.next();
    if let Ok(req) = Spec::from_viewer(&CONFIG, path, query, accept) {
        let canonical = req.spec.canonical_path();
        let back = Spec::from_canonical_path(&CONFIG, &canonical)
            .unwrap_or_else(|e| panic!("{canonical} does not parse back: {}", e.message));
        assert_eq!(back, req.spec, "round trip through {canonical}");
    }
});
