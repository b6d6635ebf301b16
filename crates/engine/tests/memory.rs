//! The memory budget, held against a counting allocator: for every kind of render (each source
//! format, large generated sources, animations, ICC, SVG layers and filters, every output
//! format, precompute's fan-out) the bytes the process really allocated at its peak stay under
//! the estimate `check_memory` refuses by, so a render admitted under the budget stays under
//! it; and a render over the budget is refused before it allocates its pixels.
//!
//! Two measures, and the larger counts: the bytes Rust code allocated (a counting global
//! allocator), and the growth of the process's peak resident size, which also sees the C
//! libraries (libjpeg, libwebp, libaom allocate with malloc). One test function: both are
//! process-wide, so nothing else may run beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use imgfront_engine::raster::{Frame, Picture, Raster};
use imgfront_engine::{EngineError, Output, Settings, transform, transform_many};
use imgfront_spec::{Config, Format, Key, Ops, Spec};
use imgfront_testkit::corpus;

struct Counting;

static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed straight to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now =
                LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed) + layout.size() as u64;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let (old, new) = (layout.size() as u64, new_size as u64);
            if new >= old {
                let now = LIVE.fetch_add(new - old, Ordering::Relaxed) + new - old;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(old - new, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("a kB field")
}

/// Runs `f`, returning its result and the most it allocated above what was live before: the
/// larger of Rust's allocations and the growth of the peak resident size.
fn measured<T>(f: impl FnOnce() -> T) -> (T, u64) {
    // SAFETY: malloc_trim only returns free heap memory to the system.
    unsafe { libc::malloc_trim(0) };
    // Writing 5 resets the peak resident size (VmHWM) to the current one.
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak resident size");
    let resident = status_bytes("VmRSS");
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let rust = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let process = status_bytes("VmHWM").saturating_sub(resident);
    (out, rust.max(process))
}

fn ops(c: &Config, query: &str) -> Ops {
    let key = Key::from_decoded(c, "demo/x").expect("key");
    Spec::from_key_and_query(c, key, query).expect("query").ops
}

/// A `w`×`h` picture with detail everywhere (encoders work hardest on it), and alpha if `alpha`.
fn busy(w: u32, h: u32, alpha: bool) -> Raster {
    let c = if alpha { 4 } else { 3 };
    let mut data = Vec::with_capacity(w as usize * h as usize * c);
    let mut seed = 0x9e37_79b9u32;
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed & 31) as u8;
            data.extend([
                (x % 256) as u8 ^ noise,
                (y % 256) as u8,
                ((x + y) % 256) as u8 ^ noise,
            ]);
            if alpha {
                data.push(((x * 7 + y) % 256) as u8);
            }
        }
    }
    Raster::new(w, h, c as u8, data)
}

fn encoded(raster: Raster, format: Format, progressive: bool) -> Vec<u8> {
    let c = Config::embedded();
    let mut enc = c.encoding.request;
    enc.jpeg_progressive = progressive;
    imgfront_engine::encode::encode(&Picture::still(raster), format, 90, &enc).expect("encode")
}

/// A 16-bit RGBA PNG of `w`×`h`, all one colour, so it compresses to almost nothing.
fn png16(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Sixteen);
    let mut writer = enc.write_header().expect("header");
    let mut stream = writer.stream_writer().expect("stream");
    let row = vec![0x40u8; w as usize * 8];
    for _ in 0..h {
        std::io::Write::write_all(&mut stream, &row).expect("row");
    }
    stream.finish().expect("finish");
    writer.finish().expect("png");
    out
}

fn animation(frames: usize, format: Format) -> Vec<u8> {
    let picture = Picture {
        frames: (0..frames)
            .map(|_| Frame {
                raster: busy(400, 300, true),
                delay_ms: 100,
            })
            .collect(),
        loop_count: 0,
    };
    let c = Config::embedded();
    imgfront_engine::encode::encode(&picture, format, 80, &c.encoding.request).expect("animation")
}

