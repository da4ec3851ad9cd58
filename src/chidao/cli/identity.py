"""``chidao user add`` and ``chidao whoami``: who a connection acts as.

On PostgreSQL a person or unit connects as its own login role and the server decides what
it may see and change; on SQLite ``--as``/``CHIDAO_USER`` names the actor (no password).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from chidao.cli.base import (
    DEFAULT_URL,
    cli,
    command,
    emit_json,
    group,
    json_option,
    option,
    run_settings,
)
from chidao.cli.db import owner_option, owner_store
from chidao.errors import InputError
from chidao.i18n import _


@group("user")
def user_group() -> None:
    """PostgreSQL logins for people and units (the server checks who they are)."""


cli.add_command(user_group)


def _password(ident: str, password_file: str | None) -> str:
    if password_file is None:
        return click.prompt(
            _("Password for {login}").format(login=ident),
            hide_input=True,
            confirmation_prompt=True,
            err=True,
        )
    path = Path(password_file)
    if not path.is_file():
        raise InputError(f"--password-file {password_file}: no such file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"--password-file {password_file}: not UTF-8 text") from exc
    if not lines or not lines[0]:
        raise InputError(f"--password-file {password_file}: the first line (the password) is empty")
    return lines[0]


@command(user_group, "add")
@click.argument("ident", metavar="PERSON_ID|UNIT_CODE")
@option(
    "--password-file",
    metavar="FILE",
    help="Read the password from the first line of FILE (else it is asked for, twice).",
)
@owner_option
def user_add(ident: str, password_file: str | None, owner_db: str | None) -> None:
    """Let a person or a unit connect to the PostgreSQL server as its own login, named after
    its id: the server then lets it see and change only its own tasks (a unit) or its
    office's directives (a person). Again for an existing login: a new password. Run as
    the owner role; the org file must be loaded.

    Example:

        chidao user add tung-nt --owner-db postgresql+psycopg://chidao_owner@db.local/chidao
    """
    from chidao.store import identity

    store = owner_store(owner_db)
    kind = identity.check(store, ident)
    password = _password(ident, password_file)
    kind, created = identity.add(store, ident, password, run_settings().moment())
    what = _("a new login") if created else _("its password changed")
    sees = _("its own tasks") if kind == identity.UNIT else _("its office's directives and tasks")
    click.echo(
        _("{login} ({kind}) may now connect to {database}: {what}; it sees {sees}").format(
            login=ident, kind=kind, database=store.label, what=what, sees=sees
        )
    )


@command(cli, "whoami")
@json_option
def whoami(as_json: bool) -> None:
    """Say who this connection acts as: on PostgreSQL the login (the server's current_user),
    else the person or unit --as or CHIDAO_USER names, with its office.

    Example:

        chidao whoami --db postgresql+psycopg://tung-nt@db.local/chidao
    """
    from chidao.store import identity

    settings = run_settings()
    if settings.actor or os.environ.get("CHIDAO_USER") or settings.login:
        actor: str | None = settings.who()
    else:
        actor = None
    url = settings.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
    store = settings.store()
    me = identity.current(store, actor)
    os_user = getpass.getuser()
    if as_json:
        emit_json({**me.to_json(), "database": store.label, "os_user": os_user})
        return
    click.echo(_who_line(me))
    if me.login:
        click.echo(
            _("PostgreSQL login {role} on {database}: the server checks who it is").format(
                role=me.role, database=store.label
            )
        )
    elif me.role is not None:
        click.echo(
            _(
                "PostgreSQL role {role} on {database} is no person or unit login: "
                "--as or CHIDAO_USER names who acts, unchecked"
            ).format(role=me.role, database=store.label)
        )
    else:
        click.echo(
            _(
                "named by --as or CHIDAO_USER on {database} (SQLite has no logins), "
                "by OS account {os_user}"
            ).format(database=url.removeprefix("sqlite:///"), os_user=os_user)
        )


def _who_line(me) -> str:
    if me.id is None:
        return _("nobody: give --as ID (a person id or unit code) or CHIDAO_USER")
    if me.kind is None:
        return _("{id}: not a person or unit of any loaded org file").format(id=me.id)
    office = f"{me.office_name} ({me.office})"
    if me.kind == "person":
        return f"{me.name} ({me.id}), {me.position}, {office}"
    return _("{name} ({id}), unit of {office}").format(name=me.name, id=me.id, office=office)
