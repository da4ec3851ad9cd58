"""The audit chain, the OS account on events, live or simulation, withdrawn directives.

Revision ID: 0006
Revises: 0005

- ``events.hash`` and ``tasks.head``: each event's hash links it to the task's previous
  one (``chidao.audit``); the events already there are chained here, in their order, so
  history before this upgrade is sealed as it stood at the upgrade;
- ``events.os_user``: the operating-system account that ran the command;
- ``chidao_meta.mode``: ``live`` or ``simulation`` (only a simulation takes ``--now`` on
  writes). A database made before this revision becomes a simulation only when upgraded
  with ``CHIDAO_SIMULATION=1`` set, else live;
- ``directives.withdrawn_at`` / ``withdrawn_by``: thu hồi, out of tracking.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

from chidao import audit
from chidao.store.schema import AwareDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = {
    verb: f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
    for verb in ("UPDATE", "DELETE")
}


def upgrade() -> None:
    op.add_column("tasks", sa.Column("head", sa.String(64), nullable=False, server_default=""))
    op.add_column("events", sa.Column("os_user", sa.String(64), nullable=True))
    op.add_column("events", sa.Column("hash", sa.String(64), nullable=True))
    op.add_column("directives", sa.Column("withdrawn_at", AwareDateTime, nullable=True))
    op.add_column("directives", sa.Column("withdrawn_by", sa.String(64), nullable=True))
    _chain_history()
    _record_mode()


def _chain_history() -> None:
    bind = op.get_bind()
    events = sa.table(
        "events",
        *(
            sa.column(name)
            for name in (
                "id",
                "task_id",
                "from_state",
                "to_state",
                "trigger",
                "actor",
                "on_behalf_of",
                "os_user",
                "note",
                "hash",
            )
        ),
        sa.column("at", AwareDateTime),
    )
    tasks = sa.table("tasks", sa.column("id"), sa.column("head"))
    rows = bind.execute(
        sa.select(
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
    ).all()
    if not rows:
        return
    hashes: list[dict[str, object]] = []
    heads: dict[int, str] = {}
    position: dict[int, int] = {}
    for row in rows:
        link = audit.Link(*row)
        position[link.task_id] = position.get(link.task_id, 1) + 1
        digest = link.expected(heads.get(link.task_id, ""), position[link.task_id])
        heads[link.task_id] = digest
        hashes.append({"b_id": link.id, "b_hash": digest})
    _append_only(bind, False)
    bind.execute(
        events.update()
        .where(events.c.id == sa.bindparam("b_id"))
        .values(hash=sa.bindparam("b_hash")),
        hashes,
    )
    _append_only(bind, True)
    bind.execute(
        tasks.update()
        .where(tasks.c.id == sa.bindparam("b_id"))
        .values(head=sa.bindparam("b_head")),
        [{"b_id": task_id, "b_head": head} for task_id, head in heads.items()],
    )


def _append_only(bind, on: bool) -> None:
    """Lift the events' append-only trigger for the one UPDATE that chains them."""
    if bind.dialect.name == "postgresql":
        verb = "ENABLE" if on else "DISABLE"
        op.execute(f"ALTER TABLE events {verb} TRIGGER events_append_only")
        return
    for verb, ddl in _SQLITE_TRIGGERS.items():
        op.execute(ddl if on else f"DROP TRIGGER IF EXISTS events_no_{verb.lower()}")


def _record_mode() -> None:
    meta = sa.table("chidao_meta", sa.column("key"), sa.column("value"))
    bind = op.get_bind()
    if bind.execute(sa.select(meta.c.key).where(meta.c.key == "mode")).first() is None:
        simulated = os.environ.get("CHIDAO_SIMULATION", "") not in ("", "0")
        op.execute(meta.insert().values(key="mode", value="simulation" if simulated else "live"))
