"""Run one scenario on a real engine: build, set up, start, act, wait, diagnose, clean up.

Everything it creates carries the labels `dockerdoctor.scenario=<name>` and
`dockerdoctor.scenario.run=<run id>` and is removed in every path (unless --keep): the
containers, the image it built, its volumes and its private network. It talks to the
engine through docker-py (builds and container options are what docker-py does best);
the diagnosis itself is the same `diagnose.diagnose` as `doctor inspect`.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerdoctor.engine import EngineClient, LogOptions
from dockerdoctor.errors import DoctorError, EngineError, UsageError
from dockerdoctor.interrupts import signals_deferred, terminate_as_interrupt
from dockerdoctor.model import Diagnosis
from dockerdoctor.scenario import expect as expectations
from dockerdoctor.scenario.spec import DEFAULT_BASES, Scenario, ScenarioError, substitute

LABEL = "dockerdoctor.scenario"
RUN_LABEL = "dockerdoctor.scenario.run"
REPOSITORY = "dockerdoctor-scenario"


@dataclass
class Outcome:
    scenario: Scenario
    passed: bool = False
    skipped: str = ""  # why it did not run
    failures: list[str] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    container: str = ""  # id of the scenario's container
    seconds: float = 0.0
    kept: list[str] = field(default_factory=list)  # what --keep left, as docker commands

    @property
    def reason(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        return "; ".join(self.failures) if self.failures else "as expected"


def resolve_bases(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The public defaults, then DOCTOR_SCENARIO_BASES, then --base (the last wins)."""
    bases = dict(DEFAULT_BASES)
    for item in os.environ.get("DOCTOR_SCENARIO_BASES", "").split():
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise UsageError(f"DOCTOR_SCENARIO_BASES: {item!r} is not NAME=IMAGE")
        bases[name] = value
    bases.update(overrides or {})
    return bases


def run(client: EngineClient, scenario: Scenario, bases: dict[str, str], keep: bool = False,
        say: Callable[[str], None] | None = None, cancel: threading.Event | None = None
        ) -> Outcome:
    """Reproduce `scenario`, diagnose it, and check its expectations.

    `cancel` (set by another thread on Ctrl-C) stops the run at its next wait; cleanup
    still runs."""
    started = time.monotonic()
    out = Outcome(scenario)
    missing = _unmet_requirements(client, scenario)
    if missing:
        out.skipped = missing
        return out
    lab = _Lab(client, scenario, bases, say or (lambda msg: None), cancel)
    try:
        with terminate_as_interrupt():
            cid = lab.reproduce()
            out.container = cid
            out.diagnosis = lab.diagnose(cid)
            out.failures = expectations.check(scenario.expect, out.diagnosis)
            out.passed = not out.failures
    except DoctorError as e:
        out.failures = [e.message]
    finally:
        if keep:
            out.kept = lab.keep_note()
        else:
            problems = lab.cleanup()
            out.failures.extend(problems)
            out.passed = out.passed and not problems
    out.seconds = time.monotonic() - started
    return out


def _unmet_requirements(client: EngineClient, scenario: Scenario) -> str:
    if "engine-host-root" in scenario.requires:
        if os.geteuid() != 0:
            return "needs root on the engine's host"
        where = client.where or ""
        if not (where.startswith("unix://") or where == ""):
            return "needs the engine on this host (a local unix socket)"
        try:
            driver = client.info().get("Driver")
        except DoctorError as e:
            return e.message
        if driver != "overlay2":
            return f"needs the overlay2 storage driver (the engine uses {driver})"
    return ""


