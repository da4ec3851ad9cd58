"""Escalation policy: which tasks each rung of a ladder chases today, as plain conditions.

Pure: from a template's ladder, an office's calendar and ``now`` it decides, per rung,
the states chased, the working-day limit on the due (``due_seq``), and for receipt rungs
the latest issue moment; the store turns each ``RungPlan`` into one INSERT … SELECT.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

from chidao.calendar import WorkCalendar
from chidao.clock import TZ
from chidao.workflow import Rung, Template


@dataclass(frozen=True)
class RungPlan:
    """What rung ``number`` (1-based, its place in the ladder) chases as of ``now``."""

    number: int
    rung: Rung
    states: tuple[str, ...]  # the task must be in one of these
    seq_limit: int | None  # its last day on time has an ordinal ≤ this
    late: bool | None  # True: past its overdue moment; False: not yet; None: either
    issued_before: dt.datetime | None  # receipt rungs: issued before this, still unreceived

    @property
    def per_level(self) -> bool:
        return self.rung.to == "level_contact"


def plan_rungs(
    template: Template, calendar: WorkCalendar, now: pendulum.DateTime
) -> list[RungPlan]:
    """Every rung of the template's ladder as conditions for today."""
    today = calendar.ordinal(now.date())
    yesterday = calendar.ordinal(now.date() - dt.timedelta(days=1))
    open_states = template.states_in("open")
    plans = []
    for number, rung in enumerate(template.escalation, start=1):
        if rung.waiting == "receipt":
            plans.append(
                RungPlan(
                    number, rung, open_states, None, None, _issued_by(calendar, now, rung.after)
                )
            )
        elif rung.after < 0:  # a reminder before the due: the task is still on time
            plans.append(RungPlan(number, rung, open_states, today - rung.after, False, None))
        else:
            limit = yesterday - rung.after if rung.after else None
            plans.append(
                RungPlan(number, rung, template.states_in("open", "overdue"), limit, True, None)
            )
    return plans


def _issued_by(calendar: WorkCalendar, now: pendulum.DateTime, days: int) -> pendulum.DateTime:
    """The moment before which a task must have been issued to be ``days`` working days old
    today: the start of the day after the working day ``days`` before today."""
    today = calendar.ordinal(now.date())
    day = now.date()
    while today - calendar.ordinal(day) < days:
        day -= dt.timedelta(days=1)
    nxt = day + dt.timedelta(days=1)
    return pendulum.datetime(nxt.year, nxt.month, nxt.day, tz=TZ)
