"""The audit chain: what an event's hash covers, and how a task's chain is checked.

Each event carries ``sha256(previous hash ␟ task ␟ position ␟ from ␟ to ␟ on behalf of ␟
trigger ␟ actor ␟ OS account ␟ time ␟ note)``, where *previous hash* is the hash of the
task's event before it ("" for its first) and *position* is the task's version after the
event (its first event is 2: a task is created at version 1). The task row keeps the hash
of its last event (its *head*). So a chain is per task: set-based moves of thousands of
tasks never wait on one global chain, and editing, removing or inserting any event breaks
the hash of that event or of the next, or the head. Anyone who knows this rule can rebuild
a whole chain, so ``chidao audit export`` writes the hashes out of the database: an export
kept elsewhere proves that what it holds has not been rewritten since.

Pure: the store computes the same string in SQL (``store.audit``), and both must agree.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from chidao.clock import TZ

SEP = "\x1f"  # ASCII unit separator: never in a state, trigger, id or typed note


def stamp(at: dt.datetime) -> str:
    """The one text of a moment inside a hash: ISO 8601, microseconds, +07:00."""
    return at.astimezone(TZ).isoformat(timespec="microseconds")


def constants(trigger: str, actor: str, os_user: str | None, at: dt.datetime, note: str) -> str:
    """The part of an event that is the same for every task a command moves."""
    return SEP.join((trigger, actor, os_user or "", stamp(at), note))


def content(
    prev: str,
    task_id: int,
    position: int,
    from_state: str | None,
    to_state: str,
    on_behalf_of: str | None,
    shared: str,
) -> str:
    return SEP.join(
        (prev, str(task_id), str(position), from_state or "", to_state, on_behalf_of or "", shared)
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def os_account() -> str:
    """The operating-system account running this process (recorded on every event)."""
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):  # no passwd entry (some containers): the uid still says who
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


@dataclass(frozen=True)
class Link:
    """One stored event, as ``audit verify`` reads it."""

    id: int
    task_id: int
    from_state: str | None
    to_state: str
    trigger: str
    actor: str
    on_behalf_of: str | None
    os_user: str | None
    at: dt.datetime
    note: str
    hash: str | None

    def expected(self, prev: str, position: int) -> str:
        shared = constants(self.trigger, self.actor, self.os_user, self.at, self.note)
        return digest(
            content(
                prev,
                self.task_id,
                position,
                self.from_state,
                self.to_state,
                self.on_behalf_of,
                shared,
            )
        )


@dataclass(frozen=True)
class Break:
    """The first place a task's chain does not hold, and what that looks like."""

    task_id: int
    event_id: int | None
    position: int | None
    problem: str


def check_task(task_id: int, version: int, head: str, links: Iterable[Link]) -> Break | None:
    """Recompute one task's chain; the first broken link, or None when it holds.

    Each event is checked against the stored hash of the one before it and its position,
    so the first event changed, or the first one after an event removed or inserted, is
    named.
    """
    prev = ""
    position = 1
    for link in links:
        position += 1
        if link.hash is None:
            return Break(task_id, link.id, position, "has no hash: written outside chidao")
        if link.hash != link.expected(prev, position):
            return Break(
                task_id,
                link.id,
                position,
                "does not match its hash: it was changed, or an event before it was removed "
                "or inserted",
            )
        prev = link.hash
    if prev != head:
        return Break(
            task_id,
            None,
            position + 1,
            "its last event is missing: the task's head hash is not the last event's"
            if head
            else "the task's head hash was cleared",
        )
    if version != position:
        return Break(
            task_id,
            None,
            None,
            f"the task is at version {version} but has {position - 1} events",
        )
    return None


def head_of(heads: Iterable[tuple[int, str]]) -> str:
    """One hash over the heads of the tasks that have events, in task order: what
    ``audit verify`` prints and an export is pinned to."""
    total = hashlib.sha256()
    for task_id, head in heads:
        total.update(f"{task_id}:{head}\n".encode())
    return total.hexdigest()
