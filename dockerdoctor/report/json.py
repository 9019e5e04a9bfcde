"""Versioned JSON: the public contract. Keys on finding ids; see the README's schema."""

from __future__ import annotations

import json
from typing import Any

from dockerdoctor import __version__
from dockerdoctor.model import Diagnosis, Finding, Forensics
from dockerdoctor.times import iso

SCHEMA_VERSION = 1


def to_dict(d: Diagnosis) -> dict[str, Any]:
    s = d.snapshot
    c = s.container
    e = s.engine
    v = d.verdict
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dockerdoctor", "version": __version__},
        "redacted": d.redacted,
        "verdict": {"id": v.id, "severity": v.severity.value, "title": v.title} if v else None,
        "container": {
            "id": c.id,
            "name": c.name,
            "image": c.image,
            "image_id": c.image_id,
            "status": c.status,
            "exit_code": c.exit_code,
            "oom_killed": c.oom_killed,
            "error": c.error or None,
            "started_at": iso(c.started_at),
            "finished_at": iso(c.finished_at),
            "runtime_seconds": c.runtime_seconds,
            "restart_count": c.restart_count,
            "health": {"status": c.health.status, "failing_streak": c.health.failing_streak}
            if c.health else None,
            "command": list(c.argv),
            "user": c.user or None,
            "restart_policy": c.restart_policy or None,
            "memory_limit": c.memory_limit or None,
            "log_driver": c.log_driver or None,
        },
        "engine": {
            "product": e.product,
            "server_version": e.server_version,
            "api_version": e.api_version,
            "os": e.os,
            "kernel": e.kernel,
            "architecture": e.architecture,
            "storage_driver": e.storage_driver,
            "cgroup_version": e.cgroup_version,
            "cgroup_driver": e.cgroup_driver,
            "logging_driver": e.logging_driver,
        },
        "findings": [finding_dict(f) for f in d.findings],
        "logs": {
            "readable": s.logs.readable,
            "error": s.logs.error,
            "truncated": s.logs.truncated,
            "tail": [
                {"stream": x.stream, "time": iso(x.time), "text": x.text} for x in s.logs.lines
            ],
        },
        "notes": list(s.notes),
        "forensics": _forensics(d.forensics) if d.forensics is not None else None,
    }


def _forensics(f: Forensics) -> dict[str, Any]:
    return {
        "ran": f.ran,
        "reason": f.reason,
        "method": f.method or None,
        "seconds": round(f.seconds, 3),
        "files": [
            {"path": cf.path, "kind": cf.kind, "size": cf.size, "truncated": cf.truncated,
             "text": cf.text, "binary": cf.binary, "note": cf.note or None}
            for cf in f.files
        ],
        "probes": {name: output for name, output in f.probes},
        "debug_image": f.debug_image or None,
        "errors": list(f.errors),
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "severity": f.severity.value,
        "title": f.title,
        "evidence": [{"source": e.source, "text": e.text} for e in f.evidence],
        "explanation": f.explanation,
        "remedy": f.remedy,
    }


def render(d: Diagnosis) -> str:
    return json.dumps(to_dict(d), indent=2, ensure_ascii=False) + "\n"


def render_many(ds: list[Diagnosis]) -> str:
    return json.dumps([to_dict(d) for d in ds], indent=2, ensure_ascii=False) + "\n"
