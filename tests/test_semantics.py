"""The workflow file is the whole truth: every move through the template, one meaning of
"reported", the office recording on behalf of a school, events, reminders, dates."""

from __future__ import annotations

import io
import json

import pendulum
import pytest
from conftest import EXAMPLES, ISSUED, TEMPLATES
from rich.console import Console

from chidao import chains, dashboard, engine, extensions, occurrences, report, sweeper
from chidao.clock import TZ, parse_due, read_moment
from chidao.directive import directive_from_mapping, load_directive
from chidao.errors import InputError, NotFound, TransitionRefused
from chidao.workflow import load_template, validate_files

CTXH = EXAMPLES / "directives" / "ctxh-2024.yaml"


def at(day: int, month: int, hour: int = 8, year: int = 2024) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, tz=TZ)


def _directive(**changes):
    base = {
        "office": "pgddt-dien-bien",
        "number": "99",
        "symbol": "PGDĐT-TH",
        "date": "2024-03-25",
        "subject": "kiểm tra quy trình",
        "recipient_levels": ["MN"],
        "signer": {
            "chain": [{"authority": "KT", "title": "TRƯỞNG PHÒNG"}],
            "position": "PHÓ TRƯỞNG PHÒNG",
            "name": "Nguyễn Thanh Tùng",
        },
    }
    base.update(changes)
    return directive_from_mapping(base, "test")


def _states(store, directive_id):
    return {t.id: t.state for t in engine.task_views(store, directive=str(directive_id))}


# ------------------------------------------------------------------ one meaning of reported


@pytest.fixture
def reviewed_chain(run, store):
    """The Sở asks the Phòng (bao-cao-tong-hop); the Phòng asks its MN schools with review."""
    assert (
        run(
            "org", "load", str(EXAMPLES / "org-so-dien-bien.yaml"), "--as", "gd-so-dien-bien"
        ).exit_code
        == 0
    )
    assert (
        run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien").exit_code
        == 0
    )
    so = engine.issue(
        store,
        load_directive(EXAMPLES / "directives" / "so-746-2024.yaml"),
        "bao-cao-tong-hop",
        at(21, 3),
        "pgd-so-dien-bien",
    )
    own = next(
        t
        for t in engine.task_views(store, directive=str(so.directive_id))
        if t.unit == "pgddt-dien-bien"
    )
    phong = engine.issue(store, _directive(), "bao-cao-tham-dinh", ISSUED, "tung-nt", parent=own.id)
    return so, own, phong


def _agree(store, so, own, phong, reported: int, parent_state: str, now):
    """Dashboard, report, chain and the parent task count the same schools as reported."""
    board = dashboard.build(store, now, dashboard.Options(directive=str(phong.directive_id)))
    (row,) = [d for d in board["directives"] if d["id"] == phong.directive_id] or [
        {"reported": phong.tasks}
    ]
    written = report.build(store, str(phong.directive_id), now)
    tree = chains.chain(store, str(so.directive_id), now)
    (child,) = tree["children"]
    assert row["reported"] == reported
    assert sum(1 for r in written["rows"] if r["category"] in ("on_time", "late")) == reported
    assert child["reported"] == reported
    assert chains.task_children(store, own.id) == (phong.tasks, reported)
    assert engine.task_views(store, ids=[own.id])[0].state == parent_state


def test_review_return_revise_accept_agree_everywhere(reviewed_chain, store):
    so, own, phong = reviewed_chain
    ids = sorted(_states(store, phong.directive_id))
    first, rest = ids[0], ids[1:]
    _agree(store, so, own, phong, 0, "received", at(26, 3))
    engine.fire(store, "report", ids, "tung-nt", at(26, 3))  # the office records for all
    _agree(store, so, own, phong, len(ids), "ready", at(26, 3))
    # one school's report is sent back: it is open again everywhere, and so is the roll-up
    engine.fire(store, "return_for_revision", [first], "tung-nt", at(27, 3))
    view = engine.task_views(store, ids=[first])[0]
    assert (view.state, view.reported_at, view.days_late) == ("revising", None, None)
    _agree(store, so, own, phong, len(ids) - 1, "ready", at(27, 3))
    engine.fire(store, "report", [first], "tung-nt", at(28, 3))
    engine.fire(store, "accept", ids, "tung-nt", at(29, 3))
    _agree(store, so, own, phong, len(ids), "ready", at(29, 3))
    assert rest


def test_on_children_reported_names_any_state_a_system_move_reaches(tmp_path):
    template, _ = load_template(TEMPLATES / "khac-ten.yaml")
    assert (template.on_children_reported, template.system_trigger_to("gom")) == ("gom", "gom_du")
    path = tmp_path / "bad.yaml"
    path.write_text(
        (TEMPLATES / "khac-ten.yaml")
        .read_text(encoding="utf-8")
        .replace("on_children_reported: gom", "on_children_reported: xong"),
        encoding="utf-8",
    )
    (problem,) = validate_files([path])
    assert "no transition 'by: system' reaches 'xong'" in problem


