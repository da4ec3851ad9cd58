"""Tables of chidao, portable between SQLite (embedded default) and PostgreSQL.

A directive row is also its workflow instance: it pins the exact template snapshot it was
issued with (``template_id`` → ``templates``, which keeps the source and a content hash),
so editing a YAML file later changes only new directives. Events are append-only: the
database itself refuses to update or delete them.

This is the one declaration of the current tables: new databases are created from it.
Every change here needs a revision in ``chidao/migrations/versions`` that brings older
databases to it (a test checks that the revisions end exactly here).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.types import TypeDecorator

from chidao.clock import TZ

_OFFSET = dt.timedelta(hours=7)  # Asia/Ho_Chi_Minh has had no daylight saving since 1975


class AwareDateTime(TypeDecorator):
    """Timezone-aware datetimes; naive ones are refused at the boundary.

    On SQLite they are stored as fixed-width ISO text in Vietnamese time (+07:00 all year,
    no daylight saving), so text comparison orders them correctly and set-based
    ``due_at < :now`` works; on PostgreSQL they are ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"naive or non-datetime value {value!r}: times must be aware")
        if value.utcoffset() != _OFFSET:
            value = value.astimezone(TZ)
        if dialect.name == "sqlite":
            return value.isoformat(timespec="microseconds")  # always …+07:00
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        value = value.astimezone(TZ)
        return pendulum.DateTime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=TZ,
        )


metadata = MetaData()

meta = Table(
    "chidao_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

offices = Table(
    "offices",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False, default=""),
    Column("parent_body", Text, nullable=False, default=""),
    Column("parent_office", String(64), nullable=True),
    Column("abbreviation", Text, nullable=False, default=""),
    Column("calendar", JSON, nullable=True),
)

