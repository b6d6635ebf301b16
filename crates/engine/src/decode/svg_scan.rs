//! The SVG pre-scan: reads the XML before usvg converts it and refuses, with the limit named,
//! any document whose conversion or rasterisation would recurse without end, run for seconds or
//! allocate without bound. usvg follows references recursively and resvg allocates a layer per
//! mask, clip, pattern and filter, so the dangerous shapes are reference cycles of any length,
//! deep chains of layered elements, filter primitives with costly parameters, huge filter
//! regions, enormous path data and extreme coordinates (tiny-skia panics on some of them).

use std::collections::HashMap;

use roxmltree::{Document, Node, ParsingOptions};

use crate::error::{EngineError, too_complex, undecodable};

/// Elements in one document.
pub const MAX_NODES: usize = 20_000;
/// Element nesting depth.
pub const MAX_DEPTH: usize = 256;
/// Masks, clip paths, patterns, filters, markers and `use` nested in one another, through
/// containment and references together: each is a canvas-sized layer when rendered.
pub const MAX_LAYER_DEPTH: usize = 12;
/// Elements once every `use` is expanded (each use copies its target's subtree).
pub const MAX_EXPANDED_NODES: u64 = 100_000;
/// Filter primitives in one document.
pub const MAX_FILTER_PRIMITIVES: usize = 64;
/// `feMorphology` radius, in user units.
pub const MAX_MORPHOLOGY_RADIUS: f64 = 20.0;
/// `feTurbulence` octaves.
pub const MAX_TURBULENCE_OCTAVES: f64 = 8.0;
/// `feGaussianBlur` standard deviation, as a share of the canvas's larger side.
pub const MAX_BLUR_SHARE: f64 = 0.25;
/// A filter region's size against the element (objectBoundingBox) or canvas (userSpaceOnUse).
pub const MAX_FILTER_REGION: f64 = 4.0;
/// Numbers in path data and point lists, summed over the document.
pub const MAX_PATH_NUMBERS: usize = 200_000;
/// Any coordinate or length, stroke widths included.
pub const MAX_MAGNITUDE: f64 = 1.0e6;

/// Elements that render as a layer of their own, or expand another subtree.
const LAYERED: &[&str] = &[
    "mask", "clipPath", "pattern", "filter", "marker", "use", "symbol",
];

/// Attributes whose numbers are coordinates or lengths.
const GEOMETRY: &[&str] = &[
    "x",
    "y",
    "width",
    "height",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "x1",
    "y1",
    "x2",
    "y2",
    "dx",
    "dy",
    "fx",
    "fy",
    "stroke-width",
    "stroke-dashoffset",
    "font-size",
    "viewBox",
    "transform",
    "stdDeviation",
    "radius",
    "scale",
    "k1",
    "k2",
    "k3",
    "k4",
    "markerWidth",
    "markerHeight",
    "refX",
    "refY",
    "stroke-dasharray",
    "stroke-miterlimit",
];

/// What the pre-scan found that sizes the render: each layer and each kept filter result is a
/// canvas-sized pixmap while resvg draws ([`crate::memory`] counts them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Complexity {
    /// Layered elements nested in one another, references followed.
    pub layers: usize,
    /// Filter primitives in the document.
    pub filter_primitives: usize,
}

