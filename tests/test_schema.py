#!/usr/bin/env python3
"""configs/schema.json against the real config parser: they must agree.

Usage: test_schema.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
  meta     the schema is a valid draft-07 schema
  shipped  every configs/*.json validates and names "./schema.json"
  broken   each broken config fails the schema AND makes mmbench -n exit 2
  valid    each edge-case config passes the schema AND mmbench -n
Environment: MMBENCH (the binary), MMBENCH_SOURCE (the source tree).
Exit status 0 = pass, 1 = fail, 77 = skipped (jsonschema is not installed).
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

from mmtest import SKIP, Failure, check, list_keys, main


def import_jsonschema():
    """jsonschema, from this interpreter or the system's (Debian's python3-jsonschema lives
    in /usr/bin/python3, which a pyenv or venv python3 on PATH does not see)."""
    try:
        import jsonschema
        return jsonschema
    except ImportError:
        pass
    system = "/usr/bin/python3"
    if (os.access(system, os.X_OK) and os.path.realpath(system) != os.path.realpath(sys.executable)
            and subprocess.run([system, "-c", "import jsonschema"],
                               capture_output=True).returncode == 0):
        os.execv(system, [system] + sys.argv)
    print("skip: the python3 module jsonschema is not installed (python3-jsonschema)")
    sys.exit(SKIP)


jsonschema = import_jsonschema()

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
SOURCE = os.path.abspath(os.environ.get("MMBENCH_SOURCE", "."))
SCHEMA_PATH = os.path.join(SOURCE, "configs", "schema.json")


class Delete:
    """A patch value that removes the key."""

    def __repr__(self):
        return "DELETE"


DELETE = Delete()


def load_schema():
    with open(SCHEMA_PATH) as f:
        return json.load(f)


def validator():
    return jsonschema.Draft7Validator(load_schema())


def schema_errors(config):
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in validator().iter_errors(config)]


def show(patch):
    return json.dumps(patch, ensure_ascii=False, default=repr)[:160]


def mmbench(args, cwd):
    return subprocess.run([MMBENCH] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def patched(base, patch):
    """base with patch merged in; nested dicts merge, DELETE removes a key."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is DELETE:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = patched(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# Small enough for mmbench -n anywhere; every case below is this with one change.
BASE = {
    "$schema": "./schema.json",
    "name": "schema-test",
    "defaults": {"file_size": "1MiB", "duration": "10ms", "repetitions": 1, "warmup": 0},
    "workloads": [{"name": "w"}],
}


def with_workload(**keys):
    return {"workloads": [patched({"name": "w"}, keys)]}


def with_defaults(**keys):
    return {"defaults": keys}


def cpu_list():
    """Two CPUs this process may use, as a list and as a range."""
    cpus = sorted(os.sched_getaffinity(0))
    return f"{cpus[0]}", f"{cpus[0]}-{cpus[0]}" if len(cpus) == 1 else f"{cpus[0]},{cpus[-1]}"


