//! Replays every `events/precompute-*.json` against moto's S3: derivatives appear at the exact
//! keys the edge asks for, with the right types and sizes; duplicates write nothing (PUTs are
//! counted); deletes leave nothing behind; Batch Operations tasks get their result codes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use imgfront_engine::probe;
use imgfront_precompute::{Precompute, variants};
use imgfront_spec::{Config, Format, Key, Spec};
use imgfront_store::{
    Bytes, META_SOURCE_ETAG, Object, ObjectStore, Put, S3Store, StoreError, Version,
};
use imgfront_testkit::{Moto, corpus_dir, repo_root};
use serde_json::Value;

/// The S3 store, counting the PUTs that reach moto.
struct Counting {
    inner: S3Store,
    puts: AtomicUsize,
}

impl ObjectStore for Counting {
    async fn get(&self, key: &str, max: u64) -> Result<Object, StoreError> {
        self.inner.get(key, max).await
    }
    async fn put(&self, key: &str, bytes: Bytes, put: &Put) -> Result<(), StoreError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put(key, bytes, put).await
    }
    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key).await
    }
    async fn metadata(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        self.inner.metadata(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.inner.delete(keys).await
    }
    async fn list_versions(&self, prefix: &str) -> Result<Vec<Version>, StoreError> {
        self.inner.list_versions(prefix).await
    }
    async fn delete_versions(&self, versions: &[Version]) -> Result<usize, StoreError> {
        self.inner.delete_versions(versions).await
    }
}

