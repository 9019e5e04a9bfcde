"""Swarm services: the task history, the pattern in it, and the failed task's container.

`doctor inspect SERVICE` on a manager: every task the swarm still remembers (state,
desired state, Status.Err, exit code, node, time), what the tasks have in common (every
task fails the same way, only on one node, rejected for resources or a missing image),
and, when the newest failed task's container is on this node, its full diagnosis.
`doctor ps --swarm` lists the services with failing tasks. Pure but for `report()` and
`failing_services()`, which read through EngineClient.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dockerdoctor.engine import EngineClient
from dockerdoctor.errors import DoctorError
from dockerdoctor.model import Diagnosis, Evidence, Finding, Severity
from dockerdoctor.times import parse_docker_time

SWARM_CATALOGUE: dict[str, tuple[Severity, str]] = {
    "swarm-image-missing": (Severity.ERROR, "tasks rejected: the node cannot find or pull the "
                            "image"),
    "swarm-no-resources": (Severity.ERROR, "tasks pending: no node has the resources or "
                           "matches the constraints"),
    "swarm-tasks-failing": (Severity.ERROR, "every recent task failed the same way (exit "
                            "code, error)"),
    "swarm-node-specific": (Severity.ERROR, "tasks fail on one node and run on others"),
    "swarm-rejected": (Severity.ERROR, "tasks rejected by the node for another reason (mount, "
                       "network, secret)"),
    "swarm-converging": (Severity.INFO, "fewer tasks running than desired, none failed yet"),
}
_RANK = {fid: i for i, fid in enumerate(SWARM_CATALOGUE)}
_FAILED = {"failed", "rejected"}
_IMAGE = re.compile(r"No such image|pull access denied|manifest unknown|not found: "
                    r"manifest|repository does not exist|image .* not found", re.IGNORECASE)
_RESOURCES = re.compile(r"no suitable node|insufficient resources|constraint", re.IGNORECASE)


@dataclass(frozen=True)
class Task:
    id: str
    slot: int | None
    node: str  # hostname, or the node id when unknown
    node_id: str
    state: str  # new, pending, assigned, accepted, preparing, starting, running, complete,
    # shutdown, failed, rejected, orphaned, remove
    desired: str
    message: str
    err: str
    exit_code: int | None
    container_id: str
    time: datetime | None


@dataclass(frozen=True)
class ServiceReport:
    id: str
    name: str
    image: str
    mode: str  # "replicated 3", "global"
    running: int
    desired: int | None
    tasks: tuple[Task, ...]  # newest first
    findings: tuple[Finding, ...]  # the pattern, most severe first
    diagnosis: Diagnosis | None  # the newest failed task's container, when on this node
    note: str = ""  # why there is no diagnosis


def tasks_from(raw: list[dict[str, Any]], nodes: dict[str, str]) -> tuple[Task, ...]:
    out = []
    for t in raw:
        st = t.get("Status") or {}
        cs = st.get("ContainerStatus") or {}
        node_id = t.get("NodeID") or ""
        out.append(Task(
            id=t.get("ID", ""), slot=t.get("Slot"), node=nodes.get(node_id, node_id[:12]),
            node_id=node_id, state=st.get("State", ""), desired=t.get("DesiredState", ""),
            message=st.get("Message", ""), err=st.get("Err", ""),
            exit_code=cs.get("ExitCode") if cs.get("ContainerID") else None,
            container_id=cs.get("ContainerID", ""),
            time=parse_docker_time(st.get("Timestamp")) or parse_docker_time(t.get("UpdatedAt")),
        ))
    out.sort(key=lambda x: x.time.timestamp() if x.time else 0, reverse=True)
    return tuple(out)


def pattern(tasks: tuple[Task, ...], running: int, desired: int | None) -> tuple[Finding, ...]:
    """What the task history says, as findings (pure)."""
    failed = [t for t in tasks if t.state in _FAILED]
    pending = [t for t in tasks if t.state == "pending" and t.desired == "running"]
    out: list[Finding] = []
    image = [t for t in failed if _IMAGE.search(t.err)]
    if image:
        out.append(_finding(
            "swarm-image-missing", f"The node cannot get the image ({len(image)} tasks "
                                   "rejected)",
            "Each node pulls the service's image itself. A task is rejected when its node "
            "has no such image and cannot pull it: a typo, a private registry without "
            "credentials, or an image built only on another node.",
            "Push the image to a registry every node can reach and deploy with "
            "`--with-registry-auth`; or build/load it on every node.", _ev(image)))
    if pending and any(_RESOURCES.search(t.err) for t in pending):
        stuck = [t for t in pending if _RESOURCES.search(t.err)]
        out.append(_finding(
            "swarm-no-resources", "No node can run the task: " + stuck[0].err,
            "The scheduler found no node with the reserved memory/CPU free, or none that "
            "matches the placement constraints, so the task waits as pending.",
            "Lower `--reserve-memory`/`--reserve-cpu`, fix or relax `--constraint`, or add "
            "nodes; `docker node ls` and `docker node inspect` show what each node has.",
            _ev(stuck)))
    crashed = [t for t in failed if t not in image]
    if crashed:
        by_node = Counter(t.node for t in crashed)
        runs_elsewhere = {t.node for t in tasks if t.state == "running"} - set(by_node)
        reasons = Counter((t.err, t.exit_code) for t in crashed)
        (err, code), n = reasons.most_common(1)[0]
        rejected = [t for t in crashed if t.state == "rejected"]
        if len(by_node) == 1 and runs_elsewhere:
            node = next(iter(by_node))
            out.append(_finding(
                "swarm-node-specific", f"Tasks fail on node {node} only ({len(crashed)} "
                                       f"failed), and run on {', '.join(sorted(runs_elsewhere))}",
                "The same task runs elsewhere, so the difference is the node: a missing "
                "volume or host path, a different image build, a kernel, a label or "
                "resource only that node lacks.",
                f"Compare node {node} with the others (`docker node inspect`), and read the "
                "failed task's container on that node (`doctor inspect` there).",
                _ev(crashed)))
        elif rejected and len(rejected) == len(crashed):
            out.append(_finding(
                "swarm-rejected", f"Tasks rejected by the node: {rejected[0].err}",
                "The node refused to create the task's container: a bind mount path that "
                "does not exist on it, a network or secret it cannot attach, an invalid "
                "option.", "Fix what the error names on the node or in the service spec "
                "(`docker service inspect`).", _ev(rejected)))
        else:
            what = f"exit {code}" if code is not None else (err or "failed")
            out.append(_finding(
                "swarm-tasks-failing",
                f"{n} of the last {len(crashed)} failed tasks ended the same way: {what}",
                "The swarm keeps replacing a task whose container keeps failing: the cause "
                "is in the container, not in the scheduling. The diagnosis of the newest "
                "failed task's container (below) says why it exited.",
                "Fix what the container's diagnosis names; `docker service logs SERVICE` "
                "shows every task's output.", _ev(crashed)))
    if not out and desired is not None and running < desired and not failed:
        out.append(_finding(
            "swarm-converging", f"{running} of {desired} tasks running, none failed",
            "The service is still starting its tasks (pulling images, waiting for "
            "dependencies or an update in progress).",
            "Wait, or watch `docker service ps SERVICE`.", _ev(list(tasks[:3]))))
    out.sort(key=lambda f: (-f.severity.rank, _RANK.get(f.id, len(_RANK))))
    return tuple(out)


def _ev(tasks: list[Task]) -> list[Evidence]:
    out = []
    for t in tasks[:5]:
        when = t.time.strftime("%Y-%m-%dT%H:%M:%SZ") if t.time else "?"
        code = f", exit {t.exit_code}" if t.exit_code is not None else ""
        out.append(Evidence(f"task {t.id[:12]} slot {t.slot or '-'} on {t.node} at {when}",
                            f"{t.state}{code}: {t.err or t.message}"))
    return out


def _finding(fid: str, title: str, why: str, fix: str, ev: list[Evidence]) -> Finding:
    return Finding(fid, SWARM_CATALOGUE[fid][0], title, why, fix, tuple(ev))


def _nodes(client: EngineClient) -> dict[str, str]:
    try:
        return {n["ID"]: (n.get("Description") or {}).get("Hostname") or n["ID"][:12]
                for n in client.swarm_nodes()}
    except DoctorError:
        return {}


def _mode(spec: dict[str, Any]) -> tuple[str, int | None]:
    mode = spec.get("Mode") or {}
    if "Replicated" in mode:
        n = (mode["Replicated"] or {}).get("Replicas")
        return f"replicated {n}", n
    if "Global" in mode:
        return "global", None
    return next(iter(mode), "?"), None


def _summary(svc: dict[str, Any], tasks: tuple[Task, ...], count_global: bool = False
             ) -> ServiceReport:
    """The service, its tasks and their pattern (no container diagnosis yet);
    `count_global`: a global service wants a task on each node its tasks name."""
    spec = svc.get("Spec") or {}
    mode, desired = _mode(spec)
    running = sum(1 for t in tasks if t.state == "running")
    if count_global and desired is None and mode == "global":
        desired = len({t.node_id for t in tasks if t.desired == "running"}) or None
    image = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", "")
    return ServiceReport(id=svc["ID"], name=spec.get("Name") or svc["ID"][:12],
                         image=image.split("@")[0], mode=mode, running=running,
                         desired=desired, tasks=tasks,
                         findings=pattern(tasks, running, desired), diagnosis=None)


def report(client: EngineClient, service: dict[str, Any], diagnose: Any) -> ServiceReport:
    """The service's report; `diagnose(container_id)` -> Diagnosis for a local container."""
    tasks = tasks_from(client.swarm_tasks({"service": [service["ID"]]}), _nodes(client))
    summary = _summary(service, tasks, count_global=True)
    failed = [t for t in tasks if t.state in _FAILED and t.container_id]
    if not failed:
        return summary
    local = client.info().get("Swarm", {}).get("NodeID", "")
    newest = failed[0]
    if newest.node_id and local and newest.node_id != local:
        return replace(summary, note=f"the newest failed task's container is on node "
                                     f"{newest.node}: run `doctor inspect "
                                     f"{newest.container_id[:12]}` there")
    try:
        return replace(summary, diagnosis=diagnose(newest.container_id))
    except DoctorError as e:
        return replace(summary, note=f"the newest failed task's container "
                                     f"{newest.container_id[:12]} could not be read: "
                                     f"{e.message}")


def failing_services(client: EngineClient) -> list[ServiceReport]:
    """Every service with a failed, rejected or stuck task, without container diagnoses."""
    nodes = _nodes(client)
    all_tasks: dict[str, list[dict[str, Any]]] = {}
    for t in client.swarm_tasks():
        all_tasks.setdefault(t.get("ServiceID", ""), []).append(t)
    out = [r for svc in client.swarm_services()
           for r in [_summary(svc, tasks_from(all_tasks.get(svc["ID"], []), nodes))]
           if r.findings]
    out.sort(key=lambda r: (-r.findings[0].severity.rank, r.name))
    return out
