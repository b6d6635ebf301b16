//! `imgfront dev`: starts the local edge on a port and prints how to use it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use imgfront_edge::{Dev, Keys, server};
use imgfront_precompute::Precompute;
use imgfront_spec::{Access, Config, Key};
use imgfront_store::{AnyStore, FsStore, S3Store};

/// The signing secret every private tenant gets locally when no `--keys` file is given.
pub const DEV_SECRET: &str = "imgfront-dev-secret";

#[derive(clap::Args)]
pub struct Args {
    /// Originals folder; its subfolders are tenants.
    #[arg(long, default_value = "demo/originals")]
    pub originals: String,
    /// Derivatives folder (the S3 derivatives bucket's stand-in).
    #[arg(long, default_value = "out/dev/derivatives")]
    pub derivatives: String,
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Use S3 instead of folders: ORIGINALS_BUCKET and DERIVATIVES_BUCKET (AWS_ENDPOINT_URL for moto).
    #[arg(long)]
    pub s3: bool,
    /// Signing secrets, `{"tenant": ["secret", "next"]}`; default: a local secret per private tenant.
    #[arg(long)]
    pub keys: Option<String>,
    /// Edge cache size.
    #[arg(long, default_value_t = 512)]
    pub cache_mb: u64,
    /// A folder served as static files under /_imgfront/site/, e.g. `--site clients/js` for
    /// the client's example page at /_imgfront/site/example/index.html.
    #[arg(long)]
    pub site: Option<String>,
    /// Do not render presets for new originals in the background.
    #[arg(long)]
    pub no_precompute: bool,
}

/// `{"tenant": ["secret", "next-secret"]}`, the shape of the production KeyValueStore entries.
fn load_keys(config: &Config, path: Option<&str>) -> Result<Keys, String> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?;
            let raw: std::collections::HashMap<String, Vec<String>> =
                serde_json::from_str(&text)
                    .map_err(|e| format!("{p}: expected {{\"tenant\": [\"secret\", …]}}: {e}"))?;
            Ok(raw
                .into_iter()
                .map(|(t, v)| (t, v.into_iter().map(String::into_bytes).collect()))
                .collect())
        }
        None => Ok(config
            .tenants
            .iter()
            .filter(|t| t.access == Access::Private)
            .map(|t| (t.id.clone(), vec![DEV_SECRET.as_bytes().to_vec()]))
            .collect()),
    }
}

pub fn run(config: Config, args: Args) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(serve(config, args))
}

async fn serve(config: Config, args: Args) -> Result<(), String> {
    let keys = load_keys(&config, args.keys.as_deref())?;
    let (originals, derivatives, described) = if args.s3 {
        let client = S3Store::client_from_env().await;
        let bucket = |name: &str| {
            std::env::var(name)
                .map_err(|_| format!("--s3 needs {name} (and AWS_ENDPOINT_URL for moto)"))
        };
        let (o, d) = (bucket("ORIGINALS_BUCKET")?, bucket("DERIVATIVES_BUCKET")?);
        let described = format!("s3://{o} → s3://{d}");
        (
            AnyStore::S3(S3Store::new(client.clone(), &o)),
            AnyStore::S3(S3Store::new(client, &d)),
            described,
        )
    } else {
        if !std::path::Path::new(&args.originals).is_dir() {
            return Err(format!(
                "originals folder {} does not exist (run from the repository root, or pass --originals DIR)",
                args.originals
            ));
        }
        std::fs::create_dir_all(&args.derivatives)
            .map_err(|e| format!("cannot create {}: {e}", args.derivatives))?;
        (
            AnyStore::Fs(FsStore::new(&args.originals)),
            AnyStore::Fs(FsStore::new(&args.derivatives)),
            format!("{} → {}", args.originals, args.derivatives),
        )
    };
    let mut dev = Dev::new(
        config.clone(),
        keys.clone(),
        originals.clone(),
        derivatives.clone(),
        args.cache_mb << 20,
    );
    if let Some(site) = &args.site {
        dev = dev.with_site(site);
    }
    let dev = Arc::new(dev);
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|e| format!("bad --host/--port: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e} (is another imgfront dev running? try --port)")
    })?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;

    println!("imgfront dev: http://{bound}/  ({described})");
    println!("  gallery      http://{bound}/");
    println!("  counters     http://{bound}/_imgfront/stats");
    if let Some(key) = dev
        .originals()
        .await
        .ok()
        .and_then(|k| k.into_iter().next())
        && let Ok(k) = Key::from_decoded(&config, &key)
    {
        println!(
            "  an image     http://{bound}{}",
            dev.url(&k, "w=640&fmt=auto")
        );
    }
    if args.keys.is_none() && keys.values().any(|v| !v.is_empty()) {
        println!(
            "  private tenants sign with the local secret {DEV_SECRET:?}: imgfront sign URL --secret {DEV_SECRET}"
        );
    }
    if !args.no_precompute {
        let pre = Precompute::new(config, originals, derivatives);
        tokio::spawn(dev.clone().watch_originals(pre, Duration::from_secs(2)));
    }
    server::serve(listener, dev)
        .await
        .map_err(|e| format!("server stopped: {e}"))
}
