"""The dashboard: the engine beside the queries a person would write for the same numbers.

    python benchmarks/dashboard.py [--quick] [--sizes 100000,300000,1000000] [--runs 5]
                                   [--data DIR]

Uses the files of ``sweep.py`` (``--data`` shares them) after the engine's backlog sweep,
so that there are overdue tasks and escalations. Alternating, in fresh processes:

- engine: ``dashboard.build`` + ``dashboard.render`` of the full dashboard to a string at
  120 columns, with the rows a screen shows (``SCREEN_ROWS``): what a plain ``chidao
  dashboard`` does (read-only; ``--sweep`` would run the next-morning sweep of ``sweep.py``
  first);
- floor: raw ``sqlite3``: counts per directive and state (reported late, past due, highest
  rung, nearest due), the directives' rows, counts per level and state, the 15 most overdue
  tasks (overdue, or open and past due) with their school and last escalation and how many
  there are in all, the tasks still waiting for receipt to start their due, and the count
  and first 15 of those due in the next two working days (15: the rows a screen's list
  shows, ``SCREEN_ROWS``). Each query written the faster way where there is one (per
  school before per level; the first 15 by their keys before their joins).

Peak memory is each child's own (the floor's imports neither chidao nor SQLAlchemy).
The floor's numbers are not cross-checked against the rendered text (the engine returns a
screen, not rows). Goals: ≤ 1.5× the floor and under one second at 1,000,000 tasks.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import common


def engine_dashboard(path: str) -> tuple[float, str]:
    import data
    from rich.console import Console

    from chidao import dashboard
    from chidao.store import Store

    store = Store.open(f"sqlite:///{path}")
    start = time.perf_counter()
    built = dashboard.build(store, data.NOW, dashboard.Options(limit=dashboard.SCREEN_ROWS))
    out = io.StringIO()
    Console(file=out, width=120, color_system="truecolor").print(dashboard.render(built, "vi", 120))
    took = time.perf_counter() - start
    store.close()
    return took, ""


FLOOR = (
    "SELECT directive_id, state, count(*), sum(reported_at > due_at), sum(due_at < :at),"
    " max(rung), min(due_at), max(due_at) FROM tasks GROUP BY directive_id, state",
    "SELECT id, code, subject, date, urgency, office_code, template_id FROM directives",
    # per school first, then per level: far fewer rows to join than one per task
    "SELECT l.level, s.state, sum(s.n) FROM (SELECT unit_code, state, count(*) AS n"
    " FROM tasks GROUP BY unit_code, state) s JOIN unit_levels l ON l.unit_code = s.unit_code"
    " GROUP BY l.level, s.state",
    # the 15 first by their keys alone, then their school and last escalation
    "SELECT t.id, t.unit_code, u.name, u.principal, u.phone, d.code, t.due_at, t.rung,"
    " (SELECT e.kind || ' ' || e.round || ' ' || e.target_name FROM escalations e"
    "  WHERE e.task_id = t.id ORDER BY e.rung DESC LIMIT 1)"
    " FROM (SELECT id, due_seq FROM tasks WHERE state = 'overdue' AND due_seq IS NOT NULL"
    "  OR state IN ('received', 'implementing') AND due_at < :at AND due_seq IS NOT NULL"
    "  ORDER BY due_seq, id LIMIT 15) f JOIN tasks t ON t.id = f.id"
    " JOIN units u ON u.code = t.unit_code JOIN directives d ON d.id = t.directive_id"
    " ORDER BY f.due_seq, f.id",
    "SELECT count(*) FROM tasks WHERE state = 'overdue' AND due_seq IS NOT NULL"
    " OR state IN ('received', 'implementing') AND due_at < :at AND due_seq IS NOT NULL",
    "SELECT count(*) FROM tasks WHERE state IN ('received', 'implementing')"
    " AND due_seq <= :soon AND due_at >= :at",
    # tasks whose due starts at receipt, still waiting for it
    "SELECT directive_id, state, deliverable_id, count(*) FROM tasks WHERE due_at IS NULL"
    " GROUP BY directive_id, state, deliverable_id",
    "SELECT t.id, t.unit_code, u.name, t.state, d.code, t.due_at FROM tasks t"
    " JOIN units u ON u.code = t.unit_code JOIN directives d ON d.id = t.directive_id"
    " WHERE t.state IN ('received', 'implementing') AND t.due_seq <= :soon"
    " AND t.due_at >= :at ORDER BY t.due_seq, t.due_at, t.id LIMIT 15",
)


def floor_params() -> dict[str, object]:
    """The moment and the working-day ordinal two days on, computed before the floor's
    timer and outside its process (whose memory then holds no chidao)."""
    import data

    from chidao.calendar import WorkCalendar

    soon = WorkCalendar().ordinal(data.NOW.date()) + 2
    return {"at": data.NOW.isoformat(timespec="microseconds"), "soon": soon}


def floor_dashboard(path: str, params: dict[str, object]) -> tuple[float, str]:
    db = common.raw(path)
    start = time.perf_counter()
    db.execute("BEGIN")
    rows = [db.execute(query, params).fetchall() for query in FLOOR]
    db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    return took, str(sum(len(r) for r in rows))


def bench(folder: Path, tasks: int, runs: int) -> None:
    import sweep

    base = sweep.swept(folder, tasks)
    params = floor_params()
    results = common.alternate(
        {
            "engine": (engine_dashboard, lambda: (str(base),)),
            "floor": (floor_dashboard, lambda: (str(base), params)),
        },
        runs,
    )
    ratio = common.compare(
        f"dashboard at {tasks:,} tasks (build + render; numbers not cross-checked)",
        results["engine"],
        results["floor"],
        1.5,
        "floor (hand-written queries)",
    )
    median = common.Stats.of(results["engine"]).median
    print(
        f"  under one second: {'met' if median < 1 else 'MISSED'} ({ratio:.2f}× its floor)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, 3 runs: a smoke run.")
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, help="Share (and reuse) sweep.py's built files.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.runs = [10_000], 3
    with tempfile.TemporaryDirectory(prefix="chidao-dashboard-") as temp:
        folder = args.data or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        common.compiled()
        common.load("before")
        for tasks in sizes:
            bench(folder, tasks, args.runs)
            common.load(f"after {tasks:,}")


if __name__ == "__main__":
    main()
