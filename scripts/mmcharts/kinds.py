"""Charts of the workload kinds beyond io (docs/file-mappings.md), from the medians of
their figures (summary kind_metrics):

  footprint   PSS, RSS and private memory per process against the number of processes,
              one line per method (mmap MAP_SHARED, mmap MAP_PRIVATE, a pread heap buffer)
  ipc         round-trip latency p50 and p99 against the message size, both paths
              (durable messages a series of their own)
  cow-<n>     first write to a MAP_PRIVATE page (copy-on-write fault) against a repeated
              write and a first write to a MAP_SHARED page, p50 and p99

All workloads of a kind share its chart: a series is a workload's base name and the values
of what varies within it besides the x axis; its colour tells the series, its line style
the backend (as on sweep charts), so the methods of two workloads can be compared."""
import json

import mmresults as mr

from . import layout
from . import palette as pal
from . import text as tx
from .sweeps import label_key, line_variables, sweep_axis, swept_keys

# The kinds whose backends are compared on throughput (docs/file-mappings.md): their
# workloads are on the throughput, ratio and sweep charts and in the report's results
# table; the others have charts of their own figures.
THROUGHPUT_KINDS = ("io", "ipc")
FOOTPRINT_PANELS = (
    # kind metric, panel title
    ("pss_per_process_bytes", "PSS per process (proportional set size, smaps_rollup)"),
    ("rss_per_process_bytes", "RSS per process (resident set size)"),
    ("private_per_process_bytes", "private memory per process (its pages alone)"),
)
IPC_PANELS = (
    ("rtt_p50_ns", "round-trip latency, median"),
    ("rtt_p99_ns", "round-trip latency, 99th percentile (from 1000 round trips per run)"),
)
COW_PASSES = (
    # kind metric prefix, group label
    ("private_first", "first write, MAP_PRIVATE (COW fault)"),
    ("private_repeat", "second write, MAP_PRIVATE"),
    ("shared_first", "first write, MAP_SHARED"),
)
KEY_COLUMNS = 3       # legend entries per row, under the panels
BYTE_UNITS = ((2 ** 30, "GiB"), (2 ** 20, "MiB"), (2 ** 10, "KiB"), (1, "bytes"))
NS_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "us"), (1, "ns"))


def chart_kinds(charts, results):
    by_kind = {}
    for w in results.workloads:
        if results.has_summary(w.name):
            by_kind.setdefault(w.kind, []).append(w)
    if by_kind.get("footprint"):
        lines_chart(charts, results, by_kind["footprint"], "footprint", "footprint",
                    "footprint_processes", FOOTPRINT_PANELS, BYTE_UNITS, "{unit} per process",
                    "Memory per process of N processes holding the file, per method "
                    "(medians over the repetitions, no interval)", method_of_footprint)
    if by_kind.get("ipc"):
        lines_chart(charts, results, by_kind["ipc"], "ipc", "ipc", "ipc_message_bytes",
                    IPC_PANELS, NS_UNITS, "latency ({unit})",
                    "Round-trip latency of messages between two processes through the file, "
                    "against the message size (medians over the repetitions, no interval)",
                    method_of_ipc)
    for w in by_kind.get("cow", []):
        chart_cow(charts, results, w)


def method_of_footprint(backend, workload):
    """How a footprint workload's processes hold the file on backend."""
    if backend == "mmap":
        return "mmap MAP_" + str(workload.params.get("map", "shared")).upper()
    return f"{backend} heap buffer" if backend == "pread" else backend


def method_of_ipc(backend, workload):
    return backend + (", durable" if workload.params.get("ipc_durable") is True else "")


def series_of(workloads, key):
    """[(label, members)]: the workloads by base name and the values of the parameters
    that vary within it besides key (the x axis), members sorted by key. The label names
    the base when there are several, and those values."""
    bases = {}
    for w in workloads:
        bases.setdefault(w.base_name, []).append(w)
    series = []
    for base, group in bases.items():
        others = [k for k in swept_keys(group) if k != key and k != "ipc_durable"]
        combos = {}
        for w in group:
            combos.setdefault(tuple(json.dumps(w.params.get(k)) for k in others), []).append(w)
        for combo, members in combos.items():
            by_durable = {}
            for w in members:   # durable messages are a series of their own
                by_durable.setdefault(w.params.get("ipc_durable"), []).append(w)
            for part in by_durable.values():
                part.sort(key=lambda w: mr.param_number(w.params.get(key)) or 0)
                values = ", ".join(f"{label_key(group, k)}={tx.fmt_param(k, json.loads(v))}"
                                   for k, v in zip(others, combo))
                label = ", ".join(x for x in (base if len(bases) > 1 else "", values) if x)
                series.append((label, part))
    return series


def scale_of(values, units):
    """(divisor, unit) that shows the largest of values in 1..1024 (or 1..1000)."""
    top = max((abs(v) for v in values if mr.is_number(v)), default=0)
    for divisor, unit in units:
        if top >= divisor:
            return divisor, unit
    return units[-1]


