//! The gallery in a real browser: headless Chromium loads `/` from a live `imgfront dev`; every
//! image must decode at the size its canonical path asks for (checked again against the bytes
//! the edge serves), and a screenshot is saved to `target/artifacts/gallery.png`.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use imgfront_edge::client::Client;
use imgfront_engine::{geometry, probe};
use imgfront_spec::{Config, Spec};
use imgfront_testkit::repo_root;

fn chromium() -> String {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name.to_string();
        }
    }
    panic!("no chromium on PATH: run scripts/setup --browser (apt-get install chromium)");
}

fn headless(browser: &str, profile: &std::path::Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--hide-scrollbars",
        "--window-size=1280,2400",
        "--virtual-time-budget=60000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The `sizes` slot of a gallery's responsive image at a 1280 px wide window.
const SLOT: u64 = 1000;

/// The output size the spec implies for its original: the canonical box, never enlarging a
/// raster (SVG scales freely).
fn expected_size(spec: &Spec) -> (u64, u64) {
    let bytes = std::fs::read(repo_root().join("demo/originals").join(spec.key.as_str())).unwrap();
    let format = probe::sniff(&bytes).unwrap();
    let (sw, sh, enlarge) = if format == probe::SourceFormat::Svg {
        // The demo SVGs declare their size in the root element's width/height.
        let text = String::from_utf8_lossy(&bytes);
        let attr = |name: &str| -> u32 {
            let at = text.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            text[at..].split('"').next().unwrap().parse().unwrap()
        };
        (attr("width"), attr("height"), true)
    } else {
        let h = probe::header(format, &bytes).unwrap();
        (h.width, h.height, false)
    };
    let plan = geometry::plan(sw, sh, &spec.ops, 4096, 4096, enlarge);
    let (w, h) = plan.canvas.unwrap_or((plan.out_w, plan.out_h));
    (u64::from(w), u64::from(h))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gallery_renders_every_image_at_its_canonical_size() {
    let browser = chromium();
    let (addr, dev) = common::start(common::scratch("gallery")).await;
    let page = format!("http://{addr}/");
    let rows = report(&browser, &page, "chromium-profile").await;

    let config = Config::embedded();
    let originals = dev.originals().await.unwrap();
    let per_original = 1 + config
        .presets
        .iter()
        .map(|p| p.formats.len())
        .sum::<usize>();
    assert_eq!(rows.len(), originals.len() * per_original, "{rows:?}");

    let mut client = Client::connect(addr).await.unwrap();
    for row in &rows {
        let src = row["src"].as_str().unwrap();
        assert!(
            row["decoded"].as_bool().unwrap(),
            "{src} did not decode: {row}"
        );
        let (w, h) = (
            row["width"].as_u64().unwrap(),
            row["height"].as_u64().unwrap(),
        );
        // What the canonical path asks for…
        let path_and_query = src.trim_start_matches(&format!("http://{addr}"));
        let spec = Spec::from_viewer_url(&config, path_and_query, Some("image/avif,image/webp"))
            .unwrap()
            .spec;
        // …and what the bytes the edge serves say.
        let r = client
            .get(path_and_query, "image/avif,image/webp,*/*")
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        let format = probe::sniff(&r.body).unwrap();
        let header = probe::header(format, &r.body).unwrap();
        let (bw, bh) = (u64::from(header.width), u64::from(header.height));
        let (ew, eh) = expected_size(&spec);
        assert_eq!((bw, bh), (ew, eh), "{src}: served {bw}x{bh}");
        if row["cls"] == "responsive" {
            // srcset `w` descriptors: the browser reports the size in CSS px of the `sizes`
            // slot (1000px at this window width), at the served image's aspect ratio.
            assert_eq!(w, SLOT, "{src}");
            assert!(
                (h * bw).abs_diff(bh * SLOT) <= bw,
                "{src}: {w}x{h} vs {bw}x{bh}"
            );
        } else {
            assert_eq!(
                (w, h),
                (bw, bh),
                "{src}: decoded size differs from the bytes"
            );
        }
        assert!(row["bytes"].as_u64().unwrap() > 0, "{src}: bytes not shown");
    }
    let stats = dev.edge.stats();
    assert!(stats.transforms > 0 && stats.errors == 0, "{stats:?}");

    // The screenshot is the artifact a reviewer looks at.
    let artifacts = repo_root().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("gallery.png");
    let _ = std::fs::remove_file(&shot);
    let mut cmd = headless(&browser, &common::scratch("chromium-profile-shot"));
    cmd.arg(format!("--screenshot={}", shot.display()))
        .arg(&page);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(probe::sniff(&png).unwrap(), probe::SourceFormat::Png);
    assert!(png.len() > 50_000, "screenshot is suspiciously small");
}

/// Loads `page` in a fresh headless profile and returns the JSON rows of its `#report`.
async fn report(browser: &str, page: &str, profile: &str) -> Vec<serde_json::Value> {
    let mut cmd = headless(browser, &common::scratch(profile));
    cmd.arg("--dump-dom").arg(page);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("id=\"report\"")
        .expect("report element in the DOM");
    let body = &dom[start..];
    let json = &body[body.find('>').unwrap() + 1..body.find("</pre>").unwrap()];
    assert!(
        !json.is_empty(),
        "the page never finished loading its images"
    );
    serde_json::from_str(&unescape(json)).unwrap()
}

/// A client example page: its path in the site folder, how many images it shows, and whether
/// image `i` is a srcset image in a 400 px slot.
type Page = (&'static str, usize, fn(usize) -> bool);

/// The TypeScript client's example pages, served by `imgfront dev --site clients/js`: the plain
/// page (built in the browser by `srcSet` and `imageUrl`) and the Next.js static export (every
/// URL written by the client's `next/image` loader). Their images decode at the sizes their
/// canonical paths ask for, srcset descriptors are the served widths, and a second visitor's
/// load is served from the edge cache alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_example_pages_decode_every_image_and_reload_from_the_edge_cache() {
    let browser = chromium();
    let site = repo_root().join("clients/js");
    for built in ["dist/index.js", "example-next/out/index.html"] {
        assert!(
            site.join(built).exists(),
            "clients/js/{built} is missing: npm --prefix clients/js ci && npm --prefix clients/js run build && npm --prefix clients/js run example:next"
        );
    }
    let config = Config::embedded();
    let dev = std::sync::Arc::new(
        imgfront_edge::Dev::new(
            config.clone(),
            common::keys(&config),
            imgfront_store::AnyStore::Fs(imgfront_store::FsStore::new(
                repo_root().join("demo/originals"),
            )),
            imgfront_store::AnyStore::Fs(imgfront_store::FsStore::new(common::scratch(
                "example-derivatives",
            ))),
            256 << 20,
        )
        .with_site(site),
    );
    let (addr, dev) = common::serve(dev).await;
    let mut client = Client::connect(addr).await.unwrap();
    // The site folder serves its own plain files only.
    for escape in [
        "/_imgfront/site/../Cargo.toml",
        "/_imgfront/site/.gitignore",
        "/_imgfront/site/example/",
    ] {
        let r = client.get(escape, "*/*").await.unwrap();
        assert_eq!(r.status, 404, "{escape}");
    }
    let pages: [Page; 2] = [
        ("example/index.html", 6, |i| i % 2 == 0),
        ("example-next/out/index.html", 3, |_| true),
    ];
    for (page, count, responsive) in pages {
        let url = format!("http://{addr}/_imgfront/site/{page}");
        let rows = report(&browser, &url, &format!("{page}-1").replace('/', "-")).await;
        assert_eq!(rows.len(), count, "{page}: {rows:?}");
        for (i, row) in rows.iter().enumerate() {
            let src = row["src"].as_str().unwrap();
            assert!(
                row["decoded"].as_bool().unwrap(),
                "{src} did not decode: {row}"
            );
            let path_and_query = src.trim_start_matches(&format!("http://{addr}"));
            let spec =
                Spec::from_viewer_url(&config, path_and_query, Some("image/avif,image/webp"))
                    .unwrap()
                    .spec;
            let r = client
                .get(path_and_query, "image/avif,image/webp,*/*")
                .await
                .unwrap();
            assert_eq!(r.status, 200, "{src}");
            let header = probe::header(probe::sniff(&r.body).unwrap(), &r.body).unwrap();
            let (bw, bh) = (u64::from(header.width), u64::from(header.height));
            assert_eq!((bw, bh), expected_size(&spec), "{src}");
            let (w, h) = (
                row["width"].as_u64().unwrap(),
                row["height"].as_u64().unwrap(),
            );
            if responsive(i) {
                // A srcset candidate's `w` descriptor is the width it was served at, so the
                // browser reports exactly the 400 px slot, at the served aspect ratio.
                assert_eq!(w, 400, "{page} {src}");
                assert!(
                    (h * bw).abs_diff(bh * 400) <= bw,
                    "{src}: {w}x{h} vs {bw}x{bh}"
                );
            } else {
                assert_eq!((w, h), (bw, bh), "{src}");
            }
        }
        let first = dev.edge.stats();
        assert!(first.transforms > 0 && first.errors == 0, "{first:?}");

        // A second visitor (an empty browser cache): every image is an edge hit.
        let again = report(&browser, &url, &format!("{page}-2").replace('/', "-")).await;
        assert_eq!(again.len(), rows.len());
        let second = dev.edge.stats();
        assert_eq!(second.misses, first.misses, "{page}: {second:?}");
        assert_eq!(second.transforms, first.transforms, "{page}: {second:?}");
        assert_eq!(
            second.hits,
            first.hits + rows.len() as u64,
            "{page}: {second:?}"
        );
    }
}
