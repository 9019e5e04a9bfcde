"""Deep forensics on real containers: apps that log only to files, shell history with
secrets, the decision to look inside, cleanup of the debug copy in every path (keep, gc,
SIGTERM, SIGINT, kill -9), the inspected container left untouched (stopped and running,
never paused), shell-less images, hostile files, volumes, and the probes.

Every file here is written by a real process in the container; doctor reads it back.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import docker
import pytest

from tests.conftest import BUSYBOX, PYTHON, doctor

ARTIFACT = "dockerdoctor.artifact"
SOURCE = "dockerdoctor.source"
MAX_FILE = 64 * 1024  # the per-file tail forensics keeps (DeepOptions.max_file)


# -- helpers ---------------------------------------------------------------------------


def artifacts(client: Any, cid: str) -> tuple[list[dict], list[dict]]:
    """(containers, images) dockerdoctor labelled as debug artifacts of container `cid`."""
    filters = {"label": [ARTIFACT, f"{SOURCE}={cid}"]}
    return (client.api.containers(all=True, filters=filters),
            client.api.images(filters=filters))


def assert_no_artifacts(client: Any, cid: str, what: str = "") -> None:
    containers, images = artifacts(client, cid)
    assert not containers and not images, (
        f"{what}: left behind containers {[c['Id'][:12] for c in containers]}, "
        f"images {[i['Id'][7:19] for i in images]}")


@pytest.fixture(autouse=True)
def _no_debug_leftovers(lab: Any, docker_client: Any) -> Any:
    """Whatever a failing test left (a kept image, a killed run's copy) goes too."""
    yield
    for c in lab.containers:
        containers, images = artifacts(docker_client, c.id)
        for ctr in containers:
            with contextlib.suppress(docker.errors.APIError):
                docker_client.api.remove_container(ctr["Id"], force=True, v=True)
        for img in images:
            with contextlib.suppress(docker.errors.APIError):
                docker_client.api.remove_image(img["Id"], force=True)


@dataclass
class Deep:
    """One diagnosis in the three formats (three runs of the real CLI, concurrently)."""

    json: dict[str, Any]
    text: str
    md: str
    raw_json: str

    @property
    def fx(self) -> dict[str, Any]:
        return self.json["forensics"]

    @property
    def ids(self) -> list[str]:
        return [f["id"] for f in self.json["findings"]]

    def file(self, path: str) -> dict[str, Any]:
        for f in self.fx["files"]:
            if f["path"] == path:
                return f
        raise AssertionError(f"{path} not collected: {[f['path'] for f in self.fx['files']]}"
                             f"\n{self.text}")

    def sources(self) -> list[str]:
        return [e["source"] for f in self.json["findings"] for e in f["evidence"]]

    def everything(self) -> str:
        return "\n".join((self.raw_json, self.text, self.md))


def inspect_all(client: Any, c: Any, *args: str, formats: tuple[str, ...] = (
        "json", "text", "markdown"), check: bool = True) -> Deep:
    cid = c if isinstance(c, str) else c.id
    with ThreadPoolExecutor(len(formats)) as pool:
        runs = {f: pool.submit(doctor, "inspect", cid, "--format", f, *args) for f in formats}
        out = {f: r.result() for f, r in runs.items()}
    for f, r in out.items():
        assert r.returncode == 0, f"doctor inspect -f {f} {args}: rc {r.returncode}\n{r.stderr}"
        assert "Traceback" not in r.stderr, r.stderr
    if check and "--keep-debug-image" not in args:
        assert_no_artifacts(client, cid, f"doctor inspect {' '.join(args)}")
    raw = out["json"].stdout if "json" in out else "{}"
    return Deep(json.loads(raw), out["text"].stdout if "text" in out else "",
                out["markdown"].stdout if "markdown" in out else "", raw)


def read_file(c: Any, path: str) -> bytes:
    """A file's bytes straight from the engine, as ground truth."""
    stream, _ = c.get_archive(path)
    buf = io.BytesIO(b"".join(stream))
    with tarfile.open(fileobj=buf) as tar:
        member = tar.next()
        assert member is not None
        fh = tar.extractfile(member)
        assert fh is not None
        return fh.read()


class Recorder:
    """The engine's events, recorded live while a block runs: its history keeps only the
    last 256, and archive reads of containers with volumes fill it fast."""

    def __init__(self, client: Any, **filters: Any) -> None:
        self.client = client
        self.filters = filters
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Recorder:
        # the engine subscribes before it answers: events() returning means we listen
        self.stream = self.client.api.events(filters=self.filters, decode=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        return self

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream is closed under us at the end
            for e in self.stream:
                self.events.append(e)

    def __exit__(self, *exc: Any) -> None:
        time.sleep(0.3)  # the engine publishes events asynchronously
        self.stream.close()
        self.thread.join(5)

    def actions(self, cid: str) -> list[str]:
        return [e.get("Action", "") for e in self.events
                if e.get("Type") == "container" and e.get("Actor", {}).get("ID") == cid]

    def debug_volumes(self, cid: str) -> set[str]:
        """Volumes mounted for the debug containers of `cid` (an image's VOLUME gives every
        container made from its copy an anonymous one)."""
        debug: set[str] = set()
        volumes: set[str] = set()
        for e in self.events:
            attrs = e.get("Actor", {}).get("Attributes", {})
            if e.get("Type") == "container" and attrs.get(SOURCE) == cid:
                debug.add(e["Actor"]["ID"])
            elif e.get("Type") == "volume" and e.get("Action") == "mount" and \
                    attrs.get("container") in debug:
                volumes.add(e["Actor"]["ID"])
        return volumes


def existing_volumes(client: Any, names: set[str]) -> set[str]:
    left = set()
    for name in names:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.inspect_volume(name)
            left.add(name)
    return left


def state_of(client: Any, cid: str) -> dict[str, Any]:
    a = client.api.inspect_container(cid)
    st = a["State"]
    keys = ("Status", "Running", "Paused", "StartedAt", "FinishedAt", "ExitCode", "Pid",
            "OOMKilled", "Restarting", "Dead", "Error")
    return {"State": {k: st.get(k) for k in keys}, "RestartCount": a["RestartCount"],
            "Image": a["Image"], "diff": sorted((d["Path"], d["Kind"])
                                                 for d in client.api.diff(cid) or [])}


# A Python worker that logs only to a file: nothing on stdout or stderr, exit 3.
WORKER = '''\
import os
import sys
import traceback

LOG = "/var/log/app/app.err"


def load_queue_config():
    with open("/etc/worker/queue.toml") as fh:
        return fh.read()


def main():
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, "a") as log:
        log.write("INFO worker 2.3 starting, pid %d\\n" % os.getpid())
        try:
            load_queue_config()
        except OSError:
            log.write("FATAL cannot load the queue configuration\\n")
            log.write(traceback.format_exc())
            return 3
    return 0


sys.exit(main())
'''


# -- 1. an app that logs only to a file ------------------------------------------------


def test_file_only_app_explained_from_its_log_file(lab, docker_client):
    image = lab.build(f"FROM {PYTHON}\nCOPY worker.py /app/worker.py\n"
                      'CMD ["python3", "/app/worker.py"]\n',
                      {"worker.py": (WORKER, 0o644)})
    c = lab.run(image)
    assert c.attrs["State"]["ExitCode"] == 3
    assert c.logs() == b""  # it printed nothing
    written = read_file(c, "/var/log/app/app.err").decode().splitlines()
    line_no = next(i for i, x in enumerate(written, 1) if x.startswith("FileNotFoundError"))

    r = inspect_all(docker_client, c)
    assert r.fx["ran"] is True, r.text
    assert "printed nothing" in r.fx["reason"]
    assert r.fx["method"] == "debug-container"
    f = r.file("/var/log/app/app.err")
    assert f["kind"] == "log" and f["truncated"] is False
    assert f["text"].splitlines() == written  # the whole file, as the worker wrote it
    # the verdict is the exception in the file, and its evidence names file and line
    assert r.json["verdict"]["id"] == "python-exception", r.text
    ev = r.json["findings"][0]["evidence"]
    assert any(e["source"] == f"file /var/log/app/app.err:{line_no}"
               and "No such file or directory: '/etc/worker/queue.toml'" in e["text"]
               for e in ev), ev
    assert "logs-empty" in r.ids  # the report still says the container printed nothing
    assert r.json["logs"]["tail"] == []
    # text and markdown show the excerpt, and the evidence with file:line
    assert "deep forensics: ran (the container printed nothing)" in r.text
    assert "last lines of /var/log/app/app.err:" in r.text
    assert "    | FATAL cannot load the queue configuration" in r.text
    assert f"file /var/log/app/app.err:{line_no}: FileNotFoundError" in r.text
    assert "#### Deep forensics" in r.md
    assert "<summary>Last lines of /var/log/app/app.err</summary>" in r.md
    assert "\nFATAL cannot load the queue configuration\n" in r.md
    assert f"file /var/log/app/app.err:{line_no}" in r.md


# -- 2. secrets in shell history, env and log files never leave ------------------------

SECRETS_SCRIPT = r"""
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
mkdir -p /var/log/billing
{
  echo 'ls -la /srv/billing'
  echo "export DB_PASSWORD=pw$(hex 8)"
  echo "git clone https://deploy:url$(hex 8)@git.example.com/acme/billing.git"
  echo "curl -H 'X-Auth: ghp_$(hex 18)' https://api.github.com/user"
  echo 'exit'
} > /root/.ash_history
echo "billing 1.2 starting" > /var/log/billing/app.log
echo "ledger login with api token $API_TOKEN" >> /var/log/billing/app.log
echo "FATAL: cannot reach postgres://billing:log$(hex 8)@db:5432/billing" \
  >> /var/log/billing/app.log
exit 1
"""


def test_secrets_in_history_env_and_files_are_redacted(lab, docker_client):
    env_secret = "envtok-" + os.urandom(6).hex()
    c = lab.run(BUSYBOX, ["sh", "-c", SECRETS_SCRIPT], environment={"API_TOKEN": env_secret})
    assert c.attrs["State"]["ExitCode"] == 1
    history = read_file(c, "/root/.ash_history").decode()
    log = read_file(c, "/var/log/billing/app.log").decode()
    secrets = {
        "history password": re.search(r"DB_PASSWORD=(\S+)", history)[1],
        "history URL credential": re.search(r"deploy:([^@]+)@", history)[1],
        "history GitHub token": re.search(r"(ghp_[0-9a-f]{36})", history)[1],
        "password only in the log file": re.search(r"billing:([^@]+)@", log)[1],
        "secret env var (also in the log file)": env_secret,
    }
    assert env_secret in log

    r = inspect_all(docker_client, c)
    for what, value in secrets.items():
        assert value not in r.everything(), f"{what} leaked: {value}"
    assert r.fx["ran"] is True and "printed nothing" in r.fx["reason"]
    h = r.file("/root/.ash_history")
    assert h["kind"] == "history"
    assert h["text"].splitlines()[0] == "ls -la /srv/billing"  # shown, not dropped
    assert "export DB_PASSWORD=[redacted]" in h["text"]
    assert "https://deploy:[redacted]@git.example.com/acme/billing.git" in h["text"]
    assert "X-Auth: [redacted]" in h["text"]
    assert "shell history /root/.ash_history:" in r.text
    assert "    | export DB_PASSWORD=[redacted]" in r.text
    assert "\nexport DB_PASSWORD=[redacted]\n" in r.md
    lf = r.file("/var/log/billing/app.log")
    assert "ledger login with api token [redacted]" in lf["text"]
    assert "postgres://billing:[redacted]@db:5432/billing" in lf["text"]
    assert "postgres://billing:[redacted]@db" in r.text

    # the same run with --no-redact shows them all: they were collected, then redacted
    raw = doctor("inspect", c.id, "--format", "json", "--no-redact")
    assert raw.returncode == 0, raw.stderr
    for what, value in secrets.items():
        assert value in raw.stdout, f"{what} was never collected"
    assert "secrets are not redacted" in raw.stderr
    assert_no_artifacts(docker_client, c.id, "--no-redact")


# -- 3. when forensics runs ------------------------------------------------------------


def test_decision_on_real_containers(lab, docker_client):
    file_only = lab.run(BUSYBOX, ["sh", "-c", "mkdir -p /var/log/job; "
                                              "echo 'FATAL: quota exceeded' > /var/log/job/run.log;"
                                              " exit 4"])
    explained = lab.run(BUSYBOX, ["sh", "-c", "echo starting; echo hi > /etc/motd; exit 2"],
                        user="nobody")
    healthy = lab.run(BUSYBOX, ["sh", "-c", "echo ready; exec sleep 300"], wait=False)
    lab.wait_for(healthy, lambda a: a["State"]["Running"], timeout=10, what="running")
    cases = [
        (file_only, (), True, "the container printed nothing"),
        (file_only, ("--no-deep",), False, "not run: --no-deep"),
        (explained, (), False, "not run: the logs explain the failure"),
        (explained, ("--deep",), True, "forced by --deep"),
        (healthy, (), False, "not run: the container is running"),
    ]
    with Recorder(docker_client, type=["container"]) as rec, \
            ThreadPoolExecutor(len(cases)) as pool:
        runs = [pool.submit(inspect_all, docker_client, c, *args, formats=("json",),
                            check=False)
                for c, args, _, _ in cases]
        results = [f.result() for f in runs]
    for c in (file_only, explained, healthy):
        assert_no_artifacts(docker_client, c.id, c.name)
    for (c, args, ran, reason), r in zip(cases, results, strict=True):
        where = f"{c.name} {args}"
        assert r.fx["ran"] is ran, f"{where}: {r.fx}"
        assert r.fx["reason"].startswith(reason), f"{where}: {r.fx['reason']}"
        if not ran:
            assert r.fx["files"] == [] and r.fx["probes"] == {}, where
    # forensics is what found the file: without it the finding is gone
    assert "/var/log/job/run.log" in json.dumps(results[0].json["findings"])
    assert "/var/log/job/run.log" not in json.dumps(results[1].json["findings"])
    assert results[2].json["verdict"]["id"] == "permission-denied"
    assert results[3].fx["method"] == "debug-container" and results[3].fx["probes"]
    # the running container was only read: not committed, never paused
    assert "commit" in rec.actions(explained.id)  # forced: a debug copy was made
    actions = rec.actions(healthy.id)
    assert "archive-path" not in actions, actions  # not even a file was read
    assert "commit" not in actions and "pause" not in actions, actions


# -- 4. cleanup: keep, gc, interrupts, kill -9 -----------------------------------------


def test_keep_debug_image_then_gc(lab, docker_client):
    c = lab.run(BUSYBOX, ["sh", "-c", "mkdir -p /var/log; echo 'FATAL: no license' "
                                      "> /var/log/lic.log; exit 1"])
    txt = doctor("inspect", c.id, "--keep-debug-image")
    assert txt.returncode == 0, txt.stderr
    containers, images = artifacts(docker_client, c.id)
    assert containers == [] and len(images) == 1, (containers, images)
    kept = images[0]["Id"]
    assert images[0]["Labels"][ARTIFACT] == "debug-image"
    enter = f"docker run -it --rm --network none --cap-drop ALL --entrypoint sh {kept[7:19]}"
    assert f"debug image kept; enter it with: {enter}" in txt.stdout, txt.stdout
    # the kept image is a copy of the container: its file is there
    probe = lab.run(kept[7:19], ["-c", "cat /var/log/lic.log"], entrypoint="sh",
                    cap_drop=["ALL"])
    assert probe.logs() == b"FATAL: no license\n"
    probe.remove(force=True)
    # gc's default age (10m) leaves a fresh one alone: a run in progress may own it
    gc = doctor("gc")
    assert gc.returncode == 0, gc.stderr
    assert [i["Id"] for i in artifacts(docker_client, c.id)[1]] == [kept]
    gc = doctor("gc", "--all")
    assert gc.returncode == 0, gc.stderr
    assert "removed image dockerdoctor-debug:" in gc.stdout, gc.stdout
    assert_no_artifacts(docker_client, c.id, "doctor gc --all")


SLOW_SH = '#!/bin/busybox sh\n/bin/busybox sleep 20\nexec /bin/busybox sh "$@"\n'


def slow_probe_image(lab: Any) -> str:
    """busybox whose /bin/sh sleeps 20 s first: the debug container's probe is slow (the
    inspected container's own command calls busybox directly). Its VOLUME gives every
    debug container an anonymous volume, which must go with it."""
    return lab.build(
        f"FROM {BUSYBOX}\nCOPY slowsh /slowsh\n"
        'RUN ["/bin/busybox", "sh", "-c", "rm /bin/sh && mv /slowsh /bin/sh"]\n'
        "VOLUME /cache\n",
        {"slowsh": (SLOW_SH, 0o755)})


def failed_on(lab: Any, image: str) -> Any:
    return lab.run(image, ["/bin/busybox", "sh", "-c",
                           "mkdir -p /var/log; echo 'FATAL: boom' > /var/log/svc.log; exit 1"])


def deep_run(cid: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dockerdoctor", "inspect", cid, "--deep", "--deep-timeout", "5",
         "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"})


@dataclass
class Seen:
    image: bool = False
    container: bool = False
    volumes: set[str] | None = None  # of the debug containers seen


def watch(client: Any, cid: str, p: subprocess.Popen[bytes], until: Any,
          timeout: float = 30) -> Seen:
    """Poll the artifacts of `cid` until `until(elapsed, containers, images)` is true or the
    process exits; returns what was seen."""
    start = time.monotonic()
    seen = Seen(volumes=set())
    while p.poll() is None and time.monotonic() - start < timeout:
        listed, images = artifacts(client, cid)
        seen.image |= bool(images)
        # the list shows a container while the engine still creates it (its volumes not
        # made yet, inspect says no such container): count it once it is registered
        containers = []
        for ctr in listed:
            with contextlib.suppress(docker.errors.NotFound):
                mounts = client.api.inspect_container(ctr["Id"])["Mounts"] or []
                seen.volumes |= {m["Name"] for m in mounts if m.get("Name")}
                containers.append(ctr)
        seen.container |= bool(containers)
        if until(time.monotonic() - start, containers, images):
            break
        time.sleep(0.02)
    return seen


def interrupt(client: Any, c: Any, sig: signal.Signals, delay: float | None,
              after: str | None) -> None:
    """Run `doctor inspect --deep` on `c`, send `sig` after `delay` seconds or once the
    debug `after` ("image", "container") exists, and check that nothing is left."""
    what = f"{sig.name} at {delay or after}"
    p = deep_run(c.id)
    try:
        def ready(elapsed: float, containers: list, images: list) -> bool:
            if delay is not None:
                return elapsed >= delay
            return bool(images) if after == "image" else bool(containers)

        seen = watch(client, c.id, p, ready)
        assert p.poll() is None, f"{what}: doctor finished before the signal"
        if after == "image":
            assert seen.image, what
        if after == "container":
            assert seen.container and seen.image, what
        p.send_signal(sig)
        _, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode in (130, -sig), f"{what}: rc {p.returncode}\n{err.decode()}"
    assert b"Traceback" not in err or p.returncode == -sig, err.decode()
    assert_no_artifacts(client, c.id, what)
    if seen.container:
        assert seen.volumes, f"{what}: the debug container had no anonymous volume"
        assert not existing_volumes(client, seen.volumes), f"{what}: its volume was left"


def test_interrupted_runs_leave_nothing(lab, docker_client):
    image = slow_probe_image(lab)
    cases = [
        (signal.SIGTERM, 0.3, None),
        (signal.SIGINT, 0.6, None),
        (signal.SIGTERM, 1.0, None),
        (signal.SIGINT, None, "image"),  # right after the commit
        (signal.SIGTERM, None, "container"),  # while the probe runs in the debug container
        (signal.SIGINT, None, "container"),
    ]
    targets = [failed_on(lab, image) for _ in cases]
    # meanwhile, one run is left alone: its probe outlives --deep-timeout 5 and is killed
    timed_out = failed_on(lab, image)
    with Recorder(docker_client, type=["container", "volume"]) as rec:
        started = time.monotonic()
        slow = deep_run(timed_out.id)
        try:
            for (sig, delay, after), c in zip(cases, targets, strict=True):
                interrupt(docker_client, c, sig, delay, after)
            out, err = slow.communicate(timeout=60)
        finally:
            if slow.poll() is None:
                slow.kill()
                slow.wait()
    assert slow.returncode == 0, err.decode()
    assert time.monotonic() - started >= 5
    fx = json.loads(out)["forensics"]
    assert fx["ran"] and fx["method"] == "debug-container", fx
    assert "the debug container was killed after 5s" in fx["errors"], fx["errors"]
    assert fx["probes"] == {}  # the slow shell never got to the probe
    assert "/var/log/svc.log" in [f["path"] for f in fx["files"]]  # read before the probe
    assert_no_artifacts(docker_client, timed_out.id, "--deep-timeout 5")
    volumes = rec.debug_volumes(timed_out.id)
    assert volumes and not existing_volumes(docker_client, volumes), volumes
    time.sleep(0.5)  # an interrupted engine call would land by now: still nothing
    for c in targets:
        assert_no_artifacts(docker_client, c.id, "after settling")


def test_kill_9_leaves_artifacts_that_gc_removes(lab, docker_client):
    c = failed_on(lab, slow_probe_image(lab))
    p = deep_run(c.id)
    seen = watch(docker_client, c.id, p, lambda _t, containers, images: containers and images)
    assert seen.image and seen.container and p.poll() is None
    p.kill()
    p.wait(timeout=10)
    containers, images = artifacts(docker_client, c.id)
    assert len(containers) == 1 and len(images) == 1  # what the killed run left
    volumes = seen.volumes or set()
    assert len(existing_volumes(docker_client, volumes)) == 1  # and its anonymous volume
    assert doctor("gc").returncode == 0  # too fresh for the default --older-than 10m
    assert [x["Id"] for x in artifacts(docker_client, c.id)[1]] == [images[0]["Id"]]
    gc = doctor("gc", "--all")
    assert gc.returncode == 0, gc.stderr
    assert f"removed container {containers[0]['Id'][:12]} (debug-container)" in gc.stdout
    assert "removed image dockerdoctor-debug:" in gc.stdout
    assert_no_artifacts(docker_client, c.id, "doctor gc --all after kill -9")
    assert not existing_volumes(docker_client, volumes), "gc left the debug volume"


# -- 5. the inspected container is left exactly as it was ------------------------------


def test_inspected_container_untouched_stopped_and_running(lab, docker_client):
    stopped = lab.run(BUSYBOX, ["sh", "-c", "mkdir -p /var/log; echo 'FATAL: bad' "
                                            "> /var/log/a.log; touch /tmp/x; exit 7"])
    running = lab.run(BUSYBOX, ["sh", "-c", "mkdir -p /var/log; echo started > /var/log/r.log;"
                                            " exec sleep 300"], wait=False)
    lab.wait_for(running, lambda a: a["State"]["Running"], timeout=10, what="running")
    before = {c.id: state_of(docker_client, c.id) for c in (stopped, running)}
    paused: list[bool] = []
    done = threading.Event()

    def poll_paused() -> None:
        while not done.is_set():
            paused.append(docker_client.api.inspect_container(running.id)["State"]["Paused"])
            time.sleep(0.02)

    poller = threading.Thread(target=poll_paused)
    poller.start()
    try:
        with Recorder(docker_client, type=["container"]) as rec:
            results = {c.id: inspect_all(docker_client, c, "--deep", formats=("json",))
                       for c in (stopped, running)}
    finally:
        done.set()
        poller.join()
    for c in (stopped, running):
        r = results[c.id]
        assert r.fx["ran"] and r.fx["method"] == "debug-container", r.fx
        assert r.fx["probes"].get("id", "").startswith("uid=0(root)"), r.fx["probes"]
        assert state_of(docker_client, c.id) == before[c.id], c.name
        actions = rec.actions(c.id)
        assert "commit" in actions, actions  # a debug copy was made...
        assert "pause" not in actions and "unpause" not in actions, actions  # ...unpaused
    assert before[running.id]["State"]["Running"] and before[running.id]["State"]["Pid"]
    assert paused and not any(paused), "the running container was paused"
    assert "/var/log/r.log" in [f["path"] for f in results[running.id].fx["files"]]


# -- 6. a shell-less image: the archive method -----------------------------------------

GO_SERVER = """package main

import (
	"fmt"
	"os"
)

func main() {
	if err := os.MkdirAll("/var/log", 0o755); err != nil {
		os.Exit(70)
	}
	f, err := os.OpenFile("/var/log/app.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		os.Exit(71)
	}
	fmt.Fprintln(f, "INFO: server 1.4.2 starting")
	if _, err := os.Stat("/etc/app.yaml"); err != nil {
		if os.Getenv("SHOW_ERROR") != "" {
			fmt.Fprintf(f, "FATAL: config: %v\\n", err)
		} else {
			fmt.Fprintln(f, "FATAL: config /etc/app.yaml missing")
		}
		f.Close()
		os.Exit(2)
	}
}
"""


@pytest.fixture(scope="module")
def go_server(tmp_path_factory: Any) -> bytes:
    go = shutil.which("go")
    assert go, "the Go toolchain is needed to build a static binary for a FROM scratch image"
    src = tmp_path_factory.mktemp("goserver")
    (src / "main.go").write_text(GO_SERVER)
    env = {**os.environ, "CGO_ENABLED": "0", "GO111MODULE": "off", "GOFLAGS": "",
           "GOPROXY": "off"}
    built = subprocess.run([go, "build", "-trimpath", "-ldflags", "-s -w", "-o", "server",
                            "main.go"], cwd=src, env=env, capture_output=True, text=True,
                           timeout=180)
    assert built.returncode == 0, built.stderr
    return (src / "server").read_bytes()


def scratch_server(lab: Any, binary: bytes, **kw: Any) -> Any:
    image = lab.build('FROM scratch\nCOPY server /app/server\nENTRYPOINT ["/app/server"]\n',
                      {"server": (binary, 0o755)})
    c = lab.run(image, **kw)
    assert c.attrs["State"]["ExitCode"] == 2 and c.logs() == b""
    return c


def test_shell_less_image_read_through_the_archive(lab, docker_client, go_server):
    c = scratch_server(lab, go_server)
    assert read_file(c, "/var/log/app.log").endswith(b"FATAL: config /etc/app.yaml missing\n")
    r = inspect_all(docker_client, c)
    assert r.fx["ran"] and "printed nothing" in r.fx["reason"]
    assert r.fx["method"] == "archive", r.fx
    assert r.fx["probes"] == {}
    assert any("no shell" in e for e in r.fx["errors"]), r.fx["errors"]
    f = r.file("/var/log/app.log")
    assert f["text"] == "INFO: server 1.4.2 starting\nFATAL: config /etc/app.yaml missing\n"
    assert "file /var/log/app.log:2" in r.sources(), r.text
    assert "through the archive API (no shell in the image)" in r.text
    assert "    | FATAL: config /etc/app.yaml missing" in r.text
    assert "the archive API (the image has no shell)" in r.md
    assert_no_artifacts(docker_client, c.id)


def test_go_stat_error_in_the_apps_own_log_is_not_an_exec_failure(lab, docker_client,
                                                                  go_server):
    c = scratch_server(lab, go_server, environment={"SHOW_ERROR": "1"})
    text = read_file(c, "/var/log/app.log").decode()
    assert "FATAL: config: stat /etc/app.yaml: no such file or directory" in text
    r = inspect_all(docker_client, c, formats=("json",))
    assert "file /var/log/app.log:2" in r.sources()  # forensics found it...
    assert r.json["verdict"]["id"] != "command-not-found", r.json["verdict"]  # ...misread


# -- 7. hostile files -------------------------------------------------------------------

HOSTILE = r'''
import os, sys
os.makedirs("/var/log/svc", exist_ok=True)
with open("/var/log/svc/term.log", "wb") as fh:
    fh.write(b"INFO ok\n")
    fh.write(b"\x1b[2J\x1b[31mRED\x1b[0m \x1b]0;pwned-title\x07 bad utf8: \xff\xfe\xc3\x28 end\n")
    fh.write(b"ERROR worker crashed: \x1b[1mbold\x1b[0m \xe2\x80\xae reversed\n")
with open("/var/log/svc/\x1b[31mevil\x07.log", "w") as fh:
    fh.write("named to fool a terminal\n")
with open("/var/log/svc/big.log", "wb") as fh:
    line = b"DEBUG " + b"x" * 94 + b"\n"
    fh.write(line * (20 * 1024 * 1024 // len(line)))
    fh.write(b"FATAL out of disk quota writing /var/log/svc/big.log\n")
with open("/var/log/svc/huge.log", "wb") as fh:  # past the 32 MiB stream limit
    fh.write((b"MIDDLE of a " + b"huge log\n") * (40 * 1024 * 1024 // 21))
    fh.write(b"FATAL the real last line\n")
os.symlink("/etc/shadow", "/var/log/svc/shadow.log")
os.mkfifo("/var/log/svc/events.pipe")
sys.exit(1)
'''


def test_hostile_files_neutralised_capped_and_not_followed(lab, docker_client):
    c = lab.run(PYTHON, ["python3", "-c", HOSTILE])
    assert c.attrs["State"]["ExitCode"] == 1, c.logs()
    big_size = 20 * 1024 * 1024 // 101 * 101 + len(b"FATAL out of disk quota writing "
                                                     b"/var/log/svc/big.log\n")
    r = inspect_all(docker_client, c)
    # escape sequences and bidi controls never reach a terminal or a markdown viewer
    for out in (r.text, r.md):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "| \\x1b[2J\\x1b[31mRED\\x1b[0m \\x1b]0;pwned-title\\x07 bad utf8: " in r.text
    assert "\\u202e reversed" in r.text and "\\u202e reversed" in r.md
    assert "\ufffd" in r.file("/var/log/svc/term.log")["text"]  # invalid UTF-8 replaced
    assert "/var/log/svc/\\x1b[31mevil\\x07.log" in r.text
    # a 20 MB log: only its tail is read
    big = r.file("/var/log/svc/big.log")
    assert big["size"] == big_size and big["truncated"] is True
    assert len(big["text"].encode()) <= MAX_FILE
    assert big["text"].endswith("FATAL out of disk quota writing /var/log/svc/big.log\n")
    assert "/var/log/svc/big.log  log  20.0 MiB  (tail)" in r.text
    # a 40 MB log: its end lies past what the archive API may stream, so nothing of it is
    # passed off as its last lines (the middle of the file is not its tail)
    huge = r.file("/var/log/svc/huge.log")
    assert huge["text"] is None and huge["note"].startswith("not read: its end lies past"), huge
    assert "MIDDLE of a huge log" not in r.everything()
    assert [f["path"] for f in r.fx["files"]].count("/var/log/svc/huge.log") == 1
    # a symlink to /etc/shadow and a FIFO: listed, not followed, not read
    link = r.file("/var/log/svc/shadow.log")
    assert link["text"] is None and link["note"] == "symlink -> /etc/shadow: not followed or read"
    fifo = r.file("/var/log/svc/events.pipe")
    assert fifo["text"] is None and fifo["note"] == "fifo: not followed or read"
    shadow = read_file(c, "/etc/shadow").decode().splitlines()[0]  # root:*:NNNNN:...
    assert shadow.startswith("root:") and shadow not in r.everything()
    assert "(symlink -> /etc/shadow: not followed or read)" in r.text
    assert "(fifo: not followed or read)" in r.text


