//! The canonical transform spec: the contract every part of imgfront consumes.
//!
//! A viewer request (`/{tenant}/{key…}?w=…` plus `Accept`) is parsed once into a [`Spec`]; the spec
//! renders the **canonical path** `/{key}/{ops}` that CloudFront caches and the transform function
//! receives, and the **derivative key** (the canonical path without its leading `/`, decoded) under
//! which S3 stores the output. [`Spec::from_canonical_path`] parses that path back and refuses
//! anything not exactly canonical. The only I/O is `Config::from_env` reading the configuration
//! file `IMGFRONT_CONFIG` names.

pub mod accept;
pub mod config;
mod error;
mod key;
pub mod keyspace;
mod ops;
mod params;
pub mod sign;
mod types;

pub use config::{Access, Config};
pub use error::{ErrorKind, SpecError};
pub use key::{Key, printable};
pub use ops::{NO_OPS, Ops};
pub use types::{Color, Fit, Format, Orientation, Position, Sigma};

use params::RawParams;

/// One derivative: which original, and what to do to it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    pub key: Key,
    pub ops: Ops,
}

/// A parsed viewer request: the spec plus the signature parameters, which never reach the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewerRequest {
    pub spec: Spec,
    pub signature: Option<String>,
    pub expires: Option<u64>,
    /// What `sign` covers: the decoded key and every recognised parameter but `sig`, sorted.
    pub signing_string: String,
}

impl Spec {
    /// Parses a viewer request. `path` is the percent-encoded URL path, `query` the raw query
    /// string without `?`, `accept` the `Accept` header (for `fmt=auto`). A path in any spelling
    /// but the canonical one is refused with [`ErrorKind::Moved`] and the canonical location.
    pub fn from_viewer(
        config: &Config,
        path: &str,
        query: &str,
        accept: Option<&str>,
    ) -> Result<ViewerRequest, SpecError> {
        let key = Key::from_url_path(config, path)?;
        let canonical = format!("/{}", key.to_url_path());
        if canonical != path {
            let mut moved = SpecError::new(
                ErrorKind::Moved,
                format!("the canonical spelling of this path is {canonical}"),
            );
            moved.location = Some(if query.is_empty() {
                canonical
            } else {
                format!("{canonical}?{query}")
            });
            return Err(moved);
        }
        let params = RawParams::from_query(config, query)?;
        let unsigned = config
            .tenant(key.tenant())
            .is_some_and(|t| t.access == Access::Public);
        let ops = params.to_ops(config, Some(accept), unsigned)?;
        let (signature, expires) = params.signature()?;
        let signing_string = params.signing_string(&key);
        Ok(ViewerRequest {
            spec: Spec { key, ops },
            signature,
            expires,
            signing_string,
        })
    }

    /// Parses a full viewer URL such as `/demo/a.jpg?w=640` (scheme and host are ignored).
    pub fn from_viewer_url(
        config: &Config,
        url: &str,
        accept: Option<&str>,
    ) -> Result<ViewerRequest, SpecError> {
        let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path_and_query = if url.contains("://") {
            without_scheme
                .find('/')
                .map_or("/", |i| &without_scheme[i..])
        } else {
            without_scheme
        };
        let path_and_query = path_and_query.split('#').next().unwrap_or("");
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Spec::from_viewer(config, path, query, accept)
    }

    /// Builds the spec of an original plus a query in viewer syntax where `fmt=auto` is not
    /// allowed (presets, the CLI).
    pub fn from_key_and_query(config: &Config, key: Key, query: &str) -> Result<Spec, SpecError> {
        let ops = RawParams::from_query(config, query)?.to_ops(config, None, false)?;
        Ok(Spec { key, ops })
    }

    /// Parses a canonical path back; anything that does not render to exactly `path` is refused,
    /// so a hand-made URL can never create a second cache object for the same bytes.
    pub fn from_canonical_path(config: &Config, path: &str) -> Result<Spec, SpecError> {
        let (key_path, ops_segment) = path
            .rsplit_once('/')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| {
                SpecError::new(
                    ErrorKind::BadPath,
                    "canonical path must be /{tenant}/{key}/{ops}",
                )
            })?;
        let key = Key::from_url_path(config, key_path)?;
        let ops = if ops_segment == NO_OPS {
            Ops::default()
        } else {
            let mut params = RawParams::default();
            for op in ops_segment.split(',') {
                let (name, value) = op.split_once('_').unwrap_or((op, ""));
                params.insert(config, name, value.to_owned())?;
            }
            params.to_ops(config, None, false)?
        };
        let spec = Spec { key, ops };
        let expected = spec.canonical_path();
        if expected != path {
            return Err(SpecError::new(
                ErrorKind::NotCanonical,
                format!("path is not canonical; the canonical form is {expected}"),
            ));
        }
        Ok(spec)
    }

    /// `/{key}/{ops}`, percent-encoded: the CloudFront cache key and the transform function's input.
    pub fn canonical_path(&self) -> String {
        format!("/{}/{}", self.key.to_url_path(), self.ops.canonical())
    }

    /// The S3 key of the derivative in the derivatives bucket.
    pub fn derivative_key(&self) -> String {
        format!("{}/{}", self.key.as_str(), self.ops.canonical())
    }

    /// The prefix under which every derivative of `key` lives (for deletes and invalidations).
    pub fn derivative_prefix(key: &Key) -> String {
        format!("{}/", key.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
