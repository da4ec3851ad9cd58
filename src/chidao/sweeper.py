"""Everything time does to tasks, and what it leaves for people to read.

``sweep`` (cron, a systemd timer, or the start of ``chidao dashboard``) creates the coming
periods of recurring reports, marks overdue what is late, climbs the escalation ladders
and queues notifications, as of its ``now``, in one transaction. ``deliver`` sends the
queued notifications; ``escalation_listing`` reads what the ladders did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pendulum

from chidao import engine, notify
from chidao.calendar import Duration
from chidao.deadlines import Schedule, period_key, periods_due
from chidao.errors import NotFound
from chidao.ladder import Resolver
from chidao.model import LEVELS
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import escalations as estore
from chidao.store import org as ostore
from chidao.store import tasks as tstore
from chidao.workflow import Template


@dataclass
class Swept:
    """What one sweep did, as of its ``now``."""

    overdue: int = 0
    generated: int = 0
    escalations: dict[str, int] = field(default_factory=dict)  # kind → how many
    notifications: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "overdue": self.overdue,
            "generated": self.generated,
            "escalations": dict(self.escalations),
            "notifications": self.notifications,
        }


def sweep(store: Store, now: pendulum.DateTime, ahead: Duration | None = None) -> Swept:
    """Everything time does to tasks, in one transaction, as of ``now``.

    Generate the recurring periods that are coming up, mark overdue every open task past
    its due (plus grace), climb the escalation ladders, and queue one notification per
    directive, rung and person reached. One statement per template, office and rung;
    running it again at the same ``now`` (or from a second process) creates nothing twice.
    """
    result = Swept()
    with store.write() as conn:
        calendars = engine.OfficeCalendars(conn)
        result.generated = _generate_periods(store, conn, now, ahead, calendars)
        for template_id in tstore.templates_in_use(conn):
            template = engine.workflow_of(store, conn, template_id).template
            dest, sources = template.overdue_state, template.overdue_sources
            if not dest or not sources:
                continue
            trigger = next(
                t.trigger for t in template.transitions if t.dest == dest and engine.SYSTEM in t.by
            )
            result.overdue += tstore.sweep_overdue(conn, template_id, sources, dest, trigger, now)
            if template.escalation:
                _climb(conn, template_id, template, now, calendars, result)
        result.notifications = _queue_notifications(conn, now)
    return result


def _generate_periods(store: Store, conn, now, ahead, calendars: engine.OfficeCalendars) -> int:
    """Create the next periods of recurring deliverables due within the look-ahead."""
    created = 0
    for row in estore.recurring_deliverables(conn):
        template = engine.workflow_of(store, conn, row["template_id"]).template
        calendar = calendars[row["office_code"]]
        horizon = calendar.due_after(now, ahead or template.ahead)
        every, day = row["recurring"]["every"], row["recurring"]["day"]
        last = dt.date.fromisoformat(row["last"])
        received = now if template.receipt == "automatic" else None
        for due in periods_due(last, every, day, row["until"], horizon):
            schedule = Schedule.of(due, template, calendar)
            created += estore.add_period(
                conn,
                row["id"],
                row["first"],
                period_key(due),
                template.initial,
                schedule.__dict__,
                received,
                now,
            )
    return created


def _climb(
    conn,
    template_id: int,
    template: Template,
    now,
    calendars: engine.OfficeCalendars,
    result: Swept,
) -> None:
    """Resolve each rung's target per directive (and level), then one INSERT per rung."""
    found = estore.overdue_directives(conn, template_id, template.overdue_state)
    if not found:
        return
    office_rows, people_rows = estore.offices_and_people(conn)
    resolvers = {
        code: Resolver(office_rows[code], people_rows) for code in {d["office_code"] for d in found}
    }
    rows = []
    for directive in found:
        resolver = resolvers[directive["office_code"]]
        for number, rung in enumerate(template.escalation, start=1):
            for level in LEVELS if rung.to == "level_contact" else ("",):
                reached = resolver.resolve(directive["document"], rung.to, level)
                rows.append(
                    {
                        "directive_id": directive["id"],
                        "rung": number,
                        "level": level,
                        "target": reached.target,
                        "person_id": reached.person_id,
                        "target_name": reached.name,
                        "note": reached.note,
                    }
                )
    estore.load_targets(conn, rows)
    yesterday = now.date() - dt.timedelta(days=1)
    for office in resolvers:
        last_on_time = calendars[office].ordinal(yesterday)
        for number, rung in enumerate(template.escalation, start=1):
            made = estore.escalate(
                conn,
                template_id=template_id,
                office=office,
                state=template.overdue_state,
                rung=number,
                kind=rung.kind,
                per_level=rung.to == "level_contact",
                seq_limit=last_on_time - rung.after if rung.after else None,
                now=now,
            )
            if made:
                result.escalations[rung.kind] = result.escalations.get(rung.kind, 0) + made


def _queue_notifications(conn, now) -> int:
    batches = estore.new_batches(conn, now)
    return estore.queue(conn, [notify.compose(batch, now) for batch in batches])


# ----------------------------------------------------------------------------- delivery and listing


@dataclass(frozen=True)
class Delivered:
    sent: int
    failed: int
    errors: tuple[str, ...]


def deliver(
    store: Store,
    send: Callable[[dict[str, Any]], None],
    channel: str,
    now: pendulum.DateTime,
    limit: int | None = None,
) -> Delivered:
    """Send queued messages; each is marked in its own transaction right after sending."""
    with store.read() as conn:
        messages = estore.pending_messages(conn, limit)
    sent, errors = 0, []
    for message in messages:
        try:
            send(message)
        except notify.SendFailed as exc:
            errors.append(f"message {message['id']} to {message['recipient']}: {exc}")
            with store.write() as conn:
                estore.mark_message(conn, message["id"], False, channel, str(exc), now)
            continue
        with store.write() as conn:
            estore.mark_message(conn, message["id"], True, channel, "", now)
        sent += 1
    return Delivered(sent, len(errors), tuple(errors))


def outbox_size(store: Store) -> int:
    """How many notifications wait to be delivered."""
    with store.read() as conn:
        return len(estore.pending_messages(conn, None))


def escalation_listing(
    store: Store,
    open_only: bool = False,
    person: str | None = None,
    directive: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    with store.read() as conn:
        directive_id = dstore.resolve_directive(conn, directive) if directive else None
        if person and not ostore.get_person(conn, person):
            raise NotFound(f"unknown person {person!r} (not in any loaded org file)")
        return estore.listing(conn, open_only, person, directive_id, limit)


def task_escalations(store: Store, task_id: int) -> list[dict[str, Any]]:
    with store.read() as conn:
        return estore.of_task(conn, task_id)
