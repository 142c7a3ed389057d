"""Draws the charts of an mmbench run or comparison with gnuplot (PNG and SVG).

usage: scripts/plot DIR [--output OUTDIR] [--size WxH] [--per-page N] [--strict] [--jobs N]

DIR is a results directory (holding results.json, written by mmbench) or a comparison
directory (holding compare.json, written by mmbench compare). The charts go to
plots/<basename of DIR>/ (or OUTDIR), with charts.json listing them and what was skipped
and why. The data step is here; the charts are drawn by the templates in scripts/gnuplot/,
run through a driver script per chart kept in OUTDIR/data/ (run it again with gnuplot).

A run gets: throughput (median MiB/s per workload and backend, 95% CI), ratio (each backend
comparison, e.g. mmap/pread, per workload with its CI), sweep-<base>-<key> and
sweep-<base>-<key>-ratio (against a swept parameter, with -read-amplification and
-write-amplification where the device read or wrote anything), latency-<n> and flush-<n>
(percentile curves of workload n), kernel (faults, device bytes read, read and write
amplification per operation, the device's beside the workers' own), timeline-<n> (each
backend's throughput over time, with device reads, faults, residency and levels), and for
the other kinds footprint (memory per process against N), ipc (round-trip latency against
the message size) and cow-<n> (copy-on-write passes). A comparison gets throughput (per
run), ratio-to-baseline and <backend>-<backend> (each run's backend ratio, e.g.
mmap-pread). Charts with more groups than --per-page are split into pages: throughput-1,
throughput-2, ...

options:
  --output OUTDIR  where the charts go (default plots/<basename of DIR>, made if missing)
  --size WxH       chart size in pixels (default 1280x720)
  --per-page N     most workloads per bar chart page (default 20)
  --strict         fail (exit 1) when gnuplot prints any warning (the tests use it)
  --jobs N         gnuplot processes at once (default: the number of CPUs)

Exit status: 0 done, 1 a chart failed (or warned, with --strict) or gnuplot is missing,
2 usage error or unreadable directory.
"""
import argparse
import os
import shutil
import sys

import mmresults as mr

from . import gnuplot as gp
from . import outdir
from . import text as tx
from .charts import Charts, PlotError
from .compare import plot_compare, subtitle as compare_subtitle
from .kernel import chart_kernel
from .latency import chart_latency
from .palette import Palette
from .kinds import THROUGHPUT_KINDS, chart_kinds
from .sweeps import chart_sweeps
from .timeline import chart_timelines
from .throughput import chart_ratio, chart_throughput

PROG = "scripts/plot"


def target_labels(context):
    """'ext4 on /dev/vda' for each distinct filesystem the data files were on."""
    labels = []
    for target in context.targets:
        where = f" on /dev/{target.block_device}" if target.block_device else \
            f" ({target.mount_source})" if target.mount_source else ""
        label = (target.fs_type or "unknown filesystem") + where
        if label not in labels:
            labels.append(label)
    return labels


def context_line(context):
    """One line saying where the numbers come from: CPU, kernel, filesystem and device."""
    cores = f", {context.cpu_online:g} CPUs" if context.cpu_online else ""
    hypervisor = f", {context.cpu_hypervisor} guest" if context.cpu_hypervisor else ""
    parts = [f"{context.cpu_brand or context.cpu_vendor or 'unknown CPU'}{cores}{hypervisor}"]
    if context.hostname:
        parts.append(f"host {context.hostname}")
    if context.kernel_release:
        parts.append(f"Linux {context.kernel_release}")
    parts.extend(target_labels(context))
    return "  |  ".join(parts)


def run_subtitle(results):
    return f"config {results.config_name}, {results.context.date_utc or '?'}  |  " + \
        context_line(results.context)


def plot_results(charts, results):
    if not results.complete:
        charts.note("throughput", "the run did not finish (complete: false in results.json)"
                    ": the charts show the workloads done so far" +
                    (" (read from its block file: it was still going on, or was killed)"
                     if results.killed else ""))
    if results.incomplete_record:
        charts.note("throughput", "the last record of the block file was cut off (the run "
                    "was killed while writing it): that workload is left out")
    io = [w for w in results.workloads if w.kind == "io"]
    compared = [w for w in results.workloads if w.kind in THROUGHPUT_KINDS]
    others = [w for w in results.workloads if w.kind not in THROUGHPUT_KINDS]
    if others:
        kinds = ", ".join(dict.fromkeys(w.kind for w in others))
        charts.note("throughput", f"{len(others)} workload(s) of kind {kinds} are on the "
                    f"charts of their own figures, not on the throughput charts")
    if compared:
        chart_throughput(charts, results, compared)
        chart_ratio(charts, results, compared)
        chart_sweeps(charts, results, compared)
    else:
        for section in ("throughput", "ratio", "sweeps"):
            charts.skip(section, "no workload of kind io or ipc (compared on throughput)")
    if io:
        chart_latency(charts, results, "latency", io)
        chart_latency(charts, results, "flush", io)
        chart_kernel(charts, results, io)
        chart_timelines(charts, results, io)
    else:
        for section in ("latency", "flush", "kernel", "timeline"):
            charts.skip(section, "no workload of kind io")
    chart_kinds(charts, results)


