"""Tasks and their events: listing, the checked update a trigger makes, the history, and
the set-based overdue sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pendulum
from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from chidao import audit
from chidao.clock import format_moment
from chidao.errors import ConcurrentChange, InputError, NotFound, TransitionRefused
from chidao.model import Actor, Event, TaskView
from chidao.store.audit import chained
from chidao.store.directives import directive_label
from chidao.store.driver import DriverSQL, bind_time, read_times
from chidao.store.schema import (
    deliverables,
    directives,
    events,
    extension_requests,
    people,
    tasks,
    templates,
    unit_levels,
    units,
)
from chidao.workflow import PREVIOUS


@dataclass(frozen=True)
class TaskRow:
    """What the engine needs to decide a transition for one task."""

    id: int
    directive_id: int
    unit_code: str
    state: str
    version: int
    template_id: int
    office_code: str
    due_at: pendulum.DateTime | None
    received_at: pendulum.DateTime | None
    reported_at: pendulum.DateTime | None
    late_at: pendulum.DateTime | None
    due_seq: int | None
    days_late: int | None
    prev_state: str | None = None
    head: str = ""  # the hash of its last event (audit chain)
    updated_at: dt.datetime | None = None  # its last change: no later one may be dated before
    withdrawn_at: dt.datetime | None = None  # its directive was withdrawn (thu hồi) then


# Built once: the hot path of every transition is this SELECT, one UPDATE, one INSERT.
_LOAD_COLUMNS = select(
    tasks.c.id,
    tasks.c.directive_id,
    tasks.c.unit_code,
    tasks.c.state,
    tasks.c.version,
    directives.c.template_id,
    directives.c.office_code,
    tasks.c.due_at,
    tasks.c.received_at,
    tasks.c.reported_at,
    tasks.c.late_at,
    tasks.c.due_seq,
    tasks.c.days_late,
    tasks.c.prev_state,
    tasks.c.head,
    tasks.c.updated_at,
    directives.c.withdrawn_at,
    select(people.c.office_code)
    .where(people.c.id == bindparam("actor"))
    .scalar_subquery()
    .label("actor_office"),
    select(units.c.code)
    .where(units.c.code == bindparam("actor"))
    .scalar_subquery()
    .label("actor_unit"),
).join(directives, directives.c.id == tasks.c.directive_id)
# PostgreSQL: the tasks are locked first (SQLite's write lock is already held), so a fire
# that meets a task another transaction (a sweep batch) is changing waits for it and then
# reads what it left, instead of failing its version check when that one commits. The lock
# is its own statement: under row-level security FOR UPDATE sees only the rows a login may
# change, and a task it may only read must still be found, to be refused by name.
_LOCK = (
    select(tasks.c.id)
    .where(tasks.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(tasks.c.id)
    .with_for_update()
)
_LOAD_MANY = _LOAD_COLUMNS.where(tasks.c.id.in_(bindparam("ids", expanding=True)))


# One task, the common case (``task fire 3``): the same SELECT in the driver's own terms
# (``store.driver``). Not FOR UPDATE: under row-level security that hides a task a login
# may read but not change, and its refusal must name the owner ("task 16 is a task of …").
_LOAD_ONE_SQL = DriverSQL(
    "SELECT t.id, t.directive_id, t.unit_code, t.state, t.version, d.template_id,"
    " d.office_code, t.due_at, t.received_at, t.reported_at, t.late_at, t.due_seq,"
    " t.days_late, t.prev_state, t.head, t.updated_at, d.withdrawn_at,"
    " (SELECT p.office_code FROM people p WHERE p.id = :actor),"
    " (SELECT u.code FROM units u WHERE u.code = :actor)"
    " FROM tasks t JOIN directives d ON d.id = t.directive_id WHERE t.id = :id"
)
_ROW_TIMES = (7, 8, 9, 10, 15, 16)  # due, received, reported, late, updated, withdrawn


def load_for_fire(conn: Connection, ids: Sequence[int], actor: str) -> tuple[list[TaskRow], Actor]:
    """The tasks to change (in the order given) and who the actor is, in one statement."""
    rows: list[TaskRow] = []
    who = Actor(actor, None, None)
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK, {"ids": sorted(set(ids))})
    if len(ids) == 1:
        for r in _LOAD_ONE_SQL.rows(conn, {"id": ids[0], "actor": actor}):
            values = read_times(r, _ROW_TIMES, conn.dialect)
            rows.append(TaskRow(*values[:17]))
            who = Actor(actor, values[17], values[18])
    for start in range(0, len(ids) if len(ids) > 1 else 0, 500):
        params = {"ids": list(ids[start : start + 500]), "actor": actor}
        for r in conn.execute(_LOAD_MANY, params):
            rows.append(TaskRow(*r[:17]))
            who = Actor(actor, r.actor_office, r.actor_unit)
    found = {r.id for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"task {missing[0]} does not exist", kind="task", key=missing[0])
    gone = next((r for r in rows if r.withdrawn_at is not None), None)
    if gone is not None:
        raise TransitionRefused(
            f"task {gone.id}: its directive was withdrawn (thu hồi) on "
            f"{format_moment(gone.withdrawn_at)}; it is no longer tracked",
            task=gone.id,
            state=gone.state,
        )
    order = {task_id: n for n, task_id in enumerate(ids)}
    return sorted(rows, key=lambda r: order[r.id]), who


_UPDATE = (
    update(tasks)
    .where(tasks.c.id == bindparam("b_id"), tasks.c.version == bindparam("b_version"))
    .values(
        state=bindparam("b_dest"),
        prev_state=bindparam("b_prev"),
        version=tasks.c.version + 1,
        updated_at=bindparam("b_now", type_=tasks.c.updated_at.type),
        received_at=bindparam("b_received", type_=tasks.c.received_at.type),
        due_at=bindparam("b_due", type_=tasks.c.due_at.type),
        reported_at=bindparam("b_reported", type_=tasks.c.reported_at.type),
        late_at=bindparam("b_late", type_=tasks.c.late_at.type),
        due_seq=bindparam("b_seq", type_=tasks.c.due_seq.type),
        days_late=bindparam("b_days_late", type_=tasks.c.days_late.type),
        head=bindparam("b_head"),
    )
)
_INSERT_EVENTS = insert(events)
# The same two statements for one task, in the driver's own terms (``store.driver``).
_UPDATE_ONE_SQL = DriverSQL(
    "UPDATE tasks SET state = :b_dest, prev_state = :b_prev, version = version + 1,"
    " updated_at = :b_now, received_at = :b_received, due_at = :b_due,"
    " reported_at = :b_reported, late_at = :b_late, due_seq = :b_seq,"
    " days_late = :b_days_late, head = :b_head WHERE id = :b_id AND version = :b_version"
)
_INSERT_EVENT_SQL = DriverSQL(
    'INSERT INTO events (task_id, from_state, to_state, "trigger", actor, on_behalf_of, at,'
    " note, os_user, hash) VALUES (:task_id, :from_state, :to_state, :trigger, :actor,"
    " :on_behalf_of, :at, :note, :os_user, :hash)"
)
_BOUND_TIMES = ("b_now", "b_received", "b_due", "b_reported", "b_late")


@dataclass(frozen=True, kw_only=True)
class Change:
    """One task's move, with the timestamps it sets (named: several are alike)."""

    row: TaskRow
    dest: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    reported_at: dt.datetime | None
    late_at: dt.datetime | None
    due_seq: int | None
    days_late: int | None
    on_behalf_of: str | None = None  # the unit an office person recorded this for


