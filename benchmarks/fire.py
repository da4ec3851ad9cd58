"""Single transitions, in-process: ``engine.fire`` beside a hand-written raw sqlite3 floor.

    python benchmarks/fire.py [--fires 2000] [--runs 5] [--profile]

M tasks of one directive (issued through the engine), each moved once by ``start`` from
its own school, one transaction per move. Engine: ``engine.fire(store, "start", [id],
unit, now)``. Floor, per transaction, what a person writes by hand for the same work:
BEGIN IMMEDIATE; SELECT the task (state, version, unit, head); UPDATE it, checked by its
version, with its new head; INSERT its event with the OS account and the audit hash
(``hashlib.sha256`` over the previous hash and the event's content, ``chidao.audit``);
COMMIT. Both sides run ``--runs`` times in fresh processes, taking turns, and the rows
they produce (states, versions, heads, events, hashes) are compared by digest.
Goal: a transition ≤ 2× its floor. ``--profile`` prints the engine's top functions.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import os
import tempfile
import time
from pathlib import Path

import common
import data
import fanout

SEP = "\x1f"


def _ids(path: str, fires: int) -> list[tuple[int, str]]:
    db = common.raw(path)
    try:
        return list(db.execute("SELECT id, unit_code FROM tasks ORDER BY id LIMIT ?", (fires,)))
    finally:
        db.close()


def engine_fires(path: str, fires: int) -> tuple[float, str]:
    from chidao import engine
    from chidao.store import Store

    store = Store.open(f"sqlite:///{path}")
    tasks = _ids(path, fires)
    later = data.ISSUED.add(hours=1)
    start = time.perf_counter()
    for task_id, unit in tasks:
        engine.fire(store, "start", [task_id], unit, later)
    took = time.perf_counter() - start
    store.close()
    return took, _fire_digest(path)


def floor_fires(path: str, fires: int) -> tuple[float, str]:
    """Per transaction: read the task, hash its event, a version-checked UPDATE, the event."""
    tasks = _ids(path, fires)
    db = common.raw(path)
    at = data.ISSUED.add(hours=1).isoformat(timespec="microseconds")
    os_user = getpass.getuser()[:64]
    shared = SEP.join(("start", "{actor}", os_user, at, ""))
    start = time.perf_counter()
    for task_id, actor in tasks:
        db.execute("BEGIN IMMEDIATE")
        state, version, unit, head = db.execute(
            "SELECT state, version, unit_code, head FROM tasks WHERE id = ?", (task_id,)
        ).fetchone()
        if state != "received" or unit != actor:
            raise RuntimeError(f"task {task_id} is {state} of {unit}")
        text = SEP.join((head, str(task_id), str(version + 1), state, "implementing", ""))
        digest = hashlib.sha256(
            (text + SEP + shared.replace("{actor}", actor)).encode()
        ).hexdigest()
        updated = db.execute(
            "UPDATE tasks SET state = 'implementing', prev_state = ?, version = version + 1,"
            " updated_at = ?, head = ? WHERE id = ? AND version = ?",
            (state, at, digest, task_id, version),
        ).rowcount
        if updated != 1:
            raise RuntimeError(f"task {task_id} changed meanwhile")
        db.execute(
            'INSERT INTO events (task_id, from_state, to_state, "trigger", actor, at, note,'
            " os_user, hash) VALUES (?, ?, 'implementing', 'start', ?, ?, '', ?, ?)",
            (task_id, state, actor, at, os_user, digest),
        )
        db.execute("COMMIT")
    took = time.perf_counter() - start
    db.close()
    return took, _fire_digest(path)


def _fire_digest(path: str) -> str:
    db = common.raw(path)
    try:
        return common.digest_rows(
            db,
            "SELECT t.id, t.state, t.prev_state, t.version, t.updated_at, t.head, e.from_state,"
            ' e.to_state, e."trigger", e.actor, e.on_behalf_of, e.at, e.note, e.os_user, e.hash'
            " FROM tasks t LEFT JOIN events e ON e.task_id = t.id ORDER BY t.id, e.id",
        )
    finally:
        db.close()


def profile(path: str, fires: int) -> None:
    import cProfile
    import pstats

    cProfile.runctx("engine_fires(path, fires)", globals(), {"path": path, "fires": fires}, "p")
    order, top = os.environ.get("SORT", "tottime"), int(os.environ.get("TOP", "18"))
    pstats.Stats("p").sort_stats(order).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fires", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    common.compiled()
    common.load("before")
    with tempfile.TemporaryDirectory(prefix="chidao-fire-") as temp:
        folder = Path(temp)
        base = data.org_database(folder, args.fires, fanout.TH)
        fanout.engine_fan_out(str(base))  # the tasks to move, issued through the engine
        if args.profile:
            os.chdir(folder)
            profile(str(common.copy_of(base, "p.db")), args.fires)
            return
        results = common.alternate(
            {
                "engine": (
                    engine_fires,
                    lambda: (str(common.copy_of(base, "e.db")), args.fires),
                ),
                "floor": (
                    floor_fires,
                    lambda: (str(common.copy_of(base, "f.db")), args.fires),
                ),
            },
            args.runs,
        )
    per = {
        k: [common.Run(r.seconds / args.fires, r.peak_mb, r.digest) for r in v]
        for k, v in results.items()
    }
    common.compare(
        f"single transition, {args.fires:,} fires of one task each per run, {args.runs} runs "
        f"alternating ({common.check_same(results, ('engine', 'floor'))}); time per fire",
        per["engine"],
        per["floor"],
        2.0,
        "floor (raw sqlite3: SELECT + sha256 + UPDATE + INSERT)",
    )
    common.load("after")


if __name__ == "__main__":
    main()
