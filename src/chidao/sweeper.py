"""Everything time does to tasks, and what it leaves for people to read.

``sweep`` (cron, a systemd timer, or the start of ``chidao dashboard``) creates the coming
periods of recurring reports, marks overdue what is late, climbs the escalation ladders
and queues notifications, as of its ``now``, in short write transactions (each one run
again from its start if the database server aborts it as a deadlock). ``deliver`` sends
the queued notifications; ``escalation_listing`` reads what the ladders did.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pendulum

from chidao import engine, notify
from chidao.calendar import Duration
from chidao.deadlines import Schedule, period_key, periods_due
from chidao.errors import NotFound, TransitionRefused, UnreadableRecord
from chidao.escalation import RungPlan, plan_rungs
from chidao.ladder import Resolver, document_problem
from chidao.model import LEVELS
from chidao.store import Store, identity
from chidao.store import directives as dstore
from chidao.store import escalations as estore
from chidao.store import org as ostore
from chidao.store import tasks as tstore
from chidao.workflow import Template, kind_words


@dataclass
class Swept:
    """What one sweep did, as of its ``now``."""

    overdue: int = 0
    generated: int = 0
    escalations: dict[str, int] = field(default_factory=dict)  # kind → how many
    kinds_en: dict[str, str] = field(default_factory=dict)  # kind → its English, if given
    notifications: int = 0
    # directives whose stored document or template cannot be read: named, skipped
    warnings: list[str] = field(default_factory=list)

    def add(self, other: Swept) -> None:
        self.overdue += other.overdue
        for kind, made in other.escalations.items():
            self.escalations[kind] = self.escalations.get(kind, 0) + made
        self.kinds_en.update(other.kinds_en)
        for line in other.warnings:
            self.warn(line)

    def to_json(self) -> dict[str, Any]:
        return {
            "overdue": self.overdue,
            "generated": self.generated,
            "escalations": dict(self.escalations),
            "notifications": self.notifications,
            **({"warnings": list(self.warnings)} if self.warnings else {}),
        }

    def warn(self, line: str) -> None:
        if line not in self.warnings:
            self.warnings.append(line)


NOTIFY_BATCH = 1_000  # notifications per write transaction
# what one batch aims to hold the write lock for: batches vary about 2.5× around it (the
# next ids may be denser in work than the last), and the goal is under about 0.5 s
BATCH_SECONDS = 0.15
# tasks in the first batch, the next ones sized by its pace; PostgreSQL starts smaller (a
# next morning's few tasks, spread over the table, took it 0.75 s for 2,000)
FIRST_BATCH = {"sqlite": 2_000, "postgresql": 500}
LARGEST_BATCH = 20_000
# On SQLite a writer waiting for the lock (a school's report) polls it every 25–100 ms:
# once someone else has written between two batches, the sweep leaves a gap that long
# after each batch, so the waiting writer gets in instead of waiting behind the next one.
GAP_SECONDS = 0.06


@dataclass
class _Pace:
    """How many tasks the next batch takes (about ``BATCH_SECONDS`` of work at the pace
    the last one went, at most 1.5 times or half of it), and whether to leave a gap."""

    size: int
    fixed: bool  # the caller chose the batch size
    sqlite: bool
    last_event: int | None = None  # the newest event after our last batch
    others: bool = False  # someone else wrote between two of our batches

    def after(self, tasks: int, seconds: float) -> None:
        if not self.fixed:
            aim = int(tasks * BATCH_SECONDS / max(seconds, 1e-3))
            grown = min(aim, self.size * 3 // 2, LARGEST_BATCH)
            self.size = max(50, self.size // 2, grown)
        if self.sqlite and self.others:
            time.sleep(GAP_SECONDS)

    def saw(self, before: int | None, after: int | None) -> None:
        """The newest event id when a batch began and when it ended."""
        if self.last_event is not None and before != self.last_event:
            self.others = True
        self.last_event = after


@dataclass(frozen=True)
class _Work:
    """The tasks of one template and office that the sweep has something to do for."""

    template_id: int
    office: str
    moves: dict[str, dict[str, str]]  # overdue trigger → its compiled source → dest
    plans: list[RungPlan]
    ids: list[int]
    resolver: Resolver  # whom each rung reaches in this office (read once per sweep)


def sweep(
    store: Store,
    now: pendulum.DateTime,
    ahead: Duration | None = None,
    batch: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Swept:
    """Everything time does to tasks, as of ``now``.

    Generate the recurring periods that are coming up; then, in short write transactions
    (``batch`` tasks each when given, else as many as take about ``BATCH_SECONDS``), fire
    the template's system trigger into the overdue state on every open task past its due
    (plus grace) and climb the escalation ladders; last, queue one notification per
    directive, rung and person reached. Every move is the template's own transition
    (``Workflow.moves``), set-based; running it again at the
    same ``now`` (or from a second process) creates nothing twice, so a sweep cut short is
    finished by the next one, notifications included. It also makes the roll-ups that
    reports made by PostgreSQL person or unit logins left to it (``engine.roll_up``); it
    refuses to run as one of them. ``progress(done, total)`` is called after each batch has
    committed, with the tasks done so far.
    """
    result = Swept()

    def prepare(conn) -> int:
        login = identity.login_actor(conn)
        if login:
            raise TransitionRefused(
                f"the sweep is the system's work and sees every office: run it as the app role, "
                f"not as the login {login}"
            )
        calendars = engine.OfficeCalendars(conn)
        generated = _generate_periods(store, conn, now, ahead, calendars, result)
        engine.roll_up(store, conn, None, calendars, now)
        return generated

    result.generated = store.transact(prepare)
    with store.read() as conn:
        work = _plan_work(store, conn, now, engine.OfficeCalendars(conn), result)
    total, done = sum(len(item.ids) for item in work), 0
    dialect = store.engine.dialect.name
    pace = _Pace(batch or FIRST_BATCH.get(dialect, 500), batch is not None, dialect == "sqlite")
    for item in work:
        start = 0
        while start < len(item.ids):
            chunk = item.ids[start : start + pace.size]
            began = time.perf_counter()
            # a batch another writer deadlocked with is run again from its start
            made = store.transact(
                partial(_sweep_batch, store, item=item, ids=chunk, now=now, pace=pace)
            )
            result.add(made)
            start += len(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
            pace.after(len(chunk), time.perf_counter() - began)
    result.notifications = _queue_notifications(store)
    return result


def _readable_workflow(store: Store, conn, template_id: int, result: Swept):
    """The template's workflow; one that cannot be read is named, with its directives, in
    a warning, and its tasks are left for the others to go on (None)."""
    try:
        return engine.workflow_of(store, conn, template_id)
    except UnreadableRecord as exc:
        labels = dstore.labels_of_template(conn, template_id)
        shown = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")
        result.warn(f"skipped directive {shown or '(none)'}: {exc.message}")
        return None


def _plan_work(
    store: Store, conn, now, calendars: engine.OfficeCalendars, result: Swept
) -> list[_Work]:
    work = []
    office_rows, people_rows = estore.offices_and_people(conn)
    for template_id, office in tstore.templates_in_use(conn):
        wf = _readable_workflow(store, conn, template_id, result)
        if wf is None:
            continue
        moves = {t: wf.moves(t, engine.SYSTEM) for t in wf.template.overdue_triggers}
        plans = plan_rungs(wf.template, calendars[office], now)
        ids = estore.candidates(
            conn,
            template_id=template_id,
            office=office,
            overdue_from=sorted({s for m in moves.values() for s in m}),
            plans=plans,
            now=now,
        )
        if ids:
            resolver = Resolver(office_rows[office], people_rows)
            work.append(_Work(template_id, office, moves, plans, ids, resolver))
    return work


def _sweep_batch(store: Store, conn, *, item: _Work, ids: Sequence[int], now, pace: _Pace) -> Swept:
    """One batch in one write transaction; what it did is counted only once it commits."""
    result = Swept()
    before = tstore.last_event(conn) if pace.sqlite else None
    template = engine.workflow_of(store, conn, item.template_id).template
    late = tstore.late_in(ids, item.template_id, item.office, now)
    for trigger, moves in item.moves.items():
        result.overdue += tstore.move_where(
            conn,
            late,
            moves,
            template.initial,
            trigger=trigger,
            actor=engine.SYSTEM,
            note="",
            now=now,
        )
    if item.plans:
        _climb(conn, template, item, ids, now, result)
    if result.escalations:  # owed their notifications until the last step queues them
        estore.owe_notifications(conn, now)
    if pace.sqlite:
        pace.saw(before, tstore.last_event(conn) if result.overdue else before)
    return result


def _generate_periods(
    store: Store, conn, now, ahead, calendars: engine.OfficeCalendars, result: Swept
) -> int:
    """Create the next periods of recurring deliverables due within the look-ahead."""
    created = 0
    for row in estore.recurring_deliverables(conn):
        wf = _readable_workflow(store, conn, row["template_id"], result)
        if wf is None:
            continue
        template = wf.template
        calendar = calendars[row["office_code"]]
        horizon = calendar.due_after(now, ahead or template.ahead)
        every, day = row["recurring"]["every"], row["recurring"]["day"]
        last = dt.date.fromisoformat(row["last"])
        received = now if template.receipt == "automatic" else None
        time = row["recurring"].get("time")
        for due in periods_due(last, every, day, row["until"], horizon, time):
            schedule = Schedule.of(due, template, calendar)
            created += estore.add_period(
                conn,
                row["id"],
                row["first"],
                period_key(due),
                template.initial,
                schedule.__dict__,
                received,
                now,
            )
    return created


def _climb(conn, template: Template, item: _Work, ids: Sequence[int], now, result) -> None:
    """Resolve each rung's target per directive (and level), then one INSERT per rung."""
    found = estore.directives_in(conn, item.template_id, ids)
    if not found:
        return
    rows = []
    for directive in found:
        problem = document_problem(directive["document"])
        if problem:
            result.warn(
                f"skipped directive #{directive['id']}: its stored document cannot be read "
                f"({problem}); its escalations wait until it is repaired"
            )
            continue
        for plan in item.plans:
            if plan.rung.to == "recipient":
                continue
            for level in LEVELS if plan.per_level else ("",):
                reached = item.resolver.resolve(directive["document"], plan.rung.to, level)
                rows.append(
                    {
                        "directive_id": directive["id"],
                        "rung": plan.number,
                        "level": level,
                        "target": reached.target,
                        "person_id": reached.person_id,
                        "target_name": reached.name,
                        "note": reached.note,
                    }
                )
    estore.load_targets(conn, rows)
    _escalate(conn, item, ids, now, result)


