"""Two real engines on this machine: `doctor ps` over both (and a third that refuses),
`--host`, `--context` and DOCKER_HOST pointing `doctor` at the second one.

The second engine (tests/second_engine.py) is a dockerd of its own: its socket
unix:///run/dockerdoctor-2/docker.sock, data root, exec root (its own containerd),
bridge ddbr2 on 172.31.250.1/24, no iptables rules. It is started once for this module
and torn down with everything it made. Under CI=true, an engine that cannot be started
fails the tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from typing import Any

import pytest

from tests.conftest import BUSYBOX, IN_CI, LABEL, PYTHON, RUN_ID, Lab, doctor
from tests.second_engine import BRIDGE, PIDFILE, EngineStartError, SecondEngine, alive
from tests.second_engine import HOST as HOST2

HOST1 = "unix:///var/run/docker.sock"
REFUSING = "tcp://127.0.0.1:9"
MINE = f"label={LABEL}={RUN_ID}"


def _cannot_start(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and the second engine could not be started: {reason}",
                    pytrace=False)
    pytest.skip(f"second engine not started: {reason}")


def _start() -> SecondEngine:
    engine = SecondEngine(BUSYBOX)
    try:
        engine.start()
    except EngineStartError as e:
        reason = str(e)
    else:
        return engine
    _cannot_start(reason)  # outside the except: no chained traceback
    raise AssertionError("unreachable")


def _stop(engine: SecondEngine) -> None:
    left = engine.stop()
    assert not left, f"the second engine left this behind: {left}"


def test_second_engine_starts_after_a_killed_run_and_leaves_nothing(docker_client: Any
                                                                     ) -> None:
    """A run killed half-way (dockerd SIGKILLed with a container running: its shim and
    the container's process stay, with the pid file, socket, mounts, bridge): the next
    start clears all that and answers; stop leaves nothing behind."""
    first = _start()
    try:
        client = first.client()
        c = client.containers.run(BUSYBOX, ["sleep", "300"], detach=True,
                                  network_mode="none", labels={LABEL: RUN_ID})
        c.reload()
        pid = c.attrs["State"]["Pid"]
        assert pid and alive(pid)
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(timeout=10)
        first.proc = None
        # what the killed run left: its pid file, its container's process, its bridge
        assert PIDFILE.exists() and alive(pid) and os.path.exists(f"/sys/class/net/{BRIDGE}")
        second = SecondEngine(BUSYBOX)
        t0 = time.monotonic()
        second.start()  # an error here is a failure, also outside CI: the first one started
        assert time.monotonic() - t0 < 30
        # a clean engine: the killed run's container and its process are gone
        assert second.info().get("Containers") == 0
        assert not alive(pid), pid
        assert [t for i in second.client().images.list() for t in i.tags] == [BUSYBOX]
    finally:
        _stop(SecondEngine())
    assert SecondEngine.leftovers() == []


@pytest.fixture(scope="module")
def engine2(docker_client: Any) -> Any:
    engine = _start()
    assert engine.started_in is not None and engine.started_in < 30, engine.started_in
    try:
        yield engine
    finally:
        _stop(engine)


@pytest.fixture(scope="module")
def fleet(docker_client: Any, engine2: SecondEngine) -> Any:
    """On the main engine: a worker that crashed on a missing variable, a running web.
    On the second: a segfault, a FATAL exit, one never started, a running web."""
    lab1, lab2 = Lab(docker_client), Lab(engine2.client())
    made = {
        "e1-worker": lab1.run(PYTHON, ["python3", "-c", "import os; os.environ['QUEUE_URL']"],
                              name=f"e1-worker-{RUN_ID}"),
        "e1-web": lab1.run(BUSYBOX, ["sleep", "300"], wait=False, name=f"e1-web-{RUN_ID}"),
        "e2-segv": lab2.run(BUSYBOX, ["sh", "-c", 'echo loading plugin; '
                                     'sh -c "kill -SEGV \\$\\$"; exit $?'],
                            name=f"e2-segv-{RUN_ID}"),
        "e2-fatal": lab2.run(BUSYBOX, ["sh", "-c", "echo 'FATAL: config missing' >&2; exit 3"],
                             name=f"e2-fatal-{RUN_ID}"),
        "e2-fresh": lab2.create(BUSYBOX, ["true"], name=f"e2-fresh-{RUN_ID}"),
        "e2-web": lab2.run(BUSYBOX, ["sleep", "300"], wait=False, name=f"e2-web-{RUN_ID}"),
    }
    assert made["e2-segv"].attrs["State"]["ExitCode"] == 139
    yield made
    lab1.cleanup()
    lab2.cleanup()


def ps(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, Any]], str]:
    p = doctor("ps", "--filter", MINE, "--format", "json", *args, env=env)
    assert p.stdout.startswith("{"), (p.returncode, p.stdout, p.stderr)
    return p.returncode, json.loads(p.stdout)["containers"], p.stderr


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"].rsplit("-", 1)[0]: r for r in rows if r["name"]}


def _rank(row: dict[str, Any]) -> int:
    if row["id"] is None:
        return 4
    return {"error": 3, "warning": 2, "info": 1}.get((row["verdict"] or {}).get("severity"), 0)


def _check_engine2_rows(got: dict[str, dict[str, Any]], host: str) -> None:
    assert got["e2-segv"]["verdict"]["id"] == "segfault"
    assert got["e2-fatal"]["verdict"]["id"] == "nonzero-exit"
    assert got["e2-fresh"]["verdict"]["id"] == "never-started"
    assert got["e2-web"]["verdict"] is None and got["e2-web"]["state"] == "running"
    assert {got[n]["host"] for n in ("e2-segv", "e2-fatal", "e2-fresh", "e2-web")} == {host}


def test_ps_two_engines_one_table(fleet: Any) -> None:
    code, rows, err = ps("--host", HOST1, "--host", HOST2)
    assert code == 0, err
    got = by_name(rows)
    assert set(got) == set(fleet), list(got)
    assert {r["id"] for r in rows} == {c.id for c in fleet.values()}
    assert got["e1-worker"]["verdict"]["id"] == "missing-env"
    assert got["e1-web"]["verdict"] is None
    assert {got["e1-worker"]["host"], got["e1-web"]["host"]} == {HOST1}
    _check_engine2_rows(got, HOST2)
    ranks = [_rank(r) for r in rows]
    assert ranks == sorted(ranks, reverse=True), [(r["name"], r["verdict"]) for r in rows]
    # the three errors come first, from both engines
    assert {r["host"] for r in rows[:3]} == {HOST1, HOST2}
    assert all(r["error"] is None for r in rows)

    table = doctor("ps", "--filter", MINE, "--host", HOST1, "--host", HOST2)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["host", "container"], lines[0]
    body = {line.split()[1].rsplit("-", 1)[0]: line for line in lines[2:8]}
    assert set(body) == set(fleet), lines
    assert body["e2-segv"].startswith(HOST2) and "✖ segfault" in body["e2-segv"]
    assert body["e1-worker"].startswith(HOST1) and "✖ missing-env" in body["e1-worker"]
    assert "✖" in lines[2] and "✔ ok" in lines[7]
    assert "6 containers: 3 error, 1 warning, 0 info, 2 ok" in table.stdout
    assert "did not answer" not in table.stdout
    # --fail-on looks at both engines
    only2_errors = doctor("ps", "--filter", MINE, "--host", HOST1, "--host", HOST2,
                          "--status", "exited", "--fail-on", "error")
    assert only2_errors.returncode == 5


def test_ps_two_engines_and_one_refusing(fleet: Any) -> None:
    code, rows, err = ps("--host", HOST1, "--host", HOST2, "--host", REFUSING)
    assert code == 0, err
    assert rows[0]["host"] == REFUSING and rows[0]["id"] is None, rows[0]
    assert "refused" in rows[0]["error"]
    assert sum(1 for r in rows if r["id"] is None) == 1
    assert set(by_name(rows)) == set(fleet)
    assert {r["host"] for r in rows[1:]} == {HOST1, HOST2}
    table = doctor("ps", "--filter", MINE, "--host", HOST1, "--host", HOST2,
                   "--host", REFUSING)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[2].startswith(REFUSING) and "engine-unreachable" in lines[2], lines[2]
    assert "6 containers: 3 error, 1 warning, 0 info, 2 ok; 1 engine(s) did not answer" \
        in table.stdout


def test_ps_two_engines_rows_from_one(fleet: Any) -> None:
    """Two engines asked, rows from only one of them (a filter, or an engine with no
    such containers): the table still says where they come from. The same engine asked
    twice is scanned once."""
    name = f"name=e2-segv-{RUN_ID}"
    for fmt in ("table", "markdown"):
        p = doctor("ps", "--filter", MINE, "--filter", name, "--host", HOST1, "--host", HOST2,
                   "--format", fmt)
        assert p.returncode == 0, p.stderr
        header = p.stdout.splitlines()[0].replace("|", " ").split()
        assert header[:2] == ["host", "container"], p.stdout
        assert HOST2 in p.stdout and "1 containers: 1 error" in p.stdout, p.stdout
    code, rows, err = ps("--filter", name, "--host", HOST2, "--host", HOST2)
    assert code == 0, err
    assert [(r["host"], r["name"]) for r in rows] == [(HOST2, f"e2-segv-{RUN_ID}")], rows


def test_inspect_a_container_only_engine2_has(fleet: Any) -> None:
    cid = fleet["e2-segv"].id
    p = doctor("--host", HOST2, "inspect", cid, "--format", "json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["verdict"]["id"] == "segfault"
    evidence = "\n".join(e["text"] for f in report["findings"] if f["id"] == "segfault"
                         for e in f["evidence"])
    assert "Segmentation fault" in evidence, evidence
    by_short = doctor("-H", HOST2, "inspect", cid[:12])
    assert by_short.returncode == 0 and "segfault" in by_short.stdout, by_short.stderr
    # the main engine has no such container
    for args in (("inspect", cid), ("--host", HOST1, "inspect", cid)):
        missing = doctor(*args)
        assert missing.returncode == 4, (args, missing.stdout, missing.stderr)
        assert "no such container" in missing.stderr.lower(), missing.stderr


@pytest.fixture
def docker_config() -> Any:
    """An empty DOCKER_CONFIG for the docker CLI and for doctor (~/.docker untouched)."""
    with tempfile.TemporaryDirectory(prefix="dockerdoctor-cfg-") as d:
        yield {"DOCKER_CONFIG": d}


def _docker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60,
                          env={**clean, **env})


def test_ps_context(fleet: Any, docker_config: dict[str, str]) -> None:
    made = _docker(docker_config, "context", "create", "dd2", "--description",
                   "dockerdoctor second engine", "--docker", f"host={HOST2}")
    assert made.returncode == 0, made.stderr
    try:
        code, rows, err = ps("--context", "dd2", env=docker_config)
        assert code == 0, err
        got = by_name(rows)
        assert set(got) == {"e2-segv", "e2-fatal", "e2-fresh", "e2-web"}, list(got)
        _check_engine2_rows(got, "context:dd2")
        # side by side with the main engine: one table, two hosts
        code, rows, err = ps("--host", HOST1, "--context", "dd2", env=docker_config)
        assert code == 0, err
        assert set(by_name(rows)) == set(fleet)
        assert by_name(rows)["e1-worker"]["host"] == HOST1
        assert by_name(rows)["e2-segv"]["host"] == "context:dd2"
        # the CLI's current context, as DOCKER_CONTEXT or `docker context use`, is the
        # default engine of every command
        code, rows, err = ps(env={**docker_config, "DOCKER_CONTEXT": "dd2"})
        assert code == 0, err
        assert set(by_name(rows)) == {"e2-segv", "e2-fatal", "e2-fresh", "e2-web"}
        assert {r["host"] for r in rows} == {HOST2}
        used = _docker(docker_config, "context", "use", "dd2")
        assert used.returncode == 0, used.stderr
        segv = by_name(rows)["e2-segv"]["id"]
        r = doctor("inspect", segv, "--format", "json", env=docker_config)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["verdict"]["id"] == "segfault"
        _docker(docker_config, "context", "use", "default")
        # a context that does not exist: a usage error, one line
        nope = doctor("ps", "--context", "nope", env=docker_config)
        assert nope.returncode == 2 and "no Docker context named 'nope'" in nope.stderr, \
            (nope.returncode, nope.stderr)
    finally:
        removed = _docker(docker_config, "context", "rm", "--force", "dd2")
        assert removed.returncode == 0, removed.stderr
    assert _docker(docker_config, "context", "ls", "-q").stdout.split() == ["default"]


def test_docker_host_in_the_environment(fleet: Any, docker_config: dict[str, str]) -> None:
    env = {**docker_config, "DOCKER_HOST": HOST2}
    code, rows, err = ps(env=env)
    assert code == 0, err
    got = by_name(rows)
    assert set(got) == {"e2-segv", "e2-fatal", "e2-fresh", "e2-web"}, list(got)
    assert got["e2-segv"]["verdict"]["id"] == "segfault"
    assert got["e2-fatal"]["verdict"]["id"] == "nonzero-exit"
    p = doctor("inspect", fleet["e2-fatal"].id, "--format", "json", env=env)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["verdict"]["id"] == "nonzero-exit"
    first = report["findings"][0]
    assert first["id"] == "nonzero-exit"
    assert any("FATAL: config missing" in e["text"] for e in first["evidence"]), first
    # the main engine's container is not there; --host still wins over DOCKER_HOST
    assert doctor("inspect", fleet["e1-worker"].id, env=env).returncode == 4
    p = doctor("--host", HOST1, "inspect", fleet["e1-worker"].id, "--format", "json", env=env)
    assert p.returncode == 0 and json.loads(p.stdout)["verdict"]["id"] == "missing-env"
