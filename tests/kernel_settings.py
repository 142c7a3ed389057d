#!/usr/bin/env python3
"""Kernel settings as workload keys, end to end: the real binary changes the machine's real
settings for its phases, and every subtest checks that each one is back as it found it
(every /proc/sys/vm setting, every THP file, every disk's readahead, MGLRU, the debugfs
mount), writing back any that is not before it fails.

Usage: kernel_settings.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
Environment: MMBENCH (the binary), MMBENCH_TEST_DIR (where temporary directories go).
Exit status 0 = pass, 1 = fail, 77 = skipped (not root: nothing can be set).

  restore    a run that sets every kind of setting: applied for each phase of both
             backends (the runs record them), every value back at the end
  signals    SIGINT, SIGTERM and SIGHUP mid-phase: exit 130, every value back, no journal
  sigkill    SIGKILL mid-phase: the values stay changed and the journal stays; -n says so
             and restores nothing; the next run restores every value and says so
  dry_run    -n describes each change (old -> new) and changes and creates nothing
  refusals   without root (uid 65534), settings this kernel lacks (lru_gen, and
             fault_around_bytes under lockdown), tmpfs readahead, bad values: exit 2 with
             the reason, nothing created
  warm_fill  how a warm cache is filled decides its folios: the creating writes and large
             reads leave large folios, faults under MADV_RANDOM single pages
"""
import csv
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import mmtest
from mmtest import SKIP, Failure, Skip, check
from robust import Background, phase_running, wait_until

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
THP = "/sys/kernel/mm/transparent_hugepage"
VM = "/proc/sys/vm"
LRU_GEN = "/sys/kernel/mm/lru_gen/enabled"
DEBUGFS = "/sys/kernel/debug"
JOURNALS = "/run/mmbench"
MiB = 1 << 20
# Limits the kernel zeroes the partner of when one is written: put back through the member
# that was in force.
PAIRS = (("dirty_ratio", "dirty_bytes"), ("dirty_background_ratio", "dirty_background_bytes"),
         ("overcommit_ratio", "overcommit_kbytes"))


# ---- the machine's settings ----

def read(path):
    with open(path) as f:
        text = f.read().strip()
    match = re.search(r"\[([^\]]*)\]", text)  # a choice file: the current one
    return match.group(1) if match else " ".join(text.split())


def setting_files():
    files = glob.glob("/sys/block/*/queue/read_ahead_kb")
    files += [p for p in glob.glob(f"{THP}/*") + glob.glob(f"{THP}/hugepages-*/*")
              if os.path.isfile(p)]
    files += [p for p in glob.glob(f"{VM}/*") if os.path.isfile(p)]
    if os.path.exists(LRU_GEN):
        files.append(LRU_GEN)
    return sorted(files)


def debugfs_mounted():
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == DEBUGFS for line in f)


def snapshot():
    """{path: value} of every setting file that reads (write-only ones do not)."""
    values = {}
    for path in setting_files():
        try:
            values[path] = read(path)
        except OSError:
            pass
    values["debugfs mounted"] = debugfs_mounted()
    return values


def put_back(before, changed):
    """The safety net: writes back what a failed test left changed."""
    for path in changed:
        name = os.path.basename(path)
        pair = next((p for p in PAIRS if name in p and path.startswith(VM)), None)
        if path == "debugfs mounted" or pair:
            continue
        try:
            with open(path, "w") as f:
                f.write(before[path])
        except OSError as e:
            print(f"could not put back {path} = {before[path]}: {e}")
    for ratio, absolute in PAIRS:
        r, a = f"{VM}/{ratio}", f"{VM}/{absolute}"
        if r in changed or a in changed:
            path, value = (a, before[a]) if before.get(a, "0") != "0" else (r, before.get(r))
            if value is not None:
                with open(path, "w") as f:
                    f.write(value)
    if "debugfs mounted" in changed and not before["debugfs mounted"]:
        subprocess.run(["umount", DEBUGFS])


