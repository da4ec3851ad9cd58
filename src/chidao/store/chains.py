"""Directive chains: which directive answers which upstream task, and roll-up counts.

A directive issued by an office in answer to an upstream one is linked to the office's own
task in the upstream instance (``directives.parent_task_id``); an office is the recipient
unit of that task when its code is the task's unit code. Counts are GROUP BY queries.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, case, func, literal, or_, select

from chidao.store.schema import deliverables, directives, events, tasks, units


def code_key(code: str) -> str:
    """Codes match whatever the spacing, case or Unicode form: "746/SGDĐT-GDCN"."""
    return "".join(unicodedata.normalize("NFC", code).upper().split())


def find_upstream(
    conn: Connection, references: Iterable[dict[str, Any]], office: str
) -> dict[str, Any] | None:
    """The first cited directive in the database (same code and date) that has a task for
    ``office``: that task is what the new directive answers."""
    for ref in references:
        code, date = ref.get("code"), ref.get("date")
        if not code or not date:
            continue
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10])
        candidates = conn.execute(
            select(directives.c.id, directives.c.code).where(
                directives.c.date == day, directives.c.code.is_not(None)
            )
        ).all()
        for directive_id, found in candidates:
            if code_key(found) != code_key(code):
                continue
            task = own_task(conn, directive_id, office)
            if task is not None:
                return {**task, "code": found, "date": day}
    return None


def own_task(conn: Connection, directive_id: int, unit: str) -> dict[str, Any] | None:
    """The task of ``unit`` in a directive (its first deliverable and period)."""
    row = (
        conn.execute(
            select(tasks.c.id, tasks.c.directive_id, tasks.c.unit_code, tasks.c.state)
            .join(deliverables, deliverables.c.id == tasks.c.deliverable_id)
            .where(tasks.c.directive_id == directive_id, tasks.c.unit_code == unit)
            .order_by(deliverables.c.seq, tasks.c.period, tasks.c.id)
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def task_link(conn: Connection, task_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(
                tasks.c.id,
                tasks.c.directive_id,
                tasks.c.unit_code,
                directives.c.code,
                directives.c.office_code,
                directives.c.subject,
                directives.c.date,
            )
            .join(directives, directives.c.id == tasks.c.directive_id)
            .where(tasks.c.id == task_id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def parents_of(conn: Connection, task_ids: Sequence[int]) -> list[int]:
    """Upstream tasks answered by the directives of these tasks."""
    found: set[int] = set()
    for start in range(0, len(task_ids), 500):
        found.update(
            conn.scalars(
                select(directives.c.parent_task_id)
                .distinct()
                .join(tasks, tasks.c.directive_id == directives.c.id)
                .where(
                    tasks.c.id.in_(list(task_ids[start : start + 500])),
                    directives.c.parent_task_id.is_not(None),
                )
            )
        )
    return sorted(found)


def parents_behind(conn: Connection) -> list[int]:
    """Upstream tasks with an answering task reported after the upstream task's own last
    event: the roll-ups a report could not make (the sweep's to check). A roll-up made with
    the last report is an event at that very moment, so it is not behind."""
    child = tasks.alias("child")
    latest = (
        select(
            directives.c.parent_task_id.label("parent"),
            func.max(child.c.reported_at).label("reported"),
        )
        .join(child, child.c.directive_id == directives.c.id)
        .where(directives.c.parent_task_id.is_not(None))
        .group_by(directives.c.parent_task_id)
        .subquery()
    )
    last_event = (
        select(func.max(events.c.at)).where(events.c.task_id == latest.c.parent).scalar_subquery()
    )
    return sorted(
        conn.scalars(
            select(latest.c.parent).where(
                latest.c.reported.is_not(None),
                or_(last_event.is_(None), latest.c.reported > last_event),
            )
        )
    )


ReportedRule = Callable[[int, str], bool]  # (template id, state) → counts as reported


def _rolled_up(rows, reported: ReportedRule) -> dict[int, tuple[int, int]]:
    """(key, template, state, n) rows → per key: (tasks, reported) by the template's rule."""
    out: dict[int, tuple[int, int]] = {}
    for key, template_id, state, n in rows:
        total, done = out.get(key, (0, 0))
        out[key] = (total + n, done + (n if reported(template_id, state) else 0))
    return out


def children_counts(
    conn: Connection, parent_task_ids: Sequence[int], reported: ReportedRule
) -> dict[int, tuple[int, int]]:
    """Per upstream task: (tasks, reported) over every directive answering it."""
    if not parent_task_ids:
        return {}
    rows = conn.execute(
        select(directives.c.parent_task_id, directives.c.template_id, tasks.c.state, func.count())
        .join(tasks, tasks.c.directive_id == directives.c.id)
        .where(directives.c.parent_task_id.in_(list(parent_task_ids)))
        .group_by(directives.c.parent_task_id, directives.c.template_id, tasks.c.state)
    ).all()
    return _rolled_up(rows, reported)


def children_by_directive(
    conn: Connection, directive_ids: Sequence[int], reported: ReportedRule
) -> dict[int, tuple[int, int]]:
    """Per upstream directive: (tasks, reported) of everything answering its tasks."""
    if not directive_ids:
        return {}
    parent = tasks.alias("parent")
    # the answering directives first (few, often none): counting their tasks in the same
    # statement made SQLite scan every task's index entry to find them
    answering = conn.execute(
        select(directives.c.id, directives.c.template_id, parent.c.directive_id)
        .join(parent, parent.c.id == directives.c.parent_task_id)
        .where(parent.c.directive_id.in_(list(directive_ids)))
    ).all()
    if not answering:
        return {}
    upstream = {child: (template, up) for child, template, up in answering}
    counted = conn.execute(
        select(tasks.c.directive_id, tasks.c.state, func.count())
        .where(tasks.c.directive_id.in_(list(upstream)))
        .group_by(tasks.c.directive_id, tasks.c.state)
    ).all()
    totals: dict[tuple[int, int, str], int] = {}
    for child, state, n in counted:
        template, up = upstream[child]
        totals[(up, template, state)] = totals.get((up, template, state), 0) + n
    rows = [(up, template, state, n) for (up, template, state), n in totals.items()]
    return _rolled_up(rows, reported)


def links(conn: Connection) -> list[dict[str, Any]]:
    """Every link: child directive → the upstream task (its directive and unit)."""
    rows = conn.execute(
        select(
            directives.c.id.label("child"),
            tasks.c.id.label("task"),
            tasks.c.directive_id.label("parent"),
            tasks.c.unit_code,
            tasks.c.state,
            units.c.name.label("unit_name"),
        )
        .join(tasks, tasks.c.id == directives.c.parent_task_id)
        .join(units, units.c.code == tasks.c.unit_code)
    ).mappings()
    return [dict(r) for r in rows]


def progress(
    conn: Connection, directive_ids: Sequence[int], now: dt.datetime
) -> list[dict[str, Any]]:
    """Per directive and state: tasks, how many are past their due, and the last due; the
    caller counts reported and late by the directive's template."""
    if not directive_ids:
        return []
    at = literal(now, type_=tasks.c.due_at.type)
    rows = conn.execute(
        select(
            tasks.c.directive_id,
            tasks.c.state,
            func.count().label("n"),
            func.sum(case((tasks.c.due_at < at, 1), else_=0)).label("past_due"),
            func.max(tasks.c.due_at).label("due"),
        )
        .where(tasks.c.directive_id.in_(list(directive_ids)))
        .group_by(tasks.c.directive_id, tasks.c.state)
    ).mappings()
    return [dict(r) for r in rows]
