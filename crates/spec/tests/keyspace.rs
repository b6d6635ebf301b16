//! The unsigned key space: the formula `imgfront canon --key-space` prints is exact (checked by
//! enumerating every unsigned URL of a small configuration through the real parser), and the
//! repository's configuration keeps it under its own bound.

use std::collections::HashSet;

use imgfront_spec::{Config, Spec, keyspace};

fn small_config() -> Config {
    let mut v: serde_json::Value =
        serde_json::from_str(imgfront_spec::config::EMBEDDED_JSON).expect("config");
    v["breakpoints"] = serde_json::json!({"width": [100, 200], "height": [100]});
    v["limits"]["max_width"] = 200.into();
    v["limits"]["max_height"] = 100.into();
    v["quality"] = serde_json::json!({"allowed": [50, 100], "default": {"jpeg": 100, "webp": 100, "avif": 50}});
    v["unsigned"] = serde_json::json!({
        "bg": ["ffffff", "000000"], "blur": [1], "sharpen": [1], "max_variants_per_original": 1_000_000
    });
    v["presets"] = serde_json::json!([{"name": "p", "query": "w=100", "formats": ["jpeg"]}]);
    Config::from_json(&v.to_string()).expect("small config is valid")
}

#[test]
fn the_formula_counts_exactly_what_unsigned_urls_can_reach() {
    let config = small_config();
    let opt = |name: &str, values: &[&str]| -> Vec<String> {
        std::iter::once(String::new())
            .chain(values.iter().map(|v| format!("&{name}={v}")))
            .collect()
    };
    let fits = opt("fit", &["cover", "contain", "fill", "inside", "outside"]);
    let positions = opt(
        "pos",
        &[
            "top",
            "bottom",
            "left",
            "right",
            "top-left",
            "top-right",
            "bottom-left",
            "bottom-right",
            "entropy",
            "attention",
        ],
    );
    let mut seen = HashSet::new();
    let mut urls = 0u64;
    for w in opt("w", &["100", "200"]) {
        for h in opt("h", &["100"]) {
            for fit in &fits {
                for pos in &positions {
                    for fmt in opt("fmt", &["jpeg", "png", "webp", "avif", "gif"]) {
                        for q in opt("q", &["50", "100"]) {
                            for bg in opt("bg", &["ffffff", "000000"]) {
                                for blur in opt("blur", &["1"]) {
                                    for sharpen in opt("sharpen", &["1"]) {
                                        for rot in opt("rot", &["90", "180", "270"]) {
                                            for flip in opt("flip", &["h"]) {
                                                let q = format!(
                                                    "x=1{w}{h}{fit}{pos}{fmt}{q}{bg}{blur}{sharpen}{rot}{flip}"
                                                );
                                                urls += 1;
                                                let req = Spec::from_viewer(
                                                    &config,
                                                    "/demo/a.jpg",
                                                    &q,
                                                    None,
                                                )
                                                .expect("every combination is valid");
                                                seen.insert(req.spec.canonical_path());
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let space = keyspace::unsigned(&config);
    println!(
        "{urls} unsigned URLs reach {} canonical paths; the formula says {}",
        seen.len(),
        space.total
    );
    assert_eq!(seen.len() as u128, space.total);
}

#[test]
fn the_repository_configuration_stays_under_its_bound() {
    let config = Config::embedded();
    let space = keyspace::unsigned(&config);
    println!("{space:?}");
    assert!(
        space.total <= u128::from(config.unsigned.max_variants_per_original),
        "{} canonical paths per original, over the configured {}",
        space.total,
        config.unsigned.max_variants_per_original
    );
}

#[test]
fn unsigned_urls_snap_blur_and_sharpen_and_keep_to_the_palette_while_signed_ones_do_not() {
    let config = Config::embedded();
    let canon = |path: &str, q: &str| {
        Spec::from_viewer(&config, path, q, None)
            .map(|r| r.spec.canonical_path())
            .unwrap_or_else(|e| format!("{} {}", e.kind.as_str(), e.message))
    };
    assert_eq!(
        canon("/demo/a.jpg", "blur=0.7&sharpen=1.2"),
        "/demo/a.jpg/blur_1,sharpen_1.5"
    );
    assert_eq!(canon("/demo/a.jpg", "blur=60"), "/demo/a.jpg/blur_100");
    assert_eq!(canon("/demo/a.jpg", "bg=000"), "/demo/a.jpg/bg_000000");
    assert!(
        canon("/demo/a.jpg", "bg=123456")
            .starts_with("out_of_range bg 123456 is not in the palette")
    );
    // acme is private: its URLs are signed, so any value the signer signs is kept.
    assert_eq!(
        canon("/acme/a.jpg", "blur=0.7&bg=123456"),
        "/acme/a.jpg/bg_123456,blur_0.7"
    );
}
