"""`doctor inspect --project NAME`: every container of a Compose project (by the labels
`docker compose` sets) diagnosed in one report, and a failure to reach another service
linked to that service's crash (it crashed first) or to a start-order race (it started
later). The project runs on an internal network: nothing leaves the machine."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import BUSYBOX, LABEL, PYTHON, RUN_ID, Lab, doctor

PROJECT = f"shop{RUN_ID}"


def member(lab: Lab, net: Any, service: str, image: str, command: list[str]) -> Any:
    c = lab.create(image, command, name=f"{PROJECT}-{service}-1", network_mode=None,
                   network=net.name,
                   labels={"com.docker.compose.project": PROJECT,
                           "com.docker.compose.service": service,
                           "com.docker.compose.container-number": "1"},
                   environment={"PYTHONUNBUFFERED": "1"})
    net.disconnect(c)
    net.connect(c, aliases=[service])
    c.start()
    return c


def connect(host: str, port: int) -> list[str]:
    return ["python3", "-c", f"import socket\nprint('starting: connecting to {host}:{port}')\n"
            f"socket.create_connection(('{host}', {port}), timeout=5)\n"]


def wait_exited(c: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c.reload()
        if c.status == "exited":
            return
        time.sleep(0.2)
    raise AssertionError(f"{c.name} still {c.status}")


@pytest.fixture(scope="module")
def project(docker_client: Any) -> Any:
    lab = Lab(docker_client)
    net = docker_client.networks.create(f"{PROJECT}_default", driver="bridge", internal=True,
                                        labels={LABEL: RUN_ID})
    try:
        # db crashes first; api then cannot resolve it (a stopped container has no name)
        db = member(lab, net, "db", BUSYBOX, ["sh", "-c", "echo 'FATAL: data directory "
                                              "/var/lib/db has wrong ownership' >&2; exit 1"])
        wait_exited(db)
        api = member(lab, net, "api", PYTHON, connect("db", 5432))
        # worker starts before cache: a start-order race
        worker = member(lab, net, "worker", PYTHON, connect("cache", 6379))
        time.sleep(1.5)
        member(lab, net, "cache", BUSYBOX, ["sleep", "300"])
        wait_exited(api)
        wait_exited(worker)
        yield lab
    finally:
        lab.cleanup()
        net.remove()


def test_project_report_relates_the_failures(project: Any) -> None:
    p = doctor("inspect", "--project", PROJECT, "--format", "json", timeout=180)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["kind"] == "compose-project" and r["project"] == PROJECT
    verdicts = {s["service"]: (s["report"]["verdict"] or {}).get("id") for s in r["services"]}
    assert verdicts["db"] == "nonzero-exit"
    assert verdicts["api"] == "dns-failure"
    assert verdicts["worker"] in ("connection-refused", "dns-failure"), verdicts
    assert verdicts["cache"] in (None, "logs-empty")
    links = {(x["from"], x["to"]): x for x in r["links"]}
    assert links[("api", "db")]["kind"] == "crashed-first"
    assert links[("api", "db")]["to_verdict"] == "nonzero-exit"
    assert "db had crashed" in links[("api", "db")]["explanation"]
    assert links[("worker", "cache")]["kind"] == "started-later"
    assert "condition: service_healthy" in links[("worker", "cache")]["explanation"]
    assert ("db", "api") not in links and ("cache", "worker") not in links
    assert r["summary"].startswith(f"✖ ERROR project {PROJECT}: 3 of 4 containers failed; "
                                   "api's dns-failure follows db's crash")


def test_project_text_and_markdown(project: Any) -> None:
    text = doctor("inspect", "--project", PROJECT, timeout=180).stdout
    lines = text.splitlines()
    assert lines[0].startswith(f"✖ ERROR project {PROJECT}")
    assert lines[2].split()[:2] == ["service", "container"]
    assert "how the failures relate:" in text
    assert "api → db (crashed-first)" in text
    assert "service db:" in text and "[nonzero-exit]" in text
    md = doctor("inspect", "--project", PROJECT, "-f", "markdown", timeout=180).stdout
    assert md.startswith(f"### dockerdoctor: Compose project `{PROJECT}`")
    assert "#### How the failures relate" in md and "#### Service `api`" in md


def test_project_errors(project: Any) -> None:
    p = doctor("inspect", "--project", f"nope{RUN_ID}")
    assert p.returncode == 4 and p.stderr.count("\n") == 1, p.stderr
    assert "no containers of Compose project" in p.stderr
    p = doctor("inspect", "--project", PROJECT, "some-id")
    assert p.returncode == 2 and "--project takes no container IDs" in p.stderr
    assert doctor("inspect", "--project", PROJECT, "--fail-on", "error",
                  timeout=180).returncode in (5,)


COMPOSE_FILE = """\
version: "2.4"
services:
  db:
    image: {busybox}
    command:
      - sh
      - -c
      - "echo 'FATAL: data directory /var/lib/db has wrong ownership' >&2; exit 1"
  api:
    image: {python}
    environment:
      PYTHONUNBUFFERED: "1"
    command:
      - python3
      - -c
      - |
        import socket
        print('starting: connecting to db:5432')
        socket.create_connection(('db', 5432), timeout=5)
networks:
  default:
    internal: true
"""


def test_project_started_by_docker_compose(docker_client: Any, tmp_path: Any) -> None:
    """The same, with a project `docker-compose` (Debian's) started from a compose file."""
    import shutil
    import subprocess

    from tests.conftest import IN_CI

    exe = shutil.which("docker-compose")
    if exe is None:
        if IN_CI:
            pytest.fail("CI=true and docker-compose is missing (scripts/ensure-engine installs "
                        "it)", pytrace=False)
        pytest.skip("docker-compose is not installed")
    name = f"dc{RUN_ID}"
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE.format(busybox=BUSYBOX,
                                                                     python=PYTHON))

    def compose(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, "-p", name, *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    try:
        assert compose("up", "-d", "db").returncode == 0
        wait_exited(docker_client.containers.get(f"{name}_db_1"))
        assert compose("up", "-d", "--no-deps", "api").returncode == 0
        wait_exited(docker_client.containers.get(f"{name}_api_1"))
        p = doctor("inspect", "--project", name, "--format", "json", timeout=180)
        assert p.returncode == 0, p.stderr
        r = json.loads(p.stdout)
        assert {s["service"] for s in r["services"]} == {"db", "api"}
        assert [(x["from"], x["to"], x["kind"]) for x in r["links"]] == \
            [("api", "db", "crashed-first")]
        rows = doctor("ps", "--project", name, "--format", "json").stdout
        assert {c["service"] for c in json.loads(rows)["containers"]} == {"db", "api"}
    finally:
        down = compose("down", "-v")
        assert down.returncode == 0, down.stderr
