//! The emulated CloudFront path, in production order: viewer function → edge cache → Origin
//! Shield (one origin fetch per cold canonical path, however many ask at once) → origin group
//! (the derivatives store, failing over to the transform core the Lambda runs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use imgfront_engine::interrupt::Cancel;
pub use imgfront_origin::Response;
use imgfront_origin::{Origin, Request};
use imgfront_spec::Spec;
use imgfront_store::ObjectStore;
use serde::Serialize;
use tokio::sync::watch;

use crate::lru::ByteLru;
use crate::viewer::{Viewer, ViewerInput};

/// What the origin group answered, as the edge caches it.
struct Fetched {
    response: Response,
    /// Unix seconds when the edge got it, for `age`.
    at: u64,
    /// Until when it is fresh; after that it is kept for `stale-if-error` more seconds, to be
    /// served only while the origin fails.
    fresh_until: u64,
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
    /// Renders stopped early because every request waiting for them went away.
    pub cancelled: AtomicU64,
    /// Expired copies served because the origin failed (`stale-if-error`).
    pub stale_served: AtomicU64,
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
    pub cancelled: u64,
    pub stale_served: u64,
    pub from_derivatives: u64,
    pub transforms: u64,
    pub errors: u64,
    pub bytes_out: u64,
    pub cached_objects: u64,
    pub cached_bytes: u64,
}

/// One origin fetch for a canonical path, shared by every request that misses on it while
/// it runs. It runs as its own task, so the request that started it may leave without
/// stopping it for the others; when the last waiter leaves, its render is cancelled.
struct Flight {
    done: watch::Receiver<Option<Arc<Fetched>>>,
    waiters: AtomicU64,
    cancel: Cancel,
}

type Inflight = Arc<Flight>;

/// One request's wait on a flight; dropping it unfinished (the viewer went away) leaves the
/// flight, and the last to leave cancels it and forgets it, so a later request starts afresh.
struct Waiter<'a, S: ObjectStore + 'static> {
    edge: &'a Edge<S>,
    key: &'a str,
    flight: Inflight,
    finished: bool,
}

impl<S: ObjectStore + 'static> Drop for Waiter<'_, S> {
    fn drop(&mut self) {
        let last = self.flight.waiters.fetch_sub(1, Ordering::SeqCst) == 1;
        if self.finished || !last || self.flight.done.borrow().is_some() {
            return;
        }
        self.flight.cancel.cancel();
        let mut inflight = lock(&self.edge.inflight);
        if inflight
            .get(self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            inflight.remove(self.key);
        }
    }
}

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

