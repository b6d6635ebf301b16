//! Encoders: a [`Picture`] to output bytes. No metadata is ever written, so EXIF, XMP and ICC of
//! the source are stripped by construction (pixels are already sRGB).

mod avif;
mod gif;
pub(crate) mod jpeg;
mod png;
mod webp;

use imgfront_spec::Format;
use imgfront_spec::config::EncoderSettings;

use crate::error::EngineError;
use crate::raster::Picture;

/// Encodes `picture`; only GIF and WebP keep animation, the others encode the first frame.
pub fn encode(
    picture: &Picture,
    format: Format,
    quality: u8,
    settings: &EncoderSettings,
) -> Result<Vec<u8>, EngineError> {
    let first = &picture
        .frames
        .first()
        .ok_or_else(|| EngineError::Internal("picture has no frames".into()))?
        .raster;
    match format {
        Format::Jpeg => jpeg::encode(first, quality, settings),
        Format::Png => png::encode(first, settings.jpeg_progressive),
        Format::Webp => {
            let pixels = u64::from(first.width) * u64::from(first.height);
            webp::encode(picture, quality, settings.webp_method_for(pixels))
        }
        Format::Avif => avif::encode(first, quality, settings),
        Format::Gif => gif::encode(picture),
    }
}
