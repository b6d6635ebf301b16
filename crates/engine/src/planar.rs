//! The YCbCr fast path for JPEG → JPEG: decode the raw Y, Cb and Cr planes (no upsampling, no
//! colour conversion), resize each plane, and hand the planes straight to mozjpeg's raw-data
//! input. It skips four full-image passes of the RGB path (chroma upsampling, YCbCr→RGB,
//! RGB→YCbCr, chroma downsampling). The pipeline takes it only when no step needs RGB pixels,
//! as `Settings::ycc_path` allows.
//!
//! Its planes come from libjpeg for a full-size decode, where chroma arrives subsampled. At a
//! DCT scale libjpeg widens the chroma IDCT to luma size (jdmaster.c), so its raw planes arrive
//! as large as Y, and three full planes resized measured slower than one RGB raster (2026-12-02,
//! LadyBird `w=640`: decode 14.8 ms against the RGB decode's 10.8, resize 4.4 against 2.9).
//! There the planes come from the reduced decoder ([`crate::decode::jpeg::reduced`]) instead,
//! each at its own size. [`crate::decode::jpeg::route`] makes that choice.
//! Unscaled, libjpeg's planes measured faster than RGB (`w=1920` JPEG geomean ratio against
//! sharp 0.768 against 0.830 on the benchmark photos).
//!
//! WebP output stays on the RGB path: fed these planes directly, libwebp wrote files 1–2%
//! larger than from RGB (its own RGB→YUV averages chroma in linear light), which broke the
//! bytes rule of the sharp benchmark on five photos.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use mozjpeg::ColorSpace;

use imgfront_spec::config::EncoderSettings;

use crate::error::{EngineError, internal};
use crate::resize::Region;

/// One 8-bit plane, rows packed without padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plane {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Plane {
    fn row(&self, y: usize) -> &[u8] {
        let w = self.width as usize;
        &self.data[y * w..(y + 1) * w]
    }

    /// The plane grown to `size` by repeating its last column and row.
    fn padded_to(self, (w, h): (u32, u32)) -> Plane {
        if (w, h) == (self.width, self.height) {
            return self;
        }
        Plane {
            width: w,
            height: h,
            data: self.padded(w as usize, h as usize),
        }
    }

    /// A copy `stride` wide and `rows` high, the edges repeated: libjpeg reads whole
    /// blocks past the image edge.
    fn padded(&self, stride: usize, rows: usize) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut out = Vec::with_capacity(stride * rows);
        for y in 0..rows {
            let row = self.row(y.min(h.saturating_sub(1)));
            out.extend_from_slice(&row[..w.min(stride)]);
            let last = row.last().copied().unwrap_or(0);
            out.resize(out.len() + stride.saturating_sub(w), last);
        }
        out
    }
}

/// Y, Cb and Cr of one picture. `Y` is the picture's size; the chroma planes may be smaller.
#[derive(Clone, Debug)]
pub struct Ycc {
    pub planes: [Plane; 3],
    /// Samples per Y pixel of each plane, across and down (0.5 for 4:2:0 chroma).
    pub factors: [(f64, f64); 3],
}

impl Ycc {
    pub fn width(&self) -> u32 {
        self.planes[0].width
    }

    pub fn height(&self) -> u32 {
        self.planes[0].height
    }