/// Seconds an expired response may still be served while the origin fails (`stale-if-error`).
pub fn stale_if_error(cache_control: Option<&str>) -> u64 {
    cache_control
        .into_iter()
        .flat_map(|cc| cc.split(','))
        .find_map(|d| {
            d.trim()
                .to_ascii_lowercase()
                .strip_prefix("stale-if-error=")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
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

impl<S: ObjectStore + 'static> Edge<S> {
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
            cancelled: get(&s.cancelled),
            stale_served: get(&s.stale_served),
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
    pub async fn handle(self: &Arc<Self>, req: EdgeRequest<'_>) -> Response {
        self.handle_at(req, now()).await
    }

    /// [`Edge::handle`] at `now` (Unix seconds), so tests can move the clock past a TTL.
    pub async fn handle_at(self: &Arc<Self>, req: EdgeRequest<'_>, now: u64) -> Response {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let head = req.method.eq_ignore_ascii_case("HEAD");
        if !head && !req.method.eq_ignore_ascii_case("GET") {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            let mut r = Response::json(
                405,
                "no-store",
                &serde_json::json!({"error": "method_not_allowed",
                    "message": format!("method {} is not allowed; use GET or HEAD",
                        imgfront_spec::printable(req.method))}),
            );
            r.headers.push(("allow".into(), "GET, HEAD".into()));
            return r;
        }
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
            Some(hit) if now < hit.fresh_until => {
                self.stats.hits.fetch_add(1, Ordering::Relaxed);
                (hit, "Hit")
            }
            stale => {
                self.stats.misses.fetch_add(1, Ordering::Relaxed);
                let fetched = self.shield(&cache_key, &spec, now).await;
                match stale {
                    // stale-if-error: while the origin fails, the expired copy still serves.
                    Some(stale) if fetched.response.status >= 500 => {
                        self.stats.stale_served.fetch_add(1, Ordering::Relaxed);
                        (stale, "StaleHit")
                    }
                    _ => (fetched, "Miss"),
                }
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

    /// Origin Shield: misses for one canonical path share a single origin fetch, whether they
    /// arrive together or while its render is already running.
    async fn shield(self: &Arc<Self>, cache_key: &str, spec: &Spec, now: u64) -> Arc<Fetched> {
        let (flight, leader) = {
            let mut inflight = lock(&self.inflight);
            match inflight.get(cache_key) {
                Some(flight) => (flight.clone(), false),
                None => {
                    let (tx, done) = watch::channel(None);
                    let flight = Arc::new(Flight {
                        done,
                        waiters: AtomicU64::new(0),
                        cancel: Cancel::new(),
                    });
                    inflight.insert(cache_key.to_string(), flight.clone());
                    self.fly(cache_key, spec, now, &flight, tx);
                    (flight, true)
                }
            }
        };
        if !leader {
            self.stats.coalesced.fetch_add(1, Ordering::Relaxed);
        }
        flight.waiters.fetch_add(1, Ordering::SeqCst);
        let mut waiter = Waiter {
            edge: self,
            key: cache_key,
            flight: flight.clone(),
            finished: false,
        };
        let mut done = flight.done.clone();
        let fetched = done
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|v| v.clone());
        waiter.finished = true;
        fetched.unwrap_or_else(|| {
            // The fetch task ended without an answer: it panicked.
            Arc::new(Fetched {
                response: Response::json(
                    502,
                    "no-store",
                    &serde_json::json!({"error": "origin_failed",
                        "message": "the origin fetch for this path failed; retry"}),
                ),
                at: now,
                fresh_until: now,
            })
        })
    }

    /// Starts the origin fetch of a new flight as its own task.
    fn fly(
        self: &Arc<Self>,
        cache_key: &str,
        spec: &Spec,
        now: u64,
        flight: &Inflight,
        tx: watch::Sender<Option<Arc<Fetched>>>,
    ) {
        let (edge, key, spec, flight) = (
            self.clone(),
            cache_key.to_string(),
            spec.clone(),
            flight.clone(),
        );
        tokio::spawn(async move {
            // A request that missed just before another filled the cache must not start a
            // second origin fetch.
            let cached = lock(&edge.cache)
                .get(&key, now)
                .filter(|f| now < f.fresh_until)
                .cloned();
            let fetched = match cached {
                Some(hit) => hit,
                None => {
                    let response = edge.origin_group(&key, &spec, &flight.cancel).await;
                    if response.status == 499 {
                        edge.stats.cancelled.fetch_add(1, Ordering::Relaxed);
                    }
                    let cc = response.header("cache-control").map(str::to_string);
                    let ttl = edge_ttl(cc.as_deref());
                    let fetched = Arc::new(Fetched {
                        response,
                        at: now,
                        fresh_until: now + ttl,
                    });
                    if ttl > 0 && !flight.cancel.is_cancelled() {
                        let size = fetched.response.body.len() as u64 + 512;
                        let kept = now + ttl + stale_if_error(cc.as_deref());
                        lock(&edge.cache).insert(&key, fetched.clone(), size, kept);
                    }
                    fetched
                }
            };
            let _ = tx.send(Some(fetched));
            let mut inflight = lock(&edge.inflight);
            if inflight.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                inflight.remove(&key);
            }
        });
    }

    /// The origin group: the derivatives store first; on any failure, the transform function.
    async fn origin_group(&self, cache_key: &str, spec: &Spec, cancel: &Cancel) -> Response {
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
        if cancel.is_cancelled() {
            // Everyone left while it queued: the render never starts.
            return Response::json(
                499,
                "no-store",
                &serde_json::json!({"error": "cancelled", "message": "nobody waits for this render"}),
            );
        }
        self.stats.transforms.fetch_add(1, Ordering::Relaxed);
        let (reply, _record) = self
            .origin
            .handle(&Request {
                method: "GET".into(),
                path: cache_key.to_string(),
                request_id: format!("dev-{}", self.stats.transforms.load(Ordering::Relaxed)),
                cancel: Some(cancel.clone()),
            })
            .await;
        reply.with_header("x-origin", "transform")
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
