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

from chidao import chains, clock, engine, extensions, notify, report, sweeper, views
from chidao.calendar import DAYS, WORKING_DAYS, Duration, WorkCalendar
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
@click.option("--until", metavar="DATE",
              help="Last day of recurring reports (default: the directive's, else 31/05).")
@click.option("--parent", metavar="TASK_ID",
              help="The upstream task this directive answers (else found from its references).")
@json_option
def directive_issue(file: str, workflow: str, office: str | None, again: bool, yes: bool,
                    until: str | None, parent: str | None, as_json: bool) -> None:
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
                              progress=advance,
                              until=clock.parse_moment(until, "--until").date() if until else None,
                              parent=_task_id(parent) if parent else None)
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
    if issued.parent_task:
        how = "as --parent said" if issued.linked_by == "--parent" else "cited in its references"
        click.echo(f"Linked as the answer of {issued.office} to its task {issued.parent_task} "
                   f"in {issued.parent} ({how})")


@command(directive_group, "extend")
@click.argument("ref", metavar="CODE|ID")
@click.option("--to", "to", required=True, metavar="DATE", help="New due: dd/mm/yyyy [HH:MM].")
@click.option("--note", default="", help="Why (kept with every event).")
def directive_extend(ref: str, to: str, note: str) -> None:
    """Give every open task of a directive the same later due (office only).

    Example:

        chidao directive extend 746/SGDĐT-GDCN --to 20/04/2024 --note "Theo CV của Sở" --as tung-nt
    """
    settings = _settings()
    label, changed = extensions.extend_directive(settings.store(), ref, _date_to(to), settings.who(),
                                             settings.moment(), note)
    click.echo(f"{label}: {changed} open task(s) now due {_date_to(to).format('DD/MM/YYYY HH:mm')}")


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


@group("units")
def units_group() -> None:
    """The schools list: import it from the spreadsheet the office keeps."""


cli.add_command(units_group)


@command(units_group, "import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--office", help="Whose units these are, when the database holds several offices.")
@click.option("--dry-run", is_flag=True, help="Only list what would change.")
def units_import_command(file: str, office: str | None, dry_run: bool) -> None:
    """Load or update units from FILE.xlsx or FILE.csv (columns: code, name, levels,
    principal, email, phone; Vietnamese headers such as "Mã đơn vị", "Cấp học" work too).

    Example:

        chidao units import danh-sach-truong.xlsx --dry-run
    """
    plan = engine.import_units(_settings().store(), file, office, dry_run)
    out = console()
    for unit in plan.new:
        out.print(f"+ {unit.code}: {unit.name} ({', '.join(unit.levels)})")
    for unit, diff in plan.changed:
        changes = "; ".join(f"{name}: {before or '—'} → {after or '—'}"
                            for name, (before, after) in diff.items())
        out.print(f"~ {unit.code}: {changes}")
    if plan.ignored_columns:
        out.print(f"(columns not read: {', '.join(plan.ignored_columns)})")
    out.print(f"{len(plan.new)} new, {len(plan.changed)} changed, {plan.unchanged} unchanged"
              + (" (dry run: nothing written)" if dry_run else ""))


# ------------------------------------------------------------------------------ chain


@group("chain")
def chain_group() -> None:
    """Directive chains: Sở → office → schools, and how each level stands."""


cli.add_command(chain_group)


@command(chain_group, "show")
@click.argument("ref", metavar="CODE|ID")
@json_option
def chain_show(ref: str, as_json: bool) -> None:
    """Draw the chain a directive belongs to, from the top, with each level's progress.

    Example:

        chidao chain show 746/SGDDĐT-GDCN
    """
    settings = _settings()
    tree = chains.chain(settings.store(), ref, settings.moment())
    if as_json:
        emit_json(tree)
        return
    console().print(views.chain_tree(tree))


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
    store = _settings().store()
    view, directive, allowed, events = engine.task_detail(store, _task_id(task_id))
    climbed = sweeper.task_escalations(store, view.id)
    below = chains.task_children(store, view.id)
    if as_json:
        emit_json({**view.to_json(), "allowed": allowed, "events": [e.to_json() for e in events],
                   "escalations": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                    for k, v in e.items()} for e in climbed],
                   "children": {"tasks": below[0], "reported": below[1]} if below else None})
        return
    console().print(views.task_panel(view, directive, allowed, climbed, below))


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


def _date_to(value: str, what: str = "--to"):
    """A deadline given as a date means the end of that day ("chậm nhất ngày …")."""
    moment = clock.parse_moment(value, what)
    if ":" not in value and "T" not in value:
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment


