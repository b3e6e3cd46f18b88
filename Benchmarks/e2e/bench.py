"""End-to-end benchmark of refbot against a running mail stack (see scripts/bench).

    python3 bench.py all|e2e|ceilings|latency|memory --stack DIR --refbot BIN --templates DIR
                     [--messages N[,N...]] [--poll SECONDS] [--latency-count N]

`e2e` runs once per backlog size (`--messages 1000,10000`, the default), each on a fresh database and
a freshly loaded inbox, and measures right after it, on the same servers, the SMTP submit-and-deliver
ceiling with the very mail refbot sent; then it prints the ratio table.

Everything runs against the stack in DIR (scripts/mailstack/mailstack.sh up DIR PORT_BASE, with the
users of mailmix.user_list()). Progress goes to stderr; the figures to stdout as a Markdown table,
and as JSON into DIR/bench-results.json.
"""

import argparse
import imaplib
import json
import os
import pwd
import random
import signal
import sqlite3
import ssl
import statistics
import smtplib
import subprocess
import sys
import threading
import time

import mailmix

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = mailmix.DOMAIN
BOT = mailmix.BOT


STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_times():
    """The whole machine's CPU time so far from /proc/stat, in seconds: user, nice, system, idle,
    iowait, irq, softirq, steal."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    return [v / tick for v in fields]


def cpu_by_process():
    """CPU seconds each running process has used so far, by pid: {pid: (name, seconds)}."""
    tick = os.sysconf("SC_CLK_TCK")
    result = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if name == "lmtp":
            # Postfix's LMTP client and Dovecot's LMTP server share the name
            try:
                name = "lmtp (Postfix)" if "postfix" in os.readlink(f"/proc/{pid}/exe") else "lmtp (Dovecot)"
            except OSError:
                pass
        fields = text.rsplit(")", 1)[1].split()
        result[pid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return result


def cpu_by_name(start, end):
    """CPU seconds used between two cpu_by_process() readings, by process name, most first (a process
    that ended in between is missing; kernel threads are named as the kernel names them)."""
    totals = {}
    for pid, (name, seconds) in end.items():
        name = name.split("/")[0]
        totals[name] = totals.get(name, 0) + seconds - (start[pid][1] if pid in start else 0)
    return sorted(((n, round(v, 2)) for n, v in totals.items() if v >= 0.05), key=lambda x: -x[1])


def started_by_name(start, end):
    """How many processes of each name started between two cpu_by_process() readings and still ran at
    the second (Postfix and Dovecot start their workers on demand and keep them a while)."""
    counts = {}
    for pid, (name, _) in end.items():
        if pid not in start:
            name = name.split("/")[0]
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda x: -x[1])


def machine_share(start, end):
    """Between two machine_times() readings: the busy share of the machine (0...1), and the CPU
    seconds of each kind."""
    delta = {k: round(e - s, 2) for k, s, e in zip(STAT_FIELDS, start, end)}
    idle = delta["idle"] + delta["iowait"]
    busy = sum(delta.values()) - idle
    return busy / max(busy + idle, 1e-9), delta


def log(text):
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.stack = os.path.abspath(args.stack)
        self.pb = int(open(os.path.join(self.stack, "port_base")).read().strip())
        self.work = os.path.join(self.stack, "bench")
        os.makedirs(self.work, exist_ok=True)
        self.db = os.path.join(self.work, "refbot.sqlite")
        self.ca = os.path.join(self.stack, "ssl", "cert.pem")
        self.results = {}
        self.seeded = None
        self.daemon = None
        mail = pwd.getpwnam("mail")
        self.mail_ids = (mail.pw_uid, mail.pw_gid)

    # --- refbot ---------------------------------------------------------------------------------

    def config(self, poll):
        path = os.path.join(self.work, f"refbot-poll{poll}.toml")
        with open(path, "w") as f:
            f.write(f"""[bot]
address = "{BOT}"
name = "Test Referral Network"
admins = ["admin@{DOMAIN}"]
database = "{self.db}"
templates = "{self.args.templates}"
secret_file = "{self.work}/secret"
base_url = "http://127.0.0.1:{self.pb + 80}"

[imap]
url = "imaps://127.0.0.1:{self.pb + 993}/INBOX"
username = "{BOT}"
poll_seconds = {poll}
ca_file = "{self.ca}"

[smtp]
url = "smtp://127.0.0.1:{self.pb + 587}"
username = "{BOT}"
ca_file = "{self.ca}"

[http]
listen = "127.0.0.1:{self.pb + 80}"

[auth]
trusted_authserv_id = "{mailmix.AUTHSERV}"

[network]
max_referrals_per_day = 1000000
max_connect_requests_per_day = 1000000

