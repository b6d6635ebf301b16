//! `imgfront dev` over HTTP: the viewer function's answers, edge hits and misses, the origin
//! group's failover and stored derivatives, Origin Shield coalescing, signatures, and the S3
//! mode against moto where new originals are precomputed by the precompute Lambda's code.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use imgfront_edge::Dev;
use imgfront_edge::client::Client;
use imgfront_engine::probe;
use imgfront_precompute::Precompute;
use imgfront_spec::sign;
use imgfront_spec::{Config, Spec};
use imgfront_store::{AnyStore, ObjectStore, S3Store};
use imgfront_testkit::{Moto, repo_root};

const CHROME_ACCEPT: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

fn dims(bytes: &[u8]) -> (u32, u32) {
    let format = probe::sniff(bytes).unwrap();
    let h = probe::header(format, bytes).unwrap();
    (h.width, h.height)
}

#[tokio::test]
async fn misses_transform_store_and_then_hit() {
    let derivatives = common::scratch("hit");
    let (addr, dev) = common::start(derivatives.clone()).await;
    let mut c = Client::connect(addr).await.unwrap();

    let url = "/demo/harbour.jpg?utm_source=news&W=300&dpr=2&fmt=auto";
    let first = c.get(url, CHROME_ACCEPT).await.unwrap();
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.header("x-cache"), Some("Miss"));
    assert_eq!(first.header("x-origin"), Some("transform"));
    assert_eq!(first.header("content-type"), Some("image/avif"));
    assert_eq!(
        first.header("x-canonical-path"),
        Some("/demo/harbour.jpg/fmt_avif,w_640")
    );
    assert_eq!(dims(&first.body), (640, 427));
    // The transform stored the derivative under the canonical key, as in S3.
    let stored = std::fs::read(derivatives.join("demo/harbour.jpg/fmt_avif,w_640")).unwrap();
    assert_eq!(stored, first.body.to_vec());

    // Same canonical path through different junk, order and case: an edge hit.
    let second = c
        .get(
            "/demo/harbour.jpg?fmt=auto&dpr=2&w=300&fbclid=x1",
            CHROME_ACCEPT,
        )
        .await
        .unwrap();
    assert_eq!(second.header("x-cache"), Some("Hit"));
    assert_eq!(second.body, first.body);
    // fmt=auto: the bytes depend on Accept, and both answers say so to downstream caches.
    assert_eq!(first.header("vary"), Some("Accept"));
    assert_eq!(second.header("vary"), Some("Accept"));
    assert!(second.header("age").is_some());

    // Another browser negotiates another object.
    let webp = c
        .get("/demo/harbour.jpg?w=600&fmt=auto", "image/webp,*/*")
        .await
        .unwrap();
    assert_eq!(webp.header("content-type"), Some("image/webp"));
    assert_eq!(webp.header("x-cache"), Some("Miss"));

    let head = c
        .send("HEAD", url, &[("accept", CHROME_ACCEPT)])
        .await
        .unwrap();
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.header("x-cache"), Some("Hit"));

    let stats = dev.edge.stats();
    assert_eq!((stats.hits, stats.misses, stats.transforms), (2, 2, 2));

    // A fresh edge (empty cache) over the same store: the primary origin answers.
    let config = Config::embedded();
    let restarted = Arc::new(Dev::new(
        config.clone(),
        common::keys(&config),
        AnyStore::Fs(imgfront_store::FsStore::new(
            repo_root().join("demo/originals"),
        )),
        AnyStore::Fs(imgfront_store::FsStore::new(derivatives)),
        1 << 20,
    ));
    let (addr2, dev2) = common::serve(restarted).await;
    let mut c2 = Client::connect(addr2).await.unwrap();
    let again = c2.get(url, CHROME_ACCEPT).await.unwrap();
    assert_eq!(again.header("x-cache"), Some("Miss"));
    assert_eq!(again.header("x-origin"), Some("derivatives"));
    assert_eq!(again.header("content-type"), Some("image/avif"));
    assert_eq!(again.body, first.body);
    assert_eq!(dev2.edge.stats().transforms, 0);
}

/// URL, extra headers, expected status, a phrase the error must contain.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);

