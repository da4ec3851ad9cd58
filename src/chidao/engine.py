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
from typing import Any, NamedTuple

import pendulum

from chidao import identity, units_import
from chidao.calendar import WorkCalendar, calendar_from_config
from chidao.clock import TZ
from chidao.deadlines import (
    Absolute,
    Recurring,
    Schedule,
    deadline_of,
    period_key,
    school_year_end,
)
from chidao.errors import (
    BadFile,
    BadRows,
    DuplicateDirective,
    InputError,
    NotFound,
    TransitionRefused,
    UnreadableRecord,
)
from chidao.ladder import document_problem
from chidao.model import Deadline, Directive, DirectiveRow, Event, Org, TaskView, Unit
from chidao.org import load_org
from chidao.store import Store
from chidao.store import chains as cstore
from chidao.store import directives as dstore
from chidao.store import escalations as estore
from chidao.store import identity as logins
from chidao.store import org as ostore
from chidao.store import tasks as tstore
from chidao.workflow import Template, Workflow, find_template

SYSTEM = "system"


# ----------------------------------------------------------------------------- org


def load_org_file(store: Store, path: str | Path, actor: str) -> tuple[Org, dict[str, int]]:
    """Load or update offices, people and units (an office action, see ``identity``)."""
    return save_org(store, load_org(path), path, actor)


def save_org(store: Store, org: Org, path: str | Path, actor: str) -> tuple[Org, dict[str, int]]:
    """Save an org read from ``path`` by ``load_org`` (every problem of the file is found
    before: ``chidao org load`` makes no database for a file it refuses)."""
    with store.write() as conn:
        identity.check_org_load(
            tstore.actor_of(conn, actor), org, ostore.office_parents(conn), str(path)
        )
        clashes = ostore.clashes(conn, org)
        if clashes:
            raise BadFile([f"{path}: {c}: ids and unit codes must differ" for c in clashes])
        counts = ostore.save_org(conn, org)
    return org, counts


def import_units(
    store: Store, path: str | Path, office: str | None, dry_run: bool, actor: str
) -> units_import.Plan:
    """Load or update units from a spreadsheet; all rows are checked before any is written."""
    path = Path(path)
    with store.write() as conn:
        office = choose_office(conn, office, "say whose units these are")
        who = tstore.actor_of(conn, actor)
        identity.require_office(who, office, f"importing units of {office}")
        read, problems, ignored, present = units_import.read_units(path, office)
        existing = ostore.units_by_code(conn, [u.code for u in read if u.code])
        plan, conflicts = units_import.plan(read, existing, office, present)
        problems += [f"{path}: {c}" for c in conflicts]
        if problems:
            raise BadRows(problems)
        plan.ignored_columns = ignored
        if not dry_run:
            merged = [
                u
                if u.code not in existing
                else Unit(
                    code=u.code,
                    office=office,
                    name=u.name,
                    levels=u.levels,
                    **{
                        f: getattr(u if f in present else existing[u.code], f)
                        for f in ("principal", "email", "phone")
                    },
                )
                for u in plan.new + [u for u, _diff in plan.changed]
            ]
            if merged:
                ostore.save_units(conn, merged)
    return plan


def office_calendar(conn, office: str) -> WorkCalendar:
    return calendar_from_config(ostore.office_calendar(conn, office), f"office {office}")


class OfficeCalendars(dict):
    """Each office's working-day calendar, read once per transaction: ``calendars[code]``."""

    def __init__(self, conn) -> None:
        super().__init__()
        self.conn = conn

    def __missing__(self, office: str) -> WorkCalendar:
        self[office] = found = office_calendar(self.conn, office)
        return found


def calendar_of_org_file(path: str | Path) -> WorkCalendar:
    """The calendar an org file declares (its overrides over the package's holidays)."""
    org = load_org(path)
    return calendar_from_config(org.calendar, str(path))


def database_calendar(store: Store, office: str | None) -> WorkCalendar:
    """The calendar of ``office``, or of the database's only office, or the plain one."""
    with store.read() as conn:
        if office is None and not ostore.office_codes(conn):
            return WorkCalendar()
        office = choose_office(conn, office, "say whose calendar")
        return office_calendar(conn, office)


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
    parent_task: int | None = None  # the upstream task this directive answers
    parent: str | None = None  # that task's directive
    linked_by: str | None = None  # "--parent" or "references"


