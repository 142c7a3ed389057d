#!/usr/bin/env python3
"""bench/fs-compare on small real filesystems: runs, a comparison, and nothing left behind.

Usage: test_fs_compare.py SUBTEST   (loop, dirs, interrupt)
MMBENCH_FS_SEED and MMBENCH_FS_TRIALS change the interrupt subtest's seed and count.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import mmtest
from mmtest import Skip, check

SOURCE = os.environ.get("MMBENCH_SOURCE", ".")
SCRIPT = os.path.join(SOURCE, "bench", "fs-compare")
CONFIG = {"name": "fs", "defaults": {"file_size": "8MiB", "ops": 1000, "repetitions": 3,
                                     "warmup": 0, "pattern": "random"},
          "workloads": [{"name": "randread"}, {"name": "randwrite", "op": "write"}]}


def setup(tmp):
    cfg = os.path.join(tmp, "fs.json")
    with open(cfg, "w") as f:
        json.dump(CONFIG, f)
    env = dict(os.environ, TMPDIR=tmp)
    return cfg, env


def needs_root():
    """Skips unless this machine lets us attach loop devices and mount (a container may
    not, even as root)."""
    if os.geteuid() != 0 or not shutil.which("losetup"):
        raise Skip("needs root and losetup")
    if subprocess.run(["losetup", "--find"], capture_output=True).returncode != 0:
        raise Skip("no loop device can be attached here")
    probe = tempfile.mkdtemp(prefix="mmbench-mount-probe-")
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", probe],
                          capture_output=True).returncode != 0:
            raise Skip("mounting is not permitted here")
        subprocess.run(["umount", probe])
    finally:
        os.rmdir(probe)


def test_loop(tmp):
    needs_root()
    cfg, env = setup(tmp)
    out = os.path.join(tmp, "out")
    proc = subprocess.run([SCRIPT, cfg, "--output", out, "--size", "320M", "--no-plot"],
                          capture_output=True, text=True, env=env, timeout=600)
    check(proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}")
    expected = [fs for fs in ("ext4", "xfs", "btrfs") if shutil.which("mkfs." + fs)] + ["tmpfs"]
    with open(os.path.join(out, "compare", "compare.json")) as f:
        doc = json.load(f)
    check([r["label"] for r in doc["runs"]] == expected, f"runs {doc['runs']}")
    check([r["fs_type"] for r in doc["runs"]] == expected, "each run on its filesystem")
    backends = mmtest.default_backends(os.environ.get("MMBENCH", "build/mmbench"))
    check(len(doc["rows"]) == 2 * len(backends) * len(expected), f"{len(doc['rows'])} rows")
    for fs in ("ext4", "xfs", "btrfs"):
        if fs not in expected:
            check(f"skipping {fs}" in proc.stderr, f"no note about the missing mkfs.{fs}")
    check(traces(tmp) == ([], [], [], []), f"left behind: {traces(tmp)}")


def test_dirs(tmp):
    cfg, env = setup(tmp)
    a, b = os.path.join(tmp, "diskA"), os.path.join(tmp, "diskB")
    os.mkdir(a)
    os.mkdir(b)
    out = os.path.join(tmp, "out")
    proc = subprocess.run([SCRIPT, "--dirs", a, b, "--", cfg, "--output", out, "--no-plot"],
                          capture_output=True, text=True, env=env, timeout=300)
    check(proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}")
    with open(os.path.join(out, "compare", "compare.json")) as f:
        doc = json.load(f)
    check([r["label"] for r in doc["runs"]] == ["diskA", "diskB"], doc["runs"])
    check(not [d for d in os.listdir(a) + os.listdir(b) if d.startswith("mmbench-")],
          "data files left in the directories")


# The interrupt subtest: signals at seeded random moments of the first seconds, where the
# filesystems are made, attached, mounted, used and unmounted one after another.
INTERRUPT_SEED = int(os.environ.get("MMBENCH_FS_SEED", "20240611"))
INTERRUPT_TRIALS = int(os.environ.get("MMBENCH_FS_TRIALS", "100"))
# Runs of 0.3-2 s per filesystem (2.7-7 s in all on a loaded 2-CPU machine), so that the
# script outlives the latest moment (2.2 s); each set-up between them takes 20-50 ms.
INTERRUPT_CONFIG = {"name": "fs", "defaults": {"file_size": "8MiB", "ops": 1000,
                                               "repetitions": 8, "warmup": 0,
                                               "pattern": "random"},
                    "workloads": [{"name": "randread"}, {"name": "randwrite", "op": "write"}]}


def setup_windows(tmp, cfg):
    """Runs fs-compare once without a signal; returns [(start, end)] in seconds after the
    start around the set-up of each filesystem (the 80 ms before fs-compare says it runs
    the config there: the mkdir, truncate, mkfs, losetup and mount, and the unmount and
    detach of the one before), and the run's length."""
    trial = os.path.join(tmp, "calibration")
    os.mkdir(trial)
    started = time.monotonic()
    proc = subprocess.Popen([SCRIPT, cfg, "--output", os.path.join(trial, "out"), "--size",
                             "320M", "--no-plot"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=trial))
    windows, lines = [], []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("fs-compare: running "):
            moment = time.monotonic() - started
            windows.append((max(0.0, moment - 0.08), moment + 0.01))
    proc.wait()
    length = time.monotonic() - started
    check(proc.returncode == 0,
          f"uninterrupted run: exit {proc.returncode}\n{''.join(lines)[-2000:]}")
    check(windows, "fs-compare said on no filesystem that it runs the config there")
    check(traces(trial) == ([], [], [], []), f"the uninterrupted run left {traces(trial)}")
    shutil.rmtree(trial)
    return windows, length


