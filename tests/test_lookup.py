"""Find what the user means: codes, units, people, workflows, triggers and states as
people type them, with "did you mean" when nothing matches; a directive without a number
named by its subject; a --db file that is not there refused."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES

from chidao import lookup

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")
SO_746 = str(EXAMPLES / "directives" / "so-746-2024.yaml")


def test_fold():
    assert lookup.fold("746 / SGDDĐT-GDCN") == lookup.fold("746/sgdddt-gdcn") == "746/sgdddt-gdcn"
    assert lookup.fold("Trường  Mầm non\tHoa Ban") == "trườngmầmnonhoaban"
    assert lookup.find("đã nhận", {"Đã nhận": "received"}) == "received"
    assert lookup.find("x", {"a": "1"}) is None
    assert lookup.find("ab", {"A B": "1", "a-b": "2", "AB": "3"}) is None  # two meanings
    assert lookup.hint("mn-hoa-bam", ["mn-hoa-ban", "th-thanh-an"]) == (
        "; did you mean 'mn-hoa-ban'?"
    )
    assert lookup.hint("zzz", ["mn-hoa-ban"]) == ""


@pytest.fixture
def both(run):
    """The Sở's 746 (numbered) and the Phòng's answer (no number, no date)."""
    for org, who in (
        ("org-so-dien-bien.yaml", "gd-so-dien-bien"),
        ("org-dien-bien.yaml", "tp-dien-bien"),
    ):
        assert run("org", "load", str(EXAMPLES / org), "--as", who).exit_code == 0
    so = run(
        "directive",
        "issue",
        SO_746,
        "-w",
        "bao-cao-tong-hop",
        "--now",
        "21/03/2024 10:00",
        "--as",
        "pgd-so-dien-bien",
    )
    assert so.exit_code == 0, so.output
    phong = run(
        "directive", "issue", CTXH, "-w", "bao-cao", "--now", "25/03/2024 08:00", "--as", "tung-nt"
    )
    assert phong.exit_code == 0, phong.output
    return run


@pytest.mark.parametrize(
    "typed",
    [
        "746/SGDDĐT-GDCN",
        "746/sgddđt-gdcn",
        "746/SGDDDT-GDCN",
        "746 / SGDDĐT-GDCN",
        " 746/sgdddt-gdcn ",
    ],
)
def test_directive_codes_as_people_type_them(both, typed):
    shown = json.loads(both("directive", "show", typed, "--json").output)
    assert (shown["id"], shown["label"]) == (1, "746/SGDDĐT-GDCN")


def test_a_code_nearly_right_is_suggested(both):
    result = both("chain", "show", "746/SGDĐT-GDCN")
    assert result.exit_code == 1
    assert result.output == (
        "Error: directive '746/SGDĐT-GDCN' does not exist (name it by its code or id); "
        "did you mean '746/SGDDĐT-GDCN'?\n"
    )
    vi = both("chain", "show", "746/SGDĐT-GDCN", "--lang", "vi").output
    assert vi == (
        "Error: không có văn bản '746/SGDĐT-GDCN' (gọi văn bản bằng số ký hiệu hoặc id); "
        "có phải ý bạn là '746/SGDDĐT-GDCN'?\n"
    )


def test_units_people_by_code_or_name(both):
    def units(*args: str) -> set[str]:
        result = both("task", "list", "--directive", "2", *args, "--json")
        assert result.exit_code == 0, result.output
        return {t["unit"] for t in json.loads(result.output)}

    assert units("--unit", "mn-hoa-ban") == units("--unit", "MN-HOA-BAN") == {"mn-hoa-ban"}
    assert units("--unit", "trường mầm non hoa ban") == {"mn-hoa-ban"}
    wrong = both("task", "list", "--unit", "mn-hoa-bam")
    assert wrong.exit_code == 1 and wrong.output == (
        "Error: unknown unit 'mn-hoa-bam' (not in any loaded org file); "
        "did you mean 'mn-hoa-ban'?\n"
    )
    assert both("sweep", "--now", "03/04/2024 08:00").exit_code == 0
    by_name = json.loads(both("escalations", "--person", "triệu thùy chinh", "--json").output)
    by_id = json.loads(both("escalations", "--person", "CHINH-TT", "--json").output)
    assert by_name == by_id and by_id and {e["person"] for e in by_id} == {"chinh-tt"}
    nobody = both("dashboard", "--person", "chinh-t")
    assert nobody.exit_code == 1 and "did you mean 'chinh-tt'?" in nobody.output
    principal = both(
        "dashboard", "--unit", "Trường Mầm non Hoa Ban", "--json", "--now", "03/04/2024"
    )
    assert json.loads(principal.output)["unit"] == "mn-hoa-ban"


def test_states_by_name_or_label_and_unknown_refused(both):
    def count(state: str) -> int:
        result = both("task", "list", "--directive", "2", "--state", state, "--json")
        assert result.exit_code == 0, result.output
        return len(json.loads(result.output))

    assert count("received") == count("Đã nhận") == count("đã nhận") == count("RECEIVED") == 46
    wrong = both("task", "list", "--state", "foo")
    assert wrong.exit_code == 1 and wrong.output.startswith("Error: --state: unknown state 'foo' (")
    near = both("task", "list", "--state", "recieved")
    assert near.exit_code == 1 and "did you mean 'received'?" in near.output


def _task(run, directive: str, unit: str) -> str:
    listed = json.loads(
        run("task", "list", "--directive", directive, "--unit", unit, "--json").output
    )
    return str(listed[0]["id"])


def test_workflows_and_triggers_as_people_type_them(both, run):
    hoa_ban, thanh_xuong = _task(both, "2", "mn-hoa-ban"), _task(both, "2", "mn-thanh-xuong")
    fired = both(
        "task", "fire", "START", hoa_ban, "--as", "mn-hoa-ban", "--now", "26/03/2024 09:00"
    )
    assert fired.exit_code == 0, fired.output
    by_label = both(
        "task", "fire", "Gửi báo cáo", hoa_ban, "--as", "mn-hoa-ban", "--now", "27/03/2024 09:00"
    )
    assert by_label.output == f"Task {hoa_ban}: implementing → reported\n"
    typo = both("task", "fire", "strat", thanh_xuong, "--as", "mn-thanh-xuong")
    assert typo.exit_code == 1
    assert typo.output.startswith("Error: unknown trigger 'strat' (the workflow has: start, ")
    assert typo.output.endswith("did you mean 'start'?\n")
    again = both(
        "directive",
        "issue",
        CTXH,
        "-w",
        "Bao-Cao",
        "--again",
        "--as",
        "tung-nt",
        "--now",
        "26/03/2024",
    )
    assert again.exit_code == 0, again.output
    wrong = both("directive", "issue", CTXH, "-w", "bao-coa", "--as", "tung-nt")
    assert wrong.exit_code == 1 and wrong.output.rstrip().endswith("did you mean 'bao-cao'?")


def test_a_directive_without_a_number_is_named_by_its_subject(both):
    named = "«tổ chức hoạt động kỷ niệm “Ngày…»"
    issued = both("directive", "list", "--json").output
    assert "#2" not in issued
    both("sweep", "--now", "03/04/2024 08:00")
    for args in (
        ("dashboard", "--now", "03/04/2024 08:00", "--width", "120"),
        ("dashboard", "--now", "03/04/2024 08:00", "--json"),
        ("escalations", "--json"),
        ("task", "list", "--directive", "2", "--limit", "2", "--json"),
        ("task", "show", _task(both, "2", "mn-hoa-ban")),
        ("notify", "--dry-run"),
        ("report", "2", "--format", "md"),
        ("chain", "show", "1", "--width", "200"),
    ):
        shown = both(*args).output
        assert "#2" not in shown, args
    mail = json.loads(both("notify", "--dry-run", "--json").output)
    phong = [m for m in mail if "746" not in m["subject"]]
    assert phong and all("Văn bản «tổ chức hoạt động kỷ niệm" in m["subject"] for m in phong)
    assert named in both("task", "show", _task(both, "2", "mn-hoa-ban")).output


@pytest.mark.sqlite_only
def test_a_database_file_that_is_not_there_is_refused(run, tmp_path):
    typo = tmp_path / "chidoa.db"
    for args in (
        ("task", "list"),
        ("directive", "list"),
        ("whoami", "--as", "tung-nt"),
        ("sweep",),
    ):
        result = run(*args, "--db", str(typo))
        assert result.exit_code == 1, args
        assert result.output == (
            f"Error: {typo}: no such database file (check --db or CHIDAO_DB; "
            "'chidao org load FILE' or 'chidao db init' makes a new one)\n"
        )
    assert not typo.exists()
    made = run(
        "org",
        "load",
        str(EXAMPLES / "org-dien-bien.yaml"),
        "--as",
        "tp-dien-bien",
        "--db",
        str(typo),
    )
    assert made.exit_code == 0 and typo.exists()
    fresh = tmp_path / "fresh.db"
    assert run("db", "init", "--db", str(fresh)).exit_code == 0 and fresh.exists()
    empty = run("dashboard", "--db", str(tmp_path / "nothing.db"))
    assert empty.exit_code == 0 and not (tmp_path / "nothing.db").exists()
