//! The frame: its components, the coefficients each keeps at the chosen scale, and the scans
//! decoded into them, then output as RGB or as planes.

use super::*;

pub(super) struct Component {
    pub(super) id: u8,
    pub(super) h: usize,
    pub(super) v: usize,
    pub(super) tq: usize,
    /// Blocks across and down in interleaved (MCU) order, padding included.
    pub(super) grid_w: usize,
    /// Blocks that hold image data; non-interleaved scans cover exactly these.
    pub(super) blocks_w: usize,
    pub(super) blocks_h: usize,
    pub(super) quant: Option<Quant>,
    pub(super) dc: Vec<i32>,
    /// Lowest DC bit decoded so far (successive approximation), None before the first DC scan.
    pub(super) dc_low_bit: Option<u8>,
    /// Output pixels per block across and down: k, or more for subsampled chroma so that its
    /// plane comes out at luma size, as libjpeg sizes its IDCTs.
    pub(super) kx: usize,
    pub(super) ky: usize,
    /// Where each zigzag position lives in a block's `ac`.
    pub(super) slots: Slots,
    /// The kept AC coefficients, kx·ky a block (natural order within that corner; slot 0, the
    /// DC, unused). Empty at 1/8 scale.
    pub(super) ac: Vec<i16>,
    /// A block's nonzero coefficients, bit z for zigzag position z: a refinement scan reads a
    /// correction bit for each, kept or not. Empty at 1/8 scale.
    pub(super) nonzero: Vec<u64>,
    /// libjpeg's `coef_bits`: the lowest bit decoded so far at each zigzag position, -1 before.
    pub(super) ac_low_bit: [i8; 64],
}

/// How a frame is read and sized.
#[derive(Clone, Copy)]
pub(super) struct Mode {
    /// Output pixels per block side: the scale numerator.
    pub(super) k: usize,
    /// Progressive (SOF2) rather than baseline or extended sequential (SOF0, SOF1).
    pub(super) progressive: bool,
    /// Each component's IDCT sized by the scale alone (planes for [`Ycc`]), not widened to
    /// luma size for an RGB raster.
    pub(super) native_chroma: bool,
    pub(super) filter: Filter,
}

pub(super) struct Frame {
    /// Output pixels per block side: the scale numerator.
    pub(super) k: usize,
    pub(super) progressive: bool,
    pub(super) filter: Filter,
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) h_max: usize,
    pub(super) v_max: usize,
    pub(super) mcus_x: usize,
    pub(super) mcus_y: usize,
    pub(super) comps: Vec<Component>,
}

impl Frame {
    pub(super) fn parse(s: &[u8], mode: Mode) -> Result<Frame, Declined> {
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
    pub(super) fn dc_only(&self) -> bool {
        self.k == 1 && self.progressive
    }

    /// Coding units of a scan: whole MCUs when interleaved, else the one component's own
    /// blocks (T.81 A.2). Returns units across, units down, and whether it is interleaved.
    pub(super) fn units(&self, scan: &Scan) -> (usize, usize, bool) {
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
    pub(super) fn each_block(
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
    pub(super) fn decode_sequential_scan(
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
    pub(super) fn decode_dc_scan(
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
    pub(super) fn decode_ac_scan(
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
    pub(super) fn plane(&self, c: &Component) -> Result<(Vec<u8>, (usize, usize)), Declined> {
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

    pub(super) fn to_rgb(&self) -> Result<Raster, Declined> {
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
            [y] => crate::decode::expand_grey(y, 1),
            [y, cb, cr] => ycc_to_rgb(y, cb, cr),
            _ => return Err("neither greyscale nor three components"),
        };
        Ok(Raster::new(out_w as u32, out_h as u32, 3, data))
    }

    /// The three planes at their own sizes (a frame parsed with `native_chroma`).
    pub(super) fn to_ycc(&self) -> Result<Ycc, Declined> {
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
