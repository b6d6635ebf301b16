//! Starts a real `imgfront dev` server (the library the CLI runs) on a free loopback port.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use imgfront_edge::{Dev, Keys, server};
use imgfront_spec::{Access, Config};
use imgfront_store::{AnyStore, FsStore};
use imgfront_testkit::repo_root;

pub const SECRET: &[u8] = b"test-secret";

pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imgfront-edge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn keys(config: &Config) -> Keys {
    config
        .tenants
        .iter()
        .filter(|t| t.access == Access::Private)
        .map(|t| (t.id.clone(), vec![SECRET.to_vec()]))
        .collect()
}

/// The repository's demo originals, a fresh derivatives folder, served on a free port.
pub async fn start(derivatives: PathBuf) -> (SocketAddr, Arc<Dev<AnyStore>>) {
    let config = Config::embedded();
    let dev = Arc::new(Dev::new(
        config.clone(),
        keys(&config),
        AnyStore::Fs(FsStore::new(repo_root().join("demo/originals"))),
        AnyStore::Fs(FsStore::new(derivatives)),
        256 << 20,
    ));
    serve(dev).await
}

pub async fn serve(dev: Arc<Dev<AnyStore>>) -> (SocketAddr, Arc<Dev<AnyStore>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, dev.clone()));
    (addr, dev)
}
