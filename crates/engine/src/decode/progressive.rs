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

use crate::planar::{Plane, Ycc};
use crate::raster::Raster;

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

fn be16(s: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*s.get(at)?, *s.get(at + 1)?]))
}

/// Marker-level reading of the byte stream.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }

    /// The next marker code, skipping fill bytes.
    fn marker(&mut self) -> Result<u8, Declined> {
        if self.data.get(self.pos) != Some(&0xFF) {
            return Err("expected a marker");
        }
        while self.data.get(self.pos) == Some(&0xFF) {
            self.pos += 1;
        }
        let code = *self.data.get(self.pos).ok_or("file ends before EOI")?;
        self.pos += 1;
        Ok(code)
    }

    /// A marker segment's payload (after its length field).
    fn segment(&mut self) -> Result<&'a [u8], Declined> {
        let len = usize::from(be16(self.data, self.pos).ok_or("file ends in a marker")?);
        if len < 2 || self.pos + len > self.data.len() {
            return Err("marker segment overruns the file");
        }
        let s = &self.data[self.pos + 2..self.pos + len];
        self.pos += len;
        Ok(s)
    }

    /// Moves to the next marker that is not a restart marker or a stuffed 0xFF.
    fn skip_entropy_data(&mut self) {
        let mut at = self.pos;
        while let Some(i) = memchr::memchr(0xFF, &self.data[at..]) {
            let ff = at + i;
            match self.data.get(ff + 1) {
                Some(0x00 | 0xD0..=0xD7) => at = ff + 2,
                Some(0xFF) => at = ff + 1,
                Some(_) => {
                    self.pos = ff;
                    return;
                }
                None => break,
            }
        }
        self.pos = self.data.len();
    }
}

struct Component {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
    /// Blocks across and down in interleaved (MCU) order, padding included.
    grid_w: usize,
    /// Blocks that hold image data; non-interleaved scans cover exactly these.
    blocks_w: usize,
    blocks_h: usize,
    quant: Option<Quant>,
    dc: Vec<i32>,
    /// Lowest DC bit decoded so far (successive approximation), None before the first DC scan.
    dc_low_bit: Option<u8>,
    /// Output pixels per block across and down: k, or more for subsampled chroma so that its
    /// plane comes out at luma size, as libjpeg sizes its IDCTs.
    kx: usize,
    ky: usize,
    /// Where each zigzag position lives in a block's `ac`.
    slots: Slots,
    /// The kept AC coefficients, kx·ky a block (natural order within that corner; slot 0, the
    /// DC, unused). Empty at 1/8 scale.
    ac: Vec<i16>,
    /// A block's nonzero coefficients, bit z for zigzag position z: a refinement scan reads a
    /// correction bit for each, kept or not. Empty at 1/8 scale.
    nonzero: Vec<u64>,
    /// libjpeg's `coef_bits`: the lowest bit decoded so far at each zigzag position, -1 before.
    ac_low_bit: [i8; 64],
}

/// How a frame is read and sized.
#[derive(Clone, Copy)]
struct Mode {
    /// Output pixels per block side: the scale numerator.
    k: usize,
    /// Progressive (SOF2) rather than baseline or extended sequential (SOF0, SOF1).
    progressive: bool,
    /// Each component's IDCT sized by the scale alone (planes for [`Ycc`]), not widened to
    /// luma size for an RGB raster.
    native_chroma: bool,
    filter: Filter,
}

struct Frame {
    /// Output pixels per block side: the scale numerator.
    k: usize,
    progressive: bool,
    filter: Filter,
    width: usize,
    height: usize,
    h_max: usize,
    v_max: usize,
    mcus_x: usize,
    mcus_y: usize,
    comps: Vec<Component>,
}

impl Frame {
    fn parse(s: &[u8], mode: Mode) -> Result<Frame, Declined> {
        let k = mode.k;
        if s.first() != Some(&8) {
            return Err("not 8-bit");
        }
        let height = usize::from(be16(s, 1).ok_or("short frame header")?);
        let width = usize::from(be16(s, 3).ok_or("short frame header")?);
        let n = usize::from(*s.get(5).ok_or("short frame header")?);
        if width == 0 || height == 0 {
            return Err("zero or deferred (DNL) dimensions");
        }
        if n != 1 && n != 3 {
            return Err("neither greyscale nor three components");
        }
        if s.len() < 6 + 3 * n {
            return Err("short frame header");
        }
        let raw: Vec<(u8, usize, usize, usize)> = (0..n)
            .map(|i| {
                let b = &s[6 + 3 * i..9 + 3 * i];
                (
                    b[0],
                    usize::from(b[1] >> 4),
                    usize::from(b[1] & 15),
                    usize::from(b[2]),
                )
            })
            .collect();
        let h_max = raw.iter().map(|c| c.1).max().unwrap_or(1);
        let v_max = raw.iter().map(|c| c.2).max().unwrap_or(1);
        let valid = |f: usize, max: usize| (1..=4).contains(&f) && max.is_multiple_of(f);
        if raw
            .iter()
            .any(|&(_, h, v, tq)| !valid(h, h_max) || !valid(v, v_max) || tq > 3)
        {
            return Err("unsupported sampling factors or table index");
        }
        // As Frame::dc_only.
        let dc_only = k == 1 && mode.progressive;
        let both_ways = |h: usize, v: usize| h < h_max && v < v_max;
        if !mode.native_chroma {
            if k > 1
                && raw
                    .iter()
                    .any(|&(_, h, v, _)| h_max / h == 3 || v_max / v == 3)
            {
                // Its IDCT would be 3·k samples wide; the IDCT sizes here are 2, 4 and 8.
                return Err("chroma subsampled by three");
            }
            if dc_only && raw.iter().any(|&(_, h, v, _)| both_ways(h, v)) {
                // libjpeg scales such a component up in the IDCT, from its AC coefficients (a
                // 2×2 IDCT at 1/8 scale); interpolating its DC values lost that detail (mean
                // error 2.3 against libjpeg's 0.6 on a 4:2:0 photo).
                return Err("chroma subsampled both ways");
            }
        }
        let mcus_x = width.div_ceil(8 * h_max);
        let mcus_y = height.div_ceil(8 * v_max);
        let comps = raw
            .into_iter()
            .map(|(id, h, v, tq)| {
                let grid_w = mcus_x * h;
                let blocks = grid_w * mcus_y * v;
                let (kx, ky) = if mode.native_chroma {
                    (k, k)
                } else if k == 1 {
                    // libjpeg's 1/8 scale: a 2×2 IDCT for chroma subsampled both ways (read
                    // only from a sequential file, see above), else the DC alone, upsampled.
                    if both_ways(h, v) { (2, 2) } else { (1, 1) }
                } else {
                    ((k * h_max / h).min(8), (k * v_max / v).min(8))
                };
                // The DC lives in `dc`; a 1×1 IDCT needs nothing else.
                let kept = if dc_only || kx * ky == 1 { 0 } else { kx * ky };
                let mut slots = Slots {
                    at: [DROPPED; 64],
                    mask: 0,
                };
                for (z, &natural) in ZIGZAG.iter().enumerate() {
                    let (row, col) = (usize::from(natural / 8), usize::from(natural % 8));
                    if kept > 0 && row < ky && col < kx {
                        slots.at[z] = (row * kx + col) as u8;
                        slots.mask |= 1 << z;
                    }
                }
                Component {
                    id,
                    h,
                    v,
                    tq,
                    grid_w,
                    blocks_w: (width * h).div_ceil(h_max).div_ceil(8),
                    blocks_h: (height * v).div_ceil(v_max).div_ceil(8),
                    quant: None,
                    dc: vec![0; blocks],
                    dc_low_bit: None,
                    kx,
                    ky,
                    slots,
                    ac: vec![0; blocks * kept],
                    // Only refinement scans need it.
                    nonzero: vec![
                        0;
                        if mode.progressive && !dc_only {
                            blocks
                        } else {
                            0
                        }
                    ],
                    ac_low_bit: [-1; 64],
                }
            })
            .collect();
        Ok(Frame {
            k,
            progressive: mode.progressive,
            filter: mode.filter,
            width,
            height,
            h_max,
            v_max,
            mcus_x,
            mcus_y,
            comps,
        })
    }

