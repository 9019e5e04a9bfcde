"""Deaths by signal, produced for real on the engine: OOM kills (of PID 1 and of a child),
a stop that runs into the timeout, `docker kill`, a clean SIGTERM stop, SIGSEGV, SIGABRT.

Each test breaks a container the way users break theirs and asserts on what
`doctor inspect` says about it through the real CLI.
"""

from __future__ import annotations

import time

from tests.conftest import BUSYBOX, PYTHON

# Allocates 1 MB at a time until the cgroup limit stops it.
HOG = "x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n"
MEM = {"mem_limit": "32m", "memswap_limit": "32m"}


def _running(lab, c, timeout=20):
    lab.wait_for(c, lambda a: a["State"]["Running"], timeout=timeout, what="running")


# -- oom-killed ------------------------------------------------------------------------


def test_oom_killed_main_process(lab):
    c = lab.run(PYTHON, ["python3", "-c", HOG], **MEM)
    assert c.attrs["State"]["OOMKilled"] is True, c.attrs["State"]
    assert c.attrs["State"]["ExitCode"] == 137
    r = lab.inspect(c)
    assert r.verdict == "oom-killed", r.text
    assert r.exit_code == 0
    f = r.finding("oom-killed")
    assert f["severity"] == "error"
    assert "exit 137" in f["title"]
    assert "child" not in f["title"].lower()
    ev = r.evidence_text("oom-killed")
    assert "State.OOMKilled: True" in ev
    assert "32 MiB" in ev  # the limit that was hit
    # the generic readings of 137 are not offered on top
    assert "killed" not in r.ids and "nonzero-exit" not in r.ids, r.ids


def _child_oom(lab, last_exit):
    # The shell is PID 1; python is its child. The kernel kills the child, the shell goes on
    # and exits on its own: OOMKilled is true although the container's exit code is not 137.
    script = (f"python3 -c '{HOG}'; echo \"worker exited with $?\"; exit {last_exit}")
    c = lab.run(PYTHON, ["sh", "-c", script], **MEM)
    st = c.attrs["State"]
    assert st["OOMKilled"] is True and st["ExitCode"] == last_exit, st
    return c


def test_oom_killed_child_then_exit_1(lab):
    c = _child_oom(lab, 1)
    r = lab.inspect(c)
    assert r.verdict == "oom-killed", r.text
    f = r.finding("oom-killed")
    assert "exit 1" in f["title"]
    assert "process inside" in f["title"].lower()
    assert "child" in f["explanation"] and "not 137" in f["explanation"]
    ev = r.evidence_text("oom-killed")
    assert "State.ExitCode: 1" in ev
    # dash reports its killed child on stderr
    assert "Killed" in ev
    assert "nonzero-exit" not in r.ids


def test_oom_killed_child_then_exit_0(lab):
    c = _child_oom(lab, 0)
    r = lab.inspect(c)
    # exit 0 would look like success: the OOM kill must still be the verdict
    assert r.verdict == "oom-killed", r.text
    f = r.finding("oom-killed")
    assert "exit 0" in f["title"] and "process inside" in f["title"].lower()
    assert "child" in f["explanation"]
    assert "exited-immediately" not in r.ids
    assert r.text.startswith("✖ ERROR")


# -- stop-timeout / killed / terminated ------------------------------------------------


def test_stop_timeout_pid1_ignores_sigterm(lab):
    # exec-form `sleep` as PID 1 has no SIGTERM handler, so the kernel drops the signal
    c = lab.run(BUSYBOX, ["sleep", "300"], wait=False)
    _running(lab, c)
    t0 = time.monotonic()
    c.stop(timeout=1)
    assert time.monotonic() - t0 >= 0.9  # it really sat out the timeout
    c.reload()
    assert c.attrs["State"]["ExitCode"] == 137
    assert c.attrs["State"]["OOMKilled"] is False
    r = lab.inspect(c)
    assert r.verdict == "stop-timeout", r.text
    f = r.finding("stop-timeout")
    assert f["severity"] == "warning"
    assert "exit 137" in f["title"]
    # the grace period that was actually used (stop -t 1), not the default 10 s
    assert "1s stop timeout" in f["title"], f["title"]
    ev = r.evidence_text("stop-timeout")
    assert "events:" in ev
    assert "kill signal=15" in ev and "kill signal=9" in ev and "stop" in ev
    assert ev.index("kill signal=15") < ev.index("kill signal=9")
    assert "HostConfig.Init: False" in ev
    # neither a `docker kill`, nor an OOM, nor a generic error exit
    assert not {"killed", "oom-killed", "nonzero-exit"} & set(r.ids), r.ids


