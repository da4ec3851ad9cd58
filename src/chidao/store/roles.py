"""The two PostgreSQL roles: the owner that migrates, the app role that chidao runs as.

The owner role creates and upgrades the tables, so it owns them; the app role is granted
just what the commands need. On ``events`` that is SELECT and INSERT only: without
UPDATE, DELETE or TRUNCATE, and not owning the table (so it cannot ALTER it or disable its
trigger), chidao's own connection cannot rewrite the history. The roles granted are
remembered in ``chidao_meta`` so that ``chidao db upgrade`` grants new tables to them too,
and named in the ``chidao_app`` row-level security policy of every protected table, which
lets them reach every row (``store.policies``); ``logins`` is theirs to read only, as the
owner alone decides who is a person or unit login (``store.identity``).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from chidao.errors import DatabaseError, InputError
from chidao.store import policies, schema
from chidao.store.migrate import alembic_version

APPEND_ONLY = {schema.events.name}
READ_ONLY = {schema.meta.name, alembic_version.name, schema.logins.name}
# a unit's levels are replaced when the org is reloaded; a sweep's note of the escalations
# it owes notifications for is removed once they are queued
DELETES = {schema.unit_levels.name, schema.unnotified.name}
_KEY = "app_role:"


def _quoted(conn: Connection, role: str) -> str:
    if not role or len(role) > 63 or not role.replace("_", "").replace("-", "").isalnum():
        raise InputError(f"role name {role!r}: use letters, digits, '_' or '-'")
    return conn.dialect.identifier_preparer.quote_identifier(role)


def grant(conn: Connection, role: str) -> None:
    """Give ``role`` what the commands need, and remember it for later upgrades."""
    if conn.dialect.name != "postgresql":
        raise DatabaseError("roles exist only on PostgreSQL; an SQLite file has no roles")
    who = _quoted(conn, role)
    exists = conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).first()
    if not exists:
        raise InputError(f"role {role!r} does not exist on this server (CREATE ROLE it first)")
    login = conn.execute(select(schema.logins.c.kind).where(schema.logins.c.role == role)).scalar()
    if login:
        raise InputError(
            f"{role} is a {login} login (chidao user add): the app role must be a role of its own"
        )
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {_schema(conn)} TO {who}")
    for name in [*schema.metadata.tables, alembic_version.name]:
        table = conn.dialect.identifier_preparer.quote_identifier(name)
        conn.exec_driver_sql(f"REVOKE ALL ON {table} FROM {who}")
        if name in READ_ONLY:
            privileges = "SELECT"
        elif name in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE" + (", DELETE" if name in DELETES else "")
        conn.exec_driver_sql(f"GRANT {privileges} ON {table} TO {who}")
    conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema(conn)} TO {who}")
    key = f"{_KEY}{role}"
    known = conn.execute(select(schema.meta.c.key).where(schema.meta.c.key == key)).first()
    if not known:
        conn.execute(schema.meta.insert().values(key=key, value="app"))
    policies.allow_app(conn, granted(conn))


def granted(conn: Connection) -> list[str]:
    """The app roles ``grant`` was run for."""
    rows = conn.execute(select(schema.meta.c.key).where(schema.meta.c.key.like(f"{_KEY}%")))
    return [key.removeprefix(_KEY) for (key,) in rows]


def _schema(conn: Connection) -> str:
    name = conn.exec_driver_sql("SELECT current_schema()").scalar()
    return conn.dialect.identifier_preparer.quote_identifier(str(name))