# (patch of BASE, what mmbench's message must contain): the schema must reject the config
# and mmbench -n must exit 2 with that message, creating nothing.
BROKEN = [
    # unknown keys
    (with_workload(blok_size="4k"), "unknown key (did you mean block_size?)"),
    (with_defaults(threadz=2), "defaults.threadz: unknown key"),
    ({"threads": 2}, "workload keys go in \"defaults\""),
    ({"defaults": {"name": "x"}}, "defaults.name: unknown key"),
    ({"defaults": {"description": "x"}}, "defaults.description: unknown key"),
    (with_workload(**{"$schema": "./schema.json"}), "unknown key"),
    # wrong types
    (with_workload(threads=True), "expected a whole number, got true/false"),
    (with_workload(threads="four"), "expected a whole number, got a string"),
    (with_workload(threads=None), "got null"),
    (with_workload(pattern=1), "expected a string, got a number"),
    (with_workload(direct="yes"), "expected true or false"),
    (with_workload(end_sync_in_time=1), "expected true or false, got a number"),
    (with_workload(dir=5), "expected a string, got a number"),
    (with_workload(pin=3), "got a number"),
    (with_workload(block_size={"size": 4096}), "got an object"),
    (with_workload(description=5), "description: expected a string"),
    ({"name": 5}, "config.name: expected a string"),
    ({"description": ["x"]}, "config.description: expected a string"),
    ({"defaults": [1]}, "defaults: expected an object"),
    # bad enum values
    (with_workload(sync="msync"), "unknown value \"msync\""),
    (with_workload(cache="hot"), "unknown value \"hot\""),
    (with_workload(pattern="Random"), "unknown value \"Random\""),
    (with_workload(backends=["mmap", "posix"]), "unknown backend"),
    (with_workload(backends="posix"), "unknown backend"),
    # out-of-range and non-whole numbers
    (with_workload(repetitions=0), "too small: must be at least 1"),
    (with_workload(repetitions=1001), "too large"),
    (with_workload(warmup=101), "too large"),
    (with_workload(threads=1025), "too large: must be at most 1024"),
    (with_workload(threads=1.5), "expected a whole number"),
    (with_workload(zipf_theta=0.001), "too small: must be at least"),
    (with_workload(zipf_theta=11), "too large"),
    (with_workload(write_fraction=1.5), "must be between 0 and 1"),
    (with_workload(hotset_fraction=-0.1), "must be between 0 and 1"),
    (with_workload(block_size=2147483648), "too large"),
    (with_workload(block_size=12), "must be a multiple of 8 bytes"),
    (with_workload(block_size=4096.5), "expected a whole number"),
    (with_workload(file_size=4), "too small: must be at least 8B"),
    (with_workload(seed=-1), "negative values are not allowed"),
    (with_workload(seed=2 ** 53), "too large"),
    (with_workload(ops=0), "too small: must be at least 1"),
    (with_workload(latency_sample_every=0), "too small: must be at least 1"),
    (with_workload(cache_limit=1048576), "at least 32MiB"),
    (with_workload(window=100), "must be a multiple of 4096 bytes"),
    # bad size strings
    (with_workload(block_size="4 kibibytes"), "unknown size unit"),
    (with_workload(block_size="4KB2"), "unknown size unit"),
    (with_workload(block_size="4XiB"), "unknown size unit"),
    (with_workload(block_size="-4k"), "negative values are not allowed"),
    (with_workload(block_size="k"), "expected a number"),
    (with_workload(block_size=""), "expected a number"),
    (with_workload(block_size="1.5"), "not a whole number of bytes"),
    (with_workload(block_size="4.k"), "expected digits after the decimal point"),
    (with_workload(file_size="1,5GiB"), "unknown size unit"),
    # bad durations
    (with_workload(duration="2 seconds"), "unknown duration unit"),
    (with_workload(duration="5y"), "unknown duration unit"),
    (with_workload(duration="0s"), "too small: must be at least 1"),
    (with_workload(duration=0), "too small: must be at least 1"),
    (with_workload(duration=-1), "negative values are not allowed"),
    (with_workload(min_time="1 fortnight"), "unknown duration unit"),
    # sync_every
    (with_workload(sync_every=0), "must be at least 1 operation"),
    (with_workload(sync_every="0"), "must be at least 1 byte"),
    (with_workload(sync_every="0KiB"), "must be at least 1 byte"),
    (with_workload(sync_every="never"), "expected a number of operations"),
    (with_workload(sync_every="END"), "expected a number of operations"),
    (with_workload(sync_every=1.5), "expected a whole number"),
    # pin
    (with_workload(pin="0-3;8"), "CPU list must look like"),
    (with_workload(pin=""), "empty CPU list"),
    (with_workload(pin="2048"), "below 1024"),
    (with_workload(pin="cpu0"), "CPU list must look like"),
    # sweeps
    (with_workload(block_size=[]), "empty list (a sweep needs at least one value)"),
    (with_workload(block_size=[["4k"]]), "lists do not nest"),
    (with_workload(threads=[1, 1]), "two workloads are named"),
    (with_workload(block_size=["4k", 12]), "must be a multiple of 8 bytes"),
    (with_workload(sync=["fsync", "flush"]), "unknown value \"flush\""),
    (with_defaults(threads=[1, "x"]), "expected a whole number, got a string"),
    # backends
    (with_workload(backends=[]), "empty list (name at least one backend)"),
    (with_workload(backends=["mmap", "mmap"]), "listed twice"),
    (with_workload(backends=[["mmap"]]), "expected a backend name"),
    # workload names
    ({"workloads": [{"pattern": "random"}]}, "missing key \"name\""),
    ({"workloads": [{"name": ""}]}, "missing key \"name\""),
    ({"workloads": [{"name": 5}]}, "name: expected a string"),
    ({"workloads": [{"name": "a/b"}]}, "without / \" or control characters"),
    ({"workloads": [{"name": "a\"b"}]}, "without / \" or control characters"),
    ({"workloads": [{"name": "a\tb"}]}, "without / \" or control characters"),
    ({"workloads": [{"name": "x" * 101}]}, "at most 100 characters"),
    # duration and ops
    (with_workload(duration="1s", ops=100), "give either duration or ops, not both"),
    ({"defaults": {"ops": 100}}, "give either duration or ops, not both"),
    # the document's shape
    ({"workloads": DELETE}, "missing key \"workloads\""),
    ({"workloads": []}, "expected a non-empty list of objects, got an empty list"),
    ({"workloads": {"name": "w"}}, "expected a non-empty list of objects"),
    ({"workloads": ["w"]}, "expected an object, got a string"),
    ({"Workloads": []}, "unknown key"),
]


