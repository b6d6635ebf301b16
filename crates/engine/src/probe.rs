//! Reads what a source is from its header alone: format, dimensions, frame count, EXIF
//! orientation and ICC profile. Nothing here allocates in proportion to the pixel count, so the
//! limits are enforced before any decoder runs.

use crate::error::{EngineError, undecodable};

/// A source format imgfront reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    Avif,
    Svg,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Gif => "gif",
            SourceFormat::Webp => "webp",
            SourceFormat::Avif => "avif",
            SourceFormat::Svg => "svg",
        }
    }
}

/// What the header says. SVG dimensions are known only after parsing (see `decode::svg`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    /// Frames the decoder will produce (animation frames are summed against the pixel limit).
    pub frames: u32,
    /// EXIF orientation tag, 1-8 (1 when absent).
    pub exif_orientation: u16,
    pub icc: Option<Vec<u8>>,
    /// JPEG with an Adobe APP14 marker: CMYK samples are stored inverted.
    pub adobe: bool,
    /// A progressive JPEG: libjpeg holds every DCT coefficient of it at once, whatever the
    /// output size, so its decode memory scales with the source.
    pub progressive: bool,
}

/// Identifies the format from magic bytes.
pub fn sniff(bytes: &[u8]) -> Result<SourceFormat, EngineError> {
    let format = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        SourceFormat::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        SourceFormat::Png
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        SourceFormat::Gif
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        SourceFormat::Webp
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && is_avif_brand(bytes) {
        SourceFormat::Avif
    } else if looks_like_svg(bytes) {
        SourceFormat::Svg
    } else {
        let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(EngineError::UnsupportedFormat(format!(
            "not JPEG, PNG, GIF, WebP, AVIF or SVG (first bytes {})",
            shown.join(" ")
        )));
    };
    Ok(format)
}

fn is_avif_brand(bytes: &[u8]) -> bool {
    let size = be32(bytes, 0).map_or(0, |s| s as usize).min(bytes.len());
    bytes
        .get(8..size.max(12))
        .is_some_and(|brands| brands.chunks_exact(4).any(|b| b == b"avif" || b == b"avis"))
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    (t.starts_with("<?xml")
        || t.starts_with("<svg")
        || t.starts_with("<!--")
        || t.starts_with("<!DOCTYPE"))
        && text.contains("<svg")
}

/// Parses the header of `format`.
pub fn header(format: SourceFormat, bytes: &[u8]) -> Result<Header, EngineError> {
    match format {
        SourceFormat::Jpeg => jpeg(bytes),
        SourceFormat::Png => png(bytes),
        SourceFormat::Gif => gif(bytes),
        SourceFormat::Webp => webp(bytes),
        SourceFormat::Avif => avif(bytes),
        SourceFormat::Svg => Ok(Header {
            frames: 1,
            exif_orientation: 1,
            ..Header::default()
        }),
    }
}

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}
fn le24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        0,
    ]))
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn truncated(what: &str) -> EngineError {
    undecodable(format!("{what} header is truncated or malformed"))
}

fn jpeg(b: &[u8]) -> Result<Header, EngineError> {
    let mut h = Header {
        frames: 1,
        exif_orientation: 1,
        ..Header::default()
    };
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut i = 2;
    loop {
        // Skip fill bytes before a marker.
        while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if b.get(i) != Some(&0xFF) {
            return Err(truncated("JPEG"));
        }
        let marker = *b.get(i + 1).ok_or_else(|| truncated("JPEG"))?;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(be16(b, i + 2).ok_or_else(|| truncated("JPEG"))?);
        if len < 2 {
            return Err(truncated("JPEG"));
        }
        let body = b.get(i + 4..i + 2 + len).ok_or_else(|| truncated("JPEG"))?;
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                h.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                h.height = u32::from(be16(body, 1).ok_or_else(|| truncated("JPEG"))?);
                h.width = u32::from(be16(body, 3).ok_or_else(|| truncated("JPEG"))?);
            }
            0xE1 if body.starts_with(b"Exif\0\0") => {
                h.exif_orientation = exif_orientation(&body[6..]).unwrap_or(1);
            }
            0xE2 if body.starts_with(b"ICC_PROFILE\0") && body.len() > 14 => {
                icc_chunks.push((body[12], &body[14..]));
            }
            0xEE if body.starts_with(b"Adobe") => h.adobe = true,
            0xDA | 0xD9 => break,
            _ => {}
        }
        i += 2 + len;
    }
    if h.width == 0 || h.height == 0 {
        return Err(undecodable("JPEG has no frame header or a zero dimension"));
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        h.icc = Some(
            icc_chunks
                .iter()
                .flat_map(|(_, d)| d.iter().copied())
                .collect(),
        );
    }
    Ok(h)
}

