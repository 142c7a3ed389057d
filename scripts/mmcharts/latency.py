"""Latency charts: percentile curves of the operation or flush latency of each workload,
one curve per backend, from the stored histograms."""
import mmresults as mr

from . import gnuplot as gp
from . import layout
from . import text as tx


def percentile_curve(histogram):
    """[(latency_ns, percent of values below it)] from the buckets, without 100%, and
    without points at 0 ns (which a log axis cannot show)."""
    points, below = [], 0
    for lower, upper, count in histogram.buckets:
        points.append((lower, 100.0 * below / histogram.count))
        below += count
        if below < histogram.count:
            points.append((upper, 100.0 * below / histogram.count))
    return [p for p in points if p[0] > 0]


def nines_axis(top_percent):
    """(ymax, tics): the percentile axis up to the next 'nines' level above top_percent."""
    nines = 1
    while nines < 9 and top_percent > 100 * (1 - 10 ** -nines):
        nines += 1
    marks = [("0", 0), ("50", 50), ("90", 90)]
    for n in range(2, nines + 1):
        value = 100 * (1 - 10 ** -n)
        marks.append((f"{value:.{n - 2}f}", value))
    marks.append(("75", 75))
    return 100 * (1 - 10 ** -nines), marks


def ns_text(value):
    return tx.fmt_ns(value) if mr.is_number(value) else "—"


def chart_latency(charts, results, kind, workloads):
    """Percentile curves of operation (kind 'latency') or flush ('flush') latency of each
    of workloads."""
    drawn = 0
    for workload in workloads:
        curves = []
        for backend in results.backends:
            summary = results.summary(workload.name, backend)
            histogram = (summary.latency_histogram if kind == "latency" else
                         summary.flush_histogram) if summary else mr.EMPTY_HISTOGRAM
            points = percentile_curve(histogram) if histogram.count else []
            if not points:
                continue
            if kind == "latency":
                what = f"{histogram.count} ops, p50 {ns_text(summary.latency_p50_ns)}, " \
                    f"p99 {ns_text(summary.latency_p99_ns)}"
            else:
                call = results.flush_call(workload.name, backend) or "flush"
                what = f"{call}: {histogram.count} flushes, p50 " \
                    f"{ns_text(summary.flush_p50_ns)}, p99 {ns_text(summary.flush_p99_ns)}"
            what += f", max {ns_text(histogram.max_ns)}"
            curves.append((f"{backend} ({what})", charts.palette.color(backend),
                           charts.palette.dash(backend), points))
        if not curves:
            continue
        drawn += 1
        n = workload.number
        name = f"{kind}-{n}"
        low = min(c[3][0][0] for c in curves)
        high = max(c[3][-1][0] for c in curves)
        xmin = layout.one_two_five_below(max(low, 1))
        xmax = layout.one_two_five_above(max(high * 1.01, xmin * 1.5))
        ymax, yticks = nines_axis(max(c[3][-1][1] for c in curves))
        path = charts.write_data(name, ["latency_ns", "percentile"], [c[3] for c in curves])
        what = "Operation latency" if kind == "latency" else "Flush latency"
        charts.add(name, "latency.gp", kind,
                   f"{what} percentiles of {workload.name} (workload {n})", {
                       "data": path, "nseries": len(curves),
                       "stitle": [layout.legend(c[0], charts.width, below=False)
                                  for c in curves],
                       "scolor": [c[1] for c in curves],
                       "sdash": [c[2] for c in curves], "xmin": xmin, "xmax": xmax,
                       **gp.tics("xtic", layout.latency_tics(xmin, xmax)), "ymax": ymax,
                       **gp.tics("ytic", yticks),
                       "xlabel": ("latency of one operation" if kind == "latency" else
                                  "latency of one flush call") + " (log scale)",
                       "ylabel": "percentile: % of " + ("operations" if kind == "latency"
                                                        else "flushes") + " faster"},
                   f"workload {n}: {workload.name}")
    if not drawn:
        charts.skip(kind, "no latency histogram has samples (latency: off?)" if kind ==
                    "latency" else "no workload flushed (sync: none everywhere)")
