"""Values as the report's tables show them ('—' for what was not recorded)."""
import mmresults as mr

from . import text as tx


def dash(value):
    """A value for a table; '—' when absent."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def estimate_cell(estimate, digits=4):
    """'6478 [6357, 7525]' (a median with its CI), or '—'."""
    if not mr.is_number(estimate.median):
        return "—"
    text = tx.fmt_number(estimate.median, digits)
    if mr.is_number(estimate.ci_low) and mr.is_number(estimate.ci_high):
        text += f" [{tx.fmt_number(estimate.ci_low, digits)}, " \
            f"{tx.fmt_number(estimate.ci_high, digits)}]"
    return text


def ratio_cell(ratio, low, high):
    if not mr.is_number(ratio):
        return "—"
    text = f"{ratio:.3g}"
    if mr.is_number(low) and mr.is_number(high):
        text += f" [{low:.3g}, {high:.3g}]"
    return text


def ns_cell(value):
    return tx.fmt_ns(value) if mr.is_number(value) else "—"


def share_cell(value):
    """A fraction as a percentage: 0.834 -> '83%'."""
    return f"{100 * value:.0f}%" if mr.is_number(value) else "—"


def amplification_cell(device, task):
    """'3.47x (task 3.46x)': device bytes per byte, and the workers' own."""
    text = f"{device:.3g}x" if mr.is_number(device) else "—"
    if mr.is_number(task):
        text += f" (task {task:.3g}x)"
    return text


def figure_cell(name, value, unit=""):
    """A kind's figure by its name's unit suffix (or the unit given): 2.1 MiB, 3.15us,
    100%."""
    if not mr.is_number(value):
        return "—"
    if name.endswith("_bytes") or unit == "bytes":
        return tx.fmt_bytes(value) if value >= 0 else "-" + tx.fmt_bytes(-value)
    if name.endswith("_ns") or unit == "ns":
        return tx.fmt_ns(value)
    if name.endswith("_pct") or unit == "percent":
        return f"{value:.3g}%"
    return tx.fmt_number(value)
