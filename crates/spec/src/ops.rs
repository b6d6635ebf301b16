//! The operations of one derivative, and their canonical encoding (the last path segment).
//!
//! Grammar of the ops segment:
//!
//! ```text
//! ops   = "_"                      ; no operation: the source re-encoded, upright, metadata stripped
//!       | op *( "," op )           ; names strictly ascending (alphabetical), each at most once
//! op    = "bg_" hex6 [ hex2 ]      ; lowercase; alpha only when not ff; never ffffff
//!       | "blur_" sigma            ; 0.3-100, tenths, no trailing ".0"
//!       | "fit_" ( "contain" | "fill" | "inside" | "outside" )
//!       | "flip_h"                 ; mirror left-right, applied before rot
//!       | "fmt_" ( "jpeg" | "png" | "webp" | "avif" | "gif" )
//!       | "h_" breakpoint          ; a configured height breakpoint
//!       | "pos_" position          ; never center
//!       | "q_" quality             ; a configured quality, never the format's default
//!       | "rot_" ( "90" | "180" | "270" )
//!       | "sharpen_" sigma         ; 0.3-10
//!       | "w_" breakpoint          ; a configured width breakpoint
//! ```
//!
//! An op appears only where it changes the output bytes; see [`Ops::normalize`].

use crate::config::Config;
use crate::types::{Color, Fit, Format, Orientation, Position, Sigma};

/// The ops segment used when there is no operation at all.
pub const NO_OPS: &str = "_";

/// A normalised, validated set of operations. Built only by the parsers of this crate, so every
/// value is on the configured grid and every field that would not change the bytes is at its default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ops {
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) fit: Fit,
    pub(crate) position: Position,
    pub(crate) format: Option<Format>,
    pub(crate) quality: Option<u8>,
    pub(crate) blur: Option<Sigma>,
    pub(crate) sharpen: Option<Sigma>,
    pub(crate) orientation: Orientation,
    pub(crate) background: Option<Color>,
}

impl Ops {
    /// Target width in device pixels.
    pub fn width(&self) -> Option<u32> {
        self.width
    }
    /// Target height in device pixels.
    pub fn height(&self) -> Option<u32> {
        self.height
    }
    pub fn fit(&self) -> Fit {
        self.fit
    }
    pub fn position(&self) -> Position {
        self.position
    }
    /// The output format; `None` keeps the source's format (SVG becomes PNG).
    pub fn format(&self) -> Option<Format> {
        self.format
    }
    /// The explicit quality; `None` means the output format's configured default.
    pub fn quality(&self) -> Option<u8> {
        self.quality
    }
    pub fn blur(&self) -> Option<Sigma> {
        self.blur
    }
    pub fn sharpen(&self) -> Option<Sigma> {
        self.sharpen
    }
    /// The user's `flip` and `rot`, applied after EXIF auto-orientation.
    pub fn orientation(&self) -> Orientation {
        self.orientation
    }
    /// Padding and flattening colour; `None` means white.
    pub fn background(&self) -> Option<Color> {
        self.background
    }
    pub fn background_or_default(&self) -> Color {
        self.background.unwrap_or(Color::WHITE)
    }

    /// The same operations with another output format, renormalised (for preset fan-out).
    pub fn with_format(&self, config: &Config, format: Format) -> Ops {
        let mut ops = self.clone();
        ops.format = Some(format);
        ops.normalize(config);
        ops
    }

    /// Drops every field that cannot change the output bytes, so equal outputs share one key.
    pub(crate) fn normalize(&mut self, config: &Config) {
        if let Some(format) = self.format
            && (!format.is_lossy() || self.quality == config.default_quality(format))
        {
            self.quality = None;
        }
        let boxed = self.width.is_some() && self.height.is_some();
        if !boxed {
            // With one dimension every fit keeps the aspect ratio and gives the same pixels.
            self.fit = Fit::Cover;
        }
        if !(boxed && self.fit == Fit::Cover) {
            self.position = Position::Center;
        }
        let pads = boxed && self.fit == Fit::Contain;
        let flattens = self.format.is_none_or(|f| !f.supports_alpha());
        if self.background == Some(Color::WHITE) || !(pads || flattens) {
            self.background = None;
        }
    }

    /// The canonical ops segment (see the module grammar).
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(bg) = self.background {
            parts.push(format!("bg_{bg}"));
        }
        if let Some(blur) = self.blur {
            parts.push(format!("blur_{blur}"));
        }
        if self.fit != Fit::Cover {
            parts.push(format!("fit_{}", self.fit.as_str()));
        }
        if self.orientation.mirror {
            parts.push("flip_h".to_owned());
        }
        if let Some(format) = self.format {
            parts.push(format!("fmt_{format}"));
        }
        if let Some(h) = self.height {
            parts.push(format!("h_{h}"));
        }
        if self.position != Position::Center {
            parts.push(format!("pos_{}", self.position.as_str()));
        }
        if let Some(q) = self.quality {
            parts.push(format!("q_{q}"));
        }
        if self.orientation.quarter_turns != 0 {
            parts.push(format!(
                "rot_{}",
                u32::from(self.orientation.quarter_turns) * 90
            ));
        }
        if let Some(sharpen) = self.sharpen {
            parts.push(format!("sharpen_{sharpen}"));
        }
        if let Some(w) = self.width {
            parts.push(format!("w_{w}"));
        }
        if parts.is_empty() {
            NO_OPS.to_owned()
        } else {
            parts.join(",")
        }
    }
}
