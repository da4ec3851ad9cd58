"""Who a connection acts as: PostgreSQL logins for people and units, and ``whoami``.

On PostgreSQL each person and each unit may connect as its own login role, named after its
person id or unit code (``chidao user add``). The mapping is the ``logins`` table (role =
id, kind = person or unit), written only by the owner; the actor of a command on such a
connection is the server's ``current_user``, and row-level security (``store.policies``)
limits what it reaches. Roles that are not in ``logins`` (the owner, the app roles of
``chidao db grant``) are not anyone: the command line's ``--as`` names the actor for them,
as it does on SQLite, where there are no roles at all.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from chidao.errors import DatabaseError, InputError, NotFound
from chidao.store import policies, roles, schema
from chidao.store.database import Store, dialect_insert
from chidao.store.migrate import alembic_version

PERSON, UNIT = "person", "unit"
MAX_ROLE_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
RESERVED = ("public", "none")

# What a login may write, beyond reading every table (its rows filtered by the policies).
# Column lists keep a unit from moving its task to another unit or directive.
_MOVE = (
    "state, prev_state, version, updated_at, received_at, due_at, reported_at, late_at, "
    "due_seq, days_late, head"
)
WRITES = {
    UNIT: {
        "tasks": f"UPDATE ({_MOVE})",
        "events": "INSERT",
        "escalations": "UPDATE (resolved_at)",
        "extension_requests": "INSERT",
    },
    PERSON: {
        "templates": "INSERT",
        "directives": "INSERT, UPDATE (withdrawn_at, withdrawn_by)",
        "deliverables": "INSERT",
        "tasks": f"INSERT, UPDATE ({_MOVE}, rung)",
        "events": "INSERT",
        "escalations": "UPDATE (resolved_at)",
        "extension_requests": "INSERT, UPDATE (status, decided_by, decided_at, decision_note)",
        "occurrences": "INSERT",
    },
}
_VERIFIER = re.compile(
    r"^(SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=:]+|md5[0-9a-f]{32})$"
)
_POWERS = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


@dataclass(frozen=True)
class Identity:
    """Who acts: a person, a unit, or nobody known; and how the database knows it."""

    id: str | None
    kind: str | None  # person, unit, or None (unknown or not named)
    name: str = ""
    position: str = ""
    office: str | None = None  # the person's office, or the unit's
    office_name: str = ""
    role: str | None = None  # PostgreSQL: the connection's current_user
    login: bool = False  # the role is a chidao login: the server enforces who it is

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def role_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a PostgreSQL role name, or None."""
    if not name:
        return "an empty name"
    if len(name.encode("utf-8")) > MAX_ROLE_BYTES:
        return f"longer than {MAX_ROLE_BYTES} bytes, the longest role name PostgreSQL allows"
    if name.startswith("pg_"):
        return "names starting with 'pg_' are reserved for PostgreSQL's own roles"
    if name in RESERVED:
        return f"'{name}' is a reserved role name"
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "it holds a control character"
    return None


