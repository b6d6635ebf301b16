//! Replays every `events/transform-*.json` against moto's S3: corpus originals uploaded, the
//! real Function URL event type deserialised, and each reply checked for status, headers,
//! decoded format and size, and the stored derivative's key, bytes and metadata.

use std::collections::BTreeMap;
use std::path::Path;

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use imgfront_engine::probe::{self, SourceFormat};
use imgfront_origin::{META_SOURCE_ETAG, META_SOURCE_KEY, Origin, Request, Response};
use imgfront_spec::Config;
use imgfront_store::{ObjectStore, S3Store, etag_of};
use imgfront_testkit::{Moto, corpus_dir};

/// What one event must produce.
enum Expect {
    /// 200 with this format, size and frame count, stored at this derivative key.
    Image {
        format: SourceFormat,
        size: (u32, u32),
        frames: u32,
        key: &'static str,
    },
    /// An error with this status and JSON `error` kind.
    Error(u16, &'static str),
}

fn expectations() -> BTreeMap<&'static str, Expect> {
    use Expect::{Error, Image};
    use SourceFormat as F;
    let img = |format, size, frames, key| Image {
        format,
        size,
        frames,
        key,
    };
    BTreeMap::from([
        (
            "get-jpeg",
            img(F::Jpeg, (320, 180), 1, "demo/flowers.jpeg/w_320"),
        ),
        (
            "get-webp",
            img(F::Webp, (640, 360), 1, "demo/flowers.jpeg/fmt_webp,w_640"),
        ),
        (
            "get-avif-attention",
            img(
                F::Avif,
                (320, 320),
                1,
                "demo/flowers.jpeg/fmt_avif,h_320,pos_attention,w_320",
            ),
        ),
        (
            "get-png-alpha",
            img(F::Png, (160, 120), 1, "demo/with-alpha.png/fmt_png,w_160"),
        ),
        (
            "get-gif-animated",
            img(F::Gif, (96, 74), 10, "demo/animated-loop-3.gif/w_96"),
        ),
        (
            "get-webp-animated",
            img(F::Webp, (96, 74), 10, "demo/animated-loop-3.webp/w_96"),
        ),
        (
            "get-svg",
            img(F::Png, (480, 480), 1, "demo/circle.svg/fmt_png,w_480"),
        ),
        (
            "get-cmyk",
            img(
                F::Jpeg,
                (200, 133),
                1,
                "demo/Channel_digital_image_CMYK_color.jpg/fmt_jpeg,q_70,w_200",
            ),
        ),
        (
            "get-grid-avif",
            img(F::Webp, (480, 94), 1, "demo/pitm.avif/fmt_webp,w_480"),
        ),
        (
            "get-space-in-key",
            img(
                F::Webp,
                (160, 90),
                1,
                "demo/photos/summer sky.jpg/fmt_webp,w_160",
            ),
        ),
        (
            "get-large-output",
            img(F::Png, (2400, 2400), 1, "demo/noise-2400.png/fmt_png"),
        ),
        (
            "head-webp",
            img(F::Webp, (640, 360), 1, "demo/flowers.jpeg/fmt_webp,w_640"),
        ),
        ("missing-original", Error(404, "no_original")),
        ("invalid-width", Error(400, "out_of_range")),
        ("invalid-not-canonical", Error(400, "not_canonical")),
        ("invalid-unknown-op", Error(400, "not_canonical")),
        ("unknown-tenant", Error(404, "unknown_tenant")),
        ("traversal-dotdot", Error(400, "traversal")),
        ("traversal-encoded", Error(400, "traversal")),
        ("traversal-encoded-slash", Error(400, "traversal")),
        ("traversal-nul", Error(400, "bad_path")),
        ("bomb-giant-jpeg", Error(413, "source_too_large")),
        ("bomb-png-dimensions", Error(413, "source_too_large")),
        ("corrupt-jpeg", Error(415, "undecodable")),
        ("truncated-jpeg", Error(415, "undecodable")),
        ("method-post", Error(405, "method_not_allowed")),
    ])
}

