"""Messages differ across engine and runc versions. The snapshots here were recorded on
Engine 20.10 / runc 1.1; other versions' wording (quoted in ../shared/reference/
FAILURES.md, with their sources) is put into the same recorded snapshot's State.Error or
log line, and must lead to the same finding id."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dockerdoctor import snapshot
from dockerdoctor.checks import run_checks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def verdict_with_error(fixture: str, error: str, exit_code: int) -> str:
    raw = copy.deepcopy(json.loads((FIXTURES / f"{fixture}.json").read_text()))
    raw["inspect"]["State"]["Error"] = error
    raw["inspect"]["State"]["ExitCode"] = exit_code
    raw.pop("exec_probe", None)
    return run_checks(snapshot.build(raw))[0].id


def verdict_with_log(fixture: str, line: str, exit_code: int) -> str:
    raw = copy.deepcopy(json.loads((FIXTURES / f"{fixture}.json").read_text()))
    raw["logs"]["lines"] = [["stderr", "2026-11-28T22:27:50.958561770Z", line]]
    raw["inspect"]["State"]["ExitCode"] = exit_code
    raw.pop("exec_probe", None)
    return run_checks(snapshot.build(raw))[0].id


@pytest.mark.parametrize("error, code, expected", [
    # Docker 18-19 (docker/for-linux#726)
    ('OCI runtime create failed: container_linux.go:348: starting container process caused '
     '"exec: \\"db:create\\": executable file not found in $PATH": unknown', 127,
     "command-not-found"),
    # Docker 20.10 upstream builds (FAILURES §0)
    ('OCI runtime create failed: container_linux.go:370: starting container process caused: '
     'exec: "./run.sh": permission denied: unknown', 126, "not-executable"),
    # Docker 23+ (AkimioJR/AutoFilm#28)
    ('failed to create task for container: failed to create shim task: OCI runtime create '
     'failed: runc create failed: unable to start container process: exec: "/entrypoint.sh": '
     'stat /entrypoint.sh: no such file or directory: unknown', 127, "command-not-found"),
    # flags after the image name become the command (docker/for-mac#4116)
    ('failed to create shim task: OCI runtime create failed: runc create failed: unable to '
     'start container process: exec: "-v": executable file not found in $PATH: unknown', 127,
     "command-not-found"),
    # a port held by another container, and by a host process; Docker 28's prefix
    ('driver failed programming external connectivity on endpoint web (3f2a): Bind for '
     '0.0.0.0:8080 failed: port is already allocated', 128, "port-in-use"),
    ('Error starting userland proxy: listen tcp4 0.0.0.0:80: bind: address already in use',
     128, "port-in-use"),
    ('failed to set up container networking: driver failed programming external connectivity '
     'on endpoint web (3f2a): Bind for 0.0.0.0:8080 failed: port is already allocated', 128,
     "port-in-use"),
    # bind mounts (docker/docs#10088; moby#36428)
    ('invalid mount config for type "bind": bind source path does not exist: /srv/data', 128,
     "mount-source-missing"),
    ('failed to create shim task: OCI runtime create failed: runc create failed: unable to '
     'start container process: error during container init: error mounting "/srv/app.conf" '
     'to rootfs at "/etc/app": mount /srv/app.conf:/etc/app (via /proc/self/fd/6), flags: '
     '0x5000: not a directory: unknown: Are you trying to mount a directory onto a file (or '
     'vice-versa)? Check if the specified host path exists and is the expected type', 127,
     "mount-source-missing"),
    ('mkdir /var/lib/docker/overlay2/5d1c-init: no space left on device', 128, "no-space"),
])
def test_start_errors_across_versions(error: str, code: int, expected: str) -> None:
    assert verdict_with_error("not_found", error, code) == expected


@pytest.mark.parametrize("line, code, expected", [
    # runc < 1.0 and 1.0.x (runc#2372), runc >= 1.1 (runc#3238)
    ('standard_init_linux.go:211: exec user process caused "exec format error"', 1,
     "exec-format"),
    ("standard_init_linux.go:228: exec user process caused: exec format error", 1,
     "exec-format"),
    ("exec /usr/local/bin/docker-entrypoint.sh: exec format error", 255, "exec-format"),
    ('standard_init_linux.go:190: exec user process caused "no such file or directory"', 1,
     "command-not-found"),
    ("/bin/bash^M: bad interpreter: No such file or directory", 126, "crlf-shebang"),
    ("/app/start.sh: line 2: $'\\r': command not found", 127, "crlf-shebang"),
    ("sh: ./server: not found", 127, "command-not-found"),
    ("/bin/sh: 1: frobnicate: not found", 127, "command-not-found"),
    ("bash: frobnicate: command not found", 127, "command-not-found"),
    ("./server: cannot execute: required file not found", 127, "missing-library"),
    ("Error relocating ./drv_cfg: __strdup: symbol not found", 1, "missing-library"),
    ("./app: error while loading shared libraries: libssl.so.3: cannot open shared object "
     "file: No such file or directory", 127, "missing-library"),
    ("exec /bin/entrypoint.sh: permission denied", 126, "not-executable"),
])
def test_exec_failures_across_runc_versions(line: str, code: int, expected: str) -> None:
    assert verdict_with_log("crlf", line, code) == expected
