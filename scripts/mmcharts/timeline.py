"""Time series charts: throughput over time of every backend of a workload, with device
reads, page faults and the file's residency, and the levels the throughput settled at
(the figure mmapbench made famous, where mmap's throughput collapses when the page cache
fills). From the time series of the runs in results.json (timeline.csv holds the same
points, per interval)."""
import math

import mmresults as mr

from . import layout
from . import text as tx

MIN_INTERVALS = 4     # fewer intervals make no time series worth a chart
MIB = 2.0 ** 20


def intervals(timeline, block_size):
    """[(start_s, end_s, tput_mib_s, dev_read_mib_s, faults_per_s, resident_pct)] of a
    run's cumulative points: the differences of neighbouring points over their time
    (None where a column was not recorded)."""
    t = timeline.column("t_s")
    ops = timeline.column("ops")
    dev = timeline.column("dev_read_bytes")
    minor, major = timeline.column("minor_faults"), timeline.column("major_faults")
    resident = timeline.column("resident_pct")

    def rate(values, i, scale=1.0):
        if values is None or values[i - 1] is None or values[i] is None:
            return None
        value = (values[i] - values[i - 1]) * scale / (t[i] - t[i - 1])
        return value if math.isfinite(value) else None

    rows = []
    for i in range(1, len(t)):
        if t[i] <= t[i - 1]:
            continue
        faults = [rate(v, i) for v in (minor, major)]
        rows.append((t[i - 1], t[i], rate(ops, i, block_size / MIB) if block_size else None,
                     rate(dev, i, 1 / MIB),
                     sum(faults) if all(f is not None for f in faults) else None,
                     resident[i] if resident else None))
    return rows


def steps(rows, k):
    """Rows for gnuplot's 'with steps' from the k-th value of each interval: at each
    interval's start its value, and the last interval's end once more."""
    points = [(row[0], row[k]) for row in rows if mr.is_number(row[k])]
    if points:
        points.append((rows[-1][1], points[-1][1]))
    return points


def levels_text(levels):
    """'20593 MiB/s until 0.13 s, then 31719 MiB/s' (as the console prints them)."""
    parts = [f"{tx.fmt_number(level.tput_mib_s, 4)} MiB/s" +
             (f" until {level.end_s:.3g} s" if i + 1 < len(levels) else "")
             for i, level in enumerate(levels)]
    return ", then ".join(parts)


def chart_timelines(charts, results, workloads):
    """One chart per workload (of those given, kind io) whose runs recorded a time series
    of at least MIN_INTERVALS intervals: each backend's median run."""
    short = []
    for workload in workloads:
        series = []
        for backend in results.backends:
            run = results.median_run(workload.name, backend)
            if not run or not run.timeline:
                continue
            rows = intervals(run.timeline, mr.param_number(workload.params.get(
                "block_size_bytes")))
            if len(rows) < MIN_INTERVALS or not steps(rows, 2):
                continue
            measured = len([r for r in results.runs(workload.name, backend, "measured")
                            if r.status == "ok"])
            series.append((backend, run, rows, measured))
        if not series:
            if results.has_summary(workload.name):
                short.append(workload.name)
            continue
        draw(charts, results, workload, series)
    if short:
        charts.note("timeline", f"{len(short)} workload(s) have no time series chart: their "
                    f"runs lasted fewer than {MIN_INTERVALS} intervals of timeline_interval "
                    f"(or recorded none); raise duration or lower timeline_interval "
                    f"({', '.join(short[:5])}{', ...' if len(short) > 5 else ''})")
    if not any(c["section"] == "timeline" for c in charts.manifest["charts"]):
        charts.skip("timeline", "no run recorded a time series long enough to draw")


def draw(charts, results, workload, series):
    blocks, flags = [], {"sdev": [], "sfaults": [], "sres": [], "slevels": [], "schanges": []}
    tops, devs, faults, captions = [], [], [], []
    xmax = 0
    for backend, run, rows, measured in series:
        tput, dev, fault = steps(rows, 2), steps(rows, 3), steps(rows, 4)
        resident = [(row[1], row[5]) for row in rows if mr.is_number(row[5])]
        levels = [(lv.start_s, lv.tput_mib_s, lv.end_s - lv.start_s) for lv in run.levels]
        for key, points in (("sdev", dev), ("sfaults", fault), ("sres", resident),
                            ("slevels", levels)):
            flags[key].append(int(bool(points)))
        changes = [(lv[0],) for lv in levels[1:]]
        flags["schanges"].append(int(bool(changes)))
        blocks += [tput, dev, fault, resident, levels, changes]
        tops += [p[1] for p in tput] + [lv[1] for lv in levels]
        devs += [p[1] for p in dev]
        faults += [p[1] for p in fault]
        xmax = max(xmax, rows[-1][1])
        summary = results.summary(workload.name, backend)
        text = f"{backend}: round {run.round} (the median of {measured} measured runs)"
        if run.levels:
            text += f", levels {levels_text(run.levels)}"
        if summary and summary.runs_with_levels:
            text += f"; {summary.runs_with_levels} of {measured} runs changed level"
        if summary and summary.level_change:
            text += f"; with the first change: {summary.level_change}"
        captions.append(text)
    name = f"timeline-{workload.number}"
    # An empty block would merge with the next (blank lines separate them), and gnuplot
    # reads it even when the series' flag leaves it undrawn: a row of zeros holds it.
    path = charts.write_data(name, ["x", "y", "z"], [b if b else [(0, 0, 0)] for b in blocks])
    colors = [charts.palette.color(b) for b, *_ in series]
    title = f"Throughput over time of {workload.name} (workload {workload.number}): the " \
        f"median run of each backend, with device reads, page faults and the file's residency"
    bottom_px = 3.2 * layout.CHAR_HEIGHT_PX + 20
    charts.add(name, "timeline.gp", "timeline", title, {
        "data": path, "nseries": len(series),
        "stitle": [layout.legend(f"{b} (round {run.round})", charts.width, below=False)
                   for b, run, *_ in series],
        "scolor": colors, "salpha": ["#a0" + c[1:] for c in colors],
        "sdash": [charts.palette.dash(b) for b, *_ in series], **flags,
        "anydev": int(any(flags["sdev"])), "anyres": int(any(flags["sres"])),
        "anylevels": int(any(flags["slevels"])), "xmax": xmax * 1.02,
        # Headroom above the data for the legend's two rows.
        "ymax1": max(tops + [0]) * 1.45 or 1, "y2max1": max(devs + [0]) * 1.45 or 1,
        "ymax2": max(faults + [0]) * 1.45 or 1,
        "mleft": 90 / charts.width, "mright": 1 - 90 / charts.width,
        "mbottom": bottom_px / charts.height,
        "mtop": 1 - (charts.title_lines(title) + 1.2) * layout.CHAR_HEIGHT_PX / charts.height},
        "; ".join(captions))
