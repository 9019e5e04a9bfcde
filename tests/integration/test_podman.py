"""Podman: `doctor inspect` and `doctor ps` against Podman's Docker-compatible socket.

A `podman system service` of its own (unix:///run/dockerdoctor-podman/podman.sock) is
started once for this module, with storage, run state, events, networks and
configuration under a temporary directory (CONTAINERS_CONF / CONTAINERS_STORAGE_CONF,
--root / --runroot): nothing of the machine's own Podman configuration is read or
changed. The busybox image is copied into it from Docker (`docker save | podman load`);
nothing is pulled. Teardown kills the service, removes every container and image with
`podman rm -fa` / `podman rmi -af` and deletes the directory; a run killed half-way is
cleared at the next start (its service, its containers, its directory).

Containers are made with podman's CLI, with explicit `--ulimit nofile/nproc` (on this
machine podman's default limits cannot be applied and the start fails) and no network.
The same limits are podman's defaults in the test configuration, so the debug container
deep forensics creates through the API starts too.

Under CI=true a podman that cannot be installed or started fails the tests; elsewhere
they are skipped with the reason (scripts/ensure-podman installs it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from dockerdoctor import engine as engine_mod
from dockerdoctor.engine import EngineClient, LogOptions
from dockerdoctor.errors import EngineError, NotFound
from tests.conftest import BUSYBOX, IN_CI, LABEL, RUN_ID, doctor

RUN_DIR = Path("/run/dockerdoctor-podman")
SOCKET = RUN_DIR / "podman.sock"
HOST = f"unix://{SOCKET}"
STATE = RUN_DIR / "state.json"  # {"pid": service pid, "dir": temp dir}: for the next run
DOCKER_HOST = "unix:///var/run/docker.sock"
# Directories root's podman makes whatever its configuration says: netavark's run state
# (/run/containers/networks), runc's (/run/runc) and containers/image's blob cache
# (/var/lib/containers/cache/blob-info-cache-v1.boltdb, written by load and commit).
# Removed at teardown if this module made them (that cache file, then empty directories
# only); MADE lists them for the next run, should this one be killed.
MACHINE_DIRS = (Path("/run/containers"), Path("/run/runc"), Path("/var/lib/containers"))
PODMAN_FILES = {"blob-info-cache-v1.boltdb"}
MADE = RUN_DIR / "made.json"
MINE = f"label={LABEL}={RUN_ID}"
ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
IMAGE = f"localhost/{BUSYBOX}" if BUSYBOX.count("/") < 2 else BUSYBOX  # as podman names it


def _cannot(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and podman could not be used: {reason}", pytrace=False)
    pytest.skip(f"podman not usable: {reason} (scripts/ensure-podman installs it)")


def _ping(timeout: float = 2.0) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(SOCKET))
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0]
    except OSError:
        return False


def _configure(root: Path) -> dict[str, str]:
    """containers.conf and storage.conf under `root`; the environment podman runs with."""
    for sub in ("storage", "run", "tmp", "networks", "events", "imgtmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "containers.conf").write_text(f"""\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{root}/events/events.log"
runtime = "runc"
tmp_dir = "{root}/tmp"
static_dir = "{root}/storage/libpod"
volume_path = "{root}/storage/volumes"
image_copy_tmp_dir = "{root}/imgtmp"

[network]
network_backend = "netavark"
network_config_dir = "{root}/networks"
""")
    (root / "storage.conf").write_text(f"""\
[storage]
driver = "vfs"
graphroot = "{root}/storage"
runroot = "{root}/run"
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "CONTAINER"))}
    env.update(CONTAINERS_CONF=str(root / "containers.conf"),
               CONTAINERS_STORAGE_CONF=str(root / "storage.conf"),
               TMPDIR=str(root / "imgtmp"))
    return env


def _argv(root: Path, *args: str) -> list[str]:
    return ["podman", "--root", str(root / "storage"), "--runroot", str(root / "run"), *args]


