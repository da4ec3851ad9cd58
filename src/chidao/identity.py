"""Who may do what: the checks every write command makes of its actor.

The actor is a person of an office (an id from the org file) or a unit (a school's code).
Issuing, withdrawing, loading the org, importing units, extending, deciding on extensions
and recording the events deadlines count from are *office actions*: only a person of the
office concerned may take them. Firing a task's trigger asks the template (``by:``), in
``engine.fire``. ``system`` is the sweep's own name and is never accepted from a command.
On PostgreSQL the actor is the login role (``store.identity``); on an SQLite file it is
``--as``, and every event also records the operating-system account.
"""

from __future__ import annotations

from chidao.errors import TransitionRefused
from chidao.model import Actor, Org


def _is(who: Actor) -> str:
    if who.office:
        return f"a person of {who.office}"
    if who.unit:
        return f"the unit {who.unit}"
    return "not a person or unit of any loaded org file"


def require_office(who: Actor, office: str, action: str) -> None:
    """Refuse unless ``who`` is a person of ``office``."""
    if who.office != office:
        raise TransitionRefused(
            f"{action} is an action of the office {office}: only one of its people may take "
            f"it (--as PERSON); {who.name} is {_is(who)}"
        )


def check_org_load(who: Actor, org: Org, known: dict[str, str | None], path: str) -> None:
    """May ``who`` load ``org``? ``known`` maps the offices already loaded to their parents.

    An office already loaded is changed by its own people or its parent office's. The first
    load of an office is made by a person the file itself lists (a province's file may set
    up several offices at once), or by a person of its parent office already loaded.
    """
    listed = {p.id for p in org.people}
    for office in org.offices:
        parent = known.get(office.code, office.parent_office)
        allowed = {office.code} | ({parent} if parent else set())
        if who.office in allowed:
            continue
        if office.code not in known and who.name in listed:
            continue
        raise TransitionRefused(
            f"{path}: loading the org of {office.code} is an action of "
            + (f"{office.code} or {parent}" if parent else office.code)
            + f": only one of their people may do it (--as PERSON); {who.name} is {_is(who)}"
        )
