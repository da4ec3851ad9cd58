"""The ``chidao`` command line: click groups over the engine.

The only place that turns a ``ChidaoError`` into ``Error: …`` on stderr and exit 1.
``--db``, ``--now`` and ``--as`` are accepted before the command and after it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from chidao import clock, engine, views
from chidao.directive import directive_from_mapping, load_directive
from chidao.errors import ChidaoError, InputError
from chidao.model import LEVELS, Directive
from chidao.parse import parse_file
from chidao.store import Store
from chidao.store.database import DEFAULT_URL
from chidao.workflow import validate_files

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
BIG_FAN_OUT = 2_000


@dataclass
class Settings:
    db: str | None = None
    now: str | None = None
    actor: str | None = None

    def store(self) -> Store:
        return Store.open(self.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL)

    def moment(self):
        return clock.now(self.now)

    def who(self, default: str | None = None) -> str:
        actor = self.actor or os.environ.get("CHIDAO_USER") or default
        if not actor:
            raise InputError("who is acting? give --as ID (a person id or unit code) or CHIDAO_USER")
        return actor


def _settings() -> Settings:
    return click.get_current_context().find_root().ensure_object(Settings)


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None:
            if name == "now" and ctx.parent is not None:
                clock.parse_moment(value)  # refuse a malformed --now even where unused
            setattr(ctx.find_root().ensure_object(Settings), name, value)
        return value
    return callback


def global_options(func: Callable) -> Callable:
    """--db, --now, --as: valid on the group and on every command."""
    func = click.option("--as", "actor", metavar="ID", expose_value=False,
                        callback=_remember("actor"),
                        help="Who acts: a person id or unit code (env CHIDAO_USER).")(func)
    func = click.option("--now", metavar="WHEN", expose_value=False, callback=_remember("now"),
                        help="Simulated now: ISO or dd/mm/yyyy [HH:MM] (env CHIDAO_NOW).")(func)
    func = click.option("--db", metavar="URL", expose_value=False, callback=_remember("db"),
                        help=f"Database URL or SQLite file (env CHIDAO_DB; default {DEFAULT_URL}).")(func)
    return func


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


class ChidaoGroup(click.Group):
    """A group whose commands report ChidaoError as one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChidaoError as exc:
            for line in getattr(exc, "problems", None) or [exc.message]:
                click.echo(f"Error: {line}", err=True)
            ctx.exit(1)


def group(name: str | None = None, **kwargs: Any) -> Callable:
    return click.group(name, cls=ChidaoGroup, context_settings=CONTEXT, **kwargs)


@group()
@global_options
@click.version_option(package_name="chidao", message="chidao %(version)s")
def cli() -> None:
    """chidao: follow a directive (công văn) until every recipient has reported.

    Example:

        chidao org load examples/org-dien-bien.yaml
        chidao directive issue examples/directives/ctxh-2024.yaml --workflow bao-cao
        chidao task list --state received --level MN
    """
    settings = _settings()
    if settings.now:
        clock.parse_moment(settings.now)


def command(parent: click.Group, name: str, **kwargs: Any) -> Callable:
    def wrap(func: Callable) -> Callable:
        return parent.command(name, context_settings=CONTEXT, **kwargs)(global_options(func))
    return wrap


# ------------------------------------------------------------------------------ org


@group("org")
def org_group() -> None:
    """The issuing office, its people and its units (schools)."""


cli.add_command(org_group)


@command(org_group, "load")
@click.argument("file", type=click.Path(dir_okay=False))
def org_load(file: str) -> None:
    """Load an org file; loading it again updates offices, people and units in place.

    Example:

        chidao org load examples/org-dien-bien.yaml
    """
    store = _settings().store()
    org, counts = engine.load_org_file(store, file)
    names = ", ".join(o.name for o in org.offices)
    click.echo(
        f"Loaded {names}: {len(org.people)} people "
        f"({counts['people_new']} new, {counts['people_updated']} updated), {len(org.units)} units "
        f"({counts['units_new']} new, {counts['units_updated']} updated)"
    )


@command(org_group, "show")
@json_option
def org_show(as_json: bool) -> None:
    """List the loaded offices with their people and units.

    Example:

        chidao org show --json
    """
    store = _settings().store()
    data = engine.org_listing(store)
    if as_json:
        emit_json(data)
        return
    console().print(views.org_table(data))


