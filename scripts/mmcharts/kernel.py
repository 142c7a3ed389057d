"""The kernel chart of a run: stacked panels of page faults and device bytes read per
operation, and read and write amplification (the block device's, system-wide, beside the
workers' own task I/O), per workload and backend."""
import mmresults as mr

from . import layout
from .throughput import groups_of, summarised_workloads


class Panel:
    """One panel: a summary field per backend (and its task I/O counterpart, drawn
    hatched beside it), what the panel is called, and why it can be empty."""

    def __init__(self, field, ylabel, title, what, why_empty, task=None):
        self.field = field            # Summary attribute
        self.ylabel = ylabel          # {unit} is replaced by the scale's unit
        self.title = title
        self.what = what              # its name in notes
        self.why_empty = why_empty
        self.task = task              # the workers' own counterpart, or None


PANELS = (
    Panel("faults_per_op", "faults / op", "page faults per operation (minor + major)",
          "page faults", "getrusage failed"),
    Panel("dev_read_bytes_per_op", "{unit} / op",
          "bytes the block device read per operation (system-wide counter)", "device reads",
          "no block device behind the data directory, e.g. tmpfs"),
    Panel("readahead_amplification", "read ampl.",
          "read amplification, bytes read per byte read (solid: the device's, system-wide; "
          "hatched: the workers' own)",
          "read amplification", "no workload reads, or no block device behind the data "
          "directory", task="task_read_amplification"),
    Panel("write_amplification", "write ampl.",
          "write amplification, bytes written per byte written (solid: the device's; "
          "hatched: dirtied by the workers)", "write amplification",
          "no workload writes, or no block device behind the data directory",
          task="task_write_amplification"),
)
TITLE = "Kernel behaviour per operation, per workload and backend"


def gaps_note(charts, what, backend, workloads, summaries, values):
    missing = [w.name for w, s, v in zip(workloads, summaries, values)
               if s and not mr.is_number(v)]
    if missing:
        charts.note("kernel", f"{what} not recorded for {backend} on {len(missing)} "
                    f"workload(s) ({', '.join(missing[:5])}"
                    f"{', ...' if len(missing) > 5 else ''}): no bar drawn, not 0")


def panel_series(charts, results, workloads, panel):
    """[(title, colour, values, hatched)] of the panel: per backend its device figure and,
    where recorded, its task figure."""
    series = []
    for backend in results.backends:
        summaries = [results.summary(w.name, backend) for w in workloads]
        for field, hatched in ((panel.field, False), (panel.task, True)):
            if not field:
                continue
            values = [getattr(s, field) if s else None for s in summaries]
            if not any(mr.is_number(v) for v in values):
                continue
            what = panel.what + (" (task I/O)" if hatched else "")
            gaps_note(charts, what, backend, workloads, summaries, values)
            series.append((backend + (" task" if hatched else ""),
                           charts.palette.color(backend), values, hatched))
    return series


def panels_of(charts, results, workloads):
    """[(y label, panel title, series, y axis variables)] of the panels with values."""
    panels = []
    for panel in PANELS:
        series = panel_series(charts, results, workloads, panel)
        recorded = [v for s in series for v in s[2] if mr.is_number(v)]
        if not series:
            charts.skip("kernel", f"{panel.what}: not recorded by this run (empty in "
                        f"summary.csv: {panel.why_empty})")
            continue
        if not any(recorded):
            charts.note("kernel", f"{panel.what}: 0 for every workload and backend (nothing "
                        f"{'written to' if panel.field == 'write_amplification' else 'read from'}"
                        f" the device: a warm cache?), no panel drawn")
            continue
        scale, unit = 1, "bytes"
        if panel.field == "dev_read_bytes_per_op":
            for scale, unit in ((2 ** 20, "MiB"), (2 ** 10, "KiB"), (1, "bytes")):
                if max(recorded) >= scale:
                    break
        series = [(b, c, [(v / scale if mr.is_number(v) else None, None, None)
                          for v in values], hatched) for b, c, values, hatched in series]
        # One y axis for the panel on every page.
        scaled = [p[0] for s in series for p in s[2]]
        # Headroom for the panel's title and the values printed on the bars.
        ymin, ymax, log = layout.value_range(scaled, layout.wants_log(scaled, 100), 1.6)
        panels.append((panel.ylabel.format(unit=unit) + (" (log)" if log else ""),
                       panel.title, series, {"ylog": int(log), "ymin": ymin, "ymax": ymax}))
    return panels


def chart_kernel(charts, results, workloads):
    """Stacked panels per page, of the workloads given (those of kind io). A panel or a
    series with nothing recorded is left out, and said so."""
    workloads = summarised_workloads(charts, results, "kernel", workloads)
    panels = panels_of(charts, results, workloads)
    if not panels:
        charts.skip("kernel", "no kernel counter to draw (see the notes)")
        return
    groups = groups_of(workloads)
    all_pages = layout.pages(list(range(len(groups))), charts.per_page)
    for number, indexes in enumerate(all_pages, 1):
        chart = layout.page_name("kernel", number, len(all_pages))
        labels, xlabel = layout.group_labels([groups[i] for i in indexes])
        ticvars, bmargin = layout.xtic_variables(labels, charts.width, charts.height)
        panel_scripts = []
        for ylabel, panel_title, series, yaxis in panels:
            if not any(mr.is_number(s[2][i][0]) for s in series for i in indexes):
                continue
            number_in_page = len(panel_scripts) + 1
            variables = charts.bar_page(f"{chart}-{number_in_page}", series, indexes, labels)
            variables.update(yaxis)
            variables.update({"ylabel": ylabel, "paneltitle": panel_title})
            panel_scripts.append(charts.write_variables(f"{chart}-vars-{number_in_page}",
                                                        variables))
        if not panel_scripts:
            continue
        bottom = (bmargin + 2.2) * layout.CHAR_HEIGHT_PX / charts.height   # and the legend
        charts.add(chart, "kernel.gp", "kernel",
                   layout.page_title(TITLE, number, len(all_pages)), {
                       # The multiplot's title is centred on the chart: no lmarginpx.
                       **{k: v for k, v in ticvars.items() if k != "lmarginpx"},
                       "npanels": len(panel_scripts),
                       "panelvars": charts.data_path(f"{chart}-vars", ""),
                       "ngroups": len(indexes), "panelxlabel": xlabel,
                       "mleft": max(110, ticvars["lmarginpx"]) / charts.width,
                       "mright": 1 - 30 / charts.width, "mbottom": min(bottom, 0.45),
                       "mtop": 1 - (charts.title_lines(TITLE) + 1.2) *
                       layout.CHAR_HEIGHT_PX / charts.height},
                   extra_scripts=panel_scripts)