def _is_our_service(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"podman" in os.path.basename(cmdline[0]) and str(SOCKET).encode() in \
        b" ".join(cmdline)


def _unmount_under(root: Path) -> None:
    """Mounts a killed run left under `root` (a container's shm), deepest first."""
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point == str(root) or point.startswith(f"{root}/"):
                mounts.append(point)
    for point in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=30)


class Podman:
    """One `podman system service` with everything of its own under `root`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dockerdoctor-podman-"))
        self.env = _configure(self.root)
        self.proc: subprocess.Popen[bytes] | None = None

    # -- podman's CLI, on this storage ---------------------------------------------

    def cli(self, *args: str, check: bool = True, timeout: int = 120,
            input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        p = subprocess.run(_argv(self.root, *args), env=self.env, capture_output=True,
                           timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)}: exit {p.returncode}: "
                                 f"{p.stderr.decode(errors='replace')[-2000:]}")
        return p

    def _make(self, verb: str, name: str, args: tuple[str, ...], command: tuple[str, ...],
              ) -> str:
        p = self.cli(verb, "--name", f"{name}-{RUN_ID}", "--label", f"{LABEL}={RUN_ID}",
                     "--network", "none", "--pull", "never", *ULIMITS, *args, IMAGE,
                     *command, check=False)
        return self.container_id(f"{name}-{RUN_ID}", p)

    def run(self, name: str, *command: str, args: tuple[str, ...] = ()) -> str:
        """`podman run` (attached: it returns when the container exited, or failed to
        start); the container's id."""
        return self._make("run", name, args, command)

    def create(self, name: str, *command: str, args: tuple[str, ...] = ()) -> str:
        return self._make("create", name, args, command)

    def container_id(self, name: str, made: Any = None) -> str:
        p = self.cli("container", "inspect", "--format", "{{.Id}}", name, check=False)
        if p.returncode != 0:
            why = made.stderr.decode(errors="replace") if made is not None else ""
            raise AssertionError(f"podman did not make {name}: {why}")
        return p.stdout.decode().strip()

    def state(self, ref: str) -> dict[str, Any]:
        out = self.cli("container", "inspect", ref).stdout
        return dict(json.loads(out)[0]["State"])

    def ids(self, *args: str) -> list[str]:
        return self.cli(*args).stdout.decode().split()

    # -- the service -----------------------------------------------------------------

    def start(self) -> None:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        made = set(_made()) | {str(d) for d in MACHINE_DIRS if not d.exists()}
        MADE.write_text(json.dumps(sorted(made)))
        with contextlib.suppress(FileNotFoundError):
            SOCKET.unlink()
        log = open(self.root / "service.log", "wb")  # noqa: SIM115 - the service's
        self.proc = subprocess.Popen(
            _argv(self.root, "system", "service", "--time=0", HOST), env=self.env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        STATE.write_text(json.dumps({"pid": self.proc.pid, "dir": str(self.root)}))
        deadline = time.monotonic() + 30
        while not _ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.root / "service.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"`podman system service` did not answer on {SOCKET}: "
                                   f"{tail}")
            time.sleep(0.1)

    def load_busybox(self) -> None:
        save = subprocess.run(["docker", "save", BUSYBOX], capture_output=True, timeout=120)
        if save.returncode != 0:
            raise RuntimeError(f"docker save {BUSYBOX}: {save.stderr.decode()[-500:]}")
        self.cli("load", input=save.stdout)

    def stop(self) -> list[str]:
        """Kill the service, remove everything it holds; what could not be removed."""
        left = _clear(self.root, self.proc.pid if self.proc else None, self.env)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        return left + _remove_made()


