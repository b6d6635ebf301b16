//! Reduced-scale decoding of JPEGs: 1/8, 1/4 or 1/2 of full size from only the DCT
//! coefficients that scale needs, to an RGB raster or to Y, Cb and Cr planes.
//!
//! libjpeg decodes every scan of a progressive file into a coefficient buffer for the whole
//! image, 128 bytes a block (71 MB for an 18 MP photo), before it outputs a row, so even a
//! thumbnail costs a full decode's memory. At `k`/8 scale each 8×8 block becomes `k`×`k` pixels
//! from its lowest `k`×`k` frequencies, so this keeps those (2·k² bytes a block) and one bit per
//! coefficient saying whether it is nonzero, which the refinement scans need. At 1/8 scale a
//! block is its DC coefficient alone, and the AC scans are stepped over without decoding.
//!
//! Baseline (sequential) files go through the same frame: every coefficient is decoded, as in
//! libjpeg, and only the kept ones stored. Their entropy decoding is no faster than libjpeg's,
//! so the pipeline uses this for them only where its output pays: planes whose chroma stays
//! subsampled, filtered as a Lanczos3 resize would, when the decode is the output size.
//!
//! Anything it does not handle (arithmetic or lossless coding, CMYK, 4:2:0 and other chroma
//! subsampled both ways in a progressive file at 1/8, damaged entropy data, a progression
//! libjpeg would warn about) makes it decline with the reason, and the caller decodes with
//! libjpeg, which also reports real errors.

mod frame;
mod huffman;
mod idct;
mod markers;
mod scans;

use crate::planar::{Plane, Ycc};
use crate::probe::be16;
use crate::raster::Raster;

use frame::*;
use huffman::*;
use idct::*;
use markers::*;
use scans::*;

/// Why the DC path declined; the caller falls back to libjpeg.
pub type Declined = &'static str;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOF0: u8 = 0xC0;
const SOF1: u8 = 0xC1;
const SOF2: u8 = 0xC2;
const DHT: u8 = 0xC4;
const DQT: u8 = 0xDB;
const DRI: u8 = 0xDD;
const SOS: u8 = 0xDA;
const APP14: u8 = 0xEE;

/// The natural (row-major) index of each zigzag position.
const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Marks a zigzag position whose coefficient the scale does not keep.
const DROPPED: u8 = u8::MAX;

/// Where each zigzag position's coefficient lives in a block's kept slots (`DROPPED` if not
/// kept), and a mask of the kept positions.
#[derive(Clone, Copy)]
struct Slots {
    at: [u8; 64],
    mask: u64,
}

/// A quantisation table, in zigzag order.
type Quant = [u16; 64];

/// Decodes `bytes`, a progressive or baseline JPEG, to RGB at `numerator`/8 scale (1, 2 or 4):
/// ⌈width·n/8⌉ × ⌈height·n/8⌉, the size libjpeg gives at that scale, with subsampled chroma
/// scaled up in the IDCT where libjpeg does so. Declines a frame of more than `max_pixels`.
pub fn decode(bytes: &[u8], max_pixels: u64, numerator: u8) -> Result<Raster, Declined> {
    parse(bytes, max_pixels, numerator, false, Filter::Area)?.to_rgb()
}

/// How each output sample weighs the frequencies of its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// The mean of the full-size samples it covers: a box filter, for a decode that a Lanczos3
    /// resize then finishes.
    Area,
    /// As a Lanczos3 downscale by the same factor passes them, for a decode that is the output
    /// size itself. Flatter in the passband than the box (at 1/4 scale the box keeps 91% of the
    /// lowest AC frequency, Lanczos3 all of it), so as sharp as a resize without one.
    Lanczos3,
}

