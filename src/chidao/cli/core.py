"""Commands over the core records: org, workflow, directive, task, units."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chidao import clock
from chidao.cli import complete
from chidao.cli.base import (
    BIG_FAN_OUT,
    MAX_ID,
    Command,
    cli,
    command,
    console,
    csv_option,
    emit_json,
    error_line,
    group,
    json_option,
    lazy,
    option,
    run_settings,
    show,
    task_id_arg,
)
from chidao.directive import directive_from_mapping, load_directive
from chidao.errors import InputError
from chidao.i18n import _, language
from chidao.model import LEVELS, Directive

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from chidao import chains, engine, extensions, lookup, sweeper, views
    from chidao.workflow import Template
else:
    chains, engine, extensions, lookup, sweeper, views = (
        lazy(f"chidao.{name}")
        for name in ("chains", "engine", "extensions", "lookup", "sweeper", "views")
    )

# ------------------------------------------------------------------------------ org


@group("org")
def org_group() -> None:
    """The issuing office, its people and its units (schools)."""


cli.add_command(org_group)


@command(org_group, "load")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def org_load(file: str, as_json: bool) -> None:
    """Load an org file; loading it again updates offices, people and units in place.

    Example:

        chidao org load examples/org-dien-bien.yaml --as tung-nt
    """
    from chidao.org import load_org

    settings = run_settings()
    who = settings.who()
    read = load_org(file)  # every problem of the file, before a database is made for it
    org, counts = engine.save_org(settings.store(create=True), read, file, who)
    if as_json:
        emit_json(
            {
                "offices": [o.code for o in org.offices],
                "people": len(org.people),
                "units": len(org.units),
                **{
                    k: counts[k]
                    for k in ("people_new", "people_updated", "units_new", "units_updated")
                },
            }
        )
        return
    names = ", ".join(o.name for o in org.offices)
    click.echo(
        _(
            "Loaded {offices}: {people} people ({people_new} new, {people_updated} updated), "
            "{units} units ({units_new} new, {units_updated} updated)"
        ).format(
            offices=names,
            people=len(org.people),
            units=len(org.units),
            people_new=counts["people_new"],
            people_updated=counts["people_updated"],
            units_new=counts["units_new"],
            units_updated=counts["units_updated"],
        )
    )


@command(org_group, "show")
@json_option
@csv_option
def org_show(as_json: bool, as_csv: bool) -> None:
    """List the loaded offices with their people and units.

    Example:

        chidao org show --json
    """
    store = run_settings().store()
    data = engine.org_listing(store)
    if as_json:
        emit_json(data)
        return
    show(views.org_table(data), as_csv)


# ------------------------------------------------------------------------------ workflow


@group("workflow")
def workflow_group() -> None:
    """Workflow templates (YAML): validate and inspect them."""


cli.add_command(workflow_group)


@command(workflow_group, "validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def workflow_validate(files: tuple[str, ...], as_json: bool) -> None:
    """Check workflow files; print every problem as file:line: message.

    Example:

        chidao workflow validate workflows/*.yaml
    """
    from chidao.workflow import validate_files

    problems = validate_files(files)
    if as_json:  # every problem as written (file:line: message), exit 1 when any
        emit_json({"files": list(files), "valid": not problems, "problems": problems})
        sys.exit(1 if problems else 0)
    for problem in problems:
        error_line(problem)
    if problems:
        sys.exit(1)
    click.echo(_("{n} workflow file(s) valid").format(n=len(files)))


def _templates() -> list[tuple[Template, Path]]:
    """The templates chidao finds ($CHIDAO_WORKFLOWS, ./workflows, shipped); unreadable ones
    are left to 'workflow validate'."""
    from chidao.resources import workflow_files
    from chidao.workflow import load_template

    found = []
    for path in workflow_files().values():
        try:
            found.append((load_template(path)[0], path))
        except InputError:
            continue
    return found


@command(workflow_group, "list")
@json_option
@csv_option
def workflow_list(as_json: bool, as_csv: bool) -> None:
    """List the workflow templates --workflow can name: their title, states and triggers.

    Example:

        chidao workflow list
    """
    found = _templates()
    if as_json:
        emit_json(
            [
                {
                    "name": t.name,
                    "title": t.title,
                    "file": str(path),
                    "states": [s.name for s in t.states],
                    "triggers": list(dict.fromkeys(x.trigger for x in t.transitions)),
                }
                for t, path in found
            ]
        )
        return
    show(views.workflows_table(found), as_csv)


class FireCommand(Command):
    """``task fire``: its help ends with the triggers of the templates chidao finds."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        rows = trigger_rows(_templates())
        if rows:
            with formatter.section(_("Triggers (chidao workflow show NAME for the states)")):
                formatter.write_dl(rows)


def trigger_rows(templates: list[tuple[Template, Path]]) -> list[tuple[str, str]]:
    """Each trigger a person may fire: its label and the workflows that have it."""
    found: dict[str, tuple[str, list[str]]] = {}
    lang = language()
    for template, _path in templates:
        for t in template.transitions:
            if set(t.by) <= {"system"}:
                continue
            label = template.trigger_label(t.trigger, lang) if t.label != t.trigger else ""
            label, names = found.setdefault(t.trigger, (label, []))
            if template.name not in names:
                names.append(template.name)
    return [
        (trigger, f"{label} ({', '.join(names)})" if label else ", ".join(names))
        for trigger, (label, names) in found.items()
    ]


@command(workflow_group, "show")
@click.argument("name", shell_complete=complete.workflows)
@json_option
@csv_option
def workflow_show(name: str, as_json: bool, as_csv: bool) -> None:
    """Show a template's states, transitions and escalation ladder.

    Example:

        chidao workflow show bao-cao
    """
    from chidao.workflow import find_template

    template, _ = find_template(name)
    if as_json:
        emit_json(template.to_json())
        return
    show(views.template_view(template), as_csv)


# ------------------------------------------------------------------------------ directive


@group("directive")
def directive_group() -> None:
    """Directives (công văn): issue them and follow them."""


cli.add_command(directive_group)


def _progress_bar(con: Console) -> tuple[Progress, Callable[[int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn(_("Issuing")), BarColumn(), MofNCompleteColumn(), console=con, transient=True
    )
    state: dict[str, TaskID] = {}

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
    """Read a công văn (.txt, .docx or .pdf, scans through OCR) and show what chidao understood.

    Example:

        chidao directive parse cong-van.docx --json
    """
    from chidao.parse import parse_file

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
    if suffix not in (".txt", ".docx", ".pdf"):
        raise InputError(f"{path}: expected .yaml, .yml, .json, .txt, .docx or .pdf")
    from chidao.parse import parse_file

    data = parse_file(path)
    if not data["subject"]:
        first = data["items"][0]["text"] if data["items"] else path.stem
        data["subject"] = first[:120]
    console().print(views.parsed_summary(data, str(path)))
    if not yes and not click.confirm(_("Issue tasks from this document?"), default=True, err=True):
        raise InputError("cancelled: nothing was issued")
    return directive_from_mapping(data, str(path))


@command(directive_group, "issue")
@click.argument("file", type=click.Path(dir_okay=False))
@option(
    "--workflow",
    "-w",
    required=True,
    shell_complete=complete.workflows,
    help="Template name or YAML file.",
)
@option("--office", help="Issuing office code, when the database holds several.")
@option("--again", is_flag=True, help="Issue even if the same directive was issued before.")
@option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@option(
    "--until",
    metavar="DATE",
    help="Last day of recurring reports (default: the directive's, else 31/05).",
)
@option(
    "--parent",
    metavar="TASK_ID",
    help="The upstream task this directive answers (else found from its references).",
)
@json_option
def directive_issue(
    file: str,
    workflow: str,
    office: str | None,
    again: bool,
    yes: bool,
    until: str | None,
    parent: str | None,
    as_json: bool,
) -> None:
    """Issue a directive: one task per recipient unit per deadline, in one transaction.

    FILE is a structured directive (.yaml, .yml, .json) or a dispatch text (.txt, .docx),
    which is parsed and shown first (--yes skips the question).

    Example:

        chidao directive issue examples/directives/ctxh-2024.yaml --workflow bao-cao
    """
    settings = run_settings()
    directive = _read_directive(Path(file), yes or as_json)
    store = settings.store()
    from rich.console import Console

    err = Console(stderr=True)
    bar, advance = _progress_bar(err)
    try:
        issued = engine.issue(
            store,
            directive,
            workflow,
            settings.write_moment(store),
            settings.who(),
            again=again,
            office=office,
            progress=advance,
            until=clock.parse_moment(until, "--until").date() if until else None,
            parent=task_id_arg(parent) if parent else None,
        )
    finally:
        if bar.live.is_started:
            bar.stop()
    if as_json:
        emit_json(issued.__dict__)
        return
    click.echo(
        _(
            "Issued {label} (id {id}) from {office} with workflow {template} v{version}: "
            "{tasks} tasks for {units} units × {deliverables} deliverable(s)"
        ).format(
            label=issued.label,
            id=issued.directive_id,
            office=issued.office,
            template=issued.template,
            version=issued.template_version,
            tasks=issued.tasks,
            units=issued.units,
            deliverables=issued.deliverables,
        )
    )
    if issued.parent_task:
        how = (
            _("as --parent said")
            if issued.linked_by == "--parent"
            else _("cited in its references")
        )
        click.echo(
            _("Linked as the answer of {office} to its task {task} in {parent} ({how})").format(
                office=issued.office, task=issued.parent_task, parent=issued.parent, how=how
            )
        )


@command(directive_group, "list")
@json_option
@csv_option
def directive_list(as_json: bool, as_csv: bool) -> None:
    """List directives with how many tasks are in each state.

    Example:

        chidao directive list
    """
    rows, templates = engine.directive_listing(run_settings().store())
    if as_json:
        emit_json(rows)
        return
    show(views.directives_table(rows, templates), as_csv)


@command(directive_group, "withdraw")
@click.argument("ref", metavar="CODE|ID", shell_complete=complete.directives)
@option("--note", default="", help="Why (kept with each task's event).")
@json_option
def directive_withdraw(ref: str, note: str, as_json: bool) -> None:
    """Withdraw a directive (thu hồi, office only): each of its tasks gets a "withdraw" event,
    its open escalations close, and the sweep and the dashboard pass it by from then on.

    Example:

        chidao directive withdraw 12/PGDĐT --note "Thay bằng CV 15/PGDĐT" --as tung-nt
    """
    from chidao import withdrawal

    settings = run_settings()
    store = settings.store()
    done = withdrawal.withdraw(store, ref, settings.who(), settings.write_moment(store), note)
    if as_json:
        emit_json({"directive_id": done.directive_id, "directive": done.label, "tasks": done.tasks})
        return
    click.echo(
        _("{directive}: withdrawn; {tasks} task(s) are no longer tracked").format(
            directive=done.label, tasks=done.tasks
        )
    )


@command(directive_group, "show")
@click.argument("ref", metavar="CODE|ID", shell_complete=complete.directives)
@json_option
def directive_show(ref: str, as_json: bool) -> None:
    """Show one directive: its document, deliverables and progress.

    Example:

        chidao directive show 746/SGDĐT-GDCN
    """
    detail = engine.directive_detail(run_settings().store(), ref)
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
@option("--office", help="Whose units these are, when the database holds several offices.")
@option("--dry-run", is_flag=True, help="Only list what would change.")
@json_option
def units_import_command(file: str, office: str | None, dry_run: bool, as_json: bool) -> None:
    """Load or update units from FILE.xlsx or FILE.csv (columns: code, name, levels,
    principal, email, phone; Vietnamese headers such as "Mã đơn vị", "Cấp học" work too).

    Example:

        chidao units import danh-sach-truong.xlsx --dry-run
    """
    settings = run_settings()
    plan = engine.import_units(settings.store(), file, office, dry_run, settings.who())
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "new": [_unit_json(u) for u in plan.new],
                "changed": [
                    {"code": u.code, "changes": {k: list(v) for k, v in diff.items()}}
                    for u, diff in plan.changed
                ],
                "unchanged": plan.unchanged,
                "ignored_columns": plan.ignored_columns,
            }
        )
        return
    from rich.text import Text  # names and codes are shown as written, never as markup

    out = console()
    for unit in plan.new:
        out.print(Text(f"+ {unit.code}: {unit.name} ({', '.join(unit.levels)})"))
    for unit, diff in plan.changed:
        changes = "; ".join(
            f"{name}: {before or '—'} → {after or '—'}" for name, (before, after) in diff.items()
        )
        out.print(Text(f"~ {unit.code}: {changes}"))
    if plan.ignored_columns:
        out.print(
            Text(_("(columns not read: {columns})").format(columns=", ".join(plan.ignored_columns)))
        )
    out.print(
        Text(
            _("{new} new, {changed} changed, {unchanged} unchanged").format(
                new=len(plan.new), changed=len(plan.changed), unchanged=plan.unchanged
            )
            + (_(" (dry run: nothing written)") if dry_run else "")
        )
    )


def _unit_json(unit) -> dict:
    """A unit as every JSON shows one (levels a list)."""
    return {
        "code": unit.code,
        "name": unit.name,
        "levels": list(unit.levels),
        "principal": unit.principal,
        "email": unit.email,
        "phone": unit.phone,
    }


# ------------------------------------------------------------------------------ task


@group("task")
def task_group() -> None:
    """Tasks: one per recipient unit per deliverable."""


cli.add_command(task_group)


@command(task_group, "list")
@option(
    "--directive",
    metavar="CODE|ID",
    shell_complete=complete.directives,
    help="Only this directive.",
)
@option("--unit", shell_complete=complete.units, help="Only this unit (its code or name).")
@option("--level", help="Only units at this level (MN, TH, THCS …).")
@option(
    "--state",
    shell_complete=complete.states,
    help="Only tasks in this state (its name or label: received, 'Đã nhận').",
)
@option("--limit", type=click.IntRange(1, MAX_ID), help="At most this many (default: all).")
@option(
    "--pending-extension",
    is_flag=True,
    help="Only tasks whose extension request awaits a decision.",
)
@json_option
@csv_option
def task_list(
    directive: str | None,
    unit: str | None,
    level: str | None,
    state: str | None,
    limit: int | None,
    pending_extension: bool,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List tasks, filtered by directive, unit, level and state.

    Example:

        chidao task list --state received --level MN
    """
    if level and level.upper() not in LEVELS:
        raise InputError(f"--level: unknown level {level!r} (expected one of: {', '.join(LEVELS)})")
    store = run_settings().store()
    found, total = engine.task_page(
        store,
        directive=directive,
        unit=lookup.unit(store, unit) if unit else None,
        level=level.upper() if level else None,
        state=lookup.state(store, state) if state else None,
        limit=limit,
        pending_extension=pending_extension,
    )
    if as_json:
        emit_json([v.to_json() for v in found])
        return
    show(views.tasks_table(found, total), as_csv)


@command(task_group, "show")
@click.argument("task_id", metavar="ID")
@json_option
def task_show(task_id: str, as_json: bool) -> None:
    """Show one task: where it stands and what may be done next.

    Example:

        chidao task show 17
    """
    store = run_settings().store()
    view, directive, allowed, events, template = engine.task_detail(store, task_id_arg(task_id))
    climbed = sweeper.task_escalations(store, view.id)
    below = chains.task_children(store, view.id)
    request = extensions.pending(store, view.id)
    if as_json:
        emit_json(
            {
                **view.to_json(),
                "allowed": allowed,
                "events": [e.to_json() for e in events],
                "escalations": [
                    {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in e.items()}
                    for e in climbed
                ],
                "children": {"tasks": below[0], "reported": below[1]} if below else None,
                "pending_extension": {
                    "to": request["requested_to"].isoformat(),
                    "by": request["requested_by"],
                    "at": request["requested_at"].isoformat(),
                    "note": request["note"],
                }
                if request
                else None,
            }
        )
        return
    console().print(
        views.task_panel(view, directive, allowed, climbed, below, request, template=template)
    )


@command(task_group, "fire", cls=FireCommand)
@click.argument("trigger", shell_complete=complete.triggers)
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@option("--note", default="", help="A note kept with the event.")
@json_option
def task_fire(trigger: str, task_ids: tuple[str, ...], note: str, as_json: bool) -> None:
    """Fire TRIGGER on one or more tasks: all of them change, or none does.

    Example:

        chidao task fire start 17 --as mn-hoa-ban --note "Đã xây dựng kế hoạch"
    """
    settings = run_settings()
    store = settings.store()
    ids = [task_id_arg(t) for t in task_ids]
    fired = engine.fire(
        store,
        lookup.trigger(store, ids, trigger),
        ids,
        settings.who(),
        settings.write_moment(store),
        note=note,
    )
    if as_json:
        emit_json(
            [
                {
                    "id": f.task_id,
                    "from_state": f.from_state,
                    "to_state": f.to_state,
                    "state_label": f.label,
                }
                for f in fired
            ]
        )
        return
    for f in fired:
        click.echo(
            _("Task {task}: {from_state} → {to_state}").format(
                task=f.task_id, from_state=f.from_state, to_state=f.to_state, label=f.label
            )
        )


@command(task_group, "history")
@click.argument("task_id", metavar="ID")
@json_option
@csv_option
def task_history(task_id: str, as_json: bool, as_csv: bool) -> None:
    """Every change of a task, oldest first (events are never edited).

    Example:

        chidao task history 17
    """
    view, _directive, _allowed, events, template = engine.task_detail(
        run_settings().store(), task_id_arg(task_id)
    )
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    show(views.history_table(view.id, events, view, template), as_csv)
