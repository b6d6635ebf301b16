//! Property tests of canonicalization: idempotence, invariance to order, case, junk and aliases,
//! DPR folding, snapping, and canonical-path round trips.

use imgfront_spec::{Config, Spec};
use proptest::prelude::*;

fn config() -> Config {
    Config::embedded()
}

fn canon(query: &str) -> String {
    match Spec::from_viewer(&config(), "/demo/dir/photo.jpg", query, Some("image/webp")) {
        Ok(r) => r.spec.canonical_path(),
        Err(e) => format!("error: {}", e.kind.as_str()),
    }
}

/// One valid viewer parameter as (name, value).
fn param() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (1u32..=4096).prop_map(|w| ("w".into(), w.to_string())),
        (1u32..=4096).prop_map(|h| ("h".into(), h.to_string())),
        (1000u32..=4000).prop_map(|m| ("dpr".into(), format!("{}.{:03}", m / 1000, m % 1000))),
        prop::sample::select(vec!["cover", "contain", "fill", "inside", "outside"])
            .prop_map(|f| ("fit".into(), f.into())),
        prop::sample::select(vec![
            "center",
            "top",
            "bottom-left",
            "entropy",
            "attention",
            "northeast"
        ])
        .prop_map(|p| ("pos".into(), p.into())),
        prop::sample::select(vec!["jpeg", "jpg", "png", "webp", "avif", "gif", "auto"])
            .prop_map(|f| ("fmt".into(), f.into())),
        (1u32..=100).prop_map(|q| ("q".into(), q.to_string())),
        (3u32..=1000).prop_map(|t| ("blur".into(), format!("{}.{}", t / 10, t % 10))),
        (3u32..=100).prop_map(|t| ("sharpen".into(), format!("{}.{}", t / 10, t % 10))),
        (-4i32..=4).prop_map(|r| ("rot".into(), (r * 90).to_string())),
        prop::sample::select(vec!["h", "v", "hv"]).prop_map(|f| ("flip".into(), f.into())),
        any::<[u8; 3]>()
            .prop_map(|c| ("bg".into(), format!("{:02x}{:02x}{:02x}", c[0], c[1], c[2]))),
    ]
}

/// A set of valid parameters, each name at most once.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(param(), 0..8).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|(n, _)| seen.insert(n.clone()));
        v
    })
}

fn junk() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        ("(utm_[a-z]{1,8}|_|v|fbclid|ref|cb)", "[a-zA-Z0-9]{0,12}"),
        0..4,
    )
}

fn join(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical ops segment written back as a viewer query.
fn ops_as_query(canonical_path: &str) -> String {
    let ops = canonical_path.rsplit('/').next().unwrap_or("");
    if ops == "_" {
        return String::new();
    }
    ops.split(',')
        .map(|op| op.replacen('_', "=", 1))
        .collect::<Vec<_>>()
        .join("&")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonicalization_is_idempotent(p in params()) {
        let first = canon(&join(&p));
        prop_assume!(!first.starts_with("error"));
        prop_assert_eq!(canon(&ops_as_query(&first)), first);
    }

    #[test]
    fn order_case_junk_and_aliases_do_not_matter(p in params(), j in junk(), seed in any::<u64>(), upper in any::<bool>()) {
        let base = canon(&join(&p));
        let mut mixed: Vec<(String, String)> = p
            .iter()
            .map(|(n, v)| {
                let v = if n == "fmt" && v == "jpeg" { "jpg".to_string() } else { v.clone() };
                if upper { (n.to_uppercase(), v.to_uppercase()) } else { (n.clone(), v) }
            })
            .collect();
        mixed.extend(j);
        // Deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..mixed.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            mixed.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(canon(&join(&mixed)), base);
    }

    #[test]
    fn dpr_folds_into_width(w in 1u32..=2048) {
        prop_assert_eq!(canon(&format!("dpr=2&w={w}")), canon(&format!("w={}", w * 2)));
    }

    #[test]
    fn off_grid_width_snaps_up(w in 1u32..=4096) {
        let grid = config().breakpoints.width;
        let expected = grid.iter().copied().find(|g| *g >= w).unwrap_or(4096);
        prop_assert_eq!(canon(&format!("w={w}")), format!("/demo/dir/photo.jpg/w_{expected}"));
    }

    #[test]
    fn canonical_path_round_trips(p in params()) {
        let c = config();
        let Ok(req) = Spec::from_viewer(&c, "/demo/dir/photo.jpg", &join(&p), Some("image/avif")) else {
            return Err(TestCaseError::reject("invalid combination"));
        };
        let back = Spec::from_canonical_path(&c, &req.spec.canonical_path());
        prop_assert_eq!(back, Ok(req.spec));
    }

    #[test]
    fn arbitrary_input_never_panics(path in "\\PC{0,80}", query in "\\PC{0,200}", accept in proptest::option::of("\\PC{0,60}")) {
        let c = config();
        let _ = Spec::from_viewer(&c, &path, &query, accept.as_deref());
        let _ = Spec::from_canonical_path(&c, &path);
    }
}

#[test]
fn dpr_2_w_320_equals_w_640() {
    assert_eq!(canon("dpr=2&w=320"), canon("w=640"));
    assert_eq!(canon("w=640"), "/demo/dir/photo.jpg/w_640");
}