def _escalate(conn, item: _Work, ids: Sequence[int], now, result: Swept) -> None:
    """One INSERT per rung over the batch, then the rung each task reached, once."""
    for plan in item.plans:
        made = estore.escalate(
            conn,
            template_id=item.template_id,
            office=item.office,
            plan=plan,
            ids=ids,
            now=now,
        )
        if made:
            kind = plan.rung.kind
            result.escalations[kind] = result.escalations.get(kind, 0) + made
            if plan.rung.kind_en:
                result.kinds_en[kind] = plan.rung.kind_en
    if result.escalations:
        estore.mark_reached(conn, ids, now)


def _queue_notifications(store: Store) -> int:
    """One message per directive, rung and person for every moment owed one: this sweep's,
    and any a sweep left when it died between its batches and this step. Each message
    speaks as of the moment its escalations were made.

    The groups are read (and the messages written) without the write lock, which then
    only takes short transactions of at most ``NOTIFY_BATCH`` messages: on a large
    backlog the GROUP BY over all new escalations would otherwise hold it for seconds. A
    message already queued (by a concurrent sweep, or before this one died) is skipped by
    its unique key, and a note is removed only as it was read.
    """
    with store.read() as conn:
        owed = estore.owed(conn)
        messages = [
            notify.compose(batch, at) for at, _ in owed for batch in estore.new_batches(conn, at)
        ]
    chunks = [
        messages[start : start + NOTIFY_BATCH] for start in range(0, len(messages), NOTIFY_BATCH)
    ]
    for chunk in chunks[:-1]:
        store.transact(partial(estore.queue, messages=chunk))
    if owed or chunks:  # the last messages and the notes they settle commit together
        last: Sequence[notify.Message] = chunks[-1] if chunks else []
        store.transact(partial(_queue_last, messages=last, notes=owed))
    return len(messages)


