//! The takedown core, free of the Lambda runtime: for each SQS message, delete the original
//! (every version, and the replica's) and every derivative, write the audit record, then
//! invalidate every cached path in as few `CreateInvalidation` calls as CloudFront allows.
//! Throttled requests go back to SQS as batch item failures; nothing is ever dropped.

pub mod plan;
pub mod sim;

use std::collections::BTreeSet;

use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use imgfront_spec::{Config, Key};
use imgfront_store::{Bytes, ObjectStore, Put, S3Store, StoreError, Version};
use serde::{Deserialize, Serialize};

/// Why a step of a takedown failed; its text goes into the audit record's `errors`.
#[derive(Debug, thiserror::Error)]
pub enum TakedownError {
    #[error("key {key:?}: {message}")]
    BadKey { key: String, message: String },
    #[error("s3://{bucket}: {source}")]
    Store {
        bucket: String,
        #[source]
        source: StoreError,
    },
    #[error("CreateInvalidation {}: {code} {message}", if *throttled { "throttled" } else { "failed" })]
    Invalidation {
        /// CloudFront's own limit (too many invalidations in progress, or throttling):
        /// the message is redelivered and tried again later.
        throttled: bool,
        code: String,
        message: String,
    },
    #[error("audit record s3://{bucket}/{key} is corrupt: {message}")]
    CorruptAudit {
        bucket: String,
        key: String,
        message: String,
    },
}

/// Where a takedown stands; the audit record's `outcome`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Read, nothing done yet.
    #[default]
    Received,
    /// The message was not a valid takedown request; nothing was deleted.
    Rejected,
    /// A delete failed; the message is redelivered.
    Partial,
    /// Everything is deleted and the paths recorded; the invalidation is still to be created.
    PendingInvalidation,
    /// Deleted everywhere and invalidated.
    Succeeded,
}

/// The message body, as `imgfront takedown submit` sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakedownRequest {
    /// The original's key, `tenant/path/img.jpg`.
    pub key: String,
    pub reason: String,
    pub requested_by: String,
    /// Caller-chosen id: the audit record's name and the idempotency key.
    pub request_id: String,
}

impl TakedownRequest {
    /// Parses and validates a message body with a specific reason on failure.
    pub fn parse(config: &Config, body: &str) -> Result<TakedownRequest, String> {
        let r: TakedownRequest = serde_json::from_str(body)
            .map_err(|e| format!("message is not a takedown request: {e}"))?;
        let id_ok = !r.request_id.is_empty()
            && r.request_id.len() <= 128
            && r.request_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !id_ok {
            return Err(format!(
                "request_id {:?} must be 1-128 characters of A-Z a-z 0-9 . _ -",
                r.request_id
            ));
        }
        if r.reason.trim().is_empty() || r.requested_by.trim().is_empty() {
            return Err("reason and requested_by must not be empty".into());
        }
        Key::from_decoded(config, &r.key).map_err(|e| format!("key {:?}: {}", r.key, e.message))?;
        Ok(r)
    }
}

/// The messages of an SQS event, reduced to what the handler needs.
pub fn messages_from(event: aws_lambda_events::event::sqs::SqsEvent) -> Vec<Message> {
    event
        .records
        .into_iter()
        .map(|m| Message {
            id: m.message_id.unwrap_or_default(),
            body: m.body.unwrap_or_default(),
            sent_ms: m
                .attributes
                .get("SentTimestamp")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
        })
        .collect()
}

/// One SQS message, reduced to what the handler needs.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: String,
    pub body: String,
    /// SQS `SentTimestamp` (ms): stable across redeliveries, so it dates the audit record.
    pub sent_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

/// The erasure proof, one per request at `takedown/YYYY/MM/DD/{request_id}.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub request: Option<TakedownRequest>,
    /// For a rejected message: its body as received.
    pub raw_message: Option<String>,
    pub message_id: String,
    pub outcome: Outcome,
    pub deleted: Vec<Deleted>,
    pub paths: Vec<String>,
    pub invalidations: Vec<String>,
    pub errors: Vec<String>,
    pub attempts: u32,
    pub received_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

/// Where the function acts.
#[derive(Clone, Debug)]
pub struct Targets {
    pub originals: String,
    pub derivatives: String,
    pub replica: Option<String>,
    pub audit: String,
    pub distribution_id: String,
}

pub struct Takedown {
    config: Config,
    cloudfront: aws_sdk_cloudfront::Client,
    distribution_id: String,
    originals: S3Store,
    derivatives: S3Store,
    replica: Option<S3Store>,
    audit: S3Store,
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (civil-from-days; no calendar crate needed).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The audit record's key for a request sent at `sent_ms`.
pub fn audit_key(request_id: &str, sent_ms: u64) -> String {
    let date = rfc3339(sent_ms / 1000);
    format!(
        "takedown/{}/{}/{}/{request_id}.json",
        &date[0..4],
        &date[5..7],
        &date[8..10]
    )
}

fn is_throttle(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "TooManyInvalidationsInProgress"
                | "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
        )
    )
}

