"""The escalation ladder on a simulated timeline, idempotence, and the notification outbox."""

from __future__ import annotations

import email
import json
import os
import socket
import subprocess
import sys
from email.policy import default as default_policy

import pendulum
import pytest
from aiosmtpd.controller import Controller
from conftest import EXAMPLES, ISSUED
from sqlalchemy import event

from chidao import engine, sweeper
from chidao.clock import TZ
from chidao.directive import directive_from_mapping, load_directive

LEVEL_CONTACT = {"MN": "chinh-tt", "TH": "do-nv", "THCS": "hanh-nth"}


def at(day: int, month: int, hour: int = 7, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(2024, month, day, hour, minute, tz=TZ)


def escalations(store, **filters):
    return sweeper.escalation_listing(store, **filters)


def test_the_ladder_climbs_on_the_right_days(dien_bien, issued):
    """ctxh-2024 is due "trước ngày 01/4/2024": late from Monday 01/04."""
    units = {t.id: t for t in engine.task_views(dien_bien)}
    # two working days before the last day on time (Friday 29/03): each school is reminded
    assert sweeper.sweep(dien_bien, at(26, 3, 23, 59)).escalations == {}
    early = sweeper.sweep(dien_bien, at(27, 3, 7))
    assert (early.overdue, early.escalations, early.notifications) == (
        0,
        {"nhắc trước hạn": 46},
        46,
    )
    reminded = escalations(dien_bien)
    assert {r["target"] for r in reminded} == {"recipient"}
    assert {r["target_name"] for r in reminded} == {
        f"{t.unit_name} ({t.unit})" for t in units.values()
    }
    assert sweeper.sweep(dien_bien, at(31, 3, 23, 59)).escalations == {}
    first = sweeper.sweep(dien_bien, at(1, 4, 0, 1))
    assert (first.overdue, first.escalations) == (46, {"nhắc nhở": 46})
    for row in escalations(dien_bien):
        if row["kind"] == "nhắc trước hạn":
            continue
        levels = units[row["task_id"]].levels
        assert row["person_id"] == LEVEL_CONTACT[min(levels)], (row["unit"], levels)
        assert (row["kind"], row["round"], row["target"]) == ("nhắc nhở", 1, "level_contact")
    # three messages: one per specialist, each listing that level's schools
    assert first.notifications == 3
    # rung 2 (after 2 working days): not on Tuesday 02/04, on Wednesday 03/04
    assert sweeper.sweep(dien_bien, at(2, 4, 23, 59)).escalations == {}
    # a school that reports late closes its escalations and records how late it was
    hoa_ban = next(t for t in units.values() if t.unit == "mn-hoa-ban")
    engine.fire(dien_bien, "report", [hoa_ban.id], "mn-hoa-ban", at(2, 4, 23, 59))
    assert engine.task_views(dien_bien, ids=[hoa_ban.id])[0].days_late == 2
    assert all(
        e["resolved_at"] == at(2, 4, 23, 59)
        for e in sweeper.task_escalations(dien_bien, hoa_ban.id)
    )
    second = sweeper.sweep(dien_bien, at(3, 4, 0, 1))
    assert second.escalations == {"phê bình": 45}
    assert {r["person_id"] for r in escalations(dien_bien) if r["kind"] == "phê bình"} == {
        "tung-nt"
    }
    # rung 3 (after 5 working days: 1–5 April) not on Friday 05/04, on Saturday 06/04
    assert sweeper.sweep(dien_bien, at(5, 4, 23, 59)).escalations == {}
    third = sweeper.sweep(dien_bien, at(6, 4, 0, 1))
    assert third.escalations == {"kiểm điểm": 45}
    # KT. TRƯỞNG PHÒNG: above the deputy who signed is the head
    assert {r["person_id"] for r in escalations(dien_bien) if r["kind"] == "kiểm điểm"} == {
        "tp-dien-bien"
    }
    assert sweeper.sweep(dien_bien, at(20, 4)).escalations == {}
    assert len(escalations(dien_bien, open_only=True)) == 45 * 4
    assert len(escalations(dien_bien, person="tp-dien-bien")) == 45


def test_rounds_count_on_after_an_extension_runs_out(dien_bien, issued, run):
    sweeper.sweep(dien_bien, at(3, 4))
    task = engine.task_views(dien_bien, unit="mn-thanh-xuong")[0]
    assert (
        run(
            "task",
            "extend",
            str(task.id),
            "--to",
            "10/04/2024",
            "--as",
            "tung-nt",
            "--now",
            "08/04/2024 08:00",
        ).exit_code
        == 0
    )
    assert engine.task_views(dien_bien, ids=[task.id])[0].state == "received"
    sweeper.sweep(dien_bien, at(11, 4))
    sweeper.sweep(dien_bien, at(13, 4))  # Saturday: 11 and 12 April have passed
    mine = sweeper.task_escalations(dien_bien, task.id)
    assert [(e["kind"], e["round"], e["resolved_at"] is None) for e in mine] == [
        ("nhắc nhở", 1, False),
        ("phê bình", 1, False),
        ("nhắc nhở", 2, True),
        ("phê bình", 2, True),
    ]
    shown = run("task", "show", str(task.id), "--lang", "vi")
    assert "nhắc nhở lần 2 → Triệu Thùy Chinh" in shown.output


def _issue(store, signer, number="31"):
    doc = {
        "subject": "Thống kê thiết bị dạy học",
        "number": number,
        "symbol": "PGDĐT-CSVC",
        "date": "2024-04-01",
        "recipient_levels": ["MN"],
        "deadlines": [{"text": "trước ngày 05/4/2024", "due": "2024-04-05T00:00:00+07:00"}],
        "signer": signer,
    }
    return engine.issue(
        store, directive_from_mapping(doc, "d.yaml"), "bao-cao", at(1, 4, 8), "tung-nt"
    )


def test_unknown_signer_falls_back_up_the_chain_and_says_so(dien_bien):
    _issue(
        dien_bien,
        {
            "name": "Trần Văn Vắng",
            "position": "PHÓ TRƯỞNG PHÒNG",
            "chain": [{"authority": "KT", "title": "TRƯỞNG PHÒNG"}],
        },
    )
    sweeper.sweep(dien_bien, at(10, 4))
    reprimands = [r for r in escalations(dien_bien) if r["kind"] == "phê bình"]
    assert reprimands and {r["person_id"] for r in reprimands} == {"tp-dien-bien"}
    assert reprimands[0]["note"] == (
        "người ký Trần Văn Vắng không có trong danh sách cán bộ → chuyển lên thủ trưởng mà "
        "người ký ký thay"
    )


def test_the_head_signing_escalates_to_the_parent_body(dien_bien):
    _issue(dien_bien, {"name": "Lò Văn Thắng", "position": "TRƯỞNG PHÒNG", "chain": []})
    sweeper.sweep(dien_bien, at(19, 4))
    rows = escalations(dien_bien)
    assert {r["person_id"] for r in rows if r["kind"] == "phê bình"} == {"tp-dien-bien"}
    top = {(r["person_id"], r["target_name"]) for r in rows if r["kind"] == "kiểm điểm"}
    assert top == {(None, "UBND huyện Điện Biên")}


def test_sweep_twice_creates_nothing_twice(dien_bien, issued, run):
    once = json.loads(run("sweep", "--now", "06/04/2024 08:00", "--json").output)
    assert once == {
        "overdue": 46,
        "generated": 0,
        "notifications": 5,
        "escalations": {"nhắc nhở": 46, "phê bình": 46, "kiểm điểm": 46},
    }
    again = json.loads(run("sweep", "--now", "06/04/2024 08:00", "--json").output)
    assert again == {"overdue": 0, "generated": 0, "notifications": 0, "escalations": {}}
    assert len(escalations(dien_bien)) == 46 * 3


def test_two_sweeps_at_once(dien_bien, issued, db_url):
    env = {**os.environ, "CHIDAO_DB": db_url, "CHIDAO_NOW": "06/04/2024 08:00"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "chidao", "sweep", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    results = [json.loads(out) for out, _err in outputs]
    # the two share the work (a task moved by one is skipped by the other), never double it
    assert sum(r["overdue"] for r in results) == 46
    assert len(escalations(dien_bien)) == 46 * 3
    with dien_bien.read() as conn:
        from sqlalchemy import func, select

        from chidao.store.schema import events, notifications

        assert conn.execute(select(func.count()).select_from(notifications)).scalar() == 5
        assert (
            conn.execute(
                select(func.count()).select_from(events).where(events.c.trigger == "mark_overdue")
            ).scalar()
            == 46
        )


def test_escalations_command(dien_bien, issued, run):
    run("sweep", "--now", "03/04/2024 08:00")
    result = run("escalations", "--open", "--person", "chinh-tt", "--json")
    rows = json.loads(result.output)
    assert rows and {r["reached"] for r in rows} == {"Triệu Thùy Chinh"}
    assert {r["unit"][:3] for r in rows} == {"mn-"}
    table = run(
        "escalations", "--directive", str(issued.directive_id), "--limit", "3", "--lang", "vi"
    )
    assert table.exit_code == 0 and "phê bình lần 1" in table.output
    unknown = run("escalations", "--person", "nobody")
    assert unknown.exit_code == 1 and unknown.output == (
        "Error: unknown person 'nobody' (not in any loaded org file)\n"
    )


# ----------------------------------------------------------------------------- notify


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def with_emails(tmp_path, dien_bien):
    text = (EXAMPLES / "org-dien-bien.yaml").read_text(encoding="utf-8")
    text = text.replace("    levels: [MN]\n", "    levels: [MN]\n    email: chinh.tt@pgd.example\n")
    org = tmp_path / "org.yaml"
    org.write_text(text, encoding="utf-8")
    engine.load_org_file(dien_bien, org, "tp-dien-bien")
    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt")
    sweeper.sweep(dien_bien, at(1, 4, 8))
    return dien_bien


def test_notify_over_smtp_keeps_failures_queued(with_emails, run):
    port = _free_port()
    smtp = (
        "notify",
        "--channel",
        "smtp",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-from",
        "pgd@pgd.example",
    )
    # nobody listens yet: everything stays queued, with the reason
    down = run(*smtp)
    assert down.exit_code == 2
    assert "0 notification(s) sent, 3 left queued" in down.output
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = run(*smtp, "--json")
    finally:
        controller.stop()
    # the MN specialist has an address and gets her mail; the other two have none
    assert up.exit_code == 2
    assert json.loads(up.output)["sent"] == 1
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "Triệu Thùy Chinh <chinh.tt@pgd.example>"
    assert mail["Subject"].startswith("[Nhắc nhở lần 1] 15 nhiệm vụ quá hạn chưa báo cáo")
    body = mail.get_content()
    assert "Kính gửi: Triệu Thùy Chinh" in body and "Trường Mầm non Hoa Ban" in body
    # the console channel delivers what SMTP could not, and nothing is sent twice
    console = run("notify")
    assert console.exit_code == 0 and "2 notification(s) sent, 0 left queued" in console.output
    assert "Tới: Ngô Văn Đô" in console.output
    assert "0 notification(s) sent, 0 left queued" in run("notify").output


def test_notify_needs_a_host(run):
    result = run("notify", "--channel", "smtp")
    assert result.exit_code == 1
    assert result.output == "Error: --channel smtp needs --smtp-host (or CHIDAO_SMTP_HOST)\n"


def test_a_sweep_batch_reads_only_its_own_tasks(dien_bien, issued, backend):
    """Each write statement of a batch reaches tasks by id, never through an index over
    every task in a state or of an office (SQLite's planner chose those and scanned the
    whole table once per batch: a 1M backlog took quadratic time)."""
    if backend != "sqlite":
        pytest.skip("SQLite's query planner (PostgreSQL's plans by its statistics)")
    plans: list[tuple[str, str]] = []

    def explain(conn, cursor, statement, params, context, executemany):
        if executemany or not statement.lstrip().startswith(("INSERT", "UPDATE")):
            return
        for row in cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", params):
            plans.append((statement.split("(")[0][:60], row[3]))

    event.listen(dien_bien.engine, "before_cursor_execute", explain)
    try:
        swept = sweeper.sweep(dien_bien, at(6, 4, 8), batch=10)
    finally:
        event.remove(dien_bien.engine, "before_cursor_execute", explain)
    assert swept.overdue == 46 and len(swept.escalations) == 3
    tasks_read = [(s, p) for s, p in plans if " tasks " in f" {p} " or p.endswith(" tasks")]
    assert tasks_read, plans
    for statement, plan in tasks_read:
        assert "PRIMARY KEY" in plan, (statement, plan)
    escalations_read = [p for _s, p in plans if "SEARCH escalations" in p]
    assert not [p for p in escalations_read if "ix_escalations_batch" in p], escalations_read
