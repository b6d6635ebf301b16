//! Output geometry: from the upright source size and the ops, the output size, the source region
//! it shows, and the contain canvas. Images are never enlarged (vectors excepted): when the box
//! is bigger than the source allows, the box shrinks and keeps its aspect ratio.

use imgfront_spec::{Fit, Ops};

/// Where an output comes from and how big it is, in upright (oriented) source pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// The resized image size (before contain padding).
    pub out_w: u32,
    pub out_h: u32,
    /// The source region shown, width and height; its position is chosen by the crop step.
    pub region_w: f64,
    pub region_h: f64,
    /// For `contain`: the padded canvas size; the image is centred on it.
    pub canvas: Option<(u32, u32)>,
    /// Output pixels per source pixel along each axis (decoders may shrink on load to this).
    pub scale_x: f64,
    pub scale_y: f64,
}

fn round(v: f64) -> u32 {
    (v.round() as u32).max(1)
}

/// Computes the plan for an upright source of `sw`×`sh`. `enlarge` allows scales above 1 (SVG).
/// No output side ever exceeds `max_w`×`max_h`: a width alone on a very tall source (or `outside`
/// on an extreme aspect ratio) would otherwise ask for an output far beyond every limit, so the
/// whole plan shrinks uniformly until it fits (the same region, fewer pixels).
pub fn plan(sw: u32, sh: u32, ops: &Ops, max_w: u32, max_h: u32, enlarge: bool) -> Plan {
    let p = unclamped(sw, sh, ops, max_w, max_h, enlarge);
    // A contain canvas holds the image, so it is the larger of the two.
    let (w, h) = p.canvas.unwrap_or((p.out_w, p.out_h));
    let k = (f64::from(max_w) / f64::from(w)).min(f64::from(max_h) / f64::from(h));
    if k >= 1.0 {
        return p;
    }
    Plan {
        out_w: round(f64::from(p.out_w) * k).min(max_w),
        out_h: round(f64::from(p.out_h) * k).min(max_h),
        canvas: p.canvas.map(|(w, h)| {
            (
                round(f64::from(w) * k).min(max_w),
                round(f64::from(h) * k).min(max_h),
            )
        }),
        scale_x: p.scale_x * k,
        scale_y: p.scale_y * k,
        ..p
    }
}