def apply_change(
    conn: Connection,
    changes: Sequence[Change],
    trigger: str,
    actor: str,
    note: str,
    now: dt.datetime,
) -> None:
    """Move each (task, dest) and write its event; refuse if any task changed meanwhile.

    One UPDATE statement executed over all tasks (each checked against the version it was
    read with) and one bulk INSERT of events, inside the caller's transaction.
    """
    if not changes:
        return
    not_before(changes, now)
    os_user = audit.os_account()
    shared = audit.constants(trigger, actor, os_user, now, note)
    hashes = [
        audit.digest(
            audit.content(
                c.row.head,
                c.row.id,
                c.row.version + 1,
                c.row.state,
                c.dest,
                c.on_behalf_of,
                shared,
            )
        )
        for c in changes
    ]
    params = [
        {
            "b_id": c.row.id,
            "b_version": c.row.version,
            "b_dest": c.dest,
            # a move keeps where it came from; staying put keeps the earlier one
            "b_prev": c.row.prev_state if c.dest == c.row.state else c.row.state,
            "b_now": now,
            "b_received": c.received_at,
            "b_due": c.due_at,
            "b_reported": c.reported_at,
            "b_late": c.late_at,
            "b_seq": c.due_seq,
            "b_days_late": c.days_late,
            "b_head": digest,
        }
        for c, digest in zip(changes, hashes, strict=True)
    ]
    if len(params) == 1:  # one task, the common case: straight to the driver
        _apply_one(conn, params[0], trigger, actor, note, os_user, changes[0])
        return
    result = conn.execute(_UPDATE, params)
    if result.rowcount != len(params):
        raise ConcurrentChange(
            "someone else changed one of these tasks since it was read (task "
            f"{params[0]['b_id']}, version {params[0]['b_version']}); nothing was changed: "
            "reload and try again",
            task=changes[0].row.id,
        )
    rows = [
        {
            "task_id": c.row.id,
            "from_state": c.row.state,
            "to_state": c.dest,
            "trigger": trigger,
            "actor": actor,
            "on_behalf_of": c.on_behalf_of,
            "at": now,
            "note": note,
            "os_user": os_user,
            "hash": digest,
        }
        for c, digest in zip(changes, hashes, strict=True)
    ]
    conn.execute(_INSERT_EVENTS, rows)


