"""Opening a chidao database and running one transaction per command.

SQLite is the embedded default (WAL, foreign keys, a busy timeout; write transactions
take the lock up front with ``BEGIN IMMEDIATE`` so two writers queue instead of failing
half-way). The schema is created on first use; a file that is not a chidao database is
refused rather than written to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import DatabaseError as SADatabaseError

from chidao.errors import DatabaseBusy, DatabaseError
from chidao.store import audit, migrate, roles, schema

DEFAULT_URL = "sqlite:///chidao.db"
BUSY_SECONDS = 10.0  # how long a write waits for a busy database, in all (CHIDAO_BUSY_SECONDS)
BUSY_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock timeout
T = TypeVar("T")


def _is_busy(error: BaseException) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    return getattr(error, "sqlstate", None) in BUSY_SQLSTATES


def _backoff() -> Iterator[float]:
    """Pauses between attempts: 20 ms doubling to 0.5 s, jittered so writers spread out."""
    pause = 0.02
    while True:
        yield pause * random.uniform(0.5, 1.5)
        pause = min(pause * 2, 0.5)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 1000")  # per attempt: Store.write retries
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # 64 MiB of page cache (taken only as pages are read; SQLite's default is 2 MB):
        # a sweep batch at 1M tasks touches index pages all over the file
        cursor.execute("PRAGMA cache_size = -65536")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
        dbapi_connection.create_function(
            "chidao_sha256", 1, audit.sqlite_sha256, deterministic=True
        )

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = "DEFERRED" if conn.get_execution_options().get("readonly") else "IMMEDIATE"
        conn.connection.dbapi_connection.execute(
            f"BEGIN {mode}"
        )  # straight to the driver: hot path


def dialect_insert(conn: Connection, table):
    """An INSERT that knows ON CONFLICT, for the database at hand (SQLite or PostgreSQL).
    The dialect's module is imported here: an SQLite command never loads PostgreSQL's
    (with its psycopg and asyncpg modules, ~40 ms)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


