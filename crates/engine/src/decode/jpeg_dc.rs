//! 1/8-scale decoding of progressive JPEGs from their DC scans alone.
//!
//! At 1/8 scale every 8×8 block becomes one pixel, its DC coefficient (the block mean). A
//! progressive file stores the DC coefficients in scans of their own, a few percent of its bytes;
//! the AC scans after them hold the rest. libjpeg decodes every scan into a coefficient buffer
//! for the whole image (71 MB for an 18 MP photo) before it outputs a row, so a thumbnail of a
//! progressive original costs as much as a full decode. This reads the DC scans, steps over the
//! AC scans' bytes without decoding them, and needs a few bytes per block.
//!
//! Anything it does not handle (baseline or arithmetic coding, CMYK, 4:2:0 and other chroma
//! subsampled both ways, damaged entropy data) makes it decline with the reason, and the caller
//! decodes with libjpeg, which also reports real errors.

use crate::raster::Raster;

/// Why the DC path declined; the caller falls back to libjpeg.
pub type Declined = &'static str;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOF2: u8 = 0xC2;
const DHT: u8 = 0xC4;
const DQT: u8 = 0xDB;
const DRI: u8 = 0xDD;
const SOS: u8 = 0xDA;
const APP14: u8 = 0xEE;

/// Decodes `bytes`, a progressive JPEG, to RGB at 1/8 scale: ⌈width/8⌉ × ⌈height/8⌉, the size
/// libjpeg gives at that scale. Declines a frame of more than `max_pixels`.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<Raster, Declined> {
    let mut r = Reader::new(bytes);
    if r.marker()? != SOI {
        return Err("no SOI marker");
    }
    let mut frame: Option<Frame> = None;
    let mut dc_tables: [Option<Huffman>; 4] = Default::default();
    let mut dc_quant = [None::<u16>; 4];
    let mut restart_interval = 0usize;
    let mut adobe_transform = None;
    loop {
        let marker = r.marker()?;
        match marker {
            EOI => break,
            SOF2 => {
                if frame.is_some() {
                    return Err("second frame header");
                }
                let f = Frame::parse(r.segment()?)?;
                if (f.width as u64) * (f.height as u64) > max_pixels {
                    return Err("frame larger than the pixel limit");
                }
                frame = Some(f);
            }
            0xC0 | 0xC1 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err("not a progressive Huffman JPEG");
            }
            DHT => parse_dht(r.segment()?, &mut dc_tables)?,
            DQT => parse_dqt(r.segment()?, &mut dc_quant)?,
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
                let scan = Scan::parse(r.segment()?, f)?;
                if scan.ss != 0 {
                    // An AC scan: its coefficients are not needed at 1/8 scale.
                    r.skip_entropy_data();
                    continue;
                }
                for &ci in &scan.comps {
                    let c = &mut f.comps[ci];
                    if c.quant.is_none() {
                        // libjpeg latches a component's table at its first scan.
                        c.quant = dc_quant[c.tq];
                    }
                }
                let end = f.decode_dc_scan(&scan, r.rest(), &dc_tables, restart_interval)?;
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
    f.to_rgb()
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
    quant: Option<u16>,
    dc: Vec<i32>,
    /// Lowest DC bit decoded so far (successive approximation), None before the first DC scan.
    dc_low_bit: Option<u8>,
}

struct Frame {
    width: usize,
    height: usize,
    h_max: usize,
    v_max: usize,
    mcus_x: usize,
    mcus_y: usize,
    comps: Vec<Component>,
}

