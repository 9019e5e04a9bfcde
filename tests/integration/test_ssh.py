"""An ssh:// engine URL (docker-py with paramiko, the `[ssh]` extra): `doctor inspect` and
`doctor ps` through an ssh server on 127.0.0.1 that runs `docker system dial-stdio` for us.

The server is Debian's sshd with a configuration, host key and authorized key of its own
in a temporary directory, listening on loopback only; the client side gets a temporary
HOME (its ~/.ssh/config, key and known_hosts), so the user's ~/.ssh is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from typing import Any

import pytest

from tests.conftest import BUSYBOX, IN_CI, doctor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {what} (scripts/ensure-engine installs it)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="module")
def ssh_host(tmp_path_factory: Any) -> Any:
    try:
        import paramiko  # noqa: F401
    except ImportError:
        _missing("paramiko is not installed (pip install '.[dev]')")
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(sshd) or os.geteuid() != 0:
        _missing("no sshd, or not root")
    d = tmp_path_factory.mktemp("ssh")
    home = d / "home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "host_key")],
                   check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(home / ".ssh" / "id_ed25519")], check=True)
    (d / "authorized_keys").write_text((home / ".ssh" / "id_ed25519.pub").read_text())
    os.chmod(d / "authorized_keys", 0o600)
    port = _free_port()
    config = d / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPidFile {d / 'sshd.pid'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\n"
        "StrictModes no\nSubsystem sftp internal-sftp\n")
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
    server = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    host_pub = (d / "host_key.pub").read_text().split()
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} "
                                               f"{host_pub[1]}\n")
    (home / ".ssh" / "config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {home / '.ssh' / 'id_ed25519'}\n"
        f"  UserKnownHostsFile {home / '.ssh' / 'known_hosts'}\n")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise AssertionError(f"sshd exited: {server.stderr.read().decode()[-500:]}"
                                         if server.stderr else "sshd exited") from None
                time.sleep(0.1)
        yield f"ssh://root@127.0.0.1:{port}", {"HOME": str(home)}
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_inspect_and_ps_over_ssh(ssh_host: Any, lab: Any) -> None:
    url, env = ssh_host
    c = lab.run(BUSYBOX, ["sh", "-c", "echo 'FATAL: DATABASE_URL is not set' >&2; exit 3"])
    p = doctor("--host", url, "inspect", c.id, "--format", "json", env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["container"]["id"] == c.id and r["verdict"]["id"] == "missing-env"
    rows = doctor("ps", "--host", url, "--filter", f"id={c.id}", "--format", "json", env=env,
                  timeout=120)
    assert rows.returncode == 0, rows.stderr
    got = json.loads(rows.stdout)["containers"]
    assert [(x["host"], x["verdict"]["id"]) for x in got] == [(url, "missing-env")]


def test_deep_forensics_over_ssh_cleans_up(ssh_host: Any, lab: Any, docker_client: Any) -> None:
    """The debug copy's requests (commit, create, start, wait, remove) over docker-py."""
    url, env = ssh_host
    c = lab.run(BUSYBOX, ["sh", "-c", "mkdir -p /var/log/app; echo 'FATAL: disk quota "
                          "exceeded' > /var/log/app/app.err; exit 3"])
    p = doctor("--host", url, "inspect", c.id, "--deep", "--format", "json", env=env,
               timeout=180)
    assert p.returncode == 0, p.stderr
    f = json.loads(p.stdout)["forensics"]
    assert f["ran"] and f["method"] == "debug-container" and f["errors"] == [], f
    assert "/var/log/app/app.err" in {x["path"] for x in f["files"]}
    left = docker_client.api.containers(all=True, filters={"label": "dockerdoctor.artifact"})
    assert left == [] and docker_client.api.images(
        filters={"label": "dockerdoctor.artifact"}) == []


def test_unreachable_ssh_host_is_one_line(ssh_host: Any) -> None:
    url, env = ssh_host
    bad = url.rsplit(":", 1)[0] + f":{_free_port()}"
    p = doctor("--host", bad, "inspect", "x", env=env, timeout=60)
    assert p.returncode == 3 and p.stderr.count("\n") == 1, p.stderr
    assert p.stderr.startswith("doctor: error:") and "Traceback" not in p.stderr
