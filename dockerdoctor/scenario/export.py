"""An existing container -> a scenario folder that reproduces it (`doctor scenario export`).

Reads the container (never changes it), diagnoses it like `doctor inspect`, and writes
scenario.toml: the image, the command and entrypoint, the environment the container
added to the image's (secret values redacted), user, working directory, limits, restart
policy, health check, log driver, published ports (on 127.0.0.1), what to wait for, and
the finding ids it has now as the expectation. Bind mounts cannot travel: they become
notes. The folder must not exist yet, or be empty: nothing the user owns is overwritten.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockerdoctor.engine import EngineClient, LogOptions
from dockerdoctor.errors import UsageError
from dockerdoctor.model import Diagnosis
from dockerdoctor.redact import Redactor, is_secret_name

_REDACTED_VALUE = "REDACTED-set-me"


def export(client: EngineClient, ref: str, output: str | None) -> tuple[Path, list[str]]:
    """Write the scenario; returns its folder and notes for the user."""
    from dockerdoctor import diagnose

    attrs = client.inspect(ref)
    name = (attrs.get("Name") or "").lstrip("/") or attrs["Id"][:12]
    folder = Path(output or f"{name}-scenario")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} exists and is not an empty folder: give a new one with -o")
    d, raw = diagnose.diagnose(client, attrs["Id"], LogOptions())
    image_attrs = raw.get("image") or {}
    from dockerdoctor.scenario.runner import resolve_bases

    text, notes = render(attrs, image_attrs, d, resolve_bases())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.toml").write_text(text, encoding="utf-8")
    return folder, notes


def render(attrs: dict[str, Any], image: dict[str, Any], d: Diagnosis,
           bases: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """scenario.toml for the container `attrs` (inspect payload) of `image` (pure).

    An image that is one of the scenario base images (`bases`: name -> image) is written
    as ${NAME}, so the export runs wherever those bases point."""
    cfg = attrs.get("Config") or {}
    host = attrs.get("HostConfig") or {}
    state = attrs.get("State") or {}
    img_cfg = image.get("Config") or {}
    notes: list[str] = []
    comments: list[str] = []
    name = (attrs.get("Name") or "").lstrip("/") or attrs["Id"][:12]
    ids = [f.id for f in d.findings]
    top = d.findings[0] if d.findings else None
    secrets = [v.partition("=")[2] for v in cfg.get("Env") or []
               if is_secret_name(v.partition("=")[0])]
    r = Redactor(secrets)

    out = [f"# Exported by `doctor scenario export` from container {name} "
           f"({attrs['Id'][:12]}) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."]
    title = top.title if top else "no finding"
    out.append(f"description = {_s(r.text(f'{name}: {title}'))}")
    out.append(f"lesson = {_s(r.text(top.remedy if top else 'Nothing failed.'))}")
    out.append("")

    out.append("[image]")
    image_ref = cfg.get("Image") or image.get("Id") or ""
    base = next((k for k, v in (bases or {}).items() if v == image_ref), "")
    out.append(f"image = {_s('${' + base + '}' if base else image_ref)}")
    if not base and (image_ref.startswith("sha256:") or not (image.get("RepoTags") or [])):
        notes.append(f"the image {image_ref[:19]} has no tag: on another machine, build it "
                     "first (add its Dockerfile to this folder and use build = \".\")")
    out.append("")

    run: list[str] = []
    # the argv as the container ran it: explicit, so the image's defaults cannot differ
    if cfg.get("Entrypoint") != img_cfg.get("Entrypoint") and cfg.get("Entrypoint"):
        run.append(f"entrypoint = {_list(r.argv(tuple(cfg['Entrypoint'])))}")
    if cfg.get("Cmd") and (cfg.get("Cmd") != img_cfg.get("Cmd")
                           or cfg.get("Entrypoint") != img_cfg.get("Entrypoint")):
        run.append(f"command = {_list(r.argv(tuple(cfg['Cmd'])))}")
    image_env = set(img_cfg.get("Env") or [])
    env = {}
    for item in cfg.get("Env") or []:
        if item in image_env:
            continue
        key, _, value = item.partition("=")
        if is_secret_name(key) and value:
            env[key] = _REDACTED_VALUE
            notes.append(f"{key} looked secret: its value is replaced by {_REDACTED_VALUE}")
        else:
            env[key] = r.text(value)
    if env:
        run.append("env = { " + ", ".join(f"{_key(k)} = {_s(v)}" for k, v in env.items())
                   + " }")
    if cfg.get("User") and cfg.get("User") != img_cfg.get("User"):
        run.append(f"user = {_s(cfg['User'])}")
    if cfg.get("WorkingDir") and cfg.get("WorkingDir") != img_cfg.get("WorkingDir"):
        run.append(f"workdir = {_s(cfg['WorkingDir'])}")
    if host.get("Memory"):
        run.append(f"memory = {_s(str(host['Memory']))}")
    if host.get("ReadonlyRootfs"):
        run.append("read_only = true")
    if host.get("Tmpfs"):
        run.append("tmpfs = { " + ", ".join(f"{_s(k)} = {_s(v)}"
                                             for k, v in host["Tmpfs"].items()) + " }")
    volumes, binds = _mounts(attrs)
    if volumes:
        run.append("volumes = { " + ", ".join(f"{_key(k)} = {_s(v)}"
                                               for k, v in volumes.items()) + " }")
        notes.append("named volumes are recreated empty: their contents are not exported")
    for b in binds:
        comments.append(f"# bind mount not reproduced: {b}")
        notes.append(f"bind mount not reproduced (a path on the original host): {b}")
    ports = _ports(host)
    if ports:
        run.append(f"ports = {_list([ports[0]])}")
        if len(ports) > 1:
            notes.append(f"only the first published port is reproduced ({len(ports)} were)")
    policy = host.get("RestartPolicy") or {}
    if policy.get("Name") and policy["Name"] != "no":
        count = policy.get("MaximumRetryCount") or 0
        run.append(f"restart = {_s(policy['Name'] + (f':{count}' if count else ''))}")
    if host.get("Init"):
        run.append("init = true")
    mode = host.get("NetworkMode") or "default"
    run.append(f"network = {_s('none' if mode == 'none' else 'bridge')}")
    if mode not in ("none", "default", "bridge"):
        notes.append(f"network {mode} is not reproduced: the scenario uses the default "
                     "bridge (its other services are not part of it)")
    log_type = (host.get("LogConfig") or {}).get("Type")
    if log_type == "none":
        run.append('log_driver = "none"')
    if cfg.get("StopSignal") and cfg.get("StopSignal") != img_cfg.get("StopSignal"):
        run.append(f"stop_signal = {_s(cfg['StopSignal'])}")
    never_started = state.get("Status") == "created" and not state.get("Error")
    if never_started:
        run.append("start = false")
    health = cfg.get("Healthcheck")
    out.append("[run]")
    out.extend(run)
    out.extend(comments)
    out.append("")
    if health and health.get("Test") and health["Test"][0] != "NONE":
        out.append("[run.healthcheck]")
        out.append(f"test = {_list(r.argv(tuple(health['Test'])))}")
        for key, field in (("Interval", "interval"), ("Timeout", "timeout"),
                           ("StartPeriod", "start_period")):
            if health.get(key):
                out.append(f"{field} = {health[key] / 1e9:g}")
        if health.get("Retries"):
            out.append(f"retries = {int(health['Retries'])}")
        out.append("")

    act, wait = _act_and_wait(attrs, ids, never_started)
    if act:
        out.append("[act]")
        out.extend(act)
        out.append("")
    out.append("[wait]")
    out.extend(wait)
    out.append("")

    out.append("[expect]")
    out.append(f"findings = {_list(ids)}")
    if ids:
        out.append(f"verdict = {_s(ids[0])}")
    if d.forensics and d.forensics.ran:
        out.append("deep = true")
    if not ids:
        out.append('max_severity = "info"')
    return "\n".join(out) + "\n", notes


def _act_and_wait(attrs: dict[str, Any], ids: list[str], never_started: bool
                  ) -> tuple[list[str], list[str]]:
    state = attrs.get("State") or {}
    status = state.get("Status")
    health = (state.get("Health") or {}).get("Status")
    if never_started:
        return [], ['for = "created"', "timeout = 30"]
    if "stop-timeout" in ids or "terminated" in ids:
        timeout = (attrs.get("Config") or {}).get("StopTimeout") or 1
        return (['do = "stop"', "after = 1", f"stop_timeout = {min(int(timeout), 10)}"],
                ['for = "exited"', "timeout = 60"])
    if "killed" in ids:
        return ['do = "kill"', "after = 1", 'signal = "SIGKILL"'], ['for = "exited"',
                                                                   "timeout = 60"]
    if status == "paused":
        return ['do = "pause"', "after = 1"], ['for = "paused"', "timeout = 30"]
    if health == "unhealthy":
        return [], ['for = "unhealthy"', "timeout = 120"]
    if status == "restarting" or (attrs.get("RestartCount") or 0) > 0:
        restarts = min(max(int(attrs.get("RestartCount") or 1), 1), 3)
        return [], ['for = "restarting"', f"restarts = {restarts}", "timeout = 120"]
    if status == "running":
        return [], ['for = "running"', "settle = 2", "timeout = 60"]
    if status == "dead":
        return [], ['for = "exited"', "timeout = 60"]
    return [], ['for = "exited"', "timeout = 120"]


def _mounts(attrs: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    volumes: dict[str, str] = {}
    binds: list[str] = []
    for m in attrs.get("Mounts") or []:
        if m.get("Type") == "volume" and m.get("Name"):
            key = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in m["Name"])[:40]
            volumes[key] = m.get("Destination", "")
        elif m.get("Type") == "bind":
            binds.append(f"{m.get('Source')} -> {m.get('Destination')}"
                         + ("" if m.get("RW", True) else " (read-only)"))
        elif m.get("Type") == "tmpfs":
            continue  # HostConfig.Tmpfs covers --tmpfs; --mount type=tmpfs is rare
    return volumes, binds


def _ports(host: dict[str, Any]) -> list[str]:
    out = []
    for container_port, bindings in (host.get("PortBindings") or {}).items():
        if bindings:
            port, _, proto = container_port.partition("/")
            out.append(f"127.0.0.1:${{PORT}}:{port}" + (f"/{proto}" if proto != "tcp" else ""))
    return out


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML ones)."""
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    if key and all(ch.isalnum() or ch in "-_" for ch in key):
        return key
    return _s(key)


def _list(items: Any) -> str:
    return "[" + ", ".join(_s(str(x)) for x in items) + "]"
