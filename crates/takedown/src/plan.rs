//! Invalidation planning, pure: which paths a takedown must invalidate, and how a batch of
//! takedowns is packed into as few `CreateInvalidation` calls as CloudFront's limits allow.
//!
//! CloudFront allows 3,000 exact paths but only 15 wildcard paths in progress per distribution.
//! Takedown lists the derivatives that exist, so it invalidates exact paths; a wildcard is used
//! only for a key with more derivatives than [`WILDCARD_OVER`], where one wildcard replaces them.

use sha2::{Digest, Sha256};

/// Exact paths allowed in progress per distribution (and so per invalidation).
pub const MAX_PATHS_IN_PROGRESS: usize = 3000;
/// Wildcard paths allowed in progress per distribution.
pub const MAX_WILDCARDS_IN_PROGRESS: usize = 15;
/// A key with more derivatives than this is invalidated with one wildcard instead.
pub const WILDCARD_OVER: usize = 500;

/// The paths of one takedown request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: String,
    pub paths: Vec<String>,
}

/// One `CreateInvalidation` call: its paths, the requests it covers, and an idempotency token
/// derived from them, so redelivering the same requests never creates a second invalidation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub caller_reference: String,
    pub paths: Vec<String>,
    pub requests: Vec<String>,
}

impl Batch {
    pub fn wildcards(&self) -> usize {
        self.paths.iter().filter(|p| p.ends_with('*')).count()
    }
}

/// Paths for one original: the viewer URI (`/{key}`) and the rewritten URI of every derivative
/// (`/{key}/{ops}`), all in the encoding the viewer-request function produces. Over
/// [`WILDCARD_OVER`] derivatives, `/{key}/*` replaces them.
pub fn paths_for(key_url_path: &str, derivative_ops: &[String]) -> Vec<String> {
    let mut paths = vec![format!("/{key_url_path}")];
    if derivative_ops.len() > WILDCARD_OVER {
        paths.push(format!("/{key_url_path}/*"));
    } else {
        paths.extend(
            derivative_ops
                .iter()
                .map(|ops| format!("/{key_url_path}/{ops}")),
        );
    }
    paths
}

/// Packs whole requests into batches of at most `MAX_PATHS_IN_PROGRESS` paths and
/// `MAX_WILDCARDS_IN_PROGRESS` wildcards, in order.
pub fn pack(requests: &[Request]) -> Vec<Batch> {
    let mut batches: Vec<Batch> = Vec::new();
    let mut current: Option<Batch> = None;
    for r in requests {
        let wild = r.paths.iter().filter(|p| p.ends_with('*')).count();
        let fits = current.as_ref().is_some_and(|b| {
            b.paths.len() + r.paths.len() <= MAX_PATHS_IN_PROGRESS
                && b.wildcards() + wild <= MAX_WILDCARDS_IN_PROGRESS
        });
        if !fits && let Some(done) = current.take() {
            batches.push(done);
        }
        let b = current.get_or_insert_with(|| Batch {
            caller_reference: String::new(),
            paths: Vec::new(),
            requests: Vec::new(),
        });
        b.paths.extend(r.paths.iter().cloned());
        b.requests.push(r.id.clone());
    }
    batches.extend(current);
    for b in &mut batches {
        b.paths.sort();
        b.paths.dedup();
        b.caller_reference = caller_reference(&b.requests, &b.paths);
    }
    batches
}

/// `takedown-` + a digest of the sorted request ids and paths (CloudFront allows 128 chars).
pub fn caller_reference(requests: &[String], paths: &[String]) -> String {
    let mut ids = requests.to_vec();
    ids.sort();
    let mut h = Sha256::new();
    for id in &ids {
        h.update(id.as_bytes());
        h.update([0]);
    }
    h.update([1]);
    for p in paths {
        h.update(p.as_bytes());
        h.update([0]);
    }
    format!("takedown-{}", &hex::encode(h.finalize())[..40])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, n: usize) -> Request {
        Request {
            id: id.into(),
            paths: paths_for(
                &format!("demo/{id}.jpg"),
                &(0..n).map(|i| format!("w_{i}")).collect::<Vec<_>>(),
            ),
        }
    }

    #[test]
    fn requests_pack_within_the_limits_and_stay_whole() {
        let reqs: Vec<Request> = (0..1000).map(|i| req(&format!("r{i}"), 8)).collect();
        let batches = pack(&reqs);
        // 9 paths each: 333 requests fit in 2,997 paths.
        assert_eq!(batches.len(), 4);
        let mut covered = Vec::new();
        for b in &batches {
            assert!(b.paths.len() <= MAX_PATHS_IN_PROGRESS);
            assert!(b.wildcards() <= MAX_WILDCARDS_IN_PROGRESS);
            covered.extend(b.requests.iter().cloned());
        }
        assert_eq!(covered.len(), 1000);
        let all: usize = batches.iter().map(|b| b.paths.len()).sum();
        assert_eq!(all, 9000);
    }

    #[test]
    fn wildcards_are_used_only_for_huge_keys_and_capped() {
        let small = paths_for("demo/a.jpg", &["w_160".into()]);
        assert_eq!(small, ["/demo/a.jpg", "/demo/a.jpg/w_160"]);
        let reqs: Vec<Request> = (0..40)
            .map(|i| req(&format!("big{i}"), WILDCARD_OVER + 1))
            .collect();
        assert_eq!(reqs[0].paths, ["/demo/big0.jpg", "/demo/big0.jpg/*"]);
        let batches = pack(&reqs);
        assert!(
            batches
                .iter()
                .all(|b| b.wildcards() <= MAX_WILDCARDS_IN_PROGRESS)
        );
        assert_eq!(batches.len(), 3);
    }

    #[test]
    fn caller_reference_is_stable_and_order_free() {
        let a = caller_reference(&["x".into(), "y".into()], &["/p".into()]);
        let b = caller_reference(&["y".into(), "x".into()], &["/p".into()]);
        let c = caller_reference(&["x".into()], &["/p".into()]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.len() <= 128);
    }
}
