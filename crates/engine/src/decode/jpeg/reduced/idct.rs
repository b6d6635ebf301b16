//! The reduced IDCT: each block's kept frequencies to k×k samples, filtered like an area
//! average or a Lanczos3 downscale, then chroma upsampling and YCbCr → RGB.

use super::*;

/// Per axis of n output samples, basis[x][u]: C(u)·W(u)·cos((2x+1)uπ / 2n) / 2 with
/// C(0) = 1/√2 and W(u) the filter's gain at frequency u (see [`Filter`]; 1 for the DC), so the
/// two IDCT passes give sample − 128 and the DC term DC/8.
pub(super) fn basis<const N: usize>(filter: Filter) -> [[f32; N]; N] {
    use std::f64::consts::{FRAC_1_SQRT_2, PI};
    let m = 8 / N;
    let mut basis = [[0f32; N]; N];
    for (x, row) in basis.iter_mut().enumerate() {
        for (u, b) in row.iter_mut().enumerate() {
            let cu = if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
            let angle = ((2 * x + 1) * u) as f64 * PI / (2 * N) as f64;
            let gain = match filter {
                Filter::Area => area_gain(u, m),
                Filter::Lanczos3 => lanczos3_gain(u, m),
            };
            *b = (cu * gain * angle.cos() / 2.0) as f32;
        }
    }
    basis
}

/// The mean of the 8-point basis function cos((2s+1)uπ/16) over an output sample's `m` source
/// samples, relative to its value at their centre.
pub(super) fn area_gain(u: usize, m: usize) -> f64 {
    if u == 0 {
        return 1.0;
    }
    let step = u as f64 * std::f64::consts::PI / 16.0;
    (m as f64 * step).sin() / (m as f64 * step.sin())
}

/// How a Lanczos3 downscale by `m` passes frequency u (u/16 cycles a source pixel): its taps
/// sit on the source pixel centres, half-integers from an output sample's centre when `m` is
/// even.
pub(super) fn lanczos3_gain(u: usize, m: usize) -> f64 {
    use std::f64::consts::PI;
    let sinc = |x: f64| {
        if x == 0.0 {
            1.0
        } else {
            (PI * x).sin() / (PI * x)
        }
    };
    let m = m as f64;
    let (mut sum, mut response) = (0.0, 0.0);
    let reach = (3.0 * m).ceil() as i32;
    for i in -reach..reach {
        let t = f64::from(i) + 0.5 * (m % 2.0 == 0.0) as u8 as f64;
        let x = t / m;
        if x.abs() >= 3.0 {
            continue;
        }
        let w = sinc(x) * sinc(x / 3.0);
        sum += w;
        response += w * (2.0 * PI * u as f64 / 16.0 * t).cos();
    }
    response / sum
}

/// Component `c`'s samples, `pw`×`ph` (the blocks' pixels cropped to the image): the kx×ky
/// inverse DCT of each block's lowest kx×ky frequencies, each weighted by `filter`'s gain for
/// it. libjpeg's reduced IDCTs also fold in frequencies above the output's Nyquist limit, which
/// alias.
pub(super) fn idct_plane(
    c: &Component,
    quant: &Quant,
    (pw, ph): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    // Fixed sizes let the compiler unroll and vectorise the two passes.
    match (c.kx, c.ky) {
        (2, 2) => idct_plane_small::<2, 2>(c, quant, (pw, ph), filter),
        (4, 4) => idct_plane_small::<4, 4>(c, quant, (pw, ph), filter),
        (4, 2) => idct_plane_small::<4, 2>(c, quant, (pw, ph), filter),
        (2, 4) => idct_plane_small::<2, 4>(c, quant, (pw, ph), filter),
        (8, 8) => idct_plane_of::<8, 8>(c, quant, (pw, ph), filter),
        (8, 4) => idct_plane_of::<8, 4>(c, quant, (pw, ph), filter),
        (4, 8) => idct_plane_of::<4, 8>(c, quant, (pw, ph), filter),
        (8, 2) => idct_plane_of::<8, 2>(c, quant, (pw, ph), filter),
        // (2, 8): Frame::parse admits only sizes 2, 4 and 8.
        _ => idct_plane_of::<2, 8>(c, quant, (pw, ph), filter),
    }
}