    /// Resizes `region` (in Y pixels) to `w`×`h`, with chroma planes at half that size each way
    /// (4:2:0, what the JPEG encoder is given). Each plane resamples exactly its own share of the
    /// region, by its sampling factor, so chroma stays sited on luma at any size.
    pub fn resize(&self, region: Region, w: u32, h: u32) -> Result<Ycc, EngineError> {
        let chroma = (w.div_ceil(2), h.div_ceil(2));
        let mut resizer = Resizer::new();
        let mut one = |i: usize, (ow, oh): (u32, u32), (gx, gy): (f64, f64)| {
            let p = &self.planes[i];
            let (fx, fy) = self.factors[i];
            let x = region.x * fx;
            let y = region.y * fy;
            // Output samples per luma pixel (gx) differ from the source's (fx); an odd-sized
            // 4:2:0 output's last chroma sample reaches half a sample past the picture.
            let rw = f64::from(ow) / gx * region.w / f64::from(w) * fx;
            let rh = f64::from(oh) / gy * region.h / f64::from(h) * fy;
            if (x, y, rw, rh) == (0.0, 0.0, f64::from(p.width), f64::from(p.height))
                && (ow, oh) == (p.width, p.height)
            {
                return Ok::<_, EngineError>(p.clone());
            }
            let need = (
                ((x + rw).ceil() as u32).max(p.width),
                ((y + rh).ceil() as u32).max(p.height),
            );
            let grown;
            let p = if need == (p.width, p.height) {
                p
            } else {
                grown = p.clone().padded_to(need);
                &grown
            };
            Ok(Plane {
                width: ow,
                height: oh,
                data: lanczos3(&mut resizer, p, (x, y, rw, rh), (ow, oh))?,
            })
        };
        Ok(Ycc {
            planes: [
                one(0, (w, h), (1.0, 1.0))?,
                one(1, chroma, (0.5, 0.5))?,
                one(2, chroma, (0.5, 0.5))?,
            ],
            factors: [(1.0, 1.0), (0.5, 0.5), (0.5, 0.5)],
        })
    }
}

/// Splits one row of U8x4 pixels into the four rows they pack (lane i to `rows[i]`). On x86-64
/// a 4×4 byte transpose in SSE2 (always present there) does 16 pixels at a time: 2.4× faster
/// than the scalar loop on a 1920-wide plane, which the compiler does not vectorise.
fn unpack_row(px: &[u8], rows: [&mut [u8]; 4]) {
    let [r0, r1, r2, r3] = rows;
    let n = r0
        .len()
        .min(r1.len())
        .min(r2.len())
        .min(r3.len())
        .min(px.len() / 4);
    #[allow(unused_mut)]
    let mut x = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_loadu_si128, _mm_storeu_si128, _mm_unpackhi_epi8, _mm_unpackhi_epi64,
            _mm_unpacklo_epi8, _mm_unpacklo_epi64,
        };
        while x + 16 <= n {
            // SAFETY: x + 16 <= n keeps the 64 bytes read from 4x inside `px` and the 16
            // written at x inside each row; unaligned loads and stores need no alignment.
            unsafe {
                let p = px.as_ptr().add(4 * x).cast::<__m128i>();
                let (v0, v1) = (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1)));
                let (v2, v3) = (_mm_loadu_si128(p.add(2)), _mm_loadu_si128(p.add(3)));
                // Three rounds of byte interleaving gather each lane's 8 bytes per half...
                let (t0, t1) = (_mm_unpacklo_epi8(v0, v1), _mm_unpackhi_epi8(v0, v1));
                let (t2, t3) = (_mm_unpacklo_epi8(v2, v3), _mm_unpackhi_epi8(v2, v3));
                let (u0, u1) = (_mm_unpacklo_epi8(t0, t1), _mm_unpackhi_epi8(t0, t1));
                let (u2, u3) = (_mm_unpacklo_epi8(t2, t3), _mm_unpackhi_epi8(t2, t3));
                let (w0, w1) = (_mm_unpacklo_epi8(u0, u1), _mm_unpackhi_epi8(u0, u1));
                let (w2, w3) = (_mm_unpacklo_epi8(u2, u3), _mm_unpackhi_epi8(u2, u3));
                // ...and the two halves join per lane.
                _mm_storeu_si128(r0.as_mut_ptr().add(x).cast(), _mm_unpacklo_epi64(w0, w2));
                _mm_storeu_si128(r1.as_mut_ptr().add(x).cast(), _mm_unpackhi_epi64(w0, w2));
                _mm_storeu_si128(r2.as_mut_ptr().add(x).cast(), _mm_unpacklo_epi64(w1, w3));
                _mm_storeu_si128(r3.as_mut_ptr().add(x).cast(), _mm_unpackhi_epi64(w1, w3));
            }
            x += 16;
        }
    }
    for (i, p) in px.chunks_exact(4).enumerate().take(n).skip(x) {
        (r0[i], r1[i], r2[i], r3[i]) = (p[0], p[1], p[2], p[3]);
    }
}

