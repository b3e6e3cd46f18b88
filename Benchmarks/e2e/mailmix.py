"""The network and the inbound mail of the end-to-end benchmark.

`seed` fills a database that refbot has migrated with members, live listings, accepted
connections, referrals waiting for the owner's ACCEPT (each with its reply tag) and a few sent
outbox rows for bounces to point at. `generate` makes the member commands, in a fixed mix,
as raw RFC 5322 bytes (CRLF), ready to be written into the bot's Maildir.
"""

import hashlib
import random
import secrets
import sqlite3
import time

DOMAIN = "example.test"
BOT = "bot@" + DOMAIN
AUTHSERV = "mx.example.test"
MEMBERS = 200
CONNECTIONS_PER_MEMBER = 5
SEEDED_OUTBOX = 200

# share of each kind in the mix (they add up to 1)
MIX = [
    ("help", 0.15),
    ("search", 0.25),
    ("refer", 0.20),
    ("accept", 0.20),
    ("autoreply", 0.10),
    ("bounce", 0.10),
]

FIRST = ["Ann", "Bob", "Carla", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kim", "Luis",
         "Mona", "Nils", "Olga", "Pedro", "Qi", "Rosa", "Sam", "Tara"]
LAST = ["Lee", "Okafor", "Schmidt", "Patel", "Rossi", "Nguyen", "Dubois", "Silva", "Kowalski", "Haddad"]
TRADES = [
    ("Kitchen remodels", "Home improvement", "Homeowners planning a new kitchen"),
    ("Roof repairs", "Home improvement", "Owners of houses with leaking or old roofs"),
    ("Wedding photography", "Events", "Couples getting married this year"),
    ("Bookkeeping for shops", "Finance", "Small retailers without an accountant"),
    ("Garden design", "Outdoor", "Homeowners with a new or neglected garden"),
    ("Dog training", "Pets", "Owners of young or anxious dogs"),
    ("Office cleaning", "Facilities", "Offices of 10 to 50 people"),
    ("Website redesign", "Marketing", "Local businesses with an outdated site"),
    ("Tax returns", "Finance", "Freelancers and landlords"),
    ("Moving help", "Logistics", "Families moving house"),
]
CITIES = ["Springfield", "Riverton", "Lakeside", "Fairview", "Hillcrest"]
SEARCH_WORDS = ["kitchen", "roof", "wedding", "bookkeeping", "garden", "dog", "cleaning", "website", "tax",
                "moving", "photography", "repairs", "springfield", "riverton", "lakeside"]


def member_email(i):
    return f"m{i:03d}@{DOMAIN}"


def member_name(i):
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"


def user_list(password="memberpass"):
    """The mail stack's TEST_USERS: the bot, the admin, the members and the latency member."""
    users = [f"{BOT}:botpass", f"admin@{DOMAIN}:adminpass", f"lat@{DOMAIN}:latpass"]
    users += [f"{member_email(i)}:{password}" for i in range(MEMBERS)]
    return " ".join(users)


def plan(n, seed=42):
    """The kind of each of the n messages, shuffled, the same for a given n and seed."""
    rng = random.Random(seed)
    counts = [int(n * share) for _, share in MIX]
    counts[0] += n - sum(counts)
    kinds = [kind for (kind, _), count in zip(MIX, counts) for _ in range(count)]
    rng.shuffle(kinds)
    return kinds


