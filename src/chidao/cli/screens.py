"""Commands that show and send: the dashboard, chains, reports, and the demo."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chidao.calendar import MAX_DAYS
from chidao.cli import complete
from chidao.cli.base import (
    DEFAULT_URL,
    MAX_ID,
    cli,
    command,
    console,
    emit_json,
    group,
    json_option,
    lazy,
    missing_database_file,
    option,
    run_settings,
)
from chidao.errors import InputError
from chidao.i18n import _

if TYPE_CHECKING:
    from rich.console import Console

    from chidao import chains, report, sweeper, views
else:
    chains, report, sweeper, views = (
        lazy(f"chidao.{name}") for name in ("chains", "report", "sweeper", "views")
    )

# chidao.report.FORMATS, repeated so that help needs no SQLAlchemy
# (tests/test_startup.py checks that they agree)
REPORT_FORMATS = ("xlsx", "csv", "json", "md", "docx")

# ------------------------------------------------------------------------------ chain


@group("chain")
def chain_group() -> None:
    """Directive chains: Sở → office → schools, and how each level stands."""


cli.add_command(chain_group)


@command(chain_group, "show")
@click.argument("ref", metavar="CODE|ID", shell_complete=complete.directives)
@json_option
def chain_show(ref: str, as_json: bool) -> None:
    """Draw the chain a directive belongs to, from the top, with each level's progress.

    Example:

        chidao chain show 746/SGDDĐT-GDCN
    """
    settings = run_settings()
    tree = chains.chain(settings.store(), ref, settings.moment())
    if as_json:
        emit_json(tree)
        return
    console().print(views.chain_tree(tree))


# ------------------------------------------------------------------------ dashboard, report, demo


@command(cli, "dashboard")
@option(
    "--directive",
    metavar="CODE|ID",
    shell_complete=complete.directives,
    help="Only this directive (and its level breakdown).",
)
@option("--level", help="Only units at this level (MN, TH, THCS …).")
@option(
    "--unit",
    metavar="CODE",
    shell_complete=complete.units,
    help="A principal's view: this school's open tasks (code or name).",
)
@option(
    "--person",
    metavar="ID",
    shell_complete=complete.people,
    help="What is on this person's desk (id or name).",
)
@option(
    "--limit",
    type=click.IntRange(1, MAX_ID),
    help="Rows per list (default: 15 on screen, all with --json).",
)
@option(
    "--soon",
    type=click.IntRange(0, MAX_DAYS),
    default=3,
    show_default=True,
    metavar="DAYS",
    help="'Due soon' means within this many working days.",
)
@option(
    "--watch",
    type=click.IntRange(1, 86_400),
    is_flag=False,
    flag_value=30,
    default=None,
    metavar="[SECONDS]",
    help="Refresh every SECONDS (default 30) until Ctrl-C.",
)
@option(
    "--sweep/--no-sweep",
    default=False,
    help="Run the sweep first (a write: marks overdue, escalates, queues notifications). "
    "By default the dashboard only looks.",
)
@option("--width", type=click.IntRange(40, 1000), help="Render for this many columns.")
@json_option
def dashboard_command(
    directive: str | None,
    level: str | None,
    unit: str | None,
    person: str | None,
    limit: int | None,
    soon: int,
    watch: int | None,
    sweep: bool,
    width: int | None,
    as_json: bool,
) -> None:
    """Where every open directive stands: progress, who is late, whose desk it has reached.

    Looking changes nothing: it shows what the last sweep recorded (a task past its due is
    still counted late). With --sweep it sweeps first, as `chidao sweep` would (not as a
    PostgreSQL person or unit login: the app role sweeps).

    Example:

        chidao dashboard --now "10/04/2024 08:00" --level MN
    """
    from chidao import dashboard, i18n

    lang = i18n.language()
    settings = run_settings()
    url = settings.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
    from rich.console import Console

    out = Console(highlight=False, width=width) if width else console()
    if missing_database_file(url) and not unit:
        if as_json:
            emit_json({"empty": True})
        else:
            out.print(dashboard.words(lang)["empty"])
        return
    store = settings.store()
    from chidao import lookup

    unit = lookup.unit(store, unit) if unit else None
    options = dashboard.Options(
        directive=directive,
        level=level.upper() if level else None,
        person=lookup.person(store, person) if person else None,
        limit=_rows(limit, as_json),
        soon_days=soon,
    )

    def screen(height: int | None = None):
        return _dashboard_screen(settings, store, unit, options, sweep, lang, out.width, height)

    if watch is not None and not as_json:
        _watch(out, screen, watch)
        return
    data, shown = screen()
    if as_json:
        emit_json(data)
        return
    out.print(shown)


def _watch(out: Console, screen: Callable[[int], tuple[Any, Any]], every: int) -> None:
    """Redraw the board every ``every`` seconds on the alternate screen (the shell comes
    back as it was), cut to the terminal's height; one line is left for the cursor. Not
    on a terminal (a pipe, a log): the last board is printed when watching stops."""
    import time

    from rich.live import Live

    try:
        with Live(console=out, auto_refresh=False, screen=out.is_terminal) as live:
            while True:
                live.update(screen(max(out.height - 1, 1))[1], refresh=True)
                time.sleep(every)
    except KeyboardInterrupt:
        from rich.text import Text

        out.print(Text("\n" + _("Stopped watching."), style="dim"))


def _rows(limit: int | None, as_json: bool) -> int | None:
    """Rows per list: as asked; else all of them in JSON, a screenful on screen."""
    from chidao.dashboard import SCREEN_ROWS

    return limit if limit or as_json else SCREEN_ROWS


def _dashboard_screen(
    settings, store, unit, options, sweep: bool, lang: str, width: int, height: int | None
):
    """The dashboard's data and its rendering, now (after a sweep with ``--sweep``): a
    school's view with ``unit``, else the office's; with ``height`` (a watched screen) the
    office's lists are cut to fit it."""
    from chidao import dashboard

    now = settings.moment()
    warnings: list[str] = []
    if sweep:
        now = settings.write_moment(store)
        warnings = sweeper.sweep(store, now).warnings
    if unit:
        data = dashboard.build_unit(store, unit, now)
        data["notes"] = list(dict.fromkeys(warnings + data["notes"]))
        return data, dashboard.render_unit(data, lang, width)
    data = dashboard.build(store, now, options)
    data["notes"] = list(dict.fromkeys(warnings + data["notes"]))
    if height is not None:
        from chidao import watch as fitted

        return data, fitted.fit(data, lang, width, height)
    return data, dashboard.render(data, lang, width)


