"""Fan-out and single transitions through the engine, beside raw sqlite3 floors.

    python benchmarks/fanout.py [--units 50000] [--fires 10000]

1. Fan-out: one directive to N units through ``engine.issue`` (template snapshot,
   deliverables, INSERT … SELECT of the tasks, one transaction), against the floor: raw
   ``sqlite3`` ``executemany`` of the same task rows into the same schema.
2. Transitions: M single-task ``engine.fire`` calls, each its own transaction (load, role,
   machine, checked UPDATE, event INSERT), against the floor: a bare UPDATE + INSERT per
   transaction through raw ``sqlite3``.

Both sides use the same file settings (WAL, synchronous=NORMAL). Goals: fan-out within 2×
of its floor, transitions within 3×.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import pendulum

from chidao import engine
from chidao.clock import TZ
from chidao.directive import directive_from_mapping
from chidao.model import Office, Org, Unit
from chidao.store import Store
from chidao.store import org as ostore

NOW = pendulum.datetime(2024, 9, 9, 8, tz=TZ)
STAMP = "2024-09-09T08:00:00.000000+07:00"


def make_org(units: int) -> Org:
    office = Office(code="so-bench", name="Sở GD&ĐT (benchmark)")
    return Org(
        offices=(office,),
        people=(),
        units=tuple(
            Unit(code=f"u{i:06d}", name=f"Trường {i}", levels=("TH",), office=office.code)
            for i in range(units)
        ),
    )


def prepared_store(path: Path, units: int) -> Store:
    store = Store.open(f"sqlite:///{path}")
    with store.write() as conn:
        ostore.save_org(conn, make_org(units))
    return store


def time_fan_out(store: Store) -> tuple[float, int]:
    directive = directive_from_mapping(
        {
            "subject": "Benchmark",
            "number": "1",
            "symbol": "SGDĐT-BENCH",
            "date": "2024-09-09",
            "recipient_levels": ["TH"],
            "deadlines": [{"due": "2024-09-30T17:00:00+07:00"}],
        },
        "bench",
    )
    start = time.perf_counter()
    issued = engine.issue(store, directive, "bao-cao", NOW, "bench")
    return time.perf_counter() - start, issued.tasks


def floor_fan_out(path: Path, units: int) -> float:
    """Raw sqlite3: executemany the same task rows into the same (empty) schema."""
    store = prepared_store(path, units)
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        "INSERT INTO templates (id, name, version, content_hash, title, source, spec, created_at)"
        " VALUES (1, 'x', 1, 'h', 't', '', '{}', ?)",
        (STAMP,),
    )
    db.execute(
        "INSERT INTO directives (id, office_code, subject, recipient_levels, document,"
        " template_id, issued_at, issued_by) VALUES (1, 'so-bench', 's', 'TH', '{}', 1, ?, 'b')",
        (STAMP,),
    )
    db.execute("INSERT INTO deliverables (id, directive_id, seq, text) VALUES (1, 1, 1, '')")
    db.execute("COMMIT")
    due = "2024-09-30T17:00:00.000000+07:00"
    rows = [(1, 1, f"u{i:06d}", "received", 1, due, STAMP, STAMP, STAMP) for i in range(units)]
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO tasks (directive_id, deliverable_id, unit_code, state, version, due_at,"
        " received_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def time_fires(store: Store, fires: int) -> float:
    views = engine.task_views(store, limit=fires)
    start = time.perf_counter()
    for view in views:
        engine.fire(store, "start", [view.id], view.unit, NOW.add(hours=1))
    return time.perf_counter() - start


def floor_fires(path: Path, fires: int) -> float:
    """Raw sqlite3: per transaction, a bare checked UPDATE and an event INSERT."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    ids = [r[0] for r in db.execute("SELECT id FROM tasks ORDER BY id LIMIT ?", (fires,))]
    start = time.perf_counter()
    for task_id in ids:
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "UPDATE tasks SET state = 'implementing', version = version + 1, updated_at = ?"
            " WHERE id = ? AND version = 1",
            (STAMP, task_id),
        )
        db.execute(
            'INSERT INTO events (task_id, from_state, to_state, "trigger", actor, at, note)'
            " VALUES (?, 'received', 'implementing', 'start', 'u', ?, '')",
            (task_id, STAMP),
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--fires", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chidao-bench-") as folder:
        folder = Path(folder)
        floor = floor_fan_out(folder / "floor.db", args.units)
        store = prepared_store(folder / "engine.db", args.units)
        took, tasks = time_fan_out(store)
        assert tasks == args.units
        print(
            f"fan-out to {args.units:,} units: engine {took:.3f} s, floor {floor:.3f} s, "
            f"ratio {took / floor:.2f}× (goal ≤ 2×)"
        )
        fire_floor = floor_fires(folder / "floor.db", args.fires)
        fire_took = time_fires(store, args.fires)
        print(
            f"{args.fires:,} single-task transitions: engine {fire_took:.3f} s "
            f"({args.fires / fire_took:,.0f}/s), floor {fire_floor:.3f} s "
            f"({args.fires / fire_floor:,.0f}/s), ratio {fire_took / fire_floor:.2f}× (goal ≤ 3×)"
        )
        store.close()


if __name__ == "__main__":
    main()