def choose_office(conn, office: str | None, purpose: str) -> str:
    """``office`` if it is loaded, else the database's only office; with several, the user
    must say which, and ``purpose`` says why ("say which issues the directive")."""
    codes = ostore.office_codes(conn)
    if office:
        if office not in codes:
            raise NotFound(
                f"unknown office {office!r} (load its org file first)", kind="office", key=office
            )
        return office
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise NotFound("no office is loaded yet: run 'chidao org load FILE' first")
    raise InputError(
        f"this database holds {len(codes)} offices ({', '.join(codes)}): {purpose} "
        "with --office CODE"
    )


def _issue_moment(directive: Directive, now: pendulum.DateTime) -> pendulum.DateTime:
    """When the directive counts as issued: its date (periods start the next day), or now."""
    if directive.date is None:
        return now
    return pendulum.datetime(directive.date.year, directive.date.month, directive.date.day, tz=TZ)


def _plan(
    directive: Directive,
    template: Template,
    calendar: WorkCalendar,
    issued: pendulum.DateTime,
    now: pendulum.DateTime,
    until: dt.date | None,
) -> list[dict[str, Any]]:
    """One deliverable per deadline (or one with the template's default), with its due as
    its kind computes it (``deadlines.deadline_of``)."""
    received = now if template.receipt == "automatic" else None
    plan = []
    for deadline in directive.deadlines or (None,):
        kind = deadline_of(deadline or {}, template.default_deadline)
        row = _deliverable(deadline, template)
        due = kind.first_due(issued, received, calendar)
        what = f"deadline {row['item'] or ''}".rstrip()
        if due is not None:  # else counted from receipt or an event: no due yet
            _check_due(kind, due, directive, what)
            if isinstance(kind, Recurring):
                row["until"] = _last_period(due, what, until or directive.until, issued)
        schedule = Schedule.of(due, template, calendar)
        row.update(
            due_at=due,
            late_at=schedule.late_at,
            due_seq=schedule.due_seq,
            period=period_key(due) if row["recurring"] else "",
            task_received_at=received,
        )
        plan.append(row)
    return plan


def _deliverable(deadline: Deadline | None, template: Template) -> dict[str, Any]:
    """A deliverable as its deadline says it (none: the template's default deadline)."""
    if deadline is None:
        return {
            "item": None,
            "text": f"Hạn mặc định của quy trình: {template.default_deadline}",
            "relative": None,
            "recurring": None,
            "until": None,
        }
    return {
        "item": deadline.item,
        "text": deadline.text,
        "relative": deadline.relative,
        "recurring": deadline.recurring,
        "until": None,
    }


def _check_due(kind: Any, due: pendulum.DateTime, directive: Directive, what: str) -> None:
    """A fixed due may not come before the directive's own date."""
    if isinstance(kind, Absolute) and directive.date and due.date() < directive.date:
        raise InputError(
            f"{what} due {due.format('DD/MM/YYYY')} is before the directive's date "
            f"{directive.date:%d/%m/%Y}"
        )


def _last_period(
    due: pendulum.DateTime, what: str, given: dt.date | None, issued: pendulum.DateTime
) -> dt.date:
    """Until when a recurring report runs: as given, else the school year's end."""
    until = given or school_year_end(issued.date())
    if due.date() > until:
        raise InputError(
            f"{what}: recurring reports end on {until:%d/%m/%Y}, before their "
            f"first period ({due.format('DD/MM/YYYY')}); give a later --until"
        )
    return until