@command(task_group, "extend")
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--to", "to", required=True, metavar="DATE", help="New due: dd/mm/yyyy [HH:MM].")
@click.option("--note", default="", help="Why (kept with the event).")
def task_extend(task_ids: tuple[str, ...], to: str, note: str) -> None:
    """Give one or more tasks a later due (office only); overdue ones go back to work.

    Example:

        chidao task extend 17 18 --to 15/04/2024 --note "Trường vùng khó, mất điện" --as tung-nt
    """
    settings = _settings()
    changed = extensions.extend_tasks(settings.store(), [_task_id(t) for t in task_ids],
                                  _date_to(to), settings.who(), settings.moment(), note)
    click.echo(f"{changed} task(s) now due {_date_to(to).format('DD/MM/YYYY HH:mm')}")


@command(task_group, "request-extension")
@click.argument("task_id", metavar="ID")
@click.option("--to", "to", required=True, metavar="DATE", help="The due asked for.")
@click.option("--note", default="", help="The reason.")
def task_request_extension(task_id: str, to: str, note: str) -> None:
    """A school asks, before its due, for a later one (đề nghị gia hạn).

    Example:

        chidao task request-extension 17 --to 10/04/2024 --note "Chờ số liệu" --as mn-hoa-ban
    """
    settings = _settings()
    extensions.request_extension(settings.store(), _task_id(task_id), _date_to(to), settings.who(),
                             settings.moment(), note)
    click.echo(f"Task {task_id}: extension to {_date_to(to).format('DD/MM/YYYY')} requested")


@command(task_group, "grant")
@click.argument("task_id", metavar="ID")
@click.option("--to", "to", metavar="DATE", help="Grant another date than the one asked for.")
@click.option("--note", default="", help="Kept with the event.")
def task_grant(task_id: str, to: str | None, note: str) -> None:
    """Grant a waiting extension request (office only).

    Example:

        chidao task grant 17 --as tung-nt
    """
    settings = _settings()
    due = extensions.decide_extension(settings.store(), _task_id(task_id), True, settings.who(),
                                  settings.moment(), note, _date_to(to) if to else None)
    click.echo(f"Task {task_id}: extension granted, now due {due.format('DD/MM/YYYY HH:mm')}")


@command(task_group, "refuse")
@click.argument("task_id", metavar="ID")
@click.option("--note", default="", help="Why not (kept with the event).")
def task_refuse(task_id: str, note: str) -> None:
    """Refuse a waiting extension request (office only); the due stays.

    Example:

        chidao task refuse 17 --note "Đã quá nhiều lần gia hạn" --as tung-nt
    """
    settings = _settings()
    extensions.decide_extension(settings.store(), _task_id(task_id), False, settings.who(),
                            settings.moment(), note)
    click.echo(f"Task {task_id}: extension refused")


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
@click.option("--ahead", type=click.IntRange(min=0), metavar="DAYS",
              help="Create recurring periods due within DAYS (default: the template's ahead).")
@json_option
def sweep_command(ahead: int | None, as_json: bool) -> None:
    """Mark overdue what is late, climb the escalation ladders, queue notifications and
    create the coming periods of recurring reports (for cron or a systemd timer).

    Safe to run as often as you like: a second run at the same --now creates nothing.

    Example:

        chidao sweep --now "02/04/2024 07:00"
    """
    settings = _settings()
    swept = sweeper.sweep(settings.store(), settings.moment(),
                         ahead=Duration(ahead, DAYS) if ahead is not None else None)
    if as_json:
        emit_json(swept.to_json())
        return
    climbed = ", ".join(f"{n} {kind}" for kind, n in swept.escalations.items()) or "0"
    click.echo(
        f"{swept.overdue} task(s) marked overdue; escalations: {climbed}; "
        f"{swept.notifications} notification(s) queued; {swept.generated} recurring task(s) created"
    )


@command(cli, "escalations")
@click.option("--open", "open_only", is_flag=True, help="Only those not resolved yet.")
@click.option("--person", metavar="ID", help="Only those that reached this person.")
@click.option("--directive", metavar="CODE|ID", help="Only this directive.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (newest first).")
@json_option
def escalations_command(open_only: bool, person: str | None, directive: str | None,
                        limit: int | None, as_json: bool) -> None:
    """List escalations: which late task reached whom, at which rung and round.

    Example:

        chidao escalations --open --person tung-nt
    """
    rows = sweeper.escalation_listing(_settings().store(), open_only, person, directive, limit)
    if as_json:
        emit_json([views.escalation_json(r) for r in rows])
        return
    console().print(views.escalations_table(rows))


@command(cli, "notify")
@click.option("--channel", type=click.Choice(notify.CHANNELS), default="console",
              show_default=True, help="How to deliver queued notifications.")
