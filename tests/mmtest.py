"""Shared pieces of the Python test scripts: the subtest runner and mmbench's key table.

A script defines test_NAME(tmp) functions and ends with sys.exit(mmtest.main(globals(),
__doc__)); meson runs one subtest per test (see tests/meson.build). A subtest passes by
returning, fails by raising Failure, and is skipped by returning SKIP.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77  # meson's "skipped"


class Failure(Exception):
    pass


class Skip(Exception):
    """Raised anywhere in a subtest to skip it, with the reason."""


def check(cond, message):
    if not cond:
        raise Failure(message)


def run(command, cwd, expect=0, timeout=120, env=None):
    """Runs command; returns (stdout, stderr). Fails unless the exit status is expect
    (None: any)."""
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"{' '.join(command)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc.stdout, proc.stderr


def tiny(name, workloads, **defaults):
    """A small config: 4 MiB file, 2000 operations per repetition, no warm-up; defaults
    override these."""
    base = {"file_size": "4MiB", "ops": 2000, "repetitions": 2, "warmup": 0}
    base.update(defaults)
    return {"name": name, "description": f"{name} test", "defaults": base,
            "workloads": workloads}


def list_keys(mmbench):
    """{key: {"doc", "default", "values"}} from `mmbench --list-keys`: the doc line, the
    default as the C table spells it (None when there is none) and the enum values (None
    for keys that are not enums)."""
    proc = subprocess.run([mmbench, "--list-keys"], capture_output=True, text=True, timeout=60)
    check(proc.returncode == 0, f"mmbench --list-keys: exit {proc.returncode}\n{proc.stderr}")
    keys, last = {}, None
    for line in proc.stdout.splitlines():
        if line.startswith(" "):
            values = line.split()
            check(last and values[0] == "values:", f"unexpected --list-keys line {line!r}")
            keys[last]["values"] = values[1:]
            continue
        name, text = line.split(None, 1)
        text = re.sub(r" \([a-z0-9_]+ only\)$", "", text)
        match = re.search(r" \[default (.*)\]$", text)
        keys[name] = {"doc": text[:match.start()] if match else text,
                      "default": match.group(1) if match else None, "values": None}
        last = name
    check(keys, "mmbench --list-keys printed no keys")
    return keys


def default_backends(mmbench):
    """The backends a workload runs when it names none, in registry order: those of
    `mmbench --list-backends` not marked "cannot run here"."""
    proc = subprocess.run([mmbench, "--list-backends"], capture_output=True, text=True,
                          timeout=60)
    check(proc.returncode == 0, f"mmbench --list-backends: exit {proc.returncode}")
    names = []
    for line in proc.stdout.splitlines():
        if not line.startswith(" "):
            names.append(line.split()[0])
        elif "cannot run here" in line:
            names.pop()
    check(names, "mmbench --list-backends lists no backend that can run")
    return names


def workload_blocks(results, out_dir):
    """The workload blocks of a results.json document: inline, or (while the run lasts, or
    after SIGKILL) the records of its workload_files block file, a JSON text sequence
    (RFC 7464) whose last record may be incomplete."""
    if not results.get("workload_files"):
        return results["workloads"]
    with open(os.path.join(out_dir, results["workload_files"]), encoding="utf-8") as f:
        records = f.read().split("\x1e")
    check(records[0] == "", "the block file does not start with RS")
    blocks = []
    for i, text in enumerate(records[1:]):
        try:
            blocks.append(json.loads(text))
        except json.JSONDecodeError:
            check(i == len(records) - 2, f"block record {i} of {len(records) - 1} is broken")
    return blocks


def load_results(out_dir):
    """results.json of out_dir with flat views added for the tests: "runs", "summaries" and
    "comparisons" across workloads, each item carrying its "workload" name (a comparison
    also its workload's "checksum" text), "warnings" holding the run-wide warnings and
    every workload's, and "blocks", the workload blocks."""
    with open(os.path.join(out_dir, "results.json")) as f:
        results = json.load(f)
    blocks = workload_blocks(results, out_dir)
    flat = {"runs": [], "summaries": [], "comparisons": []}
    for block in blocks:
        for key in flat:
            for item in block[key]:
                flat[key].append({"workload": block["name"], **item})
        for c in flat["comparisons"]:
            c.setdefault("checksum", block["checksum"]["text"])
    warnings = results["warnings"] + [w for block in blocks for w in block["warnings"]]
    results.update(flat, blocks=blocks, warnings=warnings)
    return results


def main(namespace, doc, parent=None):
    """Runs the subtest named by argv[1] (test_NAME in namespace) in a fresh temporary
    directory under parent (default $MMBENCH_TEST_DIR, else the system's); returns the exit
    status: 0 pass, 1 fail, 2 usage, 77 skipped (SKIP returned or Skip raised)."""
    if len(sys.argv) != 2:
        print(doc)
        return 2
    name = sys.argv[1]
    fn = namespace.get("test_" + name)
    if not fn:
        print(f"unknown subtest {name}")
        return 2
    tmp = tempfile.mkdtemp(prefix="mmbench-test-", dir=parent or os.environ.get("MMBENCH_TEST_DIR"))
    try:
        if fn(tmp) == SKIP:
            return SKIP
    except Skip as e:
        print(f"skip {name}: {e}")
        return SKIP
    except Failure as e:
        print(f"FAIL {name}: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok {name}")
    return 0
