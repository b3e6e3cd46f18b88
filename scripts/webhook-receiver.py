#!/usr/bin/env python3
"""A webhook receiver for trying refbot's [[webhooks]] (and for its tests): it checks each POST's
Refbot-Signature the way a receiver should, answers, and appends one JSON line per request to a log.

    scripts/webhook-receiver.py --secret-file /etc/refbot/webhook-secret --port 8099 --log /tmp/events.jsonl

Verification (what any receiver should do):
  1. split Refbot-Signature "t=<unix>,v1=<hex>" into t and the v1 signatures;
  2. recompute HMAC-SHA256 over "<t>.<raw body>" with the shared secret;
  3. compare with hmac.compare_digest (constant time) against each v1;
  4. refuse t further than --tolerance seconds from now (a replayed old request);
  5. drop a Refbot-Delivery id already seen (refbot delivers at least once).

--statuses 500,200 answers 500 to the first POST, then 200 (the last one repeats).
--hang never answers (the connection is held until refbot's timeout_seconds).

    scripts/webhook-receiver.py verify --secret-file S --signature 't=…,v1=…' --body-file B
checks one saved request and prints ok, mismatch, stale or malformed.
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret: bytes, header: str, body: bytes, tolerance: int, now: float) -> str:
    """Returns "ok", or why the signature does not hold."""
    parts = {}
    signatures = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "v1":
            signatures.append(value)
        else:
            parts[key] = value
    if "t" not in parts or not parts["t"].isdigit() or not signatures:
        return "malformed"
    timestamp = int(parts["t"])
    expected = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        return "mismatch"
    if abs(now - timestamp) > tolerance:
        return "stale"
    return "ok"


def verify_command(argv) -> None:
    """`webhook-receiver.py verify --secret-file F --signature 'HEADER' --body-file B`: prints ok,
    mismatch, stale or malformed (exit 0 only for ok), with the same check the server makes."""
    parser = argparse.ArgumentParser(prog="webhook-receiver.py verify")
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--signature", required=True, help="the Refbot-Signature header's value")
    parser.add_argument("--body-file", required=True, help="the raw body as received")
    parser.add_argument("--tolerance", type=int, default=300)
    args = parser.parse_args(argv)
    with open(args.secret_file, "rb") as f:
        secret = f.read().strip(b"\r\n")
    with open(args.body_file, "rb") as f:
        body = f.read()
    verdict = verify(secret, args.signature, body, args.tolerance, time.time())
    print(verdict)
    sys.exit(0 if verdict == "ok" else 1)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "verify":
        verify_command(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (see --port-file)")
    parser.add_argument("--port-file", help="written with the port once listening")
    parser.add_argument("--log", help="one JSON line per request")
    parser.add_argument("--statuses", default="200", help="statuses to answer in turn, e.g. 500,200")
    parser.add_argument("--hang", action="store_true", help="never answer")
    parser.add_argument("--tolerance", type=int, default=300, help="seconds a signature's t may be off")
    args = parser.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().strip(b"\r\n")
    statuses = [int(s) for s in args.statuses.split(",") if s.strip()]
    lock = threading.Lock()
    state = {"count": 0, "seen": set()}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            verdict = verify(secret, self.headers.get("Refbot-Signature", ""), body, args.tolerance, time.time())
            delivery = self.headers.get("Refbot-Delivery", "")
            with lock:
                index = state["count"]
                state["count"] += 1
                duplicate = delivery in state["seen"]
            status = statuses[min(index, len(statuses) - 1)] if verdict == "ok" else 400
            if status < 300 and verdict == "ok":
                with lock:
                    state["seen"].add(delivery)
            record = {
                "delivery": delivery, "event": self.headers.get("Refbot-Event", ""), "signature": verdict,
                "duplicate": duplicate, "status": None if args.hang else status, "path": self.path,
                "content_type": self.headers.get("Content-Type", ""), "body": body.decode("utf-8", "replace"),
            }
            if args.log:
                with lock, open(args.log, "a") as f:
                    f.write(json.dumps(record) + "\n")
            if args.hang:
                time.sleep(3600)
                return
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok\n" if status < 300 else b"not now\n")

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
