"""A peer: SpiffWorkflow, a BPMN engine, doing a directive's work beside chidao.

    pip install SpiffWorkflow    # a benchmark peer only: not a dependency of chidao
    python benchmarks/spiff.py [--sizes 1000,5000] [--runs 5]

The directive as BPMN (``PROCESS`` below): a parallel multi-instance user task "report"
over the N schools of a data input, with a non-interrupting timer boundary event on it
("overdue", at the due) leading to an "escalate" user task. Persisted as a BPMN engine is
used: the workflow serialized to JSON (``BpmnWorkflowSerializer``) in one SQLite row.

Timed in the same fresh child process, for each side, alternating:

- fan-out: SpiffWorkflow creates the instance, runs its engine steps (N ready "report"
  tasks) and saves it; chidao ``engine.issue`` to N schools (template, directive, N tasks);
- one transition, persisted: SpiffWorkflow loads the instance, completes one school's
  report, runs its engine steps and saves it; chidao ``engine.fire`` of ``report`` on one
  task (the first fire of its process);
- overdue: SpiffWorkflow loads the instance once its timer has passed (the child sleeps
  until then, untimed), refreshes its waiting tasks (the boundary event fires, "escalate"
  becomes ready) and saves it; chidao ``sweeper.sweep`` a week after the due (every task
  marked overdue with its event, the escalation ladder climbed, notifications queued).

What the peer does that chidao does not: any BPMN process (gateways, messages, sub-
processes, scripts) drawn in a standard notation, with its full token history kept in the
instance. What chidao does that the peer's process here does not: an event with an audit
hash for every change, a per-school overdue state and escalation ladder (the boundary event
fires once for the whole activity), working-day dues, queries over tasks in SQL (the peer's
tasks live inside one JSON document that is read and rewritten whole on every change).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import common

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://chidao.example/bench">
  <bpmn:process id="directive" isExecutable="true">
    <bpmn:startEvent id="issued"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="issued" targetRef="report"/>
    <bpmn:userTask id="report" name="Report">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="false">
        <bpmn:loopDataInputRef>schools</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="school" name="school"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="overdue" attachedToRef="report" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>due</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="overdue" targetRef="escalate"/>
    <bpmn:userTask id="escalate" name="Escalate">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="escalated"/>
    <bpmn:endEvent id="escalated"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="done"/>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
STEPS = ("fan-out", "one transition", "overdue")


def spiff_side(path: str, units: int) -> tuple[float, str]:
    """The three steps on SpiffWorkflow; (fan-out seconds, the three timings as JSON)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_str(PROCESS.encode())
    spec = parser.get_spec("directive")
    serializer = BpmnWorkflowSerializer()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    # the timer must not fire before the overdue step: its due is set far enough ahead
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3 + units * 0.003)
    took: dict[str, float] = {}

    start = time.perf_counter()
    workflow = BpmnWorkflow(spec)
    first = workflow.get_tasks(state=TaskState.READY)[0]
    first.data.update(schools=[f"u{i:06d}" for i in range(units)], due=due.isoformat())
    workflow.do_engine_steps()
    db.execute("INSERT INTO workflows VALUES (1, ?)", (serializer.serialize_json(workflow),))
    took["fan-out"] = time.perf_counter() - start
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != units:
        raise RuntimeError(f"{len(ready)} report tasks ready, not {units}")

    start = time.perf_counter()
    workflow = serializer.deserialize_json(_body(db))
    school = next(
        t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.data["school"]
    )
    school.data["reported"] = True
    school.run()
    workflow.do_engine_steps()
    _save(db, serializer.serialize_json(workflow))
    took["one transition"] = time.perf_counter() - start

    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds() + 0.05))
    start = time.perf_counter()
    workflow = serializer.deserialize_json(_body(db))
    workflow.refresh_waiting_tasks()
    workflow.do_engine_steps()
    _save(db, serializer.serialize_json(workflow))
    took["overdue"] = time.perf_counter() - start
    names = {t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    if "escalate" not in names:
        raise RuntimeError("the timer boundary event did not fire")
    db.close()
    return took["fan-out"], json.dumps(took)


def _body(db: sqlite3.Connection) -> str:
    return db.execute("SELECT body FROM workflows WHERE id = 1").fetchone()[0]


def _save(db: sqlite3.Connection, body: str) -> None:
    db.execute("UPDATE workflows SET body = ? WHERE id = 1", (body,))


def chidao_side(path: str, units: int) -> tuple[float, str]:
    """The three steps on chidao; (fan-out seconds, the three timings as JSON)."""
    import data
    import fanout
    import pendulum

    from chidao import engine, sweeper
    from chidao.store import Store

    store = Store.open(f"sqlite:///{path}")
    doc = data.directive(0, None, pendulum.parse(fanout.DUE), levels=["TH"])
    took: dict[str, float] = {}
    start = time.perf_counter()
    engine.issue(store, doc, "bao-cao", data.ISSUED, "deputy")
    took["fan-out"] = time.perf_counter() - start
    task_id, unit = _first_task(path)
    start = time.perf_counter()
    engine.fire(store, "report", [task_id], unit, data.ISSUED.add(hours=1))
    took["one transition"] = time.perf_counter() - start
    start = time.perf_counter()
    swept = sweeper.sweep(store, data.NOW)
    took["overdue"] = time.perf_counter() - start
    if swept.overdue != units - 1:
        raise RuntimeError(f"{swept.overdue} tasks marked overdue, not {units - 1}")
    store.close()
    return took["fan-out"], json.dumps(took)


def _first_task(path: str) -> tuple[int, str]:
    db = common.raw(path)
    try:
        return db.execute("SELECT id, unit_code FROM tasks ORDER BY id LIMIT 1").fetchone()
    finally:
        db.close()


def bench(folder: Path, units: int, runs: int) -> None:
    import data
    import fanout

    base = data.org_database(folder, units, fanout.TH)
    spiff_db = folder / "spiff.db"

    def fresh_spiff() -> tuple[str, int]:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{spiff_db}{suffix}").unlink(missing_ok=True)
        return str(spiff_db), units

    results = common.alternate(
        {
            "chidao": (chidao_side, lambda: (str(common.copy_of(base, "c.db")), units)),
            "spiff": (spiff_side, fresh_spiff),
        },
        runs,
    )
    print(f"peer: SpiffWorkflow, a directive to {units:,} schools, {runs} runs alternating")
    for step in STEPS:
        sides = {
            name: [common.Run(json.loads(r.digest)[step], r.peak_mb, "") for r in results[name]]
            for name in results
        }
        c, s = common.Stats.of(sides["chidao"]), common.Stats.of(sides["spiff"])
        print(
            f"  {step}: chidao {c}\n  {' ' * len(step)}  spiff  {s}\n"
            f"  {' ' * len(step)}  chidao/spiff {c.median / s.median:.3f}× "
            f"(spiff {s.median / c.median:.1f}× chidao's time)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    try:
        import SpiffWorkflow  # noqa: F401
    except ImportError:
        raise SystemExit("SpiffWorkflow is not installed: pip install SpiffWorkflow") from None
    common.compiled()
    common.load("before")
    with tempfile.TemporaryDirectory(prefix="chidao-spiff-") as temp:
        for units in (int(s) for s in args.sizes.split(",")):
            sub = Path(temp) / str(units)
            sub.mkdir()
            bench(sub, units, args.runs)
            common.load(f"after {units:,}")
    print(
        "Peak memory is the child's, the whole run (imports included). SpiffWorkflow keeps\n"
        "every task of the instance in one JSON document; chidao keeps a row per task."
    )


if __name__ == "__main__":
    main()
