#!/usr/bin/env python3
"""Fault tests: provoke each fault for real and check that nothing was lost or left behind.

Usage: robust.py SUBTEST   (meson runs one subtest per test; see tests/meson.build)
Environment: MMBENCH (the binary), MMBENCH_SOURCE (the source tree),
MMBENCH_TEST_DIR (where temporary directories go).
Exit status 0 = pass, 1 = fail, 77 = skipped (meson's convention).

  sigint, sigterm    one signal while the first phase runs: results saved and marked
                     interrupted, data files removed, exit 130
  sigint_create      SIGINT while a data file is being created: no partial file left
  sigint_twice       a second SIGINT in a long batch: exit at once, still nothing left
  sigpipe            stdout is a pipe whose reader is gone: the run still completes,
                     saves its results and removes its data files
  sigbus             another process truncates the file under the mmap backend: that run
                     fails (SIGBUS), the next workload runs on a fresh file
  truncate_pread     the same under the pread backend: unexpected end of file
  enospc_create      (root) a small tmpfs fills up after the start: the next data file
                     cannot be created; the run says why, no partial file is left
  enospc_preflight   (root) a file larger than the free space is refused before anything
  edquot             (root, kernel quotas) as enospc_create, a user quota running out
  eio                (root) the filesystem is shut down under a running phase: EIO
  sigkill            SIGKILL at random moments: results.json is absent or whole
  symlink_swap       the work directory is renamed and replaced by a symlink during a
                     run: no write to, or delete of, anything mmbench did not create
  enospc_results     (root) the output directory's filesystem is full: ENOSPC named
                     for each result file, nothing left
  immutable_results  (root) chattr +i on the output directory mid-run: the spill file
                     and temporary files are not left behind
  sighup, sigquit    as sigint: a closed terminal or SIGQUIT leaves nothing behind
  signal_early       SIGTERM while the config is read: exit 130, nothing run or written
  sigkill_reclaim    after SIGKILL the next run removes the dead run's work directory,
                     names one holding foreign files, and spares live owners' (also a
                     reused pid's)
  cgroup_stale       (root) a stale mmbench-<pid> cgroup does not break cache_limit; a
                     killed run's cgroup is removed by the next run
  deleted_midrun     the data file, then the work directory, deleted during the run: the
                     later workloads run on fresh ones
  valgrind           a small run under valgrind memcheck: no errors, no leaks
"""
import csv
import ctypes
import errno
import fcntl
import glob
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

import mmtest
from integration import leftovers, load_results, write_config
from mmtest import SKIP, Failure, check

MMBENCH = os.path.abspath(os.environ.get("MMBENCH", "build/mmbench"))
MiB = 1 << 20


class Background:
    """mmbench running in the background; its stdout and stderr go to files in cwd."""

    def __init__(self, args, cwd, user=None):
        self.out_path = os.path.join(cwd, "mmbench.stdout")
        self.err_path = os.path.join(cwd, "mmbench.stderr")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([MMBENCH] + args, cwd=cwd, stdout=out, stderr=err,
                                         user=user)
        self.args = args

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def threads(self):
        """Threads of the process: more than one while a phase runs (its workers)."""
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/task"))
        except FileNotFoundError:
            return 0

    def maps(self, path):
        """True when path is mapped into the process."""
        try:
            with open(f"/proc/{self.proc.pid}/maps") as f:
                return any(line.rstrip().endswith(path) for line in f)
        except FileNotFoundError:
            return False

    def running(self):
        return self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        """Waits for the exit; returns the status."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"mmbench {' '.join(self.args)} did not exit within {timeout} s\n"
                          f"stderr:\n{self.stderr()}")

    def expect_exit(self, status, timeout=60):
        got = self.wait(timeout)
        check(got == status, f"mmbench {' '.join(self.args)}: exit {got}, expected {status}\n"
                             f"stdout:\n{self.stdout()}\nstderr:\n{self.stderr()}")

    def kill(self):
        if self.running():
            self.proc.kill()
        self.proc.wait()


def wait_until(cond, what, proc=None, timeout=30):
    """Polls cond until it holds; fails after timeout or when proc exited first."""
    deadline = time.monotonic() + timeout
    while not cond():
        if proc and not proc.running():
            raise Failure(f"mmbench exited ({proc.proc.returncode}) before {what}\n"
                          f"stderr:\n{proc.stderr()}")
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


def data_files(data_dir):
    return glob.glob(os.path.join(data_dir, "mmbench-*", "data-*.bin"))


def data_file(data_dir, size):
    files = glob.glob(os.path.join(data_dir, "mmbench-*", f"data-{size}.bin"))
    return files[0] if files else None


def phase_running(proc):
    return proc.threads() > 1


def config(data_dir, workloads, **defaults):
    base = {"file_size": "8MiB", "repetitions": 1, "warmup": 0, "dir": data_dir}
    base.update(defaults)
    return {"name": "robust", "description": "fault test", "defaults": base,
            "workloads": workloads}


def check_nothing_left(data_dir, out_dir):
    check(leftovers(data_dir) == [], f"data files left behind: {leftovers(data_dir)}")
    if os.path.isdir(out_dir):
        tmp = [n for n in os.listdir(out_dir) if n.endswith(".tmp")]
        check(not tmp, f"temporary files left in {out_dir}: {tmp}")


def check_results_valid(out_dir):
    """results.json is absent or a whole JSON document; returns it or None."""
    path = os.path.join(out_dir, "results.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text)
    except ValueError as e:
        raise Failure(f"{path} is not valid JSON ({e}): {len(text)} bytes, ends {text[-80:]!r}")


def check_csv_whole(path):
    """A CSV file is absent, or every row has the header's columns."""
    if not os.path.exists(path):
        return
    with open(path, newline="") as f:
        text = f.read()
    check(text.endswith("\n"), f"{path} does not end with a newline: cut short?")
    rows = list(csv.reader(text.splitlines()))
    check(rows and all(len(r) == len(rows[0]) for r in rows), f"{path} has ragged rows")


