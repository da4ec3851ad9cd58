"""Where a database stands among the schema revisions, creating it, and upgrading it.

The revisions are the Alembic scripts of ``chidao.migrations`` (ids ``0001``, ``0002`` …,
the file names' prefixes, one line of history). A database records its revision in
Alembic's ``alembic_version`` table and, for older chidaos that read it, in
``chidao_meta.schema_version``. Databases made before migrations existed have no
``alembic_version``: their revision is read from ``chidao_meta.schema_version`` and the
columns present, and they are stamped with it before upgrading.

Opening a database needs only :func:`head` and :func:`revision_of` (no Alembic import, so
every command starts fast); :func:`upgrade` runs Alembic on the store's own transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    select,
    text,
    update,
)

from chidao.store import policies, schema

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"
LOCK_KEY = 0x43484944414F  # "CHIDAO": the PostgreSQL advisory lock of creation and upgrade

alembic_version = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


@dataclass(frozen=True)
class Status:
    """``current`` is None for a database without chidao tables."""

    current: str | None
    head: str
    stamped: bool  # False for a database made before migrations (no alembic_version)

    @property
    def needs_upgrade(self) -> bool:
        return self.current is not None and self.current != self.head

    @property
    def newer(self) -> bool:
        """Made by a later chidao than this one (a revision this one does not know)."""
        return self.current is not None and self.current not in revisions()

    def as_dict(self) -> dict[str, object]:
        return {
            "current": self.current,
            "head": self.head,
            "needs_upgrade": self.needs_upgrade and not self.newer,
            "newer_than_this_chidao": self.newer,
            "stamped": self.stamped,
        }


def revisions() -> list[str]:
    """The revision ids, oldest first (``versions/NNNN_name.py`` is revision ``NNNN``)."""
    found = (re.match(r"(\d{4})_\w+\.py$", p.name) for p in VERSIONS.glob("*.py"))
    return sorted(m.group(1) for m in found if m)


def head() -> str:
    return revisions()[-1]


def lock(conn: Connection) -> None:
    """Serialise creation and upgrade between processes (SQLite: BEGIN IMMEDIATE does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(text(f"pg_advisory_xact_lock({LOCK_KEY})")))


def revision_of(conn: Connection, names: set[str]) -> Status:
    """Where the database behind ``conn`` stands; ``names`` are its table names."""
    if schema.meta.name not in names:
        return Status(None, head(), stamped=False)
    if alembic_version.name in names:
        current = conn.execute(select(alembic_version.c.version_num)).scalar()
        if current is not None:
            return Status(current, head(), stamped=True)
    return Status(_legacy_revision(conn), head(), stamped=False)


def _legacy_revision(conn: Connection) -> str:
    version = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar()
    if version == "1":
        return "0001"
    if version != "2":
        return f"unknown ({version})"
    inspector = inspect(conn)
    if "rung" not in {c["name"] for c in inspector.get_columns("tasks")}:
        return "0002"
    if "ix_tasks_state_rung" not in {i["name"] for i in inspector.get_indexes("tasks")}:
        return "0003"
    return "0004"


def mode_of(conn: Connection, names: set[str]) -> str | None:
    """``live`` or ``simulation``, as recorded at creation (None before revision 0006)."""
    if schema.meta.name not in names:
        return None
    return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "mode")).scalar()


def create(conn: Connection, simulation: bool = False) -> None:
    """Make the current schema (``schema.py``) on an empty database, stamped at the head,
    with the row-level security that the revisions give an upgraded one (PostgreSQL)."""
    schema.metadata.create_all(conn)
    policies.install(conn)
    alembic_version.create(conn)
    conn.execute(alembic_version.insert().values(version_num=head()))
    conn.execute(
        schema.meta.insert(),
        [
            {"key": "schema_version", "value": head()},
            {"key": "application", "value": "chidao"},
            {"key": "mode", "value": "simulation" if simulation else "live"},
        ],
    )


def _alembic_config(conn: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "chidao:migrations")
    config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection, status: Status, target: str = "heads") -> None:
    """Bring the database to ``target`` inside the caller's transaction."""
    from alembic import command

    config = _alembic_config(conn)
    if status.current is None:
        command.upgrade(config, target)  # from nothing: every revision in turn
        conn.execute(
            schema.meta.insert(),
            [
                {"key": "schema_version", "value": ""},
                {"key": "application", "value": "chidao"},
            ],
        )
    else:
        if not status.stamped:
            command.stamp(config, status.current)
        command.upgrade(config, target)
    reached = conn.execute(select(alembic_version.c.version_num)).scalar()
    conn.execute(
        update(schema.meta).where(schema.meta.c.key == "schema_version").values(value=reached)
    )
