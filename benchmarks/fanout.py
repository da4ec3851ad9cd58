"""Fan-out and single transitions: the engine beside hand-written raw sqlite3 floors.

    python benchmarks/fanout.py [--quick] [--sizes 5000,50000,200000] [--fires 2000]
                                [--runs 5] [--no-peers]

1. Fan-out: one directive to N schools through ``engine.issue`` (template snapshot,
   directive, deliverable, every task, one transaction). Floor: raw ``sqlite3`` writing the
   same template, directive and deliverable rows and then one INSERT … SELECT of the same
   task columns from the schools table (due, late and working-day ordinal computed before
   its timer).
2. Transitions: M ``engine.fire`` calls of ``start``, one task and one transaction each.
   Floor: per transaction a SELECT of the task, a version-checked UPDATE and an event INSERT.
3. Peer (``--no-peers`` to skip): ``benchmarks/naive.py``, a ``transitions.Machine`` per
   task on SQLAlchemy ORM objects, fanning out to 50,000 schools.

Each side runs ``--runs`` times in fresh processes, taking turns; the rows both produced
are compared by digest. Goals: fan-out ≤ 1.5× its floor, a transition ≤ 2× its floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import common
import data

TH = ("[TH]",)
DUE = "2024-09-30T17:00:00+07:00"
TASK_COLUMNS = (
    "unit_code, period, state, version, due_at, late_at, due_seq, received_at, reported_at,"
    " days_late, rung, created_at, updated_at"
)
NOW_TEXT = data.ISSUED.isoformat(timespec="microseconds")


def engine_fan_out(path: str) -> tuple[float, str]:
    import pendulum

    from chidao import engine
    from chidao.store import Store

    store = Store.open(f"sqlite:///{path}")
    doc = data.directive(0, None, pendulum.parse(DUE), levels=["TH"])
    start = time.perf_counter()
    engine.issue(store, doc, "bao-cao", data.ISSUED, "deputy")
    took = time.perf_counter() - start
    store.close()
    return took, _task_digest(path)


def _task_digest(path: str) -> str:
    db = common.raw(path)
    try:
        return common.digest_rows(db, f"SELECT {TASK_COLUMNS} FROM tasks ORDER BY unit_code")
    finally:
        db.close()


def floor_fan_out(path: str) -> tuple[float, str]:
    """What a person writes: three header rows, then INSERT … SELECT of the tasks."""
    from chidao.calendar import WorkCalendar
    from chidao.clock import aware

    due = aware(DUE)
    due_text, seq = due.isoformat(timespec="microseconds"), WorkCalendar().due_seq(due)
    db = common.raw(path)
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    template = db.execute(
        "INSERT INTO templates (name, version, content_hash, title, source, spec, created_at)"
        " VALUES ('bao-cao-floor', 1, 'h', 't', '', '{}', ?)",
        (NOW_TEXT,),
    ).lastrowid
    directive = db.execute(
        "INSERT INTO directives (office_code, subject, recipient_levels, document, template_id,"
        " issued_at, issued_by) VALUES (?, 'Văn bản thử số 0', 'TH', '{}', ?, ?, 'deputy')",
        (data.OFFICE, template, NOW_TEXT),
    ).lastrowid
    deliverable = db.execute(
        "INSERT INTO deliverables (directive_id, seq, text, due_at) VALUES (?, 1, '', ?)",
        (directive, due_text),
    ).lastrowid
    db.execute(
        "INSERT INTO tasks (directive_id, deliverable_id, unit_code, period, state, version,"
        " due_at, late_at, due_seq, received_at, rung, created_at, updated_at)"
        " SELECT ?, ?, l.unit_code, '', 'received', 1, ?, ?, ?, ?, 0, ?, ?"
        " FROM unit_levels l JOIN units u ON u.code = l.unit_code"
        " WHERE l.level = 'TH' AND u.office_code = ?",
        (
            directive,
            deliverable,
            due_text,
            due_text,
            seq,
            NOW_TEXT,
            NOW_TEXT,
            NOW_TEXT,
            data.OFFICE,
        ),
    )
    db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    return took, _task_digest(path)


def engine_fires(path: str, fires: int) -> tuple[float, str]:
    from chidao import engine
    from chidao.store import Store

    store = Store.open(f"sqlite:///{path}")
    views = engine.task_views(store, limit=fires)
    later = data.ISSUED.add(hours=1)
    start = time.perf_counter()
    for view in views:
        engine.fire(store, "start", [view.id], view.unit, later)
    took = time.perf_counter() - start
    store.close()
    return took, _fire_digest(path)


def floor_fires(path: str, fires: int) -> tuple[float, str]:
    """Per transaction: read the task, a version-checked UPDATE, the event."""
    db = common.raw(path)
    ids = [r[0] for r in db.execute("SELECT id FROM tasks ORDER BY id LIMIT ?", (fires,))]
    at = data.ISSUED.add(hours=1).isoformat(timespec="microseconds")
    start = time.perf_counter()
    for task_id in ids:
        db.execute("BEGIN IMMEDIATE")
        state, version, unit = db.execute(
            "SELECT state, version, unit_code FROM tasks WHERE id = ?", (task_id,)
        ).fetchone()
        if state != "received":
            raise RuntimeError(f"task {task_id} is {state}")
        db.execute(
            "UPDATE tasks SET state = 'implementing', version = version + 1, updated_at = ?"
            " WHERE id = ? AND version = ?",
            (at, task_id, version),
        )
        db.execute(
            'INSERT INTO events (task_id, from_state, to_state, "trigger", actor, at, note)'
            " VALUES (?, ?, 'implementing', 'start', ?, ?, '')",
            (task_id, state, unit, at),
        )
        db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    return took, _fire_digest(path)


def _fire_digest(path: str) -> str:
    db = common.raw(path)
    try:
        return common.digest_rows(
            db,
            "SELECT t.id, t.state, t.version, t.updated_at, e.from_state, e.to_state,"
            ' e."trigger", e.actor, e.at, e.note FROM tasks t LEFT JOIN events e'
            " ON e.task_id = t.id ORDER BY t.id, e.id",
        )
    finally:
        db.close()


def bench_fan_out(folder: Path, units: int, runs: int) -> dict[str, float]:
    base = data.org_database(folder, units, TH)
    results = common.alternate(
        {
            "engine": (engine_fan_out, lambda: (str(common.copy_of(base, "e.db")),)),
            "floor": (floor_fan_out, lambda: (str(common.copy_of(base, "f.db")),)),
        },
        runs,
    )
    ratio = common.compare(
        f"fan-out to {units:,} schools ({common.check_same(results, ('engine', 'floor'))})",
        results["engine"],
        results["floor"],
        1.5,
        "floor (raw INSERT … SELECT)",
    )
    return {"ratio": ratio, "engine": common.Stats.of(results["engine"]).median}


def bench_fires(folder: Path, fires: int, runs: int) -> None:
    base = data.org_database(folder, fires, TH)
    engine_fan_out(str(base))  # the tasks to move, issued through the engine
    results = common.alternate(
        {
            "engine": (engine_fires, lambda: (str(common.copy_of(base, "e.db")), fires)),
            "floor": (floor_fires, lambda: (str(common.copy_of(base, "f.db")), fires)),
        },
        runs,
    )
    per = {
        k: [common.Run(r.seconds / fires, r.peak_mb, r.digest) for r in v]
        for k, v in results.items()
    }
    common.compare(
        f"single transition, {fires:,} fires of one task per run "
        f"({common.check_same(results, ('engine', 'floor'))}); times per fire",
        per["engine"],
        per["floor"],
        2.0,
        "floor (SELECT + UPDATE + INSERT)",
    )


def bench_naive(folder: Path, units: int, runs: int, engine_median: float | None) -> None:
    import naive

    base = data.org_database(folder, units, TH)
    results = common.alternate(
        {
            "engine": (engine_fan_out, lambda: (str(common.copy_of(base, "e.db")),)),
            "naive": (naive.fan_out, lambda: (str(common.copy_of(base, "n.db")),)),
        },
        runs,
    )
    e, n = common.Stats.of(results["engine"]), common.Stats.of(results["naive"])
    print(
        f"peer: naive engine (transitions.Machine per task, SQLAlchemy ORM), fan-out to "
        f"{units:,}\n  naive: {n}\n  chidao: {e}\n  chidao/naive {e.median / n.median:.2f}× "
        f"(naive is {n.median / e.median:.1f}× slower; it writes the same task rows, "
        f"no template snapshot)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, 3 runs: a smoke run.")
    parser.add_argument("--sizes", default="5000,50000,200000")
    parser.add_argument("--fires", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    naive_units = 50_000
    if args.quick:
        sizes, args.fires, args.runs, naive_units = [2_000], 200, 3, 2_000
    with tempfile.TemporaryDirectory(prefix="chidao-fanout-") as folder:
        for units in sizes:
            bench_fan_out(Path(folder), units, args.runs)
        bench_fires(Path(folder), args.fires, args.runs)
        if not args.no_peers:
            bench_naive(Path(folder), naive_units, args.runs, None)


if __name__ == "__main__":
    main()
