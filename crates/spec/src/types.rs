//! Domain types of one transform: each can only hold a valid, already-normalised value.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An output image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Avif,
    Gif,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Jpeg,
        Format::Png,
        Format::Webp,
        Format::Avif,
        Format::Gif,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
            Format::Gif => "gif",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Avif => "image/avif",
            Format::Gif => "image/gif",
        }
    }

    /// The usual file extension, for CLI output naming.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            _ => self.as_str(),
        }
    }

    /// Parses a name or extension, case-insensitively (`jpg` is `jpeg`).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            "avif" => Some(Format::Avif),
            "gif" => Some(Format::Gif),
            _ => None,
        }
    }

    /// Whether `q` changes this format's bytes.
    pub fn is_lossy(self) -> bool {
        matches!(self, Format::Jpeg | Format::Webp | Format::Avif)
    }

    /// Whether animation frames survive encoding.
    pub fn supports_animation(self) -> bool {
        matches!(self, Format::Gif | Format::Webp)
    }

    pub fn supports_alpha(self) -> bool {
        !matches!(self, Format::Jpeg)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the image fits the `w`×`h` box, in sharp's vocabulary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Fit {
    /// Fill the box, cropping the overflow (the default).
    #[default]
    Cover,
    /// Fit inside the box and pad the rest with `bg`.
    Contain,
    /// Stretch to exactly the box, ignoring the aspect ratio.
    Fill,
    /// Fit inside the box; the output may be smaller in one dimension.
    Inside,
    /// Cover the box; the output may be larger in one dimension.
    Outside,
}

impl Fit {
    pub const NAMES: &'static str = "cover|contain|fill|inside|outside";

    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
            Fit::Fill => "fill",
            Fit::Inside => "inside",
            Fit::Outside => "outside",
        }
    }

    pub fn from_name(name: &str) -> Option<Fit> {
        Some(match name {
            "cover" => Fit::Cover,
            "contain" => Fit::Contain,
            "fill" => Fit::Fill,
            "inside" => Fit::Inside,
            "outside" => Fit::Outside,
            _ => return None,
        })
    }
}

/// Which part of the image a `cover` crop keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Position {
    #[default]
    Center,
    Top,
    Bottom,
    Left,
    Right,
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
    /// The region with the most detail (Shannon entropy).
    Entropy,
    /// The region most likely to draw the eye (edges, saturation, skin tones).
    Attention,
}

impl Position {
    pub const NAMES: &'static str = "center|top|bottom|left|right|top-left|top-right|bottom-left|bottom-right|entropy|attention";

    pub fn as_str(self) -> &'static str {
        match self {
            Position::Center => "center",
            Position::Top => "top",
            Position::Bottom => "bottom",
            Position::Left => "left",
            Position::Right => "right",
            Position::TopLeft => "top-left",
            Position::TopRight => "top-right",
            Position::BottomLeft => "bottom-left",
            Position::BottomRight => "bottom-right",
            Position::Entropy => "entropy",
            Position::Attention => "attention",
        }
    }

    /// Accepts the canonical names plus sharp's compass aliases and `centre`.
    pub fn from_name(name: &str) -> Option<Position> {
        Some(match name {
            "center" | "centre" => Position::Center,
            "top" | "north" => Position::Top,
            "bottom" | "south" => Position::Bottom,
            "left" | "west" => Position::Left,
            "right" | "east" => Position::Right,
            "top-left" | "left-top" | "northwest" => Position::TopLeft,
            "top-right" | "right-top" | "northeast" => Position::TopRight,
            "bottom-left" | "left-bottom" | "southwest" => Position::BottomLeft,
            "bottom-right" | "right-bottom" | "southeast" => Position::BottomRight,
            "entropy" => Position::Entropy,
            "attention" => Position::Attention,
            _ => return None,
        })
    }

    /// For a gravity position: where the crop sits along x and y, 0.0 (start) to 1.0 (end).
    pub fn anchor(self) -> Option<(f32, f32)> {
        Some(match self {
            Position::Center => (0.5, 0.5),
            Position::Top => (0.5, 0.0),
            Position::Bottom => (0.5, 1.0),
            Position::Left => (0.0, 0.5),
            Position::Right => (1.0, 0.5),
            Position::TopLeft => (0.0, 0.0),
            Position::TopRight => (1.0, 0.0),
            Position::BottomLeft => (0.0, 1.0),
            Position::BottomRight => (1.0, 1.0),
            Position::Entropy | Position::Attention => return None,
        })
    }
}