/// [`idct_plane_of`] for blocks of at most 16 samples, where one matrix of basis products
/// (dequantisation folded in) maps the coefficients straight to the block's samples: each
/// nonzero coefficient adds one row of 16, and a photo's small blocks have few.
pub(super) fn idct_plane_small<const KX: usize, const KY: usize>(
    c: &Component,
    quant: &Quant,
    (pw, ph): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    let (bx, by) = (basis::<KX>(filter), basis::<KY>(filter));
    // m[j] holds coefficient slot j's contribution to each sample y·KX + x; slot 0 is the DC,
    // which every kept corner includes.
    let mut m = [[0f32; 16]; 16];
    for (z, &slot) in c.slots.at.iter().enumerate() {
        let j = usize::from(slot);
        if j >= KX * KY {
            continue;
        }
        let (v, u) = (j / KX, j % KX);
        for y in 0..KY {
            for x in 0..KX {
                m[j][y * KX + x] = by[y][v] * bx[x][u] * f32::from(quant[z]);
            }
        }
    }
    idct_blocks::<KX, KY>(c, (pw, ph), |dc, coefs, out| {
        let mut acc = [0f32; 16];
        for (a, w) in acc.iter_mut().zip(m[0]) {
            *a = 128.5 + dc as f32 * w;
        }
        // Dense, without a branch per coefficient: which are zero is unpredictable, and a
        // mispredicted branch costs more than the 16 multiply-adds it would skip.
        if coefs[1..].iter().any(|&x| x != 0) {
            for (j, &coef) in coefs.iter().enumerate().skip(1) {
                let f = f32::from(coef);
                for (a, w) in acc.iter_mut().zip(m[j]) {
                    *a += f * w;
                }
            }
        }
        for (y, line) in out.iter_mut().enumerate() {
            for (x, px) in line.iter_mut().enumerate() {
                *px = acc[y * KX + x].clamp(0.0, 255.0) as u8;
            }
        }
    })
}

/// Component `c`'s plane from its blocks, `block` turning each one's DC and kept coefficients
/// into its KX×KY samples, cut to the `pw`×`ph` image samples.
pub(super) fn idct_blocks<const KX: usize, const KY: usize>(
    c: &Component,
    (pw, ph): (usize, usize),
    mut block: impl FnMut(i32, &[i16], &mut [[u8; KX]; KY]),
) -> Vec<u8> {
    let stride = c.blocks_w * KX;
    let mut out = vec![0u8; stride * c.blocks_h * KY];
    let mut samples = [[0u8; KX]; KY];
    for by in 0..c.blocks_h {
        for bx in 0..c.blocks_w {
            let idx = by * c.grid_w + bx;
            let Some(coefs) = c.ac.get(idx * KX * KY..(idx + 1) * KX * KY) else {
                continue;
            };
            block(c.dc[idx], coefs, &mut samples);
            for (y, line) in samples.iter().enumerate() {
                out[(by * KY + y) * stride + bx * KX..][..KX].copy_from_slice(line);
            }
        }
    }
    if stride == pw {
        out.truncate(pw * ph);
        return out;
    }
    let mut cropped = Vec::with_capacity(pw * ph);
    for row in out.chunks_exact(stride).take(ph) {
        cropped.extend_from_slice(&row[..pw]);
    }
    cropped
}

