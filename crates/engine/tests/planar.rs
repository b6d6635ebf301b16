//! The YCbCr fast path must give what the RGB path gives: same size, nearly the same pixels,
//! for every chroma layout, odd sizes, crops and progressive sources; other outputs keep RGB.

use imgfront_engine::{Output, Settings, YccPath, transform};
use imgfront_spec::Config;
use imgfront_testkit::corpus;
use mozjpeg::{ColorSpace, Compress};

mod common;
use common::{mean_abs_diff, ops};

/// A textured RGB picture: gradients plus a diagonal pattern, so chroma and luma both matter.
fn picture(w: usize, h: usize) -> Vec<u8> {
    (0..h)
        .flat_map(|y| {
            (0..w).flat_map(move |x| {
                let stripe = if (x + y) / 7 % 2 == 0 { 40 } else { 0 };
                [
                    (x * 255 / w) as u8,
                    ((y * 255 / h) as u8).saturating_add(stripe),
                    (((x ^ y) * 3) % 256) as u8,
                ]
            })
        })
        .collect()
}

/// A JPEG with chroma subsampled by `sampling` (pixels per chroma sample, e.g. (2, 1) = 4:2:2).
fn jpeg(w: usize, h: usize, sampling: (u8, u8), progressive: bool) -> Vec<u8> {
    let mut c = Compress::new(ColorSpace::JCS_RGB);
    if !progressive {
        // mozjpeg's defaults write progressive files; these reset the sampling, so go first.
        c.set_fastest_defaults();
    }
    c.set_size(w, h);
    c.set_quality(95.0);
    c.set_chroma_sampling_pixel_sizes(sampling, sampling);
    if progressive {
        c.set_progressive_mode();
    }
    let mut s = c.start_compress(Vec::new()).expect("start");
    s.write_scanlines(&picture(w, h)).expect("write");
    s.finish().expect("finish")
}

/// Decoded RGB of an output, through the engine's own PNG path (never the fast path).
fn rgb(c: &Config, out: &Output) -> Vec<u8> {
    let png = transform(&out.bytes, &ops(c, "fmt=png"), &Settings::request(c)).expect("decode");
    imgfront_engine::decode::png::decode(&png.bytes, 1 << 28)
        .expect("png")
        .0
        .data
}

/// Request settings with the YCbCr path always taken, and never.
fn both_paths(c: &Config) -> (Settings, Settings) {
    let mut fast = Settings::request(c);
    fast.ycc_path = YccPath::Always;
    // mozjpeg writes progressive files by default; keep them on libjpeg, whose planes this
    // path reads, rather than the reduced decoder.
    fast.reduced_decoder = false;
    let mut slow = fast.clone();
    slow.ycc_path = YccPath::Never;
    (fast, slow)
}

/// Runs `query` on both paths and scores each against the RGB path's lossless render of the
/// same geometry: the fast path must be as faithful (it resamples chroma once instead of
/// upsampling, resizing and subsampling it again).
fn compare(name: &str, input: &[u8], query: &str) {
    let c = Config::embedded();
    compare_with(name, input, query, both_paths(&c));
}

fn compare_with(name: &str, input: &[u8], query: &str, (fast, slow): (Settings, Settings)) {
    let c = Config::embedded();
    let o = ops(&c, query);
    let a = transform(input, &o, &fast).unwrap_or_else(|e| panic!("{name} {query}: {e}"));
    let b = transform(input, &o, &slow).expect("RGB path");
    assert_eq!(
        (a.width, a.height, a.format),
        (b.width, b.height, b.format),
        "{name} {query}"
    );
    // Different paths, different bytes: proof the fast path ran.
    assert_ne!(
        a.bytes, b.bytes,
        "{name} {query}: the fast path did not run"
    );
    let lossless = format!("{}&fmt=png", query.split("&fmt=").next().unwrap_or(query));
    let reference = transform(input, &ops(&c, &lossless), &slow).expect("reference");
    let reference = rgb(&c, &reference);
    let (fast_err, rgb_err) = (
        mean_abs_diff(&rgb(&c, &a), &reference),
        mean_abs_diff(&rgb(&c, &b), &reference),
    );
    eprintln!("{name} {query}: fast path {fast_err:.2}, RGB path {rgb_err:.2}");
    assert!(
        fast_err <= rgb_err * 1.1 + 0.25,
        "{name} {query}: fast path {fast_err:.2} vs RGB path {rgb_err:.2} from the reference"
    );
}

