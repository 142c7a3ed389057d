#!/usr/bin/env python3
"""Chart and report tests: scripts/plot and scripts/report on real and synthetic results.

Usage: test_plots.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
Environment: MMBENCH (the binary), MMBENCH_SOURCE (the source tree).
Exit status 0 = pass, 1 = fail, 77 = skipped (gnuplot is not installed).
"""
import base64
import concurrent.futures
import contextlib
import csv
import html
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import traceback
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


def md_escaped(text):
    """text as report.md writes it outside code spans (Markdown's specials escaped)."""
    return "".join("\\" + c if c in "\\`*[]<>|~&#!" else c for c in text)


def tiny(workloads, **defaults):
    """A small config of mmap and pread (test_run and test_backends run every backend)."""
    return mmtest.tiny("plots", workloads, **{"repetitions": 3, "backends": ["mmap", "pread"],
                                              **defaults})


# ---- subtests ----

def series_index(out, chart, title):
    """The 0-based series of a chart whose legend entry starts with title."""
    titles = texts(driver(out, chart), "stitle")
    found = [i for i, t in enumerate(titles) if t.startswith(title)]
    check(found, f"{chart}: no series {title!r} among {titles}")
    return found[0]


def test_run(tmp):
    """A real run of every backend mmbench has here: a block_size sweep and a write
    workload with flushes."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = tiny([{"name": "randread", "pattern": "random", "block_size": ["4KiB", "16KiB",
                                                                          "64KiB"]},
                {"name": "seqwrite", "pattern": "sequential", "op": "write", "sync": "fsync",
                 "sync_every": 100}], dir=data)
    del cfg["defaults"]["backends"]
    results_dir = mmbench_run(tmp, "run", cfg)
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
    # The data behind the charts is the data of the run, for every backend it ran.
    backends = list(dict.fromkeys(s["backend"] for s in results["summaries"]))
    names = [w["name"] for w in results["config"]["workloads"]]
    rows = read_tsv(os.path.join(out, "data", "ratio.tsv"))
    check(len(rows) == 4, f"ratio chart has {len(rows)} workloads")
    ratios = {(c["workload"], c["numerator"], c["denominator"]): c
              for c in results["comparisons"]}
    pairs = list(dict.fromkeys(key[1:] for key in ratios))
    check(len(pairs) == len(backends) - 1, f"comparisons {pairs} of backends {backends}")
    for numerator, denominator in pairs:
        k = series_index(out, "ratio", f"{numerator} / {denominator}")
        for row, name in zip(rows, names):
            c = ratios[(name, numerator, denominator)]
            check(close(float(row[1 + 5 * k]), c["ratio"]),
                  f"{name}: {numerator}/{denominator} ratio {row[1 + 5 * k]}")
            check(close(float(row[2 + 5 * k]), c["ci_low"]), f"{name}: CI {row[2 + 5 * k]}")
    medians = {(s["workload"], s["backend"]): s["tput_median_mib_s"]
               for s in results["summaries"]}
    throughput = read_tsv(os.path.join(out, "data", "throughput.tsv"))
    for backend in backends:
        k = series_index(out, "throughput", backend)
        for row, name in zip(throughput, names):
            check(close(float(row[1 + 4 * k]), medians[(name, backend)]),
                  f"{name}: {backend} median {row[1 + 4 * k]}")
            check(row[-1] == name, f"throughput.tsv labels {row[-1]!r}, not {name!r}")
    sweep = read_tsv(os.path.join(out, "data", "sweep-randread-block_size.tsv"))
    check([float(r[0]) for r in sweep] == [4096, 16384, 65536] * len(backends),
          f"sweep x values {[r[0] for r in sweep]}")
    headline = {c["workload"]: c for c in results["comparisons"] if c["headline"]}
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
        md_escaped(headline["seqwrite"]["verdict"]),
        md_escaped(results["warnings"][0]) if results["warnings"] else "",
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
    check(row[2] == "NaN" and row[3] == "NaN", f"an interval was drawn from nothing: {row}")
    with open(os.path.join(out, "data", "throughput.gp")) as f:
        script = f.read()
    check(re.search(r"^array shasci\[\d+\] = \[0(, 0)*\]$", script, re.M) and
          "anyci = 0" in script, "error bars requested without intervals")


def write_compare(path, labels=("6.1.0 ext4", "6.8.0 ext4", "6.8.0 xfs"),
                  workloads=("randread", "randwrite", "r/block_size=4KiB,threads=2")):
    """A comparison directory as docs/compare.md describes it: three runs, the second
    with too few repetitions for intervals, one workload not comparable."""
    os.makedirs(path)
    labels, workloads = list(labels), list(workloads)
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
        "runs": [{"label": label, "dir": f"results/run{i}", "complete": True,
                  "interrupted": False, "kernel_release": label[:5],
                  "fs_type": label[6:], "mount_options": "rw,relatime",
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
    labels = [r[-1] for r in read_tsv(os.path.join(out, "data", "throughput-1.tsv"))]
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


# ---- hostile strings ----

# Strings a shell, gnuplot, HTML or Markdown could read as code. The commands in them
# create PWNED_* files in the directory they run in (the current directory of gnuplot and
# of its shell: the tests run the scripts in a directory of their own).
HOSTILE = [
    "wr `touch${IFS}PWNED_1` then flush it x",
    'sys system("touch PWNED_2") "`touch${IFS}PWNED_3`"',
    "q'uote''s \"dq\" '`touch${IFS}PWNED_4`' \"",
    "nl\nsystem('touch PWNED_5')\n`touch${IFS}PWNED_6`",
    "@m @xticspec `@m` $(touch PWNED_7) @",
    "'''leading quotes, a trailing backslash \\",
    "<script>alert('x')</script> & <img src=x onerror=alert(1)> ]]> &amp;",
    "| a | b | [link](javascript:alert(1)) ![i](x.png) **b** # h",
    "long " + "x" * 300 + " `touch${IFS}PWNED_8`",
    "ünï cødé 中文 ✓ \u202eRTL \x1b[31mred\x07 \ufeff",
    "tab\there\rcr \\\n`touch${IFS}PWNED_9` \\",
]
OLD_COMMIT = "1f9f58ecc6a9aea68e6274a1f8db3d15fa77fffb"   # the last plot without quoting


def pwned(root):
    """The PWNED_* files anywhere under root: commands that ran."""
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root)
                  for f in files if f.startswith("PWNED"))


def safe(text):
    """A chart's file name part, as scripts/plot makes it."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)


