//! SSRF by construction: the transform binary links no HTTP client except the AWS SDK's (and
//! the Lambda runtime's client for the runtime API, whose address Lambda sets). Request data
//! only ever becomes an S3 key, so there is nothing else it could make us connect to.

use std::process::Command;

fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--locked",
            "-p",
            "imgfront-transform",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn names(tree: &str) -> Vec<String> {
    tree.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn no_general_purpose_http_client_is_linked() {
    let all = names(&cargo_tree(&[]));
    assert!(
        all.iter().any(|n| n == "aws-sdk-s3"),
        "the tree lists the SDK"
    );
    for client in [
        "reqwest",
        "ureq",
        "isahc",
        "curl",
        "curl-sys",
        "surf",
        "attohttpc",
        "minreq",
        "awc",
        "http_req",
    ] {
        assert!(
            !all.iter().any(|n| n == client),
            "{client} is linked into the transform binary"
        );
    }
}

#[test]
fn hyper_is_reached_only_through_the_aws_sdk_and_the_lambda_runtime() {
    let allowed = |n: &str| {
        n.starts_with("aws-smithy-")
            || n.starts_with("lambda_runtime")
            || matches!(n, "hyper" | "hyper-util" | "hyper-rustls")
    };
    for lib in ["hyper", "hyper-util"] {
        // The packages that depend on `lib` directly.
        let dependents = names(&cargo_tree(&["-i", lib, "--depth", "1"]));
        assert!(dependents.len() > 1, "{lib} is in the tree");
        for d in dependents {
            assert!(
                allowed(&d),
                "{d} uses {lib} directly: an HTTP client outside the AWS SDK"
            );
        }
    }
}
