"""Listings: looking never writes, and a list cut short says so.

Every listing command leaves the SQLite file's bytes as they were; a list shown in part has
its total in the title and a line under it saying how many rows are left out and how to
see them; --json gives every row unless --limit says otherwise.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import EXAMPLES
from rich.cells import cell_len

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")


def _task(run, unit: str) -> str:
    return str(json.loads(run("task", "list", "--unit", unit, "--json").output)[0]["id"])


def _lived(run) -> None:
    """46 tasks, two reported, the sweep run, an extension asked for."""
    assert run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien")
    issued = run(
        "directive", "issue", CTXH, "-w", "bao-cao", "--now", "25/03/2024 08:00", "--as", "tung-nt"
    )
    assert issued.exit_code == 0, issued.output
    for unit in ("mn-hoa-ban", "mn-thanh-xuong"):
        fired = run(
            "task", "fire", "report", _task(run, unit), "--as", unit, "--now", "27/03/2024 09:00"
        )
        assert fired.exit_code == 0, fired.output
    asked = run(
        "task",
        "request-extension",
        _task(run, "mn-thanh-luong"),
        "--to",
        "05/04/2024",
        "--now",
        "28/03/2024 09:00",
        "--as",
        "mn-thanh-luong",
    )
    assert asked.exit_code == 0, asked.output
    assert run("sweep", "--now", "03/04/2024 08:00").exit_code == 0


LISTINGS = [
    ("org", "show"),
    ("workflow", "show", "bao-cao"),
    ("directive", "list"),
    ("directive", "show", "1"),
    ("task", "list"),
    ("task", "list", "--state", "overdue", "--limit", "5"),
    ("task", "show", "mn-thanh-luong"),
    ("task", "history", "mn-hoa-ban"),
    ("escalations",),
    ("escalations", "--open", "--limit", "3"),
    ("dashboard", "--now", "20/04/2024 08:00"),
    ("dashboard", "--unit", "mn-hoa-ban", "--now", "20/04/2024 08:00"),
    ("dashboard", "--person", "chinh-tt", "--now", "20/04/2024 08:00"),
    ("chain", "show", "1"),
    ("calendar", "show", "2024"),
    ("calendar", "due", "25/03/2024", "5"),
    ("notify", "--dry-run"),
    ("audit", "verify"),
    ("db", "status"),
    ("whoami",),
]


def _digest(path: Path) -> str:
    """The database file and its write-ahead log, byte for byte."""
    wal = path.with_name(path.name + "-wal")
    return hashlib.sha256(
        path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    ).hexdigest()


@pytest.mark.sqlite_only
def test_listings_leave_the_database_file_as_it_was(run, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CHIDAO_USER", "tung-nt")
    _lived(run)
    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:  # what the writes left in the log, into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(path)
    for args in LISTINGS:
        if args[:2] in (("task", "show"), ("task", "history")):
            args = (*args[:2], _task(run, args[2]))
        for extra in ((), ("--json",)):
            if extra and args[0] in ("notify", "calendar") and "due" not in args:
                extra = ("--json",)
            result = run(*args, *extra)
            assert result.exit_code == 0, (args, extra, result.output)
            assert _digest(path) == before, (args, extra)
    for fmt in ("md", "csv", "json"):
        assert run("report", "1", "--format", fmt, "--now", "20/04/2024 08:00").exit_code == 0
    assert run("report", "1", "-o", str(tmp_path / "r.xlsx")).exit_code == 0
    assert _digest(path) == before


def test_a_list_cut_short_says_how_many_more(run):
    _lived(run)
    shown = run("task", "list", "--limit", "3", "--lang", "vi").output
    assert shown.splitlines()[0].strip() == "Nhiệm vụ (3/46)"
    assert "… và 43 nhiệm vụ khác — thêm --limit 46 để xem hết" in shown
    whole = run("task", "list", "--lang", "vi").output
    assert whole.splitlines()[0].strip() == "Nhiệm vụ (46)" and "để xem hết" not in whole
    escalations = json.loads(run("escalations", "--json").output)
    listed = run("escalations", "--limit", "2", "--lang", "en").output
    assert listed.splitlines()[0].strip() == f"Escalations (2 of {len(escalations)})"
    assert f"… and {len(escalations) - 2} more escalations — --limit {len(escalations)}" in (listed)


def test_dashboard_lists_say_what_they_leave_out_and_json_gives_all(run):
    _lived(run)
    data = json.loads(run("dashboard", "--now", "20/04/2024 08:00", "--json").output)
    late = data["overdue_total"]
    assert late == data["quality"]["open_overdue"] == len(data["overdue"]) == 44
    assert data["limit"] is None
    limited = json.loads(
        run("dashboard", "--now", "20/04/2024 08:00", "--json", "--limit", "4").output
    )
    assert len(limited["overdue"]) == 4 and limited["overdue_total"] == late
    screen = run("dashboard", "--now", "20/04/2024 08:00", "--lang", "vi", "--width", "100")
    assert f"Quá hạn chưa báo cáo (15/{late})" in screen.output
    assert f"… và {late - 15} đơn vị khác — thêm --limit {late} để xem hết" in screen.output
    wide = run("dashboard", "--now", "20/04/2024 08:00", "--limit", "50", "--lang", "vi")
    assert f"Quá hạn chưa báo cáo ({late})" in wide.output and "để xem hết" not in wide.output


def test_a_peek_before_the_sweep_lists_who_is_late(run):
    """Past its due and not swept yet: counted late, and listed as late."""
    assert run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien")
    run("directive", "issue", CTXH, "-w", "bao-cao", "--now", "25/03/2024 08:00", "--as", "tung-nt")
    data = json.loads(run("dashboard", "--now", "03/04/2024 08:00", "--json").output)
    assert data["totals"] == {"received": 46}
    assert data["overdue_total"] == len(data["overdue"]) == 46
    assert {(r["escalation"], r["days_late"]) for r in data["overdue"]} == {(None, 3)}


def _tables(text: str) -> list[list[str]]:
    """The body rows of each table in a listing's output: the lines between the rule under
    the header and the blank line that ends the table."""
    found, body = [], None
    for line in text.splitlines():
        if line.strip().startswith("─"):
            body = []
        elif body is not None:
            if not line.strip():
                found.append(body)
                body = None
            else:
                body.append(line)
    return found


@pytest.mark.parametrize("width", [80, 120])
def test_every_listing_fits_and_keeps_a_row_on_one_line(run, monkeypatch, width):
    _lived(run)
    monkeypatch.setenv("COLUMNS", str(width))
    for lang in ("vi", "en"):
        cases = [
            (("task", "list"), [46]),
            (("task", "list", "--limit", "7"), [7]),
            (("escalations",), [len(json.loads(run("escalations", "--json").output))]),
            (("directive", "list"), [1]),
            (("task", "history", _task(run, "mn-hoa-ban")), [2]),
            (("org", "show"), [5, 46]),
            (
                ("calendar", "show", "2024"),
                [len(json.loads(run("calendar", "show", "2024", "--json").output))],
            ),
            (("workflow", "show", "bao-cao"), [4, 4]),
        ]
        for args, rows in cases:
            shown = run(*args, "--lang", lang).output
            assert max(cell_len(line) for line in shown.splitlines()) <= width, (args, shown)
            assert [len(t) for t in _tables(shown)] == rows, (args, lang, shown)


def test_csv_gives_the_rows_of_every_listing(run):
    _lived(run)
    tasks = run("task", "list", "--csv", "--lang", "vi").output
    table = list(csv.reader(io.StringIO(tasks)))
    assert table[0] == ["ID", "Văn bản", "Đơn vị", "Cấp", "Trạng thái", "Hạn", "Báo cáo lúc"]
    assert len(table) == 47 and table[1][2] == "Trường Mầm non Hoa Ban"  # never cut
    assert table[1][5] == "01/04/2024 00:00"
    english = list(csv.reader(io.StringIO(run("task", "list", "--csv", "--limit", "2").output)))
    assert english[0][:3] == ["ID", "Directive", "Unit"] and len(english) == 3
    org = run("org", "show", "--csv").output.split("\n\n")
    assert len(org) == 2 and org[1].startswith("Code,Name,Levels,Principal\n")
    for args in (
        ("directive", "list"),
        ("task", "history", _task(run, "mn-hoa-ban")),
        ("escalations", "--open"),
        ("calendar", "show", "2024"),
        ("workflow", "show", "bao-cao"),
    ):
        result = run(*args, "--csv")
        assert result.exit_code == 0 and "─" not in result.output, args
        assert list(csv.reader(io.StringIO(result.output))), args
