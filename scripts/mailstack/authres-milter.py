#!/usr/bin/env python3
"""A small milter for the test mail stack: the receiving MTA's DKIM/DMARC verdict.

    authres-milter.py SOCKET AUTHSERV_ID PIDFILE

Postfix hands it each message received on the port-25 listener (master.cf: smtpd_milters), and it
asks Postfix to insert an `Authentication-Results:` field at the top of the header (milter header
index 0), as OpenDKIM, OpenDMARC and rspamd's milter do. Postfix decides where that lands; the
tests read the delivered mail back from Dovecot, so they see the field where a real MX puts it.

The verdict stands in for a DKIM verifier with one published test key: a `DKIM-Signature:` field
with `s=refbot-test` counts as a valid signature by its `d=` domain. DMARC passes when such a
signature's domain equals the `From:` domain (strict alignment), and fails otherwise. Nothing else
is checked: this is a test stand-in for the verifier, not a verifier.

Only Python's standard library; one thread per connection. It detaches once its socket listens,
writes its pid to PIDFILE and stops on SIGTERM.
"""
import os
import re
import signal
import socket
import struct
import sys
import threading

SMFIF_ADDHDRS = 0x01
TEST_SELECTOR = "refbot-test"


def read_exactly(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def send_packet(conn, command, data=b""):
    conn.sendall(struct.pack(">I", len(data) + 1) + command + data)


def tag_value(signature, tag):
    for part in signature.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == tag:
            return re.sub(r"\s+", "", value).lower()
    return None


def from_domain(value):
    addresses = re.findall(r"[^\s<>,;\"]+@([A-Za-z0-9.-]+)", value)
    return addresses[0].lower().rstrip(".") if addresses else None


def verdict(authserv_id, headers):
    domain = None
    for name, value in headers:
        if name.lower() == "from":
            domain = from_domain(value)
            break
    signers = []
    for name, value in headers:
        if name.lower() == "dkim-signature" and tag_value(value, "s") == TEST_SELECTOR:
            signer = tag_value(value, "d")
            if signer:
                signers.append(signer)
    parts = [authserv_id]
    if signers:
        parts += ["dkim=pass header.d=%s header.s=%s" % (signer, TEST_SELECTOR) for signer in signers]
    else:
        parts.append("dkim=none")
    if domain is None:
        parts.append("dmarc=permerror")
    elif domain in signers:
        parts.append("dmarc=pass (p=reject) header.from=%s" % domain)
    else:
        parts.append("dmarc=fail (p=reject) header.from=%s" % domain)
    return ";\r\n\t".join(parts)


def serve(conn, authserv_id):
    headers = []
    with conn:
        while True:
            head = read_exactly(conn, 4)
            if head is None:
                return
            (length,) = struct.unpack(">I", head)
            packet = read_exactly(conn, length)
            if not packet:
                return
            command, data = packet[:1], packet[1:]
            if command == b"O":
                send_packet(conn, b"O", struct.pack(">III", 6, SMFIF_ADDHDRS, 0))
            elif command in (b"D",):
                pass
            elif command in (b"A", b"K"):
                headers = []
            elif command == b"Q":
                return
            elif command == b"L":
                name, _, rest = data.partition(b"\0")
                value = rest.rstrip(b"\0")
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
                send_packet(conn, b"c")
            elif command == b"E":
                field = verdict(authserv_id, headers).encode("latin-1")
                send_packet(conn, b"i", struct.pack(">I", 0) + b"Authentication-Results\0" + field + b"\0")
                send_packet(conn, b"c")
                headers = []
            else:  # C, H, M, R, T, U, N, B: carry on
                send_packet(conn, b"c")


def main():
    if len(sys.argv) != 4:
        print("usage: authres-milter.py SOCKET AUTHSERV_ID PIDFILE", file=sys.stderr)
        return 64
    path, authserv_id, pidfile = sys.argv[1], sys.argv[2], sys.argv[3]
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o666)  # Postfix's smtpd runs as the postfix user
    server.listen(16)
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
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, authserv_id), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
