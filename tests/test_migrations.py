"""Schema revisions: old databases upgrade with their data, commands refuse stale ones,
the revisions give exactly ``schema.py``, and eight processes can create a database at once.

``fixtures/databases/schema-*.db`` were made by the earlier commits' own command lines
(``fixtures/databases/make.py``): schema 1 (91ff2c6), schema 2 without ``tasks.rung``
(c66aeca) and the current schema 2 (eaf1b09), each before migrations existed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import EXAMPLES

from chidao.errors import DatabaseError
from chidao.store import Store, migrate, schema

OLD = Path(__file__).parent / "fixtures" / "databases"
SWEPT = "08/04/2024 07:00"  # the old code's last sweep
HEAD = migrate.head()


def _numbers(store: Store) -> dict[str, object]:
    """What the old database says, read with plain SQL that every schema understands."""
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT state, count(*) FROM tasks GROUP BY state").all()
        states = {state: count for state, count in rows}
        reported = conn.exec_driver_sql(
            "SELECT reported_at > due_at FROM tasks WHERE reported_at IS NOT NULL"
        ).all()
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
    late = sum(1 for (is_late,) in reported if is_late)
    return {"totals": states, "late": late, "on_time": len(reported) - late, "events": events}


@pytest.mark.parametrize(
    "name, revision",
    [("schema-1", "0001"), ("schema-2-without-rung", "0002"), ("schema-2", "0004")],
)
def test_an_old_database_upgrades_and_keeps_its_numbers(name, revision, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from chidao.cli import cli

    path = tmp_path / f"{name}.db"
    shutil.copy(OLD / f"{name}.db", path)
    monkeypatch.setenv("CHIDAO_DB", str(path))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    old = Store.open(str(path), require_head=False)
    before = _numbers(old)
    old.close()
    assert json.loads(run("db", "status", "--json").output)["current"] == revision
    if revision != HEAD:
        untouched = path.read_bytes()
        refused = run("task", "list")
        assert refused.exit_code == 1
        assert refused.output == (
            f"Error: {path} is at schema {revision}, this chidao needs {HEAD}: "
            "run 'chidao db upgrade'\n"
        )
        assert path.read_bytes() == untouched
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    status = json.loads(run("db", "status", "--json").output)
    assert status["current"] == HEAD and status["stamped"] and not status["needs_upgrade"]
    store = Store.open(str(path))
    assert _numbers(store)["events"] == before["events"]  # the history came along
    verified = json.loads(run("audit", "verify", "--json").output)  # sealed at the upgrade
    assert verified["intact"] and verified["events"] == before["events"]
    swept = json.loads(run("sweep", "--now", SWEPT, "--json").output)
    assert swept["overdue"] == 0  # the old sweep had already moved every late task
    board = json.loads(run("dashboard", "--now", SWEPT, "--json").output)
    assert board["totals"] == before["totals"]
    assert (board["quality"]["late"], board["quality"]["on_time"]) == (
        before["late"],
        before["on_time"],
    )
    assert board["quality"]["open_overdue"] == before["totals"]["overdue"]
    screen = run("dashboard", "--now", SWEPT, "--no-sweep", "--lang", "vi").output
    assert re.search(rf"Quá hạn chưa báo cáo \((15/)?{before['totals']['overdue']}\)", screen)
    overdue = json.loads(run("task", "list", "--state", "overdue", "--json").output)[0]
    fired = run("task", "fire", "report", str(overdue["id"]), "--as", overdue["unit"])
    assert fired.exit_code == 0, fired.output
    assert run("audit", "verify").output.startswith(f"intact: {before['events'] + 1} event(s)")
    assert run("db", "upgrade").output == f"{path}: already at schema {HEAD}\n"


def test_the_revisions_make_exactly_the_declared_schema(db_url):
    """Upgrading an empty database through every revision gives what schema.py declares
    (what new databases are made from): a new revision must match schema.py and back."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        migrate.upgrade(conn, migrate.Status(None, HEAD, stamped=False))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    engine.dispose()
    assert [d for d in diff if d[0] != "remove_table" or d[1].name != "alembic_version"] == []
    store = Store.open(db_url)
    assert store.status().as_dict()["current"] == HEAD


def test_revision_files_are_one_line_of_history():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "chidao:migrations")
    script = ScriptDirectory.from_config(config)
    chain = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert chain == migrate.revisions() and script.get_heads() == [HEAD]