/// Lanczos3 of `crop` (x, y, width, height) of `p` to `ow`×`oh`: what one fast_image_resize
/// call on the U8 plane gives, in its two passes (vertical, then horizontal, as it orders them
/// for 8-bit pixels), but with the horizontal pass run on four rows at once packed as U8x4
/// pixels. Its one-channel horizontal kernel took a fifth of a `w=1920` JPEG render; the
/// four-channel one shares each tap across the lanes.
fn lanczos3(
    resizer: &mut Resizer,
    p: &Plane,
    (x, y, rw, rh): (f64, f64, f64, f64),
    (ow, oh): (u32, u32),
) -> Result<Vec<u8>, EngineError> {
    let options = |crop: (f64, f64, f64, f64)| {
        // Lanes are rows, not colour and alpha: no premultiplying by the fourth.
        ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
            .use_alpha(false)
            .crop(crop.0, crop.1, crop.2, crop.3)
    };
    // Vertical: every column, rows resampled to `oh`.
    let src = ImageRef::new(p.width, p.height, &p.data, PixelType::U8).map_err(internal)?;
    let mut tall = Image::new(p.width, oh, PixelType::U8);
    resizer
        .resize(&src, &mut tall, &options((0.0, y, f64::from(p.width), rh)))
        .map_err(internal)?;
    // Horizontal: rows 4r..4r+4 side by side as the lanes of row r.
    let (w, h, quads) = (p.width as usize, oh as usize, (oh as usize).div_ceil(4));
    let tall = tall.into_vec();
    let blank = vec![0u8; w];
    let row = |r: usize| tall.get(r * w..(r + 1) * w).unwrap_or(&blank);
    let mut packed: Vec<u32> = Vec::with_capacity(w * quads);
    for q in 0..quads {
        let (a, b, c, d) = (row(4 * q), row(4 * q + 1), row(4 * q + 2), row(4 * q + 3));
        packed.extend(
            a.iter()
                .zip(b)
                .zip(c)
                .zip(d)
                .map(|(((&a, &b), &c), &d)| u32::from_le_bytes([a, b, c, d])),
        );
    }
    let packed: &[u8] = bytemuck::cast_slice(&packed);
    let quads_u32 = u32::try_from(quads).map_err(internal)?;
    let src = ImageRef::new(p.width, quads_u32, packed, PixelType::U8x4).map_err(internal)?;
    // The vertical pass's buffer is free now: a fresh one would cost a page fault every 4 KiB.
    let mut wide_buf = tall;
    wide_buf.clear();
    wide_buf.resize(ow as usize * quads * 4, 0);
    let mut wide =
        Image::from_vec_u8(ow, quads_u32, wide_buf, PixelType::U8x4).map_err(internal)?;
    resizer
        .resize(
            &src,
            &mut wide,
            &options((x, 0.0, rw, f64::from(quads_u32))),
        )
        .map_err(internal)?;
    let ow = ow as usize;
    let wide = wide.into_vec();
    let mut out = vec![0u8; ow * quads * 4];
    for (rows, packed_row) in out.chunks_exact_mut(ow * 4).zip(wide.chunks_exact(ow * 4)) {
        let (r0, rest) = rows.split_at_mut(ow);
        let (r1, rest) = rest.split_at_mut(ow);
        let (r2, r3) = rest.split_at_mut(ow);
        unpack_row(packed_row, [r0, r1, r2, r3]);
    }
    out.truncate(ow * h);
    Ok(out)
}

