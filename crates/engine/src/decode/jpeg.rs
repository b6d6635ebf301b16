//! JPEG through libjpeg-turbo (mozjpeg), with DCT shrink-on-load and CMYK/YCCK handling.

use std::os::raw::c_int;

use mozjpeg::{ColorSpace, Decompress};
use mozjpeg_sys::{JWRN_JPEG_EOF, jpeg_common_struct, jpeg_error_mgr, jpeg_std_error};

use crate::color;
use crate::error::{EngineError, UnwindMessage, undecodable};
use crate::probe::Header;
use crate::raster::Raster;

/// The DCT scale numerator (out of 8) for a decode at least `margin` times the size the
/// output needs (`scale` of full size), or full size. The margin leaves Lanczos3 the last
/// step: DCT scaling straight to the output size aliases fine detail (SSIMULACRA2 fell by up
/// to 17 on the corpus in `just bench`). Only 1/8, 1/4 and 1/2 are used: libjpeg-turbo has
/// SIMD paths for exactly these, and its other scales measured slower than a full decode here.
pub fn shrink_numerator(scale: f64, margin: f64) -> u8 {
    crate::resize::box_factor(1.0 / scale, margin).map_or(8, |f| (8.0 / f) as u8)
}

/// The DCT scale numerator at which a decode is the output size itself: 2, when the output is
/// exactly 1/4 of the source on both axes. Only a decode that filters like a resize
/// ([`super::progressive::Filter::Lanczos3`]) may stop there, as libjpeg's reduced IDCTs alias.
/// Each block's samples come from that block alone, and at 1/2 (four samples a block side) that
/// showed: SSIMULACRA2 2.9 under sharp on a 3840 px photo at `w=1920`, against at most 0.8 under
/// at 1/4 on the benchmark photos.
pub fn exact_numerator(scale_x: f64, scale_y: f64) -> Option<u8> {
    let quarter = |s: f64| (s - 0.25).abs() < 1e-9;
    (quarter(scale_x) && quarter(scale_y)).then_some(2)
}

/// Decodes at `numerator`/8 of full size. Returns the raster and whether the ICC profile (if any)
/// was already applied.
pub fn decode(bytes: &[u8], header: &Header, numerator: u8) -> Result<(Raster, bool), EngineError> {
    let mut d = Decompress::with_err(strict_errors())
        .from_mem(bytes)
        .map_err(|e| undecodable(format!("JPEG: {e}")))?;
    d.scale(numerator);
    let cmyk = matches!(d.color_space(), ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK);
    if cmyk {
        let mut started = d
            .to_colorspace(ColorSpace::JCS_CMYK)
            .map_err(|e| undecodable(format!("JPEG: {e}")))?;
        let (w, h) = (started.width() as u32, started.height() as u32);
        let mut data = started
            .read_scanlines::<u8>()
            .map_err(|e| undecodable(format!("JPEG: {e}")))?;
        let _ = started.finish();
        if data.len() != w as usize * h as usize * 4 {
            return Err(undecodable("JPEG: truncated CMYK scanlines"));
        }
        if header.adobe {
            // Adobe writes CMYK inverted (0 = full ink).
            data.iter_mut().for_each(|v| *v = 255 - *v);
        }
        let rgb = color::cmyk_to_srgb(&data, header.icc.as_deref())?;
        return Ok((Raster::new(w, h, 3, rgb), true));
    }
    let mut started = d.rgb().map_err(|e| undecodable(format!("JPEG: {e}")))?;
    let (w, h) = (started.width() as u32, started.height() as u32);
    let data = started
        .read_scanlines::<u8>()
        .map_err(|e| undecodable(format!("JPEG: {e}")))?;
    let _ = started.finish();
    if data.len() != w as usize * h as usize * 3 {
        return Err(undecodable("JPEG: truncated scanlines"));
    }
    Ok((Raster::new(w, h, 3, data), false))
}

/// libjpeg's handlers, except that running out of data is fatal: libjpeg would otherwise pad a
/// truncated file with grey and report success.
pub(crate) fn strict_errors() -> jpeg_error_mgr {
    // SAFETY: jpeg_error_mgr is plain C data; jpeg_std_error fills in every field.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { jpeg_std_error(&mut err) };
    err.error_exit = Some(fatal);
    err.emit_message = Some(warning);
    err
}

extern "C-unwind" fn fatal(cinfo: &mut jpeg_common_struct) {
    // SAFETY: libjpeg always sets `err` before calling its handlers.
    let code = unsafe { cinfo.err.as_ref() }.map_or(0, |e| e.msg_code);
    // Unwinds into the pipeline's catch_unwind without invoking the panic hook.
    std::panic::resume_unwind(Box::new(UnwindMessage(format!(
        "corrupt JPEG data (libjpeg error {code})"
    ))));
}

extern "C-unwind" fn warning(cinfo: &mut jpeg_common_struct, level: c_int) {
    // SAFETY: as above.
    let code = unsafe { cinfo.err.as_ref() }.map_or(0, |e| e.msg_code);
    if level < 0 && code == JWRN_JPEG_EOF as c_int {
        std::panic::resume_unwind(Box::new(UnwindMessage(
            "JPEG data ends early (truncated file)".to_string(),
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::shrink_numerator;

    #[test]
    fn shrink_on_load_leaves_lanczos_the_margin() {
        // 2560 px → 640: decode at 1/2 (1280), not 1/4 (exactly 640), at any margin above 1.
        assert_eq!(shrink_numerator(0.25, 2.0), 4);
        assert_eq!(shrink_numerator(0.25, 1.25), 4);
        // 5640 → 640: 1/4 (1410 ≥ 1280).
        assert_eq!(shrink_numerator(640.0 / 5640.0, 2.0), 2);
        assert_eq!(shrink_numerator(0.05, 2.0), 1);
        // 1600 px → 320: 1/2 at a margin of 2, 1/4 (400 ≥ 1.25 × 320) at 1.25.
        assert_eq!(shrink_numerator(0.2, 2.0), 4);
        assert_eq!(shrink_numerator(0.2, 1.25), 2);
        // 2560 → 1920 or a modest shrink: full size.
        assert_eq!(shrink_numerator(0.75, 2.0), 8);
        assert_eq!(shrink_numerator(0.3, 2.0), 8);
        assert_eq!(shrink_numerator(0.34, 1.25), 4);
    }
}
