//! AVIF: the container is read by avif-parse and the AV1 payloads decoded by rav1d (a Rust port
//! of dav1d), then converted from YUV to RGB with the stream's own matrix and range.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    DAV1D_MC_BT601, DAV1D_MC_BT709, DAV1D_MC_BT2020_CL, DAV1D_MC_BT2020_NCL, DAV1D_MC_IDENTITY,
    DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_unref, dav1d_default_settings, dav1d_get_picture,
    dav1d_open, dav1d_picture_unref, dav1d_send_data,
};

use super::heif;
use crate::error::{EngineError, undecodable};
use crate::raster::Raster;

/// Decodes the primary image (a single AV1 item or a grid of them) and its alpha plane,
/// refusing frames over `max_pixels`.
pub fn decode(bytes: &[u8], max_pixels: u32) -> Result<Raster, EngineError> {
    if let Some(grid) = heif::primary_grid(bytes)? {
        return decode_grid(&grid, max_pixels);
    }
    let data =
        avif_parse::read_avif(&mut &bytes[..]).map_err(|e| undecodable(format!("AVIF: {e}")))?;
    let color = Planes::decode(&data.primary_item, max_pixels)?;
    let alpha = match &data.alpha_item {
        Some(item) => {
            let a = Planes::decode(item, max_pixels)?;
            // An alpha plane of another size is malformed; treat the image as opaque.
            (a.width == color.width && a.height == color.height).then(|| a.alpha())
        }
        None => None,
    };
    Ok(compose(
        color.width,
        color.height,
        &color.rgb(),
        alpha.as_deref(),
        data.premultiplied_alpha,
    ))
}

/// Interleaves RGB and an optional alpha plane, un-premultiplying if the file says so.
fn compose(w: usize, h: usize, rgb: &[u8], alpha: Option<&[u8]>, premultiplied: bool) -> Raster {
    let Some(alpha) = alpha else {
        return Raster::new(w as u32, h as u32, 3, rgb.to_vec());
    };
    let mut out = Vec::with_capacity(w * h * 4);
    for (px, &a) in rgb.chunks_exact(3).zip(alpha) {
        for &c in px {
            let c = if premultiplied && a > 0 && a < 255 {
                ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8
            } else {
                c
            };
            out.push(c);
        }
        out.push(a);
    }
    Raster::new(w as u32, h as u32, 4, out)
}

/// Decodes every tile of a grid and places it on the output canvas, cropping the overhang.
fn decode_grid(grid: &heif::Grid, max_pixels: u32) -> Result<Raster, EngineError> {
    let (w, h) = (grid.width as usize, grid.height as usize);
    if w == 0 || h == 0 || u64::from(grid.width) * u64::from(grid.height) > u64::from(max_pixels) {
        return Err(EngineError::SourceTooLarge(format!(
            "AVIF grid of {w}x{h} is empty or over the {max_pixels}-pixel limit"
        )));
    }
    let rgb = stitch(grid, max_pixels, 3, Planes::rgb)?;
    let alpha = match grid.alpha.as_deref() {
        None => None,
        Some(heif::Item::Grid(a)) if a.width == grid.width && a.height == grid.height => {
            Some(stitch(a, max_pixels, 1, Planes::alpha)?)
        }
        Some(heif::Item::Coded(obu)) => {
            let a = Planes::decode(obu, max_pixels)?;
            (a.width == w && a.height == h).then(|| a.alpha())
        }
        Some(heif::Item::Grid(_)) => None,
    };
    Ok(compose(w, h, &rgb, alpha.as_deref(), false))
}

/// Renders each tile with `render` (`channels` bytes per pixel) into a `grid`-sized buffer.
fn stitch(
    grid: &heif::Grid,
    max_pixels: u32,
    channels: usize,
    render: fn(&Planes) -> Vec<u8>,
) -> Result<Vec<u8>, EngineError> {
    let (w, h) = (grid.width as usize, grid.height as usize);
    let mut out = vec![0u8; w * h * channels];
    let mut tile_size = None;
    for (i, obu) in grid.tiles.iter().enumerate() {
        let tile = Planes::decode(obu, max_pixels)?;
        let (tw, th) = *tile_size.get_or_insert((tile.width, tile.height));
        if (tile.width, tile.height) != (tw, th) || tw * grid.columns < w || th * grid.rows < h {
            return Err(undecodable(
                "AVIF: grid tiles differ in size or do not cover the image",
            ));
        }
        let (x0, y0) = ((i % grid.columns) * tw, (i / grid.columns) * th);
        let pixels = render(&tile);
        for y in 0..th.min(h.saturating_sub(y0)) {
            let cols = tw.min(w.saturating_sub(x0));
            let src = &pixels[y * tw * channels..][..cols * channels];
            let dst = ((y0 + y) * w + x0) * channels;
            out[dst..dst + cols * channels].copy_from_slice(src);
        }
    }
    Ok(out)
}

