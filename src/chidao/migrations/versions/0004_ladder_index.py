"""The ladder's index over tasks below a rung (commit eaf1b09).

Revision ID: 0004
Revises: 0003

Databases made by commits 0faea17…e65e5f8 lack it; the schema said 2 throughout.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_state_rung", "tasks", ["state", "rung", "due_seq"])
