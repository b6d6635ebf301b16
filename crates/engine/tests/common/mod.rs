//! Helpers the engine's integration tests share.

use imgfront_spec::{Config, Key, Ops, Spec};

/// The ops of `query` on a demo key.
pub fn ops(c: &Config, query: &str) -> Ops {
    let key = Key::from_decoded(c, "demo/x").expect("key");
    Spec::from_key_and_query(c, key, query).expect("query").ops
}

/// Mean absolute difference of two equally long sample buffers.
pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}
