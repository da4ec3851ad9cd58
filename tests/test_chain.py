"""Directive chains (Sở → Phòng → schools), reports re-opened cell by cell, units import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pendulum
import pytest
from conftest import EXAMPLES
from docx import Document
from openpyxl import Workbook, load_workbook

from chidao import chains, engine, sweeper
from chidao.clock import TZ

SEED_000 = Path(__file__).parent / "fixtures" / "directives" / "000_f93ccea3d87b8473.txt"
SO_746 = EXAMPLES / "directives" / "so-746-2024.yaml"


@pytest.fixture
def chain(run):
    """The Sở issues 746; the Phòng issues seed 000 (the real dispatch text) in answer."""
    assert (
        run(
            "org", "load", str(EXAMPLES / "org-so-dien-bien.yaml"), "--as", "gd-so-dien-bien"
        ).exit_code
        == 0
    )
    assert (
        run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien").exit_code
        == 0
    )
    so = run(
        "directive",
        "issue",
        str(SO_746),
        "-w",
        "bao-cao-tong-hop",
        "--as",
        "pgd-so-dien-bien",
        "--now",
        "21/03/2024 10:00",
        "--json",
    )
    assert so.exit_code == 0, so.output
    phong = run(
        "directive",
        "issue",
        str(SEED_000),
        "-w",
        "bao-cao",
        "--office",
        "pgddt-dien-bien",
        "--as",
        "tung-nt",
        "--now",
        "25/03/2024 08:00",
        "--yes",
    )
    assert phong.exit_code == 0, phong.output
    return {"so": json.loads(so.output), "phong": phong.output}


def _schools(store, directive_id):
    return engine.task_views(store, directive=str(directive_id))


def test_the_answer_links_to_the_offices_own_task(chain, store):
    so_id = chain["so"]["directive_id"]
    own = next(t for t in _schools(store, so_id) if t.unit == "pgddt-dien-bien")
    assert (
        f"Linked as the answer of pgddt-dien-bien to its task {own.id} in "
        "746/SGDDĐT-GDCN (cited in its references)"
    ) in chain["phong"]
    tree = chains.chain(store, "746/SGDDĐT-GDCN", pendulum.datetime(2024, 3, 26, tz=TZ))
    (child,) = tree["children"]
    assert child["via"]["task_id"] == own.id and child["office"] == "pgddt-dien-bien"
    assert (tree["total"], child["total"]) == (15, 46)
    # from the bottom, the whole chain is drawn from the top too
    assert (
        chains.chain(store, str(child["id"]), pendulum.datetime(2024, 3, 26, tz=TZ))["id"] == so_id
    )


def test_roll_up_counts_and_the_parent_moves_when_all_are_in(chain, store, run):
    so_id = chain["so"]["directive_id"]
    own = next(t for t in _schools(store, so_id) if t.unit == "pgddt-dien-bien")
    tree = chains.chain(store, str(so_id), pendulum.datetime(2024, 3, 28, tz=TZ))
    schools = _schools(store, tree["children"][0]["id"])
    for n, task in enumerate(schools[:37]):
        engine.fire(
            store, "report", [task.id], task.unit, pendulum.datetime(2024, 3, 28, 9, n, tz=TZ)
        )
    assert chains.task_children(store, own.id) == (46, 37)
    shown = run("task", "show", str(own.id), "--now", "28/03/2024 10:00", "--lang", "vi")
    assert "37/46 nhiệm vụ đã báo cáo" in shown.output
    board = json.loads(
        run(
            "dashboard",
            "--now",
            "28/03/2024 10:00",
            "--no-sweep",
            "--json",
            "--directive",
            str(so_id),
        ).output
    )
    assert board["directives"][0]["children"] == {"tasks": 46, "reported": 37}
    assert engine.task_views(store, ids=[own.id])[0].state == "received"
    for n, task in enumerate(schools[37:]):
        engine.fire(
            store, "report", [task.id], task.unit, pendulum.datetime(2024, 3, 29, 9, n, tz=TZ)
        )
    # bao-cao-tong-hop: on_children_reported: ready
    assert engine.task_views(store, ids=[own.id])[0].state == "ready"
    last = engine.task_detail(store, own.id)[3][-1]
    assert (last.trigger, last.actor, last.note) == (
        "collect",
        "system",
        "tất cả 46 nhiệm vụ của cấp dưới đã báo cáo",
    )
    # the Phòng's deputy reports its own task up to the Sở
    up = run("task", "fire", "report", str(own.id), "--as", "tung-nt", "--now", "29/03/2024 15:00")
    assert up.exit_code == 0, up.output
    tree = chains.chain(store, str(so_id), pendulum.datetime(2024, 3, 29, 16, tz=TZ))
    assert (tree["reported"], tree["children"][0]["reported"]) == (1, 46)


def test_chain_show_draws_late_branches(chain, run):
    result = run("chain", "show", "746/SGDDĐT-GDCN", "--now", "08/04/2024 08:00", "--lang", "vi")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("746/SGDDĐT-GDCN  Sở Giáo dục và Đào tạo tỉnh Điện Biên")
    assert "15 quá hạn" in result.output and "46 quá hạn" in result.output
    assert any("└── Phòng GD&ĐT huyện Điện Biên (nhiệm vụ" in line for line in lines)


def test_explicit_parent(chain, run, store, tmp_path):
    so_id = chain["so"]["directive_id"]
    other = next(t for t in _schools(store, so_id) if t.unit == "pgddt-muong-nhe")
    own = next(t for t in _schools(store, so_id) if t.unit == "pgddt-dien-bien")
    doc = tmp_path / "d.yaml"
    doc.write_text(
        "subject: Bổ sung số liệu\nnumber: '99'\nsymbol: PGDĐT-GDCN\n"
        "date: 28/03/2024\nrecipient_levels: [MN]\n",
        encoding="utf-8",
    )
    wrong = run(
        "directive",
        "issue",
        str(doc),
        "-w",
        "bao-cao",
        "--office",
        "pgddt-dien-bien",
        "--parent",
        str(other.id),
        "--as",
        "tung-nt",
        "--now",
        "28/03/2024",
    )
    assert wrong.exit_code == 1
    assert wrong.output == (
        f"Error: --parent: task {other.id} is the task of pgddt-muong-nhe in 746/SGDDĐT-GDCN; "
        "pgddt-dien-bien can answer only its own task\n"
    )
    right = run(
        "directive",
        "issue",
        str(doc),
        "-w",
        "bao-cao",
        "--office",
        "pgddt-dien-bien",
        "--parent",
        str(own.id),
        "--as",
        "tung-nt",
        "--now",
        "28/03/2024",
    )
    assert "(as --parent said)" in right.output
    assert chains.task_children(store, own.id)[0] == 46 + 15


# ----------------------------------------------------------------------------- reports


@pytest.fixture
def reported(chain, store):
    """The Phòng's directive on 08/04/2024: MN reported (some late), TH and THCS not."""
    tree = chains.chain(store, "746/SGDDĐT-GDCN", pendulum.datetime(2024, 4, 8, tz=TZ))
    phong_id = tree["children"][0]["id"]
    mn = [t for t in _schools(store, phong_id) if t.levels == ("MN",)]
    for task in mn[:10]:
        engine.fire(
            store,
            "report",
            [task.id],
            task.unit,
            pendulum.datetime(2024, 3, 29, 10, tz=TZ),
            note="Đã tổ chức tuyên truyền",
        )
    for task in mn[10:]:
        engine.fire(store, "report", [task.id], task.unit, pendulum.datetime(2024, 4, 3, 10, tz=TZ))
    sweeper.sweep(store, pendulum.datetime(2024, 4, 8, 8, tz=TZ))
    return phong_id, mn


