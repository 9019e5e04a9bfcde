"""Run many scenarios side by side, each on its own engine connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from dockerdoctor.engine import EngineClient
from dockerdoctor.errors import DoctorError
from dockerdoctor.scenario.runner import Outcome, run
from dockerdoctor.scenario.spec import Scenario


def verify(connect: Callable[[], EngineClient], scenarios: list[Scenario],
           bases: dict[str, str], jobs: int,
           done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Every scenario's outcome, in the order given. Ctrl-C stops the runs at their next
    wait; each cleans up before this returns (re-raising the interrupt)."""
    cancel = threading.Event()

    def one(s: Scenario) -> Outcome:
        try:
            client = connect()
        except DoctorError as e:
            return Outcome(s, failures=[e.message])
        return run(client, s, bases, cancel=cancel)

    outcomes: dict[str, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="scenario")
    futures: dict[Future[Outcome], Scenario] = {pool.submit(one, s): s for s in scenarios}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for f in finished:
                outcome = f.result()
                outcomes[futures[f].name] = outcome
                if done:
                    done(outcome)
    except BaseException:
        cancel.set()
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True)  # the running ones clean up first
        raise
    pool.shutdown(wait=True)
    return [outcomes[s.name] for s in scenarios]
