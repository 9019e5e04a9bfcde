"""Audit one image: read it, scan its layers, apply the rules, redact."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from dockerdoctor.audit.rules import Facts, audit_findings, clip_source, layers_of, redactor
from dockerdoctor.engine import EngineClient
from dockerdoctor.errors import EngineError, NotFound
from dockerdoctor.model import Evidence, Finding, ImageAudit
from dockerdoctor.times import parse_docker_time


def audit(client: EngineClient, ref: str, files: bool = True, redact: bool = True,
          progress: Callable[[str], None] | None = None) -> ImageAudit:
    """Audit the image `ref` (a name, name:tag, name@digest or id)."""
    from dockerdoctor.audit.scan import read_export

    started = time.monotonic()
    inspect = client.image(ref)
    if inspect is None:
        raise NotFound(f"no such image: {ref} (`docker images` lists them)")
    history = client.history(inspect["Id"])
    export = None
    notes: list[str] = []
    if files:
        if progress:
            progress(f"reading the layers of {ref} ({_mb(inspect.get('Size'))})")
        try:
            export = client.save(inspect["Id"], read_export)
        except (ValueError, EngineError) as e:
            notes.append(f"the layers could not be read ({e}): config and history only")
    facts = Facts(ref=ref, inspect=inspect, history=history, export=export)
    layers = layers_of(facts)
    findings = audit_findings(facts, layers)
    if redact:
        r = redactor(facts, layers)
        findings = tuple(_redact_finding(f, r.text) for f in findings)
        layers = tuple(dataclasses.replace(x, instruction=r.text(x.instruction))
                       for x in layers)
    # instructions are shortened only now: a secret cut in two before redaction is no
    # longer the value the redactor knows, and its first half would be printed
    findings = tuple(dataclasses.replace(f, evidence=tuple(
        Evidence(clip_source(e.source), e.text) for e in f.evidence)) for f in findings)
    return ImageAudit(
        ref=ref, id=inspect["Id"], tags=tuple(inspect.get("RepoTags") or ()),
        digests=tuple(inspect.get("RepoDigests") or ()),
        architecture=inspect.get("Architecture") or "", os=inspect.get("Os") or "",
        size=int(inspect.get("Size") or 0), created=parse_docker_time(inspect.get("Created")),
        layers=layers, findings=findings, files_scanned=export is not None,
        scanned_files=export.files if export else 0,
        scanned_bytes=export.bytes if export else 0,
        seconds=time.monotonic() - started, redacted=redact, notes=tuple(notes),
    )


def _redact_finding(f: Finding, text: Callable[[str], str]) -> Finding:
    """The evidence quotes the image; explanations and fixes are dockerdoctor's own."""
    return dataclasses.replace(
        f, evidence=tuple(Evidence(text(e.source), text(e.text)) for e in f.evidence))


def _mb(n: Any) -> str:
    return f"{int(n or 0) / (1 << 20):.0f} MB"


