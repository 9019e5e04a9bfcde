"""Forensics pieces that need no engine: the tar walker on a tar the engine really sent,
what becomes of binary, partial and special files, and the decision to run."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from dockerdoctor import snapshot
from dockerdoctor.checks import run_checks
from dockerdoctor.engine import _walk_tar
from dockerdoctor.forensics import decide
from dockerdoctor.forensics.collect import Budget, _all_parents, _collected, file_lines

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def tar_chunks(size: int = 4096):
    raw = json.loads((FIXTURES / "archive_tree.json").read_text())
    body = base64.b64decode(raw["tar_b64"])
    return (body[i : i + size] for i in range(0, len(body), size))


def test_tar_walker_reads_tails_and_never_follows_specials() -> None:
    entries = _walk_tar(tar_chunks(), lambda name, size: 1000, 32 * 1024 * 1024)
    by_name = {e["name"]: e for e in entries}
    assert by_name["logs/app.err"]["data"] == b"FATAL: first\n"
    big = by_name["logs/big.log"]
    assert big["size"] == 100004 and big["partial"] is True
    assert big["data"].endswith(b"xxxxEND\n") and len(big["data"]) == 1000
    assert by_name["logs/link"]["type"] == "symlink"
    assert by_name["logs/link"]["link"] == "/etc/shadow" and by_name["logs/link"]["data"] is None
    assert by_name["logs/fifo"]["type"] == "fifo"
    long = "logs/" + "d" * 120 + ".log"  # a PAX long name
    assert by_name[long]["data"] == b"deep\n"


def test_tar_walker_stops_at_the_stream_limit() -> None:
    entries = _walk_tar(tar_chunks(1024), lambda name, size: size, 20_000)
    assert entries[-1]["type"] == "stopped"
    assert sum(len(e["data"] or b"") for e in entries) < 20_000


def test_tar_walker_keeps_nothing_unasked() -> None:
    entries = _walk_tar(tar_chunks(), lambda name, size: 0, 32 * 1024 * 1024)
    assert all(e["data"] is None for e in entries)
    assert {e["name"] for e in entries} >= {"logs/app.err", "logs/big.log"}


def test_collected_file_kinds() -> None:
    budget = Budget(10_000, 1000)
    elf = _collected("/app/server", "changed", {"size": 5000, "data": Path("/bin/ls")
                                                .read_bytes()[:1000], "partial": True}, budget)
    assert elf.binary and elf.binary.startswith("ELF binary for x86_64") and elf.text is None
    text = _collected("/var/log/a.log", "log", {"size": 3000, "data": b"cut line\nwhole\n",
                                                "partial": True}, budget)
    assert text.text == "whole\n" and text.truncated  # the cut first line is dropped
    assert budget.left == 10_000 - 1000 - len(b"cut line\nwhole\n")
    lines = file_lines(text)
    assert lines[0].origin == "file /var/log/a.log (line 1 from the end)"
    full = _collected("/var/log/b.log", "log", {"size": 6, "data": b"a\nboom\n"}, budget)
    assert [x.origin for x in file_lines(full)] == ["file /var/log/b.log:1",
                                                     "file /var/log/b.log:2"]


def test_parents_of_changed_paths() -> None:
    # /etc with only a deletion below it is a parent: its unchanged files are not read
    parents = set(_all_parents(["/etc/issue", "/var/log/app.log", "/tmp"]))
    assert parents == {"/etc", "/var", "/var/log"}


def load(name: str):
    return snapshot.build(json.loads((FIXTURES / f"{name}.json").read_text()))


def test_decide_on_recorded_snapshots() -> None:
    for name, run in [("oom", False), ("killed", True), ("missing_env", False),
                      ("healthy", False), ("restart_loop", True), ("crlf", False),
                      ("not_found", False), ("unhealthy", False)]:
        s = load(name)
        wanted, reason = decide(s, run_checks(s), "auto")
        assert wanted is run, (name, reason)
        assert reason
    s = load("missing_env")
    assert decide(s, run_checks(s), "on") == (True, "forced by --deep")
    assert decide(s, run_checks(s), "off") == (False, "not run: --no-deep")
