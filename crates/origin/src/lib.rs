//! The origin core, free of the Lambda runtime: a canonical path in, an HTTP response out. It re-validates the path (never trusting the edge), fetches the original,
//! runs the engine, stores the derivative under its canonical key and answers with it.

pub mod observe;

use std::time::{Duration, Instant};

use bytes::Bytes;
use imgfront_engine::{EngineError, Settings};
use imgfront_spec::{Config, Spec};
use imgfront_store::{ObjectStore, Put, StoreError, etag_of};

pub use observe::Record;

/// The parts of a Function URL request the origin looks at.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The raw (percent-encoded) path: the canonical path CloudFront forwards.
    pub path: String,
    pub request_id: String,
    /// Set by the local edge when every viewer waiting for this render has gone; Lambda
    /// has no such signal (a Function URL request runs to its end).
    pub cancel: Option<imgfront_engine::interrupt::Cancel>,
}

/// An HTTP response: what the origin answers (streamed or buffered by the Lambda adapter),
/// what the local edge serves, and what its loopback client reads.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Response {
    /// The value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(status: u16, cache_control: &str, value: &serde_json::Value) -> Response {
        let body = Bytes::from(value.to_string());
        Response {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("cache-control".into(), cache_control.into()),
                ("content-length".into(), body.len().to_string()),
            ],
            body,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

pub use imgfront_store::{META_SOURCE_ETAG, META_SOURCE_KEY};

/// The origin: configuration, encoder settings and the two buckets, built once per process.
pub struct Origin<S> {
    config: Config,
    settings: Settings,
    originals: S,
    derivatives: S,
}

/// A refusal or fault, already mapped to its HTTP status and stable kind.
struct Failure {
    status: u16,
    kind: &'static str,
    message: String,
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure {
            status: e.status(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl<S: ObjectStore> Origin<S> {
    pub fn new(config: Config, originals: S, derivatives: S) -> Self {
        let settings = Settings::request(&config);
        Origin {
            config,
            settings,
            originals,
            derivatives,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Answers one request. Never panics on input; every refusal is a specific 4xx.
    pub async fn handle(&self, req: &Request) -> (Response, Record) {
        let mut record = Record::new(&req.request_id, &req.path, &req.method);
        let reply = match self.serve(req, &mut record).await {
            Ok(reply) => reply,
            Err(f) => {
                record.error = Some(f.kind);
                if f.status >= 500 {
                    tracing::error!(path = %req.path, kind = f.kind, message = %f.message, "internal fault");
                }
                self.error_reply(&f, req.method == "HEAD")
            }
        };
        record.status = reply.status;
        record.output_bytes = reply.body.len();
        (reply, record)
    }

    async fn serve(&self, req: &Request, record: &mut Record) -> Result<Response, Failure> {
        let head = match req.method.as_str() {
            "GET" => false,
            "HEAD" => true,
            other => {
                return Err(Failure {
                    status: 405,
                    kind: "method_not_allowed",
                    message: format!(
                        "method {} is not allowed; use GET or HEAD",
                        imgfront_spec::printable(other)
                    ),
                });
            }
        };
        let spec = Spec::from_canonical_path(&self.config, &req.path).map_err(|e| Failure {
            status: e.kind.status(),
            kind: e.kind.as_str(),
            message: e.message,
        })?;

        let started = Instant::now();
        let source_key = spec.key.as_str().to_string();
        let original = self
            .originals
            .get(&source_key, self.config.limits.max_source_bytes)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => Failure {
                    status: 404,
                    kind: "no_original",
                    message: format!("no original at {source_key}"),
                },
                StoreError::TooLarge { size, max, .. } => Failure {
                    status: 413,
                    kind: "source_too_large",
                    message: format!("source is {size} bytes, over the {max}-byte limit"),
                },
                StoreError::BadKey(k) => Failure {
                    status: 400,
                    kind: "bad_path",
                    message: format!("the original's key is refused: {k}"),
                },
                StoreError::Backend { .. } => Failure {
                    status: 500,
                    kind: "internal",
                    message: e.to_string(),
                },
            })?;
        record.fetch = started.elapsed();
        record.source_bytes = original.bytes.len();

        let started = Instant::now();
        let mut settings = self.settings.clone();
        settings.cancel = req.cancel.clone();
        let ops = spec.ops.clone();
        let input = original.bytes.clone();
        let output = tokio::task::spawn_blocking(move || {
            imgfront_engine::transform(&input, &ops, &settings)
        })
        .await
        .map_err(|e| Failure {
            status: 500,
            kind: "internal",
            message: format!("transform task failed: {e}"),
        })??;
        record.transform = started.elapsed();
        record.format = Some(output.format.extension());

        let body = Bytes::from(output.bytes);
        let cache_control = self.config.cache.success_header();
        let put = Put::derivative(
            output.format.mime(),
            cache_control.clone(),
            &source_key,
            &original.etag,
        );
        let started = Instant::now();
        let derivative_key = spec.derivative_key();
        if let Err(e) = self
            .derivatives
            .put(&derivative_key, body.clone(), &put)
            .await
        {
            // The viewer still gets the image; the next miss renders it again.
            tracing::warn!(key = %derivative_key, error = %e, "storing the derivative failed");
            record.store_failed = true;
        }
        record.store = started.elapsed();
        // Takedown invariant: a cache entry that can outlive the short TTL has an S3 object
        // (takedown finds every derivative by listing). Without one, cache only briefly.
        let cache_control = if record.store_failed {
            self.config.cache.error_header()
        } else {
            cache_control
        };

        let headers = vec![
            ("content-type".into(), put.content_type),
            ("cache-control".into(), cache_control),
            ("etag".into(), etag_of(&body)),
            ("content-length".into(), body.len().to_string()),
            ("server-timing".into(), server_timing(record)),
        ];
        Ok(Response {
            status: 200,
            headers,
            body: if head { Bytes::new() } else { body },
        })
    }

    fn error_reply(&self, f: &Failure, head: bool) -> Response {
        let cache_control = if f.status < 500 {
            self.config.cache.error_header()
        } else {
            "no-store".to_string()
        };
        let mut response = Response::json(
            f.status,
            &cache_control,
            &serde_json::json!({ "error": f.kind, "message": f.message }),
        );
        if f.status == 405 {
            response = response.with_header("allow", "GET, HEAD");
        }
        if head {
            response.body = Bytes::new();
        }
        response
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn server_timing(r: &Record) -> String {
    format!(
        "fetch;dur={}, transform;dur={}, store;dur={}",
        ms(r.fetch),
        ms(r.transform),
        ms(r.store)
    )
}
