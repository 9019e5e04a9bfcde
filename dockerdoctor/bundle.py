"""The attachable bundle: the report and its evidence as files, redacted, capped.

`--bundle PATH`: a `.tar.gz` file, or a directory (created; an existing one must be
empty). Holds report.md, report.json, inspect.json (redacted), logs.txt, diff.txt,
history.txt, files/... (what forensics read) and manifest.json (each file's size and
sha256). The total is capped; files that do not fit are listed in the manifest as left
out. Nothing the user owns is overwritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from dockerdoctor.errors import UsageError
from dockerdoctor.model import Diagnosis
from dockerdoctor.redact import MARK, Redactor, is_secret_name, redactor_for
from dockerdoctor.times import iso

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class BundleEntry:
    name: str
    size: int
    sha256: str


def plan(d: Diagnosis, raw_inspect: dict[str, Any], markdown: str, json_text: str,
         redact: bool) -> list[tuple[str, bytes]]:
    """The bundle's files, most important first (the cap drops from the end)."""
    s = d.snapshot
    inspect = _redact_inspect(raw_inspect, redactor_for(s.container)) if redact else raw_inspect
    logs = "\n".join(
        f"{iso(x.time) or '-'} {x.stream} {x.text}" for x in s.logs.lines) + "\n"
    diff = "\n".join(f"{c.kind[0].upper()} {c.path}" for c in s.changes or ()) + "\n"
    files: list[tuple[str, bytes]] = [
        ("report.md", markdown.encode()),
        ("report.json", json_text.encode()),
        ("inspect.json", json.dumps(inspect, indent=2, sort_keys=True).encode()),
        ("logs.txt", logs.encode()),
        ("diff.txt", diff.encode()),
    ]
    f = d.forensics
    if f is not None and f.ran:
        history = [cf for cf in f.files if cf.kind == "history" and cf.text]
        if history:
            body = "".join(f"# {cf.path}\n{cf.text}\n" for cf in history)
            files.append(("history.txt", body.encode()))
        for cf in f.files:
            if cf.text and cf.kind != "history":
                files.append((_member_name(cf.path), cf.text.encode()))
    return files


def _member_name(path: str) -> str:
    """files/<container path>: no absolute paths, no '..', whatever the container said."""
    parts = [p for p in posixpath.normpath("/" + path).split("/") if p not in ("", ".", "..")]
    return "files/" + "/".join(parts)


def _redact_inspect(obj: Any, r: Redactor, key: str = "") -> Any:
    if isinstance(obj, dict):
        return {k: _redact_inspect(v, r, k) for k, v in obj.items()}
    if isinstance(obj, list):
        if key == "Env":
            out = []
            for item in obj:
                name, sep, value = str(item).partition("=")
                out.append(f"{name}={MARK}" if sep and value and is_secret_name(name)
                           else r.text(str(item)))
            return out
        return [_redact_inspect(v, r, key) for v in obj]
    if isinstance(obj, str):
        return r.text(obj)
    return obj


def check_target(path: str) -> None:
    """Refuse up front a target that exists (nothing the user owns is overwritten)."""
    if path.endswith((".tar.gz", ".tgz")):
        if os.path.lexists(path):
            raise UsageError(f"--bundle: {path} already exists; give a new file name")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise UsageError(f"--bundle: directory {parent} does not exist")
    elif os.path.lexists(path) and (not os.path.isdir(path) or os.path.islink(path)
                                    or os.listdir(path)):
        raise UsageError(f"--bundle: {path} exists and is not an empty directory")


def write(files: list[tuple[str, bytes]], path: str, max_bytes: int = DEFAULT_MAX_BYTES
          ) -> tuple[list[BundleEntry], list[str]]:
    """Write the bundle; returns (what is in it, what was left out for the cap)."""
    kept: list[tuple[str, bytes]] = []
    left_out: list[str] = []
    total = 0
    for name, data in files:
        # the reports themselves always go in; evidence files give way to the cap
        if name not in ("report.md", "report.json") and total + len(data) > max_bytes:
            left_out.append(f"{name} ({len(data)} bytes)")
            continue
        kept.append((name, data))
        total += len(data)
    entries = [BundleEntry(n, len(b), hashlib.sha256(b).hexdigest()) for n, b in kept]
    manifest = json.dumps({
        "created": iso_now(),
        "files": [{"name": e.name, "size": e.size, "sha256": e.sha256} for e in entries],
        "left_out": left_out,
        "max_bytes": max_bytes,
    }, indent=2).encode()
    kept.append(("manifest.json", manifest))
    if path.endswith((".tar.gz", ".tgz")):
        _write_tar(kept, path)
    else:
        _write_dir(kept, path)
    return entries, left_out


def iso_now() -> str:
    from datetime import datetime

    return iso(datetime.now(UTC)) or ""


def _write_tar(files: list[tuple[str, bytes]], path: str) -> None:
    if os.path.lexists(path):
        raise UsageError(f"--bundle: {path} already exists; give a new file name")
    tmp = f"{path}.doctor-tmp"
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for name, data in files:
                info = tarfile.TarInfo(f"dockerdoctor-bundle/{name}")
                info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
                tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise UsageError(f"--bundle: cannot write {path}: {e.strerror or e}") from e


def _write_dir(files: list[tuple[str, bytes]], path: str) -> None:
    try:
        if os.path.lexists(path):
            if not os.path.isdir(path) or os.path.islink(path) or os.listdir(path):
                raise UsageError(f"--bundle: {path} exists and is not an empty directory")
        else:
            os.makedirs(path)
        root = os.path.realpath(path)
        for name, data in files:
            target = os.path.realpath(os.path.join(root, name))
            if not target.startswith(root + os.sep):
                continue  # cannot happen with _member_name, kept as a guard
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
    except OSError as e:
        raise UsageError(f"--bundle: cannot write {path}: {e.strerror or e}") from e


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
