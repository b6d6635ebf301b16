//! The main-job command as a user runs it: the `imgfront dev` binary from the repository root
//! serves the gallery and transformed demo images over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use imgfront_testkit::repo_root;

fn get(addr: &str, path: &str, accept: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect to imgfront dev");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    (head, raw[split + 4..].to_vec())
}

#[test]
fn imgfront_dev_serves_the_gallery_and_images() {
    let derivatives = std::env::temp_dir().join(format!("imgfront-cli-dev-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_imgfront"))
        .current_dir(repo_root())
        .args(["dev", "--port", "0", "--no-precompute", "--derivatives"])
        .arg(&derivatives)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start imgfront dev");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("banner");
    // Keep draining: the server prints more lines, and a closed pipe would stop it.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();

    let (head, body) = get(&addr, "/", "text/html");
    let page = String::from_utf8_lossy(&body);
    let image = get(
        &addr,
        "/demo/harbour.jpg?w=300&fmt=auto&utm_source=t",
        "image/webp,*/*",
    );
    let _ = child.kill();
    let _ = child.wait();

    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        page.contains("srcset=") && page.contains("demo/harbour.jpg"),
        "{page}"
    );
    assert!(page.contains("acme/sneaker.jpg") && page.contains("sig="));
    assert!(image.0.starts_with("HTTP/1.1 200"), "{}", image.0);
    assert!(image.0.contains("content-type: image/webp"), "{}", image.0);
    assert!(image.0.contains("x-cache: Miss") && image.0.contains("x-origin: transform"));
    assert_eq!(&image.1[8..12], b"WEBP");
    let _ = std::fs::remove_dir_all(&derivatives);
}
