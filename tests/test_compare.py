#!/usr/bin/env python3
"""mmbench compare on synthetic result directories with known differences.

Usage: test_compare.py SUBTEST (regression, noise, missing, schema, validation, interrupted,
                               killed, mutants, labels, settings, usage)
"""
import csv
import json
import os
import random
import shutil
import subprocess
import sys

import mmtest
from mmtest import Failure, check

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))


def results(kernel="6.1.0", fs="ext4", workloads=None, schema=2, seed=1, complete=True):
    """A minimal results.json (schema 2): workloads maps name -> {backend: (median MiB/s,
    spread)}; a backend's entry may also be "_params", extra workload parameters."""
    rng = random.Random(seed)
    workloads = workloads or {}
    blocks, config = [], []
    for i, (name, backends) in enumerate(workloads.items()):
        params = {"block_size_bytes": 4096, "dir": f"/mnt/{fs}"}
        params.update(backends.pop("_params", {}))
        config.append({"name": name, "base_name": name, "params": params})
        runs, comparisons = [], []
        for backend, (median, spread) in backends.items():
            for rep in range(5):
                runs.append({"backend": backend, "role": "measured", "status": "ok",
                             "tput_mib_s": median * (1 + spread * rng.uniform(-1, 1))})
            runs.append({"backend": backend, "role": "warmup", "status": "ok",
                         "tput_mib_s": median / 10})
        if "mmap" in backends and "pread" in backends:
            comparisons.append({"numerator": "mmap", "denominator": "pread", "headline": True,
                                "ratio": backends["mmap"][0] / backends["pread"][0]})
        blocks.append({"index": i, "name": name, "base_name": name, "runs": runs,
                       "summaries": [], "comparisons": comparisons,
                       "checksum": {"status": "match", "text": "match"}, "warnings": []})
    return {"schema_version": schema, "tool": "mmbench", "complete": complete,
            "interrupted": not complete,
            "context": {"kernel": {"release": kernel}, "cpu": {"brand": "Test CPU"},
                        "hostname": "host", "mmbench_version": "0.1.0",
                        "date_utc": "2026-01-01T00:00:00Z",
                        "targets": [{"fs_type": fs, "mount_options": "rw,relatime"}]},
            "config": {"name": "synthetic", "workloads": config},
            "workloads": blocks, "warnings": []}


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
    check("not run in [1]" in listed["only_a"], listed["only_a"])
    check("not in the baseline" in listed["only_b"], listed["only_b"])
    check("block_size_bytes" in listed["changed"], listed["changed"])
    check({r["workload"] for r in rows} == {"both", "only_a", "changed"}, "rows")
    check(all(int(r["run_index"]) == 0 for r in rows if r["workload"] != "both"),
          "incomparable runs got rows")
    for name in ("only_a", "only_b", "changed"):
        check(f"not comparable: {name}" in proc.stdout, proc.stdout)


def test_schema(tmp):
    base = write_run(tmp, "a", results(workloads={"w": {"mmap": (1, 0.01)}}))
    future = write_run(tmp, "b", results(schema=3, workloads={"w": {"mmap": (1, 0.01)}}))
    proc, _, _ = compare(tmp, [base, future], expect=2)
    check("schema_version 3" in proc.stderr, proc.stderr)
    old = write_run(tmp, "old", results(schema=1, workloads={"w": {"mmap": (1, 0.01)}}))
    proc, _, _ = compare(tmp, [base, old], expect=2)
    check("schema_version 1" in proc.stderr, proc.stderr)
    os.makedirs(os.path.join(tmp, "empty"))
    proc, _, _ = compare(tmp, [base, os.path.join(tmp, "empty")], expect=2)
    check("cannot read" in proc.stderr, proc.stderr)
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    with open(os.path.join(bad, "results.json"), "w") as f:
        f.write('{"schema_version": 2, "tool": "mmbench", "workloads": [')
    proc, _, _ = compare(tmp, [base, bad], expect=2)
    check("not valid JSON" in proc.stderr, proc.stderr)


def mutated(tmp, name, change):
    """A results directory whose results.json is a valid one changed by change(doc)."""
    doc = results(workloads={"w": {"mmap": (2000, 0.02), "pread": (1000, 0.02)}})
    change(doc)
    return write_run(tmp, name, doc)


