//! ISO-BMFF containers (AVIF/HEIF) built from a structure the fuzzer mutates: `ftyp`, then a
//! `meta` with `pitm`, `iinf` entries, `iloc` with any field sizes, extent counts, offsets and
//! lengths, `iref` grids, `iprp` properties (`ispe`, `auxC`), `idat`, and an `mdat` of bytes,
//! through the whole engine. Every file must decode or be refused from its boxes: never more
//! bytes copied than the file holds (-rss_limit_mb), never a hang (-timeout), never a panic in
//! our crates.
#![no_main]


use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

#[derive(Arbitrary, Debug)]
struct Item {
    id: u16,
    grid: bool,
    method: u8,
    extents: Vec<(u32, u32)>,
    /// Extra extents of no bytes at all (field sizes 0): the "to the end" trick.
    empty_extents: u16,
}

#[derive(Arbitrary, Debug)]
struct File {
    primary: u16,
    items: Vec<Item>,
    /// `iloc` field sizes: offset, length, base offset (each 0, 4 or 8 when valid).
    sizes: (u8, u8, u8),
    grid_tiles: Vec<u16>,
    grid_layout: (u8, u8, u16, u16),
    ispe: (u32, u32),
    idat: Vec<u8>,
    mdat: Vec<u8>,
}

fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8).unwrap_or(u32::MAX).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn sized(v: u64, size: u8) -> Vec<u8> {
    match size {
        4 => (v as u32).to_be_bytes().to_vec(),
        8 => v.to_be_bytes().to_vec(),
        _ => Vec::new(),
    }
}

fn build(f: &File) -> Vec<u8> {
    let items = &f.items[..f.items.len().min(64)];
    let pitm = bx(b"pitm", &[&[0u8, 0, 0, 0][..], &f.primary.to_be_bytes()].concat());
    let mut iinf = vec![0, 0, 0, 0];
    iinf.extend(u16::try_from(items.len()).unwrap_or(0).to_be_bytes());
    for it in items {
        let kind: &[u8; 4] = if it.grid { b"grid" } else { b"av01" };
        let mut infe = vec![2, 0, 0, 0];
        infe.extend(it.id.to_be_bytes());
        infe.extend([0, 0]);
        infe.extend(kind);
        iinf.extend(bx(b"infe", &infe));
    }
    let (o, l, b) = (f.sizes.0 % 9, f.sizes.1 % 9, f.sizes.2 % 9);
    let mut iloc = vec![1, 0, 0, 0];
    iloc.push((o << 4) | l);
    iloc.push(b << 4);
    iloc.extend(u16::try_from(items.len()).unwrap_or(0).to_be_bytes());
    for it in items {
        iloc.extend(it.id.to_be_bytes());
        iloc.extend([0, it.method % 3, 0, 0]);
        iloc.extend(sized(0, b));
        let count = it.extents.len().min(64) + usize::from(it.empty_extents);
        iloc.extend(u16::try_from(count).unwrap_or(u16::MAX).to_be_bytes());
        for (off, len) in it.extents.iter().take(64) {
            iloc.extend(sized(u64::from(*off), o));
            iloc.extend(sized(u64::from(*len), l));
        }
    }
    let mut iref = vec![0, 0, 0, 0];
    let mut dimg = f.primary.to_be_bytes().to_vec();
    let tiles = &f.grid_tiles[..f.grid_tiles.len().min(256)];
    dimg.extend(u16::try_from(tiles.len()).unwrap_or(0).to_be_bytes());
    for t in tiles {
        dimg.extend(t.to_be_bytes());
    }
    iref.extend(bx(b"dimg", &dimg));
    let mut ispe = vec![0, 0, 0, 0];
    ispe.extend(f.ispe.0.to_be_bytes());
    ispe.extend(f.ispe.1.to_be_bytes());
    let ipco = bx(b"ipco", &bx(b"ispe", &ispe));
    let mut ipma = vec![0, 0, 0, 0, 0, 0, 0, 1];
    ipma.extend(f.primary.to_be_bytes());
    ipma.extend([1, 0x81]);
    let iprp = bx(b"iprp", &[ipco, bx(b"ipma", &ipma)].concat());
    let mut meta = vec![0, 0, 0, 0];
    for part in [
        bx(b"hdlr", &[0, 0, 0, 0, 0, 0, 0, 0, b'p', b'i', b'c', b't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        pitm,
        bx(b"iinf", &iinf),
        bx(b"iloc", &iloc),
        bx(b"iref", &iref),
        iprp,
        bx(b"idat", &[&[0u8, f.grid_layout.0 & 1, f.grid_layout.0, f.grid_layout.1][..], &f.grid_layout.2.to_be_bytes(), &f.grid_layout.3.to_be_bytes(), &f.idat[..f.idat.len().min(4096)]].concat()),
    ] {
        meta.extend(part);
    }
    let mut file = bx(b"ftyp", b"avif\0\0\0\0avifmif1miaf");
    file.extend(bx(b"meta", &meta));
    file.extend(bx(b"mdat", &f.mdat[..f.mdat.len().min(65_536)]));
    file
}

fuzz_target!(init: common::our_panics_only(), |f: File| {
    common::render_small_png(&build(&f));
});
