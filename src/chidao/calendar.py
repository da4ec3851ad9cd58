"""Vietnamese working days and Civil Code counting (Bộ luật Dân sự 2015, arts. 144–148).

Saturdays and Sundays are off, and so are public holidays from the ``holidays`` package
(lunar Tết, the announced bridge days, and the Saturdays worked in exchange), plus an
office's own overrides. A period of N days starts the day after the triggering event and
ends at the end of its last day; a calendar-day period whose last day is off moves to the
end of the next working day. Pure functions: nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pendulum

from chidao.clock import TZ, aware
from chidao.errors import InputError

if TYPE_CHECKING:
    import holidays

WORKING_DAYS = "working_days"
DAYS = "days"
HOURS = "hours"

_UNITS = {
    "working day": WORKING_DAYS,
    "working days": WORKING_DAYS,
    "working_days": WORKING_DAYS,
    "ngày làm việc": WORKING_DAYS,
    "day": DAYS,
    "days": DAYS,
    "ngày": DAYS,
    "hour": HOURS,
    "hours": HOURS,
    "giờ": HOURS,
}
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([^\d]+?)\s*$")


@dataclass(frozen=True)
class Duration:
    """A period such as "10 ngày làm việc": an amount and a unit."""

    amount: int
    unit: str

    def __str__(self) -> str:
        words = {WORKING_DAYS: "ngày làm việc", DAYS: "ngày", HOURS: "giờ"}
        return f"{self.amount} {words[self.unit]}"


MAX_DAYS = 3650  # ten years: a longer period in a template or on the command line is a typo


def parse_duration(text: object) -> Duration:
    """Read "10 working days", "5 ngày làm việc", "7 days", "48 giờ"; a bare int is days.

    >>> parse_duration("5 ngày làm việc"), parse_duration(7)
    (Duration(amount=5, unit='working_days'), Duration(amount=7, unit='days'))
    """
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text <= MAX_DAYS:
        return Duration(text, DAYS)
    match = _DURATION.match(str(text)) if isinstance(text, str) else None
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if not match or unit is None:
        raise ValueError(
            f"cannot read duration {text!r}; write e.g. '10 working days', '7 days' or '48 hours'"
        )
    amount = int(match.group(1))
    if unit != HOURS and amount > MAX_DAYS:
        raise ValueError(f"duration {text!r} is longer than {MAX_DAYS} days")
    return Duration(amount, unit)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days an office works; ``days_off`` and ``working_days`` override the package."""

    days_off: frozenset[dt.date] = field(default_factory=frozenset)
    working_days: frozenset[dt.date] = field(default_factory=frozenset)

    def holiday_name(self, day: dt.date) -> str | None:
        if day in self.working_days:
            return None
        if day in self.days_off:
            return "Nghỉ theo thông báo của cơ quan"
        return _source(day.year).get(day)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return _package_year(day.year)[day.timetuple().tm_yday - 1]

    def days_off_in(self, year: int) -> list[tuple[dt.date, str]]:
        """Every day off in ``year`` other than a plain weekend, and the Saturdays worked."""
        rows: list[tuple[dt.date, str]] = []
        day = dt.date(year, 1, 1)
        while day.year == year:
            name = self.holiday_name(day)
            weekend = day.weekday() >= 5
            if not self.is_working_day(day) and (name or not weekend):
                rows.append((day, name or "Nghỉ"))
            elif self.is_working_day(day) and weekend:
                rows.append((day, "Làm việc bù (thứ Bảy/Chủ nhật đi làm)"))
            day += dt.timedelta(days=1)
        return rows

    def days_off_between(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        """Days off after ``first`` up to ``last``, with their names ("Thứ Bảy" for weekends)."""
        names = ("", "", "", "", "", "Thứ Bảy", "Chủ nhật")
        return [
            (day, self.holiday_name(day) or names[day.weekday()] or "Nghỉ")
            for day in _days(first + dt.timedelta(days=1), last)
            if not self.is_working_day(day)
        ]

    def working_days_after(self, day: dt.date, count: int) -> Iterator[dt.date]:
        """The ``count`` working days after ``day``. In 2024 the days off ran from 27/04 to
        01/05 (29/04 a bridge day) and Saturday 04/05 was worked instead:

        >>> [str(d) for d in WorkCalendar().working_days_after(dt.date(2024, 4, 26), 3)]
        ['2024-05-02', '2024-05-03', '2024-05-04']
        """
        current = day
        found = 0
        while found < count:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                found += 1
                yield current

    def next_working_day(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def due_after(self, start: dt.datetime, period: Duration) -> pendulum.DateTime:
        """When a period that begins with the event at ``start`` ends (Civil Code)."""
        start = aware(start)
        if period.unit == HOURS:
            return start.add(hours=period.amount)
        if period.amount == 0:
            return end_of_day(start.date())
        if period.unit == WORKING_DAYS:
            last = list(self.working_days_after(start.date(), period.amount))[-1]
        else:
            last = self.next_working_day(start.date() + dt.timedelta(days=period.amount))
        return end_of_day(last)

    def ordinal(self, day: dt.date) -> int:
        """How many working days there are from 01/01/2000 up to and including ``day``.

        Differences of ordinals count working days, which lets the database compare
        integers (``due_seq <= :today - 2``) instead of walking a calendar per task.
        """
        return _year_base(self, day.year) + _year_prefix(self, day.year)[day.timetuple().tm_yday]

    def due_seq(self, due: dt.datetime) -> int:
        """The ordinal of the day a due falls on: the last day the task is on time.

        A task due at 23:59:59 or 16:00 on D is on time through D; one due at 00:00 of D
        ("trước ngày D") is on time through D−1. The ladder counts working days from here.
        """
        return self.ordinal((aware(due) - dt.timedelta(microseconds=1)).date())

    def working_days_late(self, due: dt.datetime, at: dt.datetime) -> int:
        """Working days late at ``at``: those after the due's day up to ``at``'s, at least 1
        once the due has passed (a report an hour late on a Saturday is still late)."""
        due, at = aware(due), aware(at)
        if at <= due:
            return 0
        return self.late_by(self.due_seq(due), at.date())

    def late_by(self, due_seq: int, day: dt.date) -> int:
        """Working days late on ``day`` for a task whose last day on time has ordinal
        ``due_seq`` (its due has passed): those after that day, at least 1."""
        return max(1, self.ordinal(day) - due_seq)


EPOCH_YEAR = 2000
# Working days per year from the ``holidays`` package alone (no office overrides), 2000 to
# 2024: the ordinal of a recent day starts from their sum instead of building 25 years of
# holidays on first use. tests/test_calendar.py checks them against the package.
PACKAGE_WORKING_DAYS = (252, 253, 253, 253, 254, 252, 252, 252, 253, 252, 252, 251, 252) + (
    251,
    252,
    250,
    251,
    250,
    250,
    252,
    252,
    250,
    249,
    249,
    251,
)
_PACKAGE_BASE = tuple(sum(PACKAGE_WORKING_DAYS[:n]) for n in range(len(PACKAGE_WORKING_DAYS) + 1))


class _Table:
    """Vietnam's holidays for the years of ``chidao.holidays_vn``, read like the package."""

    def __init__(self) -> None:
        from chidao import holidays_vn  # ~1,100 lines: loaded when a day is first asked

        self.holidays = holidays_vn.HOLIDAYS
        self.swapped = holidays_vn.WEEKEND_WORKDAYS

    def get(self, day: dt.date) -> str | None:
        return self.holidays.get(day.year, {}).get((day.month, day.day))

    def is_working_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5:
            return (day.month, day.day) in self.swapped.get(day.year, ())
        return (day.month, day.day) not in self.holidays.get(day.year, {})


@lru_cache(maxsize=1)
def _package_holidays() -> holidays.HolidayBase:
    """Vietnam's public holidays in Vietnamese from the package itself: importing it loads
    every country's module (~0.1 s), so only years outside the table come here."""
    import holidays

    return holidays.country_holidays("VN", language="vi")


@lru_cache(maxsize=1)
def installed_holidays_version() -> str | None:
    """The installed ``holidays`` version, read from its metadata folder without importing
    the package (``holidays.version`` imports ``importlib.metadata``: ~10 ms); None if unsure."""
    try:
        spec = importlib.util.find_spec("holidays")
        if spec is None or spec.origin is None:
            return None
        site = Path(spec.origin).resolve().parent.parent
        found = [p.name for p in site.glob("holidays-*.dist-info")]
    except (OSError, ImportError, ValueError):
        return None
    if len(found) != 1:
        return None
    return found[0].removeprefix("holidays-").removesuffix(".dist-info")


def _source(year: int) -> _Table | holidays.HolidayBase:
    """The table for the years it holds when it was made from the installed package's
    version (so a newer package's announcements are never hidden), else the package."""
    from chidao import holidays_vn

    if (
        holidays_vn.FIRST_YEAR <= year <= holidays_vn.LAST_YEAR
        and installed_holidays_version() == holidays_vn.PACKAGE_VERSION
    ):
        return _table()
    return _package_holidays()


@lru_cache(maxsize=1)
def _table() -> _Table:
    return _Table()


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[bool, ...]:
    """Whether each day of ``year`` is a working day by the package (index 0 = 1 January)."""
    package = _source(year)
    return tuple(
        package.is_working_day(day) for day in _days(dt.date(year, 1, 1), dt.date(year, 12, 31))
    )


def package_table(first: int, last: int) -> str:
    """The source of ``chidao/holidays_vn.py`` for ``first``..``last`` from the installed
    package (``python -m chidao.calendar`` writes it; tests/test_calendar.py compares)."""
    import json  # double quotes, as ruff format writes them

    package = _package_holidays()
    named: dict[int, dict[tuple[int, int], str]] = {}
    swapped: dict[int, list[tuple[int, int]]] = {}
    for year in range(first, last + 1):
        for day in _days(dt.date(year, 1, 1), dt.date(year, 12, 31)):
            name = package.get(day)
            if name is not None:
                named.setdefault(year, {})[(day.month, day.day)] = name
            if day.weekday() >= 5 and package.is_working_day(day):
                swapped.setdefault(year, []).append((day.month, day.day))
    lines = [
        '"""Vietnam\'s public holidays (in Vietnamese) and the weekend days worked in exchange,',
        "as the ``holidays`` package of the version below gives them, year by year: read instead",
        "of importing the package, which loads every country's module (~0.1 s). Generated by",
        "``python -m chidao.calendar``; tests/test_calendar.py checks it against the package.",
        '"""',
        "",
        f"PACKAGE_VERSION = {json.dumps(installed_holidays_version())}",
        f"FIRST_YEAR = {first}",
        f"LAST_YEAR = {last}",
        "HOLIDAYS: dict[int, dict[tuple[int, int], str]] = {",
    ]
    for year, days in named.items():
        lines.append(f"    {year}: {{")
        lines += [
            f"        {md!r}: {json.dumps(name, ensure_ascii=False)}," for md, name in days.items()
        ]
        lines.append("    },")
    lines += ["}", "WEEKEND_WORKDAYS: dict[int, tuple[tuple[int, int], ...]] = {"]
    lines += [f"    {year}: {tuple(days)!r}," for year, days in swapped.items()]
    lines += ["}", ""]
    return "\n".join(lines)


@lru_cache(maxsize=512)
def _year_prefix(calendar: WorkCalendar, year: int) -> tuple[int, ...]:
    """prefix[n] = working days among the first n days of ``year`` (prefix[0] = 0)."""
    counts = [0]
    for day in _days(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        counts.append(counts[-1] + calendar.is_working_day(day))
    return tuple(counts)


@lru_cache(maxsize=512)
def _year_base(calendar: WorkCalendar, year: int) -> int:
    """Working days from 01/01/2000 up to the end of the year before ``year``."""
    if EPOCH_YEAR <= year < EPOCH_YEAR + len(_PACKAGE_BASE):
        return _PACKAGE_BASE[year - EPOCH_YEAR] + _override_shift(calendar, year)
    if year > EPOCH_YEAR:
        return _year_base(calendar, year - 1) + _year_prefix(calendar, year - 1)[-1]
    return _year_base(calendar, year + 1) - _year_prefix(calendar, year)[-1]


def _override_shift(calendar: WorkCalendar, year: int) -> int:
    """What the office's own days off and working days change in the count from 01/01/2000
    to the end of the year before ``year``, against the package alone."""
    first, end = dt.date(EPOCH_YEAR, 1, 1), dt.date(year, 1, 1)
    return sum(
        calendar.is_working_day(day) - _package_year(day.year)[day.timetuple().tm_yday - 1]
        for day in calendar.days_off | calendar.working_days
        if first <= day < end
    )


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def end_of_day(day: dt.date) -> pendulum.DateTime:
    """23:59:59 of ``day``: where a period ends (the law says "hết ngày cuối cùng")."""
    return pendulum.datetime(day.year, day.month, day.day, 23, 59, 59, tz=TZ)


def calendar_from_config(config: object, source: str = "calendar") -> WorkCalendar:
    """Build a calendar from an org file's ``calendar:`` block (lists of dd/mm/yyyy or ISO)."""
    if config is None:
        return WorkCalendar()
    if not isinstance(config, dict):
        raise InputError(f"{source}: calendar must be a mapping with days_off / working_days")
    unknown = set(config) - {"days_off", "working_days"}
    if unknown:
        raise InputError(f"{source}: unknown calendar key {sorted(unknown)[0]!r}")

    def dates(key: str) -> frozenset[dt.date]:
        values = config.get(key) or []
        if not isinstance(values, list):
            raise InputError(f"{source}: calendar.{key} must be a list of dates")
        out = set()
        for value in values:
            if isinstance(value, dt.date):
                out.add(value)
                continue
            try:
                out.add(aware(str(value)).date())
            except InputError as exc:
                raise InputError(
                    f"{source}: calendar.{key}: {value!r} is not a date (dd/mm/yyyy)"
                ) from exc
        return frozenset(out)

    off, working = dates("days_off"), dates("working_days")
    both = sorted(off & working)
    if both:
        raise InputError(
            f"{source}: calendar: {both[0]:%d/%m/%Y} is listed both as a day off and as a "
            "working day"
        )
    return WorkCalendar(days_off=off, working_days=working)


if __name__ == "__main__":  # python -m chidao.calendar: regenerate the holiday table
    from chidao import holidays_vn

    target = Path(__file__).with_name("holidays_vn.py")
    target.write_text(package_table(holidays_vn.FIRST_YEAR, holidays_vn.LAST_YEAR), "utf-8")
    print(f"wrote {target}")
