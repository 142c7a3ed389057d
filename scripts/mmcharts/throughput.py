"""The bar and ratio charts of a run: median throughput per workload and backend, and
each backend comparison (a backend's throughput over the baseline backend's)."""
import mmresults as mr

from . import layout
from .charts import ci_words


def summarised_workloads(charts, results, section, workloads):
    """Those of workloads with a summary (all of them, unless the run stopped early)."""
    done = [w for w in workloads if results.has_summary(w.name)]
    missing = len(workloads) - len(done)
    if missing:
        charts.note(section, f"{missing} workload(s) have no results (the run stopped "
                    f"before them) and are left out")
    return done


def groups_of(workloads):
    return [layout.Group(w.name, w.base_name) for w in workloads]


def tput_triple(summary):
    return (summary.tput.median, summary.tput.ci_low, summary.tput.ci_high) if summary \
        else (None, None, None)


def chart_throughput(charts, results, workloads):
    workloads = summarised_workloads(charts, results, "throughput", workloads)
    series = [(b, charts.palette.color(b),
               [tput_triple(results.summary(w.name, b)) for w in workloads])
              for b in results.backends]
    if not any(mr.is_number(p[0]) for s in series for p in s[2]):
        charts.skip("throughput", "no workload has a successful repetition")
        return
    has_ci = any(mr.is_number(p[1]) for s in series for p in s[2])
    if not has_ci:
        charts.note("throughput", "no confidence intervals: every workload has fewer than "
                    "3 measured repetitions, so the bars have no error bars")
    charts.bars("throughput", "throughput",
                "Median throughput per workload and backend " + ci_words(has_ci, "median"),
                groups_of(workloads), series, "throughput (MiB/s)", True)


def pair_label(numerator, denominator):
    return f"{numerator} / {denominator}"


def chart_ratio(charts, results, workloads):
    """One series per backend compared with a baseline backend (numerator / denominator);
    a workload (of those given) is on the chart when it has a ratio."""
    pairs = results.comparison_pairs()
    candidates = workloads

    def ratio(workload, pair):
        comparison = results.comparison(workload.name, *pair)
        return comparison.ratio if comparison and mr.is_number(comparison.ratio) and \
            comparison.ratio > 0 else None

    workloads = [w for w in candidates if any(ratio(w, p) for p in pairs)]
    if not workloads:
        charts.skip("ratio", "no workload ran two backends successfully (no comparison "
                    "has a ratio)")
        return
    left_out = len(candidates) - len(workloads)
    if left_out:
        charts.note("ratio", f"{left_out} workload(s) have no backend ratio (one backend "
                    f"only, failed runs, or not run) and are not on the ratio chart")
    series, pairs_drawn = [], []
    for numerator, denominator in pairs:
        points = []
        for w in workloads:
            c = results.comparison(w.name, numerator, denominator)
            points.append((c.ratio, c.ci_low, c.ci_high, None) if c else
                          (None, None, None, None))
        if any(mr.is_number(p[0]) for p in points):
            series.append((pair_label(numerator, denominator) +
                           (" (ratio of medians)" if len(pairs) == 1 else ""),
                           charts.palette.color(numerator), points))
            pairs_drawn.append((numerator, denominator))
    has_ci = any(mr.is_number(p[1]) for s in series for p in s[2])
    baselines = list(dict.fromkeys(d for _, d in pairs_drawn))
    if len(pairs_drawn) == 1:
        numerator, denominator = pairs_drawn[0]
        title = f"{numerator}/{denominator} throughput ratio per workload {ci_words(has_ci)}" \
            f", above 1: {numerator} faster"
        ylabel = f"{numerator} / {denominator} throughput (log scale)"
    else:
        base = baselines[0] if len(baselines) == 1 else "its baseline"
        title = f"Throughput of each backend over {base}'s per workload " \
            f"{ci_words(has_ci)}, above 1: faster than {base}"
        ylabel = f"throughput / {base}'s (log scale)"
    charts.ratios("ratio", "ratio", title, groups_of(workloads), series, ylabel,
                  "no difference (1.0)")
