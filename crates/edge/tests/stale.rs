//! `stale-if-error` at the local edge: once a cached derivative has expired, a failing origin
//! (5xx) is answered with the expired copy for as long as `stale-if-error` allows, and with the
//! error after that; a healthy origin replaces the copy.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use imgfront_edge::Dev;
use imgfront_edge::edge::EdgeRequest;
use imgfront_spec::Config;
use imgfront_store::{AnyStore, FsStore};
use imgfront_testkit::repo_root;

fn get(path: &str, query: &'static str) -> EdgeRequest<'static> {
    EdgeRequest {
        method: "GET",
        path: Box::leak(path.to_string().into_boxed_str()),
        query,
        accept: Some("image/webp"),
        referer: None,
    }
}

#[tokio::test]
async fn an_expired_copy_serves_while_the_origin_fails_and_only_within_stale_if_error() {
    let originals = common::scratch("stale-originals");
    let derivatives = common::scratch("stale-derivatives");
    let photo = originals.join("demo/photo.jpg");
    std::fs::create_dir_all(photo.parent().unwrap()).unwrap();
    std::fs::copy(repo_root().join("demo/originals/demo/harbour.jpg"), &photo).unwrap();
    let config = Config::embedded();
    let dev = Arc::new(Dev::new(
        config.clone(),
        common::keys(&config),
        AnyStore::Fs(FsStore::new(&originals)),
        AnyStore::Fs(FsStore::new(&derivatives)),
        64 << 20,
    ));
    let edge = &dev.edge;
    let t0 = 1_900_000_000;
    let first = edge.handle_at(get("/demo/photo.jpg", "w=320"), t0).await;
    assert_eq!((first.status, first.header("x-cache")), (200, Some("Miss")));

    // The origin breaks: no stored derivative, and the original cannot be read (a link to
    // itself: the file system fails the read), so the transform answers 500.
    std::fs::remove_dir_all(&derivatives).unwrap();
    std::fs::remove_file(&photo).unwrap();
    std::os::unix::fs::symlink("photo.jpg", &photo).unwrap();
    let other = edge.handle_at(get("/demo/photo.jpg", "w=640"), t0).await;
    assert_eq!(other.status, 500, "{:?}", other.body);

    let (max_age, grace) = (
        u64::from(config.cache.max_age),
        u64::from(config.cache.stale_if_error),
    );
    assert!(grace > 0);
    let stale = edge
        .handle_at(get("/demo/photo.jpg", "w=320"), t0 + max_age + 60)
        .await;
    assert_eq!(
        (stale.status, stale.header("x-cache")),
        (200, Some("StaleHit"))
    );
    assert_eq!(stale.body, first.body);
    assert_eq!(edge.stats().stale_served, 1);

    let too_late = edge
        .handle_at(get("/demo/photo.jpg", "w=320"), t0 + max_age + grace + 60)
        .await;
    assert_eq!(too_late.status, 500, "past stale-if-error the error shows");

    // The origin recovers: a fresh render replaces the expired copy.
    std::fs::remove_file(&photo).unwrap();
    std::fs::copy(repo_root().join("demo/originals/demo/badge.png"), &photo).unwrap();
    let fresh = edge
        .handle_at(get("/demo/photo.jpg", "w=320"), t0 + max_age + 120)
        .await;
    assert_eq!((fresh.status, fresh.header("x-cache")), (200, Some("Miss")));
    assert_ne!(fresh.body, first.body);
    assert_eq!(edge.stats().stale_served, 1);
}