class _Lab:
    """The engine objects of one scenario run, and their removal."""

    def __init__(self, client: EngineClient, scenario: Scenario, bases: dict[str, str],
                 say: Callable[[str], None], cancel: threading.Event | None) -> None:
        self.engine = client
        self.cancel = cancel or threading.Event()
        client.docker_api()
        self.docker = client.client  # docker-py's DockerClient
        self.s = scenario
        self.bases = bases
        self.say = say
        self.run_id = uuid.uuid4().hex[:10]
        self.labels = {LABEL: scenario.name, RUN_LABEL: self.run_id}
        self.prefix = f"doctor-scn-{_slug(scenario.name)}-{self.run_id[:6]}"
        self.values = dict(bases)
        self.containers: list[str] = []
        self.image = ""
        self.volumes: list[str] = []
        self.network = ""
        self.pinned: list[Path] = []
        self.tmp = ""  # copies of the scenario's bind-mounted files
        # images the build made that the final image does not hold: the other stages of
        # a multi-stage build (the legacy builder keeps them, untagged and unlabelled)
        self.layers: list[str] = []

    # -- errors --------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        import docker
        import requests

        try:
            return fn()
        except docker.errors.BuildError as e:
            tail = [str(x.get("stream") or x.get("error") or "").strip()
                    for x in (e.build_log or [])]
            detail = next((x for x in reversed(tail) if x), e.msg)
            raise EngineError(f"{self.s.name}: {what}: {_one_line(detail)}{_pull_hint(detail)}"
                              ) from e
        except docker.errors.ImageNotFound as e:
            raise EngineError(f"{self.s.name}: {what}: {_one_line(str(e.explanation))}"
                              f"{_pull_hint(str(e.explanation))}") from e
        except docker.errors.APIError as e:
            detail = _one_line(str(e.explanation or e))
            hint = _pull_hint(detail) if what.startswith("pull") else ""
            raise EngineError(f"{self.s.name}: {what}: {detail}{hint}") from e
        except requests.exceptions.RequestException as e:
            raise EngineError(f"{self.s.name}: {what}: {_one_line(str(e))}") from e

    # -- reproduce -----------------------------------------------------------------------

    def reproduce(self) -> str:
        s = self.s
        self.values.update({"PORT": str(_free_port())} if self._wants_port() else {})
        if s.run.network == "private" or (s.setup and s.run.network == "private"):
            self.network = self._call("create network", lambda: self.docker.networks.create(
                self.prefix, driver="bridge", internal=True, labels=self.labels)).id
        for setup in s.setup:
            self._start_setup(setup)
        image = self._image()
        cid = self._create(image)
        if s.run.start:
            self._start(cid)
        if s.act:
            self._wait(cid, "running", 30.0)
            self._sleep(s.act.after)
            self._act(cid)
        self._wait(cid, s.wait.for_, s.wait.timeout)
        if s.wait.settle:
            self._sleep(s.wait.settle)
        return cid

    def _wants_port(self) -> bool:
        return any("${PORT}" in p for p in self.s.run.ports) or any(
            "${PORT}" in p for st in self.s.setup for p in st.ports)

    def _sub(self, text: str) -> str:
        return substitute(text, self.values)

    def _argv(self, argv: tuple[str, ...] | str | None) -> list[str] | str | None:
        if argv is None:
            return None
        if isinstance(argv, str):
            return ["sh", "-c", self._sub(argv)]
        return [self._sub(a) for a in argv]

    def _image(self) -> str:
        s = self.s
        if s.image:
            ref = self._sub(s.image)
            self._ensure_image(ref)
            return ref
        context = (s.folder / s.build).resolve()
        dockerfile = (context / s.dockerfile).read_text(encoding="utf-8")
        declared = set(re.findall(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", dockerfile,
                                  re.MULTILINE | re.IGNORECASE))
        args = {k: v for k, v in self.bases.items() if k in declared}
        for base in _from_images(dockerfile, args):
            self._ensure_image(base)
        tag = f"{REPOSITORY}/{_slug(s.name)}:{self.run_id}"
        self.say(f"building {s.name} ({', '.join(f'{k}={v}' for k, v in args.items())})")
        api = self.docker.api
        before = {i["Id"][7:] for i in self._call("list images", lambda: api.images(all=True))}

        def build() -> Any:
            import docker

            try:
                image, log = self.docker.images.build(
                    path=str(context), dockerfile=s.dockerfile, tag=tag, buildargs=args,
                    labels=self.labels, rm=True, forcerm=True, pull=False)
            except docker.errors.BuildError as e:
                self.layers = _new_layers(e.build_log or [], before)
                raise
            self.layers = _new_layers(log, before)
            return image

        image = self._call("build", build)
        self.image = image.id
        return tag  # the report names the image by its tag

    def _ensure_image(self, ref: str) -> None:
        import docker

        try:
            self.docker.images.get(ref)
            return
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as e:
            raise EngineError(f"{self.s.name}: image {ref}: {e.explanation}") from e
        self.say(f"pulling {ref}")
        repo, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "")
        self._call(f"pull {ref}", lambda: self.docker.images.pull(repo, tag=tag or "latest"))

    def _start_setup(self, setup: Any) -> None:
        image = self._sub(setup.image)
        self._ensure_image(image)
        kwargs: dict[str, Any] = {
            "name": f"{self.prefix}-{_slug(setup.name)}", "labels": self.labels,
            "environment": {k: self._sub(v) for k, v in setup.env.items()},
            "ports": _ports([self._sub(p) for p in setup.ports]),
            "network_mode": "none" if not self.network and not setup.ports else None,
        }
        if self.network:
            kwargs["network"] = self.network
        ctr = self._call(f"setup {setup.name}", lambda: self.docker.containers.create(
            image, self._argv(setup.command), **{k: v for k, v in kwargs.items()
                                                 if v is not None}))
        self.containers.append(ctr.id)
        if self.network:
            # the app reaches it by its short name, as Compose would name it
            net = self.docker.networks.get(self.network)
            self._call("network alias", lambda: (net.disconnect(ctr),
                                                 net.connect(ctr, aliases=[setup.name])))
        self._call(f"start setup {setup.name}", ctr.start)
        self._wait(ctr.id, "running", 30.0)

    def _create(self, image: str) -> str:
        r = self.s.run
        host: dict[str, Any] = {}
        if r.memory:
            host["mem_limit"] = r.memory
            host["memswap_limit"] = r.memory
        if r.tmpfs:
            host["tmpfs"] = dict(r.tmpfs)
        volumes: dict[str, dict[str, str]] = {}
        if r.binds:
            # a copy, so that nothing the container does reaches the library's own files
            self.tmp = tempfile.mkdtemp(prefix=f"{self.prefix}-")
            for src, target in r.binds.items():
                origin = (self.s.folder / src).resolve()
                copy = os.path.join(self.tmp, _slug(src))
                if origin.is_dir():
                    shutil.copytree(origin, copy, symlinks=True)
                else:
                    shutil.copy2(origin, copy)
                path, _, mode = target.partition(":")
                volumes[copy] = {"bind": path, "mode": "ro" if mode == "ro" else "rw"}
        if r.volumes:
            for name, target in r.volumes.items():
                vol_name = f"{self.prefix}-{_slug(name)}"
                self._call("create volume", functools.partial(
                    self.docker.volumes.create, vol_name, labels=self.labels))
                self.volumes.append(vol_name)
                volumes[vol_name] = {"bind": target, "mode": "rw"}
        if volumes:
            host["volumes"] = volumes
        if r.restart != "no":
            name, _, count = r.restart.partition(":")
            policy: dict[str, Any] = {"Name": name}
            if count:
                policy["MaximumRetryCount"] = int(count)
            host["restart_policy"] = policy
        if r.log_driver:
            host["log_config"] = {"Type": r.log_driver, "Config": {}}
        if r.healthcheck:
            h = r.healthcheck
            host["healthcheck"] = {
                "test": [self._sub(x) for x in h.test], "interval": int(h.interval * 1e9),
                "timeout": int(h.timeout * 1e9), "retries": h.retries,
                "start_period": int(h.start_period * 1e9)}
        if self.network and r.network == "private":
            host["network"] = self.network
        else:
            host["network_mode"] = r.network
        ports = _ports([self._sub(p) for p in r.ports])
        if ports:
            host["ports"] = ports
            if r.network == "none":
                host["network_mode"] = "bridge"  # a published port needs a network
        ctr = self._call("create", lambda: self.docker.containers.create(
            image, self._argv(r.command), entrypoint=self._argv(r.entrypoint),
            environment={k: self._sub(v) for k, v in r.env.items()} or None,
            user=r.user or None, working_dir=r.workdir or None, read_only=r.read_only,
            init=r.init or None, stop_signal=r.stop_signal or None,
            name=self.prefix, labels=self.labels, **host))
        self.containers.append(ctr.id)
        return str(ctr.id)

    def _start(self, cid: str) -> None:
        import docker

        try:
            self.docker.api.start(cid)
        except docker.errors.APIError as e:
            # some failures happen at start (exec format, missing mount source, port in
            # use): the engine keeps the container, created, with State.Error
            if self.s.wait.for_ not in ("created", "exited"):
                raise EngineError(f"{self.s.name}: start: {_one_line(str(e.explanation))}"
                                  ) from e

    def _act(self, cid: str) -> None:
        act = self.s.act
        assert act is not None
        api = self.docker.api
        if act.do == "stop":
            self._call("stop", lambda: api.stop(cid, timeout=act.stop_timeout))
        elif act.do == "kill":
            self._call("kill", lambda: api.kill(cid, signal=act.signal))
        elif act.do == "pause":
            self._call("pause", lambda: api.pause(cid))
        elif act.do == "remove-blocked":
            self._remove_blocked(cid)

    def _remove_blocked(self, cid: str) -> None:
        """A removal the engine cannot finish (a file it cannot delete): left dead."""
        import docker

        self._call("stop", lambda: self.docker.api.stop(cid, timeout=1))
        upper = self.docker.api.inspect_container(cid)["GraphDriver"]["Data"]["UpperDir"]
        victim = next((p for p in Path(upper).rglob("*") if p.is_file()), None)
        if victim is None:
            raise ScenarioError(f"{self.s.name}: remove-blocked: the container wrote no "
                                "file to pin")
        subprocess.run(["chattr", "+i", str(victim)], check=True, capture_output=True)
        self.pinned.append(victim)
        try:
            self.docker.api.remove_container(cid)
        except docker.errors.APIError:
            pass  # expected: the engine marks it dead

    def _wait(self, cid: str, want: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            attrs = self._call("inspect", lambda: self.docker.api.inspect_container(cid))
            st = attrs["State"]
            status = st.get("Status", "")
            health = (st.get("Health") or {}).get("Status", "")
            last = status + (f" ({health})" if health else "") + (
                f", restarted {attrs.get('RestartCount', 0)}x" if attrs.get("RestartCount")
                else "")
            if _holds(want, status, health, attrs.get("RestartCount") or 0,
                      bool(st.get("Error")), self.s):
                return
            if want == "running" and status in ("exited", "dead"):
                raise EngineError(f"{self.s.name}: waited for running, but it is {status} "
                                  f"(exit {st.get('ExitCode')})")
            if time.monotonic() > deadline:
                raise EngineError(f"{self.s.name}: waited {timeout:.0f}s for {want}; it is "
                                  f"{last}")
            self._sleep(0.1)

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise KeyboardInterrupt

    # -- diagnose ------------------------------------------------------------------------

    def diagnose(self, cid: str) -> Diagnosis:
        from dockerdoctor import diagnose
        from dockerdoctor.forensics import DeepOptions

        deep = DeepOptions(mode=self.s.deep, toolbox=self._sub(self.s.toolbox))
        self.say(f"diagnosing {self.s.name}")
        d, _ = diagnose.diagnose(self.engine, cid, LogOptions(), deep=deep)
        return d

    # -- cleanup -------------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Remove everything this run created; what could not be removed, as problems."""
        import docker

        with signals_deferred():
            for victim in self.pinned:
                subprocess.run(["chattr", "-i", str(victim)], capture_output=True)
            problems: list[str] = []
            api = self.docker.api
            flt = {"label": f"{RUN_LABEL}={self.run_id}"}

            def labelled(listing: Callable[[], list[str]]) -> set[str]:
                try:
                    return set(listing())
                except docker.errors.APIError:
                    return set()

            def remove(what: str, ref: str, fn: Callable[[], Any]) -> None:
                try:
                    fn()
                except docker.errors.NotFound:
                    pass
                except docker.errors.APIError as e:
                    problems.append(f"could not remove {what} {ref}: "
                                    f"{_one_line(str(e.explanation))}")

            for cid in set(self.containers) | labelled(
                    lambda: [c["Id"] for c in api.containers(all=True, filters=flt)]):
                remove("container", cid[:12],
                       functools.partial(api.remove_container, cid, force=True, v=True))
            for image in ({self.image} - {""}) | labelled(
                    lambda: [i["Id"] for i in api.images(filters=flt)]):
                remove("image", image[7:19],
                       functools.partial(api.remove_image, image, force=True))
            for layer in reversed(self.layers):  # children first
                try:
                    tags = api.inspect_image(layer).get("RepoTags") or []
                    if not [t for t in tags if t != "<none>:<none>"]:
                        api.remove_image(layer, force=False)
                except docker.errors.APIError:
                    pass  # gone with the final image, or another image builds on it
            for vol in set(self.volumes) | labelled(
                    lambda: [v["Name"] for v in (api.volumes(filters=flt) or {}).get(
                        "Volumes") or []]):
                remove("volume", vol, functools.partial(api.remove_volume, vol, force=True))
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)
            if self.network:
                remove("network", self.prefix,
                       functools.partial(api.remove_network, self.network))
            return problems

    def keep_note(self) -> list[str]:
        for victim in self.pinned:
            subprocess.run(["chattr", "-i", str(victim)], capture_output=True)
        notes = [f"docker rm -f {' '.join(c[:12] for c in self.containers)}"]
        if self.image:
            notes.append(f"docker rmi {self.image[7:19]}")
        if self.volumes:
            notes.append(f"docker volume rm {' '.join(self.volumes)}")
        if self.network:
            notes.append(f"docker network rm {self.prefix}")
        if self.tmp:
            notes.append(f"rm -rf {self.tmp}")
        return notes