# ------------------------------------------------------------ a template with other names


def test_other_state_names_run_the_ladder_extension_and_dashboard(dien_bien):
    issued = engine.issue(
        dien_bien,
        _directive(deadlines=[{"item": "1", "due": "2024-04-05T00:00:00+07:00"}]),
        str(TEMPLATES / "khac-ten.yaml"),
        ISSUED,
        "tung-nt",
    )
    ids = sorted(_states(dien_bien, issued.directive_id))
    # due "trước ngày 05/04": on time through Thursday 04/04; reminder one working day before
    assert sweeper.sweep(dien_bien, at(2, 4)).escalations == {}
    assert sweeper.sweep(dien_bien, at(3, 4)).escalations == {"nhắc sắp đến hạn": len(ids)}
    late = sweeper.sweep(dien_bien, at(5, 4, 1))
    assert (late.overdue, late.escalations) == (len(ids), {"nhắc nhở": len(ids)})
    assert set(_states(dien_bien, issued.directive_id).values()) == {"tre"}
    assert sweeper.sweep(dien_bien, at(8, 4)).escalations == {"phê bình": len(ids)}
    board = dashboard.build(dien_bien, at(8, 4))
    (row,) = board["directives"]
    assert (row["overdue"], row["reported"], row["rung_kind"]) == (len(ids), 0, "phê bình")
    # the office extends: back to where each was before "tre", via the template's extend
    assert extensions.extend_tasks(dien_bien, ids[:2], at(20, 4), "tung-nt", at(8, 4)) == 2
    assert [_states(dien_bien, issued.directive_id)[i] for i in ids[:2]] == ["cho", "cho"]
    history = engine.task_detail(dien_bien, ids[0])[3]
    assert [(e.trigger, e.from_state, e.to_state) for e in history] == [
        ("qua_han", "cho", "tre"),
        ("extend", "tre", "cho"),
    ]
    # a school hands in: counted as reported by the flag, whatever the name
    engine.fire(
        dien_bien, "nop", [ids[0]], engine.task_views(dien_bien, ids=[ids[0]])[0].unit, at(9, 4)
    )
    (row,) = dashboard.build(dien_bien, at(9, 4))["directives"]
    assert row["reported"] == 1


def test_a_template_may_not_name_a_state_previous(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        (TEMPLATES / "khac-ten.yaml").read_text(encoding="utf-8").replace("  gom:", "  previous:"),
        encoding="utf-8",
    )
    assert any("'previous' is reserved" in p for p in validate_files([path]))


# ------------------------------------------------------------------ on behalf, and system


def test_the_office_records_a_report_on_behalf_of_a_school(dien_bien, issued, run):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    done = run(
        "task",
        "fire",
        "report",
        str(task.id),
        "--as",
        "tung-nt",
        "--now",
        "28/03/2024",
        "--note",
        "Nhận qua Zalo",
    )
    assert done.exit_code == 0, done.output
    (event,) = engine.task_detail(dien_bien, task.id)[3]
    assert (event.actor, event.on_behalf_of, event.actor_name) == (
        "tung-nt",
        "mn-hoa-ban",
        "Nguyễn Thanh Tùng",
    )
    assert event.who == "Nguyễn Thanh Tùng (tung-nt), ghi nhận thay mn-hoa-ban"
    shown = run("task", "history", str(task.id), "--json")
    assert json.loads(shown.output)[0]["on_behalf_of"] == "mn-hoa-ban"
    written = report.build(dien_bien, str(issued.directive_id), at(28, 3))
    row = next(r for r in written["rows"] if r["id"] == task.id)
    assert "ghi nhận thay: Nguyễn Thanh Tùng" in row["note"]
    # a trigger only for the school stays the school's
    other = engine.task_views(dien_bien, unit="mn-thanh-xuong")[0]
    with pytest.raises(TransitionRefused, match="'start' is for the recipient, not the office"):
        engine.fire(dien_bien, "start", [other.id], "tung-nt", at(28, 3))


def test_system_is_refused_from_the_command_line(dien_bien, issued, run):
    task = engine.task_views(dien_bien)[0]
    refused = run("task", "fire", "mark_overdue", str(task.id), "--as", "system")
    assert refused.exit_code == 1
    assert "'system' is the sweep's own name" in refused.output
    assert engine.task_views(dien_bien, ids=[task.id])[0].state == "received"


# ------------------------------------------------------------------------------ events


