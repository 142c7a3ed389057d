"""Reading mmbench result and comparison directories, for scripts/plot and scripts/report.

A results directory holds results.json (docs/results.md); a comparison directory holds
compare.json (docs/compare.md). Python 3 standard library only.
"""
import json
import math
import os
import re

SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
UNIT_SUFFIXES = ("_bytes", "_ns", "_kib", "_pct", "_mib_s")


class ResultsError(Exception):
    """A directory that is not a readable mmbench results or comparison directory."""


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


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}: malformed JSON at line {e.lineno}: {e.msg}") from e


RESULTS_VERSION = 2  # results.json: the runs, summaries and comparisons in workload blocks
COMPARE_VERSION = 2  # compare.json


def load_checked(path, name, tool, version, keys):
    """path/name written by tool (schema version), checked for the keys the charts use."""
    doc = load_json(os.path.join(path, name))
    if doc.get("tool") != tool:
        raise ResultsError(f"{path}/{name}: not written by {tool} (tool is {doc.get('tool')!r})")
    if doc.get("schema_version") != version:
        raise ResultsError(f"{path}/{name}: schema_version {doc.get('schema_version')}, these "
                           f"scripts read version {version}")
    for key in keys:
        if key not in doc:
            raise ResultsError(f"{path}/{name}: no {key!r} key")
    return doc


def workload_blocks(path, doc):
    """The workload blocks: inline, or (a run still going on, or killed) one file each in
    the workload_files directory."""
    folder = doc.get("workload_files")
    if not folder:
        return doc["workloads"]
    if "/" in folder or folder.startswith("."):
        raise ResultsError(f"{path}/results.json: workload_files {folder!r} is not a directory "
                           f"name")
    directory = os.path.join(path, folder)
    try:
        names = sorted(n for n in os.listdir(directory) if re.fullmatch(r"[0-9]{6}\.json", n))
    except OSError as e:
        raise ResultsError(f"cannot read {directory}: {e.strerror}") from e
    return [load_json(os.path.join(directory, n)) for n in names]


def load_results(path):
    """The results.json of a results directory, with its blocks' runs, summaries and
    comparisons also as flat lists ("runs", "summaries", "comparisons"), each item carrying
    its "workload" name."""
    doc = load_checked(path, "results.json", "mmbench", RESULTS_VERSION,
                       ("context", "config", "workloads"))
    flat = {"runs": [], "summaries": [], "comparisons": []}
    for block in workload_blocks(path, doc):
        for key, items in flat.items():
            items.extend(dict(item, workload=block["name"]) for item in block.get(key) or [])
    doc.update(flat)
    return doc


def load_compare(path):
    """The compare.json of a comparison directory."""
    return load_checked(path, "compare.json", "mmbench-compare", COMPARE_VERSION,
                        ("runs", "rows"))


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def fmt_bytes(value):
    """4096 -> '4KiB', 1536 -> '1.5KiB', 512 -> '512B' (the labels mmbench prints)."""
    value = float(value)
    unit = 0
    while abs(value) >= 1024 and unit < len(SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.3g}{SIZE_UNITS[unit]}"


def fmt_ns(value):
    """A duration in nanoseconds with a readable unit: 572ns, 1.02us, 3.36ms, 2s."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}ns"


def fmt_number(value, digits=3):
    """A measurement for a table; '—' when it was not recorded (null)."""
    if not is_number(value):
        return "—"
    if abs(value) >= 10 ** digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def fmt_param(key, value):
    """A workload parameter as it reads in a label: sizes in KiB/MiB, durations with units."""
    if is_number(value) and key.endswith("_bytes"):
        return fmt_bytes(value)
    if is_number(value) and key.endswith("_ns"):
        return fmt_ns(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def param_label_name(key):
    """The config key behind a parameter column: block_size_bytes -> block_size."""
    for suffix in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def sweep_label_keys(name):
    """The keys named in a workload's sweep labels ('r/block_size=4KiB,threads=2' ->
    ['block_size', 'threads']); empty for a workload that is not a sweep point."""
    if "/" not in name:
        return []
    return re.findall(r"(?:^|,)([a-z0-9_.]+)=", name.split("/", 1)[1])


def context_line(context):
    """One line saying where the numbers come from: CPU, kernel, filesystem and device."""
    cpu = context.get("cpu") or {}
    kernel = context.get("kernel") or {}
    parts = []
    brand = cpu.get("brand") or cpu.get("vendor") or "unknown CPU"
    cores = ""
    if cpu.get("online_cpus"):
        cores = f", {cpu['online_cpus']} CPUs"
    hypervisor = f", {cpu['hypervisor']} guest" if cpu.get("hypervisor") else ""
    parts.append(f"{brand}{cores}{hypervisor}")
    if context.get("hostname"):
        parts.append(f"host {context['hostname']}")
    if kernel.get("release"):
        parts.append(f"Linux {kernel['release']}")
    parts.extend(target_labels(context))
    return "  |  ".join(parts)


def target_labels(context):
    """'ext4 on /dev/vda' for each distinct filesystem the data files were on."""
    labels = []
    for target in context.get("targets") or []:
        fs = target.get("fs_type") or "unknown filesystem"
        device = target.get("block_device")
        where = f" on /dev/{device}" if device else ""
        if not device and target.get("mount_source"):
            where = f" ({target['mount_source']})"
        label = fs + where
        if label not in labels:
            labels.append(label)
    return labels


def summaries_by_workload(results):
    """{workload: {backend: summary}} in config order."""
    table = {w["name"]: {} for w in results["config"]["workloads"]}
    for summary in results["summaries"]:
        table.setdefault(summary["workload"], {})[summary["backend"]] = summary
    return table


def comparisons_by_workload(results):
    return {c["workload"]: c for c in results["comparisons"]}


def backends_of(results):
    """Backends in the order they appear in the summaries (mmap first, as mmbench writes)."""
    seen = []
    for summary in results["summaries"]:
        if summary["backend"] not in seen:
            seen.append(summary["backend"])
    return seen
