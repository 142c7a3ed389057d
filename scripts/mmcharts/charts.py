"""A set of charts being made: their data files and driver scripts, gnuplot runs, and the
manifest (charts.json) saying what was drawn, what was skipped and why."""
import concurrent.futures
import os

import mmresults as mr

from . import gnuplot as gp
from . import layout
from . import outdir

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))),
                         "gnuplot")
FORMATS = ("png", "svg")
POINT_SIGNIFICANT, POINT_NOT_SIGNIFICANT, POINT_NO_CI = 7, 6, 2


class PlotError(Exception):
    """A chart that gnuplot failed to draw (or warned about, with --strict)."""


def ci_words(has_ci, of="ratio"):
    """What a chart title says about its error bars."""
    return f"(95% CI of the {of})" if has_ci else "(no CI: fewer than 3 repetitions)"


def bar_columns(value, low, high):
    """A bar's columns for bars-panel.gp: value, CI, and the height of its value label."""
    top = high if mr.is_number(high) else value
    return [value, low, high, top]


def ratio_point(ratio, low, high, significant):
    """(ratio, low, high, point type, text) of a point on a log axis of ratios: nothing for
    a ratio that is not positive, no interval unless both ends are positive."""
    if not (mr.is_number(ratio) and ratio > 0):
        return [None, None, None, POINT_NO_CI, gp.Token("-")]
    if not (mr.is_number(low) and mr.is_number(high) and low > 0 and high > 0):
        return [ratio, None, None, POINT_NO_CI, gp.Token(f"{ratio:.3g}x")]
    if significant is None:
        significant = low > 1 or high < 1
    point = POINT_SIGNIFICANT if significant else POINT_NOT_SIGNIFICANT
    return [ratio, low, high, point, gp.Token(f"{ratio:.3g}x")]