def test_a_deadline_from_an_event_waits_until_the_office_records_it(dien_bien, run):
    directive = _directive(
        deadlines=[
            {
                "item": "3",
                "text": "báo cáo trong 05 ngày làm việc kể từ khi kết thúc hội thi",
                "relative": {"amount": 5, "unit": "working_days", "from": "event"},
            }
        ]
    )
    issued = engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt")
    views = engine.task_views(dien_bien, directive=str(issued.directive_id))
    assert {v.due for v in views} == {None}
    # a year on: nothing is overdue, and the dashboard says what they wait for
    assert sweeper.sweep(dien_bien, at(25, 3, year=2025)).overdue == 0
    board = dashboard.build(dien_bien, at(1, 4))
    assert board["waiting"] == [
        {
            "directive_id": 1,
            "directive": "99/PGDĐT-TH",
            "event": "kết thúc hội thi",
            "tasks": len(views),
        }
    ]
    console = Console(file=io.StringIO(), width=100, record=True)
    console.print(dashboard.render(board, "vi", 100))
    assert "99/PGDĐT-TH chờ sự kiện «kết thúc hội thi»" in console.export_text()
    with pytest.raises(NotFound, match="no deadline counted from event «khai mạc»"):
        occurrences.record(dien_bien, "99/PGDĐT-TH", "khai mạc", at(5, 4), "tung-nt", at(6, 4))
    with pytest.raises(TransitionRefused, match="is an action of the office pgddt-dien-bien"):
        occurrences.record(
            dien_bien, "99/PGDĐT-TH", "kết thúc hội thi", at(5, 4), "mn-hoa-ban", at(6, 4)
        )
    done = run(
        "directive",
        "event",
        "99/PGDĐT-TH",
        "Kết thúc  hội thi",
        "--at",
        "05/04/2024 16h00",
        "--as",
        "tung-nt",
        "--now",
        "06/04/2024",
    )
    assert done.exit_code == 0, done.output
    assert f"{len(views)} task(s) now have a due" in done.output
    dues = {v.due for v in engine.task_views(dien_bien, directive=str(issued.directive_id))}
    # Friday 05/04 + 5 working days: 08, 09, 10, 11, 12/04
    assert dues == {pendulum.datetime(2024, 4, 12, 23, 59, 59, tz=TZ)}
    again = run(
        "directive",
        "event",
        "99/PGDĐT-TH",
        "kết thúc hội thi",
        "--at",
        "05/04/2024",
        "--as",
        "tung-nt",
        "--now",
        "06/04/2024",
    )
    assert again.exit_code == 1 and "already recorded" in again.output
    assert dashboard.build(dien_bien, at(8, 4))["waiting"] == []
    history = engine.task_detail(dien_bien, views[0].id)[3]
    assert [(e.trigger, e.actor) for e in history] == [("event", "tung-nt")]


# ------------------------------------------------------------------------------ reminders


def test_reminders_before_the_due_and_to_the_school_across_tet(dien_bien):
    """Due "trước ngày 24/02/2026": Tết 2026 (16–20/02 off) sits just before the due."""
    issued = engine.issue(
        dien_bien,
        _directive(
            date="2026-02-02", deadlines=[{"item": "1", "due": "2026-02-24T00:00:00+07:00"}]
        ),
        "bao-cao",
        at(2, 2, year=2026),
        "tung-nt",
    )
    n = issued.tasks
    # on time through Monday 23/02, the first working day after Tết; two working days
    # before it (Friday 13/02, then Thursday 12/02) the schools are reminded
    cal = engine.database_calendar(dien_bien, None)
    assert not any(cal.is_working_day(pendulum.date(2026, 2, d)) for d in range(16, 21))
    assert sweeper.sweep(dien_bien, at(11, 2, year=2026)).escalations == {}
    early = sweeper.sweep(dien_bien, at(12, 2, year=2026))
    assert early.escalations == {"nhắc trước hạn": n} and early.notifications == n
    outbox = sweeper.outbox(dien_bien)
    hoa_ban = next(m for m in outbox if m["recipient"] == "Trường Mầm non Hoa Ban (mn-hoa-ban)")
    assert "nhắc trước hạn" in hoa_ban["subject"] or "nhắc trước hạn" in hoa_ban["body"]
    assert sweeper.sweep(dien_bien, at(22, 2, year=2026)).escalations == {}
    assert sweeper.sweep(dien_bien, at(24, 2, year=2026)).escalations == {"nhắc nhở": n}