def runs_of(runs, base_name):
    return [r for r in runs if r["base_name"] == base_name]


def need_root():
    if os.geteuid() != 0:
        print("skipped: needs root (mounts)")
        return False
    return True


class Mount:
    """A small filesystem mounted for one test (tmpfs, or an image on a loop device)."""

    def __init__(self, tmp, kind, size_mib, options="", mkfs=None):
        self.path = os.path.join(tmp, "fs")
        os.mkdir(self.path)
        self.image = None
        if kind == "tmpfs":
            cmd = ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m{options}", "tmpfs",
                   self.path]
        else:
            self.image = os.path.join(tmp, "fs.img")
            with open(self.image, "wb") as f:
                f.truncate(size_mib * MiB)
            made = subprocess.run(mkfs + [self.image], capture_output=True, text=True)
            if made.returncode != 0:
                raise OSError(f"{' '.join(mkfs)}: {made.stderr.strip()}")
            cmd = ["mount", "-o", "loop" + options, self.image, self.path]
        mounted = subprocess.run(cmd, capture_output=True, text=True)
        if mounted.returncode != 0:
            raise OSError(f"{' '.join(cmd)}: {mounted.stderr.strip()}")
        self.mounted = True

    def source(self):
        return subprocess.run(["findmnt", "-n", "-o", "SOURCE", self.path],
                              capture_output=True, text=True).stdout.strip()

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave_bytes):
        """Writes a filler file until only about leave_bytes remain free."""
        chunk = b"\xa5" * MiB
        with open(os.path.join(self.path, "filler"), "wb") as f:
            while self.free_bytes() > leave_bytes:
                want = min(len(chunk), self.free_bytes() - leave_bytes)
                try:
                    f.write(chunk[:max(want, 4096)])
                    f.flush()
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
            os.fsync(f.fileno())

    def unmount(self):
        if self.mounted:
            if subprocess.run(["umount", self.path], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", self.path], capture_output=True)
            self.mounted = False


def mount_or_skip(tmp, *args, **kwargs):
    try:
        return Mount(tmp, *args, **kwargs)
    except (OSError, FileNotFoundError) as e:
        print(f"skipped: cannot mount a test filesystem: {e}")
        return None


# ---- subtests ----

def interrupt_in_phase(tmp, sig, workers="threads"):
    """One sig while the first phase runs: saved, marked interrupted, cleaned up, 130 (with
    worker processes too: the signal goes to mmbench alone, and its workers stop with it)."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "first", "pattern": "random", "threads": 2, "workers": workers},
               {"name": "second", "pattern": "sequential"}],
        duration="3s", repetitions=2))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: phase_running(proc), "the first phase", proc)
        time.sleep(0.3)
        check(data_files(data), "no data file while the phase runs")
        sent = time.monotonic()
        proc.signal(sig)
        proc.expect_exit(130)
        # Stops at the next batch, not at the end of the 3 s phase (generous: loaded CI).
        check(time.monotonic() - sent < 2.5, "mmbench did not stop at the next batch")
    finally:
        proc.kill()
    check("stopping after the current batch" in proc.stderr(), proc.stderr())
    check("interrupted" in proc.stdout(), f"console does not say interrupted:\n{proc.stdout()}")
    results, runs, _ = load_results(out)
    check(results["interrupted"] is True and results["complete"] is False,
          f"results.json: interrupted {results['interrupted']}, complete {results['complete']}")
    check(runs and runs[-1]["status"] == "interrupted",
          f"last run status {runs[-1]['status'] if runs else None}, expected interrupted")
    check(all(r["status"] == "ok" for r in runs[:-1]), "a run before the interrupted one failed")
    check(all(r["base_name"] == "first" for r in runs), "the second workload ran")
    last = runs[-1]
    check(int(last["ops"]) > 0 and int(last["elapsed_ns"]) < 3e9,
          f"interrupted run: ops {last['ops']}, elapsed {last['elapsed_ns']} ns")
    check([r["status"] for r in results["runs"]] == [r["status"] for r in runs],
          "results.json and runs.csv disagree")
    check_nothing_left(data, out)
    check(not glob.glob(os.path.join(out, "workloads*")), "the block file left behind")


def test_sigint(tmp):
    interrupt_in_phase(tmp, signal.SIGINT)


def test_sigint_processes(tmp):
    interrupt_in_phase(tmp, signal.SIGINT, workers="processes")


def children_pids(pid):
    """The children of process pid (every thread's), from /proc."""
    out = []
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(task) as f:
                out += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            pass
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sigint_kinds(tmp):
    """SIGINT while a kind's child processes run (20 processes holding the file; two
    processes exchanging messages): mmbench stops within seconds, every child with it, the
    results so far saved and marked interrupted, and nothing left."""
    cases = [{"name": "fp", "kind": "footprint", "processes": 20, "repetitions": 3},
             {"name": "ipc", "kind": "ipc", "duration": "20s", "message_size": "4KiB"}]
    for case in cases:
        work = os.path.join(tmp, case["name"])
        data = os.path.join(work, "data")
        os.makedirs(data)
        out = os.path.join(work, "out")
        cfg = write_config(os.path.join(work, "c.json"), config(data, [case]))
        proc = Background([cfg, "--output", out], cwd=work)
        try:
            wait_until(lambda: len(children_pids(proc.proc.pid)) >= 2, "the kind's processes",
                       proc)
            kids = children_pids(proc.proc.pid)
            sent = time.monotonic()
            proc.signal(signal.SIGINT)
            proc.expect_exit(130)
            check(time.monotonic() - sent < 5, f"{case['name']}: stopping took too long")
        finally:
            proc.kill()
        deadline = time.monotonic() + 3
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not any(alive(k) for k in kids),
              f"{case['name']}: children left running: {[k for k in kids if alive(k)]}")
        results, runs, _ = load_results(out)
        check(results["interrupted"] and not results["complete"], "not marked interrupted")
        check(runs and runs[-1]["status"] == "interrupted",
              f"{case['name']}: runs {[(r['status'], r['error']) for r in runs]}")
        check_nothing_left(data, out)


def test_sigterm(tmp):
    interrupt_in_phase(tmp, signal.SIGTERM)


def test_sigint_create(tmp):
    """SIGINT while a big data file is written: the partial file is removed."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    size = 256 * MiB
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "big", "pattern": "random"}], file_size=size, ops=1000))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: data_file(data, size), "the data file", proc)
        proc.signal(signal.SIGINT)
        proc.expect_exit(130)
    finally:
        proc.kill()
    results, runs, _ = load_results(out)
    check(results["interrupted"] and not results["complete"], "results not marked interrupted")
    check(runs and all(r["status"] == "interrupted" and
                       f"interrupted while creating data-{size}.bin" in r["error"] for r in runs),
          f"runs: {[(r['status'], r['error']) for r in runs]}, expected interrupted while "
          f"creating the data file")
    check_nothing_left(data, out)


def test_sigint_twice(tmp):
    """A second SIGINT while a long batch runs: exit at once, nothing half-written left."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    # 256 operations of 64 MiB make a batch of 16 GiB of copying: a second or more, during
    # which the first SIGINT waits for the batch to end.
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "slow", "pattern": "sequential", "block_size": "64MiB"}],
        file_size="128MiB", duration="20s", backends=["pread"]))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: phase_running(proc), "the phase", proc)
        time.sleep(0.05)
        proc.signal(signal.SIGINT)
        wait_until(lambda: "stopping after the current batch" in proc.stderr(),
                   "the first SIGINT's message", proc, timeout=10)
        proc.signal(signal.SIGINT)
        proc.expect_exit(130, timeout=10)
    finally:
        proc.kill()
    check("interrupted again, exiting now" in proc.stderr(),
          f"the second SIGINT was not handled as such:\n{proc.stderr()}")
    check_results_valid(out)
    check_nothing_left(data, out)
    check(not os.path.exists(os.path.join(out, ".histograms.tmp")), "spill file left")