def _postgres(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise DatabaseError(
            "logins exist only on a PostgreSQL server; on an SQLite file there are no roles: "
            "--as ID or CHIDAO_USER says who acts"
        )


def login_actor(conn: Connection) -> str | None:
    """The person id or unit code this connection's role logs in as; None on SQLite and for
    roles that are no chidao login (the owner, the app roles that run the sweep)."""
    if conn.dialect.name != "postgresql":
        return None
    return conn.execute(
        select(schema.logins.c.role).where(schema.logins.c.role == _current_user(conn))
    ).scalar()


def _current_user(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SELECT current_user").scalar())


def kind_of(conn: Connection, ident: str) -> str:
    """``person`` or ``unit``: what ``ident`` names in the loaded org files."""
    person = conn.execute(select(schema.people.c.id).where(schema.people.c.id == ident)).first()
    unit = conn.execute(select(schema.units.c.code).where(schema.units.c.code == ident)).first()
    if person and unit:
        raise InputError(
            f"{ident!r} is both a person id and a unit code: a login must name one of them"
        )
    if not (person or unit):
        raise NotFound(f"unknown person or unit {ident!r} (not in any loaded org file)")
    return PERSON if person else UNIT


def describe(conn: Connection, actor: str | None) -> Identity:
    """``actor`` (the login's id on PostgreSQL, else what --as names) resolved to a person or
    unit with its office; ``role`` and ``login`` say what the server knows of it."""
    role, login = None, False
    if conn.dialect.name == "postgresql":
        role = _current_user(conn)
        login = login_actor(conn) is not None
    if actor is None:
        return Identity(None, None, role=role, login=login)
    people, units, offices = schema.people, schema.units, schema.offices
    person = conn.execute(
        select(people.c.name, people.c.position, people.c.office_code, offices.c.name)
        .join(offices, offices.c.code == people.c.office_code)
        .where(people.c.id == actor)
    ).first()
    if person:
        return Identity(actor, PERSON, person[0], person[1], person[2], person[3], role, login)
    unit = conn.execute(
        select(units.c.name, units.c.office_code, offices.c.name)
        .join(offices, offices.c.code == units.c.office_code)
        .where(units.c.code == actor)
    ).first()
    if unit:
        return Identity(actor, UNIT, unit[0], "", unit[1], unit[2], role, login)
    return Identity(actor, None, role=role, login=login)


def check(store: Store, ident: str) -> str:
    """Before asking for a password: PostgreSQL, a valid role name, a person or unit."""
    with store.read() as conn:
        _postgres(conn)
        problem = role_name_problem(ident)
        if problem:
            raise InputError(f"{ident!r} cannot be a PostgreSQL role name: {problem}")
        return kind_of(conn, ident)


def add(store: Store, ident: str, password: str, now: dt.datetime) -> tuple[str, bool]:
    """Make ``ident`` a login (or give an existing one a new password), grant it what a
    person or unit needs, and record it; returns (kind, created). Run as the owner."""
    if not password:
        raise InputError(f"{ident}: the password is empty")
    with store.write() as conn:
        _postgres(conn)
        kind = kind_of(conn, ident)
        problem = role_name_problem(ident)
        if problem:
            raise InputError(f"{ident!r} cannot be a PostgreSQL role name: {problem}")
        created = _make_role(conn, ident, password)
        _grant(conn, ident, kind)
        statement = dialect_insert(conn, schema.logins).values(
            role=ident, kind=kind, created_at=now
        )
        conn.execute(statement.on_conflict_do_update(index_elements=["role"], set_={"kind": kind}))
    return kind, created


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _make_role(conn: Connection, role: str, password: str) -> bool:
    """CREATE or ALTER the role with this password (sent as a SCRAM verifier, never in
    clear); refuse a role that is the owner, an app role, or has powers a login must not."""
    me = _current_user(conn)
    if role == me:
        raise InputError(f"{role} is the role this command runs as (the owner): not a login")
    if role in roles.granted(conn):
        raise InputError(
            f"{role} is an app role (chidao db grant): a login must be a role of its own"
        )
    found = conn.exec_driver_sql(
        f"SELECT {', '.join(_POWERS)} FROM pg_roles WHERE rolname = %s", (role,)
    ).first()
    if found and any(found):
        powers = ", ".join(
            p.removeprefix("rol") for p, on in zip(_POWERS, found, strict=True) if on
        )
        raise InputError(
            f"role {role} exists on this server with powers a login must not have ({powers})"
        )
    allowed = conn.exec_driver_sql(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).scalar()
    if not allowed:
        raise DatabaseError(
            f"role {me} may not create roles: ask the server's administrator for "
            f"'ALTER ROLE {me} CREATEROLE', or run this as a role that may"
        )
    verifier = _verifier(conn, role, password)
    verb = "ALTER" if found else "CREATE"
    conn.exec_driver_sql(f"{verb} ROLE {_quoted(conn, role)} LOGIN PASSWORD '{verifier}'")
    return not found


def _verifier(conn: Connection, role: str, password: str) -> str:
    """The password as the server stores it (libpq hashes it the server's way)."""
    raw: Any = conn.connection.dbapi_connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        raise DatabaseError("user add needs the psycopg 3 driver (postgresql+psycopg://…)")
    verifier = pgconn.encrypt_password(password.encode("utf-8"), role.encode("utf-8")).decode()
    if not _VERIFIER.match(verifier):
        raise DatabaseError("the server's password hashing gave an unexpected result")
    return verifier


def _grant(conn: Connection, role: str, kind: str) -> None:
    """Read every table (the policies choose the rows), write what ``kind`` needs."""
    who = _quoted(conn, role)
    space = _quoted(conn, str(conn.exec_driver_sql("SELECT current_schema()").scalar()))
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {space} TO {who}")
    conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {space} FROM {who}")
    writes = WRITES[kind]
    for name in [*schema.metadata.tables, alembic_version.name]:
        table = _quoted(conn, name)
        conn.exec_driver_sql(f"REVOKE ALL ON {table} FROM {who}")
        conn.exec_driver_sql(f"GRANT SELECT ON {table} TO {who}")
        if name in writes:
            conn.exec_driver_sql(f"GRANT {writes[name]} ON {table} TO {who}")
            if "INSERT" in writes[name]:
                sequence = conn.exec_driver_sql(
                    "SELECT pg_get_serial_sequence(%s, 'id')", (name,)
                ).scalar()
                if sequence:
                    conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {sequence} TO {who}")
    for function in policies.OWNER_VIEWS:
        conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {function} TO {who}")
    may_grant = conn.exec_driver_sql(
        "SELECT has_database_privilege(current_database(), 'CONNECT WITH GRANT OPTION')"
    ).scalar()
    if may_grant:
        database = _quoted(conn, str(conn.exec_driver_sql("SELECT current_database()").scalar()))
        conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {database} TO {who}")


def current(store: Store, claimed: str | None) -> Identity:
    """Who this connection acts as: its login on PostgreSQL, else ``claimed`` (--as)."""
    with store.read() as conn:
        return describe(conn, login_actor(conn) or claimed)


def login_of(store: Store) -> str | None:
    """The login of the store's connection (see :func:`login_actor`)."""
    with store.read() as conn:
        return login_actor(conn)
