"""`doctor ps` on the real engine: one verdict per container, filters, Compose labels,
several engines (one of them not answering), containers removed during the scan."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import BUSYBOX, LABEL, PYTHON, RUN_ID, doctor

MINE = f"label={LABEL}={RUN_ID}"  # only this test run's containers


def ps(*args: str, timeout: int = 120) -> tuple[int, list[dict[str, Any]], str]:
    p = doctor("ps", "--filter", MINE, "--format", "json", *args, timeout=timeout)
    data = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {"containers": []}
    return p.returncode, data["containers"], p.stderr


@pytest.fixture(scope="module")
def fleet(docker_client: Any) -> Any:
    """A small fleet: crashed ones, a finished batch job, a healthy service, one never
    started, and a Compose-labelled pair where the api crashed."""
    from tests.conftest import Lab

    lab = Lab(docker_client)
    made = {
        "worker": lab.run(PYTHON, ["python3", "-c", "import os; os.environ['QUEUE_URL']"],
                          name=f"ps-worker-{RUN_ID}"),
        "batch": lab.run(BUSYBOX, ["sh", "-c", "echo 3 rows exported"],
                         name=f"ps-batch-{RUN_ID}"),
        "web": lab.run(BUSYBOX, ["sleep", "300"], wait=False, name=f"ps-web-{RUN_ID}"),
        "fresh": lab.create(BUSYBOX, ["true"], name=f"ps-fresh-{RUN_ID}"),
        "oom": lab.run(PYTHON, ["python3", "-c", "x = bytearray(256 * 1024 * 1024)"],
                       mem_limit="48m", memswap_limit="48m", name=f"ps-oom-{RUN_ID}"),
        "api": lab.run(BUSYBOX, ["sh", "-c", "echo 'FATAL: config missing' >&2; exit 3"],
                       name=f"shop-api-{RUN_ID}",
                       labels={"com.docker.compose.project": f"shop{RUN_ID}",
                               "com.docker.compose.service": "api"}),
        "front": lab.run(BUSYBOX, ["sleep", "300"], wait=False, name=f"shop-front-{RUN_ID}",
                         labels={"com.docker.compose.project": f"shop{RUN_ID}",
                                 "com.docker.compose.service": "front"}),
    }
    yield made
    lab.cleanup()


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"].rsplit("-", 1)[0]: r for r in rows if r["name"]}


def test_one_verdict_per_container_most_severe_first(fleet: Any) -> None:
    code, rows, err = ps()
    assert code == 0, err
    got = by_name(rows)
    assert set(got) == {"ps-worker", "ps-batch", "ps-web", "ps-fresh", "ps-oom", "shop-api",
                        "shop-front"}, list(got)
    assert got["ps-worker"]["verdict"]["id"] == "missing-env"
    assert got["ps-oom"]["verdict"]["id"] == "oom-killed"
    assert got["shop-api"]["verdict"]["id"] == "nonzero-exit"
    assert got["ps-fresh"]["verdict"]["id"] == "never-started"
    assert got["ps-batch"]["verdict"] is None and got["ps-web"]["verdict"] is None
    ranks = [{"error": 3, "warning": 2, "info": 1}.get((r["verdict"] or {}).get("severity"), 0)
             for r in rows]
    assert ranks == sorted(ranks, reverse=True), ranks
    assert got["shop-api"]["project"] == f"shop{RUN_ID}" and got["shop-api"]["service"] == "api"


def test_table_and_markdown(fleet: Any) -> None:
    p = doctor("ps", "--filter", MINE)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:2] == ["container", "project/service"], lines[0]
    assert "✖ missing-env" in lines[2] or "✖ oom-killed" in lines[2]  # most severe first
    assert "7 containers: 3 error, 1 warning, 0 info, 3 ok" in p.stdout
    md = doctor("ps", "--filter", MINE, "--format", "markdown")
    assert md.stdout.startswith("| container") and "|---" in md.stdout


def test_filters_status_project_and_since(fleet: Any, docker_client: Any) -> None:
    _, rows, _ = ps("--status", "running")
    assert {r["name"].rsplit("-", 1)[0] for r in rows} == {"ps-web", "shop-front"}
    _, rows, _ = ps("--project", f"shop{RUN_ID}")
    assert {r["service"] for r in rows} == {"api", "front"}
    _, rows, _ = ps("--since", "1s")  # nothing of the fleet happened in the last second
    assert rows == [], rows
    _, rows, _ = ps("--since", "30m")
    assert len(rows) == 7


def test_fail_on(fleet: Any) -> None:
    assert doctor("ps", "--filter", MINE, "--fail-on", "error").returncode == 5
    assert doctor("ps", "--filter", MINE, "--status", "running",
                  "--fail-on", "warning").returncode == 0


def test_several_engines_one_not_answering(fleet: Any) -> None:
    code, rows, err = ps("--host", "unix:///var/run/docker.sock", "--host",
                         "tcp://127.0.0.1:9")
    assert code == 0, err
    assert rows[0]["host"] == "tcp://127.0.0.1:9" and rows[0]["id"] is None
    assert "refused the connection" in rows[0]["error"]
    assert {r["host"] for r in rows[1:]} == {"unix:///var/run/docker.sock"}
    assert len(rows) == 8
    table = doctor("ps", "--filter", MINE, "--host", "unix:///var/run/docker.sock",
                   "--host", "tcp://127.0.0.1:9")
    assert table.stdout.splitlines()[0].split()[0] == "host"
    assert "1 engine(s) did not answer" in table.stdout
    # one engine that does not answer: that is the error, exit 3, one line
    alone = doctor("ps", "--host", "tcp://127.0.0.1:9")
    assert alone.returncode == 3 and alone.stderr.count("\n") == 1, alone.stderr


def test_containers_removed_during_the_scan_are_skipped(docker_client: Any) -> None:
    """Between the list and the reads, half the containers go away (really removed on the
    engine, by an EngineClient that does it right after listing): they are skipped."""
    from dockerdoctor import triage
    from dockerdoctor.engine import EngineClient
    from tests.conftest import Lab

    lab = Lab(docker_client)
    try:
        made = [lab.run(BUSYBOX, ["sh", "-c", "echo bye; exit 2"],
                        labels={"ps-doomed": RUN_ID}) for _ in range(6)]
        doomed = {c.id for c in made[::2]}

        class RemovesAfterListing(EngineClient):
            def list_containers(self, all: bool = True, filters: dict | None = None
                                ) -> list[dict]:
                listed = super().list_containers(all=all, filters=filters)
                for cid in doomed:
                    docker_client.api.remove_container(cid, force=True)
                return listed

        query = triage.Query(filters={"label": [f"ps-doomed={RUN_ID}"]}, jobs=2)
        rows = triage.scan_hosts([None], lambda host: RemovesAfterListing(host), query)
        assert {r.id for r in rows} == {c.id for c in made} - doomed
        assert all(not r.error and r.verdict and r.verdict.id == "nonzero-exit" for r in rows)
    finally:
        lab.cleanup()
