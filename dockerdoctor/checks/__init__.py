"""The check registry and the finding catalogue (the public list of finding ids).

Every check is a pure function `Snapshot -> list[Finding]`; they are listed here in one
place. `run_checks` runs them all, drops fallbacks that a specific finding makes redundant,
and orders the findings: most severe first, then the catalogue's order (specific causes
before generic signatures), so the first finding is the verdict.
"""

from __future__ import annotations

from collections.abc import Callable

from dockerdoctor.checks.environment import (
    check_config_error,
    check_dns,
    check_missing_env,
    check_mount_source,
    check_no_space,
    check_permission_denied,
    check_port_in_use,
    check_read_only,
    check_refused,
)
from dockerdoctor.checks.execfail import check_exec
from dockerdoctor.checks.lifecycle import check_lifecycle, check_nonzero_exit
from dockerdoctor.checks.runtimes import check_runtimes
from dockerdoctor.checks.signals import check_signals
from dockerdoctor.model import Finding, Severity, Snapshot

Check = Callable[[Snapshot], list[Finding]]

CHECKS: tuple[Check, ...] = (
    check_signals,
    check_exec,
    check_missing_env,
    check_port_in_use,
    check_mount_source,
    check_no_space,
    check_read_only,
    check_permission_denied,
    check_config_error,
    check_dns,
    check_refused,
    check_runtimes,
    check_lifecycle,
    check_nonzero_exit,
)

# id -> (usual severity, what it means). Order = priority among equal severities.
CATALOGUE: dict[str, tuple[Severity, str]] = {
    "oom-killed": (Severity.ERROR, "killed by the kernel OOM killer (OOMKilled, or 137 with "
                   "memory evidence; OOMKilled with exit 0/1: a child process was killed)"),
    "crlf-shebang": (Severity.ERROR, "a script whose #! line ends in CR (Windows line endings)"),
    "exec-format": (Severity.ERROR, "exec format error: a binary for another architecture, or "
                    "a script without #!"),
    "missing-library": (Severity.ERROR, "missing dynamic loader or shared library (glibc "
                        "binary on musl/scratch, \"error while loading shared libraries\")"),
    "not-executable": (Severity.ERROR, "126 / exec permission denied: no +x bit, a directory, "
                       "a noexec mount"),
    "command-not-found": (Severity.ERROR, "127, \"executable file not found\", \"stat ...: no "
                          "such file\", a shell's \"not found\", a missing #! interpreter"),
    "mount-source-missing": (Severity.ERROR, "a bind mount's source is missing, or a "
                             "file/directory mismatch"),
    "port-in-use": (Severity.ERROR, "\"port is already allocated\" / \"address already in use\""),
    "no-space": (Severity.ERROR, "\"No space left on device\""),
    "missing-env": (Severity.ERROR, "a required environment variable is absent (KeyError, "
                    "\"must specify X\", \"Could not resolve placeholder\", \"X is not set\")"),
    "read-only-fs": (Severity.ERROR, "\"Read-only file system\": --read-only or a :ro mount"),
    "permission-denied": (Severity.ERROR, "EACCES/EPERM on files at run time (non-root user, "
                          "bind mount ownership)"),
    "config-error": (Severity.ERROR, "a server refused its configuration (nginx [emerg], "
                     "Apache AH0..., \"configuration file ... test failed\")"),
    "dns-failure": (Severity.ERROR, "name resolution failed"),
    "connection-refused": (Severity.ERROR, "a dependency refused the connection"),
    "segfault": (Severity.ERROR, "139: SIGSEGV, with the crash lines"),
    "aborted": (Severity.ERROR, "134: SIGABRT, with the crash lines"),
    "python-exception": (Severity.ERROR, "an uncaught Python exception, with the exception "
                         "line and the frame that raised it"),
    "java-exception": (Severity.ERROR, "an uncaught Java exception, with its frame and root cause"),
    "node-crash": (Severity.ERROR, "an uncaught Node.js error or rejection, or heap exhaustion"),
    "go-panic": (Severity.ERROR, "a Go panic or fatal error, with the frame"),
    "killed": (Severity.ERROR, "137: SIGKILL from elsewhere (`docker kill`, or an OOM the "
               "engine did not record)"),
    "stop-timeout": (Severity.WARNING, "137 after `docker stop`: PID 1 ignored SIGTERM "
                     "(shell-form CMD, no signal handling, no --init)"),
    "exited-immediately": (Severity.ERROR, "a service exited 0 within moments of starting "
                           "(daemonised itself); not for batch jobs"),
    "unhealthy": (Severity.ERROR, "the health check is failing, with the probes' output"),
    "restart-loop": (Severity.ERROR, "restarting, or a restart count climbing (warning below "
                     "3 restarts)"),
    "start-failed": (Severity.ERROR, "the engine could not start it (State.Error) and no "
                     "more specific id fits"),
    "dead": (Severity.ERROR, "the engine left it dead"),
    "nonzero-exit": (Severity.ERROR, "fallback: exit N, with the most error-like lines"),
    "never-started": (Severity.WARNING, "created and never started"),
    "log-driver-unreadable": (Severity.WARNING, "logs cannot be read back (driver none, "
                              "cache disabled)"),
    "terminated": (Severity.INFO, "143: stopped by SIGTERM as asked"),
    "paused": (Severity.INFO, "frozen by `docker pause`, not crashed"),
    "logs-empty": (Severity.INFO, "it printed nothing"),
}

_RANK = {fid: i for i, fid in enumerate(CATALOGUE)}

# Dropped when a more specific error finding explains the same failure.
_FALLBACKS = {"start-failed", "nonzero-exit"}
# Findings that describe how it failed rather than why: they do not make a fallback redundant.
_CONTEXT_ONLY = {"restart-loop", "unhealthy", "log-driver-unreadable", "logs-empty", "paused",
                 "never-started"}


def run_checks(s: Snapshot, checks: tuple[Check, ...] = CHECKS) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(s))
    # any cause, whatever its severity (a stop timeout is a warning, SIGTERM info),
    # explains the exit better than the fallbacks
    explained = any(f.id not in _FALLBACKS | _CONTEXT_ONLY for f in findings)
    if explained:
        findings = [f for f in findings if f.id not in _FALLBACKS]
    seen: set[str] = set()
    unique = []
    for f in findings:
        if f.id not in seen:
            seen.add(f.id)
            unique.append(f)
    unique.sort(key=lambda f: (-f.severity.rank, _RANK.get(f.id, len(_RANK))))
    return tuple(unique)
