//! Rotations and mirrors (EXIF orientation and the user's `rot`/`flip`) applied in one pass.

use imgfront_spec::Orientation;

use crate::raster::Raster;

/// Mirrors (if asked) and then rotates clockwise by quarter turns.
pub fn apply(src: &Raster, o: Orientation) -> Raster {
    if o.is_identity() {
        return src.clone();
    }
    let (w, h) = (src.width as usize, src.height as usize);
    let (ow, oh) = if o.transposes() { (h, w) } else { (w, h) };
    let c = src.channels as usize;
    let mut out = vec![0u8; src.data.len()];
    for oy in 0..oh {
        for ox in 0..ow {
            // Undo the rotation, then the mirror, to find the source pixel.
            let (mut x, y) = match o.quarter_turns % 4 {
                0 => (ox, oy),
                1 => (oy, h - 1 - ox),
                2 => (w - 1 - ox, h - 1 - oy),
                _ => (w - 1 - oy, ox),
            };
            if o.mirror {
                x = w - 1 - x;
            }
            let s = (y * w + x) * c;
            let d = (oy * ow + ox) * c;
            out[d..d + c].copy_from_slice(&src.data[s..s + c]);
        }
    }
    Raster::new(ow as u32, oh as u32, src.channels, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3x2 single-channel-like raster (RGB with r = label).
    fn grid() -> Raster {
        let labels = [1u8, 2, 3, 4, 5, 6];
        Raster::new(3, 2, 3, labels.iter().flat_map(|&l| [l, 0, 0]).collect())
    }

    fn labels(r: &Raster) -> Vec<u8> {
        r.data.chunks_exact(3).map(|p| p[0]).collect()
    }

    #[test]
    fn quarter_turns_and_mirror() {
        let g = grid(); // 1 2 3 / 4 5 6
        let cw = apply(
            &g,
            Orientation {
                quarter_turns: 1,
                mirror: false,
            },
        );
        assert_eq!((cw.width, cw.height), (2, 3));
        assert_eq!(labels(&cw), [4, 1, 5, 2, 6, 3]);
        assert_eq!(
            labels(&apply(
                &g,
                Orientation {
                    quarter_turns: 2,
                    mirror: false
                }
            )),
            [6, 5, 4, 3, 2, 1]
        );
        assert_eq!(
            labels(&apply(
                &g,
                Orientation {
                    quarter_turns: 3,
                    mirror: false
                }
            )),
            [3, 6, 2, 5, 1, 4]
        );
        assert_eq!(
            labels(&apply(
                &g,
                Orientation {
                    quarter_turns: 0,
                    mirror: true
                }
            )),
            [3, 2, 1, 6, 5, 4]
        );
        // Transpose (EXIF 5): mirror then three quarter turns.
        assert_eq!(
            labels(&apply(&g, Orientation::from_exif(5))),
            [1, 4, 2, 5, 3, 6]
        );
    }

    #[test]
    fn composition_matches_sequential_application() {
        let g = grid();
        for a in 0..8u8 {
            for b in 0..8u8 {
                let oa = Orientation {
                    quarter_turns: a % 4,
                    mirror: a >= 4,
                };
                let ob = Orientation {
                    quarter_turns: b % 4,
                    mirror: b >= 4,
                };
                assert_eq!(
                    apply(&apply(&g, oa), ob),
                    apply(&g, oa.then(ob)),
                    "{oa:?} then {ob:?}"
                );
            }
        }
    }
}
