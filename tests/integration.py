#!/usr/bin/env python3
"""Integration tests: run the real mmbench binary on small real files.

Usage: integration.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
Environment: MMBENCH (the binary), MMBENCH_SOURCE (the source tree).
Exit status 0 = pass, 1 = fail, 77 = skipped (meson's convention).
"""
import csv
import glob
import json
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile

import mmtest
from mmtest import check

import mmpattern

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
SOURCE = os.environ.get("MMBENCH_SOURCE", ".")


def run(args, cwd, expect=0, timeout=120, env=None):
    """Runs mmbench with args; returns (stdout, stderr)."""
    return mmtest.run([MMBENCH] + args, cwd, expect, timeout, env)


def write_config(path, config):
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


def tiny(workloads, **defaults):
    return mmtest.tiny("tiny", workloads, **defaults)


def load_results(out_dir):
    results = mmtest.load_results(out_dir)
    with open(os.path.join(out_dir, "runs.csv"), newline="") as f:
        runs = list(csv.DictReader(f))
    with open(os.path.join(out_dir, "summary.csv"), newline="") as f:
        summary = list(csv.DictReader(f))
    return results, runs, summary


def leftovers(data_dir):
    return glob.glob(os.path.join(data_dir, "mmbench-*"))


# ---- subtests ----

def test_end_to_end(tmp):
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(
        [{"name": "randread", "pattern": "random"},
         {"name": "seqwrite", "pattern": "sequential", "op": "write", "sync": "fsync",
          "sync_every": 100}], dir=data, latency="all"))
    out = os.path.join(tmp, "out")
    stdout, stderr = run([cfg, "--output", out], cwd=tmp)
    for text in ("randread: random read", "seqwrite: sequential write", "verdict:",
                 "mmap", "pread", "results: " + out):
        check(text in stdout, f"console lacks {text!r}:\n{stdout}")
    check("flush fsync" in stdout, "console lacks the flush line")
    results, runs, summary = load_results(out)
    backends = mmtest.default_backends(MMBENCH)
    nb = len(backends)
    check(results["complete"] and not results["interrupted"], "run not complete")
    # latency: all adds min(repetitions, 3) rounds with latency off to measure its cost.
    check(sum(r["role"] == "latency_off" for r in runs) == 2 * nb * 2, "latency_off runs")
    runs = [r for r in runs if r["role"] == "measured"]
    check(len(runs) == 2 * nb * 2, f"{len(runs)} measured runs, expected {2 * nb * 2} ({backends})")
    check(all(r["status"] == "ok" for r in runs), "a run failed")
    for r in runs:
        check(float(r["tput_mib_s"]) > 0, "zero throughput")
        check(int(r["ops"]) == 2000, f"ops {r['ops']}")
        check(int(r["bytes"]) == 2000 * 4096, "bytes")
        check(float(r["latency_p50_ns"]) > 0, "no latency")
    check(len(summary) == 2 * nb, "summary rows")
    check(all(row["latency_cost_pct"] != "" for row in summary), "latency: all cost not stated")
    check("latency: all cost" in stdout, "the console does not state what latency: all cost")
    # Aggregates and the verdict, in all three places.
    for row in summary:
        check(int(row["repetitions_ok"]) == 2 and float(row["tput_median_mib_s"]) > 0,
              "summary aggregates")
        check(row["verdict"] == "baseline" if row["backend"] == "pread" else
              row["verdict"].startswith(tuple(b + " " for b in backends) + ("no significant",)),
              row["verdict"])
        check(float(row["ratio_to_baseline"]) > 0, "ratio")
        check(row["baseline"] == "pread", "baseline")
    comparisons = results["comparisons"]
    check({c["workload"] for c in comparisons} == {"randread", "seqwrite"},
          f"comparisons {comparisons}")
    check(len(comparisons) == 2 * (nb - 1), f"{len(comparisons)} comparisons with the baseline")
    for c in comparisons:
        check(c["verdict"] in stdout, f"console lacks the verdict of {c['workload']}: "
                                      f"{c['verdict']}")
    check(all(r["round"] in ("0", "1") for r in runs), "rounds")
    check(sorted(int(r["sequence"]) for r in runs if r["workload"] == "randread") ==
          list(range(2 * nb)), "interleaved sequence")
    check(leftovers(data) == [], f"data files left behind: {leftovers(data)}")
    check(not os.path.exists(os.path.join(out, ".histograms.tmp")), "spill file left")
    check(not glob.glob(os.path.join(out, "*.tmp")), "temporary files left")


