"""The console dashboard an office lead opens every morning, and a principal's view.

``build`` gathers the numbers (a handful of GROUP BY queries, see ``store.dashboard``) into
plain data, the same that ``--json`` prints; ``render`` lays them out with rich for any
width from 80 columns up, in Vietnamese or English.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pendulum
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.text import Text

from chidao.calendar import WorkCalendar, calendar_from_config
from chidao.clock import aware, format_date, format_moment, from_iso
from chidao.errors import InputError, NotFound, UnreadableRecord
from chidao.i18n import N_, _, message, using
from chidao.model import LEVEL_NAMES, LEVELS, URGENCIES
from chidao.rendering import Column, Listing, Table, listing_table
from chidao.store import Store
from chidao.store import chains as cstore
from chidao.store import dashboard as q
from chidao.store import directives as dstore
from chidao.store import org as ostore
from chidao.views import counted, more, short_unit_name, weekday
from chidao.workflow import Template

WORDS = {  # English as written in the code; shown through the catalog (chidao.i18n)
    "title": N_("chidao · directives being followed"),
    "offices": N_("{n} offices"),
    "desk": N_("On {name}'s desk"),
    "unit_title": N_("Tasks of {name}"),
    "directives": N_("Open directives"),
    "code": N_("Directive"),
    "subject": N_("Subject"),
    "due": N_("Due"),
    "progress": N_("Progress"),
    "overdue": N_("Overdue"),
    "rung": N_("Escalation"),
    "levels": N_("By school level"),
    "level": N_("Level"),
    "total": N_("Total"),
    "reported": N_("Reported"),
    "open": N_("Open"),
    "quality": N_("Completion"),
    "on_time": N_("Done on time"),
    "late": N_("Done late"),
    "open_in_time": N_("Open, within time"),
    "open_overdue": N_("Open, overdue"),
    "overdue_list": N_("Overdue, not reported ({n})"),
    "unit": N_("Unit"),
    "days_late": N_("Late"),
    "reached": N_("Reached"),
    "contact": N_("Contact"),
    "days": N_("{n} working days late"),
    "soon": N_("Due within {d} working days ({n})"),
    "state": N_("State"),
    "none_overdue": N_("No unit is overdue."),
    "none_soon": N_("Nothing falls due soon."),
    "empty": N_("no directives yet — try chidao demo"),
    "nothing_open": N_("No directive is open."),
    "next": N_("Next step"),
    "no_task": N_("Unit {unit} has no tasks."),
    "left": N_("{n} working days left"),
    "today": N_("due today"),
    "no_due": N_("no due yet"),
    "period": N_("period {p}"),
    "below": N_("below"),
    "waiting": N_("Waiting for an event / no due yet"),
    "wait_event": N_("waiting for «{e}»"),
    "wait_receipt": N_("receipt not acknowledged"),
    "pending": N_("Extension requests awaiting decision ({n})"),
    "asked": N_("Asked until"),
    "asked_on": N_("Asked at"),
}


def words(lang: str | None = None) -> dict[str, str]:
    """The dashboard's words in ``lang`` (None: the current language)."""
    with using(lang):
        return {key: _(text) for key, text in WORDS.items()}


SCREEN_ROWS = 15  # rows per list on screen unless --limit says otherwise
URGENCY_RANK = {u: n for n, u in enumerate(reversed(URGENCIES))}  # Hỏa tốc first


@dataclass(frozen=True)
class Options:
    directive: str | None = None
    level: str | None = None
    person: str | None = None
    limit: int | None = None  # rows per list; None: all of them
    soon_days: int = 3


def _categories(template: Template) -> dict[str, str]:
    """Each state of a template as the dashboard counts it: the template's own rule."""
    return {state.name: template.category(state.name) for state in template.states}


def _iso(value: dt.datetime | None) -> str | None:
    return aware(value).isoformat() if value else None


