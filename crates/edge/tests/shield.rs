//! Origin Shield against a render that takes seconds: a request arriving while the render runs
//! joins it instead of starting another; the request that started it may leave without
//! stopping it for the others; and a render nobody waits for any more is cancelled, stores
//! nothing, and leaves the next request to start afresh.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use imgfront_edge::Dev;
use imgfront_edge::client::{Client, Response};
use imgfront_engine::raster::{Frame, Picture, Raster};
use imgfront_spec::{Config, Format};
use imgfront_store::{AnyStore, FsStore};

/// An animation whose GIF render (quantising every frame) takes seconds.
fn slow_gif() -> Vec<u8> {
    let (w, h) = (640u32, 480u32);
    let mut seed = 0x2545_f491u32;
    let frames = (0..30)
        .map(|_| {
            let data = (0..w * h * 3)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            Frame {
                raster: Raster::new(w, h, 3, data),
                delay_ms: 100,
            }
        })
        .collect();
    let picture = Picture {
        frames,
        loop_count: 0,
    };
    let config = Config::embedded();
    imgfront_engine::encode::encode(&picture, Format::Gif, 100, &config.encoding.request).unwrap()
}

async fn start(name: &str) -> (SocketAddr, Arc<Dev<AnyStore>>, std::path::PathBuf) {
    let originals = common::scratch(&format!("{name}-originals"));
    std::fs::create_dir_all(originals.join("demo")).unwrap();
    std::fs::write(originals.join("demo/slow.gif"), slow_gif()).unwrap();
    let derivatives = common::scratch(&format!("{name}-derivatives"));
    let config = Config::embedded();
    let dev = Arc::new(Dev::new(
        config.clone(),
        common::keys(&config),
        AnyStore::Fs(FsStore::new(originals)),
        AnyStore::Fs(FsStore::new(derivatives.clone())),
        256 << 20,
    ));
    let (addr, dev) = common::serve(dev).await;
    (addr, dev, derivatives)
}

const URL: &str = "/demo/slow.gif?w=640&blur=2";
const STORED: &str = "demo/slow.gif/blur_2,w_640";

async fn get(addr: SocketAddr) -> Response {
    let mut c = Client::connect(addr).await.unwrap();
    c.get(URL, "image/gif").await.unwrap()
}

/// Waits until `ready` holds, for up to a minute (the renders here take seconds).
async fn until(what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "waited a minute for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_joins_a_running_render_which_outlives_its_first_viewer() {
    let (addr, dev, derivatives) = start("join").await;
    let first = tokio::spawn(get(addr));
    until("the render to start", || dev.edge.stats().transforms == 1).await;
    let second = tokio::spawn(get(addr));
    until("the second request to join", || {
        dev.edge.stats().coalesced == 1
    })
    .await;
    // The viewer that started the render goes away; the one that joined still waits.
    first.abort();
    let reply = second.await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("image/gif"));
    let stats = dev.edge.stats();
    assert_eq!((stats.transforms, stats.cancelled), (1, 0), "{stats:?}");
    assert_eq!(
        std::fs::read(derivatives.join(STORED)).unwrap(),
        reply.body.to_vec()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_nobody_waits_for_is_cancelled_and_the_next_request_starts_afresh() {
    let (addr, dev, derivatives) = start("cancel").await;
    let abandoned = tokio::spawn(get(addr));
    until("the render to start", || dev.edge.stats().transforms == 1).await;
    abandoned.abort();
    // The render stops at its next checkpoint and answers nobody: the edge counts it.
    until("the render to stop", || dev.edge.stats().cancelled == 1).await;
    assert!(
        !derivatives.join(STORED).exists(),
        "a cancelled render stores nothing"
    );
    // The cancelled flight is gone: a new viewer gets a whole new render, not the cancelled one.
    let reply = get(addr).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let stats = dev.edge.stats();
    assert_eq!((stats.transforms, stats.cancelled), (2, 1), "{stats:?}");
    assert!(derivatives.join(STORED).exists());
}
