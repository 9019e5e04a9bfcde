"""The container's life: never started, start failed, paused, dead, restarting,
unhealthy, exited too soon, unreadable or empty logs, and the non-zero-exit fallback."""

from __future__ import annotations

import re

from dockerdoctor.checks.base import (
    config,
    error_like_lines,
    finding,
    line_evidence,
    signal_name,
    state,
)
from dockerdoctor.model import Evidence, Finding, Severity, Snapshot
from dockerdoctor.times import format_duration

IMMEDIATE_SECONDS = 10

_DAEMONISING = re.compile(
    r"\b(nginx|httpd|apache2ctl|apachectl|apache2|php-fpm\S*|mysqld_safe|redis-server|"
    r"supervisord|sshd|crond|memcached|postgres|pg_ctl|pm2|service)\b"
)


def check_lifecycle(s: Snapshot) -> list[Finding]:
    c = s.container
    out: list[Finding] = []
    if c.paused or c.status == "paused":
        out.append(finding(
            "paused", Severity.INFO, "Paused by `docker pause`, not crashed",
            "Its processes are frozen by the cgroup freezer: they exist but get no CPU time "
            "and answer nothing. This is not a crash.",
            "`docker unpause <id>` resumes it exactly where it was.",
            (state("Status", c.status), state("Paused", True)),
        ))
    if c.dead or c.status == "dead":
        removal = "failed to remove" in c.error
        out.append(finding(
            "dead", Severity.ERROR,
            "The engine left the container dead"
            + (": removing its file system failed" if removal else ""),
            "A container is dead when the engine failed to remove or clean it up, usually "
            "because its file system was still mounted or busy (\"device or resource "
            "busy\")"
            + (", or a file in it could not be deleted (\"operation not permitted\": an "
               "immutable attribute, a security module)" if "not permitted" in c.error else "")
            + ". The engine marks it dead so it is never started again; it can only be "
              "removed.",
            "Retry `docker rm -f <id>`; find what holds its mounts (`grep <id> "
            "/proc/*/mountinfo`); restarting the engine releases stale mounts.",
            (state("Status", c.status), *((state("Error", c.error),) if c.error else ())),
        ))
    if c.status == "created":
        if c.error:
            out.append(finding(
                "start-failed", Severity.ERROR, "The engine could not start the container",
                "The container was created, but starting it failed, so its process never "
                "ran and it has no logs. The engine's message says why.",
                "Fix what the message names, then `docker start` it again or re-create it.",
                (state("Status", "created"), state("Error", c.error),
                 *((state("ExitCode", c.exit_code),) if c.exit_code else ())),
            ))
        elif c.started_at is None:
            out.append(finding(
                "never-started", Severity.WARNING, "Created but never started",
                "The container exists but was never started (`docker create`, or a "
                "`docker run`/compose up that was interrupted before the start).",
                "`docker start -a <id>` starts it and shows its output.",
                (state("Status", "created"), state("StartedAt", "never")),
            ))
    restarting = c.restarting or c.status == "restarting"
    if restarting or c.restart_count > 0:
        dies = sum(1 for e in s.events or () if e.action == "die")
        severe = restarting or c.restart_count >= 3
        ev = [state("Status", c.status), config("RestartCount", c.restart_count),
              config("HostConfig.RestartPolicy",
                     c.restart_policy + (f":{c.restart_max}" if c.restart_max else ""))]
        if dies:
            ev.append(Evidence("events", f"{dies} die events recorded"))
        last = f" (last exit {c.exit_code})" if c.exit_code or not c.running else ""
        out.append(finding(
            "restart-loop", Severity.ERROR if severe else Severity.WARNING,
            f"Restarting again and again: {c.restart_count} restarts{last}",
            "The restart policy brings the container back every time it dies, and it keeps "
            "dying the same way; the engine waits longer between attempts (up to a minute). "
            "Restarting does not fix the cause: the last exit does.",
            "Fix the cause of the last exit (the other findings); to inspect it without the "
            "loop, `docker update --restart=no <id>`.",
            ev,
        ))
    if c.health and c.health.status == "unhealthy":
        probes = c.health.probes[-3:]
        ev = [config("State.Health.Status", "unhealthy"),
              config("State.Health.FailingStreak", c.health.failing_streak)]
        if c.healthcheck:
            ev.append(config("Config.Healthcheck.Test", " ".join(c.healthcheck)))
        for p in probes:
            out_text = p.output.strip().replace("\n", " ⏎ ")[:400]
            ev.append(Evidence(f"health probe exit {p.exit_code}", out_text or "(no output)"))
        out.append(finding(
            "unhealthy", Severity.ERROR,
            f"Health check failing ({c.health.failing_streak} in a row)",
            "The health check command keeps failing. The engine does not restart unhealthy "
            "containers by itself: it keeps running but orchestrators and load balancers "
            "treat it as down. The probe output tells whether the app is broken or the "
            "probe is (a missing curl, a wrong port, a timeout too short).",
            "Run the probe by hand (`docker exec <id> <test command>`); install what it "
            "needs in the image; give slow starters a start period (--health-start-period).",
            ev,
        ))
    runtime = s.container.runtime_seconds
    if (c.status == "exited" and c.exit_code == 0 and not c.oom_killed
            and runtime is not None and runtime < IMMEDIATE_SECONDS):
        reasons = _service_reasons(s)
        if reasons:
            out.append(finding(
                "exited-immediately", Severity.ERROR,
                f"A service exited cleanly {format_duration(runtime)} after "
                "starting",
                "It exited with 0 within moments, yet it is set up as a long-running "
                "service (" + "; ".join(reasons) + "). A container lives as long as its "
                "main process: a server that daemonises (forks into the background, like "
                "nginx or apache by default, `service x start`, `pm2 start`) leaves PID 1 "
                "nothing to do, so the container ends.",
                "Run the server in the foreground: `nginx -g 'daemon off;'`, "
                "`apache2ctl -D FOREGROUND`, `pm2-runtime`, `redis-server --daemonize no`; "
                "do not use `service ... start` as the command.",
                (state("ExitCode", 0), config("runtime", format_duration(runtime)),
                 config("Config.Entrypoint+Cmd", " ".join(c.argv)),
                 *line_evidence(s.logs.lines[-3:])),
            ))
    out.extend(_logs_state(s))
    return out


