"""Who may do what, and when: office actions checked on every write command, a live
database that takes the clock, and withdrawing a directive (thu hồi)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pendulum
import pytest
from conftest import EXAMPLES

from chidao import engine, sweeper
from chidao.clock import TZ
from chidao.store import Store

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")
OTHER_OFFICE = str(EXAMPLES / "org-binh-son.yaml")

CTXH_LABEL = "«tổ chức hoạt động kỷ niệm “Ngày…»"  # no number, no date: its subject


def _counts(store: Store) -> dict[str, int]:
    """How many rows each table holds: a refused command must leave them all as they were."""
    with store.read() as conn:
        return {
            table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
            for table in ("offices", "people", "units", "directives", "tasks", "events")
        } | {
            "changed": conn.exec_driver_sql("SELECT count(*) FROM tasks WHERE version > 1").scalar()
        }


@pytest.fixture
def two_offices(issued, dien_bien: Store, tmp_path):
    engine.load_org_file(dien_bien, OTHER_OFFICE, "hai-nv")
    units = tmp_path / "units.csv"
    units.write_text("code,name,levels\nmn-moi,Trường Mầm non Mới,MN\n", encoding="utf-8")
    return dien_bien, units


def _refusals(units: str):
    school = "the unit mn-hoa-ban"
    other = "a person of pgddt-binh-son"
    office_action = "is an action of the office pgddt-dien-bien: only one of its people may take it"
    return [
        (["directive", "issue", CTXH, "-w", "bao-cao", "--again", "--yes"], "mn-hoa-ban", school),
        (["directive", "issue", CTXH, "-w", "bao-cao", "--again", "--yes"], "nobody", "nobody is"),
        (["directive", "issue", CTXH, "-w", "bao-cao", "--again", "--yes"], "hai-nv", other),
        (["directive", "issue", CTXH, "-w", "bao-cao", "--again", "--yes"], None, "who is acting"),
        (["directive", "issue", CTXH, "-w", "bao-cao", "--again"], "system", "sweep's own name"),
        (["org", "load", str(EXAMPLES / "org-dien-bien.yaml")], "mn-hoa-ban", school),
        (["org", "load", str(EXAMPLES / "org-dien-bien.yaml")], "hai-nv", other),
        (["units", "import", units, "--office", "pgddt-dien-bien"], "hai-nv", office_action),
        (["directive", "extend", "1", "--to", "20/04/2024"], "mn-hoa-ban", office_action),
        (["directive", "withdraw", "1"], "hai-nv", office_action),
        (["directive", "withdraw", "1"], "mn-hoa-ban", school),
        (["task", "extend", "1", "--to", "20/04/2024"], "hai-nv", office_action),
        (["task", "grant", "1"], "mn-hoa-ban", school),
        (["task", "refuse", "1"], "hai-nv", office_action),
        (["task", "fire", "report", "1"], "hai-nv", "works for pgddt-binh-son"),
        (["task", "fire", "report", "1"], "th-thanh-an", "may act only on its own tasks"),
        (["task", "fire", "mark_overdue", "1"], "system", "sweep's own name"),
        (
            ["task", "request-extension", "1", "--to", "10/04/2024"],
            "hai-nv",
            "only its unit mn-hoa-ban may ask",
        ),
    ]


def test_every_write_command_checks_its_actor(two_offices, run):
    store, units = two_offices
    before = _counts(store)
    for args, actor, expected in _refusals(str(units)):
        who = ["--as", actor] if actor else []
        result = run(*args, *who, "--now", "28/03/2024 08:00")
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1, (args, actor, result.output)
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, actor, result.output)
        assert expected in lines[0], (args, actor, lines[0])
        assert _counts(store) == before, (args, actor)
    # the same commands by a person of the office go through
    ok = run(
        "directive", "extend", "1", "--to", "20/04/2024", "--as", "tung-nt", "--now", "28/03/2024"
    )
    assert ok.exit_code == 0, ok.output


def test_a_person_id_cannot_be_a_unit_code(dien_bien, run, tmp_path):
    text = (EXAMPLES / "org-dien-bien.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "org.yaml"
    bad.write_text(
        text.replace("id: tung-nt", "id: mn-hoa-ban").replace(
            "reports_to: tung-nt", "reports_to: mn-hoa-ban"
        ),
        encoding="utf-8",
    )
    result = run("org", "load", str(bad), "--as", "tp-dien-bien")
    assert result.exit_code == 1
    assert "'mn-hoa-ban' is both a person's id and a unit's code" in result.output


def test_the_first_load_of_an_office_is_by_one_of_its_people(run):
    org = str(EXAMPLES / "org-dien-bien.yaml")
    stranger = run("org", "load", org, "--as", "someone")
    assert stranger.exit_code == 1
    assert "someone is not a person or unit of any loaded org file" in stranger.output
    assert run("org", "load", org, "--as", "tung-nt").exit_code == 0  # listed in the file
    school = str(EXAMPLES / "org-so-dien-bien.yaml")
    assert run("org", "load", school, "--as", "tung-nt").exit_code == 1  # not the Sở's


# ------------------------------------------------------------------------ live database


@pytest.fixture
def live(db_url, monkeypatch):
    monkeypatch.delenv("CHIDAO_SIMULATION")
    store = Store.open(db_url)
    assert not store.simulation
    engine.load_org_file(store, EXAMPLES / "org-dien-bien.yaml", "tp-dien-bien")
    return store


def test_a_live_database_takes_the_clock_for_writes(live, run, monkeypatch):
    status = json.loads(run("db", "status", "--json").output)
    assert status["mode"] == "live"
    refused = run("directive", "issue", CTXH, "-w", "bao-cao", "--as", "tung-nt", "--now", "25/03")
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: --now: ") and "is a live database" in refused.output
    before = pendulum.now(TZ)
    assert run("directive", "issue", CTXH, "-w", "bao-cao", "--as", "tung-nt").exit_code == 0
    task = engine.task_views(live)[0]
    for args in (
        ["task", "fire", "start", str(task.id), "--as", task.unit],
        ["sweep"],
        ["dashboard", "--sweep"],
        ["directive", "withdraw", "1", "--as", "tung-nt"],
        ["task", "extend", str(task.id), "--to", "30/12/2099", "--as", "tung-nt"],
    ):
        result = run(*args, "--now", "31/12/2099")
        assert result.exit_code == 1 and "is a live database" in result.output, args
    monkeypatch.setenv("CHIDAO_NOW", "31/12/2099")
    result = run("task", "fire", "start", str(task.id), "--as", task.unit)
    assert result.output.startswith("Error: CHIDAO_NOW: ")
    monkeypatch.delenv("CHIDAO_NOW")
    # reads may look at any moment; writes are dated by the clock
    assert run("dashboard", "--now", "31/12/2099", "--json").exit_code == 0
    assert run("task", "fire", "start", str(task.id), "--as", task.unit).exit_code == 0
    event = engine.task_detail(live, task.id)[3][-1]
    assert before <= event.at <= pendulum.now(TZ).add(seconds=5)


def test_db_init_records_the_mode_for_good(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("CHIDAO_SIMULATION")
    path = tmp_path / "tap-huan.db"

    def chidao(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "chidao", *args, "--db", str(path)],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
        )

    made = chidao("db", "init", "--simulation")
    assert made.returncode == 0 and made.stdout == f"{path}: new simulation database\n"
    again = chidao("db", "init")
    assert again.returncode == 1
    assert again.stderr == f"Error: {path} is already a chidao database (simulation)\n"
    assert "mode:     simulation" in chidao("db", "status").stdout
    loaded = chidao("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien")
    assert loaded.returncode == 0, loaded.stderr
    issued = chidao(
        "directive", "issue", CTXH, "-w", "bao-cao", "--as", "tung-nt", "--now", "25/03"
    )
    assert issued.returncode == 0, issued.stderr  # a simulation takes --now without the env


# ------------------------------------------------------------------------------ withdraw


def test_withdrawing_takes_a_directive_out_of_tracking(issued, dien_bien, run):
    sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 3, 8, tz=TZ))
    with dien_bien.read() as conn:
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
    done = run(
        "directive",
        "withdraw",
        "1",
        "--note",
        "Thay bằng CV khác",
        "--as",
        "tung-nt",
        "--now",
        "04/04/2024 08:00",
    )
    assert done.exit_code == 0, done.output
    assert done.output == f"{CTXH_LABEL}: withdrawn; {issued.tasks} task(s) are no longer tracked\n"
    history = json.loads(run("task", "history", "1", "--json").output)
    assert history[-1]["trigger"] == "withdraw" and history[-1]["note"] == "Thay bằng CV khác"
    with dien_bien.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar() == events + issued.tasks
        open_escalations = conn.exec_driver_sql(
            "SELECT count(*) FROM escalations WHERE resolved_at IS NULL"
        ).scalar()
    assert open_escalations == 0
    later = sweeper.sweep(dien_bien, pendulum.datetime(2024, 5, 30, 8, tz=TZ))
    assert later.overdue == 0 and not later.escalations
    board = json.loads(run("dashboard", "--now", "30/05/2024", "--json").output)
    assert board["totals"] == {}
    fired = run("task", "fire", "report", "1", "--as", engine.task_views(dien_bien)[0].unit)
    assert fired.exit_code == 1 and "its directive was withdrawn (thu hồi) on 04/04/2024" in (
        fired.output
    )
    again = run("directive", "withdraw", "1", "--as", "tung-nt", "--now", "05/04/2024")
    assert (
        again.output
        == f"Error: directive {CTXH_LABEL} was already withdrawn on 04/04/2024 08:00 by tung-nt\n"
    )
    assert "Đã thu hồi 04/04/2024" in run("directive", "list", "--lang", "vi").output
    assert run("audit", "verify").exit_code == 0
