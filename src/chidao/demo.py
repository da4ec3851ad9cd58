"""``chidao demo``: the whole story on a throwaway SQLite file.

Loads the example offices, issues both seed directives, then lives through the weeks up
to and after their deadlines: every working morning the sweep runs, and schools start and
report at their own pace (a fixed random seed, so every run tells the same story).
"""

from __future__ import annotations

import datetime as dt
import random
import shlex
import tempfile
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import pendulum
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from chidao import chains, dashboard, engine, sweeper, views
from chidao.clock import TZ, format_date, format_moment
from chidao.directive import load_directive
from chidao.i18n import _, language
from chidao.org import load_org
from chidao.resources import data_dir
from chidao.store import Store

STORY = (
    ("ctxh-2024.yaml", "bao-cao", pendulum.datetime(2024, 3, 25, 8, tz=TZ)),
    ("kh80-tre-em-2024.yaml", "bao-cao", pendulum.datetime(2024, 4, 10, 8, tz=TZ)),
)
ORGS = ("org-dien-bien.yaml", "org-binh-son.yaml")
# --chain: the Sở's Công văn 746, then the Phòng's answer to it (seed 000), then the schools
CHAIN_STORY = (
    ("so-746-2024.yaml", "bao-cao-tong-hop", pendulum.datetime(2024, 3, 21, 10, tz=TZ)),
    ("ctxh-2024.yaml", "bao-cao", pendulum.datetime(2024, 3, 25, 8, tz=TZ)),
)
CHAIN_ORGS = ("org-so-dien-bien.yaml", "org-dien-bien.yaml")
END = pendulum.datetime(2024, 5, 10, 17, tz=TZ)


@dataclass(frozen=True)
class Pace:
    """How a school handles a directive: working days until it starts, then reports."""

    start_after: int
    report_after: int | None  # None: never reports within the story


def _pace(rng: random.Random) -> Pace:
    kind = rng.random()
    if kind < 0.55:
        return Pace(rng.randint(0, 1), rng.randint(1, 3))
    if kind < 0.85:
        return Pace(rng.randint(1, 3), rng.randint(3, 8))
    if kind < 0.95:
        return Pace(rng.randint(2, 5), rng.randint(8, 14))
    return Pace(rng.randint(3, 6), None)


def _working_mornings(first: pendulum.DateTime, last: pendulum.DateTime, calendar):
    day = first.start_of("day").add(days=1)
    while day <= last:
        if calendar.is_working_day(day.date()):
            yield day.add(hours=7), day.add(hours=9), day.add(hours=15)
        day = day.add(days=1)


def _plans(
    store: Store, rng: random.Random, directive_ids: list[int], everyone: AbstractSet[int]
) -> dict[int, tuple[int, Pace]]:
    plans: dict[int, tuple[int, Pace]] = {}
    for directive_id in directive_ids:
        for view in engine.task_views(store, directive=str(directive_id)):
            pace = _pace(rng)
            while directive_id in everyone and pace.report_after is None:
                pace = _pace(rng)
            plans[view.id] = (directive_id, pace)
    return plans


def _act(
    store: Store,
    task_id: int,
    unit: str,
    pace: Pace,
    day: int,
    office: bool,
    start_at: pendulum.DateTime,
    report_at: pendulum.DateTime,
) -> None:
    """What one school (or office) does on its ``day``-th working day of a directive."""
    if (
        day == pace.start_after + 1
        and engine.task_views(store, ids=[task_id])[0].state == "received"
    ):
        engine.fire(
            store, "start", [task_id], unit, start_at, note="Đã xây dựng kế hoạch triển khai"
        )
    if office:
        # an office reports upward the morning after its schools' reports are all in
        below = chains.task_children(store, task_id)
        state = engine.task_views(store, ids=[task_id])[0].state
        if below and below[0] == below[1] and state not in ("reported", "accepted"):
            engine.fire(
                store,
                "report",
                [task_id],
                unit,
                report_at,
                note="Đã tổng hợp báo cáo của các trường",
            )
    elif pace.report_after is not None and day == pace.start_after + pace.report_after + 1:
        engine.fire(store, "report", [task_id], unit, report_at, note="Đã gửi báo cáo kết quả")


