"""Next steps: what to do after a command, found where a user looks — workflow list, the
triggers in task fire's help, the demo's "try next" block, shell completion."""

from __future__ import annotations

import json
import shlex

import pytest
from click.shell_completion import ShellComplete
from conftest import EXAMPLES, WORKFLOWS

from chidao.cli import cli

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")


def test_workflow_list(run):
    shipped = sorted(p.stem for p in WORKFLOWS.glob("*.yaml"))
    listed = json.loads(run("workflow", "list", "--json").output)
    assert sorted(w["name"] for w in listed) == shipped
    bao_cao = next(w for w in listed if w["name"] == "bao-cao")
    assert bao_cao["states"] == ["received", "implementing", "reported", "overdue"]
    assert bao_cao["triggers"] == ["start", "report", "extend", "mark_overdue"]
    shown = run("workflow", "list", "--lang", "vi").output
    assert (
        shown.startswith(f"Quy trình ({len(shipped)})") and "Triển khai và báo cáo kết quả" in shown
    )
    assert run("workflow", "list", "--csv").output.startswith("Name,Title,States,File\n")


def test_task_fire_help_lists_the_triggers(run):
    shown = run("task", "fire", "--help").output
    section = shown.split("Triggers (chidao workflow show NAME for the states):", 1)[1]
    for trigger in ("start", "report", "extend", "acknowledge", "accept", "return_for_revision"):
        assert f"\n  {trigger} " in section, trigger
    assert "mark_overdue" not in section  # the system's own
    vi = run("task", "fire", "--help", "--lang", "vi").output
    assert "Thao tác (xem trạng thái: chidao workflow show TÊN):" in vi
    assert "Gửi báo cáo (" in vi


@pytest.mark.sqlite_only
def test_the_demo_ends_with_commands_that_work_on_the_kept_database(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kept = tmp_path / "demo.db"
    told = run("demo", "--keep", str(kept), "--lang", "vi").output
    block = told.split("Thử tiếp", 1)[1].splitlines()
    commands = [line.strip() for line in block if line.strip().startswith("chidao ")]
    assert len(commands) >= 8
    for line in commands:
        args = shlex.split(line)[1:]
        result = run(*args)
        assert result.exit_code == 0, (line, result.output)
    assert (tmp_path / "bao-cao.xlsx").exists()
    throwaway = run("demo", "--seed", "7").output  # in English (the tests' language)
    assert "chidao demo --keep demo.db" in throwaway
    made = throwaway.split("Escalations made: ", 1)[1].split(";", 1)[0]
    assert "disciplinary review" in made and "kiểm điểm" not in made
    assert "kiểm điểm" in told.split("Đôn đốc đã tạo: ", 1)[1].split(";", 1)[0]


def _complete(args: list[str], incomplete: str) -> list[str]:
    found = ShellComplete(cli, {}, "chidao", "_CHIDAO_COMPLETE").get_completions(args, incomplete)
    return [c.value for c in found]


def test_shell_completion_of_codes_units_triggers_and_states(run, monkeypatch, tmp_path):
    assert _complete(["task", "list", "--unit"], "mn") == []  # no database yet: nothing, made
    for org, who in (
        ("org-so-dien-bien.yaml", "gd-so-dien-bien"),
        ("org-dien-bien.yaml", "tp-dien-bien"),
    ):
        assert run("org", "load", str(EXAMPLES / org), "--as", who).exit_code == 0
    so = EXAMPLES / "directives" / "so-746-2024.yaml"
    run(
        "directive",
        "issue",
        str(so),
        "-w",
        "bao-cao-tong-hop",
        "--as",
        "pgd-so-dien-bien",
        "--now",
        "21/03/2024",
    )
    run("directive", "issue", CTXH, "-w", "bao-cao", "--as", "tung-nt", "--now", "25/03/2024")
    assert _complete(["directive", "show"], "746") == ["746/SGDDĐT-GDCN"]
    assert _complete(["chain", "show"], "746/sgddd") == ["746/SGDDĐT-GDCN"]  # folded
    assert "2" in _complete(["report"], "")  # no number: by id
    assert set(_complete(["task", "list", "--unit"], "mn-thanh-x")) == {"mn-thanh-xuong"}
    assert set(_complete(["task", "list", "--state"], "")) >= {"received", "reported", "overdue"}
    assert set(_complete(["task", "fire"], "")) >= {"start", "report", "extend"}
    assert "mark_overdue" not in _complete(["task", "fire"], "")
    assert _complete(["escalations", "--person"], "chinh") == ["chinh-tt"]
    assert _complete(["directive", "issue", CTXH, "-w"], "bao-cao-t") == [
        "bao-cao-tham-dinh",
        "bao-cao-tong-hop",
    ]
    missing = tmp_path / "nope.db"
    assert _complete(["task", "list", "--db", str(missing), "--unit"], "mn") == []
    assert not missing.exists()