struct Pending {
    message_id: String,
    request_id: String,
    key: String,
    record: AuditRecord,
}

impl Takedown {
    /// The handler the Lambda runs, from its environment: the buckets, the distribution, the
    /// replica's region, and `{ORIGINALS,DERIVATIVES,REPLICA}_VERSIONED=true|false`, which
    /// spare a GetBucketVersioning probe.
    pub async fn from_env(config: Config) -> Result<Takedown, String> {
        let env = imgfront_observe::required_env;
        let targets = Targets {
            originals: env("ORIGINALS_BUCKET")?,
            derivatives: env("DERIVATIVES_BUCKET")?,
            replica: std::env::var("REPLICA_BUCKET")
                .ok()
                .filter(|b| !b.is_empty()),
            audit: env("AUDIT_BUCKET")?,
            distribution_id: env("DISTRIBUTION_ID")?,
        };
        let shared = aws_config::load_from_env().await;
        let s3 = imgfront_store::S3Store::client_from_env().await;
        let cloudfront = aws_sdk_cloudfront::Client::new(&shared);
        // `{ORIGINALS,DERIVATIVES,REPLICA}_VERSIONED=true|false` spare a GetBucketVersioning probe.
        let hints: Vec<(String, bool)> = [
            ("ORIGINALS_VERSIONED", Some(&targets.originals)),
            ("DERIVATIVES_VERSIONED", Some(&targets.derivatives)),
            ("REPLICA_VERSIONED", targets.replica.as_ref()),
        ]
        .into_iter()
        .filter_map(|(var, bucket)| {
            let value = std::env::var(var).ok()?;
            Some((bucket?.clone(), value.eq_ignore_ascii_case("true")))
        })
        .collect();
        let mut handler = Takedown::new(config, s3.clone(), cloudfront, targets);
        // The replica lives in another region; S3 only answers there.
        if let Ok(region) = std::env::var("REPLICA_REGION")
            && !region.is_empty()
        {
            let conf = s3
                .config()
                .to_builder()
                .region(aws_sdk_s3::config::Region::new(region))
                .build();
            handler = handler.with_replica_client(aws_sdk_s3::Client::from_conf(conf));
        }
        for (bucket, versioned) in hints {
            handler = handler.assume_versioning(&bucket, versioned);
        }
        Ok(handler)
    }

    /// A handler over the buckets `targets` names, all through `s3`.
    pub fn new(
        config: Config,
        s3: aws_sdk_s3::Client,
        cloudfront: aws_sdk_cloudfront::Client,
        targets: Targets,
    ) -> Self {
        let store = |bucket: &str| S3Store::new(s3.clone(), bucket);
        Takedown {
            config,
            cloudfront,
            distribution_id: targets.distribution_id,
            originals: store(&targets.originals),
            derivatives: store(&targets.derivatives),
            replica: targets.replica.as_deref().map(store),
            audit: store(&targets.audit),
        }
    }

    /// Uses `client` (configured for the replica's region: S3 refuses cross-region calls to a
    /// bucket) for the replica bucket.
    pub fn with_replica_client(mut self, client: aws_sdk_s3::Client) -> Self {
        self.replica = self
            .replica
            .map(|r| S3Store::new(client, r.bucket().to_string()));
        self
    }

    /// Declares whether `bucket` keeps versions, so it is never probed (the deployment knows:
    /// originals and replica are versioned, derivatives are not).
    pub fn assume_versioning(mut self, bucket: &str, versioned: bool) -> Self {
        for store in [&mut self.originals, &mut self.derivatives]
            .into_iter()
            .chain(self.replica.as_mut())
        {
            if store.bucket() == bucket {
                *store = store.clone().with_versioning(versioned);
            }
        }
        self
    }

