//! Decompression bombs are refused from the header: a counting allocator proves that no
//! pixel-sized buffer is ever allocated while refusing them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use imgfront_engine::{EngineError, Settings, transform};
use imgfront_spec::{Config, Key, Spec};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        LARGEST.fetch_max(layout.size(), Ordering::SeqCst);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `transform` on `bytes`, returning the result, the peak live bytes and the largest
/// single allocation during the call.
fn measured(bytes: &[u8], query: &str) -> (Result<imgfront_engine::Output, EngineError>, u64, u64) {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/bomb").expect("key");
    let ops = Spec::from_key_and_query(&c, key, query).expect("ops").ops;
    let settings = Settings::request(&c);
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    LARGEST.store(0, Ordering::SeqCst);
    let result = transform(bytes, &ops, &settings);
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(base) as u64;
    (result, peak, LARGEST.load(Ordering::SeqCst) as u64)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid PNG whose header claims `w`×`h` RGBA pixels, with a few bytes of image data.
fn huge_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// A GIF of `frames` 100×100 frames (each tiny to store, 10,000 pixels to decode).
fn many_frame_gif(frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc =
            gif::Encoder::new(&mut out, 100, 100, &[0, 0, 0, 255, 255, 255]).expect("gif");
        let pixels = vec![0u8; 100 * 100];
        for _ in 0..frames {
            let frame = gif::Frame {
                width: 100,
                height: 100,
                buffer: std::borrow::Cow::Borrowed(&pixels),
                ..gif::Frame::default()
            };
            enc.write_frame(&frame).expect("frame");
        }
    }
    out
}

/// An animated WebP whose `w`×`h` canvas holds `frames` frames: each frame alone is under the
/// pixel limit, so only summing the frames refuses it. The frames carry no image data.
fn animated_webp(w: u32, h: u32, frames: u32) -> Vec<u8> {
    let le24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut body = b"WEBP".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        body.extend_from_slice(kind);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
    };
    let mut vp8x = vec![0x02, 0, 0, 0]; // the animation flag
    vp8x.extend(le24(w - 1));
    vp8x.extend(le24(h - 1));
    chunk(b"VP8X", &vp8x);
    chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]);
    for _ in 0..frames {
        let mut anmf = vec![0; 6]; // x, y
        anmf.extend(le24(w - 1));
        anmf.extend(le24(h - 1));
        anmf.extend(le24(100)); // duration
        anmf.push(0);
        chunk(b"ANMF", &anmf);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A real AVIF from the corpus with every `ispe` (image size) box rewritten to `w`×`h`.
fn huge_avif(w: u32, h: u32) -> Vec<u8> {
    let mut b = imgfront_testkit::corpus("sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif");
    let at: Vec<usize> = b
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"ispe")
        .map(|(i, _)| i)
        .collect();
    assert!(!at.is_empty(), "the corpus AVIF has an ispe box");
    for i in at {
        b[i + 8..i + 12].copy_from_slice(&w.to_be_bytes());
        b[i + 12..i + 16].copy_from_slice(&h.to_be_bytes());
    }
    b
}

/// Generated bombs, one per trick, each refused before decoding: the peak stays under 64 MB
/// (in practice far less), whatever the file claims to decode to.
#[test]
fn generated_bombs_are_refused_with_bounded_memory() {
    let nested = {
        let depth = 20_000;
        let mut s =
            String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">"#);
        s.push_str(&"<g>".repeat(depth));
        s.push_str(r#"<rect width="10" height="10"/>"#);
        s.push_str(&"</g>".repeat(depth));
        s.push_str("</svg>");
        s.into_bytes()
    };
    let entities = br#"<?xml version="1.0"?>
<!DOCTYPE svg [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&f;</text></svg>"#
        .to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("PNG 100000×100000", huge_png(100_000, 100_000), "w=640&fmt=webp"),
        ("GIF 6000 frames of 100×100", many_frame_gif(6_000), "w=64&fmt=gif"),
        (
            "animated WebP, 4 frames of 4000×4000 (16 MP each, 64 MP summed)",
            animated_webp(4_000, 4_000, 4),
            "w=64&fmt=webp",
        ),
        ("AVIF claiming 60000×60000", huge_avif(60_000, 60_000), "w=640&fmt=webp"),
        // Few pixels, but more frames than a render may take on (the frame cap).
        ("GIF of 1001 frames of 100×100", many_frame_gif(1_001), "w=64&fmt=png"),
        ("animated WebP of 200,000 1×1 frames", animated_webp(1, 1, 200_000), "w=64&fmt=png"),
        (
            "SVG with a 200000×200000 canvas",
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="200000" height="200000" viewBox="0 0 200000 200000"><rect width="10" height="10"/></svg>"#.to_vec(),
            "fmt=png",
        ),
        ("SVG nested 20,000 deep", nested, "w=64&fmt=png"),
        ("SVG entity expansion", entities, "w=64&fmt=png"),
    ];
    for (name, bytes, query) in cases {
        let (result, peak, largest) = measured(&bytes, query);
        assert!(
            matches!(
                result,
                Err(EngineError::SourceTooLarge(_)
                    | EngineError::Undecodable(_)
                    | EngineError::TooComplex(_))
            ),
            "{name}: {:?}",
            result.map(|o| (o.width, o.height))
        );
        assert!(peak < 64 << 20, "{name}: peak {peak} bytes");
        println!(
            "{name} ({} bytes): {}; peak {peak} bytes, largest allocation {largest} bytes",
            bytes.len(),
            result.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }
}

#[test]
fn bombs_are_refused_without_a_pixel_sized_allocation() {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/bomb").expect("key");
    let ops = Spec::from_key_and_query(&c, key, "w=640&fmt=webp")
        .expect("ops")
        .ops;
    let settings = Settings::request(&c);
    let dir = imgfront_testkit::corpus_dir();
    for (name, w, h) in [
        ("giant-image.jpg", 20000u64, 14000u64),
        ("65536-uint32-limit.png", 65536, 65536),
    ] {
        let bytes = std::fs::read(dir.join(name)).expect("bomb file");
        let base = CURRENT.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        LARGEST.store(0, Ordering::SeqCst);
        let result = transform(&bytes, &ops, &settings);
        let peak = PEAK.load(Ordering::SeqCst) - base;
        let largest = LARGEST.load(Ordering::SeqCst) as u64;
        assert!(
            matches!(result, Err(EngineError::SourceTooLarge(_))),
            "{name}: {result:?}"
        );
        // One row of RGB pixels would already be w*3 bytes; a frame would be w*h*3.
        assert!(
            largest < w * 3,
            "{name}: an allocation of {largest} bytes happened"
        );
        assert!(
            peak < 64 * 1024,
            "{name}: {peak} bytes were live at the peak"
        );
        println!(
            "{name}: refused; peak {peak} bytes, largest single allocation {largest} bytes (a frame is {} bytes)",
            w * h * 3
        );
    }
}
