"""``chidao org load`` names every problem of the file at once (file:line), with the same
rules as the units spreadsheet; a refused file writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import EXAMPLES

BAD_ORG = """\
office:
  code: pgd-x
  name: Phòng GD&ĐT X
people:
  - {id: an, name: An, position: Trưởng phòng, email: khong-phai-email}
  - {id: binh, name: Bình, position: Chuyên viên, reports_to: nobody}
  - {id: an, name: An 2, position: Chuyên viên}
units:
  - {code: mn-a, name: Trường MN A, levels: [MN], email: khong-phai-email}
  - {code: "th b", name: Trường TH B, levels: TH}
  - {code: mn-a, name: Trường MN A2, levels: Mầm non}
  - {code: th-c, name: Trường TH C, levels: [DH]}
  - {code: th-d, name: Trường TH D}
"""

EXPECTED = {
    "en": [
        "5: people[1].email: 'khong-phai-email' is not an e-mail address",
        "6: person 'binh' reports to unknown person 'nobody'",
        "7: person 'an' appears twice",
        "9: units[1].email: 'khong-phai-email' is not an e-mail address",
        "10: units[2].code: 'th b' is not a unit code (letters, digits, '-', '_', '.')",
        "11: unit 'mn-a' appears twice",
        "12: units[4].levels[1]: unknown level 'DH' (expected MN, TH, THCS, THPT, GDTX, "
        "PGDĐT, UBND or their names, e.g. 'Tiểu học, THCS')",
        "13: missing field 'levels' in unit 'th-d'",
    ],
    "vi": [
        "5: people[1].email: 'khong-phai-email' không phải địa chỉ e-mail",
        "6: cán bộ 'binh' báo cáo cho người không có trong tệp 'nobody'",
        "7: cán bộ 'an' xuất hiện hai lần",
        "9: units[1].email: 'khong-phai-email' không phải địa chỉ e-mail",
        "10: units[2].code: 'th b' không phải mã đơn vị (chữ, số, '-', '_', '.')",
        "11: đơn vị 'mn-a' xuất hiện hai lần",
        "12: units[4].levels[1]: không có cấp học 'DH' (cần MN, TH, THCS, THPT, GDTX, "
        "PGDĐT, UBND hoặc tên cấp, ví dụ 'Tiểu học, THCS')",
        "13: thiếu trường 'levels' trong đơn vị 'th-d'",
    ],
}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_problem_at_once_and_nothing_written(tmp_path, lang):
    """A real process on a new SQLite path: every problem on its own line, in the order of
    the file, exit 1, and no database made for a file it refused."""
    org = tmp_path / "org.yaml"
    org.write_text(BAD_ORG, encoding="utf-8")
    db = tmp_path / "org.db"
    done = subprocess.run(
        [sys.executable, "-m", "chidao", "org", "load", str(org), "--as", "an"],
        env={"CHIDAO_DB": str(db), "CHIDAO_LANG": lang, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [f"Error: {org}:{line}" for line in EXPECTED[lang]]
    assert not db.exists()


def test_a_refused_file_changes_nothing_already_loaded(dien_bien, run, tmp_path):
    before = run("org", "show", "--json").output
    text = (EXAMPLES / "org-dien-bien.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "org.yaml"
    bad.write_text(
        text.replace("name: Trường Mầm non Hoa Ban", "name: Trường MN Hoa Ban mới", 1)
        .replace("    levels: [MN]\n", "    levels: [MN]\n    email: khong-phai-email\n", 1)
        .replace("code: th-thanh-an", "code: mn-hoa-ban", 1),
        encoding="utf-8",
    )
    result = run("org", "load", str(bad), "--as", "tp-dien-bien", "--json")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 2 and all(x.startswith(f"Error: {bad}:") for x in lines)
    assert "'khong-phai-email' is not an e-mail address" in lines[0]
    assert lines[1].endswith("unit 'mn-hoa-ban' appears twice")
    assert run("org", "show", "--json").output == before


def _units_csv(path, rows: list[str]) -> None:
    path.write_text("code,name,levels,email\n" + "\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "khong-phai-email", "'khong-phai-email' is not an e-mail address"),
        ("code", "th b", "'th b' is not a unit code (letters, digits, '-', '_', '.')"),
        ("levels", "Đại học", "unknown level 'Đại học'"),
    ],
)
def test_the_same_rules_in_the_org_file_and_the_spreadsheet(
    dien_bien, run, tmp_path, field, value, message
):
    good = {"code": "th-moi", "name": "Trường TH Mới", "levels": "Tiểu học", "email": ""}
    row = {**good, field: value}
    sheet = tmp_path / "units.csv"
    _units_csv(sheet, [",".join(row.values())])
    imported = run("units", "import", str(sheet), "--as", "tung-nt")
    assert imported.exit_code == 1 and message in imported.output
    text = (EXAMPLES / "org-dien-bien.yaml").read_text(encoding="utf-8")
    org = tmp_path / "org.yaml"
    unit = (
        f"  - code: {json.dumps(row['code'])}\n    name: {row['name']}\n"
        f"    levels: {json.dumps(row['levels'])}\n"
        + (f"    email: {row['email']}\n" if row["email"] else "")
    )
    org.write_text(text.replace("units:\n", "units:\n" + unit, 1), encoding="utf-8")
    loaded = run("org", "load", str(org), "--as", "tp-dien-bien")
    assert loaded.exit_code == 1 and message in loaded.output
    # and what one accepts, the other accepts: a level by its name, an empty e-mail
    _units_csv(sheet, [",".join(good.values())])
    assert run("units", "import", str(sheet), "--as", "tung-nt", "--dry-run").exit_code == 0
    unit = "  - {code: th-moi, name: Trường TH Mới, levels: Tiểu học}\n"
    org.write_text(text.replace("units:\n", "units:\n" + unit, 1), encoding="utf-8")
    assert run("org", "load", str(org), "--as", "tp-dien-bien").exit_code == 0
