//! Pixel effects: Gaussian blur (three box passes), unsharp-mask sharpening, alpha flattening and
//! contain padding.

use imgfront_spec::Color;

use crate::raster::Raster;

/// Box radii whose three passes approximate a Gaussian of `sigma` (Kovesi's method).
fn box_radii(sigma: f32) -> [usize; 3] {
    let n = 3.0f32;
    let ideal = ((12.0 * sigma * sigma / n) + 1.0).sqrt();
    let mut wl = ideal.floor() as i32;
    if wl % 2 == 0 {
        wl -= 1;
    }
    let wu = wl + 2;
    let m = ((12.0 * sigma * sigma - n * (wl * wl) as f32 - 4.0 * n * wl as f32 - 3.0 * n)
        / (-4.0 * wl as f32 - 4.0))
        .round();
    let r = |i: f32| (if i < m { wl } else { wu }).max(1) as usize / 2;
    [r(0.0), r(1.0), r(2.0)]
}

/// One horizontal box pass of radius `r` over rows of `w` pixels with `c` channels (edges clamp).
fn box_pass(src: &[u8], dst: &mut [u8], w: usize, h: usize, c: usize, r: usize, horizontal: bool) {
    let (len, lines) = if horizontal { (w, h) } else { (h, w) };
    let idx = |line: usize, i: usize| {
        if horizontal {
            (line * w + i) * c
        } else {
            (i * w + line) * c
        }
    };
    let div = (2 * r + 1) as u32;
    for line in 0..lines {
        for ch in 0..c {
            let at =
                |i: isize| u32::from(src[idx(line, i.clamp(0, len as isize - 1) as usize) + ch]);
            let mut acc: u32 = (-(r as isize)..=r as isize).map(at).sum();
            for i in 0..len {
                dst[idx(line, i) + ch] = ((acc + div / 2) / div) as u8;
                acc += at(i as isize + r as isize + 1);
                acc -= at(i as isize - r as isize);
            }
        }
    }
}

pub fn blur(src: &Raster, sigma: f32) -> Raster {
    let (w, h, c) = (
        src.width as usize,
        src.height as usize,
        src.channels as usize,
    );
    let mut a = src.data.clone();
    let mut b = vec![0u8; a.len()];
    for r in box_radii(sigma) {
        box_pass(&a, &mut b, w, h, c, r, true);
        box_pass(&b, &mut a, w, h, c, r, false);
    }
    Raster::new(src.width, src.height, src.channels, a)
}

/// Unsharp mask: adds back the difference from a blur of `sigma`. Alpha is left alone.
pub fn sharpen(src: &Raster, sigma: f32) -> Raster {
    let blurred = blur(src, sigma);
    let c = src.channels as usize;
    let data = src
        .data
        .iter()
        .zip(&blurred.data)
        .enumerate()
        .map(|(i, (&o, &b))| {
            if c == 4 && i % 4 == 3 {
                o
            } else {
                (2 * i32::from(o) - i32::from(b)).clamp(0, 255) as u8
            }
        })
        .collect();
    Raster::new(src.width, src.height, src.channels, data)
}

/// Composites straight-alpha RGBA over `bg`, giving RGB.
pub fn flatten(src: &Raster, bg: Color) -> Raster {
    if !src.has_alpha() {
        return src.clone();
    }
    let data = src
        .data
        .chunks_exact(4)
        .flat_map(|p| {
            let a = u32::from(p[3]);
            let mix =
                |c: u8, b: u8| ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8;
            [mix(p[0], bg.r), mix(p[1], bg.g), mix(p[2], bg.b)]
        })
        .collect();
    Raster::new(src.width, src.height, 3, data)
}

/// Centres `src` on a `w`×`h` canvas of `bg` (RGBA when either has alpha).
pub fn pad(src: &Raster, w: u32, h: u32, bg: Color) -> Raster {
    let rgba = src.has_alpha() || bg.a != 255;
    let src = if rgba { src.to_rgba() } else { src.clone() };
    let c = if rgba { 4 } else { 3 };
    let fill: Vec<u8> = if rgba {
        vec![bg.r, bg.g, bg.b, bg.a]
    } else {
        vec![bg.r, bg.g, bg.b]
    };
    let mut data: Vec<u8> = fill
        .iter()
        .copied()
        .cycle()
        .take(w as usize * h as usize * c)
        .collect();
    let (ox, oy) = (
        (w.saturating_sub(src.width)) / 2,
        (h.saturating_sub(src.height)) / 2,
    );
    let row = src.width.min(w) as usize * c;
    for y in 0..src.height.min(h) {
        let s = (y * src.width) as usize * c;
        let d = (((oy + y) * w + ox) as usize) * c;
        data[d..d + row].copy_from_slice(&src.data[s..s + row]);
    }
    Raster::new(w, h, c as u8, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blur_spreads_a_point_and_keeps_mean() {
        let mut data = vec![0u8; 21 * 21 * 3];
        let centre = (10 * 21 + 10) * 3;
        data[centre..centre + 3].copy_from_slice(&[255, 255, 255]);
        let blurred = blur(&Raster::new(21, 21, 3, data), 2.0);
        assert!(blurred.pixel(10, 10)[0] < 60, "peak is spread");
        assert!(blurred.pixel(12, 10)[0] > 0, "neighbours receive light");
        assert_eq!(blurred.pixel(0, 0)[0], 0, "far corner untouched");
    }

    #[test]
    fn sharpen_increases_edge_contrast() {
        let data: Vec<u8> = (0..20 * 4)
            .flat_map(|i| if i % 20 < 10 { [100; 3] } else { [150; 3] })
            .collect();
        let s = sharpen(&Raster::new(20, 4, 3, data), 1.0);
        assert!(s.pixel(9, 1)[0] < 100 && s.pixel(10, 1)[0] > 150);
        assert_eq!(s.pixel(2, 1)[0], 100, "flat areas stay");
    }

    #[test]
    fn flatten_and_pad() {
        let px = Raster::new(1, 1, 4, vec![0, 0, 0, 128]);
        assert_eq!(flatten(&px, Color::WHITE).data, vec![127, 127, 127]);
        let red = Color {
            r: 255,
            g: 0,
            b: 0,
            a: 255,
        };
        let padded = pad(&Raster::new(2, 1, 3, vec![9; 6]), 2, 3, red);
        assert_eq!((padded.width, padded.height, padded.channels), (2, 3, 3));
        assert_eq!(padded.pixel(0, 0), [255, 0, 0]);
        assert_eq!(padded.pixel(1, 1), [9, 9, 9]);
    }
}