/// A decoded AV1 picture copied out of the decoder: 8-bit samples per plane.
struct Planes {
    width: usize,
    height: usize,
    planes: [Vec<u8>; 3],
    strides: [usize; 3],
    /// Chroma subsampling shifts (x, y); `None` for monochrome.
    chroma: Option<(usize, usize)>,
    full_range: bool,
    matrix: u32,
}

/// Closes the decoder however decoding ends.
struct Context(Option<Dav1dContext>);

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context came from `dav1d_open` and is closed exactly once here.
        unsafe { dav1d_close(NonNull::new(&mut self.0)) }
    }
}

impl Planes {
    fn decode(obu: &[u8], max_pixels: u32) -> Result<Planes, EngineError> {
        let mut settings = MaybeUninit::<Dav1dSettings>::uninit();
        // SAFETY: dav1d_default_settings initialises every field of the struct it is given.
        let mut settings = unsafe {
            dav1d_default_settings(NonNull::from(&mut settings).cast());
            settings.assume_init()
        };
        settings.n_threads = 1;
        settings.max_frame_delay = 1;
        settings.frame_size_limit = max_pixels;
        let mut ctx = Context(None);
        // SAFETY: both pointers are valid for the duration of the call.
        let r = unsafe { dav1d_open(NonNull::new(&mut ctx.0), NonNull::new(&mut settings)) };
        let c = ctx
            .0
            .filter(|_| r.0 == 0)
            .ok_or_else(|| undecodable("AVIF: cannot start the AV1 decoder"))?;

        let mut data = Dav1dData::default();
        // SAFETY: `data` is a valid, empty Dav1dData; on success the buffer holds `obu.len()` bytes.
        let buf = unsafe { dav1d_data_create(NonNull::new(&mut data), obu.len()) };
        if buf.is_null() {
            return Err(undecodable("AVIF: empty or oversized AV1 payload"));
        }
        // SAFETY: `buf` was just allocated with room for `obu.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(obu.as_ptr(), buf, obu.len()) };

        let mut pic = MaybeUninit::<Dav1dPicture>::zeroed();
        let mut got = false;
        for _ in 0..64 {
            if data.sz > 0 {
                // SAFETY: `c` is open and `data` is owned by us.
                let r = unsafe { dav1d_send_data(Some(c), NonNull::new(&mut data)) };
                if r.0 < 0 && r.0 != -(libc_eagain()) {
                    break;
                }
            }
            // SAFETY: `pic` is writable; on success it holds a picture we must unref.
            let r = unsafe { dav1d_get_picture(Some(c), NonNull::new(pic.as_mut_ptr())) };
            if r.0 == 0 {
                got = true;
                break;
            }
            if r.0 != -(libc_eagain()) {
                break;
            }
        }
        // SAFETY: unref of a possibly partially consumed data buffer is allowed.
        unsafe { dav1d_data_unref(NonNull::new(&mut data)) };
        if !got {
            return Err(undecodable(
                "AVIF: the AV1 payload did not decode to a picture",
            ));
        }
        // SAFETY: dav1d_get_picture succeeded, so the picture is initialised.
        let mut pic = unsafe { pic.assume_init() };
        let planes = Planes::copy_out(&pic);
        // SAFETY: the picture is ours and released exactly once.
        unsafe { dav1d_picture_unref(NonNull::new(&mut pic)) };
        planes
    }

