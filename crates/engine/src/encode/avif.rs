//! AVIF with libaom (AV1 all-intra), one thread, 4:4:4 BT.601 full range, at the configured speed.
//!
//! libaom, the encoder inside sharp (through libheif), spends its bits better than rav1e: at equal
//! bytes rav1e at its fast speeds scored 4–6 SSIMULACRA2 points under it (docs/benchmarks-history.md#avif-on-the-request-path).

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_uint};

use avif_serialize::Aviffy;
use avif_serialize::constants::MatrixCoefficients;
use libaom_sys as aom;

use imgfront_spec::config::EncoderSettings;

use crate::error::{EngineError, internal};
use crate::raster::Raster;

/// At `s.avif_speed` (libaom's cpu-used, 0 slowest and smallest to 9 fastest), with AV1's
/// frequency-weighted quantisation if `s.avif_quant_matrices`.
pub fn encode(img: &Raster, quality: u8, s: &EncoderSettings) -> Result<Vec<u8>, EngineError> {
    let (w, h) = (img.width, img.height);
    let color = av1(w, h, ycc444(img), quality, s, false)?;
    let alpha = if img.has_alpha() {
        let a: Vec<u8> = img.data.chunks_exact(4).map(|p| p[3]).collect();
        Some(av1(w, h, a, quality, s, true)?)
    } else {
        None
    };
    let mut out = Vec::new();
    Aviffy::new()
        .set_matrix_coefficients(MatrixCoefficients::Bt601)
        .set_full_color_range(true)
        .set_chroma_subsampling((false, false))
        .set_seq_profile(1)
        .write(&mut out, &color, alpha.as_deref(), w, h, 8)
        .map_err(internal)?;
    Ok(out)
}

/// Quality → cq-level (0 best … 63 worst): libheif's linear scale (there q50 is cq 32), one step
/// finer: q50 is cq 31. That step buys back what speed 6 loses against sharp's slower speed: at
/// cq 32 one photo of nine scored 2.4 under sharp, at cq 30 bytes rose 13–20% (docs/benchmarks-history.md#avif-on-the-request-path).
fn cq_level(quality: u8) -> c_uint {
    let q = c_uint::from(quality.min(100));
    ((100 - q) * 62 + 50) / 100
}

/// RGB(A) to full-range BT.601 Y, Cb, Cr planes, one after another (libaom's I444 layout).
fn ycc444(img: &Raster) -> Vec<u8> {
    let n = img.width as usize * img.height as usize;
    let mut out = vec![0u8; 3 * n];
    let (y, rest) = out.split_at_mut(n);
    let (cb, cr) = rest.split_at_mut(n);
    let clamp = |v: i32| ((v + (1 << 15)) >> 16).clamp(0, 255) as u8;
    for (i, p) in img.data.chunks_exact(usize::from(img.channels)).enumerate() {
        let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
        // 16-bit fixed point: Kr 0.299, Kg 0.587, Kb 0.114.
        y[i] = clamp(19_595 * r + 38_470 * g + 7_471 * b);
        cb[i] = clamp(-11_059 * r - 21_709 * g + 32_768 * b + (128 << 16));
        cr[i] = clamp(32_768 * r - 27_439 * g - 5_329 * b + (128 << 16));
    }
    out
}

/// Owns an encoder context so every exit path destroys it.
struct Encoder(aom::aom_codec_ctx_t);

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised by aom_codec_enc_init_ver.
        unsafe { aom::aom_codec_destroy(&mut self.0) };
    }
}

