//! The imgfront image engine: source bytes + transform spec → derivative bytes. No AWS, no I/O.
//!
//! [`transform`] runs the ordered steps of [`pipeline`]: limits from the header, shrink-on-load
//! decode, sRGB, orientation, crop/resize, effects, encode.

pub mod color;
pub mod decode;
pub mod effects;
pub mod encode;
mod error;
pub mod geometry;
pub mod interrupt;
pub mod memory;
pub mod orient;
mod pipeline;
pub mod planar;
pub mod probe;
pub mod raster;
pub mod resize;
pub mod smartcrop;

use std::time::Duration;

use imgfront_spec::config::{DefaultQuality, EncoderSettings};
use imgfront_spec::{Config, Format, Ops};

pub use error::EngineError;
pub use probe::SourceFormat;

/// When a JPEG → JPEG render takes the YCbCr path ([`planar`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YccPath {
    Never,
    /// Wherever the planes arrive with chroma still subsampled: libjpeg's at full size, and at
    /// a DCT scale the reduced decoder's ([`decode::jpeg::reduced`]). libjpeg's own scaled decode IDCTs
    /// chroma at luma size, and three full planes resized measured slower than one RGB raster.
    Subsampled,
    /// Also libjpeg's scaled planes, when the reduced decoder is off or declines (to measure them).
    Always,
}

/// Limits and encoder choices for one kind of caller (request path or precompute).
#[derive(Clone, Debug)]
pub struct Settings {
    pub max_source_pixels: u64,
    pub max_source_bytes: u64,
    pub max_width: u32,
    pub max_height: u32,
    pub default_quality: DefaultQuality,
    pub encoder: EncoderSettings,
    /// When YCbCr JPEGs stay in YCbCr from decode to a JPEG encode (no step needing RGB).
    pub ycc_path: YccPath,
    /// Decode JPEGs that shrink on load (1/8, 1/4, 1/2) from only the coefficients that scale
    /// needs (the reduced decoder, [`decode::jpeg::reduced`]): progressive files always, baseline ones on the YCbCr
    /// path when the decode is the output size. On by default; off only to measure libjpeg
    /// against it.
    pub reduced_decoder: bool,
    /// The render's wall-clock budget; past it the render stops with `too_complex` (422).
    pub deadline: Option<Duration>,
    /// The render's memory budget in bytes: a render estimated to need more is refused with
    /// `too_complex` (422) before anything is decoded ([`memory`]).
    pub memory_budget: Option<u64>,
    /// Set when nobody waits for the render any more; it stops at the next checkpoint.
    pub cancel: Option<interrupt::Cancel>,
}

impl Settings {
    fn from_config(
        config: &Config,
        encoder: EncoderSettings,
        deadline_s: f64,
        memory_mib: u64,
    ) -> Settings {
        Settings {
            max_source_pixels: config.limits.max_source_pixels,
            max_source_bytes: config.limits.max_source_bytes,
            max_width: config.limits.max_width,
            max_height: config.limits.max_height,
            default_quality: config.quality.default.clone(),
            encoder,
            ycc_path: YccPath::Subsampled,
            reduced_decoder: true,
            deadline: Some(Duration::from_secs_f64(deadline_s)),
            memory_budget: Some(memory_mib << 20),
            cancel: None,
        }
    }

    /// Fast encoders, for the transform function, the local edge and the CLI.
    pub fn request(config: &Config) -> Settings {
        Settings::from_config(
            config,
            config.encoding.request,
            config.limits.request_render_s,
            config.limits.request_render_mib,
        )
    }

    /// Smaller, slower encoders, for precompute and backfill.
    pub fn precompute(config: &Config) -> Settings {
        Settings::from_config(
            config,
            config.encoding.precompute,
            config.limits.precompute_render_s,
            config.limits.precompute_render_mib,
        )
    }
}

/// An encoded derivative.
#[derive(Clone, Debug)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub frames: usize,
    /// The most memory the render was estimated to hold at once, in bytes ([`memory`]).
    pub memory: u64,
    /// Time spent in each pipeline step, in order.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Transforms `input` as `ops` say.
pub fn transform(input: &[u8], ops: &Ops, settings: &Settings) -> Result<Output, EngineError> {
    pipeline::run(input, ops, settings)
}

/// Renders several variants of one source from a single decode (precompute's fan-out). The
/// outer error is the source's (limits, corrupt bytes); each variant has its own result.
pub fn transform_many(
    input: &[u8],
    variants: &[Ops],
    settings: &Settings,
) -> Result<Vec<Result<Output, EngineError>>, EngineError> {
    pipeline::run_many(input, variants, settings)
}
