//! The shared signing vectors (`tests/vectors/signing.json`): each URL's signing string and
//! signature as Rust computes them, and the Python snippet in docs/url-api.md, run on the same
//! vectors, must agree with both. The CloudFront Function and the TypeScript client run them too.

use imgfront_spec::{Config, Spec, sign};
use serde_json::Value;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("tests/vectors/signing.json")).expect("vectors");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["cases"].as_array().expect("cases").clone()
}

fn config() -> Config {
    let text =
        std::fs::read_to_string(root().join("tests/vectors/config.json")).expect("vector config");
    Config::from_json(&text).expect("config")
}

#[test]
fn rust_computes_every_signing_string_and_signature() {
    let config = config();
    let cases = vectors();
    assert!(cases.len() >= 8);
    for case in &cases {
        let url = case["url"].as_str().expect("url");
        let req = Spec::from_viewer_url(&config, url, None).expect("a valid URL");
        assert_eq!(
            req.signing_string, case["signing_string"],
            "{}: signing string",
            case["name"]
        );
        let secret = case["secret"].as_str().expect("secret").as_bytes();
        assert_eq!(
            sign::sign(secret, &req.signing_string),
            case["sig"].as_str().expect("sig"),
            "{}",
            case["name"]
        );
        // And the signed URL verifies (before its expiry, if any).
        let signed = format!(
            "{url}{}sig={}",
            if url.contains('?') { '&' } else { '?' },
            case["sig"].as_str().unwrap_or_default()
        );
        let req = Spec::from_viewer_url(&config, &signed, None).expect("signed URL parses");
        assert_eq!(
            sign::verify(&req, &[secret], 1_890_000_000),
            Ok(()),
            "{}",
            case["name"]
        );
        assert!(sign::verify(&req, &[b"another secret"], 1_890_000_000).is_err());
    }
}

/// The snippet between the `signing-snippet` markers in docs/url-api.md.
fn python_snippet() -> String {
    let doc = std::fs::read_to_string(root().join("docs/url-api.md")).expect("docs/url-api.md");
    let start = doc
        .find("<!-- signing-snippet -->")
        .expect("a signing-snippet marker");
    let code = &doc[start..];
    let code = &code[code.find("```python\n").expect("a python block") + 10..];
    code[..code.find("```").expect("end of the block")].to_string()
}

#[test]
fn the_documented_python_snippet_signs_every_vector_alike() {
    let runner = format!(
        "{}\nimport json, sys\nfor case in json.load(sys.stdin)['cases']:\n    print(sign_url(case['url'], case['secret'].encode()))\n",
        python_snippet()
    );
    let dir = std::env::temp_dir().join(format!("imgfront-sign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("snippet.py");
    std::fs::write(&script, runner).expect("write snippet");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .stdin(std::fs::File::open(root().join("tests/vectors/signing.json")).expect("vectors"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let cases = vectors();
    assert_eq!(lines.len(), cases.len());
    for (line, case) in lines.iter().zip(&cases) {
        let url = case["url"].as_str().unwrap_or_default();
        let sig = case["sig"].as_str().unwrap_or_default();
        let expected = format!(
            "{url}{}sig={sig}",
            if url.contains('?') { '&' } else { '?' }
        );
        assert_eq!(line, &expected, "{}", case["name"]);
    }
}
