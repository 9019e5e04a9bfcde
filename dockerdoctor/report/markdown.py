"""Markdown for pasting into a GitHub/GitLab issue: summary table, findings with
evidence, the log tail folded in <details>."""

from __future__ import annotations

import re

from tabulate import tabulate

from dockerdoctor import __version__
from dockerdoctor.model import Diagnosis, Finding, Forensics
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

MARKDOWN_LOG_LINES = 200


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")
_MD_PROSE = re.compile(r"([*_\[\]|#])")


def _cell(text: str) -> str:
    """Prose in markdown: no HTML, no accidental emphasis, links or table breaks."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _prose(text: str) -> str:
    """Our own explanations: like _cell, but `code` spans stay code."""
    parts = re.split(r"(`[^`]+`)", one_line(text))
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)  # a code span: shown literally by markdown already
        else:
            part = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out.append(_MD_PROSE.sub(r"\\\1", part))
    return "".join(out)


def _inline(text: str) -> str:
    text = one_line(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _block(lines: list[str]) -> str:
    body = "\n".join(lines)
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def render(d: Diagnosis, bundle: list[str] | None = None) -> str:
    s = d.snapshot
    c = s.container
    v = d.verdict
    title = (f"**{v.severity.value.upper()}** `{v.id}`: {_cell(v.title)}" if v
             else "**OK**: no problems found")
    out = [f"### dockerdoctor: {_cell(c.name or short_id(c.id))}", "", title, ""]
    rows = [
        ["Container", f"{_cell(c.name)} (`{short_id(c.id)}`)"],
        ["Image", _cell(c.image) + (f" ({s.image.architecture})" if s.image else "")],
        ["Command", _inline(" ".join(c.argv)) if c.argv else "(none)"],
        ["Status", _cell(status_line(d))],
        ["Exit code", str(c.exit_code)],
        ["OOM killed", "yes" if c.oom_killed else "no"],
        ["Restarts", str(c.restart_count)],
    ]
    if c.error:
        rows.append(["Engine error", _inline(c.error)])
    rows.append(["Engine", _cell(engine_line(d))])
    out.append(tabulate(rows, headers=["", ""], tablefmt="github"))
    out.append("")
    if d.findings:
        out.append("| Severity | Finding | Summary |")
        out.append("|---|---|---|")
        for f in d.findings:
            out.append(f"| {f.severity.value} | `{f.id}` | {_cell(f.title)} |")
        out.append("")
        for f in d.findings:
            out += finding_lines(f)
    if d.forensics is not None:
        out += _forensics(d.forensics)
    out += _logs(d)
    for note in s.notes:
        out.append(f"> note: {_cell(note)}")
    if bundle:
        out += ["", "The attached bundle holds: " + ", ".join(f"`{n}`" for n in bundle)
                + " (each file's size and sha256 are in `manifest.json`; files that did not "
                "fit the size cap are listed there as left out)."]
    footer = f"<sub>Report by dockerdoctor {__version__}"
    footer += "; secrets redacted.</sub>" if d.redacted else "; secrets NOT redacted.</sub>"
    out += ["", footer]
    return "\n".join(out) + "\n"


def finding_lines(f: Finding) -> list[str]:
    lines = [f"#### `{f.id}` ({f.severity.value}): {_cell(f.title)}", "", _prose(f.explanation), ""]
    if f.evidence:
        lines.append("Evidence:")
        lines.append("")
        for e in f.evidence:
            lines.append(f"- {_cell(e.source)}: {_inline(e.text[:500])}")
        lines.append("")
    lines += [f"**Fix:** {_prose(f.remedy)}", ""]
    return lines


def _logs(d: Diagnosis) -> list[str]:
    logs = d.snapshot.logs
    if not logs.readable:
        return [f"Logs: not readable ({_cell(logs.error or 'unknown reason')})", ""]
    if not logs.lines:
        return ["Logs: (empty)", ""]
    shown = logs.lines[-MARKDOWN_LOG_LINES:]
    more = ", older lines exist" if logs.truncated else ""
    body = [f"{iso(x.time) or ''} {x.stream:<6} | {clean(x.text)}" for x in shown]
    return ["<details>",
            f"<summary>Last {len(shown)} log lines ({len(logs.lines)} read{more})</summary>",
            "", _block(body), "", "</details>", ""]


def _forensics(f: Forensics) -> list[str]:
    if not f.ran:
        return [f"Deep forensics: {_cell(f.reason)}", ""]
    how = {"debug-container": "a debug copy of the container (committed, run isolated, "
                              "removed)",
           "archive": "the archive API (the image has no shell)"}.get(f.method, f.method)
    out = ["#### Deep forensics", "",
           f"Ran because {_cell(f.reason)}, through {_cell(how)}, in {f.seconds:.1f}s.", ""]
    if f.files:
        out += ["| File | Kind | Size | Note |", "|---|---|---|---|"]
        for cf in f.files:
            note = cf.binary or cf.note or ("tail only" if cf.truncated else "")
            out.append(f"| {_inline(cf.path)} | {cf.kind} | {size(cf.size)} | {_cell(note)} |")
        out.append("")
    for cf in f.files:
        if not cf.text:
            continue
        body = [clean(x) for x in cf.text.splitlines()[-MARKDOWN_LOG_LINES:]]
        label = "Shell history" if cf.kind == "history" else "Last lines of"
        out += ["<details>", f"<summary>{label} {_cell(cf.path)}</summary>", "",
                _block(body), "", "</details>", ""]
    if f.probes:
        body = []
        for name, output in f.probes:
            body.append(f"## {clean(name)}")
            body.extend(clean(x) for x in output.splitlines())
        out += ["<details>", "<summary>Probes in the debug container</summary>", "",
                _block(body), "", "</details>", ""]
    if f.debug_image:
        out += [f"Debug image kept: {_inline(enter_command(f.debug_image[7:19]))}", ""]
    for err in f.errors:
        out.append(f"> note: {_cell(err)}")
    if f.errors:
        out.append("")
    return out