/// The orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block.
pub(crate) fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at| {
        if little {
            le16(tiff, at)
        } else {
            be16(tiff, at)
        }
    };
    let u32_at = |at| {
        if little {
            le32(tiff, at)
        } else {
            be32(tiff, at)
        }
    };
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(512))
        .find_map(|n| {
            let entry = ifd + 2 + n * 12;
            (u16_at(entry)? == 0x0112)
                .then(|| u16_at(entry + 8))
                .flatten()
        })
        .filter(|o| (1..=8).contains(o))
}

fn png(b: &[u8]) -> Result<Header, EngineError> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err(truncated("PNG"));
    }
    let width = be32(b, 16).ok_or_else(|| truncated("PNG"))?;
    let height = be32(b, 20).ok_or_else(|| truncated("PNG"))?;
    if width == 0 || height == 0 {
        return Err(undecodable("PNG has a zero dimension"));
    }
    let mut h = Header {
        width,
        height,
        frames: 1,
        exif_orientation: 1,
        ..Header::default()
    };
    // Walk chunks up to the image data for an eXIf orientation.
    let mut i = 8;
    while let (Some(len), Some(kind)) = (be32(b, i), b.get(i + 4..i + 8)) {
        let len = len as usize;
        match kind {
            b"IDAT" => break,
            b"eXIf" => {
                if let Some(data) = b.get(i + 8..i + 8 + len) {
                    h.exif_orientation = exif_orientation(data).unwrap_or(1);
                }
            }
            _ => {}
        }
        i = i.saturating_add(12).saturating_add(len);
    }
    Ok(h)
}

fn gif(b: &[u8]) -> Result<Header, EngineError> {
    let width = u32::from(le16(b, 6).ok_or_else(|| truncated("GIF"))?);
    let height = u32::from(le16(b, 8).ok_or_else(|| truncated("GIF"))?);
    let flags = *b.get(10).ok_or_else(|| truncated("GIF"))?;
    let mut i = 13;
    if flags & 0x80 != 0 {
        i += 3 << ((flags & 7) + 1);
    }
    // Count image descriptors by walking blocks, without decoding anything.
    let mut frames = 0u32;
    let skip_sub_blocks = |mut i: usize| -> Option<usize> {
        loop {
            let n = usize::from(*b.get(i)?);
            i += 1;
            if n == 0 {
                return Some(i);
            }
            i += n;
        }
    };
    loop {
        match b.get(i) {
            Some(0x21) => i = skip_sub_blocks(i + 2).ok_or_else(|| truncated("GIF"))?,
            Some(0x2C) => {
                frames += 1;
                let local = *b.get(i + 9).ok_or_else(|| truncated("GIF"))?;
                i += 10;
                if local & 0x80 != 0 {
                    i += 3 << ((local & 7) + 1);
                }
                i = skip_sub_blocks(i + 1).ok_or_else(|| truncated("GIF"))?;
            }
            // Trailer, or a truncated file whose frames so far still count.
            _ => break,
        }
    }
    if width == 0 || height == 0 || frames == 0 {
        return Err(undecodable("GIF has no image or a zero dimension"));
    }
    Ok(Header {
        width,
        height,
        frames,
        exif_orientation: 1,
        ..Header::default()
    })
}

