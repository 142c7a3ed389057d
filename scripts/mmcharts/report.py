"""Writes a self-contained report of an mmbench run or comparison (Markdown and HTML).

usage: scripts/report DIR [--output OUTDIR] [--no-html] [--replot] [--strict] [--size WxH]

DIR is a results directory (results.json) or a comparison directory (compare.json). The
report goes to plots/<basename of DIR>/report.md and report.html (or OUTDIR): the context
the numbers were measured in (with the kernel settings), the results with verdicts, each
workload's why, time split, amplification, levels, kind figures, profile (with a flame graph
in report.html) and warnings, the claims, the warnings of the run, and the charts.
report.md links the PNG files beside it; report.html embeds them, so it is one file to
send. The charts are drawn first (as scripts/plot does) when they are missing or
older than the results.

options:
  --output OUTDIR  where the report and charts go (default plots/<basename of DIR>)
  --no-html        write report.md only
  --replot         draw the charts again even when they are up to date
  --strict         as scripts/plot --strict: fail when gnuplot warns
  --size WxH       as scripts/plot --size: chart size in pixels (default 1280x720)

Exit status: 0 done, 1 the charts could not be drawn, 2 usage error or unreadable DIR.
"""
import argparse
import os
import shutil
import sys

import mmresults as mr

from . import outdir
from . import plot
from . import text as tx
from .cells import dash, estimate_cell, ns_cell, ratio_cell
from .document import Code, Document
from .kinds import THROUGHPUT_KINDS
from .throughput import pair_label
from .workloads import read_profiles, report_claims, report_workloads

PROG = "scripts/report"
SECTIONS = {
    "results": (
        ("throughput", "Throughput"),
        ("ratio", "Backend ratios"),
        ("sweeps", "Sweeps"),
        ("latency", "Operation latency"),
        ("flush", "Flush latency"),
        ("kernel", "Kernel behaviour"),
        ("timeline", "Time series"),
        ("footprint", "Footprint"),
        ("ipc", "IPC"),
        ("cow", "Copy-on-write"),
    ),
    "compare": (
        ("compare-throughput", "Throughput per run"),
        ("compare-ratio", "Ratio to the baseline"),
        ("compare-backends", "Backend ratios per run"),
    ),
}


# ---- a run ----

def context_rows(c):
    timer_reason = f" ({c.timer_reason})" if c.timer_reason else ""
    rows = [
        ("Date (UTC)", dash(c.date_utc)),
        ("Host", dash(c.hostname)),
        ("mmbench", f"{dash(c.mmbench_version)}, {dash(c.build_type)} build, "
                    f"{dash(c.build_compiler)}"),
        ("Command line", Code(dash(c.command_line))),
        ("CPU", f"{dash(c.cpu_brand)} ({dash(c.cpu_vendor)} family {dash(c.cpu_family)} "
                f"model {dash(c.cpu_model)})"),
        ("CPUs", f"{dash(c.cpu_cores)} cores, {dash(c.cpu_logical)} logical, "
                 f"{dash(c.cpu_online)} online"),
        ("Caches", f"L1d {dash(c.cpu_l1d_kib)} KiB, L2 {dash(c.cpu_l2_kib)} KiB, L3 "
                   f"{dash(c.cpu_l3_kib)} KiB"),
        ("Hypervisor", dash(c.cpu_hypervisor) if c.cpu_hypervisor else "none"),
        ("CPU governor", dash(c.cpu_governor)),
        ("Memory", f"{tx.fmt_bytes(c.ram_bytes) if c.ram_bytes else '—'} RAM, "
                   f"{dash(c.page_size_bytes)}-byte pages"),
        ("Kernel", f"Linux {dash(c.kernel_release)} {dash(c.kernel_version)} "
                   f"({dash(c.kernel_machine)})"),
        ("Clock source", dash(c.clocksource)),
        ("THP", f"enabled {dash(c.thp_enabled)}, defrag {dash(c.thp_defrag)}, shmem "
                f"{dash(c.thp_shmem_enabled)}"),
        ("Memory cgroup", dash(c.cgroup_memory)),
        ("perf_event_paranoid", dash(c.perf_event_paranoid)),
        ("Timer", f"{dash(c.timer_source)}, {tx.fmt_number(c.timer_cost_ns)} ns per "
                  f"reading{timer_reason}"),
        ("Perf counters", ", ".join(f"{k}: {dash(v)}" for k, v in c.perf_counters) or "—"),
        ("Load average (1 min)", tx.fmt_number(c.loadavg_1m)),
        ("Run as root", dash(c.root)),
    ]
    for t in c.targets:
        rows.append(("Filesystem", f"{dash(t.fs_type)} at {dash(t.mount_point)} from "
                                   f"{dash(t.mount_source)}, for "
                                   f"{dash(t.real_dir or t.dir)}"))
        rows.append(("Mount options", Code(dash(t.mount_options))))
        text = f"{t.block_device}, read-ahead {dash(t.read_ahead_kb)} KiB, " \
            f"{'rotational' if t.rotational else 'non-rotational'}" if t.block_device \
            else "none"
        if t.block_device_note:
            text += f" ({t.block_device_note})"
        rows.append(("Block device", text))
        if t.large_folios:
            rows.append(("Large folios", t.large_folios))
    return rows


