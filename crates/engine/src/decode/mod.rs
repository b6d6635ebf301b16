//! Decoders: source bytes to a [`Picture`], one module per format. Each decodes straight to
//! 8-bit RGB/RGBA, and JPEG uses DCT scaling to decode no larger than the output needs.

pub mod avif;
pub mod gif;
mod heif;
pub mod jpeg;
pub mod png;
pub mod svg;
pub mod svg_scan;
pub mod webp;

/// Expands grey (1 channel) or grey+alpha (2) samples to RGB (3) or RGBA (4).
pub(crate) fn expand_grey(data: &[u8], channels: u8) -> Vec<u8> {
    match channels {
        1 => data.iter().flat_map(|&g| [g, g, g]).collect(),
        2 => data
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        _ => data.to_vec(),
    }
}