    /// Handles one SQS batch; returns the ids of messages SQS must redeliver.
    pub async fn handle(&self, messages: Vec<Message>) -> Vec<String> {
        let mut failed = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut seen = BTreeSet::new();
        for msg in messages {
            let req = match TakedownRequest::parse(&self.config, &msg.body) {
                Ok(r) => r,
                Err(why) => {
                    tracing::error!(message_id = %msg.id, reason = %why, "rejected takedown message");
                    let record = AuditRecord {
                        raw_message: Some(msg.body.clone()),
                        message_id: msg.id.clone(),
                        outcome: Outcome::Rejected,
                        errors: vec![why],
                        attempts: 1,
                        received_at: rfc3339(msg.sent_ms / 1000),
                        updated_at: rfc3339(now_secs()),
                        ..AuditRecord::default()
                    };
                    let key = audit_key(&format!("rejected-{}", msg.id), msg.sent_ms);
                    if self.write_audit(&key, &record).await.is_err() {
                        failed.push(msg.id);
                    }
                    continue;
                }
            };
            if !seen.insert(req.request_id.clone()) {
                tracing::info!(request_id = %req.request_id, "duplicate in the same batch");
                continue;
            }
            let key = audit_key(&req.request_id, msg.sent_ms);
            let mut record = match self.read_audit(&key).await {
                Ok(Some(r)) => r,
                Ok(None) => AuditRecord {
                    request: Some(req.clone()),
                    message_id: msg.id.clone(),
                    received_at: rfc3339(msg.sent_ms / 1000),
                    ..AuditRecord::default()
                },
                Err(e) => {
                    tracing::warn!(request_id = %req.request_id, error = %e, "audit read failed");
                    failed.push(msg.id);
                    continue;
                }
            };
            if record.outcome == Outcome::Succeeded {
                tracing::info!(request_id = %req.request_id, "already done; redelivery ignored");
                continue;
            }
            record.attempts += 1;
            match self.delete_everything(&req.key).await {
                Ok((deleted, paths)) => {
                    record.deleted.extend(deleted);
                    let mut all: BTreeSet<String> = record.paths.iter().cloned().collect();
                    all.extend(paths);
                    record.paths = all.into_iter().collect();
                    record.outcome = Outcome::PendingInvalidation;
                    record.updated_at = rfc3339(now_secs());
                    // The paths are recorded before invalidating: after the deletes, listing
                    // can no longer find them, and a redelivery must.
                    if let Err(e) = self.write_audit(&key, &record).await {
                        tracing::warn!(request_id = %req.request_id, error = %e, "audit write failed");
                        failed.push(msg.id);
                        continue;
                    }
                    pending.push(Pending {
                        message_id: msg.id,
                        request_id: req.request_id.clone(),
                        key,
                        record,
                    });
                }
                Err(e) => {
                    record.errors.push(e.to_string());
                    record.outcome = Outcome::Partial;
                    record.updated_at = rfc3339(now_secs());
                    let _ = self.write_audit(&key, &record).await;
                    tracing::warn!(request_id = %req.request_id, error = %e, "delete failed; will retry");
                    failed.push(msg.id);
                }
            }
        }

        let requests: Vec<plan::Request> = pending
            .iter()
            .map(|p| plan::Request {
                id: p.request_id.clone(),
                paths: p.record.paths.clone(),
            })
            .collect();
        for batch in plan::pack(&requests) {
            let result = self.invalidate(&batch).await;
            for p in pending
                .iter_mut()
                .filter(|p| batch.requests.contains(&p.request_id))
            {
                match &result {
                    Ok(id) => {
                        p.record.invalidations.push(id.clone());
                        p.record.outcome = Outcome::Succeeded;
                        p.record.completed_at = Some(rfc3339(now_secs()));
                    }
                    Err(e) => {
                        p.record.errors.push(e.to_string());
                        failed.push(p.message_id.clone());
                    }
                }
                p.record.updated_at = rfc3339(now_secs());
            }
        }
        for p in &pending {
            if let Err(e) = self.write_audit(&p.key, &p.record).await {
                tracing::warn!(key = %p.key, error = %e, "final audit write failed");
                if !failed.contains(&p.message_id) {
                    failed.push(p.message_id.clone());
                }
            }
            tracing::info!(
                request_id = %p.request_id,
                outcome = ?p.record.outcome,
                deleted = p.record.deleted.len(),
                paths = p.record.paths.len(),
                "takedown"
            );
        }
        failed
    }

