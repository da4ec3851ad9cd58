"""The audit chain: intact after a real story, and every kind of tampering found.

Tampering is done as an attacker with the database's owner rights would: the append-only
trigger dropped (SQLite) or disabled (PostgreSQL), events edited, deleted or inserted by
raw SQL, and even every hash rebuilt by the published rule — which only an export kept
outside the database can catch.
"""

from __future__ import annotations

import json

import pendulum
import pytest

from chidao import audit, engine, extensions, sweeper
from chidao.clock import TZ
from chidao.store import Store


def at(day: int, month: int = 4, hour: int = 8) -> pendulum.DateTime:
    return pendulum.datetime(2024, month, day, hour, tz=TZ)


@pytest.fixture
def story(issued, dien_bien: Store) -> Store:
    """Schools start and report, one late; the sweep marks the rest; an extension."""
    units = _units(dien_bien, [1, 2, 3, 4])
    for task, unit in units.items():
        engine.fire(dien_bien, "start", [task], unit, at(27, 3))
    engine.fire(dien_bien, "report", [1], units[1], at(29, 3), note="Báo cáo [kế hoạch]")
    engine.fire(dien_bien, "report", [2], "tung-nt", at(29, 3, 9))  # on behalf of the school
    sweeper.sweep(dien_bien, at(3))
    engine.fire(dien_bien, "report", [3], units[3], at(4))
    extensions.extend_tasks(dien_bien, [4, 5], at(20, 4), "tung-nt", at(5), "Mất điện")
    sweeper.sweep(dien_bien, at(12))
    return dien_bien


def _units(store: Store, ids: list[int]) -> dict[int, str]:
    return {t.id: t.unit for t in engine.task_views(store) if t.id in ids}


def _tamper(store: Store, *statements: str) -> None:
    """Raw SQL with the append-only guard lifted, as only the tables' owner could."""
    with store.write() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
            conn.exec_driver_sql("DROP TRIGGER events_no_delete")
        for statement in statements:
            conn.exec_driver_sql(statement)


def _verify(run, *args: str):
    result = run("audit", "verify", *args)
    return result.exit_code, result.output.strip()


def test_a_real_story_verifies_intact(story, run):
    code, output = _verify(run)
    with story.read() as conn:
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
        unsigned = conn.exec_driver_sql("SELECT count(*) FROM events WHERE hash IS NULL").scalar()
        accounts = {r[0] for r in conn.exec_driver_sql("SELECT DISTINCT os_user FROM events")}
    assert events > 46 and unsigned == 0
    assert accounts == {audit.os_account()}  # who ran it, beside whom it names
    assert code == 0 and output.startswith(f"intact: {events} event(s) of 46 task(s); head ")
    data = json.loads(run("audit", "verify", "--json").output)
    assert data["intact"] and data["events"] == events and data["breaks"] == []


