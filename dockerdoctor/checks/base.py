"""Helpers the check families share: searching the evidence, building findings."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable

from dockerdoctor.model import Evidence, Finding, LogLine, Logs, Severity, Snapshot
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
    if line.origin:
        return line.origin
    when = iso(line.time)
    return f"logs {line.stream}" + (f" {when}" if when else "")


def line_evidence(lines: Iterable[LogLine]) -> tuple[Evidence, ...]:
    return tuple(Evidence(line_source(line), line.text) for line in lines)


def state(field: str, value: object) -> Evidence:
    return Evidence(f"State.{field}", str(value))


def config(field: str, value: object) -> Evidence:
    return Evidence(field, str(value))


class _Index:
    """All log lines joined once, so a pattern scans the tail in one regex call.

    A hit in the joined text only nominates lines (every line a match touches); each
    nominated line is then matched on its own, so results are exactly those of matching
    line by line, at a fraction of the cost.
    """

    def __init__(self, lines: tuple[LogLine, ...]) -> None:
        self.lines = lines
        self.text = "\n".join(line.text.replace("\n", " ") for line in lines)
        self.lower = self.text.translate(_ASCII_LOWER)  # same length, same offsets
        self.starts: list[int] = []
        pos = 0
        for line in lines:
            self.starts.append(pos)
            pos += len(line.text) + 1

    def line_at(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def candidates(self, pattern: re.Pattern[str]) -> list[int]:
        multi, folded = _multiline(pattern)
        found: list[int] = []
        for m in multi.finditer(self.lower if folded else self.text):
            first = self.line_at(m.start())
            last = self.line_at(max(m.start(), m.end() - 1))
            for i in range(first, last + 1):
                if not found or found[-1] < i:
                    found.append(i)
        return found


_INDEX: dict[int, tuple[Logs, _Index]] = {}


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@functools.lru_cache(maxsize=256)
def _multiline(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], bool]:
    """The pattern for nominating lines in the joined text.

    Case-insensitive matching is about ten times slower in `re`; a case-insensitive
    pattern is lowered (escapes kept) and run on the lowered text instead.
    """
    if not pattern.flags & re.IGNORECASE:
        return re.compile(pattern.pattern, pattern.flags | re.MULTILINE), False
    lowered = re.sub(r"\\.|[A-Z]", lambda m: m.group(0) if len(m.group(0)) > 1
                     else m.group(0).lower(), pattern.pattern)
    flags = (pattern.flags & ~re.IGNORECASE) | re.MULTILINE
    return re.compile(lowered, flags), True


def _index(s: Snapshot) -> _Index:
    cached = _INDEX.get(id(s.logs))
    if cached is not None and cached[0] is s.logs:
        return cached[1]
    index = _Index(s.logs.lines)
    _INDEX.clear()  # one snapshot at a time is diagnosed: keep memory flat
    _INDEX[id(s.logs)] = (s.logs, index)
    return index


def grep_all(s: Snapshot, pattern: re.Pattern[str]) -> tuple[LogLine, ...]:
    """Every log line matching, in order."""
    index = _index(s)
    return tuple(
        index.lines[i] for i in index.candidates(pattern) if pattern.search(index.lines[i].text)
    )


def grep(s: Snapshot, pattern: re.Pattern[str], limit: int = 3) -> tuple[LogLine, ...]:
    """The last `limit` log lines matching, oldest first."""
    return grep_all(s, pattern)[-limit:] if limit else ()


def error_like_lines(s: Snapshot, limit: int = 5) -> tuple[LogLine, ...]:
    """The most error-like lines of the tail, for findings that have nothing better."""
    index = _index(s)
    # only lines with an error-like word, or on stderr, can score above zero
    errorish = set(index.candidates(_ERRORISH))
    scored = [
        (score_line(line.text, line.stream), i, line)
        for i, line in enumerate(index.lines)
        if i in errorish or line.stream == "stderr"
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
