"""`doctor ps`: one verdict per container, for every container of one or more engines.

Reads only what a verdict needs: one list request per engine; a running container that
is not unhealthy is fine as listed; every other one gets its inspect payload and a short
log tail, read concurrently with a bounded number of workers, and the same checks as
`doctor inspect` (no events, no image, no diff, no exec probe, never deep forensics).
A container removed while the scan runs is skipped; an engine that does not answer is
one row of the table, not the end of the scan.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dockerdoctor import snapshot
from dockerdoctor.checks import run_checks
from dockerdoctor.engine import EngineClient, LogOptions
from dockerdoctor.errors import DoctorError, NotFound
from dockerdoctor.model import Finding
from dockerdoctor.times import iso

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
LOG_TAIL = 50  # enough for the checks' signatures; `doctor inspect` reads 500


@dataclass(frozen=True)
class Row:
    host: str
    id: str
    name: str
    image: str
    state: str  # running, exited, created, restarting, paused, dead; "" for an engine error
    status: str  # the engine's words: "Exited (1) 3 minutes ago"
    project: str = ""
    service: str = ""
    verdict: Finding | None = None
    last_seen: datetime | None = None  # created, started or finished: the latest
    error: str = ""  # the engine did not answer, or this container could not be read

    @property
    def rank(self) -> int:
        if self.error and not self.id:
            return 4  # a whole engine missing: above everything
        return self.verdict.severity.rank if self.verdict else 0


@dataclass(frozen=True)
class Query:
    filters: dict[str, list[str]]  # the engine's own list filters (label, status, name, ...)
    since: datetime | None = None  # created, started or finished since
    jobs: int = 8


def scan(connect: Callable[[], EngineClient], host: str, query: Query,
         tolerant: bool = True) -> list[Row]:
    """Every container of one engine with its verdict. An engine that does not answer is
    one row when `tolerant` (several engines), else its error is raised."""
    try:
        client = connect()
        host = host or client.where  # the engine it talked to (DOCKER_HOST, a context)
        listed = client.list_containers(all=True, filters=query.filters or None)
        info, version = client.info(), client.version()
    except DoctorError as e:
        if not tolerant:
            raise
        return [Row(host=host or "default", id="", name="", image="", state="", status="",
                    error=e.message)]
    with ThreadPoolExecutor(max_workers=max(1, query.jobs)) as pool:
        rows = [r for r in pool.map(lambda c: _row(client, host, c, info, version), listed)
                if r is not None]
    since = query.since
    if since is not None:
        rows = [r for r in rows if r.error or (r.last_seen is not None and r.last_seen >= since)]
    return rows


class Rows(list[Row]):
    """The rows of a scan, and how many engines it asked: with several, the table has a
    HOST column even when all the rows come from one of them."""

    engines: int = 1


def scan_hosts(hosts: list[str | None], connect: Callable[[str | None], EngineClient],
               query: Query) -> Rows:
    """Several engines side by side (one given twice is scanned once); the rows sorted
    most severe first."""
    hosts = list(dict.fromkeys(hosts))
    tolerant = len(hosts) > 1
    with ThreadPoolExecutor(max_workers=max(1, min(len(hosts), 8))) as pool:
        results = list(pool.map(
            lambda h: scan(lambda: connect(h), _host_label(h), query, tolerant), hosts))
    rows = Rows(r for rs in results for r in rs)
    rows.sort(key=lambda r: (-r.rank, _state_order(r.state), r.host, r.name))
    rows.engines = len(hosts)
    return rows


def _host_label(host: str | None) -> str:
    return host or ""  # filled in from the client once connected


def _created(c: dict[str, Any]) -> datetime | None:
    ts = c.get("Created")
    return datetime.fromtimestamp(ts, tz=UTC) if isinstance(ts, (int, float)) else None


def _needs_read(c: dict[str, Any]) -> bool:
    """Whether the list entry alone cannot vouch for the container."""
    state = (c.get("State") or "").lower()
    status = c.get("Status") or ""
    return state != "running" or "unhealthy" in status or "Restarting" in status


def _row(client: EngineClient, host: str, c: dict[str, Any], info: dict[str, Any],
         version: dict[str, Any]) -> Row | None:
    labels = c.get("Labels") or {}
    base = dict(
        host=host, id=c["Id"], name=((c.get("Names") or ["/?"])[0]).lstrip("/"),
        image=c.get("Image") or "", state=(c.get("State") or "").lower(),
        status=c.get("Status") or "", project=labels.get(PROJECT_LABEL, ""),
        service=labels.get(SERVICE_LABEL, ""),
    )
    if not _needs_read(c):
        return Row(**base, last_seen=_created(c))
    try:
        inspect = client.inspect(c["Id"])
        tty = bool((inspect.get("Config") or {}).get("Tty"))
        try:
            logs = client.logs(c["Id"], tty, LogOptions(tail=LOG_TAIL)) \
                if _logs_matter(inspect) else {"lines": [], "readable": False,
                                                "truncated": False, "tail": 0,
                                                "error": "not read (a clean exit)"}
        except NotFound:
            return None
        except DoctorError as e:
            logs = {"lines": [], "readable": False, "truncated": False, "tail": LOG_TAIL,
                    "error": e.message}
    except NotFound:
        return None  # removed while we looked: not this scan's business
    except DoctorError as e:
        return Row(**base, error=e.message)
    raw = {"inspect": inspect, "logs": logs, "info": info, "version": version,
           "taken_at": iso(datetime.now(UTC))}
    s = snapshot.build(raw)
    findings = run_checks(s)
    st = s.container
    seen = max((t for t in (st.finished_at, st.started_at, _created(c)) if t), default=None)
    return Row(**{**base, "state": st.status or base["state"]},
               verdict=findings[0] if findings else None, last_seen=seen)


def _logs_matter(inspect: dict[str, Any]) -> bool:
    """A batch job that exited 0 needs no logs for its verdict: only a crash, or a service
    that exited (restart policy, ports, health check) is explained from them."""
    st = inspect.get("State") or {}
    cfg = inspect.get("Config") or {}
    host = inspect.get("HostConfig") or {}
    if st.get("Status") != "exited" or st.get("ExitCode") != 0 or st.get("OOMKilled"):
        return True
    policy = (host.get("RestartPolicy") or {}).get("Name") or "no"
    return bool(policy != "no" or cfg.get("ExposedPorts") or host.get("PortBindings")
                or cfg.get("Healthcheck"))


_STATES = ("dead", "restarting", "exited", "created", "paused", "running", "")


def _state_order(state: str) -> int:
    return _STATES.index(state) if state in _STATES else len(_STATES)
