"""The organisation file: the issuing office(s), their people and their recipient units.

An office is any body that issues directives (a Phòng GD&ĐT, a Sở GD&ĐT, a commune
People's Committee); nothing here assumes one kind. One file describes one office
(``office:``, ``people:``, ``units:``) or several (``offices:``, each with its own people
and units, linked by ``parent_office``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chidao import yamlio
from chidao.calendar import calendar_from_config
from chidao.errors import InputError
from chidao.model import LEVELS, Office, Org, Person, Unit

TOP_KEYS = {"office", "offices", "people", "units", "calendar"}
OFFICE_KEYS = {
    "code",
    "name",
    "kind",
    "parent_body",
    "parent_office",
    "abbreviation",
    "people",
    "units",
}
PERSON_KEYS = {"id", "name", "position", "reports_to", "levels", "head", "email", "phone"}
UNIT_KEYS = {"code", "name", "levels", "principal", "email", "phone"}
LEVEL_ALIASES = {"PGDDT": "PGDĐT", "PGD": "PGDĐT", "GDNN-GDTX": "GDTX"}


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: Any, key: str | None, message: str) -> InputError:
        return InputError(f"{self.source}:{yamlio.line_of(node, key)}: {message}")

    def keys(self, node: Any, allowed: set[str], what: str) -> None:
        if not isinstance(node, dict):
            raise self.fail(node, None, f"{what} must be a mapping")
        for key in node:
            if key not in allowed:
                raise self.fail(node, key, f"unknown key {key!r} in {what}")

    def text(self, node: Any, key: str, what: str, required: bool = True) -> str:
        value = node.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(node, None, f"{what} needs '{key}'")
            return ""
        return str(value).strip()

    def levels(self, node: Any, what: str) -> tuple[str, ...]:
        raw = node.get("levels") or []
        raw = raw if isinstance(raw, list) else str(raw).replace("&", ",").split(",")
        out = []
        for level in raw:
            level = str(level).strip().upper()
            level = LEVEL_ALIASES.get(level, level)
            if level not in LEVELS:
                raise self.fail(
                    node,
                    "levels",
                    f"{what}: unknown level {level!r} (expected one of: {', '.join(LEVELS)})",
                )
            out.append(level)
        return tuple(dict.fromkeys(out))


def _office(r: _Reader, node: Any) -> Office:
    r.keys(node, OFFICE_KEYS, "office")
    return Office(
        code=r.text(node, "code", "office"),
        name=r.text(node, "name", "office"),
        kind=r.text(node, "kind", "office", required=False),
        parent_body=r.text(node, "parent_body", "office", required=False),
        parent_office=r.text(node, "parent_office", "office", required=False) or None,
        abbreviation=r.text(node, "abbreviation", "office", required=False),
    )


def _people(r: _Reader, nodes: Any, office: str) -> list[tuple[Person, Any]]:
    out = []
    for node in nodes or []:
        r.keys(node, PERSON_KEYS, "person")
        pid = r.text(node, "id", "person")
        out.append(
            (
                Person(
                    id=pid,
                    name=r.text(node, "name", f"person {pid!r}"),
                    position=r.text(node, "position", f"person {pid!r}"),
                    office=office,
                    reports_to=r.text(node, "reports_to", "", required=False) or None,
                    levels=r.levels(node, f"person {pid!r}"),
                    head=node.get("head") is True,
                    email=r.text(node, "email", "", required=False),
                    phone=r.text(node, "phone", "", required=False),
                ),
                node,
            )
        )
    return out


def _units(r: _Reader, nodes: Any, office: str) -> list[tuple[Unit, Any]]:
    out = []
    for node in nodes or []:
        r.keys(node, UNIT_KEYS, "unit")
        code = r.text(node, "code", "unit")
        levels = r.levels(node, f"unit {code!r}")
        if not levels:
            raise r.fail(node, None, f"unit {code!r} needs 'levels' (e.g. [TH, THCS])")
        out.append(
            (
                Unit(
                    code=code,
                    name=r.text(node, "name", f"unit {code!r}"),
                    levels=levels,
                    office=office,
                    principal=r.text(node, "principal", "", required=False),
                    email=r.text(node, "email", "", required=False),
                    phone=r.text(node, "phone", "", required=False),
                ),
                node,
            )
        )
    return out


def _check_unique(r: _Reader, rows: list[tuple[Any, Any]], attr: str, what: str) -> None:
    seen: set[str] = set()
    for item, node in rows:
        key = getattr(item, attr)
        if key in seen:
            raise r.fail(node, attr, f"{what} {key!r} appears twice")
        seen.add(key)


def org_from_yaml(doc: Any, source: str) -> Org:
    """Validate an org document: every reference resolves, every code is unique."""
    r = _Reader(source)
    r.keys(doc, TOP_KEYS, "the org file")
    if "offices" in doc:
        blocks = [(node, node.get("people"), node.get("units")) for node in doc["offices"] or []]
    elif "office" in doc:
        blocks = [(doc["office"], doc.get("people"), doc.get("units"))]
    else:
        raise r.fail(doc, None, "the org file needs 'office:' (or 'offices:')")
    offices, people, units = [], [], []
    for node, people_nodes, unit_nodes in blocks:
        office = _office(r, node)
        offices.append((office, node))
        people += _people(r, people_nodes, office.code)
        units += _units(r, unit_nodes, office.code)
    _check_unique(r, offices, "code", "office")
    _check_unique(r, people, "id", "person")
    _check_unique(r, units, "code", "unit")
    ids = {p.id for p, _ in people}
    for person, node in people:
        if person.reports_to and person.reports_to not in ids:
            raise r.fail(
                node,
                "reports_to",
                f"person {person.id!r} reports to unknown person {person.reports_to!r}",
            )
    calendar_from_config(doc.get("calendar"), f"{source}:{yamlio.line_of(doc, 'calendar')}")
    return Org(
        offices=tuple(o for o, _ in offices),
        people=tuple(p for p, _ in people),
        units=tuple(u for u, _ in units),
        calendar=dict(doc["calendar"]) if doc.get("calendar") else None,
    )


def load_org(path: str | Path) -> Org:
    return org_from_yaml(yamlio.load(path), str(path))
