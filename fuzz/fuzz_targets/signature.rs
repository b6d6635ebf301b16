//! Signature verification on arbitrary signed URLs: never panics, and a signature made with one
//! key never verifies for a URL that differs in any signed part.
#![no_main]

use imgfront_spec::sign::{sign, verify};
use imgfront_spec::{Config, Spec};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CONFIG: LazyLock<Config> = LazyLock::new(Config::embedded);

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else { return };
    let Ok(req) = Spec::from_viewer_url(&CONFIG, url, None) else { return };
    // Whatever sig the input carries is checked without panicking.
    let _ = verify(&req, &[b"key-a", b"key-b"], 1_000);
    // A fresh signature over this request verifies with its key and fails with another.
    let sig = sign(b"key-a", &req.signing_string);
    let mut signed = req.clone();
    signed.signature = Some(sig);
    signed.expires = None;
    assert!(verify(&signed, &[b"key-a"], 1_000).is_ok());
    assert!(verify(&signed, &[b"key-b"], 1_000).is_err());
});