def gnuplot_strings_checked(out):
    """Every driver and variables script in out/data: outside single-quoted strings no
    backquote, @, hash or control character; double-quoted strings hold only \\n and
    octal escapes. (What scripts/mmcharts/gnuplot.py promises.)"""
    for name in os.listdir(os.path.join(out, "data")):
        if not name.endswith(".gp"):
            continue
        with open(os.path.join(out, "data", name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for number, line in enumerate(lines[1:], 2):   # line 1 is our comment
            where = f"{name} line {number}"
            check(all(c.isprintable() for c in line), f"{where}: a control character")
            rest = re.sub(r"'[^']*'", "", line)   # single-quoted: gnuplot reads nothing
            for quoted in re.findall(r'"([^"]*)"', rest):
                check(re.fullmatch(r"(\\n|\\[0-7]{3})+", quoted),
                      f"{where}: a double-quoted string {quoted!r}")
            rest = re.sub(r'"[^"]*"', "", rest)
            check(not re.search(r"[`@#'\\]", rest), f"{where}: {rest[:200]!r} outside strings")


def hostile_run(tmp):
    """A real run whose workload names, parameters, context, warnings and verdicts hold
    the hostile strings: the write workload is named so in its config (mmbench takes
    that name), the rest is renamed in results.json afterwards."""
    data = os.path.join(tmp, "data")
    os.makedirs(data, exist_ok=True)
    plain = len(HOSTILE) - 2
    results_dir = mmbench_run(tmp, "hostile", tiny(
        [{"name": "sw", "block_size": ["4KiB", "8KiB"], "pattern": ["random", "sequential"]},
         {"name": HOSTILE[0], "op": "write", "sync": "fsync", "sync_every": 100}] +
        [{"name": f"r{i}"} for i in range(plain)], file_size="1MiB", ops=300, dir=data))
    path = os.path.join(results_dir, "results.json")
    with open(path) as f:
        doc = json.load(f)
    names = {f"r{i}": HOSTILE[2 + i] for i in range(plain)}
    names["sw"] = HOSTILE[1]

    def rename(name):
        base, sep, labels = name.partition("/")
        return names.get(base, base) + sep + labels

    for w in doc["config"]["workloads"]:
        if w["base_name"] == "sw" and w["params"]["pattern"] == "sequential":
            w["params"]["pattern"] = HOSTILE[3]
        w["name"], w["base_name"] = rename(w["name"]), rename(w["base_name"])
        w["params"]["dir"] = HOSTILE[7]
    for block in doc["workloads"]:
        block["name"], block["base_name"] = rename(block["name"]), rename(block["base_name"])
        block["checksum"]["text"] = HOSTILE[7]
        block["explanation"] = HOSTILE[5]
        block["warnings"] += HOSTILE[:3]
        for item in block["runs"]:
            if item["flush_call"] not in (None, "none"):
                item["flush_call"] = HOSTILE[3]
        for c in block["comparisons"]:
            c.update(verdict=HOSTILE[6])
    doc["config"].update(name=HOSTILE[4], description=HOSTILE[8], source=HOSTILE[1])
    context = doc["context"]
    context.update(hostname=HOSTILE[5], command_line=HOSTILE[2], date_utc=HOSTILE[3])
    context["kernel"]["release"] = HOSTILE[6]
    context["cpu"]["brand"] = HOSTILE[7]
    for target in context["targets"]:
        target.update(fs_type=HOSTILE[9], block_device=HOSTILE[10], mount_options=HOSTILE[1])
    doc["warnings"] += HOSTILE
    with open(path, "w") as f:
        json.dump(doc, f)
    return results_dir, doc


def as_version1(results_dir, out_dir):
    """A copy of a results directory with its results.json as version 1 had it (flat runs,
    summaries and comparisons, each naming its workload; percentiles always given, which
    the old scripts/plot needs), for the old scripts/plot."""
    doc = mmtest.load_results(results_dir)
    flat = {key: [item for item in doc[key]] for key in ("runs", "summaries", "comparisons")}
    for s in flat["summaries"]:
        s.update({k: s[k] or 0 for k in ("latency_p50_ns", "latency_p99_ns", "flush_p50_ns",
                                          "flush_p99_ns")})
    doc = {k: v for k, v in doc.items() if k not in ("workloads", "blocks")}
    doc.update(flat, schema_version=1)
    os.makedirs(out_dir)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(doc, f)
    return out_dir


def old_plot(tmp):
    """scripts/plot as it was before strings were quoted (OLD_COMMIT), or None where the
    source is not a git checkout that has it."""
    old = os.path.join(tmp, "old")
    names = ["scripts/plot", "scripts/mmresults.py"] + \
        [f"scripts/gnuplot/{n}.gp" for n in ("bars-panel", "bars", "common", "kernel",
                                             "latency", "ratio", "sweep")]
    for name in names:
        try:
            proc = subprocess.run(["git", "-C", SOURCE, "show", f"{OLD_COMMIT}:{name}"],
                                  capture_output=True, timeout=60)
        except OSError:
            return None
        if proc.returncode != 0:
            return None
        os.makedirs(os.path.dirname(os.path.join(old, name)), exist_ok=True)
        with open(os.path.join(old, name), "wb") as f:
            f.write(proc.stdout)
    return os.path.join(old, "scripts", "plot")


def check_hostile_charts(out, expected):
    """The charts are there and drawn (PNG of the size asked and not near-empty, SVG
    well-formed), and every gnuplot script holds strings only as gnuplot.py quotes them."""
    check_charts(out, expected)
    for name in expected:
        size = os.path.getsize(os.path.join(out, name + ".png"))
        check(size > 8000, f"{name}.png: {size} bytes, too small to hold a chart")
    gnuplot_strings_checked(out)


def check_hostile_report(out):
    """report.md: every table row has as many cells as its header and nothing leaves its
    line; report.html: no markup from the names, only their escaped text."""
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        markdown = f.read()
    cells = None
    for line in markdown.split("\n"):
        if not line.startswith("|"):
            cells = None
            continue
        count = len(re.findall(r"(?<!\\)\|", line))
        cells = cells or count
        check(count == cells, f"report.md: a table row with {count - 1} cells, not "
              f"{cells - 1}: {line[:200]!r}")
    # Code spans show their text as it is (no markup inside); outside them, nothing.
    prose = re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", "", markdown)
    for bad in ("<script", "<img", "](javascript", "![i]"):
        check(not re.search(r"(?<!\\)" + re.escape(bad), prose),
              f"report.md holds {bad!r} unescaped")
    check(not re.search("[\x00-\x09\x0b-\x1f\u2028\u2029]", markdown),
          "report.md holds control characters")
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        page = f.read()
    check("&lt;script&gt;alert(" in page, "report.html lacks the escaped hostile name")
    for bad in ("<script", "<img src=x", "onerror=alert(1)>", "\x1b"):
        check(bad not in page, f"report.html holds {bad!r} unescaped")


def test_hostile(tmp):
    """Hostile strings everywhere in a real run and in a comparison: the old plot ran the
    commands in them; now nothing runs, every chart is drawn, and the reports escape them."""
    results_dir, doc = hostile_run(tmp)
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    old = old_plot(tmp)
    if old:
        version1 = as_version1(results_dir, os.path.join(tmp, "version1"))
        run([sys.executable, old, version1, "--output", os.path.join(work, "old"),
             "--size", f"{WIDTH}x{HEIGHT}"], cwd=work, expect=None)
        ran = pwned(work)
        check(ran, "the old scripts/plot ran no command: this test would not see one")
        print(f"the old scripts/plot ran {len(ran)} commands: "
              f"{' '.join(os.path.basename(p) for p in ran)}")
        for path in ran:
            os.remove(path)
    else:
        print(f"note: {SOURCE} is not a git checkout holding {OLD_COMMIT[:7]}: the old "
              f"scripts/plot was not run")
    # The output directory's name is hostile too: gnuplot gets it as a file name.
    out = os.path.join(work, os.fsdecode(b"out `touch${IFS}PWNED_D` '$(touch PWNED_E)'\n\"x"
                                         b" \xff\xfe (not UTF-8)"))
    run([sys.executable, REPORT, results_dir, "--output", out, "--strict",
         "--size", f"{WIDTH}x{HEIGHT}"], cwd=work)
    check(not pwned(tmp), f"commands ran: {pwned(tmp)}")
    workloads = doc["config"]["workloads"]
    flushed = next(w for w in workloads if w["name"] == HOSTILE[0])
    sweep = f"sweep-{safe(HOSTILE[1])}-block_size"
    expected = ["throughput", "ratio", "kernel", f"flush-{workloads.index(flushed) + 1}",
                sweep, sweep + "-ratio"] + \
        [f"latency-{n}" for n in range(1, len(workloads) + 1)]
    check_hostile_charts(out, expected)
    check_hostile_report(out)
    with open(os.path.join(out, "data", sweep + ".gp"), encoding="utf-8") as f:
        check("pattern=nl system(" in f.read(), "the sweep's series lost their parameter values")
    # A comparison with hostile run labels and workload names.
    source = os.path.join(tmp, "compare-hostile")
    write_compare(source, labels=HOSTILE[:3], workloads=HOSTILE[3:])
    out = os.path.join(work, "compare")
    run([sys.executable, REPORT, source, "--output", out, "--strict",
         "--size", f"{WIDTH}x{HEIGHT}"], cwd=work)
    check(not pwned(tmp), f"commands ran: {pwned(tmp)}")
    check_hostile_charts(out, ["throughput", "ratio-to-baseline", "mmap-pread"])
    check_hostile_report(out)


def test_sent_output(tmp):
    """An output directory someone prepared: a manifest naming files elsewhere, charts and
    data files that are symlinks to files elsewhere. scripts/plot removes and writes only
    its own files there (the symlinks are replaced, their targets kept), and refuses a
    data/ that is a symlink."""
    results_dir = mmbench_run(tmp, "sent", tiny([{"name": "r"}], ops=300, dir=tmp))
    out = os.path.join(tmp, "out")
    os.makedirs(os.path.join(out, "data"))
    victims = {name: os.path.join(tmp, name) for name in ("v1", "v2", "v3", "v4", "v5")}
    for path in victims.values():
        with open(path, "w") as f:
            f.write("keep me\n")
    manifest = {"source": "x", "kind": "results", "size": [1, 1], "skipped": [], "notes": [],
                "charts": [{"name": "a", "section": "s", "title": "t", "caption": "",
                            "files": ["../v1", victims["v2"]], "script": "data/../../v3",
                            "data": []}]}
    with open(os.path.join(out, "charts.json"), "w") as f:
        json.dump(manifest, f)
    os.symlink(victims["v4"], os.path.join(out, "throughput.png"))
    os.symlink(victims["v5"], os.path.join(out, "data", "throughput.tsv"))
    run([sys.executable, REPORT, results_dir, "--output", out], cwd=tmp)
    for name, path in victims.items():
        with open(path) as f:
            check(f.read() == "keep me\n", f"{name} outside the output directory changed")
    for name in ("throughput.png", os.path.join("data", "throughput.tsv")):
        check(not os.path.islink(os.path.join(out, name)), f"{name} is still a symlink")
    size = os.path.getsize(os.path.join(out, "throughput.png"))
    check(size > 8000, f"throughput.png: {size} bytes")
    linked = os.path.join(tmp, "linked")
    os.makedirs(linked)
    os.symlink(tmp, os.path.join(linked, "data"))
    _, stderr = run([sys.executable, PLOT, results_dir, "--output", linked], cwd=tmp, expect=2)
    check("not a directory (a symlink or a file)" in stderr, stderr)


# ---- more backends than mmap and pread ----

def gp_array(script, name):
    """The items of 'array name[n] = [...]' in a driver script (single-quoted strings
    without quotes in them, or numbers)."""
    match = re.search(rf"^array {name}\[\d+\] = \[(.*)\]$", script, re.M)
    check(match, f"no array {name}")
    return re.findall(r"'([^']*)'|([-0-9.e]+)", match.group(1))


def texts(script, name):
    return [text for text, _ in gp_array(script, name)]


def add_backends(results_dir):
    """Adds to a real results.json the backends read (pread's rows, 0.8 times the
    throughput), xfer and zcopy (mmap's, 1.2 and 0.6 times), each compared with pread.
    Returns {backend: factor on the original backend's throughput}."""
    path = os.path.join(results_dir, "results.json")
    with open(path) as f:
        doc = json.load(f)
    added = {"read": ("pread", 0.8), "xfer": ("mmap", 1.2), "zcopy": ("mmap", 0.6)}
    tput = ("tput_median_mib_s", "tput_ci_low_mib_s", "tput_ci_high_mib_s")
    for block in doc["workloads"]:
        for name, (source, factor) in added.items():
            for s in [s for s in block["summaries"] if s["backend"] == source]:
                copy = dict(s, backend=name)
                copy.update({k: s[k] * factor for k in tput if s[k] is not None})
                block["summaries"].append(copy)
            block["runs"] += [dict(r, backend=name) for r in block["runs"]
                              if r["backend"] == source]
            for c in [c for c in block["comparisons"] if c["numerator"] == "mmap"]:
                scale = factor if source == "pread" else factor * c["ratio"]
                copy = dict(c, numerator=name, ratio=scale, headline=False,
                            verdict=f"{name} {scale:.2f}x as fast as pread")
                if source == "mmap" and c["ci_low"] is not None:
                    copy.update(ci_low=c["ci_low"] * factor, ci_high=c["ci_high"] * factor)
                elif source == "pread":
                    copy.update(ci_low=factor * 0.95, ci_high=factor * 1.05)
                block["comparisons"].append(copy)
    with open(path, "w") as f:
        json.dump(doc, f)
    return mmtest.load_results(results_dir)


def test_backends(tmp):
    """Five backends (mmap, pread, read, and xfer, zcopy that no palette knows): each
    keeps one colour on every chart, the known ones theirs, the unknown ones the next
    palette colours in order; the ratio chart has one series per backend over pread."""
    sys.path.insert(0, os.path.join(SOURCE, "scripts"))
    from mmcharts import palette
    results_dir = mmbench_run(tmp, "backends", tiny(
        [{"name": "sw", "block_size": ["4KiB", "16KiB"]},
         {"name": "w", "op": "write", "sync": "fsync", "sync_every": 100}], ops=500, dir=tmp))
    doc = add_backends(results_dir)
    out = os.path.join(tmp, "charts")
    run([sys.executable, REPORT, results_dir, "--output", out, "--strict",
         "--size", f"{WIDTH}x{HEIGHT}"], cwd=tmp)
    check_charts(out, ["throughput", "ratio", "sweep-sw-block_size",
                       "sweep-sw-block_size-ratio", "latency-1", "latency-2", "latency-3",
                       "flush-3", "kernel"])
    backends = ["mmap", "pread", "read", "xfer", "zcopy"]
    expected = {b: palette.KNOWN_BACKENDS[b][0] for b in backends[:3]}
    expected.update(xfer=palette.OTHER_BACKENDS[0][0], zcopy=palette.OTHER_BACKENDS[1][0])
    seen = {}
    data = os.path.join(out, "data")
    for name in sorted(os.listdir(data)):
        if not name.endswith(".gp"):
            continue
        with open(os.path.join(data, name)) as f:
            script = f.read()
        for titles, colors in (("stitle", "scolor"), ("ltitle", "lcolor")):
            if f"array {titles}[" not in script:
                continue
            for title, color in zip(texts(script, titles), texts(script, colors)):
                backend = re.split(r"[ ,]", title)[0]
                seen.setdefault(backend, set()).add(color)
    check(set(seen) == set(backends), f"backends on the charts: {sorted(seen)}")
    for backend, colors in seen.items():
        check(colors == {expected[backend]},
              f"{backend} drawn in {sorted(colors)}, expected {expected[backend]}")
    with open(os.path.join(data, "ratio.gp")) as f:
        script = f.read()
    pairs = [f"{b} / pread" for b in ("mmap", "read", "xfer", "zcopy")]
    check(texts(script, "stitle") == pairs, f"ratio series {texts(script, 'stitle')}")
    ratios = {(c["workload"], c["numerator"]): c["ratio"] for c in doc["comparisons"]}
    names = [w["name"] for w in doc["config"]["workloads"]]
    for row, name in zip(read_tsv(os.path.join(data, "ratio.tsv")), names):
        for k, backend in enumerate(("mmap", "read", "xfer", "zcopy")):
            check(close(float(row[1 + 5 * k]), ratios[(name, backend)]),
                  f"{name}: {backend}/pread ratio {row[1 + 5 * k]}")
    with open(os.path.join(out, "report.md")) as f:
        markdown = f.read()
    for text in ["read MiB/s", "zcopy MiB/s", "| read/pread |", "xfer / pread: xfer "]:
        check(text in markdown, f"report.md lacks {text!r}")


# ---- time series, kinds, amplification sweeps, profiles, killed runs, report sections ----

MIB = 2.0 ** 20


def read_blocks(path):
    """The blocks of a chart data file (two blank lines apart), each a list of rows."""
    with open(path) as f:
        lines = [line.rstrip("\n") for line in f if not line.startswith("#")]
    blocks, block, blank = [], [], 0
    for line in lines:
        if not line.strip():
            blank += 1
            continue
        if blank >= 2 and block:
            blocks.append(block)
            block = []
        blank = 0
        block.append([float(v) if v != "NaN" else None for v in line.split("\t")])
    if block:
        blocks.append(block)
    return blocks


def driver(out, name):
    with open(os.path.join(out, "data", name + ".gp"), encoding="utf-8") as f:
        return f.read()


def gp_number(script, name):
    match = re.search(rf"^{name} = ([-0-9.e+]+)$", script, re.M)
    check(match, f"no {name} in the driver script")
    return float(match.group(1))


def near(a, b, rel=1e-3, floor=1e-6):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def config_of(workloads, **defaults):
    """A tiny config whose defaults give a duration instead of tiny()'s ops."""
    cfg = tiny(workloads, **defaults)
    if "duration" in defaults:
        del cfg["defaults"]["ops"]
    return cfg


def run_config(tmp, name, cfg, expect=0):
    """mmbench on a config: (results directory, stderr)."""
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    out = os.path.join(tmp, name)
    _, stderr = run([MMBENCH, path, "--output", out], cwd=tmp, expect=expect)
    return out, stderr


def median_round(results, workload, backend):
    """The round of the measured run whose throughput is nearest the summary's median."""
    summary = next(s for s in results["summaries"] if s["workload"] == workload and
                   s["backend"] == backend)
    runs = [r for r in results["runs"] if r["workload"] == workload and
            r["backend"] == backend and r["role"] == "measured" and r["status"] == "ok"]
    return min(runs, key=lambda r: abs(r["tput_mib_s"] - summary["tput_median_mib_s"]))


def edited_copy(results_dir, dest, change):
    """A copy of a results directory whose results.json change(doc) has edited."""
    shutil.copytree(results_dir, dest)
    edit_json(os.path.join(dest, "results.json"), change)
    return dest


def hostile_copy(results_dir, dest):
    """A copy of a results directory with every workload's base name replaced by a hostile
    string (its sweep labels kept), in the config and in the blocks."""
    def change(doc):
        bases = {}
        for w in doc["config"]["workloads"]:
            bases.setdefault(w["base_name"], HOSTILE[len(bases) % len(HOSTILE)] +
                             f" {len(bases)}")

        def rename(name):
            base, sep, labels = name.partition("/")
            return bases.get(base, base) + sep + labels
        for item in doc["config"]["workloads"] + doc["workloads"]:
            item["name"], item["base_name"] = rename(item["name"]), rename(item["base_name"])
    return edited_copy(results_dir, dest, change)


def check_hostile_plot(tmp, results_dir, name):
    """scripts/plot on a hostile copy of results_dir: every chart drawn, no command run,
    every gnuplot script holding strings as gnuplot.py quotes them."""
    work = os.path.join(tmp, "work-" + name)
    os.mkdir(work)
    source = hostile_copy(results_dir, os.path.join(tmp, "hostile-" + name))
    out = os.path.join(work, "out")
    run([sys.executable, PLOT, source, "--output", out, "--strict", "--size", "640x400"],
        cwd=work)
    check(not pwned(tmp), f"commands ran: {pwned(tmp)}")
    gnuplot_strings_checked(out)
    with open(os.path.join(out, "charts.json")) as f:
        return {c["name"] for c in json.load(f)["charts"]}


def test_timeline(tmp):
    """Time series charts of real runs: one per workload, each backend's median run (as
    the summary's levels are its), its throughput per interval as timeline.csv has it,
    device reads and page faults per second, and its levels; a run too short for a time
    series gets a note instead of a chart."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    results_dir, _ = run_config(tmp, "timeline", config_of(
        [{"name": "cold", "pattern": "random", "cache": "cold"},
         {"name": "warm", "pattern": "sequential"},
         {"name": "short", "ops": 500}],
        file_size="16MiB", duration="250ms", timeline_interval="10ms", repetitions=3,
        dir=data))
    out = os.path.join(tmp, "charts")
    run([sys.executable, REPORT, results_dir, "--output", out, "--strict", "--size",
         f"{WIDTH}x{HEIGHT}"], cwd=tmp)
    manifest = check_charts(out, ["throughput", "ratio", "latency-1", "latency-2",
                                  "latency-3", "kernel", "timeline-1", "timeline-2"])
    check(any("short" in n["text"] and "timeline_interval" in n["text"]
              for n in manifest["notes"]), f"no note on the short run: {manifest['notes']}")
    results = mmtest.load_results(results_dir)
    with open(os.path.join(results_dir, "timeline.csv")) as f:
        csv_rows = list(csv.DictReader(f))
    for number, workload in ((1, "cold"), (2, "warm")):
        name = f"timeline-{number}"
        script = driver(out, name)
        titles = texts(script, "stitle")
        blocks = read_blocks(os.path.join(out, "data", name + ".tsv"))
        check(len(blocks) == 6 * len(titles), f"{name}: {len(blocks)} blocks for "
              f"{len(titles)} series")
        for s, title in enumerate(titles):
            backend, round_ = re.fullmatch(r"(\S+) \(round (\d+)\)", title).groups()
            median = median_round(results, workload, backend)
            check(int(round_) == median["round"], f"{name}: {backend} drawn from round "
                  f"{round_}, its median run is round {median['round']}")
            rows = [r for r in csv_rows if r["workload"] == workload and
                    r["backend"] == backend and r["round"] == round_]
            tput, dev, faults, _, levels, _ = blocks[6 * s:6 * s + 6]
            check(len(tput) == len(rows) + 1, f"{name} {backend}: {len(tput)} steps for "
                  f"{len(rows)} intervals")
            for point, row in zip(tput, rows):
                interval = float(row["interval_s"])
                check(near(point[0], float(row["t_s"]) - interval, 1e-3, 1e-5),
                      f"{name} {backend}: an interval starts at {point[0]}, timeline.csv "
                      f"says {row['t_s']} - {row['interval_s']}")
                check(near(point[1], float(row["tput_mib_s"]), 2e-3, 1e-3),
                      f"{name} {backend}: {point[1]} MiB/s, timeline.csv says "
                      f"{row['tput_mib_s']}")
            for point, row in zip(faults, rows):
                expected = (int(row["minor_faults"]) + int(row["major_faults"])) / \
                    float(row["interval_s"])
                check(near(point[1], expected, 2e-3, 1e-3),
                      f"{name} {backend}: {point[1]} faults/s, expected {expected}")
            if rows and rows[0]["dev_read_bytes"]:
                for point, row in zip(dev, rows):
                    expected = int(row["dev_read_bytes"]) / float(row["interval_s"]) / MIB
                    check(near(point[1], expected, 2e-3, 1e-3),
                          f"{name} {backend}: {point[1]} MiB/s read, expected {expected}")
            recorded = [(lv["start_s"], lv["tput_mib_s"], lv["end_s"] - lv["start_s"])
                        for lv in median["levels"]]
            drawn = [tuple(p) for p in levels] if recorded else []
            check(len(drawn) == len(recorded) and all(
                all(near(a, b, 1e-6, 1e-9) for a, b in zip(d, r))
                for d, r in zip(drawn, recorded)), f"{name} {backend}: levels {drawn}, "
                f"results.json has {recorded}")
        chart = next(c for c in manifest["charts"] if c["name"] == name)
        check("(the median of 3 measured runs)" in chart["caption"], chart["caption"])
    with open(os.path.join(out, "report.md")) as f:
        markdown = f.read()
    check("### Time series" in markdown and "timeline-1.png" in markdown,
          "the report lacks the time series")
    drawn = check_hostile_plot(tmp, results_dir, "timeline")
    check({"timeline-1", "timeline-2"} <= drawn, f"hostile names: charts {sorted(drawn)}")


def panel_variables(out, chart):
    """The variables of each panel of a lines-panels chart: [(script text, blocks)]."""
    panels = []
    for number in range(1, int(gp_number(driver(out, chart), "npanels")) + 1):
        script = driver(out, f"{chart}-vars-{number}")
        panels.append((script, read_blocks(os.path.join(out, "data",
                                                        f"{chart}-{number}.tsv"))))
    return panels


UNIT_DIVISORS = {"bytes": 1, "KiB": 2 ** 10, "MiB": 2 ** 20, "GiB": 2 ** 30,
                 "ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def check_lines_chart(out, chart, results, workloads, key, metrics, titles):
    """A lines-panels chart of a kind: a panel per metric any workload recorded, a line per
    expected title, its points the summaries' medians (at the parameter key)."""
    panels = panel_variables(out, chart)
    recorded = [m for m in metrics if any(s["kind_metrics"].get(m) is not None
                                          for s in results["summaries"]
                                          if s["workload"] in workloads)]
    check(len(panels) == len(recorded), f"{chart}: {len(panels)} panels, recorded "
          f"{recorded}")
    for (script, blocks), metric in zip(panels, recorded):
        unit = re.search(r"^ylabel = '(?:latency \()?(\w+)", script, re.M).group(1)
        lines = texts(script, "ltitle")
        check(set(lines) <= set(titles), f"{chart} {metric}: lines {lines}, expected "
              f"some of {titles}")
        for title in titles:
            backend = title.split(" ")[0].rstrip(",")
            base = re.search(r"\((\S+)\)$", title).group(1) if title.endswith(")") else None
            members = [w for w in workloads if base is None or w.split("/")[0] == base]
            expected = sorted(
                (w["params"][key], s["kind_metrics"][metric] / UNIT_DIVISORS[unit])
                for w in results["config"]["workloads"] if w["name"] in members
                for s in results["summaries"] if s["workload"] == w["name"] and
                s["backend"] == backend and s["kind_metrics"].get(metric) is not None and
                ("durable" in title) == bool(w["params"].get("ipc_durable")))
            if title not in lines:
                check(not expected, f"{chart} {metric}: no line {title!r}, the summaries "
                      f"have {expected}")
                continue
            block = blocks[lines.index(title)]
            got = sorted((p[0], p[1]) for p in block if p[1] is not None)
            check(len(got) == len(expected) and all(
                near(a[1], b[1], 1e-9, 1e-12) for a, b in zip(got, expected)),
                f"{chart} {metric} {title}: {got}, the summaries say {expected}")


def test_kinds(tmp):
    """The kinds' charts and report sections from real runs: footprint (PSS, RSS and private
    memory per process against N, per method: MAP_SHARED, MAP_PRIVATE, a heap buffer), ipc
    (round-trip p50 and p99 against the message size, durable messages as series of their
    own), cow (the three passes, p50) and the claims (statement, figures, verdict); none of
    them on the throughput charts but ipc. The footprint run (its processes wait 2.2 s for
    /proc/meminfo each time) goes on beside the others."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    footprint_cfg = os.path.join(tmp, "footprint.json")
    with open(footprint_cfg, "w") as f:
        json.dump(tiny([{"name": "fp", "kind": "footprint", "processes": [1, 2],
                         "footprint_length": "1MiB"},
                        {"name": "fpp", "kind": "footprint", "processes": 2,
                         "map": "private", "backends": ["mmap"], "footprint_length": "1MiB"}],
                       repetitions=1, dir=data), f)
    footprint_dir = os.path.join(tmp, "footprint")
    background = subprocess.Popen([MMBENCH, footprint_cfg, "--output", footprint_dir],
                                  cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True)
    try:
        cfg = tiny([{"name": "cow", "kind": "cow", "cow_length": "512KiB"},
                    {"name": "ipc", "kind": "ipc", "message_size": ["64", "4KiB"],
                     "messages": 1000, "file_size": "8MiB"},
                    {"name": "ipcd", "kind": "ipc", "message_size": "64",
                     "durable": [False, True], "messages": 40, "file_size": "8MiB"},
                    {"name": "claim", "kind": "claim",
                     "claim": ["private_write_invisible", "sigbus_past_eof"]},
                    {"name": "r", "backends": ["mmap", "pread"]}], repetitions=1, dir=data)
        del cfg["defaults"]["backends"]   # each kind runs its own
        kinds_dir, _ = run_config(tmp, "kinds", cfg)
        out = os.path.join(tmp, "charts-kinds")
        run([sys.executable, REPORT, kinds_dir, "--output", out, "--strict", "--size",
             f"{WIDTH}x{HEIGHT}"], cwd=tmp)
    finally:
        _, stderr = background.communicate(timeout=120)
    check(background.returncode == 0, f"the footprint run failed:\n{stderr}")
    results = mmtest.load_results(kinds_dir)
    names = [w["name"] for w in results["config"]["workloads"]]
    cow_number = names.index("cow") + 1
    manifest = check_charts(out, [
        "throughput", "ratio", f"latency-{names.index('r') + 1}", "kernel", "ipc",
        f"cow-{cow_number}",
        "sweep-ipc-message_size", "sweep-ipc-message_size-ratio",
        "sweep-ipcd-durable", "sweep-ipcd-durable-ratio"])
    labels = [row[-1] for row in read_tsv(os.path.join(out, "data", "throughput.tsv"))]
    check(all(n.startswith(("ipc", "r")) for n in labels) and "r" in labels,
          f"workloads of kinds that are not compared on throughput on its chart: {labels}")
    check(any("cow, claim are on the charts of their own" in n["text"]
              for n in manifest["notes"]), f"notes: {manifest['notes']}")
    ipc = [n for n in names if n.startswith("ipc")]
    check_lines_chart(out, "ipc", results, ipc, "ipc_message_bytes",
                      ["rtt_p50_ns", "rtt_p99_ns"],
                      ["mmap (ipc)", "pread (ipc)", "mmap (ipcd)", "pread (ipcd)",
                       "mmap, durable (ipcd)", "pread, durable (ipcd)"])
    cow = next(s for s in results["summaries"] if s["workload"] == "cow")["kind_metrics"]
    row = read_tsv(os.path.join(out, "data", f"cow-{cow_number}.tsv"))
    check([float(r[1]) for r in row] == [cow[f"{p}_p50_ns"] for p in
                                         ("private_first", "private_repeat", "shared_first")],
          f"cow bars {[r[1] for r in row]}, the summary has {cow}")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        markdown = f.read()
    claims = [b for b in results["blocks"] if b.get("claim")]
    check(len(claims) == 2, f"{len(claims)} claim blocks")
    for block in claims:
        claim = block["claim"]
        for text in [f"{claim['id']}: {claim['verdict']}", md_escaped(claim["evidence"]),
                     f"Verdict: {claim['verdict']} ({claim['runs_holding']} of"] + \
                [f"`{f['name']}`" for f in claim["figures"]]:
            check(text in markdown, f"report.md lacks {text[:80]!r}")
    for text in ("## Claims", "The figures of kind cow", "`private_first_p50_ns`",
                 "The figures of kind ipc", "`rtt_p50_ns`"):
        check(text in markdown, f"report.md lacks {text!r}")
    # The footprint methods, from the run beside.
    footprint = mmtest.load_results(footprint_dir)
    out = os.path.join(tmp, "charts-footprint")
    plot(tmp, footprint_dir, out)
    check_charts(out, ["footprint"])
    check_lines_chart(out, "footprint", footprint,
                      [w["name"] for w in footprint["config"]["workloads"]],
                      "footprint_processes", ["pss_per_process_bytes",
                                              "rss_per_process_bytes",
                                              "private_per_process_bytes"],
                      ["mmap MAP_SHARED (fp)", "pread heap buffer (fp)",
                       "mmap MAP_PRIVATE (fpp)"])
    for name, source, charts in (("kinds", kinds_dir, {"ipc", f"cow-{cow_number}"}),
                                 ("footprint", footprint_dir, {"footprint"})):
        drawn = check_hostile_plot(tmp, source, name)
        check(charts <= drawn, f"hostile names: charts {sorted(drawn)}")


def test_amplification(tmp):
    """Sweep charts of read and write amplification: medians of readahead_amplification
    (cold reads) and write_amplification (writes) per backend against the swept key, none
    for warm-cache reads; a kernel setting swept as digit strings (read_ahead_kb '16',
    '128') is a numeric axis."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    results_dir, _ = run_config(tmp, "amplification", tiny(
        [{"name": "cold", "pattern": "random", "cache": "cold",
          "block_size": ["4KiB", "16KiB"]},
         {"name": "warm", "pattern": "random", "block_size": ["4KiB", "16KiB"]},
         {"name": "w", "op": "write", "sync": "fsync", "sync_every": 50,
          "block_size": ["4KiB", "16KiB"]}], ops=300, dir=data))
    results = mmtest.load_results(results_dir)
    # (base, field, chart suffix): drawn when the sweep's medians hold anything but 0.
    cases = [("cold", "readahead_amplification", "read-amplification"),
             ("warm", "readahead_amplification", None),
             ("w", "write_amplification", "write-amplification"),
             ("w", "readahead_amplification", None)]
    expected = []
    for base, field, suffix in cases:
        values = [s[field] for s in results["summaries"] if s["workload"].startswith(base + "/")]
        if suffix and any(values):
            expected.append((base, field, f"sweep-{base}-block_size-{suffix}"))
    out = os.path.join(tmp, "charts")
    plot(tmp, results_dir, out)
    with open(os.path.join(out, "charts.json")) as f:
        drawn = {c["name"] for c in json.load(f)["charts"]}
    amplification = {n for n in drawn if n.endswith("amplification")}
    check(amplification == {c for _, _, c in expected},
          f"amplification charts {sorted(amplification)}, expected {expected}")
    if not expected:
        print("note: no block device behind the data directory: no amplification recorded")
    for base, field, chart in expected:
        script = driver(out, chart)
        for title, block in zip(texts(script, "ltitle"), read_blocks(
                os.path.join(out, "data", chart + ".tsv"))):
            medians = sorted((w["params"]["block_size_bytes"], s[field])
                             for w in results["config"]["workloads"]
                             for s in results["summaries"]
                             if s["workload"] == w["name"] and w["base_name"] == base and
                             s["backend"] == title and s[field] is not None)
            check([(p[0], p[1]) for p in block] == medians,
                  f"{chart} {title}: {block}, the summaries say {medians}")
    # Kernel settings arrive as digit strings: the sweep of one is a numeric axis.
    def knob(doc):
        renamed = {}
        for w in doc["config"]["workloads"]:
            if w["base_name"] == "cold":
                value = "16" if w["params"]["block_size_bytes"] == 4096 else "128"
                renamed[w["name"]] = f"cold/read_ahead_kb={value}"
                w["name"], w["params"]["read_ahead_kb"] = renamed[w["name"]], value
        for block in doc["workloads"]:
            block["name"] = renamed.get(block["name"], block["name"])
    knobbed = edited_copy(results_dir, os.path.join(tmp, "knobbed"), knob)
    out = os.path.join(tmp, "charts-knobbed")
    plot(tmp, knobbed, out)
    script = driver(out, "sweep-cold-read_ahead_kb")
    check("categorical = 0" in script, "read_ahead_kb drawn as categories")
    xs = sorted({p[0] for block in read_blocks(os.path.join(out, "data",
                                                            "sweep-cold-read_ahead_kb.tsv"))
                 for p in block})
    check(xs == [16, 128], f"read_ahead_kb at x {xs}")