def token():
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def seed(db_path, accepts, now=None):
    """Members, listings, connections, `accepts` referrals waiting for ACCEPT, sent outbox rows.

    Returns what the generator needs: the pending referrals (id, owner index, referrer index,
    reply token, customer) and the seeded outbox ids."""
    now = int(now or time.time())
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA foreign_keys = ON")
    with db:
        # the latency member reads the answers to its commands
        people = [(member_email(i), member_name(i), i) for i in range(MEMBERS)] + [(f"lat@{DOMAIN}", "Lat Timer", None)]
        for email, name, i in people:
            trade = TRADES[(i or 0) % len(TRADES)]
            db.execute(
                "INSERT INTO member (email, name, business, category, city, state, credits, points, joinedAt, confirmedAt)"
                " VALUES (?, ?, ?, ?, ?, 'active', 1000000, 0, ?, ?)",
                (email, name, f"{name.split()[1]} {trade[0].split()[0]}", trade[1], CITIES[(i or 0) % len(CITIES)],
                 now - 86400 * 30, now - 86400 * 30))
        ids = {email: row for email, row in db.execute("SELECT email, id FROM member")}
        listing_of = {}
        for i in range(MEMBERS):
            title, category, customer = TRADES[i % len(TRADES)]
            city = CITIES[i % len(CITIES)]
            cur = db.execute(
                "INSERT INTO listing (ownerId, title, category, location, customer, rewardKind, rewardAmountMinor,"
                " rewardCurrency, state, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 'perLead', ?, 'USD', 'live', ?, ?)",
                (ids[member_email(i)], f"{title} in {city}", category, city, customer, 5000 + 500 * (i % 10),
                 now - 86400 * 20, now - 86400 * 20))
            listing_of[i] = cur.lastrowid
        for i in range(MEMBERS):
            for d in range(1, CONNECTIONS_PER_MEMBER + 1):
                db.execute(
                    "INSERT INTO connection (requesterId, addresseeId, state, createdAt, decidedAt)"
                    " VALUES (?, ?, 'accepted', ?, ?)",
                    (ids[member_email(i)], ids[member_email((i + d) % MEMBERS)], now - 86400 * 10, now - 86400 * 10))
        referrals = []
        rng = random.Random(7)
        for k in range(accepts):
            owner = k % MEMBERS
            referrer = (owner - rng.randint(1, CONNECTIONS_PER_MEMBER)) % MEMBERS
            customer = f"Waiting Customer {k}"
            cur = db.execute(
                "INSERT INTO referral (listingId, ownerId, referrerId, customerName, customerEmail, need, consent, state,"
                " createdAt, deliveredAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, 'byReferrer', 'pending', ?, ?, ?)",
                (listing_of[owner], ids[member_email(owner)], ids[member_email(referrer)], customer,
                 f"waiting{k}@customers.example", "Wants a quote this month", now - 3600, now - 3600, now - 3600))
            rid = cur.lastrowid
            tag = token()
            db.execute(
                "INSERT INTO replyToken (tokenHash, memberEmail, action, ref, createdAt, expiresAt)"
                " VALUES (?, ?, 'referral.owner', ?, ?, ?)",
                (hashlib.sha256(tag.lower().encode()).hexdigest(), member_email(owner), f"R-{rid}", now - 3600,
                 now + 86400 * 100))
            referrals.append({"id": rid, "owner": owner, "referrer": referrer, "tag": tag, "customer": customer,
                              "title": TRADES[owner % len(TRADES)][0] + " in " + CITIES[owner % len(CITIES)]})
        outbox = []
        for k in range(SEEDED_OUTBOX):
            cur = db.execute(
                "INSERT INTO outboxMessage (event, recipients, envelopeFrom, messageId, raw, state, attempts,"
                " firstQueuedAt, nextAttemptAt, sentAt) VALUES ('search.results', ?, '', ?, ?, 'sent', 1, ?, ?, ?)",
                (member_email(k % MEMBERS), f"seed.{k}.{now}@{DOMAIN}", b"Subject: seeded\r\n\r\nseeded\r\n",
                 now - 86400, now - 86400, now - 86400))
            outbox.append(cur.lastrowid)
    db.close()
    return {"referrals": referrals, "outbox": outbox, "listings": listing_of}


def _date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def _message(headers, body):
    text = "\r\n".join(f"{k}: {v}" for k, v in headers) + "\r\n\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")
    if not text.endswith("\r\n"):
        text += "\r\n"
    return text.encode("utf-8")


