"""The README's text captures of the main screens are what chidao shows today.

They are the demo's kept database at its last moment, rendered by the real CLI at 80 and 120
columns in Vietnamese. When a screen changes on purpose, write them again:

    CHIDAO_UPDATE_README=1 .venv/bin/python -m pytest -q tests/test_readme_screens.py
"""

from __future__ import annotations

import os
import re

import pytest
from conftest import ROOT

README = ROOT / "README.md"
AT = "10/05/2024 17:00"
SCREENS = [
    ("dashboard", 80, ("dashboard", "--now", AT)),
    ("dashboard", 120, ("dashboard", "--now", AT)),
    ("task list", 80, ("task", "list", "--state", "Quá hạn")),
    ("escalations", 120, ("escalations", "--open", "--limit", "6")),
    ("principal", 80, ("dashboard", "--unit", "th-thanh-luong", "--now", AT)),
]
BLOCK = re.compile(r"<!-- screen: (?P<name>[^>]+) -->\n```text\n(?P<text>.*?)```\n", re.DOTALL)


def _name(title: str, width: int) -> str:
    return f"chidao {title} at {width} columns"


@pytest.mark.sqlite_only  # the demo is a SQLite file
def test_readme_screens_are_current(run, tmp_path, monkeypatch):
    kept = tmp_path / "demo.db"
    assert run("demo", "--keep", str(kept)).exit_code == 0
    monkeypatch.setenv("CHIDAO_LANG", "vi")
    shown = {}
    for title, width, args in SCREENS:
        monkeypatch.setenv("COLUMNS", str(width))
        result = run(*args, "--db", str(kept))
        assert result.exit_code == 0, result.output
        lines = [line.rstrip() for line in result.output.splitlines()]
        shown[_name(title, width)] = "\n".join(lines).rstrip("\n")
    text = README.read_text(encoding="utf-8")
    if os.environ.get("CHIDAO_UPDATE_README"):
        text = BLOCK.sub(
            lambda m: f"<!-- screen: {m['name']} -->\n```text\n{shown[m['name']]}\n```\n", text
        )
        README.write_text(text, encoding="utf-8")
    found = {m["name"]: m["text"].rstrip("\n") for m in BLOCK.finditer(text)}
    assert found == shown