fn unclamped(sw: u32, sh: u32, ops: &Ops, max_w: u32, max_h: u32, enlarge: bool) -> Plan {
    let (fw, fh) = (f64::from(sw), f64::from(sh));
    let cap = |s: f64| if enlarge { s } else { s.min(1.0) };
    let whole = |s: f64| Plan {
        out_w: round(fw * s),
        out_h: round(fh * s),
        region_w: fw,
        region_h: fh,
        canvas: None,
        scale_x: s,
        scale_y: s,
    };
    match (ops.width(), ops.height()) {
        (None, None) => {
            // Clamp into the largest allowed box, never enlarging.
            whole((f64::from(max_w) / fw).min(f64::from(max_h) / fh).min(1.0))
        }
        (Some(w), None) => whole(cap(f64::from(w) / fw)),
        (None, Some(h)) => whole(cap(f64::from(h) / fh)),
        (Some(w), Some(h)) => {
            let (bw, bh) = (f64::from(w), f64::from(h));
            let (sx, sy) = (bw / fw, bh / fh);
            match ops.fit() {
                Fit::Cover => {
                    let s = sx.max(sy);
                    // Shrink the box when the source is too small to fill it.
                    let k = if s > 1.0 && !enlarge { 1.0 / s } else { 1.0 };
                    let (ow, oh) = (round(bw * k), round(bh * k));
                    let s = s * k;
                    Plan {
                        out_w: ow,
                        out_h: oh,
                        region_w: (f64::from(ow) / s).min(fw),
                        region_h: (f64::from(oh) / s).min(fh),
                        canvas: None,
                        scale_x: s,
                        scale_y: s,
                    }
                }
                Fit::Contain => {
                    let s = sx.min(sy);
                    let k = if s > 1.0 && !enlarge { 1.0 / s } else { 1.0 };
                    let s = s * k;
                    let mut p = whole(s);
                    let canvas = (round(bw * k), round(bh * k));
                    p.out_w = p.out_w.min(canvas.0);
                    p.out_h = p.out_h.min(canvas.1);
                    p.canvas = Some(canvas);
                    p
                }
                Fit::Fill => {
                    let m = sx.max(sy);
                    let k = if m > 1.0 && !enlarge { 1.0 / m } else { 1.0 };
                    Plan {
                        out_w: round(bw * k),
                        out_h: round(bh * k),
                        region_w: fw,
                        region_h: fh,
                        canvas: None,
                        scale_x: sx * k,
                        scale_y: sy * k,
                    }
                }
                Fit::Inside => whole(cap(sx.min(sy))),
                Fit::Outside => whole(cap(sx.max(sy))),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use imgfront_spec::{Config, Key, Spec};

    fn ops(q: &str) -> Ops {
        let c = Config::embedded();
        let key = Key::from_decoded(&c, "demo/a.jpg").unwrap();
        Spec::from_key_and_query(&c, key, q).unwrap().ops
    }

    fn dims(p: Plan) -> (u32, u32, Option<(u32, u32)>) {
        (p.out_w, p.out_h, p.canvas)
    }

    #[test]
    fn no_output_side_exceeds_the_limits() {
        // 18×196632 (3.5 MP, within the source limit) at w=16 would be 16×174784.
        let p = plan(18, 196_632, &ops("w=16"), 4096, 4096, false);
        assert!(p.out_h <= 4096 && p.out_w >= 1, "{p:?}");
        assert_eq!(p.region_h, 196_632.0);
        let p = plan(196_632, 18, &ops("h=16"), 4096, 4096, false);
        assert!(p.out_w <= 4096, "{p:?}");
        let p = plan(
            100_000,
            10,
            &ops("w=4096&h=4096&fit=outside"),
            4096,
            4096,
            false,
        );
        assert!(p.out_w <= 4096 && p.out_h <= 4096, "{p:?}");
        // Scales follow the shrink, so shrink-on-load still decodes enough.
        let p = plan(18, 196_632, &ops("w=16"), 4096, 4096, false);
        assert!((f64::from(p.out_h) / 196_632.0 - p.scale_y).abs() < 1e-3);
    }

    #[test]
    fn fits_like_sharp() {
        // 2000x1000 source into a 640x640 box.
        assert_eq!(
            dims(plan(2000, 1000, &ops("w=640"), 4096, 4096, false)),
            (640, 320, None)
        );
        assert_eq!(
            dims(plan(2000, 1000, &ops("h=640"), 4096, 4096, false)),
            (1280, 640, None)
        );
        assert_eq!(
            dims(plan(2000, 1000, &ops("w=640&h=640"), 4096, 4096, false)),
            (640, 640, None)
        );
        assert_eq!(
            dims(plan(
                2000,
                1000,
                &ops("w=640&h=640&fit=contain"),
                4096,
                4096,
                false
            )),
            (640, 320, Some((640, 640)))
        );
        assert_eq!(
            dims(plan(
                2000,
                1000,
                &ops("w=640&h=640&fit=fill"),
                4096,
                4096,
                false
            )),
            (640, 640, None)
        );
        assert_eq!(
            dims(plan(
                2000,
                1000,
                &ops("w=640&h=640&fit=inside"),
                4096,
                4096,
                false
            )),
            (640, 320, None)
        );
        assert_eq!(
            dims(plan(
                2000,
                1000,
                &ops("w=640&h=640&fit=outside"),
                4096,
                4096,
                false
            )),
            (1280, 640, None)
        );
        let cover = plan(2000, 1000, &ops("w=640&h=640"), 4096, 4096, false);
        assert_eq!((cover.region_w, cover.region_h), (1000.0, 1000.0));
    }

    #[test]
    fn never_enlarges_rasters_but_scales_vectors() {
        assert_eq!(
            dims(plan(200, 100, &ops("w=640"), 4096, 4096, false)),
            (200, 100, None)
        );
        assert_eq!(
            dims(plan(200, 100, &ops("w=640"), 4096, 4096, true)),
            (640, 320, None)
        );
        // A cover box too big for the source shrinks, keeping its square aspect.
        let p = plan(200, 100, &ops("w=640&h=640"), 4096, 4096, false);
        assert_eq!(dims(p), (100, 100, None));
        assert_eq!((p.region_w, p.region_h), (100.0, 100.0));
        assert_eq!(
            dims(plan(
                200,
                100,
                &ops("w=640&h=640&fit=contain"),
                4096,
                4096,
                false
            )),
            (200, 100, Some((200, 200)))
        );
        assert_eq!(
            dims(plan(8000, 2000, &ops(""), 4096, 4096, false)),
            (4096, 1024, None)
        );
    }
}
