//! The precompute core, free of the Lambda runtime: render every preset of an original from
//! one decode and store each at exactly the key the edge will ask for; delete them when the
//! original goes. Idempotent: a derivative whose `source-etag` matches is never rewritten.

pub mod events;

use imgfront_engine::{EngineError, Settings};
use imgfront_spec::{Config, Key, Spec};
use imgfront_store::{META_SOURCE_ETAG, ObjectStore, Put, StoreError, same_etag};

/// Why an original could not be processed, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The input itself is the problem (bad key, undecodable, over a limit): log, report, skip.
    Permanent(String),
    /// Storage trouble: fail so the invoke is retried.
    Temporary(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Permanent(m) => write!(f, "permanent: {m}"),
            Failure::Temporary(m) => write!(f, "temporary: {m}"),
        }
    }
}

/// What rendering one original did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Derivative keys written by this call.
    pub written: Vec<String>,
    /// Variants already current (same source ETag), left alone.
    pub current: usize,
    /// Variants that failed on their own (the others were still written).
    pub failed: Vec<(String, String)>,
}

/// Every standard variant of `key`: each preset in each of its formats.
pub fn variants(config: &Config, key: &Key) -> Result<Vec<Spec>, Failure> {
    let mut out = Vec::new();
    for preset in &config.presets {
        for format in &preset.formats {
            let query = format!("{}&fmt={}", preset.query, format.extension());
            let spec = Spec::from_key_and_query(config, key.clone(), &query).map_err(|e| {
                Failure::Permanent(format!("preset {} is invalid: {}", preset.name, e.message))
            })?;
            out.push(spec);
        }
    }
    Ok(out)
}

/// Originals are read from `O`, derivatives written to `D` (a bucket or, for backfill, a folder).
pub struct Precompute<O, D = O> {
    config: Config,
    settings: Settings,
    originals: O,
    derivatives: D,
}

fn storage(e: StoreError) -> Failure {
    match e {
        StoreError::NotFound(k) => Failure::Permanent(format!("no original at {k}")),
        StoreError::TooLarge { key, size, max } => {
            Failure::Permanent(format!("{key} is {size} bytes, over the {max}-byte limit"))
        }
        StoreError::BadKey(k) => Failure::Permanent(format!("{k:?} is not a valid object key")),
        StoreError::Backend { .. } => Failure::Temporary(e.to_string()),
    }
}

impl<O: ObjectStore, D: ObjectStore> Precompute<O, D> {
    pub fn new(config: Config, originals: O, derivatives: D) -> Self {
        let settings = Settings::precompute(&config);
        Precompute {
            config,
            settings,
            originals,
            derivatives,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn derivatives_store(&self) -> &D {
        &self.derivatives
    }

    /// The variants whose stored derivative was not rendered from `etag`.
    async fn stale(&self, specs: &[Spec], etag: &str) -> Result<Vec<Spec>, Failure> {
        let mut stale = Vec::new();
        for spec in specs {
            let meta = self
                .derivatives
                .metadata(&spec.derivative_key())
                .await
                .map_err(storage)?;
            let current = meta
                .as_ref()
                .and_then(|m| m.get(META_SOURCE_ETAG))
                .is_some_and(|e| same_etag(e, etag));
            if !current {
                stale.push(spec.clone());
            }
        }
        Ok(stale)
    }

    /// Renders every preset of the original at `key` that is not already current.
    /// `etag_hint` (from the S3 event) lets a duplicate event finish without downloading.
    pub async fn render(&self, key: &str, etag_hint: Option<&str>) -> Result<Rendered, Failure> {
        let parsed = Key::from_decoded(&self.config, key)
            .map_err(|e| Failure::Permanent(format!("key {key:?}: {}", e.message)))?;
        let specs = variants(&self.config, &parsed)?;
        if let Some(hint) = etag_hint
            && self.stale(&specs, hint).await?.is_empty()
        {
            return Ok(Rendered {
                current: specs.len(),
                ..Rendered::default()
            });
        }
        let original = self
            .originals
            .get(key, self.config.limits.max_source_bytes)
            .await
            .map_err(storage)?;
        let stale = self.stale(&specs, &original.etag).await?;
        let mut done = Rendered {
            current: specs.len() - stale.len(),
            ..Rendered::default()
        };
        if stale.is_empty() {
            return Ok(done);
        }

        let input = original.bytes.clone();
        let ops: Vec<_> = stale.iter().map(|s| s.ops.clone()).collect();
        let settings = self.settings.clone();
        let outputs = tokio::task::spawn_blocking(move || {
            imgfront_engine::transform_many(&input, &ops, &settings)
        })
        .await
        .map_err(|e| Failure::Temporary(format!("render task failed: {e}")))?
        .map_err(|e| match e {
            EngineError::Internal(_) | EngineError::Cancelled => Failure::Temporary(e.to_string()),
            other => Failure::Permanent(other.to_string()),
        })?;

        let cache_control = self.config.cache.success_header();
        for (spec, output) in stale.iter().zip(outputs) {
            let dkey = spec.derivative_key();
            match output {
                Ok(out) => {
                    let put = Put::derivative(
                        out.format.mime(),
                        cache_control.clone(),
                        key,
                        &original.etag,
                    );
                    self.derivatives
                        .put(&dkey, out.bytes.into(), &put)
                        .await
                        .map_err(|e| Failure::Temporary(e.to_string()))?;
                    done.written.push(dkey);
                }
                Err(e) => done.failed.push((dkey, e.to_string())),
            }
        }
        Ok(done)
    }

    /// Deletes every derivative of `key`, unless the original exists again (a re-upload that
    /// raced its own delete event). Returns how many were deleted.
    pub async fn remove(&self, key: &str) -> Result<usize, Failure> {
        let parsed = Key::from_decoded(&self.config, key)
            .map_err(|e| Failure::Permanent(format!("key {key:?}: {}", e.message)))?;
        if self.originals.exists(key).await.map_err(storage)? {
            return Ok(0);
        }
        let keys = derivatives_of(&self.derivatives, &parsed)
            .await
            .map_err(storage)?;
        self.derivatives
            .delete(&keys)
            .await
            .map_err(|e| Failure::Temporary(e.to_string()))
    }
}

/// Every stored derivative of `key`. The prefix `key/` also covers originals nested under a
/// key-named folder (`a.jpg/b.jpg`), whose derivatives have one more `/`; those are excluded.
pub async fn derivatives_of(
    store: &impl ObjectStore,
    key: &Key,
) -> Result<Vec<String>, StoreError> {
    let prefix = Spec::derivative_prefix(key);
    Ok(store
        .list(&prefix)
        .await?
        .into_iter()
        .filter(|k| k.get(prefix.len()..).is_some_and(|ops| !ops.contains('/')))
        .collect())
}