def parse_size(text):
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. 1280x720")
    if not (320 <= width <= 8000 and 240 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"{text}: width and height must be 320..8000 "
                                         f"and 240..8000 pixels")
    return width, height


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog=PROG, usage=__doc__.split("\n\n")[1].split(": ", 1)[1],
        description=__doc__.split("\n\n")[0], add_help=False)
    parser.add_argument("dir")
    parser.add_argument("--output")
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        sys.exit(0)
    args = parser.parse_args(argv)
    if args.per_page < 1 or args.jobs < 1:
        parser.error("--per-page and --jobs must be at least 1")
    return args


def default_output(source):
    return os.path.join("plots", os.path.basename(os.path.abspath(source)))


def draw(source, out_dir, width, height, per_page, jobs, strict, loaded=None):
    """Draws the charts of source into out_dir; returns (charts, warnings). Raises
    mr.ResultsError, outdir.OutputError or PlotError. loaded: (kind, document) when
    the caller has read source already."""
    kind, doc = loaded or mr.load(source)
    outdir.prepare(out_dir)
    outdir.remove_previous(out_dir)
    if kind == "results":
        subtitle, palette = run_subtitle(doc), Palette(doc.backends)
    else:
        subtitle = compare_subtitle(doc)
        palette = Palette(list(dict.fromkeys(b for _, b in doc.groups())))
    charts = Charts(out_dir, source, kind, width, height, per_page, subtitle, palette,
                    gp.png_terminal())
    (plot_results if kind == "results" else plot_compare)(charts, doc)
    try:
        warnings = charts.run(jobs, strict)
    finally:
        charts.write_manifest()
    return charts, warnings


def say(text, stream=None):
    print(tx.printable(text), file=stream or sys.stdout)


def error(prog, text):
    """A one-line message on stderr, prefixed with the program's name."""
    say(f"{prog}: {' '.join(text.split(chr(10)))}", sys.stderr)


def guarded(prog, action, after_plot_error=None):
    """action()'s exit status; 2 with a one-line message for input or output that cannot
    be used, 1 with gnuplot's messages (and after_plot_error) when a chart failed."""
    try:
        return action()
    except (mr.ResultsError, outdir.OutputError) as e:
        error(prog, str(e))
        return 2
    except OSError as e:
        error(prog, f"{e.filename}: {e.strerror}")
        return 2
    except PlotError as e:
        for line in str(e).splitlines():
            say(f"{prog}: {line}", sys.stderr)
        if after_plot_error:
            error(prog, after_plot_error)
        return 1


def tell(prog, charts, warnings, out_dir):
    """Prints gnuplot's warnings, what was skipped, the notes, and where the charts are."""
    for warning in warnings:
        for line in warning.splitlines():
            say(f"{prog}: warning: {line}", sys.stderr)
    for item in charts.manifest["skipped"]:
        say(f"skipped {item['section']}: {item['why']}")
    for item in charts.manifest["notes"]:
        say(f"note ({item['section']}): {item['text']}")
    count = len(charts.manifest["charts"])
    say(f"{count} chart{'s' if count != 1 else ''} (PNG and SVG) in {out_dir}/")


def main(argv):
    args = parse_args(argv)
    if not shutil.which("gnuplot"):
        error(PROG, "gnuplot is not installed. Install it with 'sudo scripts/install-deps "
              "--test' (Debian/Ubuntu: apt-get install gnuplot-nox; Fedora: dnf install "
              "gnuplot-minimal), then run this again.")
        return 1
    source = os.path.normpath(args.dir)
    out_dir = args.output or default_output(source)

    def plot():
        charts, warnings = draw(source, out_dir, args.size[0], args.size[1], args.per_page,
                                args.jobs, args.strict)
        tell(PROG, charts, warnings, out_dir)
        return 0
    return guarded(PROG, plot)
