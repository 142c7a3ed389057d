#!/usr/bin/env python3
"""Physics the kernel counters must show, on real files, whatever the machine.

Usage: physics.py SUBTEST    (exit 0 pass, 1 fail, 77 skip)
The data directory is $MMBENCH_PHYSICS_DIR, else /var/tmp (it must be disk-backed for the
device-counter checks; on tmpfs those subtests skip).
Device and vmstat counters are system-wide, so the checks compare ratios with wide margins.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import mmtest
from mmtest import Skip, check

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))


def run_config(tmp, workloads, expect=0, **defaults):
    base = {"file_size": "128MiB", "ops": 3000, "repetitions": 1, "warmup": 0,
            "pattern": "random", "dir": tmp}
    base.update(defaults)
    cfg = os.path.join(tmp, "c.json")
    with open(cfg, "w") as f:
        json.dump({"name": "physics", "defaults": base, "workloads": workloads}, f)
    out = tempfile.mkdtemp(dir=tmp, prefix="out-")
    os.rmdir(out)
    proc = subprocess.run([MMBENCH, cfg, "--output", out, "--quiet"], capture_output=True,
                          text=True, timeout=300)
    check(proc.returncode == expect, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    with open(os.path.join(out, "runs.csv"), newline="") as f:
        runs = list(csv.DictReader(f))
    results = mmtest.load_results(out)
    shutil.rmtree(out)
    return runs, results


def one(runs, workload, backend):
    found = [r for r in runs if r["workload"] == workload and r["backend"] == backend]
    check(len(found) == 1, f"{workload}/{backend}: {len(found)} runs")
    check(found[0]["status"] == "ok", f"{workload}/{backend}: {found[0]['error']}")
    return found[0]


def num(row, column):
    value = row[column]
    check(value != "", f"{row['workload']}/{row['backend']}: {column} not recorded")
    return float(value)


def need_block_device(results):
    target = results["context"]["targets"][0]
    if not target["block_device"]:
        raise Skip(f"{target['real_dir']} has no block device ({target['fs_type']})")
    return target


def test_cold_warm(tmp):
    runs, results = run_config(tmp, [{"name": "cold", "cache": "cold"},
                                     {"name": "warm", "cache": "warm"}])
    need_block_device(results)
    block_bytes = 3000 * 4096
    for backend in ("mmap", "pread"):
        cold, warm = one(runs, "cold", backend), one(runs, "warm", backend)
        check(num(cold, "resident_before_pct") <= 1, f"{backend}: cold start still resident")
        check(num(warm, "resident_before_pct") >= 99, f"{backend}: warm start not resident")
        check(cold["cache_state_reached"] == "true" and warm["cache_state_reached"] == "true",
              "cache state flagged as missed")
        cold_read, warm_read = num(cold, "dev_read_bytes"), num(warm, "dev_read_bytes")
        check(cold_read >= 0.5 * block_bytes,
              f"{backend}: a cold start read only {cold_read:.0f} bytes from the device")
        check(warm_read <= 0.02 * cold_read,
              f"{backend}: a warm start read {warm_read:.0f} bytes (cold: {cold_read:.0f})")
        check(num(cold, "tput_mib_s") < num(warm, "tput_mib_s"), f"{backend}: cold faster")


def test_task_io(tmp):
    """The workers' own I/O (/proc/PID/task/TID/io) beside the device's: a cold read's
    device bytes are the workers' (the harness reads nothing meanwhile), a warm read's are
    none of theirs."""
    runs, results = run_config(tmp, [{"name": "cold", "cache": "cold"},
                                     {"name": "warm", "cache": "warm"}], file_size="64MiB")
    need_block_device(results)
    for backend in ("mmap", "pread"):
        cold, warm = one(runs, "cold", backend), one(runs, "warm", backend)
        task, device = num(cold, "task_read_bytes"), num(cold, "dev_read_bytes")
        check(task >= 0.5 * device,
              f"{backend}: the workers read {task:.0f} of the device's {device:.0f} bytes")
        check(num(warm, "task_read_bytes") <= 0.01 * task,
              f"{backend}: a warm run's workers read {warm['task_read_bytes']} bytes")


def test_write_amplification(tmp):
    """On a file in large folios (warm_fill: write leaves them on ext4), a 4 KiB store
    through a mapping dirties its whole folio and msync writes it back: write amplification
    far above 1, counted from the workers' own writes too, and warned about; pwrite +
    fdatasync writes back the blocks written."""
    runs, results = run_config(tmp, [{"name": "w", "op": "write", "cache": "warm",
                                      "warm_fill": "write", "sync": "ms_sync",
                                      "sync_every": 1}], file_size="64MiB", ops=128)
    need_block_device(results)
    mmap, pread = one(runs, "w", "mmap"), one(runs, "w", "pread")
    if num(mmap, "large_folio_share") < 0.5 if mmap["large_folio_share"] else True:
        raise Skip(f"the file is not in large folios here ({mmap['large_folio_share']!r})")
    amp = num(mmap, "write_amplification")
    check(amp > 4, f"mmap: write amplification {amp} with large folios")
    check(num(pread, "write_amplification") < amp / 4,
          f"pread: write amplification {pread['write_amplification']}, mmap {amp}")
    warned = [w for w in results["warnings"] if "w/mmap" in w and "write amplification" in w]
    check(warned, f"no write amplification warning: {results['warnings']}")


def test_time_split(tmp):
    """Where the time went adds up: user, system and off-CPU shares of the phase sum to 1;
    pread's time is the kernel's (a copy per call), a populated mapping's the user's."""
    runs, _ = run_config(tmp, [{"name": "r", "cache": "warm", "populate": "madv_populate_read",
                                "ops": 200000}], file_size="64MiB")
    for backend in ("mmap", "pread"):
        r = one(runs, "r", backend)
        total = num(r, "user_share") + num(r, "system_share") + num(r, "offcpu_share")
        check(0.9 <= total <= 1.1, f"{backend}: shares add up to {total:.3f}")
    pread, mmap = one(runs, "r", "pread"), one(runs, "r", "mmap")
    check(num(pread, "system_share") > num(pread, "user_share"),
          f"pread: system {pread['system_share']}, user {pread['user_share']}")
    check(num(mmap, "user_share") > num(mmap, "system_share"),
          f"mmap: user {mmap['user_share']}, system {mmap['system_share']}")
    check(num(pread, "syscalls_per_op") >= 1 and num(mmap, "syscalls_per_op") < 0.01,
          f"system calls per operation: pread {pread['syscalls_per_op']}, "
          f"mmap {mmap['syscalls_per_op']}")


def test_readahead(tmp):
    runs, results = run_config(tmp, [
        {"name": "normal", "cache": "cold", "backends": ["mmap"]},
        {"name": "random", "cache": "cold", "backends": ["mmap"], "madvise": "random"}])
    target = need_block_device(results)
    if target["read_ahead_kb"] is None or target["read_ahead_kb"] < 64:
        raise Skip(f"read_ahead_kb {target['read_ahead_kb']}: no read-around to see")
    normal, random = one(runs, "normal", "mmap"), one(runs, "random", "mmap")
    check(num(normal, "dev_read_bytes") > 2 * num(random, "dev_read_bytes"),
          f"MADV_RANDOM did not cut read-around: {normal['dev_read_bytes']} vs "
          f"{random['dev_read_bytes']} bytes")
    check(num(random, "readahead_amplification") < 2,
          f"MADV_RANDOM amplification {random['readahead_amplification']}")
    check(num(random, "major_faults") > num(normal, "major_faults"),
          "MADV_RANDOM should fault page by page")


def test_populate(tmp):
    runs, _ = run_config(tmp, [
        {"name": "none", "populate": "none"},
        {"name": "map_populate", "populate": "map_populate"},
        {"name": "madv", "populate": "madv_populate_read"}],
        backends=["mmap"], file_size="64MiB", ops=20000)
    faults = {name: num(one(runs, name, "mmap"), "minor_faults") +
              num(one(runs, name, "mmap"), "major_faults")
              for name in ("none", "map_populate", "madv")}
    for name in ("map_populate", "madv"):
        check(faults[name] <= 5, f"{name} left {faults[name]:.0f} faults in the timed loop")
        check(faults["none"] > 4 * (faults[name] + 1),
              f"without populate only {faults['none']:.0f} faults (with {name}: "
              f"{faults[name]:.0f})")
        check(num(one(runs, name, "mmap"), "setup_ns") >
              num(one(runs, "none", "mmap"), "setup_ns"), f"{name}: set-up not slower")


def test_direct(tmp):
    runs, results = run_config(tmp, [{"name": "direct", "backends": ["pread"], "direct": True,
                                      "cache": "warm"}])
    need_block_device(results)
    row = one(runs, "direct", "pread")
    amplification = num(row, "readahead_amplification")
    check(0.9 <= amplification <= 1.5,
          f"O_DIRECT on a warm file read {amplification:.2f} device bytes per byte")


def test_flush_modes(tmp):
    runs, results = run_config(tmp, [{"name": "w", "op": "write", "backends": ["mmap", "pread"],
                                      "sync": ["ms_sync", "ms_async"], "sync_every": 16}],
                               file_size="32MiB", ops=1600)
    need_block_device(results)
    for backend in ("mmap", "pread"):
        sync, async_ = one(runs, "w/sync=ms_sync", backend), one(runs, "w/sync=ms_async", backend)
        check(num(sync, "flushes") >= 100, f"{backend}: {sync['flushes']} flushes")
        # msync(MS_ASYNC) does nothing on Linux; pread's equivalent only starts write-back.
        factor = 10 if backend == "mmap" else 2
        check(num(sync, "flush_p50_ns") > factor * num(async_, "flush_p50_ns"),
              f"{backend}: MS_SYNC-like flushes ({sync['flush_p50_ns']} ns) not {factor}x slower "
              f"than MS_ASYNC-like ones ({async_['flush_p50_ns']} ns)")
        check(num(sync, "flush_share_pct") > num(async_, "flush_share_pct"), "flush share")
    check(one(runs, "w/sync=ms_sync", "mmap")["flush_call"] == "msync(MS_SYNC)", "flush_call")
    check(one(runs, "w/sync=ms_sync", "pread")["flush_call"] == "fdatasync", "flush_call")


def test_threads(tmp):
    runs, _ = run_config(tmp, [{"name": "part", "threads": 4, "share": "partition"},
                               {"name": "file", "threads": 3, "share": "file", "ops": 3001}],
                         file_size="16MiB", ops=4000)
    for backend in ("mmap", "pread"):
        part = one(runs, "part", backend)
        check(num(part, "threads") == 4 and num(part, "ops") == 4000, "ops over threads")
        check(num(part, "thread_ops_cv") == 0, "an even share of ops per thread")
        check(0 < num(part, "thread_tput_min_mib_s") <= num(part, "thread_tput_max_mib_s"),
              "per-thread throughput")
        check(num(one(runs, "file", backend), "ops") == 3001, "an uneven share")


def test_window(tmp):
    runs, results = run_config(tmp, [{"name": "win", "window": "1MiB"}], file_size="16MiB",
                               backends=["mmap", "pread"], ops=2000)
    row = one(runs, "win", "mmap")
    check(num(row, "remaps") > 100, f"{row['remaps']} remaps of a 1 MiB window over 16 MiB")
    check(num(row, "remap_ns") > 0, "remap time")
    check(results["comparisons"][0]["checksum"].startswith("match"),
          results["comparisons"][0]["checksum"])


def cgroup_leftovers():
    found = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(root, d) for d in dirs if d.startswith("mmbench-")]
        if root.count("/") > 8:
            dirs[:] = []
    return found


def test_cgroup(tmp):
    if os.geteuid() != 0:
        raise Skip("cache_limit needs root")
    # MADV_RANDOM: without it, each mmap fault reads read_ahead_kb around itself, which a
    # 64 MiB cgroup evicts before use (tens of GB of device reads: slow, if instructive).
    runs, results = run_config(tmp, [{"name": "limited", "cache_limit": "64MiB",
                                      "cache": "warm", "madvise": "random"}],
                               file_size="128MiB", ops=5000)
    if results["context"]["kernel"]["cgroup_memory"] == "none":
        raise Skip("no memory cgroup controller")
    for backend in ("mmap", "pread"):
        row = one(runs, "limited", backend)
        check(row["in_cgroup"] == "true", "not run in a cgroup")
        check(num(row, "resident_before_pct") < 90,
              f"{backend}: {row['resident_before_pct']}% of a file twice the limit resident")
        refaults = num(row, "vm_workingset_refault_file")
        check(refaults > 0 or num(row, "major_faults") > 0 or num(row, "dev_read_bytes") > 0,
              f"{backend}: no refault, major fault or device read under the limit")
        check(row["cache_state_reached"] == "false", "warm cannot be reached under the limit")
    check(any("may not fit in memory or cache_limit" in w for w in results["warnings"]),
          "no warning about the warm state")
    check(cgroup_leftovers() == [], f"cgroups left behind: {cgroup_leftovers()}")


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__, os.environ.get("MMBENCH_PHYSICS_DIR", "/var/tmp")))