/// Checks `bytes` against every limit above; `Ok` means usvg may convert it.
pub fn scan(bytes: &[u8]) -> Result<Complexity, EngineError> {
    let text = std::str::from_utf8(bytes).map_err(|_| undecodable("SVG: not UTF-8 text"))?;
    // Text and attribute nodes count towards roxmltree's limit too, hence the margin.
    let options = ParsingOptions {
        allow_dtd: true,
        nodes_limit: u32::try_from(MAX_NODES * 4).unwrap_or(u32::MAX),
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => refuse(format!(
            "over {MAX_NODES} elements; the limit is {MAX_NODES}"
        )),
        e => undecodable(format!("SVG: {e}")),
    })?;
    let elements: Vec<Node> = doc.descendants().filter(Node::is_element).collect();
    if elements.len() > MAX_NODES {
        return Err(refuse(format!(
            "{} elements; the limit is {MAX_NODES}",
            elements.len()
        )));
    }
    let canvas = canvas_size(doc.root_element());
    let mut path_numbers = 0usize;
    let mut primitives = 0usize;
    for node in &elements {
        let depth = node.ancestors().filter(Node::is_element).count();
        if depth > MAX_DEPTH {
            return Err(refuse(format!(
                "elements nested {depth} deep; the limit is {MAX_DEPTH}"
            )));
        }
        for attr in node.attributes() {
            let name = attr.name();
            if name == "d" || name == "points" {
                // One pass: each number is counted and checked as it is read.
                for v in numbers(attr.value()) {
                    path_numbers += 1;
                    if path_numbers > MAX_PATH_NUMBERS {
                        return Err(refuse(format!(
                            "path data holds over {MAX_PATH_NUMBERS} numbers"
                        )));
                    }
                    check_magnitude(name, v)?;
                }
            } else if GEOMETRY.contains(&name) || name == "style" {
                check_magnitudes(name, attr.value())?;
            }
        }
        if node.tag_name().name() == "style"
            && let Some(css) = node.text()
        {
            check_magnitudes("style", css)?;
        }
        let tag = node.tag_name().name();
        if tag.starts_with("fe")
            && node
                .parent_element()
                .is_some_and(|p| p.tag_name().name() == "filter")
        {
            primitives += 1;
            if primitives > MAX_FILTER_PRIMITIVES {
                return Err(refuse(format!(
                    "over {MAX_FILTER_PRIMITIVES} filter primitives"
                )));
            }
            check_primitive(node, canvas)?;
        }
        if tag == "filter" {
            check_filter_region(node, canvas)?;
        }
    }
    let layers = References::new(&elements).check()?;
    Ok(Complexity {
        layers,
        filter_primitives: primitives,
    })
}

fn refuse(what: String) -> EngineError {
    too_complex(format!("SVG too complex to render safely: {what}"))
}

/// The canvas's width and height in user units: the viewBox, else width/height, else 100.
fn canvas_size(root: Node) -> (f64, f64) {
    let nums = |s: &str| numbers(s).collect::<Vec<f64>>();
    if let Some(vb) = root.attribute("viewBox").map(nums)
        && vb.len() == 4
        && vb[2] > 0.0
        && vb[3] > 0.0
    {
        return (vb[2], vb[3]);
    }
    let side = |a: &str| {
        root.attribute(a)
            .and_then(|v| numbers(v).next())
            .filter(|v| *v > 0.0)
            .unwrap_or(100.0)
    };
    (side("width"), side("height"))
}

