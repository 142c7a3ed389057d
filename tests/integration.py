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
          "sync_every": 100}], dir=data))
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
    check(len(runs) == 2 * nb * 2, f"{len(runs)} runs, expected {2 * nb * 2} ({backends})")
    check(all(r["status"] == "ok" for r in runs), "a run failed")
    for r in runs:
        check(float(r["tput_mib_s"]) > 0, "zero throughput")
        check(int(r["ops"]) == 2000, f"ops {r['ops']}")
        check(int(r["bytes"]) == 2000 * 4096, "bytes")
        check(float(r["latency_p50_ns"]) > 0, "no latency")
    check(len(summary) == 2 * nb, "summary rows")
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
    return [m.group(1) for m in re.finditer(r"^\| `([a-z0-9_]+)`", match.group(1), re.M)]


def test_result_fields(tmp):
    cfg = write_config(os.path.join(tmp, "c.json"), tiny(
        [{"name": "r", "pattern": "random", "block_size": ["4k", "8k"]}], dir=tmp))
    out = os.path.join(tmp, "out")
    run([cfg, "--output", out], cwd=tmp)
    results, runs, summary = load_results(out)
    params = documented_names("Workload parameter columns")
    run_cols = documented_names("runs.csv")
    sum_cols = documented_names("summary.csv")
    with open(os.path.join(out, "runs.csv")) as f:
        header = f.readline().strip().split(",")
    check(set(header) == set(run_cols + params),
          f"runs.csv columns differ from docs: undocumented {set(header) - set(run_cols + params)}"
          f", missing {set(run_cols + params) - set(header)}")
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
    check(not os.path.exists(os.path.join(out, "workloads")), "workloads/ left behind")
    block = raw["workloads"][0]
    check(set(block) <= set(documented), f"block keys not in docs: {set(block) - set(documented)}")
    context = documented_names("context")
    check(set(results["context"]) == set(context),
          f"context keys differ from docs: {set(results['context']) ^ set(context)}")
    check(results["schema_version"] == 2, "schema_version")
    text = open(os.path.join(SOURCE, "docs", "results.md")).read()
    counters = text[text.index("### Backend counters"):text.index("## summary.csv")]
    counter_cols = set(re.findall(r"^\| `([a-z0-9_]+)`", counters, re.M))
    check(set(block["runs"][0]) - {"counters"} ==
          set(run_cols) - {"workload", "base_name"} - counter_cols,
          "run object fields differ from runs.csv")
    check(set(block["summaries"][0]) - {"latency_histogram", "flush_histogram"} ==
          set(sum_cols) - {"workload", "base_name"}, "summary object fields differ")
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


def kept_data_file(data_dir, size):
    files = glob.glob(os.path.join(data_dir, "mmbench-*", f"data-{size}.bin"))
    check(len(files) == 1, f"expected one kept data file, found {files}")
    return files[0]


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
    check(sorted(os.listdir(empty)) == ["results.json", "runs.csv", "summary.csv"],
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