def test_report_xlsx_cell_by_cell(reported, run, tmp_path):
    phong_id, mn = reported
    path = tmp_path / "bc.xlsx"
    result = run(
        "report", str(phong_id), "--format", "xlsx", "-o", str(path), "--now", "08/04/2024 08:00"
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    sheet = book["Chi tiết"]
    assert [c.value for c in sheet[1]][:5] == [
        "STT",
        "Mã đơn vị",
        "Tên đơn vị",
        "Cấp học",
        "Trạng thái",
    ]
    assert sheet.freeze_panes == "D2"
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 46
    on_time = rows[mn[0].unit]
    assert on_time[4] == "Đã báo cáo"
    assert on_time[6] == dt.datetime(2024, 3, 29, 10, 0)  # a real date, Vietnamese time
    assert on_time[7] == dt.datetime(2024, 4, 1, 0, 0)
    assert (on_time[8], on_time[10], on_time[11]) == (
        0,
        "Hoàn thành đúng hạn",
        "Đã tổ chức tuyên truyền",
    )
    late = rows[mn[10].unit]
    assert (late[8], late[10]) == (3, "Hoàn thành trễ hạn")  # 1, 2, 3 April
    open_late = rows["th-thanh-an"]
    assert open_late[4] == "Quá hạn" and open_late[8] == 6  # 1–5 and 8 April
    assert open_late[9] == "kiểm điểm lần 1 → Lò Văn Thắng"
    assert sheet["G2"].number_format == "dd/mm/yyyy hh:mm"
    summary = book["Tổng hợp"]
    assert summary["A1"].value == (
        "Kết quả thực hiện Công văn số 746/SGDDĐT-GDCN ngày "
        "21/03/2024 của Sở Giáo dục và Đào tạo tỉnh Điện Biên"
    )
    (totals,) = [
        [c.value for c in row] for row in summary.iter_rows() if row[0].value == "Tổng cộng"
    ]
    assert totals == ["Tổng cộng", 46, 10, len(mn) - 10, 0, 46 - len(mn)]


def test_report_csv_json_md(reported, run, tmp_path):
    phong_id, mn = reported
    path = tmp_path / "bc.csv"
    run("report", str(phong_id), "--format", "csv", "-o", str(path), "--now", "08/04/2024 08:00")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][2] == "Tên đơn vị" and len(table) == 47
    data = json.loads(
        run("report", str(phong_id), "--format", "json", "--now", "08/04/2024 08:00").output
    )
    assert [r[2] for r in table[1:]] == [r["unit_name"] for r in data["rows"]]
    assert data["summary"] == {
        "total": 46,
        "on_time": 10,
        "late": len(mn) - 10,
        "open_in_time": 0,
        "open_overdue": 46 - len(mn),
    }
    levels = {lv["level"]: lv for lv in data["by_level"]}
    assert (
        levels["MN"]["on_time"] == 10 and levels["THCS"]["open_overdue"] == levels["THCS"]["total"]
    )
    md = run("report", str(phong_id), "--format", "md", "--now", "08/04/2024 08:00").output
    assert "| Hoàn thành đúng hạn | 10 |" in md and md.count("\n| ") >= 46