#[tokio::test]
async fn the_viewer_function_refuses_with_specific_reasons() {
    let (addr, dev) = common::start(common::scratch("refuse")).await;
    let mut c = Client::connect(addr).await.unwrap();
    let cases: &[Case] = &[
        ("/demo/harbour.jpg?w=99999", &[], 400, "99999"),
        ("/demo/../etc/passwd?w=100", &[], 400, ""),
        ("/nobody/a.jpg?w=100", &[], 404, "nobody"),
        ("/acme/sneaker.jpg?w=320", &[], 403, "signature"),
        (
            "/acme/sneaker.jpg?w=320&sig=AAAA",
            &[],
            403,
            "does not match",
        ),
        (
            "/demo/harbour.jpg?w=320",
            &[("referer", "https://elsewhere.example/")],
            200,
            "",
        ),
    ];
    for (url, headers, status, needle) in cases {
        let mut h = vec![("accept", "image/webp")];
        h.extend_from_slice(headers);
        let r = c.send("GET", url, &h).await.unwrap();
        let body = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, *status, "{url}: {body}");
        if *status != 200 {
            assert!(body.contains(needle), "{url}: {body}");
            assert_eq!(r.header("x-cache"), Some("FunctionGeneratedResponse"));
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(json["error"].is_string() && json["message"].is_string());
        }
    }
    let post = c.send("POST", "/demo/harbour.jpg", &[]).await.unwrap();
    assert_eq!(post.status, 405);
    // Error bodies quote at most a short, escaped prefix of what the request sent.
    let long = "X".repeat(5000);
    let method = c.send(&long, "/demo/harbour.jpg", &[]).await.unwrap();
    assert_eq!(method.status, 405);
    assert!(method.body.len() < 300, "{} bytes", method.body.len());
    assert!(String::from_utf8_lossy(&method.body).contains(&format!("{}…", &long[..40])));

    // A private tenant: a valid signature passes; the Referer allowlist is enforced.
    let config = Config::embedded();
    let signing = Spec::from_viewer_url(&config, "/acme/sneaker.jpg?w=320&fmt=webp", None)
        .unwrap()
        .signing_string;
    let sig = sign::sign(common::SECRET, &signing);
    let url = format!("/acme/sneaker.jpg?w=320&fmt=webp&sig={sig}");
    let ok = c.get(&url, "image/webp").await.unwrap();
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(dims(&ok.body).0, 320);
    let allowed = c
        .send("GET", &url, &[("referer", "https://shop.acme.example/p/1")])
        .await
        .unwrap();
    assert_eq!(allowed.status, 200);
    let hotlinked = c
        .send("GET", &url, &[("referer", "https://hotlinker.example/")])
        .await
        .unwrap();
    assert_eq!(hotlinked.status, 403);
    assert!(String::from_utf8_lossy(&hotlinked.body).contains("hotlinker.example"));
    let host = format!("https://{}.example/", "h".repeat(3000));
    let hotlinked = c.send("GET", &url, &[("referer", &host)]).await.unwrap();
    assert_eq!(hotlinked.status, 403);
    assert!(hotlinked.body.len() < 300, "{} bytes", hotlinked.body.len());
    assert_eq!(dev.edge.stats().refused, 9);
}

#[tokio::test]
async fn concurrent_cold_requests_cause_exactly_one_transform() {
    let (addr, dev) = common::start(common::scratch("coalesce")).await;
    const N: usize = 24;
    let mut tasks = Vec::new();
    for i in 0..N {
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr).await.unwrap();
            // Different junk per viewer, one canonical path.
            let url = format!("/demo/badge.png?w=1200&fmt=avif&cb={i}");
            c.get(&url, CHROME_ACCEPT).await.unwrap()
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200);
        bodies.push(r.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let stats = dev.edge.stats();
    assert_eq!(stats.transforms, 1, "{stats:?}");
    assert_eq!(stats.requests, N as u64);
    assert_eq!(stats.hits + stats.misses, N as u64);
    assert_eq!(stats.coalesced + 1 + stats.hits, N as u64, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_distinct_cold_variants_queues_then_gets_503_with_retry_after() {
    let (addr, dev) = common::start(common::scratch("pool")).await;
    // Far more distinct variants at once than the pool (one per core) plus its queue.
    let n = 2 * imgfront_edge::edge::RENDER_QUEUE as usize + 40;
    let mut tasks = Vec::new();
    for i in 0..n {
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr).await.unwrap();
            // Distinct canonical paths: every width breakpoint from 320 up, at every quality.
            let widths = [320, 400, 480, 560, 640, 720, 800, 960, 1080, 1200, 1280];
            let qualities = [20, 30, 40, 50, 60, 65, 70, 75, 80, 85, 90, 95, 100];
            let url = format!(
                "/demo/harbour.jpg?w={}&q={}&fmt=webp",
                widths[i % widths.len()],
                qualities[i / widths.len()]
            );
            c.get(&url, CHROME_ACCEPT).await.unwrap()
        }));
    }
    let (mut ok, mut busy) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => ok += 1,
            503 => {
                assert_eq!(r.header("retry-after"), Some("1"));
                assert!(String::from_utf8_lossy(&r.body).contains("renders are already waiting"));
                busy += 1;
            }
            other => panic!("status {other}: {}", String::from_utf8_lossy(&r.body)),
        }
    }
    println!("{n} distinct cold variants at once: {ok} rendered, {busy} told to retry");
    assert!(busy > 0, "the queue must have overflowed");
    assert!(
        ok > imgfront_edge::edge::RENDER_QUEUE as usize / 2,
        "{ok} rendered"
    );
    // Nothing told to retry was cached: the same URL renders once the flood is over.
    let stats = dev.edge.stats();
    assert_eq!(stats.transforms, ok as u64, "{stats:?}");
}

