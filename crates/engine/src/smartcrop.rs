//! Smart crop for `pos=entropy` and `pos=attention`: scores every row or column of a small
//! preview and slides the crop window to where the scores sum highest.
//!
//! A `cover` crop only ever cuts one axis, so the search is one-dimensional: per line we score
//! either Shannon entropy of the luma histogram (`entropy`, like sharp's strategy) or a saliency
//! sum of luma edges, saturation and skin tones (`attention`).

use imgfront_spec::Position;

use crate::raster::Raster;
use crate::resize::{Region, resize};

/// Where to place a `region_w`×`region_h` window on `src` (top-left corner, source pixels).
pub fn place(src: &Raster, region_w: f64, region_h: f64, strategy: Position) -> (f64, f64) {
    let (w, h) = (f64::from(src.width), f64::from(src.height));
    let horizontal = w - region_w > h - region_h;
    let (slack, full, window) = if horizontal {
        (w - region_w, w, region_w)
    } else {
        (h - region_h, h, region_h)
    };
    if slack < 1.0 {
        return ((w - region_w) / 2.0, (h - region_h) / 2.0);
    }
    // Score a preview at most 256 px on its long side.
    let t = (256.0 / w.max(h)).min(1.0);
    let (pw, ph) = (
        ((w * t).round() as u32).max(1),
        ((h * t).round() as u32).max(1),
    );
    let Ok(preview) = resize(src, Region::whole(src), pw, ph) else {
        return ((w - region_w) / 2.0, (h - region_h) / 2.0);
    };
    let scores = line_scores(&preview, horizontal, strategy);
    let n = scores.len();
    let win = ((window / full) * n as f64).round().clamp(1.0, n as f64) as usize;
    let mut prefix = vec![0f64; n + 1];
    for (i, s) in scores.iter().enumerate() {
        prefix[i + 1] = prefix[i] + s;
    }
    // Ties go to the window closest to the centre.
    let centre = (n - win) as f64 / 2.0;
    let best = (0..=n - win)
        .max_by(|&a, &b| {
            let (sa, sb) = (prefix[a + win] - prefix[a], prefix[b + win] - prefix[b]);
            sa.total_cmp(&sb).then(
                (b as f64 - centre)
                    .abs()
                    .total_cmp(&(a as f64 - centre).abs()),
            )
        })
        .unwrap_or(0);
    let offset = (best as f64 / n as f64 * full).clamp(0.0, slack);
    if horizontal {
        (offset, (h - region_h) / 2.0)
    } else {
        ((w - region_w) / 2.0, offset)
    }
}

fn luma(p: &[u8]) -> f64 {
    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
}

/// One score per column (`horizontal`) or row.
fn line_scores(img: &Raster, horizontal: bool, strategy: Position) -> Vec<f64> {
    let (w, h) = (img.width as usize, img.height as usize);
    let (lines, len) = if horizontal { (w, h) } else { (h, w) };
    let at = |line: usize, i: usize| {
        if horizontal {
            img.pixel(line as u32, i as u32)
        } else {
            img.pixel(i as u32, line as u32)
        }
    };
    (0..lines)
        .map(|line| match strategy {
            Position::Attention => (0..len)
                .map(|i| saliency(img, if horizontal { (line, i) } else { (i, line) }))
                .sum(),
            _ => {
                let mut hist = [0u32; 32];
                for i in 0..len {
                    hist[(luma(at(line, i)) as usize >> 3).min(31)] += 1;
                }
                let total = len as f64;
                hist.iter()
                    .filter(|&&c| c > 0)
                    .map(|&c| {
                        let p = f64::from(c) / total;
                        -p * p.log2()
                    })
                    .sum()
            }
        })
        .collect()
}

fn saliency(img: &Raster, (x, y): (usize, usize)) -> f64 {
    let (w, h) = (img.width as usize, img.height as usize);
    let p = img.pixel(x as u32, y as u32);
    let l = luma(p);
    let right = luma(img.pixel((x + 1).min(w - 1) as u32, y as u32));
    let below = luma(img.pixel(x as u32, (y + 1).min(h - 1) as u32));
    let edge = (l - right).abs() + (l - below).abs();
    let (r, g, b) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
    let saturation = r.max(g).max(b) - r.min(g).min(b);
    let skin = r > 95.0
        && g > 40.0
        && b > 20.0
        && r > g
        && r > b
        && r - g.min(b) > 15.0
        && (r - g).abs() > 15.0;
    let alpha = if img.has_alpha() {
        f64::from(p[3]) / 255.0
    } else {
        1.0
    };
    (edge + 0.5 * saturation + if skin { 80.0 } else { 0.0 }) * alpha
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 300x100 flat grey image with a feature drawn in the 100x100 square at `x0`.
    fn with_feature(x0: u32, textured: bool) -> Raster {
        let mut data = Vec::new();
        for y in 0..100u32 {
            for x in 0..300u32 {
                let inside = (x0..x0 + 100).contains(&x);
                let px = match (inside, textured) {
                    (true, true) => {
                        if (x / 3 + y / 3) % 2 == 0 {
                            [20, 20, 20]
                        } else {
                            [230, 230, 230]
                        }
                    }
                    (true, false) => [220, 30, 30],
                    (false, _) => [128, 128, 128],
                };
                data.extend_from_slice(&px);
            }
        }
        Raster::new(300, 100, 3, data)
    }

    #[test]
    fn entropy_finds_the_detailed_region() {
        for x0 in [0, 100, 200] {
            let (x, y) = place(&with_feature(x0, true), 100.0, 100.0, Position::Entropy);
            assert!(
                (x - f64::from(x0)).abs() <= 3.0,
                "feature at {x0}, crop at {x}"
            );
            assert_eq!(y, 0.0);
        }
    }

    #[test]
    fn attention_finds_the_saturated_region() {
        for x0 in [0, 200] {
            let (x, _) = place(&with_feature(x0, false), 100.0, 100.0, Position::Attention);
            assert!(
                (x - f64::from(x0)).abs() <= 3.0,
                "feature at {x0}, crop at {x}"
            );
        }
    }

    #[test]
    fn flat_images_crop_the_centre() {
        let flat = Raster::new(300, 100, 3, vec![128; 300 * 100 * 3]);
        let (x, _) = place(&flat, 100.0, 100.0, Position::Entropy);
        assert!((x - 100.0).abs() <= 2.0, "{x}");
    }
}
