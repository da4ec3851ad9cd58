"""The only place that reads the current time.

Every command accepts a simulated "now" (``--now`` / ``CHIDAO_NOW``) so that demos and
tests are deterministic; everything else receives ``now`` as an argument. All datetimes are
aware and in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pendulum

from chidao.errors import InputError, OutOfRange

TZ = pendulum.timezone("Asia/Ho_Chi_Minh")

_DMY = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?"  # dd/mm or dd/mm/yyyy
    # then a time: 16h00, 16h, 16:00, 16:00:30
    r"(?:(?:\s+|\s*,\s*|T)(\d{1,2})(?:\s*[:hH]\s*(\d{2})?)?(?::(\d{2}))?)?\s*$"
)
YEARS = (1900, 2200)


def read_moment(
    text: str, what: str = "--now", year: int | None = None
) -> tuple[pendulum.DateTime, bool]:
    """Read a moment as people type it, and whether it named a time of day.

    ``dd/mm/yyyy``, ``dd/mm`` (``year``, else this year as of ``now()``), each optionally
    followed by a time ``16h00``, ``16h``, ``16:00`` or ``16:00:30``; or ISO 8601. A value
    without an offset is Vietnamese time. This is the one reader of dates and times on the
    command line and in files, so the same text means the same moment everywhere.
    """
    match = _DMY.match(text)
    try:
        if match:
            d, m, y, hh, mm, ss = match.groups()
            moment = pendulum.datetime(
                int(y) if y else year or now().year,
                int(m),
                int(d),
                int(hh or 0),
                int(mm or 0),
                int(ss or 0),
                tz=TZ,
            )
            timed = hh is not None
        else:
            moment, timed = _iso(text)
    except (ValueError, OverflowError, pendulum.parsing.exceptions.ParserError) as exc:
        raise InputError(
            f"{what}: cannot read {text!r} as a date; use dd/mm/yyyy [16h00], dd/mm or ISO 8601"
        ) from exc
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise OutOfRange(f"{what}: year {moment.year} is out of range ({YEARS[0]}–{YEARS[1]})")
    return moment.in_timezone(TZ), timed


def _iso(text: str) -> tuple[pendulum.DateTime, bool]:
    moment = pendulum.parse(text.strip(), tz=TZ, strict=False)
    if isinstance(moment, pendulum.Date) and not isinstance(moment, pendulum.DateTime):
        return pendulum.datetime(moment.year, moment.month, moment.day, tz=TZ), False
    if not isinstance(moment, pendulum.DateTime):
        raise ValueError(f"{text!r} is not a date and time")
    return moment, len(text.strip()) > 10


def parse_moment(text: str, what: str = "--now", year: int | None = None) -> pendulum.DateTime:
    """``read_moment`` without the flag: a date alone is its midnight."""
    return read_moment(text, what, year)[0]


def parse_due(text: str, what: str = "--to", year: int | None = None) -> pendulum.DateTime:
    """A due as typed: a date alone means the end of that day ("chậm nhất ngày …"); a time,
    when given, is kept as it is."""
    moment, timed = read_moment(text, what, year)
    return moment if timed else moment.replace(hour=23, minute=59, second=59)


def aware(moment: dt.datetime | dt.date | str) -> pendulum.DateTime:
    """Bring a datetime, date or text into Vietnamese time; refuse naive datetimes."""
    if isinstance(moment, str):
        return parse_moment(moment, "date")
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment!r}: every time in chidao is aware")
        return pendulum.instance(moment).in_timezone(TZ)
    return pendulum.datetime(moment.year, moment.month, moment.day, tz=TZ)


def json_value(value: object) -> str:
    """A moment or a day as JSON writes it (ISO 8601, Vietnamese time): the ``default`` of
    the JSON writers, so that builders hand over datetimes and only writers format them.

    >>> json_value(parse_moment("01/04/2024 08:30")), json_value(dt.date(2024, 4, 1))
    ('2024-04-01T08:30:00+07:00', '2024-04-01')
    """
    if isinstance(value, dt.datetime):
        return aware(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def now(override: str | None = None) -> pendulum.DateTime:
    """The current moment: ``override`` (from ``--now``), else CHIDAO_NOW, else the clock."""
    text = override or os.environ.get("CHIDAO_NOW")
    if text:
        return parse_moment(text, "--now" if override else "CHIDAO_NOW", pendulum.now(TZ).year)
    return pendulum.now(TZ)


def from_iso(text: str) -> pendulum.DateTime:
    """An ISO 8601 text that chidao itself wrote (JSON, reports) back into a moment, in
    Vietnamese time; a date alone is its midnight."""
    moment = pendulum.parse(text, tz=TZ)
    if isinstance(moment, pendulum.DateTime):
        return moment.in_timezone(TZ)
    if isinstance(moment, pendulum.Date):
        return pendulum.datetime(moment.year, moment.month, moment.day, tz=TZ)
    raise InputError(f"{text!r} is not a date or a moment")


def format_date(moment: dt.datetime | dt.date | None) -> str:
    """dd/mm/yyyy, as Vietnamese documents write dates.

    >>> format_date(dt.date(2024, 4, 1))
    '01/04/2024'
    """
    if moment is None:
        return "—"
    if isinstance(moment, dt.datetime):
        moment = aware(moment)
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year}"


def format_moment(moment: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnamese time.

    >>> format_moment(parse_moment("2024-04-01T01:30:00+00:00"))
    '01/04/2024 08:30'
    """
    if moment is None:
        return "—"
    moment = aware(moment)
    return f"{format_date(moment)} {moment.hour:02d}:{moment.minute:02d}"
