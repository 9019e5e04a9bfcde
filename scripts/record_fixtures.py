#!/usr/bin/env python3
"""Record snapshot fixtures from a REAL engine for the unit tests.

Each case breaks a real container, then stores every payload `doctor inspect` reads
(inspect, logs, diff, image, history, info, version, events, exec probe) as
tests/fixtures/<case>.json. The unit tests replay them through snapshot.build and the
checks, so they run without an engine but on what an engine really said.

    python scripts/record_fixtures.py            # all cases
    python scripts/record_fixtures.py oom crlf   # some
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import docker

from dockerdoctor import diagnose
from dockerdoctor.engine import EngineClient, LogOptions

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
BUSYBOX = "dockerdoctor/busybox:local"
PYTHON = "dockerdoctor/python:local"
LABEL = {"dockerdoctor.fixture": "1"}


def build(client: Any, dockerfile: str, files: dict[str, tuple[bytes, int]]) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (data, mode) in {"Dockerfile": (dockerfile.encode(), 0o644), **files}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    tag = "dockerdoctor-fixture/img:latest"
    client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True, labels=LABEL,
                        network_mode="none")
    return tag


def wait(c: Any, cond: Any, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        c.reload()
        if cond(c.attrs):
            return
        time.sleep(0.1)
    raise SystemExit(f"timeout waiting for {c.name}")


def exited(a: dict) -> bool:
    return a["State"]["Status"] in ("exited", "created", "dead")


def run(client: Any, image: str, cmd: Any, **kw: Any) -> Any:
    kw.setdefault("network_mode", "none")
    c = client.containers.create(image, cmd, labels=LABEL, **kw)
    try:
        c.start()
    except docker.errors.APIError:
        pass
    return c


def case_oom(client: Any) -> Any:
    c = run(client, PYTHON, ["python3", "-c", "print('loading model', flush=True)\n"
                             "a=[]\nwhile True: a.append(bytearray(1<<20))"],
            mem_limit="32m", memswap_limit="32m")
    wait(c, exited)
    return c


def case_missing_env(client: Any) -> Any:
    c = run(client, PYTHON, ["python3", "-c", "import os\nprint('worker starting')\n"
                             "url = os.environ['DATABASE_URL']"],
            environment={"DB_PASSWORD": "hunter2-very-secret", "LOG_LEVEL": "info"})
    wait(c, exited)
    return c


def case_crlf(client: Any) -> Any:
    tag = build(client, 'FROM dockerdoctor/busybox:local\nCOPY run.sh /app/run.sh\n'
                        'ENTRYPOINT ["/app/run.sh"]\n',
                {"run.sh": (b"#!/bin/sh\r\necho hello\r\n", 0o755)})
    c = run(client, tag, None)
    wait(c, exited)
    return c


def case_stop_timeout(client: Any) -> Any:
    c = run(client, BUSYBOX, ["sh", "-c", "echo serving; while true; do sleep 1; done"])
    wait(c, lambda a: a["State"]["Running"])
    time.sleep(0.5)
    c.stop(timeout=1)
    wait(c, exited)
    return c


def case_killed(client: Any) -> Any:
    c = run(client, BUSYBOX, ["sleep", "300"])
    wait(c, lambda a: a["State"]["Running"])
    c.kill()
    wait(c, exited)
    return c


def case_unhealthy(client: Any) -> Any:
    c = run(client, BUSYBOX, ["sh", "-c", "echo up; exec sleep 300"],
            healthcheck={"test": ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/health"],
                         "interval": 200_000_000, "timeout": 1_000_000_000, "retries": 2})
    wait(c, lambda a: (a["State"].get("Health") or {}).get("Status") == "unhealthy", 30)
    return c


def case_restart_loop(client: Any) -> Any:
    c = run(client, BUSYBOX, ["sh", "-c", "echo 'fatal: cannot open /data/app.db'; exit 3"],
            restart_policy={"Name": "always"})
    wait(c, lambda a: a["RestartCount"] >= 3, 60)
    return c


def case_port_in_use(client: Any) -> Any:
    holder = run(client, BUSYBOX, ["sleep", "300"], ports={"80/tcp": ("127.0.0.1", 18931)},
                 network_mode="bridge")
    wait(holder, lambda a: a["State"]["Running"])
    c = run(client, BUSYBOX, ["sleep", "300"], ports={"80/tcp": ("127.0.0.1", 18931)},
            network_mode="bridge")
    wait(c, exited)
    return c


def case_not_found(client: Any) -> Any:
    c = run(client, BUSYBOX, ["/usr/local/bin/server", "--port", "80"])
    wait(c, exited)
    return c


def case_hostile_logs(client: Any) -> Any:
    script = (r"printf 'ok line\n'; printf '\033[2J\033[31mred\033[0m \033]0;title\007\n'; "
              r"printf 'bad utf8 \377\376 end\n' >&2; printf 'nul \000 byte\n'; exit 1")
    c = run(client, BUSYBOX, ["sh", "-c", script])
    wait(c, exited)
    return c


def case_tty(client: Any) -> Any:
    c = run(client, BUSYBOX, ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 2"],
            tty=True)
    wait(c, exited)
    return c


def case_healthy(client: Any) -> Any:
    c = run(client, BUSYBOX, ["sh", "-c", "echo listening on :8080; exec sleep 300"])
    wait(c, lambda a: a["State"]["Running"])
    time.sleep(0.3)
    return c


# For these, the engine's log body is kept byte for byte, to test the frame parser on it.
RAW_LOG_BODIES = {"hostile_logs", "tty", "missing_env"}


def raw_log_body(engine: EngineClient, cid: str) -> str:
    import base64

    api = engine.api
    res = api._get(api._url("/containers/{0}/logs", cid),
                   params={"stdout": 1, "stderr": 1, "timestamps": 1, "tail": "all"})
    api._raise_for_status(res)
    return base64.b64encode(res.content).decode()


def record_archive(client: Any, engine: EngineClient) -> None:
    """A real archive-API tar of a tree with the awkward members forensics must handle:
    a long name (PAX header), a symlink, a FIFO, a file larger than the tail kept."""
    import base64

    script = ("mkdir -p /t/logs && echo 'FATAL: first' > /t/logs/app.err && "
              "head -c 100000 /dev/zero | tr '\\0' x > /t/logs/big.log && echo END >> "
              "/t/logs/big.log && ln -s /etc/shadow /t/logs/link && mkfifo /t/logs/fifo && "
              "echo deep > /t/logs/" + "d" * 120 + ".log")
    c = run(client, BUSYBOX, ["sh", "-c", script])
    wait(c, exited)
    api = engine.api
    res = api._get(api._url("/containers/{0}/archive", c.id), params={"path": "/t/logs"},
                   headers={"Accept-Encoding": "identity"})
    api._raise_for_status(res)
    (OUT / "archive_tree.json").write_text(json.dumps(
        {"path": "/t/logs", "tar_b64": base64.b64encode(res.content).decode()}) + "\n")
    print("recorded archive_tree")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main(names: list[str]) -> None:
    client = docker.from_env()
    engine = EngineClient()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        if not names or "archive_tree" in names:
            record_archive(client, engine)
            names = [n for n in names if n != "archive_tree"]
            if not names and len(sys.argv) > 1:
                return
        for name in names or list(CASES):
            c = CASES[name](client)
            raw = diagnose.read(engine, c.id, LogOptions())
            if name in RAW_LOG_BODIES:
                raw["raw_log_body_b64"] = raw_log_body(engine, c.id)
            (OUT / f"{name}.json").write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
            print(f"recorded {name}: {c.attrs['State']['Status']} "
                  f"exit {c.attrs['State']['ExitCode']}")
    finally:
        for c in client.containers.list(all=True, filters={"label": "dockerdoctor.fixture=1"}):
            c.remove(force=True)
        for img in client.images.list(filters={"label": "dockerdoctor.fixture=1"}):
            client.images.remove(img.id, force=True)


if __name__ == "__main__":
    main(sys.argv[1:])
