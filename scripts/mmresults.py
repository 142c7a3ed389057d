"""The one reader of mmbench's result files: results.json (a run, docs/results.md) and
compare.json (written by mmbench compare, docs/compare.md).

Nothing else in scripts/ knows their layout. scripts/plot, scripts/report and the chart
modules go through the accessors here: a run's workloads and their parameters, backends,
summaries (with histograms), comparisons between backends, context and flush calls; a
comparison's runs, rows and backend ratios. Every value they return has been checked for
its type and range when the file was read: a file that is not what mmbench writes raises
ResultsError with a one-line message naming the file and the field.

Python 3 standard library only.
"""
import json
import math
import os
import re
import stat
from dataclasses import dataclass

MAX_FILE_BYTES = 256 * 2 ** 20   # larger files are refused: 256 MiB of JSON is ~1M runs
MAX_NUMBER = 2.0 ** 64            # no field of a results file exceeds a 64-bit counter
SCHEMA_VERSION = 1
UNIT_SUFFIXES = ("_bytes", "_ns", "_kib", "_pct", "_mib_s")
BACKEND_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}")


class ResultsError(Exception):
    """A directory or file that is not a readable mmbench results or comparison directory;
    the message is one line and names the file and the field."""


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


def _read_bytes(path):
    """The file's bytes; a regular file of at most MAX_FILE_BYTES (a FIFO or a device
    would block or never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ResultsError(f"{path}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ResultsError(f"{path}: {info.st_size / 2 ** 20:.0f} MiB, more than the "
                               f"{MAX_FILE_BYTES // 2 ** 20} MiB these scripts read")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise ResultsError(f"{path}: grew beyond {MAX_FILE_BYTES // 2 ** 20} MiB while "
                               f"being read")
        return b"".join(chunks)
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror}") from None
    finally:
        os.close(fd)


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


def load_json(path):
    """The JSON object in path; raises ResultsError for anything else."""
    data = _read_bytes(path)
    if not data.strip():
        raise ResultsError(f"{path}: empty file")
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
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
LIST = Kind("a list", lambda v: isinstance(v, list))
REQUIRED = object()


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
    if version != SCHEMA_VERSION:
        top.fail("schema_version", f"version {version}; these scripts read version "
                 f"{SCHEMA_VERSION}")
    return top


# ---- a run: results.json ----

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

    def sweep_labels(self):
        return sweep_labels(self.name)


@dataclass(frozen=True)
class Summary:
    """A workload x backend over its measured repetitions (None: not recorded)."""
    workload: str       # the workload's name
    backend: str
    repetitions_ok: int  # measured repetitions that succeeded
    repetitions_failed: int
    tput: Estimate      # median throughput, MiB/s
    tput_cv: object     # coefficient of variation of the throughput (a fraction)
    latency_p50_ns: object
    latency_p99_ns: object
    latency_p999_ns: object
    flush_p50_ns: object
    flush_p99_ns: object
    faults_per_op: object            # minor + major page faults per operation
    dev_read_bytes_per_op: object    # bytes the block device read per operation
    readahead_amplification: object  # device bytes read / bytes the workload read
    latency_histogram: Histogram     # of the operations, ns
    flush_histogram: Histogram       # of the flush calls, ns


@dataclass(frozen=True)
class Comparison:
    """The throughput of one backend (numerator) over another's (denominator, the
    baseline backend) for one workload, with the 95% interval of the ratio."""
    workload: str       # the workload's name
    numerator: str      # a backend
    denominator: str    # the baseline backend
    ratio: object       # median throughputs' ratio, or None
    ci_low: object      # its 95% interval, or None
    ci_high: object
    verdict: object     # str or None: 'mmap 2.31x faster [2.20, 2.45]', ...
    checksum: object    # str or None: the cross-backend checksum verification


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
    "timer_source": (("timer", "source"), TEXT), "timer_cost_ns": (("timer", "cost_ns"), NUMBER),
    "timer_reason": (("timer", "reason"), TEXT),
    "loadavg_1m": (("loadavg_1m",), NUMBER), "root": (("root",), FLAG),
}
TARGET_FIELDS = {
    "dir": TEXT, "real_dir": TEXT, "fs_type": TEXT, "mount_point": TEXT,
    "mount_source": TEXT, "mount_options": TEXT, "block_device": TEXT,
    "block_device_note": TEXT, "read_ahead_kb": NUMBER, "rotational": FLAG01,
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


class Results:
    """A run of mmbench (results.json) and the accessors to it.

    path, file           the directory and its results.json
    complete, interrupted, failed_runs, warnings, warnings_dropped
    config_name, config_description, config_source
    context              Record: date_utc, hostname, cpu_brand, kernel_release, ... (see
                         CONTEXT_FIELDS), perf_counters [(name, state)], targets [Record]
    workloads            [Workload] in config order
    backends             backend names in the order the summaries name them
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
        names = {w.name for w in self.workloads}
        self._summaries, self.backends = {}, []
        for s in top.nodes("summaries"):
            summary = self._summary(s, names)
            key = (summary.workload, summary.backend)
            if key in self._summaries:
                s.fail("backend", f"a second summary of {shown(key[0])} on {key[1]}")
            self._summaries[key] = summary
            if summary.backend not in self.backends:
                self.backends.append(summary.backend)
        self._comparisons = {}
        for c in top.nodes("comparisons"):
            comparison = Comparison(
                self._workload_name(c, names), c.get("numerator", BACKEND),
                c.get("denominator", BACKEND), c.get("ratio", NONNEG.or_null()),
                c.get("ci_low", NONNEG.or_null()), c.get("ci_high", NONNEG.or_null()),
                c.get("verdict", TEXT.or_null()), c.get("checksum", TEXT.or_null()))
            key = (comparison.workload, comparison.numerator, comparison.denominator)
            if key in self._comparisons:
                c.fail("numerator", f"a second comparison of {shown(key[0])}: "
                       f"{key[1]} / {key[2]}")
            self._comparisons[key] = comparison
        self._flush_calls = {}
        for r in top.nodes("runs"):
            key = (self._workload_name(r, names), r.get("backend", BACKEND))
            call = r.get("flush_call", TEXT.or_null(), None)
            if call and call != "none":
                self._flush_calls.setdefault(key, call)

    @staticmethod
    def _workload_name(node, names):
        name = node.get("workload", NAME)
        if name not in names:
            node.fail("workload", f"{shown(name)} is not a workload of config.workloads")
        return name

    def _summary(self, s, names):
        def ns(key):
            return s.get(key, NONNEG.or_null())
        return Summary(
            self._workload_name(s, names), s.get("backend", BACKEND),
            s.get("repetitions_ok", COUNT), s.get("repetitions_failed", COUNT),
            Estimate(ns("tput_median_mib_s"), ns("tput_ci_low_mib_s"),
                     ns("tput_ci_high_mib_s")),
            ns("tput_cv"), ns("latency_p50_ns"), ns("latency_p99_ns"), ns("latency_p999_ns"),
            ns("flush_p50_ns"), ns("flush_p99_ns"), ns("faults_per_op"),
            ns("dev_read_bytes_per_op"), ns("readahead_amplification"),
            _histogram(s, "latency_histogram"), _histogram(s, "flush_histogram"))

    def summary(self, workload, backend):
        """The Summary of workload (a name) on backend, or None (not run, or not yet)."""
        return self._summaries.get((workload, backend))

    def has_summary(self, workload):
        return any(self.summary(workload, b) for b in self.backends)

    def comparison(self, workload, numerator, denominator):
        """The Comparison of workload's numerator backend with its denominator, or None."""
        return self._comparisons.get((workload, numerator, denominator))

    def comparison_pairs(self):
        """(numerator, denominator) of every comparison, in the order they first appear."""
        return list(dict.fromkeys((n, d) for _, n, d in self._comparisons))

    def flush_call(self, workload, backend):
        """The system call behind the workload's flushes on backend ('msync(MS_SYNC)',
        'fdatasync', ...), or None when its runs name none."""
        return self._flush_calls.get((workload, backend))


def load_results(path):
    """The run in a results directory, checked; raises ResultsError."""
    return Results(path)


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
    runs             [Record]: label, and RUN_FIELDS (a string, a number or None)
    differences      [(context key, [value per run])]
    not_comparable   [Record]: workload, runs [labels], reason
    regressions      [Record]: workload, backend, run, ratio
    """

    def __init__(self, path):
        top = load_checked(path, "compare")
        self.path, self.file = path, top.file
        self.runs = []
        for r in top.nodes("runs"):
            run = Record(label=r.get("label", NAME),
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
    -> [('block_size', '4KiB'), ('threads', '2')] (values may hold commas); empty for a
    workload that is not a sweep point."""
    if "/" not in name:
        return []
    labels = []
    for piece in name.split("/", 1)[1].split(","):
        key, sep, value = piece.partition("=")
        if sep and re.fullmatch(r"[a-z_]+", key):
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
