"""Shared test harness.

Integration tests break real containers on a real engine. Everything they create carries
the label `dockerdoctor.test=<run id>` and is removed in teardown (and once more at the
end of the session, by label, in case a test died half-way).

Under CI=true a test that needs the engine FAILS when no engine answers; elsewhere it is
skipped with the reason. `scripts/test` starts the engine and makes the base images.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

LABEL = "dockerdoctor.test"
RUN_ID = uuid.uuid4().hex[:12]
BUSYBOX = os.environ.get("DOCTOR_BUSYBOX_IMAGE", "dockerdoctor/busybox:local")
PYTHON = os.environ.get("DOCTOR_PYTHON_IMAGE", "dockerdoctor/python:local")  # + nginx-light
# JDK, node and Go from the host on top of PYTHON (scripts/ensure-engine)
RUNTIMES = os.environ.get("DOCTOR_RUNTIMES_IMAGE", "dockerdoctor/runtimes:local")
# the scenario library's base images, pointed at the local ones (no registry here)
SCENARIO_BASES = (f"BUSYBOX_IMAGE={BUSYBOX} PYTHON_IMAGE={PYTHON} NGINX_IMAGE={PYTHON} "
                  f"NODE_IMAGE={RUNTIMES} JAVA_IMAGE={RUNTIMES} GOLANG_IMAGE={RUNTIMES}")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _no_engine(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and the engine is not usable: {reason}", pytrace=False)
    pytest.skip(f"no Docker engine: {reason} (run scripts/ensure-engine)")


@pytest.fixture(scope="session")
def docker_client() -> Any:
    try:
        import docker

        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as e:  # noqa: BLE001
        _no_engine(str(e))
    for image in (BUSYBOX, PYTHON):
        try:
            client.images.get(image)
        except Exception:  # noqa: BLE001
            _no_engine(f"base image {image} is missing")
    yield client
    _remove_labelled(client)


def _remove_labelled(client: Any) -> None:
    for c in client.containers.list(all=True, filters={"label": f"{LABEL}={RUN_ID}"}):
        try:
            c.remove(force=True, v=True)
        except Exception:  # noqa: BLE001
            pass
    for img in client.images.list(filters={"label": f"{LABEL}={RUN_ID}"}):
        try:
            client.images.remove(img.id, force=True)
        except Exception:  # noqa: BLE001
            pass
    for vol in client.volumes.list(filters={"label": f"{LABEL}={RUN_ID}"}):
        try:
            vol.remove(force=True)
        except Exception:  # noqa: BLE001
            pass


@dataclass
class Report:
    """What `doctor inspect` said about a container, through the real CLI."""

    exit_code: int
    json: dict[str, Any]
    text: str
    stderr: str

    @property
    def ids(self) -> list[str]:
        return [f["id"] for f in self.json.get("findings", [])]

    @property
    def verdict(self) -> str | None:
        v = self.json.get("verdict")
        return v["id"] if v else None

    def finding(self, fid: str) -> dict[str, Any]:
        for f in self.json["findings"]:
            if f["id"] == fid:
                return f
        raise AssertionError(f"no finding {fid!r}; findings: {self.ids}\n{self.text}")

    def evidence_text(self, fid: str) -> str:
        return "\n".join(f"{e['source']}: {e['text']}" for e in self.finding(fid)["evidence"])

    def severities(self) -> set[str]:
        return {f["severity"] for f in self.json.get("findings", [])}


def doctor(*args: str, env: dict[str, str] | None = None, timeout: int = 120
           ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "dockerdoctor", *args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


class Lab:
    """Creates labelled containers and images, breaks them, and cleans up."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.containers: list[Any] = []
        self.images: list[str] = []
        self.volumes: list[Any] = []

    def _labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {LABEL: RUN_ID, **(extra or {})}

    def create(self, image: str = BUSYBOX, command: Any = None, **kw: Any) -> Any:
        kw.setdefault("network_mode", "none")
        kw["labels"] = self._labels(kw.get("labels"))
        c = self.client.containers.create(image, command, **kw)
        self.containers.append(c)
        return c

    def run(self, image: str = BUSYBOX, command: Any = None, wait: bool = True,
            timeout: float = 60, **kw: Any) -> Any:
        """Create and start; by default wait until it exited. Start errors are kept: the
        container stays `created` with State.Error, as with `docker run`."""
        c = self.create(image, command, **kw)
        try:
            c.start()
        except Exception:  # noqa: BLE001 - a start failure is the scenario
            pass
        if wait:
            self.wait_exited(c, timeout)
        c.reload()
        return c

    def wait_exited(self, c: Any, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            c.reload()
            if c.status in ("exited", "created", "dead"):
                return
            time.sleep(0.1)
        raise AssertionError(f"{c.name} did not exit within {timeout}s (status {c.status})")

    def wait_for(self, c: Any, predicate: Any, timeout: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            c.reload()
            if predicate(c.attrs):
                return
            time.sleep(0.2)
        raise AssertionError(f"{c.name}: timed out waiting for {what or predicate}")

    def build(self, dockerfile: str, files: dict[str, tuple[bytes | str, int]] | None = None,
              buildargs: dict[str, str] | None = None) -> str:
        """Build an image from a Dockerfile and files {name: (content, mode)}; no registry.
        `buildargs` are passed as `docker build --build-arg NAME=VALUE`."""
        tag = f"dockerdoctor-test/{uuid.uuid4().hex[:10]}:{RUN_ID}"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            entries = {"Dockerfile": (dockerfile, 0o644), **(files or {})}
            for name, (content, mode) in entries.items():
                data = content.encode() if isinstance(content, str) else content
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = mode
                info.mtime = int(time.time())
                tar.addfile(info, io.BytesIO(data))
        buf.seek(0)
        extra = {"buildargs": buildargs} if buildargs else {}
        self.client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True,
                                 forcerm=True, labels=self._labels(), network_mode="none",
                                 **extra)
        self.images.append(tag)
        return tag

    def volume(self) -> Any:
        v = self.client.volumes.create(labels=self._labels())
        self.volumes.append(v)
        return v

    def inspect(self, c: Any, *args: str) -> Report:
        """`doctor inspect ID --format json` and `--format text`, through the real CLI."""
        cid = c if isinstance(c, str) else c.id
        js = doctor("inspect", cid, "--format", "json", *args)
        assert js.stdout, f"doctor printed nothing; stderr: {js.stderr}"
        try:
            data = json.loads(js.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"not JSON: {js.stdout[:500]}") from e
        txt = doctor("inspect", cid, *args)
        return Report(js.returncode, data, txt.stdout, js.stderr)

    def cleanup(self) -> None:
        for c in self.containers:
            try:
                c.remove(force=True, v=True)
            except Exception:  # noqa: BLE001
                pass
        for tag in self.images:
            try:
                self.client.images.remove(tag, force=True)
            except Exception:  # noqa: BLE001
                pass
        for v in self.volumes:
            try:
                v.remove(force=True)
            except Exception:  # noqa: BLE001
                pass


@pytest.fixture
def lab(docker_client: Any) -> Any:
    lab = Lab(docker_client)
    yield lab
    lab.cleanup()
