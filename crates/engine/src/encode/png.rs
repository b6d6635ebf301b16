//! PNG: RGB or RGBA, 8-bit. Fast deflate on the request path, stronger when precomputing.

use png::{BitDepth, ColorType, Compression, Encoder};

use crate::error::{EngineError, internal};
use crate::raster::Raster;

pub fn encode(img: &Raster, thorough: bool) -> Result<Vec<u8>, EngineError> {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, img.width, img.height);
    e.set_color(if img.has_alpha() {
        ColorType::Rgba
    } else {
        ColorType::Rgb
    });
    e.set_depth(BitDepth::Eight);
    e.set_compression(if thorough {
        Compression::High
    } else {
        Compression::Fast
    });
    let mut w = e.write_header().map_err(internal)?;
    w.write_image_data(&img.data).map_err(internal)?;
    w.finish().map_err(internal)?;
    Ok(out)
}
