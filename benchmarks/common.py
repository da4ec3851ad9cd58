"""Shared timing helpers: fresh child processes, alternating sides, medians and spread.

Every timed run happens in its own spawned interpreter, so that one side's caches, page
cache settings or leaked memory never help or hurt the other, and so that the child's peak
resident memory (``VmHWM``: imports included, SQLite's own page cache included, which
``tracemalloc`` would miss) belongs to that run alone. A side is a top-level function
``side(path, *args) -> (seconds, digest)``: it times only the work itself, and returns a
digest of the rows it produced so that the engine and its floor can be checked to agree.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import resource
import shutil
import sqlite3
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(SRC))

Side = Callable[..., tuple[float, str]]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    digest: str


@dataclass(frozen=True)
class Stats:
    median: float
    low: float
    high: float
    peak_mb: float

    @classmethod
    def of(cls, runs: Sequence[Run]) -> Stats:
        times = [r.seconds for r in runs]
        return cls(statistics.median(times), min(times), max(times), max(r.peak_mb for r in runs))

    def __str__(self) -> str:
        return (
            f"{fmt(self.median)} (spread {fmt(self.low)}–{fmt(self.high)}, {self.peak_mb:.0f} MB)"
        )


def fmt(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def peak_kb() -> int:
    """This process's peak resident memory. On Linux ``VmHWM`` of /proc/self/status: the
    high-water mark of this interpreter's own memory. (``ru_maxrss`` survives exec, so a
    child spawned by a parent of 90 MB would report at least 90 MB whatever it did.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(side: Side, args: tuple[Any, ...], out: Any) -> None:
    seconds, digest = side(*args)
    out.put((seconds, peak_kb() / 1024, digest))


def in_child(side: Side, *args: Any) -> Run:
    """Run ``side(*args)`` once in a fresh interpreter; its time, peak memory and digest."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(side, args, queue))
    process.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if process.exitcode is not None:
                raise RuntimeError(f"{side.__name__} failed in its child process") from None
    process.join()
    return Run(*result)


def alternate(
    sides: dict[str, tuple[Side, Callable[[], tuple[Any, ...]]]], runs: int
) -> dict[str, list[Run]]:
    """Run each side ``runs`` times, taking turns (A B A B …) so that load on the machine
    falls on both; ``prepare()`` gives a side its arguments (e.g. a fresh copy of a file)."""
    results: dict[str, list[Run]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, (side, prepare) in sides.items():
            results[name].append(in_child(side, *prepare()))
    return results


def check_same(results: dict[str, list[Run]], names: Iterable[str]) -> str:
    """'rows identical' when every run of the named sides produced the same digest."""
    digests = {r.digest for name in names for r in results[name]}
    return "rows identical (digest)" if len(digests) == 1 else f"ROWS DIFFER: {sorted(digests)}"


def compare(
    label: str, engine: Sequence[Run], floor: Sequence[Run], goal: float | None, what: str
) -> float:
    """Print engine and floor side by side, the ratio of medians and the goal's verdict."""
    e, f = Stats.of(engine), Stats.of(floor)
    ratio = e.median / f.median
    verdict = ""
    if goal is not None:
        verdict = f" — goal ≤ {goal:g}× {'met' if ratio <= goal else 'MISSED'}"
    print(f"{label}\n  engine: {e}\n  {what}: {f}\n  ratio {ratio:.2f}×{verdict}", flush=True)
    return ratio


def load(when: str) -> None:
    """How busy the machine is (other people's tests share it): the load averages."""
    one, five, fifteen = os.getloadavg()
    cores = os.cpu_count() or 1
    print(f"load average {when}: {one:.2f} {five:.2f} {fifteen:.2f} ({cores} cores)", flush=True)


def copy_of(path: Path, name: str) -> Path:
    target = path.with_name(name)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(path, target)
    return target


def digest_rows(db: sqlite3.Connection, query: str, params: Sequence[Any] = ()) -> str:
    """A SHA-256 over the rows of ``query`` (ordered by it), as their repr."""
    sha = hashlib.sha256()
    for row in db.execute(query, params):
        sha.update(repr(tuple(row)).encode())
    return sha.hexdigest()[:16]


def raw(path: Path | str) -> sqlite3.Connection:
    """A raw connection with the engine's file settings (WAL, synchronous NORMAL)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB, as the store's connections
    return db


def compiled() -> None:
    """Write chidao's bytecode, as installing the package does: a process then loads it
    instead of compiling every module from source (this machine sets
    PYTHONDONTWRITEBYTECODE=1, so an editable checkout would otherwise never have it)."""
    import compileall

    compileall.compile_dir(str(SRC / "chidao"), quiet=1)
