"""Thu hồi: an office takes one of its directives out of tracking.

Every task of the directive gets a ``withdraw`` event (who, when, why; its state is left
as it was, so the history stays whole), its open escalations are closed, and from then on
the sweep, the dashboard and the principals' view pass it by and its tasks refuse
triggers. It needs nothing from the directive's stored document or template, so a
directive that cannot be read any more can still be withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from chidao import identity
from chidao.clock import format_moment
from chidao.errors import InputError
from chidao.store import Store
from chidao.store import directives as dstore
from chidao.store import escalations as estore
from chidao.store import tasks as tstore

TRIGGER = "withdraw"


@dataclass(frozen=True)
class Withdrawn:
    directive_id: int
    label: str
    tasks: int


def withdraw(
    store: Store, ref: str, actor: str, now: pendulum.DateTime, note: str = ""
) -> Withdrawn:
    with store.write() as conn:
        directive_id = dstore.resolve_directive(conn, ref)
        row = dstore.get_directive(conn, directive_id)
        label = row.label
        identity.require_office(
            tstore.actor_of(conn, actor), row.office, f"withdrawing directive {label}"
        )
        if row.withdrawn_at is not None:
            raise InputError(
                f"directive {label} was already withdrawn on "
                f"{format_moment(row.withdrawn_at)} by {row.withdrawn_by}"
            )
        where = tstore.of_directive(directive_id)
        tasks = tstore.record_where(conn, where, trigger=TRIGGER, actor=actor, note=note, now=now)
        if tasks != tstore.count_where(conn, where):
            raise InputError(
                f"directive {label}: some of its tasks changed after {format_moment(now)}; "
                "a withdrawal cannot be dated before them"
            )
        estore.resolve_where(conn, where, now)
        dstore.mark_withdrawn(conn, directive_id, actor, now)
    return Withdrawn(directive_id, label, tasks)
