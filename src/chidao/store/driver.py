"""Statements written once in the driver's own terms: the hot path of a single transition.

``conn.execute(statement)`` costs SQLAlchemy a cache key, a compiled-cache lookup and
parameter and result processing on every call: about 0.1 ms a statement, most of a
one-task ``task fire``. The few statements every such fire runs are written here in SQL
with ``:name`` parameters, turned once per dialect into the driver's paramstyle (``?``
for sqlite3, ``%(name)s`` for psycopg), and run on a cursor of SQLAlchemy's own
connection: the same transaction, and driver errors wrapped as ``execute`` wraps them.
(``exec_driver_sql`` was tried first: it still builds result metadata on every call, which
cost more than the statements.) Times cross the boundary
through ``AwareDateTime`` itself, so rows written here are the rows ``execute`` writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from chidao.store.schema import AwareDateTime

_NAME = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_TIME = AwareDateTime()
_SQLITE = SQLiteDialect_pysqlite()


class DriverSQL:
    """One SQL text with ``:name`` parameters, prepared for each dialect it meets."""

    def __init__(self, text: str, postgresql_suffix: str = "") -> None:
        self.text = text
        self.postgresql_suffix = postgresql_suffix
        self._forms: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _form(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._forms.get(dialect.name)
        if found is None:
            text = self.text + (self.postgresql_suffix if dialect.name == "postgresql" else "")
            style = dialect.paramstyle
            if style == "qmark":
                found = (_NAME.sub("?", text), tuple(_NAME.findall(text)))
            elif style == "pyformat":
                found = (_NAME.sub(r"%(\1)s", text.replace("%", "%%")), None)
            elif style == "named":
                found = (text, None)
            else:
                raise NotImplementedError(f"paramstyle {style} (driver of {dialect.name})")
            self._forms[dialect.name] = found
        return found

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        dialect = conn.dialect
        sql, names = self._form(dialect)
        args: Any = dict(params) if names is None else tuple(params[n] for n in names)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, args)
        except dialect.loaded_dbapi.Error as exc:  # wrapped as execute() would: Store reads it
            cursor.close()
            raise DBAPIError.instance(sql, args, exc, dialect.loaded_dbapi.Error) from exc
        return cursor

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a query inside ``conn``'s transaction; all its rows, as the driver gives them."""
        cursor = self._execute(conn, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def count(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run a write inside ``conn``'s transaction; how many rows it touched."""
        cursor = self._execute(conn, params)
        count = cursor.rowcount
        cursor.close()
        return count


def bind_time(value: Any, dialect: Dialect) -> Any:
    """A datetime as the column stores it (ISO text on SQLite), as ``AwareDateTime`` does."""
    if value is None:
        return None
    if dialect.name == "sqlite":
        return _sqlite_text(value)
    return _TIME.process_bind_param(value, dialect)


@lru_cache(maxsize=256)
def _sqlite_text(value: Any) -> Any:
    """The ISO text of a moment: equal moments give the same text (it is written in
    Vietnamese time whatever the zone given), so a fire's few moments (now, the due, the
    receipt), met again and again in a run of fires, are formatted once."""
    return _TIME.process_bind_param(value, _SQLITE)


def read_time(value: Any, dialect: Dialect) -> Any:
    """A stored time as an aware pendulum DateTime in Vietnamese time (None stays None)."""
    return _TIME.process_result_value(value, dialect)


def read_times(row: Sequence[Any], positions: Sequence[int], dialect: Dialect) -> list[Any]:
    values = list(row)
    for n in positions:
        if values[n] is not None:
            values[n] = _TIME.process_result_value(values[n], dialect)
    return values
