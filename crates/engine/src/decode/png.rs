//! PNG: 1-16 bit, palette, grey and grey+alpha, all normalised to 8-bit RGB/RGBA.

use std::io::Cursor;

use png::{ColorType, Decoder, Limits, Transformations};

use crate::decode::expand_grey;
use crate::error::{EngineError, too_complex, undecodable};
use crate::raster::Raster;

/// The most an embedded ICC profile may inflate to. Real profiles are a few KB (a few hundred
/// for LUT-based ones); the cap is applied while inflating, so a small `iCCP` chunk that would
/// inflate to hundreds of MB stops at the cap.
pub const MAX_ICC_BYTES: usize = 4 << 20;

/// Decodes the first (default) image; returns it with the embedded ICC profile, if any. Text
/// chunks (`tEXt`, `zTXt`, `iTXt`, which carry XMP) are never inflated: metadata is stripped.
pub fn decode(bytes: &[u8], max_bytes: usize) -> Result<(Raster, Option<Vec<u8>>), EngineError> {
    let icc = icc_profile(bytes)?;
    let mut decoder = Decoder::new_with_limits(Cursor::new(bytes), Limits { bytes: max_bytes });
    decoder.set_transformations(Transformations::normalize_to_color8());
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder
        .read_info()
        .map_err(|e| undecodable(format!("PNG: {e}")))?;
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

/// The `iCCP` profile, inflated under [`MAX_ICC_BYTES`]; the chunks before `IDAT` are walked
/// here because the png crate bounds it only by the whole image's byte limit.
fn icc_profile(bytes: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
    let mut at = 8; // signature
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        if kind == b"IDAT" || kind == b"IEND" {
            return Ok(None);
        }
        let Some(data) = bytes.get(at + 8..(at + 8).saturating_add(len)) else {
            return Ok(None); // the png crate reports the truncation
        };
        if kind == b"iCCP" {
            let Some(name_end) = data.iter().position(|b| *b == 0) else {
                return Ok(None);
            };
            let Some(stream) = data.get(name_end + 2..) else {
                return Ok(None);
            };
            return match fdeflate::decompress_to_vec_bounded(stream, MAX_ICC_BYTES) {
                Ok(profile) => Ok(Some(profile)),
                Err(fdeflate::BoundedDecompressionError::OutputTooLarge { .. }) => {
                    Err(too_complex(format!(
                        "PNG: its ICC profile (iCCP chunk of {len} bytes) inflates past the {} MiB cap",
                        MAX_ICC_BYTES >> 20
                    )))
                }
                // A corrupt profile is ignored, as before: the pixels are still good.
                Err(_) => Ok(None),
            };
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = png_crc(kind);
        crc = png_crc_update(crc, data);
        out.extend_from_slice(&(crc ^ 0xffff_ffff).to_be_bytes());
        out
    }

    fn png_crc(kind: &[u8]) -> u32 {
        png_crc_update(0xffff_ffff, kind)
    }

    fn png_crc_update(mut c: u32, data: &[u8]) -> u32 {
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        c
    }

    /// A 64×64 grey PNG whose iCCP chunk inflates to `icc_len` zero bytes.
    fn png_with_icc(icc_len: usize) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = 64u32.to_be_bytes().to_vec();
        ihdr.extend(64u32.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        out.extend(chunk(b"IHDR", &ihdr));
        let mut iccp = b"bomb\0\0".to_vec();
        iccp.extend(miniz_oxide::deflate::compress_to_vec_zlib(
            &vec![0u8; icc_len],
            10,
        ));
        out.extend(chunk(b"iCCP", &iccp));
        let raw: Vec<u8> = (0..64)
            .flat_map(|_| std::iter::once(0).chain([128u8; 64]))
            .collect();
        out.extend(chunk(b"IDAT", &fdeflate::compress_to_vec(&raw)));
        out.extend(chunk(b"IEND", &[]));
        out
    }

    #[test]
    fn an_iccp_bomb_stops_at_the_cap_instead_of_inflating() {
        let bomb = png_with_icc(390 << 20);
        assert!(bomb.len() < 1 << 20, "a small file: {} bytes", bomb.len());
        let err = decode(&bomb, 1 << 30).unwrap_err().to_string();
        assert!(err.contains("inflates past the 4 MiB cap"), "{err}");
        let (raster, icc) = decode(&png_with_icc(3000), 1 << 30).unwrap();
        assert_eq!((raster.width, raster.height), (64, 64));
        assert_eq!(icc.map(|p| p.len()), Some(3000));
    }
}
