//! Lambda adapter: an SQS batch in, [`imgfront_takedown::Takedown`] in the middle, and the messages to
//! redeliver out as `batchItemFailures` (the event source mapping sets ReportBatchItemFailures).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use imgfront_spec::Config;
use imgfront_takedown::Takedown;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    imgfront_observe::init_json_logs();
    // Tenants live in the edge's KeyValueStore; the origin serves any the edge let through.
    let config = Config::from_env()?.at_origin();
    let handler = Arc::new(Takedown::from_env(config).await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = Arc::clone(&handler);
        async move {
            let messages = imgfront_takedown::messages_from(event.payload);
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