def _holds(want: str, status: str, health: str, restarts: int, start_error: bool,
           s: Scenario) -> bool:
    if want == "exited":  # or it could not start: created, with State.Error
        return status in ("exited", "dead") or (status == "created" and start_error)
    if want == "created":
        return status == "created"
    if want == "running":
        return status == "running"
    if want == "unhealthy":
        return health == "unhealthy"
    if want == "restarting":
        return restarts >= s.wait.restarts
    if want == "paused":
        return status == "paused"
    if want == "dead":
        return status == "dead"
    return False


def _new_layers(log: Any, before: set[str]) -> list[str]:
    """The image ids a legacy build printed (" ---> 1a2b3c4d5e6f") that did not exist
    before it started: never a base image or someone else's cached layer."""
    out = []
    for chunk in log:
        text = chunk.get("stream") or "" if isinstance(chunk, dict) else ""
        for m in re.finditer(r"^ ---> ([0-9a-f]{12})\s*$", text, re.MULTILINE):
            short = m.group(1)
            if short not in out and not any(b.startswith(short) for b in before):
                out.append(short)
    return out


def _from_images(dockerfile: str, args: dict[str, str]) -> list[str]:
    """The external images a Dockerfile's FROM lines name (not its own stages)."""
    stages: set[str] = set()
    out = []
    for m in re.finditer(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?",
                         dockerfile, re.MULTILINE | re.IGNORECASE):
        ref = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                     lambda v: args.get(v.group(1), v.group(0)), m.group(1))
        if ref.lower() not in stages and ref != "scratch" and "$" not in ref:
            out.append(ref)
        if m.group(2):
            stages.add(m.group(2).lower())
    return out


def _ports(specs: list[str]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for spec in specs:
        host_ip, host_port, container = spec.split(":")
        out[container if "/" in container else f"{container}/tcp"] = (host_ip, int(host_port))
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.") or "scenario"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _pull_hint(detail: str) -> str:
    if re.search(r"pull access denied|manifest unknown|not found|no such host|dial tcp|"
                 r"connection refused|TLS handshake|i/o timeout", detail, re.IGNORECASE):
        return (" (no registry? point the base images at local ones: --base NAME=IMAGE or "
                "DOCTOR_SCENARIO_BASES)")
    return ""
