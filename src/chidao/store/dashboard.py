"""The dashboard's numbers: GROUP BY queries over indexes, never tasks loaded into Python.

Every function takes the same ``scope`` (a list of WHERE clauses on ``tasks``) so that
``--directive``, ``--level`` and ``--person`` narrow every part of the screen alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, literal, or_, select

from chidao.store.escalations import reached
from chidao.store.schema import (
    deliverables,
    directives,
    escalations,
    extension_requests,
    people,
    tasks,
    unit_levels,
    units,
)


def without(where: list, directive_ids: Sequence[int]) -> list:
    """``where`` leaving out these directives' tasks."""
    return [*where, tasks.c.directive_id.not_in(list(directive_ids))] if directive_ids else where


def withdrawn_ids(conn: Connection) -> list[int]:
    """The withdrawn directives (thu hồi): few, usually none."""
    return list(conn.scalars(select(directives.c.id).where(directives.c.withdrawn_at.is_not(None))))


def scope(
    directive_id: int | None = None,
    level: str | None = None,
    person: Mapping[str, Any] | None = None,
    withdrawn: Sequence[int] | None = None,
) -> list:
    """WHERE clauses on ``tasks`` for the chosen directive, level and person's desk, leaving
    out withdrawn directives (``withdrawn``, read before: no clause at all when there are
    none, instead of a lookup of every task's directive; None: a subquery).

    A person's desk: the tasks of their office's directives at the levels they follow (all
    levels for a lead), plus any task whose open escalation has reached them.
    """
    clauses: list[ColumnElement[bool]] = []
    if withdrawn is None:
        clauses.append(
            tasks.c.directive_id.not_in(
                select(directives.c.id).where(directives.c.withdrawn_at.is_not(None))
            )
        )
    elif withdrawn:
        clauses.append(tasks.c.directive_id.not_in(list(withdrawn)))
    if directive_id is not None:
        clauses.append(tasks.c.directive_id == directive_id)
    if level:
        clauses.append(
            exists().where(
                unit_levels.c.unit_code == tasks.c.unit_code, unit_levels.c.level == level
            )
        )
    if person is not None:
        mine: list[ColumnElement[bool]] = [
            tasks.c.directive_id.in_(
                select(directives.c.id).where(directives.c.office_code == person["office_code"])
            )
        ]
        levels = [lv for lv in (person["levels"] or "").split(",") if lv]
        if levels:
            mine.append(
                exists().where(
                    unit_levels.c.unit_code == tasks.c.unit_code, unit_levels.c.level.in_(levels)
                )
            )
        reached = exists().where(
            escalations.c.task_id == tasks.c.id,
            escalations.c.person_id == person["id"],
            escalations.c.resolved_at.is_(None),
        )
        clauses.append(or_(and_(*mine), reached))
    return clauses


def _at(now: dt.datetime):
    return literal(now, type_=tasks.c.due_at.type)


