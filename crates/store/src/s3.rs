//! The S3 store: one client per process, built from the environment so `AWS_ENDPOINT_URL`
//! (moto locally) is honoured, with path-style addressing whenever an endpoint is set.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use bytes::Bytes;

use crate::{Object, ObjectStore, Put, StoreError, Version};

/// S3's cap on keys per DeleteObjects call.
const DELETE_BATCH: usize = 1000;

/// A bucket behind a shared client. Cloning is cheap: the client is reference-counted.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    bucket: String,
    /// Whether the bucket keeps (or kept) versions: declared, or asked once and shared by clones.
    versioned: Arc<OnceLock<bool>>,
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Store {
            client,
            bucket: bucket.into(),
            versioned: Arc::default(),
        }
    }

    /// Declares whether the bucket keeps versions, so it is never asked (the deployment
    /// knows: originals and replica are versioned, derivatives are not).
    pub fn with_versioning(self, versioned: bool) -> Self {
        let _ = self.versioned.set(versioned);
        self
    }

    /// Versioned and suspended buckets may hold versions; listing a plain bucket's keys is
    /// much cheaper than listing its versions. If the answer cannot be read, versions are
    /// listed: correct for either kind.
    async fn is_versioned(&self) -> bool {
        if let Some(v) = self.versioned.get() {
            return *v;
        }
        let versioned = match self
            .client
            .get_bucket_versioning()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(out) => out.status().is_some(),
            Err(e) => {
                tracing::warn!(bucket = %self.bucket, error = ?e, "cannot read bucket versioning; listing versions");
                true
            }
        };
        *self.versioned.get_or_init(|| versioned)
    }

    /// A client from the standard environment (region, credentials, `AWS_ENDPOINT_URL`).
    pub async fn client_from_env() -> Client {
        let shared = aws_config::load_from_env().await;
        let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(path_style)
            .build();
        Client::from_conf(conf)
    }

    /// The buckets named by `ORIGINALS_BUCKET` and `DERIVATIVES_BUCKET`, sharing one client:
    /// what the transform and precompute functions open at start-up.
    pub async fn originals_and_derivatives_from_env() -> Result<(S3Store, S3Store), String> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
        };
        let (originals, derivatives) = (var("ORIGINALS_BUCKET")?, var("DERIVATIVES_BUCKET")?);
        let client = S3Store::client_from_env().await;
        Ok((
            S3Store::new(client.clone(), originals),
            S3Store::new(client, derivatives),
        ))
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Maps an SDK failure to a store error by HTTP status, which S3 always sets (HEAD
/// responses carry no error body to name the code).
fn map_err<E: ProvideErrorMetadata + std::fmt::Debug>(
    key: &str,
    err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> StoreError {
    let status = err.raw_response().map(|r| r.status().as_u16());
    if status == Some(404) {
        return StoreError::NotFound(key.to_string());
    }
    let detail = match &err {
        SdkError::ServiceError(e) => format!(
            "{} ({}): {}",
            e.err().code().unwrap_or("unknown"),
            status.map_or_else(|| "no status".into(), |s| s.to_string()),
            e.err().message().unwrap_or("no message")
        ),
        other => format!("{other:?}"),
    };
    StoreError::backend(key, detail)
}

impl ObjectStore for S3Store {
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Object, StoreError> {
        let resp = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| map_err(key, e))?;
        let size = resp.content_length().and_then(|n| u64::try_from(n).ok());
        if let Some(size) = size.filter(|&s| s > max_bytes) {
            return Err(StoreError::TooLarge {
                key: key.to_string(),
                size,
                max: max_bytes,
            });
        }
        let etag = resp.e_tag().unwrap_or_default().to_string();
        let content_type = resp.content_type().map(str::to_string);
        let cache_control = resp.cache_control().map(str::to_string);
        let metadata = resp
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let bytes = resp
            .body
            .collect()
            .await
            .map_err(|e| StoreError::backend(key, e))?
            .into_bytes();
        if bytes.len() as u64 > max_bytes {
            return Err(StoreError::TooLarge {
                key: key.to_string(),
                size: bytes.len() as u64,
                max: max_bytes,
            });
        }
        Ok(Object {
            bytes,
            etag,
            content_type,
            cache_control,
            metadata,
        })
    }

    async fn put(&self, key: &str, bytes: Bytes, put: &Put) -> Result<(), StoreError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(&put.content_type)
            .body(ByteStream::from(bytes));
        if !put.cache_control.is_empty() {
            req = req.cache_control(&put.cache_control);
        }
        for (k, v) in &put.metadata {
            req = req.metadata(k, v);
        }
        req.send().await.map_err(|e| map_err(key, e))?;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match map_err(key, e) {
                StoreError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    async fn metadata(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => Ok(Some(
                o.metadata()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )),
            Err(e) => match map_err(key, e) {
                StoreError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| map_err(prefix, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    async fn delete(&self, keys: &[String]) -> Result<usize, StoreError> {
        let versions: Vec<Version> = keys.iter().map(Version::unversioned).collect();
        self.delete_versions(&versions).await
    }

    async fn list_versions(&self, prefix: &str) -> Result<Vec<Version>, StoreError> {
        if !self.is_versioned().await {
            let keys = self.list(prefix).await?;
            return Ok(keys.into_iter().map(Version::unversioned).collect());
        }
        let mut found = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let out = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .map_err(|e| map_err(prefix, e))?;
            let versions = out.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = out
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id()));
            for (key, id) in versions.chain(markers) {
                if let Some(key) = key {
                    found.push(Version {
                        key: key.to_string(),
                        version_id: id.filter(|v| *v != "null").map(str::to_string),
                    });
                }
            }
            if out.is_truncated() != Some(true) {
                break;
            }
            key_marker = out.next_key_marker().map(str::to_string);
            version_marker = out.next_version_id_marker().map(str::to_string);
        }
        Ok(found)
    }

    async fn delete_versions(&self, versions: &[Version]) -> Result<usize, StoreError> {
        for batch in versions.chunks(DELETE_BATCH) {
            let first = &batch[0].key;
            let objects = batch
                .iter()
                .map(|v| {
                    ObjectIdentifier::builder()
                        .key(&v.key)
                        .set_version_id(v.version_id.clone())
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::backend(first, e))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| StoreError::backend(first, e))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| map_err(first, e))?;
            if let Some(err) = out.errors().first() {
                return Err(StoreError::backend(
                    err.key().unwrap_or("?"),
                    format!(
                        "delete failed: {} {}",
                        err.code().unwrap_or("unknown"),
                        err.message().unwrap_or("")
                    ),
                ));
            }
        }
        Ok(versions.len())
    }
}
