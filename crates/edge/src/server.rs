//! The HTTP side of `imgfront dev`: routes `/` to the gallery, `/_imgfront/*` to the local
//! control endpoints, and every other path through the emulated CloudFront edge.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use imgfront_store::ObjectStore;
use tokio::net::TcpListener;

use crate::dev::Dev;
use crate::edge::{EdgeRequest, Response};

fn header<'a>(req: &'a hyper::Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn to_hyper(r: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(r.status);
    for (name, value) in &r.headers {
        // content-length is recomputed by hyper from the body (empty for HEAD is fine).
        if !name.eq_ignore_ascii_case("content-length") {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    builder
        .body(Full::new(r.body))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::from_static(b"bad header"))))
}

async fn route<S: ObjectStore + Clone + 'static>(
    dev: Arc<Dev<S>>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path();
    let response = match path {
        "/" | "/index.html" => dev.gallery().await,
        "/_imgfront/stats" => dev.stats_json(),
        "/favicon.ico" => Response {
            status: 204,
            headers: vec![("cache-control".into(), "max-age=86400".into())],
            body: Bytes::new(),
        },
        _ => {
            dev.edge
                .handle(EdgeRequest {
                    method: req.method().as_str(),
                    path,
                    query: req.uri().query().unwrap_or(""),
                    accept: header(&req, "accept"),
                    referer: header(&req, "referer"),
                })
                .await
        }
    };
    to_hyper(response)
}

/// Serves `dev` on `listener` until the task is dropped.
pub async fn serve<S: ObjectStore + Clone + 'static>(
    listener: TcpListener,
    dev: Arc<Dev<S>>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let dev = dev.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let dev = dev.clone();
                async move { Ok::<_, Infallible>(route(dev, req).await) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}
