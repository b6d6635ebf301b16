//! Hostile SVGs, generated here as an attacker would hand-make them, through the whole
//! transform: each is refused with a 422 `too_complex` naming the limit (never a stack overflow,
//! a hang or a panic's text), while an ordinary drawing of similar size still renders.

use std::time::{Duration, Instant};

use imgfront_engine::{EngineError, Settings, transform};
use imgfront_spec::{Config, Key, Spec};

fn run(svg: &str) -> (Result<imgfront_engine::Output, EngineError>, Duration) {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/hostile.svg").expect("key");
    let ops = Spec::from_key_and_query(&c, key, "w=320&fmt=png")
        .expect("ops")
        .ops;
    let started = Instant::now();
    let out = transform(svg.as_bytes(), &ops, &Settings::request(&c));
    (out, started.elapsed())
}

fn doc(body: &str) -> String {
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">{body}</svg>"#)
}

fn refused(name: &str, svg: &str, names: &str) {
    let (out, took) = run(svg);
    match out {
        Err(e @ EngineError::TooComplex(_)) => {
            assert_eq!((e.status(), e.kind()), (422, "too_complex"), "{name}");
            let message = e.to_string();
            assert!(message.contains(names), "{name}: {message}");
            assert!(!message.contains("unwrap"), "{name}: {message}");
            println!("{name}: {} bytes refused in {took:?}: {message}", svg.len());
        }
        other => panic!("{name}: expected too_complex, got {other:?}"),
    }
}

#[test]
fn a_pattern_cycle_of_three_is_refused_instead_of_overflowing_the_stack() {
    let svg = doc(
        r##"<pattern id="a" width="9" height="9"><rect width="8" height="8" fill="url(#b)"/></pattern><pattern id="b" width="9" height="9"><rect width="8" height="8" fill="url(#c)"/></pattern><pattern id="c" width="9" height="9"><rect width="8" height="8" fill="url(#a)"/></pattern><rect width="100" height="100" fill="url(#a)"/>"##,
    );
    assert!(svg.len() < 600, "a few hundred bytes: {}", svg.len());
    refused("pattern cycle", &svg, "cycle (#");
}

#[test]
fn a_cycle_through_an_inherited_fill_is_refused() {
    // Found by the svg_structure fuzz target: the path inside the pattern has no fill of its
    // own, so it inherits the rect's `fill="url(#p)"`, the pattern it is in.
    refused(
        "inherited fill cycle",
        &doc(
            r##"<rect width="10" height="10" fill="url(#p)"><pattern id="p" width="10" height="10"><path d="M0 0h5v5z"/></pattern></rect>"##,
        ),
        "cycle",
    );
    refused(
        "inherited style fill cycle",
        &doc(
            r##"<g style="stroke: url(#p)"><pattern id="p" width="10" height="10"><rect width="5" height="5"/></pattern><rect width="10" height="10"/></g>"##,
        ),
        "cycle",
    );
    refused(
        "stylesheet fill cycle",
        &doc(
            r##"<style>rect { fill: url(#p) }</style><pattern id="p" width="10" height="10"><rect width="5" height="5"/></pattern><rect width="10" height="10"/>"##,
        ),
        "cycle",
    );
}

#[test]
fn costly_filters_are_refused_before_rendering() {
    refused(
        "feMorphology radius 50",
        &doc(
            r#"<filter id="f"><feMorphology radius="50"/></filter><rect width="100" height="100" filter="url(#f)"/>"#,
        ),
        "feMorphology radius 50",
    );
    refused(
        "feTurbulence octaves",
        &doc(
            r#"<filter id="f"><feTurbulence baseFrequency="0.05" numOctaves="100000"/></filter><rect width="100" height="100" filter="url(#f)"/>"#,
        ),
        "numOctaves",
    );
    refused(
        "filter region",
        &doc(
            r#"<filter id="f" x="-50000%" y="-50000%" width="100000%" height="100000%"><feFlood flood-color="red"/></filter><rect width="10" height="10" filter="url(#f)"/>"#,
        ),
        "filter region",
    );
    let chain: String = (0..400)
        .map(|i| format!(r#"<feOffset dx="1" result="r{i}"/>"#))
        .collect();
    refused(
        "400 primitives",
        &doc(&format!(
            r#"<filter id="f">{chain}</filter><rect width="100" height="100" filter="url(#f)"/>"#
        )),
        "filter primitives",
    );
}

#[test]
fn nested_masks_use_bombs_and_huge_paths_are_refused() {
    let masks: String = (0..500)
        .map(|i| format!(r##"<mask id="m{i}"><rect width="100" height="100" fill="white" mask="url(#m{})"/></mask>"##, i + 1))
        .collect();
    refused(
        "500 nested masks",
        &doc(&format!(
            r##"{masks}<mask id="m500"/><rect width="100" height="100" mask="url(#m0)"/>"##
        )),
        "nested",
    );
    let subpaths: String = (0..100_000)
        .map(|i| format!("M{} 1h1v1z", i % 100))
        .collect();
    refused(
        "100,000 subpaths",
        &doc(&format!(r#"<path d="{subpaths}"/>"#)),
        "path data",
    );
}

#[test]
fn a_huge_stroke_width_is_refused_in_our_words_not_a_panic_message() {
    refused(
        "stroke-width 1e30",
        &doc(
            r#"<rect x="10" y="10" width="50" height="50" fill="none" stroke="black" stroke-width="1e30"/>"#,
        ),
        "stroke-width holds the number 1e30",
    );
}

#[test]
fn an_ordinary_drawing_with_filters_masks_and_uses_still_renders() {
    let svg = doc(
        r##"<defs><filter id="f"><feGaussianBlur stdDeviation="2"/><feMorphology radius="2"/></filter>
        <mask id="m"><circle cx="50" cy="50" r="40" fill="white"/></mask>
        <pattern id="p" width="10" height="10" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="teal"/></pattern>
        <g id="g"><rect width="40" height="40" fill="url(#p)"/></g></defs>
        <g mask="url(#m)" filter="url(#f)"><use href="#g"/><use href="#g" x="50" y="50"/></g>"##,
    );
    let (out, took) = run(&svg);
    let out = out.expect("renders");
    assert_eq!((out.width, out.height), (320, 320));
    println!("ordinary drawing rendered in {took:?}");
}