def generate(n, seeded, seed_value=42, now=None):
    """The n inbound messages as bytes, in the planned mix."""
    now = int(now or time.time())
    rng = random.Random(seed_value)
    kinds = plan(n, seed_value)
    referrals = iter(seeded["referrals"])
    outbox = seeded["outbox"]
    messages = []
    for index, kind in enumerate(kinds):
        sender = rng.randrange(MEMBERS)
        email, name = member_email(sender), member_name(sender)
        msgid = f"<{index}.{secrets.token_hex(6)}@mail.{DOMAIN}>"
        date = _date(now - rng.randint(0, 600))
        base = [("Return-Path", f"<{email}>"), ("Delivered-To", BOT), ("From", f"{name} <{email}>"), ("To", BOT),
                ("Date", date), ("Message-ID", msgid), ("MIME-Version", "1.0"),
                ("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "8bit")]
        if kind == "help":
            body = rng.choice(["", "Hi, how does this work?\n\nThanks,\n" + name.split()[0] + "\n"])
            messages.append(_message(base + [("Subject", "HELP")], body))
        elif kind == "search":
            words = " ".join(rng.sample(SEARCH_WORDS, rng.randint(1, 2)))
            if rng.random() < 0.3:
                words += f" location:{rng.choice(CITIES).lower()}"
            messages.append(_message(base + [("Subject", f"SEARCH {words}")], f"SEARCH {words}\n\n-- \n{name}\n"))
        elif kind == "refer":
            owner = (sender + rng.randint(1, CONNECTIONS_PER_MEMBER)) % MEMBERS
            listing = seeded["listings"][owner]
            body = (f"REFER L-{listing}\n\nCustomer: Referred Customer {index}\nEmail: cust{index}@customers.example\n"
                    f"Phone: +1 555 {index % 10000:04d}\nNeed: Wants {TRADES[owner % len(TRADES)][0].lower()} "
                    f"before the summer\nConsent: yes\n\nBest,\n{name}\n")
            auth = (f"{AUTHSERV}; spf=pass smtp.mailfrom={email}; dkim=pass header.d={DOMAIN}; "
                    f"dmarc=pass (p=reject) header.from={DOMAIN}")
            # The MTA's own Received: field under its Authentication-Results, as Postfix with a DMARC
            # milter writes them: refbot trusts only fields above the first SMTP Received: field.
            received = (f"from mail.{DOMAIN} (mail.{DOMAIN} [192.0.2.25]) by {AUTHSERV} (Postfix) with ESMTPS"
                        f" id B{index:08d} for <{BOT}>; {date}")
            messages.append(_message([("Authentication-Results", auth), ("Received", received)] + base
                                     + [("Subject", f"REFER L-{listing}")], body))
        elif kind == "accept":
            r = next(referrals)
            email, name = member_email(r["owner"]), member_name(r["owner"])
            tagged = f"bot+{r['tag']}@{DOMAIN}"
            original = f"<r{r['id']}.received@{DOMAIN}>"
            headers = [("Return-Path", f"<{email}>"), ("Delivered-To", tagged), ("From", f"{name} <{email}>"),
                       ("To", f"Test Referral Network <{tagged}>"), ("Date", date), ("Message-ID", msgid),
                       ("In-Reply-To", original), ("References", original), ("MIME-Version", "1.0"),
                       ("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "8bit"),
                       ("Subject", f"Re: [R-{r['id']}] New referral: {r['customer']} for \"{r['title']}\"")]
            quoted = (f"{r['customer']} was referred to you for \"{r['title']}\".\n\nNeed: Wants a quote this month\n\n"
                      "Reply ACCEPT to take it (one credit) or REJECT with a reason.\n")
            if index % 2:
                body = ("ACCEPT\n\nOn Mon, 23 Nov 2026 at 10:00, Test Referral Network <" + tagged + "> wrote:\n"
                        + "".join("> " + line + "\n" for line in quoted.split("\n")))
            else:
                body = ("ACCEPT\n\n________________________________\nFrom: Test Referral Network <" + tagged + ">\n"
                        "Sent: Monday, November 23, 2026 10:00 AM\nTo: " + name + " <" + email + ">\n"
                        f"Subject: [R-{r['id']}] New referral\n\n" + quoted)
            messages.append(_message(headers, body))
        elif kind == "autoreply":
            headers = base + [("Subject", rng.choice(["Automatic reply: HELP", "Out of Office: Re: [R-12] New referral",
                                                      "Abwesenheitsnotiz"]))]
            if rng.random() < 0.75:
                headers.append(("Auto-Submitted", "auto-replied"))
                headers.append(("X-Auto-Response-Suppress", "All"))
            else:
                headers.append(("X-Autoreply", "yes"))
                headers.append(("Precedence", "auto_reply"))
            messages.append(_message(headers, f"I am out of the office until Monday with limited access to email.\n\n"
                                              f"{name}\n"))
        else:  # bounce
            outbox_id = outbox[rng.randrange(len(outbox))]
            failed = member_email(rng.randrange(MEMBERS))
            verp = f"bot+bounce-{outbox_id}@{DOMAIN}"
            boundary = f"B{index}.{secrets.token_hex(4)}/mail.{DOMAIN}"
            headers = [("Return-Path", "<>"), ("Delivered-To", verp),
                       ("From", f"MAILER-DAEMON@mail.{DOMAIN} (Mail Delivery System)"), ("To", verp),
                       ("Date", date), ("Message-ID", msgid), ("Subject", "Undelivered Mail Returned to Sender"),
                       ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0"),
                       ("Content-Type", f'multipart/report; report-type=delivery-status; boundary="{boundary}"')]
            body = (f"This is a MIME-encapsulated message.\n\n--{boundary}\nContent-Description: Notification\n"
                    "Content-Type: text/plain; charset=us-ascii\n\nThis is the mail system at host mail.example.test.\n\n"
                    "I'm sorry to have to inform you that your message could not\nbe delivered to one or more "
                    f"recipients.\n\n<{failed}>: host mx.{DOMAIN} said: 550 5.1.1 User unknown\n\n"
                    f"--{boundary}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
                    f"Reporting-MTA: dns; mail.{DOMAIN}\nX-Postfix-Queue-ID: 4F{index:06X}\n"
                    f"Arrival-Date: {date}\n\nFinal-Recipient: rfc822; {failed}\nOriginal-Recipient: rfc822;{failed}\n"
                    "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
                    f"--{boundary}\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
                    f"Return-Path: <{verp}>\nFrom: Test Referral Network <{BOT}>\nTo: {failed}\n"
                    f"Subject: Your search results\nMessage-ID: <seed.{outbox_id}@{DOMAIN}>\n\n--{boundary}--\n")
            messages.append(_message(headers, body))
    return kinds, messages
