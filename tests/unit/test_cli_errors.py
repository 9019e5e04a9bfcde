"""Bad input and unreachable engines: one clear line on stderr, a documented exit code,
never a traceback. These need no engine: they use sockets nobody answers on."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

import pytest
from click.testing import CliRunner

from dockerdoctor.cli import cli


def run(*args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "dockerdoctor", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert lines[0].startswith("doctor: error: "), lines[0]
    return lines[0]


def test_engine_socket_missing_is_exit_3() -> None:
    p = run("inspect", "web", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert p.returncode == 3
    assert "no Docker engine answers at unix:///nonexistent/docker.sock" in one_line_error(p)


def test_engine_refusing_tcp_is_exit_3() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    p = run("inspect", "web", env={"DOCKER_HOST": f"tcp://127.0.0.1:{port}"})
    assert p.returncode == 3
    assert "refused the connection" in one_line_error(p)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop capabilities")
def test_socket_permission_denied_is_exit_3() -> None:
    d = tempfile.mkdtemp()
    path = os.path.join(d, "docker.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    os.chown(path, 65534, 65534)
    os.chmod(path, 0)
    threading.Thread(target=lambda: srv.accept(), daemon=True).start()
    try:
        # root without CAP_DAC_OVERRIDE is refused like any user outside the docker group
        p = run("inspect", "web", env={"DOCKER_HOST": f"unix://{path}"},
                prefix=["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"])
        assert p.returncode == 3, p.stderr
        assert "permission denied on the engine socket" in one_line_error(p)
    finally:
        srv.close()
        shutil.rmtree(d)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["inspect", "web", "--since", "yesterday-ish"], "--since: cannot read 'yesterday-ish'"),
        (["inspect", "web", "--until", "5 parsecs"], "--until: cannot read"),
        (["inspect", "web", "--since", "1m", "--until", "2h"], "--since must be before --until"),
    ],
)
def test_bad_times_are_usage_errors(args: list[str], needle: str) -> None:
    p = run(*args, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert p.returncode == 2
    assert needle in one_line_error(p)


@pytest.mark.parametrize(
    "args",
    [["inspect", "--tail", "0"], ["inspect", "--format", "yaml"], ["inspect", "--bogus"],
     ["frobnicate"], ["inspect", "--fail-on", "fatal"]],
)
def test_bad_options_exit_2_without_traceback(args: list[str]) -> None:
    p = run(*args)
    assert p.returncode == 2
    line = one_line_error(p)
    assert "--help" in line


def test_debug_shows_the_traceback() -> None:
    p = run("--debug", "inspect", "web", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert p.returncode == 3
    assert "Traceback" in p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("doctor: error: no Docker engine")


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        r = runner.invoke(cli, [name, "--help"])
        assert r.exit_code == 0
        assert "Example" in r.output, f"{name} --help shows no example"
        assert name in top.output


def test_catalogue_lists_every_id_once() -> None:
    from dockerdoctor.checks import CATALOGUE

    r = CliRunner().invoke(cli, ["catalogue", "--format", "json"])
    assert r.exit_code == 0
    import json

    listed = [x["id"] for x in json.loads(r.output)]
    assert listed == list(CATALOGUE)
    assert len(listed) == len(set(listed))
