//! The HEIF item structure avif-parse does not assemble: grid (collage) images. Reads just
//! enough of `meta` (pitm, iinf, iloc, iref, idat, ipco/ipma for alpha `auxC`) to find the
//! grid's layout, its tiles' AV1 payloads, and an alpha item if one is attached.

use crate::error::{EngineError, undecodable};

/// Most tiles a grid may reference: the format caps rows and columns at 256 each, and
/// anything near that is a decoder-exhaustion attempt rather than a photo.
const MAX_TILES: usize = 1024;

/// A grid image: its output size, tile layout and each tile's AV1 payload, row-major.
pub struct Grid {
    pub rows: usize,
    pub columns: usize,
    pub width: u32,
    pub height: u32,
    pub tiles: Vec<Vec<u8>>,
    /// The alpha item: itself a grid or a single AV1 payload.
    pub alpha: Option<Box<Item>>,
}

/// An image item: one coded AV1 payload or a grid of them.
pub enum Item {
    Coded(Vec<u8>),
    Grid(Grid),
}

struct Entry {
    id: u32,
    kind: [u8; 4],
}

struct Extent {
    offset: u64,
    length: u64,
}

struct Location {
    id: u32,
    method: u8,
    extents: Vec<Extent>,
}

struct Reference {
    kind: [u8; 4],
    from: u32,
    to: Vec<u32>,
}

/// The parsed `meta` box of one file.
struct Meta<'a> {
    file: &'a [u8],
    primary: u32,
    entries: Vec<Entry>,
    locations: Vec<Location>,
    references: Vec<Reference>,
    idat: &'a [u8],
    /// Items whose associated properties include an alpha `auxC`.
    alpha_items: Vec<u32>,
}

/// Returns the primary item if it is a grid, `None` for any other layout (left to avif-parse).
pub fn primary_grid(file: &[u8]) -> Result<Option<Grid>, EngineError> {
    let Some(meta) = Meta::parse(file)? else {
        return Ok(None);
    };
    if meta.kind(meta.primary) != Some(*b"grid") {
        return Ok(None);
    }
    let Item::Grid(mut grid) = meta.item(meta.primary, 0)? else {
        return Ok(None);
    };
    let alpha = meta
        .references
        .iter()
        .filter(|r| &r.kind == b"auxl" && r.to.contains(&meta.primary))
        .map(|r| r.from)
        .find(|id| meta.alpha_items.contains(id));
    if let Some(id) = alpha {
        grid.alpha = Some(Box::new(meta.item(id, 0)?));
    }
    Ok(Some(grid))
}