def check_restored(before, what):
    after = snapshot()
    changed = [p for p in before if after.get(p) != before[p]]
    if changed:
        put_back(before, changed)
        raise Failure(f"{what}: not restored: " + "; ".join(
            f"{p} was {before[p]!r}, is {after.get(p)!r}" for p in changed))
    print(f"{what}: all {len(before)} settings as found")


def journals(pid=None):
    prefix = f"knobs-{pid}-" if pid else "knobs-"
    try:
        return [n for n in os.listdir(JOURNALS) if n.startswith(prefix)]
    except FileNotFoundError:
        return []


# ---- runs ----

def data_dir(tmp):
    """A directory on a disk-backed filesystem (readahead needs a block device), removed
    with the test's."""
    for parent in (tmp, "/var/tmp"):
        probe = subprocess.run(["stat", "-f", "-c", "%T", parent], capture_output=True, text=True)
        if probe.stdout.strip() not in ("tmpfs", "ramfs"):
            path = tempfile.mkdtemp(prefix="mmbench-settings-", dir=parent)
            if parent != tmp:
                os.symlink(path, os.path.join(tmp, "data-link"))
            return path
    raise Skip("no disk-backed directory for the data files")


def disk_of(path):
    """The disk mmbench's readahead setting is for: /sys/block/<disk> of path's device."""
    dev = os.stat(path).st_dev
    sys_dev = os.path.realpath(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}")
    if os.path.exists(os.path.join(sys_dev, "partition")):
        sys_dev = os.path.dirname(sys_dev)
    return os.path.basename(sys_dev)


def other(path, candidates):
    """A value for the setting at path other than its current one."""
    now = read(path)
    return next(str(c) for c in candidates if str(c) != now)


def choice_other(path):
    """Another choice of a THP file, never "always" for anonymous memory if avoidable."""
    with open(path) as f:
        words = f.read().split()
    choices = [w for w in words if not w.startswith("[")]
    return next((c for c in choices if c != "always"), choices[0])


def settings_for(data):
    """Keys setting every kind of setting this kernel has, each to another value: the disk's
    readahead, THP choices, both dirty pairs through one member each, the writeback
    intervals, and the sysctl object (a plain sysctl and a per-size THP file)."""
    disk = disk_of(data)
    keys = {"read_ahead_kb": int(other(f"/sys/block/{disk}/queue/read_ahead_kb", (128, 256))),
            "thp": choice_other(f"{THP}/enabled"),
            "thp_defrag": choice_other(f"{THP}/defrag"),
            "vm.dirty_ratio": int(other(f"{VM}/dirty_ratio", (17, 18))),
            "vm.dirty_background_bytes": 48 * MiB + 4096 * int(time.time() % 7),
            "vm.dirty_expire_centisecs": int(other(f"{VM}/dirty_expire_centisecs", (2900, 2800))),
            "vm.dirty_writeback_centisecs":
                int(other(f"{VM}/dirty_writeback_centisecs", (450, 400)))}
    if os.path.exists(f"{THP}/shmem_enabled"):
        keys["thp_shmem"] = choice_other(f"{THP}/shmem_enabled")
    sysctl = {"vm.swappiness": int(other(f"{VM}/swappiness", (37, 38)))}
    if os.path.exists(f"{THP}/hugepages-64kB/enabled"):
        sysctl["thp_64kB"] = choice_other(f"{THP}/hugepages-64kB/enabled")
    keys["sysctl"] = sysctl
    return keys, disk


def expected_values(keys, disk):
    """{path: value} that the keys write."""
    paths = {"read_ahead_kb": f"/sys/block/{disk}/queue/read_ahead_kb",
             "thp": f"{THP}/enabled", "thp_defrag": f"{THP}/defrag",
             "thp_shmem": f"{THP}/shmem_enabled"}
    out = {}
    for key, value in keys.items():
        if key == "sysctl":
            for k, v in value.items():
                out[f"{THP}/hugepages-64kB/enabled" if k == "thp_64kB"
                    else f"{VM}/{k[3:]}"] = str(v)
        else:
            out[paths.get(key, f"{VM}/{key[3:]}")] = str(value)
    return out


