"""The dashboard over a million tasks, beside its own queries through raw sqlite3.

    python benchmarks/dashboard.py [--directives 2000] [--units 5000] [--per-directive 500]
                                   [--reuse FILE] [--repeat 5]

Builds the same database as ``benchmarks/sweep.py`` (5,000 schools, 2,000 directives,
1,000,000 tasks, a fifth reported) and sweeps it once, so that there are overdue tasks and
escalations. Then, best of ``--repeat`` runs:

- engine: ``dashboard.build`` + ``dashboard.render`` of the full dashboard to a string at
  120 columns (what ``chidao dashboard --no-sweep`` does);
- floor: the SQL statements that build sent (recorded from SQLAlchemy's cursor events,
  with their parameters), run through raw ``sqlite3`` with their rows fetched.

Goals: within 1.5× of the floor, and under one second.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import tempfile
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy import event
from sweep import NOW, build

from chidao import dashboard, sweeper
from chidao.store import Store


def prepare(path: Path, directives: int, units: int, per: int) -> None:
    print(f"building {directives:,} directives × {per} units …", flush=True)
    build(path, directives, units, per)
    store = Store.open(f"sqlite:///{path}")
    swept = sweeper.sweep(store, NOW)
    store.close()
    print(f"swept: {swept.overdue:,} overdue, {sum(swept.escalations.values()):,} escalations")


def time_engine(path: Path, repeat: int) -> tuple[float, str, list[tuple[str, object]]]:
    store = Store.open(f"sqlite:///{path}")
    recorded: list[tuple[str, object]] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def record(_conn, _cursor, statement, parameters, _context, _many):
        recorded.append((statement, parameters))

    best, text = float("inf"), ""
    for _ in range(repeat):
        recorded.clear()
        start = time.perf_counter()
        data = dashboard.build(store, NOW)
        out = io.StringIO()
        Console(file=out, width=120, color_system="truecolor").print(
            dashboard.render(data, "vi", 120)
        )
        best = min(best, time.perf_counter() - start)
        text = out.getvalue()
    store.close()
    return best, text, list(recorded)


def time_floor(path: Path, statements: list[tuple[str, object]], repeat: int) -> float:
    db = sqlite3.connect(path)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        db.execute("BEGIN")
        for statement, parameters in statements:
            db.execute(statement, parameters).fetchall()
        db.execute("COMMIT")
        best = min(best, time.perf_counter() - start)
    db.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directives", type=int, default=2_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--per-directive", type=int, default=500)
    parser.add_argument("--reuse", type=Path, help="Build into (or reuse) this database file.")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chidao-dashboard-") as folder:
        path = args.reuse or Path(folder) / "dashboard.db"
        if not path.exists():
            prepare(path, args.directives, args.units, args.per_directive)
        took, text, statements = time_engine(path, args.repeat)
        floor = time_floor(path, statements, args.repeat)
        lines = text.count("\n")
        print(
            f"dashboard ({len(statements)} queries, {lines} lines rendered): engine {took:.3f} s, "
            f"floor (same queries, raw sqlite3) {floor:.3f} s, ratio {took / floor:.2f}× "
            f"(goals: ≤ 1.5× and < 1 s)"
        )


if __name__ == "__main__":
    main()
