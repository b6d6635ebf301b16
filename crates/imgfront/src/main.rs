//! `imgfront`: one-off transforms, canonicalization, URL signing, backfills, takedowns, the
//! tenant registry in the KeyValueStore, the local edge (`dev`) and the hit-ratio simulator
//! (`sim`) from the command line.

use std::process::ExitCode;
use std::time::Instant;

mod backfill;
mod dev;
mod sim;
mod takedown;
mod tenants;
mod urls;

use clap::{Parser, Subcommand};
use imgfront_engine::{Settings, transform};
use imgfront_spec::{Access, Config, Format, Key, Spec};

#[derive(Parser)]
#[command(
    name = "imgfront",
    version,
    about = "imgfront: image delivery for CloudFront + S3"
)]
struct Cli {
    /// Configuration file (default: IMGFRONT_CONFIG, else the built-in imgfront.json).
    #[arg(long, global = true)]
    config: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transform one image file with the URL API, e.g. `imgfront transform in.jpg out.webp 'w=640&q=80'`.
    Transform {
        input: String,
        output: String,
        /// Query in URL API syntax; without `fmt` the format follows OUTPUT's extension.
        #[arg(default_value = "")]
        query: String,
        /// Use the precompute encoder settings (smaller, slower).
        #[arg(long)]
        precompute: bool,
    },
    /// Print the canonical path of a viewer URL, e.g. `imgfront canon '/demo/a.jpg?w=300&dpr=2'`.
    Canon {
        #[arg(required_unless_present_any = ["key_space", "stdin"])]
        url: Option<String>,
        /// The Accept header, for fmt=auto.
        #[arg(long)]
        accept: Option<String>,
        /// Instead of a URL's path: the exact number of distinct canonical paths one original
        /// can have from unsigned URLs under the configuration, with its factors.
        #[arg(long)]
        key_space: bool,
        /// Read `URL<TAB>ACCEPT` lines from standard input; print each canonical path, or
        /// `error KIND message`.
        #[arg(long, conflicts_with = "url")]
        stdin: bool,
    },
    /// Build the shortest viewer URL for KEY and QUERY (each parameter in its canonical
    /// spelling), signed with --secret for a private tenant,
    /// e.g. `imgfront url demo/a.jpg 'w=300&dpr=2&fmt=auto'`
    Url {
        key: String,
        #[arg(default_value = "")]
        query: String,
        /// Prefix, e.g. https://images.example.com
        #[arg(long, default_value = "")]
        base: String,
        #[arg(long, env = "IMGFRONT_SIGNING_SECRET")]
        secret: Option<String>,
        /// Expiry as Unix seconds (signed).
        #[arg(long)]
        exp: Option<u64>,
    },
    /// Print `src`, `srcset` and `sizes` attributes for KEY: one candidate per breakpoint
    /// (320-2560 px by default), each already canonical
    Srcset {
        key: String,
        #[arg(default_value = "fmt=auto")]
        query: String,
        #[arg(long, default_value = "")]
        base: String,
        /// Candidate widths, comma-separated (snapped up to breakpoints).
        #[arg(long, value_delimiter = ',')]
        widths: Option<Vec<u32>>,
        #[arg(long, default_value = "100vw")]
        sizes: String,
    },
    /// Render the presets of every original under FROM (s3://BUCKET or a folder) into TO,
    /// skipping derivatives that are already current.
    Backfill {
        /// Originals: s3://BUCKET or a folder whose subfolders are tenants.
        #[arg(long)]
        from: String,
        /// Derivatives: s3://BUCKET or a folder.
        #[arg(long, required_unless_present = "manifest")]
        to: Option<String>,
        /// Only originals whose key starts with this (e.g. `demo/2026/`).
        #[arg(long, default_value = "")]
        prefix: String,
        /// Originals rendered at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Write an S3 Batch Operations CSV manifest of the originals instead of rendering.
        #[arg(long)]
        manifest: Option<String>,
    },
    /// Takedowns: queue one, or show one's audit record and invalidation status.
    Takedown {
        #[command(subcommand)]
        action: TakedownCommand,
    },
    /// Tenants and their signing secrets in the viewer function's KeyValueStore, changed without
    /// a redeploy (`KeyValueStoreArn` is a stack output).
    Tenants {
        /// The KeyValueStore's ARN.
        #[arg(long, env = "IMGFRONT_KVS_ARN")]
        kvs_arn: String,
        #[command(subcommand)]
        action: TenantsCommand,
    },
    /// The whole CloudFront path locally: viewer function, edge cache, Origin Shield and the
    /// origin group (derivatives, then the transform), with a gallery at `/`.
    Dev(dev::Args),
    /// Replay a request trace through naive keying and imgfront normalization, with the cost model.
    Sim {
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// Originals in the catalogue (1,000 requests each on average: a tenth of the reference
        /// design's 10,000 requests per product per day, so the figure is conservative).
        #[arg(long, default_value_t = 1_000)]
        originals: usize,
        /// Zipf exponent of original popularity.
        #[arg(long, default_value_t = 1.0)]
        zipf: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of requests carrying tracking junk or cache-busters.
        #[arg(long, default_value_t = 0.30)]
        junk: f64,
        /// Requests replayed before counting (caches warm as in production); default: as many
        /// as --requests for a generated trace, 0 for a trace file.
        #[arg(long)]
        warmup: Option<u64>,
        /// Replay this file of request lines (`PATH?QUERY<TAB>ACCEPT`) instead of generating.
        #[arg(long)]
        trace: Option<String>,
        /// Also write the generated trace to this file.
        #[arg(long)]
        write_trace: Option<String>,
        #[arg(long, default_value_t = 4096)]
        edge_mb: u64,
        /// Origin Shield cache size; 0 replays without a shield.
        #[arg(long, default_value_t = 16384)]
        shield_mb: u64,
        /// Replay as if presets were not precomputed at upload.
        #[arg(long)]
        no_precompute: bool,
        /// Transform time on one core; measured on the demo photo when absent.
        #[arg(long)]
        transform_ms: Option<f64>,
        /// Lambda memory imgfront's transform is billed at.
        #[arg(long, default_value_t = 1024.0)]
        transform_mb: f64,
        #[arg(long, default_value_t = 0.06)]
        price_egress_gb: f64,
        #[arg(long, default_value_t = 0.10)]
        price_functions_million: f64,
        #[arg(long, default_value_t = 0.000_050_01)]
        price_lambda_gb_s: f64,
        #[arg(long, default_value_t = 0.60)]
        price_lambda_million: f64,
        #[arg(long, default_value_t = 0.0075)]
        price_shield_10k: f64,
        #[arg(long, default_value_t = 0.0004)]
        price_s3_get_1k: f64,
        #[arg(long, default_value_t = 0.023)]
        price_storage_gb_month: f64,
    },
    /// Sign a viewer URL for a private tenant with SECRET (HMAC-SHA256).
    Sign {
        url: String,
        #[arg(long, env = "IMGFRONT_SIGNING_SECRET")]
        secret: String,
        /// Expiry as Unix seconds.
        #[arg(long)]
        exp: Option<u64>,
    },
}

