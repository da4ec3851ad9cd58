"""A structured directive (YAML or JSON, the fields of the parser's JSON) → ``Directive``.

The same function reads the parser's output, so a dispatch read from text and one written
by hand are issued the same way. Required: ``subject`` and who receives it
(``recipient_levels`` or explicit ``units``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from chidao import yamlio
from chidao.clock import aware
from chidao.errors import InputError
from chidao.model import LEVELS, URGENCIES, Deadline, Directive, nfc

KEYS = {
    "number",
    "symbol",
    "code",
    "date",
    "office",
    "issuer",
    "issuer_parent",
    "place",
    "subject",
    "urgency",
    "secrecy",
    "recipients",
    "recipient_levels",
    "units",
    "references",
    "items",
    "deadlines",
    "contacts",
    "signer",
    "distribution",
    "warnings",
    "until",
}
RELATIVE_UNITS = ("working_days", "days")
RELATIVE_FROM = ("receipt", "issue", "event")
RECURRING_EVERY = ("month", "quarter")


def _where(source: str, node: Any, key: str | None = None) -> str:
    line = yamlio.line_of(node, key)
    return f"{source}:{line}" if line else source


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = nfc(str(value)).strip()
    return text or None


def _date(value: Any, where: str, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return aware(value).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return aware(str(value)).date()
    except InputError as exc:
        raise InputError(f"{where}: field '{field}': {value!r} is not a date") from exc


def _deadline(node: Any, number: int, source: str) -> Deadline:
    where = _where(source, node)
    if not isinstance(node, dict):
        raise InputError(f"{where}: deadline {number} must be a mapping")
    kinds = [k for k in ("due", "relative", "recurring") if node.get(k) not in (None, {})]
    if len(kinds) != 1:
        raise InputError(
            f"{where}: deadline {number} needs exactly one of due, relative, recurring"
        )
    item = _text(node.get("item"))
    text = _text(node.get("text")) or ""
    if kinds == ["due"]:
        raw = node["due"]
        try:
            due = aware(raw) if isinstance(raw, dt.datetime) and raw.tzinfo else aware(str(raw))
        except InputError as exc:
            raise InputError(f"{where}: deadline {number}: due {raw!r} is not a date") from exc
        return Deadline(text=text, item=item, due=due)
    if kinds == ["relative"]:
        rel = node["relative"]
        ok = (
            isinstance(rel, dict)
            and isinstance(rel.get("amount"), int)
            and rel.get("unit") in RELATIVE_UNITS
            and rel.get("from", "receipt") in RELATIVE_FROM
        )
        if not ok:
            raise InputError(
                f"{where}: deadline {number}: relative needs amount (whole number), "
                f"unit ({'|'.join(RELATIVE_UNITS)}) and from ({'|'.join(RELATIVE_FROM)})"
            )
        if not 0 < rel["amount"] <= 3650:
            raise InputError(
                f"{where}: deadline {number}: relative amount {rel['amount']} is out of range "
                "(1–3650)"
            )
        relative = {
            "amount": rel["amount"],
            "unit": rel["unit"],
            "from": rel.get("from", "receipt"),
        }
        if relative["from"] == "event":
            relative["event"] = event_name(rel.get("event"), text, item)
        return Deadline(text=text, item=item, relative=relative)
    rec = node["recurring"]
    if not (
        isinstance(rec, dict)
        and rec.get("every") in RECURRING_EVERY
        and isinstance(rec.get("day"), int)
        and 1 <= rec["day"] <= 31
    ):
        raise InputError(
            f"{where}: deadline {number}: recurring needs every (month|quarter) and day (1–31)"
        )
    return Deadline(text=text, item=item, recurring={"every": rec["every"], "day": rec["day"]})


def event_name(given: Any, text: str, item: str | None) -> str:
    """The event a deadline counts from: as given, else what follows "kể từ (khi|ngày)" in
    the deadline's text, else the item it belongs to."""
    if isinstance(given, str) and given.strip():
        return nfc(" ".join(given.split()))
    found = re.search(r"kể từ (?:khi|ngày|sau khi)?\s*(.+?)(?:[.;,]|$)", text, re.IGNORECASE)
    if found and found.group(1).strip():
        return nfc(found.group(1).strip())
    return f"sự kiện của mục {item}" if item else "sự kiện"


