//! Fan-out: many variants from one decode must match rendering each variant on its own.

use imgfront_engine::{EngineError, Output, Settings, transform, transform_many};
use imgfront_spec::{Config, Key, Ops, Spec};
use imgfront_testkit::corpus;

fn ops(c: &Config, q: &str) -> Ops {
    let key = Key::from_decoded(c, "demo/x").expect("key");
    Spec::from_key_and_query(c, key, q).expect("query").ops
}

fn mean_abs_diff(a: &Output, b: &Output) -> f64 {
    let decode = |o: &Output| {
        imgfront_engine::decode::png::decode(&o.bytes, 1 << 28)
            .expect("png")
            .0
            .to_rgba()
            .data
    };
    let (a, b) = (decode(a), decode(b));
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}

#[test]
fn one_decode_matches_separate_renders() {
    let c = Config::embedded();
    let settings = Settings::request(&c);
    let queries = [
        "w=160&h=160&fit=cover&fmt=png",
        "w=480&fmt=png",
        "w=1280&fmt=png",
        "w=320&h=320&fit=contain&bg=ff0000&fmt=png",
        "w=200&rot=90&fmt=png",
    ];
    for file in [
        "2569067123_aca715a2ee_o.jpg",
        "Landscape_6.jpg",
        "with-alpha.png",
        "animated-loop-3.gif",
    ] {
        let input = corpus(file);
        let variants: Vec<Ops> = queries.iter().map(|q| ops(&c, q)).collect();
        let many = transform_many(&input, &variants, &settings).expect("source");
        assert_eq!(many.len(), variants.len());
        for ((q, v), got) in queries.iter().zip(&variants).zip(many) {
            let got = got.unwrap_or_else(|e| panic!("{file} {q}: {e}"));
            let alone = transform(&input, v, &settings).expect("alone");
            assert_eq!(
                (got.width, got.height, got.frames),
                (alone.width, alone.height, alone.frames),
                "{file} {q}"
            );
            // Alone, a small variant may decode a JPEG at 1/8 scale; in the fan-out it resizes
            // from the shared, larger decode. Both are faithful, so they differ only slightly.
            let d = mean_abs_diff(&got, &alone);
            assert!(d < 3.0, "{file} {q}: mean difference {d:.2} per channel");
        }
    }
}

#[test]
fn a_bad_source_fails_once_and_an_empty_list_is_empty() {
    let c = Config::embedded();
    let settings = Settings::request(&c);
    let variants = [ops(&c, "w=160")];
    assert!(matches!(
        transform_many(&corpus("giant-image.jpg"), &variants, &settings),
        Err(EngineError::SourceTooLarge(_))
    ));
    assert!(matches!(
        transform_many(&corpus("truncated.jpg"), &variants, &settings),
        Err(EngineError::Undecodable(_))
    ));
    assert!(
        transform_many(b"junk", &[], &settings)
            .expect("empty")
            .is_empty()
    );
}