# ------------------------------------------------------------------------------ workflow


@group("workflow")
def workflow_group() -> None:
    """Workflow templates (YAML): validate and inspect them."""


cli.add_command(workflow_group)


@command(workflow_group, "validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def workflow_validate(files: tuple[str, ...]) -> None:
    """Check workflow files; print every problem as file:line: message.

    Example:

        chidao workflow validate workflows/*.yaml
    """
    problems = validate_files(files)
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{len(files)} workflow file(s) valid")


@command(workflow_group, "show")
@click.argument("name")
@json_option
def workflow_show(name: str, as_json: bool) -> None:
    """Show a template's states, transitions and escalation ladder.

    Example:

        chidao workflow show bao-cao
    """
    template, _ = engine.find_template(name)
    if as_json:
        emit_json(template.to_json())
        return
    console().print(views.template_view(template))


# ------------------------------------------------------------------------------ directive


@group("directive")
def directive_group() -> None:
    """Directives (công văn): issue them and follow them."""


cli.add_command(directive_group)


def _progress_bar(con: Console) -> tuple[Progress, Callable[[int, int], None]]:
    bar = Progress(TextColumn("Giao việc"), BarColumn(), MofNCompleteColumn(),
                   console=con, transient=True)
    state: dict[str, int] = {}

    def advance(done: int, total: int) -> None:
        if total < BIG_FAN_OUT:
            return
        if "task" not in state:
            bar.start()
            state["task"] = bar.add_task("fan-out", total=total)
        bar.update(state["task"], completed=done)
    return bar, advance


@command(directive_group, "parse")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def directive_parse(file: str, as_json: bool) -> None:
    """Read a công văn (.txt or .docx) and show what chidao understood.

    Example:

        chidao directive parse cong-van.docx --json
    """
    data = parse_file(file)
    if as_json:
        emit_json(data)
        return
    console().print(views.parsed_summary(data, file))


def _read_directive(path: Path, yes: bool) -> Directive:
    """A structured file as it is; a dispatch text parsed, shown, and confirmed."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        return load_directive(path)
    if suffix not in (".txt", ".docx"):
        raise InputError(f"{path}: expected .yaml, .yml, .json, .txt or .docx")
    data = parse_file(path)
    if not data["subject"]:
        first = data["items"][0]["text"] if data["items"] else path.stem
        data["subject"] = first[:120]
    console().print(views.parsed_summary(data, str(path)))
    if not yes and not click.confirm("Giao việc theo văn bản này?", default=True, err=True):
        raise InputError("cancelled: nothing was issued")
    return directive_from_mapping(data, str(path))


@command(directive_group, "issue")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--workflow", "-w", required=True, help="Template name or YAML file.")
@click.option("--office", help="Issuing office code, when the database holds several.")
@click.option("--again", is_flag=True, help="Issue even if the same directive was issued before.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def directive_issue(file: str, workflow: str, office: str | None, again: bool, yes: bool,
                    as_json: bool) -> None:
    """Issue a directive: one task per recipient unit per deadline, in one transaction.

    FILE is a structured directive (.yaml, .yml, .json) or a dispatch text (.txt, .docx),
    which is parsed and shown first (--yes skips the question).

    Example:

        chidao directive issue examples/directives/ctxh-2024.yaml --workflow bao-cao
    """
    settings = _settings()
    directive = _read_directive(Path(file), yes or as_json)
    store = settings.store()
    err = Console(stderr=True)
    bar, advance = _progress_bar(err)
    try:
        issued = engine.issue(store, directive, workflow, settings.moment(),
                              settings.who("office"), again=again, office=office,
                              progress=advance)
    finally:
        if bar.live.is_started:
            bar.stop()
    if as_json:
        emit_json(issued.__dict__)
        return
    click.echo(
        f"Issued {issued.label} (id {issued.directive_id}) from {issued.office} with workflow "
        f"{issued.template} v{issued.template_version}: {issued.tasks} tasks for "
        f"{issued.units} units × {issued.deliverables} deliverable(s)"
    )


@command(directive_group, "list")
@json_option
def directive_list(as_json: bool) -> None:
    """List directives with how many tasks are in each state.

    Example:

        chidao directive list
    """
    rows, templates = engine.directive_listing(_settings().store())
    if as_json:
        emit_json(rows)
        return
    console().print(views.directives_table(rows, templates))


@command(directive_group, "show")
@click.argument("ref", metavar="CODE|ID")
@json_option
def directive_show(ref: str, as_json: bool) -> None:
    """Show one directive: its document, deliverables and progress.

    Example:

        chidao directive show 746/SGDĐT-GDCN
    """
    detail = engine.directive_detail(_settings().store(), ref)
    if as_json:
        emit_json(detail)
        return
    console().print(views.directive_panel(detail))


# ------------------------------------------------------------------------------ task


@group("task")
def task_group() -> None:
    """Tasks: one per recipient unit per deliverable."""


cli.add_command(task_group)


@command(task_group, "list")
@click.option("--directive", "directive", metavar="CODE|ID", help="Only this directive.")
@click.option("--unit", help="Only this unit (code).")
@click.option("--level", help="Only units at this level (MN, TH, THCS …).")
@click.option("--state", help="Only tasks in this state.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
def task_list(directive: str | None, unit: str | None, level: str | None, state: str | None,
              limit: int | None, as_json: bool) -> None:
    """List tasks, filtered by directive, unit, level and state.

    Example:

        chidao task list --state received --level MN
    """
    if level and level.upper() not in LEVELS:
        raise InputError(f"--level: unknown level {level!r} (expected one of: {', '.join(LEVELS)})")
    found = engine.task_views(_settings().store(), directive=directive, unit=unit,
                              level=level.upper() if level else None, state=state, limit=limit)
    if as_json:
        emit_json([v.to_json() for v in found])
        return
    console().print(views.tasks_table(found))


def _task_id(value: str) -> int:
    if not value.lstrip("#").isdigit():
        raise InputError(f"task id must be a number, not {value!r}")
    return int(value.lstrip("#"))


@command(task_group, "show")
@click.argument("task_id", metavar="ID")
@json_option
def task_show(task_id: str, as_json: bool) -> None:
    """Show one task: where it stands and what may be done next.

    Example:

        chidao task show 17
    """
    view, directive, allowed, events = engine.task_detail(_settings().store(), _task_id(task_id))
    if as_json:
        emit_json({**view.to_json(), "allowed": allowed, "events": [e.to_json() for e in events]})
        return
    console().print(views.task_panel(view, directive, allowed))


@command(task_group, "fire")
@click.argument("trigger")
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--note", default="", help="A note kept with the event.")
@json_option
def task_fire(trigger: str, task_ids: tuple[str, ...], note: str, as_json: bool) -> None:
    """Fire TRIGGER on one or more tasks: all of them change, or none does.

    Example:

        chidao task fire start 17 --as mn-hoa-ban --note "Đã xây dựng kế hoạch"
    """
    settings = _settings()
    fired = engine.fire(settings.store(), trigger, [_task_id(t) for t in task_ids],
                        settings.who(), settings.moment(), note=note)
    if as_json:
        emit_json([f.__dict__ for f in fired])
        return
    for f in fired:
        click.echo(f"Task {f.task_id}: {f.from_state} → {f.to_state} ({f.label})")


@command(task_group, "history")
@click.argument("task_id", metavar="ID")
@json_option
def task_history(task_id: str, as_json: bool) -> None:
    """Every change of a task, oldest first (events are never edited).

    Example:

        chidao task history 17
    """
    view, _directive, _allowed, events = engine.task_detail(_settings().store(), _task_id(task_id))
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    console().print(views.history_table(view.id, events, view))


# ------------------------------------------------------------------------------ sweep, demo


@command(cli, "sweep")
@json_option
def sweep_command(as_json: bool) -> None:
    """Mark overdue every task past its due and not reported (for cron / systemd timers).

    Example:

        chidao sweep --now "02/04/2024 07:00"
    """
    settings = _settings()
    moved = engine.sweep(settings.store(), settings.moment())
    if as_json:
        emit_json({"overdue": moved})
        return
    click.echo(f"{moved} task(s) marked overdue")


@command(cli, "demo")
@click.option("--seed", default=2024, show_default=True, help="Random seed of the simulation.")
@click.option("--keep", type=click.Path(dir_okay=False), help="Keep the demo database here.")
def demo_command(seed: int, keep: str | None) -> None:
    """Tell the whole story on a throwaway database: org, two directives, weeks of work.

    Example:

        chidao demo
    """
    from chidao import demo

    demo.run(console(), seed=seed, keep=keep)