def _queue_last(conn, *, messages: Sequence[notify.Message], notes) -> None:
    estore.queue(conn, messages)
    estore.settled(conn, notes)


# ----------------------------------------------------------------------------- delivery and listing


@dataclass(frozen=True)
class Delivered:
    sent: int
    failed: int
    errors: tuple[str, ...]


def deliver(
    store: Store,
    send: Callable[[dict[str, Any]], None],
    channel: str,
    now: pendulum.DateTime,
    limit: int | None = None,
) -> Delivered:
    """Send queued messages; each is marked in its own transaction right after sending."""
    with store.read() as conn:
        messages = estore.pending_messages(conn, limit)
    sent, errors = 0, []
    for message in messages:
        try:
            send(message)
        except notify.SendFailed as exc:
            errors.append(f"message {message['id']} to {message['recipient']}: {exc}")
            with store.write() as conn:
                estore.mark_message(conn, message["id"], False, channel, str(exc), now)
            continue
        with store.write() as conn:
            estore.mark_message(conn, message["id"], True, channel, "", now)
        sent += 1
    return Delivered(sent, len(errors), tuple(errors))


def outbox(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    """The queued notifications, oldest first, as they would be sent."""
    with store.read() as conn:
        return estore.pending_messages(conn, limit)


def outbox_size(store: Store) -> int:
    """How many notifications wait to be delivered."""
    with store.read() as conn:
        return len(estore.pending_messages(conn, None))


def escalation_listing(
    store: Store,
    open_only: bool = False,
    person: str | None = None,
    directive: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    with store.read() as conn:
        directive_id = dstore.resolve_directive(conn, directive) if directive else None
        if person and not ostore.get_person(conn, person):
            raise NotFound(f"unknown person {person!r} (not in any loaded org file)")
        rows = estore.listing(conn, open_only, person, directive_id, limit)
        english = _english_kinds(conn, {r["template_id"] for r in rows})
    for row in rows:
        row["kind_en"] = english.get(row["template_id"], {}).get(row["kind"], row["kind"])
    return rows


def _english_kinds(conn: Any, template_ids: set[int]) -> dict[int, dict[str, str]]:
    """Each template's escalation kinds in English (the kind itself where it gives none)."""
    found = {}
    for tid in template_ids:
        try:
            found[tid] = kind_words(dstore.workflow_of(conn, tid).template.escalation, "en")
        except UnreadableRecord:  # named by the sweep and the dashboard; here: Vietnamese
            continue
    return found


def task_escalations(store: Store, task_id: int) -> list[dict[str, Any]]:
    with store.read() as conn:
        return estore.of_task(conn, task_id)