def _simulate(
    store: Store,
    rng: random.Random,
    directive_ids: list[int],
    issued_at: list[pendulum.DateTime],
    everyone: AbstractSet[int] = frozenset(),
    checkpoint: tuple[dt.date, Callable[[pendulum.DateTime], None]] | None = None,
) -> None:
    """Live through the working days; schools of the directives in ``everyone`` all report
    in the end (so that a chain completes), the others may not."""
    plans = _plans(store, rng, directive_ids, everyone)
    units = {v.id: v.unit for v in engine.task_views(store)}
    offices = {o["code"] for o in engine.org_listing(store)}  # offices answering upstream
    first_day = dict(zip(directive_ids, issued_at, strict=True))
    count: dict[int, int] = dict.fromkeys(directive_ids, 0)
    calendar = engine.WorkCalendar()
    for sweep_at, start_at, report_at in _working_mornings(min(issued_at), END, calendar):
        sweeper.sweep(store, sweep_at)
        if checkpoint and sweep_at.date() == checkpoint[0]:
            checkpoint[1](sweep_at)
        for d in directive_ids:
            if sweep_at > first_day[d]:
                count[d] += 1
        for task_id, (d, pace) in plans.items():
            if sweep_at > first_day[d]:
                _act(
                    store,
                    task_id,
                    units[task_id],
                    pace,
                    count[d],
                    units[task_id] in offices,
                    start_at,
                    report_at,
                )


def _tell_answer(console: Console, store: Store, directive_ids: list[int]) -> None:
    """The moments the roll-up made: the office's schools all in, the office reporting up."""
    tree = chains.chain(store, str(directive_ids[0]), END)
    for child in tree["children"]:
        task = child["via"]["task_id"]
        for event in engine.task_detail(store, task)[3]:
            if event.trigger == "collect":
                console.print(
                    Text(
                        _(
                            "{at}: {note} → task {task} of {unit}: every report from below is in"
                        ).format(
                            at=format_moment(event.at),
                            note=event.note,
                            task=task,
                            unit=child["via"]["unit"],
                        )
                    )
                )
            elif event.trigger == "report":
                late = _(" (late)") if event.from_state == "overdue" else ""
                console.print(
                    Text(
                        _(
                            "{at}: {reported}/{total} school reports in; {unit} sends its "
                            "summary up to {directive}"
                        ).format(
                            at=format_moment(event.at),
                            reported=child["reported"],
                            total=child["total"],
                            unit=child["via"]["unit"],
                            directive=tree["label"],
                        )
                        + late
                    )
                )


def next_steps(kept: str | None, data: dict, chain: bool) -> list[str]:
    """Commands that work on the kept database, at the demo's last moment; without --keep,
    how to keep it."""
    if kept is None:
        return [
            _("The demo's database was a throwaway; keep it to look around:"),
            "  chidao demo --keep demo.db" + (" --chain" if chain else ""),
        ]
    db, at = f"--db {shlex.quote(kept)}", f'--now "{format_moment(END)}"'
    later = f'--now "{format_moment(END.add(minutes=30))}"'
    lang = language()
    lines = [
        _("The demo database is kept in {path}; try:").format(path=kept),
        f"  chidao dashboard {db} {at}",
        f"  chidao directive list {db}",
        f"  chidao escalations {db} --open --limit 10",
        f"  chidao notify {db} --dry-run --limit 3",
    ]
    overdue = data["overdue"][0] if data["overdue"] else None
    if overdue:
        state = shlex.quote(data["labels"].get("overdue", {}).get(lang, "overdue"))
        lines += [
            f"  chidao task list {db} --state {state} --limit 10",
            f"  chidao task show {overdue['id']} {db} {at}",
            f"  chidao task fire report {overdue['id']} --as {overdue['unit']} {db} {later}",
            f"  chidao report {overdue['directive_id']} {db} {at} --format xlsx -o bao-cao.xlsx",
        ]
    if chain:
        lines.append(f"  chidao chain show 746/SGDDĐT-GDCN {db} {at}")
    return lines


