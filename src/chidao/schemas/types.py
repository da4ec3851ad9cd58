"""The field types the file schemas share: text, codes, levels, dates, moments, ranges.

Each is an ``Annotated`` pydantic type whose validator says what is wrong in a clerk's
words (``PydanticCustomError``), and whose JSON Schema says what an editor should accept.
Text comes out NFC and trimmed; dates and moments are read by ``clock`` (the one reader
of dates in chidao) and must fall in 1900–2200.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError, core_schema

from chidao import clock, fields
from chidao.errors import InputError, OutOfRange
from chidao.model import LEVELS

MAX_TEXT = 20_000  # characters in one text field (a whole item of a dispatch fits)
MAX_LIST = 100_000  # entries in one list (every unit of a province fits)
_DMY = r"^\s*\d{1,2}/\d{1,2}/\d{4}"


def kind(value: Any) -> str:
    """What a value is, as a message says it: "text ('abc')", "a number (5)", "a list"."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"text ({shown!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return type(value).__name__


def fail(template: str, **values: Any) -> PydanticCustomError:
    """A validation error whose message is ``template`` filled in now (``str.format``), so
    that braces in what the user wrote are never read as placeholders."""
    return PydanticCustomError("chidao", template.format(**values))


@dataclass(frozen=True, eq=False)  # hashed by identity: the schema is a dict
class Check:
    """Pydantic metadata: run ``func`` on the value as written (it returns the value to
    keep, or raises ``fail(...)``), and show ``schema`` to editors."""

    func: Callable[[Any], Any]
    schema: dict[str, Any]
    inner: bool = False  # the schema lists other forms beside the type's own (``anyOf``)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.no_info_before_validator_function(self.func, handler(source))

    def __get_pydantic_json_schema__(self, core: Any, handler: Any) -> dict[str, Any]:
        if self.inner:
            return {"anyOf": [handler(core), *self.schema["anyOf"]]}
        if core.get("schema", {}).get("type") == "nullable":  # ``str | None`` and the like
            return {"anyOf": [dict(self.schema), {"type": "null"}]}
        return dict(self.schema)


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # "number: 746" is the text "746"
    raise fail("must be text, not {kind}", kind=kind(value))


def text(max_length: int = MAX_TEXT, *, required: bool = False) -> Check:
    """Text (a number reads as its digits), NFC and trimmed, at most ``max_length`` long."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        found = _to_text(value)
        if required and not found:
            raise fail("is empty")
        if len(found) > max_length:
            raise fail("is longer than {n} characters", n=max_length)
        return found

    schema: dict[str, Any] = {"type": ["string", "number"], "maxLength": max_length}
    if required:
        schema["minLength"] = 1
    return Check(check, schema)


Text = Annotated[str, text()]
Code = Annotated[str, text(64, required=True)]  # unit codes, person ids (String(64) columns)


def _checked(rule: Callable[[str], str | None]) -> AfterValidator:
    """A rule of ``chidao.fields`` on the value as read (NFC, trimmed)."""

    def check(value: str) -> str:
        problem = rule(value)
        if problem:
            raise fail("{problem}", problem=problem)
        return value

    return AfterValidator(check)


# the units spreadsheet's rules (``chidao.fields``): what it refuses, the org file refuses
UnitCode = Annotated[Code, _checked(fields.code_problem)]
Email = Annotated[str, text(500), _checked(fields.email_problem)]


def _level(value: Any) -> str:
    if not isinstance(value, str):
        raise fail("must be a school level, not {kind}", kind=kind(value))
    level = fields.level_of(value)
    if level is None:
        raise fail("{problem}", problem=fields.level_problem(value.strip()))
    return level


_LEVEL_SCHEMA = {"type": "string", "enum": list(LEVELS)}
Level = Annotated[str, Check(_level, _LEVEL_SCHEMA)]


def _level_list(value: Any) -> Any:
    """A list of levels, or one text such as "TH, THCS" or "TH&THCS" (as a spreadsheet
    cell is read: ``fields.split_levels``)."""
    if isinstance(value, str):
        return fields.split_levels(value)
    if isinstance(value, list) and len(value) > 2 * len(LEVELS):
        raise fail("lists {n} levels; there are {m}", n=len(value), m=len(LEVELS))
    return [] if value is None else value


Levels = Annotated[
    list[Level],
    Check(
        _level_list,
        {
            "anyOf": [
                {"type": "array", "items": _LEVEL_SCHEMA},
                {"type": "string", "description": "levels joined by ',' or '&' (TH&THCS)"},
            ]
        },
    ),
]


def _in_years(moment: dt.date) -> None:
    low, high = clock.YEARS
    if not low <= moment.year <= high:
        raise fail(
            "year {year} is out of range ({low}–{high})", year=moment.year, low=low, high=high
        )


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        day = clock.aware(value).date() if value.tzinfo else value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = clock.parse_moment(value, "date").date()
        except OutOfRange as exc:
            raise fail("{why}", why=exc.message.partition(": ")[2]) from exc
        except InputError as exc:
            raise fail("{value!r} is not a date (dd/mm/yyyy)", value=value) from exc
    else:
        raise fail("must be a date (dd/mm/yyyy), not {kind}", kind=kind(value))
    _in_years(day)
    return day


Date = Annotated[
    dt.date,
    Check(
        _date,
        {
            "type": "string",
            "description": "a date: dd/mm/yyyy or ISO 8601 (yyyy-mm-dd), year 1900–2200",
            "anyOf": [{"pattern": _DMY}, {"format": "date"}],
        },
    ),
]


def _moment(value: Any) -> dt.datetime:
    """A due: an aware datetime, a date (its midnight: "trước ngày …"), or text as
    ``clock`` reads it; a datetime without an offset is Vietnamese time."""
    if isinstance(value, dt.date):
        _in_years(value)
        if not isinstance(value, dt.datetime) or value.utcoffset() is not None:
            return clock.aware(value)
        value = value.isoformat(sep=" ")
    if not isinstance(value, str):
        raise fail("must be a date and time, not {kind}", kind=kind(value))
    try:  # what chidao stores: ISO with an offset, which may have seconds before 1912
        stored = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        stored = None
    if stored is not None and stored.utcoffset() is not None:
        _in_years(stored)
        return clock.aware(stored)
    try:
        return clock.parse_moment(value, "date")
    except OutOfRange as exc:
        raise fail("{why}", why=exc.message.partition(": ")[2]) from exc
    except InputError as exc:
        raise fail("{value!r} is not a date (dd/mm/yyyy [16h00] or ISO 8601)", value=value) from exc


Moment = Annotated[
    dt.datetime,
    Check(
        _moment,
        {
            "type": "string",
            "description": "dd/mm/yyyy [16h00] or ISO 8601 (2024-04-01T00:00:00+07:00)",
        },
    ),
]


def whole(low: int, high: int) -> Check:
    """A whole number from ``low`` to ``high`` (true/false and "5" are not numbers)."""

    def check(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("must be a whole number, not {kind}", kind=kind(value))
        if not low <= value <= high:
            raise fail("{value} is out of range ({low}–{high})", value=value, low=low, high=high)
        return value

    return Check(check, {"type": "integer", "minimum": low, "maximum": high})


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise fail("must be true or false, not {kind}", kind=kind(value))
    return value


Flag = Annotated[bool, Check(_flag, {"type": "boolean"})]


def one_of(*choices: str) -> Check:
    """One of ``choices``, written exactly so."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in choices:
            shown = repr(value) if isinstance(value, str) else kind(value)
            raise fail("{value} is not one of: {choices}", value=shown, choices=", ".join(choices))
        return value

    return Check(check, {"type": "string", "enum": list(choices)})


def one_or_many(item: dict[str, Any]) -> Check:
    """A list, or one value standing for a list of one (``by: office``)."""

    def check(value: Any) -> Any:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    return Check(check, {"anyOf": [item, {"type": "array", "items": item}]})