#[tokio::test]
async fn s3_mode_precomputes_new_originals_with_the_lambda_code() {
    let moto = Moto::shared();
    let originals = moto.bucket("dev-originals").await;
    let derivatives = moto.bucket("dev-derivatives").await;
    let client = moto.s3();
    let o = AnyStore::S3(S3Store::new(client.clone(), &originals));
    let d = AnyStore::S3(S3Store::new(client, &derivatives));
    let config = Config::embedded();
    let dev = Arc::new(Dev::new(
        config.clone(),
        common::keys(&config),
        o.clone(),
        d.clone(),
        64 << 20,
    ));
    let (addr, dev) = common::serve(dev).await;
    let pre = Precompute::new(config.clone(), o, d.clone());
    tokio::spawn(dev.clone().watch_originals(pre, Duration::from_millis(200)));

    // Upload after the edge started: the watcher sees a new original, as ObjectCreated would.
    let photo = std::fs::read(repo_root().join("demo/originals/demo/harbour.jpg")).unwrap();
    moto.put(&originals, "demo/new/harbour.jpg", photo).await;
    let key = imgfront_spec::Key::from_decoded(&config, "demo/new/harbour.jpg").unwrap();
    let expected: Vec<String> = imgfront_precompute::variants(&config, &key)
        .unwrap()
        .iter()
        .map(Spec::derivative_key)
        .collect();
    let mut present = 0;
    for _ in 0..600 {
        present = 0;
        for k in &expected {
            if d.exists(k).await.unwrap() {
                present += 1;
            }
        }
        if present == expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(present, expected.len(), "presets rendered: {present}");

    // A viewer asking for a preset gets the precomputed object: no transform.
    let mut c = Client::connect(addr).await.unwrap();
    let r = c
        .get(
            "/demo/new/harbour.jpg?w=480&fmt=auto&utm_medium=x",
            CHROME_ACCEPT,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-origin"), Some("derivatives"));
    assert_eq!(r.header("content-type"), Some("image/avif"));
    assert_eq!(dims(&r.body).0, 480);
    // An off-preset request still works, through the transform.
    let r = c
        .get("/demo/new/harbour.jpg?w=200&fmt=jpeg", CHROME_ACCEPT)
        .await
        .unwrap();
    assert_eq!(r.header("x-origin"), Some("transform"));
    assert_eq!(dev.edge.stats().transforms, 1);

    // Removing the original removes its derivatives and drops them from the edge cache.
    moto.s3()
        .delete_object()
        .bucket(&originals)
        .key("demo/new/harbour.jpg")
        .send()
        .await
        .unwrap();
    let mut left = usize::MAX;
    for _ in 0..100 {
        left = d.list("demo/new/harbour.jpg/").await.unwrap().len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0);
    let gone = c
        .get("/demo/new/harbour.jpg?w=480&fmt=auto", CHROME_ACCEPT)
        .await
        .unwrap();
    assert_eq!(gone.status, 404, "{}", String::from_utf8_lossy(&gone.body));
}

/// Tenant isolation through the whole local path (viewer function, origin group, transform
/// core): no spelling of a public tenant's URL reaches the private tenant's original.
#[tokio::test]
async fn no_url_reaches_another_tenants_original() {
    let (addr, dev) = common::start(common::scratch("isolation")).await;
    let mut c = Client::connect(addr).await.unwrap();
    let attempts = [
        "/demo/../acme/sneaker.jpg?w=320",
        "/demo/%2E%2E/acme/sneaker.jpg?w=320",
        "/demo/%2e%2e%2facme%2fsneaker.jpg?w=320",
        "/demo/..%2Facme/sneaker.jpg?w=320",
        "/demo/..%5Cacme%5Csneaker.jpg?w=320",
        "/demo//acme/sneaker.jpg?w=320",
        "/demo/./../acme/sneaker.jpg?w=320",
        "/demo%2F..%2Facme/sneaker.jpg?w=320",
        "/DEMO/../acme/sneaker.jpg?w=320",
        "/acme/sneaker.jpg/w_320",
        "/demo/acme/sneaker.jpg?w=320",
    ];
    for url in attempts {
        let r = c.get(url, "image/webp").await.unwrap();
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            matches!(r.status, 400 | 403 | 404),
            "{url}: {} {body}",
            r.status
        );
    }
    // The transform core on its own refuses a canonical path outside the tenant as well.
    let config = Config::embedded();
    for path in [
        "/demo/../acme/sneaker.jpg/w_320",
        "/demo/%2E%2E/acme/sneaker.jpg/w_320",
    ] {
        assert!(Spec::from_canonical_path(&config, path).is_err(), "{path}");
    }
    assert_eq!(
        dev.edge.stats().transforms,
        1,
        "only /demo/acme/… reached the origin"
    );
}
