"""Where the shipped workflows and examples are: inside the installed package (a wheel
carries them under ``chidao/_data``) or, in a source checkout, at the top of the tree."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    """``workflows`` or ``examples``: the packaged copy, else the checkout's folder."""
    for candidate in (_PACKAGE / "_data" / kind, _PACKAGE.parents[1] / kind):
        if candidate.is_dir():
            return candidate
    return Path(kind)


def workflow_files() -> dict[str, Path]:
    """The templates ``--workflow NAME`` can find: name → file, the first folder wins."""
    found: dict[str, Path] = {}
    for folder in dict.fromkeys(workflow_dirs()):
        if folder.is_dir():
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                found.setdefault(path.stem, path)
    return found


def workflow_dirs() -> list[Path]:
    """Folders searched for ``--workflow NAME``: $CHIDAO_WORKFLOWS, ./workflows, shipped."""
    dirs = [Path(p) for p in os.environ.get("CHIDAO_WORKFLOWS", "").split(os.pathsep) if p]
    dirs += [Path("workflows"), data_dir("workflows")]
    return dirs