def report_results(doc, results, manifest, out_dir, stacks):
    doc.paragraph(results.config_description or "")
    status = "complete" if results.complete else "incomplete (written before the run " \
        "finished" + ("; read from its block file: it was still going on, or was "
                      "killed" if results.killed else "") + (
                          "; the last workload's record was cut off and is left out"
                          if results.incomplete_record else "") + ")"
    if results.interrupted:
        status += ", interrupted"
    doc.paragraph(f"Config {results.config_name} (", Code(results.config_source or "?"),
                  f"), {len(results.workloads)} workload(s); run {status}; "
                  f"{results.failed_runs} failed run(s).")
    doc.heading(2, "Where it ran")
    doc.table(["", "value"], context_rows(results.context))
    if results.context.kernel_settings:
        doc.paragraph("Kernel settings when the run started (a workload's own are with it "
                      "below):")
        doc.table(["setting", "value"], [[Code(k), dash(v)] for k, v in
                                         results.context.kernel_settings])

    compared = [w for w in results.workloads if w.kind in THROUGHPUT_KINDS]
    pairs = results.comparison_pairs()
    backends = results.backends
    doc.heading(2, "Results")
    if compared:
        doc.paragraph("Median throughput in MiB/s with the 95% bootstrap confidence interval "
                      "of the median (none with fewer than 3 repetitions); a ratio is one "
                      "backend's median throughput over another's, with its interval. "
                      "Workloads of the other kinds are compared on their own figures "
                      "(below).")
        rows = []
        for w in compared:
            comparisons = [results.comparison(w.name, *p) for p in pairs]
            row = [str(w.number), Code(w.name)]
            row += [estimate_cell(s.tput) if s else "—"
                    for s in (results.summary(w.name, b) for b in backends)]
            row += [ratio_cell(c.ratio, c.ci_low, c.ci_high) if c else "—"
                    for c in comparisons]
            texts = [(p, c.verdict) for p, c in zip(pairs, comparisons) if c and c.verdict]
            row.append(dash("; ".join(text if len(pairs) == 1 else f"{pair_label(*p)}: {text}"
                                      for p, text in texts)))
            block = results.block(w.name)
            row.append(dash(block.checksum if block else None))
            rows.append(row)
        doc.table(["#", "workload"] + [f"{b} MiB/s" for b in backends] +
                  [f"{n}/{d}" for n, d in pairs] + ["verdict", "checksum"], rows)
    else:
        doc.paragraph("No workload of a kind compared on throughput (io, ipc).")

    io = [w for w in results.workloads if w.kind == "io"]
    if io:
        doc.heading(3, "Latency, flushes and kernel counters")
        rows = []
        for w in io:
            for backend in backends:
                s = results.summary(w.name, backend)
                if not s:
                    continue
                rows.append([str(w.number), Code(w.name), backend,
                             f"{s.repetitions_ok} ok, {s.repetitions_failed} failed",
                             tx.fmt_number(100 * s.tput_cv, 2) + "%"
                             if mr.is_number(s.tput_cv) else "—",
                             ns_cell(s.latency_p50_ns), ns_cell(s.latency_p99_ns),
                             ns_cell(s.latency_p999_ns), ns_cell(s.flush_p99_ns),
                             tx.fmt_number(s.faults_per_op),
                             tx.fmt_number(s.dev_read_bytes_per_op),
                             tx.fmt_number(s.readahead_amplification),
                             tx.fmt_number(s.write_amplification)])
        doc.table(["#", "workload", "backend", "repetitions", "cv", "p50", "p99", "p99.9",
                   "flush p99", "faults/op", "device bytes/op", "readahead ampl.",
                   "write ampl."], rows)

    report_workloads(doc, results, stacks)
    report_claims(doc, results)
    doc.heading(2, "Warnings")
    if results.warnings:
        doc.bullets(results.warnings)
    else:
        doc.paragraph("None.")
    if results.warnings_dropped:
        doc.paragraph(f"{results.warnings_dropped} more warnings were dropped "
                      f"(results.json keeps the first 500).")
    report_charts(doc, manifest, out_dir, "results")


def report_charts(doc, manifest, out_dir, kind):
    doc.heading(2, "Charts")
    doc.paragraph("Drawn by ", Code("scripts/plot"), " from ", Code(manifest["source"]),
                  "; each chart is also in the report's directory as PNG and SVG.")
    for section, heading in SECTIONS[kind]:
        charts = [c for c in manifest["charts"] if c["section"] == section]
        notes = [n["text"] for n in manifest["notes"] if n["section"] == section]
        skipped = [s["why"] for s in manifest["skipped"] if s["section"] == section]
        if not (charts or notes or skipped):
            continue
        doc.heading(3, heading)
        doc.bullets([f"Not drawn: {why}" for why in skipped] + notes)
        for chart in charts:
            if chart["caption"]:
                doc.paragraph(chart["caption"])
            doc.image(os.path.join(out_dir, chart["files"][0]), chart["title"])