    /// Creates one invalidation; `Err` says why (throttled or otherwise) for the record.
    async fn invalidate(&self, batch: &plan::Batch) -> Result<String, TakedownError> {
        let invalid = |e: aws_sdk_cloudfront::error::BuildError| TakedownError::Invalidation {
            throttled: false,
            code: "InvalidRequest".into(),
            message: e.to_string(),
        };
        let paths = Paths::builder()
            .quantity(batch.paths.len() as i32)
            .set_items(Some(batch.paths.clone()))
            .build()
            .map_err(invalid)?;
        let ib = InvalidationBatch::builder()
            .paths(paths)
            .caller_reference(&batch.caller_reference)
            .build()
            .map_err(invalid)?;
        match self
            .cloudfront
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(ib)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .invalidation()
                .map(|i| i.id().to_string())
                .unwrap_or_default()),
            Err(e) => Err(TakedownError::Invalidation {
                throttled: is_throttle(e.code()),
                code: e.code().unwrap_or("no code").to_string(),
                message: e.message().unwrap_or("").to_string(),
            }),
        }
    }

    /// Deletes every version of the original (and its replica) and of every derivative.
    /// Returns what was deleted and the paths to invalidate.
    async fn delete_everything(
        &self,
        key: &str,
    ) -> Result<(Vec<Deleted>, Vec<String>), TakedownError> {
        let parsed = Key::from_decoded(&self.config, key).map_err(|e| TakedownError::BadKey {
            key: key.to_string(),
            message: e.message,
        })?;
        let mut deleted = Vec::new();
        let exact = |k: &str| k == key;
        deleted.extend(erase(&self.originals, key, &exact).await?);
        if let Some(replica) = &self.replica {
            deleted.extend(erase(replica, key, &exact).await?);
        }
        let prefix = format!("{key}/");
        let is_derivative = |k: &str| k.get(prefix.len()..).is_some_and(|ops| !ops.contains('/'));
        let derivatives = erase(&self.derivatives, &prefix, &is_derivative).await?;
        let ops: BTreeSet<String> = derivatives
            .iter()
            .filter_map(|d| d.key.rsplit_once('/').map(|(_, ops)| ops.to_string()))
            .collect();
        deleted.extend(derivatives);
        let ops: Vec<String> = ops.into_iter().collect();
        Ok((deleted, plan::paths_for(&parsed.to_url_path(), &ops)))
    }

    async fn read_audit(&self, key: &str) -> Result<Option<AuditRecord>, TakedownError> {
        read_audit(&self.audit, key).await
    }

    async fn write_audit(&self, key: &str, record: &AuditRecord) -> Result<(), TakedownError> {
        let body = serde_json::to_vec_pretty(record).map_err(|e| TakedownError::CorruptAudit {
            bucket: self.audit.bucket().to_string(),
            key: key.to_string(),
            message: e.to_string(),
        })?;
        let put = Put {
            content_type: "application/json".into(),
            ..Put::default()
        };
        self.audit
            .put(key, Bytes::from(body), &put)
            .await
            .map_err(|source| TakedownError::Store {
                bucket: self.audit.bucket().to_string(),
                source,
            })
    }
}

/// Erases every version under `prefix` whose key `keep` accepts, in batches the store allows.
async fn erase(
    store: &S3Store,
    prefix: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Deleted>, TakedownError> {
    let failed = |source| TakedownError::Store {
        bucket: store.bucket().to_string(),
        source,
    };
    let found: Vec<Version> = store
        .list_versions(prefix)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|v| keep(&v.key))
        .collect();
    store.delete_versions(&found).await.map_err(failed)?;
    Ok(found
        .into_iter()
        .map(|v| Deleted {
            bucket: store.bucket().to_string(),
            key: v.key,
            version_id: v.version_id,
        })
        .collect())
}

/// The audit record at `key`; `None` when there is none yet.
pub async fn read_audit(audit: &S3Store, key: &str) -> Result<Option<AuditRecord>, TakedownError> {
    match audit.get(key, 16 << 20).await {
        Ok(o) => {
            serde_json::from_slice(&o.bytes)
                .map(Some)
                .map_err(|e| TakedownError::CorruptAudit {
                    bucket: audit.bucket().to_string(),
                    key: key.to_string(),
                    message: e.to_string(),
                })
        }
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(source) => Err(TakedownError::Store {
            bucket: audit.bucket().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_341_600), "2026-11-22T10:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            audit_key("r-1", 1_795_341_600_000),
            "takedown/2026/11/22/r-1.json"
        );
    }

    #[test]
    fn messages_are_validated_specifically() {
        let c = Config::embedded();
        let ok =
            r#"{"key":"demo/a b.jpg","reason":"DMCA","requested_by":"legal","request_id":"r-1"}"#;
        assert!(TakedownRequest::parse(&c, ok).is_ok());
        for (body, why) in [
            ("not json", "not a takedown request"),
            (
                r#"{"key":"demo/a.jpg","reason":"x","requested_by":"y"}"#,
                "missing field",
            ),
            (
                r#"{"key":"demo/a.jpg","reason":"x","requested_by":"y","request_id":"a/b"}"#,
                "request_id",
            ),
            (
                r#"{"key":"../etc","reason":"x","requested_by":"y","request_id":"r"}"#,
                "key",
            ),
            (
                r#"{"key":"demo/a.jpg","reason":" ","requested_by":"y","request_id":"r"}"#,
                "empty",
            ),
            (
                r#"{"key":"demo/a.jpg","reason":"x","requested_by":"y","request_id":"r","extra":1}"#,
                "unknown field",
            ),
        ] {
            let e = TakedownRequest::parse(&c, body).expect_err(body);
            assert!(e.contains(why), "{body}: {e}");
        }
    }
}
