"""The working-day ordinal gives the answers of a count from 01/01/2000, without one."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from chidao import calendar as cal
from chidao.calendar import WorkCalendar

PACKAGE = holidays.country_holidays("VN", language="vi")
OFFICE = WorkCalendar(
    days_off=frozenset({dt.date(2003, 4, 28), dt.date(2024, 9, 3), dt.date(2026, 1, 5)}),
    working_days=frozenset({dt.date(2010, 5, 8), dt.date(2024, 9, 7), dt.date(2027, 3, 6)}),
)


def counted_from_2000(calendar: WorkCalendar, day: dt.date) -> int:
    """The plain definition: working days from 01/01/2000 up to and including ``day``."""
    epoch = dt.date(2000, 1, 1)
    step, current, total = dt.timedelta(days=1), epoch, 0
    if day >= epoch:
        while current <= day:
            total += calendar.is_working_day(current)
            current += step
        return total
    current = epoch - step
    while current > day:
        total -= calendar.is_working_day(current)
        current -= step
    return total


def test_the_package_counts_are_the_package_s() -> None:
    for n, expected in enumerate(cal.PACKAGE_WORKING_DAYS):
        year = cal.EPOCH_YEAR + n
        days = (dt.date(year, 1, 1) + dt.timedelta(days=k) for k in range(366))
        worked = sum(PACKAGE.is_working_day(d) for d in days if d.year == year)
        assert worked == expected, year


@pytest.mark.parametrize("calendar", [WorkCalendar(), OFFICE], ids=["package", "office"])
@pytest.mark.parametrize(
    "day",
    [
        "1998-12-31",
        "1999-12-31",
        "2000-01-01",
        "2003-04-29",
        "2010-05-08",
        "2024-09-02",
        "2024-09-09",
        "2024-12-31",
        "2025-01-01",
        "2026-01-06",
        "2027-03-06",
        "2031-07-01",
    ],
)
def test_ordinal_matches_the_count_from_2000(calendar: WorkCalendar, day: str) -> None:
    date = dt.date.fromisoformat(day)
    assert calendar.ordinal(date) == counted_from_2000(calendar, date)


def test_a_recent_ordinal_builds_only_its_year() -> None:
    for cached in (cal._package_year, cal._year_prefix, cal._year_base):
        cached.cache_clear()
    WorkCalendar().ordinal(dt.date(2024, 9, 9))
    assert cal._package_year.cache_info().currsize == 1


def test_the_holiday_table_is_the_installed_package_s() -> None:
    """chidao/holidays_vn.py is what ``python -m chidao.calendar`` writes from this package."""
    from pathlib import Path

    from chidao import holidays_vn

    assert cal.installed_holidays_version() == holidays_vn.PACKAGE_VERSION
    written = Path(holidays_vn.__file__).read_text("utf-8")
    assert cal.package_table(holidays_vn.FIRST_YEAR, holidays_vn.LAST_YEAR) == written


def test_the_table_answers_as_the_package_does_day_by_day() -> None:
    table, day = cal._table(), dt.date(2000, 1, 1)
    while day.year < 2031:
        assert table.is_working_day(day) == PACKAGE.is_working_day(day), day
        assert table.get(day) == PACKAGE.get(day), day
        day += dt.timedelta(days=1)


def test_counting_working_days_imports_no_holidays_package() -> None:
    import subprocess
    import sys

    code = (
        "import sys, datetime as dt; from chidao.calendar import WorkCalendar; "
        "c = WorkCalendar(); c.ordinal(dt.date(2024, 9, 9)); c.holiday_name(dt.date(2025, 9, 2)); "
        "print('holidays' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_year_outside_the_table_asks_the_package() -> None:
    day = dt.date(2075, 9, 2)
    assert WorkCalendar().holiday_name(day) == PACKAGE.get(day)
    assert WorkCalendar().is_working_day(day) is PACKAGE.is_working_day(day)


def test_another_package_version_is_asked_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer package may know days the table does not: then the table is not used."""
    from chidao import holidays_vn

    monkeypatch.setattr(holidays_vn, "PACKAGE_VERSION", "0.0")
    assert cal._source(2024) is cal._package_holidays()
    monkeypatch.undo()
    assert cal._source(2024) is cal._table()
