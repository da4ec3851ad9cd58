"""Commands about time: the sweep, escalations, notifications, the calendar, extensions."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from chidao import clock, i18n
from chidao.calendar import DAYS, MAX_DAYS, WORKING_DAYS, Duration, WorkCalendar
from chidao.cli import complete
from chidao.cli.base import (
    DEFAULT_URL,
    MAX_ID,
    cli,
    command,
    csv_option,
    due_arg,
    emit_json,
    group,
    json_option,
    lazy,
    missing_database_file,
    option,
    run_settings,
    show,
    task_id_arg,
    warning_line,
)
from chidao.cli.core import directive_group, task_group
from chidao.errors import ChidaoError
from chidao.i18n import _, language

if TYPE_CHECKING:
    from chidao import engine, extensions, lookup, notify, occurrences, sweeper, views
else:
    engine, extensions, lookup, notify, occurrences, sweeper, views = (
        lazy(f"chidao.{name}")
        for name in ("engine", "extensions", "lookup", "notify", "occurrences", "sweeper", "views")
    )

# notify.CHANNELS, repeated so that loading the commands imports no SMTP and SSL modules
# (tests/test_startup.py checks that they agree)
CHANNELS = ("console", "smtp")

# ------------------------------------------------------------------------------ sweep


@command(cli, "sweep")
@option(
    "--ahead",
    type=click.IntRange(0, MAX_DAYS),
    metavar="DAYS",
    help="Create recurring periods due within DAYS (default: the template's ahead).",
)
@json_option
def sweep_command(ahead: int | None, as_json: bool) -> None:
    """Mark overdue what is late, climb the escalation ladders, queue notifications and
    create the coming periods of recurring reports (for cron or a systemd timer).

    Safe to run as often as you like: a second run at the same --now creates nothing.

    Example:

        chidao sweep --now "02/04/2024 07:00"
    """
    settings = run_settings()
    store = settings.store()
    swept = sweeper.sweep(
        store,
        settings.write_moment(store),
        ahead=Duration(ahead, DAYS) if ahead is not None else None,
    )
    for line in swept.warnings:  # a directive that cannot be read; the others went on
        warning_line(line)
    if as_json:
        emit_json(swept.to_json())
        return
    english = language() == "en"
    climbed = (
        ", ".join(
            f"{n} {swept.kinds_en.get(kind, kind) if english else kind}"
            for kind, n in swept.escalations.items()
        )
        or "0"
    )
    click.echo(
        _(
            "{overdue} task(s) marked overdue; escalations: {escalations}; "
            "{notifications} notification(s) queued; {generated} recurring task(s) created"
        ).format(
            overdue=swept.overdue,
            escalations=climbed,
            notifications=swept.notifications,
            generated=swept.generated,
        )
    )


@command(cli, "escalations")
@option("--open", "open_only", is_flag=True, help="Only those not resolved yet.")
@option(
    "--person",
    metavar="ID",
    shell_complete=complete.people,
    help="Only those that reached this person (id or name).",
)
@option(
    "--directive",
    metavar="CODE|ID",
    shell_complete=complete.directives,
    help="Only this directive.",
)
@option("--limit", type=click.IntRange(1, MAX_ID), help="At most this many (newest first).")
@json_option
@csv_option
def escalations_command(
    open_only: bool,
    person: str | None,
    directive: str | None,
    limit: int | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List escalations: which late task reached whom, at which rung and round.

    Example:

        chidao escalations --open --person tung-nt
    """
    store = run_settings().store()
    person = lookup.person(store, person) if person else None
    rows = sweeper.escalation_listing(store, open_only, person, directive, limit)
    if as_json:
        emit_json([views.escalation_json(r) for r in rows])
        return
    if not rows and not as_csv:
        click.echo(_("No escalations."))
        return
    show(views.escalations_table(rows), as_csv)