/// Decodes `bytes` like [`decode`] but to its Y, Cb and Cr planes, each at `numerator`/8 of its
/// own size: 4:2:0 chroma stays half of luma, for the YCbCr path ([`crate::planar`]). Declines
/// what is not three-component YCbCr with chroma sampled alike, at most 2×2 below luma.
pub fn decode_ycc(
    bytes: &[u8],
    max_pixels: u64,
    numerator: u8,
    filter: Filter,
) -> Result<Ycc, Declined> {
    parse(bytes, max_pixels, numerator, true, filter)?.to_ycc()
}

/// Reads every scan into a [`Frame`] that keeps the coefficients `numerator`/8 scale needs;
/// `native_chroma` sizes each component's IDCT by the scale alone rather than up to luma size.
fn parse(
    bytes: &[u8],
    max_pixels: u64,
    numerator: u8,
    native_chroma: bool,
    filter: Filter,
) -> Result<Frame, Declined> {
    let k = match numerator {
        1 | 2 | 4 => usize::from(numerator),
        _ => return Err("only 1/8, 1/4 and 1/2 scale"),
    };
    let mut r = Reader::new(bytes);
    if r.marker()? != SOI {
        return Err("no SOI marker");
    }
    let mut frame: Option<Frame> = None;
    // Indexed by class (0 DC, 1 AC), then table id.
    let mut tables: [[Option<Huffman>; 4]; 2] = Default::default();
    let mut quant = [None::<Quant>; 4];
    let mut restart_interval = 0usize;
    let mut adobe_transform = None;
    loop {
        let marker = r.marker()?;
        match marker {
            EOI => break,
            SOF0 | SOF1 | SOF2 => {
                if frame.is_some() {
                    return Err("second frame header");
                }
                let mode = Mode {
                    k,
                    progressive: marker == SOF2,
                    native_chroma,
                    filter,
                };
                let f = Frame::parse(r.segment()?, mode)?;
                if (f.width as u64) * (f.height as u64) > max_pixels {
                    return Err("frame larger than the pixel limit");
                }
                frame = Some(f);
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err("not a baseline or progressive Huffman JPEG");
            }
            DHT => parse_dht(r.segment()?, &mut tables)?,
            DQT => parse_dqt(r.segment()?, &mut quant)?,
            DRI => {
                let s = r.segment()?;
                restart_interval = usize::from(be16(s, 0).ok_or("short DRI")?);
            }
            APP14 => {
                let s = r.segment()?;
                if s.starts_with(b"Adobe") && s.len() >= 12 {
                    adobe_transform = Some(s[11]);
                }
            }
            SOS => {
                let f = frame.as_mut().ok_or("scan before frame header")?;
                if crate::interrupt::checkpoint("").is_err() {
                    return Err("interrupted");
                }
                let scan = Scan::parse(r.segment()?, f)?;
                if scan.ss != 0 && f.dc_only() {
                    // An AC scan: its coefficients are not needed at 1/8 scale.
                    r.skip_entropy_data();
                    continue;
                }
                for &ci in &scan.comps {
                    let c = &mut f.comps[ci];
                    if c.quant.is_none() {
                        // libjpeg latches a component's table at its first scan.
                        c.quant = quant[c.tq];
                    }
                }
                let end = if !f.progressive {
                    f.decode_sequential_scan(&scan, r.rest(), &tables, restart_interval)?
                } else if scan.ss == 0 {
                    f.decode_dc_scan(&scan, r.rest(), &tables[0], restart_interval)?
                } else {
                    f.decode_ac_scan(&scan, r.rest(), &tables[1], restart_interval)?
                };
                r.advance(end);
                r.skip_entropy_data();
            }
            0xD0..=0xD7 => return Err("restart marker outside a scan"),
            0xDC => return Err("DNL marker"),
            _ => {
                r.segment()?;
            }
        }
    }
    let f = frame.ok_or("no frame header")?;
    if f.comps.len() == 3 {
        let rgb_ids = f.comps.iter().map(|c| c.id).eq([b'R', b'G', b'B']);
        if adobe_transform == Some(0) || (adobe_transform.is_none() && rgb_ids) {
            return Err("RGB-coded JPEG");
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsampling_by_two_weights_three_to_one() {
        // libjpeg's fancy h2v1: out[2i] = (3 in[i] + in[i-1]) / 4, out[2i+1] = (3 in[i] + in[i+1]) / 4.
        let out = upsample(vec![0, 100], (2, 1), (2, 1), (4, 1));
        assert_eq!(out, vec![0, 25, 75, 100]);
    }

    #[test]
    fn huffman_decodes_canonical_codes() {
        // Two 2-bit codes (00 → 5, 01 → 7) and one 3-bit code (100 → 9).
        let mut counts = [0u8; 16];
        counts[1] = 2;
        counts[2] = 1;
        let h = Huffman::new(&counts, &[5, 7, 9]).expect("table");
        let mut bits = Bits::new(&[0b0001_1000, 0]);
        let got: Vec<u8> = (0..3).map(|_| h.decode(&mut bits).expect("code")).collect();
        assert_eq!(got, vec![5, 7, 9]);
    }

    #[test]
    fn declines_garbage() {
        assert!(decode(b"not a jpeg", u64::MAX, 1).is_err());
        assert_eq!(
            decode(&[0xFF, 0xD8, 0xFF, 0xC0, 0, 2], u64::MAX, 2).err(),
            Some("not 8-bit")
        );
    }

    #[test]
    fn lanczos_gains_are_flat_in_the_passband_and_cut_at_nyquist() {
        // At 1/4 scale (4 source pixels a sample) the output's Nyquist frequency is u = 2.
        for m in [2, 4, 8] {
            assert!((lanczos3_gain(0, m) - 1.0).abs() < 1e-9);
            assert!((area_gain(0, m) - 1.0).abs() < 1e-9);
        }
        assert!((lanczos3_gain(1, 4) - 1.0).abs() < 0.02);
        assert!((area_gain(1, 4) - 0.906).abs() < 0.001);
        assert!((lanczos3_gain(2, 4) - 0.5).abs() < 0.01);
        assert!(lanczos3_gain(3, 4).abs() < 0.01);
    }

    #[test]
    fn the_fast_ac_table_decodes_like_the_slow_path() {
        // One 2-bit code (00 → run 0, size 2), one 3-bit code (010 → end of block), one 3-bit
        // code (011 → ZRL), one 3-bit (100 → run 1, size 1).
        let mut counts = [0u8; 16];
        counts[1] = 1;
        counts[2] = 3;
        let h = Huffman::new(&counts, &[0x02, 0x00, 0xF0, 0x11]).expect("table");
        // 00 + magnitude 01 (→ −2), then 100 + magnitude 1 (→ +1): the first 10 bits 0001100100.
        let entry = h.ac[0b00_0110_0100];
        assert_eq!(
            (entry & 0xFF, (entry >> 8) & 0xFF, (entry >> 16) as i16),
            (4, 1, -2)
        );
        let entry = h.ac[0b10_0100_0000];
        assert_eq!(
            (entry & 0xFF, (entry >> 8) & 0xFF, (entry >> 16) as i16),
            (4, 2, 1)
        );
        let entry = h.ac[0b01_0000_0000];
        assert_eq!((entry & 0xFF, (entry >> 8) & 0xFF), (3, 64));
        let entry = h.ac[0b01_1000_0000];
        assert_eq!((entry & 0xFF, (entry >> 8) & 0xFF), (3, 16));
        // A block: −2 at 1, +1 at 3, end of block; slots keep positions 1 and 3 (zigzag).
        let mut slots = Slots {
            at: [DROPPED; 64],
            mask: 0,
        };
        slots.at[1] = 0;
        slots.at[3] = 1;
        let mut coefs = [0i16; 2];
        let mut bits = Bits::new(&[0b0001_1001, 0b0100_0000, 0, 0]);
        sequential_ac(&mut bits, &h, &mut coefs, &slots).expect("block");
        assert_eq!(coefs, [-2, 1]);
    }
}
