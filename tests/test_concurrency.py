"""Many processes on one database at once: no lost update, no duplicate event, no traceback.

Eight worker processes each fire 200 random transitions that the task allowed when they
read it (a school for its own recipient triggers, a person of the office for office ones),
through the engine as ``chidao task fire`` does; two loops sweep at advancing moments; and
two ``chidao directive issue`` processes issue the same directive at the same moment.
Afterwards the database, read through the store, must tell one consistent story: every
accepted fire has exactly one event, each task's events chain from its first state to its
present one, its version counts them, and the directive exists once.

Time is simulated and shared: every process takes its ``now`` from one clock that only
moves forward when no operation is in flight, so no event is ever dated before the
previous event of its task (however the transactions interleave).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import yaml
from conftest import EXAMPLES
from sqlalchemy import func, select

from chidao import engine, sweeper
from chidao.clock import TZ, format_moment
from chidao.directive import directive_from_mapping
from chidao.errors import ChidaoError
from chidao.store import Store
from chidao.store.schema import directives, escalations, events, notifications, tasks

WORKERS, FIRES, SWEEPERS = 8, 200, 2
HOT = 12  # how many tasks at the head of the list everyone fights over
ISSUED = pendulum.datetime(2024, 3, 25, 8, tz=TZ)
START = pendulum.datetime(2024, 3, 26, 8, tz=TZ)  # the clock's first moment
STEP = dt.timedelta(hours=12)  # how far each sweep moves the clock
PAUSE = 0.05  # seconds between two sweeps of a loop (a sweep is not run back to back)
OFFICE_PEOPLE = ("tung-nt", "chinh-tt", "do-nv", "hanh-nth", "tp-dien-bien")
# A refusal because the task moved since the worker read it (the trigger is not allowed
# from where someone else took it) is what a person sees when another was quicker. Not
# even ConcurrentChange is expected: a fire reads its task under the write lock (SQLite)
# or FOR UPDATE (PostgreSQL), so its own version check cannot fail; anything else is a bug.
EXPECTED_REFUSALS = {"TransitionRefused"}
CTXH = EXAMPLES / "directives" / "ctxh-2024.yaml"


class SharedClock:
    """A simulated clock shared by processes: ``moment()`` lends the current time to one
    operation; ``advance(to)`` moves it forward once no operation holds an older one."""

    def __init__(self, ctx: Any, start: pendulum.DateTime) -> None:
        self._start = start
        self._cond = ctx.Condition()
        self._seconds = ctx.Value("q", 0, lock=False)
        self._in_flight = ctx.Value("i", 0, lock=False)
        self._advancing = ctx.Value("i", 0, lock=False)

    @contextlib.contextmanager
    def moment(self) -> Iterator[pendulum.DateTime]:
        with self._cond:
            self._cond.wait_for(lambda: not self._advancing.value)
            self._in_flight.value += 1
            seconds = self._seconds.value
        try:
            yield self._start.add(seconds=seconds)
        finally:
            with self._cond:
                self._in_flight.value -= 1
                self._cond.notify_all()

    def moved(self) -> bool:
        return bool(self._seconds.value)

    def advance(self, to: pendulum.DateTime) -> None:
        with self._cond:
            self._cond.wait_for(lambda: not self._advancing.value)
            self._advancing.value = 1
            self._cond.wait_for(lambda: not self._in_flight.value)
            self._seconds.value = max(self._seconds.value, int((to - self._start).total_seconds()))
            self._advancing.value = 0
            self._cond.notify_all()


def _in_child(name: str, folder: str, work, *args: Any) -> None:
    """Run ``work`` with this process's stderr in its own file and its result as JSON."""
    err = open(Path(folder) / f"{name}.err", "w", encoding="utf-8")  # noqa: SIM115
    os.dup2(err.fileno(), 2)
    sys.stderr = err
    try:
        result = work(*args)
    except BaseException:
        traceback.print_exc()
        err.flush()
        raise
    (Path(folder) / f"{name}.json").write_text(json.dumps(result), encoding="utf-8")


