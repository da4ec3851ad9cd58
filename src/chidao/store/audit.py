"""The audit chain in SQL: the hash a set-based move computes, and reading chains back.

``chained(...)`` is the SQL twin of ``chidao.audit.content``/``digest``: the same text,
hashed by the database (PostgreSQL's ``sha256``; on SQLite the ``chidao_sha256`` function
the store registers on every connection), so thousands of tasks move in one statement and
each still gets its own link. ``verify`` reads every chain back in task order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, String, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from chidao.audit import SEP, Break, Link, check_task, head_of
from chidao.store.schema import events, tasks


class _Sha256(FunctionElement):
    """Hex sha256 of a text's UTF-8 bytes."""

    type = String(64)
    inherit_cache = True
    name = "chidao_sha256"


@compiles(_Sha256, "postgresql")
def _sha256_pg(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"encode(sha256(convert_to({inner}, 'UTF8')), 'hex')"


@compiles(_Sha256, "sqlite")
def _sha256_sqlite(element, compiler, **kw):
    return f"chidao_sha256({compiler.process(element.clauses, **kw)})"


def sqlite_sha256(text: str | None) -> str | None:
    """The SQLite function ``chidao_sha256`` (registered per connection)."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def chained(prev, task_id, position, from_state, to_state, on_behalf_of, shared: str):
    """SQL for ``digest(content(...))`` over columns and expressions of one row."""
    sep = literal(SEP)
    parts = [
        func.coalesce(prev, literal("")),
        cast(task_id, String),
        cast(position, String),
        func.coalesce(from_state, literal("")),
        to_state,
        func.coalesce(on_behalf_of, literal("")),
    ]
    text = parts[0]
    for part in parts[1:]:
        text = text + sep + part
    return _Sha256(text + sep + literal(shared))


_LINKS = select(
    events.c.id,
    events.c.task_id,
    events.c.from_state,
    events.c.to_state,
    events.c.trigger,
    events.c.actor,
    events.c.on_behalf_of,
    events.c.os_user,
    events.c.at,
    events.c.note,
    events.c.hash,
).order_by(events.c.task_id, events.c.id)


def _links(conn: Connection) -> Iterator[Link]:
    result = conn.execution_options(yield_per=5_000).execute(_LINKS)
    for row in result:
        yield Link(*row)


def _tasks(conn: Connection) -> Iterator[tuple[int, int, str]]:
    statement = select(tasks.c.id, tasks.c.version, tasks.c.head).order_by(tasks.c.id)
    yield from conn.execution_options(yield_per=5_000).execute(statement)


def verify(conn: Connection) -> tuple[int, int, list[Break]]:
    """Recompute every task's chain: (tasks, events, breaks — the first per task)."""
    breaks: list[Break] = []
    counted = 0
    links = _links(conn)
    pending: Link | None = next(links, None)
    n_tasks = 0
    for task_id, version, head in list(_tasks(conn)):
        n_tasks += 1
        own: list[Link] = []
        while pending is not None and pending.task_id <= task_id:
            if pending.task_id == task_id:
                own.append(pending)
            else:
                breaks.append(Break(pending.task_id, pending.id, None, "belongs to no task"))
            pending = next(links, None)
        counted += len(own)
        found = check_task(task_id, version, head, own)
        if found:
            breaks.append(found)
    while pending is not None:
        breaks.append(Break(pending.task_id, pending.id, None, "belongs to no task"))
        pending = next(links, None)
    return n_tasks, counted, breaks


def export_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every event with its hash, in chain order (task, then id)."""
    for link in _links(conn):
        yield {
            "id": link.id,
            "task": link.task_id,
            "from": link.from_state,
            "to": link.to_state,
            "trigger": link.trigger,
            "actor": link.actor,
            "on_behalf_of": link.on_behalf_of,
            "os_user": link.os_user,
            "at": link.at.isoformat(),
            "note": link.note,
            "hash": link.hash,
        }


def heads(conn: Connection) -> str:
    """The hash over the head of every task that has events (``chidao.audit.head_of``)."""
    return head_of((task_id, head) for task_id, _version, head in _tasks(conn) if head)


def hashes_of(conn: Connection, ids: list[int]) -> dict[int, str | None]:
    """Stored hashes of the events named (for comparing with an export)."""
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        rows = conn.execute(select(events.c.id, events.c.hash).where(events.c.id.in_(chunk)))
        found.update({event_id: digest for event_id, digest in rows})
    return found
