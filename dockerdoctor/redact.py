"""Secrets out of everything that leaves the process.

Reports are attached to public issues, so redaction is on by default and applied to the
whole Diagnosis before any renderer sees it: environment values with secret-looking names,
those same values wherever else they appear (logs, commands, errors), credentials in URLs,
`password=...`-style pairs, and known token shapes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from dockerdoctor.model import CollectedFile, Container, Diagnosis, LogLine, Logs

MARK = "[redacted]"

SECRET_NAME = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|(?:^|_)key$|credential|auth|session|cookie|signature|salt|dsn|"
    r"conn(?:ection)?[_-]?str|webhook",
    re.IGNORECASE,
)

_TOKEN_SHAPES = re.compile(
    "|".join([
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b",  # AWS access key id
        r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",  # GitHub
        r"\bgithub_pat_[A-Za-z0-9_]{22,}\b",
        r"\bglpat-[A-Za-z0-9_\-]{20,}\b",  # GitLab
        r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b",  # Slack
        r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b",  # Stripe
        r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
        r"\bAIza[0-9A-Za-z_\-]{35}\b",  # Google API key
        r"\bnpm_[A-Za-z0-9]{36}\b",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
    ]),
    re.DOTALL,
)
# Bounded repeats everywhere: container output is hostile, and an unbounded `[\w.]*`
# before a literal makes a regex quadratic on long runs of word characters.
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>(?<![\w+.\-])[a-zA-Z][\w+.\-]{0,30}://)(?P<user>[^:/@\s]{0,200}):"
    r"(?P<pw>[^@/\s]{1,500})@"
)
_PAIRS = re.compile(
    r"(?P<key>(?<![\w.\-])[\w.\-]{0,40}?(?:password|passwd|pwd|secret|token|api[_-]?key|"
    r"apikey|access[_-]?key|private[_-]?key|credentials?)[\w.\-]{0,40})"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?|\s+)"
    r"(?P<val>[^\s\"',;&}\]]+)",
    re.IGNORECASE,
)
_PAIR_HINT = re.compile(r"pass|pwd|secret|token|key|credential", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"(?P<h>\bauthorization\s*[:=]\s*(?:bearer|basic|token)?\s*)\S+",
                          re.IGNORECASE)
_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_KEY_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY-----")

# Words that follow "password" in prose rather than being the secret itself.
_PROSE = {"is", "was", "for", "not", "of", "and", "or", "the", "to", "in", "option", "must",
          "should", "required", "missing", "authentication", "set", "specified", "empty",
          "none", "null", "***", MARK, "file", "changed", "expired", "reset", "failed",
          "incorrect", "invalid", "does", "did", "has", "be", "policy", "prompt", "with",
          "parameter", "variable", "unset", "undefined", "expected", "needed"}


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


class Redactor:
    """Knows the secret values of one container; scrubs any text."""

    def __init__(self, known: list[str] | None = None) -> None:
        # longest first, so a value containing another is replaced whole
        self.known = sorted({k for k in known or () if len(k) >= 4}, key=len, reverse=True)

    def text(self, s: str) -> str:
        if not s:
            return s
        for value in self.known:
            if value in s:
                s = s.replace(value, MARK)
        # cheap substring tests first: most lines hold no secret at all
        if "://" in s:
            s = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MARK}@", s)
        s = _TOKEN_SHAPES.sub(MARK, s)
        if "authorization" in s.lower():
            s = _AUTH_HEADER.sub(lambda m: m["h"] + MARK, s)
        if _PAIR_HINT.search(s):
            s = _PAIRS.sub(self._pair, s)
        return s

    @staticmethod
    def _pair(m: re.Match[str]) -> str:
        val = m["val"]
        if val.strip(".,:;!?'\"").lower() == m["key"].lower():
            return m.group(0)  # "API_TOKEN: API_TOKEN is not set": a name, not a value
        if val.startswith("?") and m.string[max(0, m.start() - 2) : m.start()] == "${":
            return m.group(0)  # ${TOKEN:?message}: the shell's error text, not a value
        if m["sep"].strip() == "" and val.lower() in _PROSE:
            return m.group(0)
        if val.lower() in _PROSE or val.startswith("[redacted") or val == "*" * len(val):
            return m.group(0)
        if m["sep"].strip() == "" and not any(ch.isdigit() for ch in val) and val.isalpha():
            return m.group(0)  # "password incorrect": prose, not a value
        return f"{m['key']}{m['sep']}{MARK}"

    def argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        hide_next = False
        for arg in argv:
            if hide_next:
                out.append(MARK)
                hide_next = False
                continue
            if arg.startswith("-") and "=" not in arg and is_secret_name(arg.lstrip("-")):
                hide_next = True
            out.append(self.text(arg))
        return tuple(out)


def redactor_for(container: Container) -> Redactor:
    return Redactor([v for k, v in container.env if is_secret_name(k) and v])


def _walk(obj: Any, fn: Any) -> Any:
    """Apply fn to every string inside; objects with nothing to change are kept as they are."""
    if type(obj) is str:
        return fn(obj)
    if isinstance(obj, tuple):
        items = tuple(_walk(x, fn) for x in obj)
        return obj if all(a is b for a, b in zip(items, obj, strict=True)) else items
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            old = getattr(obj, f.name)
            new = _walk(old, fn)
            if new is not old and new != old:
                changes[f.name] = new
        return dataclasses.replace(obj, **changes) if changes else obj
    return obj


def _key_blocks(lines: tuple[LogLine, ...]) -> tuple[LogLine, ...]:
    """A private key printed over several log lines: hide the whole block."""
    out = []
    inside = False
    for line in lines:
        if _KEY_BEGIN.search(line.text):
            inside = not _KEY_END.search(line.text)
            out.append(dataclasses.replace(line, text=_KEY_BEGIN.split(line.text)[0] + MARK))
            continue
        if inside:
            if _KEY_END.search(line.text):
                inside = False
            out.append(dataclasses.replace(line, text=MARK))
            continue
        out.append(line)
    return tuple(out)


def redact_diagnosis(d: Diagnosis) -> Diagnosis:
    """A copy of the diagnosis with every secret replaced by [redacted]."""
    c = d.snapshot.container
    r = redactor_for(c)
    env = tuple((k, MARK if is_secret_name(k) and v else v) for k, v in c.env)
    container = dataclasses.replace(
        c, env=env, entrypoint=r.argv(c.entrypoint), cmd=r.argv(c.cmd)
    )
    lines = _redact_lines(_key_blocks(d.snapshot.logs.lines), r)
    snapshot = dataclasses.replace(d.snapshot, container=container,
                                   logs=dataclasses.replace(d.snapshot.logs, lines=()))
    findings = tuple(
        dataclasses.replace(
            f,
            evidence=tuple(
                dataclasses.replace(e, text=_key_blocks((LogLine("x", None, e.text),))[0].text)
                for e in f.evidence
            ),
        )
        for f in d.findings
    )
    forensics = d.forensics
    files: tuple[CollectedFile, ...] = ()
    if forensics is not None:
        # collected files can be large: redacted line by line, like the logs
        files = tuple(dataclasses.replace(f, text=_redact_text_block(f.text, r))
                      if f.text else f for f in forensics.files)
        forensics = dataclasses.replace(forensics, files=tuple(
            dataclasses.replace(f, text=None) for f in forensics.files))
    # env names/values are handled above; argv too: walk everything else
    redacted = _walk(dataclasses.replace(d, snapshot=snapshot, findings=findings,
                                         forensics=forensics), r.text)
    logs: Logs = dataclasses.replace(redacted.snapshot.logs, lines=lines)
    if redacted.forensics is not None:
        walked = redacted.forensics.files
        redacted = dataclasses.replace(redacted, forensics=dataclasses.replace(
            redacted.forensics,
            files=tuple(dataclasses.replace(w, text=f.text)
                        for w, f in zip(walked, files, strict=True))))
    return dataclasses.replace(
        redacted, snapshot=dataclasses.replace(redacted.snapshot, logs=logs), redacted=True
    )


def _redact_text_block(text: str, r: Redactor) -> str:
    """A whole file's text: private key blocks first (they span lines), then each line."""
    if "-----BEGIN" in text:
        text = _TOKEN_SHAPES.sub(MARK, text)
    lines = _redact_lines(tuple(LogLine("file", None, x) for x in text.split("\n")), r)
    return "\n".join(x.text for x in lines)


# Any secret Redactor.text() can find contains one of these (lower-cased): lines without
# any are left alone, which makes redacting a long tail cheap.
_HINTS = ("://", "authoriz", "pass", "pwd", "secret", "token", "key", "credential", "akia",
          "asia", "agpa", "aida", "aroa", "anpa", "gh", "glpat-", "xox", "_live_", "_test_",
          "eyj", "aiza", "npm_", "-----begin")


def _redact_lines(lines: tuple[LogLine, ...], r: Redactor) -> tuple[LogLine, ...]:
    needles = [*_HINTS, *(k.lower() for k in r.known)]
    hint = re.compile("|".join(re.escape(n) for n in needles))
    out = []
    for line in lines:
        if hint.search(line.text.lower()):
            text = r.text(line.text)
            if text != line.text:
                line = dataclasses.replace(line, text=text)
        out.append(line)
    return tuple(out)
