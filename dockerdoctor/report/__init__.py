"""Renderers: pure functions `Diagnosis -> str` (text, markdown, json).

Only this package formats output (tabulate lives here). Everything a container printed is
untrusted: `clean()` neutralises terminal control sequences before text or markdown shows it.
"""

from __future__ import annotations

import re

from dockerdoctor.model import Diagnosis
from dockerdoctor.times import format_duration

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Make container output safe to print: control characters become visible escapes."""
    return _CONTROL.sub(lambda m: _visible(m.group(0)), text)


def one_line(text: str) -> str:
    """clean(), and newlines shown as \\n: for table cells and single-line fields."""
    return clean(text).replace("\n", "\\n")


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch == "\r":
        return "\\r"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def status_line(d: Diagnosis) -> str:
    """`exited (137) after 4.2s` / `running for 3m05s` / `created, never started`."""
    c = d.snapshot.container
    taken = d.snapshot.taken_at
    if c.status == "running" and c.started_at:
        up = format_duration((taken - c.started_at).total_seconds())
        health = f", {c.health.status}" if c.health else ""
        return f"running for {up}{health}"
    if c.status == "restarting" or c.restarting:
        return f"restarting (last exit {c.exit_code}), {c.restart_count} restarts"
    if c.status == "exited":
        ran = c.runtime_seconds
        ago = ""
        if c.finished_at:
            ago = f", {format_duration((taken - c.finished_at).total_seconds())} ago"
        return f"exited ({c.exit_code}) after {format_duration(ran)}{ago}"
    if c.status == "created":
        return "created, never started" if not c.error else "created, start failed"
    return c.status


def engine_line(d: Diagnosis) -> str:
    e = d.snapshot.engine
    parts = [f"{e.product.replace(' Engine', '')} {e.server_version}".strip()]
    if e.api_version:
        parts[0] += f" (API {e.api_version})"
    if e.os:
        parts.append(e.os)
    if e.architecture:
        parts.append(e.architecture)
    if e.cgroup_version:
        parts.append(f"cgroup v{e.cgroup_version}")
    if e.storage_driver:
        parts.append(e.storage_driver)
    return ", ".join(parts)


def short_id(cid: str) -> str:
    return cid[:12]


def size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def enter_command(image: str) -> str:
    """How to enter a kept debug image, with the isolation forensics used."""
    return (f"docker run -it --rm --network none --cap-drop ALL --entrypoint sh {image}")