def test_file_in_a_volume_named_by_the_evidence(lab, docker_client):
    vol = lab.volume()
    mount = {vol.name: {"bind": "/data", "mode": "rw"}}
    setup = lab.run(BUSYBOX, ["sh", "-c", "echo 'schema=3 owner=root' > /data/state.db; "
                                          "chmod 600 /data/state.db; mkdir /data/cache; "
                                          "echo 'not named by anything' > /data/cache/blob.log"],
                    volumes=mount)
    assert setup.attrs["State"]["ExitCode"] == 0
    c = lab.run(BUSYBOX, ["sh", "-c", "echo starting; echo entry >> /data/state.db; exit 1"],
                user="nobody", volumes=mount)
    assert b"can't create /data/state.db: Permission denied" in c.logs()
    r = inspect_all(docker_client, c, "--deep", formats=("json", "text"))
    assert r.json["verdict"]["id"] == "permission-denied"
    f = r.file("/data/state.db")
    assert f["kind"] == "volume" and f["text"] == "schema=3 owner=root\n"
    # the volume is not walked as if it were the container's own changes
    assert [x["path"] for x in r.fx["files"] if x["path"].startswith("/data/")] == [
        "/data/state.db"], r.fx["files"]
    assert "/data/state.db  volume" in r.text


