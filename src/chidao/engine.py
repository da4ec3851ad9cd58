"""The engine: what happens when an office issues a directive and when a task moves.

It joins the pure parts (workflow templates, the calendar, the org and directive models)
to the store, one transaction per operation. The decision of where a task goes is the
template's machine (``workflow.Workflow.apply``); the store only persists it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum

from chidao.calendar import Duration, WorkCalendar, calendar_from_config
from chidao.clock import TZ, aware
from chidao.errors import DuplicateDirective, InputError, NotFound, TransitionRefused
from chidao.model import Directive, Event, Org, TaskView
from chidao.org import load_org
from chidao.resources import workflow_dirs
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import org as ostore
from chidao.store import tasks as tstore
from chidao.workflow import Template, Workflow, load_template

SYSTEM = "system"


# ----------------------------------------------------------------------------- org


def load_org_file(store: Store, path: str | Path) -> tuple[Org, dict[str, int]]:
    org = load_org(path)
    with store.write() as conn:
        counts = ostore.save_org(conn, org)
    return org, counts


def office_calendar(conn, office: str) -> WorkCalendar:
    return calendar_from_config(ostore.office_calendar(conn, office), f"office {office}")


# ----------------------------------------------------------------------------- templates


def find_template(ref: str) -> tuple[Template, str]:
    """A template by file path, or by name in the workflow folders."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_template(path)
    for folder in workflow_dirs():
        for candidate in (folder / f"{ref}.yaml", folder / f"{ref}.yml"):
            if candidate.is_file():
                return load_template(candidate)
    raise NotFound(
        f"unknown workflow {ref!r}: no {ref}.yaml in "
        + ", ".join(str(d) for d in dict.fromkeys(workflow_dirs()))
    )


# ----------------------------------------------------------------------------- issue


@dataclass(frozen=True)
class Issued:
    directive_id: int
    label: str
    office: str
    template: str
    template_version: int
    tasks: int
    units: int
    deliverables: int


def _choose_office(conn, directive: Directive, office: str | None) -> str:
    codes = ostore.office_codes(conn)
    chosen = office or directive.office
    if chosen:
        if chosen not in codes:
            raise NotFound(f"unknown office {chosen!r} (load its org file first)")
        return chosen
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise NotFound("no office is loaded yet: run 'chidao org load FILE' first")
    raise InputError(
        f"this database holds {len(codes)} offices ({', '.join(codes)}): say which issues "
        "the directive with --office CODE"
    )


def _issue_moment(directive: Directive, now: pendulum.DateTime) -> pendulum.DateTime:
    """When the directive counts as issued: its date (periods start the next day), or now."""
    if directive.date is None:
        return now
    return pendulum.datetime(directive.date.year, directive.date.month, directive.date.day, tz=TZ)