def issue(
    store: Store,
    directive: Directive,
    workflow: str,
    now: pendulum.DateTime,
    actor: str,
    *,
    again: bool = False,
    office: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    until: dt.date | None = None,
    parent: int | None = None,
) -> Issued:
    """Create the directive, its workflow instance and all its tasks in one transaction."""
    template, source = find_template(workflow)
    with store.write() as conn:
        office_code = choose_office(
            conn, office or directive.office, "say which issues the directive"
        )
        identity.require_office(
            tstore.actor_of(conn, actor), office_code, f"issuing a directive of {office_code}"
        )
        units = _recipients(conn, directive, office_code, again)
        link = _upstream(conn, directive, office_code, parent)
        template_id = dstore.save_template(conn, template, source, now)
        calendar = office_calendar(conn, office_code)
        plan = _plan(directive, template, calendar, _issue_moment(directive, now), now, until)
        row = {
            "office_code": office_code,
            "number": directive.number,
            "symbol": directive.symbol,
            "code": directive.code,
            "date": directive.date,
            "subject": directive.subject,
            "urgency": directive.urgency,
            "recipient_levels": ",".join(directive.recipient_levels),
            "signer": directive.signer,
            "document": directive.to_json(),
            "template_id": template_id,
            "parent_task_id": link["id"] if link else None,
            "issued_at": now,
            "issued_by": actor,
        }
        directive_id = dstore.insert_directive(
            conn, row, dstore.issues_of_identity(conn, row) if again else 0
        )
        deliverable_ids = dstore.insert_deliverables(
            conn,
            directive_id,
            [
                {k: row[k] for k in ("item", "text", "due_at", "relative", "recurring", "until")}
                for row in plan
            ],
        )
        created = dstore.fan_out(
            conn,
            directive_id,
            office_code,
            directive.recipient_levels,
            directive.units,
            [
                {
                    "deliverable_id": d,
                    "received_at": row["task_received_at"],
                    **{k: row[k] for k in ("due_at", "late_at", "due_seq", "period")},
                }
                for d, row in zip(deliverable_ids, plan, strict=True)
            ],
            template.initial,
            now,
            progress=(lambda done: progress(done, units)) if progress else None,
            total=units,
        )
        info = dstore.template_info(conn, template_id)
    parent_label = (
        dstore.directive_label(
            link["code"], link["directive_id"], link.get("subject"), link.get("date")
        )
        if link
        else None
    )
    return Issued(
        directive_id=directive_id,
        label=dstore.directive_label(
            directive.code, directive_id, directive.subject, directive.date
        ),
        office=office_code,
        template=template.name,
        template_version=info["version"],
        tasks=created,
        units=units,
        deliverables=len(plan),
        parent_task=link["id"] if link else None,
        parent=parent_label,
        linked_by=link["by"] if link else None,
    )


def _recipients(conn, directive: Directive, office_code: str, again: bool) -> int:
    """How many units receive the directive; refused when it was issued already (unless
    ``again``), names a unit nobody loaded, or reaches no unit at all."""
    same = dstore.find_same(
        conn, office_code, directive.number, directive.symbol, directive.date, directive.subject
    )
    if same is not None and not again:
        raise DuplicateDirective(
            f"directive {directive.code or directive.symbol or directive.subject[:40]!r} "
            f"of {office_code} was already issued (id {same}); use --again to issue it again"
        )
    if directive.units:
        missing = ostore.missing_units(conn, list(directive.units))
        if missing:
            raise NotFound(
                f"unknown unit {missing[0]!r} (not in any loaded org file)",
                kind="unit",
                key=missing[0],
            )
    units = dstore.count_recipients(conn, office_code, directive.recipient_levels, directive.units)
    if units == 0:
        raise NotFound(
            f"no unit of {office_code} is at level "
            f"{', '.join(directive.recipient_levels) or '?'}: nobody would receive it"
        )
    return int(units)


def _upstream(conn, directive: Directive, office: str, parent: int | None) -> dict[str, Any] | None:
    """The upstream task this directive answers: ``--parent``, or the office's own task in a
    directive its references cite (same code and date) that is in the database."""
    if parent is not None:
        found = cstore.task_link(conn, parent)
        if found is None:
            raise NotFound(f"--parent: task {parent} does not exist", kind="task", key=parent)
        if found["unit_code"] != office:
            raise InputError(
                f"--parent: task {parent} is the task of {found['unit_code']} in "
                f"{dstore.directive_label(found['code'], found['directive_id'])}; "
                f"{office} can answer only its own task"
            )
        return {**found, "by": "--parent"}
    found = cstore.find_upstream(conn, directive.references, office)
    return {**found, "by": "references"} if found else None


# ----------------------------------------------------------------------------- fire


def _role(actor: tstore.Actor, row: tstore.TaskRow) -> str:
    """recipient (the task's own unit), office (a person of the issuing office), system."""
    if actor.name == SYSTEM:
        return SYSTEM
    if actor.office:
        if actor.office == row.office_code:
            return "office"
        if actor.office == row.unit_code:  # an office answering its own upstream task
            return "recipient"
        raise TransitionRefused(
            f"task {row.id} is a task of {row.office_code}; {actor.name} works for {actor.office}",
            task=row.id,
            state=row.state,
        )
    if actor.unit:
        if actor.unit != row.unit_code:
            raise TransitionRefused(
                f"task {row.id} belongs to unit {row.unit_code}; "
                f"{actor.name} may act only on its own tasks",
                task=row.id,
                state=row.state,
            )
        return "recipient"
    raise NotFound(
        f"unknown actor {actor.name!r}: use --as with a person id or a unit code from the org file"
    )