def _service_reasons(s: Snapshot) -> list[str]:
    c = s.container
    reasons = []
    if c.restart_policy in ("always", "unless-stopped"):
        reasons.append(f"restart policy {c.restart_policy}")
    ports = c.port_bindings or c.exposed_ports
    if ports:
        reasons.append("it publishes or exposes " + ", ".join(ports[:3]))
    if c.healthcheck and c.healthcheck[0] != "NONE":
        reasons.append("it has a health check")
    argv = " ".join(c.argv)
    m = _DAEMONISING.search(argv)
    if m:
        reasons.append(f"its command runs {m.group(1)}")
    return reasons


def _logs_state(s: Snapshot) -> list[Finding]:
    c = s.container
    logs = s.logs
    if logs.driver_refused:
        return [finding(
            "log-driver-unreadable", Severity.WARNING,
            f"Logs cannot be read back (log driver {c.log_driver or 'unknown'})",
            "The container's output went to a log driver the engine cannot read back "
            "(`none`, or a remote driver with the local cache disabled), so `docker logs` "
            "and this report have no output to look at.",
            "Read the logs where the driver sends them (syslog, journald, fluentd...); "
            "keep the dual-logging cache on (cache-disabled=false), or use json-file or "
            "local for containers you need to debug.",
            (config("HostConfig.LogConfig.Type", c.log_driver or "unknown"),
             Evidence("engine", logs.error or "")),
        )]
    if logs.readable and not logs.lines and c.started_at is not None and not c.dead:
        return [finding(
            "logs-empty", Severity.INFO, "It printed nothing",
            "The container wrote nothing to stdout or stderr"
            + (" in the requested time window" if logs.tail is None else "")
            + ". Apps that log to files, or that died before writing, look like this.",
            "Look for log files inside the container (dockerdoctor's deep forensics reads "
            "them), and configure the app to log to stdout/stderr.",
            (Evidence("logs", "no lines"),),
        )]
    return []


def check_nonzero_exit(s: Snapshot) -> list[Finding]:
    """Fallback: the container exited non-zero and nothing more specific explains it."""
    c = s.container
    if c.status not in ("exited", "restarting") and not c.restarting:
        return []
    if c.exit_code == 0:
        return []
    sig = signal_name(c.exit_code)
    what = f"exit {c.exit_code}" + (f", {sig}" if sig else "")
    lines = error_like_lines(s)
    if sig:
        why = (f"The main process was killed by {sig} ({c.exit_code} = 128 + "
               f"{c.exit_code - 128}).")
    elif c.exit_code == 255:
        why = ("Exit 255 is what runc 1.2+ reports when the program could not be executed, "
               "and what many programs use for \"fatal error\". The lines below are the "
               "most error-like ones it printed.")
    else:
        why = (f"The main process ended with exit code {c.exit_code}: the app itself decided "
               "to stop with an error. The lines below are the most error-like ones it "
               "printed.")
    return [finding(
        "nonzero-exit", Severity.ERROR, f"Exited with an error ({what})",
        why,
        "Read the lines shown; run it interactively to reproduce (`docker run -it "
        "--entrypoint sh IMAGE`), or let dockerdoctor's deep forensics look inside.",
        (state("ExitCode", c.exit_code), *line_evidence(lines)),
    )]
