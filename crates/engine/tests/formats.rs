//! Decoder coverage the corpus lacks, made here from scratch: progressive JPEG, palette and
//! 16-bit PNG, lossless WebP, and a decode of every encoder's own output.

use imgfront_engine::probe;
use imgfront_engine::{Settings, transform};
use imgfront_spec::{Config, Key, Ops, Spec};

fn ops(query: &str) -> Ops {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/x").expect("key");
    Spec::from_key_and_query(&c, key, query).expect("query").ops
}

/// A `w`×`h` RGB gradient.
fn gradient(w: u32, h: u32) -> Vec<u8> {
    (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| [(x * 255 / w) as u8, (y * 255 / h) as u8, 128]))
        .collect()
}

fn size_of(bytes: &[u8]) -> (u32, u32) {
    let h = probe::header(probe::sniff(bytes).expect("sniff"), bytes).expect("header");
    (h.width, h.height)
}

#[test]
fn progressive_jpeg_from_the_precompute_encoder_decodes() {
    let c = Config::embedded();
    let png_of = |w: u32, h: u32| {
        let data = gradient(w, h);
        let mut png = Vec::new();
        {
            let mut e = png::Encoder::new(&mut png, w, h);
            e.set_color(png::ColorType::Rgb);
            e.write_header()
                .expect("header")
                .write_image_data(&data)
                .expect("data");
        }
        png
    };
    let sof = |bytes: &[u8], marker: u8| bytes.windows(2).any(|w| w == [0xFF, marker]);
    // 480x360 is above precompute's small_max_pixels (320x320): progressive (SOF2).
    let png = png_of(480, 360);
    let progressive =
        transform(&png, &ops("fmt=jpeg"), &Settings::precompute(&c)).expect("progressive");
    assert!(sof(&progressive.bytes, 0xC2), "not progressive");
    let again = transform(
        &progressive.bytes,
        &ops("w=32&fmt=png"),
        &Settings::request(&c),
    )
    .expect("decode progressive");
    assert_eq!(size_of(&again.bytes), (32, 24));
    let baseline = transform(&png, &ops("fmt=jpeg"), &Settings::request(&c)).expect("baseline");
    assert!(sof(&baseline.bytes, 0xC0), "request path writes baseline");
    // A thumbnail stays baseline even for precompute: its scan headers would cost more.
    let thumb =
        transform(&png_of(64, 48), &ops("fmt=jpeg"), &Settings::precompute(&c)).expect("thumbnail");
    assert!(
        sof(&thumb.bytes, 0xC0),
        "small precompute output is baseline"
    );
}

#[test]
fn palette_and_16_bit_png_decode() {
    let c = Config::embedded();
    let mut palette_png = Vec::new();
    {
        let mut e = png::Encoder::new(&mut palette_png, 16, 8);
        e.set_color(png::ColorType::Indexed);
        e.set_palette(vec![255, 0, 0, 0, 0, 255]);
        e.set_trns(vec![255, 0]);
        let idx: Vec<u8> = (0..16 * 8).map(|i| (i % 2) as u8).collect();
        e.write_header()
            .expect("header")
            .write_image_data(&idx)
            .expect("data");
    }
    let out = transform(&palette_png, &ops("fmt=png"), &Settings::request(&c)).expect("palette");
    let (r, _) = imgfront_engine::decode::png::decode(&out.bytes, 1 << 20).expect("png");
    assert_eq!((r.width, r.height, r.channels), (16, 8, 4));
    assert_eq!(r.pixel(0, 0), [255, 0, 0, 255]);
    assert_eq!(r.pixel(1, 0)[3], 0, "tRNS makes index 1 transparent");

    let mut deep = Vec::new();
    {
        let mut e = png::Encoder::new(&mut deep, 8, 8);
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Sixteen);
        let data: Vec<u8> = (0..64)
            .flat_map(|_| [0xAB, 0xCD, 0x12, 0x34, 0xFF, 0xFF])
            .collect();
        e.write_header()
            .expect("header")
            .write_image_data(&data)
            .expect("data");
    }
    let out = transform(&deep, &ops("fmt=png"), &Settings::request(&c)).expect("16-bit");
    let (r, _) = imgfront_engine::decode::png::decode(&out.bytes, 1 << 20).expect("png");
    assert_eq!(
        r.pixel(3, 3),
        [0xAB, 0x12, 0xFF],
        "16-bit samples keep their high byte"
    );
}

#[test]
fn lossless_webp_decodes() {
    let c = Config::embedded();
    let rgb = gradient(64, 48);
    let lossless = webp::Encoder::from_rgb(&rgb, 64, 48)
        .encode_lossless()
        .to_vec();
    assert_eq!(&lossless[12..16], b"VP8L", "a lossless bitstream");
    let out = transform(&lossless, &ops("fmt=png"), &Settings::request(&c)).expect("lossless");
    let (r, _) = imgfront_engine::decode::png::decode(&out.bytes, 1 << 20).expect("png");
    assert_eq!(r.data, rgb, "lossless round trip is exact");
}
