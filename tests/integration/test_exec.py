"""Exec failures, produced for real: the container's program is missing, not executable,
has CRLF line endings, is for another architecture, or cannot find its loader or
libraries. Plus: `doctor inspect` leaves the container it examines exactly as it was, also
when the exec probe reads the program's bytes through the archive API."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

from dockerdoctor.probe import parse_elf
from tests.conftest import BUSYBOX, PYTHON

GLIBC_LOADER = "/lib64/ld-linux-x86-64.so.2"


def _assert_oci_start_failure(c, code):
    st = c.attrs["State"]
    assert st["Status"] == "created" and st["ExitCode"] == code and st["Error"], st
    assert st["StartedAt"].startswith("0001-01-01")


def _not_claimed_twice(r):
    # a specific exec finding retires the generic start-failure / exit fallbacks
    assert not {"start-failed", "nonzero-exit", "never-started"} & set(r.ids), r.ids


# -- command-not-found -----------------------------------------------------------------


def test_absolute_command_missing(lab):
    c = lab.run(BUSYBOX, ["/nonexistent"])
    _assert_oci_start_failure(c, 127)
    assert "stat /nonexistent: no such file or directory" in c.attrs["State"]["Error"]
    r = lab.inspect(c)
    assert r.verdict == "command-not-found", r.text
    f = r.finding("command-not-found")
    assert "/nonexistent" in f["title"]
    ev = r.evidence_text("command-not-found")
    assert "State.Error:" in ev and "stat /nonexistent" in ev
    assert "file /nonexistent: does not exist in the container" in ev  # the probe agrees
    assert "State.ExitCode: 127" in ev
    _not_claimed_twice(r)


def test_bare_name_not_on_path(lab):
    c = lab.run(BUSYBOX, ["frobnicate", "--serve"])
    _assert_oci_start_failure(c, 127)
    r = lab.inspect(c)
    assert r.verdict == "command-not-found", r.text
    assert r.finding("command-not-found")["title"] == "Command not found: frobnicate"
    ev = r.evidence_text("command-not-found")
    assert 'exec: "frobnicate": executable file not found in $PATH' in ev
    assert "not found on the container's PATH" in ev
    _not_claimed_twice(r)


def test_option_after_image_becomes_the_command(lab):
    # `docker run IMAGE --verbose` with an image that has no ENTRYPOINT
    c = lab.run(BUSYBOX, ["--verbose"])
    _assert_oci_start_failure(c, 127)
    r = lab.inspect(c)
    assert r.verdict == "command-not-found", r.text
    assert "looks like an option" in r.finding("command-not-found")["explanation"]


def test_shell_not_found(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo migrating; frobnicate --all"])
    st = c.attrs["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 127 and not st["Error"], st
    r = lab.inspect(c)
    assert r.verdict == "command-not-found", r.text
    f = r.finding("command-not-found")
    assert f["title"] == "Command not found: frobnicate"
    ev = r.evidence_text("command-not-found")
    assert "sh: frobnicate: not found" in ev and "logs stderr" in ev
    assert "file /bin/" not in ev  # the shell itself was fine: no probe noise about it
    _not_claimed_twice(r)


# -- not-executable --------------------------------------------------------------------


def test_script_without_exec_bit(lab):
    image = lab.build(
        f"FROM {BUSYBOX}\nCOPY entrypoint.sh /app/entrypoint.sh\n"
        'ENTRYPOINT ["/app/entrypoint.sh"]\n',
        files={"entrypoint.sh": ("#!/bin/sh\necho starting\nexec sleep 1\n", 0o644)},
    )
    c = lab.run(image)
    _assert_oci_start_failure(c, 126)
    assert 'exec: "/app/entrypoint.sh": permission denied' in c.attrs["State"]["Error"]
    r = lab.inspect(c)
    assert r.verdict == "not-executable", r.text
    f = r.finding("not-executable")
    assert "/app/entrypoint.sh" in f["title"]
    assert "mode 0644" in f["explanation"]
    ev = r.evidence_text("not-executable")
    assert "file /app/entrypoint.sh: mode 0644 (not executable)" in ev
    assert "State.ExitCode: 126" in ev
    _not_claimed_twice(r)


def test_directory_as_command(lab):
    c = lab.run(BUSYBOX, ["/etc"])
    _assert_oci_start_failure(c, 126)
    r = lab.inspect(c)
    assert r.verdict == "not-executable", r.text
    assert "/etc is a directory" in r.finding("not-executable")["explanation"]
    assert "file /etc: is a directory" in r.evidence_text("not-executable")
    _not_claimed_twice(r)


# -- crlf-shebang ----------------------------------------------------------------------


def _crlf_image(lab):
    script = "#!/bin/sh\r\necho starting\r\nexec sleep 1\r\n"
    return lab.build(
        f"FROM {BUSYBOX}\nCOPY entrypoint.sh /app/entrypoint.sh\n"
        'ENTRYPOINT ["/app/entrypoint.sh"]\n',
        files={"entrypoint.sh": (script, 0o755)},
    )


def test_crlf_shebang(lab):
    c = lab.run(_crlf_image(lab))
    st = c.attrs["State"]
    # runc 1.1 (engine 20.10): the exec fails after start, exit 1, the error in the logs
    assert st["Status"] == "exited" and st["ExitCode"] in (1, 255), st
    r = lab.inspect(c)
    assert r.verdict == "crlf-shebang", r.text
    f = r.finding("crlf-shebang")
    assert "/app/entrypoint.sh" in f["title"] and "CRLF" in f["title"]
    ev = r.evidence_text("crlf-shebang")
    # from the exec probe, which read the script through the archive API
    assert "file /app/entrypoint.sh:" in ev
    assert "first line '#!/bin/sh' ends in CR" in ev
    assert "mode 0755" in ev
    # and runc's own words from the logs
    assert "exec /app/entrypoint.sh: no such file or directory" in ev
    assert "command-not-found" not in r.ids and "missing-library" not in r.ids
    _not_claimed_twice(r)


# -- exec-format -----------------------------------------------------------------------


def test_script_without_shebang(lab):
    image = lab.build(
        f"FROM {BUSYBOX}\nCOPY run.sh /app/run.sh\nENTRYPOINT [\"/app/run.sh\"]\n",
        files={"run.sh": ("echo starting\nexec sleep 1\n", 0o755)},
    )
    c = lab.run(image)
    assert c.attrs["State"]["Status"] == "exited" and c.attrs["State"]["ExitCode"] in (1, 255)
    r = lab.inspect(c)
    assert r.verdict == "exec-format", r.text
    f = r.finding("exec-format")
    assert f["title"] == "/app/run.sh is a script without a #! line"
    ev = r.evidence_text("exec-format")
    assert "exec /app/run.sh: exec format error" in ev
    assert "first line 'echo starting'" in ev
    _not_claimed_twice(r)


def aarch64_exit3() -> bytes:
    """A complete static aarch64 Linux program (`exit(3)`): ELF header, one PT_LOAD, code.
    It runs on an arm64 machine; on x86_64 the kernel refuses it."""
    code = struct.pack("<3I", 0xD2800060, 0xD2800BA8, 0xD4000001)  # mov x0,#3; mov x8,#93; svc
    base, ehsize, phsize = 0x400000, 64, 56
    entry = base + ehsize + phsize
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, entry, ehsize, 0, 0, ehsize,
                                 phsize, 1, 0, 0, 0)
    size = ehsize + phsize + len(code)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000)
    return header + phdr + code


def test_foreign_architecture_binary(lab, docker_client):
    assert docker_client.info()["Architecture"] == "x86_64"  # the binary below is foreign
    image = lab.build(
        f"FROM {BUSYBOX}\nCOPY server /usr/local/bin/server\nCMD [\"server\"]\n",
        files={"server": (aarch64_exit3(), 0o755)},
    )
    c = lab.run(image)
    assert c.attrs["State"]["Status"] == "exited" and c.attrs["State"]["ExitCode"] in (1, 255)
    r = lab.inspect(c)
    assert r.verdict == "exec-format", r.text
    f = r.finding("exec-format")
    assert "aarch64" in f["title"] and "x86_64" in f["title"]
    ev = r.evidence_text("exec-format")
    assert "exec /usr/local/bin/server: exec format error" in ev
    assert "ELF binary for aarch64" in ev
    assert "engine architecture: x86_64" in ev
    _not_claimed_twice(r)


# -- missing-library -------------------------------------------------------------------


def _host_binary(path: str) -> bytes:
    data = Path(path).read_bytes()
    machine, interp = parse_elf(data[:16384])
    assert (machine, interp) == ("x86_64", GLIBC_LOADER), f"{path} is not a glibc x86_64 binary"
    return data


def test_glibc_binary_in_busybox_image(lab):
    image = lab.build(
        f"FROM {BUSYBOX}\nCOPY ls /app/lister\nENTRYPOINT [\"/app/lister\"]\n",
        files={"ls": (_host_binary("/bin/ls"), 0o755)},
    )
    c = lab.run(image)
    st = c.attrs["State"]
    assert st["Status"] == "exited" and st["ExitCode"] in (1, 255), st
    r = lab.inspect(c)
    assert r.verdict == "missing-library", r.text
    f = r.finding("missing-library")
    assert GLIBC_LOADER in f["title"]
    ev = r.evidence_text("missing-library")
    assert "exec /app/lister: no such file or directory" in ev
    assert f"needs loader {GLIBC_LOADER} (missing)" in ev
    # the file is there: "no such file" is not a missing command
    assert "command-not-found" not in r.ids
    _not_claimed_twice(r)


def test_shared_library_missing(lab):
    image = lab.build(
        f"FROM {PYTHON}\nCOPY curl /usr/local/bin/curl\n"
        'CMD ["curl", "-fsS", "http://127.0.0.1/"]\n',
        files={"curl": (_host_binary("/usr/bin/curl"), 0o755)},
    )
    c = lab.run(image)
    st = c.attrs["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 127, st  # the loader's code
    r = lab.inspect(c)
    assert r.verdict == "missing-library", r.text
    f = r.finding("missing-library")
    assert "libcurl.so.4" in f["title"]
    ev = r.evidence_text("missing-library")
    assert "error while loading shared libraries: libcurl.so.4" in ev
    assert f"needs loader {GLIBC_LOADER} (present)" in ev
    assert "command-not-found" not in r.ids  # 127 from the loader, not a missing command
    _not_claimed_twice(r)


# -- the inspected container is evidence: doctor changes nothing -----------------------


def _state(c):
    c.reload()
    st = c.attrs["State"]
    keep = ("Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid",
            "ExitCode", "Error", "StartedAt", "FinishedAt")
    return {k: st[k] for k in keep}, c.attrs["RestartCount"]


def _diff(c):
    return sorted((d["Path"], d["Kind"]) for d in (c.diff() or []))


def _actions(client, c, since, until):
    """The engine's events for the container between two times (seconds resolution in
    the query, so filtered again on the nanosecond times)."""
    events = client.events(since=int(since.timestamp()), until=int(until.timestamp()) + 1,
                           decode=True, filters={"container": c.id, "type": "container"})
    lo, hi = since.timestamp() * 1e9, until.timestamp() * 1e9
    return [e.get("Action") or e.get("status") for e in events if lo <= e["timeNano"] <= hi]


def _unchanged_by_doctor(lab, c):
    before, before_diff = _state(c), _diff(c)
    since = datetime.now(UTC)
    r = lab.inspect(c)
    until = datetime.now(UTC)
    assert _state(c) == before
    assert _diff(c) == before_diff
    # reading files through the archive API, and committing a debug copy of it (deep
    # forensics; a commit reads the container and never pauses a stopped one), are the
    # only things doctor may do to it
    actions = _actions(lab.client, c, since, until)
    assert set(actions) <= {"archive-path", "commit"}, actions
    assert "pause" not in actions and "unpause" not in actions
    return r, before_diff, actions


def _probe_evidence(r):
    return [e["text"] for f in r.json["findings"] for e in f["evidence"]
            if e["source"].startswith("file ")]


def test_doctor_does_not_modify_a_container_it_probed(lab):
    c = lab.run(_crlf_image(lab))
    r, _, actions = _unchanged_by_doctor(lab, c)
    assert r.verdict == "crlf-shebang"
    assert _probe_evidence(r), r.text  # the probe read the script...
    assert "archive-path" in actions  # ...through the archive API


def test_doctor_does_not_modify_a_never_started_container_it_probed(lab):
    c = lab.run(BUSYBOX, ["/nonexistent"])
    r, _, _ = _unchanged_by_doctor(lab, c)
    assert r.verdict == "command-not-found"
    assert _probe_evidence(r) == ["does not exist in the container"], r.text


def test_doctor_does_not_modify_an_exited_container_with_changes(lab):
    # exit 1 at once and silently: the probe looks at the program (dash, via /bin/sh)
    c = lab.run(PYTHON, ["sh", "-c", "echo cache > /var/tmp/cache; rm /etc/issue; exit 1"])
    r, changes, actions = _unchanged_by_doctor(lab, c)
    assert ("/var/tmp/cache", 1) in changes and ("/etc/issue", 2) in changes, changes
    assert "archive-path" in actions, actions  # the probe did read it
    assert r.verdict == "nonzero-exit"


def test_doctor_does_not_modify_a_running_container(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo state > /tmp/state; echo ready; exec sleep 300"],
                wait=False)
    lab.wait_for(c, lambda a: b"ready" in c.logs(), what="ready")
    r, changes, actions = _unchanged_by_doctor(lab, c)
    assert ("/tmp/state", 1) in changes, changes
    assert actions == []  # nothing to probe in a healthy running container
    assert r.json["container"]["status"] == "running"
