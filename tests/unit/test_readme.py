"""The README is the user's manual: it must stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from dockerdoctor.cli import cli
from dockerdoctor.errors import ExitCode

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_catalogue_table_matches_the_code() -> None:
    block = re.search(r"<!-- catalogue:start -->\n(.*?)\n<!-- catalogue:end -->", README, re.S)
    assert block, "README has no catalogue block"
    out = CliRunner().invoke(cli, ["catalogue", "--format", "markdown"]).output.strip()
    assert block.group(1).strip() == out, "stale: paste `doctor catalogue -f markdown`"


def _commands(group, prefix="doctor"):
    for name, command in group.commands.items():
        yield f"{prefix} {name}", command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix} {name}")


def test_image_catalogue_table_matches_the_code() -> None:
    block = re.search(r"<!-- image-catalogue:start -->\n(.*?)\n<!-- image-catalogue:end -->",
                      README, re.S)
    assert block, "README has no image catalogue block"
    out = CliRunner().invoke(cli, ["catalogue", "--of", "image", "--format", "markdown"])
    assert block.group(1).strip() == out.output.strip(), \
        "stale: paste `doctor catalogue --of image -f markdown`"


def test_swarm_catalogue_table_matches_the_code() -> None:
    block = re.search(r"<!-- swarm-catalogue:start -->\n(.*?)\n<!-- swarm-catalogue:end -->",
                      README, re.S)
    assert block, "README has no swarm catalogue block"
    out = CliRunner().invoke(cli, ["catalogue", "--of", "swarm", "--format", "markdown"])
    assert block.group(1).strip() == out.output.strip(), \
        "stale: paste `doctor catalogue --of swarm -f markdown`"


def test_every_command_and_option_is_documented() -> None:
    for name, command in _commands(cli):
        assert name in README, name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert f"`{opt}" in README or f" {opt}" in README, f"{name} {opt}"
    for param in cli.params:
        for opt in getattr(param, "opts", []):
            assert opt in README, opt


def test_every_exit_code_is_documented() -> None:
    table = README.split("## Exit codes", 1)[1].split("##", 1)[0]
    for code in ExitCode:
        assert f"| {int(code)} |" in table, code


def test_the_test_command_is_what_ci_runs() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "scripts/test" in README and "bash scripts/test" in ci
