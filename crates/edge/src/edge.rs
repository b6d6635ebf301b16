//! The emulated CloudFront path, in production order: viewer function → edge cache → Origin
//! Shield (one origin fetch per cold canonical path, however many ask at once) → origin group
//! (the derivatives store, failing over to the transform core the Lambda runs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use imgfront_spec::Spec;
use imgfront_store::ObjectStore;
use serde::Serialize;
use tokio::sync::OnceCell;
use transform::{Origin, Request};

use crate::lru::ByteLru;
use crate::viewer::{Viewer, ViewerInput};

/// A response as the viewer sees it.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        transform::header_value(&self.headers, name)
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

/// What the origin group answered, as the edge caches it.
struct Fetched {
    response: Response,
    /// Unix seconds when the edge got it, for `age`.
    at: u64,
}

/// Live counters, served at `/_imgfront/stats` and shown on the gallery page.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Answered by the viewer function itself (400/403/404).
    pub refused: AtomicU64,
    /// Misses that joined another request's origin fetch at the shield.
    pub coalesced: AtomicU64,
    pub from_derivatives: AtomicU64,
    pub transforms: AtomicU64,
    pub errors: AtomicU64,
    pub bytes_out: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub refused: u64,
    pub coalesced: u64,
    pub from_derivatives: u64,
    pub transforms: u64,
    pub errors: u64,
    pub bytes_out: u64,
    pub cached_objects: u64,
    pub cached_bytes: u64,
}

type Inflight = Arc<OnceCell<Arc<Fetched>>>;

/// The whole local edge over one pair of stores.
pub struct Edge<S> {
    viewer: Viewer,
    cache: Mutex<ByteLru<Arc<Fetched>>>,
    inflight: Mutex<HashMap<String, Inflight>>,
    origin: Origin<S>,
    derivatives: S,
    stats: Stats,
    max_derivative_bytes: u64,
    /// The transform pool: renders at once, and renders waiting for a slot.
    render_slots: tokio::sync::Semaphore,
    render_waiting: AtomicU64,
}

/// Renders at once in the local edge: one per core, as a Lambda runs one per instance.
fn render_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Renders that may wait for a slot; beyond this the edge answers 503 with `Retry-After`.
pub const RENDER_QUEUE: u64 = 32;

/// One viewer request.
#[derive(Clone, Copy, Debug)]
pub struct EdgeRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub accept: Option<&'a str>,
    pub referer: Option<&'a str>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the map consistent (no invariant spans an await).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Seconds an edge may keep a response, from `Cache-Control` (`s-maxage` wins, as at CloudFront).
pub fn edge_ttl(cache_control: Option<&str>) -> u64 {
    let Some(cc) = cache_control else { return 0 };
    let mut max_age = None;
    let mut s_maxage = None;
    for directive in cc.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "private" || lower == "no-cache" {
            return 0;
        }
        if let Some(v) = lower.strip_prefix("s-maxage=") {
            s_maxage = v.parse::<u64>().ok();
        } else if let Some(v) = lower.strip_prefix("max-age=") {
            max_age = v.parse::<u64>().ok();
        }
    }
    s_maxage.or(max_age).unwrap_or(0)
}

