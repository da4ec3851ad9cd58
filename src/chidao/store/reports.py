"""What a report on one directive needs: one row per task, with the escalation it reached
and its latest note, in one SELECT (correlated subqueries, no per-task round trips)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from chidao.store.escalations import reached
from chidao.store.schema import deliverables, escalations, events, tasks, units


def _latest(column, where):
    return select(column).where(*where).order_by(events.c.id.desc()).limit(1).scalar_subquery()


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
        )
        .join(units, units.c.code == tasks.c.unit_code)
        .join(deliverables, deliverables.c.id == tasks.c.deliverable_id)
        .where(tasks.c.directive_id == directive_id)
        .order_by(deliverables.c.seq, tasks.c.period, units.c.levels, units.c.name, tasks.c.id)
    ).mappings()
    return [dict(r) for r in rows]
