//! Runs the shared canonicalization vectors (`tests/vectors/canonical.json`); the CloudFront
//! Function tests run the same file, so the two parsers cannot drift apart.

use imgfront_spec::{Config, Spec};
use serde_json::Value;

fn load() -> (Config, Vec<Value>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");
    let text = std::fs::read_to_string(format!("{dir}/canonical.json")).expect("vectors file");
    let doc: Value = serde_json::from_str(&text).expect("vectors JSON");
    let config_name = doc["config"].as_str().expect("config name");
    let config_text =
        std::fs::read_to_string(format!("{dir}/{config_name}")).expect("vectors config");
    let mut config = Config::from_json(&config_text).expect("vectors config valid");
    // The vectors cover parsing and canonicalisation of unsigned URLs; signatures (and the
    // signed URLs' freedom from the unsigned value sets) are tested on their own, so every tenant
    // is public here, as in the CloudFront Function's run of the same file.
    for t in &mut config.tenants {
        t.access = imgfront_spec::Access::Public;
    }
    (config, doc["cases"].as_array().expect("cases").clone())
}

#[test]
fn vectors_file_has_enough_cases() {
    let (_, cases) = load();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let errors = cases
        .iter()
        .filter(|c| c["expect"]["error"].is_string())
        .count();
    assert!(errors >= 50, "only {errors} hostile/error cases");
}

/// Hostile URLs (traversal, encoded separators, control bytes, oversized values, prototype
/// names), each against the named shared vectors
/// that cover it: each must exist and expect a 400 reason (the JS function runs the same cases).
#[test]
fn every_hostile_url_item_has_named_vectors() {
    let (_, cases) = load();
    let items: &[(&str, &[(&str, &str)])] = &[
        (
            "`..`",
            &[
                ("traversal dotdot", "traversal"),
                ("traversal at start", "traversal"),
            ],
        ),
        (
            "`%2e%2e`",
            &[
                ("traversal encoded", "traversal"),
                ("traversal encoded upper", "traversal"),
            ],
        ),
        (
            "`%2f`",
            &[
                ("encoded slash", "traversal"),
                ("encoded slash upper", "traversal"),
            ],
        ),
        (
            "backslashes",
            &[
                ("backslash", "traversal"),
                ("encoded backslash", "traversal"),
            ],
        ),
        (
            "double slashes",
            &[
                ("double slash", "bad_path"),
                ("leading double slash", "bad_path"),
            ],
        ),
        ("NUL", &[("NUL", "bad_path"), ("w NUL", "bad_value")]),
        (
            "control characters",
            &[("newline", "bad_path"), ("DEL", "bad_path")],
        ),
        (
            "overlong UTF-8",
            &[
                ("overlong utf-8 dot", "bad_encoding"),
                ("overlong utf-8 slash", "bad_encoding"),
                ("w overlong utf-8", "bad_encoding"),
            ],
        ),
        (
            "keys over the length limit",
            &[("key too long", "too_long")],
        ),
        (
            "repeated params",
            &[
                ("w repeated", "repeated_param"),
                ("w repeated across case", "repeated_param"),
                ("fmt repeated", "repeated_param"),
            ],
        ),
        (
            "a huge query string",
            &[
                ("query too long", "too_long"),
                ("value too long", "too_long"),
            ],
        ),
        (
            "negative numbers",
            &[
                ("w negative", "bad_value"),
                ("dpr negative", "bad_value"),
                ("q negative", "bad_value"),
            ],
        ),
        (
            "NaN",
            &[
                ("w NaN", "bad_value"),
                ("dpr NaN", "bad_value"),
                ("sharpen NaN", "bad_value"),
            ],
        ),
        (
            "overflow",
            &[
                ("w overflow", "out_of_range"),
                ("sharpen far beyond u64 is out of range", "out_of_range"),
            ],
        ),
        (
            "exponent numbers",
            &[("w exponent", "bad_value"), ("dpr exponent", "bad_value")],
        ),
    ];
    for (item, vectors) in items {
        for (name, reason) in *vectors {
            let case = cases
                .iter()
                .find(|c| c["name"] == *name)
                .unwrap_or_else(|| panic!("{item}: no vector named {name:?}"));
            assert_eq!(
                case["expect"]["error"].as_str(),
                Some(*reason),
                "{item}: vector {name:?} must expect the 400 reason {reason}"
            );
        }
    }
}

#[test]
fn every_vector_matches() {
    let (config, cases) = load();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let path = case["path"].as_str().expect("path");
        let query = case["query"].as_str().expect("query");
        let accept = case["accept"].as_str();
        let got = Spec::from_viewer(&config, path, query, accept);
        let expect = &case["expect"];
        if let Some(location) = expect["redirect"].as_str() {
            match got {
                Err(e) if e.kind.as_str() == "moved" && e.location.as_deref() == Some(location) => {
                }
                other => {
                    failures.push(format!("{name}: got {other:?}, expected 301 to {location}"))
                }
            }
            continue;
        }
        match (got, expect["canonical"].as_str(), expect["error"].as_str()) {
            (Ok(req), Some(canonical), _) => {
                let path_out = req.spec.canonical_path();
                if path_out != canonical {
                    failures.push(format!("{name}: got {path_out}, expected {canonical}"));
                    continue;
                }
                // The canonical path must parse back to the same spec.
                match Spec::from_canonical_path(&config, canonical) {
                    Ok(back) if back == req.spec => {}
                    other => failures.push(format!(
                        "{name}: canonical path did not round-trip: {other:?}"
                    )),
                }
            }
            (Err(e), _, Some(kind)) => {
                if e.kind.as_str() != kind {
                    failures.push(format!(
                        "{name}: got error {} ({}), expected {kind}",
                        e.kind.as_str(),
                        e.message
                    ));
                }
                assert!(!e.message.is_empty());
            }
            (Ok(req), None, Some(kind)) => failures.push(format!(
                "{name}: got {}, expected error {kind}",
                req.spec.canonical_path()
            )),
            (Err(e), Some(canonical), _) => failures.push(format!(
                "{name}: got error {:?} {}, expected {canonical}",
                e.kind, e.message
            )),
            (_, None, None) => failures.push(format!("{name}: case has no expectation")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
