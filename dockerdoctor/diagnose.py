"""Orchestration: reference -> engine payloads -> Snapshot -> checks -> Diagnosis.

The only place that decides what to read. It reads; it never starts, stops, pauses or
changes the container it diagnoses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dockerdoctor import engine as eng
from dockerdoctor import forensics, probe, snapshot
from dockerdoctor.audit.relevant import facts_for as image_facts
from dockerdoctor.checks import run_checks
from dockerdoctor.checks.execfail import exec_failure_texts, wants_probe
from dockerdoctor.errors import DoctorError, NotFound
from dockerdoctor.model import Diagnosis, Forensics, Snapshot
from dockerdoctor.redact import redact_diagnosis
from dockerdoctor.times import parse_docker_time


def read(client: eng.EngineClient, ref: str, options: eng.LogOptions) -> dict[str, Any]:
    """Every payload for one container, including the exec probe when it is wanted."""
    return _read(client, ref, options)[0]


def _read(client: eng.EngineClient, ref: str, options: eng.LogOptions
          ) -> tuple[dict[str, Any], Snapshot]:
    """The payloads and the snapshot built from them (built again only if probed)."""
    raw = eng.collect(client, ref, options)
    snap = snapshot.build(raw)
    if wants_probe(snap):
        raw["exec_probe"] = _probe(client, snap)
        snap = snapshot.build(raw)
    return raw, snap


def _probe(client: eng.EngineClient, snap: Snapshot) -> dict[str, Any] | None:
    cid = snap.container.id
    target = probe.target_from_texts(exec_failure_texts(snap))
    try:
        result = probe.probe(
            snap.container,
            target,
            stat=lambda path: client.stat(cid, path),
            head=lambda path, n: client.read_head(cid, path, n),
        )
    except DoctorError:
        return None  # the probe refines a verdict; failing to read is not fatal
    return dataclasses.asdict(result)


def diagnose_snapshot(snap: Snapshot, redact: bool = True) -> Diagnosis:
    findings = run_checks(snap)
    findings = (*findings, *image_facts(snap, findings, None))
    d = Diagnosis(snapshot=snap, findings=findings, redacted=False)
    return redact_diagnosis(d) if redact else d


def diagnose(
    client: eng.EngineClient,
    ref: str,
    options: eng.LogOptions,
    redact: bool = True,
    deep: forensics.DeepOptions | None = None,
    progress: Any = None,
) -> tuple[Diagnosis, dict[str, Any]]:
    """Read, check, and (when the logs do not explain the failure) look inside."""
    deep = deep or forensics.DeepOptions()
    raw, snap = _read(client, ref, options)
    findings = run_checks(snap)
    wanted, reason = forensics.decide(snap, findings, deep.mode)
    found = Forensics(ran=False, reason=reason)
    if wanted:
        found = forensics.run(client, snap, findings, reason, deep, progress)
        extra = forensics.lines_of(found)
        if extra:
            # the files' lines go through the same checks as the logs; the report keeps
            # showing the container's own logs
            combined = dataclasses.replace(
                snap, logs=dataclasses.replace(snap.logs, lines=(*extra, *snap.logs.lines)))
            before = {f.id: f for f in findings}
            findings = run_checks(combined)
            if "logs-empty" in before and "logs-empty" not in {f.id for f in findings}:
                findings = (*findings, before["logs-empty"])
    # the image facts that change how to read this failure (not the whole audit)
    findings = (*findings, *image_facts(snap, findings, found))
    d = Diagnosis(snapshot=snap, findings=findings, redacted=False, forensics=found)
    return (redact_diagnosis(d) if redact else d), raw


def most_recent_failure(client: eng.EngineClient) -> str:
    """The container that failed most recently: exited non-zero, restarting, dead, or
    created with a start error. Used when `doctor inspect` gets no id."""
    candidates = []
    for c in client.list_containers(all=True):
        state = (c.get("State") or "").lower()
        status = c.get("Status") or ""
        if state in ("restarting", "dead"):
            candidates.append(c["Id"])
        elif state == "exited" and not status.startswith("Exited (0)"):
            candidates.append(c["Id"])
        elif state == "created":
            candidates.append(c["Id"])
        elif "unhealthy" in status:
            candidates.append(c["Id"])
    best, best_time = None, None
    for cid in candidates[:50]:
        try:
            d = client.inspect(cid)
        except NotFound:
            continue  # removed while we looked
        st = d.get("State") or {}
        if st.get("Status") == "created" and not st.get("Error"):
            continue
        when = (parse_docker_time(st.get("FinishedAt")) or parse_docker_time(st.get("StartedAt"))
                or parse_docker_time(d.get("Created")))
        if when and (best_time is None or when > best_time):
            best, best_time = cid, when
    if best is None:
        raise NotFound("no failed container found: name one (`doctor inspect ID`); "
                       "`docker ps -a` lists them")
    return best
