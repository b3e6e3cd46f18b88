#!/usr/bin/env python3
"""A small OAuth2 authorization server for the test mail stack.

    oauth-server.py PORT STATEFILE PIDFILE

Listens on 127.0.0.1:PORT and serves, from the JSON state in STATEFILE (read and written back on
every request, so tests can set it up, change it and inspect it while the server runs):

  POST /introspect   RFC 7662, for Dovecot's oauth2 passdb (introspection_mode = post):
                     {"active": true, "username": USER} for a known, unexpired access token
  POST /token        grant_type refresh_token, client_credentials, device_code
                     (urn:ietf:params:oauth:grant-type:device_code) and authorization_code (PKCE
                     S256 checked); answers as RFC 6749 §5.1/§5.2 do
  POST /devicecode   RFC 8628 §3.1: a device code, approved after state["device_approve_after"] polls
  GET  /authorize    stands in for the provider's sign-in page and the user's consent: records the
                     code challenge and answers (200, text) with the address the browser would be
                     redirected to (redirect_uri?code=…&state=…)

State keys (all optional): access_tokens {token: {user, expires}}, refresh_tokens {token: user},
clients {client_id: secret ("" for public clients)}, client_certs {client_id: certificate PEM
path, for RFC 7523 client assertions, checked with the openssl program}, user (whom new tokens are for), lifetime
(seconds, default 3600), rotate (a refresh answers a new refresh token and revokes the old one),
refuse (every refresh_token/client_credentials grant is answered invalid_grant), counts {what: n}.

Only Python's standard library. It detaches once it listens, writes its pid to PIDFILE and stops
on SIGTERM.
"""
import base64
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE_PATH = ""


def load():
    try:
        with open(STATE_PATH) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def save(state):
    tmp = STATE_PATH + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
    os.rename(tmp, STATE_PATH)


def count(state, what):
    counts = state.setdefault("counts", {})
    counts[what] = counts.get(what, 0) + 1


def issue(state, user, with_refresh=False):
    token = "at-" + secrets.token_urlsafe(24)
    lifetime = int(state.get("lifetime", 3600))
    state.setdefault("access_tokens", {})[token] = {"user": user, "expires": time.time() + lifetime}
    answer = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
    if with_refresh:
        refresh = "rt-" + secrets.token_urlsafe(24)
        state.setdefault("refresh_tokens", {})[refresh] = user
        answer["refresh_token"] = refresh
    return answer


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assertion_ok(state, form, client_id, audience):
    """An RFC 7523 client assertion: RS256 over header.claims with the key of the certificate
    registered in state["client_certs"][client_id] (a PEM path), naming that certificate by its
    SHA-256 thumbprint; iss = sub = the client, aud = this token endpoint, not expired."""
    cert_path = state.get("client_certs", {}).get(client_id)
    if not cert_path or form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        return False
    parts = form.get("client_assertion", "").split(".")
    if len(parts) != 3:
        return False
    try:
        header, claims, signature = json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1])), b64url_decode(parts[2])
        with open(cert_path) as handle:
            pem = handle.read()
        der = base64.b64decode("".join(pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0].split()))
    except (ValueError, IndexError, OSError):
        return False
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    now = time.time()
    if header.get("alg") != "RS256" or header.get("x5t#S256") != thumbprint:
        return False
    if claims.get("iss") != client_id or claims.get("sub") != client_id or claims.get("aud") != audience:
        return False
    if not (claims.get("nbf", 0) - 60 <= now < claims.get("exp", 0)):
        return False
    with tempfile.TemporaryDirectory() as folder:
        key = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert_path], capture_output=True)
        if key.returncode != 0:
            return False
        for name, data in (("key.pem", key.stdout), ("signed", (parts[0] + "." + parts[1]).encode()), ("sig", signature)):
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
        verified = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", os.path.join(folder, "key.pem"), "-signature",
             os.path.join(folder, "sig"), os.path.join(folder, "signed")], capture_output=True)
    if verified.returncode == 0:
        count(state, "assertion_verified")
    return verified.returncode == 0


