"""The sweep: the engine beside a hand-written raw sqlite3 sweep, on identical copies.

    python benchmarks/sweep.py [--quick] [--sizes 100000,300000,1000000] [--runs 5]
                               [--data DIR] [--no-peers]
    python benchmarks/sweep.py --locks [--sizes 100000] [--backends sqlite,postgresql]
                               [--pg-url URL] [--data DIR]

Builds N tasks through ``engine.issue`` (5,000 schools of levels MN, TH, THCS and TH&THCS,
directives of 500 schools, dues spread over five weeks, a fifth reported); ``--data`` keeps
the built files for ``dashboard.py`` and later runs. Then, alternating on fresh copies:

- backlog: ``sweeper.sweep`` at a ``now`` when most dues have passed (overdue, the four
  rungs of the ``bao-cao`` ladder, the notifications) against the floor: one transaction of
  the overdue event INSERT … SELECT (each event with its audit hash, ``chidao.audit``,
  computed by a registered sha256 function as the engine's is) and the UPDATE (state,
  previous state, version, the task's new head), per rung an escalation INSERT … SELECT
  (targets: the school itself two working days before its due, then from a small table of
  who follows each level, the signer, the head; ON CONFLICT DO NOTHING for idempotence) and
  the rung UPDATE, and one notification INSERT … SELECT … GROUP BY. Goal ≤ 2×.
- next morning: the same a day later, on the file the backlog sweep left. Goal ≤ 1.5×.
- a second sweep at the same ``now`` must change nothing (both sides are checked).

Rows compared by digest: tasks (state, previous state, version, rung, updated_at, head),
events (with OS account and hash), escalations
(task, rung, kind, round, person, due, created) and notifications (directive, rung,
person, count). The peer (``naive.py``) sweeps 200,000 tasks (overdue only).

``--locks`` measures instead how long each of the sweep's write transactions holds the
database and how long ``task fire`` takes meanwhile (``locks.py``), on SQLite and on
PostgreSQL (a throwaway server, or ``--pg-url``); its default size is 100,000 tasks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import common
import data

from chidao import audit

# the bao-cao ladder: rung 1 reminds the school two working days before its due
REMIND = (1, "nhắc trước hạn", -2)
KINDS = ((2, "nhắc nhở", 0), (3, "phê bình", 2), (4, "kiểm điểm", 5))
TARGETS = (
    (2, "MN", "cv-MN"),
    (2, "TH", "cv-TH"),
    (2, "THCS", "cv-THCS"),
    (3, "", "deputy"),
    (4, "", "head"),
)
DIGEST = (
    "SELECT 't', id, state, prev_state, version, rung, updated_at, head FROM tasks",
    "SELECT 'e', task_id, from_state, to_state, \"trigger\", actor, at, os_user, hash FROM events",
    "SELECT 'x', task_id, rung, kind, round, person_id, due_at, created_at FROM escalations",
    "SELECT 'n', directive_id, rung, person_id, tasks FROM notifications",
)


def digest(path: str) -> str:
    db = common.raw(path)
    try:
        return "".join(common.digest_rows(db, f"{q} ORDER BY 2, 3, 4")[:6] for q in DIGEST)
    finally:
        db.close()


def engine_sweep(path: str, now_iso: str) -> tuple[float, str]:
    import pendulum

    from chidao import sweeper
    from chidao.store import Store

    now = pendulum.parse(now_iso)
    store = Store.open(f"sqlite:///{path}")
    start = time.perf_counter()
    sweeper.sweep(store, now)
    took = time.perf_counter() - start
    again = sweeper.sweep(store, now)  # idempotent: nothing the second time
    assert again.overdue == 0 and not again.escalations and not again.notifications, again
    store.close()
    return took, digest(path)


def floor_sweep(path: str, now_iso: str) -> tuple[float, str]:
    from chidao.calendar import WorkCalendar
    from chidao.clock import aware

    now = aware(now_iso)
    at = now.isoformat(timespec="microseconds")
    db = common.raw(path)
    db.create_function("sha256", 1, _sha256, deterministic=True)
    shared = audit.SEP.join(("mark_overdue", "system", audit.os_account(), at, ""))
    start = time.perf_counter()
    # the working days the ladder counts are the floor's work too, as they are the engine's
    days = (
        WorkCalendar().ordinal(now.date() - dt.timedelta(days=1)),
        WorkCalendar().ordinal(now.date()),
    )
    _floor_transaction(db, at, days, shared)
    took = time.perf_counter() - start
    before = _written(db)
    _floor_transaction(db, at, days, shared)  # idempotent: nothing the second time
    assert _written(db) == before, "the floor is not idempotent"
    db.close()
    return took, digest(path)


def _written(db) -> tuple[int, ...]:
    tables = ("events", "escalations", "notifications")
    return tuple(db.execute(f"SELECT count(*), max(id) FROM {t}").fetchone()[0] for t in tables)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _floor_transaction(db, at: str, days: tuple[int, int], shared: str) -> None:
    yesterday, today = days
    late = "state IN ('received', 'implementing') AND late_at < :at"
    # the audit link of each event (chidao.audit.content): the task's previous hash, the
    # task, its position, from, to, on behalf of (none), then what every event shares
    link = (
        "sha256(head || :sep || id || :sep || (version + 1) || :sep || state || :sep"
        " || 'overdue' || :sep || :sep || :shared)"
    )
    params = {"at": at, "sep": audit.SEP, "shared": shared, "os": audit.os_account()}
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        'INSERT INTO events (task_id, from_state, to_state, "trigger", actor, at, note, os_user,'
        f" hash) SELECT id, state, 'overdue', 'mark_overdue', 'system', :at, '', :os, {link}"
        f" FROM tasks WHERE {late}",
        params,
    )
    db.execute(
        f"UPDATE tasks SET prev_state = state, state = 'overdue', version = version + 1,"
        f" updated_at = :at, head = {link} WHERE {late}",
        params,
    )
    db.execute("CREATE TEMP TABLE IF NOT EXISTS targets (rung, level, person_id, name)")
    db.execute("DELETE FROM temp.targets")
    db.executemany(
        "INSERT INTO temp.targets SELECT ?, ?, id, name FROM people WHERE id = ?", TARGETS
    )
    _floor_reminder(db, today - REMIND[2], at)
    for rung, kind, after in KINDS:
        _floor_rung(db, rung, kind, None if not after else yesterday - after, at)
    db.execute(
        "INSERT INTO notifications (person_id, recipient, address, directive_id, rung, tasks,"
        " subject, body, status, attempts, last_error, created_at)"
        " SELECT person_id, target_name, '', directive_id, rung, count(*),"
        " kind || ': ' || count(*) || ' trường chưa báo cáo', group_concat(task_id),"
        " 'queued', 0, '', :at FROM escalations WHERE created_at = :at"
        " GROUP BY directive_id, rung, target_name ON CONFLICT DO NOTHING",
        {"at": at},
    )
    db.execute("COMMIT")


def _floor_reminder(db, limit: int, at: str) -> None:
    """Rung 1: open tasks still on time whose due is within two working days, to the school."""
    rung, kind, _after = REMIND
    reached = (
        "t.state IN ('received', 'implementing') AND t.rung < :rung AND t.late_at >= :at"
        " AND t.due_seq <= :limit"
    )
    params = {"rung": rung, "kind": kind, "limit": limit, "at": at}
    db.execute(
        "INSERT INTO escalations (task_id, directive_id, rung, kind, round, target, person_id,"
        " target_name, note, due_at, created_at)"
        " SELECT t.id, t.directive_id, :rung, :kind, 1 + (SELECT count(*) FROM escalations e"
        " WHERE e.task_id = t.id AND e.kind = :kind), 'recipient', NULL,"
        " u.name || ' (' || u.code || ')', '', t.due_at, :at FROM tasks t"
        f" JOIN units u ON u.code = t.unit_code WHERE {reached} ON CONFLICT DO NOTHING",
        params,
    )
    db.execute(f"UPDATE tasks AS t SET rung = :rung WHERE {reached}", params)


def _floor_rung(db, rung: int, kind: str, limit: int | None, at: str) -> None:
    reached = "t.state = 'overdue' AND t.rung < :rung" + (
        " AND t.due_seq <= :limit" if limit is not None else ""
    )
    level = (
        "(SELECT min(level) FROM unit_levels WHERE unit_code = t.unit_code)" if rung == 2 else "''"
    )
    params = {"rung": rung, "kind": kind, "limit": limit, "at": at}
    db.execute(
        "INSERT INTO escalations (task_id, directive_id, rung, kind, round, target, person_id,"
        " target_name, note, due_at, created_at)"
        " SELECT t.id, t.directive_id, :rung, :kind, 1 + (SELECT count(*) FROM escalations e"
        " WHERE e.task_id = t.id AND e.kind = :kind), 'person', g.person_id, g.name, '',"
        " t.due_at, :at FROM tasks t JOIN temp.targets g ON g.rung = :rung"
        f" AND g.level = {level} WHERE {reached} ON CONFLICT DO NOTHING",
        params,
    )
    db.execute(
        f"UPDATE tasks AS t SET rung = :rung WHERE {reached}",
        {k: v for k, v in params.items() if k in ("rung", "limit")},
    )


def built(folder: Path, tasks: int) -> Path:
    """The task file for ``tasks`` (built once per --data folder)."""
    path = folder / f"tasks-{tasks}.db"
    if not path.exists():
        print(f"building {tasks:,} tasks through engine.issue …", flush=True)
        sub = folder / f"build-{tasks}"
        sub.mkdir(exist_ok=True)
        data.task_database(sub, tasks).rename(path)
    return path


def swept(folder: Path, tasks: int) -> Path:
    """The task file after the backlog sweep (the engine's), for next morning and dashboard."""
    path = folder / f"swept-{tasks}.db"
    if not path.exists():
        copy = common.copy_of(built(folder, tasks), f"swept-{tasks}.tmp")
        engine_sweep(str(copy), data.NOW.isoformat())
        copy.rename(path)
    return path


def bench(label: str, base: Path, now: str, runs: int, goal: float) -> None:
    results = common.alternate(
        {
            "engine": (engine_sweep, lambda: (str(common.copy_of(base, "e.db")), now)),
            "floor": (floor_sweep, lambda: (str(common.copy_of(base, "f.db")), now)),
        },
        runs,
    )
    same = common.check_same(results, ("engine", "floor"))
    common.compare(f"{label} ({same})", results["engine"], results["floor"], goal, "floor")


def bench_naive(folder: Path, tasks: int, runs: int) -> None:
    import naive

    base, now = built(folder, tasks), data.NOW.isoformat(timespec="microseconds")
    results = common.alternate(
        {
            "engine": (engine_sweep, lambda: (str(common.copy_of(base, "e.db")), now)),
            "naive": (naive.sweep, lambda: (str(common.copy_of(base, "n.db")), now)),
        },
        runs,
    )
    e, n = common.Stats.of(results["engine"]), common.Stats.of(results["naive"])
    print(
        f"peer: naive engine, backlog sweep of {tasks:,} tasks ({results['naive'][0].digest} "
        f"moved to overdue)\n  naive: {n}\n  chidao: {e}\n  chidao/naive "
        f"{e.median / n.median:.2f}× (the naive sweep writes no events, no escalations, no "
        "notifications; chidao's time includes all three)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, 3 runs: a smoke run.")
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, help="Keep (and reuse) built files here.")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--locks", action="store_true", help="Longest write transaction, fire latency."
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="For --locks.")
    parser.add_argument("--pg-url", help="For --locks: an empty PostgreSQL database to use.")
    args = parser.parse_args()
    if args.locks:
        locks_main(args)
        return
    sizes, naive_tasks = [int(s) for s in args.sizes.split(",")], 200_000
    if args.quick:
        sizes, args.runs, naive_tasks = [10_000], 3, 10_000
    with tempfile.TemporaryDirectory(prefix="chidao-sweep-") as temp:
        folder = args.data or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        for tasks in sizes:
            backlog = data.NOW.isoformat()
            bench(f"backlog sweep of {tasks:,} tasks", built(folder, tasks), backlog, args.runs, 2)
            morning = data.NOW.add(days=1).isoformat()
            bench(
                f"next-morning sweep, {tasks:,} tasks",
                swept(folder, tasks),
                morning,
                args.runs,
                1.5,
            )
        if not args.no_peers:
            bench_naive(folder, naive_tasks, args.runs)


def locks_main(args: argparse.Namespace) -> None:
    import locks

    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    if "--sizes" not in sys.argv and not args.quick:
        sizes = [100_000]
    backends = [b.strip() for b in args.backends.split(",")]
    with tempfile.TemporaryDirectory(prefix="chidao-locks-") as temp:
        folder = args.data or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        for tasks in sizes:
            if "sqlite" in backends:
                locks.sqlite_locks(folder, tasks, built(folder, tasks))
            if "postgresql" in backends:
                locks.postgres_locks(tasks, args.pg_url)


if __name__ == "__main__":
    main()