def test_validation(tmp):
    """Results that are valid JSON but not what mmbench writes: exit 2, naming the file and
    the field; never accepted as "-" (the defect: a runs string, a throughput "fast" or
    missing keys were compared and shown as "-", exit 0)."""
    base = write_run(tmp, "a", results(workloads={"w": {"mmap": (2000, 0.02),
                                                        "pread": (1000, 0.02)}}))
    cases = [
        ("runs-string", lambda d: d["workloads"][0].update(runs="many"),
         "workloads[0].runs: expected a list, got a string"),
        ("tput-fast", lambda d: d["workloads"][0]["runs"][0].update(tput_mib_s="fast"),
         "workloads[0].runs[0].tput_mib_s: expected a number, got a string"),
        ("no-backend", lambda d: d["workloads"][0]["runs"][1].pop("backend"),
         "workloads[0].runs[1].backend: expected a string, got nothing"),
        ("no-config", lambda d: d.pop("config"), "config: expected an object, got nothing"),
        ("no-workloads", lambda d: d.pop("workloads"), "workloads: expected a list"),
        ("params-list", lambda d: d["config"]["workloads"][0].update(params=[1]),
         "config.workloads[0].params: expected an object, got a list"),
        ("status", lambda d: d["workloads"][0]["runs"][0].update(status="great"),
         "is not ok, failed or interrupted"),
        ("negative", lambda d: d["workloads"][0]["runs"][0].update(tput_mib_s=-5),
         "is negative"),
        ("complete", lambda d: d.update(complete="yes"), "complete: expected true/false"),
        ("blocks-file", lambda d: d.update(workload_files="../etc/passwd"),
         "is not a file name in the results directory"),
    ]
    for name, change, message in cases:
        bad = mutated(tmp, name, change)
        proc, _, _ = compare(tmp, [base, bad], expect=2)
        check(message in proc.stderr and "results.json" in proc.stderr,
              f"{name}: stderr lacks {message!r}:\n{proc.stderr}")
    for value in ("nan", "inf", "-1", "100"):
        proc = subprocess.run([MMBENCH, "compare", base, base, "--fail-above", value],
                              capture_output=True, text=True)
        check(proc.returncode == 2 and "expected a percentage" in proc.stderr,
              f"--fail-above {value}: exit {proc.returncode}\n{proc.stderr}")


def test_interrupted(tmp):
    """An interrupted run as the baseline (or another run) is flagged, and the workloads it
    did not run are listed as not comparable."""
    doc = results(workloads={"w1": {"mmap": (1000, 0.02)}, "w2": {"mmap": (1000, 0.02)}},
                  complete=False)
    doc["workloads"] = doc["workloads"][:1]  # w2 never ran
    base = write_run(tmp, "a", doc)
    other = write_run(tmp, "b", results(workloads={"w1": {"mmap": (1000, 0.02)},
                                                   "w2": {"mmap": (1000, 0.02)}}))
    proc, out, _ = compare(tmp, [base, other])
    check("the baseline [0]" in proc.stderr and "was interrupted" in proc.stderr, proc.stderr)
    check("INTERRUPTED" in proc.stdout, proc.stdout)
    check(out["runs"][0]["interrupted"] is True and out["runs"][1]["complete"] is True,
          out["runs"])
    listed = {m["workload"]: m["reason"] for m in out["not_comparable"]}
    check(list(listed) == ["w2"] and "not in the baseline" in listed["w2"], listed)


def test_killed(tmp):
    """A killed run's blocks are records of its block file (a JSON text sequence); the last
    may be cut off by the kill and is left out with a warning; a broken record before it, or
    a file that is not a sequence, is refused (exit 2)."""
    doc = results(workloads={"w1": {"mmap": (1000, 0.02)}, "w2": {"mmap": (1000, 0.02)},
                             "w3": {"mmap": (1000, 0.02)}}, complete=False)
    records = [json.dumps(b) for b in doc["workloads"]]
    doc["workloads"], doc["workload_files"] = [], "workloads.json-seq"
    other = write_run(tmp, "full", results(workloads={"w1": {"mmap": (1000, 0.02)},
                                                      "w2": {"mmap": (1000, 0.02)},
                                                      "w3": {"mmap": (1000, 0.02)}}))
    cases = [("whole", "".join(f"\x1e{r}\n" for r in records), 0, {"w1", "w2", "w3"}, None),
             ("torn", "".join(f"\x1e{r}\n" for r in records[:2]) + "\x1e" + records[2][:40],
              0, {"w1", "w2"}, "record 2 is incomplete"),
             ("broken", f"\x1e{records[0][:40]}\n\x1e{records[1]}\n", 2, None,
              "record 0: not a JSON object"),
             ("no-rs", records[0], 2, None, "not a JSON text sequence")]
    for name, text, status, workloads, message in cases:
        path = write_run(tmp, name, doc)
        with open(os.path.join(path, "workloads.json-seq"), "w") as f:
            f.write(text)
        proc, out, _ = compare(tmp, [path, other], expect=status)
        if message:
            check(message in proc.stderr, f"{name}: stderr lacks {message!r}: {proc.stderr}")
        if workloads:
            compared = {row["workload"] for row in out["rows"]}
            check(compared == workloads, f"{name}: compared {compared}, expected {workloads}")


