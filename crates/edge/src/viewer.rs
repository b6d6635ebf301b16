//! The viewer-request function, in Rust: the same checks the CloudFront Function makes before
//! the cache is consulted (parse and normalise, `fmt=auto` from `Accept`, signatures for private
//! tenants, the per-tenant Referer allowlist that WAF enforces in production).

use std::collections::HashMap;

use imgfront_spec::sign::{self, SignatureError};
use imgfront_spec::{Access, Config, Spec};

/// Why the viewer function answered by itself instead of forwarding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    /// The canonical URL a 301 sends the viewer to.
    pub location: Option<String>,
}

/// Per-tenant signing secrets (the KeyValueStore in production); two per tenant during rotation.
pub type Keys = HashMap<String, Vec<Vec<u8>>>;

pub struct Viewer {
    config: Config,
    keys: Keys,
    /// Accept loopback Referers (the dev gallery embeds every tenant's images).
    loopback_referers: bool,
}

/// The request parts the viewer function reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct ViewerInput<'a> {
    pub path: &'a str,
    pub query: &'a str,
    pub accept: Option<&'a str>,
    pub referer: Option<&'a str>,
    /// Unix seconds, for `exp`.
    pub now: u64,
}

impl Viewer {
    pub fn new(config: Config, keys: Keys) -> Viewer {
        Viewer {
            config,
            keys,
            loopback_referers: false,
        }
    }

