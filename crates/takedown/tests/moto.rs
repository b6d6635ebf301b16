//! Takedown against moto (S3, CloudFront, SQS): the committed SQS events replayed, then a
//! fault-injection run of 1,000 takedowns through a real queue with 30% of CreateInvalidation
//! calls throttled by a proxy, and the 10,000-takedown drain simulation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lambda_events::event::sqs::SqsEvent;
use imgfront_spec::{Config, Key};
use imgfront_takedown::{AuditRecord, Message, Outcome, Takedown, Targets, sim};
use imgfront_testkit::{Moto, repo_root};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct World {
    targets: Targets,
    s3: aws_sdk_s3::Client,
    cloudfront: aws_sdk_cloudfront::Client,
}

/// Versioned originals and replica for the event replays; plain buckets for the 1,000-request
/// run, where moto's version listing slows to a crawl (versions are covered by the replays).
async fn world(moto: &Moto, cloudfront_endpoint: &str, versioned: bool) -> World {
    let originals = if versioned {
        moto.versioned_bucket("td-originals").await
    } else {
        moto.bucket("td-originals").await
    };
    let derivatives = moto.bucket("td-derivatives").await;
    let replica = if versioned {
        moto.versioned_bucket("td-replica").await
    } else {
        moto.bucket("td-replica").await
    };
    let audit = moto.bucket("td-audit").await;
    let distribution_id = moto.distribution(&derivatives).await;
    let cf_conf = aws_sdk_cloudfront::config::Builder::from(&moto.sdk_config())
        .endpoint_url(cloudfront_endpoint)
        .build();
    World {
        targets: Targets {
            originals,
            derivatives,
            replica: Some(replica),
            audit,
            distribution_id,
        },
        s3: moto.s3(),
        cloudfront: aws_sdk_cloudfront::Client::from_conf(cf_conf),
    }
}

fn moto_cloudfront(moto: &Moto) -> aws_sdk_cloudfront::Client {
    aws_sdk_cloudfront::Client::new(&moto.sdk_config())
}

/// Uploads an original (two versions, and into the replica) and `n` derivatives of it.
async fn seed(w: &World, key: &str, n: usize) -> Vec<String> {
    for body in [&b"v1"[..], &b"v2"[..]] {
        for bucket in [Some(&w.targets.originals), w.targets.replica.as_ref()]
            .into_iter()
            .flatten()
        {
            w.s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body.to_vec().into())
                .send()
                .await
                .expect("put original");
        }
    }
    let ops: Vec<String> = (0..n)
        .map(|i| format!("fmt_webp,w_{}", 160 + i * 160))
        .collect();
    for o in &ops {
        w.s3.put_object()
            .bucket(&w.targets.derivatives)
            .key(format!("{key}/{o}"))
            .body(b"d".to_vec().into())
            .send()
            .await
            .expect("put derivative");
    }
    ops
}

async fn versions(w: &World, bucket: &str, prefix: &str) -> usize {
    let out =
        w.s3.list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
            .expect("versions");
    out.versions().len() + out.delete_markers().len()
}

async fn audit_records(w: &World) -> Vec<AuditRecord> {
    let store = imgfront_store::S3Store::new(w.s3.clone(), &w.targets.audit);
    let keys = imgfront_store::ObjectStore::list(&store, "takedown/")
        .await
        .expect("list");
    let mut out = Vec::new();
    for k in keys {
        let r = imgfront_takedown::read_audit(&store, &k)
            .await
            .expect("read")
            .expect("exists");
        out.push(r);
    }
    out
}

/// Every path of every invalidation on the distribution.
async fn invalidated_paths(
    cloudfront: &aws_sdk_cloudfront::Client,
    dist: &str,
) -> BTreeSet<String> {
    let list = cloudfront
        .list_invalidations()
        .distribution_id(dist)
        .max_items(10_000)
        .send()
        .await
        .expect("list invalidations");
    let mut paths = BTreeSet::new();
    for summary in list
        .invalidation_list()
        .map(|l| l.items())
        .unwrap_or_default()
    {
        let inv = cloudfront
            .get_invalidation()
            .distribution_id(dist)
            .id(summary.id())
            .send()
            .await
            .expect("get invalidation");
        if let Some(batch) = inv.invalidation().and_then(|i| i.invalidation_batch()) {
            paths.extend(
                batch
                    .paths()
                    .and_then(|p| p.items.clone())
                    .unwrap_or_default(),
            );
        }
    }
    paths
}

