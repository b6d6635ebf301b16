//! The transform pipeline: an ordered list of small named steps, read top to bottom.
//!
//! Limits are checked from the header before anything is decoded; decoding shrinks on load
//! to what the output needs; EXIF orientation and the user's rotation are applied in one pass;
//! metadata never reaches the encoder.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use imgfront_spec::{Fit, Format, Ops, Orientation};

use crate::decode;
use crate::decode::jpeg::route::{self, Route};
use crate::decode::jpeg::{libjpeg, reduced};
use crate::error::{EngineError, UnwindMessage, too_complex, undecodable};
use crate::geometry::{self, Plan};
use crate::planar::{self, Ycc};
use crate::probe::{self, Header, SourceFormat};
use crate::raster::{Picture, Raster};
use crate::resize::{self, Region};
use crate::{
    Output, Settings, YccPath, color, effects, encode, interrupt, memory, orient, smartcrop,
};

type Step = fn(&mut Job) -> Result<(), EngineError>;

/// Where a step runs in precompute's fan-out, which renders many variants from one decode.
/// A single render runs every step in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Once per source: the bytes and the header are checked.
    Source,
    /// Once per variant before anything is decoded: its plan, and the budget it needs.
    Plan,
    /// Once per source, with the plan of the variant that needs the most pixels.
    Decode,
    /// Once per variant, from its own copy of the decoded picture.
    Render,
}

/// The steps, in order, each with its phase. Each is small and named so timings and failures
/// say where they happened.
const STEPS: &[(&str, Phase, Step)] = &[
    ("check_bytes", Phase::Source, check_bytes),
    ("probe", Phase::Source, probe_header),
    ("check_pixels", Phase::Source, check_pixels),
    ("plan", Phase::Plan, plan),
    ("check_memory", Phase::Plan, check_memory),
    ("decode", Phase::Decode, decode),
    ("to_srgb", Phase::Decode, to_srgb),
    ("orient", Phase::Render, orient),
    ("crop_and_resize", Phase::Render, crop_and_resize),
    ("pad", Phase::Render, pad),
    ("blur", Phase::Render, blur),
    ("sharpen", Phase::Render, sharpen),
    ("flatten", Phase::Render, flatten),
    ("encode", Phase::Render, encode),
];

/// A source decodes once for many variants only if it is more than this many times larger
/// (per axis) than the largest variant needs; it is then downscaled once to that margin, which
/// keeps Lanczos quality for every variant below it.
const INTERMEDIATE_MARGIN: f64 = 2.0;

/// The least downscale for which that intermediate is made.
const SHRINK_WORTHWHILE: f64 = 1.5;

/// Everything the steps share.
struct Job<'a> {
    input: &'a [u8],
    ops: &'a Ops,
    settings: &'a Settings,
    /// When the render began: its wall-clock budget counts from here.
    started: Instant,
    format: Option<SourceFormat>,
    header: Header,
    /// A parsed SVG, and what its pre-scan measured.
    svg: Option<(resvg::usvg::Tree, decode::svg_scan::Complexity)>,
    /// EXIF orientation followed by the user's `flip`/`rot`.
    orientation: Orientation,
    /// Source size after orientation.
    upright: (u32, u32),
    plan: Option<Plan>,
    output_format: Format,
    picture: Picture,
    icc_applied: bool,
    /// Decoded pixels per source pixel, when the decoder says so exactly: a JPEG decoded at
    /// 1/4 rounds 2725 px up to 682, whose last column is only a quarter image.
    decode_scale: Option<(f64, f64)>,
    /// Where the image starts in the raster: (0, 0) unless orientation moved a DCT-scaled
    /// decode's partial last row or column to the top or left.
    content_origin: (f64, f64),
    /// A JPEG on the YCbCr fast path holds its planes here instead of `picture`.
    ycc: Option<Ycc>,
    /// Single renders may take the YCbCr path; a fan-out shares one RGB decode.
    allow_planar: bool,
    /// A fan-out variant: the bytes of the decoded picture its source keeps for every variant.
    shared: Option<u64>,
    /// The memory this render was estimated to need at most (`check_memory`).
    memory: u64,
    bytes: Vec<u8>,
}