impl Frame {
    fn parse(s: &[u8]) -> Result<Frame, Declined> {
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
        if raw.iter().any(|&(_, h, v, _)| h < h_max && v < v_max) {
            // libjpeg scales such a component up in the IDCT, from its AC coefficients (a
            // 2×2 IDCT at 1/8 scale); interpolating its DC values lost that detail (mean error
            // 2.3 against libjpeg's 0.6 on a 4:2:0 photo).
            return Err("chroma subsampled both ways");
        }
        let mcus_x = width.div_ceil(8 * h_max);
        let mcus_y = height.div_ceil(8 * v_max);
        let comps = raw
            .into_iter()
            .map(|(id, h, v, tq)| {
                let grid_w = mcus_x * h;
                Component {
                    id,
                    h,
                    v,
                    tq,
                    grid_w,
                    blocks_w: (width * h).div_ceil(h_max).div_ceil(8),
                    blocks_h: (height * v).div_ceil(v_max).div_ceil(8),
                    quant: None,
                    dc: vec![0; grid_w * mcus_y * v],
                    dc_low_bit: None,
                }
            })
            .collect();
        Ok(Frame {
            width,
            height,
            h_max,
            v_max,
            mcus_x,
            mcus_y,
            comps,
        })
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
        // Coding units: whole MCUs when interleaved, else the component's own blocks (T.81 A.2).
        let interleaved = scan.comps.len() > 1;
        let (units_x, units_y) = if interleaved {
            (self.mcus_x, self.mcus_y)
        } else {
            let c = &self.comps[scan.comps[0]];
            (c.blocks_w, c.blocks_h)
        };
        let mut bits = Bits::new(data);
        let mut pred = [0i32; 4];
        let total = units_x * units_y;
        for unit in 0..total {
            if restart_interval > 0 && unit > 0 && unit % restart_interval == 0 {
                bits.restart()?;
                pred = [0; 4];
            }
            let (ux, uy) = (unit % units_x, unit / units_x);
            for (k, &ci) in scan.comps.iter().enumerate() {
                let c = &mut self.comps[ci];
                let (bw, bh) = if interleaved { (c.h, c.v) } else { (1, 1) };
                for by in 0..bh {
                    for bx in 0..bw {
                        let idx = (uy * bh + by) * c.grid_w + ux * bw + bx;
                        if first {
                            let size = huff[k].decode(&mut bits)?;
                            if size > 11 {
                                return Err("DC difference too large");
                            }
                            // Wrapping: hostile data may run the predictor out of range.
                            pred[k] = pred[k].wrapping_add(bits.receive_extend(size)?);
                            c.dc[idx] = pred[k].wrapping_shl(u32::from(scan.al));
                        } else if bits.bit()? {
                            c.dc[idx] |= 1 << scan.al;
                        }
                    }
                }
            }
        }
        for &ci in &scan.comps {
            self.comps[ci].dc_low_bit = Some(scan.al);
        }
        Ok(bits.pos)
    }

