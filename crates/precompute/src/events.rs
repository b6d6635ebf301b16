//! The event shapes precompute is invoked with: S3 event notifications (created/removed), as
//! delivered through the SQS queue that caps precompute's concurrency or invoked directly, and
//! S3 Batch Operations tasks (schema 2.0, for catalogue backfills), plus their key encodings.

use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Failure, Precompute, Rendered};
use imgfront_store::ObjectStore;

/// Decodes an event key. S3 notifications form-encode keys (`+` is a space); Batch Operations
/// percent-encode them and leave `+` as is.
pub fn decode_key(raw: &str, plus_is_space: bool) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("key {raw:?} has a bad %-escape at byte {i}"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("key {raw:?} is not UTF-8 once decoded"))
}

/// One line of what happened to one key, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyReport {
    pub key: String,
    pub action: &'static str,
    pub written: usize,
    pub current: usize,
    pub deleted: usize,
    pub failed: Vec<(String, String)>,
    /// Set when the key was skipped for good (undecodable, over a limit, bad key).
    pub skipped: Option<String>,
}

impl KeyReport {
    fn new(key: &str, action: &'static str) -> Self {
        KeyReport {
            key: key.to_string(),
            action,
            written: 0,
            current: 0,
            deleted: 0,
            failed: Vec::new(),
            skipped: None,
        }
    }

    fn rendered(mut self, r: Rendered) -> Self {
        self.written = r.written.len();
        self.current = r.current;
        self.failed = r.failed;
        self
    }
}

