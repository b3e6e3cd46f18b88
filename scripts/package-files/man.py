#!/usr/bin/env python3
"""Writes refbot(1) from `refbot --experimental-dump-help` and refbot.toml(5) from the commented
example configuration (systemd/refbot.toml.example, the settings table).

    man.py refbot1 DUMP.json VERSION DATE > refbot.1
    man.py refbot5 refbot.toml.example VERSION DATE > refbot.toml.5
"""
import json
import re
import sys


def roff(text):
    """Escapes text for a roff line."""
    text = text.replace("\\", "\\e").replace("-", "\\-").replace('"', "\\(dq")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def paragraphs(text):
    out = []
    for block in text.strip().split("\n\n"):
        out.append(".PP\n" + roff(" ".join(part.strip() for part in block.split("\n"))))
    return "\n".join(out)


def argument_synopsis(arg):
    names = arg.get("names", [])
    value = arg.get("valueName", "value")
    kind = arg.get("kind")
    long_names = [n for n in names if n["kind"] == "long"]
    short_names = [n for n in names if n["kind"] == "short"]
    if kind == "positional":
        text = "<" + value + ">"
    else:
        name = long_names[0] if long_names else (short_names[0] if short_names else None)
        if name is None:
            return None
        prefix = "--" if name["kind"] == "long" else "-"
        text = prefix + name["name"]
        if kind == "option":
            text += " <" + value + ">"
    if arg.get("isRepeating"):
        text += " ..."
    if arg.get("isOptional", False):
        text = "[" + text + "]"
    return text


def argument_item(arg):
    kind = arg.get("kind")
    value = arg.get("valueName", "value")
    if kind == "positional":
        label = "<" + value + ">"
    else:
        labels = []
        for name in arg.get("names", []):
            prefix = "--" if name["kind"] == "long" else "-"
            labels.append(prefix + name["name"] + (" <" + value + ">" if kind == "option" else ""))
        label = ", ".join(labels)
    body = arg.get("abstract", "")
    if arg.get("discussion"):
        discussion = arg["discussion"]
        body += " " + (discussion if isinstance(discussion, str) else "")
    if "defaultValue" in arg and arg.get("kind") != "flag":
        body += " (default: " + str(arg["defaultValue"]) + ")"
    return ".TP\n.B " + roff(label) + "\n" + roff(body.strip())


def command_section(command, path, top):
    out = []
    name = " ".join(path)
    args = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    if not top:
        # --help and --version are the same everywhere; refbot(1) names them once, at the top.
        args = [a for a in args if a.get("kind") == "positional"
                or {n["name"] for n in a.get("names", [])} - {"h", "help", "version"}]
    synopsis = [s for s in (argument_synopsis(a) for a in args) if s]
    if command.get("subcommands"):
        synopsis.append("<subcommand>")
    if not top:
        out.append(".SS " + roff(name))
    out.append(".B " + roff(name) + "\n" + roff(" ".join(synopsis)) + "\n.br")
    if command.get("abstract") and not top:
        out.append(".PP\n" + roff(command["abstract"]))
    if command.get("discussion") and not top:
        out.append(paragraphs(command["discussion"]))
    if args:
        out.append(".RS")
        out.extend(argument_item(a) for a in args)
        out.append(".RE")
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            out.extend(command_section(sub, path + [sub["commandName"]], False))
    return out


def refbot1(dump_path, version, date):
    command = json.load(open(dump_path))["command"]
    out = [
        '.TH REFBOT 1 "%s" "refbot %s" "refbot manual"' % (date, version),
        ".SH NAME",
        "refbot \\- " + roff(command.get("abstract", "")),
        ".SH SYNOPSIS",
        ".B refbot\n<subcommand> [options]",
        ".SH DESCRIPTION",
        paragraphs(command.get("discussion", "")),
        ".SH COMMANDS",
    ]
    out.extend(command_section(command, ["refbot"], True)[1:])
    out += [
        ".SH FILES",
        ".TP\n.I /etc/refbot/refbot.toml\nThe configuration (see \\fBrefbot.toml\\fR(5)); one file per network for \\fBrefbot@\\fR\\fIname\\fR\\fB.service\\fR: \\fI/etc/refbot/name.toml\\fR.",
        ".TP\n.I /var/lib/refbot/\nThe state directory: the database (refbot.sqlite), its pre\\-migration backups (refbot.sqlite.pre\\-v\\fIN\\fR) and the link secret.",
        ".TP\n.I /usr/share/refbot/mail-templates/\nThe mail templates (bot.templates).",
        ".TP\n.I /usr/share/doc/refbot/README.md\nThe full guide: installing, configuring, upgrading, backing up and restoring.",
        ".SH SEE ALSO",
        "\\fBrefbot.toml\\fR(5), \\fBsystemctl\\fR(1)",
    ]
    return "\n".join(out) + "\n"


def refbot5(example_path, version, date):
    out = [
        '.TH REFBOT.TOML 5 "%s" "refbot %s" "refbot manual"' % (date, version),
        ".SH NAME",
        "refbot.toml \\- refbot's configuration",
        ".SH DESCRIPTION",
        paragraphs(
            "refbot reads one TOML file, /etc/refbot/refbot.toml unless --config names another "
            "(the instance unit refbot@NAME.service reads /etc/refbot/NAME.toml). Check it with "
            "refbot check-config --config FILE.\n\n"
            "Relative paths in bot.database and bot.secret_file resolve against $STATE_DIRECTORY, "
            "and relative password_file paths against $CREDENTIALS_DIRECTORY, when systemd sets them.\n\n"
            "Each setting below shows its default (the value in the example file "
            "/usr/share/doc/refbot/examples/refbot.toml.example) and what it does."),
        ".SH SETTINGS",
    ]
    pending = []
    section = None
    key_line = re.compile(r'^([A-Za-z0-9_]+)\s*=\s*(.*)$')
    for raw in open(example_path):
        line = raw.rstrip("\n")
        stripped = line.strip()
        if not stripped:
            pending = []
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        header = re.match(r'^\[([^\]]+)\]', stripped)
        if header:
            section = header.group(1)
            out.append(".SS [" + roff(section) + "]")
            if pending and section:
                out.append(".PP\n" + roff(" ".join(pending)))
            pending = []
            continue
        match = key_line.match(stripped)
        if not match:
            continue
        key, rest = match.group(1), match.group(2)
        value, comment = split_comment(rest)
        description = " ".join(pending + ([comment] if comment else []))
        pending = []
        full = (section + "." + key) if section else key
        out.append(".TP\n.B " + roff(full) + " = " + roff(value.strip()))
        out.append(roff(description) if description else "")
    out += [
        ".SH EXAMPLE",
        "The commented example: /usr/share/doc/refbot/examples/refbot.toml.example.",
        ".SH SEE ALSO",
        "\\fBrefbot\\fR(1)",
    ]
    return "\n".join(out) + "\n"


def split_comment(text):
    """`"a # b"   # c` -> ('"a # b"', 'c'): a # inside quotes is not a comment."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return text[:index].rstrip(), text[index + 1:].strip()
    return text.rstrip(), ""


if __name__ == "__main__":
    kind, source, version, date = sys.argv[1:5]
    sys.stdout.write(refbot1(source, version, date) if kind == "refbot1" else refbot5(source, version, date))
