//! The one imgfront configuration (`imgfront.json`): breakpoints, limits, qualities, encoder
//! settings, cache lifetimes, presets and tenants. Every consumer reads this same file.

use serde::{Deserialize, Serialize};

use crate::{Color, Format};

/// The repository's `imgfront.json`, embedded at build time so a binary always has a valid default.
pub const EMBEDDED_JSON: &str = include_str!("../../../imgfront.json");

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub breakpoints: Breakpoints,
    pub limits: Limits,
    pub quality: QualityConfig,
    pub encoding: Encoding,
    pub cache: CacheConfig,
    pub presets: Vec<Preset>,
    pub tenants: Vec<Tenant>,
    pub unsigned: Unsigned,
    /// Deployment options (regions, domains, function sizes): read by the CDK app only.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub deploy: serde_json::Value,
    /// Set by the Lambdas ([`Config::at_origin`]): tenants are registered in the edge's
    /// KeyValueStore, which every request passed before it reached the origin, so the origin
    /// accepts any well-formed tenant id and a tenant added there needs no redeploy.
    #[serde(skip)]
    pub registry_at_edge: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breakpoints {
    /// Ascending device-pixel widths; a requested width snaps up to the next one.
    pub width: Vec<u32>,
    /// Ascending device-pixel heights; a requested height snaps up to the next one.
    pub height: Vec<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    /// Width × height, summed over animation frames.
    pub max_source_pixels: u64,
    pub max_source_bytes: u64,
    /// Length of the decoded original key, tenant included.
    pub max_key_bytes: usize,
    pub max_query_bytes: usize,
    /// Length of one recognised parameter's value.
    pub max_value_bytes: usize,
    /// Wall-clock budget of one render on the request path (transform function, local edge,
    /// CLI): a few seconds under the transform function's timeout, so a render past it ends
    /// with a specific 422 instead of the function timing out.
    pub request_render_s: f64,
    /// Wall-clock budget of one original's fan-out in precompute (under its timeout).
    pub precompute_render_s: f64,
    /// Memory budget of one render on the request path, in MiB: a render whose buffers would
    /// outgrow it is refused before anything is decoded. Under the transform function's
    /// memory, leaving room for the runtime, the source and the output.
    pub request_render_mib: u64,
    /// Memory budget of one original's fan-out in precompute, in MiB.
    pub precompute_render_mib: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityConfig {
    /// Ascending; a requested quality snaps up to the next one.
    pub allowed: Vec<u8>,
    pub default: DefaultQuality,
}

/// The values a public tenant's (unsigned) URL may ask for, so that every parameter takes one
/// of a small finite set and an original has a known, bounded number of canonical paths.
/// Private tenants' URLs are signed, and may use any value the signer signs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unsigned {
    /// Background colours (`rrggbb` or `rrggbbaa`); any other `bg` is refused.
    pub bg: Vec<String>,
    /// Blur sigmas, ascending; a requested blur snaps up to the next one.
    pub blur: Vec<f64>,
    /// Sharpen sigmas, ascending; a requested sharpen snaps up to the next one.
    pub sharpen: Vec<f64>,
    /// The most distinct canonical paths one original may have from unsigned URLs
    /// (`imgfront canon --key-space` prints the exact figure; a test holds it under this).
    pub max_variants_per_original: u64,
}

