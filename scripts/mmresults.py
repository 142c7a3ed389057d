"""The one reader of mmbench's result files: results.json version 2 (a run, docs/results.md)
with its workload blocks (inline, or in the `workload_files` block file while a run goes on
or after it was killed), the folded stacks of its profiles, and compare.json version 2
(written by mmbench compare, docs/compare.md).

Nothing else in scripts/ knows their layout. scripts/plot, scripts/report and the chart
modules go through the accessors here: a run's workloads and their parameters, backends,
runs (with their role, time series and levels), summaries (with histograms, levels,
profiles and kind metrics), comparisons between backends, claims, checksums, warnings,
context and flush calls; a comparison's runs, rows and backend ratios. Every value they
return has been checked for its type and range when the file was read: a file that is not
what mmbench writes raises ResultsError with a one-line message naming the file and the
field. Files a results file names (workload blocks, folded stacks) are read only inside
the results directory, never through a symlink.

Python 3 standard library only.
"""
import errno
import json
import math
import os
import re
import stat
from dataclasses import dataclass

MAX_FILE_BYTES = 256 * 2 ** 20   # larger files are refused: 256 MiB of JSON is ~1M runs
MAX_NUMBER = 2.0 ** 64            # no field of a results file exceeds a 64-bit counter
SCHEMA_VERSIONS = {"results": 2, "compare": 2}   # what these scripts read
UNIT_SUFFIXES = ("_bytes", "_ns", "_kib", "_pct", "_mib_s")
BACKEND_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}")
# A name inside the results directory that a results file gives (the workload_files
# directory, a folded-stack file's parts): no leading dot, so never '.' or '..'.
INSIDE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")
RECORD_SEPARATOR = b"\x1e"   # starts each record of the workload_files block file


class ResultsError(Exception):
    """A directory or file that is not a readable mmbench results or comparison directory;
    the message is one line and names the file and the field."""


class MissingError(ResultsError):
    """A file that a results file names is not there."""


# ---- reading a JSON file ----

def dir_kind(path):
    """'results' or 'compare', by which file the directory holds; raises ResultsError."""
    if not os.path.isdir(path):
        raise ResultsError(f"{path}: not a directory")
    if os.path.isfile(os.path.join(path, "results.json")):
        return "results"
    if os.path.isfile(os.path.join(path, "compare.json")):
        return "compare"
    raise ResultsError(f"{path}: holds neither results.json (a run of mmbench) nor "
                       f"compare.json (written by mmbench compare)")


def data_file(path, kind):
    """The file of a directory of that kind: path/results.json or path/compare.json."""
    return os.path.join(path, "results.json" if kind == "results" else "compare.json")


class _BadNumber:
    """A number no results file holds (NaN, Infinity, beyond +-2^64), kept in the document
    until the walk over it names its field."""

    def __init__(self, why):
        self.why = why


def _number_hooks(found):
    """json.loads hooks for constants, floats and integers that put a _BadNumber in place
    of a number no results file holds, and append it to found."""
    def bad(why):
        found.append(_BadNumber(why))
        return found[-1]

    def constant(token):
        return bad(f"{token} is not a number JSON allows (mmbench writes null for a value "
                   f"it did not measure)")

    def number(kind):
        def parse(text):
            value = kind(text)
            if (kind is float and not math.isfinite(value)) or abs(value) > MAX_NUMBER:
                return bad(f"{shown(text)} is out of range (beyond +-2^64)")
            return value
        return parse
    return {"parse_constant": constant, "parse_float": number(float),
            "parse_int": number(int)}


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {shown(key)}")
        obj[key] = value
    return obj


