//! Lambda adapter: an S3 notification or Batch Operations event in, [`precompute`] in the
//! middle. A returned error makes an asynchronous invoke retry, then go to its on-failure
//! destination.

use std::sync::Arc;

use imgfront_precompute::Precompute;
use imgfront_spec::Config;
use imgfront_store::S3Store;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    imgfront_observe::init_json_logs();
    // Tenants live in the edge's KeyValueStore; the origin serves any the edge let through.
    let config = Config::from_env()?.at_origin();
    let (originals, derivatives) = S3Store::originals_and_derivatives_from_env().await?;
    let pre = Arc::new(Precompute::new(config, originals, derivatives));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let pre = Arc::clone(&pre);
        async move {
            imgfront_precompute::events::handle(&pre, event.payload)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