def test_schema_1_on_each_backend_upgrades_with_its_data(db_url, run):
    """The schema-1 database's rows, loaded into tables made by revision 0001 on this
    backend, upgrade to the head and give the same numbers."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        migrate.upgrade(conn, migrate.Status(None, HEAD, stamped=False), target="0001")
        _copy_rows(OLD / "schema-1.db", conn)
        migrate.alembic_version.drop(conn)  # as if made before migrations
        conn.execute(
            sa.update(schema.meta).values(value="1").where(schema.meta.c.key == "schema_version")
        )
    engine.dispose()
    with pytest.raises(DatabaseError, match=f"is at schema 0001, this chidao needs {HEAD}"):
        Store.open(db_url)
    old = Store.open(db_url, require_head=False)
    before = _numbers(old)
    old.close()
    assert run("db", "upgrade").output.endswith(f"upgraded from schema 0001 to {HEAD}\n")
    assert json.loads(run("sweep", "--now", SWEPT, "--json").output)["overdue"] == 0
    data = json.loads(run("dashboard", "--now", SWEPT, "--json").output)
    assert data["totals"] == before["totals"] and before["totals"]["reported"] == 10
    assert (data["quality"]["late"], data["quality"]["on_time"]) == (
        before["late"],
        before["on_time"],
    )


def _copy_rows(source: Path, conn: sa.Connection) -> None:
    """Every row of an SQLite file into the same tables on ``conn`` (ids kept)."""
    old = sa.create_engine(f"sqlite:///{source}")
    tables = sa.MetaData()
    tables.reflect(conn)
    with old.connect() as reading:
        for table in tables.sorted_tables:
            if table.name in ("chidao_meta", "alembic_version"):
                continue
            rows = [
                dict(r)
                for r in reading.execute(
                    sa.select(sa.table(table.name, *[sa.column(c.name) for c in table.columns]))
                ).mappings()
            ]
            for row in rows:
                for column in table.columns:
                    if isinstance(column.type, sa.Boolean) and row[column.name] is not None:
                        row[column.name] = bool(row[column.name])
                    if isinstance(column.type, sa.JSON) and isinstance(row[column.name], str):
                        row[column.name] = json.loads(row[column.name])
            if rows:
                conn.execute(table.insert(), rows)
            if conn.dialect.name == "postgresql" and rows and isinstance(rows[0].get("id"), int):
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :top)"),
                    {"top": max(r["id"] for r in rows)},
                )
    old.dispose()


def test_a_stale_or_newer_database_is_refused_untouched(store, db_url):
    for revision, message in (
        ("0002", f"is at schema 0002, this chidao needs {HEAD}: run 'chidao db upgrade'"),
        ("9999", f"is at schema 9999, newer than this chidao \\({HEAD}\\); it was left untouched"),
    ):
        with store.engine.begin() as conn:
            conn.execute(sa.update(migrate.alembic_version).values(version_num=revision))
        with pytest.raises(DatabaseError, match=message):
            Store.open(db_url)
        assert store.status().current == revision


def test_eight_processes_create_a_new_database_at_once(db_url):
    env = {**os.environ, "CHIDAO_DB": db_url, "PYTHONIOENCODING": "utf-8"}
    org = str(EXAMPLES / "org-dien-bien.yaml")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "chidao", "org", "load", org, "--as", "tp-dien-bien"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outputs
    assert not any("Traceback" in err for _out, err in outputs)
    store = Store.open(db_url)
    assert store.status().current == HEAD
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.meta)).scalar() == 3


def test_status_of_a_missing_or_empty_database_creates_nothing(run, tmp_path, backend):
    missing = tmp_path / "none.db"
    result = run("db", "status", "--db", str(missing))
    assert (result.exit_code, result.output) == (1, f"Error: {missing}: no such database file\n")
    assert not missing.exists()
    empty = run("db", "status")  # SQLite: no file yet; PostgreSQL: an empty database
    said = "no such database file" if backend == "sqlite" else "holds no chidao data yet"
    assert empty.exit_code == 1 and empty.output.endswith(f"{said}\n")
    if backend == "sqlite":  # a file that is not there is a typo, not a database to upgrade
        refused = run("db", "upgrade")
        assert refused.exit_code == 1 and "no such database file" in refused.output
        assert run("db", "init").exit_code == 0
    created = run("db", "upgrade")
    assert created.exit_code == 0 and f"already at schema {HEAD}" in created.output
    assert "up to date" in run("db", "status").output
