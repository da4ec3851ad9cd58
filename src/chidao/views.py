"""Renderers for listings: pure functions that return rich renderables (nothing prints).

Words in the current language (``chidao.i18n``: Vietnamese unless --lang en); dates
dd/mm/yyyy in Asia/Ho_Chi_Minh; internal ids (states, triggers) only in parentheses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pendulum
from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from chidao.calendar import DAYS, HOURS, WORKING_DAYS, Duration
from chidao.clock import format_date, format_moment, from_iso
from chidao.i18n import N_, _, language, message, using
from chidao.model import DirectiveRow, Event, TaskView
from chidao.rendering import Column, Listing, Table, listing_table
from chidao.workflow import Template, kind_words


def state_style(state: str, template: Template | None = None) -> str:
    if template is not None:
        if state == template.overdue_state:
            return "bold red"
        if state in template.reported_states:
            return "green"
    return {"overdue": "bold red", "reported": "green"}.get(state, "")


MORE = {
    "tasks": N_("… and {n} more tasks — --limit {total} shows them all"),
    "units": N_("… and {n} more units — --limit {total} shows them all"),
    "directives": N_("… and {n} more directives — --limit {total} shows them all"),
    "escalations": N_("… and {n} more escalations — --limit {total} shows them all"),
    "requests": N_("… and {n} more requests — --limit {total} shows them all"),
    "notifications": N_("… and {n} more notifications — --limit {total} shows them all"),
}


def counted(shown: int, total: int) -> str:
    """ "46", or "15/46" when a list shows only part of what there is."""
    if shown >= total:
        return str(total)
    return _("{shown} of {total}").format(shown=shown, total=total)


def more(kind: str, shown: int, total: int) -> Text | None:
    """The line under a list cut short: how many rows are left out and how to see them."""
    if shown >= total:
        return None
    return Text(_(MORE[kind]).format(n=total - shown, total=total), style="dim")


SCHOOL_PREFIXES = (
    ("trường mầm non ", "MN "),
    ("trường tiểu học ", "TH "),
    ("trường trung học cơ sở ", "THCS "),
    ("trường trung học phổ thông ", "THPT "),
    ("trường ", ""),
)


def short_unit_name(name: str) -> str:
    """A school's name as narrow screens write it: "Trường Tiểu học Thanh An" → "TH Thanh
    An", "Trường PTDTBT TH&THCS Nà Tấu" → "PTDTBT TH&THCS Nà Tấu"."""
    folded = name.casefold()
    for prefix, short in SCHOOL_PREFIXES:
        if folded.startswith(prefix) and len(name) > len(prefix):
            return short + name[len(prefix) :]
    return name


def directive_label(row: dict[str, Any]) -> str:
    """A directive as screens name it: its code, else its subject and date."""
    from chidao.store.directives import directive_label as label

    return label(row.get("code"), row["directive_id"], row.get("subject"), row.get("date"))


def labelled(label: str, name: str) -> str:
    """ "Đã nhận (received)": what a person reads, and the id in parentheses when it
    says something else."""
    return label if label == name else f"{label} ({name})"


def state_label(view: TaskView) -> str:
    """A task's state as the template names it, in the current language."""
    return view.state_label_en if language() == "en" and view.state_label_en else view.state_label


def tasks_table(views: Sequence[TaskView], total: int | None = None) -> Listing:
    total = len(views) if total is None else total
    listing = Listing(
        _("Tasks ({n})").format(n=counted(len(views), total)),
        [
            Column(_("ID"), justify="right"),
            Column(_("Directive"), flex=2),
            Column(_("Unit"), flex=3, abbreviate=short_unit_name),
            Column(_("Level"), keep=3),
            Column(_("State")),
            Column(_("Due")),
            Column(_("Reported at"), keep=2),
        ],
        caption=more("tasks", len(views), total),
    )
    for v in views:
        listing.add_row(
            str(v.id),
            f"{v.directive} [{v.deliverable}]",
            v.unit_name,
            ",".join(v.levels),
            Text(state_label(v), style=state_style(v.state)),
            format_moment(v.due),
            format_moment(v.reported_at),
        )
    return listing