def _read_bytes(path, dir_fd=None, name=None, limit=MAX_FILE_BYTES):
    """The file's bytes; a regular file of at most limit bytes (a FIFO or a device would
    block or never end). With dir_fd, the file is name in that directory, not followed
    through a symlink; path is then only what messages call it."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(path, flags) if dir_fd is None else \
            os.open(name, flags | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as e:
        why = "a symlink" if e.errno == errno.ELOOP and dir_fd is not None else e.strerror
        error = MissingError if e.errno == errno.ENOENT else ResultsError
        raise error(f"cannot read {path}: {why}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ResultsError(f"{path}: not a regular file")
        if info.st_size > limit:
            raise ResultsError(f"{path}: {info.st_size / 2 ** 20:.0f} MiB, more than the "
                               f"{limit // 2 ** 20} MiB these scripts read")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ResultsError(f"{path}: grew beyond {limit // 2 ** 20} MiB while being read")
        return b"".join(chunks)
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror}") from None
    finally:
        os.close(fd)


def _open_directory(path, dir_fd=None, name=None):
    """A descriptor of the directory path (or name in dir_fd, not followed through a
    symlink); raises ResultsError."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    try:
        return os.open(path, flags) if dir_fd is None else \
            os.open(name, flags | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as e:
        error = MissingError if e.errno == errno.ENOENT else ResultsError
        raise error(f"cannot read {path}: {_why_not_directory(e, dir_fd, name)}") from None


def _why_not_directory(e, dir_fd, name):
    """Why name in dir_fd could not be opened as a directory (O_NOFOLLOW makes a symlink
    ENOTDIR or ELOOP)."""
    if e.errno in (errno.ENOTDIR, errno.ELOOP) and dir_fd is not None:
        try:
            if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                return "a symlink"
        except OSError:
            pass
    return "not a directory" if e.errno == errno.ENOTDIR else e.strerror


def _near_key(text, pos):
    """' (after "key")' naming the last key before pos, to say where an error is."""
    keys = re.findall(r'"([A-Za-z0-9_]{1,64})"\s*:', text[max(0, pos - 400):pos])
    return f' (after "{keys[-1]}")' if keys else ""


def _check_values(path, doc):
    """Raises ResultsError naming the field of a number the hooks refused (_BadNumber) or
    of a string that is not valid Unicode (JSON's \\ud800 escapes can make lone
    surrogates); iterative, as nesting may be deep."""
    stack = [("", doc)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(path, where or "top level", key)
                stack.append((_path(where, key), item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, _BadNumber):
            raise ResultsError(f"{path}: {where}: {value.why}")
        elif isinstance(value, str):
            _check_text(path, where, value)


def _path(where, key):
    """where.key, or where[<key quoted>] for a key that is not a plain name."""
    if re.fullmatch(r"[A-Za-z0-9_]{1,64}", key):
        return f"{where}.{key}" if where else key
    return f"{where}[{shown(key)}]"


def _check_text(path, where, text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ResultsError(f"{path}: {where}: a string holding a lone surrogate (\\ud800-"
                           f"\\udfff escape), not valid Unicode") from None


def load_json(path, dir_fd=None, name=None):
    """The JSON object in path (or name in dir_fd, see _read_bytes); raises ResultsError
    for anything else."""
    data = _read_bytes(path, dir_fd, name)
    if not data.strip():
        raise ResultsError(f"{path}: empty file")
    return parse_json(path, data)


def parse_json(path, data):
    """The JSON object in data (bytes, from path: messages name it); raises ResultsError
    for anything else."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ResultsError(f"{path}: invalid UTF-8 at byte {e.start} (line {line})") from None
    bad_numbers = []
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates,
                         **_number_hooks(bad_numbers))
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}: not valid JSON at line {e.lineno} column {e.colno}"
                           f"{_near_key(text, e.pos)}: {e.msg}") from None
    except ValueError as e:   # a duplicate key, an integer of more than 4300 digits
        raise ResultsError(f"{path}: not valid JSON: {e}") from None
    except RecursionError:
        raise ResultsError(f"{path}: nested deeper than a results file is") from None
    if not isinstance(doc, dict):
        raise ResultsError(f"{path}: the top level is {describe(doc)}, not an object")
    if bad_numbers or re.search(r"\\u[dD][89a-fA-F]", text):
        _check_values(path, doc)
    return doc


# ---- checking fields ----

def shown(value, width=40):
    """A value as a message quotes it: one line, control characters escaped, shortened."""
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= width else text[:width - 3] + "..."


def describe(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {shown(value)}"
    if isinstance(value, (int, float)):
        return f"the number {shown(value)}"
    return "a list" if isinstance(value, list) else "an object"


def is_number(value):
    """A finite int or float, not a bool: what a measurement is when it was recorded."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


class Kind:
    """What a field may hold: a test, and its description for messages."""

    def __init__(self, what, test, nullable=False):
        self.what, self.test, self.nullable = what, test, nullable

    def or_null(self):
        return Kind(self.what + " or null", self.test, True)


TEXT = Kind("a string", lambda v: isinstance(v, str))
NAME = Kind("a non-empty string", lambda v: isinstance(v, str) and v != "")
BACKEND = Kind("a backend name (letters, digits and _.+-)",
               lambda v: isinstance(v, str) and BACKEND_NAME.fullmatch(v) is not None)
NUMBER = Kind("a number", is_number)
NONNEG = Kind("a number >= 0", lambda v: is_number(v) and v >= 0)
COUNT = Kind("a whole number >= 0",
             lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0)
FLAG = Kind("true or false", lambda v: isinstance(v, bool))
FLAG01 = Kind("true, false, 0 or 1", lambda v: v in (0, 1) and not isinstance(v, float))
SCALAR = Kind("a string, number, true or false",
              lambda v: isinstance(v, (str, bool)) or is_number(v), True)
FRACTION = Kind("a number from 0 to 1", lambda v: is_number(v) and 0 <= v <= 1)
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
LIST = Kind("a list", lambda v: isinstance(v, list))
REQUIRED = object()


def one_of(*values):
    """A Kind for a string that is one of values."""
    return Kind("one of " + ", ".join(repr(v) for v in values),
                lambda v: isinstance(v, str) and v in values)


class Node:
    """A JSON object being read: its values by key, checked, with the path for messages."""

    def __init__(self, file, where, obj):
        self.file, self.where, self.obj = file, where, obj

    def fail(self, key, why):
        where = ".".join(p for p in (self.where, key) if p) or "top level"
        raise ResultsError(f"{self.file}: {where}: {why}")

    def get(self, key, kind, default=REQUIRED):
        """The value of key, of that kind (None when the kind allows null); default when
        the key is absent, or an error when there is none."""
        if key not in self.obj:
            if default is REQUIRED:
                self.fail("", f"no {key!r} key")
            return default
        value = self.obj[key]
        if value is None and kind.nullable:
            return None
        if not kind.test(value):
            self.fail(key, f"expected {kind.what}, found {describe(value)}")
        return value

    def node(self, key, default=REQUIRED):
        """The object under key as a Node (an empty one when absent with a default)."""
        value = self.get(key, OBJECT.or_null() if default is not REQUIRED else OBJECT,
                         default)
        return Node(self.file, self._at(key), value or {})

    def nodes(self, key, default=REQUIRED):
        """The list of objects under key, as Nodes."""
        items = self.get(key, LIST, default) or []
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                self.fail(f"{key}[{i}]", f"expected an object, found {describe(item)}")
            out.append(Node(self.file, f"{self._at(key)}[{i}]", item))
        return out

    def texts(self, key, default=REQUIRED):
        """The list of strings under key."""
        items = self.get(key, LIST, default) or []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                self.fail(f"{key}[{i}]", f"expected a string, found {describe(item)}")
        return list(items)

    def _at(self, key):
        return _path(self.where, key)


def load_checked(path, kind):
    """The document of a directory of kind 'results' or 'compare', as a Node, checked for
    the tool that wrote it and its schema version."""
    file = data_file(path, kind)
    tool = "mmbench" if kind == "results" else "mmbench-compare"
    top = Node(file, "", load_json(file))
    if top.get("tool", TEXT) != tool:
        top.fail("tool", f"written by {shown(top.obj['tool'])}, not {tool}")
    version = top.get("schema_version", COUNT)
    if version != SCHEMA_VERSIONS[kind]:
        top.fail("schema_version", f"version {version}; these scripts read version "
                 f"{SCHEMA_VERSIONS[kind]}" + (" (version 1 came from an older mmbench)"
                                               if version == 1 else ""))
    return top


# ---- a run: results.json ----

ROLES = ("measured", "warmup", "latency_off", "profiled")
STATUSES = ("ok", "failed", "interrupted")
CHECKSUM_STATUSES = ("match", "mismatch", "not_applicable", "unverified")
CLAIM_VERDICTS = ("holds", "does not hold", "inconclusive")
# Timeline columns that count from the start of the phase (each point holds the total so
# far); the others (resident_pct, dirty_pct) are states at the point.
TIMELINE_CUMULATIVE = ("ops", "minor_faults", "major_faults", "dev_read_bytes",
                       "dev_write_bytes", "tlb_shootdowns")
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_FOLDED_BYTES = 64 * 2 ** 20   # a folded-stack file: distinct stacks, one a line


@dataclass(frozen=True)
class Estimate:
    """A median with its 95% interval (None where not recorded: < 3 repetitions)."""
    median: object      # float or None
    ci_low: object
    ci_high: object


@dataclass(frozen=True)
class Histogram:
    """A latency histogram: buckets [(lower_ns, upper_ns, count)], non-empty ones only,
    in increasing order; their counts sum to count."""
    count: int
    min_ns: object      # float or None (when count is 0)
    max_ns: object
    buckets: tuple


EMPTY_HISTOGRAM = Histogram(0, None, None, ())


@dataclass(frozen=True)
class Workload:
    number: int         # 1-based position in the config
    name: str           # with sweep labels: 'randread/block_size=16KiB'
    base_name: str      # the name in the config
    description: object  # str or None
    params: dict        # parameter column -> str, number, bool or None

    @property
    def kind(self):
        """What the workload measures: 'io' (the default), 'footprint', 'cow', 'ipc',
        'claim' (docs/file-mappings.md)."""
        kind = self.params.get("kind")
        return kind if isinstance(kind, str) and kind else "io"

    def sweep_labels(self):
        return sweep_labels(self.name)


@dataclass(frozen=True)
class Level:
    """A stretch of a run's throughput series at one level (its mean)."""
    start_s: float      # seconds since the workers started
    end_s: float
    tput_mib_s: float


@dataclass(frozen=True)
class Timeline:
    """A run's time series: columns (t_s first, then cumulative counts and states) and
    the points, each a tuple of numbers (None: not recorded) in column order."""
    columns: tuple
    points: tuple

    def column(self, name):
        """The values of column name, or None when the series has no such column."""
        if name not in self.columns:
            return None
        i = self.columns.index(name)
        return [p[i] for p in self.points]


@dataclass(frozen=True)
class Run:
    """One run (a repetition of one backend) of a workload."""
    workload: str       # the workload's name
    backend: str
    round: int          # 0-based; warm-up rounds first
    role: str           # one of ROLES: only 'measured' runs count in the summaries
    status: str         # one of STATUSES
    error: object       # str or None: why it failed
    tput_mib_s: object  # float or None
    flush_call: object  # str or None: 'msync(MS_SYNC)', 'fdatasync', 'none'
    kernel_settings: object  # str or None: the settings the workload set, before -> after
    levels: tuple       # (Level, ...) of its throughput series
    timeline: object    # Timeline or None
    kind_metrics: dict  # the kind's figures by name (number or None); empty for io


@dataclass(frozen=True)
class Symbol:
    """A function in a profile and its share of the samples (or of the off-CPU time)."""
    name: str
    share: float        # a fraction
    count: int          # samples, or ns off the CPU


@dataclass(frozen=True)
class Profile:
    """A backend's profiled round: where its workers' on-CPU samples and off-CPU time went."""
    folded: tuple       # the folded-stack file, as path components inside the directory
    samples: int        # on-CPU stack samples
    kernel_share: object  # fraction of the samples in the kernel, or None (no samples)
    user_share: object
    sample_period_ns: int
    offcpu_ns: int      # time off the CPU (blocked and preempted) recorded with a stack
    preempted_ns: int   # of which runnable, waiting for a CPU
    lost_records: int   # records the kernel could not write (a full ring buffer)
    top_kernel: tuple   # (Symbol, ...) by share
    top_user: tuple
    top_offcpu: tuple


@dataclass(frozen=True)
class Summary:
    """A workload x backend over its measured repetitions (None: not recorded)."""
    workload: str       # the workload's name
    backend: str
    repetitions_ok: int  # measured repetitions that succeeded
    repetitions_failed: int
    tput: Estimate      # median throughput, MiB/s
    tput_cv: object     # coefficient of variation of the throughput (a fraction)
    ratio: Estimate     # median throughput over the baseline backend's, with its interval
    verdict: object     # str or None: 'baseline', or the verdict against the baseline
    latency_p50_ns: object
    latency_p99_ns: object
    latency_p999_ns: object
    flush_p50_ns: object
    flush_p99_ns: object
    faults_per_op: object            # minor + major page faults per operation
    major_faults_per_op: object
    syscalls_per_op: object
    dev_read_bytes_per_op: object    # bytes the block device read per operation
    dev_write_bytes_per_op: object
    readahead_amplification: object  # device bytes read / bytes the workload read
    write_amplification: object      # device bytes written / bytes the workload wrote
    task_read_amplification: object  # the workers' own storage reads / bytes read
    task_write_amplification: object  # bytes the workers dirtied / bytes written
    user_share: object               # of the workers' wall time (fractions)
    system_share: object
    offcpu_share: object
    runqueue_share: object           # of which runnable, waiting for a CPU
    flush_share_pct: object
    latency_cost_pct: object         # throughput latency: all cost (percent)
    profile_cost_pct: object         # throughput the profiled round lost (percent)
    latency_histogram: Histogram     # of the operations, ns
    flush_histogram: Histogram       # of the flush calls, ns
    levels: tuple                    # (Level, ...) of its median run
    level_change: object             # str or None: the counters that changed with it
    runs_with_levels: int            # measured runs whose throughput changed level
    profile: object                  # Profile or None
    kind_metrics: dict               # medians of the kind's figures (number or None)


@dataclass(frozen=True)
class Comparison:
    """The throughput of one backend (numerator) over another's (denominator, the
    baseline backend) for one workload, with the 95% interval of the ratio."""
    workload: str       # the workload's name
    numerator: str      # a backend
    denominator: str    # the baseline backend
    headline: bool      # the one the console leads with (mmap against pread)
    ratio: object       # median throughputs' ratio, or None
    ci_low: object      # its 95% interval, or None
    ci_high: object
    verdict: object     # str or None: 'mmap 2.31x faster than pread [2.20, 2.45]', ...


@dataclass(frozen=True)
class Figure:
    name: str
    value: object       # number or None
    unit: str


@dataclass(frozen=True)
class Claim:
    """A kind claim workload's verdict, with the evidence of its last measured run."""
    id: str             # the claim (docs/file-mappings.md)
    verdict: str        # one of CLAIM_VERDICTS
    runs_holding: int
    runs_not_holding: int
    runs_inconclusive: int
    evidence: object    # str or None: the claim and the figures, with the rule applied
    figures: tuple      # (Figure, ...)


@dataclass(frozen=True)
class Block:
    """What a workload that ran gives besides its runs, summaries and comparisons."""
    workload: str       # the workload's name
    interrupted: bool   # the run stopped during it
    checksum_status: str  # one of CHECKSUM_STATUSES
    checksum: object    # str or None: the cross-backend checksum verification
    explanation: object  # str or None: the measured differences behind the verdict
    warnings: tuple     # (str, ...) with what to do about them
    claim: object       # Claim or None


# The context fields: attribute of Results.context -> (path in the context object, kind).
CONTEXT_FIELDS = {
    "date_utc": (("date_utc",), TEXT), "hostname": (("hostname",), TEXT),
    "mmbench_version": (("mmbench_version",), TEXT),
    "command_line": (("command_line",), TEXT),
    "build_type": (("build", "type"), TEXT), "build_compiler": (("build", "compiler"), TEXT),
    "cpu_brand": (("cpu", "brand"), TEXT), "cpu_vendor": (("cpu", "vendor"), TEXT),
    "cpu_family": (("cpu", "family"), NUMBER), "cpu_model": (("cpu", "model"), NUMBER),
    "cpu_cores": (("cpu", "cores"), NUMBER), "cpu_logical": (("cpu", "logical_cpus"), NUMBER),
    "cpu_online": (("cpu", "online_cpus"), NUMBER),
    "cpu_l1d_kib": (("cpu", "l1d_cache_kib"), NUMBER),
    "cpu_l2_kib": (("cpu", "l2_cache_kib"), NUMBER),
    "cpu_l3_kib": (("cpu", "l3_cache_kib"), NUMBER),
    "cpu_hypervisor": (("cpu", "hypervisor"), TEXT),
    "cpu_governor": (("cpu", "governor"), TEXT),
    "ram_bytes": (("memory", "ram_bytes"), NUMBER),
    "page_size_bytes": (("memory", "page_size_bytes"), NUMBER),
    "kernel_release": (("kernel", "release"), TEXT),
    "kernel_version": (("kernel", "version"), TEXT),
    "kernel_machine": (("kernel", "machine"), TEXT),
    "clocksource": (("kernel", "clocksource"), TEXT),
    "thp_enabled": (("kernel", "thp_enabled"), TEXT),
    "thp_defrag": (("kernel", "thp_defrag"), TEXT),
    "thp_shmem_enabled": (("kernel", "thp_shmem_enabled"), TEXT),
    "cgroup_memory": (("kernel", "cgroup_memory"), TEXT),
    "perf_event_paranoid": (("kernel", "perf_event_paranoid"), NUMBER),
    "timer_source": (("timer", "source"), TEXT), "timer_cost_ns": (("timer", "cost_ns"), NUMBER),
    "timer_reason": (("timer", "reason"), TEXT),
    "loadavg_1m": (("loadavg_1m",), NUMBER), "root": (("root",), FLAG),
}
TARGET_FIELDS = {
    "dir": TEXT, "real_dir": TEXT, "fs_type": TEXT, "mount_point": TEXT,
    "mount_source": TEXT, "mount_options": TEXT, "block_device": TEXT,
    "block_device_note": TEXT, "read_ahead_kb": NUMBER, "rotational": FLAG01,
    "large_folios": TEXT,
}


class Record:
    """Attributes read from a table of fields (None for a field that is absent)."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _context(top):
    """The run's context: every field optional (shown as absent), but of its kind."""
    node = top.node("context")
    values = {}
    for attr, (path, kind) in CONTEXT_FIELDS.items():
        parent = node
        for key in path[:-1]:
            parent = parent.node(key, None)
        values[attr] = parent.get(path[-1], kind.or_null(), None)
    perf = node.node("perf_counters", None)
    values["perf_counters"] = [(k, perf.get(k, SCALAR, None)) for k in perf.obj
                               if k != "kernel_included"]
    settings = node.node("kernel_settings", None)
    values["kernel_settings"] = [(k, settings.get(k, SCALAR, None)) for k in settings.obj]
    values["targets"] = [Record(**{k: t.get(k, kind.or_null(), None)
                                   for k, kind in TARGET_FIELDS.items()})
                         for t in node.nodes("targets", None)]
    return Record(**values)


def _histogram(node, key):
    """A summary's histogram; a missing or null one is empty."""
    if node.obj.get(key) is None:
        return EMPTY_HISTOGRAM
    hist = node.node(key)
    count = hist.get("count", COUNT)
    buckets, total, last = [], 0, -1.0
    for i, bucket in enumerate(hist.get("buckets", LIST)):
        if not (isinstance(bucket, list) and len(bucket) == 3 and NONNEG.test(bucket[0]) and
                NONNEG.test(bucket[1]) and COUNT.test(bucket[2])):
            hist.fail(f"buckets[{i}]", f"expected [lower_ns, upper_ns, count], found "
                      f"{shown(bucket)}")
        lower, upper, n = bucket
        if upper < lower or lower < last:
            hist.fail(f"buckets[{i}]", f"bucket {shown(bucket)} out of order")
        last = upper
        total += n
        buckets.append((lower, upper, n))
    if total != count:
        hist.fail("count", f"{count}, but the buckets hold {total}")
    kind = NONNEG if count else NONNEG.or_null()
    return Histogram(count, hist.get("min_ns", kind), hist.get("max_ns", kind),
                     tuple(buckets))


def _levels(node):
    """A run's or a summary's levels, in time order."""
    levels, last = [], 0.0
    for level in node.nodes("levels", []):
        start, end = level.get("start_s", NONNEG), level.get("end_s", NONNEG)
        if end < start or start < last:
            level.fail("start_s", f"a level from {start} s to {end} s, out of order")
        last = end
        levels.append(Level(start, end, level.get("tput_mib_s", NONNEG)))
    return tuple(levels)


def _timeline(node):
    """A run's time series, or None: columns t_s (increasing) and the cumulative counts
    (never falling), each value >= 0 or null."""
    if node.obj.get("timeline") is None:
        return None
    series = node.node("timeline")
    columns = series.texts("columns")
    if len(set(columns)) != len(columns) or "t_s" not in columns:
        series.fail("columns", f"{shown(columns)}: expected distinct names, t_s among them")
    points = []
    for i, point in enumerate(series.get("points", LIST)):
        if not (isinstance(point, list) and len(point) == len(columns) and
                all(v is None or NONNEG.test(v) for v in point)):
            series.fail(f"points[{i}]", f"expected {len(columns)} numbers >= 0 or null, "
                        f"found {shown(point)}")
        points.append(tuple(point))
    for name in ("t_s",) + TIMELINE_CUMULATIVE:
        if name not in columns:
            continue
        k = columns.index(name)
        values = [(i, p[k]) for i, p in enumerate(points) if p[k] is not None]
        if name == "t_s" and len(values) != len(points):
            series.fail("points", "a point without its time (t_s null)")
        for (_, before), (i, value) in zip(values, values[1:]):
            if value < before:
                series.fail(f"points[{i}]", f"{name} falls from {shown(before)} to "
                            f"{shown(value)} (the series counts from the start)")
    return Timeline(tuple(columns), tuple(points))


def _metrics(node, key):
    """A kind_metrics object: figure name -> number or None (empty when absent or null)."""
    metrics = node.node(key, None)
    for name in metrics.obj:
        if not METRIC_NAME.fullmatch(name):
            metrics.fail("", f"{shown(name)} is not a figure's name")
    return {name: metrics.get(name, NUMBER.or_null()) for name in metrics.obj}


def _inside_path(node, key):
    """A path inside the results directory that a results file gives, as its components:
    relative, each part a plain name (no '.', '..' or empty part)."""
    text = node.get(key, NAME)
    parts = text.split("/")
    if len(parts) > 4 or not all(INSIDE_NAME.fullmatch(p) for p in parts):
        node.fail(key, f"{shown(text)} is not a name inside the results directory")
    return tuple(parts)


def _symbols(node, key):
    """The top symbols under key: by samples, or (off-CPU) by ns."""
    count = "ns" if key == "top_offcpu" else "samples"
    return tuple(Symbol(s.get("name", TEXT), s.get("share", FRACTION), s.get(count, COUNT))
                 for s in node.nodes(key, []))


def _profile(node):
    if node.obj.get("profile") is None:
        return None
    p = node.node("profile")
    return Profile(_inside_path(p, "folded"), p.get("samples", COUNT),
                   p.get("kernel_share", FRACTION.or_null(), None),
                   p.get("user_share", FRACTION.or_null(), None),
                   p.get("sample_period_ns", COUNT, 0), p.get("offcpu_ns", COUNT, 0),
                   p.get("preempted_ns", COUNT, 0), p.get("lost_records", COUNT, 0),
                   _symbols(p, "top_kernel"), _symbols(p, "top_user"),
                   _symbols(p, "top_offcpu"))


def _claim(node):
    if node.obj.get("claim") is None:
        return None
    c = node.node("claim")
    return Claim(c.get("id", NAME), c.get("verdict", one_of(*CLAIM_VERDICTS)),
                 c.get("runs_holding", COUNT), c.get("runs_not_holding", COUNT),
                 c.get("runs_inconclusive", COUNT), c.get("evidence", TEXT.or_null(), None),
                 tuple(Figure(f.get("name", NAME), f.get("value", NUMBER.or_null()),
                              f.get("unit", TEXT.or_null(), None) or "")
                       for f in c.nodes("figures", [])))


class _BlocksGone(Exception):
    """The workload_files block file went away before it was read: the run finished and
    put its blocks inline (read results.json again)."""


class Results:
    """A run of mmbench (results.json) and the accessors to it.

    path, file           the directory and its results.json
    complete, interrupted, failed_runs, warnings (run-wide), warnings_dropped
    killed               the blocks were read from workload_files (the run was still
                         going on, or killed); incomplete_record: its last record was cut
                         off (killed while writing it) and left out
    config_name, config_description, config_source
    context              Record: date_utc, hostname, cpu_brand, kernel_release, ... (see
                         CONTEXT_FIELDS), perf_counters and kernel_settings [(name, value)],
                         targets [Record]
    workloads            [Workload] in config order, also those that did not run
    backends             backend names in the order the summaries (then the runs) name them
    """

    def __init__(self, path):
        top = load_checked(path, "results")
        self.path, self.file = path, top.file
        self.complete = top.get("complete", FLAG, True)
        self.interrupted = top.get("interrupted", FLAG, False)
        self.failed_runs = top.get("failed_runs", COUNT, 0)
        self.warnings = top.texts("warnings", [])
        self.warnings_dropped = top.get("warnings_dropped", COUNT.or_null(), 0) or 0
        config = top.node("config")
        self.config_name = config.get("name", TEXT)
        self.config_description = config.get("description", TEXT.or_null(), None)
        self.config_source = config.get("source", TEXT.or_null(), None)
        self.context = _context(top)
        self.workloads = []
        for n, w in enumerate(config.nodes("workloads"), 1):
            params = w.node("params")
            workload = Workload(n, w.get("name", NAME), w.get("base_name", NAME),
                                w.get("description", TEXT.or_null(), None),
                                {k: params.get(k, SCALAR) for k in params.obj})
            if any(workload.name == seen.name for seen in self.workloads):
                w.fail("name", f"{shown(workload.name)} names two workloads")
            self.workloads.append(workload)
        self._by_name = {w.name: w for w in self.workloads}
        self._blocks, self._runs, self._summaries, self._comparisons = {}, {}, {}, {}
        self._flush_calls = {}
        self.incomplete_record = False
        inline = top.nodes("workloads")
        self.killed = top.obj.get("workload_files") is not None
        for block in (self._block_files(top) if self.killed else inline):
            self._read_block(block)
        self.backends = list(dict.fromkeys([b for _, b in self._summaries] +
                                           [r.backend for runs in self._runs.values()
                                            for r in runs]))

    def _block_files(self, top):
        """The blocks in the workload_files block file: a JSON text sequence (RFC 7464),
        each record the byte RS (0x1e), a block, a newline. Only the last record may be
        incomplete (the run was killed while appending it): it is left out, and said
        (incomplete_record)."""
        name = _inside_path(top, "workload_files")
        if len(name) != 1:
            top.fail("workload_files", f"{shown('/'.join(name))} is not a file name in the "
                     f"results directory")
        where = os.path.join(self.path, name[0])
        root = _open_directory(self.path)
        try:
            data = _read_bytes(where, root, name[0])
        except MissingError:
            raise _BlocksGone() from None
        finally:
            os.close(root)
        if data and not data.startswith(RECORD_SEPARATOR):
            raise ResultsError(f"{where}: not a JSON text sequence (records start with RS, "
                               f"0x1e)")
        records = data.split(RECORD_SEPARATOR)[1:]
        blocks = []
        for i, record in enumerate(records):
            shown_path = f"{where}: record {i}"
            if i == len(records) - 1 and not record.endswith(b"\n"):
                try:
                    blocks.append(Node(shown_path, "", parse_json(shown_path, record)))
                except ResultsError:
                    self.incomplete_record = True
                continue
            blocks.append(Node(shown_path, "", parse_json(shown_path, record)))
        return blocks

    def _read_block(self, b):
        index = b.get("index", COUNT)
        if index >= len(self.workloads):
            b.fail("index", f"{index}, but config.workloads has {len(self.workloads)}")
        workload = self.workloads[index]
        for key, expected in (("name", workload.name), ("base_name", workload.base_name)):
            value = b.get(key, NAME)
            if value != expected:
                b.fail(key, f"{shown(value)}, but config.workloads[{index}] is "
                       f"{shown(expected)}")
        name = workload.name
        if name in self._blocks:
            b.fail("index", f"a second block of {shown(name)}")
        checksum = b.node("checksum")
        self._blocks[name] = Block(
            name, b.get("interrupted", FLAG, False),
            checksum.get("status", one_of(*CHECKSUM_STATUSES)),
            checksum.get("text", TEXT.or_null()), b.get("explanation", TEXT.or_null(), None),
            tuple(b.texts("warnings", [])), _claim(b))

        runs = []
        for r in b.nodes("runs"):
            run = Run(name, r.get("backend", BACKEND), r.get("round", COUNT),
                      r.get("role", one_of(*ROLES)), r.get("status", one_of(*STATUSES)),
                      r.get("error", TEXT.or_null(), None),
                      r.get("tput_mib_s", NONNEG.or_null()),
                      r.get("flush_call", TEXT.or_null(), None),
                      r.get("kernel_settings", TEXT.or_null(), None), _levels(r),
                      _timeline(r), _metrics(r, "kind_metrics"))
            runs.append(run)
            if run.flush_call and run.flush_call != "none":
                self._flush_calls.setdefault((name, run.backend), run.flush_call)
        self._runs[name] = runs
        for s in b.nodes("summaries"):
            summary = self._summary(s, name)
            key = (name, summary.backend)
            if key in self._summaries:
                s.fail("backend", f"a second summary of {shown(name)} on {key[1]}")
            self._summaries[key] = summary
        for c in b.nodes("comparisons"):
            comparison = Comparison(
                name, c.get("numerator", BACKEND), c.get("denominator", BACKEND),
                c.get("headline", FLAG, False), c.get("ratio", NONNEG.or_null()),
                c.get("ci_low", NONNEG.or_null()), c.get("ci_high", NONNEG.or_null()),
                c.get("verdict", TEXT.or_null()))
            key = (name, comparison.numerator, comparison.denominator)
            if key in self._comparisons:
                c.fail("numerator", f"a second comparison of {shown(name)}: "
                       f"{key[1]} / {key[2]}")
            self._comparisons[key] = comparison

    @staticmethod
    def _summary(s, name):
        def ns(key):
            return s.get(key, NONNEG.or_null(), None)

        def share(key):   # may exceed 1: CPU time is counted in ticks (a short phase)
            return s.get(key, NONNEG.or_null(), None)
        return Summary(
            name, s.get("backend", BACKEND),
            s.get("repetitions_ok", COUNT), s.get("repetitions_failed", COUNT),
            Estimate(ns("tput_median_mib_s"), ns("tput_ci_low_mib_s"),
                     ns("tput_ci_high_mib_s")), ns("tput_cv"),
            Estimate(ns("ratio_to_baseline"), ns("ratio_ci_low"), ns("ratio_ci_high")),
            s.get("verdict", TEXT.or_null(), None),
            ns("latency_p50_ns"), ns("latency_p99_ns"), ns("latency_p999_ns"),
            ns("flush_p50_ns"), ns("flush_p99_ns"), ns("faults_per_op"),
            ns("major_faults_per_op"), ns("syscalls_per_op"), ns("dev_read_bytes_per_op"),
            ns("dev_write_bytes_per_op"), ns("readahead_amplification"),
            ns("write_amplification"), ns("task_read_amplification"),
            ns("task_write_amplification"), share("user_share"), share("system_share"),
            share("offcpu_share"), share("runqueue_share"), ns("flush_share_pct"),
            s.get("latency_cost_pct", NUMBER.or_null(), None),
            s.get("profile_cost_pct", NUMBER.or_null(), None),
            _histogram(s, "latency_histogram"), _histogram(s, "flush_histogram"),
            _levels(s), s.get("level_change", TEXT.or_null(), None),
            s.get("runs_with_levels", COUNT, 0), _profile(s), _metrics(s, "kind_metrics"))

    def workload(self, name):
        """The Workload called name, or None."""
        return self._by_name.get(name)

    def block(self, workload):
        """The Block of workload (a name), or None when it did not run (or not yet)."""
        return self._blocks.get(workload)

    def runs(self, workload, backend=None, role=None):
        """The runs of workload (a name), of backend and role when given, in run order."""
        return [r for r in self._runs.get(workload, ())
                if (backend is None or r.backend == backend) and (role is None or
                                                                  r.role == role)]

    def median_run(self, workload, backend):
        """The measured, successful run of backend whose throughput is nearest the
        summary's median (the first of equals): the run whose levels the summary reports
        (src/results/aggregate.c); None without one."""
        summary = self.summary(workload, backend)
        runs = [r for r in self.runs(workload, backend, "measured")
                if r.status == "ok" and is_number(r.tput_mib_s)]
        if not runs or not summary or not is_number(summary.tput.median):
            return None
        return min(runs, key=lambda r: abs(r.tput_mib_s - summary.tput.median))

    def summary(self, workload, backend):
        """The Summary of workload (a name) on backend, or None (not run, or not yet)."""
        return self._summaries.get((workload, backend))

    def has_summary(self, workload):
        return any(self.summary(workload, b) for b in self.backends)

    def comparison(self, workload, numerator, denominator):
        """The Comparison of workload's numerator backend with its denominator, or None."""
        return self._comparisons.get((workload, numerator, denominator))

    def comparisons(self, workload):
        """The workload's comparisons, the headline one first."""
        found = [c for key, c in self._comparisons.items() if key[0] == workload]
        return sorted(found, key=lambda c: not c.headline)

    def comparison_pairs(self):
        """(numerator, denominator) of every comparison, in the order they first appear."""
        return list(dict.fromkeys((n, d) for _, n, d in self._comparisons))

    def flush_call(self, workload, backend):
        """The system call behind the workload's flushes on backend ('msync(MS_SYNC)',
        'fdatasync', ...), or None when its runs name none."""
        return self._flush_calls.get((workload, backend))

    def folded_stacks(self, profile):
        """The folded stacks of a Profile: [(frames, count)], frames root first, read from
        the file it names inside the results directory (never through a symlink). Raises
        MissingError for a file that is not there, ResultsError for one that is not
        folded stacks."""
        return read_folded(self.path, profile.folded)


def read_folded(root, parts):
    """The stacks of the folded-stack file root/parts[0]/.../parts[-1]: each line
    'frame;frame;... count' (count a whole number > 0; frames root first, none empty)."""
    shown_path = os.path.join(root, *parts)
    fd = _open_directory(root)
    try:
        for part in parts[:-1]:
            inner = _open_directory(os.path.join(root, part), fd, part)
            os.close(fd)
            fd = inner
        data = _read_bytes(shown_path, fd, parts[-1], MAX_FOLDED_BYTES)
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ResultsError(f"{shown_path}: invalid UTF-8 at byte {e.start}") from None
    stacks = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        frames = tuple(stack.split(";"))
        if not (count.isdigit() and count.isascii() and 0 < int(count) <= MAX_NUMBER) or \
                not stack or not all(frames):
            raise ResultsError(f"{shown_path}: line {number}: expected 'frame;frame;... "
                               f"count', found {shown(line)}")
        stacks.append((frames, int(count)))
    return stacks


def load_results(path):
    """The run in a results directory, checked; raises ResultsError."""
    try:
        return Results(path)
    except _BlocksGone:
        pass
    try:    # the run ended between reading results.json and its workload_files
        return Results(path)
    except _BlocksGone:
        raise ResultsError(f"{data_file(path, 'results')}: workload_files: the file it "
                           f"names is missing") from None


# ---- a comparison: compare.json ----

@dataclass(frozen=True)
class CompareRow:
    """One workload x backend x run of a comparison."""
    workload: str
    backend: str
    run: str            # the run's label
    tput: Estimate      # MiB/s
    repetitions: object  # int or None
    ratio: Estimate     # throughput over the baseline run's, with its interval
    significant: object  # bool or None
    regressed: object   # bool or None


@dataclass(frozen=True)
class BackendRatio:
    """One run's throughput of backend numerator over denominator's, for a workload
    (compare.json holds no interval for it)."""
    workload: str
    run: str
    numerator: str
    denominator: str
    ratio: object       # float or None


RUN_FIELDS = ("dir", "kernel_release", "fs_type", "mount_options", "cpu", "hostname",
              "mmbench_version", "date_utc", "config")


class Compare:
    """A comparison of runs (compare.json) and the accessors to it.

    path, file, baseline (a run label), fail_above_pct (None: no threshold)
    runs             [Record]: label, complete, interrupted, and RUN_FIELDS (a string, a
                     number or None)
    differences      [(context key, [value per run])]
    not_comparable   [Record]: workload, runs [labels], reason
    regressions      [Record]: workload, backend, run, ratio
    """

    def __init__(self, path):
        top = load_checked(path, "compare")
        self.path, self.file = path, top.file
        self.runs = []
        for r in top.nodes("runs"):
            run = Record(label=r.get("label", NAME), complete=r.get("complete", FLAG, True),
                         interrupted=r.get("interrupted", FLAG, False),
                         **{k: r.get(k, SCALAR, None) for k in RUN_FIELDS})
            if any(run.label == seen.label for seen in self.runs):
                r.fail("label", f"{shown(run.label)} labels two runs")
            self.runs.append(run)
        if not self.runs:
            top.fail("runs", "no runs")
        labels = [r.label for r in self.runs]
        self.baseline = top.get("baseline", NAME.or_null(), None) or labels[0]
        if self.baseline not in labels:
            top.fail("baseline", f"{shown(self.baseline)} is not the label of a run")
        self.fail_above_pct = top.get("fail_above_pct", NUMBER.or_null(), None)
        differences = top.node("differences", None)
        self.differences = []
        for key in differences.obj:
            values = differences.get(key, LIST)
            for i, value in enumerate(values):
                if not SCALAR.test(value):
                    differences.fail(f"{key}[{i}]", f"expected {SCALAR.what}, found "
                                     f"{describe(value)}")
            self.differences.append((key, values))
        self._rows, self._ratios = {}, {}
        for row in top.nodes("rows"):
            key = (row.get("workload", NAME), row.get("backend", BACKEND),
                   row.get("run", NAME))
            if key[2] not in labels:
                row.fail("run", f"{shown(key[2])} is not the label of a run")
            if key in self._rows:
                row.fail("run", f"a second row of {shown(key[0])} on {key[1]} in "
                         f"{shown(key[2])}")
            value = row.get("mmap_pread_ratio", NONNEG.or_null())
            # This layout holds one backend ratio per run, mmap over pread.
            ratio_key = (key[0], key[2], "mmap", "pread")
            if value is not None or ratio_key not in self._ratios:
                self._ratios[ratio_key] = BackendRatio(key[0], key[2], "mmap", "pread", value)
            self._rows[key] = CompareRow(
                key[0], key[1], key[2],
                Estimate(row.get("tput_median_mib_s", NONNEG.or_null()),
                         row.get("tput_ci_low_mib_s", NONNEG.or_null()),
                         row.get("tput_ci_high_mib_s", NONNEG.or_null())),
                row.get("repetitions", COUNT.or_null()),
                Estimate(row.get("ratio_to_baseline", NONNEG.or_null()),
                         row.get("ratio_ci_low", NONNEG.or_null()),
                         row.get("ratio_ci_high", NONNEG.or_null())),
                row.get("significant", FLAG.or_null()), row.get("regressed", FLAG.or_null()))
        self.not_comparable = [
            Record(workload=n.get("workload", NAME), runs=n.texts("runs", []),
                   reason=n.get("reason", TEXT.or_null(), None) or "")
            for n in top.nodes("not_comparable", [])]
        self.regressions = [
            Record(workload=r.get("workload", NAME), backend=r.get("backend", BACKEND),
                   run=r.get("run", NAME), ratio=r.get("ratio", NONNEG.or_null()))
            for r in top.nodes("regressions", [])]

    def groups(self):
        """(workload, backend) of the rows, in file order."""
        return list(dict.fromkeys(key[:2] for key in self._rows))

    def workloads(self):
        return list(dict.fromkeys(key[0] for key in self._rows))

    def row(self, workload, backend, run):
        """The CompareRow of workload on backend in the run labelled run, or None."""
        return self._rows.get((workload, backend, run))

    def backend_ratio_pairs(self):
        """(numerator, denominator) of the backend ratios any run has."""
        return list(dict.fromkeys(key[2:] for key, r in self._ratios.items()
                                  if r.ratio is not None))

    def backend_ratio(self, workload, run, numerator, denominator):
        """The BackendRatio of workload in run, or None."""
        return self._ratios.get((workload, run, numerator, denominator))


def load_compare(path):
    """The comparison in a comparison directory, checked; raises ResultsError."""
    return Compare(path)


def load(path):
    """(kind, Results or Compare) of a results or comparison directory."""
    kind = dir_kind(path)
    return kind, (load_results(path) if kind == "results" else load_compare(path))


# ---- naming conventions of the layout ----

def sweep_labels(name):
    """The labels of a sweep point's name, [(key, value)]: 'r/block_size=4KiB,threads=2'
    -> [('block_size', '4KiB'), ('threads', '2')] (values may hold commas; keys may be
    kernel settings such as vm.dirty_ratio); empty for a workload that is not a sweep
    point."""
    if "/" not in name:
        return []
    labels = []
    for piece in name.split("/", 1)[1].split(","):
        key, sep, value = piece.partition("=")
        if sep and re.fullmatch(r"[a-z][a-z0-9_.]*", key):
            labels.append((key, value))
        elif labels:
            labels[-1] = (labels[-1][0], labels[-1][1] + "," + piece)
    return labels


def base_name(name):
    """The base name of a workload name: its config name, before the sweep labels."""
    return name.split("/", 1)[0]


def param_label_name(key):
    """The config key behind a parameter column: block_size_bytes -> block_size."""
    for suffix in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def param_unit(key):
    """'bytes' or 'ns' for a parameter column measured in them (its suffix), else None."""
    for unit in ("bytes", "ns"):
        if key.endswith("_" + unit):
            return unit
    return None


def param_number(value):
    """A parameter's value as a number where it is one: numbers as they are, and digit
    strings (kernel settings such as read_ahead_kb '128' are written as text) as ints;
    None for anything else."""
    if is_number(value):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return None