    fn to_rgb(&self) -> Result<Raster, Declined> {
        let (out_w, out_h) = (self.width.div_ceil(8), self.height.div_ceil(8));
        let mut planes = Vec::with_capacity(self.comps.len());
        for c in &self.comps {
            if c.dc_low_bit != Some(0) {
                return Err("DC coefficients incomplete");
            }
            let q = i64::from(c.quant.ok_or("component without a quantisation table")?);
            // libjpeg's 1×1 IDCT: the dequantised DC over 8, rounded, level-shifted, clamped.
            let sample = |dc: i32| {
                ((i64::from(dc) * q + 4) >> 3)
                    .saturating_add(128)
                    .clamp(0, 255) as u8
            };
            // At 1/8 scale a component's plane is one sample per block.
            let (pw, ph) = (c.blocks_w, c.blocks_h);
            let mut plane = Vec::with_capacity(pw * ph);
            for y in 0..ph {
                plane.extend(
                    c.dc[y * c.grid_w..y * c.grid_w + pw]
                        .iter()
                        .map(|&d| sample(d)),
                );
            }
            planes.push(upsample(
                &plane,
                (pw, ph),
                (self.h_max / c.h, self.v_max / c.v),
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
}

/// Scales a subsampled plane up by whole factors with centred linear interpolation (libjpeg's
/// "fancy" upsampling for factors of 2).
fn upsample(
    plane: &[u8],
    (pw, ph): (usize, usize),
    (fx, fy): (usize, usize),
    (w, h): (usize, usize),
) -> Vec<u8> {
    if (fx, fy) == (1, 1) && (pw, ph) == (w, h) {
        return plane.to_vec();
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
    y.iter()
        .zip(cb)
        .zip(cr)
        .flat_map(|((&y, &cb), &cr)| {
            let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
            [
                px(y + ((91_881 * cr + 32_768) >> 16)),
                px(y + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16)),
                px(y + ((116_130 * cb + 32_768) >> 16)),
            ]
        })
        .collect()
}

struct Scan {
    /// Frame component indices, in scan order.
    comps: Vec<usize>,
    dc_tables: Vec<usize>,
    ss: u8,
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
            let td = usize::from(tables >> 4);
            if td > 3 {
                return Err("table index out of range");
            }
            comps.push(ci);
            dc_tables.push(td);
        }
        let (ss, se, a) = (s[1 + 2 * n], s[2 + 2 * n], s[3 + 2 * n]);
        let (ah, al) = (a >> 4, a & 15);
        if ss == 0 && se != 0 {
            return Err("scan mixes DC and AC");
        }
        if al > 13 {
            return Err("successive approximation out of range");
        }
        Ok(Scan {
            comps,
            dc_tables,
            ss,
            ah,
            al,
        })
    }
}

fn parse_dht(mut s: &[u8], tables: &mut [Option<Huffman>; 4]) -> Result<(), Declined> {
    while !s.is_empty() {
        let tc_th = s[0];
        let counts = s.get(1..17).ok_or("short DHT")?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values = s.get(17..17 + total).ok_or("short DHT")?;
        let (class, id) = (tc_th >> 4, usize::from(tc_th & 15));
        if class > 1 || id > 3 {
            return Err("Huffman table class or index out of range");
        }
        if class == 0 {
            tables[id] = Some(Huffman::new(counts, values)?);
        }
        s = &s[17 + total..];
    }
    Ok(())
}

fn parse_dqt(mut s: &[u8], dc_quant: &mut [Option<u16>; 4]) -> Result<(), Declined> {
    while !s.is_empty() {
        let (precision, id) = (s[0] >> 4, usize::from(s[0] & 15));
        if id > 3 || precision > 1 {
            return Err("quantisation table index or precision out of range");
        }
        let size = if precision == 0 { 64 } else { 128 };
        let table = s.get(1..1 + size).ok_or("short DQT")?;
        dc_quant[id] = Some(if precision == 0 {
            u16::from(table[0])
        } else {
            u16::from_be_bytes([table[0], table[1]])
        });
        s = &s[1 + size..];
    }
    Ok(())
}

/// A canonical Huffman decoder (ITU T.81 F.2.2.3) with an 8-bit lookahead table.
struct Huffman {
    /// For codes of up to 8 bits, indexed by the next 8 bits: (length, symbol); length 0 if longer.
    fast: [(u8, u8); 256],
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
        Ok(Huffman {
            fast,
            max_code,
            offset,
            values: values.to_vec(),
        })
    }

    fn decode(&self, bits: &mut Bits) -> Result<u8, Declined> {
        let (len, symbol) = self.fast[bits.peek8() as usize];
        if len > 0 {
            bits.consume(u32::from(len))?;
            return Ok(symbol);
        }
        let mut code = 0i32;
        for len in 1..=16 {
            code = (code << 1) | i32::from(bits.bit()?);
            if code <= self.max_code[len] {
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
    acc: u64,
    /// Bits held in `acc` (the low `count` bits, most significant first).
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

    fn fill(&mut self) {
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
            self.acc = (self.acc << 8) | u64::from(byte);
            self.count += 8;
        }
    }

    fn peek8(&mut self) -> u32 {
        if self.count < 8 {
            self.fill();
        }
        ((self.acc >> (self.count - 8)) & 0xFF) as u32
    }

    fn consume(&mut self, n: u32) -> Result<(), Declined> {
        if self.count < n {
            self.fill();
        }
        self.count -= n;
        self.acc &= (1u64 << self.count) - 1;
        if self.count < self.padding {
            return Err("entropy data ends inside a scan");
        }
        Ok(())
    }

    fn bits(&mut self, n: u32) -> Result<u32, Declined> {
        if n == 0 {
            return Ok(0);
        }
        if self.count < n {
            self.fill();
        }
        let v = (self.acc >> (self.count - n)) as u32 & ((1u32 << n) - 1);
        self.consume(n)?;
        Ok(v)
    }

    fn bit(&mut self) -> Result<bool, Declined> {
        Ok(self.bits(1)? == 1)
    }

    /// A `size`-bit magnitude category value (ITU T.81 F.2.2.1).
    fn receive_extend(&mut self, size: u8) -> Result<i32, Declined> {
        let size = u32::from(size);
        let v = self.bits(size)? as i32;
        Ok(if size > 0 && v < (1 << (size - 1)) {
            v - (1 << size) + 1
        } else {
            v
        })
    }

    /// At a restart interval: drops the byte's padding bits and the RSTn marker.
    fn restart(&mut self) -> Result<(), Declined> {
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
        let out = upsample(&[0, 100], (2, 1), (2, 1), (4, 1));
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
    fn declines_baseline_and_garbage() {
        assert!(decode(b"not a jpeg", u64::MAX).is_err());
        assert_eq!(
            decode(&[0xFF, 0xD8, 0xFF, 0xC0, 0, 2], u64::MAX).err(),
            Some("not a progressive Huffman JPEG")
        );
    }
}
