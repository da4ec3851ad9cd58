"""Events that relative deadlines count from ("… kể từ khi kết thúc hội thi").

A deadline ``relative: {from: event, event: NAME}`` gives its tasks no due at issue: they
wait ("chờ sự kiện"). When the office records that the event happened (``chidao directive
event``), every waiting task of that deadline gets its due, counted from the event, with
one event in its history saying who recorded it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import pendulum

from chidao import engine, identity
from chidao.clock import aware, format_moment
from chidao.deadlines import Relative, Schedule, deadline_of
from chidao.errors import InputError, NotFound
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import tasks as tstore

TRIGGER = "event"


def name_key(name: str) -> str:
    """Event names match whatever the case, spacing or Unicode form."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass(frozen=True)
class Recorded:
    directive: str
    name: str
    at: pendulum.DateTime
    deliverables: int
    tasks: int


def record(
    store: Store, ref: str, name: str, at: dt.datetime, actor: str, now: pendulum.DateTime
) -> Recorded:
    """Record that event ``name`` of a directive happened at ``at``; give its tasks dues."""
    at = aware(at)
    if at > now:
        raise InputError(
            f"--at {format_moment(at)} is later than now ({format_moment(now)}): record an "
            "event once it has happened"
        )
    with store.write() as conn:
        directive_id = dstore.resolve_directive(conn, ref)
        row = dstore.get_directive(conn, directive_id)
        label = row.label
        identity.require_office(
            tstore.actor_of(conn, actor),
            row.office,
            f"directive {label}: recording its events",
        )
        waiting = _waiting_deliverables(conn, directive_id)
        chosen = [(d, kind) for d, kind in waiting if name_key(kind.event) == name_key(name)]
        if not chosen:
            names = ", ".join(f"«{k.event}»" for _d, k in waiting) or "none"
            raise NotFound(
                f"directive {label} has no deadline counted from event «{name}» "
                f"(its events: {names})"
            )
        if not dstore.add_occurrence(
            conn, directive_id, chosen[0][1].event, name_key(name), at, actor, now
        ):
            raise InputError(f"directive {label}: event «{name}» was already recorded")
        template = engine.workflow_of(store, conn, row.template_id).template
        calendar = engine.office_calendar(conn, row.office)
        changed = 0
        for deliverable, kind in chosen:
            schedule = Schedule.of(kind.due_on_event(at, calendar), template, calendar)
            changed += tstore.record_where(
                conn,
                tstore.waiting_of(deliverable["id"], template.closed_states),
                trigger=TRIGGER,
                actor=actor,
                note=f"sự kiện «{kind.event}» lúc {format_moment(at)}: hạn "
                f"{format_moment(schedule.due_at)}",
                now=now,
                **tstore.schedule_values(schedule.__dict__),
            )
    return Recorded(label, chosen[0][1].event, at, len(chosen), changed)


def _waiting_deliverables(conn, directive_id: int) -> list[tuple[dict, Relative]]:
    out = []
    for deliverable in dstore.deliverables_of(conn, directive_id):
        kind = deadline_of(deliverable)
        if isinstance(kind, Relative) and kind.start == "event":
            out.append((deliverable, kind))
    return out
