"""Compose projects: every service diagnosed in one report, and how the failures relate.

Containers are grouped by the labels `docker compose` puts on them
(`com.docker.compose.project`, `.service`, `.container-number`). After each container is
diagnosed like `doctor inspect`, a service that could not reach another one (a
`dns-failure` or `connection-refused` naming it) is linked to it when that one crashed
first, or when it only started after the attempt (a start-order race). `relate()` is
pure; `report()` reads through EngineClient.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dockerdoctor.engine import EngineClient
from dockerdoctor.errors import DoctorError, NotFound
from dockerdoctor.model import Diagnosis, Finding
from dockerdoctor.times import format_duration, iso

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
_REACH = ("dns-failure", "connection-refused")
_SLACK_SECONDS = 2.0  # clocks of log lines and state times differ by a little


@dataclass(frozen=True)
class Member:
    service: str
    number: str
    diagnosis: Diagnosis | None
    error: str = ""  # could not be diagnosed (removed meanwhile, ...)

    @property
    def label(self) -> str:
        return self.service + (f"-{self.number}" if self.number not in ("", "1") else "")


@dataclass(frozen=True)
class Link:
    source: str  # the service that could not reach
    finding: str  # dns-failure or connection-refused
    target: str  # the service it was trying to reach
    kind: str  # "crashed-first", "started-later" or "not-listening"
    explanation: str
    target_verdict: Finding | None = None


@dataclass(frozen=True)
class ProjectReport:
    name: str
    members: tuple[Member, ...]  # most severe first
    links: tuple[Link, ...]


def report(client: EngineClient, project: str,
           diagnose: Callable[[str], Diagnosis]) -> ProjectReport:
    listed = client.list_containers(all=True, filters={"label": [f"{PROJECT}={project}"]})
    if not listed:
        raise NotFound(f"no containers of Compose project {project!r} (label {PROJECT})")
    members = []
    for c in listed:
        labels = c.get("Labels") or {}
        service = labels.get(SERVICE) or ((c.get("Names") or ["?"])[0]).lstrip("/")
        try:
            d = diagnose(c["Id"])
            members.append(Member(service, labels.get(NUMBER, ""), d))
        except NotFound:
            continue  # removed while we looked
        except DoctorError as e:
            members.append(Member(service, labels.get(NUMBER, ""), None, e.message))
    members.sort(key=lambda m: (-(m.diagnosis.findings[0].severity.rank
                                  if m.diagnosis and m.diagnosis.findings else 0), m.label))
    return ProjectReport(project, tuple(members), relate(members))


def relate(members: list[Member] | tuple[Member, ...]) -> tuple[Link, ...]:
    """Which failure follows which (pure)."""
    links = []
    diagnosed = [m for m in members if m.diagnosis is not None]
    for a in diagnosed:
        assert a.diagnosis is not None
        for f in a.diagnosis.findings:
            if f.id not in _REACH:
                continue
            # the name it tried is in the error, or in what it printed just before (a
            # Python traceback names the host in the code line, not in the error line)
            text = " ".join([f.title, *(e.text for e in f.evidence),
                             *(x.text for x in a.diagnosis.snapshot.logs.lines[-30:])])
            tried = _attempt_time(a.diagnosis)
            for b in diagnosed:
                if b.service == a.service or not _names(b, text):
                    continue
                link = _link(a, f, b, tried)
                if link is not None and link not in links:
                    links.append(link)
    return tuple(links)


def _names(b: Member, text: str) -> bool:
    assert b.diagnosis is not None
    names = {b.service, b.diagnosis.snapshot.container.name}
    return any(n and re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w-])", text) for n in names)


def _attempt_time(d: Diagnosis) -> datetime | None:
    c = d.snapshot.container
    return c.finished_at or d.snapshot.taken_at


def _link(a: Member, f: Finding, b: Member, tried: datetime | None) -> Link | None:
    assert b.diagnosis is not None
    bc = b.diagnosis.snapshot.container
    verdict = b.diagnosis.findings[0] if b.diagnosis.findings else None
    failed = verdict is not None and verdict.severity.value == "error"
    if failed and bc.finished_at and tried and \
            (bc.finished_at - tried).total_seconds() <= _SLACK_SECONDS:
        earlier = max(0.0, (tried - bc.finished_at).total_seconds())
        return Link(a.service, f.id, b.service, "crashed-first",
                    f"{a.service} could not reach {b.service} ({f.id}): {b.service} had "
                    f"crashed {format_duration(earlier)} earlier, at {iso(bc.finished_at)} "
                    f"({verdict.id if verdict else '?'}: {verdict.title if verdict else ''}). "
                    f"Fix {b.service} first; {a.service} follows.", verdict)
    ac = a.diagnosis.snapshot.container if a.diagnosis else None
    if bc.running and bc.started_at and ac and ac.started_at and \
            bc.started_at > ac.started_at:
        return Link(a.service, f.id, b.service, "started-later",
                    f"{a.service} started at {iso(ac.started_at)} and tried to reach "
                    f"{b.service}, which only started at {iso(bc.started_at)}: a start-order "
                    f"race. Give {b.service} a healthcheck and {a.service} `depends_on: "
                    f"{b.service}: condition: service_healthy`, or retry the connection.",
                    verdict)
    if bc.running and f.id == "connection-refused":
        return Link(a.service, f.id, b.service, "not-listening",
                    f"{b.service} is running (since {iso(bc.started_at)}) but refused the "
                    f"connection: it does not listen on that port, or only on 127.0.0.1 "
                    f"inside its container, or was not ready yet.", verdict)
    return None


def verdict_line(r: ProjectReport) -> str:
    failed = [m for m in r.members if m.diagnosis and m.diagnosis.findings
              and m.diagnosis.findings[0].severity.value == "error"]
    if not failed:
        return f"✔ OK project {r.name}: {len(r.members)} containers, none failed"
    head = f"✖ ERROR project {r.name}: {len(failed)} of {len(r.members)} containers failed"
    roots = [x for x in r.links if x.kind == "crashed-first"]
    if roots:
        x = roots[0]
        v = x.target_verdict
        head += f"; {x.source}'s {x.finding} follows {x.target}'s crash" + (
            f" ({v.id})" if v else "")
    elif r.links:
        x = r.links[0]
        head += f"; {x.source} tried {x.target} before it started"
    return head
