"""The dashboard laid out with rich for any width from 80 columns up, in Vietnamese or
English; ``render`` for an office, ``render_unit`` for a principal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.text import Text

from chidao.clock import format_date, format_moment
from chidao.dashboard.labels import words
from chidao.i18n import _, message, using
from chidao.rendering import Column, Listing, Table, listing_table
from chidao.views import counted, more, short_unit_name, weekday

SCREEN_ROWS = 15  # rows per list on screen unless --limit says otherwise


def _due_text(moment: dt.datetime | None) -> str:
    return format_moment(moment) if moment else "—"


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
    # compact (a short --watch screen, see chidao.watch): the header's counts stand for them
    side = [] if data.get("compact") else [_levels(data, lang), _quality(data, lang)]
    if width >= 100 and side:
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
    day = data["now"]
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
    shown = data["directives"][: data["limit"] or SCREEN_ROWS]
    bar = 12 if width >= 120 else 8
    state_columns = _state_columns(data, lang, width, shown, bar) if width >= 120 else []
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
        cells = _directive_cells(d, w, width, bar, _kind_words(data, d["rung_kind"], lang))
        cells[4:4] = [str(d["states"].get(s, 0)) for s in state_columns]
        table.add_row(*cells)
    table.caption = more("directives", len(shown), data["directives_total"])
    table.caption_justify = "left"
    return table


def _state_columns(
    data: dict[str, Any], lang: str, width: int, shown: list[dict[str, Any]], bar: int
) -> list[str]:
    """The open states that get a column of their own (120 columns and up), only while
    the subject keeps at least 30 columns."""
    w = words(lang)
    digits = max([1] + [len(str(d["total"])) for d in shown])
    rung = max(
        [len(w["rung"])]
        + [len(_kind_words(data, d["rung_kind"], lang)) + 8 for d in shown if d["rung"]]
    )
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
    states = sorted(
        {s for d in data["directives"] for s in d["states"]}, key=lambda s: _state_order(s, data)
    )
    columns = []
    for state in states:
        if state in _overdue_states(data) or state in data["reported_states"]:
            continue
        label = data["labels"][state][lang]
        if budget >= len(label) + 2:
            columns.append(state)
            budget -= len(label) + 2
    return columns


def _directive_cells(
    d: dict[str, Any], w: dict[str, str], width: int, bar: int, kind: str
) -> list[RenderableType]:
    """A directive's row: code, subject, due, progress, overdue and (100 columns up) rung;
    the per-state counts go after the progress."""
    below = d["children"]
    subject = (f"{w['below']} {below['reported']}/{below['tasks']} · " if below else "") + d[
        "subject"
    ]
    if width >= 120:
        due = _due_text(d["due"])
    else:
        due = format_date(d["due"]) if d["due"] else "—"
    cells: list[RenderableType] = [
        (d["code"] or _("(no number)")) + (" ⚡" if d["urgency"] else ""),  # subject beside
        Text(subject),
        due,
        _bar(d["reported"], d["total"], bar),
        Text(str(d["overdue"]), style="bold red") if d["overdue"] else Text("0", style="dim"),
    ]
    if width >= 100:
        rung = _("{kind} (rung {rung})").format(kind=kind, rung=d["rung"])
        cells.append(rung if d["rung"] else "—")
    return cells


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
        esc = r["escalation"]
        reached = (
            f"{_rung_words(esc, _kind_words(data, esc['kind'], lang), width)} → {r['reached']}"
            if esc
            else "—"
        )
        cells = [r["unit_name"], r["directive"], Text(str(r["days_late"]), style="red"), reached]
        if width >= 120:
            cells.append(r["contact"] or "—")
        listing.add_row(*cells)
    return listing


def _rung_words(escalation: dict[str, Any], kind: str, width: int) -> str:
    """ "phê bình lần 2"; below 100 columns the first round goes unsaid."""
    if width < 100 and escalation["round"] == 1:
        return kind
    return _("{kind} round {round}").format(kind=kind, round=escalation["round"])


def _kind_words(data: dict[str, Any], kind: str | None, lang: str) -> str:
    """An escalation kind in ``lang``, from the board's ``kinds`` (as it was written else)."""
    return (data.get("kinds", {}).get(kind) or {}).get(lang) or str(kind)


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


def render_unit(data: dict[str, Any], lang: str | None = None, width: int = 100) -> RenderableType:
    """A principal's view: the school's open tasks, their dues and what to do next."""
    with using(lang) as chosen:
        return _render_unit(data, chosen, width)


def _render_unit(data: dict[str, Any], lang: str, width: int) -> RenderableType:
    w = words(lang)
    day = data["now"]
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
        late = (t["working_days_left"] or 0) < 0
        table.add_row(
            str(t["id"]),
            _unit_task_what(t, w, width, data, lang),
            _unit_task_when(t, w),
            Text(_state_words(data, t["state"], lang), style="red" if late else ""),
            ", ".join(
                f"{n['label_en'] if lang == 'en' else n['label']} ({n['trigger']})"
                for n in t["next"]
            )
            or "—",
        )
    return Group(head, table)


def _unit_task_when(t: dict[str, Any], w: dict[str, str]) -> Text:
    """A school's task: its due (or what it waits for), and the working days left or late."""
    left = t["working_days_left"]
    if t["due"]:
        due = _due_text(t["due"])
    elif t["waiting_for"]:
        due = w["wait_event"].format(e=t["waiting_for"])
    else:
        due = w["no_due"]
    if left is None:
        return Text(due, style="dim")
    if left < 0:
        return Text(f"{due}\n{w['days'].format(n=-left)}", style="red")
    when = Text(due)
    when.append("\n" + (w["left"].format(n=left) if left else w["today"]), style="dim")
    return when


def _unit_task_what(
    t: dict[str, Any], w: dict[str, str], width: int, data: dict[str, Any], lang: str
) -> Text:
    """A school's task: its directive's code (else the subject alone), period, escalation."""
    what = Text(f"{t['code']}  " if t["code"] else "", style="bold")
    what.append(_shorten(t["subject"], 2 * max(20, width - 50)))
    if t["period"]:
        what.append(f" — {w['period'].format(p=t['period'])}", style="dim")
    if t["escalation"]:
        esc = t["escalation"]
        kind = _kind_words(data, esc["kind"], lang)
        what.append(f"\n{w['rung']}: {kind} → {esc['reached']}", style="red")
    return what
