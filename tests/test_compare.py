#!/usr/bin/env python3
"""mmbench compare on synthetic result directories with known differences.

Usage: test_compare.py SUBTEST (regression, noise, missing, schema, labels, usage)
"""
import csv
import json
import os
import random
import subprocess
import sys

import mmtest
from mmtest import Failure, check

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))


def results(kernel="6.1.0", fs="ext4", workloads=None, schema=1, seed=1):
    """A minimal results.json: workloads maps name -> {backend: (median MiB/s, spread)}."""
    rng = random.Random(seed)
    workloads = workloads or {}
    runs, comparisons, config = [], [], []
    for name, backends in workloads.items():
        params = {"block_size_bytes": 4096, "dir": f"/mnt/{fs}"}
        params.update(backends.pop("_params", {}))
        config.append({"name": name, "base_name": name, "params": params})
        for backend, (median, spread) in backends.items():
            for rep in range(5):
                runs.append({"workload": name, "backend": backend, "warmup": False,
                             "status": "ok",
                             "tput_mib_s": median * (1 + spread * rng.uniform(-1, 1))})
            runs.append({"workload": name, "backend": backend, "warmup": True, "status": "ok",
                         "tput_mib_s": median / 10})
        if "mmap" in backends and "pread" in backends:
            comparisons.append({"workload": name,
                                "ratio": backends["mmap"][0] / backends["pread"][0]})
    return {"schema_version": schema, "tool": "mmbench", "complete": True,
            "context": {"kernel": {"release": kernel}, "cpu": {"brand": "Test CPU"},
                        "hostname": "host", "mmbench_version": "0.1.0",
                        "date_utc": "2026-01-01T00:00:00Z",
                        "targets": [{"fs_type": fs, "mount_options": "rw,relatime"}]},
            "config": {"name": "synthetic", "workloads": config},
            "runs": runs, "comparisons": comparisons}


def write_run(tmp, name, data):
    path = os.path.join(tmp, name)
    os.makedirs(path)
    with open(os.path.join(path, "results.json"), "w") as f:
        json.dump(data, f)
    return path


