#!/usr/bin/env python3
"""Writes events/transform-*.json: Function URL events shaped exactly as CloudFront's OAC-signed
requests arrive at the transform function. Re-run after changing the list; the replay tests
fail if an event has no expectation."""
import json, pathlib, uuid

CASES = {
    "get-jpeg": ("GET", "/demo/flowers.jpeg/w_320"),
    "get-webp": ("GET", "/demo/flowers.jpeg/fmt_webp,w_640"),
    "get-avif-attention": ("GET", "/demo/flowers.jpeg/fmt_avif,h_320,pos_attention,w_320"),
    "get-png-alpha": ("GET", "/demo/with-alpha.png/fmt_png,w_160"),
    "get-gif-animated": ("GET", "/demo/animated-loop-3.gif/w_96"),
    "get-webp-animated": ("GET", "/demo/animated-loop-3.webp/w_96"),
    "get-svg": ("GET", "/demo/circle.svg/fmt_png,w_480"),
    "get-cmyk": ("GET", "/demo/Channel_digital_image_CMYK_color.jpg/fmt_jpeg,q_70,w_200"),
    "get-grid-avif": ("GET", "/demo/pitm.avif/fmt_webp,w_480"),
    "get-space-in-key": ("GET", "/demo/photos/summer%20sky.jpg/fmt_webp,w_160"),
    "get-large-output": ("GET", "/demo/noise-2400.png/fmt_png"),
    "head-webp": ("HEAD", "/demo/flowers.jpeg/fmt_webp,w_640"),
    "missing-original": ("GET", "/demo/missing.jpg/w_320"),
    "invalid-width": ("GET", "/demo/flowers.jpeg/w_99999"),
    "invalid-not-canonical": ("GET", "/demo/flowers.jpeg/w_300"),
    "invalid-unknown-op": ("GET", "/demo/flowers.jpeg/zoom_2"),
    "unknown-tenant": ("GET", "/nobody/flowers.jpeg/w_320"),
    "traversal-dotdot": ("GET", "/demo/../acme/secret.jpg/w_320"),
    "traversal-encoded": ("GET", "/demo/%2e%2e/acme/secret.jpg/w_320"),
    "traversal-encoded-slash": ("GET", "/demo/a%2F..%2F..%2Facme%2Fsecret.jpg/w_320"),
    "traversal-nul": ("GET", "/demo/flowers.jpeg%00.png/w_320"),
    "bomb-giant-jpeg": ("GET", "/demo/giant-image.jpg/w_320"),
    "bomb-png-dimensions": ("GET", "/demo/65536-uint32-limit.png/w_320"),
    "corrupt-jpeg": ("GET", "/demo/corrupt-header.jpg/w_320"),
    "truncated-jpeg": ("GET", "/demo/truncated.jpg/w_320"),
    "method-post": ("POST", "/demo/flowers.jpeg/w_320"),
}

def event(method, path, n):
    host = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
    rid = str(uuid.UUID(int=n + 1))
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": host,
            "user-agent": "Amazon CloudFront",
            "via": "2.0 0123456789abcdef.cloudfront.net (CloudFront)",
            "x-amz-cf-id": "r0aX2k3P6bQ1dZqVbG6F9mC1o0PjK3Yw7sN2tHh8uLq4eRfT5vWx==",
            "x-amzn-trace-id": "Root=1-6740b2c8-1b2c3d4e5f60718293a4b5c6",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "accept-encoding": "gzip",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAEXAMPLE000000000",
                    "accountId": "123456789012",
                    "callerId": "AROAEXAMPLE000000000:OriginAccessSession",
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": "arn:aws:sts::123456789012:assumed-role/OriginAccessControlRole/OriginAccessSession",
                    "userId": "AROAEXAMPLE000000000:OriginAccessSession",
                }
            },
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "130.176.0.10",
                "userAgent": "Amazon CloudFront",
            },
            "requestId": rid,
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795341600000,
        },
        "isBase64Encoded": False,
    }

out = pathlib.Path(__file__).resolve().parent.parent / "events"
for n, (name, (method, path)) in enumerate(sorted(CASES.items())):
    (out / f"transform-{name}.json").write_text(json.dumps(event(method, path, n), indent=2) + "\n")
print(f"wrote {len(CASES)} transform events")