#[derive(Subcommand)]
enum TakedownCommand {
    /// Send a takedown for KEY (`tenant/path/img.jpg`) to TAKEDOWN_QUEUE_URL.
    Submit {
        key: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "imgfront-cli")]
        requested_by: String,
        /// Defaults to a time-based id; reuse one to make a resubmission idempotent.
        #[arg(long)]
        request_id: Option<String>,
    },
    /// Print the audit record (AUDIT_BUCKET) and live invalidation status (DISTRIBUTION_ID).
    Status { request_id: String },
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// Make the store's tenants match the configuration's (`just deploy` runs this).
    Sync {
        /// Print the changes without making them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Add or change a tenant.
    Put {
        tenant: String,
        /// public, or private (every URL must be signed).
        #[arg(long, value_parser = ["public", "private"])]
        access: String,
        /// A site allowed to embed the images (`shop.example`, `*.shop.example`); repeatable.
        #[arg(long = "referer")]
        referers: Vec<String>,
    },
    /// Remove a tenant and its signing secrets.
    Remove { tenant: String },
    /// Add a signing secret (printed; generated unless given), keeping the newest old one.
    Rotate {
        tenant: String,
        #[arg(long, env = "IMGFRONT_NEW_SECRET")]
        secret: Option<String>,
    },
    /// Drop every signing secret but the newest, once all signers use it.
    Retire { tenant: String },
    /// Print the tenants (never their secrets).
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("imgfront: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(path: Option<&str>) -> Result<Config, String> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?;
            Config::from_json(&text).map_err(|e| e.to_string())
        }
        None => Config::from_env().map_err(|e| e.to_string()),
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let config = load_config(cli.config.as_deref())?;
    match cli.command {
        Command::Transform {
            input,
            output,
            query,
            precompute,
        } => {
            let bytes = std::fs::read(&input).map_err(|e| format!("cannot read {input}: {e}"))?;
            let query = with_output_format(&query, &output)?;
            // The CLI works on files, so any tenant will do for the key; the first is used.
            let tenant = config
                .tenants
                .first()
                .map(|t| t.id.clone())
                .ok_or("configuration has no tenant")?;
            let key =
                Key::from_decoded(&config, &format!("{tenant}/cli")).map_err(|e| e.message)?;
            let spec = Spec::from_key_and_query(&config, key, &query).map_err(|e| e.message)?;
            let settings = if precompute {
                Settings::precompute(&config)
            } else {
                Settings::request(&config)
            };
            let started = Instant::now();
            let out = transform(&bytes, &spec.ops, &settings).map_err(|e| e.to_string())?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            std::fs::write(&output, &out.bytes)
                .map_err(|e| format!("cannot write {output}: {e}"))?;
            let frames = if out.frames > 1 {
                format!(" {} frames", out.frames)
            } else {
                String::new()
            };
            println!(
                "{output}: {} {}x{}{frames}, {} bytes, {ms:.1} ms",
                out.format,
                out.width,
                out.height,
                out.bytes.len()
            );
            Ok(())
        }
        Command::Backfill {
            from,
            to,
            prefix,
            concurrency,
            manifest,
        } => backfill::run(
            config,
            backfill::Args {
                from,
                to: to.unwrap_or_default(),
                prefix,
                concurrency,
                manifest,
            },
        ),
        Command::Takedown { action } => takedown::run(
            config,
            match action {
                TakedownCommand::Submit {
                    key,
                    reason,
                    requested_by,
                    request_id,
                } => takedown::Action::Submit {
                    key,
                    reason,
                    requested_by,
                    request_id,
                },
                TakedownCommand::Status { request_id } => takedown::Action::Status { request_id },
            },
        ),
        Command::Tenants { kvs_arn, action } => tenants::run(
            config,
            &kvs_arn,
            match action {
                TenantsCommand::Sync { dry_run } => tenants::Action::Sync { dry_run },
                TenantsCommand::Put {
                    tenant,
                    access,
                    referers,
                } => tenants::Action::Put {
                    tenant,
                    access: if access == "private" {
                        Access::Private
                    } else {
                        Access::Public
                    },
                    referers,
                },
                TenantsCommand::Remove { tenant } => tenants::Action::Remove { tenant },
                TenantsCommand::Rotate { tenant, secret } => {
                    tenants::Action::Rotate { tenant, secret }
                }
                TenantsCommand::Retire { tenant } => tenants::Action::Retire { tenant },
                TenantsCommand::List => tenants::Action::List,
            },
        ),
        Command::Dev(args) => {
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::INFO)
                .without_time()
                .with_target(false)
                .init();
            dev::run(config, args)
        }
        Command::Sim {
            requests,
            originals,
            zipf,
            seed,
            junk,
            warmup,
            trace,
            write_trace,
            edge_mb,
            shield_mb,
            no_precompute,
            transform_ms,
            transform_mb,
            price_egress_gb,
            price_functions_million,
            price_lambda_gb_s,
            price_lambda_million,
            price_shield_10k,
            price_s3_get_1k,
            price_storage_gb_month,
        } => sim::run(
            config,
            sim::Args {
                shape: imgfront_edge::sim::trace::TraceShape {
                    requests,
                    originals,
                    zipf_s: zipf,
                    seed,
                    junk,
                },
                trace,
                write_trace,
                warmup,
                layers: imgfront_edge::sim::Layers {
                    edge_bytes: edge_mb << 20,
                    shield_bytes: (shield_mb > 0).then_some(shield_mb << 20),
                },
                precomputed: !no_precompute,
                transform_ms,
                transform_mb,
                prices: imgfront_edge::sim::cost::Prices {
                    egress_per_gb: price_egress_gb,
                    functions_per_million: price_functions_million,
                    lambda_per_gb_second: price_lambda_gb_s,
                    lambda_per_million: price_lambda_million,
                    shield_per_10k: price_shield_10k,
                    s3_get_per_1k: price_s3_get_1k,
                    storage_per_gb_month: price_storage_gb_month,
                },
            },
        ),
        Command::Canon {
            key_space: true, ..
        } => {
            let k = imgfront_spec::keyspace::unsigned(&config);
            println!(
                "{} distinct canonical paths per original from unsigned URLs (bound {}): \
                 widths {} (+ none), heights {} (+ none), positions {}, qualities {} (+ none), \
                 backgrounds {} (incl. none), blurs {} and sharpens {} (incl. none), orientations {}",
                k.total,
                config.unsigned.max_variants_per_original,
                k.widths,
                k.heights,
                k.positions,
                k.qualities,
                k.backgrounds,
                k.blurs,
                k.sharpens,
                k.orientations
            );
            Ok(())
        }
        Command::Canon { stdin: true, .. } => urls::canon_lines(&config, std::io::stdin().lock()),
        Command::Url {
            key,
            query,
            base,
            secret,
            exp,
        } => {
            let url = urls::viewer_url(&config, &base, &key, &query, secret.as_deref(), exp)?;
            println!("{url}");
            Ok(())
        }
        Command::Srcset {
            key,
            query,
            base,
            widths,
            sizes,
        } => {
            let html = urls::srcset(&config, &base, &key, &query, widths.as_deref(), &sizes)?;
            println!("{html}");
            Ok(())
        }
        Command::Canon { url, accept, .. } => {
            let url = url.unwrap_or_default();
            let req = Spec::from_viewer_url(&config, &url, accept.as_deref())
                .map_err(|e| format!("{} ({})", e.message, e.kind.as_str()))?;
            println!("{}", req.spec.canonical_path());
            Ok(())
        }
        Command::Sign { url, secret, exp } => {
            let url = match exp {
                Some(exp) => format!(
                    "{url}{}exp={exp}",
                    if url.contains('?') { '&' } else { '?' }
                ),
                None => url,
            };
            let req = Spec::from_viewer_url(&config, &url, None).map_err(|e| e.message)?;
            let sig = imgfront_spec::sign::sign(secret.as_bytes(), &req.signing_string);
            println!(
                "{url}{}sig={sig}",
                if url.contains('?') { '&' } else { '?' }
            );
            Ok(())
        }
    }
}

/// Adds `fmt` from OUTPUT's extension when the query has none.
fn with_output_format(query: &str, output: &str) -> Result<String, String> {
    let has_fmt = query.split('&').any(|p| {
        p.split('=')
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case("fmt"))
    });
    if has_fmt {
        return Ok(query.to_owned());
    }
    let ext = std::path::Path::new(output)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    let format = Format::from_name(ext).ok_or_else(|| {
        format!("cannot tell the output format from '{output}'; add fmt=jpeg|png|webp|avif|gif")
    })?;
    Ok(if query.is_empty() {
        format!("fmt={format}")
    } else {
        format!("{query}&fmt={format}")
    })
}
