"""The parser on real dispatches and variants: exact fields, NFD/CRLF, .docx, and junk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import pytest
from conftest import EXAMPLES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chidao.errors import ParseError
from chidao.parse import KEYS, parse_file, parse_lines
from chidao.parse.reading import clean_lines
from chidao.parse.text_fix import repair_text

FIXTURES = Path(__file__).parent / "fixtures" / "directives"
TEXTS = sorted(FIXTURES.glob("*.txt"))
CHECKER = ROOT.parent / "shared" / "tools" / "check_directives.py"


def test_fixture_scores_with_the_shared_checker():
    if not CHECKER.is_file():
        pytest.skip("../shared/tools/check_directives.py is not beside this checkout")
    env = {
        **os.environ,
        "CHIDAO_PARSE_CMD": f"{sys.executable} -m chidao directive parse {{file}} --json",
    }
    done = subprocess.run(
        [sys.executable, str(CHECKER), str(FIXTURES)],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert done.returncode == 0, done.stdout
    assert (
        done.stdout.strip().splitlines()[-1].startswith("directive fields right: 130/130 = 100.0%")
    )


def test_every_key_is_always_present():
    for path in TEXTS:
        assert tuple(parse_file(path)) == KEYS
    assert tuple(parse_lines([])) == KEYS


def test_seed_000_in_detail():
    data = parse_file(FIXTURES / "000_f93ccea3d87b8473.txt")
    assert data["recipients"] == ["Các trường MN, TH, THCS thuộc huyện"]
    assert [r["issuer"] for r in data["references"]] == [
        "Sở Giáo dục và Đào tạo tỉnh Điện Biên",
        "Văn phòng HĐND và UBND huyện-UBND huyện Điện Biên",
    ]
    assert [i["number"] for i in data["items"][0]["items"]] == ["a", "b", "c"]
    # "(ngày 25/3)" is the day being celebrated, not a deadline
    assert [d["due"] for d in data["deadlines"]] == ["2024-04-01T00:00:00+07:00"]
    assert "no document number found (Số: …/…)" in data["warnings"]


def test_wrapped_subject_and_blank_number():
    data = parse_file(FIXTURES / "001_e73deb05c95d1f79.txt")
    assert data["subject"] == (
        "triển khai thực hiện Kế hoạch số 80/KH-UBND ngày 29/3/2024 của UBND tỉnh Quảng Ngãi"
    )
    assert (data["number"], data["symbol"], data["code"], data["date"]) == (
        None,
        "PGDDĐT",
        None,
        None,
    )


def test_deadline_semantics():
    lines = clean_lines(
        "Số: 5/PGDĐT-TH\nHà Nội, ngày 02 tháng 01 năm 2025\nKính gửi: Các trường Tiểu học.\n"
        "1. Nộp chậm nhất ngày 05/5/2025.\n2. Gửi trước 10h00 ngày 12/9.\n"
        "3. Hạn nộp: ngày 7/3.\n4. Báo cáo trong ngày 20/01/2025.\n"
        "5. Báo cáo trong tháng 4/2025.\n6. Trước ngày 25 hằng tháng.\n"
        "7. Trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản.\n"
    )
    got = [
        (d["item"], d["due"], d["relative"], d["recurring"])
        for d in parse_lines(lines)["deadlines"]
    ]
    assert got == [
        ("1", "2025-05-05T23:59:59+07:00", None, None),
        ("2", "2025-09-12T10:00:00+07:00", None, None),
        ("3", "2025-03-07T23:59:59+07:00", None, None),
        ("4", "2025-01-20T23:59:59+07:00", None, None),
        ("5", "2025-04-30T23:59:59+07:00", None, None),
        ("6", None, None, {"every": "month", "day": 25}),
        ("7", None, {"amount": 5, "unit": "working_days", "from": "receipt"}, None),
    ]


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_nfd_crlf_and_extra_spaces_read_the_same(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    variant = tmp_path / path.name
    messy = unicodedata.normalize("NFD", text).replace("\n", "  \r\n").replace(": ", ":   ")
    variant.write_bytes(messy.encode("utf-8"))
    assert parse_file(variant) == parse_file(path)
    assert all(
        unicodedata.is_normalized("NFC", str(v))
        for v in json.dumps(parse_file(variant), ensure_ascii=False)
    )


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_docx_written_from_the_text_parses_the_same(path, tmp_path):
    document = docx.Document()
    for line in path.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    target = tmp_path / f"{path.stem}.docx"
    document.save(target)
    assert parse_file(target) == parse_file(path)


# How VNI-Times fonts store Vietnamese (the VNI Windows table): a letter, then one byte for
# its tone, or for its circumflex or breve with the tone; ơ, ư, đ and the i, ỵ with marks
# are bytes of their own.
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_HAT = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _vni_letter(char: str) -> str:
    base, *marks = unicodedata.normalize("NFD", char)
    lower = base.lower()
    tone = next((m for m in marks if m in _VNI_TONE), "")
    if char.lower() == "đ":
        out = "ñ"
    elif lower == "i" and tone:
        out = _VNI_I[tone]
    elif lower == "y" and tone == "\u0323":
        out = "î"
    elif "\u031b" in marks:
        out = ("ô" if lower == "o" else "ö") + _VNI_TONE.get(tone, "")
    elif "\u0302" in marks:
        out = lower + _VNI_HAT[tone]
    elif "\u0306" in marks:
        out = lower + _VNI_BREVE[tone]
    else:
        out = lower + _VNI_TONE.get(tone, "")
    return out.upper() if base.isupper() else out


def to_vni(text: str) -> str:
    """Unicode Vietnamese as a VNI-Times text reads when copied out of its font."""
    return "".join(
        _vni_letter(c) if c.isalpha() and not c.isascii() or c in "đĐ" else c
        for c in unicodedata.normalize("NFC", text)
    )


def test_vni_text_is_converted():
    assert repair_text("Kính göûi: Hieäu tröôûng caùc tröôøng") == (
        "Kính gửi: Hiệu trưởng các trường"
    )
    assert repair_text("PHOØNG GIAÙO DUÏC VAØ ÑAØO TAÏO") == "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"
    assert repair_text("Nôi nhaän:\n- Nhö treân;\n- Löu: VT.") == (
        "Nơi nhận:\n- Như trên;\n- Lưu: VT."
    )
    assert repair_text("Caên cöù Quyeát ñònh soá 161/QÑ-UBND") == "Căn cứ Quyết định số 161/QĐ-UBND"
    # TCVN3 is still TCVN3, and Unicode with Latin-1 letters is left alone
    assert repair_text("C¨n cø Quyết định số 161 Uû ban nh©n d©n") == (
        "Căn cứ Quyết định số 161 Uỷ ban nhân dân"
    )
    plain = "Tiếng Việt «trích dẫn», hoà, quân, quê, chuyên, khoẻ, thuý"
    assert repair_text(plain) == plain


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_vni_copy_of_a_dispatch_parses_the_same(path, tmp_path):
    vni = tmp_path / path.name
    vni.write_text(to_vni(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert vni.read_text(encoding="utf-8") != path.read_text(encoding="utf-8")
    assert parse_file(vni) == parse_file(path)


def test_missing_header_and_signature():
    data = parse_file(FIXTURES / "so-no-signature-monthly.txt")
    assert data["signer"] is None and data["distribution"] == []
    assert "no signature part found" in data["warnings"]
    assert data["issuer"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO"


def test_binary_junk_is_one_clear_error(tmp_path, run):
    junk = tmp_path / "scan.txt"
    junk.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ParseError, match="không phải tệp văn bản"):
        parse_file(junk)
    result = run("directive", "parse", str(junk), "--json")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {junk}: không phải tệp văn bản (not a text file)"
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"not a zip at all")
    result = run("directive", "parse", str(fake))
    assert result.exit_code == 1 and result.output.startswith(
        f"Error: {fake}: không đọc được tệp Word"
    )


REAL_LINES = [line for path in TEXTS for line in clean_lines(path.read_text(encoding="utf-8"))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_arbitrary_text_never_crashes(text):
    data = parse_lines(clean_lines(text))
    assert tuple(data) == KEYS
    json.dumps(data)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(REAL_LINES), max_size=80), st.integers(0, 3000))
def test_shuffled_and_truncated_documents_never_crash(lines, cut):
    data = parse_lines(lines)
    assert tuple(data) == KEYS
    whole = "\n".join(REAL_LINES)[:cut]
    assert tuple(parse_lines(clean_lines(whole))) == KEYS


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_binary_input_is_parsed_or_refused(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("junk") / "x.txt"
    path.write_bytes(blob)
    try:
        data = parse_file(path)
    except ParseError as exc:
        assert "không phải tệp văn bản" in exc.message
    else:
        assert tuple(data) == KEYS


def test_issue_straight_from_the_text(run):
    assert run("org", "load", str(EXAMPLES / "org-binh-son.yaml"), "--as", "hai-nv").exit_code == 0
    text = FIXTURES / "dev02-pgddt-ngay-lam-viec.txt"
    result = run(
        "--now",
        "18/03/2024 14:00",
        "--as",
        "hai-nv",
        "directive",
        "issue",
        str(text),
        "--workflow",
        "bao-cao",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    assert "Issued 215/PGDĐT-TH" in result.output
    tasks = json.loads(run("task", "list", "--json").output)
    assert {lv for t in tasks for lv in t["levels"]} <= {"TH", "THCS"}
    # 3 working days from each school's receipt on Monday 18/03 → Thursday 21/03
    assert {t["due"] for t in tasks} == {"2024-03-21T23:59:59+07:00"}
    cancelled = run(
        "directive", "issue", str(text), "--workflow", "bao-cao", "--again", input="n\n"
    )
    assert cancelled.exit_code == 1 and "Error: cancelled: nothing was issued" in cancelled.output


WRONG_WEEKDAY = (
    "Kính gửi: Các trường Tiểu học.\nĐề nghị các trường báo cáo trước ngày 26/10/2019 (thứ Hai).\n"
)


def test_warnings_in_both_languages_and_one_json(run, tmp_path, monkeypatch):
    """The parser's warnings on screen in the chosen language; in --json the same English
    messages whatever --lang says."""
    monkeypatch.setenv("COLUMNS", "200")
    source = tmp_path / "cv.txt"
    source.write_text(WRONG_WEEKDAY, encoding="utf-8")
    en = run("directive", "parse", str(source), "--lang", "en")
    vi = run("directive", "parse", str(source), "--lang", "vi")
    assert en.exit_code == vi.exit_code == 0
    assert "⚠ no document number found (Số: …/…)" in en.output
    assert "⚠ no signature part found" in en.output
    assert "is a thứ bảy, the document says thứ Hai: check it" in en.output
    assert "không thấy" not in en.output and "cần kiểm tra" not in en.output
    assert "⚠ không thấy số văn bản (Số: …/…)" in vi.output
    assert "⚠ không thấy phần chữ ký" in vi.output
    assert "ngày 26/10/2019 là thứ bảy, văn bản ghi thứ Hai: cần kiểm tra lại" in vi.output
    assert "no document" not in vi.output
    shapes = {
        run("directive", "parse", str(source), "--json", "--lang", lang).output
        for lang in ("en", "vi")
    }
    assert len(shapes) == 1
    warnings = json.loads(shapes.pop())["warnings"]
    assert "no document number found (Số: …/…)" in warnings
    assert any(w.startswith("deadline «") and w.endswith(": check it") for w in warnings)
