//! `imgfront takedown submit` then `status`, as an operator runs them, against moto: the
//! message goes through a real SQS queue to the takedown handler, and status shows the audit
//! record and the live invalidation state.

mod common;

use common::imgfront;
use imgfront_spec::Config;
use imgfront_takedown::{Message, Takedown, Targets};
use imgfront_testkit::Moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_then_status() {
    let moto = Moto::shared();
    let targets = Targets {
        originals: moto.versioned_bucket("cli-originals").await,
        derivatives: moto.bucket("cli-derivatives").await,
        replica: None,
        audit: moto.bucket("cli-audit").await,
        distribution_id: String::new(),
    };
    let targets = Targets {
        distribution_id: moto.distribution(&targets.derivatives).await,
        ..targets
    };
    let s3 = moto.s3();
    moto.put(&targets.originals, "demo/a b.jpg", b"x".to_vec())
        .await;
    moto.put(&targets.derivatives, "demo/a b.jpg/w_160", b"x".to_vec())
        .await;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config());
    let queue = moto.queue("cli-takedown").await;
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("TAKEDOWN_QUEUE_URL", queue.as_str()),
        ("AUDIT_BUCKET", targets.audit.as_str()),
        ("DISTRIBUTION_ID", targets.distribution_id.as_str()),
    ];

    let (ok, out) = imgfront(
        &env,
        &["takedown", "submit", "../x.jpg", "--reason", "DMCA"],
    );
    assert!(
        !ok && out.contains("key \"../x.jpg\""),
        "refused before queueing: {out}"
    );
    let (ok, out) = imgfront(
        &env,
        &[
            "takedown",
            "submit",
            "demo/a b.jpg",
            "--reason",
            "DMCA 2026-7",
            "--requested-by",
            "legal",
            "--request-id",
            "cli-1",
        ],
    );
    assert!(ok && out.contains("submitted cli-1"), "{out}");

    let got = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let messages: Vec<Message> = got
        .messages()
        .iter()
        .map(|m| Message {
            id: m.message_id().unwrap_or_default().into(),
            body: m.body().unwrap_or_default().into(),
            sent_ms: 1_795_341_600_000,
        })
        .collect();
    assert_eq!(messages.len(), 1);
    let handler = Takedown::new(
        Config::embedded(),
        s3.clone(),
        aws_sdk_cloudfront::Client::new(&moto.sdk_config()),
        targets.clone(),
    );
    let failed = handler.handle(messages).await;
    let (ok, out) = imgfront(&env, &["takedown", "status", "cli-1"]);
    assert!(failed.is_empty(), "handler asked for redelivery: {out}");
    assert!(ok, "{out}");
    assert!(out.contains("\"outcome\": \"succeeded\""), "{out}");
    assert!(out.contains("\"reason\": \"DMCA 2026-7\""), "{out}");
    assert!(out.contains("/demo/a%20b.jpg/w_160"), "{out}");
    // moto spells it COMPLETED, CloudFront Completed.
    assert!(
        out.to_lowercase().contains(": completed"),
        "live invalidation status: {out}"
    );
    let (ok, out) = imgfront(&env, &["takedown", "status", "nope"]);
    assert!(!ok && out.contains("no audit record for nope"), "{out}");
}