[mail]
bounce_limit = 1000000
error_replies_per_hour = 1000000
announcement_rate_per_minute = 1000000
replies_per_address_per_hour = 1000000
unproven_replies_per_hour = 1000000
admin_notices_per_hour = 1000000
""")
        return path

    def env(self):
        env = dict(os.environ)
        env["REFBOT_IMAP_PASSWORD"] = "botpass"
        env["REFBOT_SMTP_PASSWORD"] = "botpass"
        return env

    def start_daemon(self, poll, name):
        logfile = open(os.path.join(self.work, f"refbot-{name}.log"), "w")
        self.daemon = subprocess.Popen([self.args.refbot, "run", "--config", self.config(poll)], env=self.env(),
                                       stdout=logfile, stderr=logfile)
        with open(os.path.join(self.stack, "refbot.pid"), "w") as f:
            f.write(str(self.daemon.pid))
        return self.daemon

    def stop_daemon(self):
        if not self.daemon:
            return
        self.daemon.send_signal(signal.SIGTERM)
        try:
            self.daemon.wait(30)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
        self.daemon = None
        try:
            os.remove(os.path.join(self.stack, "refbot.pid"))
        except FileNotFoundError:
            pass

    def memory(self):
        fields = {}
        with open(f"/proc/{self.daemon.pid}/status") as f:
            for line in f:
                if line.startswith(("VmHWM", "VmRSS")):
                    key, value = line.split(":")
                    fields[key] = int(value.split()[0]) / 1024
        return fields

    def cpu_seconds(self):
        """User and system CPU time the daemon has used so far (its threads included), in seconds."""
        with open(f"/proc/{self.daemon.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def io_counts(self):
        """Bytes the daemon has read and written through system calls so far (sockets and files), and the
        count of those calls: /proc/PID/io's rchar, wchar, syscr and syscw."""
        with open(f"/proc/{self.daemon.pid}/io") as f:
            return {k: int(v) for k, v in (line.split(":") for line in f)}

    def setup(self):
        """A database migrated by refbot (`run --once` on the empty mailbox), then seeded by SQL."""
        if self.seeded:
            return
        self.clear_mailbox()
        for suffix in ("", "-wal", "-shm", "-sent", "-sent-wal", "-sent-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        out = subprocess.run([self.args.refbot, "run", "--once", "--config", self.config(1)], env=self.env(),
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"refbot run --once failed ({out.returncode}):\n{out.stderr}")
        accepts = mailmix.plan(self.args.messages).count("accept")
        self.seeded = mailmix.seed(self.db, accepts)
        log(f"database seeded: {mailmix.MEMBERS} members and listings, {accepts} referrals waiting for ACCEPT")

    # --- the bot's mailbox -----------------------------------------------------------------------

    def maildir(self, user="bot"):
        return os.path.join(self.stack, "mail", DOMAIN, user, "Maildir")

    def clear_mailbox(self):
        """Removes the bot's mailbox, every folder and Dovecot's index of it (no IMAP client is logged in);
        Dovecot makes it again at the next login."""
        import shutil
        path = self.maildir()
        if os.path.isdir(path):
            shutil.rmtree(path)

    def load(self):
        """Writes the N messages straight into the bot's Maildir/new (Dovecot picks them up)."""
        kinds, messages = mailmix.generate(self.args.messages, self.seeded)
        new = os.path.join(self.maildir(), "new")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir(), sub), exist_ok=True)
            os.chown(os.path.join(self.maildir(), sub), *self.mail_ids)
        start = time.time()
        stamp = int(start)
        for i, raw in enumerate(messages):
            path = os.path.join(new, f"{stamp}.M{i}P{os.getpid()}.bench")
            with open(path, "wb") as f:
                f.write(raw)
            os.chown(path, *self.mail_ids)
        took = time.time() - start
        size = sum(len(m) for m in messages)
        counts = {k: kinds.count(k) for k, _ in mailmix.MIX}
        log(f"loaded {len(messages)} messages ({size / 1e6:.1f} MB) into {new} in {took:.1f} s: {counts}")
        self.results["load"] = {"messages": len(messages), "bytes": size, "seconds": took, "mix": counts}
        # Dovecot indexes the new files at the first SELECT; done here once so every reader finds an indexed folder
        start = time.time()
        imap = self.imap()
        imap.select("INBOX")
        imap.logout()
        self.results["load"]["index_seconds"] = time.time() - start
        log(f"Dovecot indexed the inbox in {time.time() - start:.1f} s")

    def imap(self, user=BOT, password="botpass"):
        ctx = ssl.create_default_context(cafile=self.ca)
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.pb + 993, ssl_context=ctx)
        imap.login(user, password)
        return imap

    # --- 1. end to end ---------------------------------------------------------------------------

    def e2e(self):
        n = self.args.messages
        seeded_outbox = max(self.seeded["outbox"])
        db = sqlite3.connect(self.db, timeout=30)
        samples = []
        first_inbound = db.execute("SELECT coalesce(max(id), 0) FROM inboundMessage").fetchone()[0]
        settle()
        machine_start = machine_times()
        processes_start = cpu_by_process()
        self.start_daemon(1, "e2e")
        t0 = time.time()
        peak = {"VmHWM": 0, "VmRSS": 0}
        last_print = 0
        stable_since = None
        progress = (None, time.time())
        # The sampler is measured with the rest: it reads indexes only (the rows waiting, not every
        # row), and walks Postfix's queue only once refbot has sent every answer, every 0.1 s from
        # then on: what the ceiling does once smtplib has submitted its last mail.
        sampler_start = os.times()
        all_sent = False
        while True:
            time.sleep(0.1 if all_sent else 0.2)
            if self.daemon.poll() is not None:
                sys.exit(f"refbot exited with {self.daemon.returncode}; see {self.work}/refbot-e2e.log")
            now = time.time()
            last_inbound, waiting = db.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM inboundMessage),"
                " (SELECT count(*) FROM inboundMessage WHERE state = 'received')").fetchone()
            stored = last_inbound - first_inbound
            processed = stored - waiting
            last_outbox, pending, failed = db.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM outboxMessage),"
                " (SELECT count(*) FROM outboxMessage WHERE state = 'pending'),"
                " (SELECT count(*) FROM outboxMessage WHERE state = 'failed' AND id > ?)", (seeded_outbox,)).fetchone()
            queued = max(last_outbox - seeded_outbox, 0)
            sent = queued - pending - failed
            all_sent = stored >= n and processed >= n and queued > 0 and not pending
            mem = self.memory()
            peak = {k: max(peak[k], mem[k]) for k in peak}
            samples.append((now - t0, stored, processed, queued, sent, mem["VmRSS"],
                            self.postfix_queue() if all_sent else None, machine_times()))
            if now - last_print >= 3:
                log(f"draining: {stored}/{n} fetched, {processed} processed, {sent}/{queued} answers sent, "
                    f"RSS {mem['VmRSS']:.0f} MB")
                last_print = now
            done = all_sent
            if (stored, processed, sent) != progress[0]:
                progress = ((stored, processed, sent), now)
            elif now - progress[1] > 120:
                log(f"no progress for 120 s ({pending} answers still pending): stopping; see {self.work}/refbot-e2e.log")
                break
            if done:
                stable_since = stable_since or now
                if now - stable_since > 3:
                    break
            else:
                stable_since = None
        processes_end = cpu_by_process()
        by_process = cpu_by_name(processes_start, processes_end)
        started = started_by_name(processes_start, processes_end)
        sampler_end = os.times()
        sampler_cpu = (sampler_end.user - sampler_start.user) + (sampler_end.system - sampler_start.system)
        hwm = self.memory()["VmHWM"]
        cpu_user, cpu_system = self.cpu_seconds()
        cpu = cpu_user + cpu_system
        io = self.io_counts()
        self.stop_daemon()

        def first(col, value):
            return next(s[0] for s in samples if s[col] >= value)

        states = dict(db.execute("SELECT state, count(*) FROM inboundMessage GROUP BY state").fetchall())
        dispositions = dict(db.execute(
            "SELECT coalesce(disposition, state), count(*) FROM inboundMessage GROUP BY 1").fetchall())
        events = dict(db.execute("SELECT event, count(*) FROM outboxMessage WHERE id > ? GROUP BY event",
                                 (seeded_outbox,)).fetchall())
        db.close()
        final = samples[-1]
        answers = final[4]
        t_fetched = first(1, n)
        t_processed = first(2, n)
        t_sent = first(4, answers)
        t_first_processed = first(2, 1)
        t_first_sent = first(4, 1)
        # delivered: every answer sent and Postfix's queue empty again (as sampled, good to 0.1 s)
        delivered = next((s for s in samples if s[4] >= answers and s[6] == 0), None)
        if delivered is None:
            self.wait_postfix()
            t_sampled, machine_end = time.time() - t0, machine_times()
        else:
            t_sampled, machine_end = delivered[0], delivered[7]
        # and exactly: the last delivery's file (the sampled figure is kept for comparison)
        delivered_files, last = self.last_delivery(t0)
        t_delivered = last - t0 if delivered_files else t_sampled
        busy, kinds = machine_share(machine_start, machine_end)
        max_unprocessed = max(s[1] - s[2] for s in samples)
        max_unsent = max(s[3] - s[4] for s in samples)
        r = {
            "messages": n, "answers": answers, "total_seconds": t_sent,
            "delivered_seconds": t_delivered, "delivered_sampled_seconds": t_sampled, "delivered_files": delivered_files,
            "answers_delivered_per_s": answers / t_delivered,
            "messages_delivered_per_s": n / t_delivered,
            "messages_per_s": n / t_sent, "answers_per_s": answers / t_sent,
            "fetch_seconds": t_fetched, "fetch_per_s": n / t_fetched,
            "process_span": [t_first_processed, t_processed], "process_per_s": n / max(t_processed - t_first_processed, 0.2),
            "send_span": [t_first_sent, t_sent], "send_per_s": answers / max(t_sent - t_first_sent, 0.2),
            "max_unprocessed": max_unprocessed, "max_unsent": max_unsent,
            "states": states, "dispositions": dispositions, "events": events,
            "rss_peak_mb": max(peak["VmHWM"], hwm), "cpu_seconds": cpu, "cpu_user_seconds": cpu_user,
            "cpu_system_seconds": cpu_system, "io": io, "sampler_cpu_seconds": sampler_cpu, "machine_busy": busy, "machine_seconds": kinds, "cpu_by_process": by_process, "processes_started": started, "uptime": open("/proc/loadavg").read().strip(),
        }
        self.results["e2e"] = r
        self.answers_for_ceiling = None
        log(f"delivered: the last answer's file at {t_delivered:.2f} s ({delivered_files} files since the start;"
            f" Postfix's queue sampled empty at {t_sampled:.1f} s)")
        log(f"end to end: {n} messages, {answers} answers in {t_sent:.1f} s = {r['messages_per_s']:.1f} msg/s; "
            f"all fetched at {t_fetched:.1f} s, processed at {t_processed:.1f} s; peak RSS {r['rss_peak_mb']:.0f} MB")
        log(f"inbound: {dispositions}; outbound: {events}")
        self.wait_postfix()

    # --- 2. raw ceilings -------------------------------------------------------------------------

    def imap_ceilings(self):
        imap = self.imap()
        typ, data = imap.select("INBOX")
        imap.uid("STORE", "1:*", "-FLAGS.SILENT", r"(\Seen)")
        typ, data = imap.uid("SEARCH", None, "ALL")
        uids = [int(u) for u in data[0].split()]
        n = len(uids)
        r = {"messages": n}
        for batch in (25, 500):
            start = time.time()
            total = 0
            for i in range(0, n, batch):
                chunk = uids[i:i + batch]
                typ, data = imap.uid("FETCH", f"{chunk[0]}:{chunk[-1]}", "(BODY.PEEK[])")
                total += sum(len(part[1]) for part in data if isinstance(part, tuple))
            took = time.time() - start
            r[f"imaplib_batch{batch}"] = n / took
            log(f"imaplib UID FETCH in batches of {batch}: {n} messages ({total / 1e6:.1f} MB) in {took:.1f} s "
                f"= {n / took:.0f} msg/s")
        start = time.time()
        total = 0
        for uid in uids:
            typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            total += sum(len(part[1]) for part in data if isinstance(part, tuple))
        took = time.time() - start
        r["imaplib_single"] = n / took
        log(f"imaplib one UID FETCH per message: {n / took:.0f} msg/s ({total / 1e6:.1f} MB)")
        imap.logout()

        base = f"imaps://127.0.0.1:{self.pb + 993}/INBOX"
        urls = [f"{base};UID={uid}" for uid in uids]
        start = time.time()
        proc = subprocess.run(["curl", "-sS", "--cacert", self.ca, "--user", f"{BOT}:botpass"] + urls,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        took = time.time() - start
        if proc.returncode != 0:
            log(f"curl failed ({proc.returncode}): {proc.stderr[-500:]!r}")
        r["curl"] = n / took
        r["curl_bytes"] = len(proc.stdout)
        log(f"curl, {n} ;UID=N URLs on one command line: {len(proc.stdout) / 1e6:.1f} MB in {took:.1f} s "
            f"= {n / took:.0f} msg/s")
        # curl fetched with BODY[], which set \Seen: clear it so refbot finds the inbox as delivered
        imap = self.imap()
        imap.select("INBOX")
        imap.uid("STORE", "1:*", "-FLAGS.SILENT", r"(\Seen)")
        imap.logout()
        self.results.setdefault("ceilings", {}).update(r)

    def answers(self, len_limit=0):
        """The mail refbot sent in the end-to-end run (or, without one, answer-sized mail): the first
        --messages of them, or all of them with len_limit=None."""
        n = self.args.messages if len_limit is not None else 10 ** 9
        mails = []
        if os.path.exists(self.db):
            db = sqlite3.connect(self.db)
            rows = db.execute("SELECT envelopeFrom, recipients, raw FROM outboxMessage WHERE state = 'sent' AND id > ?"
                              " ORDER BY id LIMIT ?", (mailmix.SEEDED_OUTBOX, n)).fetchall()
            db.close()
            mails = [(env, rcpt.split("\n"), bytes(raw)) for env, rcpt, raw in rows]
        if len(mails) < n and len_limit is not None:
            filler = ("Hello,\r\n\r\n" + "Here is what you asked for, and what you can do next.\r\n" * 60).encode()
            for i in range(len(mails), n):
                to = mailmix.member_email(i % mailmix.MEMBERS)
                mails.append((f"bot+bounce-{i}@{DOMAIN}", [to],
                              f"From: Test Referral Network <{BOT}>\r\nTo: {to}\r\nSubject: Answer {i}\r\n"
                              f"Message-ID: <answer.{i}.{time.time()}@{DOMAIN}>\r\n\r\n".encode() + filler))
        return mails[:n]

    def submit_all(self, mails):
        """smtplib into Postfix submission (STARTTLS + AUTH), every mail over one connection."""
        ctx = ssl.create_default_context(cafile=self.ca)
        smtp = smtplib.SMTP("127.0.0.1", self.pb + 587)
        smtp.starttls(context=ctx)
        smtp.login(BOT, "botpass")
        for env, rcpts, raw in mails:
            smtp.sendmail(env, rcpts, raw)
        smtp.quit()

    def smtp_ceilings(self):
        mails = self.answers()
        n = len(mails)
        size = sum(len(m[2]) for m in mails)
        r = {}
        start = time.time()
        self.submit_all(mails)
        took = time.time() - start
        r["smtp_postfix"] = n / took
        log(f"smtplib into Postfix submission (STARTTLS + AUTH), one connection: {n} mails ({size / 1e6:.1f} MB) "
            f"in {took:.1f} s = {n / took:.0f} msg/s")
        self.wait_postfix()

        port = self.pb + 2525
        sink = subprocess.Popen([sys.executable, os.path.join(HERE, "smtpsink.py"), str(port)], stdout=subprocess.PIPE,
                                text=True)
        try:
            sink.stdout.readline()
            start = time.time()
            smtp = smtplib.SMTP("127.0.0.1", port)
            for env, rcpts, raw in mails:
                smtp.sendmail(env, rcpts, raw)
            smtp.quit()
            took = time.time() - start
        finally:
            sink.send_signal(signal.SIGTERM)
            sink.wait(10)
        r["smtp_sink"] = n / took
        r["smtp_messages"] = n
        log(f"smtplib into the asyncio sink (plain SMTP), one connection: {n / took:.0f} msg/s")
        self.results.setdefault("ceilings", {}).update(r)

    def last_delivery(self, since):
        """How many mails Dovecot delivered into the members' mailboxes (every mailbox but the bot's)
        since `since` (time.time()), and when the last of them came: the newest ctime of their files,
        which the rename into new/ sets. Read after a phase, so it costs the phase nothing, and exact
        where the queue sampler is only good to its 0.1 s."""
        root = os.path.join(self.stack, "mail", DOMAIN)
        since_ns = int(since * 1e9)
        count, newest = 0, 0
        for user in os.listdir(root):
            if user == BOT.split("@")[0]:
                continue
            for folder, _, files in os.walk(os.path.join(root, user)):
                if os.path.basename(folder) not in ("new", "cur"):
                    continue
                for name in files:
                    try:
                        changed = os.stat(os.path.join(folder, name)).st_ctime_ns
                    except FileNotFoundError:
                        continue
                    if changed >= since_ns:
                        count += 1
                        newest = max(newest, changed)
        return count, newest / 1e9

    def postfix_queue(self):
        """Mails in Postfix's queue (not yet delivered)."""
        queue = os.path.join(self.stack, "postfix", "queue")
        count = 0
        for sub in ("maildrop", "incoming", "active", "deferred"):
            for _, _, files in os.walk(os.path.join(queue, sub)):
                count += len(files)
        return count

    def smtp_deliver_ceiling(self):
        """smtplib submits the answers refbot sent in this run to Postfix submission (STARTTLS + AUTH, one
        connection), timed from the connect until Postfix has delivered every one of them."""
        mails = self.answers(len_limit=None)
        n = len(mails)
        self.wait_postfix()
        settle()
        machine_start = machine_times()
        processes_start = cpu_by_process()
        start = time.time()
        self.submit_all(mails)
        submitted = time.time() - start
        while self.postfix_queue() and time.time() - start < 900:
            time.sleep(0.1)
        sampled = time.time() - start
        delivered_files, last = self.last_delivery(start)
        took = last - start if delivered_files else sampled
        busy, kinds = machine_share(machine_start, machine_times())
        processes_end = cpu_by_process()
        by_process = cpu_by_name(processes_start, processes_end)
        started = started_by_name(processes_start, processes_end)
        log(f"SMTP ceiling: {n} mails submitted in {submitted:.2f} s ({n / submitted:.0f}/s), all delivered at "
            f"{took:.2f} s (queue sampled empty at {sampled:.1f} s; {delivered_files} files) = {n / took:.0f} mails/s;"
            f" machine {busy * 100:.0f} % busy")
        return {"mails": n, "submit_per_s": n / submitted, "deliver_seconds": took, "deliver_sampled_seconds": sampled,
                "delivered_files": delivered_files, "deliver_per_s": n / took,
                "machine_busy": busy, "machine_seconds": kinds, "cpu_by_process": by_process,
                "processes_started": started}

    def warm_mailboxes(self):
        """One message into every member's mailbox over LMTP, straight to Dovecot, before anything is
        measured. A mailbox's first delivery makes its folder and index files, which costs Dovecot several
        times a later delivery; without this the first end-to-end run paid that for every member and the
        ceiling measured after it did not (the members of a running network have mailboxes already)."""
        if getattr(self, "warmed", False):
            return
        users = [u.split(":")[0] for u in mailmix.user_list().split() if not u.startswith(BOT)]
        start = time.time()
        lmtp = smtplib.LMTP(os.path.join(self.stack, "run", "lmtp"))
        for user in users:
            lmtp.sendmail(f"postmaster@{DOMAIN}", [user],
                          f"From: <postmaster@{DOMAIN}>\r\nTo: <{user}>\r\nSubject: Welcome\r\n\r\nHello.\r\n".encode())
        lmtp.quit()
        self.warmed = True
        log(f"one message delivered into each of {len(users)} member mailboxes in {time.time() - start:.1f} s")

    def e2e_sizes(self):
        """The end-to-end drain and its SMTP ceiling at each backlog size, on a fresh database and inbox."""
        self.warm_mailboxes()
        runs = []
        for n in self.args.sizes:
            self.args.messages = n
            self.seeded = None
            self.results.pop("e2e", None)
            self.setup()
            self.load()
            self.e2e()
            e = self.results["e2e"]
            c = self.smtp_deliver_ceiling()
            runs.append({"messages": n, "e2e": e, "ceiling": c, "load": self.results["load"]})
        self.results["e2e_sizes"] = runs

    def wait_postfix(self):
        """Waits until Postfix has delivered everything queued (so the next figure starts on a quiet server)."""
        queue = os.path.join(self.stack, "postfix", "queue")
        start = time.time()
        last = 0
        while True:
            count = 0
            for sub in ("maildrop", "incoming", "active", "deferred"):
                for _, _, files in os.walk(os.path.join(queue, sub)):
                    count += len(files)
            if count == 0 or time.time() - start > 600:
                break
            if time.time() - last > 5:
                log(f"waiting for Postfix to deliver its queue: {count} mails")
                last = time.time()
            time.sleep(0.5)
        if time.time() - start > 1:
            log(f"Postfix queue empty after {time.time() - start:.1f} s")

    # --- 3. latency ------------------------------------------------------------------------------

    def latency(self, poll):
        count = self.args.latency_count
        span = count * (0.6 if poll <= 1 else 2.4)   # seconds over which the commands are spread (60 s or 240 s for 100)
        self.start_daemon(poll, f"latency{poll}")
        time.sleep(3)
        watcher = self.imap(f"lat@{DOMAIN}", "latpass")
        watcher.select("INBOX")
        typ, data = watcher.uid("SEARCH", None, "ALL")
        next_uid = max([int(u) for u in data[0].split()] or [0]) + 1
        sent = {}
        arrived = {}
        rng = random.Random(poll)
        offsets = sorted(rng.uniform(0, span) for _ in range(count))

        def submit():
            base = time.time()
            for i, offset in enumerate(offsets):
                delay = base + offset - time.time()
                if delay > 0:
                    time.sleep(delay)
                msgid = f"lat.{poll}.{i}.{os.urandom(4).hex()}@{DOMAIN}"
                word = "HELP" if i % 2 else "SEARCH kitchen"
                raw = (f"From: Lat Timer <lat@{DOMAIN}>\r\nTo: {BOT}\r\nSubject: {word}\r\nMessage-ID: <{msgid}>\r\n"
                       f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n{word}\r\n")
                smtp = smtplib.SMTP("127.0.0.1", self.pb + 25)
                sent[msgid] = time.time()
                smtp.sendmail(f"lat@{DOMAIN}", [BOT], raw.encode())
                smtp.quit()

        thread = threading.Thread(target=submit)
        thread.start()
        deadline = None
        last = 0
        while len(arrived) < count:
            if not thread.is_alive():
                deadline = deadline or time.time() + poll + 60
                if time.time() > deadline:
                    break
            watcher.noop()
            typ, data = watcher.uid("SEARCH", None, f"UID {next_uid}:*")
            new = [int(u) for u in data[0].split() if int(u) >= next_uid]
            if new:
                now = time.time()
                typ, data = watcher.uid("FETCH", ",".join(map(str, new)), "(BODY.PEEK[HEADER.FIELDS (IN-REPLY-TO)])")
                for part in data:
                    if isinstance(part, tuple):
                        header = part[1].decode(errors="replace")
                        if "<" in header:
                            arrived[header[header.index("<") + 1:header.index(">")]] = now
                next_uid = max(new) + 1
            if time.time() - last > 10:
                log(f"latency poll_seconds={poll}: {len(sent)}/{count} submitted, {len(arrived)} answered")
                last = time.time()
            time.sleep(0.02)
        thread.join()
        watcher.logout()
        self.stop_daemon()
        delays = sorted(arrived[m] - sent[m] for m in sent if m in arrived)
        r = {"count": count, "answered": len(delays)}
        if delays:
            r.update(median=statistics.median(delays), p95=delays[min(len(delays) - 1, int(0.95 * len(delays)))],
                     min=delays[0], max=delays[-1])
            log(f"latency poll_seconds={poll}: median {r['median']:.2f} s, p95 {r['p95']:.2f} s over {len(delays)}")
        self.results.setdefault("latency", {})[str(poll)] = r
        self.wait_postfix()

    # --- 4. memory -------------------------------------------------------------------------------

    def idle_memory(self):
        self.start_daemon(1, "idle")
        log("refbot idle on an empty inbox for 60 s (poll_seconds = 1)")
        time.sleep(60)
        mem = self.memory()
        self.stop_daemon()
        self.results["idle_memory"] = {"VmHWM_mb": mem["VmHWM"], "VmRSS_mb": mem["VmRSS"]}
        log(f"idle: VmHWM {mem['VmHWM']:.1f} MB, VmRSS {mem['VmRSS']:.1f} MB")

    # --- report ----------------------------------------------------------------------------------

    # --- IMAP fetch: refbot's session against imaplib ---------------------------------------------

    def imap_fetch(self):
        """refbot's IMAP session (refbot-imap-bench, built beside refbot) reading the whole inbox in
        batches of 100 and 500 against imaplib's batched UID FETCH BODY.PEEK[] on the same mailbox, in
        turns; both timed from connect (TLS, login, SELECT, listing) to the last byte."""
        tool = os.path.join(os.path.dirname(os.path.abspath(self.args.refbot)), "refbot-imap-bench")
        secret = os.path.join(self.work, "imap-bench-password")
        with open(secret, "w") as f:
            f.write("botpass")
        r = {}
        for round_ in range(2):
            for batch in (100, 500):
                start = time.time()  # from connect to the last byte, as refbot-imap-bench measures
                imap = self.imap()
                imap.select("INBOX")
                typ, data = imap.uid("SEARCH", None, "ALL")
                uids = [int(u) for u in data[0].split()]
                total = 0
                for i in range(0, len(uids), batch):
                    chunk = uids[i:i + batch]
                    typ, data = imap.uid("FETCH", f"{chunk[0]}:{chunk[-1]}", "(BODY.PEEK[])")
                    total += sum(len(part[1]) for part in data if isinstance(part, tuple))
                took = time.time() - start
                imap.logout()
                r[f"imaplib_batch{batch}"] = max(r.get(f"imaplib_batch{batch}", 0), len(uids) / took)
                log(f"imaplib UID FETCH by {batch}: {len(uids)} messages ({total / 1e6:.1f} MB) in {took:.2f} s "
                    f"= {len(uids) / took:.0f} msg/s")
            for batch in (100, 500):
                out = subprocess.run(
                    [tool, "--url", f"imaps://127.0.0.1:{self.pb + 993}/INBOX", "--user", BOT, "--password-file", secret,
                     "--ca-file", self.ca, "--batch", str(batch)], check=True, capture_output=True, text=True).stdout
                got = json.loads(out.strip().splitlines()[-1])
                rate = got["messages"] / got["seconds"]
                r[f"refbot_batch{batch}"] = max(r.get(f"refbot_batch{batch}", 0), rate)
                log(f"refbot session by {batch}: {got['messages']} messages ({got['bytes'] / 1e6:.1f} MB) in "
                    f"{got['seconds']:.2f} s (listing {got['list_seconds']:.2f} s) = {rate:.0f} msg/s")
        for batch in (100, 500):
            ratio = r[f"refbot_batch{batch}"] / r[f"imaplib_batch{batch}"]
            r[f"ratio_batch{batch}"] = ratio
            log(f"fetch by {batch}: refbot {r[f'refbot_batch{batch}']:.0f} msg/s, imaplib {r[f'imaplib_batch{batch}']:.0f} "
                f"msg/s: {ratio:.2f} x imaplib (target >= 0.5; best of two rounds each)")
        self.results["fetch"] = r

    def report(self):
        r = self.results
        with open(os.path.join(self.stack, "bench-results.json"), "w") as f:
            json.dump(r, f, indent=2)
        lines = ["| figure | value |", "| --- | ---: |"]
        e = r.get("e2e")
        c = r.get("ceilings", {})
        if e:
            lines += [
                f"| end to end: {e['messages']} commands, {e['answers']} answers | {e['total_seconds']:.1f} s |",
                f"| end to end, commands/s | {e['messages_per_s']:.1f} |",
                f"| end to end, answers/s | {e['answers_per_s']:.1f} |",
                f"| fetch + store (all {e['messages']} stored at {e['fetch_seconds']:.1f} s), msg/s | {e['fetch_per_s']:.1f} |",
                f"| process ({e['process_span'][0]:.1f}–{e['process_span'][1]:.1f} s), msg/s | {e['process_per_s']:.1f} |",
                f"| send ({e['send_span'][0]:.1f}–{e['send_span'][1]:.1f} s), answers/s | {e['send_per_s']:.1f} |",
                f"| most stored but unprocessed / queued but unsent at once | {e['max_unprocessed']} / {e['max_unsent']} |",
            ]
        names = [("imaplib_batch25", "imaplib, UID FETCH a:b BODY.PEEK[] by 25"),
                 ("imaplib_batch500", "imaplib, UID FETCH a:b BODY.PEEK[] by 500"),
                 ("imaplib_single", "imaplib, one UID FETCH per message"),
                 ("curl", "curl, one connection, ;UID=N URLs"),
                 ("smtp_postfix", "smtplib into Postfix submission, one connection"),
                 ("smtp_sink", "smtplib into an asyncio sink, one connection")]
        for key, label in names:
            if key in c:
                ratio = ""
                if e:
                    mine = e["fetch_per_s"] if key.startswith(("imap", "curl")) else e["messages_per_s"]
                    ratio = f" (refbot {'fetch' if key.startswith(('imap', 'curl')) else 'end to end'} ÷ this: {mine / c[key]:.2f})"
                lines.append(f"| ceiling: {label}, msg/s{ratio} | {c[key]:.0f} |")
        if e and "smtp_postfix" in c:
            ratio = e["messages_per_s"] / c["smtp_postfix"]
            lines.append(f"| target end to end ≥ 0.5 × SMTP submit ceiling | {ratio:.2f}: {'met' if ratio >= 0.5 else 'missed'} |")
        if e and "curl" in c:
            ratio = e["fetch_per_s"] / c["curl"]
            lines.append(f"| target fetch ≥ 0.8 × curl | {ratio:.2f}: {'met' if ratio >= 0.8 else 'missed'} |")
        for poll, l in sorted(r.get("latency", {}).items(), key=lambda x: int(x[0])):
            if "median" in l:
                lines.append(f"| latency, poll_seconds = {poll}: median / p95 ({l['answered']}/{l['count']} answered) "
                             f"| {l['median']:.2f} s / {l['p95']:.2f} s |")
                if int(poll) >= 30:
                    met = l["median"] <= 1 and l["p95"] <= 2 and l["answered"] == l["count"]
                    lines.append(f"| target with IDLE at poll_seconds = {poll}: median ≤ 1 s and p95 ≤ 2 s "
                                 f"| {'met' if met else 'missed'} |")
        if "idle_memory" in r:
            m = r["idle_memory"]["VmHWM_mb"]
            lines.append(f"| peak RSS idle 60 s (target ≤ 64 MB) | {m:.1f} MB: {'met' if m <= 64 else 'missed'} |")
        if e:
            m = e["rss_peak_mb"]
            lines.append(f"| peak RSS draining (target ≤ 200 MB) | {m:.1f} MB: {'met' if m <= 200 else 'missed'} |")
        lines.append(f"| load average at the end | {open('/proc/loadavg').read().split()[:3]} |")
        print("\n".join(lines))
        runs = r.get("e2e_sizes")
        if runs:
            print()
            print("| backlog | refbot: commands/s | answers delivered/s | SMTP submit → delivered ceiling, same mail, mails/s"
                  " | ratio (answers) | ratio (commands) | peak RSS MB |")
            print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for run in runs:
                e, c = run["e2e"], run["ceiling"]
                print(f"| {run['messages']} | {e['messages_delivered_per_s']:.1f} | {e['answers_delivered_per_s']:.1f}"
                      f" | {c['deliver_per_s']:.1f} | {e['answers_delivered_per_s'] / c['deliver_per_s']:.2f}"
                      f" | {e['messages_delivered_per_s'] / c['deliver_per_s']:.2f} | {e['rss_peak_mb']:.1f} |")
            print()
            print("| target | figure | result |")
            print("| --- | ---: | --- |")
            for run in runs:
                e, c = run["e2e"], run["ceiling"]
                ratio = e["answers_delivered_per_s"] / c["deliver_per_s"]
                print(f"| end to end ≥ 0.8 × SMTP ceiling at {run['messages']} | {ratio:.2f} | {'met' if ratio >= 0.8 else 'missed'} |")
            if len(runs) > 1:
                small, large = runs[0], runs[-1]
                flat = large["e2e"]["messages_delivered_per_s"] / small["e2e"]["messages_delivered_per_s"]
                print(f"| flat: rate at {large['messages']} ≥ 0.9 × rate at {small['messages']} | {flat:.2f} |"
                      f" {'met' if flat >= 0.9 else 'missed'} |")
            peak = max(run["e2e"]["rss_peak_mb"] for run in runs)
            print(f"| peak RSS draining ≤ 200 MB | {peak:.1f} MB | {'met' if peak <= 200 else 'missed'} |")
            for run in runs:
                e = run["e2e"]
                print(f"\nbacklog {run['messages']}: all fetched at {e['fetch_seconds']:.1f} s, processed at"
                      f" {e['process_span'][1]:.1f} s, sent at {e['send_span'][1]:.1f} s, delivered at"
                      f" {e['delivered_seconds']:.1f} s; fetch {e['fetch_per_s']:.1f}/s, process {e['process_per_s']:.1f}/s,"
                      f" send {e['send_per_s']:.1f}/s; most waiting: {e['max_unprocessed']} unprocessed,"
                      f" {e['max_unsent']} unsent; refbot CPU {e['cpu_seconds']:.2f} s"
                      f" ({e['cpu_seconds'] * 1000 / run['messages']:.2f} ms a command; user"
                      f" {e.get('cpu_user_seconds', 0):.2f} s, system {e.get('cpu_system_seconds', 0):.2f} s); written"
                      f" {e['io']['wchar'] / 1e6:.0f} MB in {e['io']['syscw']} calls, read {e['io']['rchar'] / 1e6:.0f} MB"
                      f" in {e['io']['syscr']} calls; the bench's sampler {e.get('sampler_cpu_seconds', 0):.2f} CPU-s;"
                      f" machine busy {e.get('machine_busy', 0) * 100:.0f} % (ceiling"
                      f" {run['ceiling'].get('machine_busy', 0) * 100:.0f} %);"
                      f" load {e['uptime']}")
                print(f"\nCPU-s by process, drain of {run['messages']}: {e.get('cpu_by_process', [])[:10]}")
                print(f"CPU-s by process, ceiling of {run['messages']}: {run['ceiling'].get('cpu_by_process', [])[:10]}")
                print(f"processes started, drain: {e.get('processes_started', [])[:8]};"
                      f" ceiling: {run['ceiling'].get('processes_started', [])[:8]}")
                print(f"machine CPU-s, drain: {e.get('machine_seconds')}; ceiling: {run['ceiling'].get('machine_seconds')}")


def settle():
    """Writes every dirty page out before a measured phase, so that neither the drain nor the ceiling
    pays for the kernel's writeback of what came before it (the loaded inbox, the seeded database,
    the other phase's deliveries)."""
    start = time.time()
    os.sync()
    log(f"sync before the measured phase: {time.time() - start:.2f} s")


def sizes(text):
    values = [int(v) for v in text.replace(" ", "").split(",") if v]
    if not values or min(values) < 10:
        raise argparse.ArgumentTypeError("--messages takes backlog sizes of at least 10, separated by commas (1000,10000)")
    return values


def summary(paths):
    """One table of the e2e runs saved by `scripts/bench e2e --repeat R` (each run's
    bench-results.json), and how many runs met each target of issue 13."""
    runs = []
    for path in paths:
        with open(path) as f:
            runs.append(json.load(f).get("e2e_sizes") or [])
    sizes = sorted({run["messages"] for sizes in runs for run in sizes})
    ratio = lambda run: run["e2e"]["answers_delivered_per_s"] / run["ceiling"]["deliver_per_s"]
    print()
    print("| run | " + " | ".join(f"ratio at {n}" for n in sizes) + " | flat | ceilings, mails/s | refbot CPU a command |")
    print("| ---: | " + " | ".join("---:" for _ in sizes) + " | ---: | --- | --- |")
    flats = []
    for number, sized in enumerate(runs, 1):
        by_size = {run["messages"]: run for run in sized}
        cells = [f"{ratio(by_size[n]):.2f}" if n in by_size else "—" for n in sizes]
        flat = "—"
        if len(sized) > 1:
            value = sized[-1]["e2e"]["messages_delivered_per_s"] / sized[0]["e2e"]["messages_delivered_per_s"]
            flats.append(value)
            flat = f"{value:.2f}"
        ceilings = " / ".join(f"{by_size[n]['ceiling']['deliver_per_s']:.0f}" for n in sizes if n in by_size)
        cpu = " / ".join(f"{by_size[n]['e2e']['cpu_seconds'] * 1000 / n:.2f}" for n in sizes if n in by_size)
        print(f"| {number} | " + " | ".join(cells) + f" | {flat} | {ceilings} | {cpu} ms |")
    print()
    print("| target | runs | min | mean | max | met |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for n in sizes:
        values = [ratio(run) for sized in runs for run in sized if run["messages"] == n]
        met = sum(v >= 0.8 for v in values)
        print(f"| end to end ≥ 0.8 × SMTP ceiling at {n} | {len(values)} | {min(values):.2f} |"
              f" {sum(values) / len(values):.2f} | {max(values):.2f} | {met} of {len(values)} |")
    if flats:
        met = sum(v >= 0.9 for v in flats)
        print(f"| flat: rate at {sizes[-1]} ≥ 0.9 × rate at {sizes[0]} | {len(flats)} | {min(flats):.2f} |"
              f" {sum(flats) / len(flats):.2f} | {max(flats):.2f} | {met} of {len(flats)} |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "summary":
        summary(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["all", "e2e", "ceilings", "latency", "memory", "fetch"])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--refbot", required=True)
    parser.add_argument("--templates", required=True)
    parser.add_argument("--messages", type=sizes, default=[1000, 10000], dest="sizes")
    parser.add_argument("--poll", type=int, action="append")
    parser.add_argument("--latency-count", type=int, default=100)
    args = parser.parse_args()
    args.messages = max(args.sizes)
    bench = Bench(args)
    try:
        if args.what in ("all", "memory"):
            bench.setup()
            bench.idle_memory()
        if args.what in ("all", "e2e"):
            bench.e2e_sizes()
        if args.what == "memory":
            bench.load()
            bench.e2e()
        if args.what in ("all", "ceilings"):
            args.messages = max(args.sizes)
            bench.seeded = None
            bench.setup()
            bench.load()
            bench.imap_ceilings()
            bench.smtp_ceilings()
        if args.what == "fetch":
            bench.setup()
            bench.load()
            bench.imap_fetch()
        if args.what in ("all", "latency"):
            bench.setup()
            for poll in args.poll or [1, 30]:
                bench.latency(poll)
    finally:
        bench.stop_daemon()
    bench.report()


if __name__ == "__main__":
    main()