# -- 8. the probes ---------------------------------------------------------------------


def test_probes_as_the_containers_user(lab, docker_client):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo starting; echo ok > /data/out.txt; exit 1"],
                user="nobody", working_dir="/data")
    assert b"can't create /data/out.txt: Permission denied" in c.logs()
    r = inspect_all(docker_client, c, "--deep", formats=("json", "text"))
    probes = r.fx["probes"]
    assert probes["id"].startswith("uid=65534(nobody)"), probes
    data = probes["path /data"]
    assert re.match(r"d\S+\s+\d+\s+root\s+root\s", data), data
    assert data.endswith("writable by this user: no"), data
    assert "  probe path /data:" in r.text
    assert "    writable by this user: no" in r.text
    assert "    uid=65534(nobody) gid=65534(nogroup)" in r.text


# -- progress: on stderr when it is a terminal, never on stdout -------------------------


def test_progress_lines_on_a_terminal_stderr_only(lab, docker_client):
    import pty

    c = lab.run(BUSYBOX, ["sh", "-c", "mkdir -p /var/log/app; "
                          "echo 'FATAL: disk quota exceeded' > /var/log/app/app.err; exit 3"])
    primary, secondary = pty.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "dockerdoctor", "inspect", c.id, "-f",
                            "json"], stdout=subprocess.PIPE, stderr=secondary, timeout=120,
                           env={**os.environ, "NO_COLOR": "1"})
        os.close(secondary)
        secondary = -1
        err = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)
    lines = err.decode().replace("\r\n", "\n").splitlines()
    assert "doctor: reading changed files, logs and shell history through the archive " \
        "API..." in lines, lines
    assert "doctor: committing a debug copy (the container is not paused) and probing " \
        "it..." in lines, lines
    report = json.loads(p.stdout)  # stdout is the report alone
    assert report["forensics"]["ran"] is True
    assert "/var/log/app/app.err" in {f["path"] for f in report["forensics"]["files"]}
    # piped stderr (as in CI logs and in every other test): no progress lines
    quiet = doctor("inspect", c.id, "-f", "json")
    assert "doctor: reading changed files" not in quiet.stderr
    assert_no_artifacts(docker_client, c.id)


