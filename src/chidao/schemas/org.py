"""The organisation file's schema: one office (``office:``, ``people:``, ``units:``) or
several (``offices:``, each with its own people and units), and the calendar overrides.

Types and ranges live here; what spans records (unique codes, ``reports_to`` naming a
person of the file, a day both off and worked) is checked by ``chidao.org``.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import Field, model_validator

from chidao.schemas import FileModel
from chidao.schemas.types import MAX_LIST, Code, Date, Email, Flag, Levels, Text, UnitCode, fail
from chidao.schemas.types import text as up_to

T = TypeVar("T")
Many = Annotated[list[T], Field(max_length=MAX_LIST)]
Name = Annotated[str, up_to(500, required=True)]
Short = Annotated[str, up_to(500)]


class Person(FileModel):
    id: Code
    name: Name
    position: Name
    reports_to: Code | None = None
    levels: Levels = []
    head: Flag = False
    email: Email = ""
    phone: Short = ""


class Unit(FileModel):
    """A recipient: a school, a centre, or a lower office."""

    code: UnitCode
    name: Name
    levels: Levels
    principal: Short = ""
    email: Email = ""
    phone: Short = ""

    @model_validator(mode="after")
    def _has_levels(self) -> Unit:
        if not self.levels:
            raise fail("unit {code!r} needs 'levels' (e.g. [TH, THCS])", code=self.code)
        return self


class Office(FileModel):
    """A body that issues directives: a Phòng GD&ĐT, a Sở, a commune People's Committee."""

    code: Code
    name: Name
    kind: Short = ""
    parent_body: Text = ""
    parent_office: Code | None = None
    abbreviation: Short = ""
    people: Many[Person] = []
    units: Many[Unit] = []


class Calendar(FileModel):
    """Overrides for announcements newer than the ``holidays`` package."""

    days_off: Many[Date] = []
    working_days: Many[Date] = []


class OrgFile(FileModel):
    office: Office | None = None
    offices: Many[Office] | None = None
    people: Many[Person] = []
    units: Many[Unit] = []
    calendar: Calendar | None = None

    @model_validator(mode="after")
    def _one_form(self) -> OrgFile:
        if self.office is None and self.offices is None:
            raise fail("the org file needs 'office:' (or 'offices:')")
        if self.office is not None and self.offices is not None:
            raise fail("give 'office:' (one office) or 'offices:' (several), not both")
        return self