HOSTILE_FRAMES = ["<script>alert(1)</script>", "`touch${IFS}PWNED_F`", "a&b \"q\" 'q' ]]>",
                  "ünï 中文 \u202eRTL", "$(touch PWNED_G)"]


def test_profile(tmp):
    """A profiled run: the report's profile table (samples, kernel share, top symbols) and,
    in report.html, a flame graph per profiled backend drawn from its folded stacks, every
    frame escaped; a missing folded file is said, one that is not folded stacks, or reached
    through a symlink, or outside the directory, is refused (exit 2, nothing written)."""
    results_dir, stderr = run_config(tmp, "profile", config_of(
        [{"name": "rr", "pattern": "random", "profile": True}], duration="150ms",
        repetitions=2, dir=tmp), expect=None)
    if not os.path.isfile(os.path.join(results_dir, "results.json")):
        raise mmtest.Skip(f"mmbench could not profile here: {stderr.strip()[-300:]}")
    results = mmtest.load_results(results_dir)
    profiled = [s for s in results["summaries"] if s.get("profile")]
    check(profiled, "no summary has a profile")
    folded = os.path.join(results_dir, profiled[-1]["profile"]["folded"])
    with open(folded, "a", encoding="utf-8") as f:
        f.write(";".join(HOSTILE_FRAMES) + " 5\n")
    out = os.path.join(tmp, "work", "out")
    os.makedirs(os.path.dirname(out))
    run([sys.executable, REPORT, results_dir, "--output", out, "--strict", "--size",
         f"{WIDTH}x{HEIGHT}"], cwd=os.path.dirname(out))
    check(not pwned(tmp), f"commands ran: {pwned(tmp)}")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        markdown = f.read()
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        page = f.read()
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    check(len(svgs) == len(profiled), f"{len(svgs)} flame graphs for {len(profiled)} "
          f"profiles")
    for s, svg in zip(profiled, svgs):
        try:
            ElementTree.fromstring(svg)
        except ElementTree.ParseError as e:
            raise Failure(f"{s['backend']}'s flame graph is not well-formed: {e}")
        with open(os.path.join(results_dir, s["profile"]["folded"]), encoding="utf-8") as f:
            roots = {line.rsplit(" ", 1)[0].split(";")[0] for line in f if line.strip()}
        for root in roots:
            check(html.escape(root, quote=True) in svg, f"{s['backend']}'s flame graph "
                  f"lacks {root!r}")
        top = s["profile"]["top_kernel"] or s["profile"]["top_user"]
        check(f"{top[0]['name']} {100 * top[0]['share']:.1f}%" in markdown,
              f"report.md lacks {s['backend']}'s top symbol {top[0]['name']}")
        check(f"| {s['backend']} | {s['profile']['samples']} |" in markdown,
              f"report.md lacks {s['backend']}'s profile row")
    check("<script" not in page and "&lt;script&gt;alert(1)" in page,
          "report.html: a frame name is not escaped")
    # What the report does with folded files that are missing, broken or elsewhere.
    first = os.path.join(results_dir, profiled[0]["profile"]["folded"])
    cases = [
        ("missing", lambda d: os.remove(d), 0, "no flame graph: cannot read"),
        ("not folded stacks", lambda d: open(d, "w").write("no count here\n"), 2,
         "line 1: expected 'frame;frame;... count'"),
        ("a symlink", lambda d: (os.remove(d), os.symlink(folded, d)), 2, "a symlink"),
        ("in a symlinked directory", lambda d: (
            shutil.move(os.path.dirname(d), os.path.dirname(d) + "-real"),
            os.symlink(os.path.dirname(d) + "-real", os.path.dirname(d))), 2, "a symlink"),
    ]
    for what, breaks, code, message in cases:
        copy = os.path.join(tmp, "copy")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(results_dir, copy, symlinks=True)
        breaks(os.path.join(copy, os.path.relpath(first, results_dir)))
        out = os.path.join(tmp, "out-copy")
        shutil.rmtree(out, ignore_errors=True)
        stdout, stderr = run([sys.executable, REPORT, copy, "--output", out], cwd=tmp,
                             expect=code)
        if code:
            check(stderr.count("\n") == 1 and message in stderr,
                  f"folded file {what}: {stderr}")
            check(not os.path.exists(out), f"folded file {what}: wrote {out}")
        else:
            with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
                check(message in f.read(), f"folded file {what}: the report does not say so")


