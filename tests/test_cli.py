"""The real CLI: through click's CliRunner, and once as a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import EXAMPLES, ROOT, WORKFLOWS

from chidao.cli import cli

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")


def _setup(run):
    assert (
        run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien").exit_code
        == 0
    )
    result = run(
        "--now",
        "25/03/2024 08:00",
        "directive",
        "issue",
        CTXH,
        "--workflow",
        "bao-cao",
        "--as",
        "tung-nt",
    )
    assert result.exit_code == 0, result.output
    return result


def test_the_story_of_the_issue(run):
    issued = _setup(run)
    assert "46 tasks for 46 units" in issued.output
    listed = run("task", "list", "--state", "received", "--level", "MN", "--json")
    tasks = json.loads(listed.output)
    assert len(tasks) == 15 and {t["state"] for t in tasks} == {"received"}
    assert set(tasks[0]) >= {
        "id",
        "directive",
        "unit",
        "levels",
        "state",
        "due",
        "received_at",
        "reported_at",
    }
    hoa_ban = next(t for t in tasks if t["unit"] == "mn-hoa-ban")
    assert hoa_ban["due"] == "2024-04-01T00:00:00+07:00"
    assert hoa_ban["received_at"] == "2024-03-25T08:00:00+07:00"
    tid = str(hoa_ban["id"])
    started = run(
        "task",
        "fire",
        "start",
        tid,
        "--as",
        "mn-hoa-ban",
        "--note",
        "Đã xây dựng kế hoạch",
        "--now",
        "26/03/2024 09:00",
    )
    assert started.exit_code == 0 and started.output == f"Task {tid}: received → implementing\n"
    reported = run(
        "--now", "2024-03-28T10:00:00+07:00", "--as", "mn-hoa-ban", "task", "fire", "report", tid
    )
    assert reported.exit_code == 0, reported.output
    history = json.loads(run("task", "history", tid, "--json").output)
    assert [(e["trigger"], e["actor"], e["at"], e["note"]) for e in history] == [
        ("start", "mn-hoa-ban", "2024-03-26T09:00:00+07:00", "Đã xây dựng kế hoạch"),
        ("report", "mn-hoa-ban", "2024-03-28T10:00:00+07:00", ""),
    ]
    shown = run("task", "show", tid, "--lang", "vi")
    assert "Đã báo cáo" in shown.output and "28/03/2024 10:00" in shown.output
    by_code = run("task", "list", "--directive", "1", "--state", "reported", "--json")
    assert [t["unit"] for t in json.loads(by_code.output)] == ["mn-hoa-ban"]
    listed = json.loads(run("directive", "list", "--json").output)
    assert "Ngày Công tác xã hội Việt Nam" in listed[0]["subject"]
    assert listed[0]["states"] == {"received": 45, "reported": 1}


def test_refused_trigger_names_state_and_allowed(run):
    _setup(run)
    result = run("task", "fire", "mark_overdue", "1", "--as", "mn-hoa-ban")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: task 1 is «Đã nhận» (received): 'mark_overdue' is for the system, not the "
        "recipient; allowed for recipient: start, report"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["directive", "issue", CTXH, "--workflow", "khong-co", "--as", "tung-nt"],
            "Error: unknown workflow 'khong-co'",
        ),
        (["task", "show", "999"], "Error: task 999 does not exist"),
        (["task", "fire", "start", "999", "--as", "mn-hoa-ban"], "Error: task 999 does not exist"),
        (
            ["task", "list", "--now", "31/02/2024"],
            "Error: --now: cannot read '31/02/2024' as a date",
        ),
        (["task", "list", "--directive", "9/XYZ"], "Error: directive '9/XYZ' does not exist"),
        (["task", "fire", "start", "1"], "Error: who is acting? give --as ID"),
        (["task", "list", "--level", "DH"], "Error: --level: unknown level 'DH'"),
        (
            ["directive", "issue", CTXH, "--workflow", "bao-cao", "--as", "tung-nt"],
            "was already issued (id 1); use --again",
        ),
    ],
)
def test_bad_input_is_one_line(run, args, message):
    _setup(run)
    result = run(*args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_bad_org_file_writes_nothing(run, tmp_path):
    bad = tmp_path / "org.yaml"
    text = (EXAMPLES / "org-dien-bien.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("reports_to: tp-dien-bien", "reports_to: nobody"), encoding="utf-8")
    result = run("org", "load", str(bad), "--as", "tp-dien-bien")
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"Error: {re.escape(str(bad))}:\d+: person 'tung-nt' reports to unknown person 'nobody'\n",
        result.output,
    )
    shown = run("org", "show", "--json")
    if shown.exit_code == 0:  # a server database: it exists, and holds nothing
        assert json.loads(shown.output) == []
    else:  # an SQLite file: a file the load refused makes no database
        assert "no such database file" in shown.output


def test_unknown_level_and_missing_field(run, tmp_path):
    _setup(run)
    bad = tmp_path / "d.yaml"
    bad.write_text("subject: Gửi THPT\nrecipient_levels: [THPT]\n", encoding="utf-8")
    result = run("directive", "issue", str(bad), "--workflow", "bao-cao", "--as", "tung-nt")
    assert (
        result.exit_code == 1
        and "Error: no unit of pgddt-dien-bien is at level THPT" in result.output
    )
    bad.write_text("recipient_levels: [MN]\n", encoding="utf-8")
    result = run("directive", "issue", str(bad), "--workflow", "bao-cao", "--as", "tung-nt")
    assert result.output.strip() == f"Error: {bad}: required field 'subject' is missing"
    tasks = json.loads(run("task", "list", "--json").output)
    assert len(tasks) == 46


@pytest.mark.sqlite_only
def test_not_a_chidao_database(run, tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("ghi chú, không phải cơ sở dữ liệu " * 50, encoding="utf-8")
    result = run("--db", str(junk), "task", "list")
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"Error: {junk} is not a chidao database (not an SQLite database file)"
    )


def test_workflow_validate_cli(run):
    ok = run("workflow", "validate", *map(str, sorted(WORKFLOWS.glob("*.yaml"))))
    assert ok.exit_code == 0 and "4 workflow file(s) valid" in ok.output
    broken = Path(__file__).parent / "templates" / "broken.yaml"
    bad = run("workflow", "validate", str(broken))
    assert bad.exit_code == 1
    assert len(bad.output.strip().splitlines()) >= 8
    assert all(line.startswith(f"Error: {broken}:") for line in bad.output.strip().splitlines())


def test_options_before_and_after_the_command(run, tmp_path):
    other = tmp_path / "other.db"
    assert (
        run(
            "org",
            "load",
            str(EXAMPLES / "org-dien-bien.yaml"),
            "--as",
            "tp-dien-bien",
            "--db",
            str(other),
        ).exit_code
        == 0
    )
    assert run("--db", str(other), "org", "show", "--json").output.count("pgddt-dien-bien") == 1
    assert run("db", "init").exit_code == 0  # the fixture's database, made empty
    assert json.loads(run("org", "show", "--json").output) == []


def _commands(group: click.Group, prefix: str = "chidao"):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def test_every_command_has_help_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in _commands(cli):
        assert command.help and "Example:" in command.help, name
        assert f"`{name}" in readme, f"{name} is missing from the README"


def test_help_with_h(run):
    result = run("task", "fire", "-h")
    assert result.exit_code == 0 and "Fire TRIGGER" in result.output


@pytest.mark.sqlite_only  # the demo always works on a throwaway SQLite file
def test_demo_runs_and_ends_on_the_dashboard(run, tmp_path):
    kept = tmp_path / "demo.db"
    result = run("demo", "--keep", str(kept), "--lang", "vi")
    assert result.exit_code == 0, result.output
    story, _, board = result.output.partition("Bảng theo dõi lúc 10/05/2024 17:00")
    assert "ban hành" in story and "Đôn đốc đã tạo:" in story
    data = json.loads(
        run(
            "dashboard", "--db", str(kept), "--now", "10/05/2024 17:00", "--no-sweep", "--json"
        ).output
    )
    overdue = data["quality"]["open_overdue"]
    assert f"Quá hạn chưa báo cáo ({overdue})" in board
    assert len(data["overdue"]) == overdue and overdue > 0
    for label, key in (("Hoàn thành đúng hạn", "on_time"), ("Hoàn thành trễ hạn", "late")):
        assert re.search(rf"{label}\s+{data['quality'][key]}\b", board), (label, board)


def test_real_subprocess(db_url):
    env = {
        **os.environ,
        "CHIDAO_DB": db_url,
        "CHIDAO_NOW": "25/03/2024 08:00",
        "CHIDAO_USER": "tung-nt",
        "PYTHONIOENCODING": "utf-8",
    }
    exe = [sys.executable, "-m", "chidao"]
    load = subprocess.run(
        [*exe, "org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien"],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert load.returncode == 0, load.stderr
    issue = subprocess.run(
        [*exe, "directive", "issue", CTXH, "-w", "bao-cao", "--json", "--as", "tung-nt"],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert issue.returncode == 0, issue.stderr
    assert json.loads(issue.stdout)["tasks"] == 46
    bad = subprocess.run(
        [*exe, "task", "fire", "report", "1", "--as", "th-thanh-an"],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert bad.returncode == 1
    assert (
        bad.stderr.strip()
        == "Error: task 1 belongs to unit mn-hoa-ban; th-thanh-an may act only on its own tasks"
    )
    assert "Traceback" not in bad.stderr


def test_ci_runs_the_readme_test_line():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```")[1]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert len(lines) == 2
    assert "chidao demo" in lines[0] and "pytest" in lines[1]
    assert lines[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
