"""Checks and renderers on snapshots recorded from a real engine (tests/fixtures/).

Re-record with `python scripts/record_fixtures.py` (needs an engine); these tests need none.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from pathlib import Path

import pytest

from dockerdoctor import snapshot
from dockerdoctor.diagnose import diagnose_snapshot
from dockerdoctor.engine import _frames, _LineAssembler
from dockerdoctor.model import Diagnosis
from dockerdoctor.report import json as json_report
from dockerdoctor.report import markdown, text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def diag(name: str, redact: bool = True) -> Diagnosis:
    return diagnose_snapshot(snapshot.build(load(name)), redact=redact)


def ids(d: Diagnosis) -> list[str]:
    return [f.id for f in d.findings]


def evidence(d: Diagnosis, fid: str) -> str:
    f = next(f for f in d.findings if f.id == fid)
    return "\n".join(f"{e.source}: {e.text}" for e in f.evidence)


@pytest.mark.parametrize(
    "name, verdict, absent",
    [
        ("oom", "oom-killed", {"killed", "nonzero-exit"}),
        ("missing_env", "missing-env", {"nonzero-exit"}),
        ("crlf", "crlf-shebang", {"command-not-found", "nonzero-exit"}),
        ("stop_timeout", "stop-timeout", {"nonzero-exit", "killed"}),
        ("killed", "killed", {"oom-killed", "stop-timeout", "nonzero-exit"}),
        ("unhealthy", "unhealthy", set()),
        ("restart_loop", "restart-loop", set()),
        ("port_in_use", "port-in-use", {"start-failed"}),
        ("not_found", "command-not-found", {"start-failed"}),
        ("hostile_logs", "nonzero-exit", set()),
        ("tty", "nonzero-exit", set()),
    ],
)
def test_verdicts_on_recorded_snapshots(name: str, verdict: str, absent: set[str]) -> None:
    d = diag(name)
    assert d.verdict is not None and d.verdict.id == verdict, ids(d)
    assert not absent & set(ids(d)), ids(d)


def test_healthy_running_container_has_no_findings() -> None:
    d = diag("healthy")
    assert d.findings == ()
    assert text.verdict_line(d).startswith("✔ OK")


def test_oom_evidence_names_the_limit() -> None:
    d = diag("oom")
    ev = evidence(d, "oom-killed")
    assert "State.OOMKilled: True" in ev
    assert "HostConfig.Memory: 32 MiB" in ev


def test_stop_timeout_cites_the_events() -> None:
    d = diag("stop_timeout")
    ev = evidence(d, "stop-timeout")
    assert "kill signal=15" in ev and "kill signal=9" in ev
    assert "/bin/sh" not in d.verdict.title  # the title is about the stop, not the command
    assert "sh -c" in ev


def test_killed_is_attributed_to_docker_kill_by_events() -> None:
    d = diag("killed")
    assert "docker kill" in d.verdict.title
    assert "kill signal=9" in evidence(d, "killed")


def test_crlf_is_confirmed_from_the_file_bytes() -> None:
    d = diag("crlf")
    ev = evidence(d, "crlf-shebang")
    assert "file /app/run.sh" in ev
    assert "ends in CR" in ev
    assert "exec /app/run.sh: no such file or directory" in ev


def test_unhealthy_shows_probe_output() -> None:
    ev = evidence(diag("unhealthy"), "unhealthy")
    assert "health probe exit 1" in ev
    assert "wget" in ev


def test_restart_loop_counts_and_keeps_last_exit() -> None:
    d = diag("restart_loop")
    assert d.snapshot.container.restart_count >= 3
    assert "last exit 3" in d.verdict.title
    assert "nonzero-exit" in ids(d)  # the last exit is classified too
    assert "fatal: cannot open /data/app.db" in evidence(d, "nonzero-exit")


def test_port_conflict_names_the_port() -> None:
    d = diag("port_in_use")
    assert "18931" in d.verdict.title
    assert "port is already allocated" in evidence(d, "port-in-use")


def test_secrets_are_redacted_in_every_format() -> None:
    raw = load("missing_env")
    assert "hunter2-very-secret" in json.dumps(raw)  # planted in the container's env
    d = diag("missing_env")
    for out in (text.render(d), markdown.render(d), json_report.render(d)):
        assert "hunter2-very-secret" not in out
    assert ("DB_PASSWORD", "[redacted]") in d.snapshot.container.env
    assert ("LOG_LEVEL", "info") in d.snapshot.container.env


def test_no_redact_keeps_secrets() -> None:
    d = diag("missing_env", redact=False)
    assert ("DB_PASSWORD", "hunter2-very-secret") in d.snapshot.container.env
    assert "NOT redacted" in text.render(d)


def test_control_sequences_are_neutralised_in_text_and_markdown() -> None:
    d = diag("hostile_logs")
    raw_texts = [x.text for x in d.snapshot.logs.lines]
    assert any("\x1b" in t for t in raw_texts)  # the container really printed escapes
    assert any("\ufffd" in t for t in raw_texts)  # and invalid UTF-8
    for out in (text.render(d), markdown.render(d)):
        assert "\x1b" not in out and "\x07" not in out and "\x00" not in out
        assert "\\x1b[31mred" in out
    js = json.loads(json_report.render(d))  # JSON stays valid, text kept exactly
    assert any("\x1b[31mred" in x["text"] for x in js["logs"]["tail"])


def test_streams_are_kept_apart() -> None:
    d = diag("missing_env")
    streams = {x.text: x.stream for x in d.snapshot.logs.lines}
    assert streams["worker starting"] == "stdout"
    assert streams["KeyError: 'DATABASE_URL'"] == "stderr"


def test_tty_container_has_one_merged_stream() -> None:
    d = diag("tty")
    lines = [(x.stream, x.text) for x in d.snapshot.logs.lines]
    assert lines == [("tty", "to-stdout"), ("tty", "to-stderr")]


@pytest.mark.parametrize("name", ["hostile_logs", "missing_env"])
def test_frame_parser_on_the_engines_bytes(name: str) -> None:
    raw = load(name)
    body = base64.b64decode(raw["raw_log_body_b64"])
    out: deque = deque()
    asm = _LineAssembler(out)
    # feed in awkward pieces: frames split across reads must reassemble
    chunks = (body[i : i + 7] for i in range(0, len(body), 7))
    for stream_id, payload in _frames(chunks):
        asm.feed({1: "stdout", 2: "stderr"}[stream_id], payload)
    asm.flush()
    assert [list(x) for x in out] == raw["logs"]["lines"]


def test_tty_body_parses_as_one_stream() -> None:
    raw = load("tty")
    body = base64.b64decode(raw["raw_log_body_b64"])
    out: deque = deque()
    asm = _LineAssembler(out)
    for i in range(0, len(body), 5):
        asm.feed_tty(body[i : i + 5])
    asm.flush()
    assert [x[2] for x in out] == ["to-stdout", "to-stderr"]


def test_json_schema_fields() -> None:
    js = json.loads(json_report.render(diag("oom")))
    assert js["schema_version"] == 1
    assert set(js) >= {"container", "engine", "findings", "logs", "verdict"}
    assert set(js["container"]) >= {
        "id", "name", "image", "status", "exit_code", "oom_killed", "error", "started_at",
        "finished_at", "runtime_seconds", "restart_count", "health"}
    assert js["container"]["oom_killed"] is True
    f = js["findings"][0]
    assert set(f) == {"id", "severity", "title", "evidence", "explanation", "remedy"}
    assert set(js["logs"]) >= {"tail", "truncated"}
    assert js["engine"]["api_version"]


def test_markdown_is_pasteable() -> None:
    md = markdown.render(diag("missing_env"))
    assert "| Severity | Finding | Summary |" in md
    assert "<details>" in md and "</details>" in md
    assert "`missing-env`" in md


def test_first_text_line_is_the_verdict() -> None:
    out = text.render(diag("oom"))
    assert out.splitlines()[0].startswith("✖ ERROR")
    assert "[oom-killed]" in out.splitlines()[0]


def test_stop_timeout_of_a_shell_form_command_adds_the_image_fact() -> None:
    """The image fact explains the stop timeout (sh is PID 1); it is context, never the
    verdict, and carries the audit's id."""
    d = diag("stop_timeout")
    assert ids(d)[0] == "stop-timeout"
    fact = next(f for f in d.findings if f.id == "image-shell-form")
    assert fact.severity.value == "info"
    assert '"sh", "-c"' in evidence(d, "image-shell-form")


def test_image_facts_only_when_they_explain_the_failure() -> None:
    for name in ("missing_env", "oom", "crlf", "healthy", "killed"):
        assert not [f for f in diag(name).findings if f.id.startswith("image-")], name
