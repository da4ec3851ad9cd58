"""One JSON shape per concept, across commands: a task is "id" (a reference to one is
"task_id"), a directive reference is "directive_id" with "directive" its label, levels are
always a list, and every command that reports has --json that prints JSON only."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLES, WORKFLOWS

CTXH = str(EXAMPLES / "directives" / "ctxh-2024.yaml")
TASK_KEYS = {"id", "directive_id", "directive", "unit", "unit_name", "levels", "state", "due"}


def _json(run, *args: str):
    result = run(*args, "--json")
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.output)  # nothing but JSON on stdout


def _setup(run) -> dict:
    loaded = _json(run, "org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien")
    assert loaded == {
        "offices": ["pgddt-dien-bien"],
        "people": 5,
        "units": 46,
        "people_new": 5,
        "people_updated": 0,
        "units_new": 46,
        "units_updated": 0,
    }
    issued = _json(
        run,
        "directive",
        "issue",
        CTXH,
        "-w",
        "bao-cao",
        "--now",
        "25/03/2024 08:00",
        "--as",
        "tung-nt",
    )
    assert issued["tasks"] == 46
    return issued


def _hoa_ban(run) -> int:
    return _json(run, "task", "list", "--unit", "mn-hoa-ban")[0]["id"]


def test_a_task_is_the_same_everywhere(run):
    _setup(run)
    task = _hoa_ban(run)
    listed = _json(run, "task", "list", "--unit", "mn-hoa-ban")[0]
    shown = _json(run, "task", "show", str(task))
    assert TASK_KEYS <= set(listed) and TASK_KEYS <= set(shown)
    assert {k: shown[k] for k in listed} == listed
    assert listed["levels"] == ["MN"]
    fired = _json(
        run, "task", "fire", "start", str(task), "--as", "mn-hoa-ban", "--now", "26/03/2024 09:00"
    )
    assert fired == [
        {
            "id": task,
            "from_state": "received",
            "to_state": "implementing",
            "state_label": "Đang thực hiện",
        }
    ]
    history = _json(run, "task", "history", str(task))
    assert {e["task_id"] for e in history} == {task} and "task" not in history[0]
    run("sweep", "--now", "03/04/2024 08:00")
    board = _json(run, "dashboard", "--now", "03/04/2024 08:00")
    late = board["overdue"][0]
    assert {"id", "directive_id", "directive", "unit", "unit_name", "due"} <= set(late)
    principal = _json(run, "dashboard", "--unit", "mn-hoa-ban", "--now", "03/04/2024 08:00")
    assert principal["tasks"][0]["id"] == task and principal["levels"] == ["MN"]
    escalation = _json(run, "escalations")[0]
    assert {"id", "task_id", "directive_id", "directive", "unit"} <= set(escalation)
    report = json.loads(run("report", "1", "--format", "json").output)
    row = next(r for r in report["rows"] if r["unit"] == "mn-hoa-ban")
    assert row["id"] == task and row["levels"] == ["MN"]


def test_levels_are_always_a_list(run, tmp_path):
    _setup(run)
    org = _json(run, "org", "show")[0]
    both = next(u for u in org["units"] if len(u["levels"]) > 1)
    assert both["levels"] == ["TH", "THCS"]
    assert all(isinstance(p["levels"], list) for p in org["people"])
    report = json.loads(run("report", "1", "--format", "json").output)
    assert all(isinstance(r["levels"], list) for r in report["rows"])
    sheet = tmp_path / "units.csv"
    sheet.write_text(
        'Mã đơn vị,Tên đơn vị,Cấp học\nththcs-moi,Trường TH&THCS Mới,"TH, THCS"\n', encoding="utf-8"
    )
    imported = _json(run, "units", "import", str(sheet), "--dry-run", "--as", "tung-nt")
    assert imported["new"][0]["levels"] == ["TH", "THCS"] and imported["dry_run"] is True


def test_every_reporting_command_has_json(run):
    _setup(run)
    task = str(_hoa_ban(run))
    valid = _json(run, "workflow", "validate", *map(str, sorted(WORKFLOWS.glob("*.yaml"))))
    assert valid["valid"] is True and valid["problems"] == []
    broken = run(
        "workflow", "validate", str(Path(__file__).parent / "templates" / "broken.yaml"), "--json"
    )
    assert broken.exit_code == 1 and json.loads(broken.output)["valid"] is False
    asked = _json(
        run,
        "task",
        "request-extension",
        task,
        "--to",
        "05/04/2024",
        "--now",
        "28/03/2024",
        "--as",
        "mn-hoa-ban",
    )
    assert asked == {
        "task_id": int(task),
        "status": "pending",
        "requested_to": "2024-04-05T23:59:59+07:00",
    }
    granted = _json(run, "task", "grant", task, "--as", "tung-nt", "--now", "29/03/2024")
    assert granted == {
        "task_id": int(task),
        "status": "granted",
        "due": "2024-04-05T23:59:59+07:00",
    }
    extended = _json(
        run, "task", "extend", task, "--to", "10/04/2024", "--as", "tung-nt", "--now", "29/03/2024"
    )
    assert extended["task_ids"] == [int(task)] and extended["changed"] == 1
    whole = _json(
        run,
        "directive",
        "extend",
        "1",
        "--to",
        "12/04/2024",
        "--as",
        "tung-nt",
        "--now",
        "29/03/2024",
    )
    assert whole["changed"] == 46 and whole["skipped"] == 0
    withdrawn = _json(run, "directive", "withdraw", "1", "--as", "tung-nt", "--now", "30/03/2024")
    assert withdrawn["directive_id"] == 1 and withdrawn["tasks"] == 46


def test_notify_json_is_only_json(run):
    _setup(run)
    run("sweep", "--now", "03/04/2024 08:00")
    waiting = _json(run, "notify", "--dry-run")
    sent = _json(run, "notify", "--now", "03/04/2024 09:00")
    assert sent["sent"] == len(waiting) == len(sent["messages"]) and sent["failed"] == 0
    assert {m["subject"] for m in sent["messages"]} == {m["subject"] for m in waiting}