def test_sigpipe(tmp):
    """mmbench | head: the reader goes away; the console output is lost, nothing else."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": f"w{i}", "pattern": "random"} for i in range(3)], ops=2000))
    proc = subprocess.Popen([MMBENCH, cfg, "--output", out], cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    proc.stdout.close()  # every write to stdout now fails (SIGPIPE, or EPIPE if ignored)
    try:
        status = proc.wait(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    check(status == 0, f"exit {status} with a closed stdout, expected 0 "
                       f"{'(killed by SIGPIPE)' if status == -signal.SIGPIPE else ''}")
    results, runs, _ = load_results(out)
    check(results["complete"] and len(runs) == 3 * len(mmtest.default_backends(MMBENCH)) and
          all(r["status"] == "ok" for r in runs), "results incomplete")
    check_nothing_left(data, out)


def truncate_in_phase(tmp, backend, **keys):
    """Truncates the data file while the first workload's phase runs on backend (with its
    keys); the second workload must run on a fresh file. Returns the failed run."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    size = 16 * MiB
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "victim", "pattern": "random", "duration": "5s", "threads": 2},
               {"name": "after", "pattern": "random", "ops": 2000, "repetitions": 2}],
        file_size=size, backends=[backend], **keys))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: data_file(data, size) and phase_running(proc), "the phase", proc)
        path = data_file(data, size)
        if backend == "mmap":
            wait_until(lambda: proc.maps(path), "the mapping", proc)
        time.sleep(0.1)
        os.truncate(path, size // 2)
        proc.expect_exit(1)
    finally:
        proc.kill()
    results, runs, _ = load_results(out)
    check(results["complete"] and not results["interrupted"], "run not complete")
    victim = runs_of(runs, "victim")
    check(len(victim) == 1 and victim[0]["status"] == "failed",
          f"victim runs: {[(r['status'], r['error']) for r in victim]}")
    after = runs_of(runs, "after")
    check(len(after) == 2 and all(r["status"] == "ok" for r in after),
          f"the next workload did not run on a fresh file: "
          f"{[(r['status'], r['error']) for r in after]}\n{proc.stderr()}")
    check(proc.stderr().count("creating ") == 2, f"the data file was not created afresh:\n"
                                                  f"{proc.stderr()}")
    check_nothing_left(data, out)
    return victim[0]


def test_sigbus(tmp):
    failed = truncate_in_phase(tmp, "mmap")
    check("SIGBUS" in failed["error"] and "shrank" in failed["error"],
          f"error does not name SIGBUS: {failed['error']}")


def test_truncate_pread(tmp):
    failed = truncate_in_phase(tmp, "pread")
    check(re.match(r"pread\(data-16777216\.bin, offset \d+, 4096 bytes\): unexpected end of "
                   r"file", failed["error"]), f"error: {failed['error']}")


def test_truncate_io_uring(tmp):
    """With operations in flight (two rings of 16): the phase fails with the read that hit
    the end, after what was in flight completed; the next workload runs."""
    if "io_uring" not in mmtest.default_backends(MMBENCH):
        print("skipped: io_uring cannot run here")
        return SKIP
    failed = truncate_in_phase(tmp, "io_uring", iodepth=16)
    check(re.match(r"io_uring read\(data-16777216\.bin, offset \d+, \d+ bytes\): unexpected "
                   r"end of file", failed["error"]), f"error: {failed['error']}")


def fill_during_first_phase(tmp, fs, fill, small, big, user=None):
    """Runs a workload on a small file and calls fill while its phase runs, so that the
    next workload's bigger file cannot be created. Returns (process, runs of the next)."""
    out = os.path.join(tmp, "out")
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        fs.path, [{"name": "small", "pattern": "random", "file_size": small, "duration": "1s",
                   "backends": ["pread"]},
                  {"name": "big", "pattern": "random", "file_size": big, "ops": 1000}]))
    proc = Background([cfg, "--output", out], cwd=tmp, user=user)
    try:
        wait_until(lambda: phase_running(proc), "the first phase", proc)
        fill()
        proc.expect_exit(1)
    finally:
        proc.kill()
    results, runs, _ = load_results(out)
    check(results["complete"], "run not complete")
    check(all(r["status"] == "ok" for r in runs_of(runs, "small")), "the first workload failed")
    big_runs = runs_of(runs, "big")
    check(len(big_runs) == len(mmtest.default_backends(MMBENCH)) and
          all(r["status"] == "failed" for r in big_runs),
          f"the second workload's runs: {[(r['status'], r['error']) for r in big_runs]}")
    left = set(os.listdir(fs.path)) - {"filler", "lost+found"}
    check(not left, f"left in the filesystem: {left}")
    check_nothing_left(fs.path, out)
    return proc, big_runs


