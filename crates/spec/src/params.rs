//! Parameter parsing shared by the viewer query parser and the canonical-path parser.
//!
//! Errors are reported in a fixed order so the JS edge function reports the same one: first
//! per-parameter problems (encoding, length, repetition) from left to right, then values in the
//! order `w h dpr fit pos fmt q blur sharpen rot flip bg exp`.

use crate::config::Config;
use crate::error::{ErrorKind, SpecError};
use crate::key::{percent_decode, printable};
use crate::ops::Ops;
use crate::types::{Color, Fit, Format, Orientation, Position, Sigma};

/// Every parameter name the viewer API recognises; anything else is tracking junk and ignored.
pub(crate) const NAMES: [&str; 14] = [
    "w", "h", "dpr", "fit", "pos", "fmt", "q", "blur", "sharpen", "rot", "flip", "bg", "sig", "exp",
];

/// Raw values of the recognised parameters, indexed like [`NAMES`].
#[derive(Default)]
pub(crate) struct RawParams {
    values: [Option<String>; NAMES.len()],
}

impl RawParams {
    fn get(&self, name: &str) -> Option<&str> {
        let i = NAMES.iter().position(|n| *n == name)?;
        self.values[i].as_deref()
    }

    /// Records one decoded parameter, refusing repeats and overlong values. Unknown names are ignored.
    pub(crate) fn insert(
        &mut self,
        config: &Config,
        name: &str,
        value: String,
    ) -> Result<(), SpecError> {
        let Some(i) = NAMES.iter().position(|n| *n == name) else {
            return Ok(());
        };
        if self.values[i].is_some() {
            return Err(SpecError::new(
                ErrorKind::RepeatedParam,
                format!("parameter '{name}' is given more than once"),
            ));
        }
        if value.len() > config.limits.max_value_bytes {
            return Err(SpecError::new(
                ErrorKind::TooLong,
                format!(
                    "value of '{name}' is {} bytes; the maximum is {}",
                    value.len(),
                    config.limits.max_value_bytes
                ),
            ));
        }
        if value.is_empty() {
            return Err(SpecError::new(
                ErrorKind::BadValue,
                format!("parameter '{name}' needs a value"),
            ));
        }
        self.values[i] = Some(value);
        Ok(())
    }

