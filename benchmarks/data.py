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


FILE_UNITS = 100_000  # an org file lists at most this many units (schemas.types.MAX_LIST)


def org_database(folder: Path, units: int, levels: tuple[str, ...] = LEVELS) -> Path:
    """A database holding only the office and its ``units`` schools.

    An org file holds at most ``FILE_UNITS`` units (a user limit, kept): beyond them the
    rest are written straight into the store as the rows a load writes (``units`` and
    ``unit_levels``; ``python benchmarks/data.py`` compares the two ways by digest)."""
    path = folder / f"org-{units}.db"
    store = Store.open(f"sqlite:///{path}", simulation=True)  # its writes take --now
    in_file = min(units, FILE_UNITS)
    engine.load_org_file(store, write_org(folder / f"org-{units}.yaml", in_file, levels), "head")
    store.close()
    if units > in_file:
        _add_units(path, range(in_file, units), levels)
    return path


def _add_units(path: Path, numbers: range, levels: tuple[str, ...]) -> None:
    """Schools ``numbers`` as ``write_org`` names them, written as ``org load`` writes them."""
    rows = []
    for i in numbers:
        these = [x.strip() for x in levels[i % len(levels)].strip("[]").split(",")]
        rows.append((unit_code(i), f"Trường số {i}", ",".join(these), these))
    db = common.raw(path)
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO units (code, office_code, name, levels, principal, email, phone)"
        " VALUES (?, ?, ?, ?, '', '', '')",
        ((code, OFFICE, name, joined) for code, name, joined, _ in rows),
    )
    db.executemany(
        "INSERT INTO unit_levels (unit_code, level) VALUES (?, ?)",
        ((code, level) for code, _, _, these in rows for level in these),
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _check_added_units(folder: Path, units: int = 2_000) -> None:
    """The rows ``_add_units`` writes are those an org load writes (compared by digest)."""
    loaded = org_database(folder, units)
    added = folder / "added.db"
    store = Store.open(f"sqlite:///{added}")
    engine.load_org_file(store, write_org(folder / "small.yaml", 10), "head")
    store.close()
    _add_units(added, range(10, units), LEVELS)
    query = (
        "SELECT u.code, u.office_code, u.name, u.levels, u.principal, u.email, u.phone,"
        " (SELECT group_concat(level) FROM (SELECT level FROM unit_levels l"
        "  WHERE l.unit_code = u.code ORDER BY level)) FROM units u ORDER BY u.code"
    )
    digests = set()
    for db_path in (loaded, added):
        db = common.raw(db_path)
        digests.add(common.digest_rows(db, query))
        db.close()
    if len(digests) != 1:
        raise SystemExit(f"units written directly differ from an org load's: {digests}")
    print(f"units written directly = an org load's ({units:,} units, rows compared by digest)")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as temp:
        _check_added_units(Path(temp))


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
