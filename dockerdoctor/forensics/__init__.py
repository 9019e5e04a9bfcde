"""Deep forensics: look inside a failed container when its logs do not explain it.

All side effects live here and in engine.ArtifactEngine: a temporary debug image
committed from the container (never paused), a debug container run from it, isolated
(no network, no capabilities, no-new-privileges, memory and pids limits, a hard
time-out), and their removal in every path. Files are read through the archive API,
which works on stopped containers and runs nothing.

decide() says whether to run; run() does it and returns a `Forensics`; the lines of
the log-like files it read are then given to the same checks as the container's logs.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from dockerdoctor.checks.base import crashed
from dockerdoctor.engine import ArtifactEngine, EngineClient, read_tree
from dockerdoctor.errors import DoctorError
from dockerdoctor.interrupts import terminate_as_interrupt
from dockerdoctor.model import Finding, Forensics, LogLine, Snapshot

# ids that name no cause: with only these, the logs do not explain the failure
_GENERIC = {"nonzero-exit", "restart-loop", "logs-empty", "log-driver-unreadable",
            "start-failed", "never-started", "paused", "unhealthy"}
_NEEDS_FILE = {"crlf-shebang", "exec-format", "missing-library", "command-not-found"}


CHECKED_LINES_PER_FILE = 300


@dataclasses.dataclass(frozen=True)
class DeepOptions:
    mode: str = "auto"  # auto, on, off
    keep_image: bool = False
    timeout: float = 30.0  # for the debug container
    toolbox: str = ""  # an image with a static busybox, for shell-less images
    max_total: int = 2 * 1024 * 1024  # text kept from all files together
    max_file: int = 64 * 1024  # text kept from one file (its tail)


def decide(s: Snapshot, findings: tuple[Finding, ...], mode: str) -> tuple[bool, str]:
    """Whether to run, and why (the report says it either way)."""
    if mode == "off":
        return False, "not run: --no-deep"
    if mode == "on":
        return True, "forced by --deep"
    c = s.container
    if c.status == "created" and not c.started_at:
        return False, "not run: the container never ran"
    if c.status == "dead":
        return False, ("not run: the engine left the container dead (its file system and "
                       "logs cannot be read; use --deep to try anyway)")
    if c.status in ("running", "paused") and not c.restarting and not (
        c.health and c.health.status == "unhealthy"
    ):
        return False, "not run: the container is running (use --deep to look inside)"
    ids = {f.id for f in findings}
    if not crashed(s):
        return False, "not run: the container did not fail (use --deep to look inside)"
    if s.logs.driver_refused:
        return True, "the log driver cannot be read back"
    if not s.logs.readable:
        return True, "its logs could not be read"
    if not s.logs.lines:
        return True, "the container printed nothing"
    if ids & _NEEDS_FILE and s.exec_probe is None:
        return True, "the exec failure needs the file itself"
    if not ids - _GENERIC - {"oom-killed", "killed", "stop-timeout", "terminated"} and (
        ids & {"nonzero-exit", "restart-loop"}
    ):
        return True, "nothing in the logs explains the failure"
    return False, "not run: the logs explain the failure (use --deep to look anyway)"


def run(client: EngineClient, s: Snapshot, findings: tuple[Finding, ...], reason: str,
        options: DeepOptions, progress: Any = None) -> Forensics:
    # imported here: a diagnosis that needs no forensics does not pay for them
    from dockerdoctor.forensics.collect import Budget, collect_files, probe_paths
    from dockerdoctor.forensics.debugcopy import run_probes

    started = time.monotonic()
    say = progress or (lambda msg: None)
    errors: list[str] = []
    c = s.container
    budget = Budget(options.max_total, options.max_file)
    # The archive reads run in a worker thread while the main thread makes and runs the
    # debug copy (both mostly wait on the engine): bench/bench_deep.py, 1.56x -> 1.49x
    # the manual workflow. The main thread keeps the signal handling that cleanup relies
    # on; the reader only reads, and is a daemon, so Ctrl-C does not wait for it.
    with terminate_as_interrupt():
        say("reading changed files, logs and shell history through the archive API")
        reading = _Background(
            collect_files,
            lambda path, want, cap: read_tree(client, c.id, path, want, cap),
            s, findings, budget)
        method = "archive"
        probes: tuple[tuple[str, str], ...] = ()
        kept = ""
        shell_unknown = False
        try:
            shell = _find_shell(client, c.id)
        except DoctorError as e:
            shell, shell_unknown = "", True
            errors.append(f"could not look for a shell in the container: {e.message}")
        artifact_engine = ArtifactEngine(client)
        argv: list[str] = [shell] if shell else []
        prepare = None
        environment = None
        if not shell and options.toolbox:
            from dockerdoctor.forensics import toolbox

            say(f"no shell in the image: taking a static busybox from {options.toolbox}")
            try:
                busybox = toolbox.fetch_busybox(artifact_engine, options.toolbox, c.id)
                argv = [toolbox.SHELL, "sh"]
                environment = [f"PATH={toolbox.PATH}:/usr/local/sbin:/usr/local/bin:"
                               "/usr/sbin:/usr/bin:/sbin:/bin"]

                def prepare(cid: str) -> None:
                    toolbox.install(artifact_engine, cid, busybox)
            except DoctorError as e:
                errors.append(f"toolbox {options.toolbox}: {e.message}")
        if argv:
            method = "debug-container"
            say("committing a debug copy (the container is not paused) and probing it")
            try:
                probes, kept, errs = run_probes(
                    artifact_engine, s, argv, probe_paths(s, findings),
                    options.timeout, options.keep_image, prepare=prepare,
                    environment=environment)
                errors.extend(errs)
            except DoctorError as e:
                errors.append(f"debug container: {e.message}")
        elif not shell_unknown:
            errors.append("the image has no shell: probes done on the files' bytes only "
                          "(--toolbox IMAGE brings one)")
        try:
            files = reading.result()
        except DoctorError as e:
            files = []
            errors.append(f"reading files: {e.message}")
    return Forensics(
        ran=True, reason=reason, method=method, files=tuple(files), probes=probes,
        debug_image=kept, errors=tuple(errors), seconds=time.monotonic() - started,
    )


class _Background:
    """fn(*args) on a daemon thread; result() returns its value or raises its error."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def work() -> None:
            try:
                self._value = fn(*args)
            except BaseException as e:  # noqa: BLE001 - handed to the caller of result()
                self._error = e

        self._thread = threading.Thread(target=work, name="doctor-read-files", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _find_shell(client: EngineClient, cid: str) -> str:
    """The first shell the container's file system has ("" if none); DoctorError when
    the file system cannot be read at all (then nobody knows)."""
    for candidate in ("/bin/sh", "/bin/bash", "/busybox/sh", "/bin/ash"):
        if client.stat(cid, candidate) is not None:
            return candidate
    return ""


def lines_of(forensics: Forensics) -> tuple[LogLine, ...]:
    """The collected log-like files as log lines, each naming its file and line."""
    from dockerdoctor.forensics.collect import file_lines

    out: list[LogLine] = []
    for f in forensics.files:
        # only files that are logs (by name) or that the evidence named: configuration
        # and data files are shown, but their comments are no log lines to judge
        if f.kind in ("log", "volume") and f.text:
            # the newest lines: a file's cause is at its end (the report shows more)
            out.extend(file_lines(f)[-CHECKED_LINES_PER_FILE:])
    return tuple(out)