def _apply_one(
    conn: Connection,
    params: dict[str, Any],
    trigger: str,
    actor: str,
    note: str,
    os_user: str,
    change: Change,
) -> None:
    dialect = conn.dialect
    bound = {**params, **{k: bind_time(params[k], dialect) for k in _BOUND_TIMES}}
    if _UPDATE_ONE_SQL.count(conn, bound) != 1:
        raise ConcurrentChange(
            f"someone else changed this task since it was read (task {params['b_id']}, "
            f"version {params['b_version']}); nothing was changed: reload and try again",
            task=change.row.id,
        )
    _INSERT_EVENT_SQL.count(
        conn,
        {
            "task_id": change.row.id,
            "from_state": change.row.state,
            "to_state": change.dest,
            "trigger": trigger,
            "actor": actor,
            "on_behalf_of": change.on_behalf_of,
            "at": bound["b_now"],
            "note": note,
            "os_user": os_user,
            "hash": params["b_head"],
        },
    )


def not_before(changes: Sequence[Change], now: dt.datetime) -> None:
    """Refuse to date a change before the task's last one: history only moves forward."""
    for c in changes:
        last = c.row.updated_at
        if last is not None and last > now:
            raise InputError(
                f"task {c.row.id}: its last change is at {format_moment(last)}; a new one "
                f"cannot be dated earlier ({format_moment(now)})"
            )


def _levels_of(levels: str) -> tuple[str, ...]:
    return tuple(filter(None, levels.split(",")))


def list_tasks(
    conn: Connection,
    directive_id: int | None = None,
    unit: str | None = None,
    level: str | None = None,
    state: str | None = None,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
    pending_extension: bool = False,
    with_total: bool = False,
) -> list[dict[str, Any]]:
    """The tasks that pass the filters, by id; ``with_total`` adds to each row how many
    passed them in all (a window count, before ``limit``)."""
    query = (
        select(
            tasks.c.id,
            tasks.c.directive_id,
            directives.c.code,
            directives.c.subject,
            directives.c.date,
            tasks.c.unit_code,
            units.c.name.label("unit_name"),
            units.c.levels,
            tasks.c.state,
            tasks.c.version,
            tasks.c.due_at,
            tasks.c.received_at,
            tasks.c.reported_at,
            tasks.c.period,
            tasks.c.days_late,
            deliverables.c.item,
            deliverables.c.seq,
            directives.c.template_id,
            templates.c.name.label("workflow"),
        )
        .join(directives, directives.c.id == tasks.c.directive_id)
        .join(units, units.c.code == tasks.c.unit_code)
        .join(deliverables, deliverables.c.id == tasks.c.deliverable_id)
        .join(templates, templates.c.id == directives.c.template_id)
        .order_by(tasks.c.id)
    )
    if directive_id is not None:
        query = query.where(tasks.c.directive_id == directive_id)
    if unit:
        query = query.where(tasks.c.unit_code == unit)
    if state:
        query = query.where(tasks.c.state == state)
    if level:
        query = query.where(
            exists().where(
                unit_levels.c.unit_code == tasks.c.unit_code, unit_levels.c.level == level
            )
        )
    if ids is not None:
        query = query.where(tasks.c.id.in_(list(ids)))
    if pending_extension:
        query = query.where(
            exists().where(
                extension_requests.c.task_id == tasks.c.id,
                extension_requests.c.status == "pending",
            )
        )
    if limit:
        query = query.limit(limit)
    if with_total:
        query = query.add_columns(func.count().over().label("total"))
    return [dict(r) for r in conn.execute(query).mappings()]