def test_a_school_that_never_acknowledges_receipt_is_chased(dien_bien, run):
    issued = engine.issue(
        dien_bien,
        _directive(
            deadlines=[
                {"item": "1", "relative": {"amount": 5, "unit": "working_days", "from": "receipt"}}
            ]
        ),
        "bao-cao-xac-nhan",
        ISSUED,
        "tung-nt",
    )
    views = engine.task_views(dien_bien, directive=str(issued.directive_id))
    assert {(v.state, v.due) for v in views} == {("sent", None)}
    quick = views[0]
    engine.fire(dien_bien, "acknowledge", [quick.id], quick.unit, at(26, 3))
    assert engine.task_views(dien_bien, ids=[quick.id])[0].due == pendulum.datetime(
        2024, 4, 2, 23, 59, 59, tz=TZ
    )
    # issued Monday 25/03: two working days old on Wednesday 27/03
    assert sweeper.sweep(dien_bien, at(26, 3, 17)).escalations == {}
    chased = sweeper.sweep(dien_bien, at(27, 3))
    assert chased.escalations == {"nhắc xác nhận đã nhận": len(views) - 1}
    assert quick.id not in {e["task_id"] for e in sweeper.escalation_listing(dien_bien)}
    # Friday 29/03: the unreceived are chased further; the one that acknowledged is due
    # Tuesday 02/04, two working days away, and is reminded itself
    assert sweeper.sweep(dien_bien, at(29, 3)).escalations == {
        "chưa xác nhận đã nhận": len(views) - 1,
        "nhắc trước hạn": 1,
    }
    # never swept to overdue: it has no due until it is acknowledged
    assert sweeper.sweep(dien_bien, at(30, 4)).overdue == 1


# ------------------------------------------------------------------------------ extensions


def test_directive_extend_never_shortens_an_individual_extension(dien_bien, issued, run):
    ids = sorted(_states(dien_bien, issued.directive_id))
    assert (
        run(
            "task",
            "extend",
            str(ids[0]),
            "--to",
            "30/04/2024 16h00",
            "--as",
            "tung-nt",
            "--now",
            "28/03/2024",
        ).exit_code
        == 0
    )
    view = engine.task_views(dien_bien, ids=[ids[0]])[0]
    assert view.due == pendulum.datetime(2024, 4, 30, 16, tz=TZ)  # the time is kept
    done = run(
        "directive",
        "extend",
        str(issued.directive_id),
        "--to",
        "26/04",
        "--as",
        "tung-nt",
        "--now",
        "29/03/2024",
    )
    assert done.exit_code == 0, done.output
    assert f"{len(ids) - 1} open task(s) now due 26/04/2024 23:59" in done.output
    assert "1 already due later" in done.output
    assert engine.task_views(dien_bien, ids=[ids[0]])[0].due == view.due
    assert engine.task_views(dien_bien, ids=[ids[1]])[0].due == pendulum.datetime(
        2024, 4, 26, 23, 59, 59, tz=TZ
    )


def test_pending_extension_requests_show_everywhere(dien_bien, issued, run):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    asked = run(
        "task",
        "request-extension",
        str(task.id),
        "--to",
        "10/04/2024",
        "--as",
        "mn-hoa-ban",
        "--now",
        "28/03/2024",
        "--note",
        "Chờ số liệu",
    )
    assert asked.exit_code == 0, asked.output
    shown = run("task", "show", str(task.id), "--now", "28/03/2024", "--lang", "vi")
    assert "Chờ duyệt gia hạn" in shown.output and "Chờ số liệu" in shown.output
    listed = run("task", "list", "--pending-extension", "--json")
    assert [t["id"] for t in json.loads(listed.output)] == [task.id]
    board = dashboard.build(dien_bien, at(28, 3))
    assert board["pending_extensions_total"] == 1
    assert board["pending_extensions"][0]["id"] == task.id


# ------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("text", "expected", "timed"),
    [
        ("30/09/2024", (2024, 9, 30, 0, 0), False),
        ("30/9/2024", (2024, 9, 30, 0, 0), False),
        ("30/09", (2024, 9, 30, 0, 0), False),
        ("30/09/2024 16h00", (2024, 9, 30, 16, 0), True),
        ("30/09/2024 16h", (2024, 9, 30, 16, 0), True),
        ("30/09/2024 16:00", (2024, 9, 30, 16, 0), True),
        ("30/09/2024, 9h30", (2024, 9, 30, 9, 30), True),
        ("2024-09-30", (2024, 9, 30, 0, 0), False),
        ("2024-09-30T16:00:00+07:00", (2024, 9, 30, 16, 0), True),
    ],
)
def test_every_date_form_reads_one_way(text, expected, timed):
    moment, has_time = read_moment(text, "--to", year=2024)
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == expected
    assert has_time is timed
    due = parse_due(text, "--to", year=2024)
    assert (due.hour, due.minute) == ((expected[3], expected[4]) if timed else (23, 59))


@pytest.mark.parametrize("text", ["31/02/2024", "30/09/99999", "hôm qua", "30/09/1800"])
def test_bad_dates_are_one_clear_error(text):
    with pytest.raises(InputError, match="--to"):
        read_moment(text, "--to", year=2024)
