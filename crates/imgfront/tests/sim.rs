//! `imgfront sim` as a user runs it: the comparison table, the variant bound and the reference
//! cost table, on a short trace; a recorded trace file replays to the same figures.

mod common;

use common::imgfront;

fn row<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("no row {name} in:\n{out}"))
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn percent(cell: &str) -> f64 {
    cell.trim_end_matches('%').parse().expect("a percentage")
}

#[test]
fn short_trace_prints_both_keyings_and_the_reference_bill() {
    let dir = std::env::temp_dir().join(format!("imgfront-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let trace = dir.join("trace.tsv");
    let trace = trace.to_str().expect("utf-8 path");
    let (ok, out) = imgfront(
        &[],
        &[
            "sim",
            "--requests",
            "30000",
            "--originals",
            "100",
            "--warmup",
            "0",
            "--transform-ms",
            "40",
            "--write-trace",
            trace,
        ],
    );
    assert!(ok, "{out}");
    let hit = row(&out, "edge hit ratio");
    let (naive, ours) = (percent(hit[1]), percent(hit[2]));
    assert!(ours > naive + 20.0, "{out}");
    assert!(out.contains("within the bound"), "{out}");
    // The reference bill is within 1% of the published figures, line by line.
    for name in [
        "CloudFront egress",
        "Transform Lambda",
        "CloudFront Functions",
        "Origin Shield",
        "S3 GETs",
    ] {
        let r = row(&out, name);
        let delta: f64 = r[3].trim_end_matches('%').parse().expect("delta");
        assert!(delta.abs() <= 1.0, "{name}: {delta}%\n{out}");
    }
    let total = row(&out, "**total**");
    assert_eq!(total[2], "**$104,000**");
    assert!(percent(total[3]).abs() <= 1.0, "{out}");

    // Replaying the written trace gives the same figures.
    assert_eq!(
        std::fs::read_to_string(trace)
            .expect("trace")
            .lines()
            .count(),
        30_000
    );
    let (ok, replayed) = imgfront(&[], &["sim", "--trace", trace, "--transform-ms", "40"]);
    assert!(ok, "{replayed}");
    assert_eq!(row(&replayed, "edge hit ratio"), hit);
    assert_eq!(
        row(&replayed, "distinct cache keys"),
        row(&out, "distinct cache keys")
    );
}
