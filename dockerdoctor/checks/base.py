"""Helpers the check families share: searching the evidence, building findings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from dockerdoctor.model import Evidence, Finding, LogLine, Severity, Snapshot
from dockerdoctor.times import iso

EXEC_FAILURE = re.compile(
    r"exec user process caused|exec format error|bad interpreter|"
    r"required file not found|error while loading shared libraries|Error relocating|"
    r"starting container process caused|unable to start container process|"
    r"^exec \S+: (?:no such file or directory|permission denied)|"
    r"executable file not found",
    re.IGNORECASE,
)


def line_source(line: LogLine) -> str:
    when = iso(line.time)
    return f"logs {line.stream}" + (f" {when}" if when else "")


def line_evidence(lines: Iterable[LogLine]) -> tuple[Evidence, ...]:
    return tuple(Evidence(line_source(line), line.text) for line in lines)


def state(field: str, value: object) -> Evidence:
    return Evidence(f"State.{field}", str(value))


def config(field: str, value: object) -> Evidence:
    return Evidence(field, str(value))


def grep(s: Snapshot, pattern: re.Pattern[str], limit: int = 3) -> tuple[LogLine, ...]:
    """The last `limit` log lines matching, oldest first."""
    found: list[LogLine] = []
    for line in reversed(s.logs.lines):
        if pattern.search(line.text):
            found.append(line)
            if len(found) >= limit:
                break
    return tuple(reversed(found))


def grep_first(s: Snapshot, pattern: re.Pattern[str]) -> LogLine | None:
    for line in s.logs.lines:
        if pattern.search(line.text):
            return line
    return None


def matches_error(s: Snapshot, pattern: re.Pattern[str]) -> bool:
    return bool(s.container.error and pattern.search(s.container.error))


def error_like_lines(s: Snapshot, limit: int = 5) -> tuple[LogLine, ...]:
    """The most error-like lines of the tail, for findings that have nothing better."""
    scored = [
        (score_line(line.text, line.stream), i, line) for i, line in enumerate(s.logs.lines)
    ]
    best = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], -x[1]))[:limit]
    if not best:
        return s.logs.lines[-limit:]
    return tuple(line for _, _, line in sorted(best, key=lambda x: x[1]))


_ERRORISH = re.compile(
    r"\b(fatal|panic|error|exception|fail(?:ed|ure)?|critical|emerg|abort(?:ed)?|"
    r"denied|refused|not found|cannot|can't|unable|invalid|killed|traceback)\b",
    re.IGNORECASE,
)


def score_line(text: str, stream: str) -> int:
    score = len(_ERRORISH.findall(text)) * 2
    if stream == "stderr" and text.strip():
        score += 1
    return score


def crashed(s: Snapshot) -> bool:
    """Did the container fail (rather than run fine or finish its job)?"""
    c = s.container
    if c.status in ("exited", "dead") and (c.exit_code != 0 or c.oom_killed):
        return True
    if c.restarting or c.status == "restarting" or c.dead:
        return True
    if c.error:
        return True
    return bool(c.health and c.health.status == "unhealthy")


def log_severity(s: Snapshot) -> Severity:
    """A log signature explains the failure when it failed; otherwise it is a warning."""
    return Severity.ERROR if crashed(s) else Severity.WARNING


def finding(
    id: str,
    severity: Severity,
    title: str,
    explanation: str,
    remedy: str,
    evidence: Iterable[Evidence] = (),
) -> Finding:
    return Finding(id, severity, title, explanation, remedy, tuple(evidence))


def signal_name(code: int) -> str | None:
    names = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
             7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV",
             12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}
    if 128 < code < 160:
        return names.get(code - 128, f"signal {code - 128}")
    return None
