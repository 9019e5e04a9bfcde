"""`doctor --help` stays fast: the CLI must not import docker-py or its HTTP stack.

docker-py (with requests and urllib3) costs ~150 ms of import on every start; only the
engine layer may import it, lazily, once a command really talks to the engine. Runs
`python -X importtime` in a subprocess, so what an earlier test imported does not count.
Needs no engine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("docker", "requests", "urllib3", "paramiko")
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| \s*(\S+)\s*$")


def _run(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run python -X importtime ARGS; return the process and every module it imported."""
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )
    modules = set()
    for line in proc.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            modules.add(m.group(1))
    assert modules, f"no -X importtime output; stderr:\n{proc.stderr[-2000:]}"
    return proc, modules


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("argv", [["--help"], ["inspect", "--help"]], ids=" ".join)
def test_help_imports_no_docker_stack(argv: list[str]) -> None:
    proc, modules = _run("-m", "dockerdoctor", *argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage:" in proc.stdout
    assert "dockerdoctor.cli" in modules  # the CLI really was loaded
    assert _heavy(modules) == [], f"`doctor {' '.join(argv)}` imported {_heavy(modules)}"


def test_importing_the_cli_imports_no_docker_stack() -> None:
    code = (
        "import sys, dockerdoctor.cli\n"
        f"heavy = {HEAVY!r}\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    proc, modules = _run("-c", code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dockerdoctor.cli" in modules
    assert _heavy(modules) == [], f"`import dockerdoctor.cli` imported {_heavy(modules)}"
    # sys.modules as well: catches a module that was already imported at start-up
    assert proc.stdout.strip() == "", f"in sys.modules: {proc.stdout.strip()}"