impl Job<'_> {
    /// Decoded pixels per pixel of a source of size `source` on each axis: exact when the
    /// decode step recorded it, else the size ratio (a whole-pixel decode, or SVG rendered at
    /// size). `orient` swaps a recorded scale when it transposes the picture.
    fn decoded_scale(&self, source: (u32, u32)) -> (f64, f64) {
        if let Some(s) = self.decode_scale {
            return s;
        }
        let (pw, ph) = self.size();
        let (pw, ph) = (f64::from(pw), f64::from(ph));
        (
            pw / f64::from(source.0.max(1)),
            ph / f64::from(source.1.max(1)),
        )
    }

    /// The picture's extent in the raster, in pixels, for a source of size `source`: a
    /// DCT-scaled decode rounds its size up (2725 px at 1/4 is 682 pixels, the last a quarter
    /// image), so anchoring on the raster's edge would shift a centred crop by up to half a pixel.
    fn content_size(&self, source: (u32, u32)) -> (f64, f64) {
        let (sx, sy) = self.decoded_scale(source);
        let (w, h) = self.size();
        (
            (f64::from(source.0) * sx).min(f64::from(w)),
            (f64::from(source.1) * sy).min(f64::from(h)),
        )
    }

    /// The current pixel size, on either path.
    fn size(&self) -> (u32, u32) {
        match &self.ycc {
            Some(ycc) => (ycc.width(), ycc.height()),
            None => (self.picture.width(), self.picture.height()),
        }
    }

    /// Whether no step of this render needs RGB pixels, so a YCbCr JPEG can stay in YCbCr
    /// from decode to encode.
    fn planar_eligible(&self, plan: &Plan) -> bool {
        self.allow_planar
            && self.output_format == Format::Jpeg
            && self.header.icc.is_none()
            && !self.header.adobe
            && self.orientation.is_identity()
            && self.ops.blur().is_none()
            && self.ops.sharpen().is_none()
            && plan.canvas.is_none()
            && (self.ops.fit() != Fit::Cover || self.ops.position().anchor().is_some())
    }

    /// Moves the picture out, for steps that rebuild every frame.
    fn take_picture(&mut self) -> Picture {
        std::mem::replace(
            &mut self.picture,
            Picture {
                frames: Vec::new(),
                loop_count: 0,
            },
        )
    }
}