/// An SVG of `layers` nested masks, each over the whole canvas, and a filter chain.
fn layered_svg(layers: usize, primitives: usize) -> Vec<u8> {
    let mut s =
        String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="800"><defs>"#);
    for i in 0..layers {
        let inner = if i == 0 {
            String::new()
        } else {
            format!(r#" mask="url(#m{})""#, i - 1)
        };
        s += &format!(
            r#"<mask id="m{i}"><rect width="1000" height="800" fill="white"{inner}/></mask>"#
        );
    }
    s += r#"<filter id="f">"#;
    for i in 0..primitives {
        s += &format!(
            r#"<feGaussianBlur stdDeviation="{}" result="r{i}"/>"#,
            1 + i % 4
        );
    }
    s += "</filter></defs>";
    let mask = if layers > 0 {
        format!(r#" mask="url(#m{})""#, layers - 1)
    } else {
        String::new()
    };
    s += &format!(
        r##"<g filter="url(#f)"{mask}><circle cx="500" cy="400" r="300" fill="#c33"/></g></svg>"##
    );
    s.into_bytes()
}

struct Case {
    name: String,
    input: Vec<u8>,
    queries: Vec<&'static str>,
}

fn case(name: &str, input: Vec<u8>, queries: &[&'static str]) -> Case {
    Case {
        name: name.to_string(),
        input,
        queries: queries.to_vec(),
    }
}

fn check(name: &str, query: &str, result: Result<Output, EngineError>, peak: u64) -> (f64, f64) {
    let out = result.unwrap_or_else(|e| panic!("{name} {query}: {e}"));
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "{name:<34} {query:<40} peak {:>8.1} MiB  estimate {:>8.1} MiB  ({:.2})",
        mib(peak),
        mib(out.memory),
        peak as f64 / out.memory as f64
    );
    assert!(
        peak <= out.memory,
        "{name} {query}: allocated {:.1} MiB at its peak, over its estimate of {:.1} MiB",
        mib(peak),
        mib(out.memory)
    );
    (mib(peak), mib(out.memory))
}

#[test]
fn renders_stay_under_their_estimate_and_renders_over_the_budget_are_refused_first() {
    let c = Config::embedded();
    let settings = Settings::request(&c);
    let big = busy(4000, 3000, false);
    let cases = vec![
        case(
            "Landscape_1.jpg",
            corpus("Landscape_1.jpg"),
            &[
                "w=320",
                "w=600&fmt=webp",
                "w=600&fmt=avif",
                "fmt=png",
                "rot=90&w=400",
            ],
        ),
        case(
            "2569067123 (2725², progressive)",
            corpus("2569067123_aca715a2ee_o.jpg"),
            &[
                "w=1280",
                "w=1024&fmt=avif",
                "fmt=webp",
                "w=800&h=800&fit=contain&bg=ffffff",
            ],
        ),
        case(
            "CMYK JPEG",
            corpus("Channel_digital_image_CMYK_color.jpg"),
            &["w=400&fmt=webp"],
        ),
        case(
            "4000×3000 baseline JPEG",
            encoded(big.clone(), Format::Jpeg, false),
            &[
                "w=4096",
                "w=800&fmt=avif",
                "w=640&fmt=webp",
                "w=2000&blur=3",
            ],
        ),
        case(
            "4000×3000 progressive JPEG",
            encoded(big.clone(), Format::Jpeg, true),
            &["w=4000&fmt=jpeg", "w=320"],
        ),
        case(
            "3000×2000 RGBA PNG",
            encoded(busy(3000, 2000, true), Format::Png, false),
            &[
                "w=2048&fmt=png",
                "w=2048&fmt=webp",
                "w=640&fmt=avif",
                "w=1000&fmt=jpeg",
            ],
        ),
        case(
            "alpha paper PNG",
            corpus("alpha-premultiply-2048x1536-paper.png"),
            &["fmt=png", "w=1024&fmt=avif", "w=1024&fmt=webp"],
        ),
        case(
            "16-bit grey+alpha PNG",
            corpus("16-bit-grey-alpha.png"),
            &["w=200"],
        ),
        case("p3 PNG (ICC)", corpus("p3.png"), &["w=64"]),
        case("7000² 16-bit PNG", png16(7000, 7000), &["w=4096&fmt=png"]),
        case(
            "2000×1500 WebP",
            encoded(busy(2000, 1500, true), Format::Webp, false),
            &["w=2000", "w=800&fmt=jpeg"],
        ),
        case("4.webp", corpus("4.webp"), &["w=512&fmt=avif"]),
        case(
            "AVIF 2048×858 4:4:4",
            corpus("sdr_cosmos12920_cicp1-13-6_yuv444_full_qp10.avif"),
            &["w=2048", "w=640&fmt=webp"],
        ),
        case("pitm.avif 4096×800", corpus("pitm.avif"), &["fmt=jpeg"]),
        case(
            "animated GIF",
            corpus("animated-loop-3.gif"),
            &["w=370", "w=200&fmt=webp"],
        ),
        case(
            "30-frame 400×300 GIF",
            animation(30, Format::Gif),
            &["w=400", "w=400&fmt=webp"],
        ),
        case(
            "30-frame 400×300 WebP",
            animation(30, Format::Webp),
            &["w=400", "w=300&fmt=gif"],
        ),
        case("circle.svg", corpus("circle.svg"), &["w=4096"]),
        case(
            "SVG, 10 masks, 12 filters",
            layered_svg(10, 12),
            &["w=1200", "w=1600&fmt=webp"],
        ),
    ];
    let mut worst = 0.0f64;
    for Case {
        name,
        input,
        queries,
    } in &cases
    {
        for query in queries {
            let started = std::time::Instant::now();
            let (result, peak) = measured(|| transform(input, &ops(&c, query), &settings));
            print!("{:>6} ms  ", started.elapsed().as_millis());
            let (p, e) = check(name, query, result, peak);
            worst = worst.max(p / e);
        }
    }

    // Precompute's fan-out: one decode, every preset variant.
    let precompute = Settings::precompute(&c);
    let variants: Vec<Ops> = [
        "w=320&fmt=webp",
        "w=1280&fmt=avif",
        "w=2560&fmt=jpeg",
        "w=640",
    ]
    .iter()
    .map(|q| ops(&c, q))
    .collect();
    let big_jpeg = encoded(big, Format::Jpeg, false);
    let (results, peak) = measured(|| transform_many(&big_jpeg, &variants, &precompute));
    let most = results
        .expect("fan-out")
        .into_iter()
        .map(|r| r.expect("variant").memory)
        .max()
        .unwrap_or(0);
    println!(
        "fan-out of 4000×3000: peak {:.1} MiB, largest variant estimate {:.1} MiB",
        peak as f64 / f64::from(1 << 20),
        most as f64 / f64::from(1 << 20)
    );
    assert!(
        peak <= most,
        "the fan-out allocated {peak} bytes over its estimate {most}"
    );
    println!("worst peak/estimate: {worst:.2}");

    // Over the budget: refused with the budget named, before the pixels are allocated.
    let mut tight = Settings::request(&c);
    tight.memory_budget = Some(256 << 20);
    let bomb = png16(7000, 7000);
    let (result, peak) = measured(|| transform(&bomb, &ops(&c, "w=4096&fmt=png"), &tight));
    let err = result.expect_err("a 7000² RGBA render does not fit 256 MiB");
    assert_eq!(err.kind(), "too_complex", "{err}");
    assert!(
        err.to_string().contains("the memory budget is 256 MiB"),
        "{err}"
    );
    assert!(
        peak < 16 << 20,
        "refused after allocating {peak} bytes: the refusal must come before the pixels"
    );
}
