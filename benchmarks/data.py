"""Starting data for the benchmarks, built through chidao's public API only.

An office with N schools written as an org file and loaded with ``engine.load_org_file``;
directives issued with ``engine.issue``. The same files are then copied for each run, so
that the engine and its floor start from identical bytes.
"""

from __future__ import annotations

import time
from pathlib import Path

import common  # noqa: F401 (puts src/ on sys.path)
import pendulum

from chidao import engine
from chidao.clock import TZ
from chidao.directive import directive_from_mapping
from chidao.store import Store

ISSUED = pendulum.datetime(2024, 9, 3, 8, tz=TZ)
NOW = pendulum.datetime(2024, 10, 7, 8, tz=TZ)  # the backlog sweep: most dues have passed
LEVELS = ("[MN]", "[TH]", "[THCS]", "[TH, THCS]")
OFFICE = "pgd-bench"
PEOPLE = """people:
  - {id: head, name: Trưởng Phòng, position: Trưởng phòng, head: true}
  - {id: deputy, name: Phó Trưởng Phòng, position: Phó trưởng phòng, reports_to: head}
  - {id: cv-MN, name: Chuyên viên MN, position: Chuyên viên, reports_to: deputy, levels: [MN]}
  - {id: cv-TH, name: Chuyên viên TH, position: Chuyên viên, reports_to: deputy, levels: [TH]}
  - {id: cv-THCS, name: Chuyên viên THCS, position: Chuyên viên, reports_to: deputy,
     levels: [THCS]}
"""


def unit_code(i: int) -> str:
    return f"u{i:06d}"


def write_org(path: Path, units: int, levels: tuple[str, ...] = LEVELS) -> Path:
    lines = [
        "office:",
        f"  code: {OFFICE}",
        "  name: Phòng GD&ĐT (benchmark)",
        "  kind: Phòng GD&ĐT",
        "  parent_body: UBND huyện",
        PEOPLE,
        "units:",
    ]
    lines += [
        f"  - {{code: {unit_code(i)}, name: Trường số {i}, levels: {levels[i % len(levels)]}}}"
        for i in range(units)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def org_database(folder: Path, units: int, levels: tuple[str, ...] = LEVELS) -> Path:
    """A database holding only the office and its ``units`` schools."""
    path = folder / f"org-{units}.db"
    store = Store.open(f"sqlite:///{path}", simulation=True)  # its writes take --now
    engine.load_org_file(store, write_org(folder / f"org-{units}.yaml", units, levels), "head")
    store.close()
    return path


def directive(n: int, units: list[str] | None, due: pendulum.DateTime, levels=None) -> object:
    doc = {
        "subject": f"Văn bản thử số {n}",
        "number": str(n + 1),
        "symbol": "PGDĐT-BENCH",
        "date": "2024-09-03",
        "deadlines": [{"due": due.isoformat()}],
        "signer": {
            "name": "Phó Trưởng Phòng",
            "position": "PHÓ TRƯỞNG PHÒNG",
            "chain": [{"authority": "KT", "title": "TRƯỞNG PHÒNG"}],
        },
    }
    if units is not None:
        doc["units"] = units
    if levels is not None:
        doc["recipient_levels"] = levels
    return directive_from_mapping(doc, "bench")


def task_database(folder: Path, tasks: int, per: int = 500, units: int = 5_000) -> Path:
    """``tasks`` tasks in directives of ``per`` schools each, dues spread over five weeks
    (midnight, "trước ngày D"), a fifth already reported on time; nothing swept yet."""
    path = org_database(folder, units)
    store = Store.open(f"sqlite:///{path}")
    started, total = time.perf_counter(), 0
    for n in range(tasks // per):
        first = (n * per) % units
        codes = [unit_code((first + k) % units) for k in range(per)]
        due = ISSUED.add(days=2 + n % 35).replace(hour=0)
        total += engine.issue(store, directive(n, codes, due), "bao-cao", ISSUED, "deputy").tasks
        if n % 500 == 499:
            print(f"  built {total:,} tasks ({time.perf_counter() - started:.0f} s)", flush=True)
    store.close()
    reported = ISSUED.add(days=1).isoformat(timespec="microseconds")
    db = common.raw(path)  # a fifth reported on time: the setup, not what is measured
    db.execute(
        "UPDATE tasks SET state = 'reported', reported_at = ?, days_late = 0 WHERE id % 5 = 0",
        (reported,),
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path
