"""The engine on a real database (each backend): fan-out, transitions, events, snapshots."""

from __future__ import annotations

import sqlite3

import pendulum
import pytest
import yaml
from conftest import EXAMPLES, ISSUED
from sqlalchemy.exc import DBAPIError

from chidao import engine, sweeper
from chidao.clock import TZ
from chidao.directive import directive_from_mapping, load_directive
from chidao.errors import (
    ConcurrentChange,
    DatabaseError,
    DuplicateDirective,
    InputError,
    NotFound,
    TransitionRefused,
)
from chidao.org import load_org
from chidao.store import Store
from chidao.store import tasks as tstore


def _levels_in_org(path):
    org = load_org(path)
    return org, {lv: sum(1 for u in org.units if lv in u.levels) for lv in ("MN", "TH", "THCS")}


def test_fan_out_counts_per_level(dien_bien, issued):
    org, per_level = _levels_in_org(EXAMPLES / "org-dien-bien.yaml")
    assert issued.tasks == issued.units == len(org.units) >= 40
    for level, expected in per_level.items():
        assert len(engine.task_views(dien_bien, level=level)) == expected
    # a TH&THCS school is one task, counted at both levels
    both = [u for u in org.units if set(u.levels) == {"TH", "THCS"}]
    assert both and len(engine.task_views(dien_bien, unit=both[0].code)) == 1
    due = {v.due for v in engine.task_views(dien_bien)}
    assert due == {pendulum.datetime(2024, 4, 1, tz=TZ)}


