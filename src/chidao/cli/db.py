"""``chidao db``: where the database stands, upgrading it, and granting the app role.

``upgrade`` and ``grant`` change tables, so on PostgreSQL they connect as the owner role:
``--owner-db URL`` or ``CHIDAO_DB_OWNER`` (else the ordinary ``--db``/``CHIDAO_DB``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from chidao.cli.base import (
    DEFAULT_URL,
    cli,
    command,
    emit_json,
    group,
    json_option,
    missing_database_file,
    option,
    refuse_missing,
    run_settings,
)
from chidao.errors import DatabaseError
from chidao.i18n import _

if TYPE_CHECKING:
    from chidao.store import Store


@group("db")
def db_group() -> None:
    """The database itself: schema revision, upgrade, roles (PostgreSQL)."""


cli.add_command(db_group)


def owner_option(func):
    return option(
        "--owner-db",
        metavar="URL",
        help="Connect as the role that owns the tables (env CHIDAO_DB_OWNER; default --db).",
    )(func)


def owner_url(owner_db: str | None) -> str:
    """The owner role's database: --owner-db, CHIDAO_DB_OWNER, else the ordinary one."""
    settings = run_settings()
    return (
        owner_db
        or os.environ.get("CHIDAO_DB_OWNER")
        or settings.db
        or os.environ.get("CHIDAO_DB")
        or DEFAULT_URL
    )


def owner_store(owner_db: str | None) -> Store:
    from chidao.store import Store

    url = owner_url(owner_db)
    if missing_database_file(url):
        refuse_missing(url)
    return Store.open(url, require_head=False)


@command(db_group, "status")
@json_option
def db_status(as_json: bool) -> None:
    """Say which schema revision the database is at, this chidao's, and whether to upgrade.

    Example:

        chidao db status --json
    """
    settings = run_settings()
    url = settings.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
    from chidao.store import Store

    if Store.missing_file(url):
        raise DatabaseError(f"{url.removeprefix('sqlite:///')}: no such database file")
    store = Store.open(url, create=False, require_head=False)
    status = store.status()
    if as_json:
        emit_json(
            {
                "database": store.label,
                "mode": "simulation" if store.simulation else "live",
                **status.as_dict(),
            }
        )
        return
    made = "" if status.stamped else _(" (made before migrations)")
    mode = _("simulation (writes take --now)") if store.simulation else _("live")
    click.echo(_("database: {database}").format(database=store.label))
    click.echo(_("mode:     {mode}").format(mode=mode))
    click.echo(_("schema:   {revision}").format(revision=status.current) + made)
    click.echo(_("this chidao: {revision}").format(revision=status.head))
    if status.newer:
        click.echo(_("made by a newer chidao: use that one"))
    elif status.needs_upgrade:
        click.echo(_("upgrade needed: run 'chidao db upgrade'"))
    else:
        click.echo(_("up to date"))


@command(db_group, "init")
@option(
    "--simulation",
    is_flag=True,
    help="A simulation (training, trials): writes take --now. Recorded for good.",
)
@owner_option
def db_init(simulation: bool, owner_db: str | None) -> None:
    """Create a new, empty chidao database: live (writes take the clock) or a simulation.

    A database made on first use is live unless CHIDAO_SIMULATION=1 is set.

    Example:

        chidao db init --simulation --db tap-huan.db
    """
    from chidao.store import Store

    url = owner_url(owner_db)
    if not Store.missing_file(url):
        try:
            existing = Store.open(url, create=False, require_head=False)
        except DatabaseError as exc:
            if not exc.message.endswith("holds no chidao data yet"):
                raise
        else:
            mode = "simulation" if existing.simulation else "live"
            raise DatabaseError(f"{existing.label} is already a chidao database ({mode})")
    store = Store.open(url, simulation=simulation)
    click.echo(
        (
            _("{database}: new simulation database")
            if store.simulation
            else _("{database}: new live database")
        ).format(database=store.label)
    )


@command(db_group, "upgrade")
@owner_option
def db_upgrade(owner_db: str | None) -> None:
    """Bring the database to this chidao's schema with its data, in one transaction
    (creating it if it is empty); app roles granted before are granted the new tables.

    Example:

        CHIDAO_DB_OWNER=postgresql+psycopg://chidao_owner@db.local/chidao chidao db upgrade
    """
    store = owner_store(owner_db)
    before, after = store.upgrade()
    if before.current == after.current:
        click.echo(
            _("{database}: already at schema {revision}").format(
                database=store.label, revision=after.current
            )
        )
    else:
        click.echo(
            _("{database}: upgraded from schema {before} to {after}").format(
                database=store.label, before=before.current, after=after.current
            )
        )


@command(db_group, "grant")
@click.argument("role")
@owner_option
def db_grant(role: str, owner_db: str | None) -> None:
    """Let ROLE (the PostgreSQL role chidao runs as) read and write what the commands need,
    events only SELECT and INSERT; run as the owner role.

    Example:

        chidao db grant chidao_app --owner-db postgresql+psycopg://chidao_owner@db.local/chidao
    """
    store = owner_store(owner_db)
    store.grant(role)
    click.echo(
        _("{role} may now use {database} (events: read and append only)").format(
            role=role, database=store.label
        )
    )
