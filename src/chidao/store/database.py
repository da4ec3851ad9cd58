"""Opening a chidao database and running one transaction per command.

SQLite is the embedded default (WAL, foreign keys, a busy timeout; write transactions
take the lock up front with ``BEGIN IMMEDIATE`` so two writers queue instead of failing
half-way). The schema is created on first use; a file that is not a chidao database is
refused rather than written to.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import DatabaseError as SADatabaseError

from chidao.errors import DatabaseError
from chidao.store import schema

DEFAULT_URL = "sqlite:///chidao.db"


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = "DEFERRED" if conn.get_execution_options().get("readonly") else "IMMEDIATE"
        conn.connection.dbapi_connection.execute(
            f"BEGIN {mode}"
        )  # straight to the driver: hot path


def dialect_insert(conn: Connection, table):
    """An INSERT that knows ON CONFLICT, for the database at hand (SQLite or PostgreSQL)."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


class Store:
    """A chidao database, reached through one SQLAlchemy engine."""

    def __init__(self, engine: Engine, label: str) -> None:
        self.engine = engine
        self.label = label
        self.workflows: dict[int, Any] = {}  # template id → Workflow (snapshots are immutable)

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
    def open(cls, url: str | None = None, create: bool = True) -> Store:
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
        try:
            engine = create_engine(parsed)
        except Exception as exc:  # a missing driver or a malformed URL: say which
            raise DatabaseError(f"--db: cannot open {label}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        store = cls(engine, str(label))
        store._ensure_schema(create)
        return store

    def _ensure_schema(self, create: bool) -> None:
        try:
            with self.engine.connect() as conn:
                names = set(inspect(conn.execution_options(readonly=True)).get_table_names())
        except (SADatabaseError, sqlite3.DatabaseError) as exc:
            raise DatabaseError(
                f"{self.label} is not a chidao database (not an SQLite database file)"
                if self.engine.dialect.name == "sqlite"
                else f"cannot use {self.label}: {getattr(exc, 'orig', exc)}"
            ) from exc
        if names and schema.meta.name not in names:
            shown = ", ".join(sorted(names)[:4])
            raise DatabaseError(
                f"{self.label} is not a chidao database (it holds other tables: {shown})"
            )
        if not names:
            if not create:
                raise DatabaseError(f"{self.label} holds no chidao data yet")
            with self.write() as conn:
                schema.metadata.create_all(conn)
                conn.execute(
                    schema.meta.insert(),
                    [
                        {"key": "schema_version", "value": schema.SCHEMA_VERSION},
                        {"key": "application", "value": "chidao"},
                    ],
                )
            return
        with self.read() as conn:
            version = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
            ).scalar()
        if version != schema.SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.label}: schema version {version} is not the one this chidao "
                f"understands ({schema.SCHEMA_VERSION}); it was left untouched: open it with "
                "the chidao that made it, or start a new database"
            )

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: everything inside commits together or not at all."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            if "locked" in str(exc.orig):
                raise DatabaseError(f"{self.label} is busy (locked by another writer)") from exc
            raise DatabaseError(f"{self.label}: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"{self.label}: the database refused the change: {getattr(exc, 'orig', exc)}"
            ) from exc

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
        self.engine.dispose()
