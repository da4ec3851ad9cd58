"""Offices, people and units: loaded in place (upsert), looked up by code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select

from chidao.model import Office, Org, Person, Unit
from chidao.store.database import dialect_insert
from chidao.store.schema import offices, people, unit_levels, units


def _upsert(conn: Connection, table, rows: list[dict[str, Any]], key: str) -> None:
    if not rows:
        return
    stmt = dialect_insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[key],
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != key},
    )
    conn.execute(stmt, rows)


def save_org(conn: Connection, org: Org) -> dict[str, int]:
    """Insert or update everything in ``org``; returns counts of what was there before."""
    known_units = set(conn.scalars(select(units.c.code)))
    known_people = set(conn.scalars(select(people.c.id)))
    _upsert(
        conn,
        offices,
        [
            {
                "code": o.code,
                "name": o.name,
                "kind": o.kind,
                "parent_body": o.parent_body,
                "parent_office": o.parent_office,
                "abbreviation": o.abbreviation,
                "calendar": org.calendar,
            }
            for o in org.offices
        ],
        "code",
    )
    _upsert(
        conn,
        people,
        [
            {
                "id": p.id,
                "office_code": p.office,
                "name": p.name,
                "position": p.position,
                "reports_to": p.reports_to,
                "levels": ",".join(p.levels),
                "head": p.head,
                "email": p.email,
                "phone": p.phone,
            }
            for p in org.people
        ],
        "id",
    )
    save_units(conn, list(org.units))
    return {
        "offices": len(org.offices),
        "people_new": sum(1 for p in org.people if p.id not in known_people),
        "people_updated": sum(1 for p in org.people if p.id in known_people),
        "units_new": sum(1 for u in org.units if u.code not in known_units),
        "units_updated": sum(1 for u in org.units if u.code in known_units),
    }


def office_parents(conn: Connection) -> dict[str, str | None]:
    """Every loaded office and its parent office."""
    rows = conn.execute(select(offices.c.code, offices.c.parent_office))
    return {code: parent for code, parent in rows}


def clashes(conn: Connection, org: Org) -> list[str]:
    """Ids that would name both a person and a unit (a school acting as the office)."""
    person_ids = {p.id for p in org.people}
    unit_codes = {u.code for u in org.units}
    found = [f"{i!r} is both a person's id and a unit's code" for i in person_ids & unit_codes]
    if person_ids:
        taken = conn.scalars(select(units.c.code).where(units.c.code.in_(sorted(person_ids))))
        found += [f"person id {i!r} is already a unit's code" for i in taken]
    if unit_codes:
        taken = conn.scalars(select(people.c.id).where(people.c.id.in_(sorted(unit_codes))))
        found += [f"unit code {i!r} is already a person's id" for i in taken]
    return sorted(found)


def office_codes(conn: Connection) -> list[str]:
    return list(conn.scalars(select(offices.c.code).order_by(offices.c.code)))


def get_office(conn: Connection, code: str) -> Office | None:
    row = conn.execute(select(offices).where(offices.c.code == code)).mappings().first()
    return None if row is None else office_of(row)


def office_of(row: RowMapping) -> Office:
    """An ``offices`` row as the record the domain reads."""
    return Office(
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        parent_body=row["parent_body"],
        parent_office=row["parent_office"],
        abbreviation=row["abbreviation"],
    )


def office_calendar(conn: Connection, code: str) -> dict[str, Any] | None:
    return conn.execute(select(offices.c.calendar).where(offices.c.code == code)).scalar()


def get_person(conn: Connection, pid: str) -> Person | None:
    row = conn.execute(select(people).where(people.c.id == pid)).mappings().first()
    return None if row is None else person_of(row)


def person_of(row: RowMapping) -> Person:
    """A ``people`` row as the record the domain reads (its levels a tuple)."""
    return Person(
        id=row["id"],
        name=row["name"],
        position=row["position"],
        office=row["office_code"],
        reports_to=row["reports_to"],
        levels=tuple(filter(None, row["levels"].split(","))),
        head=row["head"],
        email=row["email"],
        phone=row["phone"],
    )


def get_unit(conn: Connection, code: str) -> Unit | None:
    row = conn.execute(select(units).where(units.c.code == code)).mappings().first()
    return None if row is None else unit_of(row)


def unit_of(row: RowMapping) -> Unit:
    """A ``units`` row as the record the domain reads."""
    return Unit(
        code=row["code"],
        name=row["name"],
        levels=tuple(row["levels"].split(",")),
        office=row["office_code"],
        principal=row["principal"],
        email=row["email"],
        phone=row["phone"],
    )


def missing_units(conn: Connection, codes: list[str]) -> list[str]:
    found: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found |= set(conn.scalars(select(units.c.code).where(units.c.code.in_(chunk))))
    return [c for c in codes if c not in found]


def org_listing(conn: Connection) -> list[dict[str, Any]]:
    """Every office with its people and units, for ``org show``."""
    out = []
    for office in conn.execute(select(offices).order_by(offices.c.code)).mappings():
        code = office["code"]
        out.append(
            {
                "code": code,
                "name": office["name"],
                "kind": office["kind"],
                "parent_body": office["parent_body"],
                "parent_office": office["parent_office"],
                "people": [
                    {
                        **{k: r[k] for k in ("id", "name", "position", "reports_to", "head")},
                        "levels": _levels(r["levels"]),
                    }
                    for r in conn.execute(
                        select(people).where(people.c.office_code == code).order_by(people.c.id)
                    ).mappings()
                ],
                "units": [
                    {
                        **{k: r[k] for k in ("code", "name", "principal")},
                        "levels": _levels(r["levels"]),
                    }
                    for r in conn.execute(
                        select(units).where(units.c.office_code == code).order_by(units.c.code)
                    ).mappings()
                ],
            }
        )
    return out


def unit_names(conn: Connection) -> list[tuple[str, str]]:
    """Every unit's (code, name), for finding the one a user means."""
    return [(r.code, r.name) for r in conn.execute(select(units.c.code, units.c.name))]