def valid_cases():
    one_cpu, two_cpus = cpu_list()
    return [
        {},
        {"name": DELETE, "$schema": DELETE},
        with_workload(description="a workload", pattern="sequential", op="read"),
        # sizes
        with_workload(block_size="1.5KiB", file_size="0.5MiB"),
        with_workload(block_size="4 KiB", file_size=" 2m "),
        with_workload(block_size="4kib", file_size="1MB"),
        with_workload(block_size="4K", stride="8kB"),
        with_workload(block_size="512b", file_size="1048576"),
        with_workload(block_size=8, stride="4KiB", file_size=1048576),
        with_workload(file_size="0.00048828125GiB", block_size="1.25k"),
        with_workload(block_size=4096.0),
        # durations
        with_workload(duration="500ms"),
        with_workload(duration=0.25),
        with_workload(duration="1.5s"),
        with_workload(duration="2 sec"),
        with_workload(duration="1m"),
        with_workload(duration="1MIN"),
        with_workload(duration="100us", min_time="1ms"),
        with_workload(duration="250000ns", min_time=0),
        with_workload(min_time="1h"),
        # ops against duration: a layer's ops replaces the defaults' duration
        with_workload(ops=1000),
        with_workload(ops=[1000, 2000], min_time="5ms"),
        {"defaults": {"duration": DELETE, "ops": 100}, "workloads": [{"name": "w"}]},
        {"defaults": {"duration": DELETE, "ops": 100},
         "workloads": [{"name": "w", "duration": "5ms"}]},
        # sync_every
        with_workload(op="write", sync="fsync", sync_every="end"),
        with_workload(op="write", sync="fdatasync", sync_every=64),
        with_workload(op="write", sync="ms_sync", sync_every="1MiB"),
        with_workload(op="write", sync="ms_async", sync_every="64"),
        with_workload(op="write", sync="sync_file_range", sync_range="all",
                      end_sync_in_time=False),
        with_workload(op="readwrite", write_fraction=0, sync="none"),
        with_workload(op="readwrite", write_fraction=1),
        with_workload(sync_every=["end", 16, "64KiB"], op="write", sync="fsync"),
        # pin
        with_workload(pin=True, threads=2),
        with_workload(pin=False),
        with_workload(pin=one_cpu),
        with_workload(pin=two_cpus, threads=2),
        # sweeps
        with_workload(block_size=["4k", "8KiB", 16384], threads=[1, 2]),
        with_workload(block_size=["4k"]),
        with_workload(pattern=["sequential", "random"], access=["copy", "checksum"]),
        with_workload(latency=["all", "sample", "off"], latency_sample_every=[10, 1000]),
        with_workload(seed=[0, 2 ** 53 - 1]),
        with_workload(duration=["5ms", 0.01]),
        with_workload(pin=[False, True]),
        with_workload(end_sync_in_time=[True, False], op="write", sync="fsync"),
        with_defaults(threads=[1, 2], cache=["warm", "as_is"]),
        # distributions and sharing
        with_workload(distribution="zipf", zipf_theta=[0.5, 1.2, 10]),
        with_workload(distribution="hotset", hotset_fraction=0.2, hotset_access_fraction=1),
        with_workload(share="partition", threads=4),
        # backend-specific keys on workloads that run the backend
        with_workload(backends=["pread"], fadvise="random", direct=True),
        with_workload(backends="mmap", map="private", populate="madv_populate_read",
                      madvise=["random", "hugepage"], window="256KiB"),
        with_workload(backends=["pread", "mmap"], window=0, cache_limit=0),
        with_workload(cache="cold", cold_method="fadvise"),
        with_workload(cache="warm", cold_method="drop_caches"),
        # names
        {"workloads": [{"name": "x" * 100}, {"name": "read 4 KiB, warm (ünïcode)"}]},
    ]


