#!/usr/bin/env python3
"""A local CloudFront KeyValueStore data plane for the tests of `imgfront tenants` (moto has the
control plane only). It answers DescribeKeyValueStore, ListKeys (paged) and UpdateKeys, and
refuses what the real service refuses, so the CLI cannot pass here and fail there:
- requests not signed with SigV4a (`AWS4-ECDSA-P256-SHA256` with an `X-Amz-Region-Set`);
- an ARN other than the store's;
- UpdateKeys without the store's current ETag in If-Match (409 ConflictException), with more
  than 50 changes, an empty change list, or a key or value over the store's limits (400
  ValidationException), or taking the store over 5 MB (402 ServiceQuotaExceededException).
Each UpdateKeys is all-or-nothing and moves the ETag. `GET /_state` returns the store as JSON.

  scripts/kvs-server.py PORT ARN        # prints "listening" once ready
"""
import json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_KEY, MAX_VALUE, MAX_TOTAL, MAX_CHANGES, PAGE = 512, 1024, 5 * 1024 * 1024, 50, 3
state = {"items": {}, "version": 1, "arn": None}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, etag=None, error=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error:
            self.send_header("x-amzn-ErrorType", error)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fail(self, status, error, message):
        self.reply(status, {"__type": error, "Message": message, "message": message}, error=error)

    def etag(self):
        return f"KV{state['version']:012d}"

    def route(self):
        parts = urllib.parse.urlsplit(self.path)
        segs = parts.path.strip("/").split("/")
        if segs[:1] != ["key-value-stores"] or len(segs) < 2:
            return None, None, parts
        arn = urllib.parse.unquote(segs[1])
        return arn, segs[2:], parts

    def authorised(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-ECDSA-P256-SHA256 ") or not self.headers.get("X-Amz-Region-Set"):
            self.fail(403, "AccessDeniedException", "the KeyValueStore API takes SigV4a signatures only")
            return False
        return True

    def do_GET(self):
        if self.path == "/_state":
            return self.reply(200, {"items": state["items"], "etag": self.etag()})
        if not self.authorised():
            return
        arn, rest, parts = self.route()
        if arn != state["arn"]:
            return self.fail(404, "ResourceNotFoundException", f"no key value store {arn}")
        if rest == []:
            total = sum(len(k) + len(v) for k, v in state["items"].items())
            return self.reply(200, {"KvsARN": arn, "ItemCount": len(state["items"]), "TotalSizeInBytes": total,
                                    "Created": 1764756000}, etag=self.etag())
        if rest == ["keys"]:
            q = urllib.parse.parse_qs(parts.query)
            start = int(q.get("NextToken", ["0"])[0])
            keys = sorted(state["items"])[start:start + PAGE]
            body = {"Items": [{"Key": k, "Value": state["items"][k]} for k in keys]}
            if start + PAGE < len(state["items"]):
                body["NextToken"] = str(start + PAGE)
            return self.reply(200, body)
        self.fail(404, "ResourceNotFoundException", "no such operation")

    def do_POST(self):
        if not self.authorised():
            return
        arn, rest, _ = self.route()
        if arn != state["arn"] or rest != ["keys"]:
            return self.fail(404, "ResourceNotFoundException", f"no key value store {arn}")
        if self.headers.get("If-Match") != self.etag():
            return self.fail(409, "ConflictException", "If-Match does not name the current version")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        puts, deletes = body.get("Puts", []), body.get("Deletes", [])
        if not puts and not deletes or len(puts) + len(deletes) > MAX_CHANGES:
            return self.fail(400, "ValidationException", f"1 to {MAX_CHANGES} changes per request")
        items = dict(state["items"])
        for p in puts:
            if not 1 <= len(p["Key"]) <= MAX_KEY or len(p["Value"]) > MAX_VALUE:
                return self.fail(400, "ValidationException", f"key or value of {p['Key'][:40]} over the limit")
            items[p["Key"]] = p["Value"]
        for d in deletes:
            if d["Key"] not in items:
                return self.fail(404, "ResourceNotFoundException", f"no key {d['Key']}")
            del items[d["Key"]]
        total = sum(len(k) + len(v) for k, v in items.items())
        if total > MAX_TOTAL:
            return self.fail(402, "ServiceQuotaExceededException", "the store would exceed 5 MB")
        state["items"] = items
        state["version"] += 1
        self.reply(200, {"ItemCount": len(items), "TotalSizeInBytes": total}, etag=self.etag())


def main(port, arn):
    state["arn"] = arn
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:3])
