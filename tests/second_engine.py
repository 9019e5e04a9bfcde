"""A second, throwaway Docker engine on this machine, for the tests that need two.

Everything is its own: a unix socket (no TCP), a data root, an exec root (so dockerd
starts and manages its own containerd there, with its own state and socket), a pid
file, a config file (an empty one: /etc/docker/daemon.json is not read), a bridge
(`ddbr2`, 172.31.250.1/24, made here and passed as `--bridge`), a cgroup parent, no
iptables rules and no ip_forward change: nothing it does touches the first engine.

`start()` first clears whatever a killed earlier run left behind (its dockerd, containerd,
shims and container processes, found by pid file, command line or cgroup, never by
name; mounts; directories; the bridge), starts dockerd, waits until it answers and loads
the busybox image from the first engine into it. `stop()` removes its containers, stops
dockerd (and with it its containerd), unmounts and deletes its directories, removes its
cgroups and the bridge, and returns what it could not remove (nothing, normally).
Its paths are fixed, so one test run at a time has it: another run on this machine waits
for `stop()` (a lock on an abstract unix socket, released when its process dies).
Start takes about half a second (dockerd answers in 0.25 s; loading busybox), stop one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

RUN_DIR = Path("/run/dockerdoctor-2")
SOCKET = RUN_DIR / "docker.sock"
HOST = f"unix://{SOCKET}"
EXEC_ROOT = RUN_DIR / "exec"
PIDFILE = RUN_DIR / "docker.pid"
CONFIG = RUN_DIR / "daemon.json"
LOG = RUN_DIR / "dockerd.log"
CLI_CONFIG = RUN_DIR / "cli"  # DOCKER_CONFIG of the docker CLI calls made here
DATA_ROOT = Path("/var/lib/dockerdoctor-2")
BRIDGE = "ddbr2"
BRIDGE_ADDRESS = "172.31.250.1/24"
CGROUP_PARENT = "dockerdoctor-2"
MAIN_HOST = "unix:///var/run/docker.sock"
MARKERS = (str(RUN_DIR), str(DATA_ROOT))  # in the command line of each of its processes
LOCK = "\0dockerdoctor-2.lock"  # an abstract unix socket: gone with its process, no file

_lock: socket.socket | None = None


class EngineStartError(Exception):
    """The second engine could not be started; the message says why (with its log)."""


def _acquire(timeout: float) -> None:
    """One test run at a time uses the second engine (it has fixed paths): another run
    on this machine is waited for."""
    global _lock
    if _lock is not None:
        return
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + timeout
    while True:
        try:
            s.bind(LOCK)
        except OSError:
            if time.monotonic() > deadline:
                s.close()
                raise EngineStartError(f"another test run kept the second engine for more "
                                       f"than {timeout:.0f} s") from None
            time.sleep(0.2)
            continue
        _lock = s
        return


def _release() -> None:
    global _lock
    if _lock is not None:
        _lock.close()
        _lock = None


def dockerd_args() -> list[str]:
    return [
        "dockerd",
        "--config-file", str(CONFIG),
        "--host", HOST,
        "--data-root", str(DATA_ROOT),
        "--exec-root", str(EXEC_ROOT),
        "--pidfile", str(PIDFILE),
        "--bridge", BRIDGE,
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
        "--cgroup-parent", CGROUP_PARENT,
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(CLI_CONFIG)
    return env


def ping(path: Path = SOCKET, timeout: float = 2.0) -> bool:
    """Whether an engine answers `GET /_ping` on the unix socket `path`."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
    except OSError:
        return False
    return data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n", 1)[0]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            "utf-8", "replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie waiting to be reaped does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _ours(pid: int) -> bool:
    """A dockerd, containerd or shim whose command line names this engine's directories
    (never any other process that happens to mention them, like an `ls`)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return False
    if comm not in ("dockerd", "containerd", "docker-proxy") and \
            not comm.startswith("containerd-shim"):
        return False
    line = _cmdline(pid)
    return any(m in line for m in MARKERS)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _cgroup_dirs() -> list[Path]:
    root = Path("/sys/fs/cgroup")
    found = [root / CGROUP_PARENT] if (root / CGROUP_PARENT).is_dir() else []
    with contextlib.suppress(OSError):
        found += [d / CGROUP_PARENT for d in root.iterdir()
                  if (d / CGROUP_PARENT).is_dir() and d.name != CGROUP_PARENT]
    return found


def _cgroup_pids() -> set[int]:
    pids: set[int] = set()
    for top in _cgroup_dirs():
        for dirpath, _, _ in os.walk(top):
            with contextlib.suppress(OSError, ValueError):
                pids |= {int(p) for p in (Path(dirpath) / "cgroup.procs").read_text().split()}
    return pids


def _stray_pids() -> set[int]:
    """Processes of this engine: dockerd, containerd and shims by their command line
    (they name its directories), container processes by its cgroup parent."""
    me = {os.getpid(), os.getppid()}
    pids = _cgroup_pids() - me
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in me and _ours(int(entry.name)):
            pids.add(int(entry.name))
    return pids


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    left = {p for p in pids if alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if alive(p)}
    return left


def _mounts_under(*roots: Path) -> list[str]:
    out = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(r) or point.startswith(f"{r}/") for r in roots):
            out.append(point)
    return sorted(set(out), key=len, reverse=True)  # deepest first


def _run(*argv: str, timeout: float = 30, check: bool = False
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_env(),
                          check=check)


def _bridge_exists() -> bool:
    return Path(f"/sys/class/net/{BRIDGE}").exists()


class SecondEngine:
    """One second dockerd; `start()` then `stop()` (both idempotent)."""

    host = HOST
    socket = SOCKET

    def __init__(self, image: str = "dockerdoctor/busybox:local",
                 start_timeout: float = 40) -> None:
        self.image = image
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None  # seconds, until it answered with the image

    # -- start ---------------------------------------------------------------------------

    def start(self, lock_timeout: float = 120) -> None:
        if os.geteuid() != 0:
            raise EngineStartError("a second dockerd needs root")
        for tool in ("dockerd", "docker", "ip"):
            if shutil.which(tool) is None:
                raise EngineStartError(f"{tool} is not on PATH")
        _acquire(lock_timeout)
        t0 = time.monotonic()
        if ping(SOCKET):
            # an engine answers there already: a killed earlier run's, found below by its
            # pid file and command line (anything else on that socket is not ours to stop)
            pid = _read_pid(PIDFILE)
            if pid is None or not _ours(pid):
                _release()
                raise EngineStartError(f"an engine already answers on {SOCKET} and it is "
                                       "not one this harness started")
        leftovers = self._clean()
        if leftovers:
            _release()
            raise EngineStartError("a previous run left state behind that could not be "
                                   f"removed: {leftovers}")
        try:
            self._start()
        except BaseException as e:
            log = self.log_tail()
            self.stop()
            if isinstance(e, EngineStartError) or not isinstance(e, Exception):
                raise
            raise EngineStartError(f"{type(e).__name__}: {e}\n{log}") from e
        self.started_in = time.monotonic() - t0

    def _start(self) -> None:
        RUN_DIR.mkdir(mode=0o711)
        DATA_ROOT.mkdir(mode=0o710)
        CLI_CONFIG.mkdir(mode=0o700)
        CONFIG.write_text("{}\n")
        for argv in (("ip", "link", "add", BRIDGE, "type", "bridge"),
                     ("ip", "addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE),
                     ("ip", "link", "set", BRIDGE, "up")):
            p = _run(*argv)
            if p.returncode != 0:
                raise EngineStartError(f"{' '.join(argv)}: {p.stderr.strip()}")
        with open(LOG, "wb") as log:
            self.proc = subprocess.Popen(dockerd_args(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=_env(),
                                         start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while not ping(SOCKET, timeout=1):
            if self.proc.poll() is not None:
                raise EngineStartError(f"dockerd exited with {self.proc.returncode} before "
                                       f"answering:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise EngineStartError(f"dockerd did not answer within {self.start_timeout:.0f}"
                                       f" s:\n{self.log_tail()}")
            time.sleep(0.05)
        self.load(self.image)

    def load(self, image: str) -> None:
        """`docker save IMAGE` on the first engine, `docker load` into this one."""
        env = _env()
        save = subprocess.Popen(["docker", "-H", MAIN_HOST, "save", image],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert save.stdout is not None
        try:
            load = subprocess.run(["docker", "-H", HOST, "load", "-q"], stdin=save.stdout,
                                  capture_output=True, text=True, timeout=120, env=env)
        finally:
            save.stdout.close()
            save_err = save.stderr.read().decode("utf-8", "replace") if save.stderr else ""
            save.wait(timeout=60)
        if save.returncode != 0:
            raise EngineStartError(f"docker save {image} on the first engine: {save_err}")
        if load.returncode != 0:
            raise EngineStartError(f"docker load into the second engine: {load.stderr}")

    def log_tail(self, n: int = 25) -> str:
        try:
            return "\n".join(LOG.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no dockerd log)"

    # -- stop ----------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """Stop and remove everything; return what is still there (should be nothing)."""
        try:
            return self._clean()
        finally:
            _release()

    def _clean(self) -> list[str]:
        if ping(SOCKET, timeout=2):
            self._remove_containers()
        pid = self.proc.pid if self.proc is not None else _read_pid(PIDFILE)
        if pid is not None and alive(pid) and _ours(pid):
            os.kill(pid, signal.SIGTERM)  # it stops its containers and its containerd
            if _wait_gone({pid}, 30):
                os.kill(pid, signal.SIGKILL)
                _wait_gone({pid}, 10)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            self.proc = None
        # what a killed dockerd leaves running: its containerd, shims, container processes
        # (its dockerd is gone: nothing would stop them any more; container processes
        # ignore SIGTERM as PID 1, so SIGKILL at once)
        stray = _stray_pids()
        for p in stray:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        _wait_gone(stray, 10)
        for point in _mounts_under(RUN_DIR, DATA_ROOT):
            if _run("umount", point).returncode != 0:
                _run("umount", "--lazy", point)
        for d in (RUN_DIR, DATA_ROOT):
            shutil.rmtree(d, ignore_errors=True)
        for top in _cgroup_dirs():
            for dirpath, _, _ in sorted(os.walk(top), key=lambda w: len(w[0]), reverse=True):
                with contextlib.suppress(OSError):
                    os.rmdir(dirpath)
        if _bridge_exists():
            _run("ip", "link", "del", BRIDGE)
        return self.leftovers()

    def _remove_containers(self) -> None:
        p = _run("docker", "-H", HOST, "ps", "-aq", "--no-trunc", timeout=30)
        ids = p.stdout.split()
        if ids:
            _run("docker", "-H", HOST, "rm", "-f", "-v", *ids, timeout=60)

    @staticmethod
    def leftovers() -> list[str]:
        left = [f"process {p}: {_cmdline(p)[:120]}" for p in sorted(_stray_pids())
                if alive(p)]
        left += [f"mount {m}" for m in _mounts_under(RUN_DIR, DATA_ROOT)]
        left += [f"directory {d}" for d in (RUN_DIR, DATA_ROOT) if d.exists()]
        left += [f"cgroup {d}" for d in _cgroup_dirs()]
        left += [f"bridge {BRIDGE}"] if _bridge_exists() else []
        return left

    # -- helpers for tests ---------------------------------------------------------------

    def client(self) -> object:
        """A docker-py client for this engine."""
        import docker

        return docker.DockerClient(base_url=HOST, version="auto", timeout=120)

    def info(self) -> dict:
        p = _run("docker", "-H", HOST, "info", "--format", "{{json .}}")
        return json.loads(p.stdout) if p.returncode == 0 else {}