def client_ok(state, form, audience=""):
    clients = state.get("clients", {})
    client_id = form.get("client_id", "")
    if "client_assertion" in form:
        return assertion_ok(state, form, client_id, audience)
    if client_id not in clients:
        return False
    return clients[client_id] == "" or clients[client_id] == form.get("client_secret", "")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def answer(self, status, body, content_type="application/json"):
        self.pending = (status, body, content_type)

    def send(self, status, body, content_type):
        data = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def do_GET(self):
        self.pending = None
        self.get()
        if self.pending:
            self.send(*self.pending)

    def do_POST(self):
        # the state is saved before the answer goes out, so a client that has its answer reads
        # the state that answer left
        self.pending = None
        self.post()
        if self.pending:
            self.send(*self.pending)

    def get(self):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        with LOCK:
            state = load()
            if url.path != "/authorize":
                return self.answer(404, {"error": "not_found"})
            count(state, "authorize")
            if query.get("client_id") not in state.get("clients", {}) or query.get("code_challenge_method") != "S256":
                save(state)
                return self.answer(400, "bad authorization request", "text/plain")
            code = "code-" + secrets.token_urlsafe(12)
            state.setdefault("codes", {})[code] = {
                "challenge": query.get("code_challenge", ""), "redirect_uri": query.get("redirect_uri", ""),
                "client_id": query.get("client_id"), "scope": query.get("scope", ""),
            }
            save(state)
        target = query.get("redirect_uri", "") + "?" + urllib.parse.urlencode(
            {"code": code, "state": query.get("state", ""), "scope": query.get("scope", "")})
        self.answer(200, target, "text/plain")

    def post(self):
        path = urllib.parse.urlsplit(self.path).path
        form = self.form()
        with LOCK:
            state = load()
            try:
                if path == "/introspect":
                    return self.introspect(state, form)
                if path == "/devicecode":
                    return self.devicecode(state, form)
                if path == "/token":
                    return self.token(state, form)
                return self.answer(404, {"error": "not_found"})
            finally:
                save(state)

    def introspect(self, state, form):
        count(state, "introspect")
        token = form.get("token", "")
        entry = state.get("access_tokens", {}).get(token)
        if entry is None or entry["expires"] <= time.time():
            return self.answer(200, {"active": False})
        return self.answer(200, {"active": True, "username": entry["user"]})

    def devicecode(self, state, form):
        count(state, "devicecode")
        if form.get("client_id") not in state.get("clients", {}):
            return self.answer(400, {"error": "invalid_client"})
        device = "dc-" + secrets.token_urlsafe(12)
        state.setdefault("devices", {})[device] = {"polls": 0, "scope": form.get("scope", "")}
        return self.answer(200, {
            "device_code": device, "user_code": "TEST-CODE", "verification_uri": "http://127.0.0.1/device",
            "expires_in": 60, "interval": 1})

    def token(self, state, form):
        grant = form.get("grant_type", "")
        count(state, grant)
        user = state.get("user", "bot@example.test")
        audience = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        if not client_ok(state, form, audience):
            return self.answer(401, {"error": "invalid_client", "error_description": "unknown client or wrong secret"})
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            owner = state.get("refresh_tokens", {}).get(refresh)
            if state.get("refuse") or owner is None:
                return self.answer(400, {"error": "invalid_grant",
                                         "error_description": "AADSTS70000: the refresh token has expired or was revoked"})
            answer = issue(state, owner, with_refresh=bool(state.get("rotate")))
            if state.get("rotate"):
                del state["refresh_tokens"][refresh]
            return self.answer(200, answer)
        if grant == "client_credentials":
            if state.get("refuse"):
                return self.answer(400, {"error": "invalid_grant", "error_description": "refused by the test"})
            return self.answer(200, issue(state, user))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            device = state.get("devices", {}).get(form.get("device_code", ""))
            if device is None:
                return self.answer(400, {"error": "expired_token"})
            device["polls"] += 1
            if device["polls"] <= int(state.get("device_approve_after", 2)):
                return self.answer(400, {"error": "authorization_pending"})
            del state["devices"][form["device_code"]]
            return self.answer(200, issue(state, user, with_refresh=True))
        if grant == "authorization_code":
            entry = state.get("codes", {}).pop(form.get("code", ""), None)
            if entry is None or entry["redirect_uri"] != form.get("redirect_uri"):
                return self.answer(400, {"error": "invalid_grant", "error_description": "unknown code or redirect_uri"})
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if digest != entry["challenge"]:
                count(state, "pkce_mismatch")
                return self.answer(400, {"error": "invalid_grant", "error_description": "code_verifier does not match"})
            return self.answer(200, issue(state, user, with_refresh=True))
        return self.answer(400, {"error": "unsupported_grant_type"})


def main():
    global STATE_PATH
    if len(sys.argv) != 4:
        print("usage: oauth-server.py PORT STATEFILE PIDFILE", file=sys.stderr)
        return 64
    port, STATE_PATH, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if not os.path.exists(STATE_PATH):
        save({})
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    # Into the background as a daemon does (the socket already listens), so that whoever started
    # it is not left waiting on descriptors it inherited.
    if os.fork() > 0:
        return 0
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    with open(pidfile + ".tmp", "w") as handle:
        handle.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
