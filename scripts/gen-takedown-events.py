#!/usr/bin/env python3
"""Writes events/takedown-*.json: SQS events as Lambda receives them from the takedown queue."""
import hashlib, json, pathlib, uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
SENT = 1795341600000  # 2026-11-22T10:00:00Z


def message(n, body):
    body = body if isinstance(body, str) else json.dumps(body)
    return {
        "messageId": str(uuid.UUID(int=0xA000 + n)),
        "receiptHandle": f"AQEB{n:04d}receipt",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(SENT + n),
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": str(SENT + n + 5)},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:imgfront-takedown",
        "awsRegion": "us-east-1",
    }


def req(key, rid, reason="DMCA notice 2026-1142"):
    return {"key": key, "reason": reason, "requested_by": "legal@example.com", "request_id": rid}


CASES = {
    "single": [message(1, req("demo/flowers.jpeg", "td-0001"))],
    "batch": [
        message(2, req("demo/photos/summer sky.jpg", "td-0002", "GDPR erasure")),
        message(3, req("demo/café.png", "td-0003", "abuse report")),
        message(4, req("acme/logo.png", "td-0004")),
    ],
    "redelivery": [message(1, req("demo/flowers.jpeg", "td-0001"))],
    "invalid": [
        message(5, "not json at all"),
        message(6, {"key": "../etc/passwd", "reason": "x", "requested_by": "y", "request_id": "td-bad"}),
    ],
}
for name, records in CASES.items():
    (ROOT / "events" / f"takedown-{name}.json").write_text(json.dumps({"Records": records}, indent=2) + "\n")
print(f"wrote {len(CASES)} takedown events")
