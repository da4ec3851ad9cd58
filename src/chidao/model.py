"""The domain, as frozen dataclasses: the issuing office and its people and units, a
directive (công văn) with its deadlines, and the views of tasks and events.

Imports no SQLAlchemy, click or rich.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("MN", "TH", "THCS", "THPT", "GDTX", "PGDĐT", "UBND")
LEVEL_NAMES = {
    "MN": "Mầm non",
    "TH": "Tiểu học",
    "THCS": "Trung học cơ sở",
    "THPT": "Trung học phổ thông",
    "GDTX": "GDNN - GDTX",
    "PGDĐT": "Phòng GD&ĐT",
    "UBND": "UBND xã, phường",
}
URGENCIES = ("Khẩn", "Thượng khẩn", "Hỏa tốc")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Office:
    """A body that issues directives: a Phòng GD&ĐT, a Sở, a commune People's Committee."""

    code: str
    name: str
    kind: str = ""
    parent_body: str = ""
    parent_office: str | None = None
    abbreviation: str = ""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    position: str
    office: str
    reports_to: str | None = None
    levels: tuple[str, ...] = ()
    head: bool = False
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Unit:
    """A recipient: a school (MN, TH, THCS, TH&THCS …), a centre, or a lower office."""

    code: str
    name: str
    levels: tuple[str, ...]
    office: str
    principal: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Actor:
    """Who acts: a person of an office, a unit, or neither (unknown)."""

    name: str
    office: str | None
    unit: str | None


@dataclass(frozen=True)
class Org:
    offices: tuple[Office, ...]
    people: tuple[Person, ...]
    units: tuple[Unit, ...]
    calendar: dict[str, Any] | None = None


@dataclass(frozen=True)
class Deadline:
    """One deadline of a directive; each is a deliverable every recipient owes.

    Exactly one of ``due`` (absolute), ``relative`` ({amount, unit, from}) and
    ``recurring`` ({every, day}) is set.
    """

    text: str = ""
    item: str | None = None
    due: dt.datetime | None = None
    relative: dict[str, Any] | None = None
    recurring: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "item": self.item,
            "due": self.due.isoformat() if self.due else None,
            "relative": self.relative,
            "recurring": self.recurring,
        }


@dataclass(frozen=True)
class Directive:
    """A công văn as chidao understands it (the parser's JSON, or a structured file)."""

    subject: str
    number: str | None = None
    symbol: str | None = None
    date: dt.date | None = None
    office: str | None = None
    issuer: str | None = None
    issuer_parent: str | None = None
    place: str | None = None
    urgency: str | None = None
    secrecy: str | None = None
    recipients: tuple[str, ...] = ()
    recipient_levels: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    references: tuple[dict[str, Any], ...] = ()
    items: tuple[dict[str, Any], ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    contacts: tuple[dict[str, Any], ...] = ()
    signer: dict[str, Any] | None = None
    distribution: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    until: dt.date | None = None  # when recurring reports stop (else the school year's end)

    @property
    def code(self) -> str | None:
        """ "746/SGDĐT-GDCN"; None while the number is blank (a draft, or a lost number)."""
        if self.number and self.symbol:
            return f"{self.number}/{self.symbol}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "symbol": self.symbol,
            "code": self.code,
            "office": self.office,
            "issuer": self.issuer,
            "issuer_parent": self.issuer_parent,
            "place": self.place,
            "date": self.date.isoformat() if self.date else None,
            "subject": self.subject,
            "urgency": self.urgency,
            "secrecy": self.secrecy,
            "recipients": list(self.recipients),
            "recipient_levels": list(self.recipient_levels),
            "units": list(self.units),
            "references": list(self.references),
            "items": list(self.items),
            "deadlines": [d.to_json() for d in self.deadlines],
            "contacts": list(self.contacts),
            "signer": self.signer,
            "distribution": list(self.distribution),
            "warnings": list(self.warnings),
            "until": self.until.isoformat() if self.until else None,
        }


def directive_label(
    code: str | None,
    directive_id: int,
    subject: str | None = None,
    date: dt.date | None = None,
) -> str:
    """How screens, e-mails and reports name a directive: its code ("746/SGDĐT-GDCN"), or,
    while it has no number, its subject and date ("«Tăng cường công tác…» 25/03/2024");
    "#id" only where neither is at hand."""
    if code:
        return code
    if subject:
        short = subject if len(subject) <= 32 else subject[:31].rstrip() + "…"
        return f"«{short}»" + (f" {date:%d/%m/%Y}" if date else "")
    return f"#{directive_id}"


@dataclass(frozen=True, kw_only=True)
class DirectiveRow:
    """A directive as the database holds it: issued by ``office``, under a stored template."""

    id: int
    office: str
    number: str | None
    symbol: str | None
    code: str | None
    date: dt.date | None
    subject: str
    urgency: str | None
    recipient_levels: tuple[str, ...]
    signer: Any  # a mapping, unless the stored document was changed by hand
    document: Any  # the directive JSON (``Directive.to_json``), as stored
    template_id: int
    parent_task_id: int | None
    issued_at: dt.datetime
    issued_by: str
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str | None = None

    @property
    def label(self) -> str:
        return directive_label(self.code, self.id, self.subject, self.date)


@dataclass(frozen=True)
class TaskView:
    """One task as listings show it."""

    id: int
    directive_id: int
    directive: str
    unit: str
    unit_name: str
    levels: tuple[str, ...]
    state: str
    state_label: str
    version: int
    due: dt.datetime | None
    received_at: dt.datetime | None
    reported_at: dt.datetime | None
    deliverable: str
    workflow: str
    period: str = ""
    days_late: int | None = None
    state_label_en: str = ""  # the template's label_en (to_json keeps the template's label)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "directive_id": self.directive_id,
            "directive": self.directive,
            "unit": self.unit,
            "unit_name": self.unit_name,
            "levels": list(self.levels),
            "state": self.state,
            "state_label": self.state_label,
            "version": self.version,
            "due": self.due.isoformat() if self.due else None,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "reported_at": self.reported_at.isoformat() if self.reported_at else None,
            "deliverable": self.deliverable,
            "workflow": self.workflow,
            "period": self.period or None,
            "days_late": self.days_late,
        }


@dataclass(frozen=True)
class Event:
    """One change of one task; written once, never updated or deleted."""

    id: int
    task_id: int
    from_state: str | None
    to_state: str
    trigger: str
    actor: str
    at: dt.datetime
    note: str = ""
    on_behalf_of: str | None = None  # the unit a person of the office recorded this for
    actor_name: str | None = None  # the person's name, when the actor is a person

    @property
    def who(self) -> str:
        """ "Nguyễn Thanh Tùng (tung-nt), ghi nhận thay mn-hoa-ban" — who typed it, for whom."""
        name = f"{self.actor_name} ({self.actor})" if self.actor_name else self.actor
        return f"{name}, ghi nhận thay {self.on_behalf_of}" if self.on_behalf_of else name

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "from": self.from_state,
            "to": self.to_state,
            "trigger": self.trigger,
            "actor": self.actor,
            "actor_name": self.actor_name,
            "on_behalf_of": self.on_behalf_of,
            "at": self.at.isoformat(),
            "note": self.note,
        }
