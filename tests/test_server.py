"""A shared database: busy writers, conflicting transactions, and the two PostgreSQL roles."""

from __future__ import annotations

import contextlib
import json
import threading
import time

import pytest
from conftest import EXAMPLES
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from chidao import engine
from chidao.store import Store

ORG = str(EXAMPLES / "org-dien-bien.yaml")


@contextlib.contextmanager
def holding_the_write_lock(db_url: str, backend: str):
    """Another writer in the middle of a long transaction over the org tables."""
    blocker = Store.open(db_url)
    with blocker.write() as conn:  # SQLite: BEGIN IMMEDIATE holds the database's write lock
        if backend == "postgresql":
            conn.execute(text("LOCK TABLE offices IN ACCESS EXCLUSIVE MODE"))
        yield
    blocker.close()


def test_a_busy_database_is_one_line_and_nothing_written(run, db_url, backend, monkeypatch):
    monkeypatch.setenv("CHIDAO_BUSY_SECONDS", "1")
    run("org", "show")  # the schema exists before the other writer takes its lock
    started = time.monotonic()
    with holding_the_write_lock(db_url, backend):
        result = run("org", "load", ORG, "--as", "tp-dien-bien")
    assert 0.9 < time.monotonic() - started < 8
    assert result.exit_code == 1
    label = Store.open(db_url).label
    assert result.output == (
        f"Error: {label} is busy (another chidao is writing to it); nothing was changed: "
        "try again in a moment\n"
    )
    assert json.loads(run("org", "show", "--json").output) == []


def test_a_writer_waits_for_a_short_lock(run, db_url, backend, monkeypatch):
    monkeypatch.setenv("CHIDAO_BUSY_SECONDS", "5")
    run("org", "show")
    released = threading.Event()

    def hold() -> None:
        with holding_the_write_lock(db_url, backend):
            ready.set()
            time.sleep(0.5)
        released.set()

    ready = threading.Event()
    holder = threading.Thread(target=hold)
    holder.start()
    ready.wait(10)
    result = run("org", "load", ORG, "--as", "tp-dien-bien")
    holder.join()
    assert released.is_set() and result.exit_code == 0, result.output
    assert len(json.loads(run("org", "show", "--json").output)) == 1


def test_transact_runs_a_deadlocked_body_again(store, backend):
    """Two transactions lock two rows in opposite orders: the server kills one as a
    deadlock, ``Store.transact`` runs it again from the start, and both get through."""
    if backend == "sqlite":
        pytest.skip("SQLite writers queue at BEGIN IMMEDIATE: they cannot deadlock")
    engine.load_org_file(store, ORG, "tp-dien-bien")
    with store.read() as conn:
        first, second = conn.execute(text("SELECT id FROM people ORDER BY id LIMIT 2")).scalars()
    both_locked_one = threading.Barrier(2, timeout=5)
    attempts: list[str] = []

    def work(order: tuple[str, str], name: str):
        def body(conn: Connection) -> str:
            attempts.append(name)
            conn.execute(
                text("UPDATE people SET phone = :n WHERE id = :i"), {"n": name, "i": order[0]}
            )
            if attempts.count(name) == 1:  # the first time, wait until both hold a row
                both_locked_one.wait()
            conn.execute(
                text("UPDATE people SET phone = :n WHERE id = :i"), {"n": name, "i": order[1]}
            )
            return name

        return body

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda o=o, n=n: results.append(store.transact(work(o, n))))
        for o, n in (((first, second), "a"), ((second, first), "b"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["a", "b"]
    assert len(attempts) == 3  # one of them ran twice


# ---------------------------------------------------------------------- the two roles


@pytest.fixture
def roles(pg_server):
    """A database owned by chidao_owner; chidao_app granted by ``chidao db grant``."""
    with pg_server.admin() as conn:
        for role in ("chidao_owner", "chidao_app"):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {role} LOGIN")
    name = pg_server.new_database()
    with pg_server.admin() as conn:
        conn.execute(f"ALTER DATABASE {name} OWNER TO chidao_owner")
    yield pg_server.url(name, "chidao_owner"), pg_server.url(name, "chidao_app")
    pg_server.drop_database(name)


def test_the_app_role_cannot_rewrite_history(roles, monkeypatch):
    from click.testing import CliRunner

    from chidao.cli import cli

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    owner, app = roles
    monkeypatch.setenv("CHIDAO_DB", app)
    monkeypatch.setenv("CHIDAO_DB_OWNER", owner)
    refused = run("org", "show")  # the app role may not create tables
    assert refused.exit_code == 1 and "permission denied" in refused.output
    assert run("db", "upgrade").exit_code == 0
    granted = run("db", "grant", "chidao_app")
    assert granted.output.startswith("chidao_app may now use"), granted.output
    assert run("org", "load", ORG, "--as", "tp-dien-bien").exit_code == 0
    issue = run(
        "directive",
        "issue",
        str(EXAMPLES / "directives" / "ctxh-2024.yaml"),
        "-w",
        "bao-cao",
        "--now",
        "25/03/2024 08:00",
        "--as",
        "tung-nt",
    )
    assert issue.exit_code == 0, issue.output
    assert (
        run("task", "fire", "start", "1", "--as", "mn-hoa-ban", "--now", "26/03/2024").exit_code
        == 0
    )
    assert run("sweep", "--now", "06/04/2024 08:00").exit_code == 0
    assert run("dashboard", "--now", "06/04/2024 08:00", "--no-sweep").exit_code == 0
    as_app = Store.open(app)
    for statement in (
        "UPDATE events SET note = 'sửa'",
        "DELETE FROM events",
        "TRUNCATE events",
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
        "DROP TRIGGER events_append_only ON events",
        "ALTER TABLE events OWNER TO chidao_app",
    ):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            with as_app.engine.begin() as conn:
                conn.execute(text(statement))
    with as_app.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 47
    as_owner = Store.open(owner)  # even the owner cannot edit events: the trigger refuses
    with pytest.raises(DBAPIError, match="append-only"), as_owner.engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
