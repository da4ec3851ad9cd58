"""The organisation file: the issuing office(s), their people and their recipient units.

An office is any body that issues directives (a Phòng GD&ĐT, a Sở GD&ĐT, a commune
People's Committee); nothing here assumes one kind. One file describes one office
(``office:``, ``people:``, ``units:``) or several (``offices:``, each with its own people
and units, linked by ``parent_office``). Fields and types are the schema in
``schemas.org``; this module checks what spans records (unique codes, ``reports_to``).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chidao import yamlio
from chidao.calendar import calendar_from_config
from chidao.errors import BadFile, InputError
from chidao.i18n import N_
from chidao.model import Office, Org, Person, Unit

if TYPE_CHECKING:
    from chidao.schemas import Problem
    from chidao.schemas import org as spec


def _what(doc: Any, loc: tuple[str | int, ...]) -> str:
    """How the org file's messages name the record at ``loc``: "unit 'mn-hoa-ban'"."""
    if not loc:
        return N_("the org file")
    node: Any = doc
    for part in loc:
        found = isinstance(node, dict) or (isinstance(node, list) and isinstance(part, int))
        node = node[part] if found else None
    plural = loc[-2] if len(loc) >= 2 and isinstance(loc[-1], int) else loc[-1]
    what = {"office": "office", "offices": "office", "people": "person", "units": "unit"}
    name = what.get(str(plural), str(plural))
    ident = node.get("id" if name == "person" else "code") if isinstance(node, dict) else None
    if not isinstance(ident, str) or name == "office":
        return name
    if name == "person":
        return N_("person {id!r}").format(id=ident)
    return N_("unit {code!r}").format(code=ident) if name == "unit" else f"{name} {ident!r}"


def _describe(doc: Any) -> Any:
    from chidao.schemas import describe

    def message(problem: Problem) -> str:
        if problem.type == "extra_forbidden":
            return N_("unknown key {key!r} in {what}").format(
                key=problem.key, what=_what(doc, problem.where)
            )
        if problem.type == "missing":
            return N_("missing field {key!r} in {what}").format(
                key=problem.key, what=_what(doc, problem.where)
            )
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


def _blocks(found: spec.OrgFile) -> list[tuple[spec.Office, list, list]]:
    """Each office with its people and units."""
    if found.office is not None:
        return [(found.office, found.people, found.units)]
    return [(office, office.people, office.units) for office in found.offices or []]


def _nodes(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The records as written (offices, people, units), checked across records even when
    some of them break the schema, so that one run names every problem."""

    def mappings(value: Any) -> list[dict[str, Any]]:
        return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []

    holders = mappings(doc.get("offices")) or [doc]
    offices = mappings(doc.get("offices")) or mappings([doc.get("office")])
    return {
        "office": offices,
        "person": [n for h in holders for n in mappings(h.get("people"))],
        "unit": [n for h in holders for n in mappings(h.get("units"))],
    }


def _key(node: dict[str, Any], attr: str) -> str | None:
    value = node.get(attr)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return unicodedata.normalize("NFC", str(value)).strip() or None
    return None


Found = list[tuple[int, str]]  # (line, "file:line: message"): sorted into file order


def _twice(source: str, nodes: list[dict[str, Any]], attr: str, message: str) -> Found:
    seen: set[str] = set()
    problems = []
    for node in nodes:
        key = _key(node, attr)
        if key is None:
            continue
        if key in seen:
            line = yamlio.line_of(node, attr)
            problems.append((line, f"{source}:{line}: " + message.format(key=key)))
        seen.add(key)
    return problems


def _cross_problems(doc: dict[str, Any], source: str) -> Found:
    """What spans records: unique codes and ids, ``reports_to`` naming a person here."""
    nodes = _nodes(doc)
    problems = _twice(source, nodes["office"], "code", N_("office {key!r} appears twice"))
    problems += _twice(source, nodes["person"], "id", N_("person {key!r} appears twice"))
    problems += _twice(source, nodes["unit"], "code", N_("unit {key!r} appears twice"))
    ids = {_key(n, "id") for n in nodes["person"]}
    unknown = N_("person {id!r} reports to unknown person {reports_to!r}")
    for node in nodes["person"]:
        boss = _key(node, "reports_to")
        if boss and boss not in ids:
            line = yamlio.line_of(node, "reports_to")
            said = unknown.format(id=_key(node, "id"), reports_to=boss)
            problems.append((line, f"{source}:{line}: {said}"))
    line = yamlio.line_of(doc, "calendar")
    try:
        calendar_from_config(doc.get("calendar"), f"{source}:{line}")
    except InputError as exc:
        problems.append((line, exc.message))
    return problems


def org_from_yaml(doc: Any, source: str) -> Org:
    """Validate an org document: every field as the schema (and the units spreadsheet)
    wants it, every reference resolves, every code is unique. Every problem is reported at
    once, in the order of the file's lines (``BadFile``)."""
    from chidao.schemas import check, line_of_problem
    from chidao.schemas import org as spec

    if not isinstance(doc, dict):
        raise InputError(f"{source}:{yamlio.line_of(doc)}: the org file must be a mapping")
    found = check(spec.OrgFile, doc)
    problems: Found = []
    if isinstance(found, list):
        problems = [(p.line, line_of_problem(source, p, _describe(doc))) for p in found]
    problems += _cross_problems(doc, source)
    if problems or isinstance(found, list):
        raise BadFile([text for _line, text in sorted(problems, key=lambda p: p[0])])
    offices, people, units = [], [], []
    for office_spec, people_specs, unit_specs in _blocks(found):
        office = _office(office_spec)
        offices.append(office)
        people += [_person(p, office.code) for p in people_specs]
        units += [_unit(u, office.code) for u in unit_specs]
    return Org(
        offices=tuple(offices),
        people=tuple(people),
        units=tuple(units),
        calendar=dict(doc["calendar"]) if doc.get("calendar") else None,
    )


def load_org(path: str | Path) -> Org:
    return org_from_yaml(yamlio.load(path), str(path))
