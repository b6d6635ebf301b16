//! The engine on arbitrary bytes, through every decoder with the configured limits on: it may
//! refuse, it must never panic or allocate past the limits (libFuzzer's -rss_limit_mb catches
//! that).
#![no_main]

use imgfront_engine::{Settings, transform};
use imgfront_spec::{Config, Key, Ops, Spec};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<Config> = LazyLock::new(Config::embedded);
static OPS: LazyLock<Ops> = LazyLock::new(|| {
    let key = Key::from_decoded(&CONFIG, "demo/fuzz").expect("key");
    Spec::from_key_and_query(&CONFIG, key, "w=64&h=64&fit=cover&fmt=png")
        .expect("ops")
        .ops
});
static SETTINGS: LazyLock<Settings> = LazyLock::new(|| Settings::request(&CONFIG));

fuzz_target!(|data: &[u8]| {
    let _ = transform(data, &OPS, &SETTINGS);
});
