"""Time in one place: Docker's timestamps, the zero time, durations like ``10m``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dockerdoctor.errors import UsageError

# Docker writes "0001-01-01T00:00:00Z" for "never" (StartedAt of a container never started).
_ZERO_YEAR = 1

_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


_RFC3339 = re.compile(
    r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$"
)


def parse_docker_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp with nanoseconds; None for empty or the zero time."""
    if not value:
        return None
    m = _RFC3339.match(value)
    try:
        if m:  # the engine's own format: parsed without dateutil (faster, no import)
            frac = (m.group(3) or "0")[:6].ljust(6, "0")
            zone = m.group(4) or "Z"
            zone = "+00:00" if zone == "Z" else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
            parsed = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}.{frac}{zone}")
        else:
            from dateutil import parser as dateparser

            parsed = dateparser.isoparse(_trim_nanoseconds(value))
    except (ValueError, OverflowError):
        return None
    if parsed.year <= _ZERO_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _trim_nanoseconds(value: str) -> str:
    # Python's datetime holds microseconds; Docker writes up to nine fractional digits.
    return re.sub(r"(\.\d{6})\d+", r"\1", value)


def parse_duration(text: str) -> timedelta | None:
    """``10m``, ``1h30m``, ``2d``, ``45s``, ``500ms`` -> timedelta; None if not a duration."""
    text = text.strip()
    if not text:
        return None
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            return None
        total += float(match["n"]) * _UNIT_SECONDS[match["unit"]]
        pos = match.end()
    if pos != len(text):
        return None
    return timedelta(seconds=total)


def parse_time_arg(text: str, now: datetime | None = None) -> datetime:
    """A --since/--until value: a duration before now, an epoch, or an absolute time."""
    now = now or datetime.now(UTC)
    delta = parse_duration(text)
    if delta is not None:
        return now - delta
    if re.fullmatch(r"\d{9,}(\.\d+)?", text.strip()):
        return datetime.fromtimestamp(float(text), tz=UTC)
    from dateutil import parser as dateparser  # lazy: only for times users type

    try:
        parsed = dateparser.parse(text)
    except (ValueError, OverflowError) as e:
        raise UsageError(
            f"cannot read {text!r} as a time: use a duration like 10m or 2h, "
            "or a time like 2026-01-31T14:00:00Z"
        ) from e
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # a time without zone is the user's local time
    return parsed.astimezone(UTC)


def format_duration(seconds: float | None) -> str:
    """Human duration: 0.4s, 12s, 3m05s, 2h01m, 3d04h."""
    if seconds is None:
        return "unknown"
    if seconds < 0:
        seconds = 0
    if seconds < 10:
        return f"{seconds:.1f}s"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def iso(value: datetime | None) -> str | None:
    """Timestamp for reports: UTC, second-and-millisecond precision, Z suffix."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