    /// Splits and decodes a viewer query string (`a=1&b=2`, `+` is a space) into recognised params.
    pub(crate) fn from_query(config: &Config, query: &str) -> Result<RawParams, SpecError> {
        if query.len() > config.limits.max_query_bytes {
            return Err(SpecError::new(
                ErrorKind::TooLong,
                format!(
                    "query string is {} bytes; the maximum is {}",
                    query.len(),
                    config.limits.max_query_bytes
                ),
            ));
        }
        let mut params = RawParams::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            // A junk name that does not even decode is still junk.
            let Some(name) =
                percent_decode(raw_name.as_bytes(), true).and_then(|b| String::from_utf8(b).ok())
            else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if !NAMES.contains(&name.as_str()) {
                continue;
            }
            let value = percent_decode(raw_value.as_bytes(), true)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    SpecError::new(
                        ErrorKind::BadEncoding,
                        format!("value of '{name}' is not valid percent-encoded UTF-8"),
                    )
                })?;
            params.insert(config, &name, value)?;
        }
        Ok(params)
    }

    /// `/{decoded key}?{name=value&…}` over every recognised parameter except `sig`, sorted by
    /// name, with decoded values: what a signature covers (see [`crate::sign`]).
    pub(crate) fn signing_string(&self, key: &crate::Key) -> String {
        let mut pairs: Vec<(&str, &str)> = NAMES
            .iter()
            .zip(&self.values)
            .filter(|(name, _)| **name != "sig")
            .filter_map(|(name, value)| value.as_deref().map(|v| (*name, v)))
            .collect();
        pairs.sort_unstable();
        let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        format!("/{}?{}", key.as_str(), query.join("&"))
    }

    /// The `sig` and `exp` parameters, which never reach the canonical path.
    pub(crate) fn signature(&self) -> Result<(Option<String>, Option<u64>), SpecError> {
        let exp = match self.get("exp") {
            None => None,
            Some(v) => match parse_uint(v) {
                Some(n) => Some(n),
                None => {
                    return Err(SpecError::new(
                        ErrorKind::BadValue,
                        format!(
                            "exp must be a Unix time in whole seconds, got '{}'",
                            printable(v)
                        ),
                    ));
                }
            },
        };
        Ok((self.get("sig").map(str::to_owned), exp))
    }

    /// Validates and normalises every operation. `accept` resolves `fmt=auto`; `None` means the
    /// caller does not allow `auto` (canonical paths and presets).
    /// `unsigned` (a public tenant's request) limits `bg`, `blur` and `sharpen` to the
    /// configuration's `unsigned` values, so such a URL cannot mint unbounded cache keys.
    pub(crate) fn to_ops(
        &self,
        config: &Config,
        accept: Option<Option<&str>>,
        unsigned: bool,
    ) -> Result<Ops, SpecError> {
        let limits = &config.limits;
        let width = self
            .get("w")
            .map(|v| dimension("w", v, limits.max_width))
            .transpose()?;
        let height = self
            .get("h")
            .map(|v| dimension("h", v, limits.max_height))
            .transpose()?;
        let dpr_milli = self.get("dpr").map(dpr).transpose()?.unwrap_or(1000);
        let device = |css: u32, max: u32, grid: &[u32]| {
            let px = (u64::from(css) * dpr_milli).div_ceil(1000);
            let px = u32::try_from(px).unwrap_or(u32::MAX).min(max);
            snap_up(grid, px)
        };
        let mut ops = Ops {
            width: width.map(|w| device(w, limits.max_width, &config.breakpoints.width)),
            height: height.map(|h| device(h, limits.max_height, &config.breakpoints.height)),
            ..Ops::default()
        };
        if let Some(v) = self.get("fit") {
            ops.fit = Fit::from_name(&v.to_ascii_lowercase())
                .ok_or_else(|| unknown("fit", v, Fit::NAMES))?;
        }
        if let Some(v) = self.get("pos") {
            ops.position = Position::from_name(&v.to_ascii_lowercase())
                .ok_or_else(|| unknown("pos", v, Position::NAMES))?;
        }
        if let Some(v) = self.get("fmt") {
            let lower = v.to_ascii_lowercase();
            ops.format = Some(match (lower.as_str(), accept) {
                ("auto", Some(accept)) => crate::accept::negotiate(accept),
                ("auto", None) => {
                    return Err(SpecError::new(
                        ErrorKind::BadValue,
                        "fmt 'auto' is resolved at the edge and cannot appear here",
                    ));
                }
                _ => Format::from_name(&lower)
                    .ok_or_else(|| unknown("fmt", v, "auto|jpeg|png|webp|avif|gif"))?,
            });
        }
        if let Some(v) = self.get("q") {
            let q = parse_uint(v).ok_or_else(|| not_whole("q", v))?;
            if !(1..=100).contains(&q) {
                return Err(out_of_range("q", v, "1-100"));
            }
            // In range, so the cast is lossless.
            ops.quality = Some(snap_up(&config.quality.allowed, q as u8));
        }
        let (blur_steps, sharpen_steps) = (&config.unsigned.blur, &config.unsigned.sharpen);
        ops.blur = self.effect("blur", 1000, unsigned.then_some(blur_steps.as_slice()))?;
        ops.sharpen = self.effect("sharpen", 100, unsigned.then_some(sharpen_steps.as_slice()))?;
        let rot = self.get("rot").map(rotation).transpose()?.unwrap_or(0);
        let flip = self
            .get("flip")
            .map(flip)
            .transpose()?
            .unwrap_or(Orientation::IDENTITY);
        ops.orientation = flip.then(Orientation {
            quarter_turns: rot,
            mirror: false,
        });
        if let Some(v) = self.get("bg") {
            let color = Color::from_hex(&v.to_ascii_lowercase()).ok_or_else(|| {
                SpecError::new(
                    ErrorKind::BadValue,
                    format!(
                        "bg must be a hex colour (rgb, rgba, rrggbb or rrggbbaa), got '{}'",
                        printable(v)
                    ),
                )
            })?;
            if unsigned && !config.unsigned.allows_bg(color) {
                return Err(SpecError::new(
                    ErrorKind::OutOfRange,
                    format!(
                        "bg {color} is not in the palette unsigned URLs may use: {}",
                        config.unsigned.bg.join("|")
                    ),
                ));
            }
            ops.background = Some(color);
        }
        ops.normalize(config);
        Ok(ops)
    }

    /// `blur` or `sharpen`: a sigma in tenths up to `max_tenths`, snapped up to `steps` when
    /// they apply (an unsigned URL).
    fn effect(
        &self,
        name: &str,
        max_tenths: u64,
        steps: Option<&[f64]>,
    ) -> Result<Option<Sigma>, SpecError> {
        let Some(s) = self
            .get(name)
            .map(|v| sigma(name, v, max_tenths))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        Ok(Some(match steps {
            Some(steps) => Sigma::from_tenths(crate::config::snap_to_steps(steps, s.tenths())),
            None => s,
        }))
    }
}

fn unknown(name: &str, value: &str, expected: &str) -> SpecError {
    SpecError::new(
        ErrorKind::BadValue,
        format!("unknown {name} '{}'; expected {expected}", printable(value)),
    )
}