def test_enospc_create(tmp):
    if not need_root():
        return SKIP
    fs = mount_or_skip(tmp, "tmpfs", 32)
    if not fs:
        return SKIP
    try:
        big = 12 * MiB
        proc, runs = fill_during_first_phase(tmp, fs, lambda: fs.fill(6 * MiB), 4 * MiB, big)
        expected = f"fallocate(data-{big}.bin, offset 0, {big} bytes): No space left on device"
        for r in runs:
            check(expected in r["error"], f"error {r['error']!r} lacks {expected!r}")
        check(expected in proc.stderr(), f"stderr lacks {expected!r}:\n{proc.stderr()}")
    finally:
        fs.unmount()


def test_enospc_preflight(tmp):
    if not need_root():
        return SKIP
    fs = mount_or_skip(tmp, "tmpfs", 16)
    if not fs:
        return SKIP
    try:
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        cfg = write_config(os.path.join(tmp, "c.json"), config(
            fs.path, [{"name": "toobig", "file_size": "32MiB", "ops": 100}]))
        free = fs.free_bytes()
        proc = subprocess.run([MMBENCH, cfg], cwd=work, capture_output=True, text=True,
                              timeout=60)
        check(proc.returncode == 2, f"exit {proc.returncode}, expected 2\n{proc.stderr}")
        expected = (f"the data files need up to 32.0MiB (plus 1% for metadata) but only "
                    f"{free / MiB:.1f}MiB is free there (statvfs)")
        check(expected in proc.stderr, f"stderr lacks {expected!r}:\n{proc.stderr}")
        check(os.listdir(fs.path) == [], f"created in the filesystem: {os.listdir(fs.path)}")
        check(os.listdir(work) == [], f"created in the working directory: {os.listdir(work)}")
    finally:
        fs.unmount()


class DiskQuota(ctypes.Structure):
    """struct if_dqblk of <linux/quota.h>; block limits are in KiB."""
    _fields_ = [("bhardlimit", ctypes.c_uint64), ("bsoftlimit", ctypes.c_uint64),
                ("curspace", ctypes.c_uint64), ("ihardlimit", ctypes.c_uint64),
                ("isoftlimit", ctypes.c_uint64), ("curinodes", ctypes.c_uint64),
                ("btime", ctypes.c_uint64), ("itime", ctypes.c_uint64),
                ("valid", ctypes.c_uint32)]