def fire_randomly(
    db_url: str, clock: SharedClock, ids: list[int], seed: int, fires: int
) -> dict[str, Any]:
    """Read a random task, fire one of the triggers it allows (as a suitable actor)."""
    rng = random.Random(seed)
    store = Store.open(db_url)
    live, accepted, refused = list(ids), [], collections.Counter()
    while len(accepted) + sum(refused.values()) < fires and live:
        # half the time one of the first few open tasks, which every worker is after too
        task_id = rng.choice(live[:HOT] if rng.random() < 0.5 else live)
        view, _directive, allowed, _events, _template = engine.task_detail(store, task_id)
        choices = [
            (trigger, view.unit if role == "recipient" else rng.choice(OFFICE_PEOPLE))
            for trigger, roles in (a.rstrip(")").split(" (") for a in allowed)
            for role in roles.split("/")
            if role != engine.SYSTEM
        ]
        if not choices:  # a final state: nothing more will happen to it
            live.remove(task_id)
            continue
        trigger, actor = rng.choice(choices)
        with clock.moment() as now:
            try:
                fired = engine.fire(store, trigger, [task_id], actor, now)
            except ChidaoError as exc:
                refused[type(exc).__name__] += 1
                continue
        accepted.append([task_id, trigger, actor, fired[0].from_state, fired[0].to_state])
    store.close()
    return {"accepted": accepted, "refused": dict(refused), "ran_dry": not live}


def sweep_repeatedly(db_url: str, clock: SharedClock, stop: Any) -> dict[str, Any]:
    """Sweep at the clock's moment, move the clock on, until told to stop."""
    store = Store.open(db_url)
    sweeps, overdue, errors = 0, 0, []
    while not stop.is_set() or sweeps < 2:
        with clock.moment() as now:
            try:
                swept = sweeper.sweep(store, now)
            except ChidaoError as exc:
                errors.append(f"{type(exc).__name__}: {exc} ({exc.__cause__})")
                continue
        sweeps += 1
        overdue += swept.overdue
        clock.advance(now + STEP)
        time.sleep(PAUSE)
    store.close()
    return {"sweeps": sweeps, "overdue": overdue, "errors": errors, "last": str(now)}


def _directive(number: int, due: str, workflow: str, store: Store) -> None:
    doc = yaml.safe_load(CTXH.read_text(encoding="utf-8"))
    doc.update(number=str(number), symbol="PGDĐT-TH", date="2024-03-25", references=[])
    doc["deadlines"] = [{"item": "2", "text": "báo cáo", "due": due}]
    engine.issue(store, directive_from_mapping(doc, "test"), workflow, ISSUED, "tung-nt")


def _setup(db_url: str) -> list[int]:
    """The example org and 1,058 tasks: 23 directives to its 46 schools, dues from 28/03
    to 10/04, twelve with the bao-cao workflow and eleven with bao-cao-tham-dinh (whose
    office may return a report for revision, so those tasks go round)."""
    store = Store.open(db_url)
    engine.load_org_file(store, EXAMPLES / "org-dien-bien.yaml", "tp-dien-bien")
    ctxh = directive_from_mapping(yaml.safe_load(CTXH.read_text(encoding="utf-8")), "ctxh")
    engine.issue(store, ctxh, "bao-cao", ISSUED, "tung-nt")
    dues = ("2024-03-28", "2024-04-01", "2024-04-03", "2024-04-05", "2024-04-10")
    for n in range(22):
        workflow = "bao-cao" if n % 2 else "bao-cao-tham-dinh"
        _directive(100 + n, f"{dues[n % 5]}T00:00:00+07:00", workflow, store)
    with store.read() as conn:
        ids = list(conn.scalars(select(tasks.c.id).order_by(tasks.c.id)))
    store.close()
    return ids


def _issue_twice(db_url: str, folder: Path) -> list[subprocess.Popen]:
    doc = yaml.safe_load(CTXH.read_text(encoding="utf-8"))
    doc.update(number="99", symbol="PGDĐT-TH", date="2024-03-25", references=[])
    path = folder / "cv-99.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "CHIDAO_DB": db_url, "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "chidao", "directive", "issue", str(path), "-w", "bao-cao"]
    command += ["--now", "25/03/2024 09:00", "--as", "tung-nt"]
    return [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]


