"""Engine payloads (plain JSON, as the engine sent them) -> a frozen `Snapshot`.

Pure: no I/O. The engine layer fetches the payloads; tests replay payloads recorded from
a real engine (tests/fixtures/*.json) through the same code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dockerdoctor.model import (
    Change,
    Container,
    Engine,
    Event,
    ExecProbe,
    Health,
    HealthProbe,
    Image,
    Layer,
    LogLine,
    Logs,
    Mount,
    Snapshot,
)
from dockerdoctor.times import parse_docker_time

_CHANGE_KINDS = {0: "modified", 1: "added", 2: "deleted"}


def build(raw: dict[str, Any]) -> Snapshot:
    """Build a Snapshot from the payloads `engine.collect()` returns (or a recorded fixture)."""
    probe = raw.get("exec_probe")
    return Snapshot(
        container=container_from_inspect(raw["inspect"]),
        logs=logs_from_raw(raw["logs"])
        if raw.get("logs") is not None
        else Logs(lines=(), readable=False, error=raw.get("logs_error") or "not read"),
        engine=engine_from_info(raw.get("info") or {}, raw.get("version") or {}),
        taken_at=parse_docker_time(raw.get("taken_at")) or datetime.now(UTC),
        changes=None
        if raw.get("changes") is None and raw.get("changes_error")
        else tuple(
            Change(path=c.get("Path", ""), kind=_CHANGE_KINDS.get(c.get("Kind"), "modified"))
            for c in (raw.get("changes") or ())
        ),
        image=image_from_inspect(raw["image"], raw.get("history") or [])
        if raw.get("image")
        else None,
        events=None
        if raw.get("events") is None
        else tuple(event_from_raw(e) for e in raw["events"]),
        exec_probe=ExecProbe(**probe) if probe else None,
        notes=tuple(raw.get("notes") or ()),
    )


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _split_env(entries: Any) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in entries or ():
        key, sep, value = str(entry).partition("=")
        pairs.append((key, value if sep else ""))
    return tuple(pairs)


def container_from_inspect(d: dict[str, Any]) -> Container:
    state = d.get("State") or {}
    config = d.get("Config") or {}
    host = d.get("HostConfig") or {}
    restart = host.get("RestartPolicy") or {}
    log_config = host.get("LogConfig") or {}
    health = state.get("Health")
    if health and not health.get("Status") and not health.get("Log"):
        # Podman (4.3.1) sends an empty Health ({"Status": "", "Log": null}) for every
        # container; Docker sends Health only when there is a health check
        health = None
    stop_timeout = config.get("StopTimeout")
    return Container(
        id=d.get("Id", ""),
        name=(d.get("Name") or "").lstrip("/"),
        image=config.get("Image") or d.get("Image", ""),
        image_id=d.get("Image", ""),
        created=parse_docker_time(d.get("Created")),
        status=state.get("Status", "unknown"),
        running=bool(state.get("Running")),
        paused=bool(state.get("Paused")),
        restarting=bool(state.get("Restarting")),
        dead=bool(state.get("Dead")),
        oom_killed=bool(state.get("OOMKilled")),
        pid=int(state.get("Pid") or 0),
        exit_code=int(state.get("ExitCode") or 0),
        error=state.get("Error") or "",
        started_at=parse_docker_time(state.get("StartedAt")),
        finished_at=parse_docker_time(state.get("FinishedAt")),
        restart_count=int(d.get("RestartCount") or 0),
        health=_health(health) if health else None,
        entrypoint=_tuple(config.get("Entrypoint")),
        cmd=_tuple(config.get("Cmd")),
        env=_split_env(config.get("Env")),
        user=config.get("User") or "",
        working_dir=config.get("WorkingDir") or "",
        tty=bool(config.get("Tty")),
        labels=tuple(sorted((config.get("Labels") or {}).items())),
        exposed_ports=tuple(sorted((config.get("ExposedPorts") or {}).keys())),
        stop_signal=config.get("StopSignal") or "",
        stop_timeout=int(stop_timeout) if stop_timeout is not None else None,
        healthcheck=_tuple((config.get("Healthcheck") or {}).get("Test")),
        memory_limit=int(host.get("Memory") or 0),
        restart_policy=restart.get("Name") or "",
        restart_max=int(restart.get("MaximumRetryCount") or 0),
        read_only=bool(host.get("ReadonlyRootfs")),
        init=bool(host.get("Init")),
        network_mode=host.get("NetworkMode") or "",
        log_driver=log_config.get("Type") or "",
        port_bindings=_port_bindings(host.get("PortBindings") or {}),
        mounts=tuple(
            Mount(
                type=m.get("Type", ""),
                source=m.get("Source", ""),
                destination=m.get("Destination", ""),
                rw=bool(m.get("RW", True)),
                name=m.get("Name", "") or "",
            )
            for m in d.get("Mounts") or ()
        ),
        auto_remove=bool(host.get("AutoRemove")),
        tmpfs=tuple(sorted((host.get("Tmpfs") or {}).items())),
    )


def _health(h: dict[str, Any]) -> Health:
    return Health(
        status=h.get("Status", ""),
        failing_streak=int(h.get("FailingStreak") or 0),
        probes=tuple(
            HealthProbe(
                start=parse_docker_time(p.get("Start")),
                end=parse_docker_time(p.get("End")),
                exit_code=int(p.get("ExitCode") if p.get("ExitCode") is not None else -1),
                output=p.get("Output") or "",
            )
            for p in h.get("Log") or ()
        ),
    )


def _port_bindings(bindings: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for port, hosts in sorted(bindings.items()):
        for h in hosts or ():
            ip = h.get("HostIp") or "0.0.0.0"
            out.append(f"{ip}:{h.get('HostPort') or '?'}->{port}")
    return tuple(out)


def logs_from_raw(raw: dict[str, Any]) -> Logs:
    return Logs(
        lines=tuple(
            LogLine(stream=stream, time=parse_docker_time(ts), text=text)
            for stream, ts, text in raw.get("lines") or ()
        ),
        readable=raw.get("readable", True),
        truncated=bool(raw.get("truncated")),
        tail=raw.get("tail"),
        error=raw.get("error"),
        driver_refused=bool(raw.get("driver_refused")),
    )


def engine_from_info(info: dict[str, Any], version: dict[str, Any]) -> Engine:
    components = version.get("Components") or []
    product = "Docker Engine"
    for comp in components:
        if comp.get("Name") == "Podman Engine":
            product = "Podman Engine"
    return Engine(
        server_version=info.get("ServerVersion") or version.get("Version", ""),
        api_version=version.get("ApiVersion", ""),
        os=info.get("OperatingSystem", ""),
        kernel=info.get("KernelVersion", ""),
        architecture=info.get("Architecture") or version.get("Arch", ""),
        storage_driver=info.get("Driver", ""),
        cgroup_version=str(info.get("CgroupVersion", "") or ""),
        cgroup_driver=info.get("CgroupDriver", ""),
        logging_driver=info.get("LoggingDriver", ""),
        product=product,
    )


def image_from_inspect(d: dict[str, Any], history: list[dict[str, Any]]) -> Image:
    config = d.get("Config") or {}
    return Image(
        id=d.get("Id", ""),
        tags=tuple(d.get("RepoTags") or ()),
        architecture=d.get("Architecture", ""),
        os=d.get("Os", ""),
        user=config.get("User") or "",
        entrypoint=_tuple(config.get("Entrypoint")),
        cmd=_tuple(config.get("Cmd")),
        exposed_ports=tuple(sorted((config.get("ExposedPorts") or {}).keys())),
        volumes=tuple(sorted((config.get("Volumes") or {}).keys())),
        healthcheck=_tuple((config.get("Healthcheck") or {}).get("Test")),
        size=int(d.get("Size") or 0),
        layers=tuple(
            Layer(
                created_by=h.get("CreatedBy", ""),
                size=int(h.get("Size") or 0),
                created=datetime.fromtimestamp(h["Created"], tz=UTC)
                if h.get("Created")
                else None,
            )
            for h in history
        ),
    )


def event_from_raw(e: dict[str, Any]) -> Event:
    ns = e.get("timeNano")
    when = (
        datetime.fromtimestamp(ns / 1e9, tz=UTC)
        if ns
        else (datetime.fromtimestamp(e["time"], tz=UTC) if e.get("time") else None)
    )
    actor = e.get("Actor") or {}
    return Event(
        time=when,
        action=e.get("Action") or e.get("status") or "",
        attributes=tuple(sorted((actor.get("Attributes") or {}).items())),
    )