def test_fan_out_in_runs_for_progress_makes_each_task_once(dien_bien, monkeypatch):
    """With progress to show, the recipients go in runs (here of 7 units): every school
    gets its tasks once, and progress climbs to the number of schools."""
    from chidao.store import directives as dstore

    monkeypatch.setattr(dstore, "FAN_OUT_CHUNK", 7)
    doc = {
        "subject": "Theo từng đợt",
        "recipient_levels": ["MN", "TH", "THCS"],
        "deadlines": [
            {"item": "1", "due": "2024-04-05T17:00:00+07:00"},
            {"item": "2", "due": "2024-04-20T17:00:00+07:00"},
        ],
    }
    shown: list[tuple[int, int]] = []
    issued = engine.issue(
        dien_bien,
        directive_from_mapping(doc, "x.yaml"),
        "bao-cao",
        ISSUED,
        "tung-nt",
        progress=lambda done, total: shown.append((done, total)),
    )
    org, _ = _levels_in_org(EXAMPLES / "org-dien-bien.yaml")
    assert issued.tasks == 2 * len(org.units) and issued.units == len(org.units)
    assert len(shown) == -(-len(org.units) // 7)
    assert [done for done, _ in shown] == sorted(done for done, _ in shown)
    assert shown[-1] == (len(org.units), len(org.units))
    per_unit: dict[str, int] = {}
    for view in engine.task_views(dien_bien):
        per_unit[view.unit] = per_unit.get(view.unit, 0) + 1
    assert per_unit == {u.code: 2 for u in org.units}


def test_one_task_per_unit_per_deadline(dien_bien):
    doc = {
        "subject": "Hai lần báo cáo",
        "recipient_levels": ["MN"],
        "deadlines": [
            {"item": "1", "due": "2024-04-05T17:00:00+07:00"},
            {"item": "2", "due": "2024-04-20T17:00:00+07:00"},
        ],
    }
    issued = engine.issue(
        dien_bien, directive_from_mapping(doc, "x.yaml"), "bao-cao", ISSUED, "tung-nt"
    )
    org, per_level = _levels_in_org(EXAMPLES / "org-dien-bien.yaml")
    assert issued.tasks == 2 * per_level["MN"]
    assert issued.deliverables == 2


def test_default_deadline_counts_working_days(dien_bien):
    # issued Friday 12/04/2024: 10 working days skip Giỗ Tổ (18/04) and the 29/04–01/05
    # break → Thursday 02/05 end of day
    doc = {"subject": "Không hạn", "recipient_levels": ["THCS"], "date": "2024-04-12"}
    engine.issue(dien_bien, directive_from_mapping(doc, "x.yaml"), "bao-cao", ISSUED, "tung-nt")
    dues = {v.due for v in engine.task_views(dien_bien, level="THCS")}
    assert dues == {pendulum.datetime(2024, 5, 2, 23, 59, 59, tz=TZ)}


def test_explicit_units_and_unknown_ones(dien_bien):
    doc = {"subject": "Riêng hai trường", "units": ["mn-hoa-ban", "th-thanh-an"]}
    issued = engine.issue(
        dien_bien, directive_from_mapping(doc, "x.yaml"), "bao-cao", ISSUED, "tung-nt"
    )
    assert issued.tasks == 2
    doc["units"] = ["mn-hoa-ban", "truong-ma"]
    with pytest.raises(NotFound, match="unknown unit 'truong-ma'"):
        engine.issue(
            dien_bien,
            directive_from_mapping(doc, "y.yaml"),
            "bao-cao",
            ISSUED,
            "tung-nt",
            again=True,
        )


def test_duplicate_directive_refused_unless_again(dien_bien, issued):
    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    with pytest.raises(DuplicateDirective, match=r"was already issued \(id 1\); use --again"):
        engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt")
    again = engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt", again=True)
    assert again.directive_id == 2


def test_unknown_workflow(dien_bien):
    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    with pytest.raises(NotFound, match="unknown workflow 'bao-cao-x'"):
        engine.issue(dien_bien, directive, "bao-cao-x", ISSUED, "tung-nt")


def test_allowed_and_refused_transitions(dien_bien, issued):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    later = ISSUED.add(days=1)
    fired = engine.fire(
        dien_bien, "start", [task.id], "mn-hoa-ban", later, note="Đã xây dựng kế hoạch"
    )
    assert [(f.from_state, f.to_state) for f in fired] == [("received", "implementing")]
    with pytest.raises(
        TransitionRefused,
        match=r"«Đang thực hiện» \(implementing\): 'start' is not allowed from here; "
        "allowed for recipient: report",
    ):
        engine.fire(dien_bien, "start", [task.id], "mn-hoa-ban", later)
    with pytest.raises(
        TransitionRefused,
        match="belongs to unit mn-hoa-ban; th-thanh-an may act only on its own tasks",
    ):
        engine.fire(dien_bien, "report", [task.id], "th-thanh-an", later)
    with pytest.raises(TransitionRefused, match="'mark_overdue' is for the system, not the office"):
        engine.fire(dien_bien, "mark_overdue", [task.id], "tung-nt", later)
    with pytest.raises(NotFound, match="unknown actor 'ai-do'"):
        engine.fire(dien_bien, "report", [task.id], "ai-do", later)
    with pytest.raises(NotFound, match="task 9999 does not exist"):
        engine.fire(dien_bien, "report", [9999], "mn-hoa-ban", later)
    engine.fire(dien_bien, "report", [task.id], "mn-hoa-ban", later.add(days=1))
    view = engine.task_views(dien_bien, ids=[task.id])[0]
    assert view.state == "reported" and view.version == 3
    assert view.reported_at == later.add(days=1)
    events = engine.task_detail(dien_bien, task.id)[3]
    assert [(e.from_state, e.to_state, e.trigger, e.actor) for e in events] == [
        ("received", "implementing", "start", "mn-hoa-ban"),
        ("implementing", "reported", "report", "mn-hoa-ban"),
    ]
    assert events[0].note == "Đã xây dựng kế hoạch"


def test_many_tasks_fire_all_or_nothing(dien_bien, issued):
    mn = [v.id for v in engine.task_views(dien_bien, level="MN")]
    engine.fire(dien_bien, "start", mn[:1], "mn-hoa-ban", ISSUED.add(hours=1))
    engine.fire(
        dien_bien,
        "report",
        mn[1:2],
        engine.task_views(dien_bien, ids=mn[1:2])[0].unit,
        ISSUED.add(hours=1),
    )
    before = {v.id: (v.state, v.version) for v in engine.task_views(dien_bien, level="MN")}
    # one reported task in the batch: refused, and every task stays as it was
    with pytest.raises(TransitionRefused, match=f"task {mn[1]} is «Đã báo cáo»"):
        engine.fire(dien_bien, "mark_overdue", mn, "system", ISSUED.add(hours=2))
    assert {v.id: (v.state, v.version) for v in engine.task_views(dien_bien, level="MN")} == before
    open_ids = [i for i in mn if i != mn[1]]
    engine.fire(dien_bien, "mark_overdue", open_ids, "system", ISSUED.add(days=9))
    after = {v.id: (v.state, v.version) for v in engine.task_views(dien_bien, level="MN")}
    assert {after[i] for i in open_ids} <= {("overdue", 2), ("overdue", 3)}
    assert all(after[i][1] == before[i][1] + 1 for i in open_ids)
    assert after[mn[1]] == before[mn[1]]


BOOM = {
    "sqlite": [
        "CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE TRIGGER boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION boom()",
    ],
}


def test_event_failure_rolls_back_the_change(dien_bien, issued, backend):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    with dien_bien.engine.begin() as raw:
        for statement in BOOM[backend]:
            raw.exec_driver_sql(statement)
    with pytest.raises(DatabaseError, match="disk full"):
        engine.fire(dien_bien, "start", [task.id], "mn-hoa-ban", ISSUED.add(days=1))
    with dien_bien.engine.begin() as raw:
        raw.exec_driver_sql("DROP TRIGGER boom" + (" ON events" if backend != "sqlite" else ""))
    view = engine.task_views(dien_bien, ids=[task.id])[0]
    assert (view.state, view.version) == ("received", 1)
    assert engine.task_detail(dien_bien, task.id)[3] == []


def test_events_cannot_be_edited(dien_bien, issued):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    engine.fire(dien_bien, "start", [task.id], "mn-hoa-ban", ISSUED.add(days=1))
    before = engine.task_detail(dien_bien, task.id)[3]
    for statement in ("UPDATE events SET note = 'sửa'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="append-only"), dien_bien.engine.begin() as raw:
            raw.exec_driver_sql(statement)
    assert engine.task_detail(dien_bien, task.id)[3] == before != []


def test_two_sessions_second_is_refused(dien_bien, issued, db_url):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    other = Store.open(db_url)
    with dien_bien.read() as conn:
        mine = tstore.load_for_fire(conn, [task.id], "mn-hoa-ban")[0][0]
    with other.read() as conn:
        theirs = tstore.load_for_fire(conn, [task.id], "mn-hoa-ban")[0][0]
    now = ISSUED.add(days=1)
    with other.write() as conn:
        tstore.apply_change(
            conn,
            [
                tstore.Change(
                    row=theirs,
                    dest="implementing",
                    received_at=now,
                    due_at=theirs.due_at,
                    reported_at=None,
                    late_at=theirs.late_at,
                    due_seq=theirs.due_seq,
                    days_late=None,
                )
            ],
            "start",
            "mn-hoa-ban",
            "",
            now,
        )
    with pytest.raises(
        ConcurrentChange, match="someone else changed this task since it was read"
    ) as refused:
        with dien_bien.write() as conn:
            tstore.apply_change(
                conn,
                [
                    tstore.Change(
                        row=mine,
                        dest="reported",
                        received_at=now,
                        due_at=mine.due_at,
                        reported_at=now,
                        late_at=mine.late_at,
                        due_seq=mine.due_seq,
                        days_late=0,
                    )
                ],
                "report",
                "mn-hoa-ban",
                "",
                now,
            )
    assert refused.value.task == task.id  # a caller can ask which task
    view = engine.task_views(dien_bien, ids=[task.id])[0]
    assert (view.state, view.version) == ("implementing", 2)
    assert len(engine.task_detail(dien_bien, task.id)[3]) == 1
    with pytest.raises(NotFound) as missing:
        engine.task_detail(dien_bien, 99_999)
    assert (missing.value.kind, missing.value.key) == ("task", 99_999)
    other.close()


def test_editing_the_yaml_changes_only_new_directives(dien_bien, workflow_copy, monkeypatch):
    monkeypatch.setenv("CHIDAO_WORKFLOWS", str(workflow_copy))
    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    first = engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt")
    path = workflow_copy / "bao-cao.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["transitions"][0]["by"] = "office"  # only the office may start now
    doc["states"]["implementing"]["label"] = "Đang triển khai"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    second = engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt", again=True)
    assert (first.template_version, second.template_version) == (1, 2)
    old = engine.task_views(dien_bien, directive=str(first.directive_id), unit="mn-hoa-ban")[0]
    new = engine.task_views(dien_bien, directive=str(second.directive_id), unit="mn-hoa-ban")[0]
    fired = engine.fire(dien_bien, "start", [old.id], "mn-hoa-ban", ISSUED.add(days=1))
    assert fired[0].label == "Đang thực hiện"
    with pytest.raises(TransitionRefused, match="'start' is for the office, not the recipient"):
        engine.fire(dien_bien, "start", [new.id], "mn-hoa-ban", ISSUED.add(days=1))
    assert (
        engine.fire(dien_bien, "start", [new.id], "tung-nt", ISSUED.add(days=1))[0].label
        == "Đang triển khai"
    )


def test_sweep_marks_overdue_once(dien_bien, issued):
    task = engine.task_views(dien_bien, unit="mn-hoa-ban")[0]
    engine.fire(dien_bien, "report", [task.id], "mn-hoa-ban", ISSUED.add(days=2))
    assert sweeper.sweep(dien_bien, pendulum.datetime(2024, 3, 31, 23, tz=TZ)).overdue == 0
    moved = sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 1, 7, tz=TZ)).overdue
    assert moved == issued.tasks - 1
    assert sweeper.sweep(dien_bien, pendulum.datetime(2024, 4, 2, 7, tz=TZ)).overdue == 0
    late = engine.task_views(dien_bien, state="overdue")[0]
    history = engine.task_detail(dien_bien, late.id)[3]
    assert [(e.trigger, e.actor) for e in history] == [("mark_overdue", "system")]
    engine.fire(dien_bien, "report", [late.id], late.unit, pendulum.datetime(2024, 4, 3, 9, tz=TZ))
    assert engine.task_views(dien_bien, ids=[late.id])[0].state == "reported"


