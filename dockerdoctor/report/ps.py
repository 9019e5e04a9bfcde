"""`doctor ps` output: a table (text or markdown) or JSON (pure: rows -> str)."""

from __future__ import annotations

import json
from typing import Any

from dockerdoctor.report import one_line
from dockerdoctor.times import iso
from dockerdoctor.triage import Row

_ICON = {"error": "✖", "warning": "▲", "info": "ℹ"}
REASON_WIDTH = 70


def _verdict(r: Row) -> tuple[str, str]:
    if r.error and not r.id:
        return "✖ engine-unreachable", r.error
    if r.error:
        return "? unreadable", r.error
    if r.verdict is None:
        return "✔ ok", ""
    return f"{_ICON[r.verdict.severity.value]} {r.verdict.id}", r.verdict.title


def render_table(rows: list[Row], markdown: bool = False) -> str:
    from tabulate import tabulate  # slow to import: only here

    # several engines asked (triage.Rows says how many), or rows from several
    hosts = getattr(rows, "engines", 1) > 1 or len({r.host for r in rows}) > 1
    compose = any(r.project for r in rows)
    headers = (["host"] if hosts else []) + ["container"] + (
        ["project/service"] if compose else []) + ["image", "status", "verdict", "reason"]
    body = []
    for r in rows:
        verdict, reason = _verdict(r)
        reason = one_line(reason)
        if not markdown and len(reason) > REASON_WIDTH:
            reason = reason[:REASON_WIDTH - 1] + "…"
        body.append(([one_line(r.host)] if hosts else []) + [one_line(r.name) or "-"] + (
            [f"{r.project}/{r.service}" if r.project else ""] if compose else []) + [
            one_line(r.image)[:40] or "-", one_line(r.status) or "-", verdict, reason])
    if not body:
        return "no containers\n"
    table = tabulate(body, headers=headers, tablefmt="github" if markdown else "simple")
    counts = _counts(rows)
    return table + "\n\n" + counts + "\n"


def _counts(rows: list[Row]) -> str:
    n = {k: 0 for k in ("error", "warning", "info", "ok")}
    for r in rows:
        if r.id:
            n[r.verdict.severity.value if r.verdict else "ok"] += 1
    unreachable = sum(1 for r in rows if r.error and not r.id)
    out = f"{sum(1 for r in rows if r.id)} containers: " + ", ".join(
        f"{v} {k}" for k, v in n.items())
    return out + (f"; {unreachable} engine(s) did not answer" if unreachable else "")


def to_list(rows: list[Row]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        out.append({
            "host": r.host, "id": r.id or None, "name": r.name or None,
            "image": r.image or None, "state": r.state or None, "status": r.status or None,
            "project": r.project or None, "service": r.service or None,
            "last_seen": iso(r.last_seen),
            "verdict": None if r.verdict is None else {
                "id": r.verdict.id, "severity": r.verdict.severity.value,
                "title": r.verdict.title},
            "error": r.error or None,
        })
    return out


def render_json(rows: list[Row]) -> str:
    return json.dumps({"schema_version": 1, "kind": "ps", "containers": to_list(rows)},
                      indent=2, ensure_ascii=False) + "\n"