def lines_chart(charts, results, workloads, name, section, key, panels, units, ylabel,
                title, method):
    """Panels of lines (lines-panels.gp), one per kind metric, against parameter key."""
    xs = [mr.param_number(w.params.get(key)) for w in workloads]
    if any(x is None for x in xs):
        charts.skip(section, f"{key} is not a number on every {name} workload")
        return
    axis, position = sweep_axis(key, xs, label_key(workloads, key))
    series = series_of(workloads, key)
    panel_vars, drawn, legends = [], [], []
    for metric, panel_title in panels:
        lines = []
        for c, (label, members) in enumerate(series):
            for backend in results.backends:
                points = []
                for w in members:
                    s = results.summary(w.name, backend)
                    points.append((position(mr.param_number(w.params.get(key))),
                                   s.kind_metrics.get(metric) if s else None, None, None))
                if not any(mr.is_number(p[1]) for p in points):
                    continue
                text = method(backend, members[0]) + (f" ({label})" if label else "")
                lines.append((text, pal.series_color(c) if len(series) > 1 else
                              charts.palette.color(backend), charts.palette.dash(backend),
                              charts.palette.point(backend), points))
        ys = [p[1] for line in lines for p in line[4] if mr.is_number(p[1])]
        if not ys:
            why = ": fewer than 1000 round trips per run" if metric.endswith("p99_ns") else ""
            charts.note(section, f"{metric}: not recorded on any {name} workload (empty in "
                        f"summary.csv{why}), no panel drawn")
            continue
        divisor, unit = scale_of(ys, units)
        lines = [(t, c, d, p, [(x, y / divisor if mr.is_number(y) else None, None, None)
                               for x, y, _, _ in points]) for t, c, d, p, points in lines]
        scaled = [y / divisor for y in ys]
        ymin, ymax, log = layout.value_range(scaled, layout.wants_log(scaled, 30), 1.25)
        panel = f"{name}-{len(panel_vars) + 1}"
        variables = line_variables(charts, panel, lines)
        legends.append(variables["ltitle"])
        variables.update({"ylog": int(log), "ymin": ymin, "ymax": ymax, "nytic": 0,
                          "ylabel": ylabel.format(unit=unit) + (" (log)" if log else ""),
                          "paneltitle": panel_title})
        panel_vars.append(charts.write_variables(f"{name}-vars-{len(panel_vars) + 1}",
                                                 variables))
        drawn.append(metric)
    if not panel_vars:
        charts.skip(section, f"no {name} workload recorded its figures")
        return
    # The legend goes under the panels, in as many columns as fit (at most KEY_COLUMNS).
    titles = max(legends, key=len)
    entry_px = max(layout.text_px(t) for t in titles) + 90   # the sample line and gaps
    columns = max(1, min(KEY_COLUMNS, int((charts.width - 40) // entry_px), len(titles)))
    keyrows = -(-len(titles) // columns)
    bottom = (4.2 + 1.1 * keyrows) * layout.CHAR_HEIGHT_PX / charts.height
    charts.add(name, "lines-panels.gp", section, title, {
        **{k: v for k, v in axis.items() if k != "xlabel"}, "panelxlabel": axis["xlabel"],
        "keyrows": keyrows,
        "npanels": len(panel_vars), "panelvars": charts.data_path(f"{name}-vars", ""),
        "mleft": 90 / charts.width, "mright": 1 - 30 / charts.width, "mbottom": bottom,
        "mtop": 1 - (charts.title_lines(title) + 1.2) * layout.CHAR_HEIGHT_PX / charts.height},
        f"{len(workloads)} {name} workload(s): " + ", ".join(drawn),
        extra_scripts=panel_vars)


def chart_cow(charts, results, workload):
    """Bars of the three passes of a cow workload, p50 and p99."""
    summary = next((results.summary(workload.name, b) for b in results.backends
                    if results.summary(workload.name, b)), None)
    metrics = summary.kind_metrics if summary else {}
    series = [(label, pal.series_color(i),
               [(metrics.get(f"{prefix}_{p}_ns"), None, None) for prefix, _ in COW_PASSES])
              for i, (p, label) in enumerate((("p50", "median"), ("p99", "99th percentile")))]
    series = [s for s in series if any(mr.is_number(v[0]) for v in s[2])]
    section = "cow"
    if not series:
        charts.skip(section, f"{workload.name}: no latency of its writes was recorded")
        return
    if len(series) < 2:
        charts.note(section, f"{workload.name}: no 99th percentile (fewer than 1000 writes "
                    f"per pass)")
    n = workload.number
    faults = [metrics.get(f"{prefix}_faults_per_page") for prefix in ("private_first",
                                                                      "shared_first")]
    copies = metrics.get("private_anonymous_bytes")
    caption = f"workload {n}: {workload.name}; faults per page of the first writes: " \
        f"{tx.fmt_number(faults[0])} private, {tx.fmt_number(faults[1])} shared; anonymous " \
        f"memory of the copies {tx.fmt_bytes(copies) if mr.is_number(copies) else '—'}; " \
        f"pages of the file changed: {tx.fmt_number(metrics.get('file_pages_changed'))}"
    charts.bars(f"cow-{n}", section, f"Copy-on-write: the cost of a first write to a page of "
                f"{workload.name} (workload {n}), per pass (no interval)",
                [layout.Group(label, label) for _, label in COW_PASSES], series,
                "latency of one write (ns)", True, caption, "pass")
