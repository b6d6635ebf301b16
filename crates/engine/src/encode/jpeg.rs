//! JPEG with mozjpeg: fast baseline with optimised Huffman tables per request, or mozjpeg's
//! progressive + trellis defaults when size matters more than time (precompute).

use std::panic::AssertUnwindSafe;

use mozjpeg::{ColorSpace, Compress};

use crate::error::{EngineError, internal};
use crate::raster::Raster;

pub fn encode(img: &Raster, quality: u8, progressive: bool) -> Result<Vec<u8>, EngineError> {
    if img.has_alpha() {
        return Err(internal("JPEG encoder was given alpha; flatten first"));
    }
    // mozjpeg reports errors by unwinding.
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        if !progressive {
            c.set_fastest_defaults();
            c.set_optimize_coding(true);
        }
        c.set_size(img.width as usize, img.height as usize);
        c.set_quality(f32::from(quality));
        let mut started = c.start_compress(Vec::new())?;
        started.write_scanlines(&img.data)?;
        started.finish()
    }))
    .map_err(|_| internal("JPEG encoder failed"))?
    .map_err(internal)
}
