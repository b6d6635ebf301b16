//! Lambda adapter: Function URL event in, [`imgfront_origin::Origin`] in the middle, response out.
//! Responses stream by default (the Function URL's `RESPONSE_STREAM` invoke mode), so
//! outputs over the 6 MB buffered limit are served like any other.

use std::sync::Arc;

use aws_lambda_events::event::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use base64::Engine as _;
use imgfront_origin::{Origin, Request, Response};
use imgfront_spec::Config;
use imgfront_store::S3Store;
use lambda_runtime::streaming::Body;
use lambda_runtime::{Error, FunctionResponse, LambdaEvent, MetadataPrelude, StreamResponse};

type LambdaResponse = FunctionResponse<LambdaFunctionUrlResponse, Body>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    imgfront_observe::init_json_logs();
    // Tenants live in the edge's KeyValueStore; the origin serves any the edge let through.
    let config = Config::from_env()?.at_origin();
    let (originals, derivatives) = S3Store::originals_and_derivatives_from_env().await?;
    let origin = Arc::new(Origin::new(config, originals, derivatives));
    let buffered = std::env::var("IMGFRONT_RESPONSE_MODE").is_ok_and(|m| m == "buffered");
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<LambdaFunctionUrlRequest>| {
            let origin = Arc::clone(&origin);
            async move {
                let req = Request {
                    method: event
                        .payload
                        .request_context
                        .http
                        .method
                        .clone()
                        .unwrap_or_default(),
                    path: event.payload.raw_path.clone().unwrap_or_default(),
                    request_id: event.context.request_id.clone(),
                    cancel: None,
                };
                let (reply, record) = origin.handle(&req).await;
                record.log();
                record.emit_emf();
                Ok::<LambdaResponse, Error>(if buffered {
                    FunctionResponse::BufferedResponse(buffered_response(reply))
                } else {
                    FunctionResponse::StreamingResponse(streaming_response(reply))
                })
            }
        },
    ))
    .await
}

fn header_map(reply: &Response) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.insert(name, v);
        }
    }
    map
}

fn streaming_response(reply: Response) -> StreamResponse<Body> {
    StreamResponse {
        metadata_prelude: MetadataPrelude {
            status_code: StatusCode::from_u16(reply.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: header_map(&reply),
            cookies: Vec::new(),
        },
        stream: Body::from(reply.body),
    }
}

fn buffered_response(reply: Response) -> LambdaFunctionUrlResponse {
    let mut resp = LambdaFunctionUrlResponse::default();
    resp.status_code = i64::from(reply.status);
    resp.headers = header_map(&reply);
    resp.body = Some(base64::engine::general_purpose::STANDARD.encode(&reply.body));
    resp.is_base64_encoded = true;
    resp
}
