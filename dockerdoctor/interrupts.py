"""Signals around work that creates engine objects: cleanup must run, and must finish.

Used by deep forensics (debug images and containers) and by scenarios (their containers,
images, volumes and networks).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM inside the block unwinds like Ctrl-C, so `finally:` cleanup runs."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done, then unwind as Ctrl-C (which
    wins over any error the block raised: the user asked to stop).

    For engine calls whose result must not be lost (a commit or create in flight goes on
    in the engine; its id is what cleanup needs) and for cleanup itself.
    """
    got: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        got.append(signum)

    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, hold)
    except ValueError:  # not the main thread: nothing to defer
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if got:
            raise KeyboardInterrupt