impl<'a> Job<'a> {
    fn new(input: &'a [u8], ops: &'a Ops, settings: &'a Settings) -> Job<'a> {
        Job {
            input,
            ops,
            settings,
            started: Instant::now(),
            format: None,
            header: Header::default(),
            svg: None,
            orientation: Orientation::IDENTITY,
            upright: (0, 0),
            plan: None,
            output_format: Format::Jpeg,
            picture: Picture {
                frames: Vec::new(),
                loop_count: 0,
            },
            icc_applied: false,
            decode_scale: None,
            content_origin: (0.0, 0.0),
            ycc: None,
            allow_planar: false,
            shared: None,
            memory: 0,
            bytes: Vec::new(),
        }
    }

    /// Runs the steps of `phases` in order, timing each; a panic inside a decoder or encoder
    /// becomes `Undecodable`, never an abort.
    fn run(
        &mut self,
        phases: &[Phase],
        timings: &mut Vec<(&'static str, std::time::Duration)>,
    ) -> Result<(), EngineError> {
        let _scope = interrupt::Scope::enter(
            self.started,
            self.settings.deadline,
            self.settings.cancel.clone(),
        );
        for (name, _, step) in STEPS.iter().filter(|(_, p, _)| phases.contains(p)) {
            // Checked before every step, and inside the engine's own loops: a render past its
            // budget or abandoned stops instead of spending CPU on a result nobody reads.
            interrupt::checkpoint(&format!("before the {name} step"))?;
            let started = Instant::now();
            match std::panic::catch_unwind(AssertUnwindSafe(|| step(self))) {
                Ok(result) => result?,
                Err(panic) => {
                    // Our own unwinds carry our words; a dependency's panic text (`called
                    // Option::unwrap() on a None value`) says nothing about the input and
                    // never reaches a response: it stays in the log the panic hook wrote.
                    let why = match panic.downcast_ref::<UnwindMessage>() {
                        Some(UnwindMessage(message)) => message.clone(),
                        None => format!(
                            "the {name} step could not handle this input (a value in it is out of the range the decoder or encoder supports)"
                        ),
                    };
                    return Err(undecodable(why));
                }
            }
            timings.push((*name, started.elapsed()));
        }
        Ok(())
    }

    fn output(self, timings: Vec<(&'static str, std::time::Duration)>) -> Output {
        let (width, height) = self.size();
        Output {
            width,
            height,
            frames: if self.ycc.is_some() {
                1
            } else {
                self.picture.frames.len()
            },
            format: self.output_format,
            memory: self.memory,
            bytes: self.bytes,
            timings,
        }
    }
}

const ALL: &[Phase] = &[Phase::Source, Phase::Plan, Phase::Decode, Phase::Render];

/// Runs every step for one variant.
pub fn run(input: &[u8], ops: &Ops, settings: &Settings) -> Result<Output, EngineError> {
    let mut job = Job::new(input, ops, settings);
    job.allow_planar = true;
    let mut timings = Vec::with_capacity(STEPS.len());
    job.run(ALL, &mut timings)?;
    Ok(job.output(timings))
}

/// Renders many variants of one source from a single decode. A failure of the source (limits,
/// corrupt bytes) fails the whole call; a failure of one variant fails only that variant.
pub fn run_many(
    input: &[u8],
    variants: &[Ops],
    settings: &Settings,
) -> Result<Vec<Result<Output, EngineError>>, EngineError> {
    let Some(first) = variants.first() else {
        return Ok(Vec::new());
    };
    let mut source = Job::new(input, first, settings);
    let mut shared = Vec::new();
    source.run(&[Phase::Source], &mut shared)?;
    // A vector is rasterised at each output size: sharing a raster would blur the small ones.
    if source.format == Some(SourceFormat::Svg) {
        return Ok(variants.iter().map(|o| run(input, o, settings)).collect());
    }
    // Decode with the plan of the variant that needs the most source pixels; each variant's
    // plan is checked against the memory budget as if it were rendered alone.
    let mut largest: Option<(Plan, &Ops)> = None;
    for ops in variants {
        source.ops = ops;
        source.run(&[Phase::Plan], &mut Vec::new())?;
        let p = source
            .plan
            .ok_or_else(|| EngineError::Internal("no plan".into()))?;
        if largest.is_none_or(|(l, _)| p.scale_x.max(p.scale_y) > l.scale_x.max(l.scale_y)) {
            largest = Some((p, ops));
        }
    }
    if let Some((plan, ops)) = largest {
        source.plan = Some(plan);
        source.ops = ops;
    }
    source.run(&[Phase::Decode], &mut shared)?;
    let started = Instant::now();
    shrink_to_margin(&mut source)?;
    shared.push(("intermediate", started.elapsed()));
    let held = source.picture.bytes();

    Ok(variants
        .iter()
        .map(|ops| {
            let mut job = Job::new(input, ops, settings);
            // The fan-out shares one budget with the decode it reuses.
            job.started = source.started;
            job.format = source.format;
            job.header = source.header.clone();
            job.icc_applied = true;
            job.decode_scale = source.decode_scale;
            job.picture = source.picture.clone();
            job.shared = Some(held);
            let mut timings = shared.clone();
            job.run(&[Phase::Plan, Phase::Render], &mut timings)?;
            Ok(job.output(timings))
        })
        .collect())
}

/// Downscales the decoded picture once, uniformly, to `INTERMEDIATE_MARGIN` times what the
/// largest variant needs, so each variant resizes from far fewer pixels.
fn shrink_to_margin(job: &mut Job) -> Result<(), EngineError> {
    let Some(plan) = job.plan else {
        return Ok(());
    };
    // Decoded pixels per source pixel (a JPEG may already have shrunk on load).
    let (sw, sh) = (
        f64::from(job.header.width.max(1)),
        f64::from(job.header.height.max(1)),
    );
    let decoded = job.decoded_scale((job.header.width, job.header.height));
    let target = plan.scale_x.max(plan.scale_y) * INTERMEDIATE_MARGIN;
    // A shrink by less than SHRINK_WORTHWHILE saves little resizing and gives the largest
    // variants a second resampling step. (It did not cure the one JPEG variant the benchmark
    // scores under sharp, `w=1280` of the 18 MP photo: 65.81 before, 65.75 after.)
    if decoded.0.max(decoded.1) <= target * SHRINK_WORTHWHILE {
        return Ok(());
    }
    // Only the part of the raster that is image: never the rounded-up edge of a DCT decode.
    let content = Region {
        x: 0.0,
        y: 0.0,
        w: sw * decoded.0,
        h: sh * decoded.1,
    };
    let w = ((sw * target).round() as u32).max(1);
    let h = ((sh * target).round() as u32).max(1);
    job.picture = job
        .take_picture()
        .map(|r| resize::resize(&r, content, w, h))?;
    job.decode_scale = Some((f64::from(w) / sw, f64::from(h) / sh));
    Ok(())
}

/// Animation frames a source may have (GIF, animated WebP).
pub const MAX_FRAMES: u32 = 1000;

fn check_bytes(job: &mut Job) -> Result<(), EngineError> {
    let (len, max) = (job.input.len() as u64, job.settings.max_source_bytes);
    if len > max {
        return Err(EngineError::SourceTooLarge(format!(
            "{len} bytes; the maximum is {max}"
        )));
    }
    Ok(())
}

fn probe_header(job: &mut Job) -> Result<(), EngineError> {
    let format = probe::sniff(job.input)?;
    job.header = probe::header(format, job.input)?;
    if format == SourceFormat::Svg {
        let (tree, complexity) = decode::svg::parse(job.input)?;
        (job.header.width, job.header.height) = decode::svg::size(&tree);
        job.svg = Some((tree, complexity));
    }
    job.format = Some(format);
    Ok(())
}

fn check_pixels(job: &mut Job) -> Result<(), EngineError> {
    let h = &job.header;
    let max = job.settings.max_source_pixels;
    // A vector is rasterised at the output size, but its declared canvas is still capped: a
    // request without a width would render it whole.
    if job.format == Some(SourceFormat::Svg) {
        let pixels = u64::from(h.width) * u64::from(h.height);
        if pixels > max {
            return Err(EngineError::SourceTooLarge(format!(
                "SVG canvas {}×{} = {pixels} pixels; the maximum is {max}",
                h.width, h.height
            )));
        }
        return Ok(());
    }
    // Frames are capped on their own too: a million 1×1 frames are few pixels, but each costs
    // the decoder and the encoder a frame's overhead.
    if h.frames > MAX_FRAMES {
        return Err(EngineError::SourceTooLarge(format!(
            "{} animation frames; the maximum is {MAX_FRAMES}",
            h.frames
        )));
    }
    let pixels = u64::from(h.width) * u64::from(h.height) * u64::from(h.frames.max(1));
    if pixels > max {
        let frames = if h.frames > 1 {
            format!(" × {} frames", h.frames)
        } else {
            String::new()
        };
        return Err(EngineError::SourceTooLarge(format!(
            "{}×{}{frames} = {pixels} pixels; the maximum is {max}",
            h.width, h.height
        )));
    }
    Ok(())
}

fn plan(job: &mut Job) -> Result<(), EngineError> {
    let format = job
        .format
        .ok_or_else(|| EngineError::Internal("plan before probe".into()))?;
    job.orientation =
        Orientation::from_exif(job.header.exif_orientation).then(job.ops.orientation());
    let (w, h) = (job.header.width, job.header.height);
    job.upright = if job.orientation.transposes() {
        (h, w)
    } else {
        (w, h)
    };
    let s = job.settings;
    let enlarge = format == SourceFormat::Svg;
    job.plan = Some(geometry::plan(
        job.upright.0,
        job.upright.1,
        job.ops,
        s.max_width,
        s.max_height,
        enlarge,
    ));
    job.output_format = job.ops.format().unwrap_or(match format {
        SourceFormat::Jpeg => Format::Jpeg,
        SourceFormat::Png | SourceFormat::Svg => Format::Png,
        SourceFormat::Gif => Format::Gif,
        SourceFormat::Webp => Format::Webp,
        SourceFormat::Avif => Format::Avif,
    });
    Ok(())
}

fn decode(job: &mut Job) -> Result<(), EngineError> {
    let plan = job
        .plan
        .ok_or_else(|| EngineError::Internal("decode before plan".into()))?;
    let max_pixels = job.settings.max_source_pixels;
    let picture = match job.format {
        Some(SourceFormat::Jpeg) => {
            let (numerator, routes) = route::routes(jpeg_choice(job, &plan));
            let scale = f64::from(numerator) / 8.0;
            job.decode_scale = Some((scale, scale));
            let mut picture = None;
            for r in routes {
                // A decode that declines (the reduced decoder) or does not apply (libjpeg's
                // planes of a grey or CMYK file) falls through to the next; libjpeg's RGB
                // decode is always last and reports the file's real errors.
                interrupt::checkpoint("in the decode step")?;
                match r {
                    Route::ReducedPlanes { numerator, filter } => {
                        if let Ok(ycc) =
                            reduced::decode_ycc(job.input, max_pixels, numerator, filter)
                        {
                            job.ycc = Some(ycc);
                            return Ok(());
                        }
                    }
                    Route::ReducedRgb { numerator } => {
                        if let Ok(raster) = reduced::decode(job.input, max_pixels, numerator) {
                            picture = Some(Picture::still(raster));
                            break;
                        }
                    }
                    Route::LibjpegPlanes { numerator } => {
                        if let Some(ycc) = libjpeg::decode_planes(job.input, numerator)? {
                            job.ycc = Some(ycc);
                            return Ok(());
                        }
                    }
                    Route::LibjpegRgb { numerator } => {
                        let (raster, applied) = libjpeg::decode(job.input, &job.header, numerator)?;
                        job.icc_applied = applied;
                        picture = Some(Picture::still(raster));
                        break;
                    }
                }
            }
            picture.ok_or_else(|| EngineError::Internal("no JPEG route decoded".into()))?
        }
        Some(SourceFormat::Png) => {
            let budget = usize::try_from(max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
            let (raster, icc) = decode::png::decode(job.input, budget)?;
            job.header.icc = icc;
            Picture::still(raster.drop_opaque_alpha())
        }
        Some(SourceFormat::Gif) => {
            let frame_bytes = u64::from(job.header.width) * u64::from(job.header.height) * 4;
            decode::gif::decode(job.input, frame_bytes.max(1024))?
        }
        Some(SourceFormat::Webp) => {
            let p = decode::webp::decode(job.input)?;
            if p.is_animated() {
                p
            } else {
                p.map(|r| Ok::<_, EngineError>(r.drop_opaque_alpha()))?
            }
        }
        Some(SourceFormat::Avif) => {
            let limit = u32::try_from(max_pixels).unwrap_or(u32::MAX);
            Picture::still(decode::avif::decode(job.input, limit)?.drop_opaque_alpha())
        }
        Some(SourceFormat::Svg) => {
            let (w, h) = svg_raster_size(job, &plan);
            let tree = job
                .svg
                .as_ref()
                .ok_or_else(|| EngineError::Internal("SVG not parsed".into()))?;
            Picture::still(decode::svg::render(&tree.0, w, h)?)
        }
        None => return Err(EngineError::Internal("decode before probe".into())),
    };
    job.picture = picture;
    Ok(())
}

/// What the JPEG route depends on, for `plan`.
fn jpeg_choice(job: &Job, plan: &Plan) -> route::Choice {
    route::Choice {
        planar: job.settings.ycc_path != YccPath::Never && job.planar_eligible(plan),
        reduced: job.settings.reduced_decoder,
        libjpeg_scaled_planes: job.settings.ycc_path == YccPath::Always,
        progressive: job.header.progressive,
        scale: (plan.scale_x, plan.scale_y),
        margin: f64::from(job.settings.encoder.jpeg_shrink_margin),
    }
}

/// An SVG renders whole at its scaled size, in stored (pre-rotation) axes.
fn svg_raster_size(job: &Job, plan: &Plan) -> (u32, u32) {
    let (sx, sy) = if job.orientation.transposes() {
        (plan.scale_y, plan.scale_x)
    } else {
        (plan.scale_x, plan.scale_y)
    };
    let most = job.settings.max_width.max(job.settings.max_height);
    (
        ((f64::from(job.header.width) * sx).round() as u32).clamp(1, most),
        ((f64::from(job.header.height) * sy).round() as u32).clamp(1, most),
    )
}

/// Refuses a render whose buffers would outgrow the memory budget, before any is allocated.
fn check_memory(job: &mut Job) -> Result<(), EngineError> {
    let (Some(plan), Some(format)) = (job.plan, job.format) else {
        return Err(EngineError::Internal("check_memory before plan".into()));
    };
    let source = (job.header.width, job.header.height);
    let (decoded, decode) = match (&job.shared, format) {
        // A fan-out variant reads the picture the source phase decoded once.
        (Some(_), _) => (job.size(), false),
        (None, SourceFormat::Jpeg) => {
            let n = u32::from(route::routes(jpeg_choice(job, &plan)).0);
            let scaled = |v: u32| (v * n).div_ceil(8).max(1);
            ((scaled(source.0), scaled(source.1)), true)
        }
        (None, SourceFormat::Svg) => (svg_raster_size(job, &plan), true),
        (None, _) => (source, true),
    };
    let shape = memory::Shape {
        format,
        source,
        frames: job.header.frames,
        progressive: job.header.progressive,
        decoded,
        svg: job.svg.as_ref().map(|(_, c)| *c).unwrap_or_default(),
        icc: job.header.icc.is_some() && !job.icc_applied,
        orient: !job.orientation.is_identity(),
        out: (plan.out_w, plan.out_h),
        canvas: plan.canvas,
        effects: job.ops.blur().is_some() || job.ops.sharpen().is_some(),
        output: job.output_format,
        encoder: job.settings.encoder,
        decode,
        shared: job.shared.unwrap_or(0),
    };
    let estimate = shape.estimate();
    job.memory = estimate.bytes;
    if let Some(budget) = job.settings.memory_budget
        && estimate.bytes > budget
    {
        return Err(too_complex(format!(
            "the render would hold about {} MiB at its {} step; the memory budget is {} MiB",
            estimate.bytes.div_ceil(1 << 20),
            estimate.step,
            budget >> 20
        )));
    }
    Ok(())
}

fn to_srgb(job: &mut Job) -> Result<(), EngineError> {
    if let (Some(icc), false) = (&job.header.icc, job.icc_applied) {
        // One transform, built once, serves every frame.
        if let Some(transform) =
            color::SrgbTransform::new(icc, job.picture.frames.iter().any(|f| f.raster.has_alpha()))
        {
            for (i, f) in job.picture.frames.iter_mut().enumerate() {
                interrupt::checkpoint(&format!("converting frame {} to sRGB", i + 1))?;
                transform.apply(&mut f.raster);
            }
        }
    }
    Ok(())
}

fn orient(job: &mut Job) -> Result<(), EngineError> {
    if !job.orientation.is_identity() {
        let o = job.orientation;
        if job.decode_scale.is_some() {
            let (w, h) = job.size();
            let content = job.content_size((job.header.width, job.header.height));
            job.content_origin = oriented_origin(o, (f64::from(w), f64::from(h)), content);
        }
        if o.transposes() {
            job.decode_scale = job.decode_scale.map(|(x, y)| (y, x));
        }
        job.picture = job
            .take_picture()
            .map(|r| Ok::<_, EngineError>(orient::apply(&r, o)))?;
    }
    Ok(())
}

/// Where content occupying the top-left `content` of a `size` raster starts once `o` has
/// mirrored and rotated the raster (as `orient::apply` does).
fn oriented_origin(o: Orientation, (w, h): (f64, f64), (cw, ch): (f64, f64)) -> (f64, f64) {
    // The content's box as [x0, x1) × [y0, y1), mirrored first, then turned clockwise.
    let (x0, x1) = if o.mirror { (w - cw, w) } else { (0.0, cw) };
    let (y0, y1) = (0.0, ch);
    match o.quarter_turns % 4 {
        0 => (x0, y0),
        1 => (h - y1, x0),
        2 => (w - x1, h - y1),
        _ => (y0, w - x1),
    }
}

fn crop_and_resize(job: &mut Job) -> Result<(), EngineError> {
    let plan = job
        .plan
        .ok_or_else(|| EngineError::Internal("resize before plan".into()))?;
    // Decoded pixels per upright source pixel: JPEG may have shrunk on load, SVG rendered at size.
    let (rx, ry) = job.decoded_scale(job.upright);
    let (dw, dh) = job.content_size(job.upright);
    let (rw, rh) = (plan.region_w * rx, plan.region_h * ry);
    let (rw, rh) = (rw.min(dw), rh.min(dh));
    let (x, y) = if job.ops.fit() == Fit::Cover && (rw < dw || rh < dh) {
        match job.ops.position().anchor() {
            Some((ax, ay)) => ((dw - rw) * f64::from(ax), (dh - rh) * f64::from(ay)),
            None => {
                let (x, y) =
                    smartcrop::place(&job.picture.frames[0].raster, rw, rh, job.ops.position());
                (x.min(dw - rw), y.min(dh - rh))
            }
        }
    } else {
        (0.0, 0.0)
    };
    let (ox, oy) = job.content_origin;
    // Rounding may put the far edge an ulp past the raster, which the resizer refuses.
    let (raster_w, raster_h) = job.size();
    let region = Region {
        x: (x + ox).min(f64::from(raster_w) - rw).max(0.0),
        y: (y + oy).min(f64::from(raster_h) - rh).max(0.0),
        w: rw,
        h: rh,
    };
    let (ow, oh) = (plan.out_w, plan.out_h);
    if let Some(ycc) = &job.ycc {
        job.ycc = Some(ycc.resize(region, ow, oh)?);
        return Ok(());
    }
    let margin = f64::from(job.settings.encoder.jpeg_shrink_margin);
    job.picture = job
        .take_picture()
        .map(|r| resize::resize_prefiltered(&r, region, ow, oh, margin))?;
    Ok(())
}

fn pad(job: &mut Job) -> Result<(), EngineError> {
    if let Some(Some((w, h))) = job.plan.map(|p| p.canvas) {
        let bg = job.ops.background_or_default();
        job.picture = job
            .take_picture()
            .map(|r| Ok::<_, EngineError>(effects::pad(&r, w, h, bg)))?;
    }
    Ok(())
}

fn each_frame(job: &mut Job, f: impl Fn(&Raster) -> Raster) -> Result<(), EngineError> {
    for (i, frame) in job.picture.frames.iter_mut().enumerate() {
        interrupt::checkpoint(&format!("at frame {}", i + 1))?;
        frame.raster = f(&frame.raster);
    }
    Ok(())
}

fn blur(job: &mut Job) -> Result<(), EngineError> {
    if let Some(sigma) = job.ops.blur() {
        each_frame(job, |r| effects::blur(r, sigma.value()))?;
    }
    Ok(())
}

fn sharpen(job: &mut Job) -> Result<(), EngineError> {
    if let Some(sigma) = job.ops.sharpen() {
        each_frame(job, |r| effects::sharpen(r, sigma.value()))?;
    }
    Ok(())
}

fn flatten(job: &mut Job) -> Result<(), EngineError> {
    // Opaque rasters need no work; flattening them would only copy the pixels.
    let has_alpha = job.picture.frames.iter().any(|f| f.raster.has_alpha());
    if has_alpha && !job.output_format.supports_alpha() {
        let bg = job.ops.background_or_default();
        each_frame(job, |r| effects::flatten(r, bg))?;
    }
    Ok(())
}

fn encode(job: &mut Job) -> Result<(), EngineError> {
    let s = job.settings;
    let quality = job.ops.quality().unwrap_or(match job.output_format {
        Format::Jpeg => s.default_quality.jpeg,
        Format::Webp => s.default_quality.webp,
        Format::Avif => s.default_quality.avif,
        Format::Png | Format::Gif => 100,
    });
    if let Some(ycc) = &job.ycc {
        job.bytes = planar::encode_jpeg(ycc, quality, &s.encoder)?;
        return Ok(());
    }
    if !job.output_format.supports_animation() {
        job.picture.frames.truncate(1);
    }
    job.bytes = encode::encode(&job.picture, job.output_format, quality, &s.encoder)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Phase, STEPS};

    #[test]
    fn steps_are_in_pipeline_order() {
        let names: Vec<&str> = STEPS.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(names.first(), Some(&"check_bytes"));
        let at = |step: &str| names.iter().position(|n| *n == step);
        assert!(at("check_pixels") < at("decode"));
        assert!(at("check_memory") < at("decode"));
        assert_eq!(names.last(), Some(&"encode"));
    }

    /// A fan-out runs the phases in turn, so a single render (every step in table order) and
    /// a fan-out variant see the steps in the same order only if each phase is one contiguous
    /// run of the table, in phase order.
    #[test]
    fn each_phase_is_one_run_of_the_table_in_order() {
        let phases: Vec<Phase> = STEPS.iter().map(|(_, p, _)| *p).collect();
        assert!(
            phases.windows(2).all(|w| w[0] <= w[1]),
            "phases out of order: {phases:?}"
        );
        for phase in [Phase::Source, Phase::Plan, Phase::Decode, Phase::Render] {
            assert!(phases.contains(&phase), "{phase:?} has no steps");
        }
    }
}