impl Unsigned {
    /// The palette as colours, white included only once.
    pub fn palette(&self) -> Vec<Color> {
        let mut out: Vec<Color> = Vec::new();
        for c in self.bg.iter().filter_map(|h| Color::from_hex(h)) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// Whether an unsigned URL may ask for `color` as its background.
    pub fn allows_bg(&self, color: Color) -> bool {
        self.bg.iter().any(|h| Color::from_hex(h) == Some(color))
    }
}

/// `tenths` snapped up to the next of `steps` (sigmas, validated to whole tenths), else the last.
pub(crate) fn snap_to_steps(steps: &[f64], tenths: u16) -> u16 {
    // Validated to 0.3-100 in tenths, so the cast is lossless.
    let step = |s: &f64| (s * 10.0).round() as u16;
    steps
        .iter()
        .map(step)
        .find(|g| *g >= tenths)
        .or_else(|| steps.last().map(step))
        .unwrap_or(tenths)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultQuality {
    pub jpeg: u8,
    pub webp: u8,
    pub avif: u8,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoding {
    /// Used on the request path (transform Lambda, local edge, CLI).
    pub request: EncoderSettings,
    /// Used off the request path (precompute, backfill), where smaller output is worth the time.
    pub precompute: EncoderSettings,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderSettings {
    /// Progressive scans instead of baseline for outputs larger than `small_max_pixels`, both
    /// with optimised Huffman tables (also picks PNG's slower, smaller compression).
    pub jpeg_progressive: bool,
    /// mozjpeg's maximum-compression defaults on top (trellis quantisation, optimised scans,
    /// its own quantisation tables): about 14% smaller, but it smooths fine texture, up to
    /// 3 SSIMULACRA2 points on noisy photos. Off unless set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jpeg_trellis: bool,
    /// libwebp method, 0 (fastest) to 6 (smallest).
    pub webp_method: u8,
    /// libwebp method for outputs of at most `small_max_pixels` pixels (thumbnails, cards):
    /// the decode dominates their render, so a slower, smaller method costs little. Absent:
    /// `webp_method`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webp_method_small: Option<u8>,
    /// Width × height up to which an output counts as small.
    #[serde(default = "default_small_max_pixels")]
    pub small_max_pixels: u32,
    /// libaom speed (cpu-used, all-intra), 0 (slowest, smallest) to 9 (fastest).
    pub avif_speed: u8,
    /// AV1 quantisation matrices (levels 7–10), which spend fewer bits on fine detail: 3–8%
    /// smaller at up to 1.8 SSIMULACRA2 points lower on noisy photos. Off unless set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub avif_quant_matrices: bool,
    /// How much resizing a JPEG's shrink-on-load (a DCT-scaled decode at 1/2, 1/4 or 1/8)
    /// must leave for Lanczos3, 1.0 to 8.0: 2.0 decodes at least twice the output size; lower
    /// decodes less and is faster, but DCT scaling aliases fine detail as it nears 1.0.
    #[serde(default = "default_shrink_margin")]
    pub jpeg_shrink_margin: f32,
}

fn default_shrink_margin() -> f32 {
    2.0
}

fn default_small_max_pixels() -> u32 {
    320 * 320
}

impl EncoderSettings {
    /// Whether an output of `pixels` pixels counts as small (`small_max_pixels`).
    pub fn is_small(&self, pixels: u64) -> bool {
        pixels <= u64::from(self.small_max_pixels)
    }

    /// The libwebp method for an output of `pixels` pixels.
    pub fn webp_method_for(&self, pixels: u64) -> u8 {
        match self.webp_method_small {
            Some(m) if self.is_small(pixels) => m,
            _ => self.webp_method,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Seconds a derivative may be cached (browser and edge).
    pub max_age: u32,
    pub stale_while_revalidate: u32,
    pub stale_if_error: u32,
    /// Seconds a 4xx may be cached, so a flood of bad URLs stops at the edge.
    pub error_max_age: u32,
}

impl CacheConfig {
    /// `Cache-Control` for a derivative: long-lived, and servable stale while revalidating or
    /// while the origin errs.
    pub fn success_header(&self) -> String {
        format!(
            "public, max-age={}, stale-while-revalidate={}, stale-if-error={}",
            self.max_age, self.stale_while_revalidate, self.stale_if_error
        )
    }

    /// `Cache-Control` for a 4xx: short, so CloudFront absorbs floods of bad URLs briefly.
    pub fn error_header(&self) -> String {
        format!("public, max-age={}", self.error_max_age)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    /// Viewer query syntax without `fmt`, e.g. `w=160&h=160&fit=cover`.
    pub query: String,
    /// One derivative is rendered per format, so `fmt=auto` finds a precomputed object for every browser.
    pub formats: Vec<Format>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// The first path segment of every URL and S3 key of this tenant.
    pub id: String,
    pub access: Access,
    /// Hostnames (`*.` wildcard allowed) that may embed this tenant's images; empty allows any.
    pub allowed_referers: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Anyone may request any transform.
    Public,
    /// Every request must carry a valid signature.
    Private,
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration is not valid JSON for imgfront: {0}")]
    Json(#[from] serde_json::Error),
    #[error("configuration is inconsistent: {0}")]
    Invalid(String),
}

impl Config {
    /// The configuration embedded at build time from the repository's `imgfront.json`.
    pub fn embedded() -> Config {
        // The embedded file is checked by this crate's tests, so failing here is a build defect.
        Config::from_json(EMBEDDED_JSON).expect("embedded imgfront.json is valid")
    }

    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let config: Config = serde_json::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads `IMGFRONT_CONFIG` (inline JSON, or a path to a JSON file), else the embedded default.
    pub fn from_env() -> Result<Config, ConfigError> {
        match std::env::var("IMGFRONT_CONFIG") {
            Ok(value) if value.trim_start().starts_with('{') => Config::from_json(&value),
            Ok(path) if !path.is_empty() => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    ConfigError::Invalid(format!("cannot read IMGFRONT_CONFIG file {path}: {e}"))
                })?;
                Config::from_json(&text)
            }
            _ => Ok(Config::embedded()),
        }
    }

    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// The configuration as the origin functions use it: see [`Config::registry_at_edge`].
    pub fn at_origin(mut self) -> Config {
        self.registry_at_edge = true;
        self
    }

    /// Whether `id` names a tenant: a configured one, or at the origin any well-formed id.
    pub fn tenant_known(&self, id: &str) -> bool {
        if self.registry_at_edge {
            valid_tenant_id(id)
        } else {
            self.tenant(id).is_some()
        }
    }

    pub fn default_quality(&self, format: Format) -> Option<u8> {
        match format {
            Format::Jpeg => Some(self.quality.default.jpeg),
            Format::Webp => Some(self.quality.default.webp),
            Format::Avif => Some(self.quality.default.avif),
            Format::Png | Format::Gif => None,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        for (name, list, max) in [
            (
                "breakpoints.width",
                &self.breakpoints.width,
                self.limits.max_width,
            ),
            (
                "breakpoints.height",
                &self.breakpoints.height,
                self.limits.max_height,
            ),
        ] {
            if list.is_empty() || list[0] == 0 || list.windows(2).any(|w| w[0] >= w[1]) {
                return bad(format!(
                    "{name} must be non-empty, positive and strictly ascending"
                ));
            }
            if list.last() != Some(&max) {
                return bad(format!(
                    "the last of {name} must equal the matching max ({max})"
                ));
            }
        }
        let q = &self.quality.allowed;
        if q.is_empty() || q.windows(2).any(|w| w[0] >= w[1]) || q[0] == 0 || q[q.len() - 1] != 100
        {
            return bad(
                "quality.allowed must be strictly ascending, within 1-100, and end at 100".into(),
            );
        }
        for (fmt, d) in [
            ("jpeg", self.quality.default.jpeg),
            ("webp", self.quality.default.webp),
            ("avif", self.quality.default.avif),
        ] {
            if !q.contains(&d) {
                return bad(format!(
                    "quality.default.{fmt} = {d} is not in quality.allowed"
                ));
            }
        }
        for s in [self.encoding.request, self.encoding.precompute] {
            if s.webp_method.max(s.webp_method_small.unwrap_or(0)) > 6 || s.avif_speed > 9 {
                return bad(format!(
                    "encoding: webp_method and webp_method_small must be 0-6 and avif_speed 0-9 (libaom cpu-used), got {}, {:?} and {}",
                    s.webp_method, s.webp_method_small, s.avif_speed
                ));
            }
            if !(1.0..=8.0).contains(&s.jpeg_shrink_margin) {
                return bad(format!(
                    "encoding: jpeg_shrink_margin must be 1.0-8.0, got {}",
                    s.jpeg_shrink_margin
                ));
            }
        }
        let mut ids: Vec<&str> = self.tenants.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return bad("tenant ids must be unique".into());
        }
        if let Some(t) = self.tenants.iter().find(|t| !valid_tenant_id(&t.id)) {
            return bad(format!(
                "tenant id '{}' must be 1-63 characters of a-z, 0-9 and '-'",
                t.id
            ));
        }
        let u = &self.unsigned;
        if u.bg.is_empty()
            || u.bg.iter().any(|h| {
                !(h.len() == 6 || h.len() == 8)
                    || Color::from_hex(h).is_none()
                    || h.bytes().any(|b| b.is_ascii_uppercase())
            })
        {
            return bad(
                "unsigned.bg must list lowercase rrggbb or rrggbbaa colours, at least one".into(),
            );
        }
        for (name, steps, max) in [("blur", &u.blur, 100.0), ("sharpen", &u.sharpen, 10.0)] {
            let ok = !steps.is_empty()
                && steps.windows(2).all(|w| w[0] < w[1])
                && steps.iter().all(|s| {
                    (0.3..=max).contains(s) && ((s * 10.0).round() - s * 10.0).abs() < 1e-9
                });
            if !ok {
                return bad(format!(
                    "unsigned.{name} must be ascending steps of 0.3-{max} in tenths"
                ));
            }
        }
        for (name, s) in [
            ("request_render_s", self.limits.request_render_s),
            ("precompute_render_s", self.limits.precompute_render_s),
        ] {
            if !(0.1..=900.0).contains(&s) {
                return bad(format!("limits.{name} must be 0.1-900 seconds, got {s}"));
            }
        }
        for (name, mib) in [
            ("request_render_mib", self.limits.request_render_mib),
            ("precompute_render_mib", self.limits.precompute_render_mib),
        ] {
            if !(64..=65_536).contains(&mib) {
                return bad(format!("limits.{name} must be 64-65536 MiB, got {mib}"));
            }
        }
        if self.limits.max_source_pixels == 0 || self.limits.max_source_bytes == 0 {
            return bad("limits.max_source_pixels and max_source_bytes must be positive".into());
        }
        for p in &self.presets {
            if p.formats.is_empty() {
                return bad(format!("preset '{}' lists no formats", p.name));
            }
            if let Err(e) = crate::params::RawParams::from_query(self, &p.query)
                .and_then(|r| r.to_ops(self, None, false))
            {
                return bad(format!("preset '{}' query '{}': {e}", p.name, p.query));
            }
        }
        Ok(())
    }
}

/// A tenant id: 1-63 characters of a-z, 0-9 and '-' (the viewer function checks the same).
pub fn valid_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