    fn copy_out(pic: &Dav1dPicture) -> Result<Planes, EngineError> {
        let (w, h) = (pic.p.w as usize, pic.p.h as usize);
        let bpc = pic.p.bpc as usize;
        if w == 0 || h == 0 || !(8..=12).contains(&bpc) {
            return Err(undecodable(
                "AVIF: unsupported picture geometry or bit depth",
            ));
        }
        let chroma = match pic.p.layout {
            DAV1D_PIXEL_LAYOUT_I400 => None,
            DAV1D_PIXEL_LAYOUT_I420 => Some((1, 1)),
            DAV1D_PIXEL_LAYOUT_I422 => Some((1, 0)),
            _ => Some((0, 0)),
        };
        // SAFETY: the sequence header lives as long as the picture.
        let (full_range, matrix) = pic
            .seq_hdr
            .map(|s| unsafe { (s.as_ref().color_range != 0, s.as_ref().mtrx) })
            .unwrap_or((true, DAV1D_MC_BT601));
        let bytes_per = if bpc > 8 { 2 } else { 1 };
        let shift = bpc - 8;
        let mut planes: [Vec<u8>; 3] = Default::default();
        let mut strides = [0usize; 3];
        for (i, plane) in planes.iter_mut().enumerate() {
            let (pw, ph) = match (i, chroma) {
                (0, _) => (w, h),
                (_, None) => break,
                (_, Some((sx, sy))) => ((w + sx) >> sx, (h + sy) >> sy),
            };
            let stride = pic.stride[usize::from(i > 0)].unsigned_abs();
            let Some(base) = pic.data[i] else {
                return Err(undecodable("AVIF: missing plane"));
            };
            plane.reserve_exact(pw * ph);
            for y in 0..ph {
                // SAFETY: dav1d guarantees `ph` rows of `stride` bytes, each with `pw` samples.
                let row = unsafe {
                    std::slice::from_raw_parts(
                        base.as_ptr().cast::<u8>().add(y * stride),
                        pw * bytes_per,
                    )
                };
                if bytes_per == 1 {
                    plane.extend_from_slice(row);
                } else {
                    plane.extend(
                        row.chunks_exact(2)
                            .map(|s| (u16::from_ne_bytes([s[0], s[1]]) >> shift).min(255) as u8),
                    );
                }
            }
            strides[i] = pw;
        }
        Ok(Planes {
            width: w,
            height: h,
            planes,
            strides,
            chroma,
            full_range,
            matrix,
        })
    }

    fn sample(&self, plane: usize, x: usize, y: usize) -> u8 {
        match (plane, self.chroma) {
            (0, _) => self.planes[0][y * self.strides[0] + x],
            (_, None) => 128,
            (p, Some((sx, sy))) => self.planes[p][(y >> sy) * self.strides[p] + (x >> sx)],
        }
    }

    /// The picture as interleaved RGB.
    fn rgb(&self) -> Vec<u8> {
        let m = self.matrix();
        let mut out = Vec::with_capacity(self.width * self.height * 3);
        for y in 0..self.height {
            for x in 0..self.width {
                out.extend_from_slice(&m.to_rgb(
                    self.sample(0, x, y),
                    self.sample(1, x, y),
                    self.sample(2, x, y),
                ));
            }
        }
        out
    }

    /// The luma plane as full-range 0-255: how alpha planes are coded.
    fn alpha(&self) -> Vec<u8> {
        let luma = &self.planes[0];
        if self.full_range {
            return luma.clone();
        }
        luma.iter()
            .map(|&v| {
                ((f32::from(v) - 16.0) * 255.0 / 219.0)
                    .round()
                    .clamp(0.0, 255.0) as u8
            })
            .collect()
    }

    fn matrix(&self) -> Matrix {
        let (kr, kb) = match self.matrix {
            DAV1D_MC_BT709 => (0.2126, 0.0722),
            DAV1D_MC_BT2020_NCL | DAV1D_MC_BT2020_CL => (0.2627, 0.0593),
            // BT.601 / BT.470BG / SMPTE 170M, and the default for unspecified streams.
            _ => (0.299, 0.114),
        };
        Matrix {
            kr,
            kb,
            identity: self.matrix == DAV1D_MC_IDENTITY,
            full_range: self.full_range,
            grey: self.chroma.is_none(),
        }
    }
}

struct Matrix {
    kr: f32,
    kb: f32,
    identity: bool,
    full_range: bool,
    grey: bool,
}

impl Matrix {
    fn to_rgb(&self, y: u8, u: u8, v: u8) -> [u8; 3] {
        let (y, u, v) = (f32::from(y), f32::from(u), f32::from(v));
        let (yf, uf, vf) = if self.full_range {
            (y / 255.0, (u - 128.0) / 255.0, (v - 128.0) / 255.0)
        } else {
            ((y - 16.0) / 219.0, (u - 128.0) / 224.0, (v - 128.0) / 224.0)
        };
        let clamp = |c: f32| (c * 255.0).round().clamp(0.0, 255.0) as u8;
        if self.grey {
            return [clamp(yf); 3];
        }
        if self.identity {
            // GBR stored as Y=G, U=B, V=R.
            return [clamp(vf + 0.5), clamp(yf), clamp(uf + 0.5)];
        }
        let kg = 1.0 - self.kr - self.kb;
        let r = yf + 2.0 * (1.0 - self.kr) * vf;
        let b = yf + 2.0 * (1.0 - self.kb) * uf;
        let g = (yf - self.kr * r - self.kb * b) / kg;
        [clamp(r), clamp(g), clamp(b)]
    }
}

/// dav1d reports "needs more data / has more output" as `-EAGAIN`.
const fn libc_eagain() -> i32 {
    11
}
