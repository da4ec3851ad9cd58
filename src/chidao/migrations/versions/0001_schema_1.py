"""Schema 1, the first chidao database: org, templates, directives, tasks and events.

Revision ID: 0001
Revises: (none)

Created from nothing with explicit operations, frozen as commit 211ce40 declared it; a
database made before migrations existed that says schema 1 is stamped here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chidao.store.schema import AwareDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER events_no_{verb} BEFORE {VERB} ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
)
APPEND_ONLY_PG = (
    "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$",
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
)


def _org() -> None:
    op.create_table(
        "chidao_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "offices",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("parent_body", sa.Text, nullable=False),
        sa.Column("parent_office", sa.String(64), nullable=True),
        sa.Column("abbreviation", sa.Text, nullable=False),
        sa.Column("calendar", sa.JSON, nullable=True),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("office_code", sa.String(64), sa.ForeignKey("offices.code"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Text, nullable=False),
        sa.Column("reports_to", sa.String(64), nullable=True),
        sa.Column("levels", sa.Text, nullable=False),
        sa.Column("head", sa.Boolean, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("office_code", sa.String(64), sa.ForeignKey("offices.code"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("levels", sa.Text, nullable=False),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Index("ix_units_office", "office_code"),
    )
    op.create_table(
        "unit_levels",
        sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), primary_key=True),
        sa.Column("level", sa.String(8), primary_key=True),
        sa.Index("ix_unit_levels_level", "level", "unit_code"),
    )


def _directives() -> None:
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.UniqueConstraint("name", "content_hash", name="uq_template_content"),
        sa.UniqueConstraint("name", "version", name="uq_template_version"),
    )
    op.create_table(
        "directives",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("office_code", sa.String(64), sa.ForeignKey("offices.code"), nullable=False),
        sa.Column("number", sa.String(32), nullable=True),
        sa.Column("symbol", sa.String(128), nullable=True),
        sa.Column("code", sa.String(160), nullable=True),
        sa.Column("date", sa.Date, nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(32), nullable=True),
        sa.Column("recipient_levels", sa.Text, nullable=False),
        sa.Column("signer", sa.JSON, nullable=True),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("templates.id"), nullable=False),
        sa.Column("parent_task_id", sa.Integer, nullable=True),
        sa.Column("issued_at", AwareDateTime, nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Index("ix_directives_code", "code"),
        sa.Index("ix_directives_identity", "office_code", "number", "symbol", "date"),
    )
    op.create_table(
        "deliverables",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("directive_id", sa.Integer, sa.ForeignKey("directives.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("item", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("due_at", AwareDateTime, nullable=True),
        sa.Column("relative", sa.JSON, nullable=True),
        sa.Column("recurring", sa.JSON, nullable=True),
        sa.Index("ix_deliverables_directive", "directive_id"),
    )


def _tasks() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("directive_id", sa.Integer, sa.ForeignKey("directives.id"), nullable=False),
        sa.Column("deliverable_id", sa.Integer, sa.ForeignKey("deliverables.id"), nullable=False),
        sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("due_at", AwareDateTime, nullable=True),
        sa.Column("received_at", AwareDateTime, nullable=True),
        sa.Column("reported_at", AwareDateTime, nullable=True),
        sa.Column("created_at", AwareDateTime, nullable=False),
        sa.Column("updated_at", AwareDateTime, nullable=False),
        sa.Index("ix_tasks_directive_state", "directive_id", "state"),
        sa.Index("ix_tasks_unit", "unit_code"),
        sa.Index("ix_tasks_state_due", "state", "due_at"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("from_state", sa.String(64), nullable=True),
        sa.Column("to_state", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", AwareDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Index("ix_events_task", "task_id", "id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY_PG:
            op.execute(statement)
    else:
        for verb in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(verb=verb, VERB=verb.upper()))


def upgrade() -> None:
    _org()
    _directives()
    _tasks()
