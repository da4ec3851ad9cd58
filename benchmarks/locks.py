"""How long the sweep holds the write lock, and what a person firing meanwhile waits.

``python benchmarks/sweep.py --locks`` runs this: on a backlog (and then the next
morning) of N tasks, one process sweeps while another reports tasks one by one, mostly
through the library (``engine.fire``, what ``chidao task fire`` calls) and every
``CLI_EVERY``-th as a real ``chidao task fire`` process. Measured:

- every write transaction of the sweep, from the moment it holds its transaction (after
  SQLite's ``BEGIN IMMEDIATE`` got the lock) to its COMMIT, through SQLAlchemy's
  ``begin``/``commit`` events on the sweep's own engine: the longest is the longest a
  school's report can wait behind the sweep;
- each fire's latency, before the sweep (idle) and during it: median, p99, max, and how
  many failed (must be none). A CLI fire's time includes starting Python and chidao.

On SQLite the database is a copy of the file ``sweep.py`` builds; on PostgreSQL the same
data is built through ``engine.issue`` in a database of a throwaway server
(``tests/pgserver.py``, durability off) or of ``--pg-url``.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
import data

CLI_EVERY = 25  # one fire in 25 is a whole `chidao task fire` process
IDLE_FIRES = 40  # fires timed before the sweep starts, for comparison
PAUSE = 0.005  # between two fires: one clerk after another, not a flood


@dataclass(frozen=True)
class Latency:
    count: int
    failed: int
    median: float
    p99: float
    worst: float

    @classmethod
    def of(cls, seconds: list[float], failed: int) -> Latency:
        if not seconds:
            return cls(0, failed, 0.0, 0.0, 0.0)
        ordered = sorted(seconds)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return cls(len(ordered), failed, statistics.median(ordered), p99, ordered[-1])

    def __str__(self) -> str:
        return (
            f"{self.count} fires, median {common.fmt(self.median)}, p99 {common.fmt(self.p99)}, "
            f"max {common.fmt(self.worst)}, failed {self.failed}"
        )


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CHIDAO_DB": url,
        "CHIDAO_SIMULATION": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(common.SRC),
    }


def fire_meanwhile(url: str, now_iso: str, ids: list[int], signals: Any, out: Any) -> None:
    """Report tasks one after another (as the office, which may record a school's report)
    until told to stop; the first ``IDLE_FIRES`` before the sweep starts."""
    import pendulum

    from chidao import engine
    from chidao.errors import ChidaoError
    from chidao.store import Store

    ready, sweeping, stop = signals
    now = pendulum.parse(now_iso)
    store = Store.open(url)
    engine.task_detail(store, ids[-1])  # imports, caches and a connection, before timing
    times: dict[str, list[float]] = {"idle": [], "library": [], "cli": []}
    failures: list[str] = []
    ready.set()
    command = [sys.executable, "-m", "chidao", "task", "fire", "report"]
    for n, task_id in enumerate(ids):
        if stop.is_set():
            break
        if n == IDLE_FIRES:
            sweeping.wait()
        cli = n > IDLE_FIRES and n % CLI_EVERY == 0
        start = time.perf_counter()
        try:
            if cli:
                done = subprocess.run(
                    [*command, str(task_id), "--as", "deputy", "--now", now_iso],
                    env=_env(url),
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    failures.append(f"CLI task {task_id}: {done.stderr.strip()[-300:]}")
            else:
                engine.fire(store, "report", [task_id], "deputy", now)
        except ChidaoError as exc:
            failures.append(f"task {task_id}: {exc}")
        took = time.perf_counter() - start
        times["idle" if n < IDLE_FIRES else "cli" if cli else "library"].append(took)
        time.sleep(PAUSE)
    store.close()
    out.put((times, failures))


def sweep_traced(url: str, now_iso: str, out: Any) -> None:
    """Sweep once, timing each of its write transactions from begin to commit."""
    import pendulum
    from sqlalchemy import event

    from chidao import sweeper
    from chidao.store import Store

    store = Store.open(url)
    spans: list[float] = []
    batches: list[int] = []  # which spans are batches of tasks (the others: periods, notices)
    began: dict[int, float] = {}

    def on_begin(conn) -> None:  # after the store's own listener: SQLite holds the lock
        if not conn.get_execution_options().get("readonly"):
            began[id(conn)] = time.perf_counter()

    def on_end(conn) -> None:
        start = began.pop(id(conn), None)
        if start is not None:
            spans.append(time.perf_counter() - start)

    event.listen(store.engine, "begin", on_begin)
    event.listen(store.engine, "commit", on_end)
    event.listen(store.engine, "rollback", on_end)
    start = time.perf_counter()
    swept = sweeper.sweep(
        store, pendulum.parse(now_iso), progress=lambda done, total: batches.append(len(spans) - 1)
    )
    took = time.perf_counter() - start
    store.close()
    out.put((took, spans, batches, swept.to_json()))


def measure(label: str, url: str, now_iso: str, open_ids: list[int]) -> None:
    """One traced sweep with fires before and during it; prints the figures."""
    context = multiprocessing.get_context("spawn")
    ready, sweeping, stop = context.Event(), context.Event(), context.Event()
    fires, swept = context.Queue(), context.Queue()
    ids = random.Random(7).sample(open_ids, min(len(open_ids), 20_000))
    firing = context.Process(
        target=fire_meanwhile, args=(url, now_iso, ids, (ready, sweeping, stop), fires)
    )
    firing.start()
    ready.wait(120)
    sweep = context.Process(target=sweep_traced, args=(url, now_iso, swept))
    sweep.start()
    sweeping.set()
    took, spans, batch_spans, result = swept.get()
    sweep.join()
    stop.set()
    times, failures = fires.get()
    firing.join()
    batches = [spans[i] for i in batch_spans]
    notices = spans[batch_spans[-1] + 1 :] if batch_spans else spans[1:]
    print(
        f"{label}: sweep {common.fmt(took)}, {len(spans)} write transactions "
        f"({result['overdue']:,} overdue, {sum(result['escalations'].values()):,} escalations, "
        f"{result['notifications']:,} notifications)\n"
        f"  longest write transaction {common.fmt(max(spans))}; longest batch of tasks "
        f"{common.fmt(max(batches, default=0.0))} ({len(batches)} batches), longest of the "
        f"notifications' {len(notices)} {common.fmt(max(notices, default=0.0))}; all "
        f"together {common.fmt(sum(spans))}\n"
        f"  fire, idle before the sweep: {Latency.of(times['idle'], 0)}\n"
        f"  fire during the sweep (library): {Latency.of(times['library'], len(failures))}\n"
        f"  fire during the sweep (CLI process): {Latency.of(times['cli'], 0)}",
        flush=True,
    )
    for failure in failures[:5]:
        print(f"  FAILED: {failure}", flush=True)


def open_task_ids(url: str) -> list[int]:
    """Tasks not yet reported (the data reports one in five on time)."""
    from sqlalchemy import func, select

    from chidao.store import Store
    from chidao.store.schema import tasks

    store = Store.open(url)
    with store.read() as conn:
        last = conn.scalar(select(func.max(tasks.c.id)))
    store.close()
    return [i for i in range(1, last + 1) if i % 5]


def sqlite_locks(folder: Path, tasks: int, built: Path) -> None:
    url = f"sqlite:///{common.copy_of(built, 'locks.db')}"
    ids = open_task_ids(url)  # each sweep's fires report tasks the other's did not
    measure(f"SQLite, backlog sweep of {tasks:,} tasks", url, data.NOW.isoformat(), ids[0::2])
    morning = data.NOW.add(days=1).isoformat()
    measure(f"SQLite, next-morning sweep of {tasks:,} tasks", url, morning, ids[1::2])


def postgres_locks(tasks: int, pg_url: str | None) -> None:
    server = None
    if pg_url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgserver import PgServer

        server = PgServer().start()
        pg_url = server.url(server.new_database())
    try:
        print(f"building {tasks:,} tasks on PostgreSQL through engine.issue …", flush=True)
        build_on(pg_url, tasks)
        ids = open_task_ids(pg_url)
        now = data.NOW.isoformat()
        measure(f"PostgreSQL, backlog sweep of {tasks:,} tasks", pg_url, now, ids[0::2])
        analyze(pg_url)  # the night between: autovacuum has seen the backlog sweep's rows
        morning = data.NOW.add(days=1).isoformat()
        measure(f"PostgreSQL, next-morning sweep of {tasks:,} tasks", pg_url, morning, ids[1::2])
    finally:
        if server is not None:
            server.stop()


def build_on(url: str, tasks: int, per: int = 500, units: int = 5_000) -> None:
    """The data of ``data.task_database`` in the database at ``url`` (any backend)."""
    import tempfile

    from sqlalchemy import text

    from chidao import engine
    from chidao.store import Store

    store = Store.open(url, simulation=True)  # its writes (and the CLI fires) take --now
    with tempfile.TemporaryDirectory() as temp:
        engine.load_org_file(store, data.write_org(Path(temp) / "org.yaml", units), "head")
    started = time.perf_counter()
    for n in range(tasks // per):
        codes = [data.unit_code(((n * per) % units + k) % units) for k in range(per)]
        due = data.ISSUED.add(days=2 + n % 35).replace(hour=0)
        engine.issue(store, data.directive(n, codes, due), "bao-cao", data.ISSUED, "deputy")
        if n % 200 == 199:
            print(f"  built {(n + 1) * per:,} tasks ({time.perf_counter() - started:.0f} s)")
    with store.engine.begin() as conn:  # a fifth reported on time: the setup, not measured
        conn.execute(
            text(
                "UPDATE tasks SET state = 'reported', reported_at = :at, days_late = 0 "
                "WHERE id % 5 = 0"
            ),
            {"at": data.ISSUED.add(days=1)},
        )
    store.close()
    if url.startswith("postgresql"):
        analyze(url)


def analyze(url: str) -> None:
    """PostgreSQL statistics, as autovacuum gathers them a minute after a large change
    (without them the planner takes the fresh tables for empty)."""
    from sqlalchemy import text

    from chidao.store import Store

    store = Store.open(url)
    with store.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    store.close()