def test_mutants(tmp):
    """Property test: a few hundred mutants of a real results directory (seeded byte flips,
    cuts, deleted and retyped fields, hostile strings): compare exits 0, 1 or 2 with its own
    message, never dies of a signal or prints a traceback-like crash."""
    cfg = os.path.join(tmp, "c.json")
    with open(cfg, "w") as f:
        json.dump(mmtest.tiny("mut", [{"name": "r", "pattern": "random"},
                                      {"name": "s", "pattern": "sequential"}], dir=tmp), f)
    real = os.path.join(tmp, "real")
    mmtest.run([MMBENCH, cfg, "--output", real, "--quiet"], cwd=tmp)
    with open(os.path.join(real, "results.json"), "rb") as f:
        original = f.read()
    doc = json.loads(original)
    rng = random.Random(int(os.environ.get("MMBENCH_MUTANT_SEED", "7")))

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                yield from paths(v, prefix + (i,))

    all_paths = [p for p in paths(doc) if p]
    hostile = ["", "`id`", "\x00", "\ud800", "a" * 5000, "../../x", -1, 1e308, None, [], {},
               True, "nan"]

    def structural():
        d = json.loads(original)
        path = rng.choice(all_paths)
        parent = d
        for key in path[:-1]:
            parent = parent[key]
        if rng.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(hostile)
        return json.dumps(d).encode()

    def textual():
        data = bytearray(original)
        if rng.random() < 0.5:
            return bytes(data[:rng.randrange(len(data))])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)

    statuses = {}
    for i in range(300):
        text = structural() if i % 2 else textual()
        d = os.path.join(tmp, f"m{i}")
        os.makedirs(d)
        with open(os.path.join(d, "results.json"), "wb") as f:
            f.write(text)
        out = os.path.join(tmp, f"o{i}")
        proc = subprocess.run([MMBENCH, "compare", real, d, "--output", out],
                              capture_output=True, timeout=60)
        statuses[proc.returncode] = statuses.get(proc.returncode, 0) + 1
        check(proc.returncode in (0, 1, 2),
              f"mutant {i}: exit {proc.returncode}\n{proc.stderr.decode(errors='replace')}")
        if proc.returncode == 2:
            check(b"mmbench" in proc.stderr, f"mutant {i}: exit 2 without a message")
        shutil.rmtree(d)
        shutil.rmtree(out, ignore_errors=True)
    print(f"300 mutants: exit statuses {statuses}")


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


def test_settings(tmp):
    """Kernel settings label runs: those of the contexts (the kernel's at start), and those
    a run's config set for all its workloads, which do not make the workloads
    incomparable; settings one run could not read (n/a) tell nothing apart."""
    def run(name, settings, read_ahead_kb, params):
        data = results(workloads={"w": {"mmap": (1, 0.01), "_params": dict(params)},
                                  "v": {"mmap": (1, 0.01), "_params": dict(params)}})
        data["context"]["kernel_settings"] = settings
        data["context"]["targets"][0].update(read_ahead_kb=read_ahead_kb,
                                             large_folios="yes (512p 2.0 MiB in 1)")
        return write_run(tmp, name, data)
    base = {"thp": "madvise", "vm.dirty_ratio": "20", "fault_around_bytes": "65536"}
    dirs = [run("a", base, 8192, {"read_ahead_kb": "unset", "thp": "unset"}),
            run("b", dict(base, thp="never"), 8192, {"read_ahead_kb": "unset"}),
            run("c", dict(base, fault_around_bytes="n/a (needs root)"), 8192,
                {"read_ahead_kb": "128", "sysctl": "vm.swappiness=10"})]
    proc, doc, rows = compare(tmp, dirs)
    labels = [r["label"] for r in doc["runs"]]
    check(labels == ["read_ahead_kb=8192 thp=madvise vm.swappiness=n/a",
                     "read_ahead_kb=8192 thp=never vm.swappiness=n/a",
                     "read_ahead_kb=128 thp=madvise vm.swappiness=10"], labels)
    check(set(doc["differences"]) == {"read_ahead_kb", "thp", "vm.swappiness"},
          doc["differences"])
    check(doc["differences"]["read_ahead_kb"] == ["8192", "8192", "128"], doc["differences"])
    check(not doc["not_comparable"], f"settings made workloads incomparable: "
                                     f"{doc['not_comparable']}")
    check(len(rows) == 6, f"{len(rows)} rows")
    check("read_ahead_kb: [0] 8192 | [1] 8192 | [2] 128" in proc.stdout, proc.stdout)
    # A parameter that is not a setting still makes a workload incomparable.
    other = run("d", base, 8192, {"block_size_bytes": 8192})
    _, doc, _ = compare(tmp, [dirs[0], other])
    check({m["workload"] for m in doc["not_comparable"]} == {"w", "v"}, doc["not_comparable"])


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
