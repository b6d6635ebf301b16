//! Colour management: embedded ICC profiles (RGB, grey, CMYK) converted to sRGB with moxcms.

use std::sync::Arc;

use moxcms::{ColorProfile, DataColorSpace, Layout, Transform8BitExecutor, TransformOptions};

use crate::error::EngineError;
use crate::raster::Raster;

/// A conversion from an embedded ICC profile to sRGB, built once and applied to every frame.
/// Profiles that are unreadable or not RGB give none (the pixels are then taken as sRGB, as
/// browsers do).
pub struct SrgbTransform {
    rgb: Option<Arc<Transform8BitExecutor>>,
    rgba: Option<Arc<Transform8BitExecutor>>,
}

impl SrgbTransform {
    pub fn new(icc: &[u8], alpha: bool) -> Option<SrgbTransform> {
        let source = ColorProfile::new_from_slice(icc).ok()?;
        if source.color_space != DataColorSpace::Rgb || is_srgb(&source) {
            return None;
        }
        let make = |layout| {
            source
                .create_transform_8bit(
                    layout,
                    &ColorProfile::new_srgb(),
                    layout,
                    TransformOptions::default(),
                )
                .ok()
        };
        Some(SrgbTransform {
            rgb: make(Layout::Rgb),
            rgba: if alpha { make(Layout::Rgba) } else { None },
        })
    }

    pub fn apply(&self, raster: &mut Raster) {
        let t = if raster.has_alpha() {
            &self.rgba
        } else {
            &self.rgb
        };
        let Some(t) = t else { return };
        let mut out = vec![0u8; raster.data.len()];
        if t.transform(&raster.data, &mut out).is_ok() {
            raster.data = out;
        }
    }
}

/// An sRGB source profile needs no work; comparing colourants is enough to tell.
fn is_srgb(profile: &ColorProfile) -> bool {
    let srgb = ColorProfile::new_srgb();
    let close = |a: f64, b: f64| (a - b).abs() < 0.0005;
    let (p, s) = (profile.colorant_matrix(), srgb.colorant_matrix());
    let trc_like = matches!((&profile.red_trc, &srgb.red_trc), (Some(a), Some(b)) if format!("{a:?}") == format!("{b:?}"));
    trc_like && (0..3).all(|r| (0..3).all(|c| close(p.v[r][c], s.v[r][c])))
}

/// CMYK samples (0 = no ink) to sRGB, through the embedded CMYK profile when there is one, else
/// with the naive formula.
pub fn cmyk_to_srgb(cmyk: &[u8], icc: Option<&[u8]>) -> Result<Vec<u8>, EngineError> {
    let profile = icc
        .and_then(|p| ColorProfile::new_from_slice(p).ok())
        .filter(|p| p.color_space == DataColorSpace::Cmyk);
    if let Some(t) = profile.and_then(|p| {
        p.create_transform_8bit(
            Layout::Rgba,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .ok()
    }) {
        let mut out = vec![0u8; cmyk.len() / 4 * 3];
        if t.transform(cmyk, &mut out).is_ok() {
            return Ok(out);
        }
    }
    Ok(cmyk
        .chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            let ch = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
            [ch(p[0]), ch(p[1]), ch(p[2])]
        })
        .collect())
}
