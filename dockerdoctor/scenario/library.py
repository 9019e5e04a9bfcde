"""Where scenarios live: the library shipped with dockerdoctor, or a folder of your own."""

from __future__ import annotations

import os
from pathlib import Path

from dockerdoctor.scenario.spec import Scenario, ScenarioError, load


def library_root() -> Path:
    """DOCTOR_SCENARIOS, else the checkout's scenarios/, else the installed copy."""
    env = os.environ.get("DOCTOR_SCENARIOS")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent / "scenarios"
    if (checkout / "README.md").is_file():
        return checkout
    return package / "_scenarios"  # the wheel ships scenarios/ here (pyproject.toml)


def names(root: Path | None = None) -> list[str]:
    root = root or library_root()
    if not root.is_dir():
        raise ScenarioError(f"no scenario library at {root} (set DOCTOR_SCENARIOS)")
    return sorted(p.name for p in root.iterdir() if (p / "scenario.toml").is_file())


def find(name: str, root: Path | None = None) -> Scenario:
    root = root or library_root()
    if name not in names(root):
        known = names(root)
        close = [n for n in known if name in n or n in name][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else \
            " (`doctor scenario list` lists them)"
        raise ScenarioError(f"no scenario named {name!r}{hint}")
    return load(root / name)


def load_path(path: str) -> Scenario:
    folder = Path(path)
    if folder.name == "scenario.toml":
        folder = folder.parent
    if not folder.is_dir():
        raise ScenarioError(f"--path {path}: not a folder")
    return load(folder.resolve())


def load_all(root: Path | None = None) -> list[Scenario]:
    root = root or library_root()
    return [load(root / n) for n in names(root)]
