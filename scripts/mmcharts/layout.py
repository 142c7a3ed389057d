"""Scales, tics, pages and labels: the layout decisions shared by the charts."""
import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import mmresults as mr

from . import gnuplot as gp
from . import text as tx

CHAR_WIDTH_PX = 6.5       # DejaVu Sans 10pt, for label layout
CHAR_HEIGHT_PX = 15
LABEL_MAX_CHARS = 44      # tic labels longer than this are shortened in the middle
LEGEND_MAX_PX = 470       # legend entries wider than this are shortened in the middle
EM_PX = 12.6              # the font's size in pixels, for text_px
# Advance widths of DejaVu Sans in ems (others: 0.65, east Asian wide ones 1).
ADVANCE_EM = {c: w for chars, w in (
    ("il.,:;!|'", 0.3), ("jfrt()[]/\\ ", 0.36), ("\"`*_", 0.48), ("cksvxyz?", 0.54),
    ("abdeghnopqu0123456789$^{}", 0.63), ("FJLPSTZ", 0.66), ("ABCEKRVXY&", 0.72),
    ("DGHNOQU#+-<=>~", 0.8), ("mwMW%@", 0.95)) for c in chars}
ROTATED_MAX_HEIGHT = 0.28  # share of the chart's height turned tic labels may take


@dataclass(frozen=True)
class Group:
    """One slot of a bar or ratio chart: a workload (and a suffix such as ' (mmap)')."""
    name: str             # the workload's name
    base_name: str
    suffix: str = ""


