"""Swarm services on the test engine in swarm mode (`docker swarm init --advertise-addr
127.0.0.1`), left as it was found: `doctor inspect SERVICE` (task history, the pattern,
the newest failed task's container diagnosed) and `doctor ps --swarm`."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.conftest import BUSYBOX, LABEL, RUN_ID, doctor


@pytest.fixture(scope="module")
def swarm(docker_client: Any) -> Any:
    """Swarm mode for this module; the engine is left as it was found."""
    was = docker_client.info()["Swarm"]["LocalNodeState"]
    networks = {n.name for n in docker_client.networks.list()}
    if was != "active":
        docker_client.swarm.init(advertise_addr="127.0.0.1")
    made: list[Any] = []
    yield made
    for svc in made:
        try:
            svc.remove()
        except Exception:  # noqa: BLE001
            pass
    if was != "active":
        docker_client.swarm.leave(force=True)
        for _ in range(50):  # the ingress network goes with the swarm; gwbridge stays
            extra = {n.name for n in docker_client.networks.list()} - networks
            for name in extra:
                try:
                    docker_client.networks.get(name).remove()
                except Exception:  # noqa: BLE001
                    pass
            if not extra:
                break
            time.sleep(0.2)
    # the task containers of removed services go with them
    left = docker_client.containers.list(all=True, filters={"label": f"{LABEL}={RUN_ID}-swarm"})
    assert not left, [c.name for c in left]


def service(client: Any, made: list[Any], command: list[str] | None, image: str = BUSYBOX,
            **kw: Any) -> str:
    name = f"dd{uuid.uuid4().hex[:8]}"
    svc = client.services.create(image, command, name=name,
                                 container_labels={LABEL: f"{RUN_ID}-swarm"},
                                 labels={LABEL: RUN_ID}, **kw)
    made.append(svc)
    return name


def wait_tasks(client: Any, name: str, pred: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = client.api.tasks(filters={"service": name})
        if pred(tasks):
            return
        time.sleep(0.3)
    raise AssertionError(f"{name}: tasks never matched; last: "
                         f"{[t['Status'] for t in client.api.tasks(filters={'service': name})]}")


def failed(n: int) -> Any:
    return lambda tasks: sum(1 for t in tasks if t["Status"]["State"] == "failed") >= n


def test_service_whose_tasks_keep_failing(swarm: Any, docker_client: Any) -> None:
    import docker

    name = service(docker_client, swarm,
                   ["sh", "-c", "echo 'billing starting'; echo 'FATAL: DATABASE_URL is not "
                    "set' >&2; exit 3"],
                   restart_policy=docker.types.RestartPolicy(condition="any", delay=200_000_000))
    wait_tasks(docker_client, name, failed(3))
    p = doctor("inspect", name, "--format", "json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["kind"] == "swarm-service" and r["service"]["name"] == name
    assert r["verdict"]["id"] == "swarm-tasks-failing", r["findings"]
    assert "ended the same way: exit 3" in r["verdict"]["title"]
    failed_tasks = [t for t in r["tasks"] if t["state"] == "failed"]
    assert len(failed_tasks) >= 3
    assert all(t["exit_code"] == 3 and t["error"] == "task: non-zero exit (3)"
               for t in failed_tasks)
    times = [t["time"] for t in r["tasks"]]
    assert times == sorted(times, reverse=True)  # newest first
    # the newest failed task's container, on this node, diagnosed in full
    assert r["container"]["container"]["id"] == failed_tasks[0]["container_id"]
    assert r["container"]["verdict"]["id"] == "missing-env"
    text = doctor("inspect", name)
    assert text.stdout.startswith(f"✖ ERROR service {name}: ")
    assert "the newest failed task's container:" in text.stdout
    assert "[missing-env]" in text.stdout
    assert doctor("inspect", name, "--fail-on", "error").returncode == 5


def test_image_missing_and_no_resources(swarm: Any, docker_client: Any) -> None:
    missing = service(docker_client, swarm, ["true"], image="dockerdoctor/no-such-image:1")
    greedy = service(docker_client, swarm, ["sleep", "300"],
                     resources={"Reservations": {"MemoryBytes": 1 << 50}})
    wait_tasks(docker_client, missing, lambda ts: any(t["Status"]["State"] == "rejected"
                                                      for t in ts))
    wait_tasks(docker_client, greedy, lambda ts: any(
        "insufficient resources" in t["Status"].get("Err", "") for t in ts))
    r = json.loads(doctor("inspect", missing, "--format", "json").stdout)
    assert r["verdict"]["id"] == "swarm-image-missing"
    assert "No such image: dockerdoctor/no-such-image:1" in r["verdict"]["evidence"][0]["text"]
    assert r["container"] is None  # no container was ever made
    r = json.loads(doctor("inspect", greedy, "--format", "json").stdout)
    assert r["verdict"]["id"] == "swarm-no-resources"
    assert "insufficient resources" in r["verdict"]["title"]


def test_ps_swarm_lists_only_failing_services(swarm: Any, docker_client: Any) -> None:
    import docker

    healthy = service(docker_client, swarm, ["sleep", "300"])
    broken = service(docker_client, swarm, ["sh", "-c", "exit 1"],
                     restart_policy=docker.types.RestartPolicy(condition="any",
                                                               delay=200_000_000))
    wait_tasks(docker_client, healthy, lambda ts: any(t["Status"]["State"] == "running"
                                                      for t in ts))
    wait_tasks(docker_client, broken, failed(2))
    p = doctor("ps", "--swarm", "--format", "json")
    assert p.returncode == 0, p.stderr
    names = {s["service"]["name"]: s for s in json.loads(p.stdout)["services"]}
    assert broken in names and healthy not in names
    assert names[broken]["verdict"]["id"] == "swarm-tasks-failing"
    table = doctor("ps", "--swarm")
    assert table.stdout.splitlines()[0].split()[:3] == ["service", "image", "running"]
    assert doctor("ps", "--swarm", "--fail-on", "error").returncode == 5


def test_not_a_service_nor_a_container(swarm: Any) -> None:
    p = doctor("inspect", "no-such-thing-zz9")
    assert p.returncode == 4 and p.stderr.strip() == \
        "doctor: error: no such container: no-such-thing-zz9"
