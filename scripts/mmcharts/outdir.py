"""The output directory of scripts/plot and scripts/report: its files and its manifest.

Everything is written inside the directory, to a temporary name first and renamed, so a
symlink left there (by someone who sent the directory) is replaced, not followed. The
manifest (charts.json) lists what scripts/plot drew; a manifest read back is checked, and
only file names of the form scripts/plot makes are acted on, so a crafted one cannot make
these scripts remove, or embed in a report, a file elsewhere.
"""
import json
import os
import re
import stat

MANIFEST = "charts.json"
DATA_DIR = "data"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 64 * 2 ** 20


class OutputError(Exception):
    """The output directory cannot be used; the message is one line."""


def safe_name(text):
    """text made a file name of its own: letters, digits and ._- kept, others '_'."""
    name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)
    return name if SAFE_NAME.fullmatch(name) else "x" + name[:200]


def prepare(out_dir):
    """Makes out_dir and out_dir/data (a real directory, not a symlink)."""
    try:
        os.makedirs(out_dir, exist_ok=True)
        data = os.path.join(out_dir, DATA_DIR)
        if os.path.islink(data) or (os.path.exists(data) and not os.path.isdir(data)):
            raise OutputError(f"{data}: not a directory (a symlink or a file); remove it "
                              f"or choose another --output")
        os.makedirs(data, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{e.filename or out_dir}: {e.strerror}") from None


def write(path, text):
    """Writes text to path through a temporary file in the same directory."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def clear(path):
    """Removes what is at path (a file or a symlink, never followed) before gnuplot writes
    a file there."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise OutputError(f"{path}: a directory where a chart goes")
        os.unlink(path)
    except FileNotFoundError:
        pass


def _safe_relative(name):
    """A name from a manifest: 'file' or 'data/file' with safe file names, else None."""
    if not isinstance(name, str):
        return None
    parts = name.split("/")
    if len(parts) == 2 and parts[0] == DATA_DIR:
        parts = parts[1:]
    return name if len(parts) == 1 and SAFE_NAME.fullmatch(parts[0]) else None


def read_manifest(out_dir):
    """The manifest of out_dir as scripts/plot wrote it, or None when there is none or it
    is not one (then the charts are drawn again)."""
    path = os.path.join(out_dir, MANIFEST)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            manifest = json.loads(f.read(16 * 2 ** 20).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(manifest, dict) and isinstance(manifest.get("source"), str) and
            isinstance(manifest.get("kind"), str) and
            all(isinstance(manifest.get(k), list) for k in ("charts", "skipped", "notes",
                                                           "size"))):
        return None
    for chart in manifest["charts"]:
        if not (isinstance(chart, dict) and
                all(isinstance(chart.get(k), str) for k in ("name", "section", "title",
                                                            "caption", "script")) and
                isinstance(chart.get("files"), list) and chart["files"] and
                isinstance(chart.get("data"), list) and
                all(_safe_relative(n) for n in chart["files"] + chart["data"] +
                    [chart["script"]]) and
                all("/" not in n for n in chart["files"])):
            return None
    for item in manifest["skipped"] + manifest["notes"]:
        if not (isinstance(item, dict) and isinstance(item.get("section"), str) and
                (isinstance(item.get("why"), str) or isinstance(item.get("text"), str))):
            return None
    return manifest


def write_manifest(out_dir, manifest):
    write(os.path.join(out_dir, MANIFEST), json.dumps(manifest, indent=1) + "\n")


def remove_previous(out_dir):
    """Removes the charts and data that the manifest of a previous scripts/plot lists, the
    data files (*.tsv) in data/, and the manifest."""
    manifest = read_manifest(out_dir)
    names = [n for c in (manifest or {}).get("charts", [])
             for n in c["files"] + c["data"] + [c["script"]]]
    data = os.path.join(out_dir, DATA_DIR)
    if os.path.isdir(data) and not os.path.islink(data):
        names += [f"{DATA_DIR}/{n}" for n in os.listdir(data)
                  if n.endswith(".tsv") and SAFE_NAME.fullmatch(n)]
    for name in names + [MANIFEST]:
        path = os.path.join(out_dir, name)
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                os.unlink(path)
        except FileNotFoundError:
            pass


def read_png(path):
    """The bytes of a PNG file (not followed through a symlink); raises OutputError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise OutputError(f"{path}: not a regular file")
            data = f.read(MAX_PNG_BYTES + 1)
    except OSError as e:
        raise OutputError(f"{path}: {e.strerror}") from None
    if not data.startswith(PNG_SIGNATURE) or len(data) > MAX_PNG_BYTES:
        raise OutputError(f"{path}: not a PNG file scripts/plot wrote")
    return data