fn check_primitive(node: &Node, canvas: (f64, f64)) -> Result<(), EngineError> {
    let first = |a: &str| {
        node.attribute(a)
            .map(|v| numbers(v).fold(0.0_f64, f64::max))
    };
    match node.tag_name().name() {
        "feMorphology" => {
            if let Some(r) = first("radius").filter(|r| *r > MAX_MORPHOLOGY_RADIUS) {
                return Err(refuse(format!(
                    "feMorphology radius {r}; the limit is {MAX_MORPHOLOGY_RADIUS}"
                )));
            }
        }
        "feTurbulence" => {
            if let Some(n) = first("numOctaves").filter(|n| *n > MAX_TURBULENCE_OCTAVES) {
                return Err(refuse(format!(
                    "feTurbulence numOctaves {n}; the limit is {MAX_TURBULENCE_OCTAVES}"
                )));
            }
        }
        "feGaussianBlur" | "feDropShadow" => {
            let limit = MAX_BLUR_SHARE * canvas.0.max(canvas.1);
            if let Some(s) = first("stdDeviation").filter(|s| *s > limit) {
                return Err(refuse(format!(
                    "blur stdDeviation {s} against a canvas of {}x{}; the limit is {limit}",
                    canvas.0, canvas.1
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_filter_region(node: &Node, canvas: (f64, f64)) -> Result<(), EngineError> {
    let user_space = node.attribute("filterUnits") == Some("userSpaceOnUse");
    for (attr, side) in [("width", canvas.0), ("height", canvas.1)] {
        let Some(raw) = node.attribute(attr) else {
            continue;
        };
        let Some(mut v) = numbers(raw).next() else {
            continue;
        };
        // A percentage is a share of the bounding box (or the viewport): 400% is 4.
        if raw.trim_end().ends_with('%') {
            v /= 100.0;
        } else if user_space {
            v /= side.max(1.0);
        }
        if v.abs() > MAX_FILTER_REGION {
            return Err(refuse(format!(
                "a filter region {attr} of {raw} is over {MAX_FILTER_REGION}x the element it filters"
            )));
        }
    }
    Ok(())
}

fn check_magnitudes(attr: &str, value: &str) -> Result<(), EngineError> {
    numbers(value).try_for_each(|v| check_magnitude(attr, v))
}

fn check_magnitude(attr: &str, v: f64) -> Result<(), EngineError> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        return Err(refuse(format!(
            "{attr} holds the number {v:e}; coordinates and lengths are limited to ±{MAX_MAGNITUDE:e}"
        )));
    }
    Ok(())
}

/// The numbers in SVG attribute syntax (`1e30`, `-.5`, `3,4`), ignoring everything else.
fn numbers(s: &str) -> impl Iterator<Item = f64> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let start = i;
            let digit_or_dot = |c: u8| c.is_ascii_digit() || c == b'.';
            let starts = digit_or_dot(b[i])
                || ((b[i] == b'-' || b[i] == b'+')
                    && b.get(i + 1).is_some_and(|c| digit_or_dot(*c)));
            if !starts {
                i += 1;
                continue;
            }
            i += 1;
            let mut seen_dot = b[start] == b'.';
            while i < b.len() {
                let c = b[i];
                if c.is_ascii_digit() {
                    i += 1;
                } else if c == b'.' && !seen_dot {
                    seen_dot = true;
                    i += 1;
                } else if (c == b'e' || c == b'E')
                    && b.get(i + 1)
                        .is_some_and(|n| n.is_ascii_digit() || *n == b'-' || *n == b'+')
                {
                    i += 2;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    break;
                } else {
                    break;
                }
            }
            if let Ok(v) = s[start..i].parse::<f64>() {
                return Some(v);
            }
        }
        None
    })
}

/// The reference graph: every element with an `id`, and what it (or anything inside it) refers
/// to through `href`, `url(#…)` in attributes and `style`.
struct References<'a, 'input> {
    by_id: HashMap<&'a str, Node<'a, 'input>>,
    elements: &'a [Node<'a, 'input>],
    /// Ids a `<style>` sheet refers to: its selectors are not matched here, so every element
    /// is taken to refer to them (a sheet can give any element `fill: url(#…)`).
    stylesheet: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Open,
    Done { layers: usize, expanded: u64 },
}

impl<'a, 'input> References<'a, 'input> {
    fn new(elements: &'a [Node<'a, 'input>]) -> Self {
        let by_id = elements
            .iter()
            .filter_map(|n| n.attribute("id").map(|id| (id, *n)))
            .collect();
        let stylesheet = elements
            .iter()
            .filter(|n| n.tag_name().name() == "style")
            .filter_map(Node::text)
            .flat_map(|css| url_ids(css).map(str::to_owned).collect::<Vec<_>>())
            .collect();
        References {
            by_id,
            elements,
            stylesheet,
        }
    }

    /// The deepest layer nesting, once every reference and cycle is checked.
    fn check(&self) -> Result<usize, EngineError> {
        let mut marks: HashMap<roxmltree::NodeId, Mark> = HashMap::new();
        let mut total: u64 = 0;
        let mut deepest = 0;
        for node in self
            .elements
            .iter()
            .filter(|n| n.parent_element().is_none())
        {
            let mut path = Vec::new();
            let (layers, expanded) = self.visit(*node, 0, &mut marks, &mut path)?;
            deepest = deepest.max(layers);
            total = total.saturating_add(expanded);
        }
        if total > MAX_EXPANDED_NODES {
            return Err(refuse(format!(
                "{total} elements once every <use> is expanded; the limit is {MAX_EXPANDED_NODES}"
            )));
        }
        Ok(deepest)
    }

    /// Layer depth and expanded element count of `node`'s subtree, following references.
    /// `layers_above` counts the layered elements on `path`, the way down to `node`.
    fn visit(
        &self,
        node: Node<'a, 'input>,
        layers_above: usize,
        marks: &mut HashMap<roxmltree::NodeId, Mark>,
        path: &mut Vec<Node<'a, 'input>>,
    ) -> Result<(usize, u64), EngineError> {
        match marks.get(&node.id()) {
            Some(Mark::Done { layers, expanded }) => return Ok((*layers, *expanded)),
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n.id() == node.id()).unwrap_or(0);
                let cycle: Vec<String> = path[start..]
                    .iter()
                    .chain([&node])
                    .map(|n| format!("#{}", n.attribute("id").unwrap_or(n.tag_name().name())))
                    .collect();
                return Err(refuse(format!(
                    "its references form a cycle ({})",
                    cycle.join(" → ")
                )));
            }
            None => {}
        }
        marks.insert(node.id(), Mark::Open);
        path.push(node);
        // Refused on the way down too, so a chain of thousands never recurses that deep here.
        if path.len() > 2 * MAX_DEPTH {
            return Err(refuse(format!(
                "elements and references nested over {} deep",
                2 * MAX_DEPTH
            )));
        }
        let layered = usize::from(LAYERED.contains(&node.tag_name().name()));
        let layers_here = layers_above + layered;
        if layers_here > MAX_LAYER_DEPTH {
            return Err(refuse(format!(
                "masks, clips, patterns, filters, markers and uses nested {layers_here} deep; the limit is {MAX_LAYER_DEPTH}"
            )));
        }
        let mut deepest = 0usize;
        let mut expanded = 1u64;
        let targets: Vec<Node> = references(&node)
            .chain(inherited_references(&node))
            .chain(self.stylesheet.iter().map(String::as_str))
            .filter_map(|id| self.by_id.get(id).copied())
            .collect();
        for child in node.children().filter(Node::is_element).chain(targets) {
            let (layers, count) = self.visit(child, layers_here, marks, path)?;
            deepest = deepest.max(layers);
            expanded = expanded.saturating_add(count);
            if expanded > MAX_EXPANDED_NODES {
                return Err(refuse(format!(
                    "over {MAX_EXPANDED_NODES} elements once every <use> is expanded"
                )));
            }
        }
        let layers = deepest + layered;
        if layers > MAX_LAYER_DEPTH {
            return Err(refuse(format!(
                "masks, clips, patterns, filters, markers and uses nested {layers} deep; the limit is {MAX_LAYER_DEPTH}"
            )));
        }
        path.pop();
        marks.insert(node.id(), Mark::Done { layers, expanded });
        Ok((layers, expanded))
    }
}