def build(store: Store, now: pendulum.DateTime, options: Options = Options()) -> dict[str, Any]:
    """Every number of the dashboard as plain data (what ``--json`` prints)."""
    if options.level and options.level not in LEVELS:
        raise InputError(
            f"--level: unknown level {options.level!r} (expected one of: {', '.join(LEVELS)})"
        )
    with store.read() as conn:
        offices = ostore.office_names(conn)
        directive_id = (
            dstore.resolve_directive(conn, options.directive) if options.directive else None
        )
        person = None
        if options.person:
            person = q.person_row(conn, options.person)
            if person is None:
                raise NotFound(f"unknown person {options.person!r} (not in any loaded org file)")
        where = q.scope(directive_id, options.level, person, q.withdrawn_ids(conn))
        grouped = q.directive_states(conn, where, now)
        info = q.directive_rows(conn, sorted({r["directive_id"] for r in grouped}))
        templates, notes = _templates(conn, {d["template_id"] for d in info.values()})
        if notes:  # leave out the directives of a template that cannot be read
            skipped = [d for d, row in info.items() if row["template_id"] not in templates]
            where = q.without(where, skipped)
            grouped = q.directive_states(conn, where, now)
            info = {d: row for d, row in info.items() if d not in skipped}
        office = (
            person["office_code"]
            if person
            else info[directive_id]["office_code"]
            if directive_id in info
            else next(iter(offices))
            if len(offices) == 1
            else None
        )
        calendar = (
            calendar_from_config(ostore.office_calendar(conn, office), office)
            if office
            else WorkCalendar()
        )
        today = calendar.ordinal(now.date())
        overdue_states = sorted({t.overdue_state for t in templates.values() if t.overdue_state})
        open_states = sorted(
            {s for t in templates.values() for s, c in _categories(t).items() if c == "open"}
        )
        late_rows = (
            q.overdue_list(conn, where, overdue_states, options.limit, open_states, now)
            if overdue_states or open_states
            else []
        )
        soon_total, soon_rows = (
            q.due_soon(conn, where, open_states, now, today + options.soon_days, options.limit)
            if open_states
            else (0, [])
        )
        levels = q.level_states(conn, where)
        waiting = q.waiting(conn, where)
        pending_total, pending = q.pending_extensions(conn, where, options.limit)
        below = cstore.children_by_directive(conn, sorted(info), dstore.reported_rule(conn))
        has_any = bool(info) or dstore.directive_count(conn) > 0
    data = _assemble(grouped, info, templates, levels, now)
    for entry in data["directives"]:
        total, reported = below.get(entry["id"], (0, 0))
        entry["children"] = {"tasks": total, "reported": reported} if total else None
    data.update(
        notes=notes,
        now=now.isoformat(),
        date=format_date(now),
        office=offices.get(office) if office else None,
        offices=len(offices),
        person=({"id": person["id"], "name": person["name"]} if person else None),
        scope={"directive": options.directive, "level": options.level, "person": options.person},
        empty=not has_any,
        soon_days=options.soon_days,
        limit=options.limit,
        overdue_states=overdue_states,
        reported_states=sorted({n for t in templates.values() for n in t.reported_states}),
        state_order=list(dict.fromkeys(s.name for t in templates.values() for s in t.states)),
    )
    data["overdue_total"] = late_rows[0]["total"] if late_rows else 0
    data["overdue"] = [
        {
            **_about(r["id"], r, info),
            "days_late": calendar.late_by(r["due_seq"], now.date()),
            "escalation": {"kind": r["kind"], "round": r["round"]} if r["kind"] else None,
            "reached": r["reached"],
            "person": r["person_id"],
            "contact": ", ".join(x for x in (r["principal"], r["phone"]) if x),
        }
        for r in late_rows
    ]
    data["waiting"] = _waiting(waiting, info, templates)
    data["pending_extensions_total"] = pending_total
    data["pending_extensions"] = [
        {
            **_about(r["task"], r, info),
            "requested_to": _iso(r["requested_to"]),
            "requested_at": _iso(r["requested_at"]),
            "note": r["note"],
        }
        for r in pending
    ]
    data["due_soon_total"] = soon_total
    data["due_soon"] = [
        {
            **_about(r["id"], r, info),
            "state": r["state"],
            "state_label": next(
                (
                    t.label(r["state"])
                    for t in templates.values()
                    if r["state"] in {s.name for s in t.states}
                ),
                r["state"],
            ),
        }
        for r in soon_rows
    ]
    return data


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