impl<S: ObjectStore> Edge<S> {
    pub fn new(viewer: Viewer, originals: S, derivatives: S, cache_bytes: u64) -> Edge<S>
    where
        S: Clone,
    {
        let config = viewer.config().clone();
        // A derivative can outgrow its source (a PNG of a small JPEG), hence the floor.
        let max_derivative_bytes = config.limits.max_source_bytes.max(256 << 20);
        Edge {
            origin: Origin::new(config, originals, derivatives.clone()),
            viewer,
            cache: Mutex::new(ByteLru::new(cache_bytes)),
            inflight: Mutex::new(HashMap::new()),
            derivatives,
            stats: Stats::default(),
            max_derivative_bytes,
            render_slots: tokio::sync::Semaphore::new(render_concurrency()),
            render_waiting: AtomicU64::new(0),
        }
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.stats;
        let cache = lock(&self.cache);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: get(&s.requests),
            hits: get(&s.hits),
            misses: get(&s.misses),
            refused: get(&s.refused),
            coalesced: get(&s.coalesced),
            from_derivatives: get(&s.from_derivatives),
            transforms: get(&s.transforms),
            errors: get(&s.errors),
            bytes_out: get(&s.bytes_out),
            cached_objects: cache.len() as u64,
            cached_bytes: cache.used_bytes(),
        }
    }

    /// Drops every cached derivative of an original (what a takedown's invalidation does).
    pub fn invalidate_original(&self, canonical_key_path: &str) -> usize {
        lock(&self.cache).invalidate_prefix(&format!("{canonical_key_path}/"))
    }

    /// Serves one viewer request through the whole path.
    pub async fn handle(&self, req: EdgeRequest<'_>) -> Response {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let head = req.method.eq_ignore_ascii_case("HEAD");
        if !head && !req.method.eq_ignore_ascii_case("GET") {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            let mut r = Response::json(
                405,
                "no-store",
                &serde_json::json!({"error": "method_not_allowed",
                    "message": format!("method {} is not allowed; use GET or HEAD",
                        req.method.chars().take(20).flat_map(char::escape_default).collect::<String>())}),
            );
            r.headers.push(("allow".into(), "GET, HEAD".into()));
            return r;
        }
        let now = now();
        let spec = match self.viewer.request(ViewerInput {
            path: req.path,
            query: req.query,
            accept: req.accept,
            referer: req.referer,
            now,
        }) {
            Ok(spec) => spec,
            Err(refusal) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                let mut r = Response::json(
                    refusal.status,
                    "no-store",
                    &serde_json::json!({"error": refusal.kind, "message": refusal.message}),
                );
                r.headers
                    .push(("x-cache".into(), "FunctionGeneratedResponse".into()));
                if let Some(location) = refusal.location {
                    r.headers.push(("location".into(), location));
                }
                return r;
            }
        };
        let cache_key = spec.canonical_path();

        let cached = lock(&self.cache).get(&cache_key, now).cloned();
        let (fetched, cache_state) = match cached {
            Some(hit) => {
                self.stats.hits.fetch_add(1, Ordering::Relaxed);
                (hit, "Hit")
            }
            None => {
                self.stats.misses.fetch_add(1, Ordering::Relaxed);
                (self.shield(&cache_key, &spec, now).await, "Miss")
            }
        };

        let mut response = fetched.response.clone();
        response
            .headers
            .push(("x-cache".into(), cache_state.into()));
        response
            .headers
            .push(("x-canonical-path".into(), cache_key.clone()));
        // The same viewer URL answers differently by Accept (fmt=auto), so every cache after
        // the edge must key on it too; production's response headers policy adds the same.
        response.headers.push(("vary".into(), "Accept".into()));
        if cache_state == "Hit" {
            response
                .headers
                .push(("age".into(), now.saturating_sub(fetched.at).to_string()));
        }
        if response.status >= 500 {
            self.stats.errors.fetch_add(1, Ordering::Relaxed);
        }
        if head {
            response.body = Bytes::new();
        }
        self.stats
            .bytes_out
            .fetch_add(response.body.len() as u64, Ordering::Relaxed);
        response
    }

    /// Origin Shield: concurrent misses for one canonical path share a single origin fetch.
    async fn shield(&self, cache_key: &str, spec: &Spec, now: u64) -> Arc<Fetched> {
        let cell = lock(&self.inflight)
            .entry(cache_key.to_string())
            .or_default()
            .clone();
        let mut leader = false;
        let fetched = cell
            .get_or_init(|| {
                leader = true;
                async {
                    // A request that missed just before another filled the cache must not
                    // start a second origin fetch.
                    if let Some(hit) = lock(&self.cache).get(cache_key, now).cloned() {
                        return hit;
                    }
                    let response = self.origin_group(cache_key, spec).await;
                    let fetched = Arc::new(Fetched { response, at: now });
                    let ttl = edge_ttl(fetched.response.header("cache-control"));
                    if ttl > 0 {
                        let size = fetched.response.body.len() as u64 + 512;
                        lock(&self.cache).insert(cache_key, fetched.clone(), size, now + ttl);
                    }
                    fetched
                }
            })
            .await
            .clone();
        if leader {
            let mut inflight = lock(&self.inflight);
            if inflight
                .get(cache_key)
                .is_some_and(|c| Arc::ptr_eq(c, &cell))
            {
                inflight.remove(cache_key);
            }
        } else {
            self.stats.coalesced.fetch_add(1, Ordering::Relaxed);
        }
        fetched
    }

    /// The origin group: the derivatives store first; on any failure, the transform function.
    async fn origin_group(&self, cache_key: &str, spec: &Spec) -> Response {
        let key = spec.derivative_key();
        if let Ok(object) = self.derivatives.get(&key, self.max_derivative_bytes).await {
            self.stats.from_derivatives.fetch_add(1, Ordering::Relaxed);
            let mut headers = vec![
                (
                    "content-type".to_string(),
                    object
                        .content_type
                        .unwrap_or_else(|| "application/octet-stream".into()),
                ),
                ("content-length".into(), object.bytes.len().to_string()),
                ("etag".into(), object.etag),
                ("x-origin".into(), "derivatives".into()),
            ];
            if let Some(cc) = object.cache_control {
                headers.push(("cache-control".into(), cc));
            }
            return Response {
                status: 200,
                headers,
                body: object.bytes,
            };
        }
        // A bounded pool: a flood of distinct cold variants waits in a short queue, and beyond
        // it is told to come back, instead of rendering everything at once.
        let waiting = self.render_waiting.fetch_add(1, Ordering::SeqCst);
        if waiting >= RENDER_QUEUE && self.render_slots.available_permits() == 0 {
            self.render_waiting.fetch_sub(1, Ordering::SeqCst);
            return Response::json(
                503,
                "no-store",
                &serde_json::json!({"error": "busy",
                    "message": format!("{RENDER_QUEUE} renders are already waiting; retry in a second")}),
            )
            .with_header("retry-after", "1");
        }
        let permit = self.render_slots.acquire().await;
        self.render_waiting.fetch_sub(1, Ordering::SeqCst);
        let Ok(_permit) = permit else {
            return Response::json(
                503,
                "no-store",
                &serde_json::json!({"error": "busy", "message": "the transform pool is closed"}),
            );
        };
        self.stats.transforms.fetch_add(1, Ordering::Relaxed);
        let (reply, _record) = self
            .origin
            .handle(&Request {
                method: "GET".into(),
                path: cache_key.to_string(),
                request_id: format!("dev-{}", self.stats.transforms.load(Ordering::Relaxed)),
            })
            .await;
        let mut headers: Vec<(String, String)> = reply
            .headers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        headers.push(("x-origin".into(), "transform".into()));
        Response {
            status: reply.status,
            headers,
            body: reply.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::edge_ttl;

    #[test]
    fn ttl_follows_cache_control() {
        assert_eq!(
            edge_ttl(Some("public, max-age=31536000, immutable")),
            31_536_000
        );
        assert_eq!(edge_ttl(Some("max-age=600, s-maxage=60")), 60);
        assert_eq!(edge_ttl(Some("no-store")), 0);
        assert_eq!(edge_ttl(Some("private, max-age=60")), 0);
        assert_eq!(edge_ttl(None), 0);
    }
}
