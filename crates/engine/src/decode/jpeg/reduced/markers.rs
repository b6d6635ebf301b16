//! Marker-level reading: segments, entropy-coded data, scan headers, Huffman and
//! quantisation tables.

use super::*;

/// Marker-level reading of the byte stream.
pub(super) struct Reader<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(super) fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub(super) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }

    /// The next marker code, skipping fill bytes.
    pub(super) fn marker(&mut self) -> Result<u8, Declined> {
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
    pub(super) fn segment(&mut self) -> Result<&'a [u8], Declined> {
        let len = usize::from(be16(self.data, self.pos).ok_or("file ends in a marker")?);
        if len < 2 || self.pos + len > self.data.len() {
            return Err("marker segment overruns the file");
        }
        let s = &self.data[self.pos + 2..self.pos + len];
        self.pos += len;
        Ok(s)
    }

    /// Moves to the next marker that is not a restart marker or a stuffed 0xFF.
    pub(super) fn skip_entropy_data(&mut self) {
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

pub(super) struct Scan {
    /// Frame component indices, in scan order.
    pub(super) comps: Vec<usize>,
    pub(super) dc_tables: Vec<usize>,
    pub(super) ac_tables: Vec<usize>,
    pub(super) ss: u8,
    pub(super) se: u8,
    pub(super) ah: u8,
    pub(super) al: u8,
}

impl Scan {
    pub(super) fn parse(s: &[u8], f: &Frame) -> Result<Scan, Declined> {
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

pub(super) fn parse_dht(
    mut s: &[u8],
    tables: &mut [[Option<Huffman>; 4]; 2],
) -> Result<(), Declined> {
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

pub(super) fn parse_dqt(mut s: &[u8], quant: &mut [Option<Quant>; 4]) -> Result<(), Declined> {
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
