"""Schema 2 as first released (commit c66aeca): periods, grace, working-day ordinals, ladder.

Revision ID: 0002
Revises: 0001

Tasks gain ``period`` (one task per unit per period), ``late_at`` (due plus grace),
``due_seq`` (the working-day ordinal the ladder counts from) and ``days_late``;
deliverables gain ``until``; the escalation, notification and extension-request tables
appear. Existing tasks keep their due: schema 1 had no grace, so ``late_at`` is the due,
and ``due_seq``/``days_late`` are computed with each office's working-day calendar.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chidao.calendar import calendar_from_config
from chidao.store.schema import AwareDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _tables() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("directive_id", sa.Integer, sa.ForeignKey("directives.id"), nullable=False),
        sa.Column("rung", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=True),
        sa.Column("target_name", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("due_at", AwareDateTime, nullable=False),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.Column("resolved_at", AwareDateTime, nullable=True),
        sa.UniqueConstraint("task_id", "rung", "due_at", name="uq_escalation_once"),
        sa.Index("ix_escalations_task", "task_id"),
        sa.Index("ix_escalations_open", "resolved_at", "person_id"),
        sa.Index("ix_escalations_batch", "created_at", "directive_id", "rung"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(64), nullable=True),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("directive_id", sa.Integer, sa.ForeignKey("directives.id"), nullable=False),
        sa.Column("rung", sa.Integer, nullable=False),
        sa.Column("tasks", sa.Integer, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.Column("sent_at", AwareDateTime, nullable=True),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.UniqueConstraint(
            "directive_id", "rung", "recipient", "created_at", name="uq_notification_batch"
        ),
        sa.Index("ix_notifications_status", "status", "id"),
    )
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("requested_to", AwareDateTime, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", AwareDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", AwareDateTime, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=False),
        sa.Index("ix_extension_requests_task", "task_id", "status"),
    )


def _fill_schedules() -> None:
    """late_at, due_seq and days_late of the tasks schema 1 made, per office calendar."""
    conn = op.get_bind()
    tasks = sa.table(
        "tasks",
        sa.column("id", sa.Integer),
        sa.column("directive_id", sa.Integer),
        sa.column("due_at", AwareDateTime),
        sa.column("reported_at", AwareDateTime),
        sa.column("late_at", AwareDateTime),
        sa.column("due_seq", sa.Integer),
        sa.column("days_late", sa.Integer),
    )
    directives = sa.table("directives", sa.column("id"), sa.column("office_code"))
    offices = sa.table("offices", sa.column("code"), sa.column("calendar", sa.JSON))
    calendars = {
        code: calendar_from_config(config, f"office {code}")
        for code, config in conn.execute(sa.select(offices.c.code, offices.c.calendar))
    }
    rows = conn.execute(
        sa.select(tasks.c.id, tasks.c.due_at, tasks.c.reported_at, directives.c.office_code)
        .join(directives, directives.c.id == tasks.c.directive_id)
        .where(tasks.c.due_at.is_not(None))
    ).all()
    values = []
    for row in rows:
        calendar = calendars[row.office_code]
        late = None
        if row.reported_at is not None:
            late = calendar.working_days_late(row.due_at, row.reported_at)
        values.append(
            {"tid": row.id, "late": row.due_at, "seq": calendar.due_seq(row.due_at), "dl": late}
        )
    if values:
        conn.execute(
            tasks.update()
            .where(tasks.c.id == sa.bindparam("tid"))
            .values(
                late_at=sa.bindparam("late", type_=AwareDateTime),
                due_seq=sa.bindparam("seq"),
                days_late=sa.bindparam("dl"),
            ),
            values,
        )


def upgrade() -> None:
    with op.batch_alter_table("deliverables") as batch:
        batch.add_column(sa.Column("until", sa.Date, nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("period", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("late_at", AwareDateTime, nullable=True))
        batch.add_column(sa.Column("due_seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("days_late", sa.Integer, nullable=True))
        batch.create_unique_constraint("uq_task_period", ["deliverable_id", "unit_code", "period"])
        batch.drop_index("ix_tasks_state_due")
        batch.create_index("ix_tasks_state_late", ["state", "late_at"])
        batch.create_index("ix_tasks_state_seq", ["state", "due_seq"])
    _tables()
    _fill_schedules()
