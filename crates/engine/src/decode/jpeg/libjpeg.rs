//! JPEG through libjpeg-turbo (mozjpeg): RGB at a DCT scale with CMYK/YCCK handling, and the
//! raw Y, Cb, Cr planes for the YCbCr path. libjpeg also reports the real errors of files the
//! reduced decoder declines.

use std::os::raw::c_int;

use mozjpeg::{ColorSpace, Decompress};
use mozjpeg_sys::{
    J_COLOR_SPACE, JSAMPROW_MUT, JWRN_JPEG_EOF, boolean, jpeg_common_struct,
    jpeg_decompress_struct, jpeg_destroy_decompress, jpeg_error_mgr, jpeg_finish_decompress,
    jpeg_mem_src, jpeg_read_header, jpeg_read_raw_data, jpeg_start_decompress, jpeg_std_error,
};

use crate::color;
use crate::error::{EngineError, UnwindMessage, internal, undecodable};
use crate::planar::{Plane, Ycc};
use crate::probe::Header;
use crate::raster::Raster;

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

/// Decodes the raw planes at `numerator`/8 of full size, or `None` when the JPEG is not
/// three-component YCbCr (grey, CMYK and RGB JPEGs take the RGB path).
pub fn decode_planes(bytes: &[u8], numerator: u8) -> Result<Option<Ycc>, EngineError> {
    let mut err = strict_errors();
    // SAFETY: jpeg_decompress_struct is plain C data for which all-zero bytes are a valid
    // value; jpeg_create_decompress initialises it below, and `Session` destroys it on every
    // exit, including an unwind out of the error handler.
    let mut session = Session(unsafe { std::mem::zeroed() });
    let c = &mut session.0;
    c.common.err = &mut err;
    // SAFETY: `c` is zeroed with its error manager set, as jpeg_create_decompress requires.
    unsafe { mozjpeg_sys::jpeg_create_decompress(&mut *c) };
    // SAFETY: `bytes` outlives the decompressor (`session` drops first, at the end of this
    // function), and libjpeg only reads it.
    unsafe { jpeg_mem_src(c, bytes.as_ptr(), bytes.len() as _) };
    // SAFETY: the source is set; errors unwind through `strict_errors`' handler.
    unsafe { jpeg_read_header(c, boolean::from(true)) };
    if c.num_components != 3 || c.jpeg_color_space != J_COLOR_SPACE::JCS_YCbCr {
        return Ok(None);
    }
    // Y at the highest sampling, both chroma planes alike, at most 2×2: 4:4:4, 4:2:2, 4:4:0
    // and 4:2:0. Anything more exotic takes the RGB path.
    let sampling: Vec<(i32, i32)> = comps(c)
        .iter()
        .map(|p| (p.h_samp_factor, p.v_samp_factor))
        .collect();
    let (luma, cb, cr) = (sampling[0], sampling[1], sampling[2]);
    if cb != cr
        || luma.0 > 2
        || luma.1 > 2
        || cb.0 > luma.0
        || cb.1 > luma.1
        || luma.0 % cb.0 != 0
        || luma.1 % cb.1 != 0
    {
        return Ok(None);
    }
    c.raw_data_out = boolean::from(true);
    c.scale_num = u32::from(numerator);
    c.scale_denom = 8;
    // SAFETY: the header is read and raw output requested, as jpeg_start_decompress needs.
    unsafe { jpeg_start_decompress(c) };
    let min = usize::from(numerator);
    let (width, height) = (c.image_width as usize, c.image_height as usize);
    let lines = c.max_v_samp_factor as usize * min;
    // libjpeg scales subsampled components up in the IDCT where it can (jdmaster.c); these
    // are its sizes, which the raw data follows.
    let layout: Vec<Layout> = comps(c)
        .iter()
        .map(|comp| {
            let (h, v) = (comp.h_samp_factor as usize, comp.v_samp_factor as usize);
            let (mh, mv) = (c.max_h_samp_factor as usize, c.max_v_samp_factor as usize);
            let mut size = min;
            while size < 8 && (mh * min) % (h * size * 2) == 0 && (mv * min) % (v * size * 2) == 0 {
                size *= 2;
            }
            let w = (width * h * size).div_ceil(mh * 8);
            let ht = (height * v * size).div_ceil(mv * 8);
            Layout {
                width: w,
                height: ht,
                stride: comp.width_in_blocks as usize * size,
                rows: v * size,
                factor: (
                    (h * size) as f64 / (mh * min) as f64,
                    (v * size) as f64 / (mv * min) as f64,
                ),
            }
        })
        .collect();
    // At most 2×2 sampling (checked above) and 8 rows a block: 16 rows an iMCU row.
    if layout.iter().any(|l| l.rows > 32) {
        return Err(internal("JPEG: unexpected sampling"));
    }
    let imcu_rows = (c.output_height as usize).div_ceil(lines);
    let mut buffers: Vec<Vec<u8>> = layout
        .iter()
        .map(|l| vec![0u8; l.stride * l.rows * imcu_rows])
        .collect();
    for r in 0..imcu_rows {
        let mut rows: [[JSAMPROW_MUT; 32]; 3] = [[std::ptr::null_mut(); 32]; 3];
        for (ci, l) in layout.iter().enumerate() {
            let (stride, per) = (l.stride, l.rows);
            for (i, slot) in rows[ci].iter_mut().take(per).enumerate() {
                let offset = (r * per + i) * stride;
                *slot = buffers[ci][offset..].as_mut_ptr();
            }
        }
        let mut planes = [
            rows[0].as_mut_ptr(),
            rows[1].as_mut_ptr(),
            rows[2].as_mut_ptr(),
        ];
        // SAFETY: each of the three row arrays holds `rows` valid row pointers into buffers of
        // `stride` bytes a row with room for this iMCU row (sized from the same layout).
        let read = unsafe { jpeg_read_raw_data(c, planes.as_mut_ptr(), lines as u32) };
        if read == 0 {
            return Err(crate::error::undecodable(
                "JPEG data ends early (truncated file)",
            ));
        }
    }
    // SAFETY: every scanline was read above.
    unsafe { jpeg_finish_decompress(c) };
    let planes = layout
        .iter()
        .zip(buffers)
        .map(|(l, mut buf)| {
            // Rows already packed (a width of whole blocks) need no copy.
            let data = if l.stride == l.width {
                buf.truncate(l.width * l.height);
                buf
            } else {
                let mut data = Vec::with_capacity(l.width * l.height);
                for row in buf.chunks_exact(l.stride.max(1)).take(l.height) {
                    data.extend_from_slice(&row[..l.width]);
                }
                data
            };
            Plane {
                width: l.width as u32,
                height: l.height as u32,
                data,
            }
        })
        .collect::<Vec<_>>();
    let planes: [Plane; 3] = planes
        .try_into()
        .map_err(|_| internal("JPEG: three planes expected"))?;
    let factors = [layout[0].factor, layout[1].factor, layout[2].factor];
    Ok(Some(Ycc { planes, factors }))
}

/// Where libjpeg puts one component's raw rows.
struct Layout {
    width: usize,
    height: usize,
    stride: usize,
    /// Rows per iMCU row.
    rows: usize,
    /// Samples per Y sample, across and down.
    factor: (f64, f64),
}

/// Destroys the decompressor however the decode ends.
struct Session(jpeg_decompress_struct);

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: created by jpeg_create_decompress before any early return.
        unsafe { jpeg_destroy_decompress(&mut self.0) };
    }
}

fn comps(c: &jpeg_decompress_struct) -> &[mozjpeg_sys::jpeg_component_info] {
    // SAFETY: after jpeg_read_header, comp_info holds num_components entries.
    unsafe { std::slice::from_raw_parts(c.comp_info, c.num_components.max(0) as usize) }
}
