//! `imgfront backfill` as a user runs it: the real binary, on a folder and on moto's S3,
//! run twice to prove it resumes (the second run renders nothing).

use std::path::{Path, PathBuf};

use imgfront_spec::{Config, Key};
use imgfront_testkit::{Moto, corpus_dir};

mod common;

use common::imgfront;

const ORIGINALS: &[(&str, &str)] = &[
    ("demo/flowers.jpeg", "flowers.jpeg"),
    ("demo/sub dir/with-alpha.png", "with-alpha.png"),
    ("demo/truncated.jpg", "truncated.jpg"),
];

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imgfront-backfill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_name() == ".imgfront-meta" {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The derivative keys precompute must write for `key`.
fn expected_keys(key: &str) -> Vec<String> {
    let c = Config::embedded();
    let k = Key::from_decoded(&c, key).expect("key");
    imgfront_precompute::variants(&c, &k)
        .expect("variants")
        .iter()
        .map(|s| s.derivative_key())
        .collect()
}

#[test]
fn backfill_a_folder_then_resume() {
    let src = temp("src");
    let dst = temp("dst");
    for (key, file) in ORIGINALS {
        let path = src.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::copy(corpus_dir().join(file), &path).expect("copy");
    }
    let (src_s, dst_s) = (src.to_str().expect("utf8"), dst.to_str().expect("utf8"));
    let (ok, out) = imgfront(
        &[],
        &[
            "backfill",
            "--from",
            src_s,
            "--to",
            dst_s,
            "--concurrency",
            "2",
        ],
    );
    assert!(!ok, "a corrupt original must make the run fail: {out}");
    let mut want = expected_keys("demo/flowers.jpeg");
    want.extend(expected_keys("demo/sub dir/with-alpha.png"));
    want.sort();
    assert!(
        out.contains("3 originals in")
            && out.contains(&format!(
                "2 rendered ({} derivatives written), 0 up to date, 1 failed",
                want.len()
            )),
        "{out}"
    );
    assert!(
        out.contains("failed demo/truncated.jpg:"),
        "failures are listed: {out}"
    );
    assert_eq!(files_under(&dst), want);

    // Resumable: everything current is skipped.
    let (_, again) = imgfront(&[], &["backfill", "--from", src_s, "--to", dst_s]);
    assert!(
        again.contains("0 rendered (0 derivatives written), 2 up to date, 1 failed"),
        "{again}"
    );
    let _ = std::fs::remove_dir_all(&src);
    let _ = std::fs::remove_dir_all(&dst);
}

#[test]
fn backfill_between_buckets_on_moto_and_write_a_manifest() {
    let moto = Moto::shared();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (originals, derivatives) = rt.block_on(async {
        let o = moto.bucket("bf-originals").await;
        let d = moto.bucket("bf-derivatives").await;
        for (key, file) in ORIGINALS.iter().take(2) {
            moto.s3()
                .put_object()
                .bucket(&o)
                .key(*key)
                .body(
                    std::fs::read(corpus_dir().join(file))
                        .expect("corpus")
                        .into(),
                )
                .send()
                .await
                .expect("upload");
        }
        (o, d)
    });
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    let from = format!("s3://{originals}");
    let to = format!("s3://{derivatives}");
    let (ok, out) = imgfront(
        &env,
        &[
            "backfill", "--from", &from, "--to", &to, "--prefix", "demo/",
        ],
    );
    let mut want = expected_keys("demo/flowers.jpeg");
    want.extend(expected_keys("demo/sub dir/with-alpha.png"));
    want.sort();
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "2 rendered ({} derivatives written), 0 up to date, 0 failed",
            want.len()
        )),
        "{out}"
    );
    let mut listed: Vec<String> = rt.block_on(async {
        moto.s3()
            .list_objects_v2()
            .bucket(&derivatives)
            .send()
            .await
            .expect("list")
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    });
    listed.sort();
    assert_eq!(listed, want);
    let (ok, again) = imgfront(&env, &["backfill", "--from", &from, "--to", &to]);
    assert!(
        ok && again.contains("0 rendered (0 derivatives written), 2 up to date, 0 failed"),
        "{again}"
    );

    let manifest = temp("manifest.csv");
    let manifest_s = manifest.to_str().expect("utf8");
    let (ok, out) = imgfront(
        &env,
        &["backfill", "--from", &from, "--manifest", manifest_s],
    );
    assert!(ok, "{out}");
    let csv = std::fs::read_to_string(&manifest).expect("manifest");
    assert_eq!(
        csv,
        format!("{originals},demo/flowers.jpeg\n{originals},demo/sub%20dir/with-alpha.png\n")
    );
    let _ = std::fs::remove_file(&manifest);
}