    /// Only DC coefficients are read (progressive at 1/8): AC scans are stepped over.
    fn dc_only(&self) -> bool {
        self.k == 1 && self.progressive
    }

    /// Coding units of a scan: whole MCUs when interleaved, else the one component's own
    /// blocks (T.81 A.2). Returns units across, units down, and whether it is interleaved.
    fn units(&self, scan: &Scan) -> (usize, usize, bool) {
        let interleaved = scan.comps.len() > 1;
        if interleaved {
            (self.mcus_x, self.mcus_y, true)
        } else {
            let c = &self.comps[scan.comps[0]];
            (c.blocks_w, c.blocks_h, false)
        }
    }

    /// Walks the blocks of an interleaved or single-component scan in coding order, handling
    /// restart intervals (which reset the DC predictors). `visit` gets the bits, the
    /// component's index in the scan, the component, the block's index in it, and the
    /// predictors.
    fn each_block(
        &mut self,
        scan: &Scan,
        bits: &mut Bits,
        restart_interval: usize,
        mut visit: impl FnMut(
            &mut Bits,
            usize,
            &mut Component,
            usize,
            &mut [i32; 4],
        ) -> Result<(), Declined>,
    ) -> Result<(), Declined> {
        let (units_x, units_y, interleaved) = self.units(scan);
        let mut pred = [0i32; 4];
        for unit in 0..units_x * units_y {
            if restart_interval > 0 && unit > 0 && unit % restart_interval == 0 {
                bits.restart()?;
                pred = [0; 4];
            }
            let (ux, uy) = (unit % units_x, unit / units_x);
            for (i, &ci) in scan.comps.iter().enumerate() {
                let c = &mut self.comps[ci];
                let (bw, bh) = if interleaved { (c.h, c.v) } else { (1, 1) };
                for by in 0..bh {
                    for bx in 0..bw {
                        let idx = (uy * bh + by) * c.grid_w + ux * bw + bx;
                        visit(bits, i, c, idx, &mut pred)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Decodes one scan of a sequential (baseline) file: every coefficient of each block in
    /// turn, keeping those the scale needs. Returns the bytes it read. Follows libjpeg's
    /// jdhuff.c, and declines what libjpeg would warn about or clamp.
    fn decode_sequential_scan(
        &mut self,
        scan: &Scan,
        data: &[u8],
        tables: &[[Option<Huffman>; 4]; 2],
        restart_interval: usize,
    ) -> Result<usize, Declined> {
        if (scan.ss, scan.se, scan.ah, scan.al) != (0, 63, 0, 0) {
            return Err("sequential scan with a spectral band or approximation");
        }
        let mut huff: Vec<(&Huffman, &Huffman)> = Vec::with_capacity(scan.comps.len());
        for (i, &ci) in scan.comps.iter().enumerate() {
            if self.comps[ci].dc_low_bit.is_some() {
                return Err("component in two sequential scans");
            }
            let dc = tables[0][scan.dc_tables[i]].as_ref();
            let ac = tables[1][scan.ac_tables[i]].as_ref();
            huff.push(dc.zip(ac).ok_or("scan uses an undefined table")?);
        }
        let mut bits = Bits::new(data);
        self.each_block(
            scan,
            &mut bits,
            restart_interval,
            |bits, i, c, idx, pred| {
                let (dc, ac) = huff[i];
                let size = dc.decode(bits)?;
                if size > 11 {
                    return Err("DC difference too large");
                }
                pred[i] = pred[i].wrapping_add(bits.receive_extend(size));
                c.dc[idx] = pred[i];
                let kept = c.kx * c.ky;
                let coefs =
                    c.ac.get_mut(idx * kept..(idx + 1) * kept)
                        .unwrap_or(&mut []);
                sequential_ac(bits, ac, coefs, &c.slots)
            },
        )?;
        for &ci in &scan.comps {
            self.comps[ci].dc_low_bit = Some(0);
        }
        bits.overran()?;
        Ok(bits.pos)
    }

    /// Decodes one DC scan from `data` (the bytes after its header); returns the bytes it read.
    fn decode_dc_scan(
        &mut self,
        scan: &Scan,
        data: &[u8],
        tables: &[Option<Huffman>; 4],
        restart_interval: usize,
    ) -> Result<usize, Declined> {
        let first = scan.ah == 0;
        for &ci in &scan.comps {
            let c = &self.comps[ci];
            match (first, c.dc_low_bit) {
                (true, None) => {}
                (false, Some(low)) if low == scan.ah && scan.al + 1 == scan.ah => {}
                _ => return Err("inconsistent DC progression"),
            }
        }
        let huff: Vec<&Huffman> = if first {
            scan.dc_tables
                .iter()
                .map(|&t| tables[t].as_ref().ok_or("scan uses an undefined table"))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let mut bits = Bits::new(data);
        self.each_block(
            scan,
            &mut bits,
            restart_interval,
            |bits, k, c, idx, pred| {
                if first {
                    let size = huff[k].decode(bits)?;
                    if size > 11 {
                        return Err("DC difference too large");
                    }
                    // Wrapping: hostile data may run the predictor out of range.
                    pred[k] = pred[k].wrapping_add(bits.receive_extend(size));
                    c.dc[idx] = pred[k].wrapping_shl(u32::from(scan.al));
                } else if bits.bit() {
                    c.dc[idx] |= 1 << scan.al;
                }
                Ok(())
            },
        )?;
        for &ci in &scan.comps {
            self.comps[ci].dc_low_bit = Some(scan.al);
        }
        bits.overran()?;
        Ok(bits.pos)
    }

    /// Decodes one AC scan (one component, zigzag band `ss..=se`) from `data`, keeping the
    /// coefficients the scale needs; returns the bytes it read. Follows libjpeg's jdphuff.c,
    /// and declines where libjpeg would warn (a strict libjpeg then fails the file).
    fn decode_ac_scan(
        &mut self,
        scan: &Scan,
        data: &[u8],
        tables: &[Option<Huffman>; 4],
        restart_interval: usize,
    ) -> Result<usize, Declined> {
        let [ci] = scan.comps[..] else {
            return Err("AC scan of more than one component");
        };
        let (ss, se) = (usize::from(scan.ss), usize::from(scan.se));
        if se > 63 || ss > se {
            return Err("bad spectral selection");
        }
        if scan.ah != 0 && scan.ah != scan.al + 1 {
            return Err("bad successive approximation");
        }
        let huff = tables[scan.ac_tables[0]]
            .as_ref()
            .ok_or("scan uses an undefined table")?;
        let c = &mut self.comps[ci];
        let (slots, kept) = (c.slots, c.kx * c.ky);
        if c.dc_low_bit.is_none() {
            return Err("AC scan before the DC scan");
        }
        for bit in &mut c.ac_low_bit[ss..=se] {
            if i16::from(scan.ah) != i16::from((*bit).max(0)) {
                return Err("inconsistent AC progression");
            }
            *bit = scan.al as i8;
        }
        let mut bits = Bits::new(data);
        let mut eobrun = 0u32;
        let (units_x, total) = (c.blocks_w, c.blocks_w * c.blocks_h);
        for unit in 0..total {
            if restart_interval > 0 && unit > 0 && unit % restart_interval == 0 {
                bits.restart()?;
                eobrun = 0;
            }
            let idx = (unit / units_x) * c.grid_w + unit % units_x;
            let coefs = &mut c.ac[idx * kept..(idx + 1) * kept];
            let nonzero = &mut c.nonzero[idx];
            if scan.ah == 0 {
                eobrun = ac_first(
                    &mut bits,
                    huff,
                    (ss, se, scan.al),
                    eobrun,
                    coefs,
                    nonzero,
                    &slots,
                )?;
            } else {
                eobrun = ac_refine(
                    &mut bits,
                    huff,
                    (ss, se, scan.al),
                    eobrun,
                    coefs,
                    nonzero,
                    &slots,
                )?;
            }
        }
        bits.overran()?;
        Ok(bits.pos)
    }

    /// Component `c`'s samples at its IDCT size, with that size: libjpeg's at this scale.
    fn plane(&self, c: &Component) -> Result<(Vec<u8>, (usize, usize)), Declined> {
        if c.dc_low_bit != Some(0) {
            return Err("DC coefficients incomplete");
        }
        let quant = c.quant.ok_or("component without a quantisation table")?;
        let pw = (self.width * c.h * c.kx).div_ceil(self.h_max * 8);
        let ph = (self.height * c.v * c.ky).div_ceil(self.v_max * 8);
        if c.kx * c.ky > 1 {
            return Ok((idct_plane(c, &quant, (pw, ph), self.filter), (pw, ph)));
        }
        // libjpeg's 1×1 IDCT: the dequantised DC over 8, rounded, level-shifted, clamped.
        let q = i64::from(quant[0]);
        let sample = |dc: i32| {
            ((i64::from(dc) * q + 4) >> 3)
                .saturating_add(128)
                .clamp(0, 255) as u8
        };
        let mut plane = Vec::with_capacity(pw * ph);
        for y in 0..ph {
            plane.extend(
                c.dc[y * c.grid_w..y * c.grid_w + pw]
                    .iter()
                    .map(|&d| sample(d)),
            );
        }
        Ok((plane, (pw, ph)))
    }

    fn to_rgb(&self) -> Result<Raster, Declined> {
        let k = self.k;
        let (out_w, out_h) = ((self.width * k).div_ceil(8), (self.height * k).div_ceil(8));
        let mut planes = Vec::with_capacity(self.comps.len());
        for c in &self.comps {
            let (plane, size) = self.plane(c)?;
            planes.push(upsample(
                plane,
                size,
                (k * self.h_max / (c.h * c.kx), k * self.v_max / (c.v * c.ky)),
                (out_w, out_h),
            ));
        }
        let data = match planes.as_slice() {
            [y] => super::expand_grey(y, 1),
            [y, cb, cr] => ycc_to_rgb(y, cb, cr),
            _ => return Err("neither greyscale nor three components"),
        };
        Ok(Raster::new(out_w as u32, out_h as u32, 3, data))
    }

    /// The three planes at their own sizes (a frame parsed with `native_chroma`).
    fn to_ycc(&self) -> Result<Ycc, Declined> {
        let [y, cb, cr] = &self.comps[..] else {
            return Err("not three components");
        };
        // Y at the highest sampling, both chroma planes alike and at most 2×2 below it: 4:4:4,
        // 4:2:2, 4:4:0 and 4:2:0, what the YCbCr path resizes.
        let (fx, fy) = (self.h_max / cb.h, self.v_max / cb.v);
        if (y.h, y.v) != (self.h_max, self.v_max)
            || (cb.h, cb.v) != (cr.h, cr.v)
            || fx > 2
            || fy > 2
            || cb.h * fx != self.h_max
            || cb.v * fy != self.v_max
        {
            return Err("chroma sampling the YCbCr path does not take");
        }
        let mut planes = Vec::with_capacity(3);
        for c in [y, cb, cr] {
            let (data, (w, h)) = self.plane(c)?;
            planes.push(Plane {
                width: w as u32,
                height: h as u32,
                data,
            });
        }
        let planes: [Plane; 3] = planes.try_into().map_err(|_| "not three components")?;
        let chroma = (1.0 / fx as f64, 1.0 / fy as f64);
        Ok(Ycc {
            planes,
            factors: [(1.0, 1.0), chroma, chroma],
        })
    }
}

/// A sequential block's 63 AC coefficients (T.81 F.2.2.2): all are decoded, those with a slot
/// kept. Like libjpeg, any zero run other than ZRL ends the block.
#[inline(always)]
fn sequential_ac(
    bits: &mut Bits,
    huff: &Huffman,
    coefs: &mut [i16],
    slots: &Slots,
) -> Result<(), Declined> {
    let mut z = 1usize;
    while z < 64 {
        let entry = huff.ac[bits.peek(AC_LOOKAHEAD) as usize];
        if entry & 0xFF != 0 {
            bits.consume(entry & 0xFF);
            let at = z + ((entry >> 8) & 0xFF) as usize - 1;
            let v = (entry >> 16) as i16;
            if v != 0 {
                if at > 63 {
                    return Err("AC run past the end of the block");
                }
                if let Some(slot) = coefs.get_mut(usize::from(slots.at[at])) {
                    *slot = v;
                }
            }
            z = at + 1;
            continue;
        }
        let rs = huff.decode(bits)?;
        let (r, size) = (usize::from(rs >> 4), rs & 15);
        if size != 0 {
            z += r;
            if z > 63 {
                return Err("AC run past the end of the block");
            }
            let v = bits.receive_extend(size);
            if let Some(slot) = coefs.get_mut(usize::from(slots.at[z])) {
                *slot = v as i16;
            }
            z += 1;
        } else if r == 15 {
            z += 16;
        } else {
            break;
        }
    }
    Ok(())
}

#[inline]
/// One block's share of an AC first scan (T.81 G.1.2.2); returns the end-of-band run left.
fn ac_first(
    bits: &mut Bits,
    huff: &Huffman,
    (ss, se, al): (usize, usize, u8),
    eobrun: u32,
    coefs: &mut [i16],
    nonzero: &mut u64,
    slots: &Slots,
) -> Result<u32, Declined> {
    if eobrun > 0 {
        return Ok(eobrun - 1);
    }
    let mut z = ss;
    while z <= se {
        let rs = huff.decode(bits)?;
        let (r, size) = (usize::from(rs >> 4), rs & 15);
        if size != 0 {
            z += r;
            if z > se {
                return Err("AC run past the end of the band");
            }
            // libjpeg keeps the value as a 16-bit JCOEF; a shift that wraps to 0 stays zero.
            let v = bits.receive_extend(size).wrapping_shl(u32::from(al)) as i16;
            if v != 0 {
                *nonzero |= 1 << z;
                if let Some(slot) = coefs.get_mut(usize::from(slots.at[z])) {
                    *slot = v;
                }
            }
            z += 1;
        } else if r == 15 {
            z += 16;
        } else {
            let mut run = 1u32 << r;
            if r > 0 {
                run += bits.bits(r as u32);
            }
            return Ok(run - 1);
        }
    }
    Ok(0)
}

#[inline]
/// One block's share of an AC refinement scan (T.81 G.1.2.3, libjpeg's decode_mcu_AC_refine);
/// returns the end-of-band run left.
fn ac_refine(
    bits: &mut Bits,
    huff: &Huffman,
    (ss, se, al): (usize, usize, u8),
    mut eobrun: u32,
    coefs: &mut [i16],
    nonzero: &mut u64,
    slots: &Slots,
) -> Result<u32, Declined> {
    let p1 = 1i16 << al;
    let mut z = ss;
    if eobrun == 0 {
        while z <= se {
            let rs = huff.decode(bits)?;
            let (r, size) = (rs >> 4, rs & 15);
            let mut new = 0i16;
            if size != 0 {
                if size != 1 {
                    return Err("refinement coefficient larger than one bit");
                }
                new = if bits.bit() { p1 } else { -p1 };
            } else if r != 15 {
                eobrun = 1 << r;
                if r > 0 {
                    eobrun += bits.bits(r as u32);
                }
                break;
            }
            // Past nonzero coefficients (each takes a correction bit) and r zero ones, to the
            // next zero one (or the band's end), found on the masks rather than one by one.
            let ahead = u64::MAX << z & u64::MAX >> (63 - se);
            let mut zeros = !*nonzero & ahead;
            for _ in 0..r {
                zeros &= zeros.wrapping_sub(1);
            }
            let target = if zeros == 0 {
                se + 1
            } else {
                zeros.trailing_zeros() as usize
            };
            let before = if target >= 64 {
                u64::MAX
            } else {
                (1 << target) - 1
            };
            correct(bits, coefs, slots, *nonzero & ahead & before, p1);
            z = target;
            if new != 0 {
                if z > se {
                    return Err("refinement run past the end of the band");
                }
                *nonzero |= 1 << z;
                if let Some(c) = coefs.get_mut(usize::from(slots.at[z])) {
                    *c = new;
                }
            }
            z += 1;
        }
    }
    if eobrun > 0 {
        // Only the nonzero coefficients left in the band take a bit: walk the set bits.
        let band = if z > se {
            0
        } else {
            (u64::MAX >> (63 - se)) & (u64::MAX << z)
        };
        correct(bits, coefs, slots, *nonzero & band, p1);
        eobrun -= 1;
    }
    Ok(eobrun)
}

/// A refinement's correction bits for the nonzero coefficients at the zigzag positions in
/// `passed`, one bit each in order: a 1 raises a coefficient's magnitude by this scan's bit
/// `p1`. The bits are read at once; only kept coefficients look at theirs.
#[inline(always)]
fn correct(bits: &mut Bits, coefs: &mut [i16], slots: &Slots, passed: u64, p1: i16) {
    let n = passed.count_ones();
    if n == 0 {
        return;
    }
    // At most 63 bits (AC positions), left-aligned.
    let read = if n <= 32 {
        u64::from(bits.bits(n)) << (64 - n)
    } else {
        let high = u64::from(bits.bits(32));
        (high << 32 | u64::from(bits.bits(n - 32))) << (64 - n)
    };
    let mut left = passed & slots.mask;
    while left != 0 {
        let z = left.trailing_zeros();
        left &= left - 1;
        let Some(c) = coefs.get_mut(usize::from(slots.at[z as usize])) else {
            continue;
        };
        let rank = (passed & ((1u64 << z) - 1)).count_ones();
        if (read << rank) >> 63 == 1 && *c & p1 == 0 {
            *c = if *c >= 0 {
                c.wrapping_add(p1)
            } else {
                c.wrapping_sub(p1)
            };
        }
    }
}

/// Per axis of n output samples, basis[x][u]: C(u)·W(u)·cos((2x+1)uπ / 2n) / 2 with
/// C(0) = 1/√2 and W(u) the filter's gain at frequency u (see [`Filter`]; 1 for the DC), so the
/// two IDCT passes give sample − 128 and the DC term DC/8.
fn basis<const N: usize>(filter: Filter) -> [[f32; N]; N] {
    use std::f64::consts::{FRAC_1_SQRT_2, PI};
    let m = 8 / N;
    let mut basis = [[0f32; N]; N];
    for (x, row) in basis.iter_mut().enumerate() {
        for (u, b) in row.iter_mut().enumerate() {
            let cu = if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
            let angle = ((2 * x + 1) * u) as f64 * PI / (2 * N) as f64;
            let gain = match filter {
                Filter::Area => area_gain(u, m),
                Filter::Lanczos3 => lanczos3_gain(u, m),
            };
            *b = (cu * gain * angle.cos() / 2.0) as f32;
        }
    }
    basis
}

/// The mean of the 8-point basis function cos((2s+1)uπ/16) over an output sample's `m` source
/// samples, relative to its value at their centre.
fn area_gain(u: usize, m: usize) -> f64 {
    if u == 0 {
        return 1.0;
    }
    let step = u as f64 * std::f64::consts::PI / 16.0;
    (m as f64 * step).sin() / (m as f64 * step.sin())
}

/// How a Lanczos3 downscale by `m` passes frequency u (u/16 cycles a source pixel): its taps
/// sit on the source pixel centres, half-integers from an output sample's centre when `m` is
/// even.
fn lanczos3_gain(u: usize, m: usize) -> f64 {
    use std::f64::consts::PI;
    let sinc = |x: f64| {
        if x == 0.0 {
            1.0
        } else {
            (PI * x).sin() / (PI * x)
        }
    };
    let m = m as f64;
    let (mut sum, mut response) = (0.0, 0.0);
    let reach = (3.0 * m).ceil() as i32;
    for i in -reach..reach {
        let t = f64::from(i) + 0.5 * (m % 2.0 == 0.0) as u8 as f64;
        let x = t / m;
        if x.abs() >= 3.0 {
            continue;
        }
        let w = sinc(x) * sinc(x / 3.0);
        sum += w;
        response += w * (2.0 * PI * u as f64 / 16.0 * t).cos();
    }
    response / sum
}

/// Component `c`'s samples, `pw`×`ph` (the blocks' pixels cropped to the image): the kx×ky
/// inverse DCT of each block's lowest kx×ky frequencies, each weighted by `filter`'s gain for
/// it. libjpeg's reduced IDCTs also fold in frequencies above the output's Nyquist limit, which
/// alias.
fn idct_plane(c: &Component, quant: &Quant, (pw, ph): (usize, usize), filter: Filter) -> Vec<u8> {
    // Fixed sizes let the compiler unroll and vectorise the two passes.
    match (c.kx, c.ky) {
        (2, 2) => idct_plane_small::<2, 2>(c, quant, (pw, ph), filter),
        (4, 4) => idct_plane_small::<4, 4>(c, quant, (pw, ph), filter),
        (4, 2) => idct_plane_small::<4, 2>(c, quant, (pw, ph), filter),
        (2, 4) => idct_plane_small::<2, 4>(c, quant, (pw, ph), filter),
        (8, 8) => idct_plane_of::<8, 8>(c, quant, (pw, ph), filter),
        (8, 4) => idct_plane_of::<8, 4>(c, quant, (pw, ph), filter),
        (4, 8) => idct_plane_of::<4, 8>(c, quant, (pw, ph), filter),
        (8, 2) => idct_plane_of::<8, 2>(c, quant, (pw, ph), filter),
        // (2, 8): Frame::parse admits only sizes 2, 4 and 8.
        _ => idct_plane_of::<2, 8>(c, quant, (pw, ph), filter),
    }
}

/// [`idct_plane_of`] for blocks of at most 16 samples, where one matrix of basis products
/// (dequantisation folded in) maps the coefficients straight to the block's samples: each
/// nonzero coefficient adds one row of 16, and a photo's small blocks have few.
fn idct_plane_small<const KX: usize, const KY: usize>(
    c: &Component,
    quant: &Quant,
    (pw, ph): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    let (bx, by) = (basis::<KX>(filter), basis::<KY>(filter));
    // m[j] holds coefficient slot j's contribution to each sample y·KX + x; slot 0 is the DC,
    // which every kept corner includes.
    let mut m = [[0f32; 16]; 16];
    for (z, &slot) in c.slots.at.iter().enumerate() {
        let j = usize::from(slot);
        if j >= KX * KY {
            continue;
        }
        let (v, u) = (j / KX, j % KX);
        for y in 0..KY {
            for x in 0..KX {
                m[j][y * KX + x] = by[y][v] * bx[x][u] * f32::from(quant[z]);
            }
        }
    }
    idct_blocks::<KX, KY>(c, (pw, ph), |dc, coefs, out| {
        let mut acc = [0f32; 16];
        for (a, w) in acc.iter_mut().zip(m[0]) {
            *a = 128.5 + dc as f32 * w;
        }
        // Dense, without a branch per coefficient: which are zero is unpredictable, and a
        // mispredicted branch costs more than the 16 multiply-adds it would skip.
        if coefs[1..].iter().any(|&x| x != 0) {
            for (j, &coef) in coefs.iter().enumerate().skip(1) {
                let f = f32::from(coef);
                for (a, w) in acc.iter_mut().zip(m[j]) {
                    *a += f * w;
                }
            }
        }
        for (y, line) in out.iter_mut().enumerate() {
            for (x, px) in line.iter_mut().enumerate() {
                *px = acc[y * KX + x].clamp(0.0, 255.0) as u8;
            }
        }
    })
}

/// Component `c`'s plane from its blocks, `block` turning each one's DC and kept coefficients
/// into its KX×KY samples, cut to the `pw`×`ph` image samples.
fn idct_blocks<const KX: usize, const KY: usize>(
    c: &Component,
    (pw, ph): (usize, usize),
    mut block: impl FnMut(i32, &[i16], &mut [[u8; KX]; KY]),
) -> Vec<u8> {
    let stride = c.blocks_w * KX;
    let mut out = vec![0u8; stride * c.blocks_h * KY];
    let mut samples = [[0u8; KX]; KY];
    for by in 0..c.blocks_h {
        for bx in 0..c.blocks_w {
            let idx = by * c.grid_w + bx;
            let Some(coefs) = c.ac.get(idx * KX * KY..(idx + 1) * KX * KY) else {
                continue;
            };
            block(c.dc[idx], coefs, &mut samples);
            for (y, line) in samples.iter().enumerate() {
                out[(by * KY + y) * stride + bx * KX..][..KX].copy_from_slice(line);
            }
        }
    }
    if stride == pw {
        out.truncate(pw * ph);
        return out;
    }
    let mut cropped = Vec::with_capacity(pw * ph);
    for row in out.chunks_exact(stride).take(ph) {
        cropped.extend_from_slice(&row[..pw]);
    }
    cropped
}

fn idct_plane_of<const KX: usize, const KY: usize>(
    c: &Component,
    quant: &Quant,
    (pw, ph): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    // Dequantisation factor per slot.
    let mut q = [[0f32; KX]; KY];
    for (z, &slot) in c.slots.at.iter().enumerate() {
        let slot = usize::from(slot);
        if slot < KX * KY {
            q[slot / KX][slot % KX] = f32::from(quant[z]);
        }
    }
    let (bx_basis, by_basis) = (basis::<KX>(filter), basis::<KY>(filter));
    // Transposed so that each pass below is whole rows of KX lanes, which vectorise.
    let mut bx_t = [[0f32; KX]; KX];
    for (x, row) in bx_basis.iter().enumerate() {
        for (u, &b) in row.iter().enumerate() {
            bx_t[u][x] = b;
        }
    }
    // A DC-only block is flat: DC/8 through both passes' DC basis terms.
    let dc_gain = bx_basis[0][0] * by_basis[0][0];
    idct_blocks::<KX, KY>(c, (pw, ph), |dc, coefs, out| {
        let dc = dc as f32 * q[0][0];
        if coefs[1..].iter().all(|&x| x == 0) {
            let px = (128.5 + dc * dc_gain).clamp(0.0, 255.0) as u8;
            for line in out.iter_mut() {
                line.fill(px);
            }
            return;
        }
        // Along each row (over u), skipping all-zero rows, then down (over v).
        let mut rows = [[0f32; KX]; KY];
        for v in 0..KY {
            let line = &coefs[v * KX..(v + 1) * KX];
            if v > 0 && line.iter().all(|&x| x == 0) {
                continue;
            }
            let mut acc = [0f32; KX];
            for u in 0..KX {
                let f = if v == 0 && u == 0 {
                    dc
                } else {
                    f32::from(line[u]) * q[v][u]
                };
                for x in 0..KX {
                    acc[x] += f * bx_t[u][x];
                }
            }
            rows[v] = acc;
        }
        for (y, line) in out.iter_mut().enumerate() {
            let mut acc = [128.5f32; KX];
            for v in 0..KY {
                let w = by_basis[y][v];
                for x in 0..KX {
                    acc[x] += rows[v][x] * w;
                }
            }
            for (px, a) in line.iter_mut().zip(acc) {
                *px = a.clamp(0.0, 255.0) as u8;
            }
        }
    })
}

/// Scales a subsampled plane up by whole factors with centred linear interpolation (libjpeg's
/// "fancy" upsampling for factors of 2).
fn upsample(
    plane: Vec<u8>,
    (pw, ph): (usize, usize),
    (fx, fy): (usize, usize),
    (w, h): (usize, usize),
) -> Vec<u8> {
    if (fx, fy) == (1, 1) && (pw, ph) == (w, h) {
        return plane;
    }
    // Per output coordinate: the two source indices and the second one's weight out of 256.
    let taps = |n: usize, f: usize, src: usize| -> Vec<(usize, usize, i32)> {
        (0..n)
            .map(|o| {
                let pos = ((2 * o + 1) * 256 / (2 * f)) as i64 - 128;
                let pos = pos.clamp(0, (src as i64 - 1) * 256);
                let i0 = (pos / 256) as usize;
                (i0, (i0 + 1).min(src - 1), (pos % 256) as i32)
            })
            .collect()
    };
    let (tx, ty) = (taps(w, fx, pw), taps(h, fy, ph));
    let mut out = Vec::with_capacity(w * h);
    for &(y0, y1, wy) in &ty {
        let (r0, r1) = (&plane[y0 * pw..][..pw], &plane[y1 * pw..][..pw]);
        out.extend(tx.iter().map(|&(x0, x1, wx)| {
            let top = i32::from(r0[x0]) * (256 - wx) + i32::from(r0[x1]) * wx;
            let bottom = i32::from(r1[x0]) * (256 - wx) + i32::from(r1[x1]) * wx;
            ((top * (256 - wy) + bottom * wy + 32768) >> 16) as u8
        }));
    }
    out
}

/// JFIF YCbCr to RGB in libjpeg's 16-bit fixed point.
fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8]) -> Vec<u8> {
    let px = |v: i32| v.clamp(0, 255) as u8;
    let mut out = vec![0u8; y.len() * 3];
    for (((rgb, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
        rgb[0] = px(y + ((91_881 * cr + 32_768) >> 16));
        rgb[1] = px(y + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16));
        rgb[2] = px(y + ((116_130 * cb + 32_768) >> 16));
    }
    out
}

struct Scan {
    /// Frame component indices, in scan order.
    comps: Vec<usize>,
    dc_tables: Vec<usize>,
    ac_tables: Vec<usize>,
    ss: u8,
    se: u8,
    ah: u8,
    al: u8,
}

impl Scan {
    fn parse(s: &[u8], f: &Frame) -> Result<Scan, Declined> {
        let n = usize::from(*s.first().ok_or("short scan header")?);
        if n == 0 || n > 4 || s.len() < 4 + 2 * n {
            return Err("malformed scan header");
        }
        let mut comps = Vec::with_capacity(n);
        let mut dc_tables = Vec::with_capacity(n);
        let mut ac_tables = Vec::with_capacity(n);
        for i in 0..n {
            let (id, tables) = (s[1 + 2 * i], s[2 + 2 * i]);
            let ci = f
                .comps
                .iter()
                .position(|c| c.id == id)
                .ok_or("scan names an unknown component")?;
            if comps.contains(&ci) {
                return Err("component twice in a scan");
            }
            let (td, ta) = (usize::from(tables >> 4), usize::from(tables & 15));
            if td > 3 || ta > 3 {
                return Err("table index out of range");
            }
            comps.push(ci);
            dc_tables.push(td);
            ac_tables.push(ta);
        }
        let (ss, se, a) = (s[1 + 2 * n], s[2 + 2 * n], s[3 + 2 * n]);
        let (ah, al) = (a >> 4, a & 15);
        if f.progressive && ss == 0 && se != 0 {
            return Err("scan mixes DC and AC");
        }
        if al > 13 {
            return Err("successive approximation out of range");
        }
        Ok(Scan {
            comps,
            dc_tables,
            ac_tables,
            ss,
            se,
            ah,
            al,
        })
    }
}

fn parse_dht(mut s: &[u8], tables: &mut [[Option<Huffman>; 4]; 2]) -> Result<(), Declined> {
    while !s.is_empty() {
        let tc_th = s[0];
        let counts = s.get(1..17).ok_or("short DHT")?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values = s.get(17..17 + total).ok_or("short DHT")?;
        let (class, id) = (tc_th >> 4, usize::from(tc_th & 15));
        if class > 1 || id > 3 {
            return Err("Huffman table class or index out of range");
        }
        tables[usize::from(class)][id] = Some(Huffman::new(counts, values)?);
        s = &s[17 + total..];
    }
    Ok(())
}

fn parse_dqt(mut s: &[u8], quant: &mut [Option<Quant>; 4]) -> Result<(), Declined> {
    while !s.is_empty() {
        let (precision, id) = (s[0] >> 4, usize::from(s[0] & 15));
        if id > 3 || precision > 1 {
            return Err("quantisation table index or precision out of range");
        }
        let size = if precision == 0 { 64 } else { 128 };
        let table = s.get(1..1 + size).ok_or("short DQT")?;
        let mut q = [0u16; 64];
        for (z, v) in q.iter_mut().enumerate() {
            *v = if precision == 0 {
                u16::from(table[z])
            } else {
                u16::from_be_bytes([table[2 * z], table[2 * z + 1]])
            };
        }
        quant[id] = Some(q);
        s = &s[1 + size..];
    }
    Ok(())
}

/// Bits of lookahead in [`Huffman::ac`].
const AC_LOOKAHEAD: u32 = 10;

/// A canonical Huffman decoder (ITU T.81 F.2.2.3) with an 8-bit lookahead table.
struct Huffman {
    /// For codes of up to 8 bits, indexed by the next 8 bits: (length, symbol); length 0 if longer.
    fast: [(u8, u8); 256],
    /// For an AC table, indexed by the next [`AC_LOOKAHEAD`] bits, a whole run/size symbol with
    /// its magnitude bits where both fit: bits consumed (low byte; 0 if they do not fit), zigzag
    /// positions advanced (next byte: run + 1, 16 for ZRL, 64 for end of block) and the
    /// coefficient (high 16 bits, signed; 0 for ZRL and end of block). Most coefficients of a
    /// photo are small, so most take one lookup instead of a decode and a separate read.
    ac: Box<[u32; 1 << AC_LOOKAHEAD]>,
    max_code: [i32; 17],
    offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8], values: &[u8]) -> Result<Huffman, Declined> {
        let mut fast = [(0u8, 0u8); 256];
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16 {
            let n = usize::from(counts[len - 1]);
            offset[len] = k as i32 - code;
            for _ in 0..n {
                if code >= 1 << len {
                    return Err("over-subscribed Huffman table");
                }
                if len <= 8 {
                    let shift = 8 - len;
                    let base = (code << shift) as usize;
                    for slot in &mut fast[base..base + (1 << shift)] {
                        *slot = (len as u8, values[k]);
                    }
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                max_code[len] = code - 1;
            }
            code <<= 1;
        }
        let mut ac = Box::new([0u32; 1 << AC_LOOKAHEAD]);
        for (index, entry) in ac.iter_mut().enumerate() {
            let (len, rs) = fast[index >> (AC_LOOKAHEAD - 8)];
            let (len, r, size) = (u32::from(len), u32::from(rs >> 4), u32::from(rs & 15));
            if len == 0 || len + size > AC_LOOKAHEAD {
                continue;
            }
            let (advance, value) = match (r, size) {
                (_, 0) if r == 15 => (16, 0),
                (_, 0) => (64, 0),
                _ => {
                    let raw = (index as u32 >> (AC_LOOKAHEAD - len - size)) & ((1 << size) - 1);
                    let value = if raw < 1 << (size - 1) {
                        raw as i32 - (1 << size) + 1
                    } else {
                        raw as i32
                    };
                    (r + 1, value)
                }
            };
            *entry = (value as u32) << 16 | advance << 8 | (len + size);
        }
        Ok(Huffman {
            fast,
            ac,
            max_code,
            offset,
            values: values.to_vec(),
        })
    }

    #[inline(always)]
    fn decode(&self, bits: &mut Bits) -> Result<u8, Declined> {
        let (len, symbol) = self.fast[bits.peek(8) as usize];
        if len > 0 {
            bits.consume(u32::from(len));
            return Ok(symbol);
        }
        self.decode_long(bits)
    }

    /// A code longer than the lookahead table covers.
    #[cold]
    fn decode_long(&self, bits: &mut Bits) -> Result<u8, Declined> {
        let next = bits.peek(16) as i32;
        for len in 9..=16 {
            let code = next >> (16 - len);
            if code <= self.max_code[len] {
                bits.consume(len as u32);
                return self
                    .values
                    .get((code + self.offset[len]) as usize)
                    .copied()
                    .ok_or("bad Huffman code");
            }
        }
        Err("bad Huffman code")
    }
}

/// Entropy-coded bits: removes byte stuffing, stops at markers, handles restarts.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// Buffered bits, left-aligned: the next bit is the top one.
    acc: u64,
    /// Bits held in `acc`.
    count: u32,
    /// Of those, the trailing zero bits added after a marker stopped the data.
    padding: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            acc: 0,
            count: 0,
            padding: 0,
        }
    }

    /// Tops `acc` up to at least 57 bits.
    #[inline]
    fn fill(&mut self) {
        // Eight bytes at once when none is 0xFF (no stuffing, no marker): the common case.
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let w = u64::from_be_bytes(chunk.try_into().unwrap_or([0xFF; 8]));
            let has_ff = (!w).wrapping_sub(0x0101_0101_0101_0101) & w & 0x8080_8080_8080_8080;
            if has_ff == 0 && self.padding == 0 {
                let take = (64 - self.count) / 8;
                self.acc |= (w >> (64 - 8 * take)) << (64 - self.count - 8 * take);
                self.count += 8 * take;
                self.pos += take as usize;
                return;
            }
        }
        while self.count <= 56 {
            let byte = match self.data.get(self.pos) {
                Some(0xFF) if self.data.get(self.pos + 1) == Some(&0x00) => {
                    self.pos += 2;
                    0xFF
                }
                Some(0xFF) | None => {
                    // A marker (or the end): libjpeg feeds zeros from here, and so do we.
                    self.padding += 8;
                    0
                }
                Some(&b) => {
                    self.pos += 1;
                    b
                }
            };
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    /// The next `n` (1–16) bits, without consuming them.
    #[inline]
    fn peek(&mut self, n: u32) -> u32 {
        if self.count < n {
            self.fill();
        }
        (self.acc >> (64 - n)) as u32
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    #[inline]
    fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.consume(n);
        v
    }

    #[inline]
    fn bit(&mut self) -> bool {
        self.bits(1) == 1
    }

    /// A `size`-bit magnitude category value (ITU T.81 F.2.2.1).
    #[inline]
    fn receive_extend(&mut self, size: u8) -> i32 {
        let size = u32::from(size.min(16));
        let v = self.bits(size) as i32;
        if size > 0 && v < (1 << (size - 1)) {
            v - (1 << size) + 1
        } else {
            v
        }
    }

    /// Whether decoding read into the zeros past the data: the scan was cut short. Checked at
    /// each restart and scan end rather than per read; until then the zeros decode harmlessly.
    fn overran(&self) -> Result<(), Declined> {
        if self.count < self.padding {
            return Err("entropy data ends inside a scan");
        }
        Ok(())
    }

    /// At a restart interval: drops the byte's padding bits and the RSTn marker.
    fn restart(&mut self) -> Result<(), Declined> {
        self.overran()?;
        // Whole bytes still buffered mean data before the marker that the interval did not use.
        if self.count - self.padding >= 8 {
            return Err("restart marker not where the interval ends");
        }
        while self.data.get(self.pos) == Some(&0xFF) && self.data.get(self.pos + 1) == Some(&0xFF) {
            self.pos += 1;
        }
        match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
            (Some(0xFF), Some(0xD0..=0xD7)) => self.pos += 2,
            _ => return Err("missing restart marker"),
        }
        self.acc = 0;
        self.count = 0;
        self.padding = 0;
        Ok(())
    }
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