impl<'a> Meta<'a> {
    fn parse(file: &'a [u8]) -> Result<Option<Meta<'a>>, EngineError> {
        let Some(meta) = Boxes::new(file).find(|(kind, _)| kind == b"meta") else {
            return Ok(None);
        };
        let mut meta_body = Reader::new(meta.1);
        meta_body.take(4)?; // full box version and flags
        let mut out = Meta {
            file,
            primary: 0,
            entries: Vec::new(),
            locations: Vec::new(),
            references: Vec::new(),
            idat: &[],
            alpha_items: Vec::new(),
        };
        let mut alpha_props = Vec::new();
        let mut associations = Vec::new();
        for (kind, body) in Boxes::new(meta_body.rest()) {
            let mut r = Reader::new(body);
            match &kind {
                b"pitm" => {
                    let v = r.u8()?;
                    r.take(3)?;
                    out.primary = r.id(v > 0)?;
                }
                b"iinf" => out.entries = parse_iinf(&mut r)?,
                b"iloc" => out.locations = parse_iloc(&mut r)?,
                b"iref" => out.references = parse_iref(&mut r)?,
                b"idat" => out.idat = body,
                b"iprp" => {
                    for (kind, body) in Boxes::new(body) {
                        match &kind {
                            b"ipco" => alpha_props = alpha_property_indices(body),
                            b"ipma" => associations = parse_ipma(&mut Reader::new(body))?,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out.alpha_items = associations
            .into_iter()
            .filter(|(_, props)| props.iter().any(|p| alpha_props.contains(p)))
            .map(|(id, _)| id)
            .collect();
        Ok(Some(out))
    }

    fn kind(&self, id: u32) -> Option<[u8; 4]> {
        self.entries.iter().find(|e| e.id == id).map(|e| e.kind)
    }

    fn item(&self, id: u32, depth: u8) -> Result<Item, EngineError> {
        match self.kind(id).as_ref() {
            Some(b"av01") => Ok(Item::Coded(self.data(id)?)),
            Some(b"grid") if depth == 0 => self.grid(id).map(Item::Grid),
            Some(b"grid") => Err(undecodable("AVIF: nested grid items are not allowed")),
            Some(k) => Err(undecodable(format!(
                "AVIF: item type {:?} is not an image this decoder knows",
                String::from_utf8_lossy(k)
            ))),
            None => Err(undecodable(format!("AVIF: item {id} is not in iinf"))),
        }
    }

    fn grid(&self, id: u32) -> Result<Grid, EngineError> {
        let desc = self.data(id)?;
        let mut r = Reader::new(&desc);
        r.u8()?; // version
        let flags = r.u8()?;
        let rows = usize::from(r.u8()?) + 1;
        let columns = usize::from(r.u8()?) + 1;
        let (width, height) = if flags & 1 == 1 {
            (r.u32()?, r.u32()?)
        } else {
            (u32::from(r.u16()?), u32::from(r.u16()?))
        };
        let tiles: Vec<u32> = self
            .references
            .iter()
            .find(|r| &r.kind == b"dimg" && r.from == id)
            .map(|r| r.to.clone())
            .unwrap_or_default();
        if tiles.len() != rows * columns || tiles.len() > MAX_TILES {
            return Err(undecodable(format!(
                "AVIF: grid declares {rows}x{columns} tiles but references {}",
                tiles.len()
            )));
        }
        let tiles = tiles
            .iter()
            .map(|&t| match self.kind(t) {
                Some(k) if &k == b"av01" => self.data(t),
                _ => Err(undecodable("AVIF: a grid tile is not an AV1 item")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Grid {
            rows,
            columns,
            width,
            height,
            tiles,
            alpha: None,
        })
    }

    /// The item's bytes, gathered from its extents in the file or in `idat`.
    fn data(&self, id: u32) -> Result<Vec<u8>, EngineError> {
        let loc = self
            .locations
            .iter()
            .find(|l| l.id == id)
            .ok_or_else(|| undecodable(format!("AVIF: item {id} has no location")))?;
        let base: &[u8] = match loc.method {
            0 => self.file,
            1 => self.idat,
            m => {
                return Err(undecodable(format!(
                    "AVIF: item construction method {m} is not supported"
                )));
            }
        };
        // Every extent must lie inside the data, none may overlap another, and a zero length
        // ("to the end") is only meaningful for a lone extent: so an item is never more bytes
        // than the file, however its extents are listed.
        let mut ranges = Vec::with_capacity(loc.extents.len());
        for e in &loc.extents {
            let start = usize::try_from(e.offset).unwrap_or(usize::MAX);
            let end = if e.length == 0 {
                if loc.extents.len() > 1 {
                    return Err(undecodable(format!(
                        "AVIF: item {id} has a to-the-end extent among {} extents",
                        loc.extents.len()
                    )));
                }
                base.len()
            } else {
                start.saturating_add(usize::try_from(e.length).unwrap_or(usize::MAX))
            };
            if start > end || end > base.len() {
                return Err(undecodable(format!(
                    "AVIF: item {id} points past the file end"
                )));
            }
            ranges.push(start..end);
        }
        let mut sorted = ranges.clone();
        sorted.sort_by_key(|r| r.start);
        if sorted.windows(2).any(|w| w[1].start < w[0].end) {
            return Err(undecodable(format!(
                "AVIF: item {id} has overlapping extents"
            )));
        }
        let total: usize = ranges.iter().map(ExactSizeIterator::len).sum();
        let mut out = Vec::with_capacity(total);
        for r in ranges {
            out.extend_from_slice(&base[r]);
        }
        Ok(out)
    }
}

fn parse_iinf(r: &mut Reader<'_>) -> Result<Vec<Entry>, EngineError> {
    let v = r.u8()?;
    r.take(3)?;
    let _count = r.id(v > 0)?;
    let mut out = Vec::new();
    for (kind, body) in Boxes::new(r.rest()) {
        if &kind != b"infe" {
            continue;
        }
        let mut e = Reader::new(body);
        let v = e.u8()?;
        e.take(3)?;
        if v < 2 {
            continue;
        }
        let id = e.id(v > 2)?;
        e.u16()?; // protection index
        let kind = e.fourcc()?;
        out.push(Entry { id, kind });
    }
    Ok(out)
}

/// Extents of one item: real encoders write one per item (a few for interleaved files).
const MAX_EXTENTS: u16 = 1024;

fn parse_iloc(r: &mut Reader<'_>) -> Result<Vec<Location>, EngineError> {
    let v = r.u8()?;
    r.take(3)?;
    let sizes = r.u16()?;
    let (off_size, len_size, base_size) = (sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15);
    let index_size = if v >= 1 { sizes & 15 } else { 0 };
    let count = r.id(v >= 2)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let id = r.id(v >= 2)?;
        let method = if v >= 1 { (r.u16()? & 15) as u8 } else { 0 };
        r.u16()?; // data reference index
        let base = r.sized(base_size)?;
        let extents = r.u16()?;
        if extents > MAX_EXTENTS {
            return Err(undecodable(format!(
                "AVIF: item {id} lists {extents} extents; the limit is {MAX_EXTENTS}"
            )));
        }
        let mut list = Vec::with_capacity(usize::from(extents));
        for _ in 0..extents {
            r.sized(index_size)?;
            let offset = base.saturating_add(r.sized(off_size)?);
            let length = r.sized(len_size)?;
            list.push(Extent { offset, length });
        }
        out.push(Location {
            id,
            method,
            extents: list,
        });
    }
    Ok(out)
}

fn parse_iref(r: &mut Reader<'_>) -> Result<Vec<Reference>, EngineError> {
    let v = r.u8()?;
    r.take(3)?;
    let mut out = Vec::new();
    for (kind, body) in Boxes::new(r.rest()) {
        let mut b = Reader::new(body);
        let from = b.id(v > 0)?;
        let n = b.u16()?;
        let to = (0..n).map(|_| b.id(v > 0)).collect::<Result<_, _>>()?;
        out.push(Reference { kind, from, to });
    }
    Ok(out)
}

/// 1-based indices of the `auxC` properties that declare an alpha plane.
fn alpha_property_indices(ipco: &[u8]) -> Vec<u16> {
    Boxes::new(ipco)
        .enumerate()
        .filter(|(_, (kind, body))| {
            kind == b"auxC"
                && body.get(4..).is_some_and(|urn| {
                    urn.starts_with(b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha")
                        || urn.starts_with(b"urn:mpeg:hevc:2015:auxid:1")
                })
        })
        .filter_map(|(i, _)| u16::try_from(i + 1).ok())
        .collect()
}

fn parse_ipma(r: &mut Reader<'_>) -> Result<Vec<(u32, Vec<u16>)>, EngineError> {
    let v = r.u8()?;
    r.take(2)?;
    let wide = r.u8()? & 1 == 1;
    let count = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let id = r.id(v >= 1)?;
        let n = r.u8()?;
        let mut props = Vec::new();
        for _ in 0..n {
            let p = if wide {
                r.u16()? & 0x7fff
            } else {
                u16::from(r.u8()? & 0x7f)
            };
            props.push(p);
        }
        out.push((id, props));
    }
    Ok(out)
}

/// Iterates the child boxes of a byte range, stopping at the first malformed header.
struct Boxes<'a>(&'a [u8]);

impl<'a> Boxes<'a> {
    fn new(data: &'a [u8]) -> Self {
        Boxes(data)
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = ([u8; 4], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let d = self.0;
        let size = u32::from_be_bytes(d.get(0..4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = d.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, d.len()),
            1 => (
                16,
                usize::try_from(u64::from_be_bytes(d.get(8..16)?.try_into().ok()?)).ok()?,
            ),
            n => (8, n),
        };
        let body = d.get(header..size)?;
        self.0 = &d[size..];
        Some((kind, body))
    }
}

/// Big-endian reads that fail with a specific error instead of panicking on short input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader(data)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], EngineError> {
        if self.0.len() < n {
            return Err(undecodable("AVIF: a metadata box is truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }

    fn u8(&mut self) -> Result<u8, EngineError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, EngineError> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }

    fn u32(&mut self) -> Result<u32, EngineError> {
        Ok((u32::from(self.u16()?) << 16) | u32::from(self.u16()?))
    }

    fn fourcc(&mut self) -> Result<[u8; 4], EngineError> {
        Ok([self.u8()?, self.u8()?, self.u8()?, self.u8()?])
    }

    /// An item id: 16-bit in version-0 boxes, 32-bit otherwise.
    fn id(&mut self, wide: bool) -> Result<u32, EngineError> {
        if wide {
            self.u32()
        } else {
            self.u16().map(u32::from)
        }
    }

    /// An unsigned field of 0, 4 or 8 bytes, as `iloc` declares them.
    fn sized(&mut self, bytes: u16) -> Result<u64, EngineError> {
        match bytes {
            0 => Ok(0),
            4 => self.u32().map(u64::from),
            8 => Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?)),
            n => Err(undecodable(format!(
                "AVIF: iloc field size {n} is not 0, 4 or 8"
            ))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::primary_grid;

    fn refusal(file: &[u8]) -> super::EngineError {
        match primary_grid(file) {
            Err(e) => e,
            Ok(_) => panic!("the file must be refused"),
        }
    }

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A file whose primary item is a grid located by `iloc` (version 1) with the given field
    /// sizes and extents, each extent already encoded.
    fn file(sizes: u16, extents: &[Vec<u8>]) -> Vec<u8> {
        let pitm = bx(b"pitm", &[0, 0, 0, 0, 0, 1]);
        let infe = bx(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'g', b'r', b'i', b'd']);
        let mut iinf_body = vec![0, 0, 0, 0, 0, 1];
        iinf_body.extend(infe);
        let iinf = bx(b"iinf", &iinf_body);
        let mut iloc_body = vec![1, 0, 0, 0];
        iloc_body.extend(sizes.to_be_bytes());
        iloc_body.extend([0, 1, 0, 1, 0, 0, 0, 0]); // one item: id 1, method 0, data ref 0
        iloc_body.extend(u16::try_from(extents.len()).unwrap().to_be_bytes());
        for e in extents {
            iloc_body.extend(e);
        }
        let iloc = bx(b"iloc", &iloc_body);
        let mut meta_body = vec![0, 0, 0, 0];
        for b in [pitm, iinf, iloc] {
            meta_body.extend(b);
        }
        let mut out = bx(b"ftyp", b"avifmif1");
        out.extend(bx(b"meta", &meta_body));
        out.extend(bx(b"mdat", &[0u8; 64]));
        out
    }

    #[test]
    fn zero_length_extents_cannot_copy_the_file_over_and_over() {
        // Fields of size 0: every extent costs no bytes and means "the whole file".
        let bomb = file(0, &vec![Vec::new(); 60_000]);
        let err = refusal(&bomb).to_string();
        assert!(err.contains("60000 extents; the limit is 1024"), "{err}");
        let few = file(0, &vec![Vec::new(); 3]);
        let err = refusal(&few).to_string();
        assert!(err.contains("to-the-end extent among 3"), "{err}");
    }

    #[test]
    fn overlapping_and_outside_extents_are_refused() {
        let extent = |offset: u32, length: u32| {
            let mut e = offset.to_be_bytes().to_vec();
            e.extend(length.to_be_bytes());
            e
        };
        let overlapping = file(0x4400, &[extent(20, 30), extent(30, 30)]);
        let err = refusal(&overlapping).to_string();
        assert!(err.contains("overlapping extents"), "{err}");
        let outside = file(0x4400, &[extent(20, 1 << 30)]);
        let err = refusal(&outside).to_string();
        assert!(err.contains("past the file end"), "{err}");
    }
}