def _clear(root: Path, pid: int | None, env: dict[str, str] | None) -> list[str]:
    """Stop a service of ours, remove its containers and images, its mounts and `root`."""
    if pid and _is_our_service(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not _is_our_service(pid):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    left = []
    if root.is_dir():
        env = env or _configure(root)
        for args in (("rm", "-fa", "-t", "0"), ("rmi", "-af")):
            p = subprocess.run(_argv(root, *args), env=env, capture_output=True, timeout=120)
            if p.returncode != 0:
                left.append(f"podman {' '.join(args)}: {p.stderr.decode(errors='replace')}")
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)
        if root.exists():
            left.append(f"{root} could not be removed")
    with contextlib.suppress(FileNotFoundError):
        SOCKET.unlink()
    return left


def _made() -> list[str]:
    try:
        return [str(p) for p in json.loads(MADE.read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _remove_made() -> list[str]:
    """Remove the machine directories podman made (empty ones only), and our RUN_DIR."""
    left = []
    for top in _made():
        for dirpath, _, files in sorted(os.walk(top, topdown=False),
                                        key=lambda w: -len(w[0])):
            for name in set(files) & PODMAN_FILES:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)
        if os.path.exists(top):
            left.append(f"{top} is not empty")
    for path in (MADE, STATE, SOCKET):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    with contextlib.suppress(OSError):
        RUN_DIR.rmdir()
    return left


def _clear_leftovers() -> None:
    """What a run killed half-way left: its service, containers, images and directory."""
    try:
        state = json.loads(STATE.read_text())
    except (OSError, ValueError):
        state = None
    if state:
        _clear(Path(state["dir"]), int(state.get("pid") or 0), None)
    # a service on our socket whose state file is gone: by pid, never by name
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_our_service(int(entry.name)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


@pytest.fixture(scope="module")
def podman(docker_client: Any) -> Any:
    if shutil.which("podman") is None:
        _cannot("podman is not installed")
    if os.geteuid() != 0:
        _cannot("the tests run podman as root")
    _clear_leftovers()
    pm = Podman()
    try:
        pm.start()
        pm.load_busybox()
    except (RuntimeError, AssertionError, OSError, subprocess.SubprocessError) as e:
        left = pm.stop()
        _cannot(f"{e}" + (f" (left behind: {left})" if left else ""))
    yield pm
    left = pm.stop()
    assert not left, f"podman left this behind: {left}"


# -- helpers -------------------------------------------------------------------------


def inspect_json(cid: str, *args: str) -> tuple[int, dict[str, Any], str]:
    p = doctor("--host", HOST, "inspect", cid, "--format", "json", *args)
    assert p.stdout.strip(), f"doctor printed nothing: {p.stderr}"
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except json.JSONDecodeError as e:
        raise AssertionError(f"not JSON: {p.stdout[:500]}") from e


def finding_ids(report: dict[str, Any]) -> list[str]:
    return [f["id"] for f in report.get("findings") or []]


def verdict(report: dict[str, Any]) -> str | None:
    v = report.get("verdict")
    return v["id"] if v else None


def artifacts(pm: Podman) -> tuple[list[str], list[str]]:
    """Debug containers and images dockerdoctor left in podman (none, normally)."""
    return (pm.ids("ps", "-aq", "--filter", "label=dockerdoctor.artifact"),
            pm.ids("images", "-aq", "--filter", "label=dockerdoctor.artifact"))


# -- doctor inspect ------------------------------------------------------------------


def test_crashed_container_gets_its_verdict_and_the_engine_line_names_podman(
        podman: Podman) -> None:
    cid = podman.run("missing-env", "sh", "-c",
                     "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3")
    assert podman.state(cid)["ExitCode"] == 3
    code, report, err = inspect_json(cid)
    assert code == 0, err
    assert verdict(report) == "missing-env", finding_ids(report)
    assert report["engine"]["product"] == "Podman Engine"
    assert report["engine"]["server_version"].startswith(("4.", "5."))
    assert report["engine"]["api_version"]
    # every read worked: logs, diff, image, history, info, version, events
    assert report["notes"] == [], report["notes"]
    text = doctor("--host", HOST, "inspect", cid)
    assert text.returncode == 0, text.stderr
    engine_line = next(line for line in text.stdout.splitlines()
                       if line.strip().startswith("engine"))
    assert "Podman 4." in engine_line or "Podman 5." in engine_line, engine_line
    # the logs, stdout and stderr apart (podman frames them as Docker does)
    assert ["stderr", "FATAL: DATABASE_URL is not set"] in [
        [ln["stream"], ln["text"]] for ln in report["logs"]["tail"]], report["logs"]
    # a window of the logs: podman parses the fractional epochs dockerdoctor sends
    code, windowed, err = inspect_json(cid, "--since", "10m", "--until", "0s", "--tail", "5")
    assert code == 0, err
    assert verdict(windowed) == "missing-env", windowed["logs"]


def test_tty_container_and_the_most_recent_failure(podman: Podman) -> None:
    """A TTY container's logs are one unframed stream (podman follows Docker there);
    `doctor inspect` with no ID finds the newest failure through podman's list filters."""
    cid = podman.run("tty", "sh", "-c", "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3",
                     args=("-t",))
    code, report, err = inspect_json(cid)
    assert code == 0, err
    assert verdict(report) == "missing-env", finding_ids(report)
    assert [ln["stream"] for ln in report["logs"]["tail"]] == ["tty"], report["logs"]
    newest = podman.run("newest", "sh", "-c", "echo 'FATAL: QUEUE_URL is not set' >&2; "
                                              "exit 4")
    p = doctor("--host", HOST, "inspect", "--format", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["container"]["id"] == newest


def test_deep_forensics_commits_without_pausing_and_finds_the_files_error(
        podman: Podman) -> None:
    """Podman's commit decodes a JSON body (an empty one is a 500 "Decode(): EOF"); its
    compat API would not pause by default, dockerdoctor sends pause=false anyway."""
    images_before = set(podman.ids("images", "-aq"))
    cid = podman.run("file-error", "sh", "-c",
                     "mkdir -p /var/log/app; echo 'ERROR: cannot open /data/db.sqlite: "
                     "Permission denied' > /var/log/app/app.err; exit 1")
    code, report, err = inspect_json(cid, "--deep")
    assert code == 0, err
    deep = report["forensics"]
    assert deep["ran"] is True, deep
    assert deep["method"] == "debug-container", deep
    assert deep["errors"] == [], deep["errors"]
    assert "id" in deep["probes"], deep["probes"]  # the debug container ran its probes
    assert any(f["path"] == "/var/log/app/app.err" for f in deep["files"]), deep["files"]
    assert verdict(report) == "permission-denied", finding_ids(report)
    evidence = [e["source"] for e in report["findings"][0]["evidence"]]
    assert any(s.startswith("file /var/log/app/app.err") for s in evidence), evidence
    assert artifacts(podman) == ([], [])
    assert set(podman.ids("images", "-aq")) == images_before
    assert podman.state(cid)["Status"] == "exited"


def test_deep_forensics_on_a_running_container_never_pauses_it(podman: Podman) -> None:
    cid = podman.create("busy", "sh", "-c",
                        "echo 'ERROR: lost the lock' > /tmp/app.log; exec sleep 300")
    podman.cli("start", cid)
    code, report, err = inspect_json(cid, "--deep")
    assert code == 0, err
    assert report["forensics"]["ran"] is True, report["forensics"]
    state = podman.state(cid)
    assert state["Status"] == "running" and not state["Paused"], state
    events = podman.cli("events", "--stream=false", "--filter", f"container={cid}",
                        "--format", "{{.Status}}").stdout.decode().split()
    assert "pause" not in events and "start" in events, events
    assert artifacts(podman) == ([], [])


def test_exec_failures_get_their_ids(podman: Podman) -> None:
    script = podman.run("no-x", "sh", "-c",
                        "printf '#!/bin/sh\\necho hi\\n' > /run.sh; /run.sh")
    missing = podman.run("no-cmd", "sh", "-c", "not-a-command --serve")
    code, report, err = inspect_json(script)
    assert code == 0, err
    assert verdict(report) == "not-executable", finding_ids(report)
    code, report, err = inspect_json(missing)
    assert code == 0, err
    assert verdict(report) == "command-not-found", finding_ids(report)


def test_direct_exec_failure_reads_as_never_started_with_a_note(podman: Podman) -> None:
    """Podman (4.3) keeps no trace of why `podman run` could not exec the program: the
    container stays "created", State.Error empty, exit code 0 (Docker records the OCI
    error in State.Error). Its events show a start was tried; the report says so."""
    cid = podman.run("exec-denied", args=("--entrypoint", "/etc/passwd"))
    state = podman.state(cid)
    assert state["Status"] == "created", state
    code, report, err = inspect_json(cid)
    assert code == 0, err
    assert verdict(report) == "never-started", finding_ids(report)
    assert any("Podman tried to start this container" in n for n in report["notes"]), \
        report["notes"]


def test_never_started(podman: Podman) -> None:
    cid = podman.create("fresh", "true")
    code, report, err = inspect_json(cid)
    assert code == 0, err
    assert verdict(report) == "never-started", finding_ids(report)
    assert report["notes"] == [], report["notes"]  # a plain create: no start was tried


def test_a_rootfs_container_has_no_image_to_read(podman: Podman, tmp_path: Path) -> None:
    """`podman run --rootfs DIR`: Image is "sha256:" and reading that image is a 500."""
    holder = podman.create("rootfs-src", "true")
    tar = podman.cli("export", holder).stdout
    subprocess.run(["tar", "-C", str(tmp_path), "-x"], input=tar, check=True)
    name = f"rootfs-{RUN_ID}"
    podman.cli("run", "--name", name, "--label", f"{LABEL}={RUN_ID}", "--network", "none",
               *ULIMITS, "--rootfs", str(tmp_path), "sh", "-c",
               "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3", check=False)
    code, report, err = inspect_json(podman.container_id(name))
    assert code == 0, err
    assert verdict(report) == "missing-env", finding_ids(report)
    assert report["notes"] == [], report["notes"]


# -- doctor ps -------------------------------------------------------------------------


def _ps(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    p = doctor("ps", "--filter", MINE, "--format", "json", *args)
    assert p.stdout.strip().startswith("{"), p.stdout + p.stderr
    return p.returncode, json.loads(p.stdout)["containers"], p.stderr


def test_ps_lists_podman_containers_with_verdicts(podman: Podman) -> None:
    crashed = podman.run("ps-crash", "sh", "-c",
                         "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3")
    fresh = podman.create("ps-fresh", "true")
    code, rows, err = _ps("--host", HOST)
    assert code == 0, err
    got = {r["id"]: r for r in rows}
    assert got[crashed]["verdict"]["id"] == "missing-env", got[crashed]
    assert got[fresh]["verdict"]["id"] == "never-started", got[fresh]
    assert {r["host"] for r in rows} == {HOST}
    assert all(not r["error"] for r in rows), rows


def test_ps_over_docker_and_podman(podman: Podman, lab: Any) -> None:
    on_podman = podman.run("both-podman", "sh", "-c",
                           "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3")
    on_docker = lab.run(BUSYBOX, ["sh", "-c", "echo 'FATAL: DATABASE_URL is not set' >&2; "
                                              "exit 3"], name=f"both-docker-{RUN_ID}")
    code, rows, err = _ps("--host", DOCKER_HOST, "--host", HOST)
    assert code == 0, err
    hosts = {r["id"]: r["host"] for r in rows}
    assert hosts.get(on_podman) == HOST and hosts.get(on_docker.id) == DOCKER_HOST, rows
    verdicts = {r["id"]: (r["verdict"] or {}).get("id") for r in rows}
    assert verdicts[on_podman] == verdicts[on_docker.id] == "missing-env", rows
    table = doctor("ps", "--filter", MINE, "--host", DOCKER_HOST, "--host", HOST)
    assert table.returncode == 0, table.stderr
    assert HOST in table.stdout and DOCKER_HOST in table.stdout, table.stdout


# -- what Podman answers differently, through the engine layer -------------------------


def test_events_are_read_from_podman(podman: Podman) -> None:
    """Podman 4.3 sends no events when `until` is now or past: dockerdoctor asks it with
    stream=false instead."""
    cid = podman.run("events", "sh", "-c", "exit 7")
    client = EngineClient(HOST)
    assert client.is_podman
    events = client.events(cid, None)
    dies = [e for e in events if e.get("Action") == "die"]
    assert dies, events
    assert dies[-1]["Actor"]["Attributes"].get("exitCode") == "7", dies


def test_removed_container_reads(podman: Podman) -> None:
    """Logs of a removed container: 404, as Docker. Its diff: 500 "layer not known"
    (Docker: 404), an EngineError that collect() turns into a note."""
    cid = podman.run("gone", "sh", "-c", "echo bye; exit 1")
    client = EngineClient(HOST)
    podman.cli("rm", "-f", cid)
    with pytest.raises((NotFound, engine_mod._LiteNotFound)):
        client.logs(cid, False, LogOptions(tail=5))
    with pytest.raises(EngineError) as info:
        client.diff(cid)
    assert "500" in info.value.message, info.value.message
    assert client.stat(cid, "/bin/sh") is None  # HEAD .../archive: 404, as Docker


def test_a_diff_podman_cannot_make_is_a_note(podman: Podman, monkeypatch: Any) -> None:
    cid = podman.run("no-diff", "sh", "-c",
                     "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3")
    client = EngineClient(HOST)

    def diff(ref: str) -> Any:  # what podman 4.3.1 answers when the layer is gone
        raise engine_mod._LiteAPIError(500, f"{ref} not found: layer not known")

    monkeypatch.setattr(client.api, "diff", diff)
    raw = engine_mod.collect(client, cid, LogOptions())
    assert raw["changes"] is None
    assert any(n.startswith("could not read changes") and "layer not known" in n
               for n in raw["notes"]), raw["notes"]
    assert raw["logs"]["lines"], raw["logs"]


def test_archive_reads_follow_podmans_symlinks(podman: Podman) -> None:
    """HEAD .../archive on a symlink: Podman's stat is the link's (mode with the symlink
    bit, linkTarget resolved), like Docker's; a GET of it sends the target's bytes
    (Docker sends the link). The exec probe follows links itself either way."""
    cid = podman.create("archive", "true")
    client = EngineClient(HOST)
    st = client.stat(cid, "/bin/sh")
    assert st is not None and st["linkTarget"] == "/bin/busybox", st
    assert int(st["mode"]) & (1 << 27), st  # Go's os.ModeSymlink
    head = client.read_head(cid, "/bin/busybox", 64)
    assert head is not None and head.startswith(b"\x7fELF"), head
    assert client.stat(cid, "/no/such/file") is None
    assert client.read_head(cid, "/no/such/file", 64) is None


def test_podman_500_no_such_container_is_not_found(podman: Podman) -> None:
    """Podman's 500 "... no such container" (Docker: 404) is NotFound; its other 500s
    (a diff's "layer not known") stay engine errors."""
    client = EngineClient(HOST)

    def fail(e: Exception) -> Any:
        def raiser() -> None:
            raise e
        return raiser

    gone = engine_mod._LiteAPIError(
        500, "failed to obtain logs for Container 'x': no container with name or ID "
        "\"x\" found: no such container")
    with pytest.raises(NotFound):
        client._call("logs", fail(gone))
    with pytest.raises(EngineError):
        client._call("diff", fail(engine_mod._LiteAPIError(500, "x not found: layer not known")))
