//! Unit tests of the spec: messages, canonical parsing, signatures and config validation.

use crate::sign::{SignatureError, sign, verify};
use crate::{Config, ErrorKind, Format, Key, Spec};

fn cfg() -> Config {
    Config::embedded()
}

fn canon(q: &str) -> String {
    Spec::from_viewer(&cfg(), "/demo/a.jpg", q, None)
        .map(|r| r.spec.canonical_path())
        .unwrap_or_else(|e| e.message)
}

#[test]
fn messages_are_specific() {
    assert_eq!(canon("w=99999"), "w=99999 exceeds the maximum 4096");
    assert_eq!(
        canon("w=320&h=320&fit=stretch"),
        "unknown fit 'stretch'; expected cover|contain|fill|inside|outside"
    );
    assert_eq!(
        canon("w=-1"),
        "w must be a whole number of pixels, got '-1'"
    );
    assert_eq!(canon("w=1&w=2"), "parameter 'w' is given more than once");
    assert_eq!(canon("dpr=9&w=1"), "dpr=9 is outside the range 1-4");
    assert_eq!(canon("q=0"), "q=0 is outside the range 1-100");
    let e = Spec::from_viewer(&cfg(), "/nope/a.jpg", "", None).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::UnknownTenant, "unknown tenant 'nope'")
    );
    assert_eq!(e.kind.status(), 404);
}

#[test]
fn hostile_text_is_escaped_in_messages() {
    let m = canon("fit=%1B%5B31mred");
    assert!(m.starts_with("unknown fit '\\u{1b}[31mred'"), "{m}");
    let long = format!("fit={}", "x".repeat(60));
    assert!(canon(&long).contains('…'));
}

#[test]
fn derivative_key_is_canonical_path_decoded() {
    let r = Spec::from_viewer(&cfg(), "/demo/red%20shoe.jpg", "w=640&fmt=webp", None).unwrap();
    assert_eq!(
        r.spec.canonical_path(),
        "/demo/red%20shoe.jpg/fmt_webp,w_640"
    );
    assert_eq!(r.spec.derivative_key(), "demo/red shoe.jpg/fmt_webp,w_640");
    assert_eq!(Spec::derivative_prefix(&r.spec.key), "demo/red shoe.jpg/");
    assert_eq!(r.spec.key.tenant(), "demo");
}

#[test]
fn canonical_parser_refuses_non_canonical_forms() {
    let c = cfg();
    for (path, why) in [
        ("/demo/a.jpg/w_641", "off-grid width"),
        ("/demo/a.jpg/w_640,fmt_webp", "unsorted"),
        ("/demo/a.jpg/fmt_jpg", "alias"),
        ("/demo/a.jpg/fit_cover,h_320,w_320", "default fit"),
        ("/demo/a.jpg/fmt_webp,q_80", "default quality"),
        ("/demo/a.jpg/flip_v", "non-minimal flip"),
        ("/demo/a.jpg/dpr_2,w_320", "dpr"),
        ("/demo/a.jpg/fmt_auto", "auto"),
        ("/demo/a.jpg/", "empty ops"),
        ("/demo/a.jpg/zzz_1", "unknown op"),
        ("/demo/%7Ea.jpg/_", "non-canonical encoding"),
        ("/demo/a.jpg/w_0640", "leading zero"),
        ("/demo/a.jpg/bg_FF0000", "uppercase hex"),
    ] {
        assert!(
            Spec::from_canonical_path(&c, path).is_err(),
            "{why}: {path} was accepted"
        );
    }
    let e = Spec::from_canonical_path(&c, "/demo/a.jpg/w_641").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotCanonical);
    assert_eq!(
        e.message,
        "path is not canonical; the canonical form is /demo/a.jpg/w_720"
    );
    assert_eq!(
        Spec::from_canonical_path(&c, "/demo/../a.jpg/_")
            .unwrap_err()
            .kind,
        ErrorKind::Traversal
    );
    let ok = Spec::from_canonical_path(&c, "/demo/a.jpg/fit_contain,fmt_webp,h_480,w_640").unwrap();
    assert_eq!(ok.ops.format(), Some(Format::Webp));
    assert_eq!((ok.ops.width(), ok.ops.height()), (Some(640), Some(480)));
}

#[test]
fn presets_parse_and_fan_out_per_format() {
    let c = cfg();
    let key = Key::from_decoded(&c, "demo/x.jpg").unwrap();
    for p in &c.presets {
        let spec = Spec::from_key_and_query(&c, key.clone(), &p.query).unwrap();
        for f in &p.formats {
            let ops = spec.ops.with_format(&c, *f);
            assert_eq!(ops.format(), Some(*f));
        }
    }
    assert!(
        Spec::from_key_and_query(&c, key, "fmt=auto").is_err(),
        "auto is edge-only"
    );
}

