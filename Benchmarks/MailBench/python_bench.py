"""The Python side of scripts/bench-mail: the same files through Python's `email` package and
email-reply-parser, then the Swift/Python ratio per workload.

    python_bench.py ROOT MIX_DIR [SWIFT_RESULTS]

Per message: email.message_from_bytes(policy=default), the text body (text/plain, else the HTML with
its tags cut out crudely), EmailReplyParser.parse_reply, and a match of the first word of the subject
or of the new text against refbot's command words. Not a test; figures go to BENCHMARKS.md.
"""

import email
import email.policy
import re
import sys
import time
from pathlib import Path

from email_reply_parser import EmailReplyParser

COMMAND_WORDS = {
    "HELP", "JOIN", "CONFIRM", "PROFILE", "LISTING", "SEARCH", "LISTINGS", "SHOW", "CLOSE", "CONNECT", "FOLLOW",
    "UNFOLLOW", "REFER", "AGREE", "ACCEPT", "REJECT", "CONTACTED", "WON", "LOST", "PAID", "RECEIVED", "DISPUTE",
    "YES", "NO", "STATUS", "CREDITS", "REDEEM", "STOP", "START", "LEAVE", "EXPORT", "APPROVE", "DECLINE", "FEATURE",
    "GRANT", "ANNOUNCE",
}
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|antw)\s*:\s*|\[[^\]]*\]\s*)+", re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")
PUNCTUATION = ".,!?:;*\"'()"


def first_word(text):
    for line in text.splitlines():
        words = line.split(None, 1)
        if words:
            return words[0].strip(PUNCTUATION).upper()
    return ""


def command(subject, new_text):
    word = first_word(REPLY_PREFIX.sub("", subject or ""))
    if word in COMMAND_WORDS:
        return word
    word = first_word(new_text)
    return word if word in COMMAND_WORDS else None


def text_body(message):
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return part.get_content()
    part = message.get_body(preferencelist=("html",))
    return TAG.sub(" ", part.get_content()) if part is not None else ""


def pipeline(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    new_text = EmailReplyParser.parse_reply(text_body(message))
    return len(new_text) + (1 if command(str(message.get("subject", "")), new_text) else 0)


def trim_only(raw):
    new_text = EmailReplyParser.parse_reply(raw.decode("utf-8", "replace"))
    return len(new_text) + (1 if command("", new_text) else 0)


def run(name, items, step, minimum_seconds):
    size = sum(len(item) for item in items)
    rounds = errors = checksum = 0
    # CPU time of the process, as on the Swift side: other work on a shared machine does not count
    start = time.process_time()
    while True:
        for item in items:
            try:
                checksum += step(item)
            except Exception:  # a message the package cannot read counts as an error, as on the Swift side
                errors += 1
        rounds += 1
        elapsed = time.process_time() - start
        if elapsed >= minimum_seconds:
            break
    per_second = len(items) * rounds / elapsed
    mb_per_second = size * rounds / 1e6 / elapsed
    print(f"python {name}: {len(items)} x {rounds} rounds, {size / 1e6:.1f} MB per round: "
          f"{per_second:.0f} messages/s, {mb_per_second:.2f} MB/s per CPU second (errors {errors // rounds}, checksum {checksum})",
          flush=True)
    return per_second, mb_per_second


def main():
    root, mix_dir = Path(sys.argv[1]), Path(sys.argv[2])
    fixtures = root / "Tests/RefbotMailTests/Fixtures"
    messages = [p.read_bytes() for p in sorted(fixtures.rglob("*.eml"))]
    bodies = [p.read_bytes() for p in sorted((fixtures / "corpus/emails").rglob("*.txt"))]
    mix = [p.read_bytes() for p in sorted(mix_dir.glob("*.eml"))]
    results = {
        "fixtures": run("fixtures (parse+trim+command)", messages, pipeline, 3),
        "corpus": run("reply corpus (trim+command)", bodies, trim_only, 3),
        "mix": run("generated mix (parse+trim+command)", mix, pipeline, 5),
    }
    if len(sys.argv) > 3:
        swift = {}
        for line in Path(sys.argv[3]).read_text().splitlines():
            key, per_second, mb_per_second = line.split("\t")
            swift[key] = (float(per_second), float(mb_per_second))
        print()
        print("| workload | Swift messages/s | Swift MB/s | Python messages/s | Python MB/s | Swift ÷ Python |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        names = {"fixtures": f"fixtures ({len(messages)} messages)", "corpus": f"reply corpus ({len(bodies)} bodies)",
                 "mix": f"generated mix ({len(mix)} messages)"}
        for key, (python_rate, python_mb) in results.items():
            if key in swift:
                swift_rate, swift_mb = swift[key]
                print(f"| {names[key]} | {swift_rate:,.0f} | {swift_mb:.1f} | {python_rate:,.0f} | {python_mb:.2f} "
                      f"| {swift_rate / python_rate:.1f}× |")


if __name__ == "__main__":
    main()