def _run(db_url: str, ids: list[int], folder: Path) -> dict[str, Any]:
    """Start everything at once; return what each process said, and the two issues."""
    ctx = multiprocessing.get_context("spawn")
    clock, stop = SharedClock(ctx, START), ctx.Event()
    jobs = {f"worker{n}": (fire_randomly, db_url, clock, ids, n, FIRES) for n in range(WORKERS)}
    jobs |= {f"sweep{n}": (sweep_repeatedly, db_url, clock, stop) for n in range(SWEEPERS)}
    processes = {
        name: ctx.Process(target=_in_child, args=(name, str(folder), *job))
        for name, job in jobs.items()
    }
    started = time.monotonic()
    for process in processes.values():
        process.start()
    while not clock.moved() and time.monotonic() < started + 60:  # all are at work
        time.sleep(0.05)
    issues = _issue_twice(db_url, folder)
    texts = [[t.decode() for t in p.communicate(timeout=120)] for p in issues]
    said = [(p.returncode, *text) for p, text in zip(issues, texts, strict=True)]
    for name, process in processes.items():
        if name.startswith("worker"):
            process.join(150)
    stop.set()
    for process in processes.values():
        process.join(60)
    stderr = {name: (folder / f"{name}.err").read_text(encoding="utf-8") for name in processes}
    assert [p.exitcode for p in processes.values()] == [0] * len(processes), stderr
    assert not any("Traceback" in text for text in stderr.values()), stderr
    out = {n: json.loads((folder / f"{n}.json").read_text(encoding="utf-8")) for n in processes}
    out["issues"] = sorted(said)
    out["seconds"] = time.monotonic() - started
    return out


def _history(store: Store) -> tuple[dict[int, tuple[str, int]], dict[int, list[tuple]]]:
    """Each task's state and version, and its events (from, to, trigger, actor, at)."""
    with store.read() as conn:
        rows = conn.execute(select(tasks.c.id, tasks.c.state, tasks.c.version))
        now = {task_id: (state, version) for task_id, state, version in rows}
        by_task: dict[int, list[tuple]] = collections.defaultdict(list)
        e = events.c
        columns = (e.task_id, e.from_state, e.to_state, e.trigger, e.actor, e.at)
        for row in conn.execute(select(*columns).order_by(e.id)):
            by_task[row[0]].append(tuple(row[1:]))
    return now, by_task


def _broken(state_now: dict[int, tuple[str, int]], history: dict[int, list[tuple]]) -> list:
    """Tasks whose story does not hold: events that do not chain from the first state to
    the present one (a lost update, or an event written twice), a version that does not
    count the events, or an event dated before the one before it."""
    broken = []
    for task_id, (state, version) in state_now.items():
        chain = history.get(task_id, [])
        froms = [e[0] for e in chain]
        tos = ["received", *(e[1] for e in chain)]
        if froms != tos[:-1] or tos[-1] != state or version != 1 + len(chain):
            broken.append((task_id, state, version, chain))
        moments = [e[4] for e in chain]
        if moments != sorted(moments):
            broken.append((task_id, "dated before the previous event", chain))
    return broken


def _notified(store: Store) -> tuple[int, int]:
    """Escalations without a notification of their batch (directive, rung, whom, moment),
    and batches with more than one."""
    n = notifications.c
    with store.read() as conn:
        same = (
            (n.directive_id == escalations.c.directive_id)
            & (n.rung == escalations.c.rung)
            & (n.recipient == escalations.c.target_name)
            & (n.created_at == escalations.c.created_at)
        )
        missing = conn.scalar(
            select(func.count()).select_from(escalations).where(~select(n.id).where(same).exists())
        )
        twice = conn.execute(
            select(func.count())
            .select_from(notifications)
            .group_by(n.directive_id, n.rung, n.recipient, n.created_at)
            .having(func.count() > 1)
        ).all()
    return missing, len(twice)