#[test]
fn signatures_bind_path_params_and_tenant() {
    let c = cfg();
    let secret = b"tenant-acme-secret";
    let req = |q: &str| Spec::from_viewer(&c, "/acme/logo.png", q, None).unwrap();
    let unsigned = req("w=160&exp=2000000000");
    assert_eq!(
        unsigned.signing_string,
        "/acme/logo.png?exp=2000000000&w=160"
    );
    let sig = sign(secret, &unsigned.signing_string);
    let signed = req(&format!("w=160&exp=2000000000&sig={sig}&utm_source=x"));
    assert_eq!(verify(&signed, &[secret], 1_990_000_000), Ok(()));
    // Rotation: the second active key also verifies.
    assert_eq!(verify(&signed, &[b"old", secret], 1_990_000_000), Ok(()));
    assert_eq!(
        verify(&signed, &[b"other"], 1_990_000_000),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&signed, &[secret], 2_000_000_000),
        Err(SignatureError::Expired)
    );
    let reused = req(&format!("w=320&exp=2000000000&sig={sig}"));
    let now = 1_990_000_000;
    assert_eq!(
        verify(&reused, &[secret], now),
        Err(SignatureError::Mismatch)
    );
    let truncated = req(&format!("w=160&exp=2000000000&sig={}", &sig[..20]));
    assert_eq!(
        verify(&truncated, &[secret], now),
        Err(SignatureError::Mismatch)
    );
    let other_tenant = Spec::from_viewer(
        &c,
        "/demo/logo.png",
        &format!("w=160&exp=2000000000&sig={sig}"),
        None,
    )
    .unwrap();
    assert_eq!(
        verify(&other_tenant, &[secret], now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&req("w=160"), &[secret], now),
        Err(SignatureError::Missing)
    );
    // An exp more than a year ahead is refused even with a good signature.
    assert_eq!(
        verify(
            &signed,
            &[secret],
            2_000_000_000 - crate::sign::MAX_LIFETIME_SECS - 1
        ),
        Err(SignatureError::TooFarAhead)
    );
    assert_eq!(
        verify(
            &signed,
            &[secret],
            2_000_000_000 - crate::sign::MAX_LIFETIME_SECS
        ),
        Ok(())
    );
}

#[test]
fn config_validation_names_the_problem() {
    let mut v: serde_json::Value = serde_json::from_str(crate::config::EMBEDDED_JSON).unwrap();
    v["breakpoints"]["width"] = serde_json::json!([640, 320, 4096]);
    let e = Config::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(
        e.contains("breakpoints.width must be non-empty, positive and strictly ascending"),
        "{e}"
    );
    let mut v: serde_json::Value = serde_json::from_str(crate::config::EMBEDDED_JSON).unwrap();
    v["presets"][0]["query"] = serde_json::json!("w=99999");
    let e = Config::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("w=99999 exceeds the maximum 4096"), "{e}");
    let mut v: serde_json::Value = serde_json::from_str(crate::config::EMBEDDED_JSON).unwrap();
    v["encoding"]["request"]["jpeg_shrink_margin"] = serde_json::json!(0.5);
    let e = Config::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(
        e.contains("jpeg_shrink_margin must be 1.0-8.0, got 0.5"),
        "{e}"
    );
    // Absent, it is 2.0 (decode at least twice the output).
    let mut v: serde_json::Value = serde_json::from_str(crate::config::EMBEDDED_JSON).unwrap();
    v["encoding"]["precompute"]
        .as_object_mut()
        .unwrap()
        .remove("jpeg_shrink_margin");
    let c = Config::from_json(&v.to_string()).unwrap();
    assert_eq!(c.encoding.precompute.jpeg_shrink_margin, 2.0);
    assert_eq!(c.encoding.request.jpeg_shrink_margin, 1.2);
    let mut v: serde_json::Value = serde_json::from_str(crate::config::EMBEDDED_JSON).unwrap();
    v["encoding"]["request"]["webp_method_small"] = serde_json::json!(7);
    let e = Config::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("got 2, Some(7) and 6"), "{e}");
    let mut v: serde_json::Value = serde_json::from_str(crate::config::EMBEDDED_JSON).unwrap();
    v["limits"]["surprise"] = serde_json::json!(1);
    assert!(
        Config::from_json(&v.to_string()).is_err(),
        "unknown fields are refused"
    );
}

#[test]
fn viewer_url_helper_ignores_scheme_host_and_fragment() {
    let c = cfg();
    let r = Spec::from_viewer_url(&c, "https://cdn.example/demo/a.jpg?w=640#x", None).unwrap();
    assert_eq!(r.spec.canonical_path(), "/demo/a.jpg/w_640");
    let r = Spec::from_viewer_url(&c, "/demo/a.jpg?fmt=auto", Some("image/webp")).unwrap();
    assert_eq!(r.spec.canonical_path(), "/demo/a.jpg/fmt_webp");
}

#[test]
fn small_outputs_take_the_small_webp_method() {
    let c = cfg();
    let r = c.encoding.request;
    assert_eq!(r.webp_method_for(320 * 320), 3);
    assert_eq!(r.webp_method_for(320 * 320 + 1), 2);
    assert_eq!(r.webp_method_for(640 * 400), 2);
    let p = c.encoding.precompute;
    assert_eq!(p.webp_method_for(160 * 160), 6);
    assert_eq!(p.webp_method_for(1280 * 960), 4);
    // Without a small method every size takes `webp_method`.
    let mut p = p;
    p.webp_method_small = None;
    assert_eq!(p.webp_method_for(160 * 160), p.webp_method);
}

#[test]
fn the_origin_accepts_any_well_formed_tenant_and_the_edge_only_registered_ones() {
    let edge = Config::embedded();
    let origin = Config::embedded().at_origin();
    let path = "/newcomer/a.jpg/w_320";
    assert_eq!(
        Spec::from_canonical_path(&edge, path).unwrap_err().kind,
        ErrorKind::UnknownTenant
    );
    assert_eq!(
        Spec::from_canonical_path(&origin, path)
            .unwrap()
            .key
            .tenant(),
        "newcomer"
    );
    for bad in [
        "/New/a.jpg/w_320",
        "/__proto__/a.jpg/w_320",
        "/a_b/a.jpg/w_320",
    ] {
        assert_eq!(
            Spec::from_canonical_path(&origin, bad).unwrap_err().kind,
            ErrorKind::UnknownTenant,
            "{bad}"
        );
    }
}
