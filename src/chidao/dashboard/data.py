"""The dashboard's numbers: a handful of GROUP BY queries (``store.dashboard``) assembled
into plain data, the same that ``--json`` prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pendulum

from chidao.calendar import WorkCalendar, calendar_from_config
from chidao.clock import aware
from chidao.errors import InputError, NotFound, UnreadableRecord
from chidao.model import LEVEL_NAMES, LEVELS, URGENCIES
from chidao.store import Store
from chidao.store import chains as cstore
from chidao.store import dashboard as q
from chidao.store import directives as dstore
from chidao.store import org as ostore
from chidao.workflow import Template, Workflow

URGENCY_RANK = {u: n for n, u in enumerate(reversed(URGENCIES))}  # Hỏa tốc first


@dataclass(frozen=True)
class Options:
    directive: str | None = None
    level: str | None = None
    person: str | None = None
    limit: int | None = None  # rows per list; None: all of them
    soon_days: int = 3


def _moment(value: dt.datetime | None) -> pendulum.DateTime | None:
    """A stored moment, timezone-aware; only the JSON writer and the screen format it."""
    return aware(value) if value else None


def _soonest(due: dt.datetime | None) -> tuple[bool, float]:
    """Sort key: the earliest due first, no due last."""
    return (due is None, due.timestamp() if due else 0.0)


@dataclass
class _Scope:
    """What one dashboard looks at: its filter, the directives and templates in it, and the
    office whose calendar counts the days."""

    where: Any
    person: dict[str, Any] | None
    offices: dict[str, str]
    grouped: list[dict[str, Any]]
    info: dict[int, dict[str, Any]]
    templates: dict[int, Template]
    notes: list[str]
    office: str | None = None

    def states(self, category: str) -> list[str]:
        """The states of every template in use that count as ``category``."""
        return sorted({s for t in self.templates.values() for s in t.states_in(category)})

    def overdue_states(self) -> list[str]:
        return sorted({t.overdue_state for t in self.templates.values() if t.overdue_state})

    def state_label(self, state: str) -> str:
        """A state's label in the first template that has it."""
        for template in self.templates.values():
            if state in {s.name for s in template.states}:
                return template.label(state)
        return state


def build(store: Store, now: pendulum.DateTime, options: Options = Options()) -> dict[str, Any]:
    """Every number of the dashboard as plain data (what ``--json`` prints)."""
    if options.level and options.level not in LEVELS:
        raise InputError(
            f"--level: unknown level {options.level!r} (expected one of: {', '.join(LEVELS)})"
        )
    with store.read() as conn:
        scope = _scope(conn, options, now)
        calendar = (
            calendar_from_config(ostore.office_calendar(conn, scope.office), scope.office)
            if scope.office
            else WorkCalendar()
        )
        lists = _lists(conn, scope, options, now, calendar.ordinal(now.date()))
        below = cstore.children_by_directive(conn, sorted(scope.info), dstore.reported_rule(conn))
        has_any = bool(scope.info) or dstore.directive_count(conn) > 0
    data = _assemble(scope.grouped, scope.info, scope.templates, lists["levels"], now)
    for entry in data["directives"]:
        total, reported = below.get(entry["id"], (0, 0))
        entry["children"] = {"tasks": total, "reported": reported} if total else None
    person = scope.person
    templates = scope.templates.values()
    data.update(
        notes=scope.notes,
        kinds=_kinds(templates),
        now=now,
        office=scope.offices.get(scope.office) if scope.office else None,
        offices=len(scope.offices),
        person=({"id": person["id"], "name": person["name"]} if person else None),
        scope={"directive": options.directive, "level": options.level, "person": options.person},
        empty=not has_any,
        soon_days=options.soon_days,
        limit=options.limit,
        overdue_states=scope.overdue_states(),
        reported_states=scope.states("reported"),
        state_order=list(dict.fromkeys(s.name for t in templates for s in t.states)),
    )
    data.update(_task_lists(lists, scope, calendar, now))
    return data