def to_view(row: dict[str, Any], label: str, label_en: str = "") -> TaskView:
    return TaskView(
        id=row["id"],
        directive_id=row["directive_id"],
        directive=directive_label(row["code"], row["directive_id"], row["subject"], row["date"]),
        unit=row["unit_code"],
        unit_name=row["unit_name"],
        levels=_levels_of(row["levels"]),
        state=row["state"],
        state_label=label,
        version=row["version"],
        due=row["due_at"],
        received_at=row["received_at"],
        reported_at=row["reported_at"],
        deliverable=row["item"] or str(row["seq"]),
        workflow=row["workflow"],
        period=row["period"],
        days_late=row["days_late"],
        state_label_en=label_en,
    )


def history(conn: Connection, task_id: int) -> list[Event]:
    if conn.execute(select(tasks.c.id).where(tasks.c.id == task_id)).scalar() is None:
        raise NotFound(f"task {task_id} does not exist", kind="task", key=task_id)
    rows = conn.execute(
        select(events, people.c.name.label("actor_name"))
        .join(people, people.c.id == events.c.actor, isouter=True)
        .where(events.c.task_id == task_id)
        .order_by(events.c.id)
    ).mappings()
    return [
        Event(
            id=r["id"],
            task_id=r["task_id"],
            from_state=r["from_state"],
            to_state=r["to_state"],
            trigger=r["trigger"],
            actor=r["actor"],
            at=r["at"],
            note=r["note"],
            on_behalf_of=r["on_behalf_of"],
            actor_name=r["actor_name"],
        )
        for r in rows
    ]


def templates_in_use(conn: Connection) -> list[tuple[int, str]]:
    """Every (template, issuing office) pair that has directives."""
    rows = conn.execute(
        select(directives.c.template_id, directives.c.office_code)
        .where(directives.c.withdrawn_at.is_(None))
        .distinct()
        .order_by(directives.c.template_id, directives.c.office_code)
    )
    return [(t, o) for t, o in rows]


def count_by_state(conn: Connection, directive_id: int) -> dict[str, int]:
    rows = conn.execute(
        select(tasks.c.state, func.count())
        .where(tasks.c.directive_id == directive_id)
        .group_by(tasks.c.state)
    )
    return {state: n for state, n in rows}


def _dest(moves: Mapping[str, str], initial: str):
    """The compiled moves of a trigger as one SQL ``CASE`` over the task's state."""
    whens = [
        (
            tasks.c.state == source,
            func.coalesce(tasks.c.prev_state, literal(initial))
            if dest == PREVIOUS
            else literal(dest),
        )
        for source, dest in moves.items()
    ]
    return case(*whens, else_=tasks.c.state)


def move_where(
    conn: Connection,
    where,
    moves: Mapping[str, str],
    initial: str,
    *,
    trigger: str,
    actor: str,
    note: str,
    now: dt.datetime,
    on_behalf: bool = False,
    **values: Any,
) -> int:
    """Move every task matching ``where`` as the template's compiled ``moves`` (source →
    dest, as ``Workflow.moves`` gives them) say; each task that changes gets one event.

    Tasks in a state the moves do not name are left alone; so is a ``previous`` that would
    lead back to the state the task is in.
    """
    moving = {s: d for s, d in moves.items() if s != d}
    if not moving:
        return 0
    dest = _dest(moving, initial)
    # the tasks are found by ``where`` (ids, a sweep batch, a directive), never
    # by scanning every task in a state
    pred = and_(where, unindexed(tasks.c.state).in_(list(moving)), dest != tasks.c.state)
    return _write(
        conn,
        pred,
        {"prev_state": tasks.c.state, "state": dest, **values},
        (tasks.c.state, dest),
        trigger=trigger,
        actor=actor,
        note=note,
        now=now,
        on_behalf=on_behalf,
    )