people = Table(
    "people",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("office_code", String(64), ForeignKey("offices.code"), nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("reports_to", String(64), nullable=True),
    Column("levels", Text, nullable=False, default=""),
    Column("head", Boolean, nullable=False, default=False),
    Column("email", Text, nullable=False, default=""),
    Column("phone", Text, nullable=False, default=""),
)

units = Table(
    "units",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("office_code", String(64), ForeignKey("offices.code"), nullable=False),
    Column("name", Text, nullable=False),
    Column("levels", Text, nullable=False),
    Column("principal", Text, nullable=False, default=""),
    Column("email", Text, nullable=False, default=""),
    Column("phone", Text, nullable=False, default=""),
    Index("ix_units_office", "office_code"),
)

unit_levels = Table(
    "unit_levels",
    metadata,
    Column("unit_code", String(64), ForeignKey("units.code"), primary_key=True),
    Column("level", String(8), primary_key=True),
    Index("ix_unit_levels_level", "level", "unit_code"),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("spec", Text, nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
    UniqueConstraint("name", "content_hash", name="uq_template_content"),
    UniqueConstraint("name", "version", name="uq_template_version"),
)

directives = Table(
    "directives",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office_code", String(64), ForeignKey("offices.code"), nullable=False),
    Column("number", String(32), nullable=True),
    Column("symbol", String(128), nullable=True),
    Column("code", String(160), nullable=True),
    Column("date", Date, nullable=True),
    Column("subject", Text, nullable=False),
    Column("urgency", String(32), nullable=True),
    Column("recipient_levels", Text, nullable=False, default=""),
    Column("signer", JSON, nullable=True),
    Column("document", JSON, nullable=False),
    Column("template_id", Integer, ForeignKey("templates.id"), nullable=False),
    Column("parent_task_id", Integer, nullable=True),
    Column("issued_at", AwareDateTime, nullable=False),
    Column("issued_by", String(64), nullable=False),
    # issuer, number, symbol and date (the subject too without a number), hashed; "#n" for
    # the n-th issue made on purpose with --again: two processes cannot issue it twice
    Column("identity", String(80), nullable=False),
    # thu hồi: taken out of tracking by the office (its tasks each got a "withdraw" event)
    Column("withdrawn_at", AwareDateTime, nullable=True),
    Column("withdrawn_by", String(64), nullable=True),
    UniqueConstraint("identity", name="uq_directive_identity"),
    Index("ix_directives_code", "code"),
    Index("ix_directives_identity", "office_code", "number", "symbol", "date"),
)

deliverables = Table(
    "deliverables",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("directive_id", Integer, ForeignKey("directives.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("item", String(32), nullable=True),
    Column("text", Text, nullable=False, default=""),
    Column("due_at", AwareDateTime, nullable=True),
    Column("relative", JSON, nullable=True),
    Column("recurring", JSON, nullable=True),
    Column("until", Date, nullable=True),  # a recurring deliverable's last period ends here
    Index("ix_deliverables_directive", "directive_id"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("directive_id", Integer, ForeignKey("directives.id"), nullable=False),
    Column("deliverable_id", Integer, ForeignKey("deliverables.id"), nullable=False),
    Column("unit_code", String(64), ForeignKey("units.code"), nullable=False),
    # a recurring deliverable has one task per unit per period (its due, "2024-10-25")
    Column("period", String(16), nullable=False, server_default=""),
    Column("state", String(64), nullable=False),
    # the state before the last move: where a ``dest: previous`` transition returns
    Column("prev_state", String(64), nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("due_at", AwareDateTime, nullable=True),
    # when it turns overdue: the due plus the template's grace period
    Column("late_at", AwareDateTime, nullable=True),
    # working-day ordinal (calendar.ordinal) of the last day on time: the ladder counts from it
    Column("due_seq", Integer, nullable=True),
    Column("received_at", AwareDateTime, nullable=True),
    Column("reported_at", AwareDateTime, nullable=True),
    Column("days_late", Integer, nullable=True),  # working days late, set when reported
    Column("rung", Integer, nullable=False, server_default="0"),  # highest escalation rung reached
    # the hash of the task's last event (audit chain; "" before its first event)
    Column("head", String(64), nullable=False, server_default=""),
    Column("created_at", AwareDateTime, nullable=False),
    Column("updated_at", AwareDateTime, nullable=False),
    UniqueConstraint("deliverable_id", "unit_code", "period", name="uq_task_period"),
    # covers the dashboard's per-directive GROUP BY without touching the table
    Index("ix_tasks_directive_state", "directive_id", "state", "due_at", "reported_at", "rung"),
    Index("ix_tasks_unit", "unit_code", "state"),
    Index("ix_tasks_state_late", "state", "late_at"),
    Index("ix_tasks_state_seq", "state", "due_seq"),
    # the ladder looks only at tasks below the rung it is climbing
    Index("ix_tasks_state_rung", "state", "rung", "due_seq"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("tasks.id"), nullable=False),
    Column("directive_id", Integer, ForeignKey("directives.id"), nullable=False),
    Column("rung", Integer, nullable=False),  # 1-based position in the template's ladder
    Column("kind", Text, nullable=False),  # nhắc nhở, phê bình, kiểm điểm …
    Column("round", Integer, nullable=False),  # "lần N" of this kind for this task
    Column("target", String(32), nullable=False),  # the rung's target, after any fallback
    Column("person_id", String(64), nullable=True),  # None when it reached a body
    Column("target_name", Text, nullable=False),
    Column("note", Text, nullable=False, default=""),  # why it fell back, if it did
    Column("due_at", AwareDateTime, nullable=False),  # the due it escalates (extensions reset)
    Column("created_at", AwareDateTime, nullable=False),
    Column("resolved_at", AwareDateTime, nullable=True),
    UniqueConstraint("task_id", "rung", "due_at", name="uq_escalation_once"),
    Index("ix_escalations_task", "task_id"),
    Index("ix_escalations_open", "resolved_at", "person_id"),
    Index("ix_escalations_batch", "created_at", "rung", "task_id"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(64), nullable=True),
    Column("recipient", Text, nullable=False),  # the person's or body's name
    Column("address", Text, nullable=False, default=""),  # e-mail, when the org file has one
    Column("directive_id", Integer, ForeignKey("directives.id"), nullable=False),
    Column("rung", Integer, nullable=False),
    Column("tasks", Integer, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, default="queued"),  # queued, sent
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", AwareDateTime, nullable=False),
    Column("sent_at", AwareDateTime, nullable=True),
    Column("channel", String(16), nullable=True),
    UniqueConstraint(
        "directive_id", "rung", "recipient", "created_at", name="uq_notification_batch"
    ),
    Index("ix_notifications_status", "status", "id"),
)

# Moments at which a sweep made escalations whose notifications are not queued yet: noted
# in the same transaction as the escalations, removed once their messages are queued, so a
# sweep that dies between the two leaves the next one a note of what it owes. ``batches``
# counts the batches that noted it: a note removed only if no batch added to it meanwhile.
unnotified = Table(
    "unnotified",
    metadata,
    Column("at", AwareDateTime, primary_key=True),
    Column("batches", Integer, nullable=False),
)

extension_requests = Table(
    "extension_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("tasks.id"), nullable=False),
    Column("requested_to", AwareDateTime, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", AwareDateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="pending"),  # granted, refused
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", AwareDateTime, nullable=True),
    Column("decision_note", Text, nullable=False, default=""),
    Index("ix_extension_requests_task", "task_id", "status"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("tasks.id"), nullable=False),
    Column("from_state", String(64), nullable=True),
    Column("to_state", String(64), nullable=False),
    Column("trigger", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    # the unit a person of the office recorded this for ("ghi nhận thay"), else NULL
    Column("on_behalf_of", String(64), nullable=True),
    Column("at", AwareDateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
    # the operating-system account that ran the command (beside the actor it named)
    Column("os_user", String(64), nullable=True),
    # sha256 over this event's content and the task's previous event's hash (chidao.audit)
    Column("hash", String(64), nullable=True),
    Index("ix_events_task", "task_id", "id"),
)

# Events a directive's relative deadlines count from ("kể từ khi kết thúc hội thi"): when
# the office records one, the tasks waiting for it get their dues.
occurrences = Table(
    "occurrences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("directive_id", Integer, ForeignKey("directives.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("name_key", String(255), nullable=False),
    Column("at", AwareDateTime, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", AwareDateTime, nullable=False),
    UniqueConstraint("directive_id", "name_key", name="uq_occurrence"),
)

# PostgreSQL logins made by ``chidao user add``: each role is named after the person id or
# unit code it acts as (``kind``: person or unit). Row-level security reads it to know whose
# tasks and directives a connection may see (``store/policies.py``); empty on SQLite.
logins = Table(
    "logins",
    metadata,
    Column("role", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
)

# Events are history: refuse UPDATE and DELETE in the database itself.
for _verb in ("UPDATE", "DELETE"):
    event.listen(
        events,
        "after_create",
        DDL(
            f"CREATE TRIGGER events_no_{_verb.lower()} BEFORE {_verb} ON events "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
        ).execute_if(dialect="sqlite"),
    )
event.listen(
    events,
    "after_create",
    DDL(
        "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$; "
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
    ).execute_if(dialect="postgresql"),
)

TABLES = tuple(metadata.tables)
