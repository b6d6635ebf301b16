//! PNG: 1-16 bit, palette, grey and grey+alpha, all normalised to 8-bit RGB/RGBA.

use std::io::Cursor;

use png::{ColorType, Decoder, Limits, Transformations};

use crate::decode::expand_grey;
use crate::error::{EngineError, undecodable};
use crate::raster::Raster;

/// Decodes the first (default) image; returns it with the embedded ICC profile, if any.
pub fn decode(bytes: &[u8], max_bytes: usize) -> Result<(Raster, Option<Vec<u8>>), EngineError> {
    let mut decoder = Decoder::new_with_limits(Cursor::new(bytes), Limits { bytes: max_bytes });
    decoder.set_transformations(Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| undecodable(format!("PNG: {e}")))?;
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| undecodable("PNG: image too large"))?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| undecodable(format!("PNG: {e}")))?;
    buf.truncate(frame.buffer_size());
    let (w, h) = (frame.width, frame.height);
    let raster = match frame.color_type {
        ColorType::Rgb => Raster::new(w, h, 3, buf),
        ColorType::Rgba => Raster::new(w, h, 4, buf),
        ColorType::Grayscale => Raster::new(w, h, 3, expand_grey(&buf, 1)),
        ColorType::GrayscaleAlpha => Raster::new(w, h, 4, expand_grey(&buf, 2)),
        ColorType::Indexed => return Err(undecodable("PNG: palette was not expanded")),
    };
    Ok((raster, icc))
}
