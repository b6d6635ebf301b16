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
    let (mut child, addr) = start_dev(None, &repo_root().join("demo/originals"), &derivatives);

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

/// `imgfront dev` serving `originals` into `derivatives`, started as `sh -c 'ulimit -n FDS;
/// exec …'` when `fds` is given; returns the child and its address.
fn start_dev(
    fds: Option<u32>,
    originals: &std::path::Path,
    derivatives: &std::path::Path,
) -> (std::process::Child, String) {
    let limit = fds.map_or(String::new(), |n| format!("ulimit -n {n}; "));
    let mut child = Command::new("sh")
        .current_dir(repo_root())
        .arg("-c")
        .arg(format!(
            "{limit}exec \"$0\" dev --port 0 --no-precompute --originals \"$1\" --derivatives \"$2\""
        ))
        .arg(env!("CARGO_BIN_EXE_imgfront"))
        .arg(originals)
        .arg(derivatives)
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
    (child, addr)
}

fn status(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_dev_server_survives_descriptor_floods_slow_clients_and_hostile_paths() {
    let originals = std::env::temp_dir().join(format!("imgfront-cli-flood-{}", std::process::id()));
    let tenant = originals.join("demo");
    std::fs::create_dir_all(&tenant).expect("originals");
    std::fs::create_dir_all(originals.join("acme")).expect("acme");
    std::fs::copy(
        repo_root().join("demo/originals/demo/harbour.jpg"),
        tenant.join("harbour.jpg"),
    )
    .expect("copy");
    std::fs::write(originals.join("acme/secret.jpg"), b"acme's").expect("secret");
    std::os::unix::fs::symlink(originals.join("acme/secret.jpg"), tenant.join("stolen.jpg"))
        .expect("symlink");
    // 64 descriptors: a few dozen idle connections exhaust them.
    let (mut child, addr) = start_dev(
        Some(64),
        &originals,
        &originals.with_extension("derivatives"),
    );

    // A descriptor flood: idle connections until accept() fails for lack of descriptors.
    let idle: Vec<TcpStream> = (0..120)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    println!(
        "{} idle connections opened against a 64-descriptor server",
        idle.len()
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(idle);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (head, _) = get(&addr, "/demo/harbour.jpg?w=160", "image/webp");
    assert_eq!(
        status(&head),
        200,
        "the server must outlive the flood: {head}"
    );

    // A slow client that never finishes its headers is cut off by the header timeout, and
    // meanwhile others are served.
    let mut slow = TcpStream::connect(&addr).expect("slow client");
    write!(slow, "GET /demo/harbour.jpg HTTP/1.1\r\nHost: x\r\n").expect("partial headers");
    let (head, _) = get(&addr, "/demo/harbour.jpg?w=160", "image/webp");
    assert_eq!(status(&head), 200, "{head}");
    slow.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(25),
        "the slow connection must be closed by the server, not by our own read timeout ({waited:?})"
    );

    // Filesystem errors are the key's fault: 404 and 400, never 500.
    let (head, _) = get(&addr, "/demo/harbour.jpg/w_320", "image/webp");
    assert_eq!(status(&head), 404, "a path through a file: {head}");
    let long = "a".repeat(300);
    let (head, body) = get(&addr, &format!("/demo/{long}.jpg"), "image/webp");
    assert_eq!(status(&head), 400, "a 300-character name: {head}");
    assert!(String::from_utf8_lossy(&body).contains("longer than the file system allows"));
    // A link out of the tenant's folder is refused.
    let (head, body) = get(&addr, "/demo/stolen.jpg", "image/webp");
    assert_eq!(status(&head), 400, "{head}");
    assert!(String::from_utf8_lossy(&body).contains("links outside the demo/ folder"));

    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&originals);
    let _ = std::fs::remove_dir_all(originals.with_extension("derivatives"));
}