def documented_names(section):
    """Names in the first column of the tables under '## section' in docs/results.md."""
    text = open(os.path.join(SOURCE, "docs", "results.md")).read()
    match = re.search(r"^## " + re.escape(section) + r"\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    check(match, f"docs/results.md has no section {section!r}")
    return [m.group(1) for m in re.finditer(r"^\| `([a-z0-9_.]+)`", match.group(1), re.M)]


def test_result_fields(tmp):
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(
        [{"name": "r", "pattern": "random", "block_size": ["4k", "8k"]}], dir=tmp))
    out = os.path.join(tmp, "out")
    run([cfg, "--output", out], cwd=tmp)
    results, runs, summary = load_results(out)
    params = documented_names("Workload parameter columns")
    run_cols = documented_names("runs.csv")
    sum_cols = documented_names("summary.csv")
    for name in ("runs.csv", "summary.csv", "timeline.csv"):
        with open(os.path.join(out, name)) as f:
            names = f.readline().strip().split(",")
        twice = sorted({n for n in names if names.count(n) > 1})
        check(not twice, f"{name}: columns named twice: {twice}")
    with open(os.path.join(out, "runs.csv")) as f:
        header = f.readline().strip().split(",")
    check(set(header) == set(run_cols + params),
          f"runs.csv columns differ from docs: undocumented {set(header) - set(run_cols + params)}"
          f", missing {set(run_cols + params) - set(header)}")
    text = open(os.path.join(SOURCE, "docs", "results.md")).read()
    kind_text = text[text.index("### Kind metrics"):text.index("## summary.csv")]
    kind_cols = re.findall(r"^\| `([a-z0-9_]+)`", kind_text, re.M)
    sum_cols += kind_cols
    with open(os.path.join(out, "summary.csv")) as f:
        header = f.readline().strip().split(",")
    check(set(header) == set(sum_cols + params),
          f"summary.csv columns differ from docs: undocumented {set(header) - set(sum_cols + params)}"
          f", missing {set(sum_cols + params) - set(header)}")
    documented = documented_names("results.json")
    with open(os.path.join(out, "results.json")) as f:
        raw = json.load(f)
    check(set(raw) <= set(documented),
          f"results.json keys not in docs: {set(raw) - set(documented)}")
    check(not raw.get("workload_files"), "a finished run's blocks are inline")
    check(not glob.glob(os.path.join(out, "workloads*")), "the block file left behind")
    block = raw["workloads"][0]
    check(set(block) <= set(documented), f"block keys not in docs: {set(block) - set(documented)}")
    context = documented_names("context")
    check(set(results["context"]) == set(context),
          f"context keys differ from docs: {set(results['context']) ^ set(context)}")
    check(results["schema_version"] == 2, "schema_version")
    text = open(os.path.join(SOURCE, "docs", "results.md")).read()
    counters = text[text.index("### Backend counters"):text.index("## summary.csv")]
    counter_cols = set(re.findall(r"^\| `([a-z0-9_]+)`", counters, re.M))
    check(set(block["runs"][0]) - {"counters", "kind_metrics", "levels", "timeline"} ==
          set(run_cols) - {"workload", "base_name"} - counter_cols,
          "run object fields differ from runs.csv")
    check(set(block["runs"][0]) >= {"counters", "kind_metrics", "levels", "timeline"},
          "run object extras")
    check(set(block["summaries"][0]) - {"latency_histogram", "flush_histogram", "levels",
                                        "level_change", "runs_with_levels", "profile",
                                        "kind_metrics"} ==
          set(sum_cols) - {"workload", "base_name"} - set(kind_cols),
          "summary object fields differ")
    for s in results["summaries"]:
        check("latency_histogram" in s and s["latency_histogram"]["count"] > 0, "histogram")
        total = sum(b[2] for b in s["latency_histogram"]["buckets"])
        check(total == s["latency_histogram"]["count"], "bucket counts do not add up")
    workloads = results["config"]["workloads"]
    check([w["name"] for w in workloads] == ["r/block_size=4KiB", "r/block_size=8KiB"], "names")
    check(workloads[1]["params"]["block_size_bytes"] == 8192, "params in JSON")
    ctx = results["context"]
    for key in ("kernel", "cpu", "timer", "targets"):
        check(ctx[key], f"empty context {key}")
    check(ctx["targets"][0]["fs_type"] not in ("", "unknown"), "filesystem type unknown")
    check(ctx["cpu"]["brand"], "cpu brand")


def test_checksums(tmp):
    # Independently computed checksums of ops-mode read workloads (tests/mmpattern.py
    # re-implements the documented offset stream, data pattern and fold).
    cases = [
        {"name": "rand-copy", "pattern": "random", "access": "copy"},
        {"name": "rand-sum", "pattern": "random", "access": "checksum", "block_size": 64},
        {"name": "seq-copy", "pattern": "sequential", "access": "copy", "stride": 8192},
    ]
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(cases, file_size="1MiB", ops=3000,
                                                         seed=11, dir=tmp))
    out = os.path.join(tmp, "out")
    run([cfg, "--output", out], cwd=tmp)
    results, runs, _ = load_results(out)
    for case in cases:
        block = case.get("block_size", 4096)
        stride = case.get("stride", block)
        expected = mmpattern.checksum(case["pattern"], 1 << 20, block, stride, 3000, 11,
                                      case["access"])
        mine = [r for r in runs if r["base_name"] == case["name"]]
        check(len(mine) == 2 * len(mmtest.default_backends(MMBENCH)), "runs")
        for r in mine:
            check(int(r["checksum"], 16) == expected,
                  f"{case['name']}/{r['backend']}: checksum {r['checksum']}, "
                  f"expected {expected:016x}")
    for c in results["comparisons"]:
        check(c["checksum"].startswith("match") and "all 3000 operations" in c["checksum"],
              f"comparison checksum: {c['checksum']}")
    # Duration mode with threads: the backends do different numbers of operations, and the
    # comparison falls back to the common power-of-two prefix.
    cfg = write_config(os.path.join(tmp, "d.json"), {
        "name": "dur", "defaults": {"file_size": "4MiB", "duration": "100ms", "repetitions": 1,
                                    "warmup": 0, "dir": tmp, "threads": 2},
        "workloads": [{"name": "r", "pattern": "random"}]})
    run([cfg, "--output", os.path.join(tmp, "out2")], cwd=tmp)
    results, _, _ = load_results(os.path.join(tmp, "out2"))
    check(re.match(r"match \(\d+ runs, first \d+ operations per thread\)",
                   results["comparisons"][0]["checksum"]), results["comparisons"][0]["checksum"])