def _levels(values: Any, where: str) -> tuple[str, ...]:
    out = []
    for value in values or []:
        level = str(value).strip().upper()
        if level not in LEVELS:
            raise InputError(
                f"{where}: unknown level {value!r} (expected one of: {', '.join(LEVELS)})"
            )
        out.append(level)
    return tuple(sorted(set(out), key=LEVELS.index))


def _plain(value: Any) -> Any:
    """Plain JSON data: dates as ISO text, mappings and lists copied, text in NFC."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return nfc(value)
    return value


def _split_code(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    number, symbol = _text(doc.get("number")), _text(doc.get("symbol"))
    code = _text(doc.get("code"))
    if code and "/" in code and not (number or symbol):
        number, _, symbol = code.partition("/")
        number, symbol = number.strip() or None, symbol.strip() or None
    return number, symbol


def directive_from_mapping(doc: Any, source: str) -> Directive:
    """Validate a structured directive; the message names the file, line and field."""
    if not isinstance(doc, dict):
        raise InputError(f"{source}: a directive file must be a mapping of fields")
    for key in doc:
        if key not in KEYS:
            raise InputError(f"{_where(source, doc, key)}: unknown field {key!r}")
    subject = _text(doc.get("subject"))
    if not subject:
        raise InputError(f"{source}: required field 'subject' is missing")
    levels = _levels(doc.get("recipient_levels"), _where(source, doc, "recipient_levels"))
    units = tuple(str(u).strip() for u in doc.get("units") or [])
    if not levels and not units:
        raise InputError(
            f"{source}: required field 'recipient_levels' (or 'units') is missing: "
            "who must act on this directive?"
        )
    urgency = _text(doc.get("urgency"))
    if urgency and urgency not in URGENCIES:
        raise InputError(
            f"{_where(source, doc, 'urgency')}: urgency {urgency!r} is not one of "
            f"{', '.join(URGENCIES)}"
        )
    number, symbol = _split_code(doc)
    deadlines = doc.get("deadlines") or []
    if not isinstance(deadlines, list):
        raise InputError(f"{_where(source, doc, 'deadlines')}: 'deadlines' must be a list")
    return Directive(
        subject=subject,
        number=number,
        symbol=symbol,
        date=_date(doc.get("date"), _where(source, doc, "date"), "date"),
        office=_text(doc.get("office")),
        issuer=_text(doc.get("issuer")),
        issuer_parent=_text(doc.get("issuer_parent")),
        place=_text(doc.get("place")),
        urgency=urgency,
        secrecy=_text(doc.get("secrecy")),
        recipients=tuple(_text(r) or "" for r in doc.get("recipients") or []),
        recipient_levels=levels,
        units=units,
        references=tuple(_plain(doc.get("references") or [])),
        items=tuple(_plain(doc.get("items") or [])),
        deadlines=tuple(_deadline(d, i, source) for i, d in enumerate(deadlines, start=1)),
        contacts=tuple(_plain(doc.get("contacts") or [])),
        signer=_plain(doc.get("signer")) or None,
        distribution=tuple(_text(d) or "" for d in doc.get("distribution") or []),
        warnings=tuple(doc.get("warnings") or []),
        until=_date(doc.get("until"), _where(source, doc, "until"), "until"),
    )


def load_directive(path: str | Path) -> Directive:
    """Read a structured directive file (.yaml, .yml or .json)."""
    return directive_from_mapping(yamlio.load(path), str(path))