def workflow_of(store: Store, conn, template_id: int) -> Workflow:
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
    store: Store,
    trigger: str,
    task_ids: Sequence[int],
    actor: str,
    now: pendulum.DateTime,
    note: str = "",
) -> list[Fired]:
    """Fire ``trigger`` on every task, all or nothing; each change writes its event.

    A person of the office may fire a trigger the template gives to both the recipient and
    the office (``by: [recipient, office]``): the event keeps the person as its actor and
    the school it was recorded for ("ghi nhận thay").
    """
    if not task_ids:
        raise InputError("name at least one task id")

    def attempt(conn) -> list[Fired]:  # run again from its start if the server deadlocks it
        rows, who = tstore.load_for_fire(conn, list(dict.fromkeys(task_ids)), actor)
        calendars = OfficeCalendars(conn)
        changes, fired, newly_reported = [], [], []
        for row in rows:
            role = _role(who, row)
            wf = workflow_of(store, conn, row.template_id)
            dest = wf.apply(row.state, trigger, role, row.id, row.prev_state)
            template = wf.template
            on_behalf = (
                row.unit_code
                if role == "office" and "recipient" in wf.who_may(trigger, row.state)
                else None
            )
            change = _change(conn, row, template, trigger, dest, calendars, now, on_behalf)
            changes.append(change)
            if change.reported_at is not None and row.reported_at is None:
                newly_reported.append(row.id)
            fired.append(Fired(row.id, row.state, dest, template.label(dest)))
        tstore.apply_change(conn, changes, trigger, actor, note, now)
        if newly_reported:
            estore.resolve(conn, newly_reported, now)
            _children_reported(store, conn, newly_reported, calendars, now)
        return fired

    return store.transact(attempt)


def _change(
    conn,
    row: tstore.TaskRow,
    template: Template,
    trigger: str,
    dest: str,
    calendars: OfficeCalendars,
    now: pendulum.DateTime,
    on_behalf_of: str | None = None,
) -> tstore.Change:
    """What a move sets besides the state: receipt (and a due counted from it), and the
    report stamp, which exists exactly while the task is in a reported state (the template's
    one rule: leaving a reported state, as a returned report does, clears it). The office's
    calendar is read only by a move that counts days."""
    received = row.received_at
    schedule = Schedule(row.due_at, row.late_at, row.due_seq)
    if trigger == template.receipt and received is None:
        received = now
        if row.due_at is None:
            calendar = calendars[row.office_code]
            due = deadline_of(dstore.deliverable_of_task(conn, row.id)).due_on_receipt(
                now, calendar
            )
            schedule = Schedule.of(due, template, calendar)
    reported, days_late = row.reported_at, row.days_late
    if template.category(dest) == "reported":
        if template.category(row.state) != "reported":
            reported = now
            days_late = (
                calendars[row.office_code].working_days_late(schedule.due_at, now)
                if schedule.due_at
                else None
            )
    else:
        reported, days_late = None, None
    return tstore.Change(
        row=row,
        dest=dest,
        received_at=received,
        due_at=schedule.due_at,
        reported_at=reported,
        late_at=schedule.late_at,
        due_seq=schedule.due_seq,
        days_late=days_late,
        on_behalf_of=on_behalf_of,
    )


def _children_reported(
    store: Store, conn, changed: Sequence[int], calendars: OfficeCalendars, now
) -> None:
    """When every task answering an upstream task is reported, do what its template says
    (``on_children_reported``): nothing, or fire the system transition to the named state,
    through the same machine and role check as any other move.

    A PostgreSQL person or unit login sees only its own rows and may not write the
    system's events, so its reports leave the roll-up to the next sweep (``roll_up``)."""
    parents = cstore.parents_of(conn, changed)
    if parents and logins.login_actor(conn) is None:
        roll_up(store, conn, parents, calendars, now)


def roll_up(
    store: Store,
    conn,
    parents: Sequence[int] | None,
    calendars: OfficeCalendars,
    now: pendulum.DateTime,
) -> None:
    """Move the upstream tasks in ``parents`` whose answering tasks are all reported, as
    their template's ``on_children_reported`` says. ``None`` (the sweep): those a report
    made through a login left behind; one moved since the last report (by the roll-up or
    by a person) is left alone, so running it again changes nothing."""
    if parents is None:
        parents = cstore.parents_behind(conn)
    counts = cstore.children_counts(conn, parents, dstore.reported_rule(conn))
    done = [p for p, (total, reported) in counts.items() if total == reported]
    if not done:
        return
    rows, _who = tstore.load_for_fire(conn, done, SYSTEM)
    for row in rows:
        wf = workflow_of(store, conn, row.template_id)
        target = wf.template.on_children_reported
        trigger = wf.template.system_trigger_to(target) if target != "nothing" else None
        if trigger is None or row.state == target or trigger not in wf.allowed(row.state, SYSTEM):
            continue
        dest = wf.apply(row.state, trigger, SYSTEM, row.id, row.prev_state)
        change = _change(conn, row, wf.template, trigger, dest, calendars, now)
        tstore.apply_change(
            conn,
            [change],
            trigger,
            SYSTEM,
            f"tất cả {counts[row.id][0]} nhiệm vụ của cấp dưới đã báo cáo",
            now,
        )