def directive_states(conn: Connection, where: Sequence, now: dt.datetime) -> list[dict[str, Any]]:
    """Per directive and state: how many, how many reported after their due, how many past
    due, the highest rung reached and the nearest due (one pass over a covering index)."""
    query = (
        select(
            tasks.c.directive_id,
            tasks.c.state,
            func.count().label("n"),
            func.sum(case((tasks.c.reported_at > tasks.c.due_at, 1), else_=0)).label("done_late"),
            func.sum(case((tasks.c.due_at < _at(now), 1), else_=0)).label("past_due"),
            func.max(tasks.c.rung).label("rung"),
            func.min(tasks.c.due_at).label("next_due"),
            func.max(tasks.c.due_at).label("last_due"),
        )
        .where(*where)
        .group_by(tasks.c.directive_id, tasks.c.state)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def directive_rows(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(
                directives.c.id,
                directives.c.code,
                directives.c.subject,
                directives.c.date,
                directives.c.urgency,
                directives.c.office_code,
                directives.c.template_id,
            ).where(directives.c.id.in_(list(ids[start : start + 500])))
        ).mappings()
        found.update({r["id"]: dict(r) for r in rows})
    return found


def level_states(conn: Connection, where: Sequence) -> list[dict[str, Any]]:
    """Per school level and state (a TH&THCS school counts in both levels)."""
    per_unit = (
        select(tasks.c.unit_code, tasks.c.state, func.count().label("n"))
        .where(*where)
        .group_by(tasks.c.unit_code, tasks.c.state)
        .subquery()
    )
    rows = conn.execute(
        select(unit_levels.c.level, per_unit.c.state, func.sum(per_unit.c.n).label("n"))
        .join(per_unit, per_unit.c.unit_code == unit_levels.c.unit_code)
        .group_by(unit_levels.c.level, per_unit.c.state)
    ).mappings()
    return [dict(r) for r in rows]


def overdue_list(
    conn: Connection,
    where: Sequence,
    states: Sequence[str],
    limit: int | None,
    open_states: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The most overdue tasks first (smallest working-day ordinal of due), with whom their
    escalation has reached, the school's contact, and how many there are in all: tasks in
    an overdue state, and open ones already past their due (not swept yet)."""
    # each branch with its own "due_seq IS NOT NULL": SQLite then reads both from the
    # (state, due_seq) index instead of every late task's row
    dated = tasks.c.due_seq.is_not(None)
    late: ColumnElement[bool] = and_(tasks.c.state.in_(list(states)), dated)
    if open_states and now is not None:
        late = or_(
            late, and_(tasks.c.state.in_(list(open_states)), tasks.c.due_at < _at(now), dated)
        )
    chosen = [late, *where]
    total = conn.execute(select(func.count()).select_from(tasks).where(*chosen)).scalar_one()
    # the first ``limit`` tasks by their keys alone; the joins and the escalation each has
    # reached only for those (a window count over every late task cost them all)
    first = (
        select(tasks.c.id, tasks.c.due_seq)
        .where(*chosen)
        .order_by(tasks.c.due_seq, tasks.c.id)
        .limit(limit)
        .subquery()
    )
    query = (
        select(
            tasks.c.id,
            tasks.c.unit_code,
            units.c.name.label("unit_name"),
            units.c.principal,
            units.c.phone,
            tasks.c.directive_id,
            directives.c.code,
            directives.c.office_code,
            tasks.c.due_at,
            tasks.c.due_seq,
            tasks.c.rung,
            reached(escalations.c.kind).label("kind"),
            reached(escalations.c.round).label("round"),
            reached(escalations.c.target_name).label("reached"),
            reached(escalations.c.person_id).label("person_id"),
            literal(total).label("total"),
        )
        .select_from(first)
        .join(tasks, tasks.c.id == first.c.id)
        .join(units, units.c.code == tasks.c.unit_code)
        .join(directives, directives.c.id == tasks.c.directive_id)
        .order_by(first.c.due_seq, first.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()] if total else []


def due_soon(
    conn: Connection,
    where: Sequence,
    states: Sequence[str],
    now: dt.datetime,
    last_seq: int,
    limit: int | None,
) -> tuple[int, list[dict[str, Any]]]:
    """Open tasks not yet late whose due falls within the next working days."""
    soon = [
        tasks.c.state.in_(list(states)),
        tasks.c.due_seq <= last_seq,
        tasks.c.due_at >= _at(now),
        *where,
    ]
    total = conn.execute(select(func.count()).select_from(tasks).where(*soon)).scalar_one()
    rows = conn.execute(
        select(
            tasks.c.id,
            tasks.c.unit_code,
            units.c.name.label("unit_name"),
            tasks.c.state,
            tasks.c.directive_id,
            directives.c.code,
            tasks.c.due_at,
        )
        .join(units, units.c.code == tasks.c.unit_code)
        .join(directives, directives.c.id == tasks.c.directive_id)
        .where(*soon)
        .order_by(tasks.c.due_seq, tasks.c.due_at, tasks.c.id)
        .limit(limit)
    ).mappings()
    return total, [dict(r) for r in rows]


def unit_tasks(conn: Connection, unit: str) -> list[dict[str, Any]]:
    """A school's tasks across all directives, with what the dashboard shows of each."""
    rows = conn.execute(
        select(
            tasks.c.id,
            tasks.c.state,
            tasks.c.due_at,
            tasks.c.reported_at,
            tasks.c.period,
            tasks.c.days_late,
            tasks.c.due_seq,
            tasks.c.rung,
            directives.c.id.label("directive_id"),
            directives.c.code,
            directives.c.subject,
            directives.c.date,
            directives.c.urgency,
            directives.c.template_id,
            directives.c.office_code,
            reached(escalations.c.kind).label("kind"),
            reached(escalations.c.target_name).label("reached"),
            deliverables.c.relative,
        )
        .join(directives, directives.c.id == tasks.c.directive_id)
        .join(deliverables, deliverables.c.id == tasks.c.deliverable_id)
        .where(tasks.c.unit_code == unit, directives.c.withdrawn_at.is_(None))
        .order_by(tasks.c.due_at, tasks.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def person_row(conn: Connection, person_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(people).where(people.c.id == person_id)).mappings().first()
    return dict(row) if row else None


def waiting(conn: Connection, where: Sequence) -> list[dict[str, Any]]:
    """Tasks with no due yet, per directive and deliverable: they wait for the school's
    receipt or for an event the office has not recorded ("chờ sự kiện")."""
    rows = [
        dict(r)
        for r in conn.execute(
            select(
                tasks.c.directive_id,
                tasks.c.state,
                tasks.c.deliverable_id,
                func.count().label("n"),
            )
            .where(tasks.c.due_at.is_(None), *where)
            .group_by(tasks.c.directive_id, tasks.c.state, tasks.c.deliverable_id)
        ).mappings()
    ]
    ids = sorted({r["deliverable_id"] for r in rows})
    relative = dict(
        conn.execute(
            select(deliverables.c.id, deliverables.c.relative).where(deliverables.c.id.in_(ids))
        ).all()
    )
    return [{**r, "relative": relative.get(r["deliverable_id"])} for r in rows]


def pending_extensions(
    conn: Connection, where: Sequence, limit: int | None
) -> tuple[int, list[dict[str, Any]]]:
    """Extension requests waiting for the office's decision, oldest first."""
    pending = [extension_requests.c.status == "pending", *where]
    total = conn.execute(
        select(func.count())
        .select_from(extension_requests)
        .join(tasks, tasks.c.id == extension_requests.c.task_id)
        .where(*pending)
    ).scalar_one()
    query = (
        select(
            extension_requests.c.task_id.label("task"),
            extension_requests.c.requested_to,
            extension_requests.c.requested_at,
            extension_requests.c.note,
            tasks.c.unit_code,
            tasks.c.due_at,
            units.c.name.label("unit_name"),
            tasks.c.directive_id,
            directives.c.code,
        )
        .join(tasks, tasks.c.id == extension_requests.c.task_id)
        .join(units, units.c.code == tasks.c.unit_code)
        .join(directives, directives.c.id == tasks.c.directive_id)
        .where(*pending)
        .order_by(extension_requests.c.requested_at, extension_requests.c.id)
    )
    if limit:
        query = query.limit(limit)
    return total, [dict(r) for r in conn.execute(query).mappings()]
