"""Escalations, the notification outbox, and recurring periods: set-based statements.

Each rung of a ladder is one INSERT … SELECT over every overdue task that has reached it;
whom it reaches is looked up in a per-transaction table of resolved targets (one row per
directive, rung and level), so no statement runs per task. The unique key
(task, rung, due) and NOT EXISTS make the sweep idempotent; ON CONFLICT DO NOTHING keeps
two concurrent sweeps on PostgreSQL from tripping over each other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    union,
    update,
)

from chidao.escalation import RungPlan
from chidao.model import Office, Person
from chidao.store.database import dialect_insert
from chidao.store.org import office_of, person_of

if TYPE_CHECKING:
    from chidao.notify import Message
from chidao.store.schema import (
    deliverables,
    directives,
    escalations,
    notifications,
    offices,
    people,
    tasks,
    unit_levels,
    units,
    unnotified,
)
from chidao.store.tasks import in_batch, unindexed

# Resolved targets of this sweep: a temporary table, private to the connection.
_scratch = MetaData()
targets = Table(
    "chidao_sweep_targets",
    _scratch,
    Column("directive_id", Integer, primary_key=True),
    Column("rung", Integer, primary_key=True),
    Column("level", String(8), primary_key=True),
    Column("target", String(32), nullable=False),
    Column("person_id", String(64), nullable=True),
    Column("target_name", Text, nullable=False),
    Column("note", Text, nullable=False),
    prefixes=["TEMPORARY"],
)


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def resolve(conn: Connection, task_ids: Sequence[int], now: dt.datetime) -> None:
    """Close the open escalations of these tasks (they reported, or got a new due)."""
    for chunk in _chunks(task_ids):
        conn.execute(
            update(escalations)
            .where(escalations.c.task_id.in_(chunk), escalations.c.resolved_at.is_(None))
            .values(resolved_at=literal(now, type_=escalations.c.resolved_at.type))
        )


def resolve_where(conn: Connection, task_filter, now: dt.datetime) -> None:
    conn.execute(
        update(escalations)
        .where(
            escalations.c.resolved_at.is_(None),
            escalations.c.task_id.in_(select(tasks.c.id).where(task_filter)),
        )
        .values(resolved_at=literal(now, type_=escalations.c.resolved_at.type))
    )


def reached(column, open_only: bool = True):
    """One column of the highest escalation a task has reached (open ones only, or any),
    as a scalar subquery correlated to ``tasks``."""
    where = [escalations.c.task_id == tasks.c.id]
    if open_only:
        where.append(escalations.c.resolved_at.is_(None))
    return (
        select(column)
        .where(*where)
        .order_by(escalations.c.rung.desc(), escalations.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def directives_in(conn: Connection, template_id: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Directives of this template with a task in the batch ``ids``."""
    batch = select(tasks.c.directive_id).where(in_batch(ids))  # not a scan of directives
    rows = conn.execute(
        select(directives.c.id, directives.c.office_code, directives.c.document).where(
            directives.c.template_id == template_id, directives.c.id.in_(batch)
        )
    ).mappings()
    return [dict(r) for r in rows]


def offices_and_people(conn: Connection) -> tuple[dict[str, Office], list[Person]]:
    """Every office by code, and every person: whom the ladder's rungs may reach."""
    found = {r["code"]: office_of(r) for r in conn.execute(select(offices)).mappings()}
    return found, [person_of(r) for r in conn.execute(select(people)).mappings()]