fn webp(b: &[u8]) -> Result<Header, EngineError> {
    let mut h = Header {
        frames: 0,
        exif_orientation: 1,
        ..Header::default()
    };
    let mut i = 12;
    let mut still = false;
    while let (Some(kind), Some(len)) = (b.get(i..i + 4), le32(b, i + 4)) {
        let len = len as usize;
        let body = b
            .get(i + 8..(i + 8).saturating_add(len).min(b.len()))
            .unwrap_or(&[]);
        match kind {
            b"VP8X" => {
                h.width = le24(body, 4).ok_or_else(|| truncated("WebP"))? + 1;
                h.height = le24(body, 7).ok_or_else(|| truncated("WebP"))? + 1;
            }
            b"VP8 " if h.width == 0 => {
                if body.get(3..6) != Some(&[0x9d, 0x01, 0x2a]) {
                    return Err(truncated("WebP"));
                }
                h.width = u32::from(le16(body, 6).ok_or_else(|| truncated("WebP"))? & 0x3FFF);
                h.height = u32::from(le16(body, 8).ok_or_else(|| truncated("WebP"))? & 0x3FFF);
                still = true;
            }
            b"VP8L" if h.width == 0 => {
                let bits = le32(body, 1).ok_or_else(|| truncated("WebP"))?;
                h.width = (bits & 0x3FFF) + 1;
                h.height = ((bits >> 14) & 0x3FFF) + 1;
                still = true;
            }
            b"VP8 " | b"VP8L" => still = true,
            b"ANMF" => h.frames += 1,
            b"ICCP" => h.icc = Some(body.to_vec()),
            _ => {}
        }
        i = i.saturating_add(8).saturating_add(len + (len & 1));
    }
    if h.frames == 0 && still {
        h.frames = 1;
    }
    if h.width == 0 || h.height == 0 || h.frames == 0 {
        return Err(undecodable("WebP has no image data"));
    }
    Ok(h)
}

/// Largest `ispe` (image spatial extents) of any item: conservative for grids and alpha planes.
fn avif(b: &[u8]) -> Result<Header, EngineError> {
    let mut best = (0u32, 0u32);
    find_ispe(b, 0, &mut best);
    if best.0 == 0 || best.1 == 0 {
        return Err(undecodable("AVIF has no image size (ispe) box"));
    }
    Ok(Header {
        width: best.0,
        height: best.1,
        frames: 1,
        exif_orientation: 1,
        ..Header::default()
    })
}

fn find_ispe(b: &[u8], depth: u8, best: &mut (u32, u32)) {
    let mut i = 0usize;
    while let (Some(size), Some(kind)) = (be32(b, i), b.get(i + 4..i + 8)) {
        let (header, size) = match size {
            1 => (16, be32(b, i + 12).map_or(0, |s| s as usize)),
            0 => (8, b.len() - i),
            s => (8, s as usize),
        };
        if size < header {
            return;
        }
        let end = i.saturating_add(size).min(b.len());
        let body = b.get(i + header..end).unwrap_or(&[]);
        match kind {
            // `meta` is a full box: 4 bytes of version and flags precede its children.
            b"meta" if depth < 8 => find_ispe(body.get(4..).unwrap_or(&[]), depth + 1, best),
            b"iprp" | b"ipco" if depth < 8 => find_ispe(body, depth + 1, best),
            b"ispe" => {
                if let (Some(w), Some(h)) = (be32(body, 4), be32(body, 8))
                    && u64::from(w) * u64::from(h) > u64::from(best.0) * u64::from(best.1)
                {
                    *best = (w, h);
                }
            }
            _ => {}
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_orientation_both_byte_orders() {
        let mut le = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0".to_vec();
        assert_eq!(exif_orientation(&le), Some(6));
        le[18] = 9;
        assert_eq!(exif_orientation(&le), None, "out-of-range tags are ignored");
        let be = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x03\0\0";
        assert_eq!(exif_orientation(be), Some(3));
        assert_eq!(exif_orientation(b"MM\0*\xff\xff\xff\xff"), None);
    }

    #[test]
    fn jpeg_frame_type_marks_progressive() {
        let jpeg = |sof: u8| {
            let mut b = vec![
                0xFF, 0xD8, 0xFF, sof, 0x00, 0x11, 8, 0x00, 0x10, 0x00, 0x20, 3,
            ];
            b.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
            b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
            b
        };
        let p = header(SourceFormat::Jpeg, &jpeg(0xC2)).expect("progressive header");
        assert!(p.progressive);
        assert_eq!((p.width, p.height), (32, 16));
        assert!(
            !header(SourceFormat::Jpeg, &jpeg(0xC0))
                .expect("baseline")
                .progressive
        );
    }

    #[test]
    fn unknown_bytes_are_unsupported() {
        assert!(matches!(
            sniff(b"BM\0\0 bitmap"),
            Err(EngineError::UnsupportedFormat(_))
        ));
        assert!(matches!(sniff(b""), Err(EngineError::UnsupportedFormat(_))));
    }
}