def test_killed(tmp):
    """A run killed with SIGKILL: its finished workloads are read from the block file
    (workload_files, a JSON text sequence), drawn and reported, and the report says the run
    did not finish; a last record cut off while it was written is left out, and said."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = os.path.join(tmp, "killed.json")
    with open(cfg, "w") as f:
        json.dump(config_of([{"name": n} for n in "abcdef"], duration="300ms",
                            repetitions=1, dir=data), f)
    results_dir = os.path.join(tmp, "killed")
    proc = subprocess.Popen([MMBENCH, cfg, "--output", results_dir], cwd=tmp,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    block_file = os.path.join(results_dir, "workloads.json-seq")

    def records():
        try:
            with open(block_file, "rb") as f:
                return f.read().count(b"\x1e")
        except FileNotFoundError:
            return 0
    for _ in range(300):
        if records() >= 2 or proc.poll() is not None:
            break
        subprocess.run(["sleep", "0.05"])
    proc.kill()
    proc.wait()
    blocks = records()
    check(blocks >= 2, f"the run finished {blocks} workloads before it was killed")
    for cut in (False, True):
        if cut:   # as if the kill came while a record was appended
            with open(block_file, "ab") as f:
                f.write(b'\x1e{"index": 5, "name": "f", "runs": [')
        out = os.path.join(tmp, f"charts-{cut}")
        run([sys.executable, REPORT, results_dir, "--output", out, "--strict", "--size",
             f"{WIDTH}x{HEIGHT}"], cwd=tmp)
        rows = read_tsv(os.path.join(out, "data", "throughput.tsv"))
        check([r[-1] for r in rows] == list("abcdef")[:blocks],
              f"throughput of {[r[-1] for r in rows]}, {blocks} workloads finished")
        with open(os.path.join(out, "charts.json")) as f:
            notes = [n["text"] for n in json.load(f)["notes"]]
        check(any("did not finish" in n and "killed" in n for n in notes), f"notes: {notes}")
        check(cut == any("cut off" in n for n in notes), f"notes: {notes}")
        with open(os.path.join(out, "report.md")) as f:
            markdown = f.read()
        check("it was still going on, or was killed" in markdown and
              "Not run (the run stopped before it)." in markdown, "report.md: the killed run")


def test_sections(tmp):
    """The report's sections of each workload, table-driven against results.json: the
    verdict, why and checksum lines, the time split and amplification row of each backend,
    the warnings; and the kernel settings of the context, of a workload's phases and of the
    target (added to the real run as a run with kernel settings writes them)."""
    sys.path.insert(0, os.path.join(SOURCE, "scripts"))
    from mmcharts import cells
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    results_dir = mmbench_run(tmp, "sections", tiny(
        [{"name": "cold", "pattern": "random", "cache": "cold"},
         {"name": "seqwrite", "pattern": "sequential", "op": "write", "sync": "fsync",
          "sync_every": 100}], dir=data))
    path = os.path.join(results_dir, "results.json")
    with open(path) as f:
        doc = json.load(f)
    doc["context"]["kernel_settings"] = {"thp": "madvise", "vm.dirty_ratio": "20"}
    doc["context"]["targets"][0]["large_folios"] = "yes (512p 2.0 MiB in 1)"
    for r in doc["workloads"][0]["runs"]:
        r["kernel_settings"] = "read_ahead_kb of vda: 8192 -> 128"
    with open(path, "w") as f:
        json.dump(doc, f)
    out = os.path.join(tmp, "charts")
    run([sys.executable, REPORT, results_dir, "--output", out, "--size", "640x400"], cwd=tmp)
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        markdown = f.read()
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        page = f.read()
    results = mmtest.load_results(results_dir)
    cases = [("context kernel settings", "| `vm.dirty_ratio` | 20 |"),
             ("large folios", "| Large folios | yes (512p 2.0 MiB in 1) |"),
             ("a workload's kernel settings",
              "- Kernel settings of its phases: read\\_ahead\\_kb of vda: 8192 -> 128"
              .replace("\\_", "_").replace("->", "-\\>"))]
    for block in results["blocks"]:
        for c in block["comparisons"]:
            cases.append((f"{block['name']} verdict", "- Verdict: " + md_escaped(c["verdict"])))
        check(block["explanation"], f"{block['name']}: no explanation in results.json")
        cases.append((f"{block['name']} why", "- Why: " + md_escaped(block["explanation"])))
        cases.append((f"{block['name']} checksum",
                      "- Checksums: " + md_escaped(block["checksum"]["text"])))
        cases += [(f"{block['name']} warning", "- " + md_escaped(w)) for w in block["warnings"]]
        for s in block["summaries"]:
            cases.append((f"{block['name']} {s['backend']} time split", "| " + " | ".join(
                [s["backend"]] + [cells.share_cell(s[k]) for k in
                                  ("user_share", "system_share", "offcpu_share",
                                   "runqueue_share")]) + " |"))
            cases.append((f"{block['name']} {s['backend']} write amplification",
                          cells.amplification_cell(s["write_amplification"],
                                                   s["task_write_amplification"])))
    for what, text in cases:
        check(text in markdown, f"report.md lacks the {what}: {text!r}")
        plain = text.lstrip("-| ").split(" |")[0].replace("\\", "").replace("`", "")
        check(html.escape(plain) in page,
              f"report.html lacks the {what}: {plain!r}")


# ---- what gnuplot evaluates ----

# (what, a gnuplot script (CANARY: a file to create), what gnuplot does: 'runs' the
# command, 'inert', or 'fails' with an error).
GNUPLOT_FACTS = [
    ("backquotes in a double-quoted string", 'print "`touch CANARY`"', "runs"),
    ("backquotes in a single-quoted string", "print '`touch CANARY`'", "inert"),
    ("an @ macro", "m = 'system(\"touch CANARY\")'\n@m", "runs"),
    ("backquotes in a double-quoted string that a macro put there",
     "s = '\"`touch CANARY`\"'\nprint @s", "runs"),
    ("@ inside quotes", "m = 'system(\"touch CANARY\")'\nprint '@m'\nprint \"@m\"", "inert"),
    ("a newline inside a quoted string", "x = 'a\nsystem(\"touch CANARY\")\n'", "runs"),
    ("a backslash before a newline, in a comment (the next line is joined to it)",
     "# a comment \\\nsystem(\"touch CANARY\")", "inert"),
    ("the same line without the comment", "system(\"touch CANARY\")", "runs"),
    ("string variables used as values",
     "s = '`touch CANARY`' . \"\"\nset title s\nset xtics add (s 1)\nset label 1 s\n"
     "plot [0:1] x title s", "inert"),
    ("a doubled quote at the start of a single-quoted string", "x = '''a'", "fails"),
]


def gnuplot(script, cwd, timeout=60):
    return subprocess.run(["gnuplot"], input=script.encode("utf-8"), capture_output=True,
                          cwd=cwd, timeout=timeout)


def test_gnuplot_facts(tmp):
    """What gnuplot evaluates, tried for real (docs/charts.md lists it), and quote() of
    gnuplot.py against it: every hostile and random string comes back from gnuplot
    exactly as it was, and no command in one runs."""
    sys.path.insert(0, os.path.join(SOURCE, "scripts"))
    from mmcharts import gnuplot as gp
    canary = os.path.join(tmp, "canary")
    for what, script, expected in GNUPLOT_FACTS:
        proc = gnuplot("set terminal dumb\nset output '/dev/null'\n" +
                       script.replace("CANARY", canary) + "\n", tmp)
        ran = os.path.exists(canary)
        found = "runs" if ran else "fails" if proc.returncode else "inert"
        check(found == expected, f"gnuplot on {what}: {found}, expected {expected}\n"
              f"{proc.stderr.decode(errors='replace')}")
        if ran:
            os.remove(canary)
    # In data files a field that opens with " runs to the next one, across separators:
    # the numbers after it are lost. Free text goes last for that reason.
    with open(os.path.join(tmp, "d.tsv"), "w") as f:
        f.write('1\t"text\t5\n2\ttext\t6\n3\t7\t"text\n')
    table = os.path.join(tmp, "table")
    gnuplot(f"set datafile separator \"\\t\"\nset table '{table}'\n"
            f"plot '{tmp}/d.tsv' using 1:3 with table, '' using 1:2 with table\n", tmp)
    with open(table) as f:
        rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
    check(["1", "5"] not in rows and ["2", "6"] in rows and ["3", "7"] in rows,
          f"gnuplot's data fields: {rows}")
    # quote(): exact for any string, inert for every one.
    rng = random.Random(7)
    alphabet = list("'\"`@$(){}[]\\;#|&<>%!~^*?=+-_.,:/ \t\r\n\v\f") + \
        ["\x01", "\x1b", "\x7f", "\x85", "é", "中", "\u2028", "\ufeff", "\u202e",
         "\U0001f600", "a", "Z", "0", "''", "\\\n", "@m", "`touch CANARY`", "system("]
    strings = [h.replace("PWNED", canary) for h in HOSTILE] + \
        ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
         for _ in range(300)]
    strings = [s.replace("CANARY", canary) for s in strings]
    script = "m = 'system(\"touch " + canary + "\")'\n" + "".join(
        f"print {gp.quote(s)}\nprint '<<{i}>>'\n" for i, s in enumerate(strings))
    proc = gnuplot(script, tmp)
    check(proc.returncode == 0, f"gnuplot failed on quoted strings:\n{proc.stderr[-2000:]}")
    output = proc.stderr.decode("utf-8")
    for i, s in enumerate(strings):
        value, _, output = output.partition(f"\n<<{i}>>\n")
        check(value == s, f"quote({s!r}) came back as {value!r}")
    check(not pwned(tmp) and not os.path.exists(canary), "a quoted string ran a command")
    # A file name: its bytes as they are, also those that are not UTF-8.
    name = b"/x/\xff\xfe'`touch " + canary.encode() + b"`\n\x01\\ \xc3\xa9"
    proc = gnuplot(f"print {gp.quote(gp.Path(os.fsdecode(name)))}\n", tmp)
    check(proc.stderr == name + b"\n", f"a Path came back as {proc.stderr!r}")
    check(not os.path.exists(canary), "a quoted file name ran a command")
    try:
        gp.quote("a\0b")
        raise Failure("quote() took a NUL")
    except ValueError:
        pass


# ---- invalid input ----

def edit_json(path, change):
    with open(path) as f:
        doc = json.load(f)
    change(doc)
    with open(path, "w") as f:
        json.dump(doc, f)


def edit_text(path, change):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(change(data))


def set_path(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def delete_path(doc, path):
    for key in path[:-1]:
        doc = doc[key]
    del doc[path[-1]]


def sparse(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


# (name, kind of directory, how to break its file (given its path), what the message
# must say). Every one: exit 2, one line on stderr naming the file, nothing written.
BAD_INPUTS = [
    ("invalid JSON", "results", lambda p: edit_text(p, lambda d: d[:-40] + b"}"),
     "not valid JSON at line"),
    ("invalid UTF-8", "results",
     lambda p: edit_text(p, lambda d: d.replace(b'"tool"', b'"to\xffol"', 1)),
     "invalid UTF-8 at byte"),
    ("runs a string", "results",
     lambda p: edit_json(p, lambda d: d["workloads"][0].update(runs="many")),
     "workloads[0].runs: expected a list, found the string 'many'"),
    ("workloads a string", "results", lambda p: edit_json(p, lambda d: d.update(workloads="x")),
     "results.json: workloads: expected a list, found the string 'x'"),
    ("throughput 'fast'", "results",
     lambda p: edit_json(p, lambda d: d["workloads"][0]["summaries"][1].update(
         tput_median_mib_s="fast")),
     "workloads[0].summaries[1].tput_median_mib_s: expected a number >= 0 or null, found "
     "the string 'fast'"),
    ("a missing key", "results",
     lambda p: edit_json(p, lambda d: delete_path(d, ["workloads", 0, "summaries", 0,
                                                    "backend"])),
     "workloads[0].summaries[0]: no 'backend' key"),
    ("a missing section", "results", lambda p: edit_json(p, lambda d: d.pop("config")),
     "top level: no 'config' key"),
    ("NaN", "results", lambda p: edit_text(
        p, lambda d: re.sub(rb'"ratio": [0-9.e+-]+', b'"ratio": NaN', d, count=1)),
     "workloads[0].comparisons[0].ratio: NaN is not a number JSON allows"),
    ("-Infinity", "results", lambda p: edit_text(
        p, lambda d: re.sub(rb'"faults_per_op": [0-9.e+-]+', b'"faults_per_op": -Infinity',
                            d, count=1)),
     ".faults_per_op: -Infinity is not a number"),
    ("a number too large for a double", "results", lambda p: edit_text(
        p, lambda d: re.sub(rb'"ops": [0-9]+', b'"ops": 1e999', d, count=1)),
     "'1e999' is out of range"),
    ("an integer beyond 2^64", "results", lambda p: edit_text(
        p, lambda d: re.sub(rb'"repetitions_ok": [0-9]+', b'"repetitions_ok": ' +
                            str(2 ** 70).encode(), d, count=1)),
     "workloads[0].summaries[0].repetitions_ok: '1180591620717411303424' is out of range"),
    ("workloads an object", "results",
     lambda p: edit_json(p, lambda d: d["config"].update(workloads={"a": 1})),
     "config.workloads: expected a list, found an object"),
    ("a histogram bucket of two", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0]["summaries"][0]["latency_histogram"]["buckets"]
        .__setitem__(0, [1, 2])),
     "workloads[0].summaries[0].latency_histogram.buckets[0]: expected [lower_ns, "
     "upper_ns, count]"),
    ("a block of no workload", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0].update(index=7)),
     "workloads[0].index: 7, but config.workloads has 1"),
    ("a block of another name", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0].update(name="nowhere")),
     "workloads[0].name: 'nowhere', but config.workloads[0] is 'r'"),
    ("an unknown role", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0]["runs"][0].update(role="bonus")),
     "workloads[0].runs[0].role: expected one of 'measured', 'warmup'"),
    ("a time series that runs backwards", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0]["runs"][0]["timeline"]["points"][0].__setitem__(
            1, 10 ** 9)),
     "workloads[0].runs[0].timeline.points[1]: ops falls from 1000000000"),
    ("a negative share", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0]["summaries"][0].update(user_share=-0.5)),
     "workloads[0].summaries[0].user_share: expected a number >= 0 or null"),
    ("workload_files outside the directory", "results", lambda p: edit_json(
        p, lambda d: d.update(workload_files="../elsewhere")),
     "workload_files: '../elsewhere' is not a name inside the results directory"),
    ("workload_files missing", "results", lambda p: edit_json(
        p, lambda d: d.update(workload_files="workloads.json-seq")),
     "workload_files: the file it names is missing"),
    ("a lone surrogate", "results", lambda p: edit_text(
        p, lambda d: d.replace(b'"hostname": "', b'"hostname": "\\ud800', 1)),
     "context.hostname: a string holding a lone surrogate"),
    ("a duplicate key", "results",
     lambda p: edit_text(p, lambda d: d.replace(b'"schema_version": 2,',
                                                b'"schema_version": 2, "schema_version": 2,')),
     "duplicate key 'schema_version'"),
    ("an array at the top", "results", lambda p: edit_text(p, lambda d: b"[" + d + b"]"),
     "the top level is a list, not an object"),
    ("nested too deep", "results", lambda p: edit_text(p, lambda d: b"[" * 100000),
     "nested deeper than a results file is"),
    ("an empty file", "results", lambda p: edit_text(p, lambda d: b""), "empty file"),
    ("a file too large", "results", lambda p: sparse(p, 257 * 2 ** 20),
     "257 MiB, more than the 256 MiB these scripts read"),
    ("another schema", "results", lambda p: edit_json(p, lambda d: d.update(schema_version=1)),
     "schema_version: version 1; these scripts read version 2 (version 1 came from an older "
     "mmbench)"),
    ("no results.json", "results", os.remove, "holds neither results.json"),
    ("workload_files a symlink", "results", lambda p: killed_layout(p, "symlinked"),
     "workloads.json-seq: a symlink"),
    ("a broken record before the last", "results", lambda p: killed_layout(p, "broken first"),
     "workloads.json-seq: record 0: not valid JSON"),
    ("a block file without record separators", "results",
     lambda p: killed_layout(p, "no separator"),
     "workloads.json-seq: not a JSON text sequence (records start with RS, 0x1e)"),
    ("a record of another workload", "results", lambda p: killed_layout(p, "renamed"),
     "workloads.json-seq: record 0: name: 'other', but config.workloads[0] is 'r'"),
    ("a folded file outside the directory", "results", lambda p: edit_json(
        p, lambda d: d["workloads"][0]["summaries"][0].update(
            profile={"folded": "../../etc/passwd", "samples": 1})),
     "profile.folded: '../../etc/passwd' is not a name inside the results directory"),
    ("compare: rows a string", "compare", lambda p: edit_json(p, lambda d: d.update(rows="x")),
     "rows: expected a list, found the string 'x'"),
    ("compare: throughput 'fast'", "compare",
     lambda p: edit_json(p, lambda d: d["rows"][2].update(tput_median_mib_s="fast")),
     "rows[2].tput_median_mib_s: expected a number >= 0 or null"),
    ("compare: a row of no run", "compare",
     lambda p: edit_json(p, lambda d: d["rows"][0].update(run="elsewhere")),
     "rows[0].run: 'elsewhere' is not the label of a run"),
    ("compare: no label", "compare",
     lambda p: edit_json(p, lambda d: delete_path(d, ["runs", 1, "label"])),
     "runs[1]: no 'label' key"),
    ("compare: Infinity", "compare", lambda p: edit_text(
        p, lambda d: re.sub(rb'"ratio_to_baseline": [0-9.e+-]+',
                            b'"ratio_to_baseline": Infinity', d, count=1)),
     "rows[0].ratio_to_baseline: Infinity is not a number"),
    ("compare: truncated", "compare", lambda p: edit_text(p, lambda d: d[:len(d) // 2]),
     "not valid JSON at line"),
]


def killed_layout(path, how):
    """Turns a finished run's results.json into a killed run's (its blocks in the block
    file workloads.json-seq, a JSON text sequence), broken as how says."""
    with open(path) as f:
        doc = json.load(f)
    blocks = doc["workloads"]
    doc.update(workloads=[], workload_files="workloads.json-seq", complete=False)
    root = os.path.dirname(path)
    records = [json.dumps(dict(b, name="other") if how == "renamed" else b) for b in blocks]
    text = "".join(f"\x1e{r}\n" for r in records)
    if how == "broken first":   # a record cut in its middle, then complete ones
        text = f"\x1e{records[0][:40]}\n" + text
    if how == "no separator":
        text = text[1:]
    name = os.path.join(root, "workloads.json-seq")
    if how == "symlinked":
        name = path + ".seq"
        os.symlink(name, os.path.join(root, "workloads.json-seq"))
    with open(name, "w") as f:
        f.write(text)
    with open(path, "w") as f:
        json.dump(doc, f)


def test_readers(tmp):
    """Invalid results and comparisons: scripts/plot and scripts/report exit 2 with one
    line naming the file and the field, no traceback, and write nothing. Their main() runs
    here (as the scripts run it; the first and last cases run the scripts themselves)."""
    sys.path.insert(0, os.path.join(SOURCE, "scripts"))
    from mmcharts import plot as plot_cli, report as report_cli
    results = mmbench_run(tmp, "good", tiny([{"name": "r"}], ops=300, dir=tmp))
    compare = os.path.join(tmp, "compare-good")
    write_compare(compare)
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    for number, (what, kind, breaks, message) in enumerate(BAD_INPUTS):
        source = os.path.join(tmp, f"bad{number}")
        shutil.copytree(results if kind == "results" else compare, source)
        breaks(os.path.join(source, "results.json" if kind == "results" else "compare.json"))
        for script, main in ((PLOT, plot_cli.main), (REPORT, report_cli.main)):
            out = os.path.join(work, "out")
            argv = [source, "--output", out]
            if number in (0, len(BAD_INPUTS) - 1):
                _, stderr = run([sys.executable, script] + argv, cwd=work, expect=2)
            else:
                with contextlib.chdir(work):
                    code, _, stderr = in_process(main, argv)
                check(code == 2, f"{what}: exit {code}, expected 2\n{stderr}")
            name = os.path.basename(script)
            check(stderr.count("\n") == 1 and stderr.startswith(f"scripts/{name}: "),
                  f"{what}: scripts/{name} wrote not one line:\n{stderr}")
            check(message in stderr and source in stderr,
                  f"{what}: scripts/{name} said\n{stderr}expected {message!r} and the path")
            check(not os.listdir(work), f"{what}: scripts/{name} wrote {os.listdir(work)}")


# ---- mutated results files ----

# hostile_all keeps these: the tools, backends and units, and the words of the fields that
# hold one of a few (a role, a status, a verdict, a time series' columns).
KEEP_STRINGS = {"mmbench", "mmbench-compare", "mmap", "pread", "ns", "measured", "warmup",
                "latency_off", "profiled", "ok", "failed", "interrupted", "match", "mismatch",
                "not_applicable", "unverified", "holds", "does not hold", "inconclusive",
                "t_s", "ops", "minor_faults", "major_faults", "dev_read_bytes",
                "dev_write_bytes", "tlb_shootdowns", "resident_pct", "dirty_pct", "io"}
ODD_VALUES = ["fast", "", [], {}, None, True, False, -1, 0, 1.5, [1, 2], {"a": 1}, "NaN",
              "1e999", [[[]]]]
HUGE_NUMBERS = [1e308, -1e308, 2 ** 64, 2 ** 64 + 1, -2 ** 63, 10 ** 30, 1e-308, 5e-324,
                -0.0, 1.7976931348623157e308, 123456789012345678901234567890.5]


def json_paths(doc, path=()):
    """Every (path, value) in a JSON document, the document itself first."""
    out = [(path, doc)]
    items = doc.items() if isinstance(doc, dict) else \
        enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out += json_paths(value, path + (key,))
    return out


def replace_at(doc, path, value):
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def mutants(data, rng, count):
    """count mutants of a JSON file's bytes: byte flips, truncations, deleted fields,
    changed types, hostile strings, huge numbers, NaN and Infinity tokens, repeated or
    unwrapped lists. Yields (kind, bytes)."""
    doc = json.loads(data)
    paths = json_paths(doc)
    # The fields the scripts read (of the parameters, those a sweep chart uses; of the
    # runs, their identity, flush call, levels and time series).
    read = [p for p in paths if p[0] and p[0][0] in ("config", "workloads", "context", "rows",
                                                     "runs", "baseline")
            and len(p[0]) <= (7 if p[0][0] == "workloads" else 5) and
            ("params" not in p[0] or p[0][-1] in (
                "params", "block_size_bytes", "stride_bytes", "pattern")) and
            (p[0][0] != "workloads" or len(p[0]) < 5 or p[0][2] != "runs" or
             p[0][4] in ("backend", "role", "status", "flush_call", "tput_mib_s", "levels",
                         "timeline", "kind_metrics"))]
    numbers = [p for p, v in paths if isinstance(v, (int, float)) and not isinstance(v, bool)]
    strings = [p for p, v in paths if isinstance(v, str)]
    tokens = [m.span() for m in re.finditer(rb"(?<=: )-?[0-9][0-9.eE+-]*", data)]

    def dumped(change):
        copy = json.loads(data)
        return json.dumps(change(copy)).encode()

    def pick(choices):
        return choices[rng.randrange(len(choices))]

    kinds = ["flip"] * 5 + ["truncate"] * 3 + ["delete"] * 3 + ["retype"] * 4 + \
        ["hostile_all"] * 3 + ["hostile_one"] * 2 + ["huge"] * 3 + ["nonfinite"] * 2 + \
        ["structure"] * 2
    for _ in range(count):
        kind = pick(kinds)
        if kind == "flip":
            mutant = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                mutant[rng.randrange(len(mutant))] ^= rng.randint(1, 255)
            mutant = bytes(mutant)
        elif kind == "truncate":
            mutant = data[:rng.randrange(len(data))]
        elif kind == "delete":
            path = pick([p for p, _ in read if isinstance(p[-1], str)])

            def delete(d):
                del json_value(d, path[:-1])[path[-1]]
                return d
            mutant = dumped(delete)
        elif kind == "retype":
            path, value = pick(read)
            mutant = dumped(lambda d: replace_at(d, path, pick(ODD_VALUES)))
        elif kind == "hostile_all":
            names = {}

            def hostile(value):
                if isinstance(value, str) and value not in KEEP_STRINGS:
                    return names.setdefault(value, pick(HOSTILE))
                if isinstance(value, dict):
                    return {k: hostile(v) for k, v in value.items()}
                if isinstance(value, list):
                    return [hostile(v) for v in value]
                return value
            mutant = dumped(hostile)
        elif kind == "hostile_one":
            path = pick(strings)
            mutant = dumped(lambda d: replace_at(d, path, pick(HOSTILE)))
        elif kind == "huge":
            if rng.random() < 0.3:
                start, end = pick(tokens)
                mutant = data[:start] + pick([b"1e999", b"-1e999", b"1" + b"0" * 400]) + \
                    data[end:]
            else:
                path = pick(numbers)
                mutant = dumped(lambda d: replace_at(d, path, pick(HUGE_NUMBERS)))
        elif kind == "nonfinite":
            start, end = pick(tokens)
            mutant = data[:start] + pick([b"NaN", b"Infinity", b"-Infinity"]) + data[end:]
        else:
            path, value = pick([(p, v) for p, v in read if isinstance(v, list) and v])
            mutant = dumped(lambda d: replace_at(d, path, pick(
                [value + value[:1], value[0], [value], value[::-1]])))
        yield kind, mutant


def json_value(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def in_process(main, argv):
    """(exit status, stdout, stderr) of a command line's main() run here; the exit
    status is None and stderr the traceback when it raised anything but SystemExit."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as e:
        code = e.code
    except BaseException:  # noqa: B036 -- a traceback is what the test looks for
        return None, out.getvalue(), traceback.format_exc()
    return code, out.getvalue(), err.getvalue()


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, names in os.walk(root) for f in names)


