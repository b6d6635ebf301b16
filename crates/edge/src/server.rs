//! The HTTP side of `imgfront dev`: routes `/` to the gallery, `/_imgfront/*` to the local
//! control endpoints, and every other path through the emulated CloudFront edge.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use imgfront_store::ObjectStore;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

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
        p if p.starts_with("/_imgfront/site/") => {
            dev.site_file(&p["/_imgfront/site/".len()..]).await
        }
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

/// Connections served at once; more are answered 503 and closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// A client must send a request's headers within this time, or the connection is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// No connection, however busy, lives longer than this.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: application/json\r\n\
connection: close\r\ncontent-length: 68\r\n\r\n{\"error\":\"busy\",\"message\":\"too many connections; retry in a second\"}";

/// Serves `dev` on `listener` until the task is dropped. Nothing a client does ends the loop:
/// a failed `accept` (descriptors exhausted) is logged and retried, slow clients time out, and
/// connections beyond [`MAX_CONNECTIONS`] get a 503.
pub async fn serve<S: ObjectStore + Clone + 'static>(
    listener: TcpListener,
    dev: Arc<Dev<S>>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let mut stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let dev = dev.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req| {
                let dev = dev.clone();
                async move { Ok::<_, Infallible>(route(dev, req).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_LIFETIME, connection).await {
                Ok(Err(e)) => tracing::debug!(error = %e, "connection ended with an error"),
                Err(_) => tracing::debug!("connection closed at its lifetime limit"),
                Ok(Ok(())) => {}
            }
        });
    }
}