/// JPEG from 4:2:0 planes, with the same encoder choices as the RGB path.
pub fn encode_jpeg(
    ycc: &Ycc,
    quality: u8,
    settings: &EncoderSettings,
) -> Result<Vec<u8>, EngineError> {
    crate::encode::jpeg::compress(
        ColorSpace::JCS_YCbCr,
        (ycc.width(), ycc.height()),
        quality,
        settings,
        |c| {
            c.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
            c.set_raw_data_in(true);
        },
        |started| {
            // A plane already whole blocks in size (1920×1200 and its chroma) goes as it is.
            let padded: Vec<std::borrow::Cow<[u8]>> = started
                .components()
                .iter()
                .zip(&ycc.planes)
                .map(|(comp, plane)| {
                    let stride = comp.width_in_blocks as usize * 8;
                    let rows = comp.height_in_blocks as usize * 8;
                    if (stride, rows) == (plane.width as usize, plane.height as usize) {
                        std::borrow::Cow::Borrowed(plane.data.as_slice())
                    } else {
                        std::borrow::Cow::Owned(plane.padded(stride, rows))
                    }
                })
                .collect();
            let refs: Vec<&[u8]> = padded.iter().map(|p| p.as_ref()).collect();
            if started.write_raw_data(&refs) {
                Ok(())
            } else {
                Err(std::io::Error::other("raw write suspended"))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rows_resize_like_one_plane_resize() {
        // Odd sizes, fractional crops and a row count that is not a multiple of four.
        let (w, h) = (203u32, 151u32);
        let data: Vec<u8> = (0..w * h)
            .map(|i| ((i % w) * 7 + (i / w) * 13 + (i.wrapping_mul(2_654_435_761) >> 24)) as u8)
            .collect();
        let p = Plane {
            width: w,
            height: h,
            data,
        };
        let mut resizer = Resizer::new();
        for (crop, out) in [
            ((0.0, 0.0, 203.0, 151.0), (150, 111)),
            ((3.5, 10.25, 180.0, 120.5), (61, 43)),
            ((0.0, 0.0, 203.0, 151.0), (203, 77)),
            ((1.0, 0.0, 100.0, 151.0), (37, 151)),
        ] {
            let ours = lanczos3(&mut resizer, &p, crop, out).expect("packed");
            let src = ImageRef::new(w, h, &p.data, PixelType::U8).expect("view");
            let mut dst = Image::new(out.0, out.1, PixelType::U8);
            let options = ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                .crop(crop.0, crop.1, crop.2, crop.3);
            resizer.resize(&src, &mut dst, &options).expect("one call");
            let max = ours
                .iter()
                .zip(dst.buffer())
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert_eq!(ours.len(), dst.buffer().len());
            assert!(max <= Some(1), "{crop:?} → {out:?}: max difference {max:?}");
        }
    }

    #[test]
    fn rows_unpack_at_every_width() {
        for n in [1usize, 15, 16, 17, 33, 64, 203] {
            let px: Vec<u8> = (0..4 * n).map(|i| (i * 37 % 251) as u8).collect();
            let mut rows = vec![vec![0u8; n]; 4];
            let [a, b, c, d] = &mut rows[..] else {
                unreachable!()
            };
            unpack_row(&px, [a, b, c, d]);
            for (lane, row) in rows.iter().enumerate() {
                let want: Vec<u8> = px.iter().skip(lane).step_by(4).copied().collect();
                assert_eq!(row, &want, "width {n}, lane {lane}");
            }
        }
    }

    #[test]
    fn padding_repeats_the_edges() {
        let p = Plane {
            width: 2,
            height: 2,
            data: vec![1, 2, 3, 4],
        };
        assert_eq!(p.padded(4, 3), vec![1, 2, 2, 2, 3, 4, 4, 4, 3, 4, 4, 4]);
    }
}