def task_panel(
    view: TaskView,
    directive: DirectiveRow,
    allowed: Sequence[str],
    escalations: Sequence[dict[str, Any]] = (),
    children: tuple[int, int] | None = None,
    request: dict[str, Any] | None = None,
    *,
    template: Template | None = None,
) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    rows: list[tuple[str, RenderableType | None]] = [
        (_("Task"), _("#{id} (version {version})").format(id=view.id, version=view.version)),
        (_("Directive"), f"{view.directive} — {directive.subject}"),
        (_("Unit"), f"{view.unit_name} ({view.unit}; {', '.join(view.levels)})"),
        (_("Deliverable"), view.deliverable),
        (_("Workflow"), view.workflow),
        (
            _("State"),
            Text(labelled(state_label(view), view.state), style=state_style(view.state)),
        ),
        (_("Period"), format_date(from_iso(view.period)) if view.period else None),
        (_("Due"), format_moment(view.due)),
        (_("Received at"), format_moment(view.received_at)),
        (_("Reported at"), format_moment(view.reported_at)),
        (
            _("Late by"),
            _("{n} working days").format(n=view.days_late) if view.days_late else None,
        ),
        (
            _("Below"),
            _("{reported}/{tasks} tasks reported").format(reported=children[1], tasks=children[0])
            if children
            else None,
        ),
        (
            _("May do next"),
            ", ".join(_next_step(a, template) for a in allowed) or _("nothing more to do"),
        ),
        (
            _("Extension awaiting decision"),
            Text(
                _("to {due}, asked by {who} at {at}").format(
                    due=format_moment(request["requested_to"]),
                    who=request["requested_by"],
                    at=format_moment(request["requested_at"]),
                )
                + (f": {request['note']}" if request["note"] else ""),
                style="yellow",
            )
            if request
            else None,
        ),
    ]
    kinds = kind_words(template.escalation, language()) if template else {}
    rows += [
        (
            _("Escalation"),
            Text(
                _("{kind} round {round} → {target} ({at})").format(
                    kind=kinds.get(e["kind"], e["kind"]),
                    round=e["round"],
                    target=e["target_name"],
                    at=format_moment(e["created_at"]),
                )
                + (
                    _(", resolved {at}").format(at=format_moment(e["resolved_at"]))
                    if e["resolved_at"]
                    else ""
                ),
                style="dim" if e["resolved_at"] else "red",
            ),
        )
        for e in escalations
    ]
    rows = [(k, v) for k, v in rows if v is not None]
    for key, value in rows:
        grid.add_row(key, value)
    return grid


def _next_step(allowed: str, template: Template | None) -> str:
    """ "start (recipient)" as a person reads it: "Bắt đầu thực hiện (start; recipient)"."""
    trigger, _sep, roles = allowed.partition(" (")
    label = template.trigger_label(trigger, language()) if template else trigger
    return f"{label} ({trigger}; {roles}" if label != trigger and roles else allowed


def history_table(
    task_id: int, events: Sequence[Event], created: TaskView, template: Template | None = None
) -> Listing:
    listing = Listing(
        _("History of task {id} ({n} events)").format(id=task_id, n=len(events) + 1),
        [
            Column(_("At")),
            Column(_("Action")),
            Column(_("From → to"), flex=2, min_width=12),
            Column(_("By"), flex=2),
            Column(_("Note"), flex=3),
        ],
    )
    lang = language()

    def state(name: str | None) -> str:
        if name is None:
            return "—"
        return template.label(name, lang) if template else name

    def action(trigger: str) -> str:
        return labelled(template.trigger_label(trigger, lang), trigger) if template else trigger

    first = (events[0].from_state if events else None) or created.state
    listing.add_row(
        format_moment(created.received_at), "issue", f"→ {state(first)}", "—", _("issued")
    )
    for e in events:
        listing.add_row(
            format_moment(e.at),
            action(e.trigger),
            f"{state(e.from_state)} → {state(e.to_state)}",
            e.who,
            e.note,
        )
    return listing


def directives_table(rows: Sequence[dict[str, Any]], templates: dict[int, Template]) -> Listing:
    listing = Listing(
        _("Directives ({n})").format(n=len(rows)),
        [
            Column(_("ID"), justify="right"),
            Column(_("Number"), flex=1, min_width=10),
            Column(_("Date"), keep=3),
            Column(_("Subject"), flex=3),
            Column(_("Progress"), flex=2, min_width=12),
        ],
    )
    for row in rows:
        template = templates[row["template_id"]]
        states = ", ".join(
            f"{template.label(s, language())} {n}" for s, n in sorted(row["states"].items())
        )
        if row.get("withdrawn_at"):
            states = _("Withdrawn {date} ({states})").format(
                date=format_date(row["withdrawn_at"]), states=states
            )
        listing.add_row(
            str(row["id"]),
            row["code"] or _("(no number)"),
            format_date(row["date"]),
            row["subject"],
            states,
        )
    return listing