def children_of(pid):
    """The live child processes of pid."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def test_processes(tmp):
    """workers: processes does the same work as threads (the same checksums, every one of
    them equal across backends and repetitions, also with writes and flushes), each worker
    a process of its own, and no process is left behind."""
    cases = [{"name": "r", "pattern": "random", "threads": 3, "workers": ["threads", "processes"]},
             {"name": "s", "pattern": "sequential", "threads": 2, "access": "checksum",
              "workers": ["threads", "processes"]},
             {"name": "w", "pattern": "random", "op": "write", "sync": "ms_sync",
              "sync_every": 50, "threads": 2, "workers": "processes"}]
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(cases, file_size="2MiB", ops=3000,
                                                         seed=5, dir=tmp))
    out = os.path.join(tmp, "out")
    stdout, _ = run([cfg, "--output", out], cwd=tmp)
    check("3 worker processes" in stdout, "the console does not say worker processes")
    results, runs, _ = load_results(out)
    check(all(r["status"] == "ok" for r in runs), [r["error"] for r in runs if r["error"]])
    for base in ("r", "s"):
        sums = {r["checksum"] for r in runs if r["base_name"] == base}
        check(len(sums) == 1, f"{base}: checksums differ between threads and processes: {sums}")
    by_mode = {r["workload"]: float(r["faults_per_op"]) for r in runs
               if r["base_name"] == "r" and r["backend"] == "mmap"}
    check(by_mode["r/workers=processes"] >= by_mode["r/workers=threads"],
          f"processes fault their own page tables: {by_mode}")
    check(children_of(os.getpid()) == [], "processes left behind")


def test_kinds(tmp):
    """Every kind runs on a small file and measures what it says: a heap buffer per process
    (pread) holds a copy each, one mapping's pages are shared; the first store to a private
    page is a copy-on-write fault, a repeated one is not; messages arrive intact; the
    deterministic claims hold. A kind's keys and backends are checked before anything runs."""
    length = 2 << 20
    cases = [{"name": "fp", "kind": "footprint", "processes": 3, "footprint_length": "2MiB"},
             {"name": "cow", "kind": "cow", "cow_length": "1MiB"},
             {"name": "ipc", "kind": "ipc", "message_size": ["64", "8KiB"], "messages": 200,
              "file_size": "8MiB"},
             {"name": "claim", "kind": "claim",
              "claim": ["private_write_invisible", "shared_write_visible", "sigbus_past_eof"]}]
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(cases, dir=tmp, repetitions=1))
    out = os.path.join(tmp, "out")
    stdout, _ = run([cfg, "--output", out], cwd=tmp)
    results, runs, summary = load_results(out)
    check(all(r["status"] == "ok" for r in runs), [r["error"] for r in runs if r["error"]])
    blocks = {b["name"]: b for b in results["workloads"]}
    fp = {s["backend"]: s["kind_metrics"] for s in blocks["fp"]["summaries"]}
    check(set(fp) == {"mmap", "pread"}, f"footprint backends: {set(fp)}")
    check(fp["pread"]["private_per_process_bytes"] >= 0.9 * length,
          f"pread's buffer is a private copy each: {fp['pread']}")
    check(fp["mmap"]["vma_pss_per_process_bytes"] <= 0.5 * length,
          f"a MAP_SHARED mapping's pages are shared by 3: {fp['mmap']}")
    verdict = blocks["fp"]["comparisons"][0]["verdict"]
    check("less pss_per_process_bytes" in verdict, f"footprint verdict: {verdict}")
    cow = blocks["cow"]["summaries"][0]["kind_metrics"]
    check(cow["private_first_faults_per_page"] >= 0.9, f"a fault per first store: {cow}")
    check(cow["private_anonymous_bytes"] >= 0.9 * (1 << 20), f"copies are anonymous: {cow}")
    check(cow["file_pages_changed"] == 0, f"private stores left the file alone: {cow}")
    check(cow["private_first_p50_ns"] > cow["private_repeat_p50_ns"],
          f"a copy-on-write fault costs more than a store to a page of one's own: {cow}")
    for name in ("ipc/message_size=64B", "ipc/message_size=8KiB"):
        for s in blocks[name]["summaries"]:
            m = s["kind_metrics"]
            check(m["verify_failures"] == 0 and m["rtt_p50_ns"] > 0,
                  f"{name}/{s['backend']}: {m}")
        check(len(blocks[name]["summaries"]) == 2, f"{name}: both backends")
    for name in ("private_write_invisible", "shared_write_visible", "sigbus_past_eof"):
        block = blocks[f"claim/claim={name}"]
        check(block["claim"]["verdict"] == "holds" and block["claim"]["evidence"],
              f"{name}: {block['claim']}")
        check(block["claim"]["id"] == name, block["claim"])
    figures = {f["name"]: f["value"] for f in
               blocks["claim/claim=sigbus_past_eof"]["claim"]["figures"]}
    check(figures.get("truncated_signal") == signal.SIGBUS and
          figures.get("unmapped_signal") == signal.SIGSEGV, f"signals recorded: {figures}")
    check("claim: " in stdout and "verdict: holds" in stdout, "the console states the claims")
    header = open(os.path.join(out, "runs.csv")).readline().strip().split(",")
    check("footprint_pss_per_process_bytes" in header and "kind" in header, "kind columns")
    check(children_of(os.getpid()) == [], "processes left behind")
    check(leftovers(tmp) == [], f"data files left behind: {leftovers(tmp)}")
    for workload, message in (({"name": "a", "kind": "cow", "backends": ["pread"]},
                               "kind cow runs the backends mmap, not pread"),
                              ({"name": "a", "processes": 3},
                               "processes applies only to workloads of kind footprint"),
                              ({"name": "a", "kind": "ipc", "message_size": "1MiB",
                                "file_size": "1MiB"}, "needs file_size"),
                              ({"name": "a", "kind": "claim", "claim": "flat_earth"},
                               "unknown value \"flat_earth\"")):
        work = tempfile.mkdtemp(dir=tmp)
        bad = write_config(os.path.join(work, "bad.json"), tiny([workload], dir=work))
        _, stderr = run([bad], cwd=work, expect=2)
        check(message in stderr, f"stderr lacks {message!r}: {stderr}")
        check(os.listdir(work) == ["bad.json"], f"created files: {os.listdir(work)}")


def kept_data_file(data_dir, size):
    files = glob.glob(os.path.join(data_dir, "mmbench-*", f"data-{size}.bin"))
    check(len(files) == 1, f"expected one kept data file, found {files}")
    return files[0]


