//! One `moto_server` per test process on a free port, and SDK configs pointed at it.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::{corpus_dir, repo_root};

/// A running moto server. It lives as long as the test process: a watcher shell stops it
/// when the process that started it is gone, since statics are never dropped.
pub struct Moto {
    pub endpoint: String,
    /// The watcher shell; kept so it is owned, never waited on.
    _watcher: Child,
}

fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("IMGFRONT_MOTO") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("moto_server")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Moto {
    /// The process-wide moto server, started on first use.
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(Moto::start)
    }

    fn start() -> Moto {
        let bin = moto_binary();
        let port = free_port();
        let script = format!(
            "{bin} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
             while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 0.5; done; \
             kill $m 2>/dev/null",
            bin = shell_quote(&bin.to_string_lossy()),
            parent = std::process::id(),
        );
        let watcher = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e} (run scripts/setup)", bin.display()));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server ({}) did not listen on port {port} within 60 s; run scripts/setup",
                bin.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            _watcher: watcher,
        }
    }

    /// An SDK config for this server: fixed region, dummy static credentials.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
                aws_sdk_s3::config::Credentials::new(
                    "test",
                    "test",
                    None,
                    None,
                    "imgfront-testkit",
                ),
            ))
            .build()
    }

    /// A path-style S3 client for this server.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Creates a bucket with a unique name derived from `hint` and returns the name.
    pub async fn bucket(&self, hint: &str) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("{hint}-{}-{n}", std::process::id());
        self.s3()
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
        name
    }
}

impl Moto {
    /// Puts `bytes` at `bucket/key`.
    pub async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.s3()
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
    }

    /// Puts a corpus file at `bucket/key`.
    pub async fn put_corpus(&self, bucket: &str, key: &str, file: &str) {
        let bytes = std::fs::read(corpus_dir().join(file))
            .unwrap_or_else(|e| panic!("corpus file {file}: {e}"));
        self.put(bucket, key, bytes).await;
    }

    /// An SQS queue with a unique name; returns its URL.
    pub async fn queue(&self, hint: &str) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        aws_sdk_sqs::Client::new(&self.sdk_config())
            .create_queue()
            .queue_name(format!("{hint}-{}-{n}", std::process::id()))
            .send()
            .await
            .expect("create queue")
            .queue_url()
            .expect("queue url")
            .to_string()
    }

    /// A bucket with versioning enabled.
    pub async fn versioned_bucket(&self, hint: &str) -> String {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        let name = self.bucket(hint).await;
        self.s3()
            .put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("versioning on {name}: {e:?}"));
        name
    }

    /// A CloudFront distribution (in moto) over `origin_bucket`; returns its id.
    pub async fn distribution(&self, origin_bucket: &str) -> String {
        use aws_sdk_cloudfront::types::{
            DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
            ViewerProtocolPolicy,
        };
        let origin = Origin::builder()
            .id("derivatives")
            .domain_name(format!("{origin_bucket}.s3.amazonaws.com"))
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .expect("origin");
        let config = DistributionConfig::builder()
            .caller_reference(format!("imgfront-test-{origin_bucket}"))
            .comment("imgfront test")
            .enabled(true)
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .expect("origins"),
            )
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("derivatives")
                    .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                    .build()
                    .expect("behaviour"),
            )
            .build()
            .expect("distribution config");
        aws_sdk_cloudfront::Client::new(&self.sdk_config())
            .create_distribution()
            .distribution_config(config)
            .send()
            .await
            .expect("create distribution")
            .distribution()
            .map(|d| d.id().to_string())
            .expect("distribution id")
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
