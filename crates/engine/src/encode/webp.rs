//! WebP with libwebp: lossy at the requested quality and method; animations through the
//! animation encoder.

use webp::{AnimEncoder, AnimFrame, Encoder, WebPConfig};

use crate::error::{EngineError, internal};
use crate::raster::Picture;

fn config(quality: u8, method: u8) -> Result<WebPConfig, EngineError> {
    let mut c = WebPConfig::new().map_err(|_| internal("WebP config init failed"))?;
    c.quality = f32::from(quality);
    c.method = i32::from(method);
    c.thread_level = 0;
    Ok(c)
}

pub fn encode(picture: &Picture, quality: u8, method: u8) -> Result<Vec<u8>, EngineError> {
    let cfg = config(quality, method)?;
    if picture.is_animated() {
        let rgba: Vec<_> = picture.frames.iter().map(|f| f.raster.to_rgba()).collect();
        let mut enc = AnimEncoder::new(picture.width(), picture.height(), &cfg);
        enc.set_loop_count(i32::from(picture.loop_count));
        let mut t = 0i32;
        for (i, (frame, r)) in picture.frames.iter().zip(&rgba).enumerate() {
            crate::interrupt::checkpoint(&format!("encoding WebP frame {}", i + 1))?;
            enc.add_frame(AnimFrame::from_rgba(&r.data, r.width, r.height, t));
            t = t.saturating_add(i32::try_from(frame.delay_ms).unwrap_or(100));
        }
        let mem = enc
            .try_encode()
            .map_err(|e| internal(format!("WebP animation: {e:?}")))?;
        return Ok(mem.to_vec());
    }
    let img = &picture.frames[0].raster;
    let encoder = if img.has_alpha() {
        Encoder::from_rgba(&img.data, img.width, img.height)
    } else {
        Encoder::from_rgb(&img.data, img.width, img.height)
    };
    let mem = encoder
        .encode_advanced(&cfg)
        .map_err(|e| internal(format!("WebP: {e:?}")))?;
    Ok(mem.to_vec())
}