def template_view(template: Template) -> list[Listing | Text]:
    states = Listing(
        f"{template.name}: {template.title}",
        [Column(_("State")), Column(_("Label"), flex=1), Column(_("Marks"), flex=1)],
    )
    for s in template.states:
        marks = [
            m
            for m, on in (
                (_("initial"), s.name == template.initial),
                (_("final"), s.final),
                (_("reported"), s.reported),
                (_("overdue"), s.overdue),
            )
            if on
        ]
        states.add_row(s.name, template.label(s.name, language()), ", ".join(marks))
    moves = Listing(
        _("Transitions ({n})").format(n=len(template.transitions)),
        [
            Column(_("Trigger"), flex=2, min_width=12),
            Column(_("From"), flex=2),
            Column(_("To")),
            Column(_("Who"), flex=1),
        ],
    )
    lang = language()
    for t in template.transitions:
        moves.add_row(
            labelled(template.trigger_label(t.trigger, lang), t.trigger),
            ", ".join(t.sources),
            t.dest,
            "/".join(t.by),
        )
    kinds = kind_words(template.escalation, lang)
    ladder = Text(
        _("Escalation ladder: ")
        + "; ".join(
            _("{after:+d} working days → {to} ({kind})").format(
                after=r.after, to=r.to, kind=kinds[r.kind]
            )
            for r in template.escalation
        )
        + "\n"
        + _("Default deadline: {deadline}; grace: {grace}").format(
            deadline=duration_words(template.default_deadline),
            grace=duration_words(template.grace),
        )
    )
    return [states, moves, ladder]


def workflows_table(found: Sequence[tuple[Template, Any]]) -> Listing:
    listing = Listing(
        _("Workflows ({n})").format(n=len(found)),
        [
            Column(_("Name")),
            Column(_("Title"), flex=3),
            Column(_("States"), flex=2, keep=3),
            Column(_("File"), flex=1, keep=2),
        ],
    )
    for template, path in found:
        listing.add_row(
            template.name,
            template.title,
            ", ".join(s.name for s in template.states),
            str(path),
        )
    return listing


def duration_words(period: Duration) -> str:
    """ "10 ngày làm việc" / "10 working days"."""
    words = {
        WORKING_DAYS: _("{n} working days"),
        DAYS: _("{n} days"),
        HOURS: _("{n} hours"),
    }
    return words.get(period.unit, "{n} " + period.unit).format(n=period.amount)


def org_table(offices: Sequence[dict[str, Any]]) -> list[Listing]:
    parts = []
    for office in offices:
        people = Listing(
            _("{office} ({code}): {n} people").format(
                office=office["name"], code=office["code"], n=len(office["people"])
            ),
            [
                Column(_("ID")),
                Column(_("Name"), flex=2),
                Column(_("Position"), flex=2),
                Column(_("Levels"), keep=3),
                Column(_("Reports to"), keep=2),
            ],
        )
        for p in office["people"]:
            people.add_row(
                p["id"], p["name"], p["position"], levels_text(p["levels"]), p["reports_to"]
            )
        units = Listing(
            _("Units ({n})").format(n=len(office["units"])),
            [
                Column(_("Code"), flex=1, min_width=12),
                Column(_("Name"), flex=3),
                Column(_("Levels")),
                Column(_("Principal"), flex=1, keep=3),
            ],
        )
        for u in office["units"]:
            units.add_row(u["code"], u["name"], levels_text(u["levels"]), u["principal"])
        parts += [people, units]
    return parts


def levels_text(levels: Any) -> str:
    """ "TH, THCS" from a list (or the stored "TH,THCS"); "—" for none."""
    if isinstance(levels, str):
        levels = [lv for lv in levels.split(",") if lv]
    return ", ".join(levels or []) or "—"


