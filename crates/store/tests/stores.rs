//! The same behaviour from both stores: S3 against moto, and the filesystem.

use imgfront_store::{Bytes, FsStore, ObjectStore, Put, S3Store, StoreError};
use imgfront_testkit::Moto;

async fn exercise(store: &impl ObjectStore) {
    let put = Put {
        content_type: "image/webp".into(),
        cache_control: "public, max-age=60".into(),
        metadata: [("source-etag".to_string(), "\"abc\"".to_string())].into(),
    };
    store
        .put(
            "demo/a b.jpg/w_320",
            Bytes::from_static(b"RIFF....WEBP"),
            &put,
        )
        .await
        .expect("put");
    store
        .put("demo/a b.jpg/fmt_avif", Bytes::from_static(b"x"), &put)
        .await
        .expect("put");
    store
        .put("demo/c.png/_", Bytes::from_static(b"y"), &put)
        .await
        .expect("put");

    let got = store.get("demo/a b.jpg/w_320", 1024).await.expect("get");
    assert_eq!(&got.bytes[..], b"RIFF....WEBP");
    assert_eq!(got.content_type.as_deref(), Some("image/webp"));
    assert_eq!(got.cache_control.as_deref(), Some("public, max-age=60"));
    assert_eq!(
        got.metadata.get("source-etag").map(String::as_str),
        Some("\"abc\"")
    );
    assert_eq!(got.etag, imgfront_store::etag_of(b"RIFF....WEBP"));

    match store.get("demo/a b.jpg/w_320", 4).await {
        Err(StoreError::TooLarge {
            size: 12, max: 4, ..
        }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
    match store.get("demo/missing.jpg", 1024).await {
        Err(StoreError::NotFound(k)) => assert_eq!(k, "demo/missing.jpg"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(store.exists("demo/c.png/_").await.expect("exists"));
    let meta = store.metadata("demo/c.png/_").await.expect("metadata");
    assert_eq!(
        meta.and_then(|m| m.get("source-etag").cloned()).as_deref(),
        Some("\"abc\"")
    );
    assert!(
        store
            .metadata("demo/c.png/w_16")
            .await
            .expect("metadata")
            .is_none()
    );
    assert!(!store.exists("demo/c.png/w_16").await.expect("exists"));

    assert_eq!(
        store.list("demo/a b.jpg/").await.expect("list"),
        ["demo/a b.jpg/fmt_avif", "demo/a b.jpg/w_320"]
    );
    let all = store.list("demo/").await.expect("list");
    assert_eq!(all.len(), 3);
    assert_eq!(store.delete(&all).await.expect("delete"), 3);
    assert!(store.list("demo/").await.expect("list").is_empty());
    // Deleting what is already gone is not an error.
    store.delete(&all).await.expect("idempotent delete");
}

#[tokio::test]
async fn s3_store_against_moto() {
    let moto = Moto::shared();
    let bucket = moto.bucket("store").await;
    exercise(&S3Store::new(moto.s3(), bucket)).await;
}

#[tokio::test]
async fn s3_deletes_more_than_one_batch() {
    let moto = Moto::shared();
    let bucket = moto.bucket("batch").await;
    let store = S3Store::new(moto.s3(), bucket);
    let keys: Vec<String> = (0..1203).map(|i| format!("demo/k.jpg/w_{i}")).collect();
    for k in &keys {
        store
            .put(k, Bytes::from_static(b"z"), &Put::default())
            .await
            .expect("put");
    }
    assert_eq!(store.list("demo/k.jpg/").await.expect("list").len(), 1203);
    store.delete(&keys).await.expect("delete");
    assert!(store.list("demo/").await.expect("list").is_empty());
}

#[tokio::test]
async fn fs_store_matches_s3() {
    let dir = std::env::temp_dir().join(format!("imgfront-fs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    exercise(&FsStore::new(&dir)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn fs_store_refuses_keys_that_leave_the_root() {
    let store = FsStore::new(std::env::temp_dir().join("imgfront-fs-bad"));
    for key in [
        "../etc/passwd",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "a/.imgfront-meta/x",
        "",
    ] {
        assert!(
            matches!(store.get(key, 10).await, Err(StoreError::BadKey(_))),
            "{key}"
        );
    }
}