def pick_signal(rng):
    """(signal, to the process group?): half SIGINT to the group (Ctrl-C), a quarter each
    SIGTERM and SIGHUP to the script alone (kill, a closed terminal's shell)."""
    pick = rng.random()
    if pick < 0.5:
        return signal.SIGINT, True
    return (signal.SIGTERM if pick < 0.75 else signal.SIGHUP), False


def interrupt_moments(rng, count, windows):
    """count (seconds after the start, signal, to the group?, second): 40% in the set-up
    windows (the narrow moments where a resource exists but may not be recorded yet), 40%
    in the first second, 20% up to 2.2 s. One in five gets a second signal 5-200 ms after
    the first (second = (delay s, signal, to the group?), else None): during the cleanup."""
    early = [w for w in windows if w[0] < 2.2] or windows
    out = []
    for _ in range(count):
        where = rng.random()
        if where < 0.4:
            moment = rng.uniform(*rng.choice(early))
        else:
            moment = rng.uniform(0, 1.0) if where < 0.8 else rng.uniform(1.0, 2.2)
        sig, to_group = pick_signal(rng)
        second = (rng.uniform(0.005, 0.2), *pick_signal(rng)) if rng.random() < 0.2 else None
        out.append((moment, sig, to_group, second))
    return out


def unescape_mountinfo(field):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def traces(root):
    """What of a run under root is still there: (mounts, loop devices, mmbench-fs-*
    directories, processes naming root), each a list of strings."""
    prefix = root.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        mounts = [unescape_mountinfo(line.split()[4]) for line in f]
    mounts = [m for m in mounts if m == root or m.startswith(prefix)]
    listed = subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
                            capture_output=True, text=True).stdout
    loops = [line.strip() for line in listed.splitlines()
             if len(line.split(None, 1)) == 2 and line.split(None, 1)[1].startswith(prefix)]
    dirs = [d for d in os.listdir(root) if d.startswith("mmbench-fs-")]
    procs = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if int(pid) != os.getpid() and any(prefix.encode() in a for a in argv):
            procs.append(f"{pid} {b' '.join(argv).decode(errors='replace').strip()}")
    return mounts, loops, dirs, procs


def clear_traces(root):
    """Removes what a failed trial left (processes, mounts deepest first, loop devices), so
    that the next trial starts clean and rmtree never walks into a mounted filesystem."""
    mounts, loops, _, procs = traces(root)
    for p in procs:
        try:
            os.kill(int(p.split()[0]), signal.SIGKILL)
        except OSError:
            pass
    time.sleep(0.2)
    for m in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    for line in loops:
        subprocess.run(["losetup", "-d", line.split()[0]], capture_output=True)
    check(traces(root)[0] == [], f"cannot unmount what a trial left under {root}")