/// Handles an S3 notification. Permanent failures are logged and skipped; any temporary one
/// fails the invocation so Lambda's async retry (and then the on-failure destination) takes over.
pub async fn handle_s3<O: ObjectStore, D: ObjectStore>(
    pre: &Precompute<O, D>,
    event: S3Event,
) -> Result<Vec<KeyReport>, String> {
    let mut reports = Vec::new();
    let mut temporary = Vec::new();
    for record in event.records {
        let name = record.event_name.clone().unwrap_or_default();
        let raw = record.s3.object.key.clone().unwrap_or_default();
        let key = match decode_key(&raw, true) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(key = %raw, error = %e, "skipping undecodable event key");
                let mut r = KeyReport::new(&raw, "skip");
                r.skipped = Some(e);
                reports.push(r);
                continue;
            }
        };
        let (action, result) = if name.starts_with("ObjectCreated") {
            let etag = record.s3.object.e_tag.clone();
            (
                "render",
                pre.render(&key, etag.as_deref())
                    .await
                    .map(|r| KeyReport::new(&key, "render").rendered(r)),
            )
        } else if name.starts_with("ObjectRemoved") {
            (
                "delete",
                pre.remove(&key).await.map(|n| {
                    let mut r = KeyReport::new(&key, "delete");
                    r.deleted = n;
                    r
                }),
            )
        } else {
            tracing::info!(event = %name, key = %key, "ignoring event type");
            continue;
        };
        match result {
            Ok(r) => reports.push(r),
            Err(Failure::Permanent(why)) => {
                tracing::warn!(key = %key, reason = %why, "skipped for good");
                let mut r = KeyReport::new(&key, action);
                r.skipped = Some(why);
                reports.push(r);
            }
            Err(Failure::Temporary(why)) => temporary.push(format!("{key}: {why}")),
        }
    }
    for r in &reports {
        tracing::info!(report = %serde_json::to_string(r).unwrap_or_default(), "precompute");
    }
    if temporary.is_empty() {
        Ok(reports)
    } else {
        Err(format!("retry: {}", temporary.join("; ")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchEvent {
    pub invocation_schema_version: String,
    pub invocation_id: String,
    pub tasks: Vec<BatchTask>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchTask {
    pub task_id: String,
    pub s3_key: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub invocation_schema_version: String,
    pub treat_missing_keys_as: &'static str,
    pub invocation_id: String,
    pub results: Vec<BatchResult>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    pub task_id: String,
    pub result_code: &'static str,
    pub result_string: String,
}

/// Handles a Batch Operations invocation: one result code per task, with its reason.
pub async fn handle_batch<O: ObjectStore, D: ObjectStore>(
    pre: &Precompute<O, D>,
    event: BatchEvent,
) -> BatchResponse {
    let mut results = Vec::new();
    for task in event.tasks {
        let (code, text) = match decode_key(&task.s3_key, false) {
            Err(e) => ("PermanentFailure", e),
            Ok(key) => match pre.render(&key, None).await {
                Ok(r) if r.failed.is_empty() => (
                    "Succeeded",
                    format!("wrote {}, already current {}", r.written.len(), r.current),
                ),
                Ok(r) => (
                    "PermanentFailure",
                    format!(
                        "wrote {}, failed {}: {}",
                        r.written.len(),
                        r.failed.len(),
                        r.failed
                            .iter()
                            .map(|(k, e)| format!("{k}: {e}"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ),
                Err(Failure::Permanent(why)) => ("PermanentFailure", why),
                Err(Failure::Temporary(why)) => ("TemporaryFailure", why),
            },
        };
        results.push(BatchResult {
            task_id: task.task_id,
            result_code: code,
            result_string: text,
        });
    }
    BatchResponse {
        invocation_schema_version: event.invocation_schema_version,
        treat_missing_keys_as: "PermanentFailure",
        invocation_id: event.invocation_id,
        results,
    }
}

/// An SQS batch of S3 notifications: each message body is one notification (or S3's test
/// event, which is acknowledged). A message whose keys hit a temporary failure is reported in
/// `batchItemFailures`, so SQS redelivers only it and the rest of the batch is done.
pub async fn handle_sqs<O: ObjectStore, D: ObjectStore>(
    pre: &Precompute<O, D>,
    event: SqsEvent,
) -> Value {
    let mut failures = Vec::new();
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        let body = message.body.unwrap_or_default();
        let parsed: Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                // Redelivering text that is not JSON cannot help: it is dropped, with the reason.
                tracing::warn!(message = %id, error = %e, "skipping a message that is not JSON");
                continue;
            }
        };
        if parsed.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
            continue;
        }
        let outcome = match serde_json::from_value::<S3Event>(parsed) {
            // Boxed: nesting this future inline makes the Lambda's future too deep to lay out.
            Ok(s3) => Box::pin(handle_s3(pre, s3)).await.map(|_| ()),
            Err(e) => {
                tracing::warn!(message = %id, error = %e, "skipping a message that is not an S3 notification");
                Ok(())
            }
        };
        if let Err(why) = outcome {
            tracing::warn!(message = %id, reason = %why, "message left for redelivery");
            failures.push(serde_json::json!({ "itemIdentifier": id }));
        }
    }
    serde_json::json!({ "batchItemFailures": failures })
}

/// Dispatches on the event's shape: `Records` from `aws:sqs` is a queued batch of S3
/// notifications, other `Records` an S3 notification, `invocationSchemaVersion` a Batch
/// Operations job.
pub async fn handle<O: ObjectStore, D: ObjectStore>(
    pre: &Precompute<O, D>,
    event: Value,
) -> Result<Value, String> {
    let from_sqs = event
        .pointer("/Records/0/eventSource")
        .and_then(Value::as_str)
        == Some("aws:sqs");
    if from_sqs {
        let e: SqsEvent =
            serde_json::from_value(event).map_err(|e| format!("bad SQS event: {e}"))?;
        return Ok(handle_sqs(pre, e).await);
    }
    if event.get("Records").is_some() {
        let e: S3Event = serde_json::from_value(event).map_err(|e| format!("bad S3 event: {e}"))?;
        let reports = handle_s3(pre, e).await?;
        return serde_json::to_value(reports).map_err(|e| e.to_string());
    }
    if event.get("invocationSchemaVersion").is_some() {
        let e: BatchEvent = serde_json::from_value(event)
            .map_err(|e| format!("bad Batch Operations event: {e}"))?;
        return serde_json::to_value(handle_batch(pre, e).await).map_err(|e| e.to_string());
    }
    Err("event is neither an S3 notification nor a Batch Operations job".into())
}

#[cfg(test)]
mod tests {
    use super::decode_key;

    #[test]
    fn keys_decode_as_each_source_encodes_them() {
        assert_eq!(
            decode_key("demo/summer+sky.jpg", true).as_deref(),
            Ok("demo/summer sky.jpg")
        );
        assert_eq!(
            decode_key("demo/a%2Bb.jpg", true).as_deref(),
            Ok("demo/a+b.jpg")
        );
        assert_eq!(
            decode_key("demo/a+b.jpg", false).as_deref(),
            Ok("demo/a+b.jpg")
        );
        assert_eq!(
            decode_key("demo/100%25.jpg", true).as_deref(),
            Ok("demo/100%.jpg")
        );
        assert_eq!(
            decode_key("demo/caf%C3%A9+%E6%97%A5.png", true).as_deref(),
            Ok("demo/café 日.png")
        );
        assert!(decode_key("demo/bad%zz.jpg", true).is_err());
        assert!(decode_key("demo/trunc%4", true).is_err());
        assert!(decode_key("demo/%FF.jpg", true).is_err());
    }
}
