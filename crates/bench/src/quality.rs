//! Quality: SSIMULACRA2 of each output against one high-quality reference resize per
//! image and output size, made here from a full-size decode, in linear light, with Lanczos3.
//! Neither engine's decoder or resampler makes the reference.

use std::collections::HashMap;
use std::path::Path;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use ssimulacra2::{LinearRgb, compute_frame_ssimulacra2};

fn to_linear(v: u8) -> f32 {
    let c = f32::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Decoded RGB in linear light.
struct Linear {
    width: u32,
    height: u32,
    data: Vec<f32>,
}

fn linear_from_rgb8(width: u32, height: u32, rgb: &[u8]) -> Linear {
    let lut: Vec<f32> = (0..=255u8).map(to_linear).collect();
    Linear {
        width,
        height,
        data: rgb.iter().map(|&v| lut[usize::from(v)]).collect(),
    }
}

/// Decodes an output of either side. JPEG, PNG and WebP go through the `image` crate; AVIF
/// through imgfront's own decoder, since no other AVIF decoder is linked.
fn decode(path: &Path) -> Result<Linear, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if path.extension().is_some_and(|e| e == "avif" || e == "heif") {
        let r = imgfront_engine::decode::avif::decode(&bytes, u32::MAX)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let rgb: Vec<u8> = if r.has_alpha() {
            r.data
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect()
        } else {
            r.data.clone()
        };
        return Ok(linear_from_rgb8(r.width, r.height, &rgb));
    }
    let img = image::load_from_memory(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .to_rgb8();
    Ok(linear_from_rgb8(img.width(), img.height(), img.as_raw()))
}

fn ssim_image(l: &Linear) -> Result<LinearRgb, String> {
    let px = l.data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    LinearRgb::new(px, l.width as usize, l.height as usize).map_err(|e| format!("{e:?}"))
}

/// References for one source image, made on demand and kept per output size and fit.
pub struct References {
    source: Linear,
    made: HashMap<(u32, u32, bool), LinearRgb>,
}

impl References {
    pub fn new(original: &Path) -> Result<References, String> {
        Ok(References {
            source: decode(original)?,
            made: HashMap::new(),
        })
    }

    fn reference(&mut self, w: u32, h: u32, cover: bool) -> Result<&LinearRgb, String> {
        if !self.made.contains_key(&(w, h, cover)) {
            let (sw, sh) = (f64::from(self.source.width), f64::from(self.source.height));
            // `cover` keeps the centred region of the output's aspect ratio; otherwise the
            // whole image is scaled (to the output's exact size, so rounding never differs).
            let (cw, ch) = if cover {
                let scale = (f64::from(w) / sw).max(f64::from(h) / sh);
                (f64::from(w) / scale, f64::from(h) / scale)
            } else {
                (sw, sh)
            };
            let bytes: &[u8] = bytemuck_f32(&self.source.data);
            let src = ImageRef::new(
                self.source.width,
                self.source.height,
                bytes,
                PixelType::F32x3,
            )
            .map_err(|e| e.to_string())?;
            let mut dst = Image::new(w, h, PixelType::F32x3);
            let options = ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                .crop((sw - cw) / 2.0, (sh - ch) / 2.0, cw, ch);
            Resizer::new()
                .resize(&src, &mut dst, &options)
                .map_err(|e| e.to_string())?;
            let data = dst
                .buffer()
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]).clamp(0.0, 1.0))
                .collect();
            let lin = Linear {
                width: w,
                height: h,
                data,
            };
            self.made.insert((w, h, cover), ssim_image(&lin)?);
        }
        self.made
            .get(&(w, h, cover))
            .ok_or_else(|| "reference missing".to_string())
    }

    /// SSIMULACRA2 of `output` (a file either side wrote) against the reference of its size.
    pub fn score(&mut self, output: &Path, cover: bool) -> Result<f64, String> {
        let out = decode(output)?;
        let reference = self.reference(out.width, out.height, cover)?.clone();
        compute_frame_ssimulacra2(reference, ssim_image(&out)?).map_err(|e| format!("{e:?}"))
    }
}

/// Views f32 samples as bytes for fast_image_resize, which takes pixel buffers as `&[u8]`.
fn bytemuck_f32(data: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding or invalid bit patterns, u8 has alignment 1, and the length
    // covers exactly the same memory.
    unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data)) }
}