def try_mutant(task):
    """Runs scripts/plot and scripts/report (their main(), in this process) on one mutant in
    a directory of its own, also their current directory; returns what went wrong, or
    None, and the exit statuses."""
    number, kind, source_kind, data, root = task
    sys.path.insert(0, os.path.join(SOURCE, "scripts"))
    from mmcharts import plot as plot_cli, report as report_cli
    here = os.path.join(root, f"m{number}")
    source = os.path.join(here, "in")
    os.makedirs(source)
    name = "results.json" if source_kind == "results" else "compare.json"
    with open(os.path.join(source, name), "wb") as f:
        f.write(data)
    out = os.path.join(here, "out")
    os.chdir(here)
    problems, codes, warned = [], [], []
    for prog, main in (("plot", plot_cli.main), ("report", report_cli.main)):
        code, stdout, stderr = in_process(main, [source, "--output", out, "--size", "480x320"] +
                                          (["--jobs", "1"] if prog == "plot" else []))
        codes.append(code)
        if code is None:
            problems.append(f"scripts/{prog} raised:\n{stderr}")
        elif code == 2:
            if stderr.count("\n") != 1 or not stderr.startswith(f"scripts/{prog}: ") or \
                    name not in stderr:
                problems.append(f"scripts/{prog} exit 2 with:\n{stderr}")
        elif code == 0:
            odd = [line for line in stderr.splitlines()
                   if not line.startswith(f"scripts/{prog}: warning: ")]
            warned += [line for line in stderr.splitlines() if line not in odd]
            if odd:
                problems.append(f"scripts/{prog} exit 0 with:\n{stderr}")
        else:
            problems.append(f"scripts/{prog} exit {code}:\n{stderr}")
    os.chdir(root)
    if codes[0] != codes[1]:
        problems.append(f"scripts/plot exit {codes[0]}, scripts/report {codes[1]}")
    outside = [f for f in files_under(here) if not f.startswith("out" + os.sep) and
               f != os.path.join("in", name)]
    if outside:
        problems.append(f"files written outside the output directory: {outside}")
    with open(os.path.join(source, name), "rb") as f:
        if f.read() != data:
            problems.append(f"{name} was changed")
    if codes[0] == 2 and os.path.exists(out):
        problems.append("the output directory was made for input that was refused")
    if pwned(here):
        problems.append(f"commands ran: {pwned(here)}")
    shutil.rmtree(here, ignore_errors=True)
    return number, kind, problems, codes, warned


