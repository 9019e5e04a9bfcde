"""Frozen dataclasses at every boundary of the data flow.

container id -> engine payloads -> Snapshot -> checks -> Finding -> Diagnosis -> renderers.
Checks and renderers see these, never raw docker-py dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return {"error": 3, "warning": 2, "info": 1}[self.value]


# --- what the engine tells us -------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    stream: str  # "stdout", "stderr", "tty" (one merged stream), or "file"
    time: datetime | None
    text: str  # decoded as UTF-8 with replacement; raw control characters kept
    origin: str = ""  # for lines read from a file by forensics: "file /var/log/app.err:12"


@dataclass(frozen=True)
class Logs:
    lines: tuple[LogLine, ...]
    readable: bool = True
    truncated: bool = False  # more lines exist before the tail
    tail: int | None = None  # how many lines were asked for
    error: str | None = None  # why they could not be read
    driver_refused: bool = False  # the log driver cannot be read back (none, cache off)


@dataclass(frozen=True)
class HealthProbe:
    start: datetime | None
    end: datetime | None
    exit_code: int
    output: str


@dataclass(frozen=True)
class Health:
    status: str  # starting, healthy, unhealthy
    failing_streak: int
    probes: tuple[HealthProbe, ...]
    test: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mount:
    type: str  # bind, volume, tmpfs
    source: str
    destination: str
    rw: bool
    name: str = ""


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    image: str  # the reference it was created from
    image_id: str
    created: datetime | None
    # State
    status: str  # created, running, paused, restarting, removing, exited, dead
    running: bool
    paused: bool
    restarting: bool
    dead: bool
    oom_killed: bool
    pid: int
    exit_code: int
    error: str
    started_at: datetime | None
    finished_at: datetime | None
    restart_count: int
    health: Health | None
    # Config
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    user: str
    working_dir: str
    tty: bool
    labels: tuple[tuple[str, str], ...]
    exposed_ports: tuple[str, ...]
    stop_signal: str
    stop_timeout: int | None
    healthcheck: tuple[str, ...]
    # HostConfig
    memory_limit: int  # bytes, 0 = none
    restart_policy: str  # "", no, always, unless-stopped, on-failure
    restart_max: int
    read_only: bool
    init: bool
    network_mode: str
    log_driver: str
    port_bindings: tuple[str, ...]  # "127.0.0.1:8080->80/tcp"
    mounts: tuple[Mount, ...]
    auto_remove: bool
    tmpfs: tuple[tuple[str, str], ...] = ()  # --tmpfs path -> options (not in Mounts)

    @property
    def argv(self) -> tuple[str, ...]:
        return self.entrypoint + self.cmd

    @property
    def runtime_seconds(self) -> float | None:
        """How long the last run lasted (None while running or if it never ran).

        The engine records FinishedAt a few microseconds before StartedAt for processes
        that exit at once: that is a run of 0 s, not an unknown one.
        """
        if self.started_at and self.finished_at and not self.running:
            seconds = (self.finished_at - self.started_at).total_seconds()
            if seconds >= -1.0:
                return max(seconds, 0.0)
        return None

    def env_value(self, name: str) -> str | None:
        for key, value in self.env:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # modified, added, deleted


@dataclass(frozen=True)
class Layer:
    created_by: str
    size: int
    created: datetime | None


@dataclass(frozen=True)
class Image:
    id: str
    tags: tuple[str, ...]
    architecture: str
    os: str
    user: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    exposed_ports: tuple[str, ...]
    volumes: tuple[str, ...]
    healthcheck: tuple[str, ...]
    size: int
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Engine:
    server_version: str
    api_version: str
    os: str
    kernel: str
    architecture: str
    storage_driver: str
    cgroup_version: str
    cgroup_driver: str
    logging_driver: str
    product: str = "Docker Engine"  # or "Podman Engine"


@dataclass(frozen=True)
class Event:
    time: datetime | None
    action: str  # create, start, kill, die, stop, oom, restart, health_status: unhealthy, ...
    attributes: tuple[tuple[str, str], ...]

    def attr(self, name: str) -> str | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class ExecProbe:
    """What the program the container tried to run looks like, read through the archive API."""

    argv0: str
    path: str  # resolved absolute path in the container ("" if not resolved)
    exists: bool
    is_dir: bool = False
    mode: int | None = None  # permission bits
    size: int | None = None
    first_line: str | None = None  # the shebang line as text, CR shown as \r
    shebang_cr: bool = False
    interpreter: str | None = None  # from the shebang
    interpreter_exists: bool | None = None
    is_elf: bool = False
    elf_machine: str | None = None  # e.g. x86_64, aarch64
    elf_interp: str | None = None  # PT_INTERP: the dynamic loader the binary needs
    elf_interp_exists: bool | None = None
    note: str = ""  # why something could not be read


@dataclass(frozen=True)
class Snapshot:
    """Everything known about one container at one moment. Checks read only this."""

    container: Container
    logs: Logs
    engine: Engine
    taken_at: datetime
    changes: tuple[Change, ...] | None = None  # None: could not be read
    image: Image | None = None
    events: tuple[Event, ...] | None = None  # None: the engine did not give them
    exec_probe: ExecProbe | None = None
    notes: tuple[str, ...] = ()  # what could not be read, said once in the report


# --- what deep forensics found --------------------------------------------------------


@dataclass(frozen=True)
class CollectedFile:
    path: str
    kind: str  # log, history, changed, volume
    size: int  # bytes in the container
    text: str | None = None  # the tail (or head) that was read, for text files
    truncated: bool = False  # only part of the file was read
    binary: str | None = None  # what a binary file is, instead of its bytes
    note: str = ""  # why it was skipped or cut


@dataclass(frozen=True)
class Forensics:
    """What `doctor inspect --deep` did and collected (see forensics/)."""

    ran: bool
    reason: str  # why it ran, or why not
    method: str = ""  # "debug-container" (commit + a shell) or "archive" (no shell)
    files: tuple[CollectedFile, ...] = ()
    probes: tuple[tuple[str, str], ...] = ()  # name -> output, from the debug container
    debug_image: str = ""  # kept with --keep-debug-image
    errors: tuple[str, ...] = ()  # steps that failed (the report says so)
    seconds: float = 0.0


# --- what the checks say ------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    source: str  # where it came from: "State.ExitCode", "logs stderr 2026-...", "events"
    text: str


@dataclass(frozen=True)
class Finding:
    id: str  # stable kebab-case: the JSON contract keys on it
    severity: Severity
    title: str
    explanation: str
    remedy: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Diagnosis:
    snapshot: Snapshot
    findings: tuple[Finding, ...]  # most severe first
    redacted: bool = True
    forensics: Forensics | None = None

    @property
    def verdict(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def worst(self) -> Severity | None:
        return self.findings[0].severity if self.findings else None


# --- what `doctor image` found ----------------------------------------------------------


@dataclass(frozen=True)
class ImageLayer:
    """One step of the image's history; `index` counts the steps that made a layer."""

    step: int  # 1-based, oldest first, over all history entries
    instruction: str  # created_by, shortened: "RUN apt-get install ...", "COPY ..."
    size: int
    empty: bool  # metadata only (ENV, CMD, ...): no file system layer
    index: int | None = None  # 1-based among the file system layers


@dataclass(frozen=True)
class ImageAudit:
    ref: str  # what the user named
    id: str
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    architecture: str
    os: str
    size: int
    created: datetime | None
    layers: tuple[ImageLayer, ...]  # oldest first
    findings: tuple[Finding, ...]  # most severe first
    files_scanned: bool  # the layers' files were read (not --no-files)
    scanned_files: int = 0
    scanned_bytes: int = 0
    seconds: float = 0.0
    redacted: bool = True
    notes: tuple[str, ...] = ()
