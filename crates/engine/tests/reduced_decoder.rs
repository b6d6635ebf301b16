//! The reduced-coefficient decoder (`decode::jpeg::reduced`) must give libjpeg's 1/8-scale image
//! of a progressive JPEG for every chroma layout and scan arrangement, decode baseline files
//! as faithfully as libjpeg at every scale, and damaged files must still fail as they did.

use imgfront_engine::decode::jpeg;
use imgfront_engine::decode::jpeg::reduced;
use imgfront_engine::probe::header;
use imgfront_engine::raster::Raster;
use imgfront_engine::resize::{Region, resize};
use imgfront_engine::{Settings, SourceFormat, transform};
use imgfront_spec::{Config, Key, Spec};
use mozjpeg::{ColorSpace, Compress, ScanMode};

/// A photo from the corpus, decoded: 600×450.
fn photo() -> (Vec<u8>, usize, usize) {
    let bytes = imgfront_testkit::corpus("Landscape_2.jpg");
    let h = header(SourceFormat::Jpeg, &bytes).expect("header");
    let (r, _) = jpeg::decode(&bytes, &h, 8).expect("decode");
    (r.data, r.width as usize, r.height as usize)
}

/// The photo (tiled beyond 600×450) as a `w`×`h` progressive JPEG.
fn progressive(w: usize, h: usize, sampling: Option<(u8, u8)>, mode: ScanMode) -> Vec<u8> {
    jpeg_of_photo(w, h, sampling, Some(mode))
}

/// The photo as a `w`×`h` JPEG: progressive with `mode`, or baseline for `None`.
fn jpeg_of_photo(
    w: usize,
    h: usize,
    sampling: Option<(u8, u8)>,
    mode: Option<ScanMode>,
) -> Vec<u8> {
    let space = if sampling.is_some() {
        ColorSpace::JCS_RGB
    } else {
        ColorSpace::JCS_GRAYSCALE
    };
    let mut c = Compress::new(space);
    // Before the sampling: mozjpeg's fastest defaults reset it.
    match mode {
        Some(mode) => c.set_scan_optimization_mode(mode),
        None => {
            c.set_fastest_defaults();
            c.set_optimize_coding(true);
        }
    }
    c.set_size(w, h);
    c.set_quality(85.0);
    if let Some(s) = sampling {
        c.set_chroma_sampling_pixel_sizes(s, s);
    }
    if mode.is_some() {
        c.set_progressive_mode();
    }
    let (all, pw, ph) = photo();
    let mut pixels: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| [0, 1, 2].map(|c| ((y % ph) * pw + x % pw) * 3 + c)))
        .map(|i| all[i])
        .collect();
    if sampling.is_none() {
        pixels = pixels.chunks_exact(3).map(|p| p[1]).collect();
    }
    let mut s = c.start_compress(Vec::new()).expect("start");
    s.write_scanlines(&pixels).expect("write");
    s.finish().expect("finish")
}

fn differences(a: &[u8], b: &[u8]) -> (f64, u8) {
    assert_eq!(a.len(), b.len());
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum();
    let max = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0);
    (sum / a.len() as f64, max)
}

/// The mean of every 8×8 block (partial at the edges) of an RGB image.
fn box_eighth(rgb: &[u8], w: usize, h: usize) -> Vec<u8> {
    box_mean(rgb, w, h, 8)
}

/// The mean of every `n`×`n` block (partial at the edges) of an RGB image.
fn box_mean(rgb: &[u8], w: usize, h: usize, n: usize) -> Vec<u8> {
    let (bw, bh) = (w.div_ceil(n), h.div_ceil(n));
    let mut out = Vec::with_capacity(bw * bh * 3);
    for by in 0..bh {
        for bx in 0..bw {
            let mut sum = [0u32; 3];
            let mut count = 0;
            for y in by * n..(by * n + n).min(h) {
                for x in bx * n..(bx * n + n).min(w) {
                    for (s, v) in sum.iter_mut().zip(&rgb[(y * w + x) * 3..][..3]) {
                        *s += u32::from(*v);
                    }
                    count += 1;
                }
            }
            out.extend(sum.map(|s| ((s + count / 2) / count) as u8));
        }
    }
    out
}

