"""``chidao demo``: the whole story on a throwaway SQLite file.

Loads the example offices, issues both seed directives, then lives through the weeks up
to and after their deadlines: every working morning the sweep runs, and schools start and
report at their own pace (a fixed random seed, so every run tells the same story).
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pendulum
from rich.console import Console, Group
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from chidao import engine, views
from chidao.clock import TZ, format_date, format_moment
from chidao.directive import load_directive
from chidao.resources import data_dir
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import tasks as tstore

STORY = (
    ("ctxh-2024.yaml", "bao-cao", pendulum.datetime(2024, 3, 25, 8, tz=TZ)),
    ("kh80-tre-em-2024.yaml", "bao-cao", pendulum.datetime(2024, 4, 10, 8, tz=TZ)),
)
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


def _simulate(store: Store, rng: random.Random, directive_ids: list[int],
              issued_at: list[pendulum.DateTime]) -> None:
    calendar = engine.WorkCalendar()
    plans: dict[int, tuple[int, Pace]] = {}
    for directive_id, issued in zip(directive_ids, issued_at, strict=True):
        for view in engine.task_views(store, directive=str(directive_id)):
            plans[view.id] = (directive_id, _pace(rng))
    units = {v.id: v.unit for v in engine.task_views(store)}
    first_day = {d: i for d, i in zip(directive_ids, issued_at, strict=True)}
    count: dict[int, int] = dict.fromkeys(directive_ids, 0)
    for sweep_at, start_at, report_at in _working_mornings(min(issued_at), END, calendar):
        engine.sweep(store, sweep_at)
        for d in directive_ids:
            if sweep_at > first_day[d]:
                count[d] += 1
        for task_id, (d, pace) in plans.items():
            if sweep_at <= first_day[d]:
                continue
            day = count[d]
            if day == pace.start_after + 1:
                state = engine.task_views(store, ids=[task_id])[0].state
                if state == "received":
                    engine.fire(store, "start", [task_id], units[task_id], start_at,
                                note="Đã xây dựng kế hoạch triển khai")
            if pace.report_after is not None and day == pace.start_after + pace.report_after + 1:
                engine.fire(store, "report", [task_id], units[task_id], report_at,
                            note="Đã gửi báo cáo kết quả")


def _late_table(store: Store, directive_id: int, now: pendulum.DateTime) -> Table:
    calendar = engine.WorkCalendar()
    with store.read() as conn:
        rows = tstore.late_tasks(conn, directive_id, now, limit=12)
    table = Table(title="Trễ hạn", title_justify="left")
    table.add_column("Đơn vị", overflow="fold")
    table.add_column("Hạn", no_wrap=True)
    table.add_column("Báo cáo", no_wrap=True)
    table.add_column("Trễ (ngày LV)", justify="right")
    for row in rows:
        late = calendar.working_days_late(row["due_at"], row["reported_at"] or now)
        reported = format_moment(row["reported_at"]) if row["reported_at"] else Text(
            "chưa báo cáo", style="bold red")
        table.add_row(row["name"], format_moment(row["due_at"]), reported, str(late))
    return table


def run(console: Console, seed: int = 2024, keep: str | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="chidao-demo-") as folder:
        path = Path(keep) if keep else Path(folder) / "demo.db"
        if path.exists():
            path.unlink()
        store = Store.open(f"sqlite:///{path}")
        examples = data_dir("examples")
        for org_file in ("org-dien-bien.yaml", "org-binh-son.yaml"):
            org, _ = engine.load_org_file(store, examples / org_file)
            console.print(f"Đã nạp {org.offices[0].name}: {len(org.units)} đơn vị, "
                          f"{len(org.people)} cán bộ")
        directive_ids, issued_at = [], []
        for name, workflow, when in STORY:
            directive = load_directive(examples / "directives" / name)
            issued = engine.issue(store, directive, workflow, when, "demo")
            directive_ids.append(issued.directive_id)
            issued_at.append(when)
            console.print(
                f"{format_date(when)}: {issued.office} ban hành {issued.label} "
                f"«{directive.subject[:60]}…» → {issued.tasks} nhiệm vụ"
            )
        _simulate(store, random.Random(seed), directive_ids, issued_at)
        console.print(Rule(f"Tình hình đến {format_moment(END)}"))
        for directive_id in directive_ids:
            detail = engine.directive_detail(store, str(directive_id))
            with store.read() as conn:
                template = dstore.workflow_of(conn, dstore.get_directive(
                    conn, directive_id)["template_id"]).template
            title = f"{detail['label']} ({detail['office']}): {detail['document']['subject']}"
            console.print(Group(
                Text(title, style="bold"),
                views.state_counts_table("Số nhiệm vụ theo trạng thái", detail["states"], template),
                _late_table(store, directive_id, END),
            ))
        store.close()
        if keep:
            console.print(f"Cơ sở dữ liệu demo giữ lại ở {path}")