#[test]
fn every_chroma_layout_matches_the_rgb_path() {
    for (label, sampling) in [
        ("4:2:0", (2, 2)),
        ("4:2:2", (2, 1)),
        ("4:4:4", (1, 1)),
        ("4:4:0", (1, 2)),
    ] {
        let input = jpeg(517, 333, sampling, false);
        for query in [
            "w=200&fmt=jpeg",
            "w=301&fmt=jpeg",
            "w=120&fmt=jpeg",
            "w=499&fmt=jpeg",
        ] {
            compare(label, &input, query);
        }
    }
}

#[test]
fn crops_shrink_on_load_and_progressive_sources_match() {
    let progressive = jpeg(1601, 1203, (2, 2), true);
    for query in [
        "w=320&h=320&fit=cover&fmt=jpeg",
        "w=300&h=200&fit=cover&pos=top&fmt=jpeg",
        "w=100&fmt=jpeg",
        "w=1280&fmt=jpeg",
        "w=200&h=500&fit=fill&fmt=jpeg",
    ] {
        compare("progressive 1601x1203", &progressive, query);
    }
    let photo = corpus("2569067123_aca715a2ee_o.jpg");
    for query in [
        "w=640&fmt=jpeg",
        "w=320&fmt=jpeg",
        "w=1920&fmt=jpeg",
        "w=320&h=320&fit=cover&fmt=jpeg",
    ] {
        compare("2569067123_aca715a2ee_o.jpg", &photo, query);
    }
}

#[test]
fn planes_from_the_reduced_decoder_match() {
    // The default settings: at full size libjpeg's planes; at a DCT scale the reduced decoder's,
    // chroma kept subsampled. For a baseline file only where the decode is the output (exactly
    // 1/4, filtered like Lanczos3); for a progressive one at any scale.
    let c = Config::embedded();
    let ours = Settings::request(&c);
    let mut rgb = Settings::request(&c);
    rgb.ycc_path = YccPath::Never;
    rgb.reduced_decoder = false;
    let baseline = jpeg(1600, 1200, (2, 2), false);
    let progressive = jpeg(1600, 1200, (2, 2), true);
    let is_progressive = |b: &[u8]| {
        imgfront_engine::probe::header(imgfront_engine::SourceFormat::Jpeg, b)
            .expect("header")
            .progressive
    };
    assert!(!is_progressive(&baseline) && is_progressive(&progressive));
    for (name, input, query) in [
        ("baseline 1600x1200", &baseline, "w=400&fmt=jpeg"),
        // Full size, through libjpeg: planes a whole number of blocks wide.
        ("baseline 1600x1200", &baseline, "w=1200&fmt=jpeg"),
        ("progressive 1600x1200", &progressive, "w=400&fmt=jpeg"),
        ("progressive 1600x1200", &progressive, "w=300&fmt=jpeg"),
        (
            "progressive 1600x1200",
            &progressive,
            "w=640&h=200&fit=cover&fmt=jpeg",
        ),
    ] {
        compare_with(name, input, query, (ours.clone(), rgb.clone()));
    }
    // Not exactly 1/4: a baseline file keeps libjpeg and the RGB path.
    let o = ops(&c, "w=500&fmt=jpeg");
    let (a, b) = (
        transform(&baseline, &o, &ours).expect("ours"),
        transform(&baseline, &o, &rgb).expect("rgb"),
    );
    assert_eq!(a.bytes, b.bytes);
}

#[test]
fn steps_that_need_rgb_keep_the_rgb_path() {
    // Smart crop, effects, padding and orientation all read RGB: the two settings agree exactly.
    let c = Config::embedded();
    let input = jpeg(400, 300, (2, 2), false);
    let (fast, slow) = both_paths(&c);
    for query in [
        "w=100&h=100&fit=cover&pos=attention&fmt=jpeg",
        "w=100&blur=2&fmt=jpeg",
        "w=100&h=100&fit=contain&fmt=jpeg",
        "w=100&rot=90&fmt=jpeg",
        "w=100&fmt=png",
        "w=100&fmt=webp",
    ] {
        let o = ops(&c, query);
        let a = transform(&input, &o, &fast).expect("fast settings");
        let b = transform(&input, &o, &slow).expect("slow settings");
        assert_eq!(a.bytes, b.bytes, "{query}");
    }
}