def test_kept_rejected(tmp):
    """A kept data file that fails verification is rejected with the reason: removed (with
    its directory) when it is provably mmbench's and unused, else named with the command
    that removes it; a fresh file is made either way."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    size = 1 << 20
    cfg = write_config(os.path.join(tmp, "c.json"), tiny([{"name": "r"}], file_size=size,
                                                         ops=200, repetitions=1, dir=data))

    def corrupt(path):
        with open(path, "r+b") as f:
            f.write(b"\0" * 8)

    run([cfg, "--keep-files", "--output", os.path.join(tmp, "o1")], cwd=tmp)
    first = kept_data_file(data, size)
    corrupt(first)
    _, stderr = run([cfg, "--keep-files", "--output", os.path.join(tmp, "o2")], cwd=tmp)
    expected = (f"kept data file {first} rejected (the word at offset 0 is not mmbench's "
                f"data pattern): removed it")
    check(expected in stderr, f"stderr lacks {expected!r}:\n{stderr}")
    check(not os.path.exists(os.path.dirname(first)), f"{os.path.dirname(first)} was left")
    second = kept_data_file(data, size)
    check(second != first, "no fresh file was made")
    corrupt(second)
    notes = os.path.join(os.path.dirname(second), "notes.txt")
    with open(notes, "w") as f:
        f.write("not mmbench's\n")
    _, stderr = run([cfg, "--output", os.path.join(tmp, "o3")], cwd=tmp)
    expected = (f"kept data file {second} rejected (the word at offset 0 is not mmbench's "
                f"data pattern): left in place; remove it with: rm -- '{second}'")
    check(expected in stderr, f"stderr lacks {expected!r}:\n{stderr}")
    check(os.path.exists(second) and os.path.exists(notes), "a file was removed that may "
                                                            "not be mmbench's")
    check(leftovers(data) == [os.path.dirname(second)], f"left: {leftovers(data)}")


def read_uncached(path):
    """Reads a file after dropping its clean pages from the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return os.read(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def test_write_verify(tmp):
    size, block = 256 * 1024, 4096
    cases = [
        ("mmap", "ms_sync", "shared", True),
        ("mmap", "fsync", "shared", True),
        ("pread", "fdatasync", "shared", True),
        ("pread", "ms_sync", "shared", True),
        ("mmap", "ms_sync", "private", False),   # copy-on-write: the file keeps its pattern
    ]
    for backend, sync, mapping, changes in cases:
        data = tempfile.mkdtemp(dir=tmp)
        wl = {"name": "w", "pattern": "sequential", "op": "write", "sync": sync,
              "backends": [backend], "ops": size // block, "repetitions": 1}
        if backend == "mmap":
            wl["map"] = mapping
        cfg = write_config(os.path.join(data, "c.json"),
                           tiny([wl], file_size=size, dir=data))
        out = os.path.join(data, "out")
        run([cfg, "--output", out, "--keep-files"], cwd=data)
        content = read_uncached(kept_data_file(data, size))
        check(len(content) == size, "file size changed")
        if changes:
            check(content == mmpattern.write_block(block) * (size // block),
                  f"{backend}/{sync}: written blocks not found on disk")
        else:
            check(content == mmpattern.file_bytes(0, size),
                  f"{backend}/{mapping}: the file changed under MAP_PRIVATE")
        _, runs, _ = load_results(out)
        check(runs[0]["status"] == "ok", runs[0]["error"])
        check(int(runs[0]["flushes"]) >= 1 and int(runs[0]["writes"]) == size // block,
              "flush or writes not counted")


def documented_mix64():
    """mix64 and the two keys exactly as docs/results.md spells them ("Checksums and data"),
    as a function: (mix64, file key, write key)."""
    text = open(os.path.join(SOURCE, "docs", "results.md")).read()
    block = re.search(r"```\nmix64\(x\):\n(.*?)```", text, re.S)
    check(block, "docs/results.md does not spell out mix64 step by step")
    steps = [line.strip() for line in block.group(1).strip().splitlines()]
    check(len(steps) == 4, f"mix64 in docs/results.md: {len(steps)} steps, expected 4")
    increment = re.fullmatch(r"z = x \+ (0x[0-9a-f]+)", steps[0])
    rounds = [re.fullmatch(r"z = \(z XOR \(z >> (\d+)\)\) \* (0x[0-9a-f]+)", s) for s in steps[1:3]]
    final = re.fullmatch(r"return z XOR \(z >> (\d+)\)", steps[3])
    check(increment and all(rounds) and final, f"unexpected mix64 steps: {steps}")
    mask = (1 << 64) - 1

    def mix(x):
        z = (x + int(increment.group(1), 16)) & mask
        for r in rounds:
            z = ((z ^ (z >> int(r.group(1)))) * int(r.group(2), 16)) & mask
        return z ^ (z >> int(final.group(1)))

    file_key = re.search(r"`mix64\(\(o / 8\) XOR\s+(0x[0-9a-f]+)\)`", text)
    write_key = re.search(r"`mix64\(i XOR (0x[0-9a-f]+)\)`", text)
    check(file_key and write_key, "docs/results.md does not give the file and write keys")
    first = re.search(r"first words of every data file are `([0-9a-f]{16})`, `([0-9a-f]{16})`",
                      text)
    check(first, "docs/results.md does not give the first words of a data file")
    return mix, int(file_key.group(1), 16), int(write_key.group(1), 16), \
        [int(first.group(1), 16), int(first.group(2), 16)]


def test_pattern_doc(tmp):
    """docs/results.md, read as written, gives the words of a real data file and of a
    written block; so does tests/mmpattern.py, which follows it."""
    mix, file_key, write_key, first = documented_mix64()
    size, block = 1 << 20, 4096
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(
        [{"name": "r", "pattern": "random", "ops": 100}], file_size=size, dir=data))
    run([cfg, "--keep-files", "--output", os.path.join(tmp, "out")], cwd=tmp)
    content = read_uncached(kept_data_file(data, size))
    words = [int.from_bytes(content[o:o + 8], "little") for o in range(0, size, 8)]
    documented = [mix((o // 8) ^ file_key) for o in range(0, size, 8)]
    bad = next((i for i, (a, b) in enumerate(zip(words, documented)) if a != b), None)
    check(bad is None, f"word {bad} (offset {bad * 8 if bad is not None else 0}) of a real data "
                       f"file is {words[bad] if bad is not None else 0:016x}; docs/results.md "
                       f"says {documented[bad] if bad is not None else 0:016x}")
    check(words[:2] == first, f"first words {words[0]:016x} {words[1]:016x}, the doc says "
                              f"{first[0]:016x} {first[1]:016x}")
    check(content == mmpattern.file_bytes(0, size), "tests/mmpattern.py disagrees with a real "
                                                    "data file")
    wl = {"name": "w", "pattern": "sequential", "op": "write", "sync": "fsync",
          "backends": ["pread"], "ops": size // block}
    wdata = os.path.join(tmp, "wdata")
    os.mkdir(wdata)
    cfg = write_config(os.path.join(tmp, "w.json"), tiny([wl], file_size=size, dir=wdata,
                                                         repetitions=1))
    run([cfg, "--keep-files", "--output", os.path.join(tmp, "wout")], cwd=tmp)
    content = read_uncached(kept_data_file(wdata, size))
    written = b"".join(mix(i ^ write_key).to_bytes(8, "little") for i in range(block // 8))
    check(content == written * (size // block), "written blocks differ from docs/results.md")
    check(written == mmpattern.write_block(block), "tests/mmpattern.py's written block differs")
# Every backend, and the variants of its own keys: (name, keys).
BACKEND_VARIANTS = [
    ("mmap", {"backends": ["mmap"]}),
    ("pread", {"backends": ["pread"]}),
    ("read", {"backends": ["read"]}),
    ("preadv2", {"backends": ["preadv2"]}),
    ("preadv2-nowait", {"backends": ["preadv2"], "rwf": "nowait"}),
    ("preadv2-hipri", {"backends": ["preadv2"], "rwf": "hipri"}),
    ("preadv2-dontcache", {"backends": ["preadv2"], "rwf": "dontcache"}),
    ("io_uring-qd1", {"backends": ["io_uring"], "iodepth": 1}),
    ("io_uring-qd8", {"backends": ["io_uring"], "iodepth": 8}),
    ("io_uring-qd8-fixed", {"backends": ["io_uring"], "iodepth": 8, "fixed_buffers": True,
                            "fixed_files": True}),
    ("io_uring-qd4-sqpoll", {"backends": ["io_uring"], "iodepth": 4, "sqpoll": True}),
]

# The counter columns of runs.csv, by backend (filled on that backend's rows only).
BACKEND_COUNTERS = {
    "read": ["read_lseeks"],
    "preadv2": ["preadv2_nowait_hits", "preadv2_nowait_fallbacks"],
    "io_uring": ["io_uring_enter_calls", "io_uring_completions", "io_uring_resubmits",
                 "io_uring_window_waits"],
}


def fs_type(path):
    """The filesystem type of the mount holding path, from /proc/mounts."""
    path, best, kind = os.path.realpath(path), "", "?"
    for line in open("/proc/mounts"):
        fields = line.split()
        mnt = fields[1]
        if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
            best, kind = mnt, fields[2]
    return kind


def refusal(tmp, config):
    """Runs config with -n: None when it is accepted, else stderr (exit 2, nothing made)."""
    work = tempfile.mkdtemp(dir=tmp)
    for w in config["workloads"]:
        w.setdefault("dir", work)
    cfg = write_config(os.path.join(tmp, "refusal.json"), config)
    proc = subprocess.run([MMBENCH, cfg, "-n"], cwd=work, capture_output=True, text=True,
                          timeout=60)
    check(proc.returncode in (0, 2), f"-n: exit {proc.returncode}\n{proc.stderr}")
    check(os.listdir(work) == [], f"-n created {os.listdir(work)}")
    return proc.stderr if proc.returncode == 2 else None


def expected_lseeks(ops, block):
    """lseek calls of the read backend: one per transfer that does not start where the
    previous one ended (a fresh descriptor is at 0)."""
    position, seeks = 0, 0
    for offset, _ in ops:
        seeks += offset != position
        position = offset + block
    return seeks


def test_backends(tmp):
    """Every backend and the variants of its keys on small files, for each op and pattern:
    read checksums against the independent implementation (and equal across backends with
    threads, cold cache and O_DIRECT), written data on disk after dropping its pages,
    counters and system calls per operation, and the refusals."""
    stdout, _ = run(["--list-backends"], cwd=tmp)
    listed = [line.split()[0] for line in stdout.splitlines() if not line.startswith(" ")]
    check(listed == ["mmap", "pread", "read", "preadv2", "io_uring"], f"backends {listed}")
    available = set(mmtest.default_backends(MMBENCH))
    variants = [(n, k) for n, k in BACKEND_VARIANTS if k["backends"][0] in available]
    for name in sorted({k["backends"][0] for _, k in BACKEND_VARIANTS} - available):
        print(f"{name} cannot run here: its cases are left out")
    fs = fs_type(tmp)
    # A flag the kernel or this filesystem does not take must be refused, with the reason.
    for name, keys in list(variants):
        for op in ("read", "write"):
            why = refusal(tmp, {"name": "probe", "workloads": [
                {"name": "p", "op": op, "file_size": "1MiB", "ops": 10, **keys}]})
            if why is None:
                continue
            check(keys.get("rwf") in ("nowait", "dontcache") and f"rwf {keys['rwf']}: " in why
                  and "Operation not supported" in why, f"{name} {op} refused: {why}")
            print(f"{name} {op} refused on {fs}: {why.strip()}")
            variants = [v for v in variants if v[0] != name or op == "read"]
            if op == "read":
                variants = [v for v in variants if v[0] != name]
                break
            keys["reads_only"] = True
    check(fs != "ext4" or "preadv2-dontcache" in [n for n, _ in variants],
          "RWF_DONTCACHE refused on ext4 (Linux 6.14+ takes it)")

    # Reads: one workload per variant and pattern, the checksum known in advance.
    size, block, count, seed = 1 << 20, 4096, 3000, 11
    data = os.path.join(tmp, "reads")
    os.mkdir(data)
    workloads = []
    direct_ok = fs not in ("tmpfs", "?")
    for name, keys in variants:
        keys = {k: v for k, v in keys.items() if k != "reads_only"}
        for pattern in ("sequential", "random"):
            workloads.append({"name": f"{name}-{pattern}", "pattern": pattern, **keys})
        workloads.append({"name": f"{name}-threads", "pattern": "random", "threads": 2, **keys})
        workloads.append({"name": f"{name}-cold", "pattern": "random", "cache": "cold", **keys})
        workloads.append({"name": f"{name}-sum", "pattern": "random", "access": "checksum",
                          "block_size": 64, **keys})
        if direct_ok and name != "mmap" and keys.get("rwf") != "dontcache":
            workloads.append({"name": f"{name}-direct", "pattern": "random", "direct": True,
                              "cache": "cold", **keys})
    out = os.path.join(tmp, "out-reads")
    run([write_config(os.path.join(tmp, "reads.json"),
                      tiny(workloads, file_size=size, ops=count, seed=seed, dir=data)),
         "--output", out], cwd=tmp, timeout=170)
    _, runs, _ = load_results(out)
    by = {}
    for r in runs:
        check(r["status"] == "ok", f"{r['workload']}: {r['error']}")
        by.setdefault(r["workload"], []).append(r)
    expected = {p: mmpattern.checksum(p, size, block, block, count, seed, "copy")
                for p in ("sequential", "random")}
    expected["sum"] = mmpattern.checksum("random", size, 64, 64, count, seed, "checksum")
    threads_sums = set()
    for name, keys in variants:
        backend = keys["backends"][0]
        for suffix, pattern in (("sequential", "sequential"), ("random", "random"),
                                ("cold", "random"), ("direct", "random"), ("sum", "sum")):
            for r in by.get(f"{name}-{suffix}", []):
                check(int(r["checksum"], 16) == expected[pattern],
                      f"{r['workload']}: checksum {r['checksum']}, expected "
                      f"{expected[pattern]:016x}")
        threads_sums |= {r["checksum"] for r in by[f"{name}-threads"]}
        for r in by[f"{name}-sequential"] + by[f"{name}-random"]:
            ops, per_op = int(r["ops"]), float(r["syscalls_per_op"])
            pattern = "random" if r["workload"].endswith("random") else "sequential"
            stream = mmpattern.operations(pattern, "read", size, block, block, count, seed)
            for b, columns in BACKEND_COUNTERS.items():
                for col in columns:
                    check((r[col] != "") == (b == backend),
                          f"{r['workload']}: {col} is {r[col]!r} on a {backend} row")
            if backend == "mmap":
                check(int(r["syscalls"]) == 0, f"{r['workload']}: {r['syscalls']} system calls "
                                                f"on a warm mmap read")
            elif backend == "read":
                check(int(r["read_lseeks"]) == expected_lseeks(stream, block),
                      f"{r['workload']}: {r['read_lseeks']} lseeks, expected "
                      f"{expected_lseeks(stream, block)}")
                check(int(r["syscalls"]) == ops + int(r["read_lseeks"]),
                      f"{r['workload']}: {r['syscalls']} system calls")
                check(1.9 < per_op <= 2 if pattern == "random" else per_op < 1.01,
                      f"{r['workload']}: {per_op} system calls per operation")
            elif backend in ("pread", "preadv2"):
                check(int(r["syscalls"]) == ops, f"{r['workload']}: {r['syscalls']} system "
                                                  f"calls for {ops} operations")
                if keys.get("rwf") == "nowait":
                    check(int(r["preadv2_nowait_hits"]) == ops and
                          int(r["preadv2_nowait_fallbacks"]) == 0,
                          f"{r['workload']}: warm nowait hits {r['preadv2_nowait_hits']}, "
                          f"fallbacks {r['preadv2_nowait_fallbacks']}")
                else:
                    check(int(r["preadv2_nowait_hits"] or 0) == 0, "hits without nowait")
            else:
                depth = keys["iodepth"]
                enters = int(r["io_uring_enter_calls"])
                check(int(r["io_uring_completions"]) == ops and
                      int(r["io_uring_resubmits"]) == 0,
                      f"{r['workload']}: completions {r['io_uring_completions']}, "
                      f"resubmits {r['io_uring_resubmits']} for {ops} operations")
                check(int(r["syscalls"]) == enters, f"{r['workload']}: syscalls "
                                                    f"{r['syscalls']} != enters {enters}")
                if keys.get("sqpoll"):
                    check(per_op < 0.5, f"{r['workload']}: {per_op} system calls per "
                                        f"operation with sqpoll")
                elif depth == 1:
                    check(enters == ops, f"{r['workload']}: {enters} enters, {ops} ops")
                else:
                    check(per_op < 1 and enters >= ops / depth,
                          f"{r['workload']}: {per_op} system calls per operation at depth "
                          f"{depth}")
        if keys.get("rwf") == "nowait":
            for r in by[f"{name}-cold"]:
                hits, falls = int(r["preadv2_nowait_hits"]), int(r["preadv2_nowait_fallbacks"])
                check(hits + falls == int(r["ops"]) and falls > 0,
                      f"{r['workload']}: cold nowait hits {hits}, fallbacks {falls}")
    check(len(threads_sums) == 1, f"two threads: the backends read different data "
                                  f"{threads_sums}")

    # Writes: each variant's own files, read back after their pages are dropped.
    combos = [(op, pattern) for op in ("write", "readwrite")
              for pattern in ("sequential", "random")]
    for name, keys in variants:
        if keys.get("reads_only"):
            continue
        work = os.path.join(tmp, "w-" + name)
        os.mkdir(work)
        sizes = {c: (256 + 4 * i) * 1024 for i, c in enumerate(combos)}
        wl = [{"name": f"{op}-{pattern}", "op": op, "pattern": pattern,
               "file_size": sizes[(op, pattern)], "ops": 96, "sync": "fdatasync",
               "sync_every": 16, **keys} for op, pattern in combos]
        if name == "io_uring-qd8":  # every flush after every earlier write completed
            wl += [{"name": "sync", "op": "write", "pattern": "random", "file_size": 300 * 1024,
                    "ops": 96, "sync": ["fsync", "fdatasync", "sync_file_range", "ms_sync",
                                        "ms_async"], "sync_every": 8, **keys}]
        out = os.path.join(work, "out")
        run([write_config(os.path.join(work, "c.json"),
                          tiny(wl, repetitions=1, seed=seed, dir=work)),
             "--output", out, "--keep-files"], cwd=work)
        _, runs, _ = load_results(out)
        for r in runs:
            check(r["status"] == "ok", f"{name} {r['workload']}: {r['error']}")
            check(int(r["flushes"]) >= 96 // 16 if r["base_name"] != "sync" else
                  int(r["flushes"]) >= 96 // 8, f"{name} {r['workload']}: {r['flushes']} flushes")
            check(r["flush_call"] != "", f"{name}: no flush call named")
        for (op, pattern), fsize in sizes.items():
            stream = mmpattern.operations(pattern, op, fsize, block, block, 96, seed)
            writes = [r for r in runs if r["base_name"] == f"{op}-{pattern}"]
            check(int(writes[0]["writes"]) == sum(w for _, w in stream),
                  f"{name} {op}-{pattern}: {writes[0]['writes']} writes, expected "
                  f"{sum(w for _, w in stream)}")
            content = read_uncached(kept_data_file(work, fsize))
            check(content == mmpattern.file_after_writes(fsize, block, stream),
                  f"{name} {op}-{pattern}: the file on disk is not what the writes make")
        if name == "io_uring-qd8":
            stream = mmpattern.operations("random", "write", 300 * 1024, block, block, 96, seed)
            check(read_uncached(kept_data_file(work, 300 * 1024)) ==
                  mmpattern.file_after_writes(300 * 1024, block, stream),
                  "io_uring with the sync modes: the file on disk is not what the writes make")

    # Refusals: exit 2, the reason, nothing created.
    cases = [({"iodepth": 0, "backends": ["io_uring"]}, "iodepth: 0: too small: must be at least 1"),
             ({"iodepth": 257, "backends": ["io_uring"]}, "iodepth: 257: too large: must be at most 256"),
             ({"iodepth": 4, "backends": ["pread"]},
              "iodepth applies only to the io_uring backend"),
             ({"fixed_buffers": True, "backends": ["mmap", "pread"]},
              "fixed_buffers applies only to the io_uring backend"),
             ({"rwf": "nowait", "backends": ["io_uring"]},
              "rwf applies only to the preadv2 backend")]
    if "io_uring" not in available:
        cases = cases[2:]
    for keys, message in cases:
        why = refusal(tmp, {"name": "bad", "workloads": [{"name": "b", **keys}]})
        check(why and message in why, f"{keys}: not refused with {message!r}: {why}")
    shm = "/dev/shm"
    if fs_type(shm) == "tmpfs" and os.access(shm, os.W_OK):
        shm_dir = tempfile.mkdtemp(dir=shm)
        try:
            why = refusal(tmp, {"name": "bad", "workloads": [
                {"name": "b", "backends": ["preadv2"], "rwf": "dontcache", "dir": shm_dir}]})
            check(why and "rwf dontcache: preadv2(RWF_DONTCACHE) on a file in " + shm_dir in why
                  and "(tmpfs): Operation not supported" in why, f"dontcache on tmpfs: {why}")
            check(os.listdir(shm_dir) == [], "created on tmpfs for a refused config")
        finally:
            shutil.rmtree(shm_dir, ignore_errors=True)
    else:
        print("no writable tmpfs at /dev/shm: the refusal of dontcache there is not tried")


BAD_CONFIGS = [
    ("{\"workloads\": [{\"name\": \"a\", \"blok_size\": 4096}]}",
     "workloads[0].blok_size: unknown key (did you mean block_size?)"),
    ("{\"workloads\": [{\"name\": \"a\", \"block_size\": \"16KiB\", \"file_size\": \"8KiB\"}]}",
     "block_size 16KiB is larger than file_size 8KiB"),
    ("{\"workloads\": [{\"name\": \"a\",}]}", ":1:30: malformed JSON"),
    ("{\"workloads\": [{\"name\": \"a\", \"dir\": \"/nonexistent/dir\"}]}",
     "dir /nonexistent/dir: No such file or directory"),
    ("{\"workloads\": [{\"name\": \"a\", \"dir\": \"/dev/null\"}]}",
     "mmbench never writes to existing files or devices"),
    ("{\"workloads\": [{\"name\": \"a\", \"file_size\": \"100TiB\"}]}",
     "but only"),
    ("{\"workloads\": [{\"name\": \"a\", \"seed\": [" + ",".join(str(i) for i in range(1001)) +
     "]}]}", "expands to 1001 workloads; more than 1000 need --yes"),
]


def test_bad_configs(tmp):
    for text, message in BAD_CONFIGS:
        work = tempfile.mkdtemp(dir=tmp)
        path = os.path.join(work, "bad.json")
        with open(path, "w") as f:
            f.write(text)
        _, stderr = run([path, "--set", f"dir={work}"] if "\"dir\"" not in text else [path],
                        cwd=work, expect=2)
        check(message in stderr, f"stderr lacks {message!r}:\n{stderr}")
        check(sorted(os.listdir(work)) == ["bad.json"],
              f"files were created for a bad config: {os.listdir(work)}")
    _, stderr = run([os.path.join(tmp, "missing.json")], cwd=tmp, expect=2)
    check("cannot read config" in stderr and "No such file" in stderr, stderr)


def test_cli_errors(tmp):
    for args, message in ((["--bogus"], "unknown option --bogus"),
                          (["--output"], "option --output needs an argument"),
                          (["a.json", "b.json"], "unexpected argument b.json"),
                          (["--timer", "sundial"], "--timer sundial: expected auto or clock")):
        _, stderr = run(args, cwd=tmp, expect=2)
        check(message in stderr and "usage: mmbench" in stderr,
              f"{args}: stderr lacks {message!r} or the usage:\n{stderr}")
    stdout, _ = run(["--help"], cwd=tmp)
    lines = stdout.splitlines()
    check(len(lines) <= 24 and max(len(line) for line in lines) <= 80,
          f"--help does not fit on a screen ({len(lines)} lines)")
    stdout, _ = run(["--version"], cwd=tmp)
    check(stdout.startswith("mmbench "), stdout)
    stdout, _ = run(["--list-backends"], cwd=tmp)
    check("mmap" in stdout and "pread" in stdout, stdout)
    stdout, _ = run(["--list-keys"], cwd=tmp)
    check("block_size" in stdout and "sync_every" in stdout, stdout)


def test_no_overwrite(tmp):
    cfg = write_config(os.path.join(tmp, "c.json"),
                       tiny([{"name": "r"}], ops=500, repetitions=1, dir=tmp))
    run([cfg], cwd=tmp)
    run([cfg], cwd=tmp)
    dirs = sorted(os.listdir(os.path.join(tmp, "results")))
    check(len(dirs) == 2 and all(d.startswith("tiny-") for d in dirs), f"results dirs {dirs}")
    out = os.path.join(tmp, "results", dirs[0])
    before = open(os.path.join(out, "results.json")).read()
    _, stderr = run([cfg, "--output", out], cwd=tmp, expect=2)
    check("exists and is not empty" in stderr and "--replace" in stderr, stderr)
    check(open(os.path.join(out, "results.json")).read() == before, "results overwritten")


def snapshot(directory):
    """{name: (is a symlink, its target or content)} of a directory's entries."""
    state = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.islink(path):
            state[name] = ("link", os.readlink(path))
        else:
            with open(path, "rb") as f:
                state[name] = ("file", f.read())
    return state


def test_output_safety(tmp):
    """--output never overwrites a file it did not write, and never writes through a
    symlink: a directory that holds something is refused (exit 2, nothing written) unless
    --replace, which replaces mmbench's result files by rename only."""
    cfg = write_config(os.path.join(tmp, "c.json"),
                       tiny([{"name": "r"}], ops=300, repetitions=1, dir=tmp))
    victim = os.path.join(tmp, "victim.txt")
    with open(victim, "w") as f:
        f.write("precious\n")
    cases = [("foreign", {"runs.csv": "somebody's numbers\n"}),
             ("tmplink", {"runs.csv.tmp": victim}),
             ("finallink", {"results.json": victim, "notes.txt": "mine\n"})]
    for name, entries in cases:
        out = os.path.join(tmp, name)
        os.mkdir(out)
        for entry, content in entries.items():
            if content == victim:
                os.symlink(victim, os.path.join(out, entry))
            else:
                with open(os.path.join(out, entry), "w") as f:
                    f.write(content)
        before = snapshot(out)
        _, stderr = run([cfg, "--output", out], cwd=tmp, expect=2)
        check("exists and is not empty" in stderr, f"{name}: {stderr}")
        check(snapshot(out) == before, f"{name}: the refused run wrote into {out}: "
                                       f"{sorted(os.listdir(out))}")
        check(open(victim).read() == "precious\n", f"{name}: {victim} was overwritten")
        run([cfg, "--output", out, "--replace"], cwd=tmp)
        check(open(victim).read() == "precious\n",
              f"{name}: --replace wrote through a symlink into {victim}")
        after = snapshot(out)
        for entry in ("runs.csv", "summary.csv", "results.json"):
            check(after.get(entry, ("",))[0] == "file", f"{name}: {entry} not written")
        for entry, content in entries.items():
            if entry.endswith(".tmp") or entry not in ("runs.csv", "results.json"):
                check(after.get(entry) == before[entry],
                      f"{name}: {entry}, not a result file, was changed")
        check(not [e for e in after if e.endswith(".tmp") and e not in before],
              f"{name}: temporary files left: {sorted(after)}")
    # compare: the same rules.
    base = os.path.join(tmp, "foreign")
    symc = os.path.join(tmp, "symc")
    os.mkdir(symc)
    victim2 = os.path.join(tmp, "victim2.txt")
    with open(victim2, "w") as f:
        f.write("precious too\n")
    os.symlink(victim2, os.path.join(symc, "compare.csv"))
    proc = subprocess.run([MMBENCH, "compare", base, base, "--output", symc],
                          capture_output=True, text=True)
    check(proc.returncode == 2 and "exists and is not empty" in proc.stderr,
          f"compare into a directory with a symlink: exit {proc.returncode}\n{proc.stderr}")
    check(open(victim2).read() == "precious too\n", "compare overwrote victim2.txt")
    proc = subprocess.run([MMBENCH, "compare", base, base, "--output", symc, "--replace"],
                          capture_output=True, text=True)
    check(proc.returncode == 0, f"compare --replace: exit {proc.returncode}\n{proc.stderr}")
    check(open(victim2).read() == "precious too\n", "compare --replace wrote through a symlink")
    check(not os.path.islink(os.path.join(symc, "compare.csv")), "compare.csv not replaced")
    # Names that are not directories: usage errors (2) that say so.
    a_file = os.path.join(tmp, "a-file")
    with open(a_file, "w") as f:
        f.write("x\n")
    for output, message in (("", "--output '': the name is empty"),
                            (a_file, "exists and is not a directory")):
        _, stderr = run([cfg, "--output", output], cwd=tmp, expect=2)
        check(message in stderr, f"--output {output!r}: stderr lacks {message!r}:\n{stderr}")
    check(open(a_file).read() == "x\n", "the file named by --output was changed")
    # An empty directory is fine.
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    run([cfg, "--output", empty], cwd=tmp)
    check(sorted(os.listdir(empty)) == ["results.json", "runs.csv", "summary.csv", "timeline.csv"],
          f"{empty}: {sorted(os.listdir(empty))}")


def test_config_limits(tmp):
    """A config is at most 1 MiB whatever the file is (regular, FIFO, /dev/zero), nests at
    most 32 levels, is UTF-8 in every key and string, and gives no key twice at any level:
    else exit 2, naming where, with nothing created and nothing echoed."""
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    good = json.dumps(tiny([{"name": "r"}], ops=200, repetitions=1, dir=work))
    big = os.path.join(tmp, "big.json")
    with open(big, "w") as f:
        f.write(good[:-1] + " " * (2 << 20) + "}")
    fifo = os.path.join(tmp, "fifo.json")
    os.mkfifo(fifo)
    cases = [
        (big, "config {}: larger than 1 MiB (the limit for a config)".format(big)),
        ("/dev/zero", "config /dev/zero: larger than 1 MiB (the limit for a config)"),
        (fifo, "config {}: larger than 1 MiB (the limit for a config)".format(fifo)),
        (b'{"workloads": [{"name": "r\xff\xfe", "ops": 10}]}',
         'workloads[0].name: "r\\xff\\xfe": not valid UTF-8 (byte 0xff at offset 1)'),
        (b'{"workloads": [{"name": "r", "d\xe9r": "."}]}',
         'workloads[0]: key "d\\xe9r": not valid UTF-8'),
        (b'{"defaults": {"ops": 10}, "defaults": {"ops": 20}, "workloads": [{"name": "r"}]}',
         "defaults: key given twice"),
        (b'{"workloads": [{"name": "r", "seed": ' + b"[" * 100000 + b"]" * 100000 + b"}]}",
         "nested more than 32 levels deep (the limit for a config)"),
    ]
    for source, message in cases:
        path = source if isinstance(source, str) else os.path.join(tmp, "bad.json")
        if not isinstance(source, str):
            with open(path, "wb") as f:
                f.write(source)
        writer = None
        if path == fifo:
            writer = subprocess.Popen(["sh", "-c", f"yes ' ' > {fifo}"],
                                      stderr=subprocess.DEVNULL)
        try:
            proc = subprocess.run([MMBENCH, path, "--set", f"dir={work}"], cwd=work,
                                  capture_output=True, timeout=60)
        finally:
            if writer:
                writer.kill()
                writer.wait()
        stderr = proc.stderr.decode("utf-8", "replace")
        check(proc.returncode == 2, f"{path}: exit {proc.returncode}, expected 2\n{stderr}")
        check(message in stderr, f"{path}: stderr lacks {message!r}:\n{stderr}")
        check(proc.stdout == b"", f"{path}: something went to stdout: {proc.stdout[:200]!r}")
        check(os.listdir(work) == [], f"{path}: created {os.listdir(work)}")


def digest(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns


def test_read_existing(tmp):
    user = os.path.join(tmp, "user.db")
    with open(user, "wb") as f:
        f.write(os.urandom(2 << 20))
    before = digest(user)
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    reader = {"name": "reader", "file": user, "ops": 1000, "repetitions": 2, "warmup": 0,
              "cache": ["warm", "cold"]}
    cfg = write_config(os.path.join(tmp, "c.json"), {"name": "existing", "workloads": [reader]})
    _, stderr = run([cfg], cwd=work, expect=2)
    check("needs --read-existing" in stderr, stderr)
    check(os.listdir(work) == [], "something was created for a refused config")
    out = os.path.join(tmp, "out")
    run([cfg, "--read-existing", "--output", out], cwd=work)
    results, runs, _ = load_results(out)
    check(all(r["status"] == "ok" for r in runs), "a run failed")
    check(all(c["checksum"].startswith("match") for c in results["comparisons"]),
          "backends read different data from the existing file")
    check(results["config"]["workloads"][0]["params"]["file_size_bytes"] == 2 << 20,
          "file_size is not the file's size")
    check(digest(user) == before, "the existing file was changed")
    check(os.listdir(work) == [], "files were created next to the existing file")
    writer = dict(reader, op="write", cache="warm")
    cfg = write_config(os.path.join(tmp, "w.json"), {"name": "existing", "workloads": [writer]})
    _, stderr = run([cfg, "--read-existing"], cwd=work, expect=2)
    check("never writes to a file it did not create" in stderr, stderr)
    check(digest(user) == before, "the existing file was changed")
    if os.geteuid() != 0 or not shutil.which("losetup"):
        return
    loop = subprocess.run(["losetup", "--find", "--show", "--read-only", user],
                          capture_output=True, text=True).stdout.strip()
    if not loop:
        return
    try:
        device = dict(reader, file=loop, cache="cold")
        cfg = write_config(os.path.join(tmp, "d.json"),
                           {"name": "device", "workloads": [device]})
        out = os.path.join(tmp, "out-device")
        run([cfg, "--read-existing", "--output", out], cwd=work)
        results, runs, _ = load_results(out)
        check(all(r["status"] == "ok" for r in runs), "a run on the block device failed")
        check(results["context"]["targets"][0]["block_device"] == os.path.basename(loop),
              f"block device {results['context']['targets'][0]['block_device']}")
        check(results["comparisons"][0]["checksum"].startswith("match"), "device checksums")
    finally:
        subprocess.run(["losetup", "-d", loop])
    check(digest(user) == before, "the device's backing file was changed")


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__))
