"""PDF dispatches and every fixture's expected fields: text layers, scans through OCR,
broken encodings, and files that must be refused in one line, never a crash."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from chidao.errors import ParseError
from chidao.parse import KEYS, parse_file
from chidao.parse.layout import Word, page_lines
from chidao.parse.ocr_fix import fix_ocr_line
from chidao.parse.text_fix import looks_vietnamese, repair_text

FIXTURES = Path(__file__).parent / "fixtures"
PDFS = FIXTURES / "directives" / "pdf"
TEXT_PDFS = [
    PDFS / f"{name}.pdf"
    for name in (
        "pgddt-hiep-hoa-12-2020",
        "pgddt-hiep-hoa-166-2020",
        "pgddt-hiep-hoa-459-2020",
        "pgddt-hiep-hoa-500-2020",
        "so-gddt-ha-giang-1019-2019",
    )
]
# The scans, and the checks OCR may miss on each: the number and day written by hand (on
# 3767 the hand also covers the symbol's first letter); a letter of the subject misread
# ("quôc", "HSSYV"). recipient_levels: these expect
# "UBND" for "Ủy ban nhân dân các tỉnh", which the text examples do not count as a level.
SCANS = {
    PDFS / "bgddt-1074-2019.pdf": {"number", "recipient_levels"},
    PDFS / "bgddt-1568-2019.pdf": {"number", "date", "subject"},
    PDFS / "bgddt-1617-2019.pdf": {"number", "date", "subject"},
    PDFS / "hd-ngnd-ngut-ha-giang-42-2020.pdf": {"number", "date"},
    PDFS / "pgddt-hiep-hoa-193-2020.pdf": {"number", "date"},
    PDFS / "ubnd-ha-giang-3767-2020.pdf": {"number", "symbol", "date", "recipient_levels"},
}
HAS_TESSERACT = shutil.which("tesseract") is not None


def _text(value):
    return None if value is None else " ".join(str(value).split())


def _deadline_key(d: dict):
    item = _text(d.get("item"))
    if d.get("due"):
        return ("due", _text(d["due"]), item)
    if d.get("relative"):
        r = d["relative"]
        return ("relative", r.get("amount"), r.get("unit"), r.get("from"), item)
    if d.get("recurring"):
        r = d["recurring"]
        return ("recurring", r.get("every"), r.get("day"), item)
    return ("none", item)


def _scalar_checks(exp: dict, out: dict) -> list[tuple[str, bool]]:
    checks = []
    for key in ("number", "symbol", "date", "urgency", "issuer", "issuer_parent", "place"):
        if key in exp:
            checks.append((key, _text(out.get(key)) == _text(exp[key])))
    if "subject" in exp:
        checks.append(("subject", _text(out.get("subject")) == _text(exp["subject"])))
    for key, field in (
        ("recipients_count", "recipients"),
        ("items_count", "items"),
        ("distribution_count", "distribution"),
    ):
        if key in exp:
            checks.append((key, len(out.get(field) or []) == exp[key]))
    if "recipient_levels" in exp:
        got = sorted(out.get("recipient_levels") or [])
        checks.append(("recipient_levels", got == sorted(exp["recipient_levels"])))
    return checks


def _list_checks(exp: dict, out: dict) -> list[tuple[str, bool]]:
    checks = []
    if "references" in exp:
        refs = {(_text(r.get("code")), r.get("date")) for r in out.get("references") or []}
        for r in exp["references"]:
            checks.append((f"reference {r['code']}", (_text(r["code"]), r["date"]) in refs))
        checks.append(("references_count", len(refs) == len(exp["references"])))
    if "deadlines" in exp:
        got = [_deadline_key(d) for d in out.get("deadlines") or []]
        for d in exp["deadlines"]:
            checks.append((f"deadline {_deadline_key(d)}", _deadline_key(d) in got))
        checks.append(("deadlines_count", len(got) == len(exp["deadlines"])))
    if "contacts" in exp:
        contacts = out.get("contacts") or []
        for c in exp["contacts"]:
            same = [o for o in contacts if _text(o.get("name")) == _text(c["name"])]
            ok = any(all(_text(o.get(k)) == _text(v) for k, v in c.items()) for o in same)
            checks.append((f"contact {c['name']}", ok))
        checks.append(("contacts_count", len(contacts) == len(exp["contacts"])))
    if "signer" in exp:
        s = out.get("signer") or {}
        chain = [(c.get("authority"), _text(c.get("title"))) for c in s.get("chain") or []]
        want = [(c["authority"], _text(c["title"])) for c in exp["signer"]["chain"]]
        checks.append(("signer.chain", chain == want))
        for k in ("position", "name"):
            checks.append((f"signer.{k}", _text(s.get(k)) == _text(exp["signer"][k])))
    return checks


def compare(exp: dict, out: dict) -> list[str]:
    """The checks that fail, counted as ../shared/tools/check_directives.py counts them."""
    return [name for name, ok in _scalar_checks(exp, out) + _list_checks(exp, out) if not ok]


def _document_for(expected: Path) -> Path | None:
    stem = expected.name.removesuffix(".expected.json")
    for ext in (".txt", ".pdf", ".docx"):
        if (candidate := expected.with_name(stem + ext)).exists():
            return candidate
    return None


EXPECTED = sorted(FIXTURES.rglob("*.expected.json"))
# Documents read from a text layer or text must be right on every checked field; scans
# depend on OCR and are scored together below.
READ_AS_TEXT = [
    e
    for e in EXPECTED
    if (doc := _document_for(e)) and doc.parent.name != "pdf" or (doc and doc in TEXT_PDFS)
]


def test_every_expected_file_has_its_document():
    assert EXPECTED, "no fixtures found"
    assert all(_document_for(e) for e in EXPECTED)
    assert len(READ_AS_TEXT) >= 12


@pytest.mark.parametrize("expected", READ_AS_TEXT, ids=lambda p: p.name.split(".")[0])
def test_fixture_fields_are_right(expected):
    out = parse_file(_document_for(expected))
    assert compare(json.loads(expected.read_text(encoding="utf-8")), out) == []


needs_ocr = pytest.mark.skipif(not HAS_TESSERACT, reason="needs tesseract-ocr-vie")


@needs_ocr
@pytest.mark.parametrize("scan", SCANS, ids=lambda p: p.stem)
def test_scans_are_read_by_ocr_and_flagged(scan):
    out = parse_file(scan)
    exp = json.loads(scan.with_suffix("").with_suffix(".expected.json").read_text("utf-8"))
    # issuer, symbol, place, recipients, references, items, signer behind a seal, the
    # distribution list: all read; only what OCR cannot read may fail
    assert set(compare(exp, out)) <= SCANS[scan]
    assert "the signer read by OCR from a scan: check it against the original" in out["warnings"]
    # the handwritten number and day are left for the clerk, and said so
    assert out["number"] is None and out["date"] is None
    if out["symbol"]:
        assert any("the document number on the scan is handwritten" in w for w in out["warnings"])
    assert any("the date of issue on the scan is handwritten" in w for w in out["warnings"])
    assert unicodedata.is_normalized("NFC", json.dumps(out, ensure_ascii=False))


def _image_pdf(path: Path, image: Image.Image, dpi: float = 300) -> None:
    """A one-page PDF holding ``image`` at ``dpi``, as a scanner makes it."""
    document = pdfium.PdfDocument.new()
    width, height = image.width * 72 / dpi, image.height * 72 / dpi
    page = document.new_page(width, height)
    picture = pdfium.PdfImage.new(document)
    picture.set_bitmap(pdfium.PdfBitmap.from_pil(image))
    picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
    page.insert_obj(picture)
    page.gen_content()
    document.save(str(path))


@needs_ocr
def test_a_page_scanned_sideways_is_turned_upright(tmp_path):
    from chidao.parse import ocr

    scan = pdfium.PdfDocument(str(PDFS / "pgddt-hiep-hoa-193-2020.pdf"))
    image = scan[0].render(scale=200 / 72, draw_annots=False).to_pil().rotate(90, expand=True)
    sideways = tmp_path / "sideways.pdf"
    _image_pdf(sideways, image, dpi=200)
    out = parse_file(sideways)
    assert (out["issuer"], out["symbol"]) == ("PHÒNG GIÁO DỤC & ĐÀO TẠO", "PGD&ĐT")
    assert out["signer"]["name"] == "Nguyễn Văn Thảo"
    assert ocr.TURNED_CONFIDENCE > 0


@needs_ocr
def test_ocr_reads_only_the_pages_without_a_text_layer(tmp_path):
    from chidao.parse.pdf import read_pdf

    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(pdfium.PdfDocument(str(PDFS / "pgddt-hiep-hoa-459-2020.pdf")), [0])
    mixed.import_pages(pdfium.PdfDocument(str(PDFS / "bgddt-1617-2019.pdf")), [0])
    path = tmp_path / "mixed.pdf"
    mixed.save(str(path))
    assert read_pdf(path).ocr_pages == [2]
    out = parse_file(path)
    # the header is the text page's: not flagged; the scanned page's lines are
    assert (out["number"], out["symbol"]) == ("459", "PGD&ĐT")
    header = ("the document number", "the document symbol")
    assert not any(w.startswith(header) for w in out["warnings"])
    assert any("read by OCR" in w for w in out["warnings"])


def test_text_pdf_two_columns_signature_fields_and_stamp():
    out = parse_file(PDFS / "so-gddt-ha-giang-1019-2019.pdf")
    # the number and day are drawn by the signing software in form fields
    assert (out["number"], out["date"], out["place"]) == ("1019", "2019-08-20", "Hà Giang")
    assert out["issuer"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    assert out["signer"]["name"] == "Nguyễn Thế Bình"
    assert not any("OCR" in w for w in out["warnings"])
    stamped = parse_file(PDFS / "pgddt-hiep-hoa-12-2020.pdf")
    assert not any("Ký bởi" in d for d in stamped["distribution"])
    # the application form after the signature is not the letter's: no recipients
    assert stamped["recipients"] == []


def test_broken_text_layers_are_repaired():
    assert repair_text("chất lƣợng TRƢỞNG") == "chất lượng TRƯỞNG"
    assert repair_text("năm ho ̣c, trực thuô ̣c, hoc ̣ tập") == "năm học, trực thuộc, học tập"
    assert repair_text("C¨n cø Quyết định số 161") == "Căn cứ Quyết định số 161"
    assert repair_text("Tiếng Việt bình thường «trích dẫn»") == "Tiếng Việt bình thường «trích dẫn»"
    assert not looks_vietnamese("BO GIAO DUC VA DAO TAO CONG HOA XA HOI CHU NGHIA")
    assert looks_vietnamese("BỘ GIÁO DỤC VÀ ĐÀO TẠO CỘNG HÒA XÃ HỘI CHỦ NGHĨA")
    out = parse_file(PDFS / "pgddt-hiep-hoa-166-2020.pdf")
    assert [r["code"] for r in out["references"]][:2] == ["02/2016/QĐ-UBND", "161/PGD&ĐT"]


def _row(y: float, *cells: tuple[float, str]) -> list[Word]:
    words = []
    for x, text in cells:
        for n, part in enumerate(text.split()):
            words.append(Word(x + 40 * n, y, x + 40 * n + 35, y + 14, part, 13))
    return words


def test_two_columns_on_a_page_are_read_one_after_the_other():
    words = (
        _row(50, (60, "UBND HUYỆN A"), (300, "CỘNG HÒA XÃ HỘI"))
        + _row(66, (60, "PHÒNG GIÁO DỤC"), (320, "Độc lập"))
        + _row(90, (60, "Số: 5/PGD"), (290, "A, ngày 2 tháng 3 năm 2024"))
    )
    assert page_lines(words, 0, 595) == [
        "UBND HUYỆN A",
        "PHÒNG GIÁO DỤC",
        "Số: 5/PGD",
        "CỘNG HÒA XÃ HỘI",
        "Độc lập",
        "A, ngày 2 tháng 3 năm 2024",
    ]


def test_the_signers_title_above_noi_nhan_joins_the_footer_columns():
    words = (
        _row(700, (360, "KT. TRƯỞNG PHÒNG"))
        + _row(713, (88, "Nơi nhận:"), (380, "PHÓ TRƯỞNG PHÒNG"))
        + _row(726, (88, "- Lưu: VT."))
        + _row(770, (400, "Nguyễn Văn Thảo"))
    )
    assert page_lines(words, 0, 595) == [
        "Nơi nhận:",
        "- Lưu: VT.",
        "KT. TRƯỞNG PHÒNG",
        "PHÓ TRƯỞNG PHÒNG",
        "",
        "Nguyễn Văn Thảo",
    ]


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        # a handwritten number over the printed slash is left blank, the symbol kept
        ("Số:⁄2##BGDĐT-GDTC", "Số: /BGDĐT-GDTC"),
        ("Số: 4⁄#/BGDĐT-GDCTHSSV bài", "Số: /BGDĐT-GDCTHSSV"),
        ("só.2⁄270BND- VHXH", "Số: /"),
        ("Số 15 /PGD", "Số: 15/PGD"),
        ("Số: 12/2020/KH-UBND", "Số: 12/2020/KH-UBND"),
        # so is a handwritten day; a printed month misread "I1" is 11
        ("Hà Giang, ngày/22//tháng 3 năm 2020", "Hà Giang, ngày  tháng 3 năm 2020"),
        ("Hà Nội, tháng 3 năm 2019", "Hà Nội, ngày  tháng 3 năm 2019"),
        ("Hà Giang, ngày/⁄⁄ tháng I1 năm 2020", "Hà Giang, ngày  tháng 11 năm 2020"),
        # marks of bold capitals, by the administrative vocabulary
        ("HỌI ĐÔNG XET TẶNG DANH", "HỘI ĐỒNG XÉT TẶNG DANH"),
        ("TM. HỌI ĐỌNG", "TM. HỘI ĐỒNG"),
        ("THƯ TRƯỜNG", "THỨ TRƯỞNG"),
        ("PHONG GIÁO DỤC & ĐÀO TẠO", "PHÒNG GIÁO DỤC & ĐÀO TẠO"),
        ("-_ CỤC TRƯỞNG", "CỤC TRƯỞNG"),
        # anchors and look-alikes
        ("Noi nhân:", "Nơi nhận:"),
        ("Kinh gửi: Các trường", "Kính gửi: Các trường"),
        ("V/V tăng cường", "V/v tăng cường"),
        ("Email: hanv()moet.gov.vn).", "Email: hanv@moet.gov.vn)."),
        ("THPT quốc g1a", "THPT quốc gia"),
        ("/TB-HÐ", "/TB-HĐ"),
    ],
)
def test_ocr_slips_are_repaired_by_general_rules(read, fixed):
    assert fix_ocr_line(read) == fixed


@pytest.mark.parametrize(
    "line",
    [
        "số 13/CT-TTg ngày 09/5/2016 của Thủ tướng Chính phủ về việc tăng cường",
        "Số lượng: 45 học sinh",
        "Đề nghị các trường, trong tháng 4 năm 2020 hoàn thành",
        "tại chính quyền địa phương",  # body text is not "tài chính"
        "Hà Nội, ngày 12 tháng 4 năm 2019",
        "- UBND TỈNH;",
        "THỦ TRƯỞNG CÁC ĐƠN VỊ",
    ],
)
def test_ocr_lines_read_right_are_left_alone(line):
    assert fix_ocr_line(line) == line


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_ocr_line_is_repaired_without_a_crash(line):
    fixed = fix_ocr_line(line)
    assert isinstance(fixed, str) and unicodedata.is_normalized("NFC", fixed)


def test_text_reader_rules(tmp_path):
    text = (
        "Số: 4144 /GDĐT – VP\nHà Nội, ngày 02 tháng 10 năm 2020\nV/v báo cáo\n"
        "Kính gửi: ………\n\n1. Nộp đến hết ngày 20/10/2020.\n2.Thời gian: từ ngày 21/10/2020 "
        "đến ngày 25/10/2020.\n3. Các trường đã tổ chức xong trước ngày 15/10/2020 thì thôi."
        "\n4. Báo cáo trước 16 giờ hàng ngày.\n5. Gửi trước 10 giờ ngày 26/10/2020 (thứ Bảy)."
        "\n"
    )
    path = tmp_path / "cv.txt"
    path.write_text(text, encoding="utf-8")
    out = parse_file(path)
    assert (out["number"], out["symbol"]) == ("4144", "GDĐT-VP")
    assert out["recipients"] == []
    assert [i["number"] for i in out["items"]] == ["1", "2", "3", "4", "5"]
    got = [(d["item"], d["due"], d["recurring"]) for d in out["deadlines"]]
    assert got == [
        ("1", "2020-10-20T23:59:59+07:00", None),
        ("2", "2020-10-25T23:59:59+07:00", None),
        ("4", None, {"every": "day", "day": None, "time": "16:00"}),
        ("5", "2020-10-26T10:00:00+07:00", None),
    ]
    assert any("thứ hai" in w and "thứ Bảy" in w for w in out["warnings"])


def _pdf_bytes(pages: int = 1, image: bool = False) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        page = document.new_page(595, 842)
        if image:
            bitmap = pdfium.PdfBitmap.from_pil(Image.new("RGB", (60, 80), "white"))
            obj = pdfium.PdfImage.new(document)
            obj.set_bitmap(bitmap)
            obj.set_matrix(pdfium.PdfMatrix().scale(595, 842))
            page.insert_obj(obj)
            page.gen_content()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("zero.pdf", lambda p: p.write_bytes(_pdf_bytes(0)), "không có trang nào|không đọc được"),
        ("cut.pdf", lambda p: p.write_bytes(_pdf_bytes(1)[:200]), "không đọc được tệp PDF"),
        ("png.pdf", lambda p: p.write_bytes(_png()), "không phải tệp PDF"),
        ("empty.pdf", lambda p: p.write_bytes(b""), "không phải tệp PDF"),
        ("bomb.docx", _zip_bomb, "quá giới hạn"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path, run, name, make, message):
    path = tmp_path / name
    make(path)
    with pytest.raises(ParseError, match=message):
        parse_file(path)
    result = run("directive", "parse", str(path), "--json")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}:") and result.output.count("\n") == 1


def _encrypted_pdf() -> bytes:
    """A PDF whose standard security handler wants a password nobody gave."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + b"41" * 32
        + b"> /U <"
        + b"42" * 32
        + b"> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<00112233> <00112233>] >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_encrypted_pdf_is_refused(tmp_path, run):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(_encrypted_pdf())
    with pytest.raises(ParseError, match="mật khẩu"):
        parse_file(locked)
    assert run("directive", "parse", str(locked)).exit_code == 1