pub(super) fn idct_plane_of<const KX: usize, const KY: usize>(
    c: &Component,
    quant: &Quant,
    (pw, ph): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    // Dequantisation factor per slot.
    let mut q = [[0f32; KX]; KY];
    for (z, &slot) in c.slots.at.iter().enumerate() {
        let slot = usize::from(slot);
        if slot < KX * KY {
            q[slot / KX][slot % KX] = f32::from(quant[z]);
        }
    }
    let (bx_basis, by_basis) = (basis::<KX>(filter), basis::<KY>(filter));
    // Transposed so that each pass below is whole rows of KX lanes, which vectorise.
    let mut bx_t = [[0f32; KX]; KX];
    for (x, row) in bx_basis.iter().enumerate() {
        for (u, &b) in row.iter().enumerate() {
            bx_t[u][x] = b;
        }
    }
    // A DC-only block is flat: DC/8 through both passes' DC basis terms.
    let dc_gain = bx_basis[0][0] * by_basis[0][0];
    idct_blocks::<KX, KY>(c, (pw, ph), |dc, coefs, out| {
        let dc = dc as f32 * q[0][0];
        if coefs[1..].iter().all(|&x| x == 0) {
            let px = (128.5 + dc * dc_gain).clamp(0.0, 255.0) as u8;
            for line in out.iter_mut() {
                line.fill(px);
            }
            return;
        }
        // Along each row (over u), skipping all-zero rows, then down (over v).
        let mut rows = [[0f32; KX]; KY];
        for v in 0..KY {
            let line = &coefs[v * KX..(v + 1) * KX];
            if v > 0 && line.iter().all(|&x| x == 0) {
                continue;
            }
            let mut acc = [0f32; KX];
            for u in 0..KX {
                let f = if v == 0 && u == 0 {
                    dc
                } else {
                    f32::from(line[u]) * q[v][u]
                };
                for x in 0..KX {
                    acc[x] += f * bx_t[u][x];
                }
            }
            rows[v] = acc;
        }
        for (y, line) in out.iter_mut().enumerate() {
            let mut acc = [128.5f32; KX];
            for v in 0..KY {
                let w = by_basis[y][v];
                for x in 0..KX {
                    acc[x] += rows[v][x] * w;
                }
            }
            for (px, a) in line.iter_mut().zip(acc) {
                *px = a.clamp(0.0, 255.0) as u8;
            }
        }
    })
}

/// Scales a subsampled plane up by whole factors with centred linear interpolation (libjpeg's
/// "fancy" upsampling for factors of 2).
pub(super) fn upsample(
    plane: Vec<u8>,
    (pw, ph): (usize, usize),
    (fx, fy): (usize, usize),
    (w, h): (usize, usize),
) -> Vec<u8> {
    if (fx, fy) == (1, 1) && (pw, ph) == (w, h) {
        return plane;
    }
    // Per output coordinate: the two source indices and the second one's weight out of 256.
    let taps = |n: usize, f: usize, src: usize| -> Vec<(usize, usize, i32)> {
        (0..n)
            .map(|o| {
                let pos = ((2 * o + 1) * 256 / (2 * f)) as i64 - 128;
                let pos = pos.clamp(0, (src as i64 - 1) * 256);
                let i0 = (pos / 256) as usize;
                (i0, (i0 + 1).min(src - 1), (pos % 256) as i32)
            })
            .collect()
    };
    let (tx, ty) = (taps(w, fx, pw), taps(h, fy, ph));
    let mut out = Vec::with_capacity(w * h);
    for &(y0, y1, wy) in &ty {
        let (r0, r1) = (&plane[y0 * pw..][..pw], &plane[y1 * pw..][..pw]);
        out.extend(tx.iter().map(|&(x0, x1, wx)| {
            let top = i32::from(r0[x0]) * (256 - wx) + i32::from(r0[x1]) * wx;
            let bottom = i32::from(r1[x0]) * (256 - wx) + i32::from(r1[x1]) * wx;
            ((top * (256 - wy) + bottom * wy + 32768) >> 16) as u8
        }));
    }
    out
}

/// JFIF YCbCr to RGB in libjpeg's 16-bit fixed point.
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8]) -> Vec<u8> {
    let px = |v: i32| v.clamp(0, 255) as u8;
    let mut out = vec![0u8; y.len() * 3];
    for (((rgb, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
        rgb[0] = px(y + ((91_881 * cr + 32_768) >> 16));
        rgb[1] = px(y + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16));
        rgb[2] = px(y + ((116_130 * cb + 32_768) >> 16));
    }
    out
}