# ---- a comparison ----

def report_compare(doc, compare, manifest, out_dir):
    doc.paragraph(f"{len(compare.runs)} runs compared; the baseline is {compare.baseline}.")
    doc.heading(2, "Runs")
    keys = ("label",) + mr.RUN_FIELDS
    doc.table(list(keys), [[Code(dash(getattr(r, k))) if k in ("dir", "mount_options")
                            else dash(getattr(r, k)) for k in keys] for r in compare.runs])
    doc.paragraph("They differ in: " + ("; ".join(f"{k} ({', '.join(dash(v) for v in values)})"
                                                   for k, values in compare.differences)
                                        or "nothing recorded in their contexts") + ".")
    doc.heading(2, "Results")
    doc.paragraph("Median throughput in MiB/s of each run; for the other runs, the ratio to "
                  "the baseline with its 95% bootstrap interval (significant when the "
                  "interval excludes 1).")
    labels = [r.label for r in compare.runs]
    rows = []
    for workload, backend in compare.groups():
        row = [Code(workload), backend]
        for label in labels:
            r = compare.row(workload, backend, label)
            if not r:
                row.append("—")
                continue
            text = tx.fmt_number(r.tput.median, 4)
            if label != compare.baseline:
                text += f", x{ratio_cell(r.ratio.median, r.ratio.ci_low, r.ratio.ci_high)}"
                text += " significant" if r.significant else ""
                text += " REGRESSED" if r.regressed else ""
            row.append(text)
        rows.append(row)
    doc.table(["workload", "backend"] + labels, rows)
    doc.heading(3, "Regressions")
    if compare.fail_above_pct is None:
        doc.paragraph("No threshold was set (--fail-above).")
    doc.bullets([f"{r.workload} ({r.backend}) in {r.run}: ratio "
                 f"{tx.fmt_number(r.ratio)}" for r in compare.regressions] or ["None."])
    if compare.not_comparable:
        doc.heading(3, "Not comparable")
        doc.bullets([f"{n.workload} ({', '.join(n.runs)}): {n.reason}"
                     for n in compare.not_comparable])
    report_charts(doc, manifest, out_dir, "compare")


# ---- main ----

def charts_current(source, out_dir, kind, size):
    """The chart manifest when the charts of source are all there, newer than it, and of
    the size asked for ((width, height), or None for any)."""
    manifest = outdir.read_manifest(out_dir)
    if manifest is None or manifest["source"] != os.path.abspath(source) or \
            manifest["kind"] != kind or (size and manifest["size"] != list(size)):
        return None
    try:
        if os.path.getmtime(mr.data_file(source, kind)) > \
                os.path.getmtime(os.path.join(out_dir, outdir.MANIFEST)):
            return None
    except OSError:
        return None
    for chart in manifest["charts"]:
        if not all(os.path.isfile(os.path.join(out_dir, f)) for f in chart["files"]):
            return None
    return manifest


def parse_args(argv):
    parser = argparse.ArgumentParser(prog=PROG, add_help=False)
    parser.add_argument("dir")
    parser.add_argument("--output")
    parser.add_argument("--no-html", action="store_true")
    parser.add_argument("--replot", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--size", type=plot.parse_size)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        sys.exit(0)
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    source = os.path.normpath(args.dir)
    out_dir = args.output or plot.default_output(source)

    def report():
        kind, data = mr.load(source)
        # Read before anything is written: a folded file that is not one refuses the run.
        stacks = read_profiles(data) if kind == "results" else {}
        manifest = None if args.replot else charts_current(source, out_dir, kind, args.size)
        if manifest is None:
            if not shutil.which("gnuplot"):
                plot.error(PROG, "the charts need gnuplot, which is not installed: 'sudo "
                           "scripts/install-deps --test'")
                return 1
            width, height = args.size or (1280, 720)
            charts, warnings = plot.draw(source, out_dir, width, height, 20,
                                         os.cpu_count() or 1, args.strict, (kind, data))
            plot.tell(PROG, charts, warnings, out_dir)
            manifest = charts.manifest
        if kind == "results":
            doc = Document(f"mmbench report: {data.config_name}")
            report_results(doc, data, manifest, out_dir, stacks)
        else:
            doc = Document("mmbench comparison: " + " vs ".join(r.label for r in data.runs))
            report_compare(doc, data, manifest, out_dir)
        written = []
        outputs = [("report.md", doc.markdown)] + ([] if args.no_html else
                                                   [("report.html", doc.html)])
        for name, render in outputs:
            path = os.path.join(out_dir, name)
            outdir.write(path, render())
            written.append(path)
        plot.say("report: " + ", ".join(written))
        return 0
    return plot.guarded(PROG, report, "the charts could not be drawn (see above)")