def test_many_writers_at_once(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CHIDAO_SIMULATION", "1")  # inherited by every process started here
    out = _run(db_url, _setup(db_url), tmp_path)
    fired = [out[f"worker{n}"] for n in range(WORKERS)]
    swept = [out[f"sweep{n}"] for n in range(SWEEPERS)]
    accepted = [tuple(a) for w in fired for a in w["accepted"]]
    refused = sum((collections.Counter(w["refused"]) for w in fired), collections.Counter())
    print(
        f"{out['seconds']:.1f} s: {len(accepted)} fires accepted, refused {dict(refused)}; "
        f"sweeps {[s['sweeps'] for s in swept]} up to {swept[0]['last']}, "
        f"{sum(s['overdue'] for s in swept)} moved to overdue"
    )
    assert not any(w["ran_dry"] for w in fired)
    assert len(accepted) + sum(refused.values()) == WORKERS * FIRES
    assert set(refused) <= EXPECTED_REFUSALS, refused
    assert not any(s["errors"] for s in swept), "\n".join(e for s in swept for e in s["errors"])

    # the two issues of one directive: one created it, the other said so in one line
    (ok, _said, _err), (failed, _out, refusal) = out["issues"]
    assert (ok, failed) == (0, 1), out["issues"]
    assert refusal.startswith("Error: directive ") and refusal.count("\n") == 1, refusal
    assert "issued" in refusal
    store = Store.open(db_url)
    with store.read() as conn:
        number = directives.c.number == "99"
        assert conn.scalar(select(func.count()).select_from(directives).where(number)) == 1

    state_now, history = _history(store)
    assert _broken(state_now, history) == []
    # every accepted fire has exactly one event, and every event of a person is one of them
    by_people = collections.Counter(
        (task_id, trigger, actor, from_state, to_state)
        for task_id, chain in history.items()
        for from_state, to_state, trigger, actor, _at in chain
        if actor != engine.SYSTEM
    )
    assert by_people == collections.Counter(accepted)
    # every move a sweep counted has its one event, and every escalation its one message
    overdue = sum(1 for chain in history.values() for e in chain if e[2] == "mark_overdue")
    assert overdue == sum(s["overdue"] for s in swept)
    assert _notified(store) == (0, 0)
    store.close()


# ----------------------------------------------------------------- a sweep that dies midway

DIES_AT = pendulum.datetime(2024, 4, 3, 8, tz=TZ)  # overdue, nhắc nhở and phê bình are due
NEXT = pendulum.datetime(2024, 4, 8, 8, tz=TZ)  # and kiểm điểm


def sweep_and_die(db_url: str) -> None:
    """Sweep in batches of 10 tasks and be killed as soon as the first batch committed."""
    store = Store.open(db_url)
    sweeper.sweep(
        store, DIES_AT, batch=10, progress=lambda done, total: os.kill(os.getpid(), signal.SIGKILL)
    )


def _messages(store: Store) -> list[tuple[dt.datetime, int, int, str]]:
    """(moment, rung, tasks counted, body) of every queued notification."""
    n = notifications.c
    with store.read() as conn:
        query = select(n.created_at, n.rung, n.tasks, n.body).order_by(n.created_at, n.rung, n.id)
        return [tuple(row) for row in conn.execute(query)]


def _escalated(store: Store) -> collections.Counter:
    """How many escalations were made at each moment, for each rung."""
    with store.read() as conn:
        rows = conn.execute(select(escalations.c.created_at, escalations.c.rung))
        return collections.Counter(tuple(row) for row in rows)


def test_a_sweep_killed_midway_is_notified_by_the_next(db_url, monkeypatch):
    monkeypatch.setenv("CHIDAO_SIMULATION", "1")
    store = Store.open(db_url)
    engine.load_org_file(store, EXAMPLES / "org-dien-bien.yaml", "tp-dien-bien")
    ctxh = directive_from_mapping(yaml.safe_load(CTXH.read_text(encoding="utf-8")), "ctxh")
    engine.issue(store, ctxh, "bao-cao", ISSUED, "tung-nt")
    dying = multiprocessing.get_context("spawn").Process(target=sweep_and_die, args=(db_url,))
    dying.start()
    dying.join(60)
    assert dying.exitcode == -signal.SIGKILL
    # its first batch committed: ten tasks overdue, each reached two rungs; nothing queued
    assert _escalated(store) == {(DIES_AT, 2): 10, (DIES_AT, 3): 10}
    assert _messages(store) == []

    swept = sweeper.sweep(store, NEXT, batch=10)
    assert swept.overdue == 36
    assert swept.escalations == {"nhắc nhở": 36, "phê bình": 36, "kiểm điểm": 46}
    messages = _messages(store)
    # the dead sweep's ten escalations per rung, each in exactly one message of its moment
    counted = collections.Counter()
    for at, rung, count, body in messages:
        counted[at, rung] += count
        assert format_moment(at) in body
    assert counted == _escalated(store)
    assert {at for at, *_ in messages} == {DIES_AT, NEXT}
    assert swept.notifications == len(messages)
    assert _notified(store) == (0, 0)

    later = sweeper.sweep(store, NEXT.add(days=1), batch=10)  # nothing is owed any more
    assert (later.notifications, later.escalations) == (0, {})
    assert _messages(store) == messages
    store.close()
