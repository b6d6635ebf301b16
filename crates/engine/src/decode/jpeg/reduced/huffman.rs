//! Huffman tables with a lookahead table for short codes, and the bit reader with its
//! restart-marker handling.

use super::*;

/// Bits of lookahead in [`Huffman::ac`].
pub(super) const AC_LOOKAHEAD: u32 = 10;

/// A canonical Huffman decoder (ITU T.81 F.2.2.3) with an 8-bit lookahead table.
pub(super) struct Huffman {
    /// For codes of up to 8 bits, indexed by the next 8 bits: (length, symbol); length 0 if longer.
    pub(super) fast: [(u8, u8); 256],
    /// For an AC table, indexed by the next [`AC_LOOKAHEAD`] bits, a whole run/size symbol with
    /// its magnitude bits where both fit: bits consumed (low byte; 0 if they do not fit), zigzag
    /// positions advanced (next byte: run + 1, 16 for ZRL, 64 for end of block) and the
    /// coefficient (high 16 bits, signed; 0 for ZRL and end of block). Most coefficients of a
    /// photo are small, so most take one lookup instead of a decode and a separate read.
    pub(super) ac: Box<[u32; 1 << AC_LOOKAHEAD]>,
    pub(super) max_code: [i32; 17],
    pub(super) offset: [i32; 17],
    pub(super) values: Vec<u8>,
}

impl Huffman {
    pub(super) fn new(counts: &[u8], values: &[u8]) -> Result<Huffman, Declined> {
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
    pub(super) fn decode(&self, bits: &mut Bits) -> Result<u8, Declined> {
        let (len, symbol) = self.fast[bits.peek(8) as usize];
        if len > 0 {
            bits.consume(u32::from(len));
            return Ok(symbol);
        }
        self.decode_long(bits)
    }

    /// A code longer than the lookahead table covers.
    #[cold]
    pub(super) fn decode_long(&self, bits: &mut Bits) -> Result<u8, Declined> {
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
pub(super) struct Bits<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    /// Buffered bits, left-aligned: the next bit is the top one.
    pub(super) acc: u64,
    /// Bits held in `acc`.
    pub(super) count: u32,
    /// Of those, the trailing zero bits added after a marker stopped the data.
    pub(super) padding: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
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
    pub(super) fn fill(&mut self) {
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
    pub(super) fn peek(&mut self, n: u32) -> u32 {
        if self.count < n {
            self.fill();
        }
        (self.acc >> (64 - n)) as u32
    }

    #[inline]
    pub(super) fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    #[inline]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.consume(n);
        v
    }

    #[inline]
    pub(super) fn bit(&mut self) -> bool {
        self.bits(1) == 1
    }

    /// A `size`-bit magnitude category value (ITU T.81 F.2.2.1).
    #[inline]
    pub(super) fn receive_extend(&mut self, size: u8) -> i32 {
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
    pub(super) fn overran(&self) -> Result<(), Declined> {
        if self.count < self.padding {
            return Err("entropy data ends inside a scan");
        }
        Ok(())
    }

    /// At a restart interval: drops the byte's padding bits and the RSTn marker.
    pub(super) fn restart(&mut self) -> Result<(), Declined> {
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