# ---- subtests ----

def test_meta(tmp):
    schema = load_schema()
    check(schema.get("$schema") == "http://json-schema.org/draft-07/schema#",
          f"schema draft {schema.get('$schema')}, expected draft-07")
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        raise Failure(f"configs/schema.json is not a valid draft-07 schema: {e.message}")


def test_shipped(tmp):
    paths = sorted(p for p in glob.glob(os.path.join(SOURCE, "configs", "*.json"))
                   if os.path.basename(p) != "schema.json")
    check(paths, "no shipped configs found")
    for path in paths:
        with open(path) as f:
            config = json.load(f)
        errors = schema_errors(config)
        check(not errors, f"{path} does not validate:\n  " + "\n  ".join(errors))
        check(config.get("$schema") == "./schema.json",
              f"{path}: \"$schema\" is {config.get('$schema')!r}, expected \"./schema.json\"")
        # A smaller file_size spares the free-space check: every value, the config's
        # file_size included, is still parsed and checked before the override applies.
        proc = mmbench(["-n", path, "--set", f"dir={tmp}", "--set", "file_size=64MiB"], cwd=tmp)
        check(proc.returncode == 0, f"mmbench -n {path}: exit {proc.returncode}\n{proc.stderr}")


def run_case(tmp, config):
    """Writes config to a fresh directory; returns (schema errors, mmbench -n process, the
    directory's entries afterwards besides the config)."""
    work = tempfile.mkdtemp(dir=tmp)
    path = os.path.join(work, "c.json")
    with open(path, "w") as f:
        json.dump(config, f, ensure_ascii=False)
    proc = mmbench(["-n", path], cwd=work)
    return schema_errors(config), proc, sorted(set(os.listdir(work)) - {"c.json"})


def test_broken(tmp):
    errors, proc, _ = run_case(tmp, BASE)
    check(not errors and proc.returncode == 0,
          f"the base config is not valid: {errors}\n{proc.stderr}")
    failures = []
    for patch, message in BROKEN:
        config = patched(BASE, patch)
        errors, proc, created = run_case(tmp, config)
        shown = show(patch)
        if not errors:
            failures.append(f"{shown}: the schema accepts it")
        if proc.returncode != 2:
            failures.append(f"{shown}: mmbench -n exit {proc.returncode}, expected 2\n"
                            f"{proc.stderr}")
        elif message not in proc.stderr:
            failures.append(f"{shown}: mmbench's message lacks {message!r}:\n{proc.stderr}")
        if created:
            failures.append(f"{shown}: mmbench created {created}")
    check(not failures, f"{len(failures)} of {len(BROKEN)} broken configs:\n" +
          "\n".join(failures))


def test_valid(tmp):
    failures = []
    cases = valid_cases()
    for patch in cases:
        config = patched(BASE, patch)
        errors, proc, _ = run_case(tmp, config)
        shown = show(patch)
        if errors:
            failures.append(f"{shown}: the schema refuses it:\n  " + "\n  ".join(errors))
        if proc.returncode != 0:
            failures.append(f"{shown}: mmbench -n exit {proc.returncode}\n{proc.stderr}")
    check(not failures, f"{len(failures)} of {len(cases)} valid configs:\n" + "\n".join(failures))


if __name__ == "__main__":
    sys.exit(main(globals(), __doc__))
