//! One small object-store trait, with an S3 implementation (aws-sdk-s3, honouring
//! `AWS_ENDPOINT_URL`) and a local-filesystem one (for `imgfront dev` and the CLI).
//! Every Lambda and the CLI reach storage only through [`ObjectStore`].

mod fs;
mod s3;

use std::collections::BTreeMap;
use std::future::Future;

pub use bytes::Bytes;
pub use fs::FsStore;
pub use s3::S3Store;

/// An object read back from a store.
#[derive(Debug, Clone)]
pub struct Object {
    pub bytes: Bytes,
    pub etag: String,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// What a put records beside the bytes.
#[derive(Debug, Clone, Default)]
pub struct Put {
    pub content_type: String,
    pub cache_control: String,
    /// User metadata (`x-amz-meta-*` on S3); names are lower-case.
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no object at {0}")]
    NotFound(String),
    #[error("object {key} is {size} bytes, over the {max}-byte limit")]
    TooLarge { key: String, size: u64, max: u64 },
    #[error("key {0:?} is not a safe object key")]
    BadKey(String),
    #[error("storage error on {key}: {message}")]
    Backend { key: String, message: String },
}

impl StoreError {
    fn backend(key: &str, message: impl std::fmt::Display) -> Self {
        StoreError::Backend {
            key: key.to_string(),
            message: message.to_string(),
        }
    }
}

/// The operations imgfront needs from a bucket, and nothing more.
pub trait ObjectStore: Send + Sync {
    /// Reads an object, refusing (before reading the body) one larger than `max_bytes`.
    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Object, StoreError>> + Send;

    fn put(
        &self,
        key: &str,
        bytes: Bytes,
        put: &Put,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether an object exists, without reading it.
    fn exists(&self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// An object's user metadata without its body; `None` when there is no object.
    fn metadata(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<BTreeMap<String, String>>, StoreError>> + Send;

    /// Every key under `prefix`, in lexicographic order.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Deletes the keys (missing ones are not an error); returns how many were asked for.
    fn delete(&self, keys: &[String]) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Every stored version of every key under `prefix` (delete markers included), for erasing
    /// an object for good; a store that keeps no versions lists each key once, unversioned.
    fn list_versions(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<Version>, StoreError>> + Send;

    /// Deletes exactly these versions, batched as the backend allows; returns how many.
    fn delete_versions(
        &self,
        versions: &[Version],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// One stored version of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub key: String,
    /// `None` for an object stored without versioning (S3's version id "null").
    pub version_id: Option<String>,
}

impl Version {
    pub fn unversioned(key: impl Into<String>) -> Version {
        Version {
            key: key.into(),
            version_id: None,
        }
    }
}

/// Metadata names on stored derivatives (`x-amz-meta-*` on S3): which original, at which
/// version, a derivative was rendered from. Precompute compares `source-etag` to skip work.
pub const META_SOURCE_ETAG: &str = "source-etag";
pub const META_SOURCE_KEY: &str = "source-key";

impl Put {
    /// What every derivative is stored with, whoever renders it.
    pub fn derivative(
        mime: &str,
        cache_control: String,
        source_key: &str,
        source_etag: &str,
    ) -> Put {
        Put {
            content_type: mime.to_string(),
            cache_control,
            metadata: [
                (META_SOURCE_ETAG.to_string(), source_etag.to_string()),
                (META_SOURCE_KEY.to_string(), source_key.to_string()),
            ]
            .into(),
        }
    }
}

/// ETags compare without their quotes: S3 events carry them bare, S3 responses quoted.
pub fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// The ETag S3 gives a single-part upload: the quoted hex MD5 of the body. Computing it
/// locally lets a fresh render and a later S3 hit answer with the same validator.
pub fn etag_of(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    format!("\"{}\"", hex::encode(Md5::digest(bytes)))
}

/// A store named on a command line: `s3://bucket` or a local folder.
#[derive(Clone, Debug)]
pub enum AnyStore {
    S3(S3Store),
    Fs(FsStore),
}

impl AnyStore {
    /// Opens `s3://bucket` (the client from the environment) or a folder path.
    pub async fn open(location: &str) -> Result<AnyStore, StoreError> {
        match location.strip_prefix("s3://") {
            Some(rest) => {
                let bucket = rest.trim_end_matches('/');
                if bucket.is_empty() || bucket.contains('/') {
                    return Err(StoreError::BadKey(format!(
                        "{location}: name a bucket only (s3://BUCKET); use --prefix for a prefix"
                    )));
                }
                Ok(AnyStore::S3(S3Store::new(
                    S3Store::client_from_env().await,
                    bucket,
                )))
            }
            None => Ok(AnyStore::Fs(FsStore::new(location))),
        }
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::S3($s) => $e,
            AnyStore::Fs($s) => $e,
        }
    };
}

impl ObjectStore for AnyStore {
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Object, StoreError> {
        each!(self, s => s.get(key, max_bytes).await)
    }
    async fn put(&self, key: &str, bytes: Bytes, put: &Put) -> Result<(), StoreError> {
        each!(self, s => s.put(key, bytes, put).await)
    }
    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        each!(self, s => s.exists(key).await)
    }
    async fn metadata(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        each!(self, s => s.metadata(key).await)
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        each!(self, s => s.list(prefix).await)
    }
    async fn delete(&self, keys: &[String]) -> Result<usize, StoreError> {
        each!(self, s => s.delete(keys).await)
    }
    async fn list_versions(&self, prefix: &str) -> Result<Vec<Version>, StoreError> {
        each!(self, s => s.list_versions(prefix).await)
    }
    async fn delete_versions(&self, versions: &[Version]) -> Result<usize, StoreError> {
        each!(self, s => s.delete_versions(versions).await)
    }
}
