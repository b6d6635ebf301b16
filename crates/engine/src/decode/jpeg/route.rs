//! The one decision of JPEG decoding: which decoder, at which DCT scale, to which colour path.
//! [`routes`] lists the decodes to try in order; the reduced decoder may decline (the next
//! route then runs), libjpeg's planes may not apply, and libjpeg's RGB decode always ends it.

use super::reduced::Filter;

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
/// ([`Filter::Lanczos3`]) may stop there, as libjpeg's reduced IDCTs alias.
/// Each block's samples come from that block alone, and at 1/2 (four samples a block side) that
/// showed: SSIMULACRA2 2.9 under sharp on a 3840 px photo at `w=1920`, against at most 0.8 under
/// at 1/4 on the benchmark photos.
pub fn exact_numerator(scale_x: f64, scale_y: f64) -> Option<u8> {
    let quarter = |s: f64| (s - 0.25).abs() < 1e-9;
    (quarter(scale_x) && quarter(scale_y)).then_some(2)
}

/// One way to decode a JPEG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// The reduced decoder's Y, Cb, Cr planes, each at `numerator`/8 of its own size.
    ReducedPlanes { numerator: u8, filter: Filter },
    /// The reduced decoder's RGB at `numerator`/8.
    ReducedRgb { numerator: u8 },
    /// libjpeg's raw planes (at a scale it IDCTs chroma at luma size).
    LibjpegPlanes { numerator: u8 },
    /// libjpeg's RGB at `numerator`/8: every file it can read.
    LibjpegRgb { numerator: u8 },
}

/// What the choice depends on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Choice {
    /// The output needs no RGB step (the YCbCr path).
    pub planar: bool,
    /// The reduced decoder is enabled (`Settings::reduced_decoder`).
    pub reduced: bool,
    /// Take libjpeg's planes at a DCT scale too (`YccPath::Always`, to measure them).
    pub libjpeg_scaled_planes: bool,
    pub progressive: bool,
    /// Output pixels per source pixel, each axis.
    pub scale: (f64, f64),
    /// `EncoderSettings::jpeg_shrink_margin`.
    pub margin: f64,
}

/// The decodes to try, in order, and the DCT scale numerator they decode at.
pub(crate) fn routes(c: Choice) -> (u8, Vec<Route>) {
    // An output of exactly 1/4 of the source is the decode itself, filtered like the Lanczos3
    // resize it replaces (YCbCr path only: there the reduced decoder outputs at its own speed).
    let exact = if c.planar && c.reduced {
        exact_numerator(c.scale.0, c.scale.1)
    } else {
        None
    };
    let numerator = exact.unwrap_or_else(|| shrink_numerator(c.scale.0.max(c.scale.1), c.margin));
    let mut routes = Vec::with_capacity(4);
    // Only the coefficients this scale needs. A baseline file goes this way only when its
    // decode is the output: otherwise libjpeg's SIMD IDCT, upsampling and colour conversion
    // are faster than ours.
    if numerator < 8 && c.reduced && (c.progressive || exact.is_some()) {
        let filter = if exact.is_some() {
            Filter::Lanczos3
        } else {
            Filter::Area
        };
        if c.planar {
            routes.push(Route::ReducedPlanes { numerator, filter });
        }
        if c.progressive {
            routes.push(Route::ReducedRgb { numerator });
        }
    }
    if c.planar && (numerator == 8 || c.libjpeg_scaled_planes) {
        routes.push(Route::LibjpegPlanes { numerator });
    }
    routes.push(Route::LibjpegRgb { numerator });
    (numerator, routes)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn choice(progressive: bool, planar: bool, scale: f64) -> Choice {
        Choice {
            planar,
            reduced: true,
            libjpeg_scaled_planes: false,
            progressive,
            scale: (scale, scale),
            margin: 2.0,
        }
    }

    #[test]
    fn each_kind_of_render_takes_its_route() {
        use Route::*;
        // A progressive thumbnail: the reduced decoder, then libjpeg if it declines.
        assert_eq!(
            routes(choice(true, false, 0.1)),
            (
                2,
                vec![ReducedRgb { numerator: 2 }, LibjpegRgb { numerator: 2 }]
            )
        );
        // Exactly a quarter on the YCbCr path: the reduced decoder's planes are the output.
        let (n, r) = routes(choice(false, true, 0.25));
        assert_eq!(n, 2);
        assert_eq!(
            r[0],
            ReducedPlanes {
                numerator: 2,
                filter: Filter::Lanczos3
            }
        );
        // A baseline shrink on the RGB path, and any full-size decode: libjpeg alone.
        assert_eq!(
            routes(choice(false, false, 0.1)),
            (2, vec![LibjpegRgb { numerator: 2 }])
        );
        assert_eq!(
            routes(choice(false, true, 1.0)),
            (
                8,
                vec![LibjpegPlanes { numerator: 8 }, LibjpegRgb { numerator: 8 }]
            )
        );
        // With the reduced decoder off, progressive files go to libjpeg.
        let off = Choice {
            reduced: false,
            ..choice(true, false, 0.1)
        };
        assert_eq!(routes(off), (2, vec![LibjpegRgb { numerator: 2 }]));
    }
}