def record_where(
    conn: Connection,
    where,
    *,
    trigger: str,
    actor: str,
    note: str,
    now: dt.datetime,
    **values: Any,
) -> int:
    """Change what ``values`` says of the tasks matching ``where`` without moving them (a
    new due); each task still gets its event, so its history says who did it and when."""
    return _write(
        conn,
        where,
        values,
        (tasks.c.state, tasks.c.state),
        trigger=trigger,
        actor=actor,
        note=note,
        now=now,
        on_behalf=False,
    )


_EVENT_COLUMNS = [
    "task_id",
    "from_state",
    "to_state",
    "trigger",
    "actor",
    "on_behalf_of",
    "at",
    "note",
    "os_user",
    "hash",
]


def _write(
    conn: Connection,
    pred,
    values: dict[str, Any],
    states: tuple[Any, Any],
    *,
    trigger: str,
    actor: str,
    note: str,
    now: dt.datetime,
    on_behalf: bool,
) -> int:
    """One UPDATE and the events of exactly the rows it changed, race-free on both backends.

    PostgreSQL: one statement, ``WITH moved AS (UPDATE … RETURNING) INSERT INTO events
    SELECT … FROM moved``: a row another transaction changed meanwhile is re-checked by the
    UPDATE and, if it no longer matches, is neither moved nor given an event. SQLite: the
    write transaction holds the database's only write lock (``BEGIN IMMEDIATE``), so the
    events INSERT … SELECT and the UPDATE with the same predicate see the same rows.
    Each event's hash links it to the task's previous one (``chidao.audit``); a task whose
    last change is later than ``now`` is left alone: history is never dated backwards.
    """
    os_user = audit.os_account()
    shared = audit.constants(trigger, actor, os_user, now, note)
    behalf = tasks.c.unit_code if on_behalf else literal(None, String)
    link = chained(
        tasks.c.head,
        tasks.c.id,
        tasks.c.version + 1,
        states[0],
        states[1],
        behalf,
        shared,
    )
    pred = and_(pred, tasks.c.updated_at <= literal(now, type_=tasks.c.updated_at.type))
    changes = {
        "version": tasks.c.version + 1,
        "updated_at": literal(now, type_=tasks.c.updated_at.type),
        "head": link,
        **values,
    }
    moves = states[0] is not states[1]

    def constants(unit_code, digest):
        return [
            literal(trigger),
            literal(actor),
            unit_code if on_behalf else literal(None, String),
            literal(now, type_=events.c.at.type),
            literal(note),
            literal(os_user),
            digest,
        ]

    if conn.dialect.name == "postgresql":
        moved = (
            update(tasks)
            .where(pred)
            .values(**changes)
            .returning(
                tasks.c.id,
                (tasks.c.prev_state if moves else tasks.c.state).label("from_state"),
                tasks.c.state,
                tasks.c.unit_code,
                tasks.c.head,
            )
            .cte("moved")
        )
        source = select(
            moved.c.id,
            moved.c.from_state,
            moved.c.state,
            *constants(moved.c.unit_code, moved.c.head),
        )
        statement = insert(events).from_select(_EVENT_COLUMNS, source)
        return conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    conn.execute(
        insert(events).from_select(
            _EVENT_COLUMNS,
            select(tasks.c.id, states[0], states[1], *constants(tasks.c.unit_code, link)).where(
                pred
            ),
        )
    )
    return conn.execute(update(tasks).where(pred).values(**changes)).rowcount


