#!/usr/bin/env python3
"""Chart and report tests: scripts/plot and scripts/report on real and synthetic results.

Usage: test_plots.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
Environment: MMBENCH (the binary), MMBENCH_SOURCE (the source tree).
Exit status 0 = pass, 1 = fail, 77 = skipped (gnuplot is not installed).
"""
import base64
import csv
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import mmtest
from mmtest import Failure, check

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
SOURCE = os.path.abspath(os.environ.get("MMBENCH_SOURCE", "."))
PLOT = os.path.join(SOURCE, "scripts", "plot")
REPORT = os.path.join(SOURCE, "scripts", "report")
WIDTH, HEIGHT = 1000, 600   # the chart size the tests ask for
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"




def run(command, cwd, expect=0, env=None, timeout=120):
    """Runs a command; returns (stdout, stderr)."""
    return mmtest.run(command, cwd, expect, timeout, env)


def mmbench_run(tmp, name, config):
    """Runs mmbench on a config; returns its results directory."""
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    out = os.path.join(tmp, name)
    run([MMBENCH, path, "--output", out], cwd=tmp)
    return out


def plot(tmp, source, out, *extra):
    """scripts/plot --strict at the test size; fails on any gnuplot warning."""
    stdout, stderr = run([sys.executable, PLOT, source, "--output", out, "--strict",
                          "--size", f"{WIDTH}x{HEIGHT}"] + list(extra), cwd=tmp)
    check("warning" not in stderr.lower(), f"scripts/plot warned:\n{stderr}")
    return stdout


def check_png(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == PNG_SIGNATURE, f"{path}: not a PNG file")
    check(head[12:16] == b"IHDR", f"{path}: no IHDR chunk first")
    width, height = struct.unpack(">II", head[16:24])
    check((width, height) == (WIDTH, HEIGHT),
          f"{path}: {width}x{height} pixels, asked for {WIDTH}x{HEIGHT}")


def check_svg(path):
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as e:
        raise Failure(f"{path}: not well-formed XML: {e}")
    check(root.tag == "{http://www.w3.org/2000/svg}svg", f"{path}: root is {root.tag}, not svg")
    check((root.get("width"), root.get("height")) == (str(WIDTH), str(HEIGHT)),
          f"{path}: size {root.get('width')}x{root.get('height')}")


def check_charts(out, expected):
    """Every chart of the manifest is a valid PNG and SVG; the names are those expected."""
    with open(os.path.join(out, "charts.json")) as f:
        manifest = json.load(f)
    names = sorted(c["name"] for c in manifest["charts"])
    check(names == sorted(expected),
          f"charts {names}\nmissing {sorted(set(expected) - set(names))}, "
          f"extra {sorted(set(names) - set(expected))}")
    for name in names:
        check_png(os.path.join(out, name + ".png"))
        check_svg(os.path.join(out, name + ".svg"))
    return manifest


def read_tsv(path):
    """Rows of a chart data file (comment lines and block separators skipped)."""
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f
                if line.strip() and not line.startswith("#")]


def close(a, b):
    return abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1e-12)


def check_report(out, chart_count, texts):
    """report.md links every chart and holds texts; report.html embeds every PNG."""
    with open(os.path.join(out, "report.md")) as f:
        markdown = f.read()
    for text in texts:
        check(text in markdown, f"report.md lacks {text!r}")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", markdown)
    check(len(links) == chart_count, f"report.md links {len(links)} charts, not {chart_count}")
    for link in links:
        check(os.path.isfile(os.path.join(out, link)), f"report.md links a missing {link}")
    with open(os.path.join(out, "report.html")) as f:
        page = f.read()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    check(len(images) == chart_count, f"report.html embeds {len(images)} PNGs, not {chart_count}")
    check(base64.b64decode(images[0])[:8] == PNG_SIGNATURE, "embedded image is not a PNG")
    check("src=\"" not in page.replace("src=\"data:", ""), "report.html refers to outside files")


def tiny(workloads, **defaults):
    return mmtest.tiny("plots", workloads, **{"repetitions": 3, **defaults})


# ---- subtests ----

