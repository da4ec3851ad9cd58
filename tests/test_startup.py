"""Commands that need no database start without SQLAlchemy and without the engine.

Each command runs in a fresh interpreter through click's entry point, then reports which
heavy modules ended up in ``sys.modules``. No timings here: ``benchmarks/cli.py`` measures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chidao.cli import base, deadlines, screens

ROOT = Path(__file__).resolve().parent.parent
TEXT = ROOT / "tests" / "fixtures" / "directives" / "dev01-so-gddt-thuong-khan.txt"
HEAVY = ("sqlalchemy", "chidao.engine", "chidao.store", "holidays", "smtplib")
PROBE = """
import json, sys
from chidao.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="chidao")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "heavy": [m for m in HEAVY if m in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["calendar", "due", "24/01/2025", "5"],
        ["calendar", "show", "2025"],
        ["calendar", "--help"],
        ["workflow", "list"],
        ["workflow", "validate", str(ROOT / "workflows" / "bao-cao.yaml")],
        ["workflow", "show", "bao-cao"],
        ["directive", "parse", str(TEXT)],
    ],
    ids=[
        "help",
        "calendar-due",
        "calendar-show",
        "calendar-help",
        "workflow-list",
        "workflow-validate",
        "workflow-show",
        "directive-parse",
    ],
)
def test_commands_without_a_database_import_no_sqlalchemy(args: list[str], tmp_path: Path) -> None:
    env = {"CHIDAO_DB": str(tmp_path / "none.db"), "PATH": "", "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}, run.stderr


def test_the_light_copies_agree_with_their_sources() -> None:
    from chidao import notify, report
    from chidao.store import database

    assert base.DEFAULT_URL == database.DEFAULT_URL
    assert screens.REPORT_FORMATS == report.FORMATS
    assert deadlines.CHANNELS == notify.CHANNELS