/// The ids an element refers to: `href`/`xlink:href="#id"` and `url(#id)` in any attribute.
fn references<'n>(node: &'n Node) -> impl Iterator<Item = &'n str> + 'n {
    node.attributes().flat_map(|a| {
        let v = a.value();
        let href = (a.name() == "href")
            .then(|| v.trim().strip_prefix('#'))
            .flatten();
        href.into_iter().chain(url_ids(v))
    })
}

/// Paint and marker properties an element inherits from its ancestors, whatever they are: a
/// shape inside a pattern with no `fill` of its own paints with the fill of the element around
/// the pattern, which may be that same pattern (a cycle the fuzzer found).
const INHERITED: &[&str] = &[
    "fill",
    "stroke",
    "marker-start",
    "marker-mid",
    "marker-end",
    "marker",
];

/// The ids `node` refers to through properties it inherits: for each inherited property, the
/// nearest ancestor that sets it, as an attribute or in `style`.
fn inherited_references<'n>(node: &'n Node) -> impl Iterator<Item = &'n str> + 'n {
    INHERITED.iter().filter_map(move |prop| {
        node.ancestors()
            .skip(1)
            .filter(Node::is_element)
            .find_map(|a| declared(&a, prop))
            .and_then(|value| url_ids(value).next())
    })
}

/// The value `node` declares for `prop`, in an attribute or its `style`.
fn declared<'n>(node: &Node<'n, '_>, prop: &str) -> Option<&'n str> {
    if let Some(v) = node.attribute(prop) {
        return Some(v);
    }
    node.attribute("style")?.split(';').find_map(|decl| {
        let (name, value) = decl.split_once(':')?;
        (name.trim() == prop).then_some(value)
    })
}

