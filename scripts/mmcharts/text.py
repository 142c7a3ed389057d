"""Text from results files made fit to show, and the number formats of charts and reports."""
import unicodedata

import mmresults as mr

SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
# Categories never shown as they are: controls, format characters (bidirectional overrides,
# zero-width ones), surrogates, private use, unassigned, line and paragraph separators.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean(text, newlines=False):
    """text with every hidden character replaced (whitespace ones by a space, the others by
    U+FFFD), newlines too unless newlines is true, and ']]>' broken up (gnuplot's SVG
    terminal writes it unescaped, which ends the SVG document early)."""
    out = []
    for char in text:
        if char == "\n" and newlines:
            out.append(char)
        elif unicodedata.category(char) in HIDDEN_CATEGORIES:
            out.append(" " if char.isspace() else "\ufffd")
        else:
            out.append(char)
    return "".join(out).replace("]]>", "]] >")


def printable(text):
    """text for a terminal: on one line, control characters escaped (\\n, \\x1b, ...)."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def fmt_bytes(value):
    """4096 -> '4KiB', 1536 -> '1.5KiB', 512 -> '512B' (the labels mmbench prints)."""
    value = float(value)
    unit = 0
    while abs(value) >= 1024 and unit < len(SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.3g}{SIZE_UNITS[unit]}"


def fmt_ns(value):
    """A duration in nanoseconds with a readable unit: 572ns, 1.02us, 3.36ms, 2s."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}ns"


def fmt_number(value, digits=3):
    """A measurement for a table; '—' when it was not recorded (None)."""
    if not mr.is_number(value):
        return "—"
    if abs(value) >= 10 ** digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def fmt_param(key, value):
    """A workload parameter as it reads in a label: sizes in KiB/MiB, durations with units."""
    unit = mr.param_unit(key)
    if mr.is_number(value) and unit == "bytes":
        return fmt_bytes(value)
    if mr.is_number(value) and unit == "ns":
        return fmt_ns(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return clean(str(value))
