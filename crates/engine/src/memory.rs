//! The render's memory budget: before any pixel is decoded, the largest set of buffers the
//! render will hold at once is worked out from the header and the plan, and a render over the
//! budget is refused with `too_complex`, naming the budget.
//!
//! The figure is the sum of what each step keeps alive while it runs: the picture it reads, the
//! picture it writes and the working memory of the library it calls (libjpeg's coefficient
//! buffers, dav1d's planes, resvg's layers, libaom's and libwebp's frame state, the resizer's
//! intermediate). The per-pixel constants below are upper bounds measured with a counting
//! allocator over the corpus, generated large sources and the hostile files
//! (`tests/memory.rs`, which fails if any render allocates more than this says).

use imgfront_spec::Format;
use imgfront_spec::config::EncoderSettings;

use crate::decode::svg_scan::Complexity;
use crate::probe::SourceFormat;

/// What a render's memory depends on, known once the plan is made.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    pub format: SourceFormat,
    /// The stored source size, and its frames (1 for a still).
    pub source: (u32, u32),
    pub frames: u32,
    /// A progressive JPEG: libjpeg keeps every coefficient of the source at once.
    pub progressive: bool,
    /// The decoded size of one frame (a JPEG's DCT-scaled decode, an SVG's raster).
    pub decoded: (u32, u32),
    pub svg: Complexity,
    /// An ICC profile the decoder does not apply itself, so `to_srgb` converts a copy.
    pub icc: bool,
    pub orient: bool,
    pub out: (u32, u32),
    pub canvas: Option<(u32, u32)>,
    pub effects: bool,
    pub output: Format,
    pub encoder: EncoderSettings,
    /// Whether this render decodes; a fan-out variant copies the picture its source decoded.
    pub decode: bool,
    /// Bytes held for the whole render by someone else: a fan-out's decoded source.
    pub shared: u64,
}

/// The most a render holds at once, and the step where it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub bytes: u64,
    pub step: &'static str,
}

/// libjpeg's coefficient buffer for a progressive file: a 16-bit coefficient for each sample
/// of all three components (4:4:4 is the worst case).
const JPEG_COEFFICIENTS_PER_PIXEL: u64 = 6;
/// dav1d's picture and reference planes (16-bit samples above 8 bits), our 8-bit copy of them,
/// the interleaved RGB(A) and its alpha-dropping copy, per source pixel.
const AVIF_DECODE_PER_PIXEL: u64 = 24;
/// libwebp's YUV(A) or ARGB working planes while decoding one still, per source pixel.
const WEBP_DECODE_PER_PIXEL: u64 = 8;
/// libwebp's encoder state (YUVA planes, per-macroblock info, the token buffer, and the
/// ARGB planes of a lossless or alpha pass), per output pixel.
const WEBP_ENCODE_PER_PIXEL: u64 = 24;
/// libaom's all-intra encoder state (frame buffers with borders, per-block mode info, the
/// source's Y, Cb, Cr planes), per output pixel.
const AVIF_ENCODE_PER_PIXEL: u64 = 40;
/// libaom's fixed allocations for an encoder instance, whatever the size.
const AVIF_ENCODE_FIXED: u64 = 48 << 20;
/// What every render may allocate besides pixels: decoder and encoder contexts, tables, the
/// SVG tree, the output file and its headers.
const FIXED: u64 = 16 << 20;

fn px((w, h): (u32, u32)) -> u64 {
    u64::from(w) * u64::from(h)
}

