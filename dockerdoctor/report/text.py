"""The terminal report. The first line is the verdict."""

from __future__ import annotations

import textwrap

from dockerdoctor.model import Diagnosis, Finding, Forensics, Severity
from dockerdoctor.report import (
    clean,
    engine_line,
    enter_command,
    one_line,
    short_id,
    size,
    status_line,
)
from dockerdoctor.times import iso

TEXT_LOG_LINES = 20
_WIDTH = 100
_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}
_ICON = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.INFO: "ℹ"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(clean(text), width=_WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def verdict_line(d: Diagnosis, color: bool = False) -> str:
    c = d.snapshot.container
    v = d.verdict
    name = clean(c.name or short_id(c.id))
    if v is None:
        return _paint("✔ OK", "32", color) + f" {name}: no problems found ({status_line(d)})"
    label = _paint(f"{_ICON[v.severity]} {v.severity.value.upper()}", _COLOURS[v.severity], color)
    return f"{label} {name}: {clean(v.title)} [{v.id}]"


def render(d: Diagnosis, color: bool = False) -> str:
    s = d.snapshot
    c = s.container
    out = [verdict_line(d, color), ""]
    rows = [
        ("container", f"{clean(c.name)} ({short_id(c.id)})"),
        ("image", clean(c.image) + (f" ({s.image.architecture})" if s.image else "")),
        ("command", one_line(" ".join(c.argv)) or "(none)"),
        ("status", status_line(d)),
    ]
    if c.finished_at:
        rows.append(("finished", iso(c.finished_at) or ""))
    if c.error:
        rows.append(("engine error", one_line(c.error)))
    rows.append(("engine", engine_line(d)))
    width = max(len(k) for k, _ in rows)
    out += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    for f in d.findings:
        out += ["", *finding_lines(f, color)]
    if d.forensics is not None:
        out += ["", *_forensics(d.forensics)]
    out += ["", *_logs(d)]
    for note in s.notes:
        out.append(f"note: {clean(note)}")
    if not d.redacted:
        out.append(_paint("warning: secrets are NOT redacted in this report (--no-redact)",
                          "33", color))
    return "\n".join(out) + "\n"


def finding_lines(f: Finding, color: bool) -> list[str]:
    head = _paint(f"[{f.severity.value}] {f.id}", _COLOURS[f.severity], color)
    lines = [f"{head}  {clean(f.title)}", _wrap(f.explanation, "    ")]
    if f.evidence:
        lines.append("    evidence:")
        for e in f.evidence:
            lines.append(f"      {one_line(e.source)}: {one_line(e.text)[:500]}")
    lines.append(_wrap("fix: " + f.remedy, "    "))
    return lines


def _logs(d: Diagnosis) -> list[str]:
    logs = d.snapshot.logs
    if not logs.readable:
        return [f"logs: not readable ({clean(logs.error or 'unknown reason')})"]
    if not logs.lines:
        return ["logs: (empty)"]
    shown = logs.lines[-TEXT_LOG_LINES:]
    more = " (older lines exist)" if logs.truncated else ""
    header = f"last {len(shown)} of {len(logs.lines)} log lines read{more}:"
    lines = [header]
    for line in shown:
        when = iso(line.time) or ""
        lines.append(f"  {when} {line.stream:<6} | {clean(line.text)}")
    return lines


FILE_EXCERPT_LINES = 15


def _forensics(f: Forensics) -> list[str]:
    if not f.ran:
        return [f"deep forensics: {clean(f.reason)}"]
    how = {"debug-container": "a debug copy of the container",
           "archive": "the archive API (no shell in the image)"}.get(f.method, f.method)
    lines = [f"deep forensics: ran ({clean(f.reason)}), through {how}, {f.seconds:.1f}s"]
    if f.files:
        lines.append("  files read:")
        for cf in f.files:
            extra = cf.binary or cf.note or ("tail" if cf.truncated else "")
            lines.append(f"    {one_line(cf.path)}  {cf.kind}  {size(cf.size)}"
                         + (f"  ({one_line(extra)})" if extra else ""))
    else:
        lines.append("  files read: none (nothing added or changed, no shell history)")
    for cf in f.files:
        if not cf.text:
            continue
        body = cf.text.splitlines()[-FILE_EXCERPT_LINES:]
        label = "shell history" if cf.kind == "history" else "last lines of"
        lines.append(f"  {label} {one_line(cf.path)}:")
        lines.extend(f"    | {clean(x)}" for x in body)
    for name, output in f.probes:
        lines.append(f"  probe {one_line(name)}:")
        lines.extend(f"    {clean(x)}" for x in output.splitlines()[:12])
    if f.debug_image:
        lines.append(f"  debug image kept; enter it with: {enter_command(f.debug_image[7:19])}")
    for err in f.errors:
        lines.append(f"  note: {one_line(err)}")
    return lines
