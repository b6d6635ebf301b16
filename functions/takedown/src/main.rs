//! Lambda adapter: an SQS batch in, [`takedown::Takedown`] in the middle, and the messages to
//! redeliver out as `batchItemFailures` (the event source mapping sets ReportBatchItemFailures).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use imgfront_spec::Config;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use takedown::{Takedown, Targets};

#[tokio::main]
async fn main() -> Result<(), Error> {
    imgfront_observe::init_json_logs();
    // Tenants live in the edge's KeyValueStore; the origin serves any the edge let through.
    let config = Config::from_env()?.at_origin();
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
    let handler = Arc::new(handler);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = Arc::clone(&handler);
        async move {
            let messages = takedown::messages_from(event.payload);
            let failed = handler.handle(messages).await;
            let mut response = SqsBatchResponse::default();
            response.batch_item_failures = failed
                .into_iter()
                .map(|id| {
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    f
                })
                .collect();
            Ok::<_, Error>(response)
        }
    }))
    .await
}