@click.option("--smtp-host", envvar="CHIDAO_SMTP_HOST", help="SMTP server (env CHIDAO_SMTP_HOST).")
@click.option("--smtp-port", envvar="CHIDAO_SMTP_PORT", type=int, help="SMTP port (default 25).")
@click.option("--smtp-from", envvar="CHIDAO_SMTP_FROM", help="Sender address.")
@click.option("--smtp-user", envvar="CHIDAO_SMTP_USER", help="SMTP login.")
@click.option("--smtp-password", envvar="CHIDAO_SMTP_PASSWORD", help="SMTP password (prefer the env).")
@click.option("--starttls", is_flag=True, envvar="CHIDAO_SMTP_STARTTLS", help="Use STARTTLS.")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many.")
@json_option
def notify_command(channel: str, smtp_host: str | None, smtp_port: int | None,
                   smtp_from: str | None, smtp_user: str | None, smtp_password: str | None,
                   starttls: bool, limit: int | None, as_json: bool) -> None:
    """Deliver the queued notifications; failed ones stay queued and are retried next time.

    Example:

        chidao notify --channel smtp --smtp-host mail.pgd.edu.vn --smtp-from pgd@pgd.edu.vn
    """
    settings = _settings()
    if channel == "smtp":
        sender = notify.SmtpSender(notify.smtp_settings(
            smtp_host, smtp_port, smtp_from, smtp_user, smtp_password, starttls))
    else:
        sender = notify.console_sender(click.echo)
    try:
        done = sweeper.deliver(settings.store(), sender, channel, settings.moment(), limit)
    finally:
        if channel == "smtp":
            sender.close()
    if as_json:
        emit_json(done.__dict__)
    else:
        for line in done.errors:
            click.echo(f"Not sent: {line}", err=True)
        click.echo(f"{done.sent} notification(s) sent, {done.failed} left queued")
    if done.failed:
        sys.exit(2)


# ------------------------------------------------------------------------------ calendar


@group("calendar")
def calendar_group() -> None:
    """Working days: Vietnamese holidays, Tết, swapped days, the office's own overrides."""


cli.add_command(calendar_group)


def _calendar(office: str | None, org: str | None):
    """The calendar of --org FILE, of --office in the database, of its only office, or plain."""
    if org:
        return engine.calendar_of_org_file(org)
    settings = _settings()
    url = settings.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
    if office is None and Store.missing_file(url):
        return WorkCalendar()  # no database here: the package's holidays only
    return engine.database_calendar(settings.store(), office)


def _calendar_options(func: Callable) -> Callable:
    func = click.option("--office", help="Use this office's overrides from the database.")(func)
    return click.option("--org", "org", type=click.Path(dir_okay=False),
                        help="Use the calendar: overrides of this org file.")(func)


@command(calendar_group, "due")
@click.argument("start", metavar="FROM")
@click.argument("amount", metavar="N", type=click.IntRange(min=0))
@click.option("--calendar-days", is_flag=True, help="Count calendar days, not working days.")
@_calendar_options
@json_option
def calendar_due(start: str, amount: int, calendar_days: bool, office: str | None,
                 org: str | None, as_json: bool) -> None:
    """When a period of N working days (or calendar days) that starts at FROM ends.

    Counting starts the day after FROM and ends at 23:59:59 of the last day (Civil Code).

    Example:

        chidao calendar due 24/01/2025 5
    """
    calendar = _calendar(office, org)
    begin = clock.parse_moment(start, "FROM")
    period = Duration(amount, DAYS if calendar_days else WORKING_DAYS)
    due = calendar.due_after(begin, period)
    skipped = [(d, n) for d, n in calendar.days_off_between(begin.date(), due.date())]
    if as_json:
        emit_json({"from": begin.isoformat(), "period": str(period), "due": due.isoformat(),
                   "days_off": [{"date": d.isoformat(), "name": n} for d, n in skipped]})
        return
    click.echo(f"{clock.format_date(begin)} + {period} → hạn {views.weekday(due)} "
               f"{due.format('DD/MM/YYYY HH:mm:ss')}")
    for day, name in skipped:
        click.echo(f"  nghỉ {views.weekday(day)} {day:%d/%m/%Y}: {name}")


@command(calendar_group, "show")
@click.argument("year", type=click.IntRange(1990, 2100))
@_calendar_options
@json_option
def calendar_show(year: int, office: str | None, org: str | None, as_json: bool) -> None:
    """List the days off of YEAR besides weekends, and the weekend days worked instead.

    Example:

        chidao calendar show 2025
    """
    rows = _calendar(office, org).days_off_in(year)
    if as_json:
        emit_json([{"date": d.isoformat(), "weekday": views.weekday(d), "name": n}
                   for d, n in rows])
        return
    console().print(views.calendar_table(year, rows))


