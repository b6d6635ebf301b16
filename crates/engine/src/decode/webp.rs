//! WebP through libwebp: lossy, lossless, alpha, and animations (composited by the demuxer).

use webp::{AnimDecoder, BitstreamFeatures, Decoder};

use crate::error::{EngineError, undecodable};
use crate::raster::{Frame, Picture, Raster};

pub fn decode(bytes: &[u8]) -> Result<Picture, EngineError> {
    let features = BitstreamFeatures::new(bytes)
        .ok_or_else(|| undecodable("WebP: invalid bitstream header"))?;
    if features.has_animation() {
        let anim = AnimDecoder::new(bytes)
            .decode()
            .map_err(|e| undecodable(format!("WebP animation: {e}")))?;
        let mut frames = Vec::with_capacity(anim.len());
        let mut last_ms = 0;
        for i in 0..anim.len() {
            let Some(f) = anim.get_frame(i) else { break };
            let channels = if f.get_layout().is_alpha() { 4 } else { 3 };
            let raster = Raster::new(f.width(), f.height(), channels, f.get_image().to_vec());
            // Timestamps are end times; the delay is the gap to the previous one.
            let end = f.get_time_ms();
            frames.push(Frame {
                raster,
                delay_ms: u32::try_from(end - last_ms).unwrap_or(100).max(10),
            });
            last_ms = end;
        }
        if frames.is_empty() {
            return Err(undecodable("WebP animation has no frames"));
        }
        let loop_count = u16::try_from(anim.loop_count).unwrap_or(0);
        return Ok(Picture { frames, loop_count });
    }
    let image = Decoder::new(bytes)
        .decode()
        .ok_or_else(|| undecodable("WebP: cannot decode image data"))?;
    let channels = if image.is_alpha() { 4 } else { 3 };
    Ok(Picture::still(Raster::new(
        image.width(),
        image.height(),
        channels,
        image.to_vec(),
    )))
}
