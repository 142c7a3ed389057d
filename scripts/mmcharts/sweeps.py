"""Sweep charts: throughput and backend ratios against a swept workload parameter."""
import json

import mmresults as mr

from . import gnuplot as gp
from . import layout
from . import outdir
from . import palette as pal
from . import text as tx
from .throughput import pair_label

COMBOS_PER_PAGE = 4   # series of other swept keys per sweep chart


def is_numeric_key(values):
    return all(mr.is_number(v) for v in values)


def swept_keys(group):
    """The parameters that vary across the points of one sweep, with the ones that just
    follow another (stride with block_size, write_fraction with op) folded into it."""
    params = [w.params for w in group]
    keys = list(dict.fromkeys(k for p in params for k in p))
    varying = [k for k in keys if len({json.dumps(p.get(k)) for p in params}) > 1]
    labelled = []
    for w in group:
        labelled += [k for k, _ in w.sweep_labels() if k not in labelled]
    # The keys the names label first, in their order; the others after.
    varying.sort(key=lambda k: labelled.index(mr.param_label_name(k))
                 if mr.param_label_name(k) in labelled else len(labelled))
    kept = []
    for key in varying:
        follows = any(len({(json.dumps(p.get(k)), json.dumps(p.get(key))) for p in params}) ==
                      len({json.dumps(p.get(k)) for p in params}) for k in kept)
        if not follows:
            kept.append(key)
    return kept


def sweep_groups(results):
    """{base_name: [workloads]} for base names with several workloads (sweeps)."""
    groups = {}
    for w in results.workloads:
        groups.setdefault(w.base_name, []).append(w)
    return {base: g for base, g in groups.items() if len(g) > 1}


def chart_sweeps(charts, results):
    groups = sweep_groups(results)
    if not groups:
        charts.skip("sweeps", "no parameter was swept (no base name has several workloads)")
        return
    for base, group in groups.items():
        keys = swept_keys(group)
        if not keys:
            charts.skip("sweeps", f"{base}: its workloads have identical parameters")
            continue
        numeric = [k for k in keys if is_numeric_key([w.params.get(k) for w in group])]
        axes = numeric or keys
        if numeric and numeric != keys:
            charts.note("sweeps", f"{base}: {', '.join(k for k in keys if k not in numeric)} "
                        f"(not a number) drawn as series, not as an x axis")
        for key in axes:
            sweep_chart(charts, results, base, group, key, [k for k in keys if k != key])


def sweep_axis(key, values):
    """(variables of sweep.gp for the x axis of key with these values, the x position of
    a value)."""
    if not is_numeric_key(values):
        categories = list(dict.fromkeys(json.dumps(v) for v in values))
        shown = [tx.fmt_param(key, json.loads(c)) for c in categories]
        return {"categorical": 1, "logx": 0, "xmin": 0.5, "xmax": len(categories) + 0.5,
                **gp.tics("xtic", [(layout.shorten(s), i) for i, s in enumerate(shown, 1)]),
                "xlabel": tx.clean(key)}, (lambda v: categories.index(json.dumps(v)) + 1)
    low, high = min(values), max(values)
    name = tx.clean(mr.param_label_name(key))
    distinct = sorted(set(values))
    data_tics = [(tx.fmt_param(key, v), v) for v in distinct] if len(distinct) <= 12 else []
    if mr.param_unit(key) == "bytes" and low > 0:
        return {"categorical": 0, "logx": 1, "xmin": low / 1.4, "xmax": high * 1.4,
                **gp.tics("xtic", data_tics or layout.size_tics(values)),
                "xlabel": f"{name} (log2 scale)"}, float
    powers_of_two = all(v == int(v) and int(v) & (int(v) - 1) == 0 for v in distinct)
    if low > 0 and (high / low >= 16 or (powers_of_two and len(distinct) >= 3)):
        return {"categorical": 0, "logx": 1, "xmin": low / 1.2, "xmax": high * 1.2,
                **gp.tics("xtic", data_tics), "xlabel": f"{name} (log2 scale)"}, float
    pad = (high - low) * 0.05 or 1
    return {"categorical": 0, "logx": 0, "xmin": low - pad, "xmax": high + pad,
            **gp.tics("xtic", data_tics), "xlabel": name}, float


