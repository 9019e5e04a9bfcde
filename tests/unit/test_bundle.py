"""The attachable bundle, on a snapshot recorded from a real engine."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from dockerdoctor import bundle, snapshot
from dockerdoctor.diagnose import diagnose_snapshot
from dockerdoctor.errors import UsageError
from dockerdoctor.model import CollectedFile, Forensics
from dockerdoctor.redact import redact_diagnosis
from dockerdoctor.report import json as json_report
from dockerdoctor.report import markdown

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def planned(extra_files: tuple[CollectedFile, ...] = ()) -> list[tuple[str, bytes]]:
    raw = json.loads((FIXTURES / "missing_env.json").read_text())
    d = diagnose_snapshot(snapshot.build(raw), redact=False)
    d = dataclasses.replace(d, forensics=Forensics(ran=True, reason="test", files=extra_files))
    d = redact_diagnosis(d)
    return bundle.plan(d, raw["inspect"], markdown.render(d), json_report.render(d), True)


def test_directory_bundle_with_manifest(tmp_path: Path) -> None:
    files = planned((CollectedFile("/../../etc/evil.log", "log", 10, text="x=1\n"),
                     CollectedFile("/root/.ash_history", "history", 5, text="ls\n")))
    names = [n for n, _ in files]
    assert names[:5] == ["report.md", "report.json", "inspect.json", "logs.txt", "diff.txt"]
    assert "files/etc/evil.log" in names and "history.txt" in names  # no way out of the bundle
    target = tmp_path / "b"
    entries, left_out = bundle.write(files, str(target))
    assert left_out == []
    manifest = json.loads((target / "manifest.json").read_text())
    for item in manifest["files"]:
        data = (target / item["name"]).read_bytes()
        assert item["size"] == len(data)
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
    inspect = (target / "inspect.json").read_text()
    assert "hunter2-very-secret" not in inspect and "DB_PASSWORD=[redacted]" in inspect
    for path in target.rglob("*"):
        if path.is_file():
            assert b"hunter2-very-secret" not in path.read_bytes()


def test_tar_bundle_and_cap(tmp_path: Path) -> None:
    files = planned((CollectedFile("/var/log/big.log", "log", 10, text="y" * 50_000),))
    target = tmp_path / "b.tar.gz"
    cap = sum(len(b) for n, b in files if n != "files/var/log/big.log") + 100
    entries, left_out = bundle.write(files, str(target), max_bytes=cap)
    assert left_out == ["files/var/log/big.log (50000 bytes)"]
    with tarfile.open(target) as tar:
        names = tar.getnames()
    assert "dockerdoctor-bundle/manifest.json" in names
    assert "dockerdoctor-bundle/files/var/log/big.log" not in names


def test_nothing_of_the_user_is_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "x.tar.gz"
    existing.write_text("mine")
    with pytest.raises(UsageError):
        bundle.check_target(str(existing))
    full = tmp_path / "dir"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(UsageError):
        bundle.check_target(str(full))
    bundle.check_target(str(tmp_path / "new-dir"))
    assert existing.read_text() == "mine" and (full / "keep.txt").read_text() == "mine"
