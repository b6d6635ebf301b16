//! AVIF with ravif (rav1e), single-threaded, at the configured speed.

use ravif::{Encoder, Img};
use rgb::{RGB8, RGBA8};

use crate::error::{EngineError, internal};
use crate::raster::Raster;

pub fn encode(img: &Raster, quality: u8, speed: u8) -> Result<Vec<u8>, EngineError> {
    let enc = Encoder::new()
        .with_quality(f32::from(quality))
        .with_alpha_quality(f32::from(quality))
        .with_speed(speed)
        .with_num_threads(Some(1));
    let (w, h) = (img.width as usize, img.height as usize);
    let result = if img.has_alpha() {
        let px: Vec<RGBA8> = img
            .data
            .chunks_exact(4)
            .map(|p| RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        enc.encode_rgba(Img::new(&px[..], w, h))
    } else {
        let px: Vec<RGB8> = img
            .data
            .chunks_exact(3)
            .map(|p| RGB8::new(p[0], p[1], p[2]))
            .collect();
        enc.encode_rgb(Img::new(&px[..], w, h))
    };
    result.map(|e| e.avif_file).map_err(internal)
}