def directive_panel(detail: dict[str, Any]) -> Group:
    doc = detail["document"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    workflow = detail["workflow"]
    for key, value in (
        (
            _("Directive"),
            _("{directive} (id {id}) of {office}").format(
                directive=detail["label"], id=detail["id"], office=detail["office"]
            ),
        ),
        (_("Date"), format_date(_date(doc.get("date")))),
        (_("Subject"), doc.get("subject")),
        (_("Urgency"), doc.get("urgency")),
        (_("Sent to levels"), ", ".join(doc.get("recipient_levels") or [])),
        (_("Signed by"), _signed_by(doc.get("signer") or {})),
        (_("Workflow"), f"{workflow['name']} v{workflow['version']} ({workflow['hash']})"),
    ):
        grid.add_row(key, value or "—")
    deliverables = listing_table(_("Deliverables ({n})").format(n=len(detail["deliverables"])))
    deliverables.add_column(_("Item"))
    deliverables.add_column(_("Due"), no_wrap=True)
    deliverables.add_column(_("Text"), overflow="fold")
    for d in detail["deliverables"]:
        deliverables.add_row(d["item"] or "—", _when(d), d["text"])
    counts = listing_table(_("Progress ({n} tasks)").format(n=sum(detail["states"].values())))
    counts.add_column(_("State"))
    counts.add_column(_("Tasks"), justify="right")
    for state, n in detail["states"].items():
        label = detail["labels"][state][language()]
        counts.add_row(Text(labelled(label, state), style=state_style(state)), str(n))
    return Group(grid, deliverables, counts)


def _when(d: dict[str, Any]) -> str:
    """A deadline's due as a clerk reads it: a moment, a rule counted from something, or
    a recurring period."""
    if d["due"]:
        return format_moment(_moment(d["due"]))
    if d["relative"]:
        return relative_words(d["relative"])
    if d["recurring"]:
        return recurring_words(d["recurring"])
    return "—"


def _signed_by(signer: dict[str, Any]) -> str:
    """ "UBND TỈNH. CHỦ TỊCH / KT. GIÁM ĐỐC Phó Giám đốc Nguyễn Văn A": who signed."""
    chain = " / ".join(f"{c['authority']}. {c['title']}" for c in signer.get("chain") or [])
    return _joined(" ", chain, signer.get("position"), signer.get("name"))


def relative_words(rel: dict[str, Any]) -> str:
    """ "5 ngày làm việc từ kết thúc hội thi": a due counted from an event."""
    unit = rel.get("unit")
    period = duration_words(
        Duration(rel["amount"], WORKING_DAYS if unit in ("working_days", WORKING_DAYS) else DAYS)
    )
    start = rel.get("from") or "receipt"
    if start == "event":
        return _("{period} after «{event}»").format(period=period, event=rel.get("event") or "?")
    if start == "issue":
        return _("{period} after issue").format(period=period)
    return _("{period} after receipt").format(period=period)


def recurring_words(rec: dict[str, Any]) -> str:
    """ "ngày 25 hằng tháng", "trước 16:00 hằng ngày"."""
    if rec["every"] == "day":
        return (
            _("before {time} every day").format(time=rec["time"])
            if rec.get("time")
            else _("every day")
        )
    if rec["every"] == "quarter":
        return _("day {day} of every quarter").format(day=rec["day"])
    return _("day {day} of every month").format(day=rec["day"])


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _moment(value: str) -> pendulum.DateTime:
    return from_iso(value)


def parsed_summary(data: dict[str, Any], source: str) -> Group:
    """What the parser understood, for a clerk to check at a glance; warnings stand out."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in _parsed_fields(data, source):
        grid.add_row(key, value or "—")
    parts: list[RenderableType] = [grid, _parsed_deadlines(data["deadlines"])]
    if data["contacts"]:
        contacts = listing_table(_("Contacts ({n})").format(n=len(data["contacts"])))
        for col in (_("Name"), _("Level"), _("Phone"), _("Role")):
            contacts.add_column(col, overflow="fold")
        for c in data["contacts"]:
            contacts.add_row(c["name"], c["level"] or "—", c["phone"] or "—", c["role"] or "—")
        parts.append(contacts)
    if data["warnings"]:
        # written in English by the parser (as in --json), shown in the current language
        warnings = "\n".join(f"⚠ {message(w)}" for w in data["warnings"])
        parts.append(Text(warnings, style="bold yellow"))
    return Group(*parts)


def _joined(sep: str, *values: str | None) -> str:
    return sep.join(v for v in values if v)


def _parsed_fields(data: dict[str, Any], source: str) -> list[tuple[str, str]]:
    """The parsed document's fields as (label, value); an empty value is shown as "—"."""
    number = data["code"] or (f"…/{data['symbol']}" if data["symbol"] else "")
    return [
        (_("File"), source),
        (_("Issuer"), _joined(" / ", data["issuer_parent"], data["issuer"])),
        (_("Number"), number),
        (_("Place, date"), _joined(", ", data["place"], format_date(_date(data["date"])))),
        (_("Subject"), data["subject"]),
        (_("Urgency, secrecy"), _joined(", ", data["urgency"], data["secrecy"])),
        (_("To"), "\n".join(data["recipients"])),
        (_("Recipient levels"), ", ".join(data["recipient_levels"])),
        (_("References"), "\n".join(_reference(r) for r in data["references"])),
        (_("Items"), ", ".join(i["number"] for i in data["items"])),
        (_("Signed by"), _signed_by(data.get("signer") or {})),
        (_("Distribution"), "; ".join(data["distribution"])),
    ]


def _reference(r: dict[str, Any]) -> str:
    """ "Công văn 12/SGDĐT of 01/03/2024": a document the directive refers to."""
    if not r["date"]:
        return f"{r['kind']} {r['code']}"
    return f"{r['kind']} {r['code']}" + _(" of {date}").format(date=format_date(_date(r["date"])))


def _parsed_deadlines(deadlines: list[dict[str, Any]]) -> Table:
    table = listing_table(_("Deadlines ({n})").format(n=len(deadlines)))
    table.add_column(_("Item"), no_wrap=True)
    table.add_column(_("Due"), overflow="fold")
    table.add_column(_("Sentence in the document"), overflow="fold")
    for d in deadlines:
        table.add_row(d["item"] or "—", _when(d), d["text"])
    return table


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def weekday(day: dt.date, lang: str | None = None) -> str:
    """ "Thứ Hai" … "Chủ nhật" (Monday … Sunday in English)."""
    with using(lang):
        return _(WEEKDAYS[day.weekday()])


def calendar_table(year: int, rows: Sequence[tuple[dt.date, str]]) -> Listing:
    listing = Listing(
        _("Days off in {year} besides weekends, and weekend days worked ({n})").format(
            year=year, n=len(rows)
        ),
        [Column(_("Date")), Column(_("Weekday")), Column(_("Name"), flex=1)],
    )
    for day, name in rows:
        worked = day.weekday() >= 5 and name.startswith("Làm việc bù")
        style = "cyan" if worked else ""
        listing.add_row(
            Text(f"{day:%d/%m/%Y}", style=style),
            Text(weekday(day), style=style),
            Text(name, style=style),
        )
    return listing


def escalation_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "task_id": row["task_id"],
        "directive_id": row["directive_id"],
        "directive": directive_label(row),
        "unit": row["unit"],
        "unit_name": row["unit_name"],
        "rung": row["rung"],
        "kind": row["kind"],
        "round": row["round"],
        "target": row["target"],
        "person": row["person_id"],
        "reached": row["target_name"],
        "note": row["note"],
        "due": row["due_at"].isoformat(),
        "created_at": row["created_at"].isoformat(),
        "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
        "state": row["state"],
    }