def labels(keys, disk):
    """The names the knobs journal gives the settings keys write, in expected_values order."""
    out = []
    for key, value in keys.items():
        if key == "sysctl":
            out += list(value)
        else:
            out.append(f"read_ahead_kb of {disk}" if key == "read_ahead_kb" else key)
    return out


def write_config(tmp, data, workloads, **defaults):
    base = {"file_size": "16MiB", "ops": 2000, "repetitions": 1, "warmup": 0, "dir": data}
    base.update(defaults)
    base = {k: v for k, v in base.items() if v is not None}
    path = os.path.join(tmp, "settings.json")
    with open(path, "w") as f:
        json.dump({"name": "settings", "description": "kernel settings test", "defaults": base,
                   "workloads": workloads}, f, indent=2)
    return path


def run(args, cwd, expect=0, user=None):
    proc = subprocess.run([MMBENCH] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=120, user=user)
    if expect is not None and proc.returncode != expect:
        raise Failure(f"mmbench {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def need_root():
    if os.geteuid() != 0:
        raise Skip("changing kernel settings needs root")


def guarded(test):
    """Runs test(tmp, before) with the machine's settings recorded before and checked after
    (also when it failed: then they are written back and the failure says which)."""
    def wrapper(tmp):
        need_root()
        before = snapshot()
        try:
            result = test(tmp, before)
        except BaseException:
            after = snapshot()
            changed = [p for p in before if after.get(p) != before[p]]
            if changed:
                put_back(before, changed)
                print("settings written back after the failure: " + ", ".join(changed))
            raise
        check_restored(before, test.__name__)
        return result
    wrapper.__name__ = test.__name__
    return wrapper


def runs_csv(out):
    with open(os.path.join(out, "runs.csv"), newline="") as f:
        return list(csv.DictReader(f))


def check_applied_text(text, keys, where):
    """A run's kernel_settings names each key with its new value."""
    for key, value in keys.items():
        pairs = value.items() if key == "sysctl" else [(key, value)]
        for k, v in pairs:
            check(re.search(rf"(^|; ){re.escape(k)}( of \w+)?: [^;]* -> {re.escape(str(v))}\b",
                            text), f"{where}: kernel_settings {text!r} lacks {k} -> {v}")


# ---- subtests ----

@guarded
def test_restore(tmp, before):
    data = data_dir(tmp)
    keys, disk = settings_for(data)
    cfg = write_config(tmp, data, [dict({"name": "both", "pattern": "random",
                                         "cache": "cold"}, **keys)], repetitions=2)
    out = os.path.join(tmp, "out")
    run([cfg, "--output", out], tmp)
    rows = runs_csv(out)
    backends = mmtest.default_backends(MMBENCH)
    check(len(rows) == 2 * len(backends) and {r["backend"] for r in rows} == set(backends),
          f"{len(rows)} runs of {backends}")
    texts = {r["kernel_settings"] for r in rows}
    check(len(texts) == 1, f"the phases ran under different settings: {texts}")
    check_applied_text(rows[0]["kernel_settings"], keys, "runs.csv")
    print(f"each phase: {rows[0]['kernel_settings']}")
    results = mmtest.load_results(out)
    context = results["context"]["kernel_settings"]
    check(context["thp"] == before[f"{THP}/enabled"] and
          context["vm.dirty_ratio"] == before[f"{VM}/dirty_ratio"],
          f"the context does not hold the values at start: {context}")
    check(results["context"]["targets"][0]["large_folios"], "no large_folios in the target")
    check(all(r["kernel_settings"] == rows[0]["kernel_settings"] for r in results["runs"]),
          "results.json runs disagree with runs.csv")
    check(not journals(), f"journals left: {journals()}")


def interrupted_run(tmp, sig):
    """Starts a long phase with settings, checks they hold while it runs, sends sig.
    Returns the process, the keys and the values the run wrote ({path: value})."""
    data = data_dir(tmp)
    keys, disk = settings_for(data)
    cfg = write_config(tmp, data, [dict({"name": "long", "pattern": "random"}, **keys)],
                       ops=None, duration="20s")
    proc = Background([cfg, "--output", os.path.join(tmp, "out-" + str(sig))], cwd=tmp)
    try:
        wait_until(lambda: phase_running(proc), "the phase", proc)
        time.sleep(0.3)
        wanted = expected_values(keys, disk)
        now = {p: read(p) for p in wanted}
        check(now == wanted, f"while the phase runs: {now}, expected {wanted}")
        check(journals(proc.proc.pid), "no journal while the settings are applied")
        proc.signal(sig)
        return proc, keys, disk, wanted
    except BaseException:
        proc.kill()
        raise


@guarded
def test_signals(tmp, before):
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        proc, _, _, _ = interrupted_run(tmp, sig)
        try:
            proc.expect_exit(130, timeout=30)
        finally:
            proc.kill()
        check(not journals(proc.proc.pid), f"{sig.name}: the journal was left")
        check_restored(before, sig.name)


@guarded
def test_sigkill(tmp, before):
    proc, keys, disk, wanted = interrupted_run(tmp, signal.SIGKILL)
    proc.wait(timeout=30)
    pid = proc.proc.pid
    check({p: read(p) for p in wanted} == wanted, "the settings changed back without mmbench")
    check(journals(pid), f"no journal of the killed run {pid}")
    # A dry run says what is in force and restores nothing.
    data = data_dir(tmp)
    cfg = write_config(tmp, data, [{"name": "plain"}])
    dry = run(["-n", cfg], tmp)
    check(f"dead run pid {pid}" in dry.stderr and "still in force" in dry.stderr, dry.stderr)
    check({p: read(p) for p in wanted} == wanted and journals(pid), "-n restored something")
    # The next run restores every value and says which.
    proc2 = run([cfg, "--output", os.path.join(tmp, "out-next")], tmp)
    print(proc2.stderr.strip().splitlines()[0])
    check(f"restored kernel settings of dead run pid {pid}" in proc2.stderr, proc2.stderr)
    report = next(line for line in proc2.stderr.splitlines() if f"dead run pid {pid}" in line)
    for key, path in zip(labels(keys, disk), wanted):
        check(f"{key} = {before[path]}" in report, f"the report does not say {key} = "
                                                     f"{before[path]}: {report}")
    check(not journals(pid), "the dead run's journal was not removed")


@guarded
def test_dry_run(tmp, before):
    data = data_dir(tmp)
    keys, disk = settings_for(data)
    cfg = write_config(tmp, data, [dict({"name": "w"}, **keys)])
    journals_before = journals()
    out = os.path.join(tmp, "out")
    proc = run(["-n", cfg, "--output", out], tmp)
    print(proc.stdout[proc.stdout.find("kernel settings"):].strip())
    ra = f"/sys/block/{disk}/queue/read_ahead_kb"
    check(f"read_ahead_kb of {disk}: {before[ra]} -> {keys['read_ahead_kb']}" in proc.stdout,
          proc.stdout)
    check(f"thp: {before[THP + '/enabled']} -> {keys['thp']}" in proc.stdout, proc.stdout)
    check(f"vm.swappiness: {before[VM + '/swappiness']} -> {keys['sysctl']['vm.swappiness']}"
          in proc.stdout, proc.stdout)
    check("the kernel zeroes vm.dirty_background_ratio" in proc.stdout or
          before[VM + "/dirty_background_ratio"] == "0", proc.stdout)
    check(not os.path.exists(out), "-n made the output directory")
    check(not glob.glob(os.path.join(data, "mmbench-*")), "-n made a work directory")
    check(journals() == journals_before, "-n wrote a journal")


@guarded
def test_refusals(tmp, before):
    data = data_dir(tmp)
    os.chmod(tmp, 0o755)
    os.chmod(data, 0o777)
    lru = os.path.exists(LRU_GEN)
    cases = [
        ({"thp": "never"}, data, 65534, "needs root"),
        ({"read_ahead_kb": 128}, data, 65534, "needs root"),
        ({"sysctl": {"vm.swappiness": 10}}, data, 65534, "needs root"),
        ({"read_ahead_kb": 128}, "/dev/shm", None, "no block device"),
        ({"thp": "sometimes"}, data, None, "not one of"),
        ({"sysctl": {"vm.no_such_setting": 1}}, data, None, "does not exist"),
        ({"sysctl": {"thp": "never"}}, data, None, "a key of its own"),
        ({"vm.dirty_ratio": 10, "vm.dirty_bytes": 64 * MiB}, data, None, "cannot both be set"),
        ({"read_ahead_kb": 10}, data, None, "multiple of"),
    ]
    if not lru:
        cases.append(({"lru_gen": "y"}, data, None, "no multi-gen LRU"))
    fault_around = subprocess.run([MMBENCH, "-n", write_config(
        tmp, data, [{"name": "w", "fault_around_bytes": 16384}])], capture_output=True,
        text=True)
    lockdown = "lockdown" in fault_around.stderr
    if lockdown:
        cases.append(({"fault_around_bytes": 16384}, data, None, "lockdown"))
    for i, (keys, where, user, reason) in enumerate(cases):
        cfg = write_config(tmp, where, [dict({"name": "w"}, **keys)])
        os.chmod(cfg, 0o644)
        out = os.path.join(tmp, f"out-{i}")
        journals_before = journals()
        proc = run([cfg, "--output", out], tmp, expect=2, user=user)
        message = proc.stderr.strip().splitlines()[-1]
        print(f"{keys}{' as uid ' + str(user) if user else ''}: {message}")
        check(reason in proc.stderr, f"{keys}: {proc.stderr!r} lacks {reason!r}")
        check(not os.path.exists(out), f"{keys}: the output directory was made")
        check(not glob.glob(os.path.join(where, "mmbench-*")), f"{keys}: a work directory")
        check(journals() == journals_before, f"{keys}: a journal was written")
    print(f"lru_gen {'present' if lru else 'absent'}; fault_around_bytes "
          f"{'refused under lockdown' if lockdown else 'settable'}")


@guarded
def test_warm_fill(tmp, before):
    data = data_dir(tmp)
    size = 64 * MiB
    cfg = write_config(tmp, data, [{"name": "fill", "pattern": "random", "cache": "warm",
                                    "warm_fill": ["write", "read", "fault", "fault_random"]}],
                       file_size=size)
    out = os.path.join(tmp, "out")
    run([cfg, "--output", out], tmp)
    results = mmtest.load_results(out)
    if not results["context"]["targets"][0]["large_folios"].startswith("yes"):
        raise Skip(f"the filesystem of {data} does not cache in large folios "
                   f"({results['context']['targets'][0]['large_folios']})")
    by_fill = {}
    for row in runs_csv(out):
        fill = row["warm_fill"]
        check(row["folio_mix"], f"{fill}: no folio census (root)")
        check(float(row["resident_before_pct"]) >= 99, f"{fill}: not warm")
        by_fill.setdefault(fill, []).append(row)
        print(f"{fill:13} {row['backend']:6} {row['folio_mix']}  (census "
              f"{int(row['folio_census_ns']) / 1e6:.1f} ms)")
    for fill in ("write", "read"):
        for row in by_fill[fill]:
            check(float(row["large_folio_share"]) >= 0.9 and
                  int(row["folio_largest_bytes"]) >= 64 * 1024,
                  f"{fill}: not in large folios: {row['folio_mix']}")
    for row in by_fill["fault_random"]:
        check(int(row["folio_1p_bytes"]) == size and float(row["large_folio_share"]) == 0,
              f"fault_random: not single pages: {row['folio_mix']}")


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__))
