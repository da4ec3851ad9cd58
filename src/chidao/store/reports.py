"""What a report on one directive needs: one row per task, with the escalation it reached
and its latest note, in one SELECT (correlated subqueries, no per-task round trips)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from chidao.store.escalations import reached
from chidao.store.schema import deliverables, escalations, events, people, tasks, units


def _latest(column, where, people_too=None):
    query = select(column)
    if people_too is not None:
        query = query.select_from(events).join(
            people_too, people_too.c.id == events.c.actor, isouter=True
        )
    return query.where(*where).order_by(events.c.id.desc()).limit(1).scalar_subquery()


def task_rows(conn: Connection, directive_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            tasks.c.id,
            tasks.c.unit_code,
            units.c.name.label("unit_name"),
            units.c.levels,
            units.c.principal,
            tasks.c.state,
            tasks.c.received_at,
            tasks.c.reported_at,
            tasks.c.due_at,
            tasks.c.due_seq,
            tasks.c.days_late,
            tasks.c.period,
            deliverables.c.item,
            deliverables.c.seq,
            reached(escalations.c.kind, open_only=False).label("kind"),
            reached(escalations.c.round, open_only=False).label("round"),
            reached(escalations.c.target_name, open_only=False).label("reached"),
            _latest(events.c.note, (events.c.task_id == tasks.c.id, events.c.note != "")).label(
                "note"
            ),
            _latest(
                func.coalesce(people.c.name, events.c.actor),
                (
                    events.c.task_id == tasks.c.id,
                    events.c.on_behalf_of.is_not(None),
                    events.c.to_state == tasks.c.state,
                ),
                people,
            ).label("recorded_by"),
        )
        .join(units, units.c.code == tasks.c.unit_code)
        .join(deliverables, deliverables.c.id == tasks.c.deliverable_id)
        .where(tasks.c.directive_id == directive_id)
        .order_by(deliverables.c.seq, tasks.c.period, units.c.levels, units.c.name, tasks.c.id)
    ).mappings()
    return [dict(r) for r in rows]
