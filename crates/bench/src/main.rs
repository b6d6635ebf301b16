//! `imgfront-bench DIR`: imgfront's engine against sharp on every image of a folder. Both run
//! in-process and single-threaded, interleaved on the same inputs; the harness prints median
//! times, ratios, bytes and SSIMULACRA2 per operation, the geometric means against the goals,
//! whole-process figures for one large JPEG and the cold start of both Lambda handlers, and
//! writes the report as Markdown and an SVG chart. Nothing here asserts on time.

mod ops;
mod process;
mod quality;
mod report;
mod sharp;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Parser;
use imgfront_engine::{Settings, probe, transform, transform_many};
use imgfront_spec::Config;
use imgfront_spec::config::EncoderSettings;

use ops::{Op, Variant};
use report::{Row, Side, Summary, geomean};

#[derive(Parser)]
#[command(
    about = "imgfront's engine against sharp, interleaved, on a folder of images",
    after_help = "The configuration (presets, default qualities, encoder settings) is IMGFRONT_CONFIG's, else the built-in imgfront.json."
)]
struct Args {
    /// Folder of images (searched recursively for JPEG, PNG, WebP and AVIF).
    dir: PathBuf,
    /// Where the report, chart and outputs go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Measured repetitions per image and operation (after the warm-up).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Unmeasured repetitions first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Only images at least this wide.
    #[arg(long, default_value_t = 0)]
    min_width: u32,
    /// Only images at most this wide.
    #[arg(long, default_value_t = u32::MAX)]
    max_width: u32,
    /// Extra images to include (e.g. one corpus photo).
    #[arg(long)]
    also: Vec<PathBuf>,
    /// Only operations whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// A JPEG for the whole-process figure; repeatable (default: the largest JPEG by pixels).
    #[arg(long)]
    whole: Vec<PathBuf>,
    /// Skip the whole-process and cold-start figures.
    #[arg(long)]
    no_process: bool,
    /// Also write the report to this Markdown file (e.g. docs/benchmarks.md).
    #[arg(long)]
    docs: Option<PathBuf>,
    /// Print imgfront's median time per pipeline step for every operation.
    #[arg(long)]
    steps: bool,
    /// Print every variant's bytes and SSIMULACRA2, both sides (the fan-out's presets).
    #[arg(long)]
    variants: bool,
    /// The command to quote in the report.
    #[arg(long, default_value = "imgfront-bench")]
    command: String,
}

