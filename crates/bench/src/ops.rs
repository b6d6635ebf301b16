//! The benchmarked operations, each described once and rendered for both sides: a viewer
//! query for imgfront and a pipeline description for the sharp runner.

use imgfront_engine::Settings;
use imgfront_spec::{Config, Format, Key, Ops, Spec};
use serde_json::{Value, json};

/// One output of an operation: a resize and an encode.
#[derive(Clone, Debug)]
pub struct Variant {
    pub width: u32,
    pub height: Option<u32>,
    pub cover: bool,
    pub format: Format,
    /// `None` leaves each side at its own default quality for the format.
    pub quality: Option<u8>,
}

impl Variant {
    fn query(&self) -> String {
        let mut q = format!("w={}", self.width);
        if let Some(h) = self.height {
            q.push_str(&format!("&h={h}"));
        }
        if self.cover {
            q.push_str("&fit=cover");
        }
        q.push_str(&format!("&fmt={}", self.format.as_str()));
        if let Some(quality) = self.quality {
            q.push_str(&format!("&q={quality}"));
        }
        q
    }

    /// The sharp runner's description of this variant (see bench/sharp/runner.mjs).
    pub fn sharp(&self) -> Value {
        let mut v = json!({ "width": self.width, "format": self.format.as_str() });
        if let Some(h) = self.height {
            v["height"] = json!(h);
        }
        if self.cover {
            v["fit"] = json!("cover");
        }
        if let Some(q) = self.quality {
            v["options"] = json!({ "quality": q });
        }
        v
    }

    pub fn ops(&self, config: &Config) -> Result<Ops, String> {
        let key = Key::from_decoded(config, "demo/bench").map_err(|e| e.to_string())?;
        Spec::from_key_and_query(config, key, &self.query())
            .map(|s| s.ops)
            .map_err(|e| format!("{}: {e}", self.query()))
    }

    pub fn label(&self) -> String {
        self.query()
    }
}

/// Which of imgfront's encoder profiles an operation runs with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Profile {
    Request,
    Precompute,
}

impl Profile {
    pub fn settings(self, config: &Config) -> Settings {
        match self {
            Profile::Request => Settings::request(config),
            Profile::Precompute => Settings::precompute(config),
        }
    }
}

/// A benchmarked operation and its goal.
#[derive(Clone, Debug)]
pub struct Op {
    pub name: &'static str,
    pub variants: Vec<Variant>,
    pub profile: Profile,
    /// The largest acceptable geometric mean of imgfront/sharp time.
    pub goal: f64,
}

fn single(name: &'static str, v: Variant, goal: f64) -> Op {
    Op {
        name,
        variants: vec![v],
        profile: Profile::Request,
        goal,
    }
}

fn resize(width: u32, format: Format, quality: Option<u8>) -> Variant {
    Variant {
        width,
        height: None,
        cover: false,
        format,
        quality,
    }
}

/// Parses a preset query (`w=160&h=160&fit=cover`) into the variants of its formats.
fn preset_variants(query: &str, formats: &[Format]) -> Result<Vec<Variant>, String> {
    let (mut width, mut height, mut cover) = (None, None, false);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("w", v)) => width = v.parse().ok(),
            Some(("h", v)) => height = v.parse().ok(),
            Some(("fit", "cover")) => cover = true,
            _ => {
                return Err(format!(
                    "preset query {query:?}: only w, h and fit=cover are benchmarked"
                ));
            }
        }
    }
    let width = width.ok_or_else(|| format!("preset query {query:?} has no w"))?;
    Ok(formats
        .iter()
        .map(|&format| Variant {
            width,
            height,
            cover,
            format,
            quality: None,
        })
        .collect())
}

/// The benchmark's operations (each goal in docs/benchmarks.md), in report order; the fan-out
/// renders every preset of `config`.
pub fn all(config: &Config) -> Result<Vec<Op>, String> {
    let mut fanout = Vec::new();
    for p in &config.presets {
        fanout.extend(preset_variants(&p.query, &p.formats)?);
    }
    Ok(vec![
        single("w=640 JPEG q80", resize(640, Format::Jpeg, Some(80)), 0.6),
        single("w=640 WebP q80", resize(640, Format::Webp, Some(80)), 0.75),
        single("w=640 AVIF", resize(640, Format::Avif, None), 0.5),
        single(
            "w=320 h=320 cover WebP",
            Variant {
                width: 320,
                height: Some(320),
                cover: true,
                format: Format::Webp,
                quality: Some(80),
            },
            0.75,
        ),
        single("w=1920 JPEG q80", resize(1920, Format::Jpeg, Some(80)), 0.7),
        Op {
            name: "precompute fan-out",
            variants: fanout,
            profile: Profile::Precompute,
            goal: 0.5,
        },
    ])
}

/// The byte allowance of one variant: AVIF gets 15%, everything else 5%.
pub fn byte_slack(v: &Variant) -> f64 {
    if v.format == Format::Avif { 1.15 } else { 1.05 }
}
