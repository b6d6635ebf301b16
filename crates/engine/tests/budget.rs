//! The render budget: a render past its wall-clock budget stops at the next step with a 422
//! `too_complex` naming the budget, on the request path and in precompute's fan-out alike,
//! and the configured budgets are what the functions get.

use std::time::Duration;

use imgfront_engine::{EngineError, Settings, transform, transform_many};
use imgfront_spec::{Config, Key, Spec};

fn photo() -> Vec<u8> {
    imgfront_testkit::corpus("Landscape_1.jpg")
}

fn ops(query: &str) -> imgfront_spec::Ops {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/photo.jpg").expect("key");
    Spec::from_key_and_query(&c, key, query).expect("ops").ops
}

#[test]
fn the_configured_budgets_reach_the_settings() {
    let c = Config::embedded();
    assert_eq!(
        Settings::request(&c).deadline,
        Some(Duration::from_secs_f64(c.limits.request_render_s))
    );
    assert_eq!(
        Settings::precompute(&c).deadline,
        Some(Duration::from_secs_f64(c.limits.precompute_render_s))
    );
}

#[test]
fn a_render_past_its_budget_stops_with_a_specific_422() {
    let c = Config::embedded();
    let mut settings = Settings::request(&c);
    settings.deadline = Some(Duration::from_micros(1));
    let err = transform(&photo(), &ops("w=1280&fmt=avif"), &settings)
        .expect_err("a 1 µs budget cannot hold an AVIF render");
    assert!(matches!(err, EngineError::TooComplex(_)), "{err:?}");
    assert_eq!((err.status(), err.kind()), (422, "too_complex"));
    assert!(err.to_string().contains("budget"), "{err}");

    // The same render within the configured budget completes.
    let out = transform(&photo(), &ops("w=320&fmt=webp"), &Settings::request(&c)).expect("renders");
    assert_eq!(out.width, 320);
}

#[test]
fn precompute_fan_out_shares_one_budget() {
    let c = Config::embedded();
    let mut settings = Settings::precompute(&c);
    settings.deadline = Some(Duration::from_micros(1));
    let variants = [ops("w=480&fmt=webp"), ops("w=160&fmt=jpeg")];
    match transform_many(&photo(), &variants, &settings) {
        Err(e) => assert_eq!(e.kind(), "too_complex", "{e}"),
        Ok(outputs) => {
            for o in outputs {
                let e = o.expect_err("every variant is past the budget");
                assert_eq!(e.kind(), "too_complex", "{e}");
            }
        }
    }
}
