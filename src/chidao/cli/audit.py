"""``chidao audit``: prove the history has not been rewritten."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from chidao.cli.base import cli, command, emit_json, group, json_option, lazy, option, run_settings
from chidao.errors import ChainBroken
from chidao.i18n import _

if TYPE_CHECKING:
    from chidao import auditor
else:
    auditor = lazy("chidao.auditor")


@group("audit")
def audit_group() -> None:
    """The audit chain: every event is hashed with the one before it."""


cli.add_command(audit_group)


@command(audit_group, "verify")
@option(
    "--against",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An earlier 'audit export': check that everything it holds is still there, unchanged.",
)
@json_option
def audit_verify(against: Path | None, as_json: bool) -> None:
    """Recompute every task's chain of event hashes and name the first broken link.

    Exit 1 when a link is broken (an event changed, removed or inserted outside chidao).

    Example:

        chidao audit verify --against /mnt/usb/chidao-2024-04-10.jsonl
    """
    done = auditor.verify(run_settings().store(), against)
    if as_json:
        emit_json(
            {
                "tasks": done.tasks,
                "events": done.events,
                "head": done.head,
                "intact": not done.breaks and not done.export_problems,
                "breaks": [b.__dict__ for b in done.breaks],
                "export_problems": done.export_problems,
            }
        )
    elif not done.breaks and not done.export_problems:
        click.echo(
            _("intact: {events} event(s) of {tasks} task(s); head {head}").format(
                events=done.events, tasks=done.tasks, head=done.head
            )
            + (
                _("; everything in {file} is still there, unchanged").format(file=against)
                if against
                else ""
            )
        )
    if done.breaks:
        first = done.breaks[0]
        where = f"event {first.event_id}" if first.event_id is not None else "its end"
        position = f" (position {first.position})" if first.position else ""
        more = f"; {len(done.breaks) - 1} more task(s) broken" if len(done.breaks) > 1 else ""
        raise ChainBroken(
            f"audit chain broken at task {first.task_id}, {where}{position}: {first.problem}{more}"
        )
    if done.export_problems:
        others = len(done.export_problems) - 1
        raise ChainBroken(
            done.export_problems[0] + (f"; and {others} more difference(s)" if others else "")
        )


@command(audit_group, "export")
@click.argument("file", type=click.Path(path_type=Path))
def audit_export(file: Path) -> None:
    """Write every event with its hash, and the head hash, to FILE (JSON Lines), to keep
    outside the database; 'audit verify --against FILE' checks it later.

    Example:

        chidao audit export /mnt/usb/chidao-2024-04-10.jsonl
    """
    settings = run_settings()
    count, head = auditor.export(settings.store(), file, settings.moment())
    click.echo(
        _("{file}: {events} event(s); head {head}").format(file=file, events=count, head=head)
    )
