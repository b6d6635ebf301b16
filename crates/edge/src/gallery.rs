//! The gallery at `/`: every original as a responsive `<img srcset sizes>` built with the URL
//! API, the grid of its preset variants with their bytes, and live edge counters. After every
//! image settles, the page writes what the browser decoded into `#report` (read by the
//! headless-Chromium test).

use imgfront_spec::Key;
use imgfront_store::ObjectStore;

use crate::dev::Dev;

/// Widths offered in `srcset`: the configured breakpoints from 160 to 1920 px.
pub fn srcset_widths(config: &imgfront_spec::Config) -> Vec<u32> {
    config
        .breakpoints
        .width
        .iter()
        .copied()
        .filter(|w| (160..=1920).contains(w))
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn page<S: ObjectStore + Clone + 'static>(dev: &Dev<S>, keys: &[String]) -> String {
    let config = dev.config();
    let widths = srcset_widths(config);
    let mut sections = String::new();
    for raw in keys {
        let Ok(key) = Key::from_decoded(config, raw) else {
            continue;
        };
        let srcset: Vec<String> = widths
            .iter()
            .map(|w| {
                format!(
                    "{} {w}w",
                    escape(&dev.url(&key, &format!("w={w}&fmt=auto")))
                )
            })
            .collect();
        let src = escape(&dev.url(&key, "w=640&fmt=auto"));
        let mut variants = String::new();
        for preset in &config.presets {
            for format in &preset.formats {
                let query = format!("{}&fmt={}", preset.query, format.extension());
                let url = escape(&dev.url(&key, &query));
                variants.push_str(&format!(
                    "<figure><img class=\"variant\" src=\"{url}\" alt=\"\"><figcaption>{} · {} · \
                     <span class=\"bytes\">…</span></figcaption></figure>\n",
                    escape(&preset.name),
                    format.extension()
                ));
            }
        }
        sections.push_str(&format!(
            "<section><h2>{title}</h2>\n<img class=\"responsive\" src=\"{src}\" srcset=\"{srcset}\" \
             sizes=\"(min-width: 1100px) 1000px, 92vw\" alt=\"{title}\">\n<div class=\"grid\">\n{variants}</div></section>\n",
            title = escape(raw),
            srcset = srcset.join(", "),
        ));
    }
    if sections.is_empty() {
        sections = "<p>No originals yet: copy images into the originals folder as \
                    <code>{tenant}/{path}</code>, then reload.</p>"
            .into();
    }
    format!("{HEAD}<main>\n{sections}</main>\n{SCRIPT}</body></html>\n")
}

const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imgfront dev</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f2;color:#222}
header{position:sticky;top:0;background:#1d2b64;color:#fff;padding:.6rem 1rem;display:flex;gap:1.5rem;align-items:baseline;z-index:1}
header b{font-size:1.1rem} #counters span{margin-right:1rem;font-variant-numeric:tabular-nums}
main{max-width:1000px;margin:0 auto;padding:1rem}
section{background:#fff;border-radius:8px;padding:1rem;margin-bottom:1.5rem}
h2{font-size:1rem;margin:0 0 .6rem;font-family:ui-monospace,monospace}
img.responsive{width:100%;height:auto;display:block;border-radius:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.75rem;margin-top:.8rem}
figure{margin:0;background:#fafafa;border:1px solid #eee;border-radius:4px;padding:.4rem}
figure img{max-width:100%;height:auto;display:block;margin:auto}
figcaption{font-size:.8rem;color:#555;margin-top:.3rem}
</style></head><body>
<header><b>imgfront dev</b><div id="counters">loading counters…</div></header>
<pre id="report" hidden></pre>
"#;

const SCRIPT: &str = r#"<script>
async function counters() {
  try {
    const s = await (await fetch('/_imgfront/stats', {cache: 'no-store'})).json();
    const ratio = s.hits + s.misses ? (100 * s.hits / (s.hits + s.misses)).toFixed(1) : '–';
    document.getElementById('counters').innerHTML =
      `<span>requests ${s.requests}</span><span>hits ${s.hits}</span><span>misses ${s.misses}</span>` +
      `<span>transforms ${s.transforms}</span><span>from derivatives ${s.from_derivatives}</span>` +
      `<span>coalesced ${s.coalesced}</span><span>hit ratio ${ratio}%</span>`;
  } catch (e) { /* the server may be restarting */ }
}
function settled(img) {
  return img.complete ? Promise.resolve() : new Promise(r => { img.onload = img.onerror = r; });
}
async function bytesOf(img) {
  const entry = performance.getEntriesByName(img.currentSrc)[0];
  if (entry && entry.encodedBodySize) return entry.encodedBodySize;
  const head = await fetch(img.currentSrc, {method: 'HEAD'});
  return Number(head.headers.get('content-length') || 0);
}
async function report() {
  const imgs = [...document.querySelectorAll('main img')];
  await Promise.all(imgs.map(settled));
  const rows = [];
  for (const img of imgs) {
    const bytes = await bytesOf(img).catch(() => 0);
    const caption = img.parentElement.querySelector('.bytes');
    if (caption) caption.textContent = `${img.naturalWidth}×${img.naturalHeight}, ${bytes.toLocaleString()} B`;
    rows.push({src: img.currentSrc, cls: img.className, width: img.naturalWidth,
               height: img.naturalHeight, decoded: img.complete && img.naturalWidth > 0, bytes});
  }
  document.getElementById('report').textContent = JSON.stringify(rows);
  counters();
}
counters();
setInterval(counters, 1000);
window.addEventListener('load', report);
</script>
"#;
