"""The ``chidao`` command line: the root group, shared options, and error handling.

The only place that turns a ``ChidaoError`` into ``Error: …`` on stderr and exit 1 (the
message in the language chosen, the ``Error:`` prefix the same in both, for scripts).
``--db``, ``--now``, ``--as`` and ``--lang`` are accepted before the command and after it;
the language is chosen before click reads anything, so that help and click's own messages
speak it too.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chidao import clock, i18n
from chidao.errors import ChidaoError, DatabaseError, InputError, OutOfRange
from chidao.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from chidao.store import Store

# chidao.store.database.DEFAULT_URL, repeated so that help needs no SQLAlchemy
# (tests/test_startup.py checks that they agree)
DEFAULT_URL = "sqlite:///chidao.db"

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
BIG_FAN_OUT = 2_000


@dataclass
class Settings:
    db: str | None = None
    now: str | None = None
    actor: str | None = None
    _store: Store | None = None
    _clock: list[Any] | None = None  # the server's clock read with the login, used once

    @property
    def url(self) -> str:
        return self.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL

    def store(self, create: bool = False) -> Store:
        """The database --db names, opened once per command (the login, the clock and the
        command's own work share it). A SQLite file that does not exist is refused (a typo
        would otherwise start an empty database), unless the command makes one."""
        if self._store is None:
            from chidao.store import Store

            if not create and missing_database_file(self.url):
                refuse_missing(self.url)
            self._store = Store.open(self.url)
        return self._store

    def moment(self):
        """The moment a read looks at (``--now`` may peek anywhere)."""
        return clock.now(self.now)

    def write_moment(self, store: Store):
        """The moment a write is dated: ``--now`` only in a simulation database; on a live
        one the clock (the server's on PostgreSQL), so history cannot be backdated."""
        if store.simulation:
            return clock.now(self.now)
        if self.now or os.environ.get("CHIDAO_NOW"):
            given = "--now" if self.now else "CHIDAO_NOW"
            raise InputError(
                f"{given}: {store.label} is a live database, whose changes take the clock; a "
                "simulated time is for a simulation database (made with CHIDAO_SIMULATION=1 "
                "or 'chidao db init --simulation')"
            )
        server = self._clock.pop() if self._clock and store is self._store else store.server_now()
        return clock.aware(server) if server is not None else clock.now()

    def who(self, default: str | None = None) -> str:
        claimed = self.actor or os.environ.get("CHIDAO_USER")
        if self.login:  # PostgreSQL: the server's current_user is the actor, not a flag
            if claimed and claimed != self.login:
                named = f"--as {claimed}" if self.actor else f"CHIDAO_USER={claimed}"
                raise InputError(
                    f"{named}: this connection is the PostgreSQL login {self.login}, "
                    "which acts only as itself"
                )
            return self.login
        actor = claimed or default
        if actor == "system":
            raise InputError(
                "--as system: 'system' is the sweep's own name and cannot act from the command "
                "line (run 'chidao sweep')"
            )
        if not actor:
            raise InputError(
                "who is acting? give --as ID (a person id or unit code) or CHIDAO_USER"
            )
        return actor

    @cached_property
    def login(self) -> str | None:
        """The person or unit whose PostgreSQL login --db connects as, else None (SQLite,
        and roles that are not a login: the owner, the app role). Asked together with the
        server's clock, in one round trip; the next write of the command is dated by it."""
        url = self.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
        if not url.startswith("postgres"):
            return None
        login, server = self.store().login_and_clock()
        self._clock = [server]
        return login


def run_settings() -> Settings:
    return click.get_current_context().find_root().ensure_object(Settings)


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None:
            if name == "now" and ctx.parent is not None:
                clock.parse_moment(value)  # refuse a malformed --now even where unused
            setattr(ctx.find_root().ensure_object(Settings), name, value)
        return value

    return callback


def _language(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None:
        i18n.set_language(value)
    return value


def help_text(text: str) -> str:
    """A docstring or option help in the current language, paragraph by paragraph (the
    catalog holds each paragraph); example lines stay as written, kept from rewrapping."""
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        if paragraph.startswith("    "):
            paragraphs.append("\b\n" + paragraph)
        else:
            paragraphs.append(i18n.message(paragraph))
    return "\n\n".join(paragraphs)


class Localised:
    """Help text shown in the current language (the code holds the English one)."""

    _help: str | None = None

    @property
    def help(self) -> str | None:
        return help_text(self._help) if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        found = super().get_help_option(ctx)  # type: ignore[misc]
        if found is not None:  # click makes it once, in the language of that moment
            found.help = _("Show this message and exit.")
        return found


class Option(Localised, click.Option):
    """A click option whose help is translated when shown."""


def option(*decls: str, **attrs: Any) -> Callable:
    """``click.option`` with the help translated when shown."""
    return click.option(*decls, cls=Option, **attrs)


class Command(Localised, click.Command):
    """A click command whose help is translated when shown."""


def global_options(func: Callable) -> Callable:
    """--db, --now, --as, --lang: valid on the group and on every command."""
    func = option(
        "--lang",
        type=click.Choice(i18n.LANGS),
        expose_value=False,
        callback=_language,
        help="Language of what is shown: vi or en (env CHIDAO_LANG; default vi).",
    )(func)
    func = option(
        "--as",
        "actor",
        metavar="ID",
        expose_value=False,
        callback=_remember("actor"),
        help="Who acts: a person id or unit code (env CHIDAO_USER).",
    )(func)
    func = option(
        "--now",
        metavar="WHEN",
        expose_value=False,
        callback=_remember("now"),
        help="Simulated now: ISO or dd/mm/yyyy [HH:MM] (env CHIDAO_NOW).",
    )(func)
    func = option(
        "--db",
        metavar="URL",
        expose_value=False,
        callback=_remember("db"),
        help="Database URL or SQLite file (env CHIDAO_DB; default sqlite:///chidao.db).",
    )(func)
    return func


def json_option(func: Callable) -> Callable:
    return option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def csv_option(func: Callable) -> Callable:
    return option(
        "--csv",
        "as_csv",
        is_flag=True,
        help="Print CSV instead of a table (its columns, in the language shown).",
    )(func)


def show(shown: Any, as_csv: bool = False) -> None:
    """Print a listing, or several one after the other, as tables fitted to the terminal;
    with --csv the same rows as CSV (several listings: one block each, a blank line apart)."""
    from chidao.rendering import Listing

    items = shown if isinstance(shown, list) else [shown]
    if as_csv:
        click.echo("\n".join(i.csv() for i in items if isinstance(i, Listing)), nl=False)
        return
    out = console()
    for item in items:
        out.print(item)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=clock.json_value))


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


