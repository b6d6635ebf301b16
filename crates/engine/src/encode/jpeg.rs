//! JPEG with mozjpeg: fast baseline with optimised Huffman tables per request, or mozjpeg's
//! progressive + trellis defaults when size matters more than time (precompute).

use std::panic::AssertUnwindSafe;

use mozjpeg::compress::CompressStarted;
use mozjpeg::{ColorSpace, Compress};

use crate::error::{EngineError, internal};
use crate::raster::Raster;

pub fn encode(img: &Raster, quality: u8, progressive: bool) -> Result<Vec<u8>, EngineError> {
    if img.has_alpha() {
        return Err(internal("JPEG encoder was given alpha; flatten first"));
    }
    compress(
        ColorSpace::JCS_RGB,
        (img.width, img.height),
        quality,
        progressive,
        |_| {},
        |started| started.write_scanlines(&img.data),
    )
}

/// One JPEG with the engine's encoder choices, shared by the RGB path and the YCbCr fast path
/// (`planar`) so both write the same kind of file. `prepare` adjusts the compressor once its
/// defaults are set (sampling, raw input); `write` feeds the pixels.
pub(crate) fn compress(
    color: ColorSpace,
    (width, height): (u32, u32),
    quality: u8,
    progressive: bool,
    prepare: impl FnOnce(&mut Compress),
    write: impl FnOnce(&mut CompressStarted<Vec<u8>>) -> std::io::Result<()>,
) -> Result<Vec<u8>, EngineError> {
    // mozjpeg reports errors by unwinding.
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut c = Compress::new(color);
        if !progressive {
            c.set_fastest_defaults();
            c.set_optimize_coding(true);
        }
        c.set_size(width as usize, height as usize);
        c.set_quality(f32::from(quality));
        prepare(&mut c);
        let mut started = c.start_compress(Vec::new())?;
        write(&mut started)?;
        started.finish()
    }))
    .map_err(|_| internal("JPEG encoder failed"))?
    .map_err(internal)
}
