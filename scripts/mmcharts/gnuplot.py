"""Everything gnuplot is given, and running it: the one module that writes gnuplot input.

What gnuplot evaluates (5.4, as Debian 12 ships it; each fact tried for real, see
docs/charts.md and tests/test_plots.py 'gnuplot_facts'):
  - `command` inside a double-quoted string runs the command (through sh) and puts its
    output there; also in a line that a macro expanded;
  - @name outside quotes is replaced by the string variable's text, which is then parsed
    as commands, quotes and backquotes in it too; never inside quotes;
  - a newline ends a command, also inside a quoted string (the rest of the string is the
    next command); a backslash before a newline joins the next line, also in a comment;
  - double-quoted strings interpret escapes: \\n, \\t, \\", \\\\, octal \\ooo;
  - single-quoted strings interpret nothing (no backquote, no @, no escape); '' is a quote,
    except at the start, where '''a' reads as an empty string and a stray token;
  - string variables are values: assigning, concatenating (.) or using them in set title,
    set xtics add (s n), title s, set output s evaluates nothing in them;
  - data files: a field that starts with " runs to the next " (across separators), so
    text before a number can shift or drop the number; nothing in them is evaluated.

So strings reach gnuplot only as values of variables, assigned at the top level of a
driver script from quote(): single-quoted runs of printable characters other than the
quote, joined by '.' to double-quoted constants that are "\\n" or octal escapes only (a
quote, control characters, the bytes of a file name that are not printable ASCII). The
templates (scripts/gnuplot/) use these variables as values and never in @ macros; data
files hold numbers and our own number texts, with free text (a workload's label, for
people reading the file) as the last column only.

What else breaks a chart, and is kept out of display text (literal(), text.clean()):
control and format characters; ']]>' (the SVG terminal escapes < and & but not >, and
']]>' ends the SVG document); characters no installed font has (pngcairo draws them as
a box larger than the chart); a backslash in a multi-line tic label or legend entry
(gnuplot sizes those with its enhanced-text parser even with noenhanced, and warns).
"""
import bisect
import functools
import math
import os
import re
import shutil
import subprocess

from . import text as tx

TIMEOUT_S = 120   # one chart, both formats


class Path(str):
    """A file name for gnuplot: passed exactly (quote()), never cleaned like display text."""


class Lines(str):
    """Display text laid out on several lines: its newlines are line breaks (in any other
    text they become spaces)."""


def quote(value):
    """A gnuplot string expression that evaluates to value and does nothing else (see the
    module's comment): a Path to its bytes as the file system has them, other text to
    UTF-8. Raises ValueError for a NUL, or a lone surrogate in text."""
    if isinstance(value, Path):
        units = [(bytes([b]), 0x20 <= b < 0x7f) for b in os.fsencode(value)]
    else:
        units = [(c.encode("utf-8"), c.isprintable()) for c in value]
    pieces, run = [], []
    for unit, printable in units:
        if printable and unit != b"'":
            run.append(unit)
            continue
        if run:
            pieces.append("'" + b"".join(run).decode("utf-8") + "'")
            run = []
        if unit == b"\0":
            raise ValueError("a NUL character cannot be passed to gnuplot")
        pieces.append('"\\n"' if unit == b"\n" else
                      '"' + "".join(f"\\{b:03o}" for b in unit) + '"')
    if run:
        pieces.append("'" + b"".join(run).decode("utf-8") + "'")
    return " . ".join(pieces) or "''"


_glyph_ranges = []   # [(first, last)] sorted; computed on first use, None: unknown


def _glyphs():
    """The code point ranges that some installed font has glyphs for, from fontconfig
    (which cairo asks), or None where fc-list is missing (then nothing is replaced)."""
    if _glyph_ranges == [] and shutil.which("fc-list"):
        proc = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True,
                              text=True, timeout=60)
        ranges = sorted((int(a, 16), int(b or a, 16)) for item in proc.stdout.split()
                        for a, _, b in [item.partition("-")]
                        if re.fullmatch(r"[0-9a-f]+(-[0-9a-f]+)?", item))
        merged = []
        for first, last in ranges:
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        _glyph_ranges.extend(merged or [(0x20, 0x7e)])
    return _glyph_ranges or None


