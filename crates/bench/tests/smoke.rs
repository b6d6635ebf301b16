//! The harness end to end on one corpus photo, one repetition: the sharp side installs and
//! runs, both sides' outputs are scored, and the report and chart are written. Figures come
//! from `just bench-photos` (release build), never from here: this is the test profile.

use std::path::Path;
use std::process::Command;

/// A table row of the report: `| op | image | ms | ms | ratio | bytes | bytes | ratio | q | q | Δ | rule |`.
fn row<'a>(md: &'a str, op: &str, image: &str) -> Vec<&'a str> {
    let prefix = format!("| {op} | {image}");
    let line = md
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row for {op} on {image} in:\n{md}"));
    line.trim_matches('|').split('|').map(str::trim).collect()
}

fn number(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("'{cell}' is not a number"))
}

#[test]
fn the_harness_runs_both_sides_and_scores_them() {
    let root = imgfront_testkit::repo_root();
    let npm = Command::new("npm")
        .args([
            "--prefix",
            "bench/sharp",
            "ci",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(&root)
        .status()
        .expect("npm runs");
    assert!(npm.success(), "npm ci for the sharp side failed");

    let work = std::env::temp_dir().join(format!("imgfront-bench-smoke-{}", std::process::id()));
    let (images, out) = (work.join("in"), work.join("out"));
    std::fs::create_dir_all(&images).expect("temp dir");
    let photo = "2569067123_aca715a2ee_o.jpg";
    std::fs::copy(
        imgfront_testkit::corpus_dir().join(photo),
        images.join(photo),
    )
    .expect("corpus photo");

    let run = Command::new(env!("CARGO_BIN_EXE_imgfront-bench"))
        .arg(&images)
        .arg("--out")
        .arg(&out)
        .args([
            "--reps",
            "1",
            "--warmup",
            "0",
            "--no-process",
            "--only",
            "w=640 JPEG",
        ])
        .current_dir(&root)
        .output()
        .expect("the harness runs");
    let console = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "harness failed:\n{console}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let md = std::fs::read_to_string(out.join("benchmarks.md")).expect("benchmarks.md written");
    assert!(
        md.contains("sharp defaults"),
        "the report names sharp's settings"
    );
    let cells = row(&md, "w=640 JPEG q80", photo);
    let (ms_ours, ms_sharp, ratio) = (number(cells[2]), number(cells[3]), number(cells[4]));
    assert!(
        ms_ours > 0.0 && ms_sharp > 0.0,
        "both sides timed: {cells:?}"
    );
    let expect = ms_ours / ms_sharp;
    assert!(
        (ratio - expect).abs() <= 0.02 * expect,
        "ratio is ours/sharp: {cells:?}"
    );
    let (bytes_ours, bytes_sharp) = (number(cells[5]), number(cells[6]));
    assert!(
        bytes_ours > 10_000.0 && bytes_sharp > 10_000.0,
        "both sides encoded: {cells:?}"
    );
    // Both are q80 resizes of the same photo, so each scores well against the reference.
    let (q_ours, q_sharp) = (number(cells[8]), number(cells[9]));
    assert!(
        q_ours > 50.0 && q_sharp > 50.0,
        "SSIMULACRA2 of both outputs: {cells:?}"
    );
    let chart = std::fs::read_to_string(out.join("ratios.svg")).expect("chart written");
    assert!(
        chart.starts_with("<svg") && chart.contains("w=640 JPEG"),
        "chart names the op"
    );
    assert!(
        md.contains("**all ops**"),
        "the total geometric mean is reported"
    );
    assert!(
        console
            .lines()
            .any(|l| l.starts_with("| w=640 JPEG q80 | ") && l.contains("≤ 0.6")),
        "the goals table is printed:\n{console}"
    );
    let dir = out.join("outputs");
    for side in ["imgfront", "sharp"] {
        assert!(
            walk_has(&dir, side),
            "{side} outputs saved under {}",
            dir.display()
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn walk_has(dir: &Path, name: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let p = e.path();
            p.file_name().is_some_and(|n| n == name) || (p.is_dir() && walk_has(&p, name))
        })
}