def load_targets(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Fill this transaction's target table (created on first use, emptied each sweep)."""
    targets.create(conn, checkfirst=True)
    conn.execute(delete(targets))
    for start in range(0, len(rows), 5_000):
        conn.execute(insert(targets), rows[start : start + 5_000])


def candidates(
    conn: Connection,
    *,
    template_id: int,
    office: str,
    overdue_from: Sequence[str],
    plans: Sequence[RungPlan],
    now: dt.datetime,
) -> list[int]:
    """Ids of the tasks of this template and office that the sweep has work for today
    (turning overdue, or reaching a rung), read through the state indexes, in id order: the
    sweep cuts them into short write transactions. A task changed after ``now`` is not
    among them: nothing is recorded of it dated before its last change."""
    mine = tasks.c.directive_id.in_(
        select(directives.c.id).where(
            directives.c.template_id == template_id,
            directives.c.office_code == office,
            directives.c.withdrawn_at.is_(None),
        )
    )
    at = literal(now, type_=tasks.c.late_at.type)
    selects = []
    if overdue_from:
        selects.append(
            select(tasks.c.id).where(
                mine,
                tasks.c.updated_at <= at,
                tasks.c.state.in_(list(overdue_from)),
                tasks.c.late_at.is_not(None),
                tasks.c.late_at < at,
            )
        )
    for plan in plans:
        states = set(plan.states) | (set(overdue_from) if plan.late else set())
        selects.append(
            select(tasks.c.id).where(
                mine,
                tasks.c.updated_at <= at,
                tasks.c.state.in_(sorted(states)),
                tasks.c.rung < plan.number,  # through ix_tasks_state_rung: the few still below
                *_reached(plan, now, unindexed),
            )
        )
    if not selects:
        return []
    return sorted(set(conn.scalars(union(*selects))))


def escalate(
    conn: Connection,
    *,
    template_id: int,
    office: str,
    plan: RungPlan,
    ids: Sequence[int],
    now: dt.datetime,
) -> int:
    """Create rung ``plan.number`` for every task of the template and office (with an id in
    ``ids``, the sweep's batch) that has reached it, as ``plan`` (the pure policy) says.

    The round counts escalations of the same kind this task has already had ("lần 2" after
    an extension ran out again). The unique key (task, rung, due) and NOT EXISTS make a
    second sweep, or a concurrent one, create nothing twice.
    """
    rung = plan.number
    now_value = literal(now, type_=escalations.c.created_at.type)
    chased = func.coalesce(tasks.c.due_at, tasks.c.created_at)  # unreceived: no due yet
    conditions = [  # the batch is read by its ids (see tasks.unindexed)
        in_batch(ids),
        unindexed(tasks.c.state).in_(list(plan.states)),
        unindexed(tasks.c.rung) < rung,  # a task that reached this rung for its due is done with it
        directives.c.template_id == template_id,
        directives.c.office_code == office,
        ~exists().where(
            escalations.c.task_id == tasks.c.id,
            escalations.c.rung == rung,
            escalations.c.due_at == chased,
        ),
        *_reached(plan, now, unindexed),
    ]
    earlier = (
        select(func.count())
        .select_from(escalations)
        .where(escalations.c.task_id == tasks.c.id, escalations.c.kind == plan.rung.kind)
        .scalar_subquery()
    )
    source = _with_targets(
        plan,
        select(
            tasks.c.id, tasks.c.directive_id, literal(rung), literal(plan.rung.kind), earlier + 1
        )
        .select_from(tasks)
        .join(directives, directives.c.id == unindexed(tasks.c.directive_id)),
    ).add_columns(chased, now_value)
    statement = (
        dialect_insert(conn, escalations)
        .from_select(
            [
                "task_id",
                "directive_id",
                "rung",
                "kind",
                "round",
                "target",
                "person_id",
                "target_name",
                "note",
                "due_at",
                "created_at",
            ],
            source.where(*conditions),
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)
    )
    return conn.execute(statement).rowcount


def mark_reached(conn: Connection, ids: Sequence[int], now: dt.datetime) -> None:
    """Each task of the batch ``ids`` remembers the highest rung it reached at ``now`` (the
    dashboard reads it): one UPDATE … FROM after all the rungs of a batch, not one per
    rung; the batch's escalations are read through their task ids, never all of today's."""
    top = (
        select(escalations.c.task_id, func.max(escalations.c.rung).label("rung"))
        .where(
            in_batch(ids, escalations.c.task_id),
            unindexed(escalations.c.created_at)
            == literal(now, type_=escalations.c.created_at.type),
        )
        .group_by(escalations.c.task_id)
        .subquery()
    )
    conn.execute(
        update(tasks)
        .where(tasks.c.id == top.c.task_id, unindexed(tasks.c.rung) < top.c.rung)
        .values(rung=top.c.rung)
    )


def _reached(plan: RungPlan, now: dt.datetime, column=lambda c: c) -> list:
    """The conditions on the task's due, overdue moment and receipt that the rung needs
    (each task column passed through ``column``: ``tasks.unindexed`` in a batch)."""
    at = literal(now, type_=tasks.c.late_at.type)
    late_at, due_seq = column(tasks.c.late_at), column(tasks.c.due_seq)
    out = []
    if plan.rung.waiting == "receipt":
        out += [
            column(tasks.c.received_at).is_(None),
            column(tasks.c.created_at) < literal(plan.issued_before, type_=tasks.c.created_at.type),
        ]
    if plan.late is True:
        out += [late_at.is_not(None), late_at < at]
    elif plan.late is False:
        out += [late_at.is_not(None), late_at >= at]
    if plan.seq_limit is not None:
        out += [due_seq.is_not(None), due_seq <= plan.seq_limit]
    return out


def _with_targets(plan: RungPlan, source):
    """Whom the rung reaches: the unit itself, or the target resolved for its directive
    (and level) in this sweep's target table."""
    if plan.rung.to == "recipient":
        return source.join(units, units.c.code == tasks.c.unit_code).add_columns(
            literal("recipient"),
            literal(None, String),
            units.c.name + literal(" (") + units.c.code + literal(")"),
            literal(""),
        )
    level: ColumnElement[Any] = literal("")
    if plan.per_level:  # the unit's first level, looked up per task (never all units)
        level = (
            select(func.min(unit_levels.c.level))
            .where(unit_levels.c.unit_code == tasks.c.unit_code)
            .scalar_subquery()
        )
    return source.join(
        targets,
        and_(
            targets.c.directive_id == tasks.c.directive_id,
            targets.c.rung == plan.number,
            targets.c.level == level,
        ),
    ).add_columns(targets.c.target, targets.c.person_id, targets.c.target_name, targets.c.note)


def new_batches(conn: Connection, now: dt.datetime) -> list[dict[str, Any]]:
    """Escalations created at ``now``, grouped by directive, rung and whom they reached,
    that have no notification yet (one GROUP BY; a message per group, not per task)."""
    at = literal(now, type_=escalations.c.created_at.type)
    done = exists().where(
        notifications.c.directive_id == escalations.c.directive_id,
        notifications.c.rung == escalations.c.rung,
        notifications.c.recipient == escalations.c.target_name,
        notifications.c.created_at == at,
    )
    rows = conn.execute(
        select(
            escalations.c.directive_id,
            escalations.c.rung,
            escalations.c.kind,
            escalations.c.person_id,
            escalations.c.target_name,
            func.max(escalations.c.note).label("note"),
            func.count().label("tasks"),
            func.max(escalations.c.round).label("round"),
            func.min(escalations.c.due_at).label("due_at"),
            func.aggregate_strings(units.c.name, "; ").label("units"),
            directives.c.code,
            directives.c.date,
            directives.c.subject,
            func.coalesce(
                func.max(people.c.email),
                func.max(case((escalations.c.target == "recipient", units.c.email), else_=None)),
            ).label("email"),
        )
        .join(tasks, tasks.c.id == escalations.c.task_id)
        .join(units, units.c.code == tasks.c.unit_code)
        .join(directives, directives.c.id == escalations.c.directive_id)
        .join(people, people.c.id == escalations.c.person_id, isouter=True)
        .where(escalations.c.created_at == at, ~done)
        .group_by(
            escalations.c.directive_id,
            escalations.c.rung,
            escalations.c.kind,
            escalations.c.person_id,
            escalations.c.target_name,
            directives.c.code,
            directives.c.date,
            directives.c.subject,
        )
        .order_by(escalations.c.directive_id, escalations.c.rung, escalations.c.target_name)
    ).mappings()
    return [dict(r) for r in rows]


def owe_notifications(conn: Connection, at: dt.datetime) -> None:
    """Note, in the transaction that made escalations at ``at``, that their notifications
    are owed; a note already there counts one batch more (see :func:`settled`)."""
    statement = dialect_insert(conn, unnotified).values(at=at, batches=1)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["at"], set_={"batches": unnotified.c.batches + 1}
        )
    )