def test_artifact_requests_over_docker_py_too(lab, docker_client):
    """TLS, ssh:// and contexts reach the engine through docker-py: the same Engine API
    requests (commit, create, start, wait, list by label, remove) work on it."""
    from dockerdoctor.engine import ArtifactEngine, EngineClient
    from dockerdoctor.forensics import artifacts

    c = lab.run(BUSYBOX, ["sh", "-c", "echo hi > /marker; exit 4"])
    client = EngineClient()
    client.api = client.docker_api()  # what a TLS or ssh:// engine gets
    engine = ArtifactEngine(client)
    run = "pytest" + os.urandom(3).hex()
    image = engine.commit(c.id, artifacts.labels("debug-image", c.id, run),
                          artifacts.REPOSITORY, f"pytest-{run}")
    debug = engine.create(image, artifacts.labels("debug-container", c.id, run),
                          entrypoint=["sh", "-c"], command=["cat /marker; exit 7"])
    try:
        cfg = docker_client.api.inspect_container(debug)["HostConfig"]
        assert cfg["NetworkMode"] == "none" and cfg["CapDrop"] == ["ALL"]
        assert cfg["Memory"] == 128 << 20 and cfg["PidsLimit"] == 64
        assert cfg["SecurityOpt"] == ["no-new-privileges"]
        engine.start(debug)
        assert engine.wait(debug, 30) == 7
        assert docker_client.containers.get(debug).logs() == b"hi\n"
        containers, images = engine.labelled(f"{artifacts.RUN}={run}")
        assert [x["Id"] for x in containers] == [debug]
        assert [x["Id"] for x in images] == [image]
    finally:
        assert engine.remove_container(debug)
        assert engine.remove_image(image)
    assert engine.remove_container(debug)  # gone already counts as removed
    assert engine.labelled(f"{artifacts.RUN}={run}") == ([], [])
    assert_no_artifacts(docker_client, c.id)
