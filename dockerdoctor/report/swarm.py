"""Swarm reports: one service (`doctor inspect SERVICE`) and the failing services
(`doctor ps --swarm`), as text, markdown or JSON (pure)."""

from __future__ import annotations

import json
from typing import Any

from dockerdoctor.report import json as json_report
from dockerdoctor.report import one_line
from dockerdoctor.swarm import ServiceReport, Task
from dockerdoctor.times import iso

TASK_ROWS = 12
_ICON = {"error": "✖ ERROR", "warning": "▲ WARNING", "info": "ℹ INFO"}


def verdict_line(r: ServiceReport) -> str:
    if not r.findings:
        return f"✔ OK service {r.name}: {r.running} of {r.desired or '?'} tasks running"
    f = r.findings[0]
    return f"{_ICON[f.severity.value]} service {r.name}: {f.title} [{f.id}]"


def _task_rows(tasks: tuple[Task, ...]) -> list[list[str]]:
    return [[t.id[:12], str(t.slot or "-"), one_line(t.node), t.desired, t.state,
             "" if t.exit_code is None else str(t.exit_code), one_line(t.err)[:60],
             iso(t.time) or ""] for t in tasks[:TASK_ROWS]]


_TASK_HEADERS = ["task", "slot", "node", "desired", "state", "exit", "error", "at"]


def render_text(r: ServiceReport, color: bool = False) -> str:
    from tabulate import tabulate

    from dockerdoctor.report import text as text_report

    out = [verdict_line(r), "",
           f"  service  {r.name} ({r.id[:12]})", f"  image    {r.image}",
           f"  mode     {r.mode}: {r.running} running"]
    for f in r.findings:
        out += ["", *text_report.finding_lines(f, color)]
    out += ["", f"tasks (newest first, {min(len(r.tasks), TASK_ROWS)} of {len(r.tasks)}):",
            tabulate(_task_rows(r.tasks), headers=_TASK_HEADERS, tablefmt="simple")]
    if r.note:
        out += ["", f"note: {r.note}"]
    if r.diagnosis is not None:
        out += ["", "─" * 60, "the newest failed task's container:", "",
                text_report.render(r.diagnosis, color=color).rstrip("\n")]
    return "\n".join(out) + "\n"


def render_markdown(r: ServiceReport) -> str:
    from tabulate import tabulate

    from dockerdoctor.report import markdown as md_report

    out = [f"### dockerdoctor: Swarm service `{r.name}`", "",
           f"**{md_report._cell(verdict_line(r))}**", "",
           f"Image `{r.image}`, {r.mode}, {r.running} running.", ""]
    for f in r.findings:
        out += md_report.finding_lines(f)
    out += ["#### Tasks (newest first)", "",
            tabulate(_task_rows(r.tasks), headers=_TASK_HEADERS, tablefmt="github"), ""]
    if r.note:
        out += [f"> {r.note}", ""]
    if r.diagnosis is not None:
        out += ["#### The newest failed task's container", "", md_report.render(r.diagnosis)]
    return "\n".join(out) + "\n"


def to_dict(r: ServiceReport) -> dict[str, Any]:
    return {
        "schema_version": 1, "kind": "swarm-service",
        "service": {"id": r.id, "name": r.name, "image": r.image, "mode": r.mode,
                    "running": r.running, "desired": r.desired},
        "verdict": json_report.finding_dict(r.findings[0]) if r.findings else None,
        "findings": [json_report.finding_dict(f) for f in r.findings],
        "tasks": [{"id": t.id, "slot": t.slot, "node": t.node, "desired_state": t.desired,
                   "state": t.state, "message": t.message, "error": t.err or None,
                   "exit_code": t.exit_code, "container_id": t.container_id or None,
                   "time": iso(t.time)} for t in r.tasks],
        "container": json_report.to_dict(r.diagnosis) if r.diagnosis else None,
        "note": r.note or None,
    }


def render_json(r: ServiceReport) -> str:
    return json.dumps(to_dict(r), indent=2, ensure_ascii=False) + "\n"


def render_services(reports: list[ServiceReport], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"schema_version": 1, "kind": "swarm-services", "services": [
            {k: v for k, v in to_dict(r).items() if k not in ("container", "note")}
            for r in reports]}, indent=2, ensure_ascii=False) + "\n"
    from tabulate import tabulate

    if not reports:
        return "no service with failing tasks\n"
    rows = []
    for r in reports:
        f = r.findings[0]
        rows.append([one_line(r.name), one_line(r.image)[:40],
                     f"{r.running}/{r.desired if r.desired is not None else '?'}",
                     f"{_ICON[f.severity.value].split()[0]} {f.id}", one_line(f.title)[:70]])
    return tabulate(rows, headers=["service", "image", "running", "verdict", "reason"],
                    tablefmt="github" if fmt == "markdown" else "simple") + "\n"