def escalations_table(rows: Sequence[dict[str, Any]]) -> Listing:
    total = rows[0].get("total") or len(rows) if rows else 0
    listing = Listing(
        _("Escalations ({n})").format(n=counted(len(rows), total)),
        [
            Column(_("Date"), keep=4),
            Column(_("Task"), justify="right"),
            Column(_("Directive"), flex=1, keep=3),
            Column(_("Unit"), flex=3, abbreviate=short_unit_name),
            Column(_("Rung")),
            Column(_("Reached"), flex=2),
            Column(_("Resolved"), keep=2),
        ],
        caption=more("escalations", len(rows), total),
    )
    for r in rows:
        reached = Text(r["target_name"])
        if r["note"]:
            reached.append(f" ({r['note']})", style="dim")
        listing.add_row(
            format_date(r["created_at"]),
            str(r["task_id"]),
            directive_label(r),
            r["unit_name"],
            _("{kind} round {round}").format(
                kind=r.get("kind_en", r["kind"]) if language() == "en" else r["kind"],
                round=r["round"],
            ),
            reached,
            format_date(r["resolved_at"]) if r["resolved_at"] else Text(_("not yet"), style="red"),
        )
    return listing


def chain_tree(root: dict[str, Any]) -> Tree:
    """The chain as a tree: each level's directive, due, progress; late branches in red."""

    def label(node: dict[str, Any]) -> Text:
        text = Text()
        if node["via"]:
            via = node["via"]
            text.append(
                _("{unit} (task {task}: {state}) → ").format(
                    unit=via["unit_name"], task=via["task_id"], state=via["state_label"]
                ),
                style="red" if via["state"] == "overdue" else "dim",
            )
        text.append(node["label"], style="bold" + (" underline" if node["selected"] else ""))
        text.append(f"  {node['office_name'] or node['office']}")
        due = format_date(node["due"]) if node["due"] else "—"
        text.append(
            _("  · due {due}  · {reported}/{total} reported").format(
                due=due, reported=node["reported"], total=node["total"]
            )
        )
        if node["late"]:
            text.append(_("  · {n} overdue").format(n=node["late"]), style="bold red")
        return text

    def grow(tree: Tree, node: dict[str, Any]) -> None:
        for child in node["children"]:
            branch = tree.add(label(child), guide_style="red" if child["late"] else "dim")
            grow(branch, child)

    tree = Tree(label(root), guide_style="red" if root["late"] else "dim")
    grow(tree, root)
    return tree
