"""A structured directive (YAML or JSON, the fields of the parser's JSON) → ``Directive``.

The same function reads the parser's output, so a dispatch read from text and one written
by hand are issued the same way. The fields, their types and ranges are the schema in
``schemas.directive``; a problem is refused in one line that names the file, the line and
the field ("d.yaml:29: deadlines[1].relative.amount: 1000000000 is out of range (1–3650)").
Required: ``subject`` and who receives it (``recipient_levels`` or explicit ``units``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chidao import yamlio
from chidao.errors import InputError
from chidao.model import LEVELS, Deadline, Directive, nfc

if TYPE_CHECKING:
    from chidao.schemas import Problem
    from chidao.schemas import directive as spec


def event_name(given: Any, text: str, item: str | None) -> str:
    """The event a deadline counts from: as given, else what follows "kể từ (khi|ngày)" in
    the deadline's text, else the item it belongs to."""
    if isinstance(given, str) and given.strip():
        return nfc(" ".join(given.split()))
    found = re.search(r"kể từ (?:khi|ngày|sau khi)?\s*(.+?)(?:[.;,]|$)", text, re.IGNORECASE)
    if found and found.group(1).strip():
        return nfc(found.group(1).strip())
    return f"sự kiện của mục {item}" if item else "sự kiện"


def _describe(problem: Problem) -> str:
    from chidao.schemas import describe, path

    if problem.type == "extra_forbidden":
        where = path(problem.where)
        text = (
            f"{where}: unknown field {problem.key!r}" if where else f"unknown field {problem.key!r}"
        )
        if problem.value is None and where:
            text += " (a comma inside {…} starts a new key: put the text before it in quotes)"
        return text
    if problem.type == "missing" and not problem.where:
        return f"required field {problem.key!r} is missing"
    return describe(problem)


def _deadline(found: spec.Deadline) -> Deadline:
    if found.relative is not None:
        rel = found.relative
        relative: dict[str, Any] = {"amount": rel.amount, "unit": rel.unit, "from": rel.from_}
        if rel.from_ == "event":
            relative["event"] = event_name(rel.event, found.text, found.item)
        return Deadline(text=found.text, item=found.item, relative=relative)
    if found.recurring is not None:
        rec = found.recurring
        recurring: dict[str, Any] = {"every": rec.every, "day": rec.day}
        if rec.every == "day":
            recurring["time"] = rec.time  # None: by the end of each day
        return Deadline(text=found.text, item=found.item, recurring=recurring)
    return Deadline(text=found.text, item=found.item, due=found.due)


def _split_code(found: spec.DirectiveFile) -> tuple[str | None, str | None]:
    number, symbol, code = found.number or None, found.symbol or None, found.code
    if code and "/" in code and not (number or symbol):
        number, _, symbol = code.partition("/")
        number, symbol = number.strip() or None, symbol.strip() or None
    return number, symbol


def directive_from_mapping(doc: Any, source: str) -> Directive:
    """Validate a structured directive; the message names the file, line and field."""
    from chidao.schemas import check, problem_error
    from chidao.schemas import directive as spec

    if not isinstance(doc, dict):
        raise InputError(f"{source}: a directive file must be a mapping of fields")
    found = check(spec.DirectiveFile, doc)
    if isinstance(found, list):
        raise problem_error(source, found[0], _describe)
    number, symbol = _split_code(found)
    dumped = spec.as_json(found)
    return Directive(
        subject=found.subject,
        number=number,
        symbol=symbol,
        date=found.date,
        office=found.office or None,
        issuer=found.issuer or None,
        issuer_parent=found.issuer_parent or None,
        place=found.place or None,
        urgency=found.urgency,
        secrecy=found.secrecy or None,
        recipients=tuple(found.recipients),
        recipient_levels=tuple(sorted(set(found.recipient_levels), key=LEVELS.index)),
        units=tuple(found.units),
        references=tuple(dumped["references"]),
        items=tuple(dumped["items"]),
        deadlines=tuple(_deadline(d) for d in found.deadlines),
        contacts=tuple(dumped["contacts"]),
        signer=dumped["signer"],
        distribution=tuple(found.distribution),
        warnings=tuple(found.warnings),
        until=found.until,
    )


def load_directive(path: str | Path) -> Directive:
    """Read a structured directive file (.yaml, .yml or .json)."""
    return directive_from_mapping(yamlio.load(path), str(path))
