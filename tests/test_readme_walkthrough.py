"""The README's walk-through, run as it is written: a shell sets the simulated day once
(``export CHIDAO_NOW``) and every command after it sees that day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

README = ROOT / "README.md"
DAY = "27/03/2024 08:00"


def _walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("export CHIDAO_SIMULATION=1")
    return text[start : text.index("```", start)]


def _shell(script: str, db_url: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "CHIDAO_DB": db_url,
        "CHIDAO_LANG": lang,
        "COLUMNS": "100",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def test_the_walkthrough_sets_the_day_once():
    block = _walkthrough()
    assert f'export CHIDAO_NOW="{DAY}"' in block
    assert "--now" not in block


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_walkthrough_runs_in_one_simulated_day(db_url, lang):
    block = _walkthrough()
    done = _shell(block, db_url, lang)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    weekday = "Thứ Tư" if lang == "vi" else "Wednesday"
    assert f"{weekday}, {DAY}" in done.stdout  # the dashboard, as of the exported day
    # every command after the export saw the same day: the events are all dated by it
    history = _shell(block.split("\nchidao", 1)[0] + "\nchidao task history 1 --json", db_url, lang)
    assert history.returncode == 0, history.stderr
    events = json.loads(history.stdout)
    assert [e["trigger"] for e in events] == ["start", "report"]
    assert {e["at"] for e in events} == {"2024-03-27T08:00:00+07:00"}
    # the refusal the README shows right after the block is what chidao says, word for word
    again = _shell(
        block.split("\nchidao", 1)[0] + "\nchidao task fire start 1 --as mn-hoa-ban", db_url, lang
    )
    assert again.returncode == 1
    shown = README.read_text(encoding="utf-8").split("allowed triggers named", 1)[1]
    refusals = shown.split("```")[1].strip().splitlines()
    assert again.stderr.strip() == refusals[0 if lang == "vi" else 1]