@pytest.mark.parametrize(
    "statements, broken",
    [
        (  # a late report made to look on time: the edited event itself is named
            ["UPDATE events SET at = '{early}' WHERE id = {last}"],
            "audit chain broken at task {task}, event {last} (position {pos}): does not match",
        ),
        (  # the "overdue" event of a task removed: the event after it is named
            ["DELETE FROM events WHERE id = {middle}"],
            "audit chain broken at task {task}, event {after_middle}",
        ),
        (  # the last event removed: the task's head no longer matches
            ["DELETE FROM events WHERE id = {last}"],
            "audit chain broken at task {task}, its end (position {pos}): its last event is "
            "missing",
        ),
        (  # an event slipped in, with a made-up hash
            [
                "INSERT INTO events (task_id, from_state, to_state, trigger, actor, at, note, "
                "hash) VALUES ({task}, 'implementing', 'reported', 'report', 'x', '{early}', "
                "'', '{fake}')"
            ],
            "audit chain broken at task {task}, event {new}",
        ),
    ],
    ids=["edit", "delete", "delete-last", "insert"],
)
def test_tampering_is_found(story, run, statements, broken):
    with story.read() as conn:
        rows = conn.exec_driver_sql("SELECT id FROM events WHERE task_id = 3 ORDER BY id").all()
        top = conn.exec_driver_sql("SELECT max(id) FROM events").scalar()
    ids = [r[0] for r in rows]
    assert len(ids) >= 3
    early = (
        "2024-03-29T08:00:00.000000+07:00"
        if story.engine.dialect.name == "sqlite"
        else ("2024-03-29 08:00:00+07")
    )
    values = {
        "task": 3,
        "last": ids[-1],
        "middle": ids[1],
        "after_middle": ids[2],
        "pos": len(ids) + 1,
        "early": early,
        "fake": "0" * 64,
        "new": top + 1,
    }
    before = _verify(run)
    assert before[0] == 0
    _tamper(story, *(s.format(**values) for s in statements))
    code, output = _verify(run)
    assert code == 1
    assert output.startswith("Error: " + broken.format(**values)), output
    assert len(output.splitlines()) == 1


def test_an_export_catches_a_history_rebuilt_by_the_rule(story, run, tmp_path):
    kept = tmp_path / "kept.jsonl"
    exported = run("audit", "export", str(kept))
    assert exported.exit_code == 0
    head = exported.output.split("head ")[1].strip()
    assert _verify(run)[1].endswith(f"head {head}")
    assert _verify(run, "--against", str(kept))[0] == 0
    # the forger rewrites a report's note and rebuilds every hash after it by the rule
    with story.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, task_id, from_state, to_state, trigger, actor, on_behalf_of, os_user, "
            "at, note, hash FROM events WHERE task_id = 1 ORDER BY id"
        ).all()
    prev, forged = "", []
    for position, row in enumerate(rows, start=2):
        link = audit.Link(*row[:8], pendulum.instance(_at(row[8])), row[9], row[10])
        if position == 3:
            link = audit.Link(*row[:8], pendulum.instance(_at(row[8])), "sửa lại", row[10])
        digest = link.expected(prev, position)
        forged.append((link.id, link.note, digest))
        prev = digest
    _tamper(
        story,
        *(
            f"UPDATE events SET note = '{note}', hash = '{digest}' WHERE id = {i}"
            for i, note, digest in forged
        ),
        f"UPDATE tasks SET head = '{prev}' WHERE id = 1",
    )
    assert _verify(run)[0] == 0  # the chain in the database holds again…
    code, output = _verify(run, "--against", str(kept))
    assert code == 1  # …but not against what was kept outside
    assert output == f"Error: event {forged[1][0]} of task 1 differs from the export (rewritten)"


def _at(value):
    if isinstance(value, str):
        return pendulum.parse(value)
    return value


def test_export_writes_only_regular_files(story, run, tmp_path):
    result = run("audit", "export", str(tmp_path))
    assert result.exit_code == 1
    assert "not a regular file" in result.output
    bad = tmp_path / "not-an-export.jsonl"
    bad.write_text("hello\n", encoding="utf-8")
    result = run("audit", "verify", "--against", str(bad))
    assert result.output.strip() == f"Error: {bad}: not a chidao audit export"


def test_history_only_moves_forward(issued, dien_bien, run):
    unit = _units(dien_bien, [7])[7]
    engine.fire(dien_bien, "start", [7], unit, at(10))
    refused = run("task", "fire", "report", "7", "--as", unit, "--now", "29/03/2024")
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: task 7: its last change is at 10/04/2024 08:00; a new one cannot be dated "
        "earlier (29/03/2024 00:00)\n"
    )
    # a sweep dated before the start leaves that task alone and marks the others
    swept = sweeper.sweep(dien_bien, at(5))
    assert swept.overdue == issued.tasks - 1
    assert {t.state for t in engine.task_views(dien_bien) if t.id == 7} == {"implementing"}