def owed(conn: Connection) -> list[tuple[dt.datetime, int]]:
    """The moments whose escalations are owed their notifications, oldest first, each with
    the count of batches that noted it so far."""
    query = select(unnotified.c.at, unnotified.c.batches).order_by(unnotified.c.at)
    return [(at, batches) for at, batches in conn.execute(query)]


def settled(conn: Connection, notes: Sequence[tuple[dt.datetime, int]]) -> None:
    """Remove the notes whose notifications are queued, as :func:`owed` read them: a note a
    batch added to since then stays, and the next sweep queues what that batch made."""
    for at, batches in notes:
        conn.execute(
            delete(unnotified).where(
                unnotified.c.at == literal(at, type_=unnotified.c.at.type),
                unnotified.c.batches == batches,
            )
        )


def queue(conn: Connection, messages: Sequence[Message]) -> int:
    """Put messages in the outbox, queued and not yet tried (one already there is kept)."""
    rows = [
        {**dataclasses.asdict(m), "status": "queued", "attempts": 0, "last_error": ""}
        for m in messages
    ]
    if rows:
        conn.execute(dialect_insert(conn, notifications).on_conflict_do_nothing(), rows)
    return len(rows)


def pending_messages(conn: Connection, limit: int | None) -> list[dict[str, Any]]:
    query = (
        select(notifications).where(notifications.c.status == "queued").order_by(notifications.c.id)
    )
    if limit:
        query = query.limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def mark_message(
    conn: Connection, message_id: int, sent: bool, channel: str, error: str, now: dt.datetime
) -> None:
    values: dict[str, Any] = {
        "attempts": notifications.c.attempts + 1,
        "channel": channel,
        "last_error": error,
    }
    if sent:
        values.update(status="sent", sent_at=literal(now, type_=notifications.c.sent_at.type))
    conn.execute(update(notifications).where(notifications.c.id == message_id).values(**values))


