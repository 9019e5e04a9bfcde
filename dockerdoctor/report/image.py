"""`doctor image` reports: text, markdown and JSON (pure: ImageAudit -> str).

Findings are drawn by the same functions as `doctor inspect`'s reports (imported by the
renderer that needs them: markdown's tabulate is slow to import).
"""

from __future__ import annotations

import json
from typing import Any

from dockerdoctor.model import ImageAudit, Severity
from dockerdoctor.report import clean, one_line, size
from dockerdoctor.report import json as json_report
from dockerdoctor.times import iso

SCHEMA_VERSION = 1
TEXT_LAYERS = 12  # the biggest layers shown in text (JSON has them all)


def _name(a: ImageAudit) -> str:
    return a.ref if a.ref else a.id[7:19]


def _scan_line(a: ImageAudit) -> str:
    if not a.files_scanned:
        return "config and history only (--no-files)" if not a.notes else \
            "config and history only (the layers could not be read)"
    return (f"{a.scanned_files} files, {size(a.scanned_bytes)} in {len(a.layers)} steps "
            f"read in {a.seconds:.1f}s")


def verdict_line(a: ImageAudit, color: bool = False) -> str:
    if not a.findings:
        return f"✔ OK {clean(_name(a))}: nothing to report"
    worst = a.findings[0]
    counts = {s: sum(1 for f in a.findings if f.severity == s)
              for s in (Severity.ERROR, Severity.WARNING)}
    summary = ", ".join(f"{n} {s.value}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
    icon = {"error": "✖ ERROR", "warning": "▲ WARNING", "info": "ℹ INFO"}[worst.severity.value]
    code = {"error": "31", "warning": "33", "info": "36"}[worst.severity.value]
    label = f"\x1b[{code}m{icon}\x1b[0m" if color else icon
    return (f"{label} {clean(_name(a))}: {clean(worst.title)} [{worst.id}]"
            + (f" ({summary})" if summary else ""))


def render_text(a: ImageAudit, color: bool = False) -> str:
    from dockerdoctor.report import text as text_report
    out = [verdict_line(a, color), ""]
    rows = [
        ("image", f"{clean(_name(a))} ({a.id[7:19]})"),
        ("tags", ", ".join(clean(t) for t in a.tags) or "(none)"),
        ("digest", ", ".join(clean(d) for d in a.digests) or "(none: built or loaded here)"),
        ("platform", f"{a.os}/{a.architecture}"),
        ("size", size(a.size)),
        ("created", iso(a.created) or "unknown"),
        ("scanned", _scan_line(a)),
    ]
    width = max(len(k) for k, _ in rows)
    out += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    for f in a.findings:
        out += ["", *text_report.finding_lines(f, color)]
    out += ["", "layers (oldest first; size, instruction):"]
    for x in a.layers:
        where = f"{x.index:>3}" if x.index else "   "
        out.append(f"  {where} {size(x.size):>9}  {one_line(x.instruction)[:120]}")
    for note in a.notes:
        out.append(f"note: {clean(note)}")
    if not a.redacted:
        out.append("warning: secrets are NOT redacted in this report (--no-redact)")
    return "\n".join(out) + "\n"


def render_markdown(a: ImageAudit) -> str:
    from dockerdoctor.report import markdown as md_report  # tabulate: slow to import
    out = [f"### dockerdoctor image audit: `{_name(a)}`", "",
           f"**{md_report._cell(verdict_line(a))}**", "",
           "| | |", "|---|---|",
           f"| image | `{_name(a)}` (`{a.id[7:19]}`) |",
           f"| tags | {md_report._cell(', '.join(a.tags) or '(none)')} |",
           f"| platform | {a.os}/{a.architecture} |",
           f"| size | {size(a.size)} |",
           f"| scanned | {md_report._cell(_scan_line(a))} |", ""]
    for f in a.findings:
        out += md_report.finding_lines(f)
    out += ["<details><summary>Layers (oldest first)</summary>", "", "| # | size | instruction |",
            "|---|---|---|"]
    for x in a.layers:
        out.append(f"| {x.index or ''} | {size(x.size)} | "
                   f"{md_report._cell(one_line(x.instruction)[:200])} |")
    out += ["", "</details>", ""]
    if not a.redacted:
        out.append("> **Warning:** secrets are not redacted in this report.")
    return "\n".join(out) + "\n"


def to_dict(a: ImageAudit) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "image-audit",
        "image": {"ref": a.ref, "id": a.id, "tags": list(a.tags), "digests": list(a.digests),
                  "os": a.os, "architecture": a.architecture, "size": a.size,
                  "created": iso(a.created)},
        "verdict": json_report.finding_dict(a.findings[0]) if a.findings else None,
        "findings": [json_report.finding_dict(f) for f in a.findings],
        "layers": [{"step": x.step, "index": x.index, "size": x.size, "empty": x.empty,
                    "instruction": x.instruction} for x in a.layers],
        "scan": {"files_scanned": a.files_scanned, "files": a.scanned_files,
                 "bytes": a.scanned_bytes, "seconds": round(a.seconds, 3)},
        "redacted": a.redacted,
        "notes": list(a.notes),
    }


def render_json(a: ImageAudit) -> str:
    return json.dumps(to_dict(a), indent=2, ensure_ascii=False) + "\n"
