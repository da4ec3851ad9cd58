"""Working days, due times per task, recurring periods, grace and extensions."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from conftest import EXAMPLES, ISSUED, WORKFLOWS
from hypothesis import given, settings
from hypothesis import strategies as st

from chidao import engine, extensions, sweeper
from chidao.calendar import DAYS, WORKING_DAYS, Duration, WorkCalendar, calendar_from_config
from chidao.clock import TZ
from chidao.deadlines import school_year_end
from chidao.directive import directive_from_mapping, load_directive
from chidao.errors import InputError, TransitionRefused

CAL = WorkCalendar()


def end(day: int, month: int, year: int) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, 23, 59, 59, tz=TZ)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        # Tết 2024: 08/02–14/02 off (with the weekend in between)
        ((7, 2, 2024), 3, WORKING_DAYS, end(19, 2, 2024)),
        # Tết 2025: the issue's own example, Friday 24/01 + 5 → Friday 07/02
        ((24, 1, 2025), 5, WORKING_DAYS, end(7, 2, 2025)),
        # Tết 2026: 16/02–20/02 off, weekends on both sides
        ((13, 2, 2026), 1, WORKING_DAYS, end(23, 2, 2026)),
        # 30/4–1/5 2024 with the bridge day 29/04, paid back by working Saturday 04/05
        ((26, 4, 2024), 2, WORKING_DAYS, end(3, 5, 2024)),
        ((26, 4, 2024), 3, WORKING_DAYS, end(4, 5, 2024)),
        # 2/9 2025: Monday 1/9 and Tuesday 2/9 off
        ((29, 8, 2025), 1, WORKING_DAYS, end(3, 9, 2025)),
        # 2026: Saturday 22/08 worked for the bridge day Monday 31/08
        ((21, 8, 2026), 1, WORKING_DAYS, end(22, 8, 2026)),
        ((28, 8, 2026), 1, WORKING_DAYS, end(3, 9, 2026)),
        # calendar days: the last day (01/05/2025) is off → end of the next working day
        ((28, 4, 2025), 3, DAYS, end(5, 5, 2025)),
        ((3, 3, 2025), 4, DAYS, end(7, 3, 2025)),
    ],
)
def test_civil_code_counting_across_holidays(start, amount, unit, due):
    day, month, year = start
    begin = pendulum.datetime(year, month, day, 16, 30, tz=TZ)
    assert CAL.due_after(begin, Duration(amount, unit)) == due


@settings(max_examples=60, deadline=None)
@given(
    st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31)), st.integers(min_value=0, max_value=400)
)
def test_ordinal_differences_count_working_days(first, span):
    last = first + dt.timedelta(days=span)
    counted = sum(CAL.is_working_day(first + dt.timedelta(days=n)) for n in range(1, span + 1))
    assert CAL.ordinal(last) - CAL.ordinal(first) == counted


def test_due_seq_is_the_last_day_on_time():
    # "trước ngày 01/4/2024" = 00:00 of 01/04: the last day on time is Sunday 31/03
    assert CAL.due_seq(pendulum.datetime(2024, 4, 1, tz=TZ)) == CAL.ordinal(dt.date(2024, 3, 31))
    assert CAL.due_seq(end(1, 4, 2024)) == CAL.ordinal(dt.date(2024, 4, 1))
    assert CAL.due_seq(pendulum.datetime(2024, 4, 1, 16, tz=TZ)) == CAL.ordinal(dt.date(2024, 4, 1))


def test_office_overrides_win_over_the_package():
    # an office announces Friday 03/05/2024 off and Saturday 11/05/2024 worked
    cal = calendar_from_config({"days_off": ["03/05/2024"], "working_days": ["2024-05-11"]})
    assert CAL.due_after(pendulum.datetime(2024, 4, 26, tz=TZ), Duration(2, WORKING_DAYS)) == end(
        3, 5, 2024
    )
    assert cal.due_after(pendulum.datetime(2024, 4, 26, tz=TZ), Duration(2, WORKING_DAYS)) == end(
        4, 5, 2024
    )
    assert cal.is_working_day(dt.date(2024, 5, 11)) and not CAL.is_working_day(dt.date(2024, 5, 11))
    assert (dt.date(2024, 5, 3), "Nghỉ theo thông báo của cơ quan") in cal.days_off_in(2024)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"days_off": ["31/02/2025"]}, "calendar.days_off: '31/02/2025' is not a date"),
        (
            {"days_off": ["02/05/2025"], "working_days": ["02/05/2025"]},
            "02/05/2025 is listed both as a day off and as a working day",
        ),
        ({"holidays": []}, "unknown calendar key 'holidays'"),
    ],
)
def test_bad_overrides_are_refused(config, message):
    with pytest.raises(InputError, match=message):
        calendar_from_config(config, "org.yaml:7")


def test_calendar_cli(run, tmp_path):
    result = run("calendar", "due", "24/01/2025", "5", "--lang", "vi")
    assert result.exit_code == 0
    assert "hạn Thứ Sáu 07/02/2025 23:59:59" in result.output
    assert "Mùng ba Tết Nguyên Đán" in result.output
    shown = run("calendar", "show", "2024", "--json")
    days = {d["date"]: d["name"] for d in __import__("json").loads(shown.output)}
    assert days["2024-04-29"].startswith("Ngày nghỉ (thay cho")
    assert days["2024-05-04"].startswith("Làm việc bù")
    assert "2024-02-10" in days and "2024-09-02" in days
    # the org file's overrides, from the file or from the database it was loaded into
    org = tmp_path / "org.yaml"
    text = (EXAMPLES / "org-dien-bien.yaml").read_text(encoding="utf-8")
    org.write_text(text.replace("  days_off: []", "  days_off: [06/02/2025]"), encoding="utf-8")
    assert (
        "10/02/2025 23:59:59" in run("calendar", "due", "24/01/2025", "5", "--org", str(org)).output
    )
    assert run("org", "load", str(org), "--as", "tp-dien-bien").exit_code == 0
    assert "10/02/2025 23:59:59" in run("calendar", "due", "24/01/2025", "5").output
    # 5 calendar days end on 29/01 (Tết): the end of the next working day, Monday 03/02
    assert (
        "03/02/2025 23:59:59" in run("calendar", "due", "24/01/2025", "5", "--calendar-days").output
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("  days_off: []", "  days_off: [30/02/2025]"), encoding="utf-8")
    result = run("calendar", "show", "2025", "--org", str(bad))
    assert result.exit_code == 1
    assert (
        result.output.startswith(f"Error: {bad}:") and "'30/02/2025' is not a date" in result.output
    )


# ----------------------------------------------------------------------------- due per task


def _template(tmp_path, **changes) -> str:
    text = (WORKFLOWS / "bao-cao.yaml").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "custom.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_relative_due_waits_for_each_schools_receipt(dien_bien, tmp_path):
    workflow = _template(
        tmp_path,
        **{
            "receipt: automatic": "receipt: acknowledge",
            "transitions:\n": "transitions:\n  - {trigger: acknowledge, source: received, dest: "
            "received, by: recipient}\n",
        },
    )
    doc = {
        "subject": "Rà soát học sinh",
        "date": "2024-04-10",
        "recipient_levels": ["MN"],
        "deadlines": [{"relative": {"amount": 5, "unit": "working_days", "from": "receipt"}}],
    }
    engine.issue(
        dien_bien,
        directive_from_mapping(doc, "d.yaml"),
        workflow,
        pendulum.datetime(2024, 4, 10, 8, tz=TZ),
        "tung-nt",
    )
    first, second, third = engine.task_views(dien_bien)[:3]
    assert {first.due, second.due, third.due} == {None}
    engine.fire(
        dien_bien, "acknowledge", [first.id], first.unit, pendulum.datetime(2024, 4, 11, 9, tz=TZ)
    )
    engine.fire(
        dien_bien, "acknowledge", [second.id], second.unit, pendulum.datetime(2024, 4, 12, 9, tz=TZ)
    )
    due = {v.id: v.due for v in engine.task_views(dien_bien, ids=[first.id, second.id, third.id])}
    # 11/04 + 5 working days: 12, 15, 16, 17, (18 Giỗ Tổ) 19 → 19/04; 12/04 + 5 → 22/04
    assert due == {first.id: end(19, 4, 2024), second.id: end(22, 4, 2024), third.id: None}
    # a task without a due is never swept into overdue
    swept = sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 20, 8, tz=TZ))
    assert swept.overdue == 1
    assert engine.task_views(dien_bien, ids=[third.id])[0].state == "received"


def test_grace_delays_overdue_and_lateness_is_counted_from_the_due(dien_bien, tmp_path):
    workflow = _template(tmp_path, **{"grace: 0 days": "grace: 2 working days"})
    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    engine.issue(dien_bien, directive, workflow, ISSUED, "tung-nt")
    # due 00:00 01/04 (Monday); grace of two working days ends 23:59:59 Wednesday 03/04
    assert sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 3, 23, tz=TZ)).overdue == 0
    swept = sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 4, 7, tz=TZ))
    assert swept.overdue == 46
    # rung 1 (at due) and rung 2 (2 working days after due) come together, the day grace ends
    assert swept.escalations == {"nhắc nhở": 46, "phê bình": 46}
    late = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    engine.fire(
        dien_bien, "report", [late.id], "mn-hoa-ban", pendulum.datetime(2024, 4, 4, 9, tz=TZ)
    )
    view = engine.task_views(dien_bien, ids=[late.id])[0]
    assert (view.state, view.days_late) == ("reported", 4)  # 1, 2, 3, 4 April


def test_on_time_report_is_zero_days_late(dien_bien, issued):
    task = engine.task_views(dien_bien, unit="th-thanh-xuong")[0]
    engine.fire(
        dien_bien, "report", [task.id], "th-thanh-xuong", pendulum.datetime(2024, 3, 29, 16, tz=TZ)
    )
    assert engine.task_views(dien_bien, ids=[task.id])[0].days_late == 0


def test_recurring_reports_over_a_school_year(dien_bien, run):
    doc = {
        "subject": "Báo cáo tình hình đi học chuyên cần",
        "number": "215",
        "symbol": "PGDĐT-GDTH",
        "date": "2024-09-10",
        "recipient_levels": ["TH"],
        "deadlines": [
            {
                "item": "3",
                "text": "trước ngày 25 hằng tháng",
                "recurring": {"every": "month", "day": 25},
            }
        ],
    }
    issued = engine.issue(
        dien_bien,
        directive_from_mapping(doc, "d.yaml"),
        "bao-cao",
        pendulum.datetime(2024, 9, 10, 8, tz=TZ),
        "tung-nt",
    )
    units = issued.units
    assert issued.tasks == units
    # nothing new before the look-ahead (7 days) reaches 25/10 …
    assert sweeper.sweep(dien_bien, pendulum.datetime(2024, 10, 17, 8, tz=TZ)).generated == 0
    # … then one task per unit for that period, and only once
    assert sweeper.sweep(dien_bien, pendulum.datetime(2024, 10, 18, 8, tz=TZ)).generated == units
    assert sweeper.sweep(dien_bien, pendulum.datetime(2024, 10, 18, 9, tz=TZ)).generated == 0
    # a sweep long after catches up every period and stops at the school year's end (31/05)
    result = run("sweep", "--now", "01/08/2025 08:00", "--json")
    assert result.exit_code == 0, result.output
    tasks = engine.task_views(dien_bien, directive="215/PGDĐT-GDTH")
    periods = sorted({t.period for t in tasks})
    assert periods == [
        "2024-09-25",
        "2024-10-25",
        "2024-11-25",
        "2024-12-25",
        "2025-01-25",
        "2025-02-25",
        "2025-03-25",
        "2025-04-25",
        "2025-05-25",
    ]
    assert len(tasks) == 9 * units
    assert {t.due for t in tasks if t.period == "2025-01-25"} == {
        pendulum.datetime(2025, 1, 25, tz=TZ)
    }
    assert school_year_end(dt.date(2024, 9, 10)) == dt.date(2025, 5, 31)


def test_recurring_until_and_quarterly(dien_bien, run, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(
        "subject: Báo cáo quý\nnumber: '9'\nsymbol: PGDĐT-VP\ndate: 05/01/2025\n"
        "recipient_levels: [THCS]\ndeadlines:\n"
        "  - {text: 'hằng quý, trước ngày 20 của tháng cuối quý',"
        " recurring: {every: quarter, day: 20}}\n",
        encoding="utf-8",
    )
    result = run(
        "directive",
        "issue",
        str(path),
        "-w",
        "bao-cao",
        "--until",
        "30/09/2025",
        "--now",
        "06/01/2025 08:00",
        "--as",
        "tung-nt",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    run("sweep", "--now", "01/01/2026 08:00")
    periods = sorted({t.period for t in engine.task_views(dien_bien, directive="9/PGDĐT-VP")})
    assert periods == ["2025-03-20", "2025-06-20", "2025-09-20"]
    result = run(
        "directive",
        "issue",
        str(path),
        "-w",
        "bao-cao",
        "--until",
        "01/02/2025",
        "--again",
        "--now",
        "06/01/2025 08:00",
        "--as",
        "tung-nt",
        "--yes",
    )
    assert result.exit_code == 1
    assert (
        "recurring reports end on 01/02/2025, before their first period (20/03/2025)"
        in result.output
    )


# ----------------------------------------------------------------------------- extensions


def test_office_extends_tasks_and_a_whole_directive(dien_bien, issued, run):
    sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 3, 8, tz=TZ))
    late = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    assert late.state == "overdue"
    result = run(
        "task",
        "extend",
        str(late.id),
        "--to",
        "10/04/2024",
        "--note",
        "Mất điện",
        "--now",
        "03/04/2024 09:00",
        "--as",
        "tung-nt",
    )
    assert result.exit_code == 0, result.output
    view = engine.task_views(dien_bien, ids=[late.id])[0]
    assert (view.state, view.due) == ("received", end(10, 4, 2024))
    history = engine.task_detail(dien_bien, late.id)[3]
    assert [(e.trigger, e.from_state, e.to_state, e.note) for e in history][-1] == (
        "extend",
        "overdue",
        "received",
        "Mất điện",
    )
    assert all(e["resolved_at"] for e in sweeper.task_escalations(dien_bien, late.id))
    # a school may not extend; a date in the past is refused
    refused = run(
        "task",
        "extend",
        str(late.id),
        "--to",
        "12/04/2024",
        "--as",
        "mn-hoa-ban",
        "--now",
        "03/04/2024 09:00",
    )
    assert refused.exit_code == 1 and "is an action of the office pgddt-dien-bien" in refused.output
    past = run(
        "task",
        "extend",
        str(late.id),
        "--to",
        "02/04/2024",
        "--as",
        "tung-nt",
        "--now",
        "03/04/2024 09:00",
    )
    assert past.exit_code == 1
    assert (
        "cannot extend to 02/04/2024 23:59, which is not after now (03/04/2024 09:00)"
        in past.output
    )
    # the whole directive: every open task, in one go
    result = run(
        "directive",
        "extend",
        str(issued.directive_id),
        "--to",
        "15/04/2024",
        "--as",
        "tung-nt",
        "--now",
        "03/04/2024 10:00",
    )
    assert result.exit_code == 0 and "46 open task(s) now due 15/04/2024 23:59" in result.output
    assert {v.state for v in engine.task_views(dien_bien)} == {"received"}


def test_request_grant_and_refuse_an_extension(dien_bien, issued, run):
    hoa_ban = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    xuong = engine.task_views(dien_bien, unit="mn-thanh-xuong")[0]
    ask = ("--now", "28/03/2024 08:00")
    assert (
        run(
            "task",
            "request-extension",
            str(hoa_ban.id),
            "--to",
            "05/04/2024",
            "--note",
            "Chờ số liệu",
            "--as",
            "mn-hoa-ban",
            *ask,
        ).exit_code
        == 0
    )
    other = run(
        "task",
        "request-extension",
        str(hoa_ban.id),
        "--to",
        "05/04/2024",
        "--as",
        "mn-thanh-xuong",
        *ask,
    )
    assert other.exit_code == 1 and "only its unit mn-hoa-ban" in other.output
    assert (
        run(
            "task",
            "request-extension",
            str(xuong.id),
            "--to",
            "06/04/2024",
            "--as",
            "mn-thanh-xuong",
            *ask,
        ).exit_code
        == 0
    )
    granted = run("task", "grant", str(hoa_ban.id), "--as", "tung-nt", "--now", "29/03/2024 08:00")
    assert granted.exit_code == 0 and "now due 05/04/2024 23:59" in granted.output
    refused = run(
        "task",
        "refuse",
        str(xuong.id),
        "--note",
        "Hạn chung của Sở",
        "--as",
        "tung-nt",
        "--now",
        "29/03/2024 08:00",
    )
    assert refused.exit_code == 0
    assert engine.task_views(dien_bien, ids=[xuong.id])[0].due == pendulum.datetime(
        2024, 4, 1, tz=TZ
    )
    triggers = [e.trigger for e in engine.task_detail(dien_bien, hoa_ban.id)[3]]
    assert triggers == ["request_extension", "extend"]
    assert [e.trigger for e in engine.task_detail(dien_bien, xuong.id)[3]] == [
        "request_extension",
        "refuse_extension",
    ]
    # after the due it is too late to ask; nothing waiting cannot be granted
    late = run(
        "task",
        "request-extension",
        str(xuong.id),
        "--to",
        "09/04/2024",
        "--as",
        "mn-thanh-xuong",
        "--now",
        "02/04/2024 08:00",
    )
    assert late.exit_code == 1 and "must be asked for before the due" in late.output
    with pytest.raises(Exception, match="has no extension request waiting"):
        extensions.decide_extension(
            dien_bien,
            xuong.id,
            grant=True,
            actor="tung-nt",
            now=pendulum.datetime(2024, 4, 2, tz=TZ),
        )


def test_reported_task_cannot_be_extended(dien_bien, issued):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    engine.fire(dien_bien, "report", [task.id], "mn-hoa-ban", ISSUED.add(days=1))
    with pytest.raises(TransitionRefused, match="is already «Đã báo cáo»: nothing to extend"):
        extensions.extend_tasks(
            dien_bien, [task.id], end(10, 4, 2024), "tung-nt", ISSUED.add(days=2)
        )


def test_due_before_the_directives_date_is_refused(dien_bien, run, tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(
        "subject: Sai hạn\nnumber: '40'\nsymbol: PGDĐT-VP\ndate: 10/04/2024\n"
        "recipient_levels: [MN]\ndeadlines:\n  - {item: '2', due: 01/04/2024}\n",
        encoding="utf-8",
    )
    result = run(
        "directive",
        "issue",
        str(path),
        "-w",
        "bao-cao",
        "--as",
        "tung-nt",
        "--now",
        "10/04/2024 08:00",
        "--yes",
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: deadline 2 due 01/04/2024 is before the directive's date 10/04/2024\n"
    )
    assert engine.directive_listing(dien_bien)[0] == []