def listing(
    conn: Connection,
    open_only: bool,
    person: str | None,
    directive_id: int | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    query = (
        select(
            escalations,
            units.c.code.label("unit"),
            units.c.name.label("unit_name"),
            directives.c.code.label("code"),
            directives.c.subject,
            directives.c.date,
            directives.c.template_id,
            tasks.c.state,
            func.count().over().label("total"),  # how many in all, before the limit
        )
        .join(tasks, tasks.c.id == escalations.c.task_id)
        .join(units, units.c.code == tasks.c.unit_code)
        .join(directives, directives.c.id == escalations.c.directive_id)
        .order_by(escalations.c.created_at.desc(), escalations.c.id.desc())
    )
    if open_only:
        query = query.where(escalations.c.resolved_at.is_(None))
    if person:
        query = query.where(escalations.c.person_id == person)
    if directive_id is not None:
        query = query.where(escalations.c.directive_id == directive_id)
    if limit:
        query = query.limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def of_task(conn: Connection, task_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            select(escalations).where(escalations.c.task_id == task_id).order_by(escalations.c.id)
        ).mappings()
    ]


# ---------------------------------------------------------------------------- recurring


def recurring_deliverables(conn: Connection) -> list[dict[str, Any]]:
    """Recurring deliverables still running, each with its first and latest period.

    Only deliverables with an end date are recurring; their periods are read through the
    (deliverable, unit, period) index, never by scanning every task.
    """

    def period(agg):
        return (
            select(agg(tasks.c.period))
            .where(tasks.c.deliverable_id == deliverables.c.id)
            .scalar_subquery()
        )

    rows = conn.execute(
        select(
            deliverables.c.id,
            deliverables.c.directive_id,
            deliverables.c.recurring,
            deliverables.c.until,
            directives.c.template_id,
            directives.c.office_code,
            period(func.min).label("first"),
            period(func.max).label("last"),
        )
        .join(directives, directives.c.id == deliverables.c.directive_id)
        .where(deliverables.c.until.is_not(None), directives.c.withdrawn_at.is_(None))
    ).mappings()
    return [dict(r) for r in rows if r["recurring"] and r["first"]]


def add_period(
    conn: Connection,
    deliverable_id: int,
    first: str,
    period: str,
    state: str,
    schedule: dict[str, Any],
    received: dt.datetime | None,
    now: dt.datetime,
) -> int:
    """One more period's tasks for every unit that has the first one: one INSERT … SELECT."""
    source = select(
        tasks.c.directive_id,
        tasks.c.deliverable_id,
        tasks.c.unit_code,
        literal(period),
        literal(state),
        literal(1),
        literal(schedule["due_at"], type_=tasks.c.due_at.type),
        literal(schedule["late_at"], type_=tasks.c.late_at.type),
        literal(schedule["due_seq"], type_=tasks.c.due_seq.type),
        literal(received, type_=tasks.c.received_at.type),
        literal(now, type_=tasks.c.created_at.type),
        literal(now, type_=tasks.c.updated_at.type),
    ).where(tasks.c.deliverable_id == deliverable_id, tasks.c.period == first)
    statement = (
        dialect_insert(conn, tasks)
        .from_select(
            [
                "directive_id",
                "deliverable_id",
                "unit_code",
                "period",
                "state",
                "version",
                "due_at",
                "late_at",
                "due_seq",
                "received_at",
                "created_at",
                "updated_at",
            ],
            source,
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)
    )
    return conn.execute(statement).rowcount
