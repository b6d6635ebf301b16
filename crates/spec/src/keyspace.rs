//! The key space of unsigned URLs: exactly how many distinct canonical paths one original can
//! have when every parameter comes from a public tenant's URL. Each is one cache object and, on
//! a miss, one render, so this is the most an attacker without a key can make an original cost.
//!
//! The count follows the canonical normalisation rule by rule: `fit` only when both dimensions
//! are set, `pos` only for a boxed `cover`, `q` only for a lossy or unspecified format and never
//! its default, `bg` only where the output is padded or flattened and never white, `blur` and
//! `sharpen` from their steps, and the eight orientations of `rot` and `flip`.

use crate::config::Config;
use crate::types::{Fit, Format};

/// The count and the factors it is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySpace {
    /// Distinct canonical paths per original from unsigned URLs.
    pub total: u128,
    pub widths: usize,
    pub heights: usize,
    pub qualities: usize,
    pub backgrounds: usize,
    pub blurs: usize,
    pub sharpens: usize,
    pub orientations: usize,
    pub positions: usize,
}

const FITS: [Fit; 5] = [
    Fit::Cover,
    Fit::Contain,
    Fit::Fill,
    Fit::Inside,
    Fit::Outside,
];
/// Centre, four edges, four corners, entropy and attention.
const POSITIONS: usize = 11;
const ORIENTATIONS: usize = 8;

/// The distinct values a dimension can take: the breakpoints a request snaps to.
fn dimension_values(grid: &[u32], max: u32) -> usize {
    let mut seen: Vec<u32> = (1..=max)
        .map(|px| {
            grid.iter()
                .copied()
                .find(|g| *g >= px)
                .or_else(|| grid.last().copied())
                .unwrap_or(px)
        })
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

pub fn unsigned(config: &Config) -> KeySpace {
    let widths = dimension_values(&config.breakpoints.width, config.limits.max_width);
    let heights = dimension_values(&config.breakpoints.height, config.limits.max_height);
    let grid = config.quality.allowed.len();
    // Palette colours other than white (white is the default and drops out), or none.
    let backgrounds = config
        .unsigned
        .palette()
        .iter()
        .filter(|c| **c != crate::Color::WHITE)
        .count()
        + 1;
    let blurs = config.unsigned.blur.len() + 1;
    let sharpens = config.unsigned.sharpen.len() + 1;

    // `fmt` absent, or each format; q: absent fmt keeps any grid value or none; a lossy format
    // keeps the grid less its default, or none; a lossless one none.
    let formats: Vec<Option<Format>> = std::iter::once(None)
        .chain(Format::ALL.iter().copied().map(Some))
        .collect();
    let qualities_for = |f: Option<Format>| match f {
        None => grid + 1,
        Some(f) if f.is_lossy() => {
            let default = config.default_quality(f);
            grid - usize::from(default.is_some_and(|d| config.quality.allowed.contains(&d))) + 1
        }
        Some(_) => 1,
    };
    let flattens = |f: Option<Format>| f.is_none_or(|f| !f.supports_alpha());

    let mut per_geometry_and_format: u128 = 0;
    // Each dimension is absent or one of its values; `fit` and `pos` only matter when boxed.
    for (w_set, h_set) in [(false, false), (true, false), (false, true), (true, true)] {
        let dims = (if w_set { widths } else { 1 }) * (if h_set { heights } else { 1 });
        let boxed = w_set && h_set;
        let fits: &[Fit] = if boxed { &FITS } else { &FITS[..1] };
        for fit in fits {
            let positions = if boxed && *fit == Fit::Cover {
                POSITIONS
            } else {
                1
            };
            let pads = boxed && *fit == Fit::Contain;
            for f in &formats {
                let bgs = if pads || flattens(*f) { backgrounds } else { 1 };
                per_geometry_and_format += (dims * positions * qualities_for(*f) * bgs) as u128;
            }
        }
    }
    KeySpace {
        total: per_geometry_and_format * (blurs * sharpens * ORIENTATIONS) as u128,
        widths,
        heights,
        qualities: grid,
        backgrounds,
        blurs,
        sharpens,
        orientations: ORIENTATIONS,
        positions: POSITIONS,
    }
}