    /// The local edge's own pages (on loopback) may embed any tenant's images.
    pub fn allowing_loopback_referers(mut self) -> Viewer {
        self.loopback_referers = true;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The spec to forward (its canonical path is the cache key), or the function's own answer.
    pub fn request(&self, input: ViewerInput<'_>) -> Result<Spec, Refusal> {
        let parsed = Spec::from_viewer(&self.config, input.path, input.query, input.accept)
            .map_err(|e| Refusal {
                status: e.kind.status(),
                kind: e.kind.as_str(),
                message: e.message,
                location: e.location,
            })?;
        let tenant_id = parsed.spec.key.tenant().to_string();
        // `Key` only parses for configured tenants, so the lookup cannot miss.
        let Some(tenant) = self.config.tenant(&tenant_id) else {
            return Err(Refusal {
                status: 404,
                kind: "unknown_tenant",
                message: format!("no tenant {tenant_id}"),
                location: None,
            });
        };
        if let Some(referer) = input.referer
            && !referer_allowed(&tenant.allowed_referers, referer)
            && !(self.loopback_referers && is_loopback(referer))
        {
            return Err(Refusal {
                status: 403,
                kind: "referer_not_allowed",
                message: format!(
                    "tenant {tenant_id} does not allow embedding from {}",
                    imgfront_spec::printable(&referer_host(referer))
                ),
                location: None,
            });
        }
        if tenant.access == Access::Private {
            let secrets: Vec<&[u8]> = self
                .keys
                .get(&tenant_id)
                .map(|k| k.iter().map(Vec::as_slice).collect())
                .unwrap_or_default();
            if secrets.is_empty() {
                return Err(Refusal {
                    status: 403,
                    kind: "no_signing_key",
                    message: format!("tenant {tenant_id} is private and has no signing key"),
                    location: None,
                });
            }
            sign::verify(&parsed, &secrets, input.now).map_err(|e| Refusal {
                status: 403,
                kind: match e {
                    SignatureError::Missing => "signature_missing",
                    SignatureError::Expired => "signature_expired",
                    SignatureError::TooFarAhead => "signature_expiry_too_far",
                    SignatureError::Mismatch => "signature_mismatch",
                },
                message: e.to_string(),
                location: None,
            })?;
        }
        Ok(parsed.spec)
    }
}

fn referer_host(referer: &str) -> String {
    let host = referer
        .split_once("://")
        .map_or(referer, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_ascii_lowercase();
    }
    host.split(':').next().unwrap_or("").to_ascii_lowercase()
}

fn is_loopback(referer: &str) -> bool {
    let host = referer_host(referer);
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An empty list allows every site; a request without a Referer is allowed (privacy settings
/// and direct visits omit it), as the production WAF rule does.
pub fn referer_allowed(allowed: &[String], referer: &str) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let host = referer_host(referer);
    allowed.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(base) => host.len() > base.len() + 1 && host.ends_with(&format!(".{base}")),
            None => host == pattern,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn viewer() -> Viewer {
        let keys = [("acme".to_string(), vec![b"old".to_vec(), b"new".to_vec()])].into();
        Viewer::new(Config::embedded(), keys)
    }

    fn input(path: &str, query: &str) -> ViewerInput<'static> {
        ViewerInput {
            path: Box::leak(path.to_string().into_boxed_str()),
            query: Box::leak(query.to_string().into_boxed_str()),
            accept: Some("image/webp,*/*"),
            referer: None,
            now: 1_000,
        }
    }

    #[test]
    fn public_requests_normalise() {
        let spec = viewer()
            .request(input("/demo/a.jpg", "utm_source=x&W=300&dpr=2&fmt=auto"))
            .unwrap();
        assert_eq!(spec.canonical_path(), "/demo/a.jpg/fmt_webp,w_640");
    }

    #[test]
    fn invalid_requests_get_the_spec_reason() {
        let refusal = viewer()
            .request(input("/demo/a.jpg", "w=99999"))
            .unwrap_err();
        assert_eq!(refusal.status, 400);
        assert!(refusal.message.contains("99999"), "{}", refusal.message);
    }

    #[test]
    fn private_tenants_need_a_current_signature_from_either_key() {
        let v = viewer();
        let missing = v.request(input("/acme/a.jpg", "w=300")).unwrap_err();
        assert_eq!((missing.status, missing.kind), (403, "signature_missing"));
        for secret in [b"old".as_slice(), b"new"] {
            let sig = sign::sign(secret, "/acme/a.jpg?exp=2000&w=300");
            let ok = v.request(input("/acme/a.jpg", &format!("w=300&exp=2000&sig={sig}")));
            assert!(ok.is_ok(), "{ok:?}");
        }
        let sig = sign::sign(b"old", "/acme/a.jpg?exp=500&w=300");
        let expired = v
            .request(input("/acme/a.jpg", &format!("w=300&exp=500&sig={sig}")))
            .unwrap_err();
        assert_eq!(expired.kind, "signature_expired");
        let other = sign::sign(b"stranger", "/acme/a.jpg?w=300");
        let forged = v
            .request(input("/acme/a.jpg", &format!("w=300&sig={other}")))
            .unwrap_err();
        assert_eq!(forged.kind, "signature_mismatch");
    }

    #[test]
    fn other_spellings_of_a_path_are_sent_to_the_canonical_one() {
        let refusal = viewer()
            .request(input("/%64emo/caf%c3%a9.jpg", "w=300"))
            .unwrap_err();
        assert_eq!((refusal.status, refusal.kind), (301, "moved"));
        assert_eq!(
            refusal.location.as_deref(),
            Some("/demo/caf%C3%A9.jpg?w=300")
        );
        let refusal = viewer().request(input("/demo/%2561.jpg", "")).unwrap_err();
        assert_eq!((refusal.status, refusal.kind), (400, "bad_encoding"));
        assert_eq!(refusal.location, None);
    }

    #[test]
    fn shared_referer_vectors_agree_with_the_cloudfront_function() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/referer.json"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let cases = doc["cases"].as_array().unwrap();
        assert!(cases.len() >= 15);
        for case in cases {
            let allowed: Vec<String> = serde_json::from_value(case["allowed"].clone()).unwrap();
            let referer = case["referer"].as_str().unwrap();
            assert_eq!(
                referer_allowed(&allowed, referer),
                case["expect"].as_bool().unwrap(),
                "{referer} against {allowed:?}"
            );
        }
    }

    #[test]
    fn referer_allowlist_matches_hosts_and_wildcards() {
        let allowed = vec!["acme.example".to_string(), "*.acme.example".to_string()];
        assert!(referer_allowed(&allowed, "https://acme.example/page"));
        assert!(referer_allowed(
            &allowed,
            "https://shop.acme.example:8443/x"
        ));
        assert!(!referer_allowed(
            &allowed,
            "https://evil.example/acme.example"
        ));
        assert!(!referer_allowed(
            &allowed,
            "https://acme.example.evil.example/"
        ));
        assert!(!referer_allowed(&allowed, "https://notacme.example/"));
        assert!(referer_allowed(&[], "https://anyone.example/"));
        assert!(is_loopback("http://127.0.0.1:8787/") && is_loopback("http://[::1]:80/x"));
        assert!(!is_loopback("http://127.example/"));
    }
}
