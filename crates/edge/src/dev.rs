//! `imgfront dev`: the local edge over a pair of stores, the gallery page that shows it working,
//! and a watcher that precomputes new originals (and drops the derivatives of removed ones)
//! through the precompute Lambda's own code.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use imgfront_precompute::Precompute;
use imgfront_spec::{Access, Config, Spec};
use imgfront_store::ObjectStore;

use crate::edge::{Edge, Response};
use crate::gallery;
use crate::viewer::{Keys, Viewer};

pub struct Dev<S> {
    pub edge: Arc<Edge<S>>,
    originals: S,
    keys: Keys,
    /// A folder served as static files under `/_imgfront/site/` (`imgfront dev --site`), so a
    /// page that uses the image URLs can be tried against the edge from the same origin.
    site: Option<std::path::PathBuf>,
}

impl<S: ObjectStore + Clone + 'static> Dev<S> {
    pub fn new(config: Config, keys: Keys, originals: S, derivatives: S, cache_bytes: u64) -> Self {
        let viewer = Viewer::new(config, keys.clone()).allowing_loopback_referers();
        Dev {
            edge: Arc::new(Edge::new(
                viewer,
                originals.clone(),
                derivatives,
                cache_bytes,
            )),
            originals,
            keys,
            site: None,
        }
    }

    /// Serves `dir` under `/_imgfront/site/`.
    pub fn with_site(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.site = Some(dir.into());
        self
    }

    /// A file of the site folder: only plain files inside it, never `..` or hidden names.
    pub async fn site_file(&self, rel: &str) -> Response {
        let not_found = |why: &str| {
            Response::json(
                404,
                "no-store",
                &serde_json::json!({"error": "not_found", "message": why}),
            )
        };
        let Some(root) = &self.site else {
            return not_found("no site folder is served (imgfront dev --site DIR)");
        };
        if rel.split('/').any(|s| s.is_empty() || s.starts_with('.')) {
            return not_found("no such file in the site folder");
        }
        let path = root.join(rel);
        let Ok(bytes) = tokio::fs::read(&path).await else {
            return not_found("no such file in the site folder");
        };
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("html") => "text/html; charset=utf-8",
            Some("js" | "mjs") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("json") => "application/json",
            _ => "application/octet-stream",
        };
        Response {
            status: 200,
            headers: vec![
                ("content-type".into(), kind.into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: Bytes::from(bytes),
        }
    }

    pub fn config(&self) -> &Config {
        self.edge.viewer().config()
    }

    pub fn stats_json(&self) -> Response {
        let value = serde_json::to_value(self.edge.stats()).unwrap_or_default();
        Response::json(200, "no-store", &value)
    }

    /// Every original the gallery can show: keys under a configured tenant.
    pub async fn originals(&self) -> Result<Vec<String>, String> {
        let keys = self.originals.list("").await.map_err(|e| e.to_string())?;
        Ok(keys
            .into_iter()
            .filter(|k| imgfront_spec::Key::from_decoded(self.config(), k).is_ok())
            .collect())
    }

    /// A viewer URL for `key` with `query`, signed with the tenant's first key when it is private.
    pub fn url(&self, key: &imgfront_spec::Key, query: &str) -> String {
        let url = format!("/{}?{query}", key.to_url_path());
        let private = self
            .config()
            .tenant(key.tenant())
            .is_some_and(|t| t.access == Access::Private);
        let secret = self.keys.get(key.tenant()).and_then(|k| k.first());
        match (private, secret) {
            (true, Some(secret)) => match Spec::from_viewer_url(self.config(), &url, None) {
                Ok(req) => format!(
                    "{url}&sig={}",
                    imgfront_spec::sign::sign(secret, &req.signing_string)
                ),
                Err(_) => url,
            },
            _ => url,
        }
    }

    pub async fn gallery(&self) -> Response {
        match self.originals().await {
            Ok(keys) => {
                let html = gallery::page(self, &keys);
                let body = Bytes::from(html);
                Response {
                    status: 200,
                    headers: vec![
                        ("content-type".into(), "text/html; charset=utf-8".into()),
                        ("cache-control".into(), "no-store".into()),
                    ],
                    body,
                }
            }
            Err(e) => Response::json(
                502,
                "no-store",
                &serde_json::json!({"error": "originals_unreadable", "message": e}),
            ),
        }
    }

    /// Polls the originals every `every`: a new key is precomputed, a vanished one has its
    /// derivatives deleted and its cached copies invalidated, as the S3 notifications would.
    pub async fn watch_originals(self: Arc<Self>, precompute: Precompute<S>, every: Duration) {
        let mut known = BTreeSet::new();
        loop {
            match self.originals().await {
                Ok(keys) => {
                    let now: BTreeSet<String> = keys.into_iter().collect();
                    for key in now.difference(&known) {
                        match precompute.render(key, None).await {
                            Ok(r) if !r.written.is_empty() => tracing::info!(
                                key = %key, written = r.written.len(), current = r.current,
                                "precomputed"
                            ),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(key = %key, error = %e, "precompute failed"),
                        }
                    }
                    for key in known.difference(&now) {
                        if let Err(e) = precompute.remove(key).await {
                            tracing::warn!(key = %key, error = %e, "removing derivatives failed");
                        }
                        if let Ok(k) = imgfront_spec::Key::from_decoded(self.config(), key) {
                            let dropped = self
                                .edge
                                .invalidate_original(&format!("/{}", k.to_url_path()));
                            tracing::info!(key = %key, dropped, "original removed");
                        }
                    }
                    known = now;
                }
                Err(e) => tracing::warn!(error = %e, "listing originals failed"),
            }
            tokio::time::sleep(every).await;
        }
    }
}
