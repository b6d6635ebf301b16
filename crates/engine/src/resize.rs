//! Resampling with fast_image_resize (SIMD Lanczos3, premultiplied alpha), with an optional crop.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::error::{EngineError, internal};
use crate::raster::Raster;

/// A source rectangle in pixels (fractional edges are resampled, not rounded).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Region {
    pub fn whole(r: &Raster) -> Region {
        Region {
            x: 0.0,
            y: 0.0,
            w: f64::from(r.width),
            h: f64::from(r.height),
        }
    }
}

/// Resizes `region` of `src` to `w`×`h`, first averaging boxes of [`box_factor`] pixels where
/// the shrink is large: as a JPEG's shrink-on-load does, and libvips' box shrink before its
/// reduce. Lanczos3 alone from a full-size raster keeps finer detail than the same render of a
/// JPEG decoded at scale, and the files grow: in the benchmark's fan-out, which renders its
/// small variants from one large decode, 6 of them were 1.05–1.18× sharp's bytes; 3 with it.
pub fn resize_prefiltered(
    src: &Raster,
    region: Region,
    w: u32,
    h: u32,
    margin: f64,
) -> Result<Raster, EngineError> {
    let shrink = (region.w / f64::from(w.max(1))).min(region.h / f64::from(h.max(1)));
    let Some(f) = box_factor(shrink, margin) else {
        return resize(src, region, w, h);
    };
    let (bw, bh) = (
        ((region.w / f).round() as u32).max(w),
        ((region.h / f).round() as u32).max(h),
    );
    let boxed = convolve(src, region, bw, bh, FilterType::Box)?;
    resize(&boxed, Region::whole(&boxed), w, h)
}

/// The largest of 8, 4 and 2 (the DCT scales) that leaves Lanczos3 a shrink of at least
/// `margin`, if any does: for a box step here and for a JPEG's shrink-on-load.
pub(crate) fn box_factor(shrink: f64, margin: f64) -> Option<f64> {
    [8.0, 4.0, 2.0].into_iter().find(|f| shrink / f >= margin)
}

/// Resizes `region` of `src` to `w`×`h`.
pub fn resize(src: &Raster, region: Region, w: u32, h: u32) -> Result<Raster, EngineError> {
    if region == Region::whole(src) && (w, h) == (src.width, src.height) {
        return Ok(src.clone());
    }
    convolve(src, region, w, h, FilterType::Lanczos3)
}

fn convolve(
    src: &Raster,
    region: Region,
    w: u32,
    h: u32,
    filter: FilterType,
) -> Result<Raster, EngineError> {
    let pixel_type = if src.has_alpha() {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let src_image =
        ImageRef::new(src.width, src.height, &src.data, pixel_type).map_err(internal)?;
    let mut dst = Image::new(w, h, pixel_type);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(filter))
        .crop(region.x, region.y, region.w, region.h);
    Resizer::new()
        .resize(&src_image, &mut dst, &options)
        .map_err(internal)?;
    Ok(Raster::new(w, h, src.channels, dst.into_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_factor_leaves_lanczos_the_margin() {
        assert_eq!(box_factor(2.0, 1.2), None);
        assert_eq!(box_factor(2.4, 1.2), Some(2.0));
        // 2560 px → 480 at precompute's 2.0: halve, then 2.67 for Lanczos3.
        assert_eq!(box_factor(2560.0 / 480.0, 2.0), Some(2.0));
        assert_eq!(box_factor(12.0, 2.0), Some(4.0));
        assert_eq!(box_factor(100.0, 1.2), Some(8.0));
    }

    /// A vertical wave raster, `w`×`h`.
    fn waves(w: u32, h: u32, period: f64) -> Raster {
        let data = (0..h)
            .flat_map(|_| {
                (0..w).flat_map(move |x| {
                    let v = 128.0 + 100.0 * (std::f64::consts::TAU * f64::from(x) / period).sin();
                    [v as u8; 3]
                })
            })
            .collect();
        Raster::new(w, h, 3, data)
    }

    #[test]
    fn the_box_step_keeps_the_picture_in_place() {
        // 12× down, a crop that starts mid-pixel: box 4, then Lanczos3 3×. The wave (20 output
        // pixels a period) must come out where Lanczos3 alone puts it, only a little softer.
        let src = waves(2403, 600, 240.0);
        let region = Region {
            x: 1.5,
            y: 0.0,
            w: 2400.0,
            h: 600.0,
        };
        let plain = resize(&src, region, 200, 50).expect("plain");
        let boxed = resize_prefiltered(&src, region, 200, 50, 2.0).expect("boxed");
        assert_eq!((boxed.width, boxed.height), (200, 50));
        let diff = plain
            .data
            .iter()
            .zip(&boxed.data)
            .map(|(a, b)| f64::from(a.abs_diff(*b)))
            .sum::<f64>()
            / plain.data.len() as f64;
        // A shift of a quarter output pixel would give about 5 here.
        assert!(diff < 1.0, "mean difference {diff:.2}");
    }
}
