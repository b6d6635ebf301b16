//! JPEG with mozjpeg: optimised Huffman tables on mozjpeg's fastest profile, baseline per
//! request and progressive for precompute, or mozjpeg's trellis defaults where configured.

use std::panic::AssertUnwindSafe;

use mozjpeg::compress::CompressStarted;
use mozjpeg::{ColorSpace, Compress};

use imgfront_spec::config::EncoderSettings;

use crate::error::{EngineError, internal};
use crate::raster::Raster;

pub fn encode(img: &Raster, quality: u8, s: &EncoderSettings) -> Result<Vec<u8>, EngineError> {
    if img.has_alpha() {
        return Err(internal("JPEG encoder was given alpha; flatten first"));
    }
    compress(
        ColorSpace::JCS_RGB,
        (img.width, img.height),
        quality,
        s,
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
    s: &EncoderSettings,
    prepare: impl FnOnce(&mut Compress),
    write: impl FnOnce(&mut CompressStarted<Vec<u8>>) -> std::io::Result<()>,
) -> Result<Vec<u8>, EngineError> {
    // mozjpeg reports errors by unwinding.
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        // A new compressor has mozjpeg's maximum-compression defaults (progressive, trellis).
        let mut c = Compress::new(color);
        if !s.jpeg_trellis {
            c.set_fastest_defaults();
            c.set_optimize_coding(true);
            // A small output's extra scan headers cost more than progressive saves (a 160 px
            // thumbnail came out 10% larger than baseline).
            let pixels = u64::from(width) * u64::from(height);
            if s.jpeg_progressive && !s.is_small(pixels) {
                c.set_progressive_mode();
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use imgfront_spec::Config;

    #[test]
    fn trellis_only_when_configured() {
        let (w, h) = (400u32, 300u32);
        let data = (0..w * h)
            .flat_map(|i| {
                let t = (i.wrapping_mul(2_654_435_761) >> 26) as u8;
                [t, t / 2 + (i % w) as u8 / 4, 90]
            })
            .collect();
        let img = Raster::new(w, h, 3, data);
        let base = Config::embedded().encoding.precompute;
        let progressive = encode(&img, 80, &base).expect("progressive");
        let trellis = EncoderSettings {
            jpeg_trellis: true,
            ..base
        };
        let trellis = encode(&img, 80, &trellis).expect("trellis");
        assert!(!base.jpeg_trellis, "precompute default has no trellis");
        // Both progressive (SOF2); trellis quantisation drops bits on the noise.
        for bytes in [&progressive, &trellis] {
            assert!(bytes.windows(2).any(|m| m == [0xFF, 0xC2]));
        }
        assert!(
            trellis.len() < progressive.len() * 95 / 100,
            "{} vs {}",
            trellis.len(),
            progressive.len()
        );
    }
}
