"""A Compose project's report: its services' verdicts, how the failures relate, then each
container's report (text, markdown or JSON; pure)."""

from __future__ import annotations

import json
from typing import Any

from dockerdoctor.compose import Link, ProjectReport
from dockerdoctor.report import json as json_report
from dockerdoctor.report import one_line, status_line


def _rows(r: ProjectReport) -> list[list[str]]:
    rows = []
    for m in r.members:
        if m.diagnosis is None:
            rows.append([m.label, "-", "-", "? unreadable", one_line(m.error)[:70]])
            continue
        d = m.diagnosis
        v = d.verdict
        rows.append([m.label, one_line(d.snapshot.container.name), status_line(d),
                     f"{v.id}" if v else "ok", one_line(v.title)[:70] if v else ""])
    return rows


_HEADERS = ["service", "container", "status", "verdict", "reason"]


def _link_line(x: Link) -> str:
    return f"{x.source} → {x.target} ({x.kind}): {x.explanation}"


def render_text(r: ProjectReport, color: bool = False) -> str:
    from tabulate import tabulate

    from dockerdoctor.compose import verdict_line
    from dockerdoctor.report import text as text_report

    out = [verdict_line(r), "", tabulate(_rows(r), headers=_HEADERS, tablefmt="simple")]
    if r.links:
        out += ["", "how the failures relate:"]
        out += [f"  {one_line(_link_line(x))}" for x in r.links]
    for m in r.members:
        if m.diagnosis is not None:
            out += ["", "─" * 60, f"service {m.label}:", "",
                    text_report.render(m.diagnosis, color=color).rstrip("\n")]
    return "\n".join(out) + "\n"


def render_markdown(r: ProjectReport) -> str:
    from tabulate import tabulate

    from dockerdoctor.compose import verdict_line
    from dockerdoctor.report import markdown as md_report

    out = [f"### dockerdoctor: Compose project `{r.name}`", "",
           f"**{md_report._cell(verdict_line(r))}**", "",
           tabulate(_rows(r), headers=_HEADERS, tablefmt="github"), ""]
    if r.links:
        out += ["#### How the failures relate", ""]
        out += [f"- {md_report._cell(_link_line(x))}" for x in r.links]
        out.append("")
    for m in r.members:
        if m.diagnosis is not None:
            out += [f"#### Service `{m.label}`", "", md_report.render(m.diagnosis)]
    return "\n".join(out) + "\n"


def to_dict(r: ProjectReport) -> dict[str, Any]:
    from dockerdoctor.compose import verdict_line

    return {
        "schema_version": 1, "kind": "compose-project", "project": r.name,
        "summary": verdict_line(r),
        "services": [{"service": m.service, "number": m.number or None,
                      "report": json_report.to_dict(m.diagnosis) if m.diagnosis else None,
                      "error": m.error or None} for m in r.members],
        "links": [{"from": x.source, "finding": x.finding, "to": x.target, "kind": x.kind,
                   "to_verdict": x.target_verdict.id if x.target_verdict else None,
                   "explanation": x.explanation} for x in r.links],
    }


def render_json(r: ProjectReport) -> str:
    return json.dumps(to_dict(r), indent=2, ensure_ascii=False) + "\n"
