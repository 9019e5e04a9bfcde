"""`doctor shell`: an interactive shell in a debug copy, cleaned up after; the toolbox
for shell-less images. stdin is piped, so the docker CLI runs it without a TTY."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import BUSYBOX


def artifacts(client, source: str) -> tuple[int, int]:
    """Debug containers and images made from this container (other runs may be going)."""
    label = {"label": f"dockerdoctor.source={source}"}
    return (len(client.containers.list(all=True, filters=label)),
            len(client.images.list(filters=label)))


def shell(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockerdoctor", "shell", *args],
                          input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})


def test_shell_sees_the_stopped_containers_files_and_leaves_nothing(lab, docker_client):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo 'queue state 42' > /state.txt; exit 1"])
    before = artifacts(docker_client, c.id)
    state_before = c.attrs["State"]
    p = shell(c.id, stdin="cat /state.txt; id -u; ip link 2>/dev/null | grep -c eth0; exit 7\n")
    assert p.returncode == 7, p.stderr
    out = p.stdout.splitlines()
    assert out[0] == "queue state 42"
    assert out[1] == "0"
    assert out[2] == "0"  # no network interface but lo
    assert artifacts(docker_client, c.id) == before
    c.reload()
    assert c.attrs["State"] == state_before


def test_shell_runs_as_the_containers_user(lab, docker_client):
    c = lab.run(BUSYBOX, ["sh", "-c", "exit 2"], user="65534")
    p = shell(c.id, stdin="id -u; exit 0\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "65534"


def test_shell_less_image_gets_the_toolbox(lab, docker_client, tmp_path):
    # an image with no shell at all: only a copy of a static binary, as FROM scratch
    busybox = open("/bin/busybox", "rb").read()
    tag = lab.build('FROM scratch\nCOPY server /server\nENTRYPOINT ["/server", "false"]\n',
                    {"server": (busybox, 0o755)})
    c = lab.run(tag, None)
    before = artifacts(docker_client, c.id)
    p = shell(c.id, stdin="echo hi\n")
    assert p.returncode == 2 and "--toolbox IMAGE" in p.stderr
    p = shell(c.id, "--toolbox", BUSYBOX, stdin="ls /; echo $PATH; exit 3\n")
    assert p.returncode == 3, p.stderr
    assert "server" in p.stdout.split()
    assert "/.doctor-toolbox/bin" in p.stdout
    assert artifacts(docker_client, c.id) == before


def test_missing_container_is_exit_4(docker_client):
    p = shell("no-such-container-zz9", stdin="")
    assert p.returncode == 4
    assert p.stderr.strip() == "doctor: error: no such container: no-such-container-zz9"


def test_inspect_probes_a_shell_less_image_with_the_toolbox(lab, docker_client):
    busybox = open("/bin/busybox", "rb").read()
    # a static binary that exits 3 without a word; the image has no shell to probe with
    tag = lab.build('FROM scratch\nCOPY server /opt/busybox\n'
                    'ENTRYPOINT ["/opt/busybox", "sh", "-c", "exit 3"]\n',
                    {"server": (busybox, 0o755)})
    c = lab.run(tag, None)
    before = artifacts(docker_client, c.id)
    plain = lab.inspect(c)
    assert plain.json["forensics"]["method"] == "archive"
    assert any("--toolbox" in e for e in plain.json["forensics"]["errors"])
    r = lab.inspect(c, "--toolbox", BUSYBOX)
    f = r.json["forensics"]
    assert f["ran"] and f["method"] == "debug-container", f
    assert f["probes"]["id"].startswith("uid=0(root)") or f["probes"]["id"].startswith("uid=0")
    assert "/opt/busybox" in f["probes"]["program"]
    assert artifacts(docker_client, c.id) == before
