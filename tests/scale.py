#!/usr/bin/env python3
"""Scale: the harness's own memory stays flat and small over a 100-point sweep, writing the
results of a 1000-point sweep of 1 ms phases costs under a tenth of the run, and 256 workers
run without the harness becoming the bottleneck.

Usage: scale.py SUBTEST   (sweep_memory, sweep_1000, threads_256)
"""
import json
import os
import subprocess
import sys

import mmtest
from mmtest import check

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
LIMIT_KIB = 32 * 1024


def run(tmp, name, defaults, workloads):
    cfg = os.path.join(tmp, name + ".json")
    with open(cfg, "w") as f:
        json.dump({"name": name, "defaults": defaults, "workloads": workloads}, f)
    out = os.path.join(tmp, name)
    proc = subprocess.run([MMBENCH, cfg, "--output", out, "--quiet", "--yes"],
                          capture_output=True, text=True, timeout=600)
    check(proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}")
    return mmtest.load_results(out)


def test_sweep_memory(tmp):
    defaults = {"file_size": "1MiB", "ops": 300, "repetitions": 2, "warmup": 0, "dir": tmp}
    small = run(tmp, "sweep10", defaults, [{"name": "s", "seed": list(range(10))}])
    big = run(tmp, "sweep100", defaults, [{"name": "s", "seed": list(range(100))}])
    check(len(big["runs"]) == 100 * len(mmtest.default_backends(MMBENCH)) * 2,
          f"{len(big['runs'])} runs")
    check(all(r["status"] == "ok" for r in big["runs"]), "a run failed")
    rss_small = small["harness"]["rss_anon_max_kib"]
    rss_big = big["harness"]["rss_anon_max_kib"]
    print(f"harness memory: 10 points {rss_small} KiB, 100 points {rss_big} KiB")
    check(0 < rss_big < LIMIT_KIB, f"{rss_big} KiB of harness memory for 100 points")
    check(rss_big - rss_small < 4096,
          f"memory grew by {rss_big - rss_small} KiB from 10 to 100 points: not flat")


def test_sweep_1000(tmp):
    """Results are written once per workload (rows appended, one block file) and assembled
    once at the end: O(total size), not a rewrite of everything after every workload."""
    defaults = {"file_size": "1MiB", "duration": "1ms", "repetitions": 1, "warmup": 0,
                "dir": tmp}
    small = run(tmp, "sweep100", defaults, [{"name": "s", "seed": list(range(100))}])
    big = run(tmp, "sweep1000", defaults, [{"name": "s", "seed": list(range(1000))}])
    check(len(big["workloads"]) == 1000, f"{len(big['workloads'])} workloads")
    check(all(r["status"] == "ok" for r in big["runs"]), "a run failed")
    h = big["harness"]
    share = h["result_write_ns"] / h["run_ns"]
    print(f"1000 points: run {h['run_ns'] / 1e9:.2f} s, result writing "
          f"{h['result_write_ns'] / 1e9:.3f} s ({share:.1%}; final results.json "
          f"{h['final_write_ns'] / 1e9:.3f} s), harness memory {h['rss_anon_max_kib']} KiB "
          f"(100 points: {small['harness']['rss_anon_max_kib']} KiB)")
    check(share < 0.10, f"result writing took {share:.1%} of the run")
    check(h["rss_anon_max_kib"] - small["harness"]["rss_anon_max_kib"] < 4096,
          "harness memory grew from 100 to 1000 points")


def test_threads_256(tmp):
    defaults = {"file_size": "64MiB", "duration": "500ms", "repetitions": 2, "warmup": 0,
                "dir": tmp, "pattern": "random"}
    results = run(tmp, "threads", defaults, [{"name": "t", "threads": [2, 256]}])
    rss = results["harness"]["rss_anon_max_kib"]
    print(f"harness memory with 256 threads: {rss} KiB")
    check(rss < LIMIT_KIB, f"{rss} KiB of harness memory with 256 threads")
    tput = {}
    for s in results["summaries"]:
        tput[(s["workload"], s["backend"])] = s["tput_median_mib_s"]
    for r in results["runs"]:
        check(r["status"] == "ok", r["error"])
        if r["workload"] == "t/threads=256":
            check(r["ops"] > 0, "256 workers did nothing")
            # Every worker shares one deadline, so the phase does not stretch while the
            # scheduler gets round to the last of 256 threads.
            check(r["elapsed_ns"] < 2 * 500e6, f"a 500 ms phase took {r['elapsed_ns'] / 1e6:.0f} ms")
    for backend in ("mmap", "pread"):
        few, many = tput[("t/threads=2", backend)], tput[("t/threads=256", backend)]
        print(f"{backend}: 2 threads {few:.0f} MiB/s, 256 threads {many:.0f} MiB/s")
        # On any number of CPUs, 256 workers must not collapse the aggregate: no lock or
        # shared cache line in the loop. (A harness bottleneck shows as a large drop.)
        check(many > 0.5 * few, f"{backend}: 256 threads at {many / few:.0%} of 2 threads")


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__))
