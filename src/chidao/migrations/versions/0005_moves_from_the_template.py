"""Every move through the template; who recorded for whom; events; directive identity.

Revision ID: 0005
Revises: 0004

- ``tasks.prev_state``: the state before the last move, where ``dest: previous`` returns
  (filled from each task's last event that moved it into its current state);
- ``events.on_behalf_of``: the unit a person of the office recorded an event for;
- ``occurrences``: the events that relative deadlines count from;
- ``directives.identity``: issuer, number, symbol and date (the subject too without a
  number), hashed, unique: "#n" on the n-th issue made on purpose with ``--again``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chidao.store.directives import identity
from chidao.store.schema import AwareDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("prev_state", sa.String(64), nullable=True))
    op.add_column("events", sa.Column("on_behalf_of", sa.String(64), nullable=True))
    op.create_table(
        "occurrences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("directive_id", sa.Integer, sa.ForeignKey("directives.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("at", AwareDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", AwareDateTime, nullable=False),
        sa.UniqueConstraint("directive_id", "name_key", name="uq_occurrence"),
    )
    _fill_prev_state()
    with op.batch_alter_table("directives") as batch:
        batch.add_column(sa.Column("identity", sa.String(80), nullable=True))
    _fill_identity()
    with op.batch_alter_table("directives") as batch:
        batch.alter_column("identity", existing_type=sa.String(80), nullable=False)
        batch.create_unique_constraint("uq_directive_identity", ["identity"])


def _fill_prev_state() -> None:
    tasks = sa.table("tasks", sa.column("id"), sa.column("state"), sa.column("prev_state"))
    events = sa.table(
        "events",
        sa.column("id"),
        sa.column("task_id"),
        sa.column("from_state"),
        sa.column("to_state"),
    )
    last_in = (
        sa.select(events.c.from_state)
        .where(
            events.c.task_id == tasks.c.id,
            events.c.to_state == tasks.c.state,
            events.c.from_state != events.c.to_state,
        )
        .order_by(events.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(tasks.update().values(prev_state=last_in))


def _fill_identity() -> None:
    bind = op.get_bind()
    directives = sa.table(
        "directives",
        sa.column("id"),
        sa.column("office_code"),
        sa.column("number"),
        sa.column("symbol"),
        sa.column("date"),
        sa.column("subject"),
        sa.column("identity"),
    )
    seen: dict[str, int] = {}
    rows = bind.execute(sa.select(directives).order_by(directives.c.id)).mappings().all()
    for row in rows:
        key = identity(dict(row))
        again = seen.get(key, 0)
        seen[key] = again + 1
        bind.execute(
            directives.update()
            .where(directives.c.id == row["id"])
            .values(identity=identity(dict(row), again))
        )