fn event(name: &str) -> Vec<Message> {
    let text = std::fs::read_to_string(repo_root().join(format!("events/takedown-{name}.json")))
        .expect("event");
    let ev: SqsEvent = serde_json::from_str(&text).expect("SQS event");
    imgfront_takedown::messages_from(ev)
}

fn url_path(key: &str) -> String {
    Key::from_decoded(&Config::embedded(), key)
        .expect("key")
        .to_url_path()
}

#[test]
fn every_takedown_event_is_replayed() {
    let found: Vec<String> = imgfront_testkit::event_cases("takedown")
        .into_iter()
        .map(|(case, _)| case)
        .collect();
    assert_eq!(found, ["batch", "invalid", "redelivery", "single"]);
}

#[tokio::test]
async fn sqs_events_replay_against_moto() {
    let moto = Moto::shared();
    let w = world(moto, &moto.endpoint, true).await;
    let keys = [
        "demo/flowers.jpeg",
        "demo/photos/summer sky.jpg",
        "demo/café.png",
        "acme/logo.png",
    ];
    let mut expected_paths = BTreeSet::new();
    for key in keys {
        let ops = seed(&w, key, 3).await;
        expected_paths.insert(format!("/{}", url_path(key)));
        for o in ops {
            expected_paths.insert(format!("/{}/{o}", url_path(key)));
        }
    }
    // A neighbour sharing the prefix must survive.
    seed(&w, "demo/flowers.jpeg/inner.png", 1).await;
    let handler = Takedown::new(
        Config::embedded(),
        w.s3.clone(),
        w.cloudfront.clone(),
        w.targets.clone(),
    );

    for name in ["single", "batch", "invalid"] {
        let failed = handler.handle(event(name)).await;
        assert!(failed.is_empty(), "{name}: {failed:?}");
    }
    for key in keys {
        for bucket in [
            &w.targets.originals,
            &w.targets.derivatives,
            w.targets.replica.as_ref().expect("r"),
        ] {
            let left = versions(&w, bucket, key).await;
            let inner = if key == "demo/flowers.jpeg" && bucket == &w.targets.derivatives {
                1
            } else if key == "demo/flowers.jpeg" {
                2
            } else {
                0
            };
            assert_eq!(
                left, inner,
                "{key} in {bucket}: every version and derivative deleted"
            );
        }
    }
    let invalidated = invalidated_paths(&moto_cloudfront(moto), &w.targets.distribution_id).await;
    assert_eq!(invalidated, expected_paths);

    let records = audit_records(&w).await;
    let by_id: BTreeMap<String, &AuditRecord> = records
        .iter()
        .filter_map(|r| Some((r.request.as_ref()?.request_id.clone(), r)))
        .collect();
    assert_eq!(by_id.len(), 4);
    for r in by_id.values() {
        assert_eq!(r.outcome, Outcome::Succeeded);
        assert_eq!(r.invalidations.len(), 1);
        assert!(r.completed_at.is_some() && !r.received_at.is_empty());
        // 2 original versions + 2 replica versions + 3 derivatives.
        assert_eq!(r.deleted.len(), 7, "{r:?}");
        assert!(
            r.deleted
                .iter()
                .filter(|d| d.bucket == w.targets.originals)
                .all(|d| d.version_id.is_some())
        );
        assert_eq!(r.paths.len(), 4);
    }
    let rejected: Vec<&AuditRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Rejected)
        .collect();
    assert_eq!(
        rejected.len(),
        2,
        "invalid messages get a permanent-failure record"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.errors[0].contains("not a takedown request"))
    );

    // Redelivery of a finished request: no new invalidation, the record untouched.
    let before = records.len();
    let failed = handler.handle(event("redelivery")).await;
    assert!(failed.is_empty());
    let after = invalidated_paths(&moto_cloudfront(moto), &w.targets.distribution_id).await;
    assert_eq!(after, expected_paths);
    assert_eq!(audit_records(&w).await.len(), before);
}