impl Encoder {
    fn check(&mut self, err: aom::aom_codec_err_t, what: &str) -> Result<(), EngineError> {
        if err == aom::AOM_CODEC_OK {
            return Ok(());
        }
        // SAFETY: aom_codec_error returns a static, NUL-terminated C string.
        let msg = unsafe { CStr::from_ptr(aom::aom_codec_error(&self.0)) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: the detail is null or a NUL-terminated string the context owns.
        let d = unsafe { aom::aom_codec_error_detail(&self.0) };
        let detail = if d.is_null() {
            String::new()
        } else {
            // SAFETY: non-null, so a NUL-terminated string the context owns (checked above).
            format!(": {}", unsafe { CStr::from_ptr(d) }.to_string_lossy())
        };
        Err(EngineError::Internal(format!(
            "AV1 encoder, {what}: {msg}{detail}"
        )))
    }

    fn control(&mut self, id: aom::aome_enc_control_id, value: c_int) -> Result<(), EngineError> {
        // SAFETY: every control used here takes one int argument.
        let err = unsafe { aom::aom_codec_control(&mut self.0, id as c_int, value) };
        self.check(err, "control")
    }

    /// Appends every compressed frame packet waiting in the encoder to `out`.
    fn drain(&mut self, out: &mut Vec<u8>) {
        let mut iter = std::ptr::null();
        loop {
            // SAFETY: iterates the encoder's own packet list; each packet stays valid until the
            // next aom call, and its bytes are copied out before that.
            let pkt = unsafe { aom::aom_codec_get_cx_data(&mut self.0, &mut iter) };
            // SAFETY: a non-null packet pointer from libaom points to a valid packet.
            let Some(pkt) = (unsafe { pkt.as_ref() }) else {
                return;
            };
            if pkt.kind == aom::AOM_CODEC_CX_FRAME_PKT {
                // SAFETY: a frame packet's union member is `frame`.
                let f = unsafe { pkt.data.frame };
                if !f.buf.is_null() {
                    // SAFETY: libaom guarantees `sz` bytes at `buf`.
                    out.extend_from_slice(unsafe {
                        std::slice::from_raw_parts(f.buf.cast::<u8>(), f.sz)
                    });
                }
            }
        }
    }
}

/// One AV1 still: `data` is Y, Cb, Cr at full size (4:4:4), or one plane for `monochrome`.
fn av1(
    w: u32,
    h: u32,
    mut data: Vec<u8>,
    quality: u8,
    s: &EncoderSettings,
    monochrome: bool,
) -> Result<Vec<u8>, EngineError> {
    let n = w as usize * h as usize;
    let format = if monochrome {
        // libaom reads (and ignores) half-size chroma planes for monochrome input.
        data.resize(
            n + 2 * (w as usize).div_ceil(2) * (h as usize).div_ceil(2),
            128,
        );
        aom::AOM_IMG_FMT_I420
    } else {
        aom::AOM_IMG_FMT_I444
    };
    // SAFETY: aom_codec_av1_cx returns a pointer to libaom's static AV1 interface.
    let iface = unsafe { aom::aom_codec_av1_cx() };
    let mut cfg = MaybeUninit::<aom::aom_codec_enc_cfg>::zeroed();
    // SAFETY: `cfg` points to writable storage for one config, which this call fills.
    let err = unsafe {
        aom::aom_codec_enc_config_default(iface, cfg.as_mut_ptr(), aom::AOM_USAGE_ALL_INTRA)
    };
    if err != aom::AOM_CODEC_OK {
        return Err(EngineError::Internal(
            "AV1 encoder: no default config".into(),
        ));
    }
    // SAFETY: aom_codec_enc_config_default succeeded, so every field is initialised.
    let mut cfg = unsafe { cfg.assume_init() };
    cfg.g_w = w;
    cfg.g_h = h;
    cfg.g_threads = 1;
    cfg.g_limit = 1; // a still picture, with AV1's reduced still-picture header
    cfg.g_lag_in_frames = 0;
    cfg.kf_mode = aom::AOM_KF_DISABLED;
    cfg.kf_max_dist = 0;
    cfg.g_profile = if monochrome { 0 } else { 1 };
    cfg.monochrome = c_uint::from(monochrome);
    cfg.g_bit_depth = aom::AOM_BITS_8;
    cfg.g_input_bit_depth = 8;
    cfg.rc_end_usage = aom::AOM_Q;
    cfg.rc_min_quantizer = 0;
    cfg.rc_max_quantizer = 63;
    let mut ctx = MaybeUninit::<aom::aom_codec_ctx_t>::zeroed();
    // SAFETY: `ctx` is writable storage for one context, `cfg` a complete config, and the ABI
    // version is the one the bindings were generated against.
    let err = unsafe {
        aom::aom_codec_enc_init_ver(
            ctx.as_mut_ptr(),
            iface,
            &cfg,
            0,
            aom::AOM_ENCODER_ABI_VERSION as c_int,
        )
    };
    if err != aom::AOM_CODEC_OK {
        return Err(EngineError::Internal(format!(
            "AV1 encoder: cannot encode {w}x{h}"
        )));
    }
    // SAFETY: aom_codec_enc_init_ver succeeded, so the context is initialised; `Encoder`
    // destroys it on every exit from here.
    let mut enc = Encoder(unsafe { ctx.assume_init() });
    enc.control(aom::AOME_SET_CPUUSED, c_int::from(s.avif_speed.min(9)))?;
    enc.control(aom::AOME_SET_CQ_LEVEL, cq_level(quality) as c_int)?;
    if s.avif_quant_matrices {
        // Flatter matrices than libaom's default range (5–9): the default took 2 points off
        // a noisy photo's card; 7–10 kept it within 1.8
        // (docs/benchmarks-history.md#avif-in-precompute).
        enc.control(aom::AV1E_SET_ENABLE_QM, 1)?;
        enc.control(aom::AV1E_SET_QM_MIN, 7)?;
        enc.control(aom::AV1E_SET_QM_MAX, 10)?;
    }
    // SSIM tuning, as libheif (and so sharp) uses by default: at equal cq-level it took fewer
    // bytes for the same SSIMULACRA2 than the default PSNR tuning.
    enc.control(aom::AOME_SET_TUNING, aom::AOM_TUNE_SSIM as c_int)?;
    // A still needs no post-processed reference frame.
    enc.control(aom::AV1E_SET_SKIP_POSTPROC_FILTERING, 1)?;
    enc.control(aom::AV1E_SET_COLOR_RANGE, aom::AOM_CR_FULL_RANGE as c_int)?;
    enc.control(
        aom::AV1E_SET_COLOR_PRIMARIES,
        aom::AOM_CICP_CP_BT_709 as c_int,
    )?;
    enc.control(
        aom::AV1E_SET_TRANSFER_CHARACTERISTICS,
        aom::AOM_CICP_TC_SRGB as c_int,
    )?;
    enc.control(
        aom::AV1E_SET_MATRIX_COEFFICIENTS,
        aom::AOM_CICP_MC_BT_601 as c_int,
    )?;
    let mut image = MaybeUninit::<aom::aom_image_t>::zeroed();
    // SAFETY: `data` holds the planes `format` lays out for w×h (resized above for
    // monochrome) and outlives the encode; `image` is writable storage for one descriptor.
    let wrapped =
        unsafe { aom::aom_img_wrap(image.as_mut_ptr(), format, w, h, 1, data.as_mut_ptr()) };
    if wrapped.is_null() {
        return Err(EngineError::Internal(
            "AV1 encoder: cannot wrap the image".into(),
        ));
    }
    // SAFETY: aom_img_wrap succeeded, so the descriptor is initialised.
    let mut image = unsafe { image.assume_init() };
    image.range = aom::AOM_CR_FULL_RANGE;
    image.monochrome = c_int::from(monochrome);
    image.cp = aom::AOM_CICP_CP_BT_709;
    image.tc = aom::AOM_CICP_TC_SRGB;
    image.mc = aom::AOM_CICP_MC_BT_601;
    let mut out = Vec::new();
    // SAFETY: the context is initialised and `image` describes `data`, still alive.
    let err = unsafe { aom::aom_codec_encode(&mut enc.0, &image, 0, 1, 0) };
    enc.check(err, "encode")?;
    enc.drain(&mut out);
    // SAFETY: a null image flushes the initialised context.
    let err = unsafe { aom::aom_codec_encode(&mut enc.0, std::ptr::null(), 0, 0, 0) };
    enc.check(err, "flush")?;
    enc.drain(&mut out);
    if out.is_empty() {
        return Err(EngineError::Internal(
            "AV1 encoder returned no frame".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_maps_to_cq_level() {
        assert_eq!(cq_level(100), 0);
        assert_eq!(cq_level(50), 31);
        assert_eq!(cq_level(0), 62);
    }

    #[test]
    fn quantisation_matrices_spend_fewer_bytes_on_texture() {
        // Fine texture over a gradient: where the matrices take bits from high frequencies.
        let (w, h) = (128u32, 96u32);
        let data = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                let t = (i.wrapping_mul(2_654_435_761) >> 27) as u8;
                [(x * 2) as u8 ^ t, (y * 2) as u8, t.wrapping_mul(7)]
            })
            .collect();
        let img = Raster::new(w, h, 3, data);
        let plain = EncoderSettings {
            avif_speed: 6,
            avif_quant_matrices: false,
            ..imgfront_spec::Config::embedded().encoding.request
        };
        let qm = EncoderSettings {
            avif_quant_matrices: true,
            ..plain
        };
        let plain = encode(&img, 50, &plain).expect("plain");
        let qm = encode(&img, 50, &qm).expect("matrices");
        assert!(qm.len() < plain.len(), "{} vs {}", qm.len(), plain.len());
    }

    #[test]
    fn grey_stays_grey_in_bt601() {
        let img = Raster::new(1, 1, 3, vec![200, 200, 200]);
        assert_eq!(ycc444(&img), vec![200, 128, 128]);
    }
}