def test_run(tmp):
    """A real run: a block_size sweep and a write workload with flushes."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    results_dir = mmbench_run(tmp, "run", tiny(
        [{"name": "randread", "pattern": "random", "block_size": ["4KiB", "16KiB", "64KiB"]},
         {"name": "seqwrite", "pattern": "sequential", "op": "write", "sync": "fsync",
          "sync_every": 100}], dir=data))
    out = os.path.join(tmp, "charts")
    # The report draws the charts itself when they are missing.
    stdout, stderr = run([sys.executable, REPORT, results_dir, "--output", out, "--strict",
                          "--size", f"{WIDTH}x{HEIGHT}"], cwd=tmp)
    check("warning" not in stderr.lower(), f"scripts/report warned:\n{stderr}")
    expected = ["throughput", "ratio", "sweep-randread-block_size",
                "sweep-randread-block_size-ratio", "latency-1", "latency-2", "latency-3",
                "latency-4", "flush-4", "kernel"]
    check_charts(out, expected)
    results = mmtest.load_results(results_dir)
    # The data behind the charts is the data of the run.
    ratios = {c["workload"]: c for c in results["comparisons"]}
    names = [w["name"] for w in results["config"]["workloads"]]
    rows = read_tsv(os.path.join(out, "data", "ratio.tsv"))
    check(len(rows) == 4, f"ratio chart has {len(rows)} workloads")
    for row, name in zip(rows, names):
        check(close(float(row[1]), ratios[name]["ratio"]), f"{name}: ratio {row[1]}")
        check(close(float(row[2]), ratios[name]["ci_low"]), f"{name}: CI {row[2]}")
    medians = {(s["workload"], s["backend"]): s["tput_median_mib_s"]
               for s in results["summaries"]}
    for row, name in zip(read_tsv(os.path.join(out, "data", "throughput.tsv")), names):
        check(close(float(row[2]), medians[(name, "mmap")]), f"{name}: mmap median {row[2]}")
        check(close(float(row[6]), medians[(name, "pread")]), f"{name}: pread median {row[6]}")
    sweep = read_tsv(os.path.join(out, "data", "sweep-randread-block_size.tsv"))
    check([float(r[0]) for r in sweep] == [4096, 16384, 65536] * 2,
          f"sweep x values {[r[0] for r in sweep]}")
    # The latency curve ends at the last bucket's lower bound, at the share of operations
    # below it (written with enough digits to tell 99.98 from 99.9833).
    histogram = next(s["latency_histogram"] for s in results["summaries"]
                     if s["workload"] == names[0] and s["backend"] == "mmap")
    last = read_tsv(os.path.join(out, "data", "latency-1.tsv"))
    below = histogram["count"] - histogram["buckets"][-1][2]
    check(any(float(r[0]) == histogram["buckets"][-1][0] and
              abs(float(r[1]) - 100.0 * below / histogram["count"]) < 1e-9 for r in last),
          "the latency curve does not end at the last bucket")
    flush = read_tsv(os.path.join(out, "data", "flush-4.tsv"))
    percents = [float(r[1]) for r in flush]
    check(all(0 <= p < 100 for p in percents) and percents[0] == 0,
          "flush percentile curve out of [0, 100)")
    check_report(out, len(expected), [
        "## Where it ran", results["context"]["kernel"]["release"],
        results["context"]["targets"][0]["fs_type"], "THP", "governor",
        ratios["seqwrite"]["verdict"], results["warnings"][0] if results["warnings"] else "",
        "`randread/block_size=16KiB`"])
    # Plotting again replaces the charts, and leaves nothing of the previous ones.
    plot(tmp, results_dir, out, "--per-page", "2")
    check_charts(out, ["throughput-1", "throughput-2", "ratio-1", "ratio-2",
                       "sweep-randread-block_size", "sweep-randread-block_size-ratio",
                       "latency-1", "latency-2", "latency-3", "latency-4", "flush-4",
                       "kernel-1", "kernel-2"])
    check(not os.path.exists(os.path.join(out, "throughput.png")), "stale throughput.png")


def test_single(tmp):
    """One workload, one repetition: no sweep, no flush, no confidence intervals."""
    results_dir = mmbench_run(tmp, "single", tiny([{"name": "randread", "pattern": "random"}],
                                                   repetitions=1, ops=500, dir=tmp))
    out = os.path.join(tmp, "charts")
    stdout = plot(tmp, results_dir, out)
    manifest = check_charts(out, ["throughput", "ratio", "latency-1", "kernel"])
    skipped = {s["section"] for s in manifest["skipped"]}
    check({"sweeps", "flush"} <= skipped, f"skipped sections {skipped}")
    check("skipped sweeps" in stdout and "skipped flush" in stdout, stdout)
    row = read_tsv(os.path.join(out, "data", "throughput.tsv"))[0]
    check(row[3] == "NaN" and row[4] == "NaN", f"an interval was drawn from nothing: {row}")
    with open(os.path.join(out, "data", "throughput.gp")) as f:
        script = f.read()
    check("shasci[2] = [0, 0]" in script and "anyci = 0" in script,
          "error bars requested without intervals")


def write_compare(path):
    """A comparison directory as docs/compare.md describes it: three runs, the second
    with too few repetitions for intervals, one workload not comparable."""
    os.makedirs(path)
    labels = ["6.1.0 ext4", "6.8.0 ext4", "6.8.0 xfs"]
    workloads = ["randread", "randwrite", "r/block_size=4KiB,threads=2"]
    columns = ["workload", "backend", "run", "run_index", "run_dir", "tput_median_mib_s",
               "tput_ci_low_mib_s", "tput_ci_high_mib_s", "repetitions", "ratio_to_baseline",
               "ratio_ci_low", "ratio_ci_high", "change_pct", "significant", "regressed",
               "mmap_pread_ratio"]
    rows = []
    for w, workload in enumerate(workloads):
        for b, backend in enumerate(("mmap", "pread")):
            base = 1000.0 * (w + 1) * (1.7 if backend == "mmap" else 1.0)
            for r, label in enumerate(labels):
                factor = (1.0, 0.8 + 0.1 * w, 1.15)[r]
                median = base * factor
                reps = 2 if r == 1 else 5
                row = {"workload": workload, "backend": backend, "run": label, "run_index": r,
                       "run_dir": f"results/run{r}", "tput_median_mib_s": median,
                       "tput_ci_low_mib_s": median * 0.95 if reps >= 3 else None,
                       "tput_ci_high_mib_s": median * 1.04 if reps >= 3 else None,
                       "repetitions": reps, "ratio_to_baseline": factor,
                       "ratio_ci_low": factor * 0.93 if reps >= 3 else None,
                       "ratio_ci_high": factor * 1.06 if reps >= 3 else None,
                       "change_pct": (factor - 1) * 100,
                       "significant": reps >= 3 and abs(factor - 1) > 0.07,
                       "regressed": factor < 0.85,
                       "mmap_pread_ratio": 1.7 * (1 + 0.05 * r)}
                rows.append(row)
    with open(os.path.join(path, "compare.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool)
                             else v for k, v in row.items()})
    compare = {
        "schema_version": 2, "tool": "mmbench-compare", "baseline": labels[0],
        "fail_above_pct": 10,
        "runs": [{"label": label, "dir": f"results/run{i}", "kernel_release": label.split()[0],
                  "fs_type": label.split()[1], "mount_options": "rw,relatime",
                  "cpu": "AMD EPYC", "hostname": "vm", "mmbench_version": "1.0",
                  "date_utc": f"2026-11-2{i}T10:00:00Z", "config": "random_4k"}
                 for i, label in enumerate(labels)],
        "differences": {"kernel_release": ["6.1.0", "6.8.0", "6.8.0"],
                        "fs_type": ["ext4", "ext4", "xfs"]},
        "rows": rows,
        "not_comparable": [{"workload": "seqwrite", "runs": labels[:2],
                            "reason": "parameters differ: file_size_bytes"}],
        "regressions": [{"workload": r["workload"], "backend": r["backend"], "run": r["run"],
                         "ratio": r["ratio_to_baseline"]} for r in rows if r["regressed"]],
    }
    with open(os.path.join(path, "compare.json"), "w") as f:
        json.dump(compare, f, indent=1)
    return compare


def test_compare(tmp):
    """A comparison directory: throughput per run, ratio to the baseline, mmap/pread."""
    source = os.path.join(tmp, "compare-synthetic")
    compare = write_compare(source)
    out = os.path.join(tmp, "charts")
    plot(tmp, source, out)
    expected = ["throughput", "ratio-to-baseline", "mmap-pread"]
    manifest = check_charts(out, expected)
    check(any("seqwrite" in n["text"] for n in manifest["notes"]),
          "the not-comparable workload is not mentioned")
    rows = read_tsv(os.path.join(out, "data", "ratio-to-baseline.tsv"))
    check(len(rows) == 6, f"{len(rows)} workload x backend groups, expected 6")
    # Series: the two runs that are not the baseline; 5 columns each.
    first = [r for r in compare["rows"] if r["workload"] == "randread" and
             r["backend"] == "mmap"]
    check(close(float(rows[0][1]), first[1]["ratio_to_baseline"]), f"ratio {rows[0][1]}")
    check(rows[0][2] == "NaN", "the run without intervals got one")
    check(close(float(rows[0][7]), first[2]["ratio_ci_low"]), f"CI {rows[0][7]}")
    run([sys.executable, REPORT, source, "--output", out], cwd=tmp)
    check_report(out, len(expected), ["6.1.0 ext4", "6.8.0 xfs", "Not comparable",
                                      "seqwrite", "kernel_release", "REGRESSED"])
    # The comparison mmbench writes itself, where this build has it.
    runs = [mmbench_run(tmp, f"run{i}", tiny([{"name": "randread"}], ops=300, dir=tmp))
            for i in range(2)]
    real = os.path.join(tmp, "compare-real")
    proc = subprocess.run([MMBENCH, "compare"] + runs + ["--output", real], cwd=tmp,
                          capture_output=True, text=True, timeout=60)
    if proc.returncode == 0 and os.path.isfile(os.path.join(real, "compare.json")):
        out = os.path.join(tmp, "charts-real")
        plot(tmp, real, out)
        check_charts(out, expected)
    else:
        print(f"note: mmbench compare not usable in this build (exit {proc.returncode}); "
              f"synthetic comparison only")


def test_many(tmp):
    """60 workloads (a 10 x 3 x 2 sweep): bar charts split into pages of 20, sweep charts
    into pages of 4 series, one latency chart per workload."""
    results_dir = mmbench_run(tmp, "many", tiny(
        [{"name": "r", "block_size": ["512", "1KiB", "2KiB", "4KiB", "8KiB", "16KiB",
                                      "32KiB", "64KiB", "128KiB", "256KiB"],
          "threads": [1, 2, 4], "pattern": ["random", "sequential"]}],
        file_size="1MiB", ops=200, repetitions=1, latency="all", dir=tmp))
    out = os.path.join(tmp, "charts")
    stdout = plot(tmp, results_dir, out)
    pages = lambda stem, n: [f"{stem}-{i}" for i in range(1, n + 1)]  # noqa: E731
    expected = (pages("throughput", 3) + pages("ratio", 3) + pages("kernel", 3) +
                pages("latency", 60) + pages("sweep-r-block_size", 2) +
                pages("sweep-r-block_size-ratio", 2) + pages("sweep-r-threads", 5) +
                pages("sweep-r-threads-ratio", 5))
    check_charts(out, expected)
    for page in pages("throughput", 3):
        rows = read_tsv(os.path.join(out, "data", page + ".tsv"))
        check(len(rows) == 20, f"{page}: {len(rows)} workloads, expected 20")
    labels = [r[1] for r in read_tsv(os.path.join(out, "data", "throughput-1.tsv"))]
    check(labels[:2] == ["512B, 1, random", "512B, 1, sequential"],
          f"sweep points not labelled by their values: {labels[:2]}")
    check("pattern (not a number) drawn as series" in stdout, stdout)
    run([sys.executable, REPORT, results_dir, "--output", out, "--no-html"], cwd=tmp)
    check(os.path.isfile(os.path.join(out, "report.md")), "no report.md")


def test_errors(tmp):
    """Without gnuplot, or on a directory that holds no results: a message, no charts."""
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    env = dict(os.environ, PATH=os.path.join(tmp, "nowhere"))
    _, stderr = run([sys.executable, PLOT, empty], cwd=tmp, expect=1, env=env)
    check("gnuplot is not installed" in stderr and "scripts/install-deps --test" in stderr,
          f"no advice on the missing gnuplot:\n{stderr}")
    check(not os.path.exists(os.path.join(tmp, "plots")), "made plots/ without gnuplot")
    if shutil.which("gnuplot"):
        _, stderr = run([sys.executable, PLOT, empty], cwd=tmp, expect=2)
        check("neither results.json" in stderr, stderr)
    _, stderr = run([sys.executable, REPORT, empty], cwd=tmp, expect=2)
    check("neither results.json" in stderr, stderr)
    _, stderr = run([sys.executable, PLOT, empty, "--size", "big"], cwd=tmp, expect=2)
    check("expected WIDTHxHEIGHT" in stderr, stderr)
    stdout, _ = run([sys.executable, PLOT, "--help"], cwd=tmp)
    check("usage: scripts/plot DIR" in stdout, stdout)


NEEDS_GNUPLOT = {"run", "single", "compare", "many"}


def main():
    if len(sys.argv) == 2 and sys.argv[1] in NEEDS_GNUPLOT and not shutil.which("gnuplot"):
        print(f"skip {sys.argv[1]}: gnuplot is not installed (scripts/install-deps --test)")
        return mmtest.SKIP
    return mmtest.main(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