def _no_ocr(monkeypatch) -> None:
    """Scanned pages read as blank, without Tesseract."""
    from chidao.parse import ocr

    monkeypatch.setattr(ocr, "check_tesseract", lambda: None)
    monkeypatch.setattr(ocr, "read_image", lambda image, where: ([], 595.0))


def test_blank_and_image_only_pages_give_a_directive_with_warnings(tmp_path, monkeypatch):
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(_pdf_bytes(2, image=True))
    _no_ocr(monkeypatch)
    out = parse_file(blank)
    assert tuple(out) == KEYS and "no document number found (Số: …/…)" in out["warnings"]


def test_missing_tesseract_is_one_line_saying_what_to_install(tmp_path, monkeypatch, run):
    import pytesseract

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_pdf_bytes(1, image=True))
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    result = run("directive", "parse", str(scan))
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: đọc PDF quét (ảnh) cần Tesseract OCR: "
        "apt-get install tesseract-ocr tesseract-ocr-vie"
    )


def test_missing_vietnamese_model_is_one_line(tmp_path, monkeypatch, run):
    import pytesseract

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_pdf_bytes(1, image=True))
    monkeypatch.setattr(pytesseract, "get_languages", lambda config="": ["eng", "osd"])
    result = run("directive", "parse", str(scan))
    assert result.exit_code == 1
    assert result.output == (
        "Error: đọc PDF quét (ảnh) cần mô hình tiếng Việt của Tesseract: "
        "apt-get install tesseract-ocr tesseract-ocr-vie\n"
    )