MUTANTS = 170           # of results.json
COMPARE_MUTANTS = 30    # of compare.json
KEEP_MUTANTS = os.environ.get("MMBENCH_KEEP_MUTANTS")   # a directory for failing ones
# MMBENCH_MUTANTS_SEED=N draws other mutants (the default seed is fixed).


def test_mutated(tmp):
    """Mutants of a real results.json (and of a compare.json), made with a fixed seed:
    scripts/plot and scripts/report exit 0 or 2 on each, with a one-line message, never
    a traceback; no command in them runs, nothing is written outside the output
    directory. Some also run as the scripts themselves, to show main() is what they run."""
    sys.path.insert(0, os.path.join(SOURCE, "scripts"))
    data_dir = os.path.join(tmp, "data")
    os.mkdir(data_dir)
    results = mmbench_run(tmp, "seed", tiny(
        [{"name": "r", "block_size": ["4KiB", "8KiB"]},
         {"name": "w", "op": "write", "sync": "fsync", "sync_every": 50}],
        file_size="1MiB", ops=200, dir=data_dir))
    compare = os.path.join(tmp, "compare")
    write_compare(compare)
    rng = random.Random(int(os.environ.get("MMBENCH_MUTANTS_SEED", "20261204")))
    with open(os.path.join(results, "results.json"), "rb") as f:
        tasks = [(n, kind, "results", m) for n, (kind, m) in
                 enumerate(mutants(f.read(), rng, MUTANTS))]
    with open(os.path.join(compare, "compare.json"), "rb") as f:
        tasks += [(MUTANTS + n, kind, "compare", m) for n, (kind, m) in
                  enumerate(mutants(f.read(), rng, COMPARE_MUTANTS))]
    root = os.path.join(tmp, "mutants")
    os.mkdir(root)
    before = files_under(tmp)
    context = multiprocessing.get_context("spawn")   # fork in a threaded process may hang
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        outcomes = list(pool.map(try_mutant, [t + (root,) for t in tasks]))
    failures = [f"mutant {n} ({kind}): " + "; ".join(problems)
                for n, kind, problems, _, _ in outcomes if problems]
    if failures and KEEP_MUTANTS:
        os.makedirs(KEEP_MUTANTS, exist_ok=True)
        for n, _, problems, _, _ in outcomes:
            if problems:
                with open(os.path.join(KEEP_MUTANTS, f"mutant-{n}.json"), "wb") as f:
                    f.write(tasks[n][3])
    elif failures:
        failures.append("(set MMBENCH_KEEP_MUTANTS=DIR to keep the failing files)")
    failed = sum(1 for outcome in outcomes if outcome[2])
    check(not failed, f"{failed} of {len(tasks)} mutants failed:\n" +
          "\n".join(failures[:5] + failures[-1:]))
    check(files_under(tmp) == before, "files appeared outside the mutants' directories")
    check(not pwned(tmp), f"commands ran: {pwned(tmp)}")
    # The scripts themselves, on a few mutants: the same exit status as their main().
    for n, kind, source_kind, data in tasks[::37]:
        source = os.path.join(tmp, "again", "in")
        os.makedirs(source)
        name = "results.json" if source_kind == "results" else "compare.json"
        with open(os.path.join(source, name), "wb") as f:
            f.write(data)
        for script, code in zip((PLOT, REPORT), outcomes[n][3]):
            _, stderr = run([sys.executable, script, source, "--output",
                             os.path.join(tmp, "again", "out"), "--size", "480x320"],
                            cwd=os.path.join(tmp, "again"), expect=code)
            check("Traceback" not in stderr, stderr)
        shutil.rmtree(os.path.join(tmp, "again"))
    by_kind = {}
    for _, kind, _, codes, _ in outcomes:
        by_kind.setdefault(kind, []).append(codes[0])
    print(f"{len(tasks)} mutants: " + ", ".join(
        f"{kind} {codes.count(0)} drawn/{codes.count(2)} refused"
        for kind, codes in sorted(by_kind.items())))
    # The warnings themselves, not the lines naming the script gnuplot warned about.
    warned = {line for outcome in outcomes for line in outcome[4]
              if not re.match(r"scripts/\w+: warning: gnuplot /", line)}
    print(f"{sum(1 for o in outcomes if o[4])} drawn with gnuplot warnings" +
          "".join(f"\n  {line}" for line in sorted(warned)[:10]))


NEEDS_GNUPLOT = {"run", "single", "compare", "many", "hostile", "sent_output", "backends",
                 "gnuplot_facts", "readers", "mutated", "timeline", "kinds", "amplification",
                 "profile", "killed", "sections"}


def main():
    if len(sys.argv) == 2 and sys.argv[1] in NEEDS_GNUPLOT and not shutil.which("gnuplot"):
        print(f"skip {sys.argv[1]}: gnuplot is not installed (scripts/install-deps --test)")
        return mmtest.SKIP
    return mmtest.main(globals(), __doc__)


if __name__ == "__main__":
    sys.exit(main())
