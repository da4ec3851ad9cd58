"""The organisation file: the issuing office(s), their people and their recipient units.

An office is any body that issues directives (a Phòng GD&ĐT, a Sở GD&ĐT, a commune
People's Committee); nothing here assumes one kind. One file describes one office
(``office:``, ``people:``, ``units:``) or several (``offices:``, each with its own people
and units, linked by ``parent_office``). Fields and types are the schema in
``schemas.org``; this module checks what spans records (unique codes, ``reports_to``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chidao import yamlio
from chidao.calendar import calendar_from_config
from chidao.errors import InputError
from chidao.model import Office, Org, Person, Unit

if TYPE_CHECKING:
    from chidao.schemas import Problem
    from chidao.schemas import org as spec


def _what(doc: Any, loc: tuple[str | int, ...]) -> str:
    """How the org file's messages name the record at ``loc``: "unit 'mn-hoa-ban'"."""
    if not loc:
        return "the org file"
    node: Any = doc
    for part in loc:
        found = isinstance(node, dict) or (isinstance(node, list) and isinstance(part, int))
        node = node[part] if found else None
    plural = loc[-2] if len(loc) >= 2 and isinstance(loc[-1], int) else loc[-1]
    what = {"office": "office", "offices": "office", "people": "person", "units": "unit"}
    name = what.get(str(plural), str(plural))
    ident = node.get("id" if name == "person" else "code") if isinstance(node, dict) else None
    return f"{name} {ident!r}" if isinstance(ident, str) and name != "office" else name


def _describe(doc: Any) -> Any:
    from chidao.schemas import describe

    def message(problem: Problem) -> str:
        if problem.type == "extra_forbidden":
            return f"unknown key {problem.key!r} in {_what(doc, problem.where)}"
        if problem.type == "missing":
            return f"{_what(doc, problem.where)} needs {problem.key!r}"
        return describe(problem)

    return message


def _office(node: spec.Office) -> Office:
    return Office(
        code=node.code,
        name=node.name,
        kind=node.kind,
        parent_body=node.parent_body,
        parent_office=node.parent_office or None,
        abbreviation=node.abbreviation,
    )


def _person(node: spec.Person, office: str) -> Person:
    return Person(
        id=node.id,
        name=node.name,
        position=node.position,
        office=office,
        reports_to=node.reports_to or None,
        levels=tuple(dict.fromkeys(node.levels)),
        head=node.head,
        email=node.email,
        phone=node.phone,
    )


def _unit(node: spec.Unit, office: str) -> Unit:
    return Unit(
        code=node.code,
        name=node.name,
        levels=tuple(dict.fromkeys(node.levels)),
        office=office,
        principal=node.principal,
        email=node.email,
        phone=node.phone,
    )


def _blocks(found: spec.OrgFile, doc: Any) -> list[tuple[spec.Office, Any, list, list, Any]]:
    """Each office with its people and units, and the YAML nodes they were read from."""
    if found.office is not None:
        return [
            (
                found.office,
                doc["office"],
                found.people,
                found.units,
                doc,
            )
        ]
    return [
        (office, node, office.people, office.units, node)
        for office, node in zip(found.offices or [], doc["offices"], strict=True)
    ]


def _check_unique(source: str, rows: list[tuple[Any, Any]], attr: str, what: str) -> None:
    seen: set[str] = set()
    for item, node in rows:
        key = getattr(item, attr)
        if key in seen:
            raise InputError(f"{source}:{yamlio.line_of(node, attr)}: {what} {key!r} appears twice")
        seen.add(key)


def org_from_yaml(doc: Any, source: str) -> Org:
    """Validate an org document: every reference resolves, every code is unique."""
    from chidao.schemas import check, problem_error
    from chidao.schemas import org as spec

    if not isinstance(doc, dict):
        raise InputError(f"{source}:{yamlio.line_of(doc)}: the org file must be a mapping")
    found = check(spec.OrgFile, doc)
    if isinstance(found, list):
        raise problem_error(source, found[0], _describe(doc))
    offices, people, units = [], [], []
    for office_spec, node, people_specs, unit_specs, holder in _blocks(found, doc):
        office = _office(office_spec)
        offices.append((office, node))
        people += [
            (_person(p, office.code), n)
            for p, n in zip(people_specs, holder.get("people") or [], strict=True)
        ]
        units += [
            (_unit(u, office.code), n)
            for u, n in zip(unit_specs, holder.get("units") or [], strict=True)
        ]
    _check_unique(source, offices, "code", "office")
    _check_unique(source, people, "id", "person")
    _check_unique(source, units, "code", "unit")
    _check_reports_to(source, people)
    calendar_from_config(doc.get("calendar"), f"{source}:{yamlio.line_of(doc, 'calendar')}")
    return Org(
        offices=tuple(o for o, _ in offices),
        people=tuple(p for p, _ in people),
        units=tuple(u for u, _ in units),
        calendar=dict(doc["calendar"]) if doc.get("calendar") else None,
    )


def _check_reports_to(source: str, people: list[tuple[Person, Any]]) -> None:
    """Everyone a person reports to is a person of the file."""
    ids = {p.id for p, _ in people}
    for person, node in people:
        if person.reports_to and person.reports_to not in ids:
            raise InputError(
                f"{source}:{yamlio.line_of(node, 'reports_to')}: person {person.id!r} reports "
                f"to unknown person {person.reports_to!r}"
            )


def load_org(path: str | Path) -> Org:
    return org_from_yaml(yamlio.load(path), str(path))