def drawable(text):
    """text with every character that no installed font can draw replaced by U+FFFD
    (or '?'): pngcairo draws a missing glyph as a box larger than the chart."""
    if text.isascii():
        return text
    ranges = _glyphs()
    if not ranges:
        return text
    starts = [first for first, _ in ranges]

    def has(char):
        i = bisect.bisect_right(starts, ord(char)) - 1
        return i >= 0 and ranges[i][0] <= ord(char) <= ranges[i][1]

    missing = "\ufffd" if has("\ufffd") else "?"
    return "".join(c if c.isascii() or has(c) else missing for c in text)


def literal(value):
    """A Python value as a gnuplot expression: display text cleaned, made drawable and
    quoted (on one line unless it is Lines), a Path quoted exactly, None and non-finite
    numbers NaN, bools 0/1."""
    if isinstance(value, Path):
        return quote(value)
    if isinstance(value, str):
        return quote(drawable(tx.clean(value, newlines=isinstance(value, Lines))))
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NaN"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def assignments(variables):
    """Top-level assignments of the variables (lists become gnuplot arrays; an empty one
    gets one element, which the templates never read: gnuplot has no empty arrays)."""
    lines = []
    for name, value in variables.items():
        if isinstance(value, (list, tuple)):
            items = ", ".join(literal(v) for v in value) if value else "0"
            lines.append(f"array {name}[{max(len(value), 1)}] = [{items}]")
        else:
            lines.append(f"{name} = {literal(value)}")
    return "\n".join(lines) + "\n"


def tics(name, pairs):
    """Variables for a list of tics [(label, position)]: n<name>, <name>label[],
    <name>pos[]; the templates set them with 'set xtics add (label pos)' in a loop."""
    return {f"n{name}": len(pairs), f"{name}label": [label for label, _ in pairs],
            f"{name}pos": [position for _, position in pairs]}


class Token(str):
    """Text of our own for a data file column gnuplot reads (e.g. '1.76x'): no space,
    quote or hash in it."""

    def __new__(cls, value):
        if any(c in value for c in " \t\n\"'#") or not value.isprintable():
            raise ValueError(f"{value!r} cannot be a data file token")
        return super().__new__(cls, value)


def data_cell(value, last):
    """A data file cell: a number (NaN where none), a Token, or, in the last column only,
    free text (cleaned, tabs turned to spaces)."""
    if isinstance(value, Token):
        return value
    if isinstance(value, str):
        if not last:
            raise ValueError("free text only goes in the last column of a data file")
        return tx.clean(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NaN"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{float(value):.12g}"


def data_text(header, blocks):
    """A tab-separated data file: a comment line naming the columns, then blocks of rows
    (gnuplot 'index' blocks, two blank lines apart)."""
    lines = ["# " + "\t".join(tx.clean(h) for h in header)]
    for number, rows in enumerate(blocks):
        if number:
            lines += ["", ""]
        lines += ["\t".join(data_cell(v, i == len(row) - 1) for i, v in enumerate(row))
                  for row in rows]
    return "\n".join(lines) + "\n"


def driver_text(name, variables, template, formats):
    """A chart's driver script: sets the variables, then loads the template once per
    format (the variables tpldir and fmt are set here)."""
    script = [f"# Draws {' and '.join(name + '.' + f for f in formats)} again: gnuplot "
              f"THIS-FILE",
              assignments(variables).rstrip("\n")]
    for fmt in formats:
        script += [f"fmt = '{fmt}'", f"load tpldir . '{template}'"]
    return "\n".join(script) + "\n"


@functools.lru_cache(maxsize=1)
def png_terminal():
    """'pngcairo' where this gnuplot has it, else 'png' (libgd)."""
    proc = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True,
                          text=True, timeout=60)
    return "pngcairo" if proc.returncode == 0 and not proc.stderr.strip() else "png"


def run(script):
    """Runs gnuplot on a driver script: CompletedProcess (stderr: its warnings)."""
    try:
        return subprocess.run(["gnuplot", script], capture_output=True, text=True,
                              errors="replace", timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(["gnuplot", script], -1, "",
                                           f"timed out after {TIMEOUT_S} s")
