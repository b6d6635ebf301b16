//! Grammar-aware SVG: documents built from a structure the fuzzer mutates (nested patterns,
//! masks, clip paths, filters with their costly primitives, `use`, markers, gradients, paths and
//! extreme numbers, with references between any of them, cycles included), through the whole
//! engine. Every document must be rendered or refused (the pre-scan's `too_complex`, or
//! `undecodable`): never a stack overflow, a hang (libFuzzer's -timeout) or a memory blow-up
//! (-rss_limit_mb), and never a panic in our crates.
#![no_main]

use std::fmt::Write;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

#[derive(Arbitrary, Debug)]
enum Kind {
    G,
    Pattern,
    Mask,
    ClipPath,
    Marker,
    Symbol,
    Filter,
    LinearGradient,
    Use,
    Rect,
    Circle,
    Path,
    Text,
}

#[derive(Arbitrary, Debug)]
enum Primitive {
    Blur(u16),
    Morphology(u16),
    Turbulence(u16),
    Offset(i16),
    Flood,
    DropShadow(u16),
    ConvolveMatrix(u8),
}

#[derive(Arbitrary, Debug)]
enum Number {
    Small(i16),
    Huge(u8),
    Fraction(u16),
}

impl Number {
    fn text(&self) -> String {
        match self {
            Number::Small(v) => v.to_string(),
            Number::Huge(e) => format!("1e{}", e % 60),
            Number::Fraction(v) => format!("0.{v}"),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Element {
    kind: Kind,
    /// Index of the element this one refers to (fill, mask, clip-path, filter, href, marker).
    reference: Option<u8>,
    /// How many of the following elements nest inside this one.
    children: u8,
    primitives: Vec<Primitive>,
    numbers: Vec<Number>,
    filter_region: Option<u16>,
    subpaths: u16,
}

fn write_element(out: &mut String, elements: &[Element], i: usize, depth: usize) -> usize {
    let e = &elements[i];
    let n = |k: usize| e.numbers.get(k).map_or_else(|| "10".to_string(), Number::text);
    let target = e.reference.map(|r| usize::from(r) % elements.len());
    let url = |attr: &str| target.map_or(String::new(), |t| format!(r##" {attr}="url(#e{t})""##));
    let href = target.map_or(String::new(), |t| format!(r##" href="#e{t}""##));
    let (tag, attrs) = match e.kind {
        Kind::G => ("g", format!("{}{}", url("mask"), url("filter"))),
        Kind::Pattern => ("pattern", format!(r#" width="{}" height="{}"{href}"#, n(0), n(1))),
        Kind::Mask => ("mask", url("mask")),
        Kind::ClipPath => ("clipPath", url("clip-path")),
        Kind::Marker => ("marker", format!(r#" markerWidth="{}" markerHeight="{}""#, n(0), n(1))),
        Kind::Symbol => ("symbol", String::new()),
        Kind::Filter => (
            "filter",
            e.filter_region
                .map_or(String::new(), |r| format!(r#" x="-{r}%" width="{r}%""#)),
        ),
        Kind::LinearGradient => ("linearGradient", href.clone()),
        Kind::Use => ("use", format!(r#"{href} x="{}""#, n(0))),
        Kind::Rect => (
            "rect",
            format!(
                r#" width="{}" height="{}" stroke="red" stroke-width="{}"{}{}"#,
                n(0),
                n(1),
                n(2),
                url("fill"),
                url("marker-start")
            ),
        ),
        Kind::Circle => ("circle", format!(r#" r="{}"{}"#, n(0), url("clip-path"))),
        Kind::Path => {
            let mut d = String::new();
            for k in 0..usize::from(e.subpaths % 2048) {
                let _ = write!(d, "M{k} {} l{} {}z", n(0), n(1), n(2));
            }
            ("path", format!(r#" d="{d}"{}"#, url("filter")))
        }
        Kind::Text => ("text", String::from(r#" font-size="12""#)),
    };
    let _ = write!(out, r#"<{tag} id="e{i}"{attrs}>"#);
    if let Kind::Filter = e.kind {
        for p in &e.primitives {
            let _ = match p {
                Primitive::Blur(s) => write!(out, r#"<feGaussianBlur stdDeviation="{s}"/>"#),
                Primitive::Morphology(r) => write!(out, r#"<feMorphology radius="{r}"/>"#),
                Primitive::Turbulence(o) => write!(out, r#"<feTurbulence baseFrequency="0.1" numOctaves="{o}"/>"#),
                Primitive::Offset(d) => write!(out, r#"<feOffset dx="{d}"/>"#),
                Primitive::Flood => write!(out, r#"<feFlood flood-color="blue"/>"#),
                Primitive::DropShadow(s) => write!(out, r#"<feDropShadow stdDeviation="{s}"/>"#),
                Primitive::ConvolveMatrix(k) => write!(out, r#"<feConvolveMatrix order="{}" kernelMatrix="1"/>"#, k % 9),
            };
        }
    }
    if let Kind::Text = e.kind {
        out.push_str("imgfront");
    }
    // Depth-first: the next `children` elements nest here (bounded, so generation stays cheap).
    let mut next = i + 1;
    for _ in 0..e.children {
        if next >= elements.len() || depth > 300 {
            break;
        }
        next = write_element(out, elements, next, depth + 1);
    }
    let _ = write!(out, "</{tag}>");
    next
}

fuzz_target!(init: common::our_panics_only(), |elements: Vec<Element>| {
    if elements.is_empty() {
        return;
    }
    let mut svg = String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">"#);
    let mut i = 0;
    while i < elements.len() {
        i = write_element(&mut svg, &elements, i, 0);
    }
    svg.push_str("</svg>");
    common::render_small_png(svg.as_bytes());
});