def test_stop_timeout_shell_form_names_the_shell(lab):
    # shell form: sh is PID 1 and waits for its child; SIGTERM goes nowhere
    c = lab.run(BUSYBOX, ["/bin/sh", "-c", "echo serving; sleep 300; echo done"], wait=False)
    _running(lab, c)
    c.stop(timeout=1)
    c.reload()
    assert c.attrs["State"]["ExitCode"] == 137
    r = lab.inspect(c)
    assert r.verdict == "stop-timeout", r.text
    assert "shell form" in r.finding("stop-timeout")["explanation"]


def test_killed_by_docker_kill(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo up; exec sleep 300"], wait=False)
    _running(lab, c)
    c.kill()
    lab.wait_exited(c, 20)
    assert c.attrs["State"]["ExitCode"] == 137
    r = lab.inspect(c)
    assert r.verdict == "killed", r.text
    f = r.finding("killed")
    assert f["severity"] == "error"
    assert "docker kill" in f["title"]
    ev = r.evidence_text("killed")
    assert "kill signal=9" in ev and "kill signal=15" not in ev
    assert "die exitCode=137" in ev
    assert not {"stop-timeout", "oom-killed", "nonzero-exit"} & set(r.ids), r.ids


def test_terminated_by_stop_with_init(lab):
    # --init: tini is PID 1 and forwards SIGTERM to sleep, which dies of it -> 143
    c = lab.run(BUSYBOX, ["sleep", "300"], wait=False, init=True)
    _running(lab, c)
    t0 = time.monotonic()
    c.stop(timeout=10)
    assert time.monotonic() - t0 < 5  # stopped on SIGTERM, no timeout
    c.reload()
    assert c.attrs["State"]["ExitCode"] == 143
    r = lab.inspect(c)
    assert r.verdict == "terminated", r.text
    f = r.finding("terminated")
    assert f["severity"] == "info"
    assert "docker stop" in f["title"]
    ev = r.evidence_text("terminated")
    assert "kill signal=15" in ev and "kill signal=9" not in ev
    # a normal stop is not an error
    assert "error" not in r.severities(), r.ids
    assert r.exit_code == 0
    assert r.text.startswith("ℹ INFO"), r.text.splitlines()[0]


def test_terminated_by_trap(lab):
    # a shell entrypoint that handles TERM, cleans up and exits 128+15 itself
    script = ("trap 'echo caught SIGTERM, shutting down; exit 143' TERM; echo ready; "
              "while :; do sleep 0.1; done")
    c = lab.run(BUSYBOX, ["sh", "-c", script], wait=False)
    lab.wait_for(c, lambda a: b"ready" in c.logs(), what="ready")  # the trap is set by then
    c.stop(timeout=10)
    c.reload()
    assert c.attrs["State"]["ExitCode"] == 143
    r = lab.inspect(c)
    assert r.verdict == "terminated", r.text
    assert "error" not in r.severities()
    assert "caught SIGTERM" in r.text


# -- segfault / aborted ----------------------------------------------------------------


SEGV = "import ctypes; ctypes.string_at(0)"


def test_segfault_pid1(lab):
    c = lab.run(PYTHON, ["python3", "-c", SEGV])
    assert c.attrs["State"]["ExitCode"] == 139
    r = lab.inspect(c)
    assert r.verdict == "segfault", r.text
    f = r.finding("segfault")
    assert f["severity"] == "error"
    assert "SIGSEGV" in f["title"] and "139" in f["title"]
    assert "State.ExitCode: 139" in r.evidence_text("segfault")
    assert "nonzero-exit" not in r.ids


def test_segfault_child_of_a_shell(lab):
    c = lab.run(PYTHON, ["sh", "-c", f"echo loading native module; python3 -c '{SEGV}'; "
                                     "exit $?"])
    assert c.attrs["State"]["ExitCode"] == 139
    r = lab.inspect(c)
    assert r.verdict == "segfault", r.text
    ev = r.evidence_text("segfault")
    assert "Segmentation fault" in ev  # the shell's report of its child, with its stream
    assert "logs stderr" in ev


def test_aborted_child(lab):
    # abort() in PID 1 itself ends as SIGSEGV (PID 1 ignores the raised SIGABRT and glibc
    # falls back to a faulting instruction), so the abort happens in a child, as in real
    # apps whose worker process aborts.
    c = lab.run(PYTHON, ["sh", "-c", "echo 'assertion failed: queue not empty' >&2; "
                                     "python3 -c 'import os; os.abort()'; exit $?"])
    assert c.attrs["State"]["ExitCode"] == 134
    r = lab.inspect(c)
    assert r.verdict == "aborted", r.text
    f = r.finding("aborted")
    assert "SIGABRT" in f["title"] and "134" in f["title"]
    ev = r.evidence_text("aborted")
    assert "Aborted" in ev
    assert "assertion failed" in ev
    assert "nonzero-exit" not in r.ids and "segfault" not in r.ids
