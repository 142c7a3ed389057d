"""Sweep charts: throughput and backend ratios against a swept workload parameter."""
import dataclasses
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
    varying.sort(key=lambda k: labelled.index(label_key(group, k))
                 if label_key(group, k) in labelled else len(labelled))
    kept = []
    for key in varying:
        follows = any(len({(json.dumps(p.get(k)), json.dumps(p.get(key))) for p in params}) ==
                      len({json.dumps(p.get(k)) for p in params}) for k in kept)
        if not follows:
            kept.append(key)
    return kept


def label_key(group, column):
    """The config key that a parameter column is swept by in the workloads' names (their
    sweep labels: ipc_message_bytes -> message_size), found as the label whose values part
    the workloads as the column's values do; else the column without its unit suffix."""
    plain = mr.param_label_name(column)
    named = [w for w in group if w.sweep_labels()]
    keys = list(dict.fromkeys(k for w in named for k, _ in w.sweep_labels()))
    if plain in keys:
        return plain
    own = {mr.param_label_name(k) for w in group for k in w.params}
    for key in (k for k in keys if k not in own):   # a label of no column of its name
        pairs = {(dict(w.sweep_labels()).get(key), json.dumps(w.params.get(column)))
                 for w in named}
        if len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}) > 1:
            return key
    return plain


def sweep_groups(workloads):
    """{base_name: [workloads]} for base names with several workloads (sweeps), their
    parameters that are digit strings (kernel settings such as read_ahead_kb) made numbers
    where every point of the sweep has a number there."""
    groups = {}
    for w in workloads:
        groups.setdefault(w.base_name, []).append(w)
    return {base: numeric_params(g) for base, g in groups.items() if len(g) > 1}


def numeric_params(group):
    """The workloads of a sweep with each parameter that is a number or a digit string on
    every one of them as a number (so that it makes a numeric axis)."""
    keys = list(dict.fromkeys(k for w in group for k in w.params))
    numeric = {k for k in keys if all(mr.param_number(w.params.get(k)) is not None
                                      for w in group)}
    return [dataclasses.replace(w, params={k: mr.param_number(v) if k in numeric else v
                                           for k, v in w.params.items()}) for w in group]


def chart_sweeps(charts, results, workloads):
    """Sweep charts of the workloads given (those compared on throughput)."""
    groups = sweep_groups(workloads)
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


def sweep_axis(key, values, name=None):
    """(variables of sweep.gp for the x axis of key with these values, the x position of
    a value); name: what the axis label calls key (default: the column without its
    unit)."""
    if not is_numeric_key(values):
        categories = list(dict.fromkeys(json.dumps(v) for v in values))
        shown = [tx.fmt_param(key, json.loads(c)) for c in categories]
        return {"categorical": 1, "logx": 0, "xmin": 0.5, "xmax": len(categories) + 0.5,
                **gp.tics("xtic", [(layout.shorten(s), i) for i, s in enumerate(shown, 1)]),
                "xlabel": tx.clean(name or key)}, (lambda v: categories.index(json.dumps(v)) + 1)
    low, high = min(values), max(values)
    name = tx.clean(name or mr.param_label_name(key))
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


def combinations(group, key, others, position):
    """[(suffix, members)]: the workloads of a sweep by the values of the other swept keys
    ('threads=2, pattern=random'), each sorted along the x axis of key."""
    combos = {}
    for w in group:
        combo = tuple(json.dumps(w.params.get(k)) for k in others)
        combos.setdefault(combo, []).append(w)
    out = []
    for combo, members in combos.items():
        members.sort(key=lambda w: position(w.params.get(key)))
        out.append((", ".join(f"{label_key(group, k)}={tx.fmt_param(k, json.loads(v))}"
                              for k, v in zip(others, combo)), members))
    return out


def backend_lines(charts, results, members, key, position, suffix, color, value):
    """One line per backend with a value on any of members: (title, colour, dash, point,
    [(x, y, ci_low, ci_high)]); value(summary) gives (y, ci_low, ci_high)."""
    lines = []
    for backend in results.backends:
        points = []
        for w in members:
            s = results.summary(w.name, backend)
            points.append((position(w.params.get(key)),) + (value(s) if s else
                                                            (None, None, None)))
        if any(mr.is_number(p[1]) for p in points):
            lines.append((backend + (", " + suffix if suffix else ""),
                          color or charts.palette.color(backend), charts.palette.dash(backend),
                          charts.palette.point(backend), points))
    return lines


