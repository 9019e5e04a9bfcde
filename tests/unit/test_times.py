from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dockerdoctor.errors import UsageError
from dockerdoctor.times import format_duration, parse_docker_time, parse_duration, parse_time_arg


def test_docker_zero_time_means_never() -> None:
    assert parse_docker_time("0001-01-01T00:00:00Z") is None
    assert parse_docker_time("") is None and parse_docker_time(None) is None


def test_nanoseconds_and_zones() -> None:
    t = parse_docker_time("2026-11-28T22:23:49.493061234Z")
    assert t == datetime(2026, 11, 28, 22, 23, 49, 493061, tzinfo=UTC)
    assert parse_docker_time("2026-11-28T23:23:49+01:00") == datetime(
        2026, 11, 28, 22, 23, 49, tzinfo=UTC)


@pytest.mark.parametrize("text, seconds", [("10m", 600), ("1h30m", 5400), ("2d", 172800),
                                           ("45s", 45), ("500ms", 0.5), ("1.5h", 5400)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "10", "m10", "10m x", "1h-5m"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_time_arguments() -> None:
    now = datetime(2026, 1, 31, 14, 0, tzinfo=UTC)
    assert parse_time_arg("10m", now) == now - timedelta(minutes=10)
    assert parse_time_arg("2026-01-31T13:00:00Z", now) == now - timedelta(hours=1)
    assert parse_time_arg("1769864400", now) == datetime(2026, 1, 31, 13, 0, tzinfo=UTC)
    with pytest.raises(UsageError):
        parse_time_arg("yesterday-ish", now)


def test_format_duration() -> None:
    assert format_duration(0.42) == "0.4s"
    assert format_duration(185) == "3m05s"
    assert format_duration(7260) == "2h01m"
    assert format_duration(None) == "unknown"