fn main() {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw.get(1).is_some_and(|a| a == process::MEASURE) {
        std::process::exit(process::measure_main(&raw[2..]));
    }
    let mut args = Args::parse();
    // The sharp runner works in its own directory, so it gets absolute paths.
    let out = std::fs::create_dir_all(&args.out).and_then(|()| std::fs::canonicalize(&args.out));
    match out {
        Ok(out) => args.out = out,
        Err(e) => {
            eprintln!("imgfront-bench: {}: {e}", args.out.display());
            std::process::exit(1);
        }
    }
    if let Err(e) = run(&args) {
        eprintln!("imgfront-bench: {e}");
        std::process::exit(1);
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An input image, read once.
struct Input {
    path: PathBuf,
    name: String,
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn load_inputs(args: &Args) -> Result<Vec<Input>, String> {
    let mut paths = Vec::new();
    walk(&args.dir, &mut paths)?;
    paths.sort();
    let mut inputs = Vec::new();
    for (path, forced) in paths
        .into_iter()
        .map(|p| (p, false))
        .chain(args.also.iter().map(|p| (p.clone(), true)))
    {
        let Ok(path) = std::fs::canonicalize(&path) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(format) = probe::sniff(&bytes) else {
            continue;
        };
        if format == probe::SourceFormat::Svg || format == probe::SourceFormat::Gif {
            continue;
        }
        let Ok(h) = probe::header(format, &bytes) else {
            continue;
        };
        if !forced && (h.width < args.min_width || h.width > args.max_width) {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        inputs.push(Input {
            path,
            name,
            bytes,
            width: h.width,
            height: h.height,
        });
    }
    if inputs.is_empty() {
        return Err(format!(
            "no usable images in {} (width {}..={})",
            args.dir.display(),
            args.min_width,
            args.max_width
        ));
    }
    Ok(inputs)
}

/// Times one imgfront run of `op` on `input`; returns the outputs' bytes.
fn run_imgfront(
    input: &Input,
    variants: &[imgfront_spec::Ops],
    settings: &Settings,
) -> Result<(f64, Vec<imgfront_engine::Output>), String> {
    let start = Instant::now();
    let outputs = if variants.len() == 1 {
        vec![transform(&input.bytes, &variants[0], settings).map_err(|e| e.to_string())?]
    } else {
        transform_many(&input.bytes, variants, settings)
            .map_err(|e| e.to_string())?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?
    };
    let ms = start.elapsed().as_secs_f64() * 1e3;
    Ok((ms, outputs))
}

/// Runs imgfront's side and sharp's, imgfront first on even repetitions and sharp first on
/// odd ones, so neither side always inherits a warm cache.
fn in_turn<A, B>(rep: usize, ours: impl FnOnce() -> A, theirs: impl FnOnce() -> B) -> (A, B) {
    if rep.is_multiple_of(2) {
        let a = ours();
        (a, theirs())
    } else {
        let b = theirs();
        (ours(), b)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn output_dir(out: &Path, image: &str, op: &str, side: &str) -> PathBuf {
    let slug: String = op
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    out.join("outputs").join(image).join(slug).join(side)
}

/// Timings of one (image, op) pair over the repetitions.
#[derive(Default)]
struct Times {
    imgfront: Vec<f64>,
    sharp: Vec<f64>,
    /// The first output's pipeline step timings, per repetition.
    steps: Vec<Vec<(&'static str, std::time::Duration)>>,
}

impl Times {
    /// `step=median ms` for each step that took measurable time.
    fn steps_line(&self) -> String {
        let Some(first) = self.steps.first() else {
            return String::new();
        };
        first
            .iter()
            .enumerate()
            .filter_map(|(k, (name, _))| {
                let ms = median(
                    self.steps
                        .iter()
                        .filter_map(|rep| rep.get(k).map(|(_, d)| d.as_secs_f64() * 1e3))
                        .collect(),
                );
                (ms >= 0.05).then(|| format!("{name}={ms:.1}"))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn run(args: &Args) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let mut all_ops = ops::all(&config)?;
    if let Some(only) = &args.only {
        all_ops.retain(|o| o.name.contains(only.as_str()));
    }
    let inputs = load_inputs(args)?;
    let sharp_dir = repo_root().join("bench/sharp");
    let mut sharp = sharp::Sharp::start(&sharp_dir)?;
    println!(
        "imgfront engine vs sharp {} (libvips {}), {} images, {} ops, {} warm-up + {} measured reps, interleaved, one thread each",
        sharp.versions["sharp"],
        sharp.versions["vips"],
        inputs.len(),
        all_ops.len(),
        args.warmup,
        args.reps
    );

    let prepared: Vec<(Vec<imgfront_spec::Ops>, Vec<serde_json::Value>, Settings)> = all_ops
        .iter()
        .map(|op| {
            let ours = op
                .variants
                .iter()
                .map(|v| v.ops(&config))
                .collect::<Result<Vec<_>, _>>()?;
            let theirs = op.variants.iter().map(Variant::sharp).collect();
            Ok((ours, theirs, op.profile.settings(&config)))
        })
        .collect::<Result<_, String>>()?;

    let mut times: Vec<Vec<Times>> = inputs
        .iter()
        .map(|_| all_ops.iter().map(|_| Times::default()).collect())
        .collect();
    let mut sizes: Vec<Vec<(Vec<usize>, Vec<usize>)>> =
        vec![vec![Default::default(); all_ops.len()]; inputs.len()];
    // Outputs are found by variant index, so an earlier run's files (another configuration's
    // presets) must not be there to be scored.
    let outputs = args.out.join("outputs");
    if outputs.exists() {
        std::fs::remove_dir_all(&outputs).map_err(|e| format!("{}: {e}", outputs.display()))?;
    }
    for rep in 0..args.warmup + args.reps {
        let measured = rep >= args.warmup;
        let save = rep == args.warmup;
        eprint!(
            "\r{} {}/{}",
            if measured { "rep" } else { "warm-up" },
            if measured {
                rep - args.warmup + 1
            } else {
                rep + 1
            },
            if measured { args.reps } else { args.warmup }
        );
        for (i, input) in inputs.iter().enumerate() {
            for (o, op) in all_ops.iter().enumerate() {
                let (ours, theirs, settings) = &prepared[o];
                let dir_i = output_dir(&args.out, &input.name, op.name, "imgfront");
                let dir_s = output_dir(&args.out, &input.name, op.name, "sharp");
                let (ours_result, theirs_result) = in_turn(
                    rep,
                    || run_imgfront(input, ours, settings),
                    || sharp.run(&input.path, theirs, save.then_some(dir_s.as_path())),
                );
                let (ms_i, outs) = ours_result
                    .map_err(|e| format!("imgfront, {} on {}: {e}", op.name, input.name))?;
                let reply = theirs_result?;
                if save {
                    std::fs::create_dir_all(&dir_i).map_err(|e| e.to_string())?;
                    for (k, (out, v)) in outs.iter().zip(&op.variants).enumerate() {
                        let file = dir_i.join(format!("{k}.{}", v.format.as_str()));
                        std::fs::write(&file, &out.bytes).map_err(|e| e.to_string())?;
                    }
                    sizes[i][o] = (
                        outs.iter().map(|x| x.bytes.len()).collect(),
                        reply.outputs.iter().map(|x| x.bytes).collect(),
                    );
                }
                if measured {
                    if let Some(first) = outs.first() {
                        times[i][o].steps.push(first.timings.clone());
                    }
                    times[i][o].imgfront.push(ms_i);
                    times[i][o].sharp.push(reply.ms);
                }
            }
        }
    }
    eprintln!();

    eprintln!("scoring outputs with SSIMULACRA2 …");
    let mut rows = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut refs = quality::References::new(&input.path)?;
        for (o, op) in all_ops.iter().enumerate() {
            let mut sides = [Side::default(), Side::default()];
            for (s, name) in ["imgfront", "sharp"].into_iter().enumerate() {
                let dir = output_dir(&args.out, &input.name, op.name, name);
                for (k, v) in op.variants.iter().enumerate() {
                    let file = find_output(&dir, k)?;
                    sides[s].scores.push(refs.score(&file, v.cover)?);
                }
            }
            let [mut imgfront, mut sharp_side] = sides;
            let t = std::mem::take(&mut times[i][o]);
            if args.steps {
                println!("steps {} / {}: {}", op.name, input.name, t.steps_line());
            }
            if args.variants {
                for (k, label) in op.variants.iter().map(Variant::label).enumerate() {
                    println!(
                        "variant {label} / {}: imgfront {} B {:.2}, sharp {} B {:.2}",
                        input.name,
                        sizes[i][o].0[k],
                        imgfront.scores[k],
                        sizes[i][o].1[k],
                        sharp_side.scores[k]
                    );
                }
            }
            imgfront.median_ms = median(t.imgfront);
            sharp_side.median_ms = median(t.sharp);
            (imgfront.bytes, sharp_side.bytes) = sizes[i][o].clone();
            let row = Row {
                op: op.name.to_string(),
                image: format!("{} ({}x{})", input.name, input.width, input.height),
                imgfront,
                sharp: sharp_side,
                slack: op.variants.iter().map(ops::byte_slack).collect(),
                labels: op.variants.iter().map(Variant::label).collect(),
            };
            rows.push(row);
        }
    }

    let summaries: Vec<Summary> = all_ops
        .iter()
        .map(|op| {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.op == op.name).collect();
            Summary {
                op: op.name.to_string(),
                geomean: geomean(mine.iter().map(|r| r.ratio())),
                goal: op.goal,
                failures: mine.iter().flat_map(|r| r.quality_failures()).collect(),
            }
        })
        .collect();
    let total = geomean(rows.iter().map(Row::ratio));

    let table = report::rows_markdown(&rows);
    let summary = report::summary_markdown(&summaries, total);
    println!("\n{table}\n{summary}");

    let tradeoff = tradeoff(&config, &inputs, &rows, &all_ops, args)?;
    println!("{tradeoff}");

    let processes = if args.no_process {
        String::new()
    } else {
        let p = process_figures(args, &inputs)?;
        println!("{p}");
        p
    };

    let chart = report::chart_svg(&summaries);
    std::fs::write(args.out.join("ratios.svg"), &chart).map_err(|e| e.to_string())?;
    let doc = document(
        args, &sharp, &inputs, &summary, &table, &tradeoff, &processes,
    );
    std::fs::write(args.out.join("benchmarks.md"), &doc).map_err(|e| e.to_string())?;
    println!(
        "report: {} and {}",
        args.out.join("benchmarks.md").display(),
        args.out.join("ratios.svg").display()
    );
    if let Some(docs) = &args.docs {
        let svg = docs.with_extension("svg");
        let doc = doc.replace(
            "![ratios](ratios.svg)",
            &format!(
                "![ratios]({})",
                svg.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ),
        );
        std::fs::write(docs, doc).map_err(|e| format!("{}: {e}", docs.display()))?;
        std::fs::write(&svg, chart).map_err(|e| format!("{}: {e}", svg.display()))?;
        println!("also written: {} and {}", docs.display(), svg.display());
    }
    Ok(())
}

fn find_output(dir: &Path, k: usize) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    entries
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_stem().is_some_and(|s| s == k.to_string().as_str()))
        .ok_or_else(|| format!("output {k} missing in {}", dir.display()))
}

/// imgfront's encoder settings swept on one image at w=640, beside sharp's figure for the same
/// op: where the time/bytes/quality balance of the chosen settings sits.
fn tradeoff(
    config: &Config,
    inputs: &[Input],
    rows: &[Row],
    all_ops: &[Op],
    args: &Args,
) -> Result<String, String> {
    use imgfront_spec::Format;
    let input = &inputs[inputs.len() / 2];
    let request = config.encoding.request;
    let mut out = format!(
        "Encoder trade-off on {} at w=640 (imgfront median of {} runs; the chosen request setting is marked *):\n\n\
         | format | imgfront setting | ms | bytes | SSIMULACRA2 |\n|---|---|---:|---:|---:|\n",
        input.name, args.reps
    );
    let dir = args.out.join("tradeoff");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut refs = quality::References::new(&input.path)?;
    let sweeps: Vec<(Format, String, EncoderSettings)> = [
        (
            Format::Jpeg,
            "baseline, optimised Huffman".to_string(),
            EncoderSettings {
                jpeg_progressive: false,
                jpeg_trellis: false,
                ..request
            },
        ),
        (
            Format::Jpeg,
            "progressive, optimised Huffman".to_string(),
            EncoderSettings {
                jpeg_progressive: true,
                jpeg_trellis: false,
                ..request
            },
        ),
        (
            Format::Jpeg,
            "progressive + trellis (mozjpeg defaults)".to_string(),
            EncoderSettings {
                jpeg_progressive: true,
                jpeg_trellis: true,
                ..request
            },
        ),
    ]
    .into_iter()
    // How much resizing JPEG shrink-on-load leaves: at w=640 of a 2560 px photo, 1.0 decodes
    // at 1/4 (no resize), 1.2 and 2.0 at 1/2, 2.5 at full size.
    .chain([1.0f32, 1.2, 2.0, 2.5].map(|m| {
        (
            Format::Jpeg,
            format!("shrink-on-load margin {m:.1}"),
            EncoderSettings {
                jpeg_shrink_margin: m,
                ..request
            },
        )
    }))
    .chain([0u8, 1, 2, 3, 4, 6].map(|m| {
        (
            Format::Webp,
            format!("method {m}"),
            EncoderSettings {
                webp_method: m,
                ..request
            },
        )
    }))
    .chain([9u8, 8, 7, 6].map(|sp| {
        (
            Format::Avif,
            format!("speed {sp}"),
            EncoderSettings {
                avif_speed: sp,
                avif_quant_matrices: false,
                ..request
            },
        )
    }))
    .chain([(
        Format::Avif,
        "speed 6, quantisation matrices".to_string(),
        EncoderSettings {
            avif_speed: 6,
            avif_quant_matrices: true,
            ..request
        },
    )])
    .collect();
    for (format, label, enc) in sweeps {
        let quality = if format == Format::Avif {
            None
        } else {
            Some(80)
        };
        let v = Variant {
            width: 640,
            height: None,
            cover: false,
            format,
            quality,
        };
        let ops = v.ops(config)?;
        let settings = Settings {
            encoder: enc,
            ..Settings::request(config)
        };
        let mut ms = Vec::new();
        let mut last = Vec::new();
        for _ in 0..args.reps.max(1) {
            let (t, mut o) = run_imgfront(input, std::slice::from_ref(&ops), &settings)?;
            ms.push(t);
            last = o.pop().map(|x| x.bytes).unwrap_or_default();
        }
        let file = dir.join(format!(
            "{}.{}",
            label.replace([' ', ','], "_"),
            format.as_str()
        ));
        std::fs::write(&file, &last).map_err(|e| e.to_string())?;
        let chosen = enc == request;
        let _ = writeln!(
            out,
            "| {} | {}{} | {:.1} | {} | {:.2} |",
            format.as_str(),
            label,
            if chosen { " *" } else { "" },
            median(ms),
            last.len(),
            refs.score(&file, false)?
        );
    }
    for op in all_ops
        .iter()
        .filter(|o| o.variants.len() == 1 && !o.variants[0].cover && o.variants[0].width == 640)
    {
        if let Some(r) = rows
            .iter()
            .find(|r| r.op == op.name && r.image.starts_with(&input.name))
        {
            let _ = writeln!(
                out,
                "| {} | **sharp defaults** | {:.1} | {} | {:.2} |",
                op.variants[0].format.as_str(),
                r.sharp.median_ms,
                r.sharp.bytes[0],
                r.sharp.scores[0]
            );
        }
    }
    Ok(out)
}

/// Peak RSS and wall time of whole processes (18 MP JPEG → w=640 WebP), then cold starts.
fn process_figures(args: &Args, inputs: &[Input]) -> Result<String, String> {
    let wholes = if args.whole.is_empty() {
        let largest = inputs
            .iter()
            .filter(|i| probe::sniff(&i.bytes).is_ok_and(|f| f == probe::SourceFormat::Jpeg))
            .max_by_key(|i| u64::from(i.width) * u64::from(i.height))
            .map(|i| i.path.clone())
            .ok_or("no JPEG for the whole-process figure")?;
        vec![largest]
    } else {
        args.whole.clone()
    };
    let bin_dir = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no binary directory")?;
    let sharp_dir = repo_root().join("bench/sharp");
    let mut out = String::new();
    for whole in &wholes {
        out.push_str(&whole_process(args, whole, &bin_dir, &sharp_dir)?);
    }
    let (mut ci, mut cs) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let mut ours = Command::new(bin_dir.join("transform"));
        process::lambda_env(&mut ours, "transform");
        ci.push(process::cold_start(&mut ours)?);
        let mut theirs = Command::new("node");
        theirs.arg("lambda.mjs").current_dir(&sharp_dir);
        process::lambda_env(&mut theirs, "sharp-handler");
        cs.push(process::cold_start(&mut theirs)?);
    }
    let (mi, ms) = (median(ci), median(cs));
    let _ = write!(
        out,
        "Cold start, exec → first `GET /2018-06-01/runtime/invocation/next` (median of 10, interleaved):\n\n\
         | handler | ms |\n|---|---:|\n\
         | transform (Rust, release) | {mi:.1} (goal ≤ 15: {}) |\n\
         | Node {} + sharp + AWS SDK v3 S3 client | {ms:.1} |\n",
        if mi <= 15.0 { "met" } else { "NOT met" },
        node_version()
    );
    Ok(out)
}

/// One JPEG → w=640 WebP q80 as a whole process on each side, interleaved: peak RSS and wall.
fn whole_process(
    args: &Args,
    whole: &Path,
    bin_dir: &Path,
    sharp_dir: &Path,
) -> Result<String, String> {
    let out_i = args.out.join("whole-imgfront.webp");
    let out_s = args.out.join("whole-sharp.webp");
    let (mut ri, mut rs) = (Vec::new(), Vec::new());
    let imgfront = bin_dir.join("imgfront");
    let ours: [&std::ffi::OsStr; 4] = [
        "transform".as_ref(),
        whole.as_os_str(),
        out_i.as_os_str(),
        "w=640&q=80".as_ref(),
    ];
    let oneshot = sharp_dir.join("oneshot.mjs");
    let theirs: [&std::ffi::OsStr; 4] = [
        oneshot.as_os_str(),
        whole.as_os_str(),
        out_s.as_os_str(),
        "640".as_ref(),
    ];
    let node = Path::new("node");
    for rep in 0..args.reps.max(1) + 1 {
        let (a, b) = in_turn(
            rep,
            || process::measure(&imgfront, &ours),
            || process::measure(node, &theirs),
        );
        let (a, b) = (a?, b?);
        if rep > 0 {
            ri.push(a);
            rs.push(b);
        }
    }
    let rss =
        |v: &[process::Run]| median(v.iter().map(|r| r.peak_rss_kb as f64 / 1024.0).collect());
    let wall = |v: &[process::Run]| median(v.iter().map(|r| r.wall_ms).collect());
    let (rss_i, rss_s) = (rss(&ri), rss(&rs));
    let bytes = std::fs::read(whole).map_err(|e| e.to_string())?;
    let h = probe::header(probe::SourceFormat::Jpeg, &bytes).map_err(|e| e.to_string())?;
    Ok(format!(
        "Whole process, {} ({}x{}, {:.1} MP, {}) → w=640 WebP q80 (median of {} runs, interleaved):\n\n\
         | command | peak RSS MiB | wall ms |\n|---|---:|---:|\n\
         | `imgfront transform` | {rss_i:.1} | {:.1} |\n\
         | `node oneshot.mjs` (sharp) | {rss_s:.1} | {:.1} |\n\
         | ratio imgfront/sharp | {:.3} (goal ≤ 0.5: {}) | {:.3} |\n\n",
        whole
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        h.width,
        h.height,
        f64::from(h.width) * f64::from(h.height) / 1e6,
        if h.progressive {
            "progressive"
        } else {
            "baseline"
        },
        ri.len(),
        wall(&ri),
        wall(&rs),
        rss_i / rss_s,
        if rss_i / rss_s <= 0.5 {
            "met"
        } else {
            "NOT met"
        },
        wall(&ri) / wall(&rs)
    ))
}

fn node_version() -> String {
    Command::new("node")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(String::new, |kb| {
            format!(", {:.0} GiB", kb / 1024.0 / 1024.0)
        });
    format!("{cpu}, {cores} cores{mem}, {}", std::env::consts::ARCH)
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn document(
    args: &Args,
    sharp: &sharp::Sharp,
    inputs: &[Input],
    summary: &str,
    table: &str,
    tradeoff: &str,
    processes: &str,
) -> String {
    let images: Vec<String> = inputs
        .iter()
        .map(|i| format!("{} ({}x{})", i.name, i.width, i.height))
        .collect();
    format!(
        "# Benchmarks: imgfront's engine against sharp\n\n\
         Written by the harness (`crates/bench`); do not edit by hand.\n\n\
         - **Command:** `{}`\n\
         - **Date:** {}\n\
         - **Machine:** {}\n\
         - **sharp:** {} (libvips {}, mozjpeg {}, libwebp {}, aom {}), `sharp.concurrency(1)`, `sharp.cache(false)`, Node {}\n\
         - **imgfront:** release build, in-process, one thread; request encoders for the single ops, precompute encoders for the fan-out\n\
         - **Method:** {} warm-up + {} measured repetitions, the two sides interleaved (order alternating) on the same in-memory inputs; medians. \
         SSIMULACRA2 is scored against one Lanczos3 linear-light resize of a full-size decode per image and size.\n\
         - **Images ({}):** {}\n\n\
         ## Goals\n\n{}\n![ratios](ratios.svg)\n\n## Per image\n\n{}\n## Encoder settings\n\n{}\n## Processes\n\n{}",
        args.command,
        now_utc(),
        machine(),
        sharp.versions["sharp"].as_str().unwrap_or("?"),
        sharp.versions["vips"].as_str().unwrap_or("?"),
        sharp.versions["mozjpeg"].as_str().unwrap_or("?"),
        sharp.versions["webp"].as_str().unwrap_or("?"),
        sharp.versions["aom"].as_str().unwrap_or("?"),
        node_version(),
        args.warmup,
        args.reps,
        inputs.len(),
        images.join(", "),
        summary,
        table,
        tradeoff,
        if processes.is_empty() {
            "(skipped with --no-process)\n"
        } else {
            processes
        },
    )
}