@command(cli, "notify")
@option(
    "--channel",
    type=click.Choice(CHANNELS),
    default="console",
    show_default=True,
    help="How to deliver queued notifications.",
)
@option("--smtp-host", envvar="CHIDAO_SMTP_HOST", help="SMTP server (env CHIDAO_SMTP_HOST).")
@option(
    "--smtp-port",
    envvar="CHIDAO_SMTP_PORT",
    type=click.IntRange(1, 65535),
    help="SMTP port (default 25).",
)
@option("--smtp-from", envvar="CHIDAO_SMTP_FROM", help="Sender address.")
@option("--smtp-user", envvar="CHIDAO_SMTP_USER", help="SMTP login.")
@option("--smtp-password", envvar="CHIDAO_SMTP_PASSWORD", help="SMTP password (prefer the env).")
@option("--starttls", is_flag=True, envvar="CHIDAO_SMTP_STARTTLS", help="Use STARTTLS.")
@option("--limit", type=click.IntRange(1, MAX_ID), help="Send at most this many.")
@json_option
@option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
def notify_command(
    channel: str,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_from: str | None,
    smtp_user: str | None,
    smtp_password: str | None,
    starttls: bool,
    limit: int | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Deliver the queued notifications; failed ones stay queued and are retried next time.

    With --dry-run, show what would be sent (recipient, address, subject, body) and send
    nothing: the outbox is left as it is.

    Example:

        chidao notify --channel smtp --smtp-host mail.pgd.edu.vn --smtp-from pgd@pgd.edu.vn
        chidao notify --dry-run
    """
    settings = run_settings()
    if dry_run:
        _dry_run(settings.store(), limit, as_json)
        return
    printed: list[dict] = []  # --json: the messages the console channel shows, in the JSON
    sender: Callable[[dict[str, Any]], None]
    if channel == "smtp":
        sender = notify.SmtpSender(
            notify.smtp_settings(
                smtp_host, smtp_port, smtp_from, smtp_user, smtp_password, starttls
            )
        )
    elif as_json:
        sender = lambda m: printed.append({k: v for k, v in m.items() if k in notify.SHOWN})  # noqa: E731
    else:
        sender = notify.console_sender(click.echo)
    try:
        store = settings.store()
        done = sweeper.deliver(store, sender, channel, settings.write_moment(store), limit)
    finally:
        if channel == "smtp":
            sender.close()  # type: ignore[attr-defined]  # the SmtpSender made above
    if as_json:
        emit_json({**done.__dict__, **({"messages": printed} if channel == "console" else {})})
    else:
        for line in done.errors:
            click.echo(_("Not sent: {message}").format(message=i18n.message(line)), err=True)
        click.echo(
            _("{sent} notification(s) sent, {failed} left queued").format(
                sent=done.sent, failed=done.failed
            )
        )
    if done.failed:
        sys.exit(2)


def _dry_run(store, limit: int | None, as_json: bool) -> None:
    """What notify would send, sending nothing."""
    waiting = sweeper.outbox(store, limit)
    if as_json:
        emit_json([{k: v for k, v in m.items() if k in notify.SHOWN} for m in waiting])
        return
    for message in waiting:
        notify.console_sender(click.echo)(message)
    click.echo(_("{n} notification(s) would be sent; nothing was sent").format(n=len(waiting)))
    total = sweeper.outbox_size(store) if limit else len(waiting)
    if total > len(waiting):
        click.echo(_(views.MORE["notifications"]).format(n=total - len(waiting), total=total))


# ------------------------------------------------------------------------------ calendar


@group("calendar")
def calendar_group() -> None:
    """Working days: Vietnamese holidays, Tết, swapped days, the office's own overrides."""


cli.add_command(calendar_group)


def _calendar(office: str | None, org: str | None):
    """The calendar of --org FILE, of --office in the database, of its only office, or plain."""
    if org:
        return engine.calendar_of_org_file(org)
    settings = run_settings()
    url = settings.db or os.environ.get("CHIDAO_DB") or DEFAULT_URL
    if office is None and missing_database_file(url):
        return WorkCalendar()  # no database here: the package's holidays only
    return engine.database_calendar(settings.store(), office)


def _calendar_options(func: Callable) -> Callable:
    func = option("--office", help="Use this office's overrides from the database.")(func)
    return option(
        "--org",
        "org",
        type=click.Path(dir_okay=False),
        help="Use the calendar: overrides of this org file.",
    )(func)


@command(calendar_group, "due")
@click.argument("start", metavar="FROM")
@click.argument("amount", metavar="N", type=click.IntRange(0, MAX_DAYS))
@option("--calendar-days", is_flag=True, help="Count calendar days, not working days.")
@_calendar_options
@json_option
def calendar_due(
    start: str, amount: int, calendar_days: bool, office: str | None, org: str | None, as_json: bool
) -> None:
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
        emit_json(
            {
                "from": begin.isoformat(),
                "period": str(period),
                "due": due.isoformat(),
                "days_off": [{"date": d.isoformat(), "name": n} for d, n in skipped],
            }
        )
        return
    click.echo(
        _("{start} + {period} → due {weekday} {due}").format(
            start=clock.format_date(begin),
            period=views.duration_words(period),
            weekday=views.weekday(due),
            due=due.format("DD/MM/YYYY HH:mm:ss"),
        )
    )
    for day, name in skipped:
        line = _("  off {weekday} {date}").format(
            weekday=views.weekday(day), date=f"{day:%d/%m/%Y}"
        )
        if name not in (views.weekday(day, "vi"), views.weekday(day, "en")):  # a holiday
            line += f": {name}"
        click.echo(line)


@command(calendar_group, "show")
@click.argument("year", type=click.IntRange(1990, 2100))
@_calendar_options
@json_option
@csv_option
def calendar_show(
    year: int, office: str | None, org: str | None, as_json: bool, as_csv: bool
) -> None:
    """List the days off of YEAR besides weekends, and the weekend days worked instead.

    Example:

        chidao calendar show 2025
    """
    rows = _calendar(office, org).days_off_in(year)
    if as_json:
        emit_json(
            [{"date": d.isoformat(), "weekday": views.weekday(d), "name": n} for d, n in rows]
        )
        return
    show(views.calendar_table(year, rows), as_csv)


# ------------------------------------------------------------------------------ extensions


@command(directive_group, "extend")
@click.argument("ref", metavar="CODE|ID", shell_complete=complete.directives)
@option("--to", "to", required=True, metavar="DATE", help="New due: dd/mm/yyyy [HH:MM].")
@option("--note", default="", help="Why (kept with every event).")
@json_option
def directive_extend(ref: str, to: str, note: str, as_json: bool) -> None:
    """Give every open task of a directive the same later due (office only).

    Example:

        chidao directive extend 746/SGDĐT-GDCN --to 20/04/2024 --note "Theo CV của Sở" --as tung-nt
    """
    settings = run_settings()
    due = due_arg(to)
    store = settings.store()
    label, changed, skipped = extensions.extend_directive(
        store, ref, due, settings.who(), settings.write_moment(store), note
    )
    if as_json:
        emit_json(
            {"directive": label, "due": due.isoformat(), "changed": changed, "skipped": skipped}
        )
        return
    click.echo(
        _("{directive}: {changed} open task(s) now due {due}").format(
            directive=label, changed=changed, due=due.format("DD/MM/YYYY HH:mm")
        )
        + (
            _("; {skipped} already due later (or then) were left as they are").format(
                skipped=skipped
            )
            if skipped
            else ""
        )
    )


@command(task_group, "extend")
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@option("--to", "to", required=True, metavar="DATE", help="New due: dd/mm/yyyy [HH:MM].")
@option("--note", default="", help="Why (kept with the event).")
@json_option
def task_extend(task_ids: tuple[str, ...], to: str, note: str, as_json: bool) -> None:
    """Give one or more tasks a later due (office only); overdue ones go back to work.

    Example:

        chidao task extend 17 18 --to 15/04/2024 --note "Trường vùng khó, mất điện" --as tung-nt
    """
    settings = run_settings()
    store = settings.store()
    ids = [task_id_arg(t) for t in task_ids]
    changed = extensions.extend_tasks(
        store, ids, due_arg(to), settings.who(), settings.write_moment(store), note
    )
    if as_json:
        emit_json({"task_ids": ids, "due": due_arg(to).isoformat(), "changed": changed})
        return
    click.echo(
        _("{changed} task(s) now due {due}").format(
            changed=changed, due=due_arg(to).format("DD/MM/YYYY HH:mm")
        )
    )


@command(task_group, "request-extension")
@click.argument("task_id", metavar="ID")
@option("--to", "to", required=True, metavar="DATE", help="The due asked for.")
@option("--note", default="", help="The reason.")
@json_option
def task_request_extension(task_id: str, to: str, note: str, as_json: bool) -> None:
    """A school asks, before its due, for a later one (đề nghị gia hạn).

    Example:

        chidao task request-extension 17 --to 10/04/2024 --note "Chờ số liệu" --as mn-hoa-ban
    """
    settings = run_settings()
    store = settings.store()
    extensions.request_extension(
        store, task_id_arg(task_id), due_arg(to), settings.who(), settings.write_moment(store), note
    )
    if as_json:
        emit_json(
            {
                "task_id": task_id_arg(task_id),
                "status": "pending",
                "requested_to": due_arg(to).isoformat(),
            }
        )
        return
    click.echo(
        _("Task {task}: extension to {due} requested").format(
            task=task_id, due=due_arg(to).format("DD/MM/YYYY")
        )
    )


@command(task_group, "grant")
@click.argument("task_id", metavar="ID")
@option("--to", "to", metavar="DATE", help="Grant another date than the one asked for.")
@option("--note", default="", help="Kept with the event.")
@json_option
def task_grant(task_id: str, to: str | None, note: str, as_json: bool) -> None:
    """Grant a waiting extension request (office only).

    Example:

        chidao task grant 17 --as tung-nt
    """
    settings = run_settings()
    store = settings.store()
    due = extensions.decide_extension(
        store,
        task_id_arg(task_id),
        grant=True,
        actor=settings.who(),
        now=settings.write_moment(store),
        note=note,
        to=due_arg(to) if to else None,
    )
    if due is None:  # granting always sets a due; None only when refusing
        raise ChidaoError(_("task {task}: the extension gave no due").format(task=task_id))
    if as_json:
        emit_json({"task_id": task_id_arg(task_id), "status": "granted", "due": due.isoformat()})
        return
    click.echo(
        _("Task {task}: extension granted, now due {due}").format(
            task=task_id, due=due.format("DD/MM/YYYY HH:mm")
        )
    )


@command(task_group, "refuse")
@click.argument("task_id", metavar="ID")
@option("--note", default="", help="Why not (kept with the event).")
@json_option
def task_refuse(task_id: str, note: str, as_json: bool) -> None:
    """Refuse a waiting extension request (office only); the due stays.

    Example:

        chidao task refuse 17 --note "Đã quá nhiều lần gia hạn" --as tung-nt
    """
    settings = run_settings()
    store = settings.store()
    extensions.decide_extension(
        store,
        task_id_arg(task_id),
        grant=False,
        actor=settings.who(),
        now=settings.write_moment(store),
        note=note,
    )
    if as_json:
        emit_json({"task_id": task_id_arg(task_id), "status": "refused"})
        return
    click.echo(_("Task {task}: extension refused").format(task=task_id))


@command(directive_group, "event")
@click.argument("ref", metavar="CODE|ID", shell_complete=complete.directives)
@click.argument("name")
@option("--at", "at", required=True, metavar="WHEN", help="When it happened.")
@json_option
def directive_event(ref: str, name: str, at: str, as_json: bool) -> None:
    """Record that an event a deadline counts from has happened (office only); the tasks
    waiting for it ("chờ sự kiện") get their dues, counted from it.

    Example:

        chidao directive event 12/PGDĐT "kết thúc hội thi" --at "20/04/2024 16h00" --as tung-nt
    """
    settings = run_settings()
    store = settings.store()
    done = occurrences.record(
        store,
        ref,
        name,
        clock.parse_moment(at, "--at", settings.moment().year),
        settings.who(),
        settings.write_moment(store),
    )
    if as_json:
        emit_json({**done.__dict__, "at": done.at.isoformat()})
        return
    click.echo(
        _("{directive}: event «{name}» at {at}; {tasks} task(s) now have a due").format(
            directive=done.directive,
            name=done.name,
            at=clock.format_moment(done.at),
            tasks=done.tasks,
        )
    )