def _about(task: int, r: dict[str, Any], info: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """What every task list on the dashboard says first: the task, its school, directive
    and due."""
    return {
        "id": task,
        "directive_id": r["directive_id"],
        "unit": r["unit_code"],
        "unit_name": r["unit_name"],
        "directive": _label(info.get(r["directive_id"]) or r, r["directive_id"]),
        "due": _iso(r["due_at"]),
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
        kinds = _categories(template)
        kind = kinds.get(row["state"], "open")
        state_kind[row["state"]] = kind
        labels.setdefault(
            row["state"],
            {"vi": template.label(row["state"]), "en": template.label(row["state"], "en")},
        )
        totals[row["state"]] = totals.get(row["state"], 0) + row["n"]
        entry = per.setdefault(
            row["directive_id"],
            {
                "id": d["id"],
                "code": d["code"],
                "label": _label(d, d["id"]),
                "subject": d["subject"],
                "urgency": d["urgency"],
                "date": _iso_date(d["date"]),
                "total": 0,
                "reported": 0,
                "overdue": 0,
                "open": 0,
                "states": {},
                "rung": 0,
                "rung_kind": None,
                "due": None,
                "_last": None,
            },
        )
        entry["total"] += row["n"]
        entry["states"][row["state"]] = row["n"]
        if kind == "reported":
            entry["reported"] += row["n"]
            quality["late"] += row["done_late"]
            quality["on_time"] += row["n"] - row["done_late"]
        elif kind in ("open", "overdue"):
            past = row["n"] if kind == "overdue" else row["past_due"]
            entry["overdue"] += past
            entry["open"] += row["n"]
            quality["open_overdue"] += past
            quality["open_in_time"] += row["n"] - past
            if row["rung"] and row["rung"] > entry["rung"]:
                entry["rung"] = row["rung"]
                entry["rung_kind"] = template.escalation[row["rung"] - 1].kind
            if row["next_due"] and (entry["due"] is None or row["next_due"] < entry["due"]):
                entry["due"] = row["next_due"]
        if row["last_due"] and (entry["_last"] is None or row["last_due"] > entry["_last"]):
            entry["_last"] = row["last_due"]
    rows = [e for e in per.values() if e["open"]]
    for e in per.values():
        e["due"] = _iso(e["due"] or e.pop("_last", None))
        e.pop("_last", None)
    rows.sort(
        key=lambda e: (
            URGENCY_RANK.get(e["urgency"] or "", 99),
            e["due"] is None,
            e["due"] or "",
            e["id"],
        )
    )
    by_level: dict[str, dict[str, int]] = {}
    for row in levels:
        entry = by_level.setdefault(
            row["level"], {"total": 0, "reported": 0, "open": 0, "overdue": 0}
        )
        kind = state_kind.get(row["state"], "open")
        entry["total"] += int(row["n"])
        if kind in entry:
            entry[kind] += int(row["n"])
    return {
        "totals": totals,
        "labels": labels,
        "quality": quality,
        "directives_total": len(rows),
        "directives": rows,
        "levels": [
            {"level": lv, "name": LEVEL_NAMES.get(lv, lv), **by_level[lv]}
            for lv in LEVELS
            if lv in by_level
        ],
    }


def _iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# ----------------------------------------------------------------------------- rendering


def _due_text(iso: str | None) -> str:
    return format_moment(from_iso(iso)) if iso else "—"


def _bar(done: int, total: int, width: int) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(
        ProgressBar(
            total=max(total, 1),
            completed=done,
            width=width,
            complete_style="green",
            finished_style="green",
        ),
        f"{done}/{total}",
    )
    return grid


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(data: dict[str, Any], lang: str | None = None, width: int = 100) -> RenderableType:
    """The whole dashboard; ``width`` decides which columns show (80 fits, 120+ shows all)."""
    with using(lang) as chosen:
        return _render(data, chosen, width)


def _render(data: dict[str, Any], lang: str, width: int) -> RenderableType:
    w = words(lang)
    if data["empty"]:
        return Text(w["empty"])
    parts: list[RenderableType] = [_header(data, lang, width)]
    if data.get("notes"):
        parts.append(Text("\n".join(f"⚠ {message(n)}" for n in data["notes"]), style="yellow"))
    if not data["directives"]:
        parts.append(Text(w["nothing_open"]))
    else:
        parts.append(_directives(data, lang, width))
    side = [_levels(data, lang), _quality(data, lang)]
    if width >= 100:
        grid = Table.grid(padding=(0, 2), expand=False)
        grid.add_row(*side)
        parts.append(grid)
    else:
        parts.extend(side)
    parts.append(_overdue(data, lang, width))
    parts.append(_soon(data, lang, width))
    if data["waiting"]:
        parts.append(_waiting_text(data, lang))
    if data["pending_extensions"]:
        parts.append(_pending(data, lang, width))
    return Group(*parts)


def _waiting_text(data: dict[str, Any], lang: str) -> Text:
    w = words(lang)
    text = Text(f"{w['waiting']}: ", style="bold")
    for n, entry in enumerate(data["waiting"]):
        what = w["wait_event"].format(e=entry["event"]) if entry["event"] else w["wait_receipt"]
        text.append(("; " if n else "") + f"{entry['directive']} {what} ({entry['tasks']})")
    return text


def _pending(data: dict[str, Any], lang: str, width: int) -> RenderableType:
    w = words(lang)
    shown = data["pending_extensions"][: data["limit"] or SCREEN_ROWS]
    total = data["pending_extensions_total"]
    listing = Listing(
        w["pending"].format(n=counted(len(shown), total)),
        [
            Column("#", justify="right"),
            Column(w["unit"], flex=3, min_width=14, abbreviate=short_unit_name),
            Column(w["code"], flex=1, min_width=10, max_width=12 if width < 100 else 18),
            Column(w["due"]),
            Column(w["asked"]),
        ],
        caption=more("requests", len(shown), total),
    )
    for r in shown:
        listing.add_row(
            str(r["id"]),
            r["unit_name"],
            r["directive"],
            _due_text(r["due"]) if r["due"] else "—",
            _due_text(r["requested_to"]),
        )
    return listing


def _header(data: dict[str, Any], lang: str, width: int) -> Panel:
    w = words(lang)
    day = from_iso(data["now"])
    who = (
        w["desk"].format(name=data["person"]["name"])
        if data["person"]
        else data["office"] or w["offices"].format(n=data["offices"])
    )
    line = Text()
    line.append(who, style="bold")
    line.append(f"  ·  {weekday(day, lang)}, {format_moment(day)}")
    counts = Text()
    for n, (state, count) in enumerate(
        sorted(data["totals"].items(), key=lambda kv: _state_order(kv[0], data))
    ):
        if n:
            counts.append("  ·  ")
        style = "bold red" if state in _overdue_states(data) and count else "bold"
        counts.append(f"{data['labels'][state][lang]} ")
        counts.append(str(count), style=style)
    return Panel(Group(line, counts), title=w["title"], title_align="left", width=min(width, 120))


def _overdue_states(data: dict[str, Any]) -> set[str]:
    return set(data["overdue_states"])


def _state_order(state: str, data: dict[str, Any]) -> tuple[int, str]:
    """States in the order their templates declare them, overdue last."""
    order = data["state_order"]
    return (
        len(order) + 1
        if state in data["overdue_states"]
        else order.index(state)
        if state in order
        else len(order)
    ), state


def _directives(data: dict[str, Any], lang: str, width: int) -> Table:
    w = words(lang)
    wide = width >= 120
    states = sorted(
        {s for d in data["directives"] for s in d["states"]}, key=lambda s: _state_order(s, data)
    )
    shown = data["directives"][: data["limit"] or SCREEN_ROWS]
    bar = 12 if wide else 8
    # per-state columns only while the subject keeps at least 30 columns
    digits = max([1] + [len(str(d["total"])) for d in shown])
    rung = max([len(w["rung"])] + [len(str(d["rung_kind"])) + 8 for d in shown if d["rung"]])
    budget = (
        width
        - 30
        - 2 * 5
        - max([len(w["code"])] + [len(d["label"]) + 2 for d in shown])
        - 16
        - (bar + 2 + 2 * digits)
        - len(w["overdue"])
        - (rung + 2 if width >= 100 else 0)
    )
    state_columns = []
    for state in states if wide else []:
        label = data["labels"][state][lang]
        if (
            state not in _overdue_states(data)
            and state not in data["reported_states"]
            and budget >= len(label) + 2
        ):
            state_columns.append(state)
            budget -= len(label) + 2
    table = _table(w["directives"], expand=True)
    table.add_column(w["code"], no_wrap=True, max_width=18, overflow="ellipsis")
    table.add_column(w["subject"], ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column(w["due"], no_wrap=True)
    table.add_column(w["progress"], no_wrap=True)
    for state in state_columns:
        table.add_column(data["labels"][state][lang], justify="right", no_wrap=True)
    table.add_column(w["overdue"], justify="right", no_wrap=True)
    if width >= 100:
        table.add_column(w["rung"], no_wrap=True)
    for d in shown:
        cells: list[RenderableType] = [
            (d["code"] or _("(no number)")) + (" ⚡" if d["urgency"] else ""),  # subject beside
            Text(
                (
                    f"{w['below']} {d['children']['reported']}/{d['children']['tasks']} · "
                    if d["children"]
                    else ""
                )
                + d["subject"]
            ),
            _due_text(d["due"]) if wide else (format_date(from_iso(d["due"])) if d["due"] else "—"),
            _bar(d["reported"], d["total"], bar),
        ]
        cells += [str(d["states"].get(s, 0)) for s in state_columns]
        cells.append(
            Text(str(d["overdue"]), style="bold red") if d["overdue"] else Text("0", style="dim")
        )
        if width >= 100:
            cells.append(
                _("{kind} (rung {rung})").format(kind=d["rung_kind"], rung=d["rung"])
                if d["rung"]
                else "—"
            )
        table.add_row(*cells)
    table.caption = more("directives", len(shown), data["directives_total"])
    table.caption_justify = "left"
    return table


def _table(title: str | None, expand: bool = False) -> Table:
    """Every dashboard table looks like every listing (``rendering.listing_table``)."""
    return listing_table(title, expand=expand)


def _levels(data: dict[str, Any], lang: str) -> Table:
    w = words(lang)
    table = _table(w["levels"])
    table.add_column(w["level"], no_wrap=True)
    for key in ("total", "reported", "open", "overdue"):
        table.add_column(w[key], justify="right", no_wrap=True)
    table.add_column("%", justify="right", no_wrap=True)
    for row in data["levels"]:
        share = f"{100 * row['reported'] / row['total']:.0f}%" if row["total"] else "—"
        table.add_row(
            row["level"],
            str(row["total"]),
            str(row["reported"]),
            str(row["open"] + row["overdue"]),
            Text(str(row["overdue"]), style="bold red") if row["overdue"] else "0",
            share,
        )
    return table


def _quality(data: dict[str, Any], lang: str) -> Table:
    w = words(lang)
    table = _table(w["quality"])
    table.show_header = False
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for key in ("on_time", "late", "open_in_time", "open_overdue"):
        n = data["quality"][key]
        style = "bold red" if key == "open_overdue" and n else None
        table.add_row(w[key], Text(str(n), style=style or ""))
    return table


def _overdue(data: dict[str, Any], lang: str, width: int) -> RenderableType:
    w = words(lang)
    total = data["overdue_total"]
    if not data["overdue"]:
        return Text(w["none_overdue"], style="dim")
    shown = data["overdue"][: data["limit"] or SCREEN_ROWS]
    columns = [
        Column(w["unit"], flex=3, min_width=14, abbreviate=short_unit_name),
        Column(w["code"], flex=1, min_width=10, max_width=12 if width < 100 else 18),
        Column(w["days_late"], justify="right"),
        Column(w["reached"], flex=3, min_width=12),
    ]
    if width >= 120:
        columns.append(Column(w["contact"], flex=2))
    listing = Listing(
        w["overdue_list"].format(n=counted(len(shown), total)),
        columns,
        caption=more("units", len(shown), total),
    )
    for r in shown:
        reached = (
            f"{_rung_words(r['escalation'], width)} → {r['reached']}" if r["escalation"] else "—"
        )
        cells = [r["unit_name"], r["directive"], Text(str(r["days_late"]), style="red"), reached]
        if width >= 120:
            cells.append(r["contact"] or "—")
        listing.add_row(*cells)
    return listing


def _rung_words(escalation: dict[str, Any], width: int) -> str:
    """ "phê bình lần 2"; below 100 columns the first round goes unsaid."""
    if width < 100 and escalation["round"] == 1:
        return escalation["kind"]
    return _("{kind} round {round}").format(kind=escalation["kind"], round=escalation["round"])


def _state_words(data: dict[str, Any], state: str, lang: str) -> str:
    return (data["labels"].get(state) or {}).get(lang) or state


def _soon(data: dict[str, Any], lang: str, width: int) -> RenderableType:
    w = words(lang)
    if not data["due_soon"]:
        return Text(w["none_soon"], style="dim")
    shown = data["due_soon"][: data["limit"] or SCREEN_ROWS]
    total = data["due_soon_total"]
    listing = Listing(
        w["soon"].format(d=data["soon_days"], n=counted(len(shown), total)),
        [
            Column(w["unit"], flex=3, min_width=14, abbreviate=short_unit_name),
            Column(w["code"], flex=1, min_width=10, max_width=12 if width < 100 else 18),
            Column(w["due"]),
            Column(w["state"], flex=1),
        ],
        caption=more("tasks", len(shown), total),
    )
    for r in shown:
        listing.add_row(
            r["unit_name"],
            r["directive"],
            _due_text(r["due"]),
            _state_words(data, r["state"], lang),
        )
    return listing


# ----------------------------------------------------------------------------- a school


def build_unit(store: Store, unit: str, now: pendulum.DateTime) -> dict[str, Any]:
    """A principal's view: the school's open tasks across all directives, and what next."""
    with store.read() as conn:
        found = ostore.get_unit(conn, unit)
        if found is None:
            raise NotFound(f"unknown unit {unit!r} (not in any loaded org file)")
        rows = q.unit_tasks(conn, unit)
        templates, notes = _templates(conn, {r["template_id"] for r in rows})
        rows = [r for r in rows if r["template_id"] in templates]
        workflows = {tid: dstore.workflow_of(conn, tid) for tid in templates}
        calendar = calendar_from_config(ostore.office_calendar(conn, found.office), found.office)
    today = calendar.ordinal(now.date())
    tasks = []
    labels: dict[str, dict[str, str]] = {}
    for r in rows:
        wf = workflows[r["template_id"]]
        kind = _categories(wf.template).get(r["state"], "open")
        if kind not in ("open", "overdue"):
            continue
        due = r["due_at"]
        labels.setdefault(
            r["state"],
            {"vi": wf.template.label(r["state"]), "en": wf.template.label(r["state"], "en")},
        )
        if due is None:
            left = None
        elif due < now:
            left = -calendar.late_by(r["due_seq"], now.date())
        else:
            left = r["due_seq"] - today
        tasks.append(
            {
                "id": r["id"],
                "directive_id": r["directive_id"],
                "directive": _label(r, r["directive_id"]),
                "code": r["code"],
                "subject": r["subject"],
                "urgency": r["urgency"],
                "period": r["period"] or None,
                "state": r["state"],
                "state_label": wf.template.label(r["state"]),
                "due": _iso(due),
                "working_days_left": left,
                "next": [
                    {"trigger": t, "label": wf.template.trigger_label(t)}
                    for t in wf.allowed(r["state"], "recipient")
                ],
                "escalation": {"kind": r["kind"], "reached": r["reached"]} if r["kind"] else None,
                "waiting_for": (r["relative"] or {}).get("event") if due is None else None,
            }
        )
    tasks.sort(key=lambda t: (t["due"] is None, t["due"] or ""))
    return {
        "unit": unit,
        "notes": notes,
        "name": found.name,
        "levels": list(found.levels),
        "principal": found.principal,
        "now": now.isoformat(),
        "tasks": tasks,
        "labels": labels,
        "done": sum(
            1
            for r in rows
            if _categories(workflows[r["template_id"]].template).get(r["state"]) == "reported"
        ),
    }


def render_unit(data: dict[str, Any], lang: str | None = None, width: int = 100) -> RenderableType:
    """A principal's view: the school's open tasks, their dues and what to do next."""
    with using(lang) as chosen:
        return _render_unit(data, chosen, width)


def _render_unit(data: dict[str, Any], lang: str, width: int) -> RenderableType:
    w = words(lang)
    day = from_iso(data["now"])
    head = Text()
    head.append(w["unit_title"].format(name=data["name"]), style="bold")
    head.append(f"  ·  {weekday(day, lang)}, {format_moment(day)}")
    for note in data.get("notes") or []:
        head.append(f"\n⚠ {message(note)}", style="yellow")
    if not data["tasks"]:
        return Group(
            head,
            Text(w["nothing_open"] if data["done"] else w["no_task"].format(unit=data["unit"])),
        )
    table = _table(None, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(w["code"], ratio=1, overflow="fold")
    table.add_column(w["due"], no_wrap=True)
    table.add_column(w["state"], no_wrap=True)
    table.add_column(w["next"], no_wrap=width >= 100, overflow="fold")
    for t in data["tasks"]:
        left = t["working_days_left"]
        late = left is not None and left < 0
        when = Text(
            _due_text(t["due"])
            if t["due"]
            else w["wait_event"].format(e=t["waiting_for"])
            if t["waiting_for"]
            else w["no_due"],
            style="red" if late else ("dim" if left is None else ""),
        )
        if left is not None:
            when.append(
                "\n"
                + (
                    w["days"].format(n=-left)
                    if late
                    else w["left"].format(n=left)
                    if left
                    else w["today"]
                ),
                style="red" if late else "dim",
            )
        what = Text(f"{t['code']}  " if t["code"] else "", style="bold")  # else: the subject
        what.append(_shorten(t["subject"], 2 * max(20, width - 50)))
        if t["period"]:
            what.append(f" — {w['period'].format(p=t['period'])}", style="dim")
        if t["escalation"]:
            esc = t["escalation"]
            what.append(f"\n{w['rung']}: {esc['kind']} → {esc['reached']}", style="red")
        table.add_row(
            str(t["id"]),
            what,
            when,
            Text(_state_words(data, t["state"], lang), style="red" if late else ""),
            ", ".join(f"{n['label']} ({n['trigger']})" for n in t["next"]) or "—",
        )
    return Group(head, table)
