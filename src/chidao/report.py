"""``chidao report``: what an office sends upward about one directive.

One row per task (a recipient unit, per deliverable and period), a summary by school level
and by completion category, in xlsx (openpyxl), csv (UTF-8 with BOM, for Excel), json,
Markdown, or a draft "Báo cáo kết quả thực hiện …" in the Nghị định 30 layout (python-docx).
Files are written to a temporary name and renamed, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum

from chidao.calendar import WorkCalendar, calendar_from_config
from chidao.clock import aware, format_date, format_moment, from_iso, json_value
from chidao.errors import InputError, UnreadableRecord
from chidao.model import LEVEL_NAMES, LEVELS, DirectiveRow
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import org as ostore
from chidao.store import reports as rstore
from chidao.store.chains import task_link
from chidao.workflow import Template

FORMATS = ("xlsx", "csv", "json", "md", "docx")
CATEGORIES = {
    "on_time": "Hoàn thành đúng hạn",
    "late": "Hoàn thành trễ hạn",
    "open_in_time": "Chưa hoàn thành, còn hạn",
    "open_overdue": "Chưa hoàn thành, quá hạn",
}
COLUMNS = (
    ("n", "STT"),
    ("unit", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("levels", "Cấp học"),
    ("state_label", "Trạng thái"),
    ("received", "Ngày nhận"),
    ("reported", "Ngày báo cáo"),
    ("due", "Hạn báo cáo"),
    ("days_late", "Số ngày làm việc trễ"),
    ("escalation", "Mức đôn đốc đã đến"),
    ("category_label", "Phân loại"),
    ("note", "Ghi chú"),
)
DATE_KEYS = ("received", "reported", "due")


def build(store: Store, ref: str, now: pendulum.DateTime) -> dict[str, Any]:
    """Everything a report shows, as plain data (what ``--format json`` writes)."""
    with store.read() as conn:
        directive_id = dstore.resolve_directive(conn, ref)
        row = dstore.get_directive(conn, directive_id)
        template = dstore.workflow_of(conn, row.template_id).template
        office = ostore.office_row(conn, row.office)
        calendar = calendar_from_config(office["calendar"], row.office)
        tasks = rstore.task_rows(conn, directive_id)
        upstream = _upstream(conn, directive_id, row.parent_task_id)
    several = len({(t["seq"], t["period"]) for t in tasks}) > 1
    rows = [_row(n, t, template, calendar, now, several) for n, t in enumerate(tasks, start=1)]
    summary = {"total": len(rows), **dict.fromkeys(CATEGORIES, 0)}
    for r in rows:
        summary[r["category"]] += 1
    return {
        "directive": _directive(row, office),
        "upstream": upstream,
        "generated_at": now,
        "rows": rows,
        "by_level": _by_level(rows),
        "summary": summary,
        "categories": CATEGORIES,
    }


def _upstream(conn, directive_id: int, parent_task_id: int | None) -> dict[str, Any] | None:
    """The directive above, whose task this one answers (a chain), or None."""
    if not parent_task_id:
        return None
    link = task_link(conn, parent_task_id)
    if link is None:
        raise UnreadableRecord(
            f"directive {directive_id}: its upstream task {parent_task_id} is gone"
        )
    parent = dstore.get_directive(conn, link["directive_id"])
    return {
        "label": parent.label,
        "code": parent.code,
        "date": parent.date,
        "subject": parent.subject,
        "office_name": ostore.office_row(conn, parent.office)["name"],
        "task_id": parent_task_id,
    }


def _directive(row: DirectiveRow, office: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "label": row.label,
        "code": row.code,
        "number": row.number,
        "symbol": row.symbol,
        "date": row.date,
        "subject": row.subject,
        "office": row.office,
        "office_name": office["name"],
        "abbreviation": office["abbreviation"],
        "parent_body": office["parent_body"],
        "signer": row.signer if isinstance(row.signer, dict) else None,
        "place": (row.document or {}).get("place"),
    }


def _category(
    t: dict[str, Any], template: Template, calendar: WorkCalendar, now: pendulum.DateTime
) -> tuple[str, int]:
    """Where a task counts in the report (on time, late, open in time, open overdue), and
    the working days it is or was late."""
    due = t["due_at"]
    if template.category(t["state"]) == "reported":
        if due and t["reported_at"] and t["reported_at"] > due:
            return "late", t["days_late"]
        return "on_time", 0
    if due and due < now:
        return "open_overdue", calendar.late_by(t["due_seq"], now.date())
    return "open_in_time", 0


def _note(t: dict[str, Any], several: bool) -> str:
    """The remarks column: which item and period (when the directive has several), who
    recorded the report on the school's behalf, and the task's own note."""
    part = []
    if several and t["item"]:
        part.append(f"mục {t['item']}")
    if several and t["period"]:
        part.append(f"kỳ {format_date(from_iso(t['period']))}")
    remarks = [" ".join(part)] if part else []
    if t["recorded_by"]:
        remarks.append(f"ghi nhận thay: {t['recorded_by']}")
    if t["note"]:
        remarks.append(t["note"])
    return "; ".join(remarks)


def _row(
    n: int,
    t: dict[str, Any],
    template: Template,
    calendar: WorkCalendar,
    now: pendulum.DateTime,
    several: bool,
) -> dict[str, Any]:
    """One school's line in the report."""
    category, days_late = _category(t, template, calendar, now)
    return {
        "n": n,
        "id": t["id"],
        "unit": t["unit_code"],
        "unit_name": t["unit_name"],
        "levels": [lv for lv in t["levels"].split(",") if lv],
        "state": t["state"],
        "state_label": template.label(t["state"]),
        "received": _moment(t["received_at"]),
        "reported": _moment(t["reported_at"]),
        "due": _moment(t["due_at"]),
        "days_late": days_late,
        "category": category,
        "category_label": CATEGORIES[category],
        "escalation": f"{t['kind']} lần {t['round']} → {t['reached']}" if t["kind"] else "",
        "note": _note(t, several),
    }


