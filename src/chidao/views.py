"""Renderers for listings: pure functions that return rich renderables (nothing prints).

Vietnamese labels by default; dates dd/mm/yyyy in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pendulum
from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from chidao.clock import format_date, format_moment
from chidao.model import Event, TaskView
from chidao.rendering import Table
from chidao.workflow import Template


def state_style(state: str, template: Template | None = None) -> str:
    if template is not None:
        if state == template.overdue_state:
            return "bold red"
        if state in template.reported_states:
            return "green"
    return {"overdue": "bold red", "reported": "green"}.get(state, "")


def tasks_table(views: Sequence[TaskView]) -> Table:
    table = Table(title=f"Nhiệm vụ ({len(views)})", title_justify="left", expand=False)
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Văn bản", overflow="fold")
    table.add_column("Đơn vị", overflow="fold")
    table.add_column("Cấp", no_wrap=True)
    table.add_column("Trạng thái", overflow="fold")
    table.add_column("Hạn", no_wrap=True)
    table.add_column("Báo cáo lúc", no_wrap=True)
    for v in views:
        table.add_row(
            str(v.id),
            f"{v.directive} [{v.deliverable}]",
            v.unit_name,
            ",".join(v.levels),
            Text(v.state_label, style=state_style(v.state)),
            format_moment(v.due),
            format_moment(v.reported_at),
        )
    return table


def task_panel(
    view: TaskView,
    directive: dict[str, Any],
    allowed: Sequence[str],
    escalations: Sequence[dict[str, Any]] = (),
    children: tuple[int, int] | None = None,
    request: dict[str, Any] | None = None,
) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    rows = [
        ("Nhiệm vụ", f"#{view.id} (phiên bản {view.version})"),
        ("Văn bản", f"{view.directive} — {directive['subject']}"),
        ("Đơn vị", f"{view.unit_name} ({view.unit}; {', '.join(view.levels)})"),
        ("Phần việc", view.deliverable),
        ("Quy trình", view.workflow),
        ("Trạng thái", Text(view.state_label, style=state_style(view.state))),
        ("Kỳ báo cáo", format_date(pendulum.parse(view.period)) if view.period else None),
        ("Hạn", format_moment(view.due)),
        ("Nhận lúc", format_moment(view.received_at)),
        ("Báo cáo lúc", format_moment(view.reported_at)),
        ("Trễ hạn", f"{view.days_late} ngày làm việc" if view.days_late else None),
        ("Cấp dưới", f"{children[1]}/{children[0]} nhiệm vụ đã báo cáo" if children else None),
        ("Có thể làm", ", ".join(allowed) or "không còn thao tác nào"),
        (
            "Chờ duyệt gia hạn",
            Text(
                f"đến {format_moment(request['requested_to'])}, {request['requested_by']} "
                f"đề nghị lúc {format_moment(request['requested_at'])}"
                + (f": {request['note']}" if request["note"] else ""),
                style="yellow",
            )
            if request
            else None,
        ),
    ]
    rows += [
        (
            "Đôn đốc",
            Text(
                f"{e['kind']} lần {e['round']} → {e['target_name']} "
                f"({format_moment(e['created_at'])})"
                + (f", đã xử lý {format_moment(e['resolved_at'])}" if e["resolved_at"] else ""),
                style="dim" if e["resolved_at"] else "red",
            ),
        )
        for e in escalations
    ]
    rows = [(k, v) for k, v in rows if v is not None]
    for key, value in rows:
        grid.add_row(key, value)
    return grid


def history_table(task_id: int, events: Sequence[Event], created: TaskView) -> Table:
    table = Table(title=f"Lịch sử nhiệm vụ #{task_id}", title_justify="left")
    table.add_column("Lúc", no_wrap=True)
    table.add_column("Thao tác")
    table.add_column("Từ → đến", overflow="fold")
    table.add_column("Người thực hiện", overflow="fold")
    table.add_column("Ghi chú", overflow="fold")
    table.add_row(format_moment(created.received_at), "issue", "→ received", "—", "giao việc")
    for e in events:
        table.add_row(
            format_moment(e.at), e.trigger, f"{e.from_state} → {e.to_state}", e.who, e.note
        )
    return table


def directives_table(rows: Sequence[dict[str, Any]], templates: dict[int, Template]) -> Table:
    table = Table(title="Văn bản chỉ đạo", title_justify="left")
    table.add_column("ID", justify="right")
    table.add_column("Số, ký hiệu", no_wrap=True)
    table.add_column("Ngày", no_wrap=True)
    table.add_column("Trích yếu", overflow="fold", ratio=1)
    table.add_column("Tình hình", overflow="fold")
    for row in rows:
        template = templates[row["template_id"]]
        states = ", ".join(f"{template.label(s)} {n}" for s, n in sorted(row["states"].items()))
        if row.get("withdrawn_at"):
            states = f"Đã thu hồi {format_date(row['withdrawn_at'])} ({states})"
        table.add_row(
            str(row["id"]),
            row["code"] or "(chưa số)",
            format_date(row["date"]),
            row["subject"],
            states,
        )
    return table


def state_counts_table(title: str, counts: dict[str, int], template: Template) -> Table:
    table = Table(title=title, title_justify="left", show_header=True)
    table.add_column("Trạng thái")
    table.add_column("Số trường", justify="right")
    total = sum(counts.values())
    for state in template.states:
        n = counts.get(state.name, 0)
        table.add_row(Text(state.label, style=state_style(state.name, template)), str(n))
    table.add_row(Text("Tổng", style="bold"), Text(str(total), style="bold"))
    return table


def template_view(template: Template) -> Group:
    states = Table(title=f"{template.name}: {template.title}", title_justify="left")
    states.add_column("Trạng thái")
    states.add_column("Nhãn")
    states.add_column("Ghi chú")
    for s in template.states:
        marks = [
            m
            for m, on in (
                ("đầu", s.name == template.initial),
                ("kết thúc", s.final),
                ("đã báo cáo", s.reported),
                ("quá hạn", s.overdue),
            )
            if on
        ]
        states.add_row(s.name, s.label, ", ".join(marks))
    moves = Table()
    moves.add_column("Thao tác")
    moves.add_column("Từ")
    moves.add_column("Đến")
    moves.add_column("Ai")
    for t in template.transitions:
        moves.add_row(f"{t.trigger} ({t.label})", ", ".join(t.sources), t.dest, "/".join(t.by))
    ladder = Text(
        "Thang đôn đốc: "
        + "; ".join(f"+{r.after} ngày làm việc → {r.to} ({r.kind})" for r in template.escalation)
        + f"\nHạn mặc định: {template.default_deadline}; gia hạn ân hạn: {template.grace}"
    )
    return Group(states, moves, ladder)


def org_table(offices: Sequence[dict[str, Any]]) -> Group:
    parts = []
    for office in offices:
        people = Table(title=f"{office['name']} ({office['code']})", title_justify="left")
        for col in ("ID", "Họ tên", "Chức vụ", "Cấp phụ trách", "Báo cáo cho"):
            people.add_column(col, overflow="fold")
        for p in office["people"]:
            people.add_row(
                p["id"], p["name"], p["position"], p["levels"] or "—", p["reports_to"] or "—"
            )
        units = Table(title=f"Đơn vị ({len(office['units'])})", title_justify="left")
        for col in ("Mã", "Tên", "Cấp", "Hiệu trưởng"):
            units.add_column(col, overflow="fold")
        for u in office["units"]:
            units.add_row(u["code"], u["name"], u["levels"], u["principal"] or "—")
        parts += [people, units]
    return Group(*parts)


def directive_panel(detail: dict[str, Any]) -> Group:
    doc = detail["document"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    signer = doc.get("signer") or {}
    chain = " / ".join(f"{c['authority']}. {c['title']}" for c in signer.get("chain") or [])
    for key, value in (
        ("Văn bản", f"{detail['label']} (id {detail['id']}) của {detail['office']}"),
        ("Ngày", format_date(_date(doc.get("date")))),
        ("Trích yếu", doc.get("subject") or "—"),
        ("Độ khẩn", doc.get("urgency") or "—"),
        ("Gửi cấp", ", ".join(doc.get("recipient_levels") or []) or "—"),
        (
            "Người ký",
            " ".join(filter(None, [chain, signer.get("position"), signer.get("name")])) or "—",
        ),
        (
            "Quy trình",
            f"{detail['workflow']['name']} v{detail['workflow']['version']} "
            f"({detail['workflow']['hash']})",
        ),
    ):
        grid.add_row(key, value)
    deliverables = Table(title="Phần việc phải báo cáo", title_justify="left")
    deliverables.add_column("Mục")
    deliverables.add_column("Hạn", no_wrap=True)
    deliverables.add_column("Nội dung", overflow="fold")
    for d in detail["deliverables"]:
        due = (
            format_moment(_moment(d["due"]))
            if d["due"]
            else (
                f"{d['relative']['amount']} {d['relative']['unit']} từ {d['relative']['from']}"
                if d["relative"]
                else recurring_words(d["recurring"])
                if d["recurring"]
                else "—"
            )
        )
        deliverables.add_row(d["item"] or "—", due, d["text"])
    counts = Table(title="Tình hình thực hiện", title_justify="left")
    counts.add_column("Trạng thái")
    counts.add_column("Số nhiệm vụ", justify="right")
    for state, n in detail["states"].items():
        counts.add_row(Text(detail["labels"][state], style=state_style(state)), str(n))
    return Group(grid, deliverables, counts)


def recurring_words(rec: dict[str, Any]) -> str:
    """ "ngày 25 hằng tháng", "trước 16:00 hằng ngày"."""
    if rec["every"] == "day":
        return f"trước {rec['time']} hằng ngày" if rec.get("time") else "hằng ngày"
    return f"ngày {rec['day']} hằng {'quý' if rec['every'] == 'quarter' else 'tháng'}"


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _moment(value: str) -> pendulum.DateTime:
    return pendulum.parse(value)


def parsed_summary(data: dict[str, Any], source: str) -> Group:
    """What the parser understood, for a clerk to check at a glance; warnings stand out."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    signer = data.get("signer") or {}
    chain = " / ".join(f"{c['authority']}. {c['title']}" for c in signer.get("chain") or [])
    rows = (
        ("Tệp", source),
        ("Cơ quan", " / ".join(filter(None, [data["issuer_parent"], data["issuer"]])) or "—"),
        ("Số, ký hiệu", data["code"] or (f"…/{data['symbol']}" if data["symbol"] else "—")),
        ("Nơi, ngày", ", ".join(filter(None, [data["place"], format_date(_date(data["date"]))]))),
        ("Trích yếu", data["subject"] or "—"),
        ("Độ khẩn, mật", ", ".join(filter(None, [data["urgency"], data["secrecy"]])) or "—"),
        ("Kính gửi", "\n".join(data["recipients"]) or "—"),
        ("Cấp nhận", ", ".join(data["recipient_levels"]) or "—"),
        (
            "Căn cứ",
            "\n".join(
                f"{r['kind']} {r['code']}"
                + (f" ngày {format_date(_date(r['date']))}" if r["date"] else "")
                for r in data["references"]
            )
            or "—",
        ),
        ("Nhiệm vụ", ", ".join(i["number"] for i in data["items"]) or "—"),
        (
            "Người ký",
            " ".join(filter(None, [chain, signer.get("position"), signer.get("name")])) or "—",
        ),
        ("Nơi nhận", "; ".join(data["distribution"]) or "—"),
    )
    for key, value in rows:
        grid.add_row(key, value)
    deadlines = Table(title="Hạn", title_justify="left")
    deadlines.add_column("Mục", no_wrap=True)
    deadlines.add_column("Hạn", overflow="fold")
    deadlines.add_column("Câu trong văn bản", overflow="fold")
    for d in data["deadlines"]:
        if d["due"]:
            when = format_moment(_moment(d["due"]))
        elif d["relative"]:
            r = d["relative"]
            unit = "ngày làm việc" if r["unit"] == "working_days" else "ngày"
            when = f"{r['amount']} {unit} từ {r['from']}"
        else:
            when = recurring_words(d["recurring"])
        deadlines.add_row(d["item"] or "—", when, d["text"])
    contacts = Table(title="Đầu mối", title_justify="left")
    for col in ("Họ tên", "Cấp", "Điện thoại", "Vai trò"):
        contacts.add_column(col, overflow="fold")
    for c in data["contacts"]:
        contacts.add_row(c["name"], c["level"] or "—", c["phone"] or "—", c["role"] or "—")
    warnings = Text("\n".join(f"⚠ {w}" for w in data["warnings"]), style="bold yellow")
    parts = [grid, deadlines]
    if data["contacts"]:
        parts.append(contacts)
    if data["warnings"]:
        parts.append(warnings)
    return Group(*parts)


WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday(day: dt.date, lang: str = "vi") -> str:
    return (WEEKDAYS_EN if lang == "en" else WEEKDAYS)[day.weekday()]


def calendar_table(year: int, rows: Sequence[tuple[dt.date, str]]) -> Table:
    table = Table(
        title=f"Ngày nghỉ năm {year} (ngoài thứ Bảy, Chủ nhật) và ngày làm bù", title_justify="left"
    )
    table.add_column("Ngày")
    table.add_column("Thứ")
    table.add_column("Tên")
    for day, name in rows:
        worked = day.weekday() >= 5 and name.startswith("Làm việc bù")
        table.add_row(f"{day:%d/%m/%Y}", weekday(day), name, style="cyan" if worked else None)
    return table


def escalation_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "task": row["task_id"],
        "directive": row["code"] or f"#{row['directive_id']}",
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


def escalations_table(rows: Sequence[dict[str, Any]]) -> Table | Text:
    if not rows:
        return Text("Không có đôn đốc nào.")
    table = Table(title="Đôn đốc (escalations)", title_justify="left")
    table.add_column("Ngày", no_wrap=True)
    table.add_column("NV", justify="right", no_wrap=True)
    table.add_column("Văn bản", overflow="fold")
    table.add_column("Đơn vị", overflow="fold", ratio=2)
    table.add_column("Mức", no_wrap=True)
    table.add_column("Tới", overflow="fold", ratio=2)
    table.add_column("Xử lý", no_wrap=True)
    for r in rows:
        reached = Text(r["target_name"])
        if r["note"]:
            reached.append(f" ({r['note']})", style="dim")
        table.add_row(
            format_date(r["created_at"]),
            str(r["task_id"]),
            r["code"] or f"#{r['directive_id']}",
            r["unit_name"],
            f"{r['kind']} lần {r['round']}",
            reached,
            format_date(r["resolved_at"]) if r["resolved_at"] else Text("chưa", style="red"),
        )
    return table


def chain_tree(root: dict[str, Any], lang: str = "vi") -> Tree:
    """The chain as a tree: each level's directive, due, progress; late branches in red."""

    def label(node: dict[str, Any]) -> Text:
        text = Text()
        if node["via"]:
            via = node["via"]
            text.append(
                f"{via['unit_name']} (nhiệm vụ {via['task']}: {via['state_label']}) → ",
                style="red" if via["state"] == "overdue" else "dim",
            )
        text.append(node["label"], style="bold" + (" underline" if node["selected"] else ""))
        text.append(f"  {node['office_name'] or node['office']}")
        due = format_date(pendulum.parse(node["due"])) if node["due"] else "—"
        text.append(f"  · hạn {due}  · {node['reported']}/{node['total']} đã báo cáo")
        if node["late"]:
            text.append(f"  · {node['late']} quá hạn", style="bold red")
        return text

    def grow(tree: Tree, node: dict[str, Any]) -> None:
        for child in node["children"]:
            branch = tree.add(label(child), guide_style="red" if child["late"] else "dim")
            grow(branch, child)

    tree = Tree(label(root), guide_style="red" if root["late"] else "dim")
    grow(tree, root)
    return tree
