"""Which files forensics reads, and how what it read becomes report material.

Every read goes through the archive API with caps: each file's tail only, a total for
all files, a limit on bytes streamed per request, symlinks and devices never followed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from dockerdoctor.model import CollectedFile, Finding, LogLine, Snapshot
from dockerdoctor.probe import parse_elf

Reader = Callable[[str, Callable[[str, int], int], int], "list[dict[str, Any]]"]

LOG_LIKE = re.compile(
    r"\.(?:log|err|out|trace)(?:\.\d+)?$|/var/log/|^/tmp/|/logs?/|(?:^|/)core(?:\.\d+)?$|"
    r"crash|hs_err_pid\d+\.log$|\.dump$|nohup\.out$|stderr|stdout",
    re.IGNORECASE,
)
HISTORY_NAMES = (".ash_history", ".bash_history", ".zsh_history", ".sh_history",
                 ".python_history", ".node_repl_history", ".mysql_history",
                 ".psql_history", ".sqlite_history", ".rediscli_history", ".lesshst")
_SKIP_PREFIXES = ("/proc/", "/sys/", "/dev/", "/run/secrets/")
MAX_CHANGED = 40  # changed paths looked at
MAX_STREAM = 32 * 1024 * 1024  # bytes read off the wire for one request


class Budget:
    def __init__(self, total: int, per_file: int) -> None:
        self.left = total
        self.per_file = per_file

    def want(self, size: int) -> int:
        keep = min(size, self.per_file, max(self.left, 0))
        return keep

    def spend(self, n: int) -> None:
        self.left -= n


def _only(*paths: str) -> Callable[[str], bool]:
    keep = set(paths)
    return lambda p: p in keep


def _kind(path: str) -> str:
    if posixpath.basename(path) in HISTORY_NAMES:
        return "history"
    return "log" if LOG_LIKE.search(path) else "changed"


def _all_parents(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        parent = posixpath.dirname(p.rstrip("/"))
        while parent and parent != "/":
            out.append(parent)
            parent = posixpath.dirname(parent)
    return out


def collect_files(read: Reader, s: Snapshot, findings: tuple[Finding, ...],
                  budget: Budget) -> list[CollectedFile]:
    files: list[CollectedFile] = []
    seen: set[str] = set()

    def take(path: str, kind: str | Callable[[str], str],
             name_filter: Callable[[str], bool] | None = None,
             max_stream: int = MAX_STREAM) -> None:
        if path in seen:
            return  # each archive read costs ~100 ms on the engine: never twice
        base = posixpath.dirname(path.rstrip("/")) or "/"
        kind_of = kind if callable(kind) else (lambda _p: kind)

        def want(name: str, size: int) -> int:
            full = posixpath.normpath(posixpath.join(base, name))
            if full in seen or (name_filter and not name_filter(full)):
                return 0
            return budget.want(size)

        entries = read(path, want, max_stream)
        for entry in entries:
            if entry["type"] == "stopped":
                if not any(e.get("cut") for e in entries):  # else that file says so
                    files.append(CollectedFile(path, kind_of(path), 0, note="stopped "
                                               "reading: the tree is larger than the read "
                                               "limit"))
                continue
            full = posixpath.normpath(posixpath.join(base, entry["name"]))
            if full in seen or (name_filter and not name_filter(full)):
                continue
            if entry["type"] == "dir":
                continue
            seen.add(full)
            if entry["type"] != "file":
                what = entry["type"] + (f" -> {entry['link']}" if entry["link"] else "")
                files.append(CollectedFile(full, kind_of(full), entry["size"],
                                           note=f"{what}: not followed or read"))
                continue
            files.append(_collected(full, kind_of(full), entry, budget))

    # A mount point shows in `docker diff` (the engine made the directory), but walking
    # it reads the volume or bind mount behind it: only files the evidence names are
    # read there (below, kind "volume").
    mounts = _mount_points(s)

    def in_mount(path: str) -> bool:
        return any(path == m or path.startswith(m + "/") for m in mounts)

    # a directory is a parent if anything below it changed, deletions included: only
    # the leaves are read, each by itself (`docker diff` lists every added file, so a
    # directory leaf has nothing new inside; walking it would read unchanged files)
    parents = set(_all_parents([c.path for c in s.changes or ()]))
    leaves = [c.path for c in s.changes or () if c.kind in ("added", "modified")
              and c.path not in parents and not c.path.startswith(_SKIP_PREFIXES)
              and not in_mount(c.path)]
    logs = [p for p in leaves if LOG_LIKE.search(p)]
    others = [p for p in leaves if not LOG_LIKE.search(p)]
    wanted = (logs + others)[:MAX_CHANGED]
    # files in a directory the container created are read in one request for the
    # directory (everything in it is new); elsewhere each file is read by itself
    added = {c.path for c in s.changes or () if c.kind == "added"}
    groups: dict[str, list[str]] = {}
    for path in wanted:
        parent = posixpath.dirname(path)
        groups.setdefault(parent if parent in added else path, []).append(path)
    for target, members in groups.items():
        take(target, _kind, name_filter=_only(*members))
        if target not in members:
            # the directory's stream may stop at a huge file before the others: read
            # whatever it did not reach by itself
            for path in members:
                take(path, _kind, name_filter=_only(path))
    if s.changes is None:
        # no diff to go by: look where shells keep history
        for name in HISTORY_NAMES:
            take(f"/root/{name}", "history")
        take("/home", "history",
             name_filter=lambda p: posixpath.basename(p) in HISTORY_NAMES,
             max_stream=8 * 1024 * 1024)
    for path in _volume_paths(s, findings):
        take(path, "volume")
    return [f for f in files if f.text is not None or f.binary or f.note]


def _collected(path: str, kind: str, entry: dict[str, Any], budget: Budget) -> CollectedFile:
    data: bytes | None = entry.get("data")
    size = entry["size"]
    if entry.get("cut"):
        return CollectedFile(path, kind, size, note="not read: its end lies past the "
                             f"{MAX_STREAM // (1024 * 1024)} MiB the archive API may stream "
                             "(`docker cp` it, or `tail` it in a debug shell)")
    if data is None:
        return CollectedFile(path, kind, size, note="not read: the report's size limit "
                             "was reached" if size else "empty")
    budget.spend(len(data))
    partial = bool(entry.get("partial"))
    if _is_binary(data):
        machine, _ = parse_elf(data) if data.startswith(b"\x7fELF") else (None, None)
        what = f"ELF binary for {machine}" if machine else "binary data"
        if re.search(r"(?:^|/)core(?:\.\d+)?$", path):
            what = "a core dump" + (f" ({what})" if machine else "")
        return CollectedFile(path, kind, size, binary=f"{what}, {size} bytes", truncated=partial)
    text = data.decode("utf-8", "replace")
    if partial and "\n" in text:
        text = text.split("\n", 1)[1]  # the first line of a tail is usually cut
    return CollectedFile(path, kind, size, text=text, truncated=partial)


def _is_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\0" in sample:
        return True
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.1


def _mount_points(s: Snapshot) -> list[str]:
    return [posixpath.normpath(m.destination) for m in s.container.mounts
            if m.destination and posixpath.normpath(m.destination) != "/"]


_PATH = re.compile(r"(?<![\w.])(/[\w.@\-]+(?:/[\w.@\-]+)+)")


def _volume_paths(s: Snapshot, findings: tuple[Finding, ...]) -> list[str]:
    """Files inside volumes and bind mounts that the evidence names (commits leave them
    out; the archive API reads them from the container itself)."""
    mounts = [m.destination.rstrip("/") for m in s.container.mounts
              if m.type in ("volume", "bind") and m.destination]
    out: list[str] = []
    for f in findings:
        for e in f.evidence:
            for p in _PATH.findall(e.text):
                if any(p == m or p.startswith(m + "/") for m in mounts) and p not in out:
                    out.append(p)
    return out[:10]


def probe_paths(s: Snapshot, findings: tuple[Finding, ...]) -> list[str]:
    """Paths worth checking for writability as the container's user."""
    out: list[str] = []
    for f in findings:
        if f.id in ("permission-denied", "read-only-fs", "no-space"):
            for e in f.evidence:
                out.extend(p for p in _PATH.findall(e.text) if p not in out)
    if s.container.working_dir and s.container.working_dir not in out:
        out.append(s.container.working_dir)
    return out[:10]


def file_lines(f: CollectedFile) -> list[LogLine]:
    lines = (f.text or "").splitlines()
    out = []
    for i, text in enumerate(lines, 1):
        where = (f"file {f.path}:{i}" if not f.truncated
                 else f"file {f.path} (line {len(lines) - i + 1} from the end)")
        out.append(LogLine("file", None, text, origin=where))
    return out