@command(cli, "report")
@click.argument("ref", metavar="DIRECTIVE", shell_complete=complete.directives)
@option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="xlsx",
    show_default=True,
    help="What to write.",
)
@option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write (default: stdout for json/csv/md, bao-cao-CODE.xlsx|docx).",
)
@option(
    "--csv-delimiter",
    type=click.Choice([",", ";", "tab"]),
    default=",",
    show_default=True,
    help="The CSV separator: ';' for Excel set to Vietnamese, 'tab' for TSV.",
)
def report_command(ref: str, fmt: str, output: str | None, csv_delimiter: str) -> None:
    """What the office sends upward about a directive (DIRECTIVE: its code or id): one row
    per recipient unit, and a summary by level and by completion category.

    Example:

        chidao report 746/SGDDĐT-GDCN --format xlsx -o bao-cao-746.xlsx
    """
    settings = run_settings()
    data = report.build(settings.store(), ref, settings.moment())
    delimiter = "\t" if csv_delimiter == "tab" else csv_delimiter
    if output in (None, "-") and fmt in ("json", "csv", "md"):
        click.echo(report.render(data, fmt, delimiter).decode("utf-8-sig"), nl=False)
        return
    if output == "-":
        raise InputError(f"--format {fmt} is a binary file: give -o FILE")
    path = Path(output or report.default_name(data, fmt))
    if not path.parent.resolve().is_dir():
        raise InputError(f"-o: folder {path.parent} does not exist")
    report.write(data, fmt, path, delimiter)
    click.echo(
        _("Wrote {path} ({rows} rows; {overdue} overdue)").format(
            path=path, rows=len(data["rows"]), overdue=data["summary"]["open_overdue"]
        )
    )


@command(cli, "demo")
@option("--seed", default=2024, show_default=True, help="Random seed of the simulation.")
@option("--keep", type=click.Path(dir_okay=False), help="Keep the demo database here.")
@option(
    "--chain",
    is_flag=True,
    help="Tell the chain: the Sở's Công văn 746, the Phòng's answer, the schools.",
)
def demo_command(seed: int, keep: str | None, chain: bool) -> None:
    """Tell the whole story on a throwaway database: org, two directives, weeks of work.

    Example:

        chidao demo --chain
    """
    from chidao import demo

    demo.run(console(), seed=seed, keep=keep, chain=chain)
