"""Tasks remember their highest escalation rung (commit 0faea17); dashboard indexes.

Revision ID: 0003
Revises: 0002

Databases of commits c66aeca…a824b86 said schema 2 but had no ``tasks.rung``: sweep and
dashboard failed on them. The rung is filled from the escalations already made for each
task's current due (an extension starts the ladder again at 0).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("rung", sa.Integer, nullable=False, server_default="0"))
        batch.drop_index("ix_tasks_directive_state")
        batch.create_index(
            "ix_tasks_directive_state", ["directive_id", "state", "due_at", "reported_at", "rung"]
        )
        batch.drop_index("ix_tasks_unit")
        batch.create_index("ix_tasks_unit", ["unit_code", "state"])
    with op.batch_alter_table("escalations") as batch:
        batch.drop_index("ix_escalations_batch")
        batch.create_index("ix_escalations_batch", ["created_at", "rung", "task_id"])
    tasks = sa.table("tasks", sa.column("id"), sa.column("due_at"), sa.column("rung"))
    escalations = sa.table(
        "escalations", sa.column("task_id"), sa.column("due_at"), sa.column("rung")
    )
    reached = (
        sa.select(sa.func.max(escalations.c.rung))
        .where(escalations.c.task_id == tasks.c.id, escalations.c.due_at == tasks.c.due_at)
        .scalar_subquery()
    )
    op.execute(tasks.update().values(rung=sa.func.coalesce(reached, 0)))
