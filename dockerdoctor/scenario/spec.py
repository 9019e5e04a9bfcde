"""scenario.toml -> a frozen Scenario (pure: reads one file, validates, no engine).

The format is documented in scenarios/README.md. Unknown keys are errors: a typo in an
expectation would otherwise weaken a scenario without anyone noticing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerdoctor.errors import UsageError

# Base images a scenario may name; the public defaults work on any machine that can pull.
DEFAULT_BASES: dict[str, str] = {
    "BUSYBOX_IMAGE": "busybox:1.36",
    "PYTHON_IMAGE": "python:3.12-slim",
    "NGINX_IMAGE": "nginx:1.27",
    "NODE_IMAGE": "node:20-slim",
    "JAVA_IMAGE": "eclipse-temurin:17-jdk",
    "GOLANG_IMAGE": "golang:1.22",
}
WAIT_FOR = ("exited", "created", "running", "unhealthy", "restarting", "paused", "dead")
ACTIONS = ("stop", "kill", "pause", "remove-blocked")
NETWORKS = ("none", "bridge", "private")
SEVERITIES = ("error", "warning", "info")
REQUIREMENTS = ("engine-host-root",)
_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class ScenarioError(UsageError):
    """A scenario folder or file that cannot be used (exit 2)."""


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...]
    interval: float = 1.0
    timeout: float = 1.0
    retries: int = 2
    start_period: float = 0.0


@dataclass(frozen=True)
class RunSpec:
    command: tuple[str, ...] | str | None = None
    entrypoint: tuple[str, ...] | str | None = None
    env: dict[str, str] = field(default_factory=dict)
    user: str = ""
    workdir: str = ""
    memory: str = ""
    read_only: bool = False
    tmpfs: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)
    binds: dict[str, str] = field(default_factory=dict)  # folder-relative path -> target[:ro]
    ports: tuple[str, ...] = ()
    restart: str = "no"
    init: bool = False
    network: str = "none"
    log_driver: str = ""
    stop_signal: str = ""
    start: bool = True
    healthcheck: Healthcheck | None = None


@dataclass(frozen=True)
class SetupSpec:
    name: str
    image: str
    command: tuple[str, ...] | str | None = None
    ports: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ActSpec:
    do: str
    after: float = 1.0
    signal: str = "SIGKILL"
    stop_timeout: int = 1


@dataclass(frozen=True)
class WaitSpec:
    for_: str = "exited"
    restarts: int = 3
    settle: float = 0.0
    timeout: float = 60.0


@dataclass(frozen=True)
class Expect:
    findings: tuple[str, ...] = ()
    verdict: str = ""
    absent: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    deep: bool | None = None
    max_severity: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    folder: Path
    description: str
    lesson: str
    build: str = ""  # a context folder relative to `folder`, or ""
    dockerfile: str = "Dockerfile"
    image: str = ""  # an image reference (may hold ${BASE} variables), or ""
    run: RunSpec = field(default_factory=RunSpec)
    setup: tuple[SetupSpec, ...] = ()
    act: ActSpec | None = None
    wait: WaitSpec = field(default_factory=WaitSpec)
    deep: str = "auto"
    toolbox: str = ""
    expect: Expect = field(default_factory=Expect)
    requires: tuple[str, ...] = ()


def load(folder: Path) -> Scenario:
    """Read and validate `folder`/scenario.toml."""
    path = folder / "scenario.toml"
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(f"{folder}: no scenario.toml") from None
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ScenarioError(f"{path}: {e}") from None
    return parse(data, folder, name=folder.name)


def parse(data: dict[str, Any], folder: Path, name: str) -> Scenario:
    where = f"{folder / 'scenario.toml'}"
    t = _Table(data, where)
    image_t = t.table("image")
    build = image_t.text("build")
    image = image_t.text("image")
    dockerfile = image_t.text("dockerfile", "Dockerfile")
    image_t.done()
    if bool(build) == bool(image):
        raise ScenarioError(f"{where}: [image] needs exactly one of build = or image =")
    if build and not (folder / build / dockerfile).is_file():
        raise ScenarioError(f"{where}: [image] build: no {dockerfile} in {folder / build}")

    run_t = t.table("run")
    health_t = run_t.table("healthcheck")
    health = None
    if health_t.data:
        health = Healthcheck(
            test=tuple(health_t.strings("test", required=True)),
            interval=health_t.seconds("interval", 1.0),
            timeout=health_t.seconds("timeout", 1.0),
            retries=health_t.integer("retries", 2),
            start_period=health_t.seconds("start_period", 0.0),
        )
        health_t.done()
    run = RunSpec(
        command=run_t.argv("command"), entrypoint=run_t.argv("entrypoint"),
        env=run_t.str_map("env"), user=run_t.text("user"), workdir=run_t.text("workdir"),
        memory=run_t.text("memory"), read_only=run_t.flag("read_only"),
        tmpfs=run_t.str_map("tmpfs"), volumes=run_t.str_map("volumes"),
        binds=run_t.str_map("binds"),
        ports=tuple(run_t.strings("ports")), restart=run_t.text("restart", "no"),
        init=run_t.flag("init"), network=run_t.choice("network", NETWORKS, "none"),
        log_driver=run_t.text("log_driver"), stop_signal=run_t.text("stop_signal"),
        start=run_t.flag("start", True), healthcheck=health,
    )
    run_t.done()
    _check_ports(run.ports, where)
    for src in run.binds:
        path = (folder / src).resolve()
        if not path.exists() or folder.resolve() not in (path, *path.parents):
            raise ScenarioError(f"{where}: [run] binds: {src!r} is not a file or folder "
                                "inside the scenario's folder")
    if not re.fullmatch(r"no|always|unless-stopped|on-failure(:\d+)?", run.restart):
        raise ScenarioError(f"{where}: [run] restart: {run.restart!r} is not one of no, "
                            "always, unless-stopped, on-failure[:N]")

    setups = []
    for i, raw in enumerate(t.tables("setup")):
        s = SetupSpec(name=raw.text("name", required=True),
                      image=raw.text("image", required=True),
                      command=raw.argv("command"), ports=tuple(raw.strings("ports")),
                      env=raw.str_map("env"))
        raw.done()
        _check_ports(s.ports, f"{where} [[setup]] {i + 1}")
        setups.append(s)

    act = None
    act_t = t.table("act")
    if act_t.data:
        act = ActSpec(do=act_t.choice("do", ACTIONS, required=True),
                      after=act_t.seconds("after", 1.0), signal=act_t.text("signal", "SIGKILL"),
                      stop_timeout=act_t.integer("stop_timeout", 1))
        act_t.done()

    wait_t = t.table("wait")
    wait = WaitSpec(for_=wait_t.choice("for", WAIT_FOR, "exited"),
                    restarts=wait_t.integer("restarts", 3), settle=wait_t.seconds("settle", 0.0),
                    timeout=wait_t.seconds("timeout", 60.0))
    wait_t.done()
    if not run.start and wait.for_ != "created":
        raise ScenarioError(f"{where}: [run] start = false needs [wait] for = \"created\"")

    diag_t = t.table("diagnose")
    deep = diag_t.choice("deep", ("auto", "on", "off"), "auto")
    toolbox = diag_t.text("toolbox")
    diag_t.done()

    exp_t = t.table("expect")
    deep_expect = exp_t.data.get("deep")
    if deep_expect is not None and not isinstance(deep_expect, bool):
        raise ScenarioError(f"{where}: [expect] deep must be true or false")
    exp_t.data.pop("deep", None)
    expect = Expect(
        findings=tuple(exp_t.strings("findings")), verdict=exp_t.text("verdict"),
        absent=tuple(exp_t.strings("absent")), contains=tuple(exp_t.strings("contains")),
        not_contains=tuple(exp_t.strings("not_contains")), deep=deep_expect,
        max_severity=exp_t.choice("max_severity", ("", *SEVERITIES), ""),
    )
    exp_t.done()
    if not (expect.findings or expect.verdict or expect.max_severity):
        raise ScenarioError(f"{where}: [expect] needs findings, verdict or max_severity")

    requires = tuple(t.strings("requires"))
    for r in requires:
        if r not in REQUIREMENTS:
            raise ScenarioError(f"{where}: requires: unknown {r!r} (known: "
                                f"{', '.join(REQUIREMENTS)})")
    scenario = Scenario(
        name=name, folder=folder, description=t.text("description", required=True),
        lesson=t.text("lesson", required=True), build=build, dockerfile=dockerfile,
        image=image, run=run, setup=tuple(setups), act=act, wait=wait, deep=deep,
        toolbox=toolbox, expect=expect, requires=requires,
    )
    t.done()
    return scenario


def variables(text: str) -> list[str]:
    """The ${NAME} variables in `text`."""
    return _VAR.findall(text)


def substitute(text: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise ScenarioError(f"unknown variable ${{{m.group(1)}}} in {text!r} (known: "
                                f"{', '.join(sorted(values))})")
        return values[m.group(1)]

    return _VAR.sub(one, text)


def _check_ports(ports: tuple[str, ...], where: str) -> None:
    for p in ports:
        parts = p.split(":")
        if len(parts) != 3 or parts[0] != "127.0.0.1":
            raise ScenarioError(f"{where}: port {p!r}: publish as 127.0.0.1:HOST:CONTAINER "
                                "(scenarios never listen beyond this machine)")


def parse_duration(value: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", value.strip())
        if m:
            n = float(m.group(1))
            return n / 1000 if m.group(2) == "ms" else n * 60 if m.group(2) == "m" else n
    raise ScenarioError(f"{where}: {value!r} is not a duration (1.5, \"500ms\", \"2s\")")


class _Table:
    """One TOML table, read key by key; done() rejects what was not read."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(f"{where}: expected a table")
        self.data = dict(data)
        self.where = where

    def _take(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise ScenarioError(f"{self.where}: missing {key}")
            return None
        return self.data.pop(key)

    def _bad(self, key: str, what: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {key} must be {what}")

    def text(self, key: str, default: str = "", required: bool = False) -> str:
        v = self._take(key, required)
        if v is None:
            return default
        if not isinstance(v, str):
            raise self._bad(key, "a string")
        return v

    def flag(self, key: str, default: bool = False) -> bool:
        v = self._take(key, False)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise self._bad(key, "true or false")
        return v

    def integer(self, key: str, default: int) -> int:
        v = self._take(key, False)
        if v is None:
            return default
        if not isinstance(v, int) or isinstance(v, bool):
            raise self._bad(key, "an integer")
        return v

    def seconds(self, key: str, default: float) -> float:
        v = self._take(key, False)
        return default if v is None else parse_duration(v, f"{self.where}: {key}")

    def choice(self, key: str, options: tuple[str, ...], default: str = "",
               required: bool = False) -> str:
        v = self.text(key, default, required)
        if v not in options:
            raise self._bad(key, "one of " + ", ".join(o for o in options if o))
        return v

    def strings(self, key: str, required: bool = False) -> list[str]:
        v = self._take(key, required)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self._bad(key, "a list of strings")
        return v

    def argv(self, key: str) -> tuple[str, ...] | str | None:
        v = self._take(key, False)
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return tuple(v)
        raise self._bad(key, "a string or a list of strings")

    def str_map(self, key: str) -> dict[str, str]:
        v = self._take(key, False)
        if v is None:
            return {}
        if not isinstance(v, dict) or not all(isinstance(x, (str, int, float, bool))
                                              for x in v.values()):
            raise self._bad(key, "a table of strings")
        return {k: (str(x).lower() if isinstance(x, bool) else str(x)) for k, x in v.items()}

    def table(self, key: str) -> _Table:
        v = self._take(key, False)
        return _Table(v if v is not None else {}, f"{self.where} [{key}]")

    def tables(self, key: str) -> list[_Table]:
        v = self._take(key, False)
        if v is None:
            return []
        if not isinstance(v, list):
            raise self._bad(key, "an array of tables ([[" + key + "]])")
        return [_Table(x, f"{self.where} [[{key}]]") for x in v]

    def done(self) -> None:
        if self.data:
            raise ScenarioError(f"{self.where}: unknown key(s): {', '.join(sorted(self.data))}")