/// A proxy in front of moto that answers a share of CreateInvalidation calls with
/// CloudFront's TooManyInvalidationsInProgress and forwards everything else.
struct Throttler {
    endpoint: String,
    calls: Arc<AtomicUsize>,
    throttled: Arc<AtomicUsize>,
}

async fn throttler(upstream: String, share_percent: u64) -> Throttler {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let calls = Arc::new(AtomicUsize::new(0));
    let throttled = Arc::new(AtomicUsize::new(0));
    let (c, t) = (calls.clone(), throttled.clone());
    let upstream = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let (c, t, upstream) = (c.clone(), t.clone(), upstream.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut client).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&request[..request.len().min(200)]).to_string();
                if head.starts_with("POST ") && head.contains("/invalidation") {
                    // Exactly share_percent of calls, spread evenly: call k is throttled when
                    // floor(k * share / 100) steps up.
                    let k = c.fetch_add(1, Ordering::SeqCst) as u64;
                    if (k + 1) * share_percent / 100 != k * share_percent / 100 {
                        t.fetch_add(1, Ordering::SeqCst);
                        let body = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>TooManyInvalidationsInProgress</Code><Message>Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.</Message></Error><RequestId>throttled</RequestId></ErrorResponse>";
                        let resp = format!(
                            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = client.write_all(resp.as_bytes()).await;
                        return;
                    }
                }
                let Ok(mut up) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                if up.write_all(&request).await.is_err() {
                    return;
                }
                let mut response = Vec::new();
                let _ = up.read_to_end(&mut response).await;
                let _ = client.write_all(&response).await;
            });
        }
    });
    Throttler {
        endpoint,
        calls,
        throttled,
    }
}