class Store:
    """A chidao database, reached through one SQLAlchemy engine."""

    def __init__(self, engine: Engine, label: str) -> None:
        self.engine = engine
        self.label = label
        self.workflows: dict[int, Any] = {}  # template id → Workflow (snapshots are immutable)
        # live: writes take the clock; a simulation (demo, tests) takes --now on writes too
        self.simulation = False
        self.busy_seconds = float(os.environ.get("CHIDAO_BUSY_SECONDS") or BUSY_SECONDS)
        # One connection kept checked out between write transactions: a sequence of fires
        # from one program pays the pool's checkout and reset-on-return once, not per fire.
        self._idle: Connection | None = None
        self._idle_lock = threading.Lock()

    @staticmethod
    def missing_file(url: str) -> bool:
        """True when ``url`` names an SQLite file that does not exist (yet)."""
        if "://" not in url:
            url = f"sqlite:///{url}"
        try:
            parsed = make_url(url)
        except ArgumentError:
            return False
        return (
            parsed.drivername.startswith("sqlite")
            and parsed.database not in (None, "", ":memory:")
            and not Path(parsed.database).expanduser().exists()
        )

    @classmethod
    def open(
        cls,
        url: str | None = None,
        create: bool = True,
        require_head: bool = True,
        simulation: bool | None = None,
    ) -> Store:
        """Open (and create, if empty and ``create``) the database at ``url``.

        A database at an older schema revision is refused unless ``require_head`` is
        False (``chidao db status`` and ``chidao db upgrade`` open it that way). A new
        database is a simulation when ``simulation`` says so, else when
        ``CHIDAO_SIMULATION=1`` is set; otherwise it is live (see :attr:`simulation`).
        """
        url = url or DEFAULT_URL
        if "://" not in url:
            url = f"sqlite:///{url}"
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise DatabaseError(f"--db: cannot read database address {url!r}") from exc
        label = (
            parsed.database or url
            if parsed.drivername.startswith("sqlite")
            else (parsed.render_as_string(hide_password=True))
        )
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise DatabaseError(f"{parsed.database}: folder {folder} does not exist")
        options: dict[str, Any] = {}
        if parsed.drivername.startswith("postgresql"):
            # a lock held longer than a write may wait fails as busy instead of hanging
            wait_ms = int(1000 * float(os.environ.get("CHIDAO_BUSY_SECONDS") or BUSY_SECONDS))
            options["connect_args"] = {"options": f"-c lock_timeout={wait_ms}"}
        try:
            engine = create_engine(parsed, **options)
        except Exception as exc:  # a missing driver or a malformed URL: say which
            raise DatabaseError(f"--db: cannot open {label}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        store = cls(engine, str(label))
        if simulation is None:
            simulation = os.environ.get("CHIDAO_SIMULATION", "") not in ("", "0")
        store._ensure_schema(create, require_head, simulation)
        return store

    def _ensure_schema(self, create: bool, require_head: bool, simulation: bool) -> None:
        try:
            with self.read() as conn:
                names = set(inspect(conn).get_table_names())
                status = migrate.revision_of(conn, names)
                self.simulation = migrate.mode_of(conn, names) == "simulation"
        except DatabaseError as exc:
            raise DatabaseError(
                f"{self.label} is not a chidao database (not an SQLite database file)"
                if self.engine.dialect.name == "sqlite"
                else f"cannot use {self.label}: {exc.message.removeprefix(self.label + ': ')}"
            ) from exc
        if names and schema.meta.name not in names:
            shown = ", ".join(sorted(names)[:4])
            raise DatabaseError(
                f"{self.label} is not a chidao database (it holds other tables: {shown})"
            )
        if status.current is None:
            if not create:
                raise DatabaseError(f"{self.label} holds no chidao data yet")
            self.simulation = self._create(simulation)
            return
        if status.newer:
            raise DatabaseError(
                f"{self.label} is at schema {status.current}, newer than this chidao "
                f"({status.head}); it was left untouched: use a newer chidao"
            )
        if require_head and status.needs_upgrade:
            raise DatabaseError(
                f"{self.label} is at schema {status.current}, this chidao needs "
                f"{status.head}: run 'chidao db upgrade'"
            )

    def _create(self, simulation: bool) -> bool:
        """Create the schema; safe when several processes open a new database at once.
        Whether it is a simulation (another process may have made it first)."""
        with self.write() as conn:
            migrate.lock(conn)  # SQLite: BEGIN IMMEDIATE already holds the write lock
            names = set(inspect(conn).get_table_names())
            if schema.meta.name not in names:  # else another process made it meanwhile
                migrate.create(conn, simulation)
                return simulation
            return migrate.mode_of(conn, names) == "simulation"

    def server_now(self) -> dt.datetime | None:
        """The database server's clock (PostgreSQL), None for an SQLite file."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.read() as conn:
            return conn.exec_driver_sql("SELECT now()").scalar()

    def login_and_clock(self) -> tuple[str | None, dt.datetime | None]:
        """PostgreSQL: the chidao login this connection acts as (None for the owner and the
        app roles, see ``identity.login_actor``) and the server's clock, in one round trip;
        (None, None) on an SQLite file."""
        if self.engine.dialect.name != "postgresql":
            return None, None
        with self.read() as conn:
            row = conn.exec_driver_sql(
                "SELECT (SELECT role FROM logins WHERE role = current_user), now()"
            ).one()
        return row[0], row[1]

    def grant(self, role: str) -> None:
        """Grant the PostgreSQL app role ``role`` what chidao needs (see ``store.roles``)."""
        with self.write() as conn:
            roles.grant(conn, role)

    def status(self) -> migrate.Status:
        with self.read() as conn:
            return migrate.revision_of(conn, set(inspect(conn).get_table_names()))

    def upgrade(self) -> tuple[migrate.Status, migrate.Status]:
        """Bring the database to this chidao's schema with its data, in one transaction.

        Returns where it stood before and after. On SQLite the foreign keys are off while
        tables are rebuilt (then checked), as ALTER TABLE there copies a table.
        """
        sqlite_db = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as outer:
            raw: Any = outer.connection.dbapi_connection
            if sqlite_db:
                raw.execute("PRAGMA foreign_keys = OFF")
            try:
                with self._transaction(outer) as conn:
                    migrate.lock(conn)
                    before = migrate.revision_of(conn, set(inspect(conn).get_table_names()))
                    if before.current is None:
                        raise DatabaseError(f"{self.label} holds no chidao data yet")
                    if before.newer:
                        raise DatabaseError(
                            f"{self.label} is at schema {before.current}, newer than this "
                            f"chidao ({before.head}); it was left untouched"
                        )
                    if before.needs_upgrade or not before.stamped:
                        migrate.upgrade(conn, before)
                    if sqlite_db and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise DatabaseError(f"{self.label}: the upgrade broke a foreign key")
                    if conn.dialect.name == "postgresql":
                        for role in roles.granted(conn):
                            roles.grant(conn, role)
                    after = migrate.revision_of(conn, set(inspect(conn).get_table_names()))
            finally:
                if sqlite_db:
                    raw.execute("PRAGMA foreign_keys = ON")
        return before, after

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: everything inside commits together or not at all.

        On SQLite the write lock is taken at BEGIN (IMMEDIATE): while another process
        holds it, BEGIN is tried again with backoff for up to ``busy_seconds``, then
        ``DatabaseBusy`` is raised with nothing written. A conflict met later in the body
        (a PostgreSQL serialization failure, deadlock or lock timeout) rolls back and
        raises ``DatabaseBusy`` too: the body cannot be re-run from here, so callers that
        want it retried pass it to :meth:`transact` instead.
        """
        conn, trans = self._begin(self._deadline())
        committed = False
        try:
            with self._errors():
                yield conn
                trans.commit()
                committed = True
        finally:
            if trans.is_active:
                trans.rollback()
            self._release(conn, committed)

    def transact(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one write transaction, run again from the start (with
        backoff, for up to ``busy_seconds``) when the database is busy or reports a
        serialization failure or deadlock; ``DatabaseBusy`` if it never gets through."""
        deadline = self._deadline()
        for pause in _backoff():
            try:
                with self.write() as conn:
                    return work(conn)
            except DatabaseBusy:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")  # _backoff never ends

    def _deadline(self) -> float:
        return time.monotonic() + self.busy_seconds

    def _begin(self, deadline: float) -> tuple[Connection, Any]:
        for pause in _backoff():
            conn = self._checkout()
            try:
                return conn, conn.begin()
            except (SQLAlchemyError, sqlite3.Error) as exc:
                conn.close()
                error = self._error(exc)
                if not isinstance(error, DatabaseBusy) or time.monotonic() + pause > deadline:
                    raise error from exc
            time.sleep(pause)
        raise AssertionError("unreachable")

    def _checkout(self) -> Connection:
        with self._idle_lock:
            conn, self._idle = self._idle, None
        return conn if conn is not None else self.engine.connect()

    def _release(self, conn: Connection, clean: bool) -> None:
        """Keep a connection whose transaction committed for the next write (one at most,
        and only as it was opened: no execution options left on it); close any other."""
        if clean and not conn.invalidated and not conn.get_execution_options():
            with self._idle_lock:
                if self._idle is None:
                    self._idle = conn
                    return
        conn.close()

    @contextlib.contextmanager
    def _transaction(self, conn: Connection) -> Iterator[Connection]:
        """A transaction on a connection the caller opened (and prepared)."""
        with self._errors(), conn.begin():
            yield conn

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise self._error(exc) from exc

    def _error(self, exc: BaseException) -> DatabaseError:
        orig = getattr(exc, "orig", None) or exc
        if _is_busy(orig):
            return DatabaseBusy(
                f"{self.label} is busy (another chidao is writing to it); nothing was "
                f"changed: try again in a moment"
            )
        if isinstance(exc, OperationalError | sqlite3.OperationalError):
            return DatabaseError(f"{self.label}: {orig}")
        return DatabaseError(f"{self.label}: the database refused the change: {orig}")

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(readonly=True)
                with conn.begin():
                    yield conn
        except (SADatabaseError, sqlite3.DatabaseError) as exc:
            raise DatabaseError(f"{self.label}: {getattr(exc, 'orig', exc)}") from exc

    def close(self) -> None:
        with self._idle_lock:
            conn, self._idle = self._idle, None
        if conn is not None:
            conn.close()
        self.engine.dispose()