def person_names(conn: Connection) -> list[tuple[str, str]]:
    """Every person's (id, name), for finding the one a user means."""
    return [(r.id, r.name) for r in conn.execute(select(people.c.id, people.c.name))]


def _levels(stored: str | None) -> list[str]:
    """Levels as every JSON shows them: a list ("TH,THCS" is how they are stored)."""
    return [level for level in (stored or "").split(",") if level]


def office_names(conn: Connection) -> dict[str, str]:
    return {r.code: r.name for r in conn.execute(select(offices.c.code, offices.c.name))}


def office_row(conn: Connection, code: str) -> dict[str, Any]:
    row = conn.execute(select(offices).where(offices.c.code == code)).mappings().one()
    return dict(row)


def units_by_code(conn: Connection, codes: list[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        rows = conn.execute(select(units).where(units.c.code.in_(chunk))).mappings()
        found.update({r["code"]: unit_of(r) for r in rows})
    return found


def save_units(conn: Connection, rows: list[Unit]) -> None:
    """Insert or update units and replace their levels."""
    _upsert(
        conn,
        units,
        [
            {
                "code": u.code,
                "office_code": u.office,
                "name": u.name,
                "levels": ",".join(u.levels),
                "principal": u.principal,
                "email": u.email,
                "phone": u.phone,
            }
            for u in rows
        ],
        "code",
    )
    codes = [u.code for u in rows]
    for start in range(0, len(codes), 500):
        conn.execute(
            delete(unit_levels).where(unit_levels.c.unit_code.in_(codes[start : start + 500]))
        )
    levels = [{"unit_code": u.code, "level": lv} for u in rows for lv in u.levels]
    if levels:
        conn.execute(unit_levels.insert(), levels)
