"""Deaths by signal: OOM kill, stop timeout, kill, SIGTERM, SIGSEGV, SIGABRT.

Exit code alone is never the verdict: 137 is an OOM kill only with evidence (OOMKilled,
an `oom` event, the kernel's words in the logs); the engine's events tell `docker stop`
from `docker kill`.
"""

from __future__ import annotations

import re

from dockerdoctor.checks.base import config, finding, grep, line_evidence, state
from dockerdoctor.model import Event, Evidence, Finding, LogLine, Severity, Snapshot

_MEMORY_WORDS = re.compile(
    r"Memory cgroup out of memory|Out of memory|oom[-_ ]kill|\bKilled\b|MemoryError|"
    r"Cannot allocate memory|OutOfMemoryError|heap out of memory|std::bad_alloc",
    re.IGNORECASE,
)
_SEGV_WORDS = re.compile(
    r"Segmentation fault|SIGSEGV|segfault|core dumped|Fatal Python error|fatal signal 11|"
    r"signal 11|invalid memory reference",
    re.IGNORECASE,
)
_ABRT_WORDS = re.compile(
    r"Aborted|SIGABRT|abort\(\)|Assertion .* failed|assertion failed|terminate called|"
    r"heap out of memory|FATAL ERROR|core dumped|signal 6",
    re.IGNORECASE,
)


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB" if n >= 1 << 20 else f"{n} bytes"


def _with_context(s: Snapshot, crash: tuple[LogLine, ...], n: int = 2
                  ) -> tuple[LogLine, ...]:
    """The crash lines, after the n lines the app printed just before them (what it was
    doing when it died); the last n lines when no crash line was printed."""
    logs = s.logs.lines
    first = next((i for i, line in enumerate(logs) if crash and line is crash[0]), len(logs))
    before = tuple(line for line in logs[max(0, first - n):first] if line not in crash)
    return (*before, *crash)


def last_run_events(s: Snapshot) -> tuple[Event, ...]:
    """Events since the last `start` (a restarting container has several runs)."""
    events = s.events or ()
    start = 0
    for i, e in enumerate(events):
        if e.action == "start":
            start = i
    return events[start:]


def _event_evidence(events: tuple[Event, ...]) -> Evidence:
    parts = []
    for e in events:
        if e.action in ("kill", "die", "stop", "oom", "start", "restart"):
            extra = ""
            if e.action == "kill" and e.attr("signal"):
                extra = f" signal={e.attr('signal')}"
            if e.action == "die" and e.attr("exitCode"):
                extra = f" exitCode={e.attr('exitCode')}"
            parts.append(e.action + extra)
    return Evidence("events", ", ".join(parts) or "(none)")


def _signals_sent(events: tuple[Event, ...]) -> list[str]:
    return [e.attr("signal") or "" for e in events if e.action == "kill"]


def _grace_seconds(events: tuple[Event, ...]) -> float | None:
    """Seconds between the stop signal and the SIGKILL that followed it, from the events."""
    asked = None
    for e in events:
        if e.action != "kill" or e.time is None:
            continue
        sig = e.attr("signal") or ""
        if asked is None and not _is_kill(sig):
            asked = e.time
        elif asked is not None and _is_kill(sig):
            return max(0.0, (e.time - asked).total_seconds())
    return None


def _is_term(sig: str) -> bool:
    return sig in ("15", "SIGTERM", "TERM")


def _is_kill(sig: str) -> bool:
    return sig in ("9", "SIGKILL", "KILL")


