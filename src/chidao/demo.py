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
from rich.console import Console
from rich.rule import Rule

from chidao import dashboard, engine
from chidao.clock import TZ, format_date, format_moment
from chidao.directive import load_directive
from chidao.resources import data_dir
from chidao.store import Store

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
        engine.sweep(store, END)
        climbed = engine.escalation_listing(store)
        kinds: dict[str, int] = {}
        for row in climbed:
            kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        console.print(
            f"Đôn đốc đã tạo: {', '.join(f'{n} {k}' for k, n in kinds.items()) or 'không có'}; "
            f"{engine.outbox_size(store)} thông báo chờ gửi (chidao notify)"
        )
        console.print(Rule(f"Bảng theo dõi lúc {format_moment(END)}"))
        data = dashboard.build(store, END, dashboard.Options(limit=8))
        console.print(dashboard.render(data, "vi", console.width))
        store.close()
        if keep:
            console.print(f"Cơ sở dữ liệu demo giữ lại ở {path}")
