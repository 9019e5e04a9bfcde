"""The README is the user's manual: it must stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockerdoctor.cli import cli
from dockerdoctor.errors import ExitCode

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("of, block_name", [("inspect", "catalogue"),
                                             ("image", "image-catalogue"),
                                             ("swarm", "swarm-catalogue")])
def test_catalogue_tables_match_the_code(of: str, block_name: str) -> None:
    block = re.search(rf"<!-- {block_name}:start -->\n(.*?)\n<!-- {block_name}:end -->",
                      README, re.S)
    assert block, f"README has no {block_name} block"
    out = CliRunner().invoke(cli, ["catalogue", "--of", of, "--format", "markdown"]).output
    assert block.group(1).strip() == out.strip(), \
        f"stale: paste `doctor catalogue --of {of} -f markdown`"


def _commands(group, prefix="doctor"):
    for name, command in group.commands.items():
        yield f"{prefix} {name}", command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix} {name}")


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
