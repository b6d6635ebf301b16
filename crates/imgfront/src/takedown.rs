//! `imgfront takedown submit|status`: queue a takedown (`TAKEDOWN_QUEUE_URL`), and show a
//! request's audit record (`AUDIT_BUCKET`) with the live status of its invalidations
//! (`DISTRIBUTION_ID`).

use imgfront_spec::Config;
use imgfront_takedown::TakedownRequest;

pub enum Action {
    Submit {
        key: String,
        reason: String,
        requested_by: String,
        request_id: Option<String>,
    },
    Status {
        request_id: String,
    },
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

pub fn run(config: Config, action: Action) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async move {
        let shared = aws_config::load_from_env().await;
        match action {
            Action::Submit {
                key,
                reason,
                requested_by,
                request_id,
            } => {
                let request_id = request_id.unwrap_or_else(|| {
                    let ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or(0);
                    format!("td-{ms}-{}", std::process::id())
                });
                let req = TakedownRequest {
                    key,
                    reason,
                    requested_by,
                    request_id,
                };
                let body = serde_json::to_string(&req).map_err(|e| e.to_string())?;
                // Refuse here what the function would reject, with the same message.
                TakedownRequest::parse(&config, &body)?;
                let queue = env("TAKEDOWN_QUEUE_URL")?;
                aws_sdk_sqs::Client::new(&shared)
                    .send_message()
                    .queue_url(&queue)
                    .message_body(&body)
                    .send()
                    .await
                    .map_err(|e| format!("cannot send to {queue}: {e:?}"))?;
                println!("submitted {} for {}", req.request_id, req.key);
                Ok(())
            }
            Action::Status { request_id } => {
                let bucket = env("AUDIT_BUCKET")?;
                let s3 = imgfront_store::S3Store::client_from_env().await;
                let store = imgfront_store::S3Store::new(s3.clone(), &bucket);
                let suffix = format!("/{request_id}.json");
                let keys = imgfront_store::ObjectStore::list(&store, "takedown/")
                    .await
                    .map_err(|e| e.to_string())?;
                let key = keys.iter().find(|k| k.ends_with(&suffix)).ok_or_else(|| {
                    format!("no audit record for {request_id} in s3://{bucket}/takedown/ yet")
                })?;
                let record = imgfront_takedown::read_audit(&store, key)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("audit record {key} vanished"))?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?
                );
                if !record.invalidations.is_empty() {
                    let dist = env("DISTRIBUTION_ID")?;
                    let cf = aws_sdk_cloudfront::Client::new(&shared);
                    for id in &record.invalidations {
                        let status = cf
                            .get_invalidation()
                            .distribution_id(&dist)
                            .id(id)
                            .send()
                            .await
                            .map_err(|e| format!("GetInvalidation {id}: {e:?}"))?
                            .invalidation()
                            .map(|i| i.status().to_string())
                            .unwrap_or_default();
                        println!("invalidation {id}: {status}");
                    }
                }
                Ok(())
            }
        }
    })
}