fn event(name: &str) -> Value {
    let path = repo_root().join(format!("events/precompute-{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("event file")).expect("json")
}

/// Originals as the events name them, each with its corpus file.
const ORIGINALS: &[(&str, &str)] = &[
    ("demo/flowers.jpeg", "flowers.jpeg"),
    ("demo/photos/summer sky.jpg", "Landscape_3.jpg"),
    ("demo/a+b.png", "with-alpha.png"),
    ("demo/café/日本.webp", "4.webp"),
    ("demo/100%.gif", "animated-loop-3.gif"),
    ("demo/corrupt-header.jpg", "corrupt-header.jpg"),
    ("demo/giant-image.jpg", "giant-image.jpg"),
    ("nobody/flowers.jpeg", "flowers.jpeg"),
    ("demo/Landscape_1.jpg", "Landscape_1.jpg"),
    ("demo/batch dir/a+b.png", "with-alpha.png"),
    ("demo/truncated.jpg", "truncated.jpg"),
    // An original stored *under* another original's name: its derivatives share the prefix
    // `demo/flowers.jpeg/` and must survive the deletion of demo/flowers.jpeg.
    ("demo/flowers.jpeg/inner.png", "with-alpha.png"),
];

const MIME: &[(Format, &str)] = &[
    (Format::Jpeg, "image/jpeg"),
    (Format::Webp, "image/webp"),
    (Format::Avif, "image/avif"),
    (Format::Png, "image/png"),
    (Format::Gif, "image/gif"),
];

/// Checks every variant of `key` is stored, current, of the right type and size, and at the
/// key the edge derives from the equivalent viewer request.
async fn assert_rendered(config: &Config, store: &S3Store, key: &str, file: &str) {
    let source = std::fs::read(corpus_dir().join(file)).expect("corpus");
    let fmt = probe::sniff(&source).expect("sniff");
    let header = probe::header(fmt, &source).expect("header");
    let upright = if (5..=8).contains(&header.exif_orientation) {
        (header.height, header.width)
    } else {
        (header.width, header.height)
    };
    let etag = imgfront_store::etag_of(&source);
    let k = Key::from_decoded(config, key).expect("key");
    for spec in variants(config, &k).expect("variants") {
        let dkey = spec.derivative_key();
        let format = spec.ops.format().expect("presets name a format");
        let obj = store
            .get(&dkey, u64::MAX)
            .await
            .unwrap_or_else(|e| panic!("{dkey} not stored: {e}"));
        let mime = MIME.iter().find(|(f, _)| *f == format).expect("mime").1;
        assert_eq!(obj.content_type.as_deref(), Some(mime), "{dkey}");
        assert_eq!(
            obj.cache_control.as_deref(),
            Some(config.cache.success_header().as_str()),
            "{dkey}"
        );
        assert!(
            imgfront_store::same_etag(&obj.metadata[META_SOURCE_ETAG], &etag),
            "{dkey}"
        );
        let got = probe::sniff(&obj.bytes).expect("derivative sniffs");
        let h = probe::header(got, &obj.bytes).expect("derivative header");
        let (w, hgt) = match (spec.ops.width(), spec.ops.height()) {
            (Some(w), Some(h)) => (w.min(upright.0), h.min(upright.1)),
            (Some(w), None) => {
                let w = w.min(upright.0);
                let h = (f64::from(upright.1) * f64::from(w) / f64::from(upright.0)).round() as u32;
                (w, h.max(1))
            }
            _ => upright,
        };
        assert_eq!((h.width, h.height), (w, hgt), "{dkey}: size");
    }
}

#[test]
fn every_preset_key_is_what_the_edge_asks_for() {
    let config = Config::embedded();
    let accept = |f: Format| match f {
        Format::Avif => "image/avif,image/webp,*/*",
        Format::Webp => "image/webp,*/*",
        _ => "image/png,*/*",
    };
    for key in [
        "demo/flowers.jpeg",
        "demo/photos/summer sky.jpg",
        "demo/café/日本.webp",
        "demo/100%.gif",
    ] {
        let k = Key::from_decoded(&config, key).expect("key");
        let written: Vec<String> = variants(&config, &k)
            .expect("variants")
            .iter()
            .map(Spec::derivative_key)
            .collect();
        let mut edge = Vec::new();
        for preset in &config.presets {
            for f in &preset.formats {
                // The viewer asks with fmt=auto; its Accept picks the format.
                let path = format!("/{}", k.to_url_path());
                let query = format!("{}&fmt=auto&utm_source=newsletter", preset.query);
                let v = Spec::from_viewer(&config, &path, &query, Some(accept(*f)))
                    .unwrap_or_else(|e| panic!("{path}?{query}: {}", e.message));
                assert_eq!(v.spec.ops.format(), Some(*f), "{path}?{query}");
                edge.push(v.spec.derivative_key());
                // The canonical path CloudFront sends the origin group is that key, encoded.
                assert_eq!(
                    v.spec.canonical_path(),
                    format!("/{}/{}", k.to_url_path(), v.spec.ops.canonical())
                );
            }
        }
        assert_eq!(written, edge, "{key}");
    }
}

/// Every event file under events/ named precompute-*, so none goes unreplayed.
const EVENTS: &[&str] = &[
    "batch-backfill",
    "delete-jpeg",
    "delete-space-key",
    "put-bomb",
    "put-corrupt",
    "put-jpeg",
    "put-percent-key",
    "put-plus-key",
    "put-space-key",
    "put-unicode-key",
    "put-unknown-tenant",
    "sqs-batch",
];

#[test]
fn the_event_list_matches_the_events_folder() {
    let found: Vec<String> = imgfront_testkit::event_cases("precompute")
        .into_iter()
        .map(|(case, _)| case)
        .collect();
    assert_eq!(found, EVENTS);
}

#[tokio::test]
async fn every_precompute_event_replays_against_moto() {
    let moto = Moto::shared();
    let originals_bucket = moto.bucket("pre-originals").await;
    let derivatives_bucket = moto.bucket("pre-derivatives").await;
    let s3 = moto.s3();
    for (key, file) in ORIGINALS {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("corpus");
        s3.put_object()
            .bucket(&originals_bucket)
            .key(*key)
            .body(bytes.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload {key}: {e:?}"));
    }
    let config = Config::embedded();
    let derivatives = S3Store::new(moto.s3(), &derivatives_bucket);
    let counting = Counting {
        inner: derivatives.clone(),
        puts: AtomicUsize::new(0),
    };
    let originals = Counting {
        inner: S3Store::new(moto.s3(), &originals_bucket),
        puts: AtomicUsize::new(0),
    };
    let pre = Precompute::new(config.clone(), originals, counting);
    let per_original: usize = config.presets.iter().map(|p| p.formats.len()).sum();

    // Uploads: each decodable original gets every variant.
    let rendered = [
        ("put-jpeg", "demo/flowers.jpeg", "flowers.jpeg"),
        (
            "put-space-key",
            "demo/photos/summer sky.jpg",
            "Landscape_3.jpg",
        ),
        ("put-plus-key", "demo/a+b.png", "with-alpha.png"),
        ("put-unicode-key", "demo/café/日本.webp", "4.webp"),
        ("put-percent-key", "demo/100%.gif", "animated-loop-3.gif"),
    ];
    for (name, key, file) in rendered {
        let out = imgfront_precompute::events::handle(&pre, event(name))
            .await
            .expect(name);
        assert_eq!(out[0]["key"], key, "{name}: decoded key");
        assert_eq!(out[0]["written"], per_original, "{name}: {out}");
        assert_rendered(&config, &derivatives, key, file).await;
    }
    let puts = pre_puts(&pre);
    assert_eq!(puts, per_original * rendered.len());

    // Duplicates (at-least-once delivery) write nothing.
    for (name, _, _) in rendered {
        let out = imgfront_precompute::events::handle(&pre, event(name))
            .await
            .expect(name);
        assert_eq!(out[0]["written"], 0, "{name}: {out}");
        assert_eq!(out[0]["current"], per_original, "{name}");
    }
    assert_eq!(pre_puts(&pre), puts, "a duplicate event must not PUT");
    println!(
        "duplicates: {} events replayed, 0 PUTs (first pass: {puts} PUTs)",
        rendered.len()
    );

    // The same uploads as the SQS queue in front of precompute delivers them: nothing fails, so
    // no message is left for redelivery, and nothing is written twice.
    let out = imgfront_precompute::events::handle(&pre, event("sqs-batch"))
        .await
        .expect("sqs batch");
    assert_eq!(out, serde_json::json!({ "batchItemFailures": [] }));
    assert_eq!(pre_puts(&pre), puts, "queued duplicates must not PUT");

    // Hostile or foreign originals are skipped for good, with the reason, and store nothing.
    for (name, why) in [
        ("put-corrupt", "decoded"),
        ("put-bomb", "too large"),
        ("put-unknown-tenant", "tenant"),
    ] {
        let out = imgfront_precompute::events::handle(&pre, event(name))
            .await
            .expect(name);
        let skipped = out[0]["skipped"].as_str().unwrap_or("");
        assert!(skipped.contains(why), "{name}: {skipped:?}");
        assert_eq!(out[0]["written"], 0);
    }
    assert_eq!(pre_puts(&pre), puts);

    // The nested original under demo/flowers.jpeg/ has derivatives of its own.
    pre.render("demo/flowers.jpeg/inner.png", None)
        .await
        .expect("inner");
    let inner_prefix = "demo/flowers.jpeg/inner.png/";
    assert_eq!(
        derivatives.list(inner_prefix).await.expect("list").len(),
        per_original
    );

    // Deletes: S3 removed the original, then the event arrives.
    for (name, key) in [
        ("delete-jpeg", "demo/flowers.jpeg"),
        ("delete-space-key", "demo/photos/summer sky.jpg"),
    ] {
        s3.delete_object()
            .bucket(&originals_bucket)
            .key(key)
            .send()
            .await
            .expect("delete original");
        let out = imgfront_precompute::events::handle(&pre, event(name))
            .await
            .expect(name);
        assert_eq!(out[0]["deleted"], per_original, "{name}: {out}");
        let left: Vec<String> = derivatives
            .list(&format!("{key}/"))
            .await
            .expect("list")
            .into_iter()
            .filter(|k| !k.starts_with(inner_prefix))
            .collect();
        assert!(left.is_empty(), "{name}: left behind {left:?}");
    }
    assert_eq!(
        derivatives.list(inner_prefix).await.expect("list").len(),
        per_original,
        "the nested original's derivatives survive"
    );

    // Batch Operations: one result code per task, with the reason.
    let out = imgfront_precompute::events::handle(&pre, event("batch-backfill"))
        .await
        .expect("batch");
    assert_eq!(out["invocationSchemaVersion"], "2.0");
    assert_eq!(out["treatMissingKeysAs"], "PermanentFailure");
    let codes: Vec<(&str, &str)> = out["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["taskId"].as_str().unwrap_or(""),
                r["resultCode"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("task-0", "Succeeded"),
            ("task-1", "Succeeded"),
            ("task-2", "PermanentFailure"),
            ("task-3", "PermanentFailure"),
        ]
    );
    assert!(
        out["results"][2]["resultString"]
            .as_str()
            .unwrap_or("")
            .contains("no original")
    );
    assert_rendered(
        &config,
        &derivatives,
        "demo/Landscape_1.jpg",
        "Landscape_1.jpg",
    )
    .await;
    assert_rendered(
        &config,
        &derivatives,
        "demo/batch dir/a+b.png",
        "with-alpha.png",
    )
    .await;
}

fn pre_puts(pre: &Precompute<Counting>) -> usize {
    pre.derivatives_store().puts.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_storage_outage_fails_the_invoke_so_it_is_retried() {
    let moto = Moto::shared();
    let originals = moto.bucket("pre-outage").await;
    moto.put_corpus(&originals, "demo/flowers.jpeg", "flowers.jpeg")
        .await;
    let pre = Precompute::new(
        Config::embedded(),
        S3Store::new(moto.s3(), &originals),
        S3Store::new(moto.s3(), "no-such-derivatives-bucket"),
    );
    let err = imgfront_precompute::events::handle(&pre, event("put-jpeg"))
        .await
        .expect_err("must fail");
    assert!(err.starts_with("retry:"), "{err}");

    // Through the queue, the failed message (and only it) is reported for redelivery: the
    // second message names an original this bucket lacks, which no retry can fix, and S3's test
    // event in the same batch is acknowledged.
    let out = imgfront_precompute::events::handle(&pre, event("sqs-batch"))
        .await
        .expect("an SQS batch reports failures instead of failing whole");
    let failed: Vec<&str> = out["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect();
    assert_eq!(failed, ["3f1c0a52-0000-4000-8000-000000000000"]);
}