fn not_whole(name: &str, value: &str) -> SpecError {
    SpecError::new(
        ErrorKind::BadValue,
        format!("{name} must be a whole number, got '{}'", printable(value)),
    )
}

fn out_of_range(name: &str, value: &str, range: &str) -> SpecError {
    SpecError::new(
        ErrorKind::OutOfRange,
        format!("{name}={} is outside the range {range}", printable(value)),
    )
}

/// ASCII digits only (no sign, exponent, spaces or hex); saturates instead of overflowing.
fn parse_uint(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// `digits[.digits]`, as thousandths rounded half up (identical to JS `Math.round(x * 1000)`).
fn parse_decimal_milli(v: &str) -> Option<u64> {
    let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
    if parse_uint(int).is_none() || parse_uint(frac).is_none() {
        return None;
    }
    let x: f64 = v.parse().ok()?;
    // `as` saturates for huge values, which then fail the range checks.
    Some((x * 1000.0).round() as u64)
}

fn dimension(name: &str, v: &str, max: u32) -> Result<u32, SpecError> {
    let n = parse_uint(v).ok_or_else(|| {
        SpecError::new(
            ErrorKind::BadValue,
            format!(
                "{name} must be a whole number of pixels, got '{}'",
                printable(v)
            ),
        )
    })?;
    if n == 0 {
        return Err(SpecError::new(
            ErrorKind::OutOfRange,
            format!("{name}=0 is below the minimum 1"),
        ));
    }
    if n > u64::from(max) {
        return Err(SpecError::new(
            ErrorKind::OutOfRange,
            format!("{name}={} exceeds the maximum {max}", printable(v)),
        ));
    }
    // At most `max`, so it fits.
    Ok(n as u32)
}

fn dpr(v: &str) -> Result<u64, SpecError> {
    let milli = parse_decimal_milli(v).ok_or_else(|| {
        SpecError::new(
            ErrorKind::BadValue,
            format!(
                "dpr must be a decimal number such as 2 or 1.5, got '{}'",
                printable(v)
            ),
        )
    })?;
    if !(1000..=4000).contains(&milli) {
        return Err(out_of_range("dpr", v, "1-4"));
    }
    Ok(milli)
}

/// A sigma in tenths, `None` for 0 (no effect); `max_tenths` bounds the cost of the filter.
fn sigma(name: &str, v: &str, max_tenths: u64) -> Result<Option<Sigma>, SpecError> {
    let milli = parse_decimal_milli(v).ok_or_else(|| {
        SpecError::new(
            ErrorKind::BadValue,
            format!(
                "{name} must be a decimal number such as 2 or 0.5, got '{}'",
                printable(v)
            ),
        )
    })?;
    // `milli` saturates for absurd inputs; rounding must not overflow.
    let tenths = milli.saturating_add(50) / 100;
    if milli == 0 {
        return Ok(None);
    }
    if !(3..=max_tenths).contains(&tenths) {
        let range = format!("0.3-{} (or 0 for none)", max_tenths / 10);
        return Err(out_of_range(name, v, &range));
    }
    // At most 1000, so it fits.
    Ok(Some(Sigma::from_tenths(tenths as u16)))
}

/// Clockwise quarter turns from a multiple of 90 degrees in -360..=360.
fn rotation(v: &str) -> Result<u8, SpecError> {
    let (negative, digits) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let bad = || {
        SpecError::new(
            ErrorKind::BadValue,
            format!(
                "rot must be a multiple of 90 between -360 and 360, got '{}'",
                printable(v)
            ),
        )
    };
    let n = parse_uint(digits).ok_or_else(bad)?;
    if n % 90 != 0 || n > 360 {
        return Err(bad());
    }
    let turns = (n / 90 % 4) as u8;
    Ok(if negative { (4 - turns) % 4 } else { turns })
}

fn flip(v: &str) -> Result<Orientation, SpecError> {
    Ok(match v.to_ascii_lowercase().as_str() {
        "h" => Orientation {
            quarter_turns: 0,
            mirror: true,
        },
        // A vertical mirror is a horizontal one followed by a half turn.
        "v" => Orientation {
            quarter_turns: 2,
            mirror: true,
        },
        "hv" | "vh" | "both" => Orientation {
            quarter_turns: 2,
            mirror: false,
        },
        _ => return Err(unknown("flip", v, "h|v|hv")),
    })
}

/// The first grid value at or above `v`, or the largest one.
fn snap_up<T: Copy + PartialOrd>(grid: &[T], v: T) -> T {
    grid.iter()
        .copied()
        .find(|g| *g >= v)
        .or_else(|| grid.last().copied())
        .unwrap_or(v)
}