@command(cli, "dashboard")
@click.option("--directive", metavar="CODE|ID", help="Only this directive (and its level breakdown).")
@click.option("--level", help="Only units at this level (MN, TH, THCS …).")
@click.option("--unit", metavar="CODE", help="A principal's view: this school's open tasks.")
@click.option("--person", metavar="ID", help="What is on this person's desk.")
@click.option("--limit", type=click.IntRange(min=1), default=15, show_default=True,
              help="Rows per list.")
@click.option("--soon", type=click.IntRange(min=0), default=3, show_default=True,
              metavar="DAYS", help="'Due soon' means within this many working days.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the labels.")
@click.option("--watch", type=click.IntRange(min=1), is_flag=False, flag_value=30, default=None,
              metavar="[SECONDS]", help="Refresh every SECONDS (default 30) until Ctrl-C.")
@click.option("--no-sweep", is_flag=True, help="Do not run the sweep first.")
@click.option("--width", type=click.IntRange(min=40), help="Render for this many columns.")
@json_option
def dashboard_command(directive: str | None, level: str | None, unit: str | None,
                      person: str | None, limit: int, soon: int, lang: str, watch: int | None,
                      no_sweep: bool, width: int | None, as_json: bool) -> None:
    """Where every open directive stands: progress, who is late, whose desk it has reached.

    Runs the sweep first (unless --no-sweep), so what it shows is true as of --now.

    Example:

        chidao dashboard --now "10/04/2024 08:00" --level MN
    """
    from chidao import dashboard

    settings = _settings()
    url = settings.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
    out = Console(highlight=False, width=width) if width else console()
    if Store.missing_file(url) and not unit:
        if as_json:
            emit_json({"empty": True})
        else:
            out.print(dashboard.WORDS[lang]["empty"])
        return
    store = settings.store()
    options = dashboard.Options(directive=directive, level=level.upper() if level else None,
                                person=person, limit=limit, soon_days=soon)

    def screen():
        now = settings.moment()
        if not no_sweep:
            sweeper.sweep(store, now)
        if unit:
            data = dashboard.build_unit(store, unit, now)
            return data, dashboard.render_unit(data, lang, out.width)
        data = dashboard.build(store, now, options)
        return data, dashboard.render(data, lang, out.width)

    data, shown = screen()
    if as_json:
        emit_json(data)
        return
    if watch is None:
        out.print(shown)
        return
    import time

    from rich.live import Live

    try:
        with Live(shown, console=out, auto_refresh=False, screen=False) as live:
            while True:
                time.sleep(watch)
                live.update(screen()[1], refresh=True)
    except KeyboardInterrupt:
        out.print("\n[dim]Đã dừng theo dõi.[/dim]" if lang == "vi" else "\n[dim]Stopped.[/dim]")


@command(cli, "report")
@click.argument("ref", metavar="DIRECTIVE")
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="xlsx",
              show_default=True, help="What to write.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: stdout for json/csv/md, bao-cao-CODE.xlsx|docx).")
def report_command(ref: str, fmt: str, output: str | None) -> None:
    """What the office sends upward about a directive (DIRECTIVE: its code or id): one row
    per recipient unit, and a summary by level and by completion category.

    Example:

        chidao report 746/SGDDĐT-GDCN --format xlsx -o bao-cao-746.xlsx
    """
    settings = _settings()
    data = report.build(settings.store(), ref, settings.moment())
    if output in (None, "-") and fmt in ("json", "csv", "md"):
        click.echo(report.WRITERS[fmt](data).decode("utf-8-sig"), nl=False)
        return
    if output == "-":
        raise InputError(f"--format {fmt} is a binary file: give -o FILE")
    path = Path(output or report.default_name(data, fmt))
    if not path.parent.resolve().is_dir():
        raise InputError(f"-o: folder {path.parent} does not exist")
    report.write(data, fmt, path)
    click.echo(f"Wrote {path} ({len(data['rows'])} rows; {data['summary']['open_overdue']} "
               "overdue)")


@command(cli, "demo")
@click.option("--seed", default=2024, show_default=True, help="Random seed of the simulation.")
@click.option("--keep", type=click.Path(dir_okay=False), help="Keep the demo database here.")
@click.option("--chain", is_flag=True,
              help="Tell the chain: the Sở's Công văn 746, the Phòng's answer, the schools.")
def demo_command(seed: int, keep: str | None, chain: bool) -> None:
    """Tell the whole story on a throwaway database: org, two directives, weeks of work.

    Example:

        chidao demo --chain
    """
    from chidao import demo

    demo.run(console(), seed=seed, keep=keep, chain=chain)