def sweep_chart(charts, results, base, group, key, others):
    values = [w.params.get(key) for w in group]
    axis, position = sweep_axis(key, values)
    combos = list(dict.fromkeys(tuple(json.dumps(w.params.get(k)) for k in others)
                                for w in group))
    all_pages = layout.pages(combos, COMBOS_PER_PAGE)
    label = mr.param_label_name(key)
    pairs = results.comparison_pairs()
    for number, page in enumerate(all_pages, 1):
        tput_lines, ratio_lines = [], []
        for c, combo in enumerate(page):
            members = [w for w in group
                       if tuple(json.dumps(w.params.get(k)) for k in others) == combo]
            members.sort(key=lambda w: position(w.params.get(key)))
            suffix = ", ".join(f"{mr.param_label_name(k)}={tx.fmt_param(k, json.loads(v))}"
                               for k, v in zip(others, combo))
            color = pal.series_color(c) if len(page) > 1 else None
            for backend in results.backends:
                points = []
                for w in members:
                    s = results.summary(w.name, backend)
                    points.append((position(w.params.get(key)),) +
                                  ((s.tput.median, s.tput.ci_low, s.tput.ci_high) if s
                                   else (None, None, None)))
                if any(mr.is_number(p[1]) for p in points):
                    tput_lines.append((backend + (", " + suffix if suffix else ""),
                                       color or charts.palette.color(backend),
                                       charts.palette.dash(backend),
                                       charts.palette.point(backend), points))
            for numerator, denominator in pairs:
                ratios = []
                for w in members:
                    cmp = results.comparison(w.name, numerator, denominator)
                    ok = cmp and mr.is_number(cmp.ratio) and cmp.ratio > 0
                    ci = ok and mr.is_number(cmp.ci_low) and mr.is_number(cmp.ci_high) and \
                        cmp.ci_low > 0 and cmp.ci_high > 0
                    ratios.append((position(w.params.get(key)), cmp.ratio if ok else None,
                                   cmp.ci_low if ci else None, cmp.ci_high if ci else None))
                if any(mr.is_number(r[1]) for r in ratios):
                    ratio_lines.append((pair_label(numerator, denominator) +
                                        (", " + suffix if suffix else ""),
                                        color or charts.palette.color(numerator),
                                        charts.palette.dash(numerator) if len(pairs) > 1
                                        else 1, 7, ratios))
        fixed = f", series by {', '.join(mr.param_label_name(k) for k in others)}" \
            if others else ""
        tput_ci = "95% CI" if any(mr.is_number(p[2]) for line in tput_lines
                                  for p in line[4]) else "no CI"
        ratio_ci = "95% CI" if any(mr.is_number(p[2]) for line in ratio_lines
                                   for p in line[4]) else "no CI"
        page_note = "" if len(all_pages) == 1 else f" (page {number}/{len(all_pages)})"
        stem = f"sweep-{outdir.safe_name(base)}-{outdir.safe_name(label)}"
        if tput_lines:
            ys = [x for line in tput_lines for p in line[4] for x in p[1:]]
            ymin, ymax, log = layout.value_range(ys, layout.wants_log(ys, 30), 1.15)
            sweep_draw(charts, layout.page_name(stem, number, len(all_pages)), tput_lines,
                       axis, {"ylog": int(log), "ymin": ymin, "ymax": ymax, "nytic": 0,
                              "ratioline": 0, "ylabel": "median throughput (MiB/s" +
                              (", log scale)" if log else ")")},
                       f"Median throughput of {base} against {label} ({tput_ci}{fixed})"
                       f"{page_note}")
        if ratio_lines:
            ys = [x for line in ratio_lines for p in line[4] for x in p[1:]]
            ymin, ymax, yticks = layout.ratio_axis(ys)
            if len(pairs) == 1:
                what = f"{pairs[0][0]}/{pairs[0][1]} ratio"
                above = f"above 1: {pairs[0][0]} faster"
                ylabel = f"{pairs[0][0]} / {pairs[0][1]} throughput (log scale)"
            else:
                what, above = "Backend ratios", "above 1: faster than the baseline"
                ylabel = "throughput / baseline's (log scale)"
            sweep_draw(charts, layout.page_name(stem + "-ratio", number, len(all_pages)),
                       ratio_lines, axis, {"ylog": 1, "ymin": ymin, "ymax": ymax,
                                           **gp.tics("ytic", yticks), "ratioline": 1,
                                           "ylabel": ylabel},
                       f"{what} of {base} against {label} ({ratio_ci}, {above}{fixed})"
                       f"{page_note}")


def sweep_draw(charts, name, lines, axis, yvars, title):
    path = charts.write_data(name, ["x", "y", "ci_low", "ci_high"],
                             [list(line[4]) for line in lines])
    variables = {"data": path, "nlines": len(lines),
                 "ltitle": [layout.legend(l[0], charts.width) for l in lines],
                 "lcolor": [l[1] for l in lines],
                 "ldash": [l[2] for l in lines], "lpoint": [l[3] for l in lines],
                 "lhasci": [int(any(mr.is_number(p[2]) and mr.is_number(p[3])
                                    for p in l[4])) for l in lines],
                 "jitter": 0.5 / max(len(lines), 1)}
    variables.update(axis)
    variables.update(yvars)
    charts.add(name, "sweep.gp", "sweeps", title, variables)