def run(console: Console, seed: int = 2024, keep: str | None = None, chain: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="chidao-demo-") as folder:
        path = Path(keep) if keep else Path(folder) / "demo.db"
        if path.exists():
            path.unlink()
        store = Store.open(f"sqlite:///{path}", simulation=True)
        heads = _load_orgs(console, store, CHAIN_ORGS if chain else ORGS)
        directive_ids, issued_at = _issue_story(console, store, heads, chain)

        def show_chain(at: pendulum.DateTime) -> None:
            console.print(
                Rule(_("The chain at {at}, past the Sở's due").format(at=format_moment(at)))
            )
            console.print(views.chain_tree(chains.chain(store, str(directive_ids[0]), at)))

        with console.status(
            _("Living through the weeks of work up to {at}…").format(at=format_date(END))
        ):
            _simulate(
                store,
                random.Random(seed),
                directive_ids,
                issued_at,
                everyone=set(directive_ids[1:]) if chain else set(),
                checkpoint=(dt.date(2024, 4, 8), show_chain) if chain else None,
            )
        if chain:
            _tell_answer(console, store, directive_ids)
        sweeper.sweep(store, END)
        _tell_escalations(console, store)
        if chain:
            console.print(Rule(_("The chain at {at}").format(at=format_moment(END))))
            console.print(views.chain_tree(chains.chain(store, str(directive_ids[0]), END)))
        console.print(Rule(_("The dashboard at {at}").format(at=format_moment(END))))
        data = dashboard.build(store, END, dashboard.Options(limit=8))
        console.print(dashboard.render(data, width=console.width))
        store.close()
        console.print(Rule(_("Try next")))
        for line in next_steps(str(path) if keep else None, data, chain):
            console.print(Text(line), soft_wrap=True)  # a command stays one line to copy


def _load_orgs(console: Console, store: Store, files: Sequence[str]) -> dict[str, str]:
    """Load the story's org files; each office → its head, who acts for it in the story."""
    examples = data_dir("examples")
    heads: dict[str, str] = {}
    for org_file in files:
        head = next(p.id for p in load_org(examples / org_file).people if p.head)
        org, _counts = engine.load_org_file(store, examples / org_file, head)
        heads.update({p.office: p.id for p in org.people if p.head})
        console.print(
            Text(
                _("Loaded {office}: {units} units, {people} people").format(
                    office=org.offices[0].name, units=len(org.units), people=len(org.people)
                )
            )
        )
    return heads


def _issue_story(
    console: Console, store: Store, heads: dict[str, str], chain: bool
) -> tuple[list[int], list[pendulum.DateTime]]:
    """Issue the story's directives, each by the head of its office, and say so."""
    examples = data_dir("examples")
    directive_ids, issued_at = [], []
    for name, workflow, when in CHAIN_STORY if chain else STORY:
        directive = load_directive(examples / "directives" / name)
        actor = heads[directive.office] if directive.office else next(iter(heads.values()))
        issued = engine.issue(store, directive, workflow, when, actor)
        directive_ids.append(issued.directive_id)
        issued_at.append(when)
        told = (
            _("{date}: {office} issues {directive} «{subject}…» → {tasks} tasks")
            if directive.code
            else _("{date}: {office} issues «{subject}…» (no number) → {tasks} tasks")
        )
        console.print(
            Text(
                told.format(
                    date=format_date(when),
                    office=issued.office,
                    directive=directive.code,
                    subject=directive.subject[:60],
                    tasks=issued.tasks,
                )
            )
        )
        if issued.parent:
            console.print(
                Text(
                    _(
                        "  answers {parent}: linked to task {task} of {office} (from the "
                        "document's references)"
                    ).format(parent=issued.parent, task=issued.parent_task, office=issued.office)
                )
            )
    return directive_ids, issued_at


def _tell_escalations(console: Console, store: Store) -> None:
    kinds: dict[str, int] = {}
    english = language() == "en"
    for row in sweeper.escalation_listing(store):
        kind = row["kind_en"] if english else row["kind"]
        kinds[kind] = kinds.get(kind, 0) + 1
    console.print(
        Text(
            _("Escalations made: {kinds}; {n} notifications waiting").format(
                kinds=", ".join(f"{n} {k}" for k, n in kinds.items()) or _("none"),
                n=sweeper.outbox_size(store),
            )
        )
    )