class _LazyModule:
    """A module imported on first use, so that commands which need no database start
    without SQLAlchemy, the engine or rich (``chidao --help`` in a few tens of ms)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


def lazy(name: str) -> Any:
    """Module ``name``, imported when one of its attributes is first read."""
    return _LazyModule(name)


def refuse_missing(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    raise DatabaseError(
        f"{path}: no such database file (check --db or CHIDAO_DB; 'chidao org load FILE' "
        "or 'chidao db init' makes a new one)"
    )


def missing_database_file(url: str) -> bool:
    """``Store.missing_file`` without importing SQLAlchemy for the plain SQLite cases."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    plain = url.startswith("sqlite:///") and "?" not in url and url != "sqlite:///:memory:"
    if plain and len(url) > len("sqlite:///"):
        return not Path(url[len("sqlite:///") :]).expanduser().exists()
    from chidao.store import Store

    return Store.missing_file(url)


def _chosen_language(args: list[str]) -> str | None:
    """``--lang X`` anywhere before ``--``: read before click parses, so that help and
    click's messages are in that language (a wrong value is left for click to refuse)."""
    chosen = None
    for n, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and n + 1 < len(args):
            chosen = args[n + 1]
        elif arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
    return chosen if chosen in i18n.LANGS else None


CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "types",
    "utils",
    "_termui_impl",
)


def localise_click() -> None:
    """Click's own words (Usage:, Options:, Show this message and exit., its errors) come
    from ``gettext`` bound in each of its modules; point them at chidao's catalog."""
    import sys

    for name in CLICK_MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = i18n._  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def error_line(line: str, translated: bool = False) -> None:
    """One ``Error: …`` line on stderr, the message in the current language (``translated``:
    it is already)."""
    message = line if translated else i18n.message(line)
    click.echo(_("Error: {message}").format(message=message), err=True)


def warning_line(line: str) -> None:
    """One ``Warning: …`` line on stderr, the message in the current language."""
    click.echo(_("Warning: {message}").format(message=i18n.message(line)), err=True)


class ChidaoGroup(Localised, click.Group):
    """A group whose commands report ChidaoError as one line and exit 1."""

    command_class = Command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChidaoError as exc:
            for line in getattr(exc, "problems", None) or [exc.message]:
                error_line(line, exc.translated)
            ctx.exit(1)
        except click.BadParameter as exc:  # a value out of its range: bad input, one line
            where = exc.param.get_error_hint(ctx).strip("'") if exc.param else "value"
            error_line(f"{where}: {exc.message}")
            ctx.exit(1)

    def main(  # type: ignore[override]  # click's overloads, one implementation
        self, args: Any = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        import sys

        args = list(sys.argv[1:] if args is None else args)
        env = os.environ.get("CHIDAO_LANG")
        i18n.set_language(_chosen_language(args))
        localise_click()
        if env and env not in i18n.LANGS and _chosen_language(args) is None:
            error_line(
                _("CHIDAO_LANG: unknown language {value!r} (expected one of: vi, en)").format(
                    value=env
                )
            )
            sys.exit(1)
        return super().main(args, prog_name, **extra)


ChidaoGroup.group_class = ChidaoGroup


def group(name: str | None = None, **kwargs: Any) -> Callable:
    return click.group(name, cls=ChidaoGroup, context_settings=CONTEXT, **kwargs)


@group()
@global_options
@click.version_option(
    package_name="chidao",
    message="chidao %(version)s",
    cls=Option,
    help="Show the version and exit.",
)
def cli() -> None:
    """chidao: follow a directive (công văn) until every recipient has reported.

    Example:

        chidao org load examples/org-dien-bien.yaml
        chidao directive issue examples/directives/ctxh-2024.yaml --workflow bao-cao
        chidao task list --state received --level MN
    """
    settings = run_settings()
    if settings.now:
        clock.parse_moment(settings.now)


def command(parent: click.Group, name: str, **kwargs: Any) -> Callable:
    def wrap(func: Callable) -> Callable:
        return parent.command(name, context_settings=CONTEXT, **kwargs)(global_options(func))

    return wrap


MAX_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL's int4 ends here


def task_id_arg(value: str) -> int:
    text = value.lstrip("#")
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"task id must be a number, not {value!r}")
    if len(text) > 10 or int(text) > MAX_ID:
        raise OutOfRange(f"task id {text[:24]} is out of range (1–{MAX_ID})")
    return int(text)


def due_arg(value: str, what: str = "--to"):
    """A deadline given as a date means the end of that day ("chậm nhất ngày …")."""
    return clock.parse_due(value, what, run_settings().moment().year)
