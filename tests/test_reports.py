"""Reports ready to hand over: files colleagues can open, an xlsx that prints on landscape
A4 pages with the header on each, a docx whose signature block stays on one page, CSV for
Vietnamese Excel, and a note when schools count under several levels."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest
from conftest import EXAMPLES
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")


@pytest.fixture
def issued(run):
    assert run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien")
    done = run(
        "directive", "issue", CTXH, "-w", "bao-cao", "--now", "25/03/2024 08:00", "--as", "tung-nt"
    )
    assert done.exit_code == 0, done.output
    return run


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_take_the_mode_an_ordinary_file_gets(issued, tmp_path, umask, mode):
    before = os.umask(umask)
    try:
        for fmt in ("xlsx", "docx", "csv", "md", "json"):
            path = tmp_path / f"bao-cao.{fmt}"
            assert issued("report", "1", "--format", fmt, "-o", str(path)).exit_code == 0
            assert _mode(path) == mode, fmt
    finally:
        os.umask(before)


def test_a_report_written_again_keeps_the_mode_it_was_given(issued, tmp_path):
    path = tmp_path / "bao-cao.xlsx"
    issued("report", "1", "-o", str(path))
    path.chmod(0o600)
    issued("report", "1", "-o", str(path))
    assert _mode(path) == 0o600


def test_the_xlsx_prints_landscape_fitted_to_width_with_its_header_on_every_page(issued, tmp_path):
    path = tmp_path / "bao-cao.xlsx"
    issued("report", "1", "-o", str(path), "--now", "08/04/2024 08:00")
    book = load_workbook(path)
    for sheet, titles in ((book["Chi tiết"], "$1:$1"), (book["Tổng hợp"], "$1:$3")):
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.print_title_rows == titles


def test_the_docx_keeps_the_signature_block_on_one_page(issued, tmp_path):
    path = tmp_path / "bao-cao.docx"
    issued("report", "1", "--format", "docx", "-o", str(path))
    doc = Document(str(path))
    sign = doc.tables[-1]
    assert "Nơi nhận:" in sign.rows[0].cells[0].text
    for row in sign.rows:
        assert row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None
        for cell in row.cells:
            assert all(p.paragraph_format.keep_together for p in cell.paragraphs)
            assert all(p.paragraph_format.keep_with_next for p in cell.paragraphs)


@pytest.mark.parametrize(("given", "separator"), [(";", ";"), ("tab", "\t"), (",", ",")])
def test_csv_for_vietnamese_excel(issued, given, separator):
    shown = issued("report", "1", "--format", "csv", "--csv-delimiter", given).output
    rows = list(csv.reader(io.StringIO(shown), delimiter=separator))
    assert rows[0][:3] == ["STT", "Mã đơn vị", "Tên đơn vị"] and len(rows) == 47
    assert {len(r) for r in rows} == {len(rows[0])}


def test_a_note_says_why_the_levels_add_up_to_more_than_the_total(issued, tmp_path):
    md = issued("report", "1", "--format", "md").output
    both = md.count(", THCS |") + md.count("TH, THCS")  # schools of two levels
    assert both > 0
    assert "đơn vị có nhiều cấp học (như TH&THCS) được tính ở mỗi cấp" in md
    path = tmp_path / "bao-cao.xlsx"
    issued("report", "1", "-o", str(path))
    summary = load_workbook(path)["Tổng hợp"]
    notes = [c.value for c in summary["A"] if c.value and str(c.value).startswith("Ghi chú:")]
    assert len(notes) == 1 and "nhiều hơn tổng cộng 46" in notes[0]
