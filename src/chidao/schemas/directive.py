"""The directive file's schema: the fields of the parser's JSON, written by hand or read.

A directive names what it asks (``subject``), who must act (``recipient_levels`` or
``units``), and its deadlines, each exactly one of ``due`` (a moment), ``relative``
(N days from receipt, issue or an event) or ``recurring`` (monthly, quarterly or daily).
Everything the parser produces validates here, so a dispatch read from text and one
written by hand are issued the same way, and ``Directive.to_json()`` reads back the same.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, TypeVar

from pydantic import Field, model_validator

from chidao.model import URGENCIES
from chidao.schemas import FileModel
from chidao.schemas.types import (
    MAX_LIST,
    Code,
    Date,
    Level,
    Moment,
    Text,
    fail,
    kind,
    one_of,
    whole,
)
from chidao.schemas.types import text as up_to

RELATIVE_UNITS = ("working_days", "days")
RELATIVE_FROM = ("receipt", "issue", "event")
RECURRING_EVERY = ("month", "quarter", "day")
MAX_AMOUNT = 3650  # ten years of days: a relative deadline longer than that is a typo
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
T = TypeVar("T")
Many = Annotated[list[T], Field(max_length=MAX_LIST)]


def _time(value: Any) -> str:
    if not isinstance(value, str) or not _TIME.match(value.strip()):
        raise fail("{value} is not a time of day (HH:MM, e.g. 16:00)", value=kind(value))
    hours, minutes = value.strip().split(":")
    return f"{int(hours):02d}:{minutes}"


class Reference(FileModel):
    """A document the directive cites ("Thực hiện Công văn số 746/SGDĐT-GDCN ngày …")."""

    kind: Annotated[str | None, up_to(200)] = None
    code: Annotated[str | None, up_to(200)] = None
    date: Date | None = None
    issuer: Text | None = None


class Item(FileModel):
    """A numbered task of the body (I. > 1. > a)), with the items inside it."""

    number: Annotated[str | None, up_to(32)] = None
    text: Text | None = None
    items: Many[Item] = []


class Relative(FileModel):
    amount: Annotated[int, whole(1, MAX_AMOUNT)]
    unit: Annotated[str, one_of(*RELATIVE_UNITS)]
    from_: Annotated[str, one_of(*RELATIVE_FROM), Field(alias="from")] = "receipt"
    event: Annotated[str | None, up_to(200)] = None


class Recurring(FileModel):
    """ "trước ngày 25 hằng tháng" (every: month, day: 25), "hằng quý, trước ngày 20 của
    tháng cuối quý" (quarter, 20), "trước 16 giờ hằng ngày" (day, time: "16:00")."""

    every: Annotated[str, one_of(*RECURRING_EVERY)]
    day: Annotated[int | None, whole(1, 31)] = None
    time: Annotated[
        str | None,
        Field(json_schema_extra={"pattern": _TIME.pattern, "description": "HH:MM, daily only"}),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _read_time(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("time") is not None:
            data = {**data, "time": _time(data["time"])}
        return data

    @model_validator(mode="after")
    def _day_or_time(self) -> Recurring:
        if self.every == "day" and self.day is not None:
            raise fail("a daily deadline has no 'day' (give 'time', e.g. 16:00)")
        if self.every != "day" and self.day is None:
            raise fail("needs 'day' (1–31): the day of the month it falls on")
        if self.every != "day" and self.time is not None:
            raise fail("'time' is for daily deadlines only")
        return self


class Deadline(FileModel):
    """One deadline, each a deliverable every recipient owes."""

    text: Text = ""
    item: Annotated[str | None, up_to(32)] = None
    due: Moment | None = None
    relative: Relative | None = None
    recurring: Recurring | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Deadline:
        given = [k for k in ("due", "relative", "recurring") if getattr(self, k) is not None]
        if len(given) != 1:
            raise fail("needs exactly one of due, relative, recurring")
        return self


class Authority(FileModel):
    """One line of the signatory chain: "KT." + "TRƯỞNG PHÒNG"."""

    authority: Annotated[str, up_to(16)]
    title: Text = ""


class Signer(FileModel):
    chain: Annotated[list[Authority], Field(max_length=10)] = []
    position: Text | None = None
    name: Text | None = None


class Contact(FileModel):
    """A person to contact (often the specialist for a school level)."""

    name: Annotated[str, up_to(200, required=True)]
    level: Annotated[str | None, up_to(32)] = None
    phone: Annotated[str | None, up_to(64)] = None
    email: Annotated[str | None, up_to(200)] = None
    role: Text | None = None


class DirectiveFile(FileModel):
    """A công văn as chidao issues it."""

    subject: Annotated[str, up_to(2000, required=True)]
    number: Annotated[str | None, up_to(32)] = None
    symbol: Annotated[str | None, up_to(127)] = None
    code: Annotated[str | None, up_to(160)] = None
    date: Date | None = None
    office: Code | None = None
    issuer: Text | None = None
    issuer_parent: Text | None = None
    place: Text | None = None
    urgency: Annotated[str | None, one_of(*URGENCIES)] = None
    secrecy: Text | None = None
    recipients: Many[Text] = []
    recipient_levels: Many[Level] = []
    units: Many[Code] = []
    references: Many[Reference] = []
    items: Many[Item] = []
    deadlines: Many[Deadline] = []
    contacts: Many[Contact] = []
    signer: Signer | None = None
    distribution: Many[Text] = []
    warnings: Many[Text] = []
    until: Date | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        """An empty value ("", null) is a field not given; the parser writes them so."""
        if isinstance(data, dict):
            blank = [k for k, v in data.items() if v == "" and k != "subject"]
            if blank:
                data = {k: v for k, v in data.items() if k not in blank}
        return data

    @model_validator(mode="after")
    def _someone_acts(self) -> DirectiveFile:
        if not self.recipient_levels and not self.units:
            raise fail(
                "required field 'recipient_levels' (or 'units') is missing: "
                "who must act on this directive?"
            )
        return self


def _plain(value: Any) -> Any:
    """JSON data: dates as ISO text (the stored document holds nothing else)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def as_json(model: FileModel) -> Any:
    return _plain(model.model_dump(by_alias=True, exclude_none=False))