/// A PNG of random RGB noise: incompressible, so its PNG re-encode is far over 6 MB.
fn noise_png(side: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let pixels: Vec<u8> = (0..side * side * 3)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, side, side);
    enc.set_color(png::ColorType::Rgb);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().expect("png header");
    w.write_image_data(&pixels).expect("png data");
    w.finish().expect("png finish");
    out
}

/// Moto buckets with every corpus file under `demo/`, plus the generated sources.
async fn setup(moto: &Moto) -> (String, String) {
    let originals = moto.bucket("originals").await;
    let derivatives = moto.bucket("derivatives").await;
    let s3 = moto.s3();
    let mut uploads: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "README.md")
        .map(|e| {
            (
                format!("demo/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).expect("corpus file"),
            )
        })
        .collect();
    let flowers = std::fs::read(corpus_dir().join("flowers.jpeg")).expect("flowers");
    uploads.push(("demo/photos/summer sky.jpg".into(), flowers));
    uploads.push(("demo/noise-2400.png".into(), noise_png(2400)));
    for (key, bytes) in uploads {
        s3.put_object()
            .bucket(&originals)
            .key(&key)
            .body(bytes.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload {key}: {e:?}"));
    }
    (originals, derivatives)
}

fn load_event(path: &Path) -> Request {
    let text = std::fs::read_to_string(path).expect("event file");
    let ev: LambdaFunctionUrlRequest = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a Function URL event: {e}", path.display()));
    Request {
        method: ev.request_context.http.method.clone().expect("method"),
        path: ev.raw_path.clone().expect("rawPath"),
        request_id: ev.request_context.request_id.clone().expect("requestId"),
        cancel: None,
    }
}

#[tokio::test]
async fn every_transform_event_replays_against_moto() {
    let moto = Moto::shared();
    let (originals_bucket, derivatives_bucket) = setup(moto).await;
    let config = Config::embedded();
    let originals = S3Store::new(moto.s3(), &originals_bucket);
    let derivatives = S3Store::new(moto.s3(), &derivatives_bucket);
    let origin = Origin::new(config.clone(), originals.clone(), derivatives.clone());

    let expect = expectations();
    let events = imgfront_testkit::event_cases("transform");
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = expect.keys().copied().collect();
    assert_eq!(
        names, expected,
        "events/ and the expectations must list the same cases"
    );

    for (case, path) in &events {
        let req = load_event(path);
        let (reply, record) = origin.handle(&req).await;
        assert_eq!(record.status, reply.status, "{case}: record status");
        match &expect[case.as_str()] {
            Expect::Image {
                format,
                size,
                frames,
                key,
            } => {
                check_image(case, &req, &reply, *format, *size, *frames, &config);
                let stored = derivatives
                    .get(key, u64::MAX)
                    .await
                    .unwrap_or_else(|e| panic!("{case}: derivative not stored at {key}: {e}"));
                let source_key = key.rsplit_once('/').map(|(k, _)| k).expect("key has ops");
                let source = originals.get(source_key, u64::MAX).await.expect("original");
                assert_eq!(
                    stored.metadata[META_SOURCE_ETAG], source.etag,
                    "{case}: source etag"
                );
                assert_eq!(
                    stored.metadata[META_SOURCE_KEY], source_key,
                    "{case}: source key"
                );
                assert_eq!(stored.content_type.as_deref(), reply.header("content-type"));
                assert_eq!(
                    stored.cache_control.as_deref(),
                    Some(config.cache.success_header().as_str())
                );
                // S3's own ETag of the stored object equals the one we answered with.
                assert_eq!(
                    Some(stored.etag.as_str()),
                    reply.header("etag"),
                    "{case}: etag"
                );
                if req.method == "GET" {
                    assert_eq!(stored.bytes, reply.body, "{case}: stored bytes");
                }
                if *case == "get-large-output" {
                    assert!(
                        reply.body.len() > 6 * 1024 * 1024,
                        "large output is only {} bytes",
                        reply.body.len()
                    );
                }
            }
            Expect::Error(status, kind) => {
                assert_eq!(reply.status, *status, "{case}: status");
                let body: serde_json::Value =
                    serde_json::from_slice(&reply.body).expect("JSON error body");
                assert_eq!(body["error"], *kind, "{case}: {body}");
                let message = body["message"].as_str().unwrap_or("");
                assert!(
                    message.len() > 10,
                    "{case}: message {message:?} is not specific"
                );
                assert_eq!(reply.header("content-type"), Some("application/json"));
                assert_eq!(
                    reply.header("cache-control"),
                    Some(config.cache.error_header().as_str()),
                    "{case}: 4xx must be briefly cacheable"
                );
                if *status == 405 {
                    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
                }
            }
        }
    }
    // Errors stored nothing: the only derivatives are the images' keys.
    let mut want: Vec<&str> = expect
        .values()
        .filter_map(|e| match e {
            Expect::Image { key, .. } => Some(*key),
            Expect::Error(..) => None,
        })
        .collect();
    want.sort();
    want.dedup();
    let stored = derivatives.list("").await.expect("list");
    assert_eq!(stored, want);
}

fn check_image(
    case: &str,
    req: &Request,
    reply: &Response,
    format: SourceFormat,
    size: (u32, u32),
    frames: u32,
    config: &Config,
) {
    assert_eq!(
        reply.status,
        200,
        "{case}: {:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.header("cache-control"),
        Some(config.cache.success_header().as_str()),
        "{case}"
    );
    let timing = reply.header("server-timing").unwrap_or("");
    for metric in ["fetch;dur=", "transform;dur=", "store;dur="] {
        assert!(timing.contains(metric), "{case}: server-timing {timing:?}");
    }
    let content_type = reply.header("content-type").unwrap_or("");
    assert_eq!(content_type, mime(format), "{case}");
    if req.method == "HEAD" {
        assert!(reply.body.is_empty(), "{case}: HEAD has no body");
        return;
    }
    assert_eq!(reply.header("etag"), Some(etag_of(&reply.body).as_str()));
    assert_eq!(
        reply.header("content-length"),
        Some(reply.body.len().to_string().as_str())
    );
    let got = probe::sniff(&reply.body).expect("output sniffs as an image");
    assert_eq!(got, format, "{case}: container");
    let h = probe::header(got, &reply.body).expect("output header");
    assert_eq!((h.width, h.height), size, "{case}: size");
    assert_eq!(h.frames, frames, "{case}: frames");
}

fn mime(f: SourceFormat) -> &'static str {
    match f {
        SourceFormat::Jpeg => "image/jpeg",
        SourceFormat::Png => "image/png",
        SourceFormat::Webp => "image/webp",
        SourceFormat::Avif => "image/avif",
        SourceFormat::Gif => "image/gif",
        SourceFormat::Svg => "image/svg+xml",
    }
}

#[tokio::test]
async fn a_failed_store_still_serves_the_image() {
    let moto = Moto::shared();
    let originals = moto.bucket("originals-nostore").await;
    moto.put_corpus(&originals, "demo/flowers.jpeg", "flowers.jpeg")
        .await;
    // The derivatives bucket does not exist, so every put fails.
    let origin = Origin::new(
        Config::embedded(),
        S3Store::new(moto.s3(), &originals),
        S3Store::new(moto.s3(), "no-such-bucket-imgfront"),
    );
    let (reply, record) = origin
        .handle(&Request {
            method: "GET".into(),
            path: "/demo/flowers.jpeg/fmt_webp,w_160".into(),
            request_id: "r1".into(),
            cancel: None,
        })
        .await;
    assert_eq!(reply.status, 200);
    assert!(record.store_failed);
    // Nothing in S3 to list at takedown time, so the edge may keep it only briefly.
    assert_eq!(
        reply.header("cache-control"),
        Some(Config::embedded().cache.error_header().as_str())
    );
    assert_eq!(probe::sniff(&reply.body).ok(), Some(SourceFormat::Webp));
}
