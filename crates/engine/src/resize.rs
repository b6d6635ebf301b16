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

/// Resizes `region` of `src` to `w`×`h`.
pub fn resize(src: &Raster, region: Region, w: u32, h: u32) -> Result<Raster, EngineError> {
    if region == Region::whole(src) && (w, h) == (src.width, src.height) {
        return Ok(src.clone());
    }
    let pixel_type = if src.has_alpha() {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let src_image =
        ImageRef::new(src.width, src.height, &src.data, pixel_type).map_err(internal)?;
    let mut dst = Image::new(w, h, pixel_type);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(region.x, region.y, region.w, region.h);
    Resizer::new()
        .resize(&src_image, &mut dst, &options)
        .map_err(internal)?;
    Ok(Raster::new(w, h, src.channels, dst.into_vec()))
}
