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

from chidao.errors import InputError

TZ = pendulum.timezone("Asia/Ho_Chi_Minh")

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?\s*$")


def parse_moment(text: str, what: str = "--now") -> pendulum.DateTime:
    """Read ISO 8601 or dd/mm/yyyy [HH:MM]; a value without offset is Vietnamese time."""
    match = _DMY.match(text)
    try:
        if match:
            d, m, y, hh, mm, ss = match.groups()
            return pendulum.datetime(
                int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tz=TZ
            )
        moment = pendulum.parse(text.strip(), tz=TZ, strict=False)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise InputError(
            f"{what}: cannot read {text!r} as a date; use dd/mm/yyyy [HH:MM] or ISO 8601"
        ) from exc
    if isinstance(moment, pendulum.Date) and not isinstance(moment, pendulum.DateTime):
        moment = pendulum.datetime(moment.year, moment.month, moment.day, tz=TZ)
    if not isinstance(moment, pendulum.DateTime):
        raise InputError(f"{what}: {text!r} is not a date and time")
    return moment.in_timezone(TZ)


def aware(moment: dt.datetime | dt.date | str) -> pendulum.DateTime:
    """Bring a datetime, date or text into Vietnamese time; refuse naive datetimes."""
    if isinstance(moment, str):
        return parse_moment(moment, "date")
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment!r}: every time in chidao is aware")
        return pendulum.instance(moment).in_timezone(TZ)
    return pendulum.datetime(moment.year, moment.month, moment.day, tz=TZ)


def now(override: str | None = None) -> pendulum.DateTime:
    """The current moment: ``override`` (from ``--now``), else CHIDAO_NOW, else the clock."""
    text = override or os.environ.get("CHIDAO_NOW")
    if text:
        return parse_moment(text, "--now" if override else "CHIDAO_NOW")
    return pendulum.now(TZ)


def format_date(moment: dt.datetime | dt.date | None) -> str:
    """dd/mm/yyyy, as Vietnamese documents write dates."""
    if moment is None:
        return "—"
    if isinstance(moment, dt.datetime):
        moment = aware(moment)
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year}"


def format_moment(moment: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnamese time."""
    if moment is None:
        return "—"
    moment = aware(moment)
    return f"{format_date(moment)} {moment.hour:02d}:{moment.minute:02d}"