# ----------------------------------------------------------------------------- reading


def task_views(store: Store, **filters: Any) -> list[TaskView]:
    return task_page(store, **filters)[0]


def task_page(store: Store, **filters: Any) -> tuple[list[TaskView], int]:
    """The tasks that pass the filters (at most ``limit``), and how many pass them in all."""
    counted = filters.get("limit") is not None
    with store.read() as conn:
        if filters.get("directive") is not None:
            filters["directive_id"] = dstore.resolve_directive(conn, str(filters.pop("directive")))
        else:
            filters.pop("directive", None)
        rows = tstore.list_tasks(conn, **filters, with_total=counted)
        labels: dict[int, Workflow] = {}
        views = []
        for row in rows:
            wf = labels.get(row["template_id"]) or labels.setdefault(
                row["template_id"], dstore.workflow_of(conn, row["template_id"])
            )
            label, label_en = wf.template.label(row["state"]), wf.template.label(row["state"], "en")
            views.append(tstore.to_view(row, label, label_en))
    return views, rows[0]["total"] if counted and rows else len(rows)


def task_detail(store: Store, task_id: int) -> TaskDetail:
    """A task, its directive, the triggers it allows now, its events, and the template it
    runs under (for the words of its states, triggers and rungs)."""
    views = task_views(store, ids=[task_id])
    if not views:
        raise NotFound(f"task {task_id} does not exist", kind="task", key=task_id)
    view = views[0]
    with store.read() as conn:
        directive = dstore.get_directive(conn, view.directive_id)
        wf = dstore.workflow_of(conn, directive.template_id)
        events = tstore.history(conn, task_id)
    allowed = [
        f"{trigger} ({'/'.join(wf.who_may(trigger, view.state))})"
        for trigger in wf.allowed(view.state)
    ]
    return TaskDetail(view, directive, allowed, events, wf.template)


class TaskDetail(NamedTuple):
    """What ``task show`` and ``task history`` need of one task."""

    view: TaskView
    directive: DirectiveRow
    allowed: list[str]
    events: list[Event]
    template: Template


def org_listing(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return ostore.org_listing(conn)


def directive_listing(store: Store) -> tuple[list[dict[str, Any]], dict[int, Template]]:
    with store.read() as conn:
        rows = dstore.directive_summaries(conn)
        templates = {
            tid: dstore.workflow_of(conn, tid).template for tid in {r["template_id"] for r in rows}
        }
    return rows, templates


def directive_detail(store: Store, ref: str) -> dict[str, Any]:
    with store.read() as conn:
        directive_id = dstore.resolve_directive(conn, ref)
        row = dstore.get_directive(conn, directive_id)
        template = dstore.workflow_of(conn, row.template_id).template
        info = dstore.template_info(conn, row.template_id)
        counts = tstore.count_by_state(conn, directive_id)
        deliverables = dstore.deliverables_of(conn, directive_id)
    label = row.label
    problem = document_problem(row.document)
    if problem:
        raise UnreadableRecord(
            f"directive {label}: its stored document cannot be read ({problem}); it was "
            f"changed outside chidao: 'chidao directive withdraw {label}' takes it out of "
            "tracking"
        )
    return {
        "id": directive_id,
        "label": label,
        "office": row.office,
        "document": row.document,
        "workflow": {
            "name": info["name"],
            "version": info["version"],
            "hash": info["content_hash"][:12],
        },
        "issued_at": row.issued_at.isoformat(),
        "issued_by": row.issued_by,
        "deliverables": [
            {
                "item": d["item"],
                "text": d["text"],
                "due": d["due_at"].isoformat() if d["due_at"] else None,
                "relative": d["relative"],
                "recurring": d["recurring"],
            }
            for d in deliverables
        ],
        "states": {s.name: counts.get(s.name, 0) for s in template.states},
        "labels": {s.name: {"vi": s.label, "en": s.label_en} for s in template.states},
    }
