//! `imgfront tenants` as an operator runs it, against a local KeyValueStore data plane that is as
//! strict as CloudFront's (SigV4a only, the store's ETag on every write, per-request and size
//! limits; scripts/kvs-server.py): sync from the configuration, add a tenant, rotate and retire
//! its secrets, remove it, and sync 1,000 tenants, which takes many batches.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::imgfront;
use imgfront_testkit::repo_root;
use serde_json::Value;

const ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/0a1b2c3d-0000-4000-8000-000000000001";

struct Kvs {
    child: Child,
    endpoint: String,
}

impl Drop for Kvs {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl Kvs {
    fn start() -> Kvs {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new(repo_root().join(".venv/bin/python"))
            .arg(repo_root().join("scripts/kvs-server.py"))
            .args([port.to_string().as_str(), ARN])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scripts/kvs-server.py (scripts/setup makes .venv)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "listening");
        Kvs {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    fn state(&self) -> serde_json::Map<String, Value> {
        let out = Command::new("curl")
            .args(["-s", &format!("{}/_state", self.endpoint)])
            .output()
            .expect("curl");
        let v: Value = serde_json::from_slice(&out.stdout).expect("state JSON");
        v["items"].as_object().expect("items").clone()
    }

    fn run(&self, config: Option<&str>, args: &[&str]) -> (bool, String) {
        let mut full = vec!["tenants", "--kvs-arn", ARN];
        if let Some(c) = config {
            full = vec!["--config", c, "tenants", "--kvs-arn", ARN];
        }
        full.extend_from_slice(args);
        imgfront(
            &[
                ("IMGFRONT_KVS_ENDPOINT", self.endpoint.as_str()),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_REGION", "us-east-1"),
            ],
            &full,
        )
    }
}

#[test]
fn operators_manage_tenants_without_a_redeploy() {
    let kvs = Kvs::start();
    let (ok, out) = kvs.run(None, &["sync", "--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains("put    demo = {}"), "{out}");
    assert!(kvs.state().is_empty(), "a dry run writes nothing");

    let (ok, out) = kvs.run(None, &["sync"]);
    assert!(ok, "{out}");
    let state = kvs.state();
    assert_eq!(state["demo"], "{}");
    assert_eq!(
        state["acme"],
        r#"{"p":1,"r":["acme.example","*.acme.example"]}"#
    );
    let (ok, out) = kvs.run(None, &["sync"]);
    assert!(ok && out.contains("already matches"), "{out}");

    // A new private tenant, then its first secret and a rotation.
    let (ok, out) = kvs.run(
        None,
        &[
            "put",
            "shop-7",
            "--access",
            "private",
            "--referer",
            "shop7.example",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(kvs.state()["shop-7"], r#"{"p":1,"r":["shop7.example"]}"#);
    let (ok, out) = kvs.run(None, &["rotate", "shop-7", "--secret", "first"]);
    assert!(ok, "{out}");
    let (ok, out) = kvs.run(None, &["rotate", "shop-7"]);
    assert!(ok, "{out}");
    let generated = out
        .trim()
        .rsplit(' ')
        .next()
        .expect("the new secret is printed")
        .to_string();
    assert_eq!(generated.len(), 43, "{out}");
    let secrets: Vec<String> =
        serde_json::from_str(kvs.state()["sig:shop-7"].as_str().expect("secrets")).expect("list");
    assert_eq!(secrets, ["first".to_string(), generated.clone()]);
    let (ok, out) = kvs.run(None, &["retire", "shop-7"]);
    assert!(ok, "{out}");
    assert_eq!(
        kvs.state()["sig:shop-7"].as_str(),
        Some(serde_json::to_string(&[generated]).expect("json").as_str())
    );
    let (ok, out) = kvs.run(None, &["list"]);
    assert!(
        ok && out.contains("shop-7 {\"p\":1") && out.contains("(1 signing secrets)"),
        "{out}"
    );
    assert!(!out.contains("first"), "list never prints secrets: {out}");

    // Refusals say what is wrong, and change nothing.
    let before = kvs.state();
    let (ok, out) = kvs.run(None, &["put", "Bad_Id", "--access", "public"]);
    assert!(!ok && out.contains("1-63 characters"), "{out}");
    let (ok, out) = kvs.run(None, &["rotate", "nobody"]);
    assert!(!ok && out.contains("no tenant nobody"), "{out}");
    let long: Vec<String> = (0..60)
        .map(|i| format!("site-{i:03}.example.com"))
        .collect();
    let mut args = vec!["put", "shop-8", "--access", "public"];
    for r in &long {
        args.extend(["--referer", r.as_str()]);
    }
    let (ok, out) = kvs.run(None, &args);
    assert!(!ok && out.contains("1024-character"), "{out}");
    assert_eq!(kvs.state(), before);

    // Removing takes the secrets too; a sync removes tenants the configuration dropped.
    let (ok, out) = kvs.run(None, &["remove", "shop-7"]);
    assert!(ok, "{out}");
    assert!(!kvs.state().contains_key("shop-7") && !kvs.state().contains_key("sig:shop-7"));
}

#[test]
fn a_thousand_tenants_sync_in_batches_and_prune() {
    let kvs = Kvs::start();
    let mut config: Value =
        serde_json::from_str(imgfront_spec::config::EMBEDDED_JSON).expect("config");
    let tenants: Vec<Value> = (0..1000)
        .map(|i| {
            serde_json::json!({
                "id": format!("tenant-{i:04}"),
                "access": if i % 3 == 0 { "private" } else { "public" },
                "allowed_referers": if i % 5 == 0 { vec![format!("t{i}.example")] } else { vec![] },
            })
        })
        .collect();
    config["tenants"] = Value::Array(tenants);
    let dir = std::env::temp_dir().join(format!("imgfront-tenants-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("imgfront.json");
    std::fs::write(&path, config.to_string()).expect("write");
    let path = path.to_str().expect("utf-8");

    let (ok, out) = kvs.run(Some(path), &["sync"]);
    assert!(ok, "{out}");
    let state = kvs.state();
    assert_eq!(state.len(), 1000);
    assert_eq!(state["tenant-0000"], r#"{"p":1,"r":["t0.example"]}"#);

    // Back to the repository's two tenants: 1,000 deletes, the two puts, in batches of 50.
    let (ok, out) = kvs.run(None, &["sync"]);
    assert!(ok, "{out}");
    let state = kvs.state();
    let mut keys: Vec<&String> = state.keys().collect();
    keys.sort();
    assert_eq!(keys, ["acme", "demo"]);
}
