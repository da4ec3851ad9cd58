"""Fan-out: one directive to N schools, the engine beside a hand-written raw sqlite3 floor.

    python benchmarks/fanout.py [--quick] [--sizes 5000,50000,200000] [--runs 5] [--no-peers]

Engine: ``engine.issue`` (template snapshot, directive, deliverable, every task, one
transaction), timed from the call, so it includes what a command pays on first use (the
``holidays`` package and the working-day calendar of the year it needs). Floor: raw
``sqlite3`` writing the template, directive and deliverable rows and then one INSERT …
SELECT of the same task columns from the same schools table (the due, late and
working-day ordinal are given to it, computed before its timer). Each size and each run is
a fresh child process (peak memory is that child's ``ru_maxrss``; the floor's child
imports neither chidao nor SQLAlchemy); the sides take turns and the task rows both
produced are compared by digest. Single transitions: ``benchmarks/fire.py``. Peer
(``--no-peers`` to skip): ``benchmarks/naive.py``, a ``transitions.Machine`` per task on
SQLAlchemy ORM objects, fanning out to 50,000 schools. Goal: fan-out ≤ 1.5× its floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import common

TH = ("[TH]",)
DUE = "2024-09-30T17:00:00+07:00"
OFFICE = "pgd-bench"  # data.OFFICE (data imports chidao: the floor's child must not)
TASK_COLUMNS = (
    "unit_code, period, state, version, due_at, late_at, due_seq, received_at, reported_at,"
    " days_late, rung, created_at, updated_at"
)
NOW_TEXT = "2024-09-03T08:00:00.000000+07:00"  # data.ISSUED


def engine_fan_out(path: str) -> tuple[float, str]:
    import data
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


def floor_fan_out(path: str, due_text: str, seq: int) -> tuple[float, str]:
    """What a person writes: three header rows, then INSERT … SELECT of the tasks."""
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
        " issued_at, issued_by, identity)"
        " VALUES (?, 'Văn bản thử số 0', 'TH', '{}', ?, ?, 'deputy', 'floor')",
        (OFFICE, template, NOW_TEXT),
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
            OFFICE,
        ),
    )
    db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    return took, _task_digest(path)


def _due() -> tuple[str, int]:
    from chidao.calendar import WorkCalendar
    from chidao.clock import aware

    due = aware(DUE)
    return due.isoformat(timespec="microseconds"), WorkCalendar().due_seq(due)


def bench_fan_out(folder: Path, units: int, runs: int) -> dict[str, float]:
    import data

    base = data.org_database(folder, units, TH)
    due_text, seq = _due()
    results = common.alternate(
        {
            "engine": (engine_fan_out, lambda: (str(common.copy_of(base, "e.db")),)),
            "floor": (floor_fan_out, lambda: (str(common.copy_of(base, "f.db")), due_text, seq)),
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


def bench_naive(folder: Path, units: int, runs: int) -> None:
    import data
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
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    naive_units = 50_000
    if args.quick:
        sizes, args.runs, naive_units = [2_000], 3, 2_000
    common.compiled()
    common.load("before")
    with tempfile.TemporaryDirectory(prefix="chidao-fanout-") as folder:
        for units in sizes:
            bench_fan_out(Path(folder), units, args.runs)
            common.load(f"after {units:,}")
        if not args.no_peers:
            bench_naive(Path(folder), naive_units, args.runs)


if __name__ == "__main__":
    main()