def compare(tmp, dirs, extra=(), expect=0):
    out = os.path.join(tmp, "cmp-" + str(len(os.listdir(tmp))))
    proc = subprocess.run([MMBENCH, "compare", *dirs, "--output", out, *extra],
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == expect,
          f"exit {proc.returncode}, expected {expect}\n{proc.stdout}\n{proc.stderr}")
    if expect == 2:
        return proc, None, None
    with open(os.path.join(out, "compare.json")) as f:
        doc = json.load(f)
    with open(os.path.join(out, "compare.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    return proc, doc, rows


def row(rows, workload, backend, run_index):
    for r in rows:
        if r["workload"] == workload and r["backend"] == backend and int(r["run_index"]) == run_index:
            return r
    raise Failure(f"no row {workload}/{backend}/{run_index}")


def test_regression(tmp):
    base = write_run(tmp, "a", results(workloads={"randread": {"mmap": (2000, 0.02),
                                                               "pread": (1000, 0.02)}}))
    slow = write_run(tmp, "b", results(kernel="6.8.0", seed=2,
                                       workloads={"randread": {"mmap": (1000, 0.02),
                                                               "pread": (1010, 0.02)}}))
    proc, doc, rows = compare(tmp, [base, slow], ["--fail-above", "10"], expect=1)
    r = row(rows, "randread", "mmap", 1)
    check(abs(float(r["ratio_to_baseline"]) - 0.5) < 0.05, f"ratio {r['ratio_to_baseline']}")
    check(r["significant"] == "true" and r["regressed"] == "true", "2x regression not flagged")
    check(float(r["ratio_ci_high"]) < 0.6, "interval too wide")
    r = row(rows, "randread", "pread", 1)
    check(r["regressed"] == "false", "1% change flagged as a regression")
    check(doc["regressions"] == [{"workload": "randread", "backend": "mmap", "run": "6.8.0",
                                  "ratio": doc["regressions"][0]["ratio"]}], doc["regressions"])
    check("REGRESSED" in proc.stdout, proc.stdout)
    check(row(rows, "randread", "mmap", 0)["ratio_to_baseline"] == "1", "baseline ratio")
    # Without --fail-above the same comparison succeeds.
    compare(tmp, [base, slow], expect=0)


def test_noise(tmp):
    base = write_run(tmp, "a", results(workloads={"w": {"mmap": (1000, 0.03),
                                                        "pread": (900, 0.03)}}))
    same = write_run(tmp, "b", results(seed=7, workloads={"w": {"mmap": (1010, 0.03),
                                                                "pread": (895, 0.03)}}))
    _, doc, rows = compare(tmp, [base, same], ["--fail-above", "5"], expect=0)
    for backend in ("mmap", "pread"):
        r = row(rows, "w", backend, 1)
        check(r["significant"] == "false", f"{backend}: a 1% change within noise was significant")
        check(r["regressed"] == "false", f"{backend}: flagged")
    check(doc["regressions"] == [], "regressions listed")


def test_missing(tmp):
    base = write_run(tmp, "a", results(workloads={"both": {"mmap": (1, 0.01)},
                                                  "only_a": {"mmap": (1, 0.01)},
                                                  "changed": {"mmap": (1, 0.01)}}))
    other = write_run(tmp, "b", results(fs="xfs", workloads={
        "both": {"mmap": (1, 0.01)}, "only_b": {"mmap": (1, 0.01)},
        "changed": {"mmap": (1, 0.01), "_params": {"block_size_bytes": 8192}}}))
    proc, doc, rows = compare(tmp, [base, other])
    listed = {m["workload"]: m["reason"] for m in doc["not_comparable"]}
    check(set(listed) == {"only_a", "only_b", "changed"}, f"not_comparable {listed}")
    check("missing from [1]" in listed["only_a"], listed["only_a"])
    check("not in the baseline" in listed["only_b"], listed["only_b"])
    check("block_size_bytes" in listed["changed"], listed["changed"])
    check({r["workload"] for r in rows} == {"both", "only_a", "changed"}, "rows")
    check(all(int(r["run_index"]) == 0 for r in rows if r["workload"] != "both"),
          "incomparable runs got rows")
    for name in ("only_a", "only_b", "changed"):
        check(f"not comparable: {name}" in proc.stdout, proc.stdout)


def test_schema(tmp):
    base = write_run(tmp, "a", results(workloads={"w": {"mmap": (1, 0.01)}}))
    future = write_run(tmp, "b", results(schema=2, workloads={"w": {"mmap": (1, 0.01)}}))
    proc, _, _ = compare(tmp, [base, future], expect=2)
    check("schema_version 2" in proc.stderr, proc.stderr)
    os.makedirs(os.path.join(tmp, "empty"))
    proc, _, _ = compare(tmp, [base, os.path.join(tmp, "empty")], expect=2)
    check("cannot read" in proc.stderr, proc.stderr)
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    with open(os.path.join(bad, "results.json"), "w") as f:
        f.write('{"schema_version": 1, "tool": "mmbench", "runs": [')
    proc, _, _ = compare(tmp, [base, bad], expect=2)
    check("not valid JSON" in proc.stderr, proc.stderr)


def test_labels(tmp):
    dirs = [write_run(tmp, n, results(kernel=k, fs=f, workloads={"w": {"mmap": (1, 0.01)}}))
            for n, k, f in (("a", "6.1.0", "ext4"), ("b", "6.8.0", "ext4"), ("c", "6.8.0", "xfs"))]
    proc, doc, _ = compare(tmp, dirs)
    check([r["label"] for r in doc["runs"]] == ["6.1.0 ext4", "6.8.0 ext4", "6.8.0 xfs"],
          [r["label"] for r in doc["runs"]])
    check(set(doc["differences"]) == {"kernel_release", "fs_type"}, doc["differences"])
    check("kernel_release" in proc.stdout and "fs_type" in proc.stdout, proc.stdout)
    _, doc, _ = compare(tmp, dirs, ["--label", "x", "--label", "y", "--label", "z"])
    check([r["label"] for r in doc["runs"]] == ["x", "y", "z"], "given labels")


def test_usage(tmp):
    base = write_run(tmp, "a", results(workloads={"w": {"mmap": (1, 0.01)}}))
    for args in ([base], [base, base, "--fail-above", "lots"], [base, base, "--bogus"],
                 [base, base, "--label", "one"]):
        proc = subprocess.run([MMBENCH, "compare", *args], capture_output=True, text=True)
        check(proc.returncode == 2 and "mmbench compare" in proc.stderr,
              f"{args}: exit {proc.returncode}\n{proc.stderr}")
    # An existing comparison is never overwritten.
    out = os.path.join(tmp, "out")
    subprocess.run([MMBENCH, "compare", base, base, "--output", out], check=True,
                   capture_output=True)
    proc = subprocess.run([MMBENCH, "compare", base, base, "--output", out],
                          capture_output=True, text=True)
    check(proc.returncode == 2 and "exists and is not empty" in proc.stderr, proc.stderr)


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__))