def test_report_docx_draft(reported, run, tmp_path):
    phong_id, _mn = reported
    path = tmp_path / "bc.docx"
    run("report", str(phong_id), "--format", "docx", "-o", str(path), "--now", "08/04/2024 08:00")
    doc = Document(str(path))
    left, right = doc.tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs] == [
        "UBND HUYỆN ĐIỆN BIÊN",
        "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO HUYỆN ĐIỆN BIÊN",
        "Số: …/BC-PGDĐT",
    ]
    assert right.paragraphs[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert right.paragraphs[2].text.endswith("ngày … tháng … năm 2024")
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "BÁO CÁO"
    assert texts[1] == (
        "Kết quả thực hiện Công văn số 746/SGDDĐT-GDCN ngày 21/03/2024 của "
        "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
    )
    assert any(
        t.startswith("- Trường Tiểu học Thanh An: chưa báo cáo, trễ 6 ngày làm việc") for t in texts
    )
    summary = doc.tables[1]
    assert [c.text for c in summary.rows[-1].cells][:2] == ["Tổng cộng", "46"]
    signature = [p.text for p in doc.tables[2].rows[0].cells[1].paragraphs]
    assert signature[:2] == ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"]
    assert signature[-1] == "Nguyễn Thanh Tùng"
    assert doc.tables[2].rows[0].cells[0].paragraphs[1].text == (
        "- Sở Giáo dục và Đào tạo tỉnh Điện Biên;"
    )


def test_report_bad_output(reported, run, tmp_path):
    phong_id, _mn = reported
    result = run("report", str(phong_id), "--format", "xlsx", "-o", str(tmp_path / "no" / "x.xlsx"))
    assert result.exit_code == 1 and "folder" in result.output and "does not exist" in result.output
    assert (
        run("report", "999", "--format", "json").output == "Error: directive '999' does not exist\n"
    )


# ----------------------------------------------------------------------------- units import


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


HEAD = ["STT", "Mã đơn vị", "Tên đơn vị", "Cấp học", "Hiệu trưởng", "Email", "Điện thoại"]


def test_import_xlsx_with_vietnamese_headers(dien_bien, run, tmp_path):
    path = _sheet(
        tmp_path / "truong.xlsx",
        [
            HEAD,
            [
                1,
                "mn-hoa-ban",
                "Trường Mầm non Hoa Ban",
                "Mầm non",
                "Tòng Thị Thu Lan",
                "hoaban@pgd.example",
                912345678,
            ],
            [2, "ththcs-moi", "Trường PTDTBT TH&THCS Mới", "TH&THCS", "Lò Văn Mới", "", ""],
            [3, "th-thanh-an", "Trường Tiểu học Thanh An", "Tiểu học", "Người Mới", "", ""],
        ],
    )
    dry = run("units", "import", str(path), "--as", "tung-nt", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "+ ththcs-moi: Trường PTDTBT TH&THCS Mới (TH, THCS)" in dry.output
    assert "~ mn-hoa-ban: email: — → hoaban@pgd.example; phone: — → 912345678" in dry.output
    assert "(columns not read: STT)" in dry.output
    assert "1 new, 2 changed, 0 unchanged (dry run: nothing written)" in dry.output
    with dien_bien.read() as conn:
        from chidao.store import org as ostore

        assert ostore.get_unit(conn, "ththcs-moi") is None
    assert run("units", "import", str(path), "--as", "tung-nt").exit_code == 0
    with dien_bien.read() as conn:
        added = ostore.get_unit(conn, "ththcs-moi")
        changed = ostore.get_unit(conn, "th-thanh-an")
    assert added.levels == ("TH", "THCS") and added.office == "pgddt-dien-bien"
    assert changed.principal == "Người Mới"
    assert len(engine.task_views(dien_bien)) == 0  # importing never issues anything
    again = run("units", "import", str(path), "--as", "tung-nt")
    assert "0 new, 0 changed, 3 unchanged" in again.output


def test_import_refuses_duplicates_and_bad_rows_and_writes_nothing(dien_bien, run, tmp_path):
    path = _sheet(
        tmp_path / "truong.xlsx",
        [
            HEAD,
            [1, "mn-moi-1", "Trường Mầm non Mới 1", "MN", "", "", ""],
            [2, "mn-moi-2", "", "MN", "", "", ""],
            [3, "mn-moi-1", "Trùng mã", "MN", "", "", ""],
            [4, "mn-moi-3", "Trường Mầm non Mới 3", "Nhà trẻ", "", "khong-phai-email", ""],
        ],
    )
    result = run("units", "import", str(path), "--as", "tung-nt")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {path}: row 3, column 'Tên đơn vị': is empty",
        f"Error: {path}: row 4, column 'Mã đơn vị': mn-moi-1 is already on row 2",
        f"Error: {path}: row 5, column 'Cấp học': unknown level 'Nhà trẻ' (expected MN, TH, "
        "THCS, THPT, GDTX, PGDĐT, UBND or their names, e.g. 'Tiểu học, THCS')",
        f"Error: {path}: row 5, column 'Email': 'khong-phai-email' is not an e-mail address",
    ]
    with dien_bien.read() as conn:
        from chidao.store import org as ostore

        assert ostore.get_unit(conn, "mn-moi-1") is None


def test_import_csv_semicolons_and_bom(dien_bien, run, tmp_path):
    path = tmp_path / "truong.csv"
    path.write_bytes(
        "Mã đơn vị;Tên đơn vị;Cấp học\nmn-csv;Trường Mầm non Bản Phủ;MN\n".encode("utf-8-sig")
    )
    result = run("units", "import", str(path), "--as", "tung-nt")
    assert result.exit_code == 0 and "1 new, 0 changed, 0 unchanged" in result.output
    missing = tmp_path / "x.csv"
    missing.write_text("Tên đơn vị,Cấp học\nA,MN\n", encoding="utf-8")
    bad = run("units", "import", str(missing), "--as", "tung-nt")
    assert bad.exit_code == 1 and "row 1 has no column for code" in bad.output


def test_import_refuses_a_file_that_is_not_a_table(dien_bien, run, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(128, 256)) * 4)
    result = run("units", "import", str(junk), "--as", "tung-nt")
    assert result.exit_code == 1
    assert result.output == f"Error: {junk}: not a text file in UTF-8 or Windows-1258 (byte 1)\n"
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    result = run("units", "import", str(fake), "--as", "tung-nt")
    assert result.exit_code == 1 and "not an Excel .xlsx workbook" in result.output
