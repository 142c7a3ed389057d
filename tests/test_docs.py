#!/usr/bin/env python3
"""The documentation against the program: mmbench.1 and configs/README.md.

Usage: test_docs.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
  man_options  every option of mmbench --help (and mmbench compare --help) has an entry
  man_render   groff formats mmbench.1 without a warning (skipped without groff)
Environment: MMBENCH (the binary), MMBENCH_SOURCE (the source tree).
Exit status 0 = pass, 1 = fail, 77 = skipped.
"""
import os
import re
import shutil
import subprocess
import sys

from mmtest import SKIP, check, main

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
SOURCE = os.path.abspath(os.environ.get("MMBENCH_SOURCE", "."))
MAN_PAGE = os.path.join(SOURCE, "mmbench.1")


def mmbench(args):
    return subprocess.run([MMBENCH] + args, capture_output=True, text=True, timeout=60)


def plain(roff):
    """roff text as it reads: no font escapes, \\- as -, quotes and spaces resolved."""
    text = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", roff)
    for escape, char in (("\\-", "-"), ("\\(dq", '"'), ("\\(aq", "'"), ("\\(lq", '"'),
                         ("\\(rq", '"'), ("\\ ", " "), ("\\&", ""), ("\\|", ""), ("\\e", "\\")):
        text = text.replace(escape, char)
    text = re.sub(r"^\.(B|I|BI|BR|IB|IR|RB|RI|SM|SB)\s", "", text, flags=re.M)
    return text


def man_entries():
    """[(section, tag, body)] of the man page's .TP entries, in plain text."""
    with open(MAN_PAGE) as f:
        lines = f.read().splitlines()
    entries, section, i = [], "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
        if line.startswith(".TP") and i + 1 < len(lines):
            tag = lines[i + 1]
            body = []
            i += 2
            while i < len(lines) and not re.match(r"\.(TP|SH|SS|PP|P|LP)\b", lines[i]):
                body.append(lines[i])
                i += 1
            entries.append((section, plain(tag), " ".join(plain(b) for b in body)))
            continue
        i += 1
    check(entries, "mmbench.1 has no .TP entries")
    return entries


def options_in(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z]|-[a-zA-Z])(?![\w-])", text))


def word_in(word, text):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


# ---- subtests ----

def test_man_options(tmp):
    proc = mmbench(["--help"])
    check(proc.returncode == 0, f"mmbench --help: exit {proc.returncode}")
    wanted = {("", opt) for opt in options_in(proc.stdout)}
    check(len(wanted) >= 16, f"only {len(wanted)} options found in --help:\n{proc.stdout}")
    compare = mmbench(["compare", "--help"])
    if compare.returncode == 0 and "usage: mmbench compare" in compare.stdout:
        wanted |= {("COMPARE", opt) for opt in options_in(compare.stdout)}
    entries = man_entries()
    missing = []
    for section, opt in sorted(wanted):
        tags = [tag for sect, tag, _ in entries
                if sect in ("OPTIONS", "COMPARE") and (not section or sect == section)]
        if not any(word_in(opt, tag) for tag in tags):
            missing.append(f"{opt} (section {section or 'OPTIONS'})")
    check(not missing, "options without an entry in mmbench.1: " + ", ".join(missing))


def test_man_render(tmp):
    groff = shutil.which("groff")
    if not groff:
        print("skip: groff is not installed")
        return SKIP
    proc = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", MAN_PAGE],
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 0 and not proc.stderr.strip(),
          f"groff -man -ww: exit {proc.returncode}\n{proc.stderr}")


if __name__ == "__main__":
    sys.exit(main(globals(), __doc__))