# The amplification sweeps: (summary field, chart suffix, y label, what it is, whether a
# sweep's workloads make it mean anything). Reads of a warm cache read nothing from the
# device (what its counters show then is other processes' traffic), and reads write
# nothing.
SWEEP_AMPLIFICATION = (
    ("readahead_amplification", "read-amplification",
     "read amplification: device bytes read / bytes read", "read amplification",
     lambda group: any(w.params.get("cache") != "warm" for w in group)),
    ("write_amplification", "write-amplification",
     "write amplification: device bytes written / bytes written", "write amplification",
     lambda group: any(w.params.get("op") != "read" for w in group)),
)


def sweep_chart(charts, results, base, group, key, others):
    values = [w.params.get(key) for w in group]
    label = label_key(group, key)
    axis, position = sweep_axis(key, values, label)
    all_pages = layout.pages(combinations(group, key, others, position), COMBOS_PER_PAGE)
    pairs = results.comparison_pairs()
    amplifications = [a for a in SWEEP_AMPLIFICATION if a[4](group)]
    for number, page in enumerate(all_pages, 1):
        tput_lines, ratio_lines = [], []
        amp_lines = {a[0]: [] for a in amplifications}
        for c, (suffix, members) in enumerate(page):
            color = pal.series_color(c) if len(page) > 1 else None
            tput_lines += backend_lines(charts, results, members, key, position, suffix,
                                        color, lambda s: (s.tput.median, s.tput.ci_low,
                                                          s.tput.ci_high))
            for field in amp_lines:
                amp_lines[field] += backend_lines(
                    charts, results, members, key, position, suffix, color,
                    lambda s, f=field: (getattr(s, f), None, None))
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
        fixed = f", series by {', '.join(label_key(group, k) for k in others)}" \
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
            sweep_draw(charts, layout.page_name(stem, number, len(all_pages)), "sweeps",
                       tput_lines, axis, {"ylog": int(log), "ymin": ymin, "ymax": ymax,
                                          "nytic": 0, "ratioline": 0,
                                          "ylabel": "median throughput (MiB/s" +
                                          (", log scale)" if log else ")")},
                       f"Median throughput of {base} against {label} ({tput_ci}{fixed})"
                       f"{page_note}")
        for field, chart_suffix, ylabel, what, _ in amplifications:
            lines = amp_lines[field]
            ys = [p[1] for line in lines for p in line[4] if mr.is_number(p[1])]
            if not any(ys):   # nothing read or written, or no block device: no chart of 0s
                continue
            ymin, ymax, log = layout.value_range(ys, layout.wants_log(ys, 30), 1.15)
            sweep_draw(charts, layout.page_name(f"{stem}-{chart_suffix}", number,
                                                len(all_pages)), "sweeps", lines, axis,
                       {"ylog": int(log), "ymin": ymin, "ymax": ymax, "nytic": 0,
                        "ratioline": 0, "ylabel": ylabel + (" (log scale)" if log else "")},
                       f"Median {what} of {base} against {label} (system-wide device "
                       f"counters{fixed}){page_note}")
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
                       "sweeps", ratio_lines, axis, {"ylog": 1, "ymin": ymin, "ymax": ymax,
                                                     **gp.tics("ytic", yticks),
                                                     "ratioline": 1, "ylabel": ylabel},
                       f"{what} of {base} against {label} ({ratio_ci}, {above}{fixed})"
                       f"{page_note}")


def line_variables(charts, name, lines):
    """The variables of lines-panel.gp for lines [(title, colour, dash, point, points)],
    whose points it writes to data/<name>.tsv."""
    path = charts.write_data(name, ["x", "y", "ci_low", "ci_high"],
                             [list(line[4]) for line in lines])
    return {"data": path, "nlines": len(lines),
            "ltitle": [layout.legend(line[0], charts.width) for line in lines],
            "lcolor": [line[1] for line in lines],
            "ldash": [line[2] for line in lines], "lpoint": [line[3] for line in lines],
            "lhasci": [int(any(mr.is_number(p[2]) and mr.is_number(p[3]) for p in line[4]))
                       for line in lines],
            "jitter": 0.5 / max(len(lines), 1)}


def sweep_draw(charts, name, section, lines, axis, yvars, title):
    variables = line_variables(charts, name, lines)
    variables.update(axis)
    variables.update(yvars)
    charts.add(name, "sweep.gp", section, title, variables)