class Charts:
    """Writes the data and driver script of each chart, runs gnuplot, keeps the manifest."""

    def __init__(self, out_dir, source, kind, width, height, per_page, subtitle, palette,
                 png_terminal):
        self.out_dir = os.path.abspath(out_dir)   # the driver scripts run from anywhere
        self.data_dir = os.path.join(self.out_dir, outdir.DATA_DIR)
        self.png_terminal = png_terminal
        self.width, self.height = width, height
        self.per_page = per_page
        self.subtitle = subtitle
        self.palette = palette
        self.manifest = {"source": os.path.abspath(source), "kind": kind,
                         "size": [width, height], "charts": [], "skipped": [], "notes": []}

    def skip(self, section, why):
        self.manifest["skipped"].append({"section": section, "why": why})

    def note(self, section, text):
        self.manifest["notes"].append({"section": section, "text": text})

    def data_path(self, name, suffix=".tsv"):
        return gp.Path(os.path.join(self.data_dir, name + suffix))

    def write_data(self, name, header, blocks):
        """Writes data/<name>.tsv; returns its path."""
        path = self.data_path(name)
        outdir.write(path, gp.data_text(header, blocks))
        return path

    def write_variables(self, name, variables):
        """Writes data/<name>.gp setting variables (the panels of a multi-panel chart)."""
        path = self.data_path(name, ".gp")
        outdir.write(path, gp.assignments(variables))
        return path

    def titles(self, title, lmargin_px=0):
        """The two title lines of a chart, laid out: what (at most 2 lines), and where
        (at most 3), fewer on a short chart. gnuplot centres them over the plot, which a
        wide left margin (lmargin_px) moves to the right."""
        width = self.width - 80 - 2 * max(0, lmargin_px - 60)
        return layout.fit(title, width, 2 if self.height >= 480 else 1), \
            layout.fit(self.subtitle, width, 3 if self.height >= 600 else
                       2 if self.height >= 400 else 1)

    def title_lines(self, title):
        return sum(text.count("\n") + 1 for text in self.titles(title))

    def add(self, name, template, section, title, variables, caption="", extra_scripts=()):
        """Registers a chart: writes its driver script, which sets the variables and loads
        the template once per format."""
        script = self.data_path(name, ".gp")
        common = {"tpldir": gp.Path(TEMPLATES + os.sep),
                  "outbase": gp.Path(os.path.join(self.out_dir, name)),
                  "pngterm": self.png_terminal, "width": self.width, "height": self.height,
                  "title": self.titles(title, variables.get("lmarginpx", 0))[0],
                  "subtitle": self.titles(title, variables.get("lmarginpx", 0))[1]}
        outdir.write(script, gp.driver_text(name, {**common, **variables}, template, FORMATS))
        self.manifest["charts"].append({
            "name": name, "section": section, "title": title, "caption": caption,
            "files": [name + "." + fmt for fmt in FORMATS],
            "script": os.path.relpath(script, self.out_dir),
            "data": [os.path.relpath(p, self.out_dir) for p in extra_scripts]})

    def bar_page(self, name, series, indexes, labels):
        """Writes the data of one page of grouped bars (bars-panel.gp); returns the
        variables that describe it. series: [(title, color, [(v, lo, hi)] per group)],
        or (title, color, points, hatched) for a series drawn hatched."""
        present = [s for s in series if any(mr.is_number(s[2][i][0]) for i in indexes)]
        rows = [[slot] + [x for s in present for x in bar_columns(*s[2][i])] +
                [labels[slot - 1]] for slot, i in enumerate(indexes, 1)]
        path = self.write_data(name, ["group"] + [f"{s[0]} {c}" for s in present for c in
                                                  ("value", "ci_low", "ci_high", "label_y")] +
                               ["label"], [rows])
        has_ci = [int(any(mr.is_number(s[2][i][1]) and mr.is_number(s[2][i][2])
                          for i in indexes)) for s in present]
        values = [s[2][i][0] for s in present for i in indexes]
        big = max((abs(v) for v in values if mr.is_number(v)), default=0) >= 100
        return {"data": path, "nseries": len(present),
                "stitle": [layout.legend(s[0], self.width) for s in present],
                "scolor": [s[1] for s in present], "shasci": has_ci,
                "shatch": [int(len(s) > 3 and bool(s[3])) for s in present],
                "anyci": int(any(has_ci)),
                "showvalues": int(len(indexes) * len(present) <= 16),
                "valueformat": "%.0f" if big else "%.3g"}

    def bars(self, name, section, title, groups, series, ylabel, log_hint, caption="",
             xlabel=None):
        """Grouped bars with CI error bars, split into pages.
        groups: [layout.Group], series: [(title, color, [(v, lo, hi)] per group)]."""
        values = [x for s in series for p in s[2] for x in p]
        log = log_hint and layout.wants_log(values)
        ymin, ymax, log = layout.value_range(values, log, 1.2)
        unit = ylabel + (" (log scale)" if log else "")
        all_pages = layout.pages(list(range(len(groups))), self.per_page)
        for number, indexes in enumerate(all_pages, 1):
            labels, grouped = layout.group_labels([groups[i] for i in indexes])
            chart = layout.page_name(name, number, len(all_pages))
            variables = self.bar_page(chart, series, indexes, labels)
            ticvars, _ = layout.xtic_variables(labels, self.width, self.height)
            variables.update(ticvars)
            variables.update({"ngroups": len(indexes), "showxtics": 1,
                              "xlabel": xlabel or grouped,
                              "ylabel": unit, "ylog": int(log), "ymin": ymin, "ymax": ymax})
            self.add(chart, "bars.gp", section, layout.page_title(title, number,
                                                                  len(all_pages)), variables,
                     caption)

    def ratios(self, name, section, title, groups, series, ylabel, lineone,
               noci="x: no CI (< 3 repetitions)"):
        """Ratio points with CI error bars on a log axis, split into pages.
        series: [(title, color, [(ratio, lo, hi, significant or None)] per group)]."""
        values = [x for _, _, points in series for p in points for x in p[:3]]
        ymin, ymax, yticks = layout.ratio_axis(values)
        all_pages = layout.pages(list(range(len(groups))), self.per_page)
        for number, indexes in enumerate(all_pages, 1):
            present = [s for s in series if any(mr.is_number(s[2][i][0]) and s[2][i][0] > 0
                                                for i in indexes)]
            if not present:
                continue
            labels, xlabel = layout.group_labels([groups[i] for i in indexes])
            chart = layout.page_name(name, number, len(all_pages))
            rows = [[slot] + [x for s in present for x in ratio_point(*s[2][i])] +
                    [labels[slot - 1]] for slot, i in enumerate(indexes, 1)]
            markers = {row[4 + 5 * k] for row in rows for k in range(len(present))
                       if mr.is_number(row[1 + 5 * k])}
            header = ["group"] + [f"{s[0]} {c}" for s in present
                                  for c in ("ratio", "ci_low", "ci_high", "point", "text")]
            path = self.write_data(chart, header + ["label"], [rows])
            has_ci = [int(any(mr.is_number(row[2 + 5 * k]) for row in rows))
                      for k in range(len(present))]
            variables = {
                "data": path, "ngroups": len(indexes), "nseries": len(present),
                "stitle": [layout.legend(s[0], self.width) for s in present],
                "scolor": [s[1] for s in present], "shasci": has_ci,
                "shatch": [int(len(s) > 3 and bool(s[3])) for s in present], "xlabel": xlabel,
                "ylabel": ylabel, "anyci": int(any(has_ci)), "ymin": ymin, "ymax": ymax,
                "showseries": int(len(present) > 1),
                "showvalues": int(len(indexes) * len(present) <= 24),
                "keysig": int(POINT_SIGNIFICANT in markers),
                "keynonsig": int(POINT_NOT_SIGNIFICANT in markers),
                "keynoci": int(POINT_NO_CI in markers), "nocitext": noci, "lineone": lineone}
            variables.update(gp.tics("ytic", yticks))
            variables.update(layout.xtic_variables(labels, self.width, self.height)[0])
            self.add(chart, "ratio.gp", section, layout.page_title(title, number,
                                                                   len(all_pages)), variables)

    def run(self, jobs, strict):
        """Runs gnuplot on every driver script; returns the warnings. Raises PlotError."""
        for chart in self.manifest["charts"]:
            for name in chart["files"]:
                outdir.clear(os.path.join(self.out_dir, name))
        scripts = [os.path.join(self.out_dir, c["script"]) for c in self.manifest["charts"]]
        warnings, errors = [], []
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for script, proc in zip(scripts, pool.map(gp.run, scripts)):
                text = proc.stderr.strip()
                if proc.returncode != 0:
                    errors.append(f"gnuplot {script} failed (exit {proc.returncode}):\n{text}")
                elif text:
                    warnings.append(f"gnuplot {script}:\n{text}")
        missing = [os.path.join(self.out_dir, f) for c in self.manifest["charts"]
                   for f in c["files"] if not os.path.isfile(os.path.join(self.out_dir, f))]
        if missing and not errors:
            errors.append("gnuplot wrote no " + ", ".join(missing))
        if errors or (strict and warnings):
            raise PlotError("\n".join(errors + warnings))
        return warnings

    def write_manifest(self):
        outdir.write_manifest(self.out_dir, self.manifest)