def handles_sigterm(pid):
    """Whether process pid catches SIGTERM (the SigCgt mask of /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            caught = next(line for line in f if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def send(proc, sig, to_group):
    if to_group:
        os.killpg(proc.pid, sig)  # as Ctrl-C does: the whole foreground group
    else:
        os.kill(proc.pid, sig)


def interrupt_once(tmp, index, moment, sig, to_group, second, cfg):
    """Runs fs-compare in a directory of its own, signals it after moment seconds (and
    again after second[0] more, if second is not None); returns
    the problems found (empty: it cleaned up and exited as it must), whether it had
    finished before the moment, and whether the signal came before its handlers."""
    trial = os.path.join(tmp, f"trial-{index:03d}")
    os.mkdir(trial)
    env = dict(os.environ, TMPDIR=trial)
    proc = subprocess.Popen([SCRIPT, cfg, "--output", os.path.join(trial, "out"), "--size",
                             "320M", "--no-plot"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    time.sleep(moment)
    sent = proc.poll() is None
    # Before the script has set its handlers (bash still starting; it sets SIGTERM's
    # last), the signal kills it, which a calling shell reports as 128 + the signal too.
    early = sent and not handles_sigterm(proc.pid)
    if sent:
        send(proc, sig, to_group)
        if second:
            time.sleep(second[0])
            if proc.poll() is None:
                send(proc, *second[1:])
    problems = []
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        problems.append("still running 60 s after the signal")
    expected = 128 + sig if sent else 0  # not sent: it had finished before the moment
    if proc.returncode != expected and not (early and proc.returncode == -sig):
        problems.append(f"exit {proc.returncode}, expected {expected}")
    mounts, loops, dirs, procs = traces(trial)
    for what, found in (("mounted", mounts), ("attached", loops), ("directory", dirs),
                        ("process", procs)):
        problems += [f"{what}: {x}" for x in found]
    if problems:
        own = [line for line in stderr.splitlines() if line and not line[0].isspace()
               and not line.startswith("mmbench")]
        problems.append("stderr: " + " | ".join(own[-3:]))
        clear_traces(trial)
    else:
        shutil.rmtree(trial)
    return problems, not sent, early


def test_interrupt(tmp):
    """SIGINT to the group, or SIGTERM or SIGHUP to the script, at 100 seeded moments of the
    first 2.2 s, many of them in the set-up of a filesystem, some followed by a second
    signal during the cleanup: each time no mount, loop device, directory or process of
    the run may stay, and the exit status is 128 + the first signal (0 if the run had
    already finished)."""
    needs_root()
    cfg = os.path.join(tmp, "fs.json")
    with open(cfg, "w") as f:
        json.dump(INTERRUPT_CONFIG, f)
    windows, length = setup_windows(tmp, cfg)
    print(f"uninterrupted run: {length:.2f} s; set-up windows (s): "
          + ", ".join(f"{a:.3f}-{b:.3f}" for a, b in windows))
    rng = random.Random(INTERRUPT_SEED)
    moments = interrupt_moments(rng, INTERRUPT_TRIALS, windows)
    failed, finished, before_handlers, started = [], 0, 0, time.monotonic()
    kinds = {k: 0 for k in ("exit", "mounted", "attached", "directory", "process", "still")}
    for index, (moment, sig, to_group, second) in enumerate(moments):
        problems, done, early = interrupt_once(tmp, index, moment, sig, to_group, second, cfg)
        finished += done
        before_handlers += early
        if problems:
            what = f"{sig.name} to the {'group' if to_group else 'script'} at {moment:.3f} s"
            if second:
                what += (f", {second[1].name} to the {'group' if second[2] else 'script'} "
                         f"{second[0] * 1000:.0f} ms later")
            failed.append(f"#{index} {what}: " + "; ".join(problems))
            for kind in kinds:
                kinds[kind] += any(p.startswith(kind) for p in problems)
    print(f"{INTERRUPT_TRIALS} interruptions (seed {INTERRUPT_SEED}) in "
          f"{time.monotonic() - started:.0f} s: {len(failed)} failed ("
          + ", ".join(f"{n} {k}" for k, n in kinds.items()) + f"), {finished} finished "
          f"before the signal, {before_handlers} signalled before the script's handlers")
    for line in failed:
        print("  " + line)
    check(not failed, f"{len(failed)} of {INTERRUPT_TRIALS} interruptions went wrong:\n"
          + "\n".join(failed[:10]))


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__, "/var/tmp"))