def test_relative_deadline_counts_from_each_receipt(dien_bien):
    doc = {
        "subject": "Tương đối",
        "recipient_levels": ["TH"],
        "deadlines": [
            {"item": "3", "relative": {"amount": 3, "unit": "working_days", "from": "receipt"}}
        ],
    }
    # received Friday 26/04/2024 08:00: 29/4 (bridge), 30/4, 1/5 are off; Saturday 4/5 is
    # worked in exchange → 2, 3, 4 May
    engine.issue(
        dien_bien,
        directive_from_mapping(doc, "x.yaml"),
        "bao-cao",
        pendulum.datetime(2024, 4, 26, 8, tz=TZ),
        "tung-nt",
    )
    assert {v.due for v in engine.task_views(dien_bien)} == {
        pendulum.datetime(2024, 5, 4, 23, 59, 59, tz=TZ)
    }


def test_database_that_is_not_chidao(tmp_path):
    other = tmp_path / "other.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE invoices (id INTEGER)")
    raw.commit()
    raw.close()
    with pytest.raises(
        DatabaseError, match="is not a chidao database \\(it holds other tables: invoices\\)"
    ):
        Store.open(f"sqlite:///{other}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\x01 this is not sqlite at all " * 100)
    with pytest.raises(
        DatabaseError, match="is not a chidao database \\(not an SQLite database file\\)"
    ):
        Store.open(str(junk))


def test_directive_file_missing_field(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("number: '12'\nrecipient_levels: [MN]\n", encoding="utf-8")
    with pytest.raises(InputError, match="d.yaml: required field 'subject' is missing"):
        load_directive(path)
    path.write_text("subject: Thiếu người nhận\n", encoding="utf-8")
    with pytest.raises(
        InputError, match="required field 'recipient_levels' \\(or 'units'\\) is missing"
    ):
        load_directive(path)
    path.write_text("subject: Sai cấp\nrecipient_levels: [MN, DH]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d.yaml:2: recipient_levels\[2\]: unknown level 'DH'"):
        load_directive(path)