def test_a_huge_pdf_reads_only_its_first_pages(tmp_path, monkeypatch):
    from chidao.parse import pdf

    monkeypatch.setattr(pdf, "MAX_PAGES", 3)
    _no_ocr(monkeypatch)
    big = tmp_path / "big.pdf"
    big.write_bytes(_pdf_bytes(8))
    out = parse_file(big)
    assert any("has 8 pages; only the first 3 are read" in w for w in out["warnings"])


@settings(
    max_examples=40,
    deadline=None,
    # the monkeypatched OCR is the same for every example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(0, 4000), junk=st.binary(max_size=64))
def test_damaged_pdfs_never_crash(tmp_path_factory, monkeypatch, cut, junk):
    _no_ocr(monkeypatch)
    data = (PDFS / "pgddt-hiep-hoa-459-2020.pdf").read_bytes()
    path = tmp_path_factory.mktemp("damaged") / "x.pdf"
    path.write_bytes(data[:cut] + junk + data[cut + len(junk) :])
    try:
        out = parse_file(path)
    except ParseError as exc:
        assert exc.message.startswith(str(path))
    else:
        assert tuple(out) == KEYS


def test_cli_reads_a_pdf_in_process_and_as_a_subprocess(run):
    pdf = PDFS / "pgddt-hiep-hoa-459-2020.pdf"
    result = run("directive", "parse", str(pdf), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["number"] == "459"
    done = subprocess.run(
        [sys.executable, "-m", "chidao", "directive", "parse", str(pdf), "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["code"] == "459/PGD&ĐT"