/// A Gaussian sigma in tenths (so `2.5` is 25): exact, hashable and identical in Rust and JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sigma(u16);

impl Sigma {
    pub(crate) fn from_tenths(tenths: u16) -> Sigma {
        Sigma(tenths)
    }

    pub fn tenths(self) -> u16 {
        self.0
    }

    pub fn value(self) -> f32 {
        f32::from(self.0) / 10.0
    }
}

impl fmt::Display for Sigma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(10) {
            write!(f, "{}", self.0 / 10)
        } else {
            write!(f, "{}.{}", self.0 / 10, self.0 % 10)
        }
    }
}

/// An sRGB colour with alpha, used to pad `contain` and to flatten alpha for JPEG.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Color {
    pub const WHITE: Color = Color {
        r: 255,
        g: 255,
        b: 255,
        a: 255,
    };

    /// Parses `rgb`, `rgba`, `rrggbb` or `rrggbbaa` hex, with an optional leading `#`.
    pub fn from_hex(text: &str) -> Option<Color> {
        let hex = text.strip_prefix('#').unwrap_or(text);
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let nibble = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok();
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        match hex.len() {
            3 | 4 => {
                let n = |i| nibble(i).map(|v| v * 17);
                let a = if hex.len() == 4 { n(3)? } else { 255 };
                Some(Color {
                    r: n(0)?,
                    g: n(1)?,
                    b: n(2)?,
                    a,
                })
            }
            6 | 8 => {
                let a = if hex.len() == 8 { byte(6)? } else { 255 };
                Some(Color {
                    r: byte(0)?,
                    g: byte(2)?,
                    b: byte(4)?,
                    a,
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for Color {
    /// Lowercase `rrggbb`, or `rrggbbaa` when not opaque.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}{:02x}{:02x}", self.r, self.g, self.b)?;
        if self.a != 255 {
            write!(f, "{:02x}", self.a)?;
        }
        Ok(())
    }
}

/// A rotation and mirror, reduced to one of the 8 symmetries of a rectangle.
///
/// The viewer's `flip` is applied before `rot` (as in sharp); since `v` is `h` followed by a half
/// turn and `hv` is a half turn, every combination reduces to a clockwise rotation plus an
/// optional horizontal mirror applied first. That makes the canonical encoding minimal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Orientation {
    /// Clockwise quarter turns, 0-3.
    pub quarter_turns: u8,
    /// Mirror left-right before rotating.
    pub mirror: bool,
}

impl Orientation {
    pub const IDENTITY: Orientation = Orientation {
        quarter_turns: 0,
        mirror: false,
    };

    pub fn is_identity(self) -> bool {
        self == Orientation::IDENTITY
    }

    /// Whether width and height trade places.
    pub fn transposes(self) -> bool {
        self.quarter_turns % 2 == 1
    }

    /// The EXIF orientation tag (1-8) as the transform that makes the stored pixels upright.
    pub fn from_exif(tag: u16) -> Orientation {
        let (quarter_turns, mirror) = match tag {
            2 => (0, true),
            3 => (2, false),
            4 => (2, true),
            5 => (3, true),
            6 => (1, false),
            7 => (1, true),
            8 => (3, false),
            _ => (0, false),
        };
        Orientation {
            quarter_turns,
            mirror,
        }
    }

    /// `self` first, then `next`.
    pub fn then(self, next: Orientation) -> Orientation {
        // Mirroring after a rotation equals the inverse rotation after mirroring.
        let turns = if next.mirror {
            (4 - self.quarter_turns % 4) % 4
        } else {
            self.quarter_turns
        };
        Orientation {
            quarter_turns: (turns + next.quarter_turns) % 4,
            mirror: self.mirror ^ next.mirror,
        }
    }
}