def next_occurrence(after: dt.date, every: str, day: int) -> pendulum.DateTime:
    """The first recurring due date strictly after ``after`` ("trước ngày 25 hằng tháng")."""
    months = 1 if every == "month" else 3
    year, month = after.year, after.month
    if every == "quarter":
        month = ((month - 1) // 3) * 3 + 3  # last month of the quarter
    while True:
        last = pendulum.date(year, month, 1).end_of("month").day
        candidate = pendulum.datetime(year, month, min(day, last), tz=TZ)
        if candidate.date() > after:
            return candidate
        month += months
        if month > 12:
            year, month = year + 1, month - 12


def _plan(
    directive: Directive, template: Template, calendar: WorkCalendar,
    issued: pendulum.DateTime, now: pendulum.DateTime,
) -> list[dict[str, Any]]:
    """One deliverable per deadline (or one with the template's default), with its due."""
    receipt_now = template.receipt == "automatic"
    received = now if receipt_now else None
    plan = []
    for deadline in directive.deadlines or (None,):
        due: dt.datetime | None = None
        row: dict[str, Any] = {"item": None, "text": "", "due_at": None,
                               "relative": None, "recurring": None}
        if deadline is None:
            due = calendar.due_after(issued, template.default_deadline)
            row["text"] = f"Hạn mặc định của quy trình: {template.default_deadline}"
        else:
            row.update(item=deadline.item, text=deadline.text, relative=deadline.relative,
                       recurring=deadline.recurring)
            if deadline.due is not None:
                due = aware(deadline.due)
                if directive.date and due.date() < directive.date:
                    raise InputError(
                        f"deadline {deadline.item or ''} due {due.format('DD/MM/YYYY')} is "
                        f"before the directive's date {directive.date:%d/%m/%Y}".replace("  ", " ")
                    )
            elif deadline.relative:
                period = Duration(deadline.relative["amount"], deadline.relative["unit"])
                start = {"receipt": received, "issue": issued}.get(deadline.relative["from"])
                due = calendar.due_after(start, period) if start else None
            elif deadline.recurring:
                due = next_occurrence(
                    issued.date(), deadline.recurring["every"], deadline.recurring["day"]
                )
        row["due_at"] = due
        plan.append(row)
    for row in plan:
        row["task_received_at"] = received
    return plan


def issue(
    store: Store,
    directive: Directive,
    workflow: str,
    now: pendulum.DateTime,
    actor: str,
    again: bool = False,
    office: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Issued:
    """Create the directive, its workflow instance and all its tasks in one transaction."""
    template, source = find_template(workflow)
    with store.write() as conn:
        office_code = _choose_office(conn, directive, office)
        same = dstore.find_same(conn, office_code, directive.number, directive.symbol,
                                directive.date, directive.subject)
        if same is not None and not again:
            raise DuplicateDirective(
                f"directive {directive.code or directive.symbol or directive.subject[:40]!r} "
                f"of {office_code} was already issued (id {same}); use --again to issue it again"
            )
        if directive.units:
            missing = ostore.missing_units(conn, list(directive.units))
            if missing:
                raise NotFound(f"unknown unit {missing[0]!r} (not in any loaded org file)")
        units = dstore.count_recipients(conn, office_code, directive.recipient_levels,
                                        directive.units)
        if units == 0:
            raise NotFound(
                f"no unit of {office_code} is at level "
                f"{', '.join(directive.recipient_levels) or '?'}: nobody would receive it"
            )
        template_id = dstore.save_template(conn, template, source, now)
        calendar = office_calendar(conn, office_code)
        plan = _plan(directive, template, calendar, _issue_moment(directive, now), now)
        directive_id = dstore.insert_directive(conn, {
            "office_code": office_code, "number": directive.number, "symbol": directive.symbol,
            "code": directive.code, "date": directive.date, "subject": directive.subject,
            "urgency": directive.urgency, "recipient_levels": ",".join(directive.recipient_levels),
            "signer": directive.signer, "document": directive.to_json(),
            "template_id": template_id, "parent_task_id": None, "issued_at": now,
            "issued_by": actor,
        })
        deliverable_ids = dstore.insert_deliverables(conn, directive_id, [
            {k: row[k] for k in ("item", "text", "due_at", "relative", "recurring")}
            for row in plan
        ])
        created = dstore.fan_out(
            conn, directive_id, office_code, directive.recipient_levels, directive.units,
            [{"deliverable_id": d, "due_at": row["due_at"], "received_at": row["task_received_at"]}
             for d, row in zip(deliverable_ids, plan, strict=True)],
            template.initial, now,
            progress=(lambda done: progress(done, units)) if progress else None,
        )
        info = dstore.template_info(conn, template_id)
    return Issued(
        directive_id=directive_id, label=dstore.directive_label(directive.code, directive_id),
        office=office_code, template=template.name, template_version=info["version"],
        tasks=created, units=units, deliverables=len(plan),
    )


# ----------------------------------------------------------------------------- fire


def _role(actor: tstore.Actor, row: tstore.TaskRow) -> str:
    """recipient (the task's own unit), office (a person of the issuing office), system."""
    if actor.name == SYSTEM:
        return SYSTEM
    if actor.office:
        if actor.office != row.office_code:
            raise TransitionRefused(
                f"task {row.id} is a task of {row.office_code}; {actor.name} works for {actor.office}"
            )
        return "office"
    if actor.unit:
        if actor.unit != row.unit_code:
            raise TransitionRefused(
                f"task {row.id} belongs to unit {row.unit_code}; "
                f"{actor.name} may act only on its own tasks"
            )
        return "recipient"
    raise NotFound(
        f"unknown actor {actor.name!r}: use --as with a person id or a unit code from the org file"
    )


def _workflow(store: Store, conn, template_id: int) -> Workflow:
    """Template snapshots never change once stored, so the store keeps their machines."""
    found = store.workflows.get(template_id)
    if found is None:
        found = store.workflows[template_id] = dstore.workflow_of(conn, template_id)
    return found


@dataclass(frozen=True)
class Fired:
    task_id: int
    from_state: str
    to_state: str
    label: str


def fire(
    store: Store, trigger: str, task_ids: Sequence[int], actor: str, now: pendulum.DateTime,
    note: str = "",
) -> list[Fired]:
    """Fire ``trigger`` on every task, all or nothing; each change writes its event."""
    if not task_ids:
        raise InputError("name at least one task id")
    with store.write() as conn:
        rows, who = tstore.load_for_fire(conn, list(dict.fromkeys(task_ids)), actor)
        decided: dict[tuple[int, str, str], str] = {}
        changes, fired = [], []
        calendars: dict[str, WorkCalendar] = {}
        for row in rows:
            role = _role(who, row)
            wf = _workflow(store, conn, row.template_id)
            key = (row.template_id, row.state, role)
            if key not in decided:
                decided[key] = wf.apply(row.state, trigger, role, what=f"task {row.id}")
            dest = decided[key]
            template = wf.template
            received, due = row.received_at, row.due_at
            if trigger == template.receipt and received is None:
                received = now
                if due is None:
                    calendar = calendars.get(row.office_code) or calendars.setdefault(
                        row.office_code, office_calendar(conn, row.office_code))
                    due = _due_on_receipt(conn, row, calendar, now)
            reported = now if dest in template.reported_states and (
                row.state not in template.reported_states) else row.reported_at
            changes.append(tstore.Change(row, dest, received, due, reported))
            fired.append(Fired(row.id, row.state, dest, template.label(dest)))
        tstore.apply_change(conn, changes, trigger, actor, note, now)
    return fired


def _due_on_receipt(conn, row: tstore.TaskRow, calendar: WorkCalendar,
                    now: pendulum.DateTime) -> dt.datetime | None:
    """A relative deadline counted from this school's own receipt."""
    deliverable = dstore.deliverable_of_task(conn, row.id)
    relative = deliverable.get("relative")
    if not relative or relative.get("from") != "receipt":
        return None
    return calendar.due_after(now, Duration(relative["amount"], relative["unit"]))


# ----------------------------------------------------------------------------- sweep


def sweep(store: Store, now: pendulum.DateTime) -> int:
    """Mark overdue every open task past due, one statement per template in use."""
    moved = 0
    with store.write() as conn:
        for template_id in tstore.templates_in_use(conn):
            template = dstore.workflow_of(conn, template_id).template
            dest, sources = template.overdue_state, template.overdue_sources
            if not dest or not sources:
                continue
            trigger = next(t.trigger for t in template.transitions
                           if t.dest == dest and SYSTEM in t.by)
            moved += tstore.sweep_overdue(conn, template_id, sources, dest, trigger, now)
    return moved


# ----------------------------------------------------------------------------- reading


def task_views(store: Store, **filters: Any) -> list[TaskView]:
    with store.read() as conn:
        if filters.get("directive") is not None:
            filters["directive_id"] = dstore.resolve_directive(conn, str(filters.pop("directive")))
        else:
            filters.pop("directive", None)
        rows = tstore.list_tasks(conn, **filters)
        labels: dict[int, Workflow] = {}
        views = []
        for row in rows:
            wf = labels.get(row["template_id"]) or labels.setdefault(
                row["template_id"], dstore.workflow_of(conn, row["template_id"]))
            views.append(tstore.to_view(row, wf.template.label(row["state"])))
    return views


def task_detail(store: Store, task_id: int) -> tuple[TaskView, dict[str, Any], list[str], list[Event]]:
    """A task, its directive, the triggers it allows now, and its events."""
    views = task_views(store, ids=[task_id])
    if not views:
        raise NotFound(f"task {task_id} does not exist")
    view = views[0]
    with store.read() as conn:
        directive = dstore.get_directive(conn, view.directive_id)
        wf = dstore.workflow_of(conn, directive["template_id"])
        events = tstore.history(conn, task_id)
    allowed = [
        f"{trigger} ({'/'.join(wf.who_may(trigger, view.state))})"
        for trigger in wf.allowed(view.state)
    ]
    return view, directive, allowed, events


def org_listing(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return ostore.org_listing(conn)


def directive_listing(store: Store) -> tuple[list[dict[str, Any]], dict[int, Template]]:
    with store.read() as conn:
        rows = dstore.directive_summaries(conn)
        templates = {tid: dstore.workflow_of(conn, tid).template
                     for tid in {r["template_id"] for r in rows}}
    return rows, templates


def directive_detail(store: Store, ref: str) -> dict[str, Any]:
    with store.read() as conn:
        directive_id = dstore.resolve_directive(conn, ref)
        row = dstore.get_directive(conn, directive_id)
        template = dstore.workflow_of(conn, row["template_id"]).template
        info = dstore.template_info(conn, row["template_id"])
        counts = tstore.count_by_state(conn, directive_id)
        deliverables = dstore.deliverables_of(conn, directive_id)
    return {
        "id": directive_id,
        "label": dstore.directive_label(row["code"], directive_id),
        "office": row["office_code"],
        "document": row["document"],
        "workflow": {"name": info["name"], "version": info["version"],
                     "hash": info["content_hash"][:12]},
        "issued_at": row["issued_at"].isoformat(),
        "issued_by": row["issued_by"],
        "deliverables": [
            {"item": d["item"], "text": d["text"],
             "due": d["due_at"].isoformat() if d["due_at"] else None,
             "relative": d["relative"], "recurring": d["recurring"]}
            for d in deliverables
        ],
        "states": {s.name: counts.get(s.name, 0) for s in template.states},
        "labels": {s.name: s.label for s in template.states},
    }
