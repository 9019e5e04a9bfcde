"""The scenario library and its format, without an engine: every scenario parses, the
library covers the whole finding catalogue, bad files get one clear line, and export
renders a scenario from snapshots recorded on a real engine (tests/fixtures/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dockerdoctor import snapshot
from dockerdoctor.audit.rules import IMAGE_CATALOGUE
from dockerdoctor.checks import CATALOGUE
from dockerdoctor.diagnose import diagnose_snapshot
from dockerdoctor.errors import UsageError
from dockerdoctor.scenario import library, spec
from dockerdoctor.scenario.export import render
from dockerdoctor.scenario.runner import _from_images, resolve_bases

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def test_every_scenario_in_the_library_parses() -> None:
    found = library.load_all()
    assert len(found) >= 30, [s.name for s in found]
    for s in found:
        assert s.description and s.lesson, s.name
        for fid in (*s.expect.findings, *s.expect.absent):
            assert fid in CATALOGUE or fid in IMAGE_CATALOGUE, f"{s.name}: unknown id {fid}"
        if s.expect.verdict:
            assert s.expect.verdict in CATALOGUE, s.name
        if s.build:  # the base comes from a build argument with a public default
            dockerfile = (s.folder / s.build / s.dockerfile).read_text()
            for line in dockerfile.splitlines():
                if line.strip().upper().startswith("FROM "):
                    ref = line.split()[1]
                    assert ref.startswith("${") or ref == "scratch" or ref.islower() and \
                        ref in _stage_names(dockerfile), f"{s.name}: FROM {ref}"
            assert ":local" not in dockerfile and "dockerdoctor/" not in dockerfile, \
                f"{s.name}: a local image is named"


def _stage_names(dockerfile: str) -> set[str]:
    names = set()
    for line in dockerfile.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].upper() == "FROM" and parts[2].upper() == "AS":
            names.add(parts[3])
    return names


def test_the_library_covers_every_finding_id_and_has_healthy_controls() -> None:
    found = library.load_all()
    covered = {fid for s in found for fid in (*s.expect.findings, s.expect.verdict) if fid}
    # `dead` needs root on the engine's host; it is still a scenario (requires=...)
    assert set(CATALOGUE) - covered == set(), sorted(set(CATALOGUE) - covered)
    controls = [s.name for s in found if s.expect.max_severity in ("info", "warning")
                and not s.expect.findings]
    assert len(controls) >= 2, controls


def test_public_defaults_are_named_and_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCTOR_SCENARIO_BASES", "PYTHON_IMAGE=me/python:1 X_IMAGE=x:2")
    bases = resolve_bases({"X_IMAGE": "x:3"})
    assert bases["PYTHON_IMAGE"] == "me/python:1"  # the environment over the default
    assert bases["X_IMAGE"] == "x:3"  # --base over the environment
    assert bases["BUSYBOX_IMAGE"] == "busybox:1.36"  # untouched: the public default
    monkeypatch.setenv("DOCTOR_SCENARIO_BASES", "PYTHON_IMAGE")
    with pytest.raises(UsageError, match="NAME=IMAGE"):
        resolve_bases()


def test_from_lines_resolve_build_arguments_and_skip_stages() -> None:
    dockerfile = ("ARG GOLANG_IMAGE=golang:1.22\nARG BUSYBOX_IMAGE=busybox:1.36\n"
                  "FROM ${GOLANG_IMAGE} AS build\nRUN go build\n"
                  "FROM build AS test\nFROM $BUSYBOX_IMAGE\nFROM scratch\n")
    assert _from_images(dockerfile, {"GOLANG_IMAGE": "g:local", "BUSYBOX_IMAGE": "b:l"}) == \
        ["g:local", "b:l"]


GOOD = """
description = "d"
lesson = "l"
[image]
image = "${BUSYBOX_IMAGE}"
[run]
command = ["false"]
[expect]
findings = ["nonzero-exit"]
"""


@pytest.mark.parametrize("change, message", [
    ("[run]\ncommand = [\"false\"]\ncomand = 1", "unknown key(s): comand"),
    ("ports = [\"0.0.0.0:8080:80\"]", "127.0.0.1"),
    ("[image]\nbuild = \".\"", "exactly one of build = or image ="),
    ("[expect]\nfindings = []", "needs findings, verdict or max_severity"),
    ("[wait]\nfor = \"forever\"", "for must be one of exited"),
    ("[run]\nrestart = \"sometimes\"", "restart"),
    ("[act]\ndo = \"explode\"", "do must be one of stop, kill, pause"),
    ("[run]\nstart = false", "start = false needs [wait] for = \"created\""),
    ("requires = [\"moon\"]", "unknown 'moon'"),
    ("description = 3", "description must be a string"),
])
def test_bad_scenarios_get_one_clear_line(tmp_path: Path, change: str, message: str) -> None:
    data = tomllib.loads(GOOD)
    patch = tomllib.loads(change)
    if "ports" in patch:
        data["run"]["ports"] = patch["ports"]
    else:
        for key, value in patch.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
    with pytest.raises(spec.ScenarioError) as err:
        spec.parse(data, tmp_path, "bad")
    assert message in err.value.message
    assert "\n" not in err.value.message


def test_cli_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}

    def doctor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dockerdoctor", *args],
                              capture_output=True, text=True, timeout=60, env=env)

    p = doctor("scenario", "run", "no-such-scenario")
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert p.stderr.startswith("doctor: error: no scenario named 'no-such-scenario'")
    (tmp_path / "scenario.toml").write_text("description = [\n")
    p = doctor("scenario", "run", "--path", str(tmp_path))
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "scenario.toml" in p.stderr
    p = doctor("scenario", "verify")
    assert p.returncode == 2 and "give scenario NAMEs, --all or --path" in p.stderr
    p = doctor("scenario", "run", "python-missing-env", "--base", "PYTHON_IMAGE")
    assert p.returncode == 2 and "expected NAME=IMAGE" in p.stderr
    p = doctor("scenario", "export", "whatever", "-o", str(ROOT / "README.md"))
    assert p.returncode in (2, 3, 4), p.stderr  # never overwrites README.md
    assert p.stderr.count("\n") == 1


def test_list_names_every_scenario_and_its_findings() -> None:
    p = subprocess.run([sys.executable, "-m", "dockerdoctor", "scenario", "list", "-f", "json"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    listed = json.loads(p.stdout)
    assert [x["name"] for x in listed] == library.names()
    row = next(x for x in listed if x["name"] == "python-missing-env")
    assert row["findings"] == ["missing-env"] and "QUEUE_URL" in row["description"]


def _fixture_diagnosis(name: str) -> tuple[dict, dict, object]:
    raw = json.loads((FIXTURES / f"{name}.json").read_text())
    d = diagnose_snapshot(snapshot.build(raw))
    return raw["inspect"], raw.get("image") or {}, d


def test_export_renders_a_scenario_that_parses_and_expects_the_same_ids(tmp_path: Path
                                                                        ) -> None:
    inspect, image, d = _fixture_diagnosis("missing_env")
    text, notes = render(inspect, image, d, {"PYTHON_IMAGE": inspect["Config"]["Image"],
                                             "BUSYBOX_IMAGE": inspect["Config"]["Image"]})
    (tmp_path / "scenario.toml").write_text(text)
    s = spec.load(tmp_path)
    ids = [f.id for f in d.findings]
    assert list(s.expect.findings) == ids and s.expect.verdict == ids[0]
    assert s.image.startswith("${") and s.image.endswith("_IMAGE}")
    assert s.run.network == "none"


def test_export_redacts_secret_env_and_keeps_the_rest(tmp_path: Path) -> None:
    inspect, image, d = _fixture_diagnosis("missing_env")
    inspect = json.loads(json.dumps(inspect))
    inspect["Config"]["Env"] = [*inspect["Config"]["Env"], "DB_PASSWORD=hunter2-xyz",
                                "LOG_LEVEL=debug"]
    inspect["Config"]["Cmd"] = ["app", "--password", "hunter2-xyz"]
    text, notes = render(inspect, image, d)
    assert "hunter2-xyz" not in text
    (tmp_path / "scenario.toml").write_text(text)
    s = spec.load(tmp_path)
    assert s.run.env["DB_PASSWORD"] == "REDACTED-set-me"
    assert s.run.env["LOG_LEVEL"] == "debug"
    assert any("DB_PASSWORD" in n for n in notes)


@pytest.mark.parametrize("fixture, wait_for, act", [
    ("restart_loop", "restarting", None),
    ("unhealthy", "unhealthy", None),
    ("stop_timeout", "exited", "stop"),
    ("killed", "exited", "kill"),
    ("healthy", "running", None),
])
def test_export_waits_for_what_the_container_shows(tmp_path: Path, fixture: str,
                                                    wait_for: str, act: str | None) -> None:
    inspect, image, d = _fixture_diagnosis(fixture)
    text, _ = render(inspect, image, d)
    (tmp_path / "scenario.toml").write_text(text)
    s = spec.load(tmp_path)
    assert s.wait.for_ == wait_for, text
    assert (s.act.do if s.act else None) == act, text
    for port in s.run.ports:
        assert port.startswith("127.0.0.1:${PORT}:")


def test_the_wheel_ships_the_whole_library(tmp_path: Path) -> None:
    """`pip install .` (not only a checkout) has every scenario, as dockerdoctor/_scenarios."""
    import shutil
    import zipfile

    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".mypy_cache",
        ".ruff_cache", "results"))
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                        "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("dockerdoctor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    library_files = {f"dockerdoctor/_scenarios/{f.relative_to(ROOT / 'scenarios')}"
                     for f in (ROOT / "scenarios").rglob("*")
                     if f.is_file() and "__pycache__" not in f.parts}
    assert library_files - names == set(), sorted(library_files - names)[:10]
    assert "dockerdoctor/scenario/runner.py" in names
