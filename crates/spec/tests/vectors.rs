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
    let config = Config::from_json(&config_text).expect("vectors config valid");
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
