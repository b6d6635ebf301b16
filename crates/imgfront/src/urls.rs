//! `imgfront url`, `imgfront srcset` and `imgfront canon --stdin`: viewer URLs built in their
//! shortest canonical spelling (so no candidate is a second cache object), signed on request.

use std::io::BufRead;

use imgfront_spec::{Config, Key, Spec, sign};

/// The Accept headers `fmt=auto` is resolved under, to learn which `q` survives for each.
const AUTO_ACCEPTS: [&str; 2] = ["image/avif,*/*", "image/webp,*/*"];

/// The shortest query that canonicalises like `query` does for `key`: the canonical operations
/// as parameters, with `fmt=auto` kept as `auto` (it resolves per viewer).
pub fn shortest_query(config: &Config, key: &Key, query: &str) -> Result<String, String> {
    let auto = query.split('&').any(|p| {
        p.split_once('=')
            .is_some_and(|(n, v)| n.eq_ignore_ascii_case("fmt") && v.eq_ignore_ascii_case("auto"))
    });
    let path = format!("/{}?{query}", key.to_url_path());
    let ops = |accept: Option<&str>| -> Result<Vec<(String, String)>, String> {
        let req = Spec::from_viewer_url(config, &path, accept)
            .map_err(|e| format!("{} ({})", e.message, e.kind.as_str()))?;
        let canonical = req.spec.canonical_path();
        let segment = canonical.rsplit_once('/').map_or("_", |(_, s)| s);
        Ok(segment
            .split(',')
            .filter_map(|op| op.split_once('_'))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect())
    };
    let mut pairs = ops(None)?;
    if auto {
        // The resolved format's default quality is dropped from its path; a q that survives
        // for any format the viewer may get must stay in the URL.
        let mut q = None;
        for accept in AUTO_ACCEPTS {
            q = q.or(ops(Some(accept))?
                .into_iter()
                .find(|(n, _)| n == "q")
                .map(|(_, v)| v));
        }
        pairs.retain(|(n, _)| n != "fmt" && n != "q");
        pairs.push(("fmt".into(), "auto".into()));
        if let Some(q) = q {
            pairs.push(("q".into(), q));
        }
        pairs.sort();
    }
    Ok(pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&"))
}

/// The viewer URL of `key` with `query`, shortest, under `base`, signed with `secret` (and
/// expiring at `exp`) when given.
pub fn viewer_url(
    config: &Config,
    base: &str,
    key: &str,
    query: &str,
    secret: Option<&str>,
    exp: Option<u64>,
) -> Result<String, String> {
    let key = Key::from_decoded(config, key.trim_start_matches('/')).map_err(|e| e.message)?;
    let mut q = shortest_query(config, &key, query)?;
    if let Some(exp) = exp {
        q = if q.is_empty() {
            format!("exp={exp}")
        } else {
            format!("{q}&exp={exp}")
        };
    }
    let mut path = format!("/{}", key.to_url_path());
    if !q.is_empty() {
        path = format!("{path}?{q}");
    }
    if let Some(secret) = secret {
        let req = Spec::from_viewer_url(config, &path, None).map_err(|e| e.message)?;
        let sig = sign::sign(secret.as_bytes(), &req.signing_string);
        path = format!("{path}{}sig={sig}", if q.is_empty() { '?' } else { '&' });
    }
    Ok(format!("{}{path}", base.trim_end_matches('/')))
}

/// `srcset` candidates at `widths` (default: the breakpoints from 320 to 2560, each already
/// canonical), with `sizes`, as `<img>` attributes.
pub fn srcset(
    config: &Config,
    base: &str,
    key: &str,
    query: &str,
    widths: Option<&[u32]>,
    sizes: &str,
) -> Result<String, String> {
    let defaults: Vec<u32> = config
        .breakpoints
        .width
        .iter()
        .copied()
        .filter(|w| (320..=2560).contains(w))
        .collect();
    let widths = widths.unwrap_or(&defaults);
    let mut candidates = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for w in widths {
        let q = if query.is_empty() {
            format!("w={w}")
        } else {
            format!("{query}&w={w}")
        };
        let url = viewer_url(config, base, key, &q, None, None)?;
        // The descriptor is the width the URL snapped to; two requested widths that snap to
        // one breakpoint are one candidate.
        let snapped = url
            .rsplit(['?', '&'])
            .find_map(|p| p.strip_prefix("w="))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(*w);
        if seen.insert(url.clone()) {
            candidates.push((url, snapped));
        }
    }
    let src = candidates
        .get(candidates.len() / 2)
        .map(|(u, _)| u.clone())
        .unwrap_or_default();
    let list: Vec<String> = candidates
        .iter()
        .map(|(u, w)| format!("{u} {w}w"))
        .collect();
    Ok(format!(
        "src=\"{src}\" srcset=\"{}\" sizes=\"{sizes}\"",
        list.join(", ")
    ))
}

/// Reads `URL[<TAB>ACCEPT]` lines and prints each one's canonical path, or `error KIND` and the
/// message: one process for a whole list (the TypeScript client's tests use it).
pub fn canon_lines(config: &Config, input: impl BufRead) -> Result<(), String> {
    for line in input.lines() {
        let line = line.map_err(|e| e.to_string())?;
        let (url, accept) = match line.split_once('\t') {
            Some((u, a)) => (u, Some(a).filter(|a| !a.is_empty())),
            None => (line.as_str(), None),
        };
        match Spec::from_viewer_url(config, url, accept) {
            Ok(req) => println!("{}", req.spec.canonical_path()),
            Err(e) => println!("error {} {}", e.kind.as_str(), e.message),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shortest_and_canonicalise_to_what_was_asked() {
        let c = Config::embedded();
        let url = viewer_url(
            &c,
            "https://img.example",
            "demo/red shoe.jpg",
            "W=300&dpr=2&utm=1&fit=cover&q=81",
            None,
            None,
        )
        .expect("url");
        assert_eq!(url, "https://img.example/demo/red%20shoe.jpg?q=85&w=640");
        let auto =
            viewer_url(&c, "", "demo/a.jpg", "w=640&fmt=auto&q=80", None, None).expect("auto");
        // q=80 is JPEG's and WebP's default but not AVIF's (50): it stays.
        assert_eq!(auto, "/demo/a.jpg?fmt=auto&q=80&w=640");
        assert!(
            viewer_url(&c, "", "demo/a.jpg", "w=99999", None, None)
                .expect_err("too wide")
                .contains("99999")
        );
    }

    #[test]
    fn srcset_candidates_are_distinct_breakpoints() {
        let c = Config::embedded();
        let html = srcset(
            &c,
            "",
            "demo/a.jpg",
            "fmt=auto",
            Some(&[300, 310, 640]),
            "50vw",
        )
        .expect("srcset");
        assert_eq!(
            html,
            "src=\"/demo/a.jpg?fmt=auto&w=640\" srcset=\"/demo/a.jpg?fmt=auto&w=320 320w, /demo/a.jpg?fmt=auto&w=640 640w\" sizes=\"50vw\""
        );
    }
}
