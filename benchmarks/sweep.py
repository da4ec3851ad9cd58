"""The sweep over a million tasks, beside the same statements through raw sqlite3.

    python benchmarks/sweep.py [--directives 2000] [--units 5000] [--per-directive 500]

Builds an office with 5,000 schools (MN, TH, THCS, some both TH and THCS) and 2,000
directives of 500 recipients each (1,000,000 tasks) through ``engine.issue``, dues spread
over five weeks, a fifth of the tasks already reported. The database file is then copied.

- engine: ``sweeper.sweep`` at a ``now`` when most dues have passed: overdue, the three
  rungs of the ``bao-cao`` ladder (whom each reaches resolved per directive and level),
  the notification batches, the recurring check; one transaction.
- floor: every SQL statement that sweep sent to the database (recorded from SQLAlchemy's
  cursor events, with their bound parameters), replayed through raw ``sqlite3`` on the
  copy in one transaction. The ratio is the cost of everything chidao adds around the SQL.

Goal: within 1.5× of the floor.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pendulum
from sqlalchemy import event, text

from chidao import engine, sweeper
from chidao.clock import TZ
from chidao.directive import directive_from_mapping
from chidao.model import Office, Org, Person, Unit
from chidao.store import Store
from chidao.store import org as ostore

ISSUED = pendulum.datetime(2024, 9, 3, 8, tz=TZ)
NOW = pendulum.datetime(2024, 10, 7, 8, tz=TZ)
LEVELS = (("MN",), ("TH",), ("THCS",), ("TH", "THCS"))


def make_org(units: int) -> Org:
    office = Office(code="pgd-bench", name="Phòng GD&ĐT (benchmark)", parent_body="UBND huyện")
    people = (
        Person(
            id="head", name="Trưởng Phòng", position="Trưởng phòng", office=office.code, head=True
        ),
        Person(
            id="deputy",
            name="Phó Trưởng Phòng",
            position="Phó trưởng phòng",
            office=office.code,
            reports_to="head",
        ),
        *(
            Person(
                id=f"cv-{lv}",
                name=f"Chuyên viên {lv}",
                position="Chuyên viên",
                office=office.code,
                reports_to="deputy",
                levels=(lv,),
            )
            for lv in ("MN", "TH", "THCS")
        ),
    )
    return Org(
        offices=(office,),
        people=people,
        units=tuple(
            Unit(code=f"u{i:05d}", name=f"Trường số {i}", levels=LEVELS[i % 4], office=office.code)
            for i in range(units)
        ),
    )


def build(path: Path, directives: int, units: int, per: int) -> int:
    store = Store.open(f"sqlite:///{path}")
    with store.write() as conn:
        ostore.save_org(conn, make_org(units))
    total = 0
    started = time.perf_counter()
    for n in range(directives):
        first = (n * per) % units
        codes = [f"u{(first + k) % units:05d}" for k in range(per)]
        due = ISSUED.add(days=2 + n % 35).replace(hour=0)
        doc = {
            "subject": f"Văn bản thử số {n}",
            "number": str(n + 1),
            "symbol": "PGDĐT-BENCH",
            "date": "2024-09-03",
            "units": codes,
            "deadlines": [{"due": due.isoformat()}],
            "signer": {
                "name": "Phó Trưởng Phòng",
                "position": "PHÓ TRƯỞNG PHÒNG",
                "chain": [{"authority": "KT", "title": "TRƯỞNG PHÒNG"}],
            },
        }
        total += engine.issue(
            store, directive_from_mapping(doc, "bench"), "bao-cao", ISSUED, "deputy"
        ).tasks
        if n % 200 == 199:
            print(
                f"  built {n + 1:,} directives, {total:,} tasks "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    with store.write() as conn:  # a fifth already reported, on time
        conn.execute(
            text(
                "UPDATE tasks SET state = 'reported', reported_at = received_at, "
                "days_late = 0 WHERE id % 5 = 0"
            )
        )
    store.close()
    return total


def time_engine(
    path: Path, now: pendulum.DateTime = NOW
) -> tuple[float, sweeper.Swept, list[tuple[str, object, bool]]]:
    store = Store.open(f"sqlite:///{path}")
    recorded: list[tuple[str, object, bool]] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def record(_conn, _cursor, statement, parameters, _context, executemany):
        recorded.append((statement, parameters, executemany))

    start = time.perf_counter()
    swept = sweeper.sweep(store, now)
    took = time.perf_counter() - start
    store.close()
    return took, swept, recorded


def time_floor(path: Path, statements: list[tuple[str, object, bool]]) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    for statement, parameters, many in statements:
        if many:
            db.executemany(statement, parameters)
        else:
            db.execute(statement, parameters).fetchall()
    db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directives", type=int, default=2_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--per-directive", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chidao-sweep-") as folder:
        engine_db, floor_db = Path(folder) / "engine.db", Path(folder) / "floor.db"
        print(f"building {args.directives:,} directives × {args.per_directive} units …")
        tasks = build(engine_db, args.directives, args.units, args.per_directive)
        shutil.copy(engine_db, floor_db)
        took, swept, statements = time_engine(engine_db)
        floor = time_floor(floor_db, statements)
        print(
            f"sweep of {tasks:,} tasks: {swept.overdue:,} overdue, escalations "
            f"{', '.join(f'{n:,} {k}' for k, n in swept.escalations.items())}, "
            f"{swept.notifications:,} notifications; {len(statements)} SQL statements"
        )
        print(
            f"engine {took:.2f} s, floor (same statements, raw sqlite3) {floor:.2f} s, "
            f"ratio {took / floor:.2f}× (goal ≤ 1.5×)"
        )
        # the next morning: what a daily cron run costs once the backlog is handled
        took, swept, statements = time_engine(engine_db, NOW.add(days=1))
        floor = time_floor(floor_db, statements)
        print(
            f"next morning: {swept.overdue:,} overdue, "
            f"{sum(swept.escalations.values()):,} escalations; engine {took:.2f} s, "
            f"floor {floor:.2f} s, ratio {took / floor:.2f}×"
        )


if __name__ == "__main__":
    main()
