"""When each task is due, when it turns overdue, and the periods of recurring reports.

Pure functions over the calendar and the template: the engine computes these once per
deliverable (or once per receipt, for a relative deadline) and the database compares the
stored results with ``now`` set-based.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pendulum

from chidao.calendar import Duration, WorkCalendar
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


def occurrences(
    after: dt.date, every: str, day: int | None, time: str | None = None
) -> Iterator[pendulum.DateTime]:
    """Recurring due dates strictly after ``after``: "trước ngày 25 hằng tháng" is 00:00 of
    the 25th of every month; quarterly ones fall in the last month of each quarter; "trước
    16 giờ hằng ngày" is 16:00 of every day (a daily one without a time: the end of it)."""
    if every == "day":
        yield from _daily(after, time)
        return
    assert day is not None, "a monthly or quarterly deadline has its day"
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


def _daily(after: dt.date, time: str | None) -> Iterator[pendulum.DateTime]:
    hour, minute, second = (int(time[:2]), int(time[3:5]), 0) if time else (23, 59, 59)
    day = after
    while True:
        day += dt.timedelta(days=1)
        yield pendulum.datetime(day.year, day.month, day.day, hour, minute, second, tz=TZ)


def next_occurrence(
    after: dt.date, every: str, day: int | None, time: str | None = None
) -> pendulum.DateTime:
    return next(occurrences(after, every, day, time))


def periods_due(
    after: dt.date,
    every: str,
    day: int | None,
    until: dt.date,
    horizon: dt.datetime,
    time: str | None = None,
) -> list[pendulum.DateTime]:
    """Every period due strictly after ``after``, on or before ``until``, and not later
    than ``horizon`` (now + the template's ``ahead``)."""
    found: list[pendulum.DateTime] = []
    for due in occurrences(after, every, day, time):
        if due.date() > until or due > aware(horizon):
            return found
        found.append(due)
    return found


def period_key(due: dt.datetime | None) -> str:
    """How a recurring task names its period: the ISO date of its due."""
    return aware(due).date().isoformat() if due else ""


# ---------------------------------------------------------------------------- deadline kinds


@dataclass(frozen=True)
class Absolute:
    """ "trước ngày 01/4/2024": the same due for every recipient."""

    due: pendulum.DateTime

    def first_due(self, issued: dt.datetime, received: dt.datetime | None, calendar) -> Any:
        return self.due

    def due_on_receipt(self, received: dt.datetime, calendar: WorkCalendar) -> None:
        return None


@dataclass(frozen=True)
class Relative:
    """ "05 ngày làm việc kể từ ngày nhận được văn bản": counted from the directive's issue,
    from each school's own receipt, or from a named event the office records later."""

    period: Duration
    start: str  # issue, receipt, event
    event: str = ""

    def first_due(
        self, issued: dt.datetime, received: dt.datetime | None, calendar: WorkCalendar
    ) -> pendulum.DateTime | None:
        if self.start == "issue":
            return calendar.due_after(issued, self.period)
        if self.start == "receipt" and received is not None:
            return calendar.due_after(received, self.period)
        return None  # waiting for the school's receipt, or for the event

    def due_on_receipt(
        self, received: dt.datetime, calendar: WorkCalendar
    ) -> pendulum.DateTime | None:
        return calendar.due_after(received, self.period) if self.start == "receipt" else None

    def due_on_event(self, at: dt.datetime, calendar: WorkCalendar) -> pendulum.DateTime:
        return calendar.due_after(at, self.period)


@dataclass(frozen=True)
class Recurring:
    """ "trước ngày 25 hằng tháng", "trước 16 giờ hằng ngày": one task per school per
    period, created ahead."""

    every: str
    day: int | None
    time: str | None = None

    def first_due(self, issued: dt.datetime, received: dt.datetime | None, calendar) -> Any:
        return next_occurrence(aware(issued).date(), self.every, self.day, self.time)

    def due_on_receipt(self, received: dt.datetime, calendar: WorkCalendar) -> None:
        return None


@dataclass(frozen=True)
class Default:
    """No deadline in the text: the template's default, counted from the issue."""

    period: Duration

    def first_due(
        self, issued: dt.datetime, received: dt.datetime | None, calendar: WorkCalendar
    ) -> pendulum.DateTime:
        return calendar.due_after(issued, self.period)

    def due_on_receipt(self, received: dt.datetime, calendar: WorkCalendar) -> None:
        return None


DeadlineKind = Absolute | Relative | Recurring | Default


def deadline_of(row: Any, default: Duration | None = None) -> DeadlineKind:
    """The kind of a stored deliverable (or a ``model.Deadline``): its due computation."""
    get = row.get if isinstance(row, dict) else lambda key: getattr(row, key, None)
    due = get("due_at") if isinstance(row, dict) else get("due")
    relative, recurring = get("relative"), get("recurring")
    if relative:
        return Relative(
            Duration(relative["amount"], relative["unit"]),
            relative.get("from", "receipt"),
            relative.get("event", ""),
        )
    if recurring:
        return Recurring(recurring["every"], recurring.get("day"), recurring.get("time"))
    if due is not None:
        return Absolute(aware(due))
    return Default(default or Duration(10, "working_days"))
