#!/usr/bin/env python3
"""bench/fs-compare on small real filesystems: runs, a comparison, and nothing left behind.

Usage: test_fs_compare.py SUBTEST   (loop, dirs, interrupt)
"""
import json
import os
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


def leftovers(work_parent):
    mounts = [line.split()[1] for line in open("/proc/mounts") if "mmbench-fs-" in line]
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    loops = [line for line in loops.splitlines() if "mmbench-fs-" in line]
    dirs = [d for d in os.listdir(work_parent) if d.startswith("mmbench-fs-")]
    return mounts + loops + dirs


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
    check(leftovers(tmp) == [], f"left behind: {leftovers(tmp)}")


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


def test_interrupt(tmp):
    needs_root()
    cfg, env = setup(tmp)
    slow = dict(CONFIG)
    slow["defaults"] = dict(CONFIG["defaults"], ops=None, duration="3s")
    del slow["defaults"]["ops"]
    with open(cfg, "w") as f:
        json.dump(slow, f)
    proc = subprocess.Popen([SCRIPT, cfg, "--output", os.path.join(tmp, "out"), "--size",
                             "320M", "--no-plot", "--fs", "ext4,tmpfs"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any("mmbench-fs-" in l for l in open("/proc/mounts")):
        time.sleep(0.1)
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: to the whole foreground group
    _, stderr = proc.communicate(timeout=120)
    check(proc.returncode == 130, f"exit {proc.returncode}\n{stderr[-2000:]}")
    check(leftovers(tmp) == [], f"left behind after Ctrl-C: {leftovers(tmp)}")


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__, "/var/tmp"))
