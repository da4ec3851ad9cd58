"""One language at a time: Vietnamese by default, English with --lang en or CHIDAO_LANG=en.

The catalog is complete (every message the code writes has a translation, and the shipped
.mo is compiled from the .po), every command's help and click's own words come out in
Vietnamese, library messages are translated at the edge by their templates, and --json
never changes with the language.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import EXAMPLES

from chidao import i18n
from chidao.cli import cli

pytest.importorskip("babel", reason="the catalog is built with Babel (pip install -e '.[test]')")

from chidao.locale import catalog  # noqa: E402 (needs Babel)


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _english_help(command: click.Command) -> list[str]:
    """The paragraphs of a command's help and its options' help, as the code writes them."""
    raw = getattr(command, "_help", None) or ""
    found = [p for p in inspect.cleandoc(raw).split("\n\n") if p and not p.startswith("    ")]
    found += [getattr(p, "_help", None) or "" for p in command.params]
    return [p for p in found if p]


def test_the_catalog_is_complete_and_compiled():
    assert catalog.check() == []


def test_the_catalog_has_no_message_the_code_no_longer_writes():
    written = {m.id for m in catalog.extract() if m.id}
    kept = {m.id for m in catalog.read() if m.id}
    assert kept <= written, sorted(map(str, kept - written))[:5]


def test_every_help_is_vietnamese_by_default(run):
    for path, command in _commands(cli):
        shown = run("--lang", "vi", *path, "--help").output
        english = run("--lang", "en", *path, "--help").output
        assert shown.startswith("Cách dùng: ") and english.startswith("Usage: ")
        assert "Tùy chọn:" in shown and "Hiện hướng dẫn này rồi thoát." in shown
        for paragraph in _english_help(command):
            words = " ".join(paragraph.split())
            assert words not in " ".join(shown.split()), (path, paragraph)
            assert words in " ".join(english.split()), (path, paragraph)


def test_examples_in_help_keep_their_lines(run):
    shown = run("--help").output
    assert "    chidao org load examples/org-dien-bien.yaml\n" in shown
    assert "    chidao task list --state received --level MN\n" in shown


def _fake(name: str, n: int) -> str:
    return f"X{n}Y"


@pytest.mark.parametrize("lang", ["vi"])
def test_every_template_translates_what_it_built(lang):
    """Each message template, filled with values, comes back in Vietnamese with the same
    values in the places the translation gives them."""
    translations = i18n.translations(lang)
    checked = 0
    with i18n.using(lang):
        for msgid, msgstr in translations._catalog.items():  # type: ignore[attr-defined]
            if not isinstance(msgid, str) or "{" not in msgid or not msgid:
                continue
            fields = i18n._fields(msgid)
            if not i18n.is_template(fields):
                continue
            names = [f for _t, f in fields if f is not None]
            values = {name: _fake(name, n) for n, name in enumerate(names)}
            built = "".join(t + (values[f] if f else "") for t, f in fields)
            expected = i18n._fill(msgstr, values)
            got = i18n.message(built)
            if got == expected:
                checked += 1
                continue
            # another template that matches the same text says the same thing
            assert got != built, f"untranslated: {built!r}"
    assert checked > 300


def test_a_library_message_inside_another_is_translated_too():
    with i18n.using("vi"):
        refused = i18n.message(
            "task 1 is «Đã nhận» (received): 'mark_overdue' is for the system, not the "
            "recipient; allowed for recipient: start, report"
        )
        located = i18n.message("org.yaml:12: person 'an' reports to unknown person 'binh'")
        unknown = i18n.message("an English message the catalog has never seen")
    assert refused == (
        "nhiệm vụ 1 đang ở «Đã nhận» (received): 'mark_overdue' là việc của system, không phải "
        "của recipient; recipient được phép: start, report"
    )
    assert located == "org.yaml:12: cán bộ 'an' báo cáo cho người không có trong tệp 'binh'"
    assert unknown == "an English message the catalog has never seen"


CTXH_LABEL = "«tổ chức hoạt động kỷ niệm “Ngày…»"  # no number, no date: its subject


def _setup(run):
    assert run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien")
    issued = run(
        "directive",
        "issue",
        str(EXAMPLES / "directives" / "ctxh-2024.yaml"),
        "-w",
        "bao-cao",
        "--now",
        "25/03/2024 08:00",
        "--as",
        "tung-nt",
        "--lang",
        "vi",
    )
    assert issued.exit_code == 0, issued.output
    return issued


BAD = [
    (("task", "show", "999"), "Error: không có nhiệm vụ 999"),
    (("task", "list", "--level", "DH"), "Error: --level: không có cấp học 'DH'"),
    (("task", "fire", "start", "1"), "Error: ai đang thực hiện? hãy ghi --as MÃ"),
    (("task", "list", "--limit", "0"), "Error: --limit: 0 nằm ngoài khoảng"),
    (("task", "lst"), "Error: Không có lệnh 'lst'."),
    (("task", "fire", "start", "1", "--as", "mn-hoa-ban", "--now", "31/02/2024"), "Error: --now:"),
    (
        ("task", "fire", "mark_overdue", "1", "--as", "mn-hoa-ban"),
        "Error: nhiệm vụ 1 đang ở «Đã nhận» (received): 'mark_overdue' là việc của system",
    ),
    (
        ("directive", "issue", "nothing.yaml", "-w", "bao-cao", "--as", "tung-nt"),
        "Error: nothing.yaml: không có tệp này",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _m in BAD])
def test_errors_in_vietnamese_by_default(run, monkeypatch, args, message):
    _setup(run)
    monkeypatch.delenv("CHIDAO_LANG")
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output, result.output
    english = run(*args, "--lang", "en").output
    assert english != result.output and english.startswith(("Error:", "Usage:"))


def test_messages_in_one_language(run, monkeypatch):
    issued = _setup(run)
    assert issued.output.startswith(f"Đã ban hành {CTXH_LABEL} (id 1) của pgddt-dien-bien")
    monkeypatch.delenv("CHIDAO_LANG")
    fired = run("task", "fire", "start", "1", "--as", "mn-hoa-ban", "--now", "26/03/2024 09:00")
    assert fired.output == "Nhiệm vụ 1: chuyển sang «Đang thực hiện» (received → implementing)\n"
    swept = run("sweep", "--now", "03/04/2024 08:00").output
    assert swept.startswith("46 nhiệm vụ chuyển quá hạn; đôn đốc: ")
    shown = run("task", "show", "1").output
    assert "Trạng thái   Quá hạn (overdue)" in shown
    english = run("task", "show", "1", "--lang", "en").output
    assert re.search(r"^State +overdue *$", english, re.MULTILINE), english


def test_json_is_the_same_in_both_languages(run):
    _setup(run)
    run("sweep", "--now", "03/04/2024 08:00")
    for args in (
        ("task", "list", "--json"),
        ("task", "show", "3", "--json"),
        ("directive", "show", "1", "--json"),
        ("directive", "list", "--json"),
        ("escalations", "--json"),
        ("dashboard", "--now", "03/04/2024 08:00", "--json"),
        ("dashboard", "--unit", "mn-hoa-ban", "--now", "03/04/2024 08:00", "--json"),
        ("org", "show", "--json"),
        ("workflow", "show", "bao-cao", "--json"),
    ):
        vi, en = run(*args, "--lang", "vi").output, run(*args, "--lang", "en").output
        assert json.loads(vi) == json.loads(en), args


def test_environment_and_flag(tmp_path):
    def chidao(*args: str, lang: str | None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "CHIDAO_LANG"}
        env.update({"CHIDAO_DB": str(tmp_path / "x.db"), "PYTHONIOENCODING": "utf-8"})
        if lang is not None:
            env["CHIDAO_LANG"] = lang
        return subprocess.run(
            [sys.executable, "-m", "chidao", *args],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
        )

    assert chidao("--help", lang=None).stdout.startswith("Cách dùng: chidao")
    assert chidao("--help", lang="en").stdout.startswith("Usage: chidao")
    assert chidao("task", "list", "-h", "--lang", "vi", lang="en").stdout.startswith("Cách dùng:")
    assert chidao("--lang", "en", "task", "-h", lang="vi").stdout.startswith("Usage:")
    wrong = chidao("--help", lang="fr")
    assert wrong.returncode == 1
    assert wrong.stderr == ("Error: CHIDAO_LANG: không có ngôn ngữ 'fr' (chọn vi hoặc en)\n")
    flag = chidao("--lang", "fr", "task", "list", lang=None)
    assert flag.returncode == 2 and "'fr' không phải là một trong: 'vi', 'en'." in flag.stderr
    assert not Path(tmp_path / "x.db").exists()