def _scope(conn, options: Options, now: pendulum.DateTime) -> _Scope:
    """The directives the options select, with the templates they were issued under (a
    directive whose template cannot be read is left out, with a note)."""
    directive_id = dstore.resolve_directive(conn, options.directive) if options.directive else None
    person = None
    if options.person:
        person = q.person_row(conn, options.person)
        if person is None:
            raise NotFound(
                f"unknown person {options.person!r} (not in any loaded org file)",
                kind="person",
                key=options.person,
            )
    where = q.scope(directive_id, options.level, person, q.withdrawn_ids(conn))
    grouped = q.directive_states(conn, where, now)
    info = q.directive_rows(conn, sorted({r["directive_id"] for r in grouped}))
    templates, notes = _templates(conn, {d["template_id"] for d in info.values()})
    if notes:  # leave out the directives of a template that cannot be read
        skipped = [d for d, row in info.items() if row["template_id"] not in templates]
        where = q.without(where, skipped)
        grouped = q.directive_states(conn, where, now)
        info = {d: row for d, row in info.items() if d not in skipped}
    scope = _Scope(where, person, ostore.office_names(conn), grouped, info, templates, notes)
    scope.office = _office(scope, directive_id)
    return scope


def _office(scope: _Scope, directive_id: int | None) -> str | None:
    """Whose calendar counts the days: the person's office, the one directive's, or the
    only office there is."""
    if scope.person:
        return str(scope.person["office_code"])
    if directive_id in scope.info:
        return str(scope.info[directive_id]["office_code"])
    return next(iter(scope.offices)) if len(scope.offices) == 1 else None


def _lists(conn, scope: _Scope, options: Options, now: pendulum.DateTime, today: int):
    """The rows of the dashboard's lists, as the store gives them."""
    overdue_states, open_states = scope.overdue_states(), scope.states("open")
    where, limit = scope.where, options.limit
    late = (
        q.overdue_list(conn, where, overdue_states, limit, open_states, now)
        if overdue_states or open_states
        else []
    )
    soon = (
        q.due_soon(conn, where, open_states, now, today + options.soon_days, limit)
        if open_states
        else (0, [])
    )
    return {
        "late": late,
        "soon": soon,
        "levels": q.level_states(conn, where),
        "waiting": q.waiting(conn, where),
        "pending": q.pending_extensions(conn, where, limit),
    }


def _task_lists(
    lists: dict[str, Any], scope: _Scope, calendar: WorkCalendar, now: pendulum.DateTime
) -> dict[str, Any]:
    """The dashboard's task lists: overdue, waiting, extension requests, due soon."""
    info = scope.info
    late, (pending_total, pending), (soon_total, soon) = (
        lists["late"],
        lists["pending"],
        lists["soon"],
    )
    return {
        "overdue_total": late[0]["total"] if late else 0,
        "overdue": [
            {
                **_about(r["id"], r, info),
                "days_late": calendar.late_by(r["due_seq"], now.date()),
                "escalation": {"kind": r["kind"], "round": r["round"]} if r["kind"] else None,
                "reached": r["reached"],
                "person": r["person_id"],
                "contact": ", ".join(x for x in (r["principal"], r["phone"]) if x),
            }
            for r in late
        ],
        "waiting": _waiting(lists["waiting"], info, scope.templates),
        "pending_extensions_total": pending_total,
        "pending_extensions": [
            {
                **_about(r["task"], r, info),
                "requested_to": _moment(r["requested_to"]),
                "requested_at": _moment(r["requested_at"]),
                "note": r["note"],
            }
            for r in pending
        ],
        "due_soon_total": soon_total,
        "due_soon": [
            {
                **_about(r["id"], r, info),
                "state": r["state"],
                "state_label": scope.state_label(r["state"]),
            }
            for r in soon
        ],
    }


def _templates(conn, ids: set[int]) -> tuple[dict[int, Template], list[str]]:
    """The templates in use, and a note for each one the database cannot give back."""
    found, notes = {}, []
    for tid in sorted(ids):
        try:
            found[tid] = dstore.workflow_of(conn, tid).template
        except UnreadableRecord as exc:
            labels = dstore.labels_of_template(conn, tid)
            notes.append(f"skipped directive {', '.join(labels[:5])}: {exc.message}")
    return found, notes


