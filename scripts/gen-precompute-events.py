#!/usr/bin/env python3
"""Writes events/precompute-*.json: S3 event notifications (keys form-encoded, as S3 sends them),
the same notifications as the SQS queue in front of precompute delivers them (one per message
body, plus S3's test event), and an S3 Batch Operations job (schema 2.0, keys percent-encoded). ETags are the MD5 of the
corpus files the tests upload, as S3 reports them."""
import hashlib, json, pathlib, urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared/corpus"

# event name -> (S3 event name, key, corpus file or None)
CASES = {
    "put-jpeg": ("ObjectCreated:Put", "demo/flowers.jpeg", "flowers.jpeg"),
    "put-space-key": ("ObjectCreated:Put", "demo/photos/summer sky.jpg", "Landscape_3.jpg"),
    "put-plus-key": ("ObjectCreated:CompleteMultipartUpload", "demo/a+b.png", "with-alpha.png"),
    "put-unicode-key": ("ObjectCreated:Copy", "demo/café/日本.webp", "4.webp"),
    "put-percent-key": ("ObjectCreated:Put", "demo/100%.gif", "animated-loop-3.gif"),
    "put-corrupt": ("ObjectCreated:Put", "demo/corrupt-header.jpg", "corrupt-header.jpg"),
    "put-bomb": ("ObjectCreated:Put", "demo/giant-image.jpg", "giant-image.jpg"),
    "put-unknown-tenant": ("ObjectCreated:Put", "nobody/flowers.jpeg", "flowers.jpeg"),
    "delete-jpeg": ("ObjectRemoved:Delete", "demo/flowers.jpeg", None),
    "delete-space-key": ("ObjectRemoved:DeleteMarkerCreated", "demo/photos/summer sky.jpg", None),
}


def record(name, key, file):
    obj = {"key": urllib.parse.quote_plus(key, safe="/"), "sequencer": "0055AED6DCD90281E5"}
    if file:
        data = (CORPUS / file).read_bytes()
        obj.update({"size": len(data), "eTag": hashlib.md5(data).hexdigest()})
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T10:00:00.000Z",
        "eventName": name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810",
                             "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "imgfront-precompute",
            "bucket": {"name": "imgfront-originals", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                       "arn": "arn:aws:s3:::imgfront-originals"},
            "object": obj,
        },
    }


out = ROOT / "events"
for case, (name, key, file) in CASES.items():
    (out / f"precompute-{case}.json").write_text(json.dumps({"Records": [record(name, key, file)]}, indent=2) + "\n")

batch = {
    "invocationSchemaVersion": "2.0",
    "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
    "job": {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce", "userArguments": {}},
    "tasks": [
        {"taskId": f"task-{i}", "s3Key": urllib.parse.quote(k, safe="/"), "s3VersionId": None,
         "s3Bucket": "imgfront-originals"}
        for i, k in enumerate(["demo/Landscape_1.jpg", "demo/batch dir/a+b.png", "demo/missing.jpg",
                               "demo/truncated.jpg"])
    ],
}
(out / "precompute-batch-backfill.json").write_text(json.dumps(batch, indent=2) + "\n")


def sqs_message(i, body):
    return {
        "messageId": f"3f1c0a52-0000-4000-8000-00000000000{i}",
        "receiptHandle": f"AQEBexample{i}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764756000000",
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1764756000001"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(json.dumps(body).encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:imgfront-precompute",
        "awsRegion": "us-east-1",
    }


# The queue's batch: two uploads and S3's test event (sent once when the notification is set up).
sqs = {"Records": [
    sqs_message(0, {"Records": [record(*CASES["put-jpeg"])]}),
    sqs_message(1, {"Records": [record(*CASES["put-space-key"])]}),
    sqs_message(2, {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-22T10:00:00.000Z",
                    "Bucket": "imgfront-originals", "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkw"}),
]}
(out / "precompute-sqs-batch.json").write_text(json.dumps(sqs, indent=2) + "\n")
print(f"wrote {len(CASES) + 2} precompute events")
