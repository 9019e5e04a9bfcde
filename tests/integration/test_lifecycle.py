"""A container's life, produced for real: restart loops, failing health checks, containers
never started or that could not start, paused, dead, services that daemonised and exited,
logs that cannot be read or are empty, and the non-zero-exit fallback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker
import pytest

from tests.conftest import BUSYBOX, PYTHON, doctor

MS = 1_000_000  # docker-py health check durations are in nanoseconds


# -- restart-loop ----------------------------------------------------------------------


def test_restart_loop_with_last_exit_classified(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo starting; echo 'fatal: cannot open /data/app.db: "
                                      "no such file' >&2; exit 1"],
                wait=False, restart_policy={"Name": "always"})
    for _attempt in range(3):
        # The engine backs off 100 ms, 200 ms, 400 ms... so after three restarts the
        # container spends nearly all its time `restarting`; catch it there (a report taken
        # in the few ms it runs has no last exit to classify).
        lab.wait_for(c, lambda a: a["RestartCount"] >= 3 and a["State"]["Restarting"],
                     timeout=30, what="3 restarts")
        r = lab.inspect(c)
        if r.json["container"]["status"] == "restarting":
            break
    assert r.json["container"]["status"] == "restarting", r.text
    assert "restart-loop" in r.ids, r.text
    f = r.finding("restart-loop")
    assert f["severity"] == "error"
    assert "last exit 1" in f["title"]
    ev = r.evidence_text("restart-loop")
    assert "HostConfig.RestartPolicy: always" in ev
    count = int(ev.split("RestartCount: ")[1].split()[0])
    assert count >= 3
    # the loop is how it fails; the last exit says why
    assert "nonzero-exit" in r.ids, r.ids
    assert "fatal: cannot open /data/app.db" in r.evidence_text("nonzero-exit")
    assert r.verdict == "restart-loop", r.text


def test_restart_loop_on_failure_gave_up(lab):
    # on-failure:2 stops after two restarts: exited, not restarting, but it still looped
    c = lab.run(BUSYBOX, ["sh", "-c", "echo 'config missing' >&2; exit 4"],
                restart_policy={"Name": "on-failure", "MaximumRetryCount": 2}, wait=False)
    lab.wait_for(c, lambda a: a["RestartCount"] == 2 and a["State"]["Status"] == "exited",
                 timeout=30, what="exited after 2 restarts")
    r = lab.inspect(c)
    f = r.finding("restart-loop")
    assert f["severity"] == "warning"  # fewer than 3 restarts
    assert "2 restarts" in f["title"] and "last exit 4" in f["title"]
    assert "on-failure:2" in r.evidence_text("restart-loop")
    assert r.verdict == "nonzero-exit", r.text


# -- unhealthy -------------------------------------------------------------------------


def test_unhealthy_shows_probe_output(lab):
    probe = "wget -q -O- http://127.0.0.1:8080/healthz"
    c = lab.run(BUSYBOX, ["sh", "-c", "echo listening on 9090; exec sleep 300"], wait=False,
                healthcheck={"test": ["CMD-SHELL", probe], "interval": 200 * MS,
                             "timeout": 2000 * MS, "retries": 2})
    lab.wait_for(c, lambda a: a["State"]["Health"]["Status"] == "unhealthy", timeout=30,
                 what="unhealthy")
    r = lab.inspect(c)
    assert r.verdict == "unhealthy", r.text
    assert r.json["container"]["status"] == "running"
    ev = r.evidence_text("unhealthy")
    assert "health probe exit 1" in ev
    # busybox wget's own words, from State.Health.Log
    assert "can't connect to remote host (127.0.0.1): Connection refused" in ev
    assert probe in ev


def test_unhealthy_probe_binary_missing(lab):
    # exec form: the engine itself cannot run the probe, the output is the engine's error
    c = lab.run(BUSYBOX, ["sleep", "300"], wait=False,
                healthcheck={"test": ["CMD", "curl", "-fsS", "http://localhost/"],
                             "interval": 200 * MS, "timeout": 2000 * MS, "retries": 2})
    lab.wait_for(c, lambda a: a["State"]["Health"]["Status"] == "unhealthy", timeout=30,
                 what="unhealthy")
    r = lab.inspect(c)
    assert r.verdict == "unhealthy", r.text
    ev = r.evidence_text("unhealthy")
    assert 'exec: "curl": executable file not found in $PATH' in ev
    assert "health probe exit -1" in ev


# -- never-started / start-failed ------------------------------------------------------


def test_never_started(lab):
    c = lab.create(BUSYBOX, ["sh", "-c", "echo hi"])
    r = lab.inspect(c)
    assert r.verdict == "never-started", r.text
    assert r.ids == ["never-started"], r.ids  # no "logs-empty": it never ran
    assert r.finding("never-started")["severity"] == "warning"
    assert "State.StartedAt: never" in r.evidence_text("never-started")


def test_start_failed_unknown_user(lab):
    # The engine looks the user up in the image's /etc/passwd when starting; no specific
    # finding covers this, so the generic start-failed is the verdict, quoting the engine.
    c = lab.run(BUSYBOX, ["id"], user="appuser")
    st = c.attrs["State"]
    assert st["Status"] == "created" and st["ExitCode"] == 128, st
    assert "unable to find user appuser" in st["Error"]
    r = lab.inspect(c)
    assert r.verdict == "start-failed", r.text
    ev = r.evidence_text("start-failed")
    assert "unable to find user appuser: no matching entries in passwd file" in ev
    assert "State.ExitCode: 128" in ev
    assert "never-started" not in r.ids and "logs-empty" not in r.ids, r.ids


def test_start_failed_network_of_stopped_container(lab):
    # --network container:X needs X running
    other = lab.create(BUSYBOX, ["sleep", "300"])
    c = lab.run(BUSYBOX, ["true"], network_mode=f"container:{other.id}")
    st = c.attrs["State"]
    assert st["Status"] == "created" and st["Error"], st
    r = lab.inspect(c)
    assert r.verdict == "start-failed", r.text
    assert "cannot join network of a non running container" in r.evidence_text("start-failed")


# -- paused ----------------------------------------------------------------------------


def test_paused(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo worker ready; exec sleep 300"], wait=False)
    lab.wait_for(c, lambda a: a["State"]["Running"], what="running")
    c.pause()
    try:
        r = lab.inspect(c)
    finally:
        c.unpause()
    assert r.verdict == "paused", r.text
    assert r.json["container"]["status"] == "paused"
    assert "error" not in r.severities() and "warning" not in r.severities(), r.ids
    assert "State.Paused: True" in r.evidence_text("paused")
    assert r.exit_code == 0


# -- dead ------------------------------------------------------------------------------


def test_dead_after_failed_removal(lab):
    # Make `docker rm` fail the way a busy mount does: a file in the container's overlay2
    # upper dir is immutable, so the engine cannot delete the file system and marks the
    # container dead.
    c = lab.run(BUSYBOX, ["sh", "-c", "echo job done > /result.txt"])
    upper = c.attrs["GraphDriver"]["Data"]["UpperDir"]
    pinned = Path(upper) / "result.txt"
    assert pinned.is_file(), upper
    subprocess.run(["chattr", "+i", str(pinned)], check=True)
    try:
        with pytest.raises(docker.errors.APIError) as err:
            c.remove()
        assert "operation not permitted" in str(err.value)
        c.reload()
        assert c.attrs["State"]["Status"] == "dead" and c.attrs["State"]["Dead"] is True
        r = lab.inspect(c)
    finally:
        subprocess.run(["chattr", "-i", str(pinned)], check=True)
    assert r.verdict == "dead", r.text
    f = r.finding("dead")
    assert f["severity"] == "error"
    assert "removing its file system failed" in f["title"]
    ev = r.evidence_text("dead")
    assert "State.Status: dead" in ev
    assert 'driver "overlay2" failed to remove root filesystem' in ev
    assert "result.txt: operation not permitted" in ev
    # the engine refuses logs of a dead container: that is not "it printed nothing"
    assert "logs-empty" not in r.ids
    assert "can not get logs from container which is dead" in r.text


# -- exited-immediately and its control ------------------------------------------------


def test_exited_immediately_nginx_image(lab):
    # The classic: an image whose CMD starts nginx, which forks into the background and
    # leaves PID 1 nothing to do.
    image = lab.build(f"FROM {PYTHON}\nEXPOSE 80\nCMD [\"nginx\"]\n")
    c = lab.run(image)
    st = c.attrs["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 0, st
    r = lab.inspect(c)
    assert r.verdict == "exited-immediately", r.text
    f = r.finding("exited-immediately")
    assert f["severity"] == "error"
    assert "80/tcp" in f["explanation"] and "runs nginx" in f["explanation"]
    assert "Config.Entrypoint+Cmd: nginx" in r.evidence_text("exited-immediately")
    assert r.exit_code == 0
    assert doctor("inspect", c.id, "--fail-on", "error").returncode == 5


def test_exited_immediately_nginx_published_port(lab):
    c = lab.run(PYTHON, ["nginx"], network_mode="bridge",
                ports={"8080/tcp": ("127.0.0.1", None)})
    assert c.attrs["State"]["ExitCode"] == 0
    r = lab.inspect(c)
    assert r.verdict == "exited-immediately", r.text
    assert "127.0.0.1:" in r.finding("exited-immediately")["explanation"]


def test_batch_job_exiting_quickly_is_not_exited_immediately(lab):
    c = lab.run(PYTHON, ["python3", "-c", "print('migrated 3 tables')"])
    assert c.attrs["State"]["ExitCode"] == 0
    r = lab.inspect(c)
    assert "exited-immediately" not in r.ids, r.text
    assert "error" not in r.severities() and "warning" not in r.severities(), r.ids
    assert r.text.startswith("✔ OK"), r.text


# -- logs ------------------------------------------------------------------------------


def test_log_driver_none(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo 'cannot reach queue' >&2; exit 2"],
                log_config={"type": "none"})
    assert c.attrs["State"]["ExitCode"] == 2
    r = lab.inspect(c)
    f = r.finding("log-driver-unreadable")
    assert f["severity"] == "warning"
    assert "none" in f["title"]
    ev = r.evidence_text("log-driver-unreadable")
    assert "HostConfig.LogConfig.Type: none" in ev
    assert "does not support reading" in ev  # the engine's own answer
    assert "logs-empty" not in r.ids  # unread is not empty
    assert r.verdict == "nonzero-exit", r.text  # the exit is still classified


def test_logs_empty(lab):
    c = lab.run(BUSYBOX, ["true"])
    r = lab.inspect(c, "--fail-on", "warning")
    assert r.ids == ["logs-empty"], r.ids
    assert r.finding("logs-empty")["severity"] == "info"
    assert r.exit_code == 0  # info does not trip --fail-on warning
    assert doctor("inspect", c.id, "--fail-on", "info").returncode == 5


# -- nonzero-exit ----------------------------------------------------------------------


def test_nonzero_exit_fallback(lab):
    script = ("echo 'starting billing worker'; echo 'loaded 12 plans'; "
              "echo 'ERROR quota exceeded for tenant 42, giving up' >&2; exit 3")
    c = lab.run(BUSYBOX, ["sh", "-c", script])
    assert c.attrs["State"]["ExitCode"] == 3
    r = lab.inspect(c)
    assert r.verdict == "nonzero-exit", r.text
    f = r.finding("nonzero-exit")
    assert "exit 3" in f["title"]
    ev = r.evidence_text("nonzero-exit")
    assert "State.ExitCode: 3" in ev
    assert "ERROR quota exceeded for tenant 42" in ev
    assert "logs stderr" in ev
    assert "loaded 12 plans" not in ev  # only the error-like lines
    assert r.exit_code == 0
