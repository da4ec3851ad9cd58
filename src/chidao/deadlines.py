"""When each task is due, when it turns overdue, and the periods of recurring reports.

Pure functions over the calendar and the template: the engine computes these once per
deliverable (or once per receipt, for a relative deadline) and the database compares the
stored results with ``now`` set-based.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pendulum

from chidao.calendar import WorkCalendar
from chidao.clock import TZ, aware
from chidao.workflow import Template

SCHOOL_YEAR_END = (5, 31)  # a Vietnamese school year ends by 31/05 (dd, mm below)


@dataclass(frozen=True)
class Schedule:
    """A task's due, the moment it turns overdue (due + grace), and the ladder's origin."""

    due_at: pendulum.DateTime | None
    late_at: pendulum.DateTime | None
    due_seq: int | None

    @classmethod
    def of(cls, due: dt.datetime | None, template: Template, calendar: WorkCalendar) -> Schedule:
        if due is None:
            return cls(None, None, None)
        due = aware(due)
        grace = template.grace
        late = due if grace.amount == 0 else calendar.due_after(due, grace)
        return cls(due, late, calendar.due_seq(due))


def school_year_end(day: dt.date) -> dt.date:
    """The end of the school year ``day`` falls in: 31/05, of next year from June on."""
    month, dd = SCHOOL_YEAR_END
    year = day.year + 1 if day.month > month else day.year
    return dt.date(year, month, dd)


def occurrences(after: dt.date, every: str, day: int) -> Iterator[pendulum.DateTime]:
    """Recurring due dates strictly after ``after``: "trước ngày 25 hằng tháng" is 00:00 of
    the 25th of every month; quarterly ones fall in the last month of each quarter."""
    step = 1 if every == "month" else 3
    year, month = after.year, after.month
    if every == "quarter":
        month = ((month - 1) // 3) * 3 + 3
    while True:
        last = pendulum.date(year, month, 1).end_of("month").day
        candidate = pendulum.datetime(year, month, min(day, last), tz=TZ)
        if candidate.date() > after:
            yield candidate
        month += step
        if month > 12:
            year, month = year + 1, month - 12


def next_occurrence(after: dt.date, every: str, day: int) -> pendulum.DateTime:
    return next(occurrences(after, every, day))


def periods_due(
    after: dt.date,
    every: str,
    day: int,
    until: dt.date,
    horizon: dt.datetime,
) -> list[pendulum.DateTime]:
    """Every period due strictly after ``after``, on or before ``until``, and not later
    than ``horizon`` (now + the template's ``ahead``)."""
    found = []
    for due in occurrences(after, every, day):
        if due.date() > until or due > aware(horizon):
            return found
        found.append(due)
    return found


def period_key(due: dt.datetime | None) -> str:
    """How a recurring task names its period: the ISO date of its due."""
    return aware(due).date().isoformat() if due else ""
