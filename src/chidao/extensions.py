"""Extensions of a due: by the office (one task, several, or a whole directive), or asked
for by a school before its due and granted or refused by the office. Every step is an
event; an overdue task given a later due goes back to work and its escalations close.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pendulum

from chidao import engine, identity
from chidao.clock import aware
from chidao.deadlines import Schedule
from chidao.errors import InputError, NotFound, TransitionRefused
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import escalations as estore
from chidao.store import tasks as tstore


def _new_due(
    to: dt.datetime, now: pendulum.DateTime, directive_date: dt.date | None, what: str
) -> pendulum.DateTime:
    to = aware(to)
    if to <= now:
        raise InputError(
            f"{what}: cannot extend to {to.format('DD/MM/YYYY HH:mm')}, which is not after now "
            f"({now.format('DD/MM/YYYY HH:mm')})"
        )
    if directive_date and to.date() < directive_date:
        raise InputError(
            f"{what}: {to.format('DD/MM/YYYY')} is before the directive's date "
            f"{directive_date:%d/%m/%Y}"
        )
    return to


def extend_tasks(
    store: Store,
    task_ids: Sequence[int],
    to: dt.datetime,
    actor: str,
    now: pendulum.DateTime,
    note: str = "",
) -> int:
    """Give these tasks a new due (all or none); overdue ones go back to work."""
    if not task_ids:
        raise InputError("name at least one task id")
    with store.write() as conn:
        rows, who = tstore.load_for_fire(conn, list(dict.fromkeys(task_ids)), actor)
        return _extend_rows(store, conn, rows, who, to, now, note)


EXTEND = "extend"  # the template's trigger that brings an overdue task back (dest: previous)


def _extend_rows(store, conn, rows, who: tstore.Actor, to, now, note) -> int:
    """Extend tasks already loaded (and checked to exist), a pair of statements per
    directive: its template, date and calendar decide the new schedule."""
    groups: dict[tuple[int, str, int], list[tstore.TaskRow]] = {}
    for row in rows:
        identity.require_office(who, row.office_code, f"task {row.id}: extending its due")
        groups.setdefault((row.template_id, row.office_code, row.directive_id), []).append(row)
    changed = 0
    for (template_id, office, directive_id), group in groups.items():
        wf = engine.workflow_of(store, conn, template_id)
        directive = dstore.get_directive(conn, directive_id)
        due = _new_due(to, now, directive.date, f"task {group[0].id}")
        moves = _extend_moves(wf)
        for row in group:
            _check_extendable(wf, row.state, moves, f"task {row.id}")
        schedule = Schedule.of(due, wf.template, engine.office_calendar(conn, office))
        changed += _apply_extension(
            conn,
            wf,
            tstore.with_ids([row.id for row in group]),
            moves,
            schedule,
            who.name,
            note,
            now,
        )
    return changed


def _extend_moves(wf) -> dict[str, str]:
    return wf.moves(EXTEND, "office") if EXTEND in wf.triggers_for("office") else {}


def _check_extendable(wf, state: str, moves: dict[str, str], what: str) -> None:
    template = wf.template
    category = template.category(state)
    if category in ("reported", "closed"):
        raise TransitionRefused(
            f"{what} is already «{template.label(state)}»: nothing to extend", state=state
        )
    if category == "overdue" and state not in moves:
        raise TransitionRefused(
            f"{what} is «{template.label(state)}» ({state}) and workflow {template.name!r} "
            f"declares no '{EXTEND}' transition (by: office) out of it",
            state=state,
            trigger=EXTEND,
            role="office",
        )


def _apply_extension(conn, wf, where, moves, schedule, actor, note, now) -> int:
    """Overdue tasks take the template's ``extend`` move back (and their open escalations
    close); the others keep their state; every task gets the new due and one event."""
    values = tstore.schedule_values(schedule.__dict__)
    estore.resolve_where(conn, where, now)
    stay = tstore.all_of(where, tstore.state_not_in(list(moves) + list(wf.template.closed_states)))
    kept = tstore.record_where(
        conn, stay, trigger=EXTEND, actor=actor, note=note, now=now, **values
    )  # first: once moved, the overdue ones would match ``stay`` too
    return kept + tstore.move_where(
        conn,
        where,
        moves,
        wf.template.initial,
        trigger=EXTEND,
        actor=actor,
        note=note,
        now=now,
        **values,
    )


def extend_directive(
    store: Store,
    ref: str,
    to: dt.datetime,
    actor: str,
    now: pendulum.DateTime,
    note: str = "",
) -> tuple[str, int, int]:
    """Give every open task of a directive the same new due, set-based. A due is never
    moved earlier: tasks already due at or after the new one are skipped and counted."""
    with store.write() as conn:
        directive_id = dstore.resolve_directive(conn, ref)
        directive = dstore.get_directive(conn, directive_id)
        label = directive.label
        identity.require_office(
            tstore.actor_of(conn, actor),
            directive.office,
            f"directive {label}: extending its due",
        )
        wf = engine.workflow_of(store, conn, directive.template_id)
        due = _new_due(to, now, directive.date, f"directive {label}")
        schedule = Schedule.of(due, wf.template, engine.office_calendar(conn, directive.office))
        moves = _extend_moves(wf)
        stuck = [
            s for s in wf.template.states_in("overdue") if s not in moves
        ]  # overdue states the template gives no way back from: left as they are
        where = tstore.open_of_directive(directive_id, set(wf.template.closed_states) | set(stuck))
        skipped = tstore.count_where(conn, tstore.all_of(where, tstore.due_not_before(due)))
        where = tstore.all_of(where, ~tstore.due_not_before(due))
        changed = _apply_extension(conn, wf, where, moves, schedule, actor, note, now)
    return label, changed, skipped


def request_extension(
    store: Store,
    task_id: int,
    to: dt.datetime,
    actor: str,
    now: pendulum.DateTime,
    note: str,
) -> None:
    """A school asks, before its due, for a later one (đề nghị gia hạn)."""
    with store.write() as conn:
        rows, who = tstore.load_for_fire(conn, [task_id], actor)
        row = rows[0]
        if who.unit != row.unit_code:
            raise TransitionRefused(
                f"task {task_id}: only its unit {row.unit_code} may ask for an extension",
                task=task_id,
                state=row.state,
            )
        template = engine.workflow_of(store, conn, row.template_id).template
        if row.state in template.closed_states:
            raise TransitionRefused(
                f"task {task_id} is already {template.label(row.state)}",
                task=task_id,
                state=row.state,
            )
        if row.due_at is None:
            raise TransitionRefused(
                f"task {task_id} has no due yet: nothing to extend", task=task_id, state=row.state
            )
        if now >= row.due_at:
            raise TransitionRefused(
                f"task {task_id} was due {row.due_at.strftime('%d/%m/%Y %H:%M')}: an extension "
                "must be asked for before the due",
                task=task_id,
                state=row.state,
            )
        wanted = aware(to)
        if wanted <= row.due_at:
            raise InputError(
                f"task {task_id}: --to {wanted.format('DD/MM/YYYY')} is not later than its due "
                f"{row.due_at.strftime('%d/%m/%Y')}"
            )
        if tstore.pending_request(conn, task_id) is not None:
            raise TransitionRefused(
                f"task {task_id} already has an extension request waiting",
                task=task_id,
                state=row.state,
            )
        tstore.add_request(conn, task_id, wanted, actor, now, note)
        tstore.record(
            conn,
            task_id,
            row.state,
            "request_extension",
            actor,
            f"đề nghị gia hạn đến {wanted.format('DD/MM/YYYY')}" + (f": {note}" if note else ""),
            now,
        )


def decide_extension(
    store: Store,
    task_id: int,
    *,
    grant: bool,
    actor: str,
    now: pendulum.DateTime,
    note: str = "",
    to: dt.datetime | None = None,
) -> pendulum.DateTime | None:
    """The office grants (to the date asked, or ``to``) or refuses a waiting request."""
    with store.write() as conn:
        rows, who = tstore.load_for_fire(conn, [task_id], actor)
        row = rows[0]
        identity.require_office(who, row.office_code, f"task {task_id}: deciding on its extension")
        request = tstore.pending_request(conn, task_id)
        if request is None:
            raise NotFound(f"task {task_id} has no extension request waiting")
        tstore.decide_request(
            conn, request["id"], "granted" if grant else "refused", actor, now, note
        )
        if not grant:
            tstore.record(
                conn,
                task_id,
                row.state,
                "refuse_extension",
                actor,
                note or "không đồng ý gia hạn",
                now,
            )
            return None
        due = aware(to or request["requested_to"])
        _extend_rows(
            store,
            conn,
            rows,
            who,
            due,
            now,
            note or f"đồng ý gia hạn đến {due.format('DD/MM/YYYY')}",
        )
        return due


def pending(store: Store, task_id: int) -> dict | None:
    """The extension request of a task that waits for the office's decision, if any."""
    with store.read() as conn:
        return tstore.pending_request(conn, task_id)