impl Shape {
    /// The peak over the render's steps.
    pub fn estimate(&self) -> Estimate {
        let frames = u64::from(self.frames.max(1));
        // Channels of a decoded frame: JPEG decodes to RGB, everything else may carry alpha.
        let c: u64 = if self.format == SourceFormat::Jpeg {
            3
        } else {
            4
        };
        let source = px(self.source);
        let decoded = px(self.decoded);
        let held = self.shared + frames * decoded * c;
        let decode = if self.decode {
            self.decode_working(source, decoded) + held
        } else {
            0
        };
        let copy = held + decoded * c;
        let out = px(self.out);
        let resized = frames * out * c;
        // Fast_image_resize premultiplies a copy of the source, keeps an intermediate of the
        // output's width and the source's height, and the box prefilter's result.
        let premultiplied = if c == 4 { decoded * 4 } else { 0 };
        let intermediate = u64::from(self.out.0) * u64::from(self.decoded.1) * c + decoded * c / 2;
        let resize = held + premultiplied + intermediate + resized;
        let (final_size, padded) = match self.canvas {
            Some(canvas) => (px(canvas), self.shared + resized + frames * px(canvas) * 4),
            None => (out, 0),
        };
        let after = self.shared + frames * final_size * 4;
        let effects = if self.effects {
            after + 2 * final_size * 4
        } else {
            0
        };
        let encode = after + self.encode_working(final_size, frames);
        let steps = [
            ("decode", decode),
            ("to_srgb", if self.icc && self.decode { copy } else { 0 }),
            ("orient", if self.orient { copy } else { 0 }),
            ("crop_and_resize", resize),
            ("pad", padded),
            ("effects", effects),
            ("encode", encode),
        ];
        let (step, bytes) = steps
            .into_iter()
            .max_by_key(|(_, b)| *b)
            .unwrap_or(("decode", 0));
        Estimate {
            bytes: bytes + FIXED,
            step,
        }
    }

    /// What the decoder allocates besides the frames it returns.
    fn decode_working(&self, source: u64, decoded: u64) -> u64 {
        let frame = source * 4;
        match self.format {
            // An RGB or CMYK scanline buffer per row group, the CMYK or grey conversion's
            // copy, and for a progressive file every coefficient.
            SourceFormat::Jpeg => {
                let coefficients = if self.progressive {
                    source * JPEG_COEFFICIENTS_PER_PIXEL
                } else {
                    u64::from(self.source.0) * 3 * 32
                };
                coefficients + decoded * 4
            }
            // The 8-bit buffer, then the grey expansion or the alpha-dropping copy.
            SourceFormat::Png => decoded * 4,
            // The canvas, its copy for a "previous" disposal, and the crate's frame buffer.
            SourceFormat::Gif => 3 * frame,
            SourceFormat::Webp if self.frames > 1 => 4 * frame,
            SourceFormat::Webp => source * WEBP_DECODE_PER_PIXEL + decoded * 3,
            SourceFormat::Avif => source * AVIF_DECODE_PER_PIXEL,
            // resvg's canvas, one pixmap per nested layer (drawn and masked), one per filter
            // result, and the straight-alpha copy.
            SourceFormat::Svg => {
                let layers = 2 * self.svg.layers as u64 + self.svg.filter_primitives as u64;
                decoded * 4 * (2 + layers)
            }
        }
    }

    /// What the encoder allocates besides the frames it reads.
    fn encode_working(&self, pixels: u64, frames: u64) -> u64 {
        match self.output {
            // An RGB copy of a flattened frame, and for progressive or optimised files every
            // coefficient (mozjpeg keeps them to plan its scans).
            Format::Jpeg => pixels * (3 + JPEG_COEFFICIENTS_PER_PIXEL),
            // The filtered rows and the compressed stream.
            Format::Png => pixels * 8,
            Format::Webp if frames > 1 => frames * pixels * 4 + pixels * WEBP_ENCODE_PER_PIXEL,
            Format::Webp => pixels * WEBP_ENCODE_PER_PIXEL,
            Format::Avif => {
                let speed_factor = if self.encoder.avif_speed < 6 { 2 } else { 1 };
                pixels * AVIF_ENCODE_PER_PIXEL * speed_factor + AVIF_ENCODE_FIXED
            }
            // Each frame's RGBA copy, its indices and the quantiser.
            Format::Gif => pixels * 6,
        }
    }
}
