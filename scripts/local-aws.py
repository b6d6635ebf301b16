#!/usr/bin/env python3
"""Local AWS for imgfront: seeds a running moto server with the two buckets and sample
originals. Used by the README's local-run steps and by scripts/lambda-e2e.

  scripts/local-aws.py seed ENDPOINT [--originals B] [--derivatives B] [FILE=KEY ...]
  scripts/local-aws.py get ENDPOINT BUCKET KEY      # prints size, content type and metadata
"""
import argparse, json, os, pathlib, sys

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def noise_png(side):
    """An incompressible RGB PNG, so its PNG re-encode is far over 6 MB."""
    import random, struct, zlib
    rng = random.Random(7)
    raw = b"".join(b"\0" + rng.randbytes(side * 3) for _ in range(side))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def seed(args):
    s3 = client(args.endpoint)
    for bucket in (args.originals, args.derivatives):
        try:
            s3.create_bucket(Bucket=bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    uploads = args.files or [
        f"{ROOT.parent / 'shared/corpus/flowers.jpeg'}=demo/flowers.jpeg",
        f"{ROOT / 'demo/originals/demo/sunset.svg'}=demo/sunset.svg",
    ]
    for spec in uploads:
        path, key = spec.split("=", 1)
        body = noise_png(2400) if path == "noise" else pathlib.Path(path).read_bytes()
        s3.put_object(Bucket=args.originals, Key=key, Body=body)
        print(f"uploaded s3://{args.originals}/{key}")


def get(args):
    s3 = client(args.endpoint)
    o = s3.get_object(Bucket=args.bucket, Key=args.key)
    body = o["Body"].read()
    print(json.dumps({"bytes": len(body), "content_type": o.get("ContentType"),
                      "cache_control": o.get("CacheControl"), "metadata": o.get("Metadata", {})}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("endpoint")
    s.add_argument("--originals", default=os.environ.get("ORIGINALS_BUCKET", "imgfront-originals"))
    s.add_argument("--derivatives", default=os.environ.get("DERIVATIVES_BUCKET", "imgfront-derivatives"))
    s.add_argument("files", nargs="*", help="FILE=KEY pairs (default: two samples); FILE 'noise' generates a 2400x2400 noise PNG")
    g = sub.add_parser("get")
    g.add_argument("endpoint")
    g.add_argument("bucket")
    g.add_argument("key")
    args = p.parse_args()
    {"seed": seed, "get": get}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
