"""The charts of a comparison (compare.json): throughput of each run, each run's ratio to
the baseline run, and each run's own backend ratios."""
import mmresults as mr

from . import layout
from . import outdir
from . import palette as pal
from .charts import ci_words


def subtitle(compare):
    labels = [r.label + (" (baseline)" if r.label == compare.baseline else "")
              for r in compare.runs]
    differences = ", ".join(k for k, _ in compare.differences) or "nothing in their contexts"
    cpus = ", ".join(dict.fromkeys(str(r.cpu or "?") for r in compare.runs))
    return f"runs: {'; '.join(labels)}  |  they differ in: {differences}  |  CPU: {cpus}"


def plot_compare(charts, compare):
    labels = [r.label for r in compare.runs]
    colors = {label: pal.series_color(i) for i, label in enumerate(labels)}
    for item in compare.not_comparable:
        charts.note("compare-throughput", f"{item.workload}: not comparable between "
                    f"{', '.join(item.runs)}: {item.reason}")
    groups = compare.groups()
    if not groups:
        charts.skip("compare-throughput", "compare.json has no rows")
        return
    names = [layout.Group(w, mr.base_name(w), f" ({b})") for w, b in groups]

    def rows(label):
        return [compare.row(w, b, label) for w, b in groups]

    series = [(label, colors[label],
               [(r.tput.median, r.tput.ci_low, r.tput.ci_high) if r else (None, None, None)
                for r in rows(label)]) for label in labels]
    has_ci = any(mr.is_number(p[1]) for s in series for p in s[2])
    charts.bars("throughput", "compare-throughput",
                "Median throughput per workload and backend in each run " +
                ci_words(has_ci, "median"), names, series, "throughput (MiB/s)", True)
    others = [label for label in labels if label != compare.baseline]
    series = [(f"{layout.shorten(label, 22)} / {layout.shorten(compare.baseline, 22)}",
               colors[label],
               [(r.ratio.median, r.ratio.ci_low, r.ratio.ci_high, r.significant) if r
                else (None, None, None, None) for r in rows(label)]) for label in others]
    if not others:
        charts.skip("compare-ratio", "only one run: nothing to compare with the baseline")
    elif not any(mr.is_number(p[0]) and p[0] > 0 for s in series for p in s[2]):
        charts.skip("compare-ratio", "no row has a ratio to the baseline")
    else:
        has_ci = any(mr.is_number(p[1]) for s in series for p in s[2])
        charts.ratios("ratio-to-baseline", "compare-ratio",
                      f"Throughput of each run relative to the baseline ({compare.baseline}) "
                      f"{ci_words(has_ci)}, below 1: slower than the baseline", names, series,
                      "throughput / baseline's (log scale)", "same as the baseline (1.0)")
    backend_ratios(charts, compare, labels, colors)


def backend_ratios(charts, compare, labels, colors):
    """One chart per backend pair (numerator / denominator): each run's own ratio."""
    workloads = compare.workloads()
    pairs = compare.backend_ratio_pairs()
    if not pairs:
        charts.skip("compare-backends", "no run has a ratio between backends")
    for numerator, denominator in pairs:
        series = []
        for label in labels:
            points = []
            for w in workloads:
                r = compare.backend_ratio(w, label, numerator, denominator)
                points.append((r.ratio if r else None, None, None, None))
            series.append((label, colors[label], points))
        if not any(mr.is_number(p[0]) and p[0] > 0 for s in series for p in s[2]):
            charts.skip("compare-backends", f"no run has a positive {numerator}/"
                        f"{denominator} ratio")
            continue
        charts.ratios(f"{outdir.safe_name(numerator)}-{outdir.safe_name(denominator)}",
                      "compare-backends",
                      f"{numerator}/{denominator} throughput ratio per workload in each run "
                      f"(above 1: {numerator} faster; compare.csv holds no interval for it)",
                      [layout.Group(w, mr.base_name(w)) for w in workloads], series,
                      f"{numerator} / {denominator} throughput (log scale)",
                      "no difference (1.0)", "x: no interval (not in compare.csv)")