def check_signals(s: Snapshot) -> list[Finding]:
    c = s.container
    if c.status not in ("exited", "dead", "restarting") and not c.restarting:
        if c.oom_killed and c.running:
            return [_oom(s, child=True)]
        return []
    if c.oom_killed:
        return [_oom(s, child=c.exit_code != 137)]
    code = c.exit_code
    if code == 137:
        return [_sigkill(s)]
    if code == 143:
        return [_sigterm(s)]
    if code == 139:
        lines = _with_context(s, grep(s, _SEGV_WORDS, 4))
        return [finding(
            "segfault", Severity.ERROR,
            "Crashed with a segmentation fault (exit 139, SIGSEGV)",
            "The process touched memory it does not own and the kernel killed it with SIGSEGV. "
            "In containers this is most often a native library or extension built for another "
            "C library (glibc-built modules on a musl/Alpine base), a corrupted binary, or a "
            "bug in native code.",
            "Rebuild native dependencies on the same base image the container runs on (do "
            "not copy node_modules/wheels built elsewhere); try a glibc base (debian-slim) "
            "instead of Alpine; run with core dumps enabled (--ulimit core=-1) to get a "
            "backtrace.",
            (state("ExitCode", code), *line_evidence(lines)),
        )]
    if code == 134:
        lines = _with_context(s, grep(s, _ABRT_WORDS, 4))
        heap = any("heap out of memory" in line.text for line in lines)
        return [finding(
            "aborted", Severity.ERROR,
            "Aborted (exit 134, SIGABRT)" + (": JavaScript heap out of memory" if heap else ""),
            ("V8 ran out of heap and aborted the process: Node's default heap limit is below "
             "what the app needs, or the app leaks memory." if heap else
             "The process called abort(): a failed assertion, an uncaught C++ exception "
             "(\"terminate called\"), a detected heap corruption, or a runtime's fatal error."),
            ("Raise the heap with NODE_OPTIONS=--max-old-space-size=<MiB> (below the "
             "container's memory limit), or find the leak." if heap else
             "Read the lines before the abort for the assertion or fatal error; rebuild "
             "native dependencies on the runtime base image."),
            (state("ExitCode", code), *line_evidence(lines)),
        )]
    return []


def _oom(s: Snapshot, child: bool) -> Finding:
    c = s.container
    evidence = [state("OOMKilled", True), state("ExitCode", c.exit_code)]
    if c.memory_limit:
        evidence.append(config("HostConfig.Memory", _mib(c.memory_limit)))
    evidence.extend(line_evidence(grep(s, _MEMORY_WORDS, 3)))
    limit = f" of {_mib(c.memory_limit)}" if c.memory_limit else ""
    if child:
        return finding(
            "oom-killed", Severity.ERROR,
            f"A process inside was killed by the OOM killer (exit {c.exit_code})",
            f"The kernel's OOM killer fired in this container's memory cgroup{limit}, but the "
            f"main process exited with {c.exit_code}, not 137: the killer chose a child "
            "process (a worker, a compiler, a subprocess), and PID 1 then exited on its own "
            "or survived it.",
            "Find which child used the memory (the lines before it died); raise the limit "
            "(docker run -m / mem_limit) or lower the workers' concurrency or memory use.",
            evidence,
        )
    return finding(
        "oom-killed", Severity.ERROR,
        "Killed by the kernel OOM killer (exit 137)",
        f"The container used all the memory it may use{limit} and the kernel's OOM killer "
        "killed its main process with SIGKILL. Nothing in the app could catch it, which is "
        "why the logs often just stop.",
        "Raise the memory limit (docker run -m, compose mem_limit / deploy.resources), or "
        "make the app use less: for the JVM -XX:MaxRAMPercentage=75, for Node "
        "--max-old-space-size, fewer workers. Check `docker stats` while it runs.",
        evidence,
    )


