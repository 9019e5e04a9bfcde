"""`doctor scenario` on the real engine: the whole library verified, export round trips,
failing expectations, interrupts, and nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PYTHON, RUNTIMES, SCENARIO_BASES, doctor

SCENARIO_LABEL = "dockerdoctor.scenario"


def scenario_objects(client: Any) -> dict[str, set[str]]:
    """Everything on the engine that carries the scenario label."""
    flt = {"label": SCENARIO_LABEL}
    return {
        "containers": {c["Id"] for c in client.api.containers(all=True, filters=flt)},
        "images": {i["Id"] for i in client.api.images(filters=flt)},
        "volumes": {v["Name"] for v in (client.api.volumes(filters=flt) or {}).get("Volumes")
                    or []},
        "networks": {n["Id"] for n in client.api.networks(filters=flt)},
    }


@pytest.fixture
def scenario_env(docker_client: Any) -> dict[str, str]:
    try:
        docker_client.images.get(RUNTIMES)
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"base image {RUNTIMES} is missing (scripts/ensure-engine makes it): {e}")
    return {"DOCTOR_SCENARIO_BASES": SCENARIO_BASES}


@pytest.fixture
def nothing_left(docker_client: Any) -> Any:
    before = scenario_objects(docker_client)
    yield
    after = scenario_objects(docker_client)
    left = {k: after[k] - before[k] for k in after if after[k] - before[k]}
    assert not left, f"scenario objects left behind: {left}"


def test_verify_all_passes_within_four_minutes(scenario_env, nothing_left, docker_client
                                               ) -> None:
    images_before = {i["Id"] for i in docker_client.api.images(all=True)}
    started = time.monotonic()
    p = doctor("scenario", "verify", "--all", "--format", "json", env=scenario_env,
               timeout=600)
    seconds = time.monotonic() - started
    results = json.loads(p.stdout)
    failed = [f"{r['name']}: {'; '.join(r['failures'])}" for r in results
              if not r["passed"] and not r["skipped"]]
    assert not failed, "\n".join(failed)
    assert p.returncode == 0, p.stderr[-3000:]
    skipped = [r["name"] for r in results if r["skipped"]]
    assert skipped == [], skipped  # CI runs as root on a local overlay2 engine: all run
    listed = json.loads(doctor("scenario", "list", "-f", "json").stdout)
    assert {r["name"] for r in results} == {x["name"] for x in listed}
    assert seconds < 240, f"verify --all took {seconds:.0f}s"
    # not even the untagged, unlabelled stages of multi-stage builds stay behind
    new_images = {i["Id"] for i in docker_client.api.images(all=True)} - images_before
    assert new_images == set(), new_images


def test_run_prints_the_report_and_the_lesson(scenario_env, nothing_left) -> None:
    p = doctor("scenario", "run", "python-missing-env", env=scenario_env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("✖ ERROR") and "[missing-env]" in p.stdout.splitlines()[0]
    assert "scenario python-missing-env: passed" in p.stderr
    assert "Lesson: os.environ" in p.stderr


def test_failed_expectation_exits_6_with_the_reason(tmp_path: Path, scenario_env,
                                                    nothing_left) -> None:
    folder = tmp_path / "wrong"
    folder.mkdir()
    (folder / "scenario.toml").write_text(
        'description = "exits 3, but the scenario claims an OOM"\nlesson = "l"\n'
        '[image]\nimage = "${BUSYBOX_IMAGE}"\n'
        '[run]\ncommand = "echo working; exit 3"\n'
        '[expect]\nfindings = ["oom-killed"]\nnot_contains = ["exit"]\n')
    p = doctor("scenario", "run", "--path", str(folder), env=scenario_env)
    assert p.returncode == 6, p.stderr
    assert "FAILED: missing finding(s) oom-killed (found: nonzero-exit" in p.stderr
    assert "FAILED: the report says 'exit'" in p.stderr
    assert "[nonzero-exit]" in p.stdout  # the report is still printed


def test_unavailable_base_is_one_line_with_the_hint(tmp_path: Path, scenario_env,
                                                    nothing_left) -> None:
    folder = tmp_path / "nobase"
    folder.mkdir()
    (folder / "Dockerfile").write_text("ARG PYTHON_IMAGE=python:3.12-slim\n"
                                       "FROM ${PYTHON_IMAGE}\nCMD [\"false\"]\n")
    (folder / "scenario.toml").write_text(
        'description = "d"\nlesson = "l"\n[image]\nbuild = "."\n'
        '[expect]\nfindings = ["nonzero-exit"]\n')
    env = {"DOCTOR_SCENARIO_BASES": "PYTHON_IMAGE=127.0.0.1:9/dockerdoctor/none:1"}
    p = doctor("scenario", "run", "--path", str(folder), env=env, timeout=120)
    assert p.returncode == 6, p.stderr
    failure = [x for x in p.stderr.splitlines() if "FAILED" in x]
    assert len(failure) == 1 and "127.0.0.1:9/dockerdoctor/none:1" in failure[0], p.stderr
    assert "--base NAME=IMAGE or DOCTOR_SCENARIO_BASES" in failure[0]
    assert "Traceback" not in p.stderr


def test_export_round_trip_reproduces_the_same_findings(lab, tmp_path: Path, scenario_env,
                                                        nothing_left) -> None:
    token = "tok-" + os.urandom(6).hex()
    c = lab.run(PYTHON, ["python3", "-c", "import os, json\nprint('loading settings')\n"
                         "json.loads(open('/etc/hostname').read() + ',')"],
                environment={"API_TOKEN": token, "PYTHONUNBUFFERED": "1"}, mem_limit="96m")
    before = doctor("inspect", c.id, "-f", "json")
    ids = [f["id"] for f in json.loads(before.stdout)["findings"]]
    assert ids and ids[0] == "python-exception", before.stdout[:2000]
    out = tmp_path / "exported"
    p = doctor("scenario", "export", c.id, "-o", str(out), env=scenario_env)
    assert p.returncode == 0, p.stderr
    text = (out / "scenario.toml").read_text()
    assert token not in text and "REDACTED-set-me" in text
    assert 'image = "${PYTHON_IMAGE}"' in text
    assert 'memory = "100663296"' in text
    run = doctor("scenario", "run", "--path", str(out), "-f", "json", env=scenario_env)
    assert run.returncode == 0, run.stderr
    assert [f["id"] for f in json.loads(run.stdout)["findings"]] == ids
    # exporting again into the same folder is refused: nothing the user has is overwritten
    again = doctor("scenario", "export", c.id, "-o", str(out), env=scenario_env)
    assert again.returncode == 2 and "not an empty folder" in again.stderr
    assert (out / "scenario.toml").read_text() == text


def test_interrupted_run_cleans_up(tmp_path: Path, scenario_env, docker_client,
                                   nothing_left) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "scenario.toml").write_text(
        'description = "a service that runs for a while"\nlesson = "l"\n'
        '[image]\nimage = "${BUSYBOX_IMAGE}"\n'
        '[run]\ncommand = ["sleep", "300"]\nvolumes = { data = "/data" }\n'
        'network = "private"\n'
        '[[setup]]\nname = "db"\nimage = "${BUSYBOX_IMAGE}"\ncommand = ["sleep", "300"]\n'
        '[wait]\nfor = "running"\nsettle = 60\n'
        '[expect]\nmax_severity = "info"\n')
    p = subprocess.Popen([sys.executable, "-m", "dockerdoctor", "scenario", "run", "--path",
                          str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, **scenario_env}, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until both containers run
        running = docker_client.api.containers(filters={"label": SCENARIO_LABEL,
                                                        "status": "running"})
        if len(running) >= 2:
            break
        time.sleep(0.2)
    else:
        p.kill()
        pytest.fail("the scenario's containers never ran")
    objects = scenario_objects(docker_client)
    assert objects["volumes"] and objects["networks"]
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "doctor: interrupted" in err and "Traceback" not in err


def test_bind_mounts_are_copies_of_the_scenarios_files(tmp_path: Path, scenario_env,
                                                       nothing_left) -> None:
    folder = tmp_path / "bound"
    (folder / "conf").mkdir(parents=True)
    (folder / "conf" / "app.ini").write_text("[server]\nport = 8080\n")
    (folder / "scenario.toml").write_text(
        'description = "an app that rewrites its read-only config"\nlesson = "l"\n'
        '[image]\nimage = "${BUSYBOX_IMAGE}"\n'
        '[run]\ncommand = "cat /etc/app/app.ini; echo tuned >> /etc/app/app.ini"\n'
        'binds = { "conf/app.ini" = "/etc/app/app.ini:ro" }\n'
        '[expect]\nfindings = ["read-only-fs"]\ncontains = ["port = 8080"]\n')
    p = doctor("scenario", "run", "--path", str(folder), env=scenario_env)
    assert p.returncode == 0, p.stderr + p.stdout
    assert (folder / "conf" / "app.ini").read_text() == "[server]\nport = 8080\n"
    leftovers = [d for d in Path("/tmp").glob("doctor-scn-bound-*")]
    assert leftovers == [], leftovers


def test_keep_leaves_the_objects_and_says_how_to_remove_them(scenario_env, docker_client,
                                                             nothing_left) -> None:
    p = doctor("scenario", "run", "python-missing-env", "--keep", env=scenario_env)
    assert p.returncode == 0, p.stderr
    commands = [line.split("remove with: ", 1)[1] for line in p.stderr.splitlines()
                if "kept; remove with: " in line]
    assert commands and commands[0].startswith("docker rm -f "), p.stderr
    kept = scenario_objects(docker_client)
    assert kept["containers"] and kept["images"]
    for command in commands:  # what we tell the user works
        subprocess.run(command, shell=True, check=True, capture_output=True)