/// Reads one HTTP/1.1 request and rewrites it to `Connection: close`, so each connection
/// carries one request and the upstream's EOF ends the response.
async fn read_request(client: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut lines: Vec<&str> = head
        .trim_end()
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&buf[head_end..]);
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takedowns_with_30_percent_throttling_lose_nothing() {
    let n_env = std::env::var("TAKEDOWN_FAULT_N")
        .ok()
        .and_then(|n| n.parse().ok());
    // The full 1,000 by default (about 3.5 minutes against moto); TAKEDOWN_FAULT_N=100 for a
    // quick run.
    let n: usize = n_env.unwrap_or(1000);
    let started = std::time::Instant::now();
    let moto = Moto::shared();
    let proxy = throttler(moto.endpoint.clone(), 30).await;
    let mut w = world(moto, &proxy.endpoint, false).await;
    // Replicas are covered by the replays; here they would only double moto's work.
    w.targets.replica = None;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config());
    let queue = moto.queue("takedown").await;

    // Seed in parallel: 6 objects per key, 6,000 in all.
    let w = Arc::new(w);
    let mut seeding = tokio::task::JoinSet::new();
    for chunk in 0..16usize {
        let w = Arc::clone(&w);
        seeding.spawn(async move {
            let mut paths = Vec::new();
            for i in (chunk..n).step_by(16) {
                let key = format!("demo/takedown/{i:04}.jpg");
                let ops = seed(&w, &key, 2).await;
                paths.push(format!("/{}", url_path(&key)));
                paths.extend(ops.iter().map(|o| format!("/{}/{o}", url_path(&key))));
            }
            paths
        });
    }
    let mut expected = BTreeSet::new();
    while let Some(paths) = seeding.join_next().await {
        expected.extend(paths.expect("seed task"));
    }
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    for start in (0..n).step_by(10) {
        let entries: Vec<_> = (start..(start + 10).min(n))
            .map(|i| {
                let body = serde_json::json!({
                    "key": format!("demo/takedown/{i:04}.jpg"), "reason": "fault-injection",
                    "requested_by": "test", "request_id": format!("fi-{i:04}")
                });
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .message_body(body.to_string())
                    .build()
                    .expect("entry")
            })
            .collect();
        sqs.send_message_batch()
            .queue_url(&queue)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("send");
    }

    // Declared unversioned, as the deployment declares its buckets: moto's ListObjectVersions
    // deep-copies every object of the bucket per call, which made 1,000 requests take hours.
    let handler = Takedown::new(
        Config::embedded(),
        w.s3.clone(),
        w.cloudfront.clone(),
        w.targets.clone(),
    )
    .assume_versioning(&w.targets.originals, false)
    .assume_versioning(&w.targets.derivatives, false);
    let (mut invocations, mut redelivered) = (0usize, 0usize);
    let mut empty_polls = 0;
    while empty_polls < 3 {
        let got = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::SentTimestamp,
            )
            .send()
            .await
            .expect("receive");
        let msgs = got.messages();
        if msgs.is_empty() {
            empty_polls += 1;
            continue;
        }
        empty_polls = 0;
        invocations += 1;
        let batch: Vec<Message> = msgs
            .iter()
            .map(|m| Message {
                id: m.message_id().unwrap_or_default().to_string(),
                body: m.body().unwrap_or_default().to_string(),
                sent_ms: m
                    .attributes()
                    .and_then(|a| {
                        a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::SentTimestamp)
                    })
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
            })
            .collect();
        let failed = handler.handle(batch).await;
        for m in msgs {
            let id = m.message_id().unwrap_or_default();
            let handle = m.receipt_handle().unwrap_or_default();
            if failed.iter().any(|f| f == id) {
                redelivered += 1;
                // What the visibility timeout does, without the wait.
                sqs.change_message_visibility()
                    .queue_url(&queue)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .expect("visibility");
            } else {
                sqs.delete_message()
                    .queue_url(&queue)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
        }
        assert!(invocations < 20 * n, "the queue does not drain");
    }
    println!("drained in {:.1} s", started.elapsed().as_secs_f64());

    let records = audit_records(&w).await;
    let succeeded: BTreeMap<String, usize> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Succeeded)
        .fold(BTreeMap::new(), |mut m, r| {
            *m.entry(
                r.request
                    .as_ref()
                    .map(|q| q.request_id.clone())
                    .unwrap_or_default(),
            )
            .or_default() += 1;
            m
        });
    assert_eq!(records.len(), n, "one audit record per request");
    assert_eq!(succeeded.len(), n, "every request audited as succeeded");
    assert!(succeeded.values().all(|&n| n == 1), "exactly once");
    let invalidated = invalidated_paths(&moto_cloudfront(moto), &w.targets.distribution_id).await;
    let missing: Vec<&String> = expected.difference(&invalidated).collect();
    assert!(
        missing.is_empty(),
        "{} paths never invalidated, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    for bucket in [&w.targets.originals, &w.targets.derivatives] {
        assert_eq!(
            versions(&w, bucket, "demo/takedown/").await,
            0,
            "{bucket} emptied"
        );
    }
    let calls = proxy.calls.load(Ordering::SeqCst);
    let throttled = proxy.throttled.load(Ordering::SeqCst);
    println!(
        "fault injection: {n} takedowns, {invocations} invocations, {redelivered} messages redelivered; \
         CreateInvalidation calls: {calls} ({throttled} throttled, {} succeeded); \
         {} paths invalidated; lost: 0",
        calls - throttled,
        expected.len()
    );
    assert!(throttled > 0, "the proxy must actually throttle");
}

#[test]
fn ten_thousand_takedowns_drain_within_an_hour() {
    let scenario = sim::Scenario {
        takedowns: 10_000,
        derivatives_per_key: 8,
        invalidation_secs: 60,
        batch_size: 100,
        concurrency: 5,
        visibility_secs: 30,
    };
    let r = sim::run(&scenario);
    println!(
        "simulation: 10,000 takedowns x 8 derivatives: drained in {} s ({:.1} min); {} invalidations, \
         {} throttled calls; peak in progress: {} paths, {} wildcards; {} of {} paths covered",
        r.drain_secs,
        r.drain_secs as f64 / 60.0,
        r.invalidations,
        r.throttled_calls,
        r.peak_paths_in_progress,
        r.peak_wildcards_in_progress,
        r.paths_covered,
        r.paths_required
    );
    assert!(r.peak_paths_in_progress <= imgfront_takedown::plan::MAX_PATHS_IN_PROGRESS);
    assert!(r.peak_wildcards_in_progress <= imgfront_takedown::plan::MAX_WILDCARDS_IN_PROGRESS);
    assert_eq!(
        r.paths_covered, r.paths_required,
        "every cached path invalidated"
    );
    assert!(r.drain_secs <= 3600, "drain took {} s", r.drain_secs);
}