def _kinds(used: Iterable[Template]) -> dict[str, dict[str, str]]:
    """Each escalation kind in both languages, as ``labels`` gives each state."""
    return {r.kind: {"vi": r.kind, "en": r.kind_en or r.kind} for t in used for r in t.escalation}


def _about(task: int, r: dict[str, Any], info: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """What every task list on the dashboard says first: the task, its school, directive
    and due."""
    return {
        "id": task,
        "directive_id": r["directive_id"],
        "unit": r["unit_code"],
        "unit_name": r["unit_name"],
        "directive": _label(info.get(r["directive_id"]) or r, r["directive_id"]),
        "due": _moment(r["due_at"]),
    }


def _label(d: dict[str, Any], directive_id: int) -> str:
    """Its code, else its subject and date (``store.directives.directive_label``)."""
    return dstore.directive_label(d.get("code"), directive_id, d.get("subject"), d.get("date"))


def _waiting(rows, info, templates) -> list[dict[str, Any]]:
    """Open tasks without a due, per directive and what they wait for (an event, receipt)."""
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for r in rows:
        d = info.get(r["directive_id"])
        if d is None or templates[d["template_id"]].category(r["state"]) not in ("open",):
            continue
        relative = r["relative"] or {}
        event = relative.get("event") if relative.get("from") == "event" else None
        key = (r["directive_id"], event or "")
        entry = out.setdefault(
            key,
            {
                "directive_id": d["id"],
                "directive": _label(d, d["id"]),
                "event": event,
                "tasks": 0,
            },
        )
        entry["tasks"] += r["n"]
    return list(out.values())


def _assemble(grouped, info, templates, levels, now) -> dict[str, Any]:
    per: dict[int, dict[str, Any]] = {}
    totals: dict[str, int] = {}
    labels: dict[str, dict[str, str]] = {}
    quality = {"on_time": 0, "late": 0, "open_in_time": 0, "open_overdue": 0}
    state_kind: dict[str, str] = {}
    for row in grouped:
        d = info[row["directive_id"]]
        template = templates[d["template_id"]]
        kind = state_kind[row["state"]] = template.category(row["state"])
        labels.setdefault(
            row["state"],
            {"vi": template.label(row["state"]), "en": template.label(row["state"], "en")},
        )
        totals[row["state"]] = totals.get(row["state"], 0) + row["n"]
        entry = per.get(row["directive_id"]) or per.setdefault(row["directive_id"], _entry(d))
        _count(entry, row, kind, template, quality)
    rows = [e for e in per.values() if e["open"]]
    for e in per.values():
        e["due"] = _moment(e["due"] or e.pop("_last", None))
        e.pop("_last", None)
    rows.sort(
        key=lambda e: (URGENCY_RANK.get(e["urgency"] or "", 99), *_soonest(e["due"]), e["id"])
    )
    return {
        "totals": totals,
        "labels": labels,
        "quality": quality,
        "directives_total": len(rows),
        "directives": rows,
        "levels": _by_level(levels, state_kind),
    }


def _entry(d: dict[str, Any]) -> dict[str, Any]:
    """A directive's line on the dashboard, before its tasks are counted."""
    return {
        "id": d["id"],
        "code": d["code"],
        "label": _label(d, d["id"]),
        "subject": d["subject"],
        "urgency": d["urgency"],
        "date": d["date"],
        "total": 0,
        "reported": 0,
        "overdue": 0,
        "open": 0,
        "states": {},
        "rung": 0,
        "rung_kind": None,
        "due": None,
        "_last": None,
    }


def _count(
    entry: dict[str, Any], row: dict[str, Any], kind: str, template: Template, quality: dict
) -> None:
    """Add one (directive, state) group of tasks to its directive's line and to the quality
    counts; an open group also brings its highest rung and its earliest due."""
    n = row["n"]
    entry["total"] += n
    entry["states"][row["state"]] = n
    if kind == "reported":
        entry["reported"] += n
        quality["late"] += row["done_late"]
        quality["on_time"] += n - row["done_late"]
    elif kind in ("open", "overdue"):
        past = n if kind == "overdue" else row["past_due"]
        entry["overdue"] += past
        entry["open"] += n
        quality["open_overdue"] += past
        quality["open_in_time"] += n - past
        if row["rung"] and row["rung"] > entry["rung"]:
            entry["rung"] = row["rung"]
            entry["rung_kind"] = template.escalation[row["rung"] - 1].kind
        entry["due"] = _earliest(entry["due"], row["next_due"])
    if row["last_due"] and (entry["_last"] is None or row["last_due"] > entry["_last"]):
        entry["_last"] = row["last_due"]


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return min(a, b) if a and b else a or b


def _by_level(levels, state_kind: dict[str, str]) -> list[dict[str, Any]]:
    """Tasks per school level: total, reported, open, overdue."""
    by_level: dict[str, dict[str, int]] = {}
    for row in levels:
        entry = by_level.setdefault(
            row["level"], {"total": 0, "reported": 0, "open": 0, "overdue": 0}
        )
        kind = state_kind.get(row["state"], "open")
        entry["total"] += int(row["n"])
        if kind in entry:
            entry[kind] += int(row["n"])
    return [
        {"level": lv, "name": LEVEL_NAMES.get(lv, lv), **by_level[lv]}
        for lv in LEVELS
        if lv in by_level
    ]


def build_unit(store: Store, unit: str, now: pendulum.DateTime) -> dict[str, Any]:
    """A principal's view: the school's open tasks across all directives, and what next."""
    with store.read() as conn:
        found = ostore.get_unit(conn, unit)
        if found is None:
            raise NotFound(
                f"unknown unit {unit!r} (not in any loaded org file)", kind="unit", key=unit
            )
        rows = q.unit_tasks(conn, unit)
        templates, notes = _templates(conn, {r["template_id"] for r in rows})
        rows = [r for r in rows if r["template_id"] in templates]
        workflows = {tid: dstore.workflow_of(conn, tid) for tid in templates}
        calendar = calendar_from_config(ostore.office_calendar(conn, found.office), found.office)
    today = calendar.ordinal(now.date())
    tasks = []
    labels: dict[str, dict[str, str]] = {}
    done = 0
    for r in rows:
        wf = workflows[r["template_id"]]
        kind = wf.template.category(r["state"])
        done += kind == "reported"
        if kind not in ("open", "overdue"):
            continue
        labels.setdefault(
            r["state"],
            {"vi": wf.template.label(r["state"]), "en": wf.template.label(r["state"], "en")},
        )
        tasks.append(_unit_task(r, wf, _days_left(r, calendar, now, today)))
    tasks.sort(key=lambda t: _soonest(t["due"]))
    return {
        "unit": unit,
        "notes": notes,
        "name": found.name,
        "levels": list(found.levels),
        "principal": found.principal,
        "now": now,
        "tasks": tasks,
        "labels": labels,
        "kinds": _kinds(wf.template for wf in workflows.values()),
        "done": done,
    }


def _days_left(
    r: dict[str, Any], calendar: WorkCalendar, now: pendulum.DateTime, today: int
) -> int | None:
    """Working days until the task's due (negative: late by so many); None without a due."""
    if r["due_at"] is None:
        return None
    if r["due_at"] < now:
        return -calendar.late_by(r["due_seq"], now.date())
    return int(r["due_seq"] - today)


def _unit_task(r: dict[str, Any], wf: Workflow, left: int | None) -> dict[str, Any]:
    """One open task of a school: its directive, due, state and the triggers it may fire."""
    due = r["due_at"]
    return {
        "id": r["id"],
        "directive_id": r["directive_id"],
        "directive": _label(r, r["directive_id"]),
        "code": r["code"],
        "subject": r["subject"],
        "urgency": r["urgency"],
        "period": r["period"] or None,
        "state": r["state"],
        "state_label": wf.template.label(r["state"]),
        "due": _moment(due),
        "working_days_left": left,
        "next": [
            {
                "trigger": t,
                "label": wf.template.trigger_label(t),
                "label_en": wf.template.trigger_label(t, "en"),
            }
            for t in wf.allowed(r["state"], "recipient")
        ],
        "escalation": {"kind": r["kind"], "reached": r["reached"]} if r["kind"] else None,
        "waiting_for": (r["relative"] or {}).get("event") if due is None else None,
    }
