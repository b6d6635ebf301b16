//! Canonical paths (what the transform function receives): anything accepted must be exactly
//! canonical, so no hand-made path can mint a second cache object.
#![no_main]

use imgfront_spec::{Config, Spec};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<Config> = LazyLock::new(Config::embedded);

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = Spec::from_canonical_path(&CONFIG, path) {
        assert_eq!(spec.canonical_path(), path);
    }
});