fn url_ids(v: &str) -> impl Iterator<Item = &str> {
    v.split("url(").skip(1).filter_map(|rest| {
        let inner = rest.split(')').next()?.trim().trim_matches(['"', '\'']);
        inner.strip_prefix('#')
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn verdict(svg: &str) -> Result<(), String> {
        scan(svg.as_bytes()).map(drop).map_err(|e| e.to_string())
    }

    fn svg(body: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">{body}</svg>"#
        )
    }

    #[test]
    fn ordinary_drawings_pass() {
        let ok = svg(
            r##"<defs><linearGradient id="g"><stop offset="0"/></linearGradient>
            <pattern id="p" width="10" height="10"><rect width="5" height="5" fill="url(#g)"/></pattern>
            <filter id="f" x="-10%" y="-10%" width="120%" height="120%"><feGaussianBlur stdDeviation="2"/></filter>
            <mask id="m"><rect width="100" height="100" fill="white"/></mask></defs>
            <g id="a" filter="url(#f)" mask="url(#m)"><rect width="50" height="50" fill="url(#p)"/></g>
            <use href="#a" x="10"/><use xlink:href="#a" x="20"/>
            <path d="M0 0 L10 10 C 20 20, 40 20, 50 10 z" style="stroke-width:2"/>"##,
        );
        assert_eq!(verdict(&ok), Ok(()));
    }

    #[test]
    fn reference_cycles_of_any_length_are_refused() {
        for n in [1, 2, 3, 7] {
            let patterns: String = (0..n)
                .map(|i| {
                    format!(
                        r##"<pattern id="p{i}" width="10" height="10"><rect width="9" height="9" fill="url(#p{})"/></pattern>"##,
                        (i + 1) % n
                    )
                })
                .collect();
            let doc = svg(&format!(
                r##"{patterns}<rect width="100" height="100" fill="url(#p0)"/>"##
            ));
            let err = verdict(&doc).unwrap_err();
            assert!(err.contains("cycle"), "{n}: {err}");
        }
        let uses = svg(r##"<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>"##);
        assert!(verdict(&uses).unwrap_err().contains("cycle"));
    }

    #[test]
    fn deep_layers_and_use_bombs_are_refused() {
        let masks: String = (0..40)
            .map(|i| {
                format!(
                    r##"<mask id="m{i}"><rect width="100" height="100" mask="url(#m{})"/></mask>"##,
                    i + 1
                )
            })
            .collect();
        let err = verdict(&svg(&format!(
            r##"{masks}<mask id="m40"/><rect mask="url(#m0)"/>"##
        )))
        .unwrap_err();
        assert!(err.contains("nested") && err.contains("12"), "{err}");
        // Ten levels of ten uses each: 10^10 elements once expanded.
        let mut body = String::from(r#"<g id="l0"><rect width="1" height="1"/></g>"#);
        for level in 1..10 {
            body.push_str(&format!(r#"<g id="l{level}">"#));
            for _ in 0..10 {
                body.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
            }
            body.push_str("</g>");
        }
        let err = verdict(&svg(&body)).unwrap_err();
        assert!(err.contains("expanded") || err.contains("nested"), "{err}");
    }

    #[test]
    fn costly_filters_are_refused_with_the_limit_named() {
        let cases = [
            (
                r#"<filter id="f"><feMorphology radius="50"/></filter>"#,
                "feMorphology radius 50",
            ),
            (
                r#"<filter id="f"><feTurbulence numOctaves="1000"/></filter>"#,
                "numOctaves 1000",
            ),
            (
                r#"<filter id="f"><feGaussianBlur stdDeviation="500"/></filter>"#,
                "stdDeviation 500",
            ),
            (
                r#"<filter id="f" width="100000%"><feFlood/></filter>"#,
                "filter region width",
            ),
            (
                r#"<filter id="f" filterUnits="userSpaceOnUse" height="9000"><feFlood/></filter>"#,
                "filter region height",
            ),
        ];
        for (filter, want) in cases {
            let err = verdict(&svg(filter)).unwrap_err();
            assert!(err.contains(want), "{filter}: {err}");
        }
        let chain: String = (0..400).map(|_| "<feOffset dx=\"1\"/>").collect();
        let err = verdict(&svg(&format!(r#"<filter id="f">{chain}</filter>"#))).unwrap_err();
        assert!(err.contains("filter primitives"), "{err}");
    }

    #[test]
    fn huge_numbers_and_path_data_are_refused() {
        let err = verdict(&svg(
            r#"<rect width="10" height="10" stroke="red" stroke-width="1e30"/>"#,
        ))
        .unwrap_err();
        assert!(err.contains("stroke-width holds the number 1e30"), "{err}");
        let err =
            verdict(&svg(r#"<style>rect { stroke-width: 1e30 }</style><rect/>"#)).unwrap_err();
        assert!(err.contains("1e30"), "{err}");
        let d: String = (0..100_001).map(|_| "M1 1z").collect();
        let err = verdict(&svg(&format!(r#"<path d="{d}"/>"#))).unwrap_err();
        assert!(err.contains("path data"), "{err}");
    }

    #[test]
    fn numbers_are_read_as_svg_writes_them() {
        let got: Vec<f64> = numbers("M-1.5.5e2,3 1e30-2 #a1").collect();
        assert_eq!(got, [-1.5, 50.0, 3.0, 1e30, -2.0, 1.0]);
    }
}