def set_block_quota(device, uid, limit_bytes):
    """quotactl(Q_SETQUOTA, USRQUOTA) with a hard block limit; returns 0 or an errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    q_setquota, usrquota, qif_blimits = 0x800008, 0, 1
    quota = DiskQuota(bhardlimit=limit_bytes // 1024, bsoftlimit=limit_bytes // 1024,
                      valid=qif_blimits)
    if libc.quotactl((q_setquota << 8) | usrquota, device.encode(), uid,
                     ctypes.byref(quota)) < 0:
        return ctypes.get_errno()
    return 0


def test_edquot(tmp):
    """A user quota (mmbench runs as nobody: root ignores quotas) runs out after the start;
    statvfs does not see quotas, so only the creation can find out."""
    if not need_root():
        return SKIP
    if not shutil.which("mkfs.ext4"):
        print("skipped: mkfs.ext4 not found")
        return SKIP
    fs = mount_or_skip(tmp, "ext4", 64, options=",usrquota",
                       mkfs=["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "quota"])
    if not fs:
        return SKIP
    try:
        nobody = 65534
        e = set_block_quota(fs.source(), nobody, 16 * MiB)
        if e:
            print(f"skipped: quotactl(Q_SETQUOTA): {os.strerror(e)}")
            return SKIP
        os.chown(tmp, nobody, -1)
        os.chmod(fs.path, 0o777)

        def fill():
            # nobody's 10 MiB filler leaves 6 MiB of its 16 MiB quota once the first
            # workload's 4 MiB file is gone: too little for the next, 8 MiB file.
            subprocess.run(["dd", "if=/dev/zero", "of=" + os.path.join(fs.path, "filler"),
                            "bs=1M", "count=10", "conv=fsync"],
                           user=nobody, capture_output=True, check=True)

        proc, runs = fill_during_first_phase(tmp, fs, fill, 4 * MiB, 8 * MiB, user=nobody)
        for r in runs:
            check("Disk quota exceeded" in r["error"], f"error {r['error']!r} is not EDQUOT")
    finally:
        fs.unmount()


def test_eio(tmp):
    """The filesystem is shut down (EXT4_IOC_SHUTDOWN: every later call fails with EIO)
    while a phase runs: that run fails with EIO, the results are saved elsewhere, and
    mmbench says what it could not remove."""
    if not need_root():
        return SKIP
    if not shutil.which("mkfs.ext4"):
        print("skipped: mkfs.ext4 not found")
        return SKIP
    fs = mount_or_skip(tmp, "ext4", 64, mkfs=["mkfs.ext4", "-q", "-F"])
    if not fs:
        return SKIP
    out = os.path.join(tmp, "out")
    try:
        cfg = write_config(os.path.join(tmp, "c.json"), config(
            fs.path, [{"name": "victim", "pattern": "random", "duration": "5s",
                       "backends": ["pread"]},
                      {"name": "next", "pattern": "random", "file_size": "4MiB", "ops": 100}]))
        proc = Background([cfg, "--output", out], cwd=tmp)
        try:
            wait_until(lambda: phase_running(proc), "the phase", proc)
            time.sleep(0.1)
            fd = os.open(fs.path, os.O_RDONLY)
            try:
                ext4_ioc_shutdown, nologflush = 0x8004587D, 2
                fcntl.ioctl(fd, ext4_ioc_shutdown, struct.pack("I", nologflush))
            finally:
                os.close(fd)
            proc.expect_exit(1)
        finally:
            proc.kill()
    finally:
        fs.unmount()
    results, runs, _ = load_results(out)
    check(results["complete"], "run not complete")
    victim = runs_of(runs, "victim")
    check(len(victim) == 1 and re.match(r"pread\(data-8388608\.bin, offset \d+, 4096 bytes\): "
                                        r"Input/output error", victim[0]["error"]),
          f"victim: {[(r['status'], r['error']) for r in victim]}")
    following = runs_of(runs, "next")
    check(following and all(r["status"] == "failed" and "Input/output error" in r["error"]
                            for r in following),
          f"next: {[(r['status'], r['error']) for r in following]}")
    check(re.search(r"could not remove \S+/data-8388608\.bin: Input/output error", proc.stderr()),
          f"no word of the data file left behind:\n{proc.stderr()}")


def test_sigkill(tmp):
    """SIGKILL at random moments: results.json (and the CSV files) absent or whole."""
    seed = int(os.environ.get("MMBENCH_ROBUST_SEED", time.time_ns() % 1000000))
    print(f"kill times from seed {seed} (MMBENCH_ROBUST_SEED)")
    rng = random.Random(seed)
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": f"w{i}", "pattern": "random", "op": "read" if i % 2 else "write",
                "sync": "fsync", "sync_every": 200} for i in range(6)],
        file_size="1MiB", ops=1000, repetitions=2))
    # The length of a whole run, to spread the kills over it.
    start = time.monotonic()
    subprocess.run([MMBENCH, cfg, "--output", os.path.join(tmp, "whole")], cwd=tmp,
                   capture_output=True, check=True, timeout=120)
    length = time.monotonic() - start
    seen = {"absent": 0, "whole": 0}
    for i in range(12):
        out = os.path.join(tmp, f"out{i}")
        proc = Background([cfg, "--output", out], cwd=tmp)
        time.sleep(rng.uniform(0, length))
        proc.kill()
        results = check_results_valid(out)
        seen["absent" if results is None else "whole"] += 1
        if results is not None:
            # Every finished workload's block is there and valid, inline or in its file.
            blocks = mmtest.workload_blocks(results, out)
            check(all(b["runs"] for b in blocks), "a block without runs")
            seen["blocks"] = seen.get("blocks", 0) + len(blocks)
        for name in ("runs.csv", "summary.csv"):
            check_csv_whole(os.path.join(out, name))
        for d in glob.glob(os.path.join(data, "mmbench-*")):
            shutil.rmtree(d)  # SIGKILL leaves the data files: nothing can remove them
    print(f"results.json after 12 kills: {seen}")


def test_symlink_swap(tmp):
    """The work directory is renamed and replaced by a symlink to another directory while
    a write workload runs: mmbench keeps writing to the file it created (held open), never
    to the file the symlink leads to, and deletes only what it created."""
    data = os.path.join(tmp, "data")
    victim = os.path.join(tmp, "victim")
    moved = os.path.join(tmp, "moved")
    os.mkdir(data)
    os.mkdir(victim)
    size = MiB
    precious = {f"data-{size}.bin": b"V" * size, "MMBENCH-DATA": b"not mmbench's\n"}
    for name, content in precious.items():
        with open(os.path.join(victim, name), "wb") as f:
            f.write(content)
    out = os.path.join(tmp, "out")
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "w", "pattern": "random", "op": "write", "sync": "fsync",
                "sync_every": 64, "duration": "300ms"}],
        file_size=size, repetitions=4))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: data_file(data, size) and phase_running(proc), "the phase", proc)
        work = os.path.dirname(data_file(data, size))
        os.rename(work, moved)
        os.symlink(victim, work)
        proc.expect_exit(0)
    finally:
        proc.kill()
    for name, content in precious.items():
        path = os.path.join(victim, name)
        check(os.path.exists(path), f"mmbench deleted {path}, which it did not create\n"
                                    f"{proc.stderr()}")
        with open(path, "rb") as f:
            check(f.read() == content, f"mmbench wrote to {path}, which it did not create")
    check(os.path.islink(work), "the symlink mmbench did not create was removed")
    left = os.listdir(moved) if os.path.exists(moved) else []
    check(left == [], f"mmbench's own files were left in the moved directory: {left}")
    _, runs, _ = load_results(out)
    check(len(runs) == 4 * len(mmtest.default_backends(MMBENCH)) and
          all(r["status"] == "ok" for r in runs),
          f"runs: {[(r['status'], r['error']) for r in runs]}")
    check("was moved to " + moved in proc.stderr(),
          f"stderr does not say where the work directory went:\n{proc.stderr()}")


def test_enospc_results(tmp):
    """(root) The output directory's filesystem is full: the result file that cannot be
    written says why as the kernel said it (ENOSPC, not stdio's EIO), before anything runs;
    nothing is left."""
    if not need_root():
        return SKIP
    fs = mount_or_skip(tmp, "tmpfs", 1)
    if not fs:
        return SKIP
    try:
        fs.fill(0)
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        out = os.path.join(fs.path, "out")
        cfg = write_config(os.path.join(tmp, "c.json"), config(
            data, [{"name": "r", "pattern": "random"}], file_size="1MiB", ops=500))
        proc = subprocess.run([MMBENCH, cfg, "--output", out], cwd=tmp, capture_output=True,
                              text=True, timeout=60)
        check(proc.returncode == 1, f"exit {proc.returncode}, expected 1\n{proc.stderr}")
        # The first result file that cannot be written stops the run before it measures
        # anything, with the kernel's reason.
        expected = f"writing {out}/runs.csv: No space left on device"
        check(expected in proc.stderr, f"stderr lacks {expected!r}:\n{proc.stderr}")
        check("Input/output error" not in proc.stderr, proc.stderr)
        check(os.listdir(out) == [], f"left in {out}: {os.listdir(out)}")
        check(leftovers(data) == [], f"data files left behind: {leftovers(data)}")
    finally:
        fs.unmount()


def test_immutable_results(tmp):
    """(root, a filesystem with chattr +i) The results directory is made immutable while
    the run goes on: the results cannot be written (exit 1, said so), and the histogram
    spill file is not left behind (it never has a name)."""
    if not need_root() or not shutil.which("chattr"):
        return SKIP
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": f"w{i}", "pattern": "random", "duration": "300ms"} for i in range(2)],
        file_size="1MiB"))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: phase_running(proc), "the first phase", proc)
        made = subprocess.run(["chattr", "+i", out], capture_output=True, text=True)
        if made.returncode != 0:
            proc.kill()
            print(f"skipped: chattr +i: {made.stderr.strip()}")
            return SKIP
        try:
            proc.expect_exit(1)
        finally:
            subprocess.run(["chattr", "-i", out], capture_output=True)
    finally:
        proc.kill()
    check("Operation not permitted" in proc.stderr(), proc.stderr())
    left = os.listdir(out)
    check(not [n for n in left if n.endswith(".tmp")], f"temporary files left in {out}: {left}")
    check(leftovers(data) == [], f"data files left behind: {leftovers(data)}")


def test_sighup(tmp):
    interrupt_in_phase(tmp, signal.SIGHUP)


def test_sigquit(tmp):
    interrupt_in_phase(tmp, signal.SIGQUIT)


def caught_signals(pid):
    """The signals a process has handlers for (SigCgt of /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
    except (FileNotFoundError, StopIteration):
        return set()
    return {s for s in range(1, 65) if mask & (1 << (s - 1))}


def test_signal_early(tmp):
    """SIGTERM while the config is still being read (a FIFO no one has written yet): the
    handlers are in place before parsing, so mmbench exits 130 once it can, having run and
    written nothing, instead of dying by the signal's default action."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    fifo = os.path.join(tmp, "c.json")
    os.mkfifo(fifo)
    proc = Background([fifo, "--output", os.path.join(tmp, "out")], cwd=tmp)
    try:
        deadline = time.monotonic() + 5
        while signal.SIGTERM not in caught_signals(proc.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        installed = signal.SIGTERM in caught_signals(proc.proc.pid)
        proc.signal(signal.SIGTERM)
        time.sleep(0.1)
        if proc.running():
            with open(fifo, "w") as f:
                json.dump(config(data, [{"name": "r", "ops": 100}], file_size="1MiB"), f)
        status = proc.wait()
    finally:
        proc.kill()
    check(installed, "no SIGTERM handler while the config was being read")
    check(status == 130, f"exit {status}, expected 130 "
                         f"{'(killed by the signal)' if status < 0 else ''}\n{proc.stderr()}")
    check("nothing was run or written" in proc.stderr(), proc.stderr())
    check(sorted(os.listdir(tmp)) == ["c.json", "data", "mmbench.stderr", "mmbench.stdout"],
          f"created: {sorted(os.listdir(tmp))}")
    check(os.listdir(data) == [], f"created in the data dir: {os.listdir(data)}")


def fake_workdir(data, suffix, owner, state="in use", extra=None):
    """A work directory as mmbench makes it, with a marker naming owner, and extra files."""
    path = os.path.join(data, "mmbench-" + suffix)
    os.mkdir(path, 0o700)
    with open(os.path.join(path, "MMBENCH-DATA"), "w") as f:
        f.write(f"mmbench data directory: the data files of mmbench runs, nothing else.\n"
                f"owner: {owner}\nstate: {state}\n")
    with open(os.path.join(path, "data-4096.bin"), "wb") as f:
        f.write(b"\0" * 4096)
    for name, content in (extra or {}).items():
        with open(os.path.join(path, name), "w") as f:
            f.write(content)
    return path


def process_start(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def test_sigkill_reclaim(tmp):
    """SIGKILL leaves the work directory; the next run in that dir removes it (its owner,
    pid and start time, no longer runs), names one holding a file mmbench did not make,
    and leaves alone those of a live owner, also when a live process has the dead owner's
    pid (a reused pid)."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "long", "pattern": "random", "duration": "20s"}], file_size="1MiB"))
    killed = []
    for i in range(2):
        before = set(leftovers(data))
        proc = Background([cfg, "--output", os.path.join(tmp, f"killed{i}")], cwd=tmp)
        try:
            wait_until(lambda: phase_running(proc), "the phase", proc)
        finally:
            proc.kill()
        new = set(leftovers(data)) - before
        check(len(new) == 1, f"SIGKILL left {sorted(new)}, expected one work directory")
        killed.append((new.pop(), proc.proc.pid))
        if i == 0:  # kept from the second run's reclaim: it holds something not mmbench's
            with open(os.path.join(killed[0][0], "notes.txt"), "w") as f:
                f.write("someone's notes\n")
    killed.reverse()  # [0]: mmbench's only, to be removed; [1]: with notes.txt
    me, start = os.getpid(), process_start(os.getpid())
    live = fake_workdir(data, "LIVE01", f"pid={me} start={start}")
    reused = fake_workdir(data, "REUSED", f"pid={me} start={start + 1}")
    kept = fake_workdir(data, "KEPT01", f"pid={me} start={start + 1}", state="kept")
    short = write_config(os.path.join(tmp, "s.json"), config(
        data, [{"name": "r", "pattern": "random", "ops": 200}], file_size="1MiB"))
    _, stderr = mmtest.run([MMBENCH, short, "--output", os.path.join(tmp, "next")], cwd=tmp)
    for path, pid in [killed[0], (reused, me)]:
        check(not os.path.exists(path), f"{path} (owner {pid}, dead) was not removed\n{stderr}")
        check(f"removed {path}, left by process {pid}, which no longer runs" in stderr,
              f"stderr does not say {path} was removed:\n{stderr}")
    path, pid = killed[1]
    check(os.path.exists(os.path.join(path, "notes.txt")), f"{path}/notes.txt was deleted")
    check(f"holds notes.txt, which mmbench did not make" in stderr and
          f"rm -r -- '{path}'" in stderr, f"stderr does not name {path}:\n{stderr}")
    for path in (live, kept):
        check(os.path.exists(os.path.join(path, "data-4096.bin")), f"{path} was touched")
        check(path not in stderr, f"stderr mentions {path}:\n{stderr}")
    check(sorted(leftovers(data)) == sorted([killed[1][0], live, kept]),
          f"left: {sorted(leftovers(data))}")


def cgroup_parent():
    """Where mmbench makes its memory cgroups (as src/run/cache.c finds it), or None."""
    v1 = v2 = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ")
            fstype, _, options = right.split()[:3]
            if fstype == "cgroup2" and not v2:
                v2 = left.split()[4]
            if fstype == "cgroup" and "memory" in options.split(",") and not v1:
                v1 = left.split()[4]
    if v2 and os.path.exists(os.path.join(v2, "cgroup.controllers")) and \
            "memory" in open(os.path.join(v2, "cgroup.controllers")).read().split():
        return v2
    if not v1:
        return None
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if "memory" in controllers.split(","):
                return v1 + (path if path != "/" else "")
    return None


def mmbench_cgroups(parent):
    return sorted(n for n in os.listdir(parent) if n.startswith("mmbench-"))


def test_cgroup_stale(tmp):
    """(root, a memory cgroup) A stale cgroup of the name an older mmbench would use
    (mmbench-<its pid>) does not make cache_limit fail, and the cgroup a SIGKILLed run
    left is removed by the next run."""
    if not need_root():
        return SKIP
    parent = cgroup_parent()
    if not parent:
        print("skipped: no memory cgroup controller")
        return SKIP
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    stale = None
    try:
        # A run killed inside its cgroup.
        cfg = write_config(os.path.join(tmp, "k.json"), config(
            data, [{"name": "limited", "cache_limit": "32MiB", "duration": "20s"}],
            file_size="1MiB", backends=["pread"]))
        before = mmbench_cgroups(parent)
        proc = Background([cfg, "--output", os.path.join(tmp, "killed")], cwd=tmp)
        try:
            wait_until(lambda: phase_running(proc) and mmbench_cgroups(parent) != before,
                       "the phase in its cgroup", proc)
        finally:
            proc.kill()
        left = sorted(set(mmbench_cgroups(parent)) - set(before))
        check(len(left) == 1, f"SIGKILL left cgroups {left}, expected one")
        for d in glob.glob(os.path.join(data, "mmbench-*")):
            shutil.rmtree(d)
        # The next run: its own pid's old-style name is taken.
        cfg = write_config(os.path.join(tmp, "c.json"), config(
            data, [{"name": "first", "duration": "500ms"},
                   {"name": "limited", "cache_limit": "32MiB", "ops": 500}],
            file_size="1MiB"))
        proc = Background([cfg, "--output", os.path.join(tmp, "out")], cwd=tmp)
        stale = os.path.join(parent, f"mmbench-{proc.proc.pid}")
        os.mkdir(stale)
        try:
            proc.expect_exit(0)
        finally:
            proc.kill()
        _, runs, _ = load_results(os.path.join(tmp, "out"))
        check(all(r["status"] == "ok" for r in runs),
              f"runs: {[(r['workload'], r['status'], r['error']) for r in runs]}")
        check(not os.path.exists(os.path.join(parent, left[0])),
              f"the killed run's cgroup {left[0]} is still there\n{proc.stderr()}")
        check(f"removed the memory cgroup {os.path.join(parent, left[0])}" in proc.stderr(),
              proc.stderr())
    finally:
        if stale and os.path.isdir(stale):
            os.rmdir(stale)
        for name in set(mmbench_cgroups(parent)) - set(before):
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass


def test_deleted_midrun(tmp):
    """The data file, then the whole work directory, deleted while workloads run: each
    later workload gets a fresh file (said so), none fails, nothing is left."""
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    out = os.path.join(tmp, "out")
    size = MiB
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": f"w{i}", "pattern": "random", "duration": "400ms"} for i in range(3)],
        file_size=size))
    proc = Background([cfg, "--output", out], cwd=tmp)
    try:
        wait_until(lambda: data_file(data, size) and phase_running(proc), "w0's phase", proc)
        os.unlink(data_file(data, size))
        wait_until(lambda: proc.stderr().count("of data pattern)") == 2 and
                   data_file(data, size), "a new data file for w1", proc)
        shutil.rmtree(os.path.dirname(data_file(data, size)))
        proc.expect_exit(0)
    finally:
        proc.kill()
    stderr = proc.stderr()
    check(stderr.count("was deleted during the run: creating it afresh") == 2,
          f"the deleted file was not said so:\n{stderr}")
    check("was deleted during the run: making a new one" in stderr,
          f"the deleted directory was not said so:\n{stderr}")
    _, runs, _ = load_results(out)
    nb = len(mmtest.default_backends(MMBENCH))
    check(len(runs) == 3 * nb and all(r["status"] == "ok" for r in runs),
          f"runs: {[(r['workload'], r['status'], r['error']) for r in runs]}")
    check_nothing_left(data, out)