#[test]
fn dc_decode_gives_libjpegs_eighth_scale_image() {
    let layouts = [
        ("4:2:2", Some((2, 1))),
        ("4:4:0", Some((1, 2))),
        ("4:4:4", Some((1, 1))),
        ("grey", None),
    ];
    let mut failures = Vec::new();
    for (layout, sampling) in layouts {
        for (mode_name, mode) in [
            ("one DC scan", ScanMode::AllComponentsTogether),
            ("a DC scan per component", ScanMode::ScanPerComponent),
        ] {
            // Odd sizes, so the last block row and column are partial.
            let bytes = progressive(517, 333, sampling, mode);
            let h = header(SourceFormat::Jpeg, &bytes).expect("header");
            assert!(h.progressive);
            let ours = reduced::decode(&bytes, u64::MAX, 1)
                .unwrap_or_else(|why| panic!("{layout}, {mode_name}: declined: {why}"));
            let (libjpeg, _) = jpeg::decode(&bytes, &h, 1).expect("libjpeg");
            assert_eq!(
                (ours.width, ours.height),
                (libjpeg.width, libjpeg.height),
                "{layout}, {mode_name}"
            );
            assert_eq!((ours.width, ours.height), (65, 42));
            let (mean, max) = differences(&ours.data, &libjpeg.data);
            let (full, _) = jpeg::decode(&bytes, &h, 8).expect("full decode");
            let truth = box_eighth(&full.data, 517, 333);
            let (ours_err, libjpeg_err) = (
                differences(&ours.data, &truth).0,
                differences(&libjpeg.data, &truth).0,
            );
            eprintln!(
                "{layout}, {mode_name}: from libjpeg mean {mean:.3} max {max}; from the 8×8 \
                 means of a full decode: ours {ours_err:.2}, libjpeg {libjpeg_err:.2}"
            );
            // Luma is libjpeg's exactly. Chroma subsampled one way differs: libjpeg replicates
            // it where this interpolates; it must be as close to the true 1/8-scale picture.
            let exact = matches!(layout, "4:4:4" | "grey");
            if (exact && max > 0) || ours_err > libjpeg_err + 0.5 {
                failures.push(format!(
                    "{layout}, {mode_name}: {ours_err:.2} vs {libjpeg_err:.2}, max {max}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "far from libjpeg: {failures:?}");
}

/// Resizes `r` (a decode at `scale` of a `w`×`h` source) to `out`×`out_h` over the image
/// part of its pixels, as the pipeline does.
fn finish(r: &Raster, scale: f64, (w, h): (usize, usize), (out_w, out_h): (u32, u32)) -> Vec<u8> {
    let region = Region {
        x: 0.0,
        y: 0.0,
        w: w as f64 * scale,
        h: h as f64 * scale,
    };
    resize(r, region, out_w, out_h).expect("resize").data
}

/// Ours and libjpeg's decode of a `w`×`h` JPEG at `numerator`/8, each resized to half its size
/// as the pipeline does: their mean distances from the same resize of libjpeg's `full` decode.
fn resized_errors(
    bytes: &[u8],
    full: &Raster,
    (w, h): (usize, usize),
    numerator: u8,
) -> (f64, f64) {
    let hd = header(SourceFormat::Jpeg, bytes).expect("header");
    let ours = reduced::decode(bytes, u64::MAX, numerator)
        .unwrap_or_else(|why| panic!("{numerator}/8: declined: {why}"));
    let (libjpeg, _) = jpeg::decode(bytes, &hd, numerator).expect("libjpeg");
    assert_eq!(
        (ours.width, ours.height),
        (libjpeg.width, libjpeg.height),
        "{numerator}/8"
    );
    let scale = f64::from(numerator) / 8.0;
    let out = (
        (w as f64 * scale / 2.0).round() as u32,
        (h as f64 * scale / 2.0).round() as u32,
    );
    let truth = finish(full, 1.0, (w, h), out);
    (
        differences(&finish(&ours, scale, (w, h), out), &truth).0,
        differences(&finish(&libjpeg, scale, (w, h), out), &truth).0,
    )
}

#[test]
fn quarter_and_half_scale_decodes_resize_as_faithfully_as_libjpegs() {
    // What counts is the output: each decode, Lanczos-resized to half its size as the pipeline
    // does, against the same resize of a full decode. The dropped frequencies are above the
    // decode's Nyquist limit; libjpeg's reduced IDCTs fold some of them back in (aliasing).
    let layouts = [
        ("4:2:0", Some((2, 2))),
        ("4:2:2", Some((2, 1))),
        ("4:4:0", Some((1, 2))),
        ("4:4:4", Some((1, 1))),
        ("grey", None),
    ];
    let (w, h) = (517, 333);
    let mut failures = Vec::new();
    for (layout, sampling) in layouts {
        for (mode_name, mode) in [
            ("one DC scan", ScanMode::AllComponentsTogether),
            ("a DC scan per component", ScanMode::ScanPerComponent),
        ] {
            let bytes = progressive(w, h, sampling, mode);
            let hd = header(SourceFormat::Jpeg, &bytes).expect("header");
            let (full, _) = jpeg::decode(&bytes, &hd, 8).expect("full decode");
            for numerator in [2u8, 4] {
                let (ours_err, libjpeg_err) = resized_errors(&bytes, &full, (w, h), numerator);
                eprintln!(
                    "{layout}, {mode_name}, {numerator}/8 then half: from a full decode's \
                     resize: ours {ours_err:.2}, libjpeg {libjpeg_err:.2}"
                );
                if ours_err > libjpeg_err + 0.25 {
                    failures.push(format!(
                        "{layout}, {mode_name}, {numerator}/8: {ours_err:.2} vs {libjpeg_err:.2}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "less faithful than libjpeg: {failures:?}"
    );
}

#[test]
fn pillow_files_with_restart_markers_and_refinements_decode_like_libjpeg() {
    // Written by libjpeg through Pillow (scripts/fuzz-seeds.py): the first DC scan drops the
    // lowest bit and a later scan refines it; the 4:2:2 file restarts every 5 MCUs.
    let dir = format!("{}/../../fuzz/seeds-engine", env!("CARGO_MANIFEST_DIR"));
    // The baseline one restarts every 3 MCUs.
    for (name, exact) in [
        ("progressive-422-restarts.jpg", false),
        ("progressive-444.jpg", true),
        ("progressive-grey.jpg", true),
        ("baseline-420-restarts.jpg", false),
    ] {
        let bytes = std::fs::read(format!("{dir}/{name}")).expect("seed");
        let h = header(SourceFormat::Jpeg, &bytes).expect("header");
        let ours = reduced::decode(&bytes, u64::MAX, 1)
            .unwrap_or_else(|why| panic!("{name}: declined: {why}"));
        let (libjpeg, _) = jpeg::decode(&bytes, &h, 1).expect("libjpeg");
        assert_eq!((ours.width, ours.height), (libjpeg.width, libjpeg.height));
        let (mean, max) = differences(&ours.data, &libjpeg.data);
        eprintln!("{name} 1/8: mean {mean:.3}, max {max} from libjpeg");
        assert!(
            if exact { max == 0 } else { mean < 2.0 },
            "{name}: mean {mean:.2}, max {max} from libjpeg"
        );
        // Their AC scans include successive-approximation refinements.
        for numerator in [2u8, 4] {
            let ours = reduced::decode(&bytes, u64::MAX, numerator)
                .unwrap_or_else(|why| panic!("{name} {numerator}/8: declined: {why}"));
            let (libjpeg, _) = jpeg::decode(&bytes, &h, numerator).expect("libjpeg");
            assert_eq!((ours.width, ours.height), (libjpeg.width, libjpeg.height));
            let (mean, max) = differences(&ours.data, &libjpeg.data);
            eprintln!("{name} {numerator}/8: mean {mean:.3}, max {max} from libjpeg");
            assert!(
                mean < 1.5,
                "{name} {numerator}/8: mean {mean:.2}, max {max} from libjpeg"
            );
        }
    }
}

#[test]
fn baseline_files_decode_as_faithfully_as_libjpeg_at_every_scale() {
    // As for progressive files above: each decode, resized to half its size as the pipeline
    // does, against the same resize of libjpeg's full decode, for every chroma layout.
    let (w, h) = (517, 333);
    let mut failures = Vec::new();
    for (layout, sampling) in [
        ("4:2:0", Some((2, 2))),
        ("4:2:2", Some((2, 1))),
        ("4:4:4", Some((1, 1))),
        ("grey", None),
    ] {
        let bytes = jpeg_of_photo(w, h, sampling, None);
        let hd = header(SourceFormat::Jpeg, &bytes).expect("header");
        assert!(!hd.progressive);
        let (full, _) = jpeg::decode(&bytes, &hd, 8).expect("full decode");
        for numerator in [1u8, 2, 4] {
            let (ours_err, libjpeg_err) = resized_errors(&bytes, &full, (w, h), numerator);
            eprintln!(
                "baseline {layout} {numerator}/8: ours {ours_err:.2}, libjpeg {libjpeg_err:.2}"
            );
            if ours_err > libjpeg_err + 0.25 {
                failures.push(format!(
                    "{layout} {numerator}/8: {ours_err:.2} vs {libjpeg_err:.2}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "less faithful than libjpeg: {failures:?}"
    );
}

#[test]
fn ycc_planes_keep_chroma_subsampled() {
    // 4:2:0 at 1/4: luma 130×84, chroma half that (rounded up), each plane its own IDCT.
    let bytes = jpeg_of_photo(517, 333, Some((2, 2)), None);
    let ycc = reduced::decode_ycc(&bytes, u64::MAX, 2, reduced::Filter::Area).expect("planes");
    let sizes: Vec<(u32, u32)> = ycc.planes.iter().map(|p| (p.width, p.height)).collect();
    assert_eq!(sizes, vec![(130, 84), (65, 42), (65, 42)]);
    assert_eq!(ycc.factors, [(1.0, 1.0), (0.5, 0.5), (0.5, 0.5)]);
    // Luma must match the RGB decode's: the same IDCT, read back through BT.601.
    let rgb = reduced::decode(&bytes, u64::MAX, 2).expect("rgb");
    let luma: Vec<u8> = rgb
        .data
        .chunks_exact(3)
        .map(|p| {
            let (r, g, b) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
            (0.299 * r + 0.587 * g + 0.114 * b).round() as u8
        })
        .collect();
    let (mean, _) = differences(&ycc.planes[0].data, &luma);
    assert!(mean < 1.0, "luma {mean:.2} from the RGB decode's");
    let grey = jpeg_of_photo(64, 64, None, None);
    assert_eq!(
        reduced::decode_ycc(&grey, u64::MAX, 2, reduced::Filter::Area).err(),
        Some("not three components")
    );
}

#[test]
fn lossless_large_and_odd_files_are_declined() {
    assert_eq!(
        reduced::decode(&[0xFF, 0xD8, 0xFF, 0xC3, 0, 2], u64::MAX, 1).err(),
        Some("not a baseline or progressive Huffman JPEG")
    );
    let big = progressive(517, 333, Some((2, 1)), ScanMode::AllComponentsTogether);
    assert_eq!(
        reduced::decode(&big, 1000, 1).err(),
        Some("frame larger than the pixel limit")
    );
    let yuv311 = progressive(517, 333, Some((3, 1)), ScanMode::AllComponentsTogether);
    assert_eq!(
        reduced::decode(&yuv311, u64::MAX, 2).err(),
        Some("chroma subsampled by three")
    );
    let yuv420 = progressive(517, 333, Some((2, 2)), ScanMode::AllComponentsTogether);
    assert_eq!(
        reduced::decode(&yuv420, u64::MAX, 1).err(),
        Some("chroma subsampled both ways")
    );
}

fn ops(c: &Config, query: &str) -> imgfront_spec::Ops {
    let key = Key::from_decoded(c, "demo/x").expect("key");
    Spec::from_key_and_query(c, key, query).expect("query").ops
}

#[test]
fn thumbnails_of_progressive_files_take_the_dc_path() {
    let c = Config::embedded();
    let on = Settings::request(&c);
    let mut off = on.clone();
    off.reduced_decoder = false;
    let whole = progressive(1200, 900, Some((2, 1)), ScanMode::AllComponentsTogether);
    // 1/16 of the width or less: libjpeg would decode at 1/8 too.
    let o = ops(&c, "w=64&fmt=png");
    let (a, b) = (
        transform(&whole, &o, &on).expect("DC path"),
        transform(&whole, &o, &off).expect("libjpeg"),
    );
    assert_eq!((a.width, a.height), (b.width, b.height));
    assert_ne!(a.bytes, b.bytes, "the DC path did not run");
    let px = |png: &[u8]| {
        imgfront_engine::decode::png::decode(png, 1 << 24)
            .expect("png")
            .0
            .data
    };
    let (mean, max) = differences(&px(&a.bytes), &px(&b.bytes));
    assert!(
        mean < 1.0 && max < 24,
        "mean {mean:.2}, max {max} from libjpeg's"
    );
}

#[test]
fn damaged_progressive_files_still_fail_through_the_pipeline() {
    let c = Config::embedded();
    let o = ops(&c, "w=64&fmt=jpeg");
    let settings = Settings::request(&c);
    let whole = progressive(1200, 900, Some((2, 1)), ScanMode::AllComponentsTogether);
    transform(&whole, &o, &settings).expect("whole file");
    // Cut inside the first (DC) scan, and cut later, after the DC data but before EOI: the
    // DC path declines both (no EOI) and libjpeg reports the truncation.
    for cut in [300, whole.len() * 2 / 3] {
        let err =
            transform(&whole[..cut], &o, &settings).expect_err("a truncated file must not decode");
        assert!(
            err.to_string().contains("JPEG"),
            "cut at {cut}: unexpected error {err}"
        );
    }
    // Garbage in the DC scan's entropy data: declined or decoded, never a panic.
    let mut bad = whole.clone();
    let sos = bad
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("a scan");
    for b in &mut bad[sos + 20..sos + 60] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    let _ = transform(&bad, &o, &settings);
}