def schedule_values(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """A new due, overdue moment and ladder origin, as UPDATE values (the ladder restarts)."""
    return {
        "due_at": literal(schedule["due_at"], type_=tasks.c.due_at.type),
        "late_at": literal(schedule["late_at"], type_=tasks.c.late_at.type),
        "due_seq": literal(schedule["due_seq"], type_=tasks.c.due_seq.type),
        "rung": 0,
    }


def record(
    conn: Connection,
    task_id: int,
    state: str,
    trigger: str,
    actor: str,
    note: str,
    now: dt.datetime,
) -> None:
    """An event that changes no state (an extension asked for or refused); the task's
    version still counts it, so every event is one version."""
    record_where(conn, tasks.c.id == task_id, trigger=trigger, actor=actor, note=note, now=now)


def with_ids(ids: Sequence[int]):
    return tasks.c.id.in_(list(ids))


def of_directive(directive_id: int):
    return tasks.c.directive_id == directive_id


def open_of_directive(directive_id: int, closed: set[str]):
    """The tasks of a directive that are not reported or finished."""
    return and_(tasks.c.directive_id == directive_id, tasks.c.state.not_in(sorted(closed)))


def actor_of(conn: Connection, actor: str) -> Actor:
    row = conn.execute(
        select(
            select(people.c.office_code).where(people.c.id == actor).scalar_subquery(),
            select(units.c.code).where(units.c.code == actor).scalar_subquery(),
        )
    ).one()
    return Actor(actor, row[0], row[1])


def pending_request(conn: Connection, task_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(extension_requests).where(
                extension_requests.c.task_id == task_id, extension_requests.c.status == "pending"
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def add_request(
    conn: Connection, task_id: int, to: dt.datetime, actor: str, now: dt.datetime, note: str
) -> None:
    conn.execute(
        insert(extension_requests).values(
            task_id=task_id,
            requested_to=to,
            requested_by=actor,
            requested_at=now,
            note=note,
            status="pending",
        )
    )


def decide_request(
    conn: Connection, request_id: int, status: str, actor: str, now: dt.datetime, note: str
) -> None:
    conn.execute(
        update(extension_requests)
        .where(extension_requests.c.id == request_id)
        .values(
            status=status,
            decided_by=actor,
            decided_at=now,
            decision_note=note,
        )
    )


class unindexed(FunctionElement):
    """A column that SQLite's planner must not reach through an index (``+column``): a
    sweep batch is read by its ids (a few thousand rows), not through a state index
    scanned over the whole table once per batch, which made a 1M backlog quadratic; the
    same for a batch's escalations, read per task. PostgreSQL, whose planner has
    statistics, gets the plain column."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_plain(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses.clauses[0], **kw)


def in_batch(ids: Sequence[int], column=tasks.c.id):
    """The tasks of a sweep batch (``ids`` sorted; ``column`` holds a task id): its id
    range when they lie close together (a backlog: one range scan), else the ids
    themselves (a next morning's few, spread over the table); the statements' own
    conditions choose among them."""
    first, last = ids[0], ids[-1]
    return column.between(first, last) if last - first < 2 * len(ids) else column.in_(ids)


def late_in(ids: Sequence[int], template_id: int, office: str, now: dt.datetime):
    """Tasks of a batch (its ids), of this template and office, past their overdue
    moment (due plus grace): which of them move is the template's compiled moves' say."""
    return and_(
        in_batch(ids),
        unindexed(tasks.c.late_at).is_not(None),
        unindexed(tasks.c.late_at) < literal(now, type_=tasks.c.late_at.type),
        unindexed(tasks.c.directive_id).in_(
            select(directives.c.id).where(
                directives.c.template_id == template_id,
                directives.c.office_code == office,
                directives.c.withdrawn_at.is_(None),
            )
        ),
    )


def last_event(conn: Connection) -> int | None:
    """The id of the newest event (one step down the primary key)."""
    return conn.execute(select(func.max(events.c.id))).scalar()


def all_of(*clauses):
    """Task filters combined (each a WHERE clause on ``tasks``)."""
    return and_(*clauses)


def state_not_in(states: Sequence[str]):
    return tasks.c.state.not_in(list(states))


def due_not_before(due: dt.datetime):
    """Tasks already due at or after ``due`` (an extension to it would shorten theirs)."""
    return and_(
        tasks.c.due_at.is_not(None), tasks.c.due_at >= literal(due, type_=tasks.c.due_at.type)
    )


def count_where(conn: Connection, where) -> int:
    return conn.execute(select(func.count()).select_from(tasks).where(where)).scalar_one()


def waiting_of(deliverable_id: int, closed: Sequence[str]):
    """Open tasks of a deliverable that have no due yet (waiting for an event)."""
    return and_(
        tasks.c.deliverable_id == deliverable_id,
        tasks.c.due_at.is_(None),
        tasks.c.state.not_in(list(closed)),
    )