def pages(items, per_page):
    """Items split into balanced consecutive pages of at most per_page."""
    if not items:
        return []
    count = math.ceil(len(items) / per_page)
    size = math.ceil(len(items) / count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def page_name(name, number, total):
    return name if total == 1 else f"{name}-{number}"


def page_title(title, number, total):
    return title if total == 1 else f"{title} (page {number}/{total})"


def value_range(values, log, headroom=1.15):
    """(ymin, ymax, log) for bars or points; log only when asked and all values positive
    (and within 1e-300..1e300, whose decades a double holds)."""
    values = [v for v in values if mr.is_number(v)]
    positive = [v for v in values if v > 0]
    if log and positive and len(positive) == len(values) and \
            1e-300 < min(positive) and max(positive) < 1e300:
        low = 10.0 ** math.floor(math.log10(min(positive) / 1.2))
        high = 10.0 ** math.ceil(math.log10(max(positive) * 1.2))
        return low, high, True
    top = max(values) if values else 0
    top = top * headroom if top * headroom < math.inf else top
    return 0, (top if top > 0 else 1), False


def wants_log(values, spread=20):
    """A log axis when the positive values span more than spread times."""
    positive = [v for v in values if mr.is_number(v) and v > 0]
    return bool(positive) and max(positive) / min(positive) > spread


def ratio_axis(values):
    """(ymin, ymax, tics) for a log axis of ratios holding 1 and every value: tics from the
    1-2-5 series, finer steps near 1 when the range is narrow."""
    values = [v for v in values if mr.is_number(v) and v > 0] + [1.0]
    low, high = min(values) / 1.15, max(values) * 1.15
    span = math.log10(high / low)
    mantissas = (1, 2, 5) if span > 1.2 else (1, 1.5, 2, 3, 5, 7) if span > 0.4 else \
        (1, 1.1, 1.2, 1.5, 2, 3, 5, 7, 8, 9)
    exponents = range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
    marks = sorted({m * 10 ** e for e in exponents for m in mantissas
                    if low <= m * 10 ** e <= high})
    while len(marks) > 12:
        marks = [t for i, t in enumerate(marks) if i % 2 == 0 or t == 1.0]
    return low, high, [(f"{t:.6g}x", t) for t in marks]


def size_tics(values):
    """Tics at powers of two spanning values (sizes), labelled 4KiB, 1MiB..."""
    low = math.floor(math.log2(min(values)))
    high = math.ceil(math.log2(max(values)))
    step = max(1, math.ceil((high - low + 1) / 12))
    return [(tx.fmt_bytes(2.0 ** e), 2.0 ** e) for e in range(low, high + 1, step)]


def latency_tics(low_ns, high_ns):
    """Tics from the 1-2-5 series (or decades only, on a wide range) with time units."""
    marks = []
    for exponent in range(math.floor(math.log10(low_ns)), math.ceil(math.log10(high_ns)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10 ** exponent
            if low_ns <= value <= high_ns:
                marks.append(value)
    if len(marks) > 12:
        marks = [t for t in marks if f"{t:.0e}".startswith("1")]
    return [(tx.fmt_ns(t), t) for t in marks]


def one_two_five_below(value):
    """The largest of 1, 2, 5, 10, 20, ... at or below value (> 0)."""
    exponent = math.floor(math.log10(value))
    return max(m * 10 ** exponent for m in (1, 2, 5) if m * 10 ** exponent <= value)


def one_two_five_above(value):
    """The smallest of 1, 2, 5, 10, 20, ... at or above value (> 0)."""
    exponent = math.floor(math.log10(value))
    return min(m * 10 ** e for e in (exponent, exponent + 1) for m in (1, 2, 5)
               if m * 10 ** e >= value)


def shorten(label, width=LABEL_MAX_CHARS, measure=len):
    """The label with its middle replaced by '…' to be at most width wide (measure:
    characters, or text_px)."""
    if measure(label) <= width:
        return label
    low, high = 0, len(label) // 2      # the longest ends that fit, by bisection
    while low < high:
        half = (low + high + 1) // 2
        if measure(label[:half] + "…" + label[-half:]) <= width:
            low = half
        else:
            high = half - 1
    return label[:low] + "…" + (label[-low:] if low else "")


def legend(text, width, below=True):
    """A legend entry of a chart width pixels wide: one line, shortened to what gnuplot
    can fit in the key (at most LEGEND_MAX_PX): two columns of a key below the plot, or
    one inside it."""
    return shorten(tx.clean(text), min(LEGEND_MAX_PX, width // 2 - 60 if below else
                                       width - 200), text_px)


def group_labels(groups):
    """Tic labels and the x-axis label for the groups on one page. Points of one sweep
    are labelled by their values only ('4KiB, 2'), the keys going to the axis label."""
    labels = [mr.sweep_labels(g.name) for g in groups]
    keys = [[k for k, _ in label] for label in labels]
    if len({g.base_name for g in groups}) == 1 and keys[0] and \
            all(k == keys[0] for k in keys):
        texts = [", ".join(v for _, v in label) + g.suffix for label, g in zip(labels, groups)]
        return [shorten(tx.clean(t)) for t in texts], \
            tx.clean(f"points of the sweep {groups[0].base_name}: {', '.join(keys[0])}")
    return [shorten(tx.clean(g.name + g.suffix)) for g in groups], "workload"


def text_px(text):
    """About how wide text is drawn in the charts' font (DejaVu Sans 10pt), in pixels."""
    return EM_PX * sum(ADVANCE_EM.get(c) or (
        1.0 if unicodedata.east_asian_width(c) in "WF" else 0.65) for c in text)


@functools.lru_cache(maxsize=256)   # every chart of a run has the same subtitle
def fit(text, width_px, max_lines):
    """Text broken into lines that fit width_px: at '  |  ' first, then at spaces; lines
    too long are shortened, and lines beyond max_lines dropped ('...')."""
    lines = []
    for part in tx.clean(text).split("  |  "):
        if lines and text_px(lines[-1] + "  |  " + part) <= width_px:
            lines[-1] += "  |  " + part
        else:
            lines.append(part)
    lines = [piece for line in lines
             for piece in (wrap(line, width_px, " ", text_px) or line).split("\n")]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [shorten(lines[max_lines - 1] + " ...", width_px,
                                                 text_px)]
    return gp.Lines("\n".join(shorten(line, width_px, text_px) for line in lines))


def wrap(label, width, breaks="/, ", measure=len):
    """The label broken after '/', ',' or ' ' into lines at most width wide (measure:
    characters, or text_px), or None when a piece is wider than that."""
    lines = [""]
    chars = re.escape(breaks)
    for piece in re.findall(f"[^{chars}]+[{chars}]*|[{chars}]+", label):
        if measure(piece.rstrip()) > width:
            return None
        if measure((lines[-1] + piece).rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip() for line in lines)


def left_margin_px(labels, rotate, width, slots):
    """Room the first tic label needs left of the plot when turned 45 degrees (it reaches
    further left than the plot's own margin), or 0."""
    if not rotate or not labels:
        return 0
    slot_px = (width - 160) / max(slots, 1)
    needed = int(len(labels[0]) * CHAR_WIDTH_PX * 0.8 - slot_px * 0.4) + 15
    return needed if needed > 100 else 0   # below that the axis labels need more


def tic_lines(labels):
    return max((label.count("\n") + 1 for label in labels), default=1)


def label_layout(labels, width, height, slots):
    """(tic labels, rotate, bottom margin in lines) for labels sharing a plot width: as
    they are when they fit, else wrapped onto up to three lines, else at 45 degrees and
    shortened to take at most ROTATED_MAX_HEIGHT of the chart's height."""
    longest = max((len(l) for l in labels), default=1)
    chars = int((width - 160) / max(slots, 1) * 0.9 / CHAR_WIDTH_PX)
    if longest <= chars:
        return labels, 0, 4
    # No label with a backslash is wrapped: gnuplot sizes multi-line tic labels with its
    # enhanced-text parser even when that is off, and warns about the backslash.
    wrapped = [wrap(l, chars) if "\\" not in l else None for l in labels] \
        if chars >= 6 else [None]
    if all(w is not None and w.count("\n") < 3 for w in wrapped):
        return [gp.Lines(w) for w in wrapped], 0, max(w.count("\n") for w in wrapped) + 5
    most = max(16, int(height * ROTATED_MAX_HEIGHT / (CHAR_WIDTH_PX * 0.72)))
    labels = [shorten(l, most) for l in labels]
    longest = max(len(l) for l in labels)
    return labels, 1, math.ceil(longest * CHAR_WIDTH_PX * 0.72 / CHAR_HEIGHT_PX) + 4


def xtic_variables(labels, width, height):
    """The x-tic variables of a page of groups (slots 1..n) for bars-panel.gp, ratio.gp
    and kernel.gp: the labels laid out, their lines, rotation and left margin."""
    ticlabels, rotate, bottom = label_layout(labels, width, height, len(labels))
    variables = gp.tics("xtic", [(l, k) for k, l in enumerate(ticlabels, 1)])
    variables.update({"xrotate": rotate, "ticlines": tic_lines(ticlabels),
                      "lmarginpx": left_margin_px(ticlabels, rotate, width, len(labels))})
    return variables, bottom