def _by_level(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The categories counted per school level (a TH&THCS school under both)."""
    by_level: dict[str, dict[str, int]] = {}
    for r in rows:
        for level in r["levels"]:
            entry = by_level.setdefault(level, {"total": 0, **dict.fromkeys(CATEGORIES, 0)})
            entry["total"] += 1
            entry[r["category"]] += 1
    return [
        {"level": lv, "name": LEVEL_NAMES.get(lv, lv), **by_level[lv]}
        for lv in LEVELS
        if lv in by_level
    ]


def _moment(value: dt.datetime | None) -> pendulum.DateTime | None:
    """A stored moment, timezone-aware; only the writers format it."""
    return aware(value) if value else None


def _shown(key: str, value: Any) -> Any:
    if key in DATE_KEYS:
        return format_moment(value) if value else ""
    if isinstance(value, list):  # levels
        return ", ".join(value)
    return "" if value is None else value


# ----------------------------------------------------------------------------- writers


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=json_value).encode("utf-8")


def to_csv(data: dict[str, Any], delimiter: str = ",") -> bytes:
    """UTF-8 with a BOM, for Excel; ``delimiter`` ";" for Excel set to Vietnamese (whose
    list separator is ";", the comma being the decimal mark)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([title for _key, title in COLUMNS])
    for r in data["rows"]:
        writer.writerow([_shown(key, r[key]) for key, _title in COLUMNS])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_md(data: dict[str, Any]) -> bytes:
    d = data["directive"]
    lines = [
        f"# Kết quả thực hiện {_document_name(data)}",
        "",
        f"{d['office_name']} — lập lúc {format_moment(data['generated_at'])}",
        "",
        "## Tổng hợp",
        "",
        "| Phân loại | Số nhiệm vụ |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {data['summary'][key]} |" for key, label in CATEGORIES.items()]
    lines += [
        f"| **Tổng** | **{data['summary']['total']}** |",
        "",
        "## Theo cấp học",
        "",
        "| Cấp | Tổng | " + " | ".join(CATEGORIES.values()) + " |",
        "|---|---:|" + "---:|" * len(CATEGORIES),
    ]
    lines += [
        f"| {lv['level']} | {lv['total']} | " + " | ".join(str(lv[k]) for k in CATEGORIES) + " |"
        for lv in data["by_level"]
    ]
    note = several_levels_note(data)
    lines += ["", f"*{note}*"] if note else []
    lines += [
        "",
        "## Chi tiết",
        "",
        "| " + " | ".join(t for _k, t in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += [
        "| " + " | ".join(_md_cell(_shown(k, r[k])) for k, _t in COLUMNS) + " |"
        for r in data["rows"]
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _header_style():
    from openpyxl.styles import Alignment, Font, PatternFill

    return (
        Font(bold=True),
        PatternFill("solid", fgColor="DDEBF7"),
        Alignment(wrap_text=True, vertical="center"),
    )


def _printable(sheet, title_rows: str) -> None:
    """Print on A4 landscape, every column on the page's width, the title rows on every
    page: what an office prints and signs."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True


def _detail_sheet(sheet, data: dict[str, Any]) -> None:
    """One row per task: a bold header, real dates, widths, frozen panes, a filter."""
    from openpyxl.utils import get_column_letter

    sheet.title = "Chi tiết"
    header_font, fill, align = _header_style()
    sheet.append([title for _key, title in COLUMNS])
    for cell in sheet[1]:
        cell.font, cell.fill = header_font, fill
        cell.alignment = align
    for r in data["rows"]:
        values = []
        for key, _title in COLUMNS:
            value = r[key]
            if key in DATE_KEYS:  # real dates, shown in Vietnamese time
                value = aware(value).naive() if value else None
            elif isinstance(value, list):
                value = ", ".join(value)
            values.append(value)
        sheet.append(values)
    for column, (key, title) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(column)
        if key in DATE_KEYS:
            for cell in sheet[letter][1:]:
                cell.number_format = "dd/mm/yyyy hh:mm"
        longest = max([len(title)] + [len(str(_shown(key, r[key]))) for r in data["rows"]])
        sheet.column_dimensions[letter].width = min(60, max(8, longest + 2))
    sheet.freeze_panes = "D2"  # header row and the unit's name stay in view
    sheet.auto_filter.ref = sheet.dimensions
    _printable(sheet, "1:1")


def _summary_sheet(summary, data: dict[str, Any]) -> None:
    """By level and in total, per completion category."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    header_font, fill, align = _header_style()
    summary.append([f"Kết quả thực hiện {_document_name(data)}"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([])
    summary.append(["Cấp học", "Tổng số", *CATEGORIES.values()])
    for lv in data["by_level"]:
        summary.append([lv["name"], lv["total"], *(lv[k] for k in CATEGORIES)])
    summary.append(
        ["Tổng cộng", data["summary"]["total"], *(data["summary"][k] for k in CATEGORIES)]
    )
    for cell in summary[3]:
        cell.font, cell.fill = header_font, fill
        cell.alignment = align
    for cell in summary[summary.max_row]:
        cell.font = header_font
    note = several_levels_note(data)
    if note:
        summary.append([])
        summary.append([note])
        summary.cell(summary.max_row, 1).font = Font(italic=True)
    for column in range(1, 7):
        summary.column_dimensions[get_column_letter(column)].width = 16 if column > 1 else 14
    summary.freeze_panes = "B4"
    _printable(summary, "1:3")


def to_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    _detail_sheet(book.active, data)
    _summary_sheet(book.create_sheet("Tổng hợp"), data)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _document_name(data: dict[str, Any]) -> str:
    """ "Công văn số 746/SGDDĐT-GDCN ngày 21/03/2024 của Sở …" (the upstream one, if any)."""
    up = data["upstream"]
    if up:
        date = f" ngày {format_date(up['date'])}" if up["date"] else ""
        name = f"Công văn số {up['code']}" if up["code"] else f"văn bản {up['label']}"
        return f"{name}{date} của {up['office_name']}"
    d = data["directive"]
    date = f" ngày {format_date(d['date'])}" if d["date"] else ""
    name = f"Công văn số {d['code']}" if d["code"] else "văn bản"  # the subject follows
    return f"{name}{date} về việc {d['subject']}"


def to_docx(data: dict[str, Any]) -> bytes:
    """A draft in the Nghị định 30/2020 layout, ready for the office to edit and sign."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    _docx_heading(doc, data)
    _docx_body(doc, data)
    _docx_signature(doc, data)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _para(cell_or_doc, text="", bold=False, italic=False, center=False, size=None):
    """A paragraph of the report: in a table cell's first empty paragraph, else a new one."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    first = getattr(cell_or_doc, "paragraphs", None)
    fresh = first and len(first) == 1 and not first[0].text and not first[0].runs
    p = (
        first[0]
        if fresh and hasattr(cell_or_doc, "vertical_alignment")
        else (cell_or_doc.add_paragraph())
    )
    run = p.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _docx_heading(doc, data: dict[str, Any]) -> None:
    """The office and number on the left, the national motto, place and date on the right."""
    d = data["directive"]
    head = doc.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    _para(left, (d["parent_body"] or "").upper(), center=True, size=12)
    _para(left, d["office_name"].upper(), bold=True, center=True, size=12)
    _para(left, f"Số: …/BC-{d['abbreviation'] or '…'}", center=True)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, center=True, size=12)
    _para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, center=True)
    year = data["generated_at"].year
    _para(right, f"{d['place'] or '…'}, ngày … tháng … năm {year}", italic=True, center=True)


def _docx_body(doc, data: dict[str, Any]) -> None:
    """The title and the four parts: what was done, per level, who was late, proposals."""
    d, s = data["directive"], data["summary"]
    _para(doc, "BÁO CÁO", bold=True, center=True, size=14)
    _para(doc, f"Kết quả thực hiện {_document_name(data)}", bold=True, center=True)
    done = s["on_time"] + s["late"]
    _para(
        doc,
        f"Thực hiện {_document_name(data)}, {d['office_name']} báo cáo kết quả thực hiện như sau:",
    )
    _para(doc, "1. Tình hình triển khai", bold=True)
    _para(
        doc,
        f"{d['office_name']} đã ban hành văn bản {d['code'] + ' ' if d['code'] else ''}"
        f"về việc {d['subject']} "
        f"gửi {s['total']} đơn vị/nhiệm vụ. Đến ngày "
        f"{format_date(data['generated_at'])}: {done} đã báo cáo "
        f"({s['on_time']} đúng hạn, {s['late']} trễ hạn); {s['open_in_time'] + s['open_overdue']} "
        f"chưa báo cáo (trong đó {s['open_overdue']} quá hạn).",
    )
    _para(doc, "2. Tổng hợp theo cấp học", bold=True)
    _docx_levels(doc, data)
    note = several_levels_note(data)
    if note:
        _para(doc, note, italic=True, size=11)
    _para(doc, "3. Các đơn vị chậm báo cáo", bold=True)
    late = [r for r in data["rows"] if r["category"] in ("late", "open_overdue")]
    if late:
        for r in late:
            state = "đã báo cáo" if r["category"] == "late" else "chưa báo cáo"
            _para(doc, f"- {r['unit_name']}: {state}, trễ {r['days_late']} ngày làm việc.")
    else:
        _para(doc, "Không có đơn vị nào chậm báo cáo.")
    _para(doc, "4. Đề xuất, kiến nghị", bold=True)
    _para(doc, "…")


def _docx_signature(doc, data: dict[str, Any]) -> None:
    """Recipients on the left, the signer's block on the right, kept on one page."""
    d = data["directive"]
    sign = doc.add_table(rows=1, cols=2)
    where, who = sign.rows[0].cells
    _para(where, "Nơi nhận:", bold=True, size=11)
    _para(
        where,
        f"- {data['upstream']['office_name']};"
        if data["upstream"]
        else f"- {d['parent_body'] or 'Cơ quan cấp trên'} (b/c);",
        size=11,
    )
    _para(where, "- Lưu: VT.", size=11)
    signer = d["signer"] or {}
    chain = signer.get("chain") or []
    for link in chain:
        _para(
            who,
            f"{link.get('authority', '')}. {link.get('title', '')}".strip(". "),
            bold=True,
            center=True,
        )
    _para(who, signer.get("position") or "THỦ TRƯỞNG CƠ QUAN", bold=True, center=True)
    _para(who, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, center=True, size=11)
    _para(who, "")
    _para(who, signer.get("name") or "", bold=True, center=True)
    _keep_together(sign)


def _docx_levels(doc, data: dict[str, Any]) -> None:
    """The summary by level and in total, one row each."""
    from docx.enum.table import WD_TABLE_ALIGNMENT

    table = doc.add_table(rows=1, cols=2 + len(CATEGORIES))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title in zip(
        table.rows[0].cells, ["Cấp học", "Tổng số", *CATEGORIES.values()], strict=True
    ):
        cell.text = ""
        cell.paragraphs[0].add_run(title).bold = True
    for lv in [*data["by_level"], {"name": "Tổng cộng", **data["summary"]}]:
        cells = table.add_row().cells
        for cell, value in zip(
            cells, [lv["name"], lv["total"], *(lv[k] for k in CATEGORIES)], strict=True
        ):
            cell.text = str(value)


def _keep_together(table) -> None:
    """The signature block on one page: its row may not split across pages, and each of its
    paragraphs keeps with the next."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for row in table.rows:
        properties = row._tr.get_or_add_trPr()
        if properties.find(qn("w:cantSplit")) is None:
            properties.append(OxmlElement("w:cantSplit"))
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_together = True
                paragraph.paragraph_format.keep_with_next = True


def several_levels_note(data: dict[str, Any]) -> str | None:
    """Why the rows by level add up to more than the total: schools of several levels
    (TH&THCS) count under each of theirs."""
    several = sum(1 for r in data["rows"] if len(r["levels"]) > 1)
    if not several:
        return None
    by_level = sum(lv["total"] for lv in data["by_level"])
    return (
        f"Ghi chú: {several} đơn vị có nhiều cấp học (như TH&THCS) được tính ở mỗi cấp, nên "
        f"cộng theo cấp học là {by_level}, nhiều hơn tổng cộng {data['summary']['total']}."
    )


WRITERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "json": to_json,
    "csv": to_csv,
    "md": to_md,
    "xlsx": to_xlsx,
    "docx": to_docx,
}


def check_target(path: Path) -> None:
    """Only a regular file is written (or made): renaming over a device such as /dev/full,
    a pipe or a link would replace it, not write to it."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"-o: cannot write {path}: {exc.strerror}") from exc
    if stat.S_ISLNK(found.st_mode):
        raise InputError(f"-o: {path} is a symbolic link; give the file it points to")
    if not stat.S_ISREG(found.st_mode):
        raise InputError(f"-o: {path} is not a regular file (a device, folder or pipe)")


def render(data: dict[str, Any], fmt: str, delimiter: str = ",") -> bytes:
    """The report in ``fmt``; ``delimiter`` is for CSV."""
    return to_csv(data, delimiter) if fmt == "csv" else WRITERS[fmt](data)


def write(data: dict[str, Any], fmt: str, path: Path, delimiter: str = ",") -> None:
    """Write atomically: a temporary file beside ``path``, renamed when complete, with the
    mode an ordinary file gets (or the one it replaces)."""
    check_target(path)
    payload = render(data, fmt, delimiter)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise InputError(f"-o: cannot write in {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise InputError(f"-o: cannot write {path}: {exc.strerror}") from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """What an ordinary file made here would get (0644 under the usual umask 022), or the
    mode of the file being replaced: a report goes on a shared folder for colleagues."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def default_name(data: dict[str, Any], fmt: str) -> str:
    d = data["directive"]
    label = d["code"].replace("/", "-") if d["code"] else f"van-ban-{d['id']}"
    return f"bao-cao-{label}.{fmt}"