def _sigkill(s: Snapshot) -> Finding:
    c = s.container
    events = last_run_events(s)
    has_events = bool(s.events)
    if any(e.action == "oom" for e in events):
        f = _oom(s, child=False)
        return finding(
            f.id, f.severity, f.title,
            f.explanation + " The engine recorded an `oom` event although State.OOMKilled is "
            "false (a known engine/containerd race).",
            f.remedy, (*f.evidence, _event_evidence(events)),
        )
    memory_lines = grep(s, re.compile(r"Memory cgroup out of memory|Out of memory: Killed"), 2)
    if memory_lines or (c.memory_limit and grep(s, re.compile(r"^\s*Killed\s*$"), 1)):
        f = _oom(s, child=False)
        return finding(
            f.id, f.severity, f.title,
            f.explanation + " State.OOMKilled is false, but the logs show the kill.",
            f.remedy, f.evidence,
        )
    signals = _signals_sent(events)
    evidence = [state("ExitCode", 137)]
    if has_events:
        evidence.append(_event_evidence(events))
    stopped = any(e.action == "stop" for e in events) or any(_is_term(x) for x in signals)
    if stopped:
        grace = _grace_seconds(events)
        if grace is not None:
            # what the engine really waited: `docker stop -t N` overrides the configured value
            timeout = f"{grace:.0f}" if grace >= 1 else f"{grace:.1f}"
        else:
            timeout = str(c.stop_timeout if c.stop_timeout is not None else 10)
        argv = " ".join(c.argv)
        shell_form = bool(c.argv[:2] and c.argv[0] in ("/bin/sh", "sh", "/bin/bash", "bash")
                          and "-c" in c.argv[1:3])
        evidence.append(config("Config.Entrypoint+Cmd", argv or "(none)"))
        evidence.append(config("HostConfig.Init", c.init))
        why = []
        if shell_form:
            why.append("the command runs under `/bin/sh -c` (shell form), and the shell as "
                       "PID 1 does not pass SIGTERM on to the app")
        if not c.init:
            why.append("no init process (--init) forwards signals")
        why.append("PID 1 gets no default signal handlers: a process that does not install "
                   "a SIGTERM handler ignores it")
        return finding(
            "stop-timeout", Severity.WARNING,
            f"Did not stop on SIGTERM; killed after the {timeout}s stop timeout (exit 137)",
            f"The container was asked to stop ({c.stop_signal or 'SIGTERM'}) but its main "
            f"process was still running after {timeout}s, so the engine sent "
            "SIGKILL. " + "; ".join(why) + ". Shutdown was not graceful: in-flight work and "
            "buffers may be lost, and every stop takes the full timeout.",
            "Use the exec form of CMD/ENTRYPOINT (CMD [\"app\", \"arg\"]) or `exec \"$@\"` "
            "at the end of entrypoint scripts; run with --init (compose: init: true); "
            "handle SIGTERM in the app; raise --stop-timeout if shutdown is just slow.",
            evidence,
        )
    if any(_is_kill(x) for x in signals):
        return finding(
            "killed", Severity.ERROR,
            "Killed with SIGKILL by `docker kill` (exit 137)",
            "The engine recorded a kill with SIGKILL that was not part of a `docker stop`: "
            "someone or something ran `docker kill` (or the API equivalent: an orchestrator, "
            "a script, a watchdog).",
            "Find who killed it: `docker events --filter container=<id>` while it runs, "
            "orchestrator logs, cron jobs. Prefer `docker stop` so the app can shut down.",
            evidence,
        )
    if c.memory_limit:
        evidence.append(config("HostConfig.Memory", _mib(c.memory_limit)))
    return finding(
        "killed", Severity.ERROR,
        "Killed by SIGKILL (exit 137), cause not recorded",
        "The main process died from SIGKILL, but the engine recorded no OOM kill and "
        + ("its events show no `docker kill`" if has_events else
           "no longer has events for it")
        + ". Likely causes: `docker kill` or an orchestrator, the host's OOM killer (which the "
        "engine does not always record), or a kill from the host (`kill -9`).",
        "Check the host's kernel log for OOM kills (`dmesg | grep -i -e oom -e killed`), "
        "`docker events` next time, and memory use with `docker stats`.",
        evidence,
    )


def _sigterm(s: Snapshot) -> Finding:
    events = last_run_events(s)
    evidence = [state("ExitCode", 143)]
    stopped = any(e.action == "stop" for e in events)
    if s.events:
        evidence.append(_event_evidence(events))
    return finding(
        "terminated", Severity.INFO,
        "Stopped by SIGTERM (exit 143)" + (", by `docker stop`" if stopped else ""),
        "The main process received SIGTERM and exited, as asked: this is a normal stop "
        "(`docker stop`, `docker compose down`, a deploy, or the host shutting down), not "
        "a crash.",
        "Nothing to fix if the stop was intended. If it was not, find who stopped it: "
        "`docker events --filter container=<id>`.",
        evidence,
    )
