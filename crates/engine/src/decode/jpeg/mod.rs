//! JPEG decoding, one module tree: [`route`] holds the one decision (which decoder, which DCT
//! scale, which colour path), [`libjpeg`] decodes through libjpeg-turbo, and [`reduced`] is the
//! engine's own reduced decoder, which reads only the coefficients a 1/8, 1/4 or 1/2 scale needs.

pub mod libjpeg;
pub mod reduced;
pub(crate) mod route;

pub use libjpeg::decode;
pub use route::{exact_numerator, shrink_numerator};