def test_valgrind(tmp):
    """A small run with both backends, a write workload with flushes and two threads under
    valgrind memcheck: no error, no leak."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        print("skipped: valgrind not found")
        return SKIP
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    cfg = write_config(os.path.join(tmp, "c.json"), config(
        data, [{"name": "read", "pattern": "random"},
               {"name": "write", "pattern": "sequential", "op": "write", "sync": "fdatasync",
                "sync_every": 100}],
        file_size="1MiB", ops=1000, repetitions=2, threads=2))
    out = os.path.join(tmp, "out")
    log = os.path.join(tmp, "valgrind.log")
    proc = subprocess.run(
        [valgrind, "--quiet", "--error-exitcode=99", "--leak-check=full",
         "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
         # timings under valgrind mean nothing: skip the TSC calibration
         f"--log-file={log}", MMBENCH, cfg, "--output", out, "--timer", "clock"],
        cwd=tmp, capture_output=True, text=True, timeout=600)
    with open(log) as f:
        report = f.read()
    check(proc.returncode == 0, f"exit {proc.returncode} under valgrind (99: memcheck found "
                                f"errors or leaks)\n{report}\nstderr:\n{proc.stderr}")
    results, runs, _ = load_results(out)
    check(results["complete"] and all(r["status"] == "ok" for r in runs), "a run failed")
    check_nothing_left(data, out)


if __name__ == "__main__":
    sys.exit(mmtest.main(globals(), __doc__))
