//! Corpus tests over `../shared/corpus` (real images from sharp's fixtures): every decodable file
//! to every output format, orientation, colour, animation, and broken input.

use imgfront_engine::probe::{self, SourceFormat};
use imgfront_engine::{EngineError, Output, Settings, transform};
use imgfront_spec::{Config, Format, Key, Spec};
use imgfront_testkit::corpus;

fn run(name: &str, query: &str) -> Result<Output, EngineError> {
    let c = Config::embedded();
    let key = Key::from_decoded(&c, "demo/test").expect("key");
    let spec = Spec::from_key_and_query(&c, key, query).expect("query");
    transform(&corpus(name), &spec.ops, &Settings::request(&c))
}

/// Dimensions and frame count read back from the encoded bytes themselves.
fn read_back(out: &Output) -> (SourceFormat, u32, u32, u32) {
    let f = probe::sniff(&out.bytes).expect("output format");
    let h = probe::header(f, &out.bytes).expect("output header");
    (f, h.width, h.height, h.frames)
}

/// RGB pixels of an encoded PNG.
fn pixels(out: &Output) -> Vec<u8> {
    let (r, _) = imgfront_engine::decode::png::decode(&out.bytes, 1 << 28).expect("png");
    r.to_rgba()
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// Upright source size, from the source header and its EXIF orientation.
fn upright(name: &str) -> (u32, u32) {
    let bytes = corpus(name);
    let f = probe::sniff(&bytes).expect("sniff");
    let h = probe::header(f, &bytes).expect("header");
    if (5..=8).contains(&h.exif_orientation) {
        (h.height, h.width)
    } else {
        (h.width, h.height)
    }
}

const DECODABLE: &[&str] = &[
    "2569067123_aca715a2ee_o.jpg",
    "flowers.jpeg",
    "random.jpg",
    "Landscape_1.jpg",
    "Landscape_6.jpg",
    "Channel_digital_image_CMYK_color.jpg",
    "concert.jpg",
    "alpha-premultiply-2048x1536-paper.png",
    "with-alpha.png",
    "16-bit-grey-alpha.png",
    "grey-8bit-alpha.png",
    "p3.png",
    "4.webp",
    "5_webp_a.webp",
    "big-height.webp",
    "animated-loop-3.gif",
    "animated-loop-3.webp",
    "sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif",
    "pitm.avif",
];

#[test]
fn every_decodable_file_to_every_format_with_the_right_size() {
    let formats = [
        (Format::Jpeg, SourceFormat::Jpeg),
        (Format::Png, SourceFormat::Png),
        (Format::Webp, SourceFormat::Webp),
        (Format::Avif, SourceFormat::Avif),
        (Format::Gif, SourceFormat::Gif),
    ];
    for name in DECODABLE {
        let (sw, sh) = upright(name);
        // w=160 is a breakpoint; rasters are never enlarged.
        let w = sw.min(160);
        let h = ((f64::from(sh) * f64::from(w) / f64::from(sw)).round() as u32).max(1);
        for (format, magic) in formats {
            let out = run(name, &format!("w=160&fmt={format}"))
                .unwrap_or_else(|e| panic!("{name} -> {format}: {e}"));
            let (got, ow, oh, _) = read_back(&out);
            assert_eq!(got, magic, "{name} -> {format}: wrong container");
            assert_eq!((ow, oh), (w, h), "{name} -> {format}: wrong size");
            assert_eq!((out.width, out.height), (w, h));
        }
    }
}

#[test]
fn svg_is_rasterised_at_the_target_size() {
    for (q, w, h) in [
        ("w=640&fmt=png", 640, 640),
        ("w=48&fmt=webp", 48, 48),
        ("w=320&h=160&fit=fill&fmt=png", 320, 160),
    ] {
        let out = run("circle.svg", q).expect("svg");
        let (_, ow, oh, _) = read_back(&out);
        assert_eq!((ow, oh), (w, h), "{q}");
    }
    let out = run("circle.svg", "w=64&fmt=png").expect("svg");
    let px = pixels(&out);
    let centre = ((32 * 64 + 32) * 3) as usize;
    assert_ne!(
        &px[centre..centre + 3],
        &[255, 255, 255],
        "the circle is drawn"
    );
}

#[test]
fn landscapes_come_out_upright_and_alike() {
    let reference = run("Landscape_1.jpg", "w=96&fmt=png").expect("landscape 1");
    let ref_px = pixels(&reference);
    let mad = |px: &[u8]| {
        px.iter()
            .zip(&ref_px)
            .map(|(a, b)| f64::from(a.abs_diff(*b)))
            .sum::<f64>()
            / px.len() as f64
    };
    // Calibration: a wrongly oriented image differs by far more than the painted digit does.
    let upside_down = pixels(&run("Landscape_1.jpg", "w=96&rot=180&fmt=png").expect("rotated"));
    assert!(
        mad(&upside_down) > 40.0,
        "calibration: {}",
        mad(&upside_down)
    );
    for n in 2..=8 {
        let name = format!("Landscape_{n}.jpg");
        let out = run(&name, "w=96&fmt=png").expect("landscape");
        assert_eq!(
            (out.width, out.height),
            (reference.width, reference.height),
            "{name}"
        );
        let d = mad(&pixels(&out));
        assert!(
            d < 10.0,
            "{name} differs from Landscape_1 by {d:.1} per sample: not upright"
        );
    }
}

#[test]
fn cmyk_becomes_srgb() {
    let out = run("Channel_digital_image_CMYK_color.jpg", "w=160&fmt=png").expect("cmyk");
    let px = pixels(&out);
    let (w, h) = (out.width as usize, out.height as usize);
    // The lawn in the lower left is green in sRGB (an unconverted CMYK read would be magenta-ish).
    let mut sum = [0f64; 3];
    for y in h * 2 / 3..h {
        for x in 0..w / 3 {
            for c in 0..3 {
                sum[c] += f64::from(px[(y * w + x) * 3 + c]);
            }
        }
    }
    assert!(
        sum[1] > sum[0] && sum[1] > sum[2],
        "lower-left is not green: {sum:?}"
    );
    let jpeg = run("Channel_digital_image_CMYK_color.jpg", "w=160&fmt=jpeg").expect("cmyk jpeg");
    let d = mozjpeg::Decompress::new_mem(&jpeg.bytes).expect("output jpeg");
    assert_eq!(
        d.color_space(),
        mozjpeg::ColorSpace::JCS_YCbCr,
        "output is a 3-channel YCbCr JPEG"
    );
}

#[test]
fn animations_keep_their_frames() {
    for name in ["animated-loop-3.gif", "animated-loop-3.webp"] {
        let bytes = corpus(name);
        let frames = probe::header(probe::sniff(&bytes).expect("sniff"), &bytes)
            .expect("header")
            .frames;
        assert!(frames > 1, "{name} is animated");
        for fmt in ["gif", "webp"] {
            let out = run(name, &format!("w=160&fmt={fmt}")).expect("animation");
            let (_, w, _, got) = read_back(&out);
            assert_eq!(
                (got, out.frames),
                (frames, frames as usize),
                "{name} -> {fmt}"
            );
            assert_eq!(w, 160);
        }
        let still = run(name, "w=160&fmt=png").expect("still");
        assert_eq!(still.frames, 1, "PNG output takes the first frame");
    }
}

#[test]
fn bombs_and_broken_files_are_typed_errors() {
    for name in ["giant-image.jpg", "65536-uint32-limit.png"] {
        match run(name, "w=160") {
            Err(EngineError::SourceTooLarge(m)) => {
                assert!(m.contains("the maximum is 50000000"), "{m}")
            }
            other => panic!("{name}: expected SourceTooLarge, got {other:?}"),
        }
    }
    for name in ["corrupt-header.jpg", "truncated.jpg"] {
        let e = run(name, "w=160").expect_err("broken input");
        assert!(matches!(e, EngineError::Undecodable(_)), "{name}: {e:?}");
        assert_eq!(e.status(), 415);
    }
    let e = transform(
        b"BM this is a bitmap",
        &Default::default(),
        &Settings::request(&Config::embedded()),
    )
    .expect_err("bmp");
    assert!(matches!(e, EngineError::UnsupportedFormat(_)));
}

#[test]
fn grid_avif_tiles_are_stitched_in_order() {
    // pitm.avif is a 4x1 grid of 1024x800 AV1 tiles making one 4096x800 picture.
    let out = run("pitm.avif", "fmt=png").expect("grid avif");
    assert_eq!((out.width, out.height), (4096, 800));
    let px = pixels(&out);
    let luma = |x: usize, y: usize| {
        let i = (y * 4096 + x) * 3;
        i32::from(px[i]) + i32::from(px[i + 1]) + i32::from(px[i + 2])
    };
    // Mean luma step between columns a and b.
    let step = |a: usize, b: usize| {
        (0..800)
            .map(|y| (luma(a, y) - luma(b, y)).abs())
            .sum::<i32>()
            / 800
    };
    for seam in [1023, 2047, 3071] {
        // Tiles are coded independently, so seams are not invisible, but the tile placed
        // to the right must continue the picture better than any other tile would.
        let across = step(seam, seam + 1);
        let wrong = (0..4)
            .map(|t| t * 1024)
            .filter(|&x| x != seam + 1)
            .map(|x| step(seam, x))
            .min()
            .unwrap_or(0);
        assert!(
            across < wrong,
            "seam at x={seam}: step {across}, wrong-neighbour step {wrong}"
        );
        let tile_sum: i64 = (0..800).map(|y| i64::from(luma(seam - 100, y))).sum();
        assert!(tile_sum > 800 * 30, "tile left of x={seam} is blank");
    }
}

#[test]
fn truncated_grid_avif_is_a_typed_error() {
    let bytes = corpus("pitm.avif");
    for cut in [600, 5000, bytes.len() - 1000] {
        let r = transform(
            &bytes[..cut],
            &Default::default(),
            &Settings::request(&Config::embedded()),
        );
        assert!(
            matches!(r, Err(EngineError::Undecodable(_))),
            "cut at {cut}: {:?}",
            r.map(|o| o.bytes.len())
        );
    }
}

#[test]
fn geometry_ops_on_a_real_photo() {
    let cases = [
        ("w=320&h=320&fmt=png", (320, 320)),
        ("w=320&h=320&fit=contain&fmt=png", (320, 320)),
        ("w=320&h=320&fit=inside&fmt=png", (320, 261)),
        ("w=320&h=320&fit=outside&fmt=png", (392, 320)),
        ("w=320&h=160&fit=fill&fmt=png", (320, 160)),
        ("w=320&rot=90&fmt=png", (320, 392)),
        ("w=320&flip=v&blur=2&sharpen=1&fmt=png", (320, 261)),
        ("w=320&h=320&pos=attention&fmt=jpeg", (320, 320)),
    ];
    for (q, (w, h)) in cases {
        let out = run("2569067123_aca715a2ee_o.jpg", q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let (_, ow, oh, _) = read_back(&out);
        assert_eq!((ow, oh), (w, h), "{q}");
    }
    // Contain pads with the background colour.
    let out = run(
        "2569067123_aca715a2ee_o.jpg",
        "w=320&h=320&fit=contain&bg=ff0000&fmt=png",
    )
    .expect("contain");
    let px = pixels(&out);
    assert_eq!(&px[0..3], &[255, 0, 0], "top-left is padding");
}

#[test]
fn alpha_is_flattened_onto_bg_for_jpeg() {
    let png = run("with-alpha.png", "w=64&fmt=png").expect("png");
    let (rgba, _) = imgfront_engine::decode::png::decode(&png.bytes, 1 << 24).expect("png");
    let clear = (0..rgba.data.len() / 4)
        .min_by_key(|i| rgba.data[i * 4 + 3])
        .expect("pixels");
    assert!(
        rgba.data[clear * 4 + 3] < 200,
        "with-alpha.png is translucent"
    );
    for (bg, expect) in [("000", 0u8), ("fff", 255u8)] {
        let out = run("with-alpha.png", &format!("w=64&fmt=jpeg&bg={bg}")).expect("jpeg");
        let d = mozjpeg::Decompress::new_mem(&out.bytes).expect("jpeg");
        let mut started = d.rgb().expect("rgb");
        let px: Vec<u8> = started.read_scanlines::<u8>().expect("pixels");
        let at = |i: usize| &px[i * 3..i * 3 + 3];
        let a = u32::from(rgba.data[clear * 4 + 3]);
        let mixed: Vec<u8> = (0..3)
            .map(|c| {
                ((u32::from(rgba.data[clear * 4 + c]) * a + u32::from(expect) * (255 - a)) / 255)
                    as u8
            })
            .collect();
        assert!(
            at(clear)
                .iter()
                .zip(&mixed)
                .all(|(v, m)| v.abs_diff(*m) < 24),
            "bg={bg}: {:?} vs {mixed:?}",
            at(clear)
        );
    }
}
