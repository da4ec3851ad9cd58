"""Shell completion (click's): directive codes, units, people, states, triggers, workflows.

Each function is a click ``shell_complete`` callback: it reads the database --db (or
CHIDAO_DB) names when that exists, never makes one, and completes nothing rather than fail.
Activate it once per shell (README, "Shell completion")::

    eval "$(_CHIDAO_COMPLETE=bash_source chidao)"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click
from click.shell_completion import CompletionItem

from chidao.cli.base import Settings, missing_database_file


def _matching(pairs: Iterable[tuple[str, str]], incomplete: str) -> list[CompletionItem]:
    """(value, help) pairs whose value starts with what was typed (folded)."""
    from chidao.lookup import fold

    typed = fold(incomplete)
    seen: dict[str, str] = {}
    for value, help_text in pairs:
        if value and fold(value).startswith(typed):
            seen.setdefault(value, help_text)
    return [CompletionItem(value, help=help_text or None) for value, help_text in seen.items()]


def _from_store(read: Callable[[Any], Iterable[tuple[str, str]]]) -> Callable:
    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
        try:
            settings = ctx.find_root().ensure_object(Settings)  # --db as parsed so far
            if missing_database_file(settings.url):
                return []
            store = settings.store()
            try:
                with store.read() as conn:
                    return _matching(read(conn), incomplete)
            finally:
                store.close()
        except Exception:  # noqa: BLE001 (a completion never fails the shell)
            return []

    return complete


def _directives(conn: Any) -> list[tuple[str, str]]:
    from chidao.store import directives as dstore

    rows = dstore.directive_summaries(conn)
    return [(r["code"] or str(r["id"]), r["subject"] or "") for r in rows]


def _units(conn: Any) -> list[tuple[str, str]]:
    from chidao.store import org as ostore

    return ostore.unit_names(conn)


def _people(conn: Any) -> list[tuple[str, str]]:
    from chidao.store import org as ostore

    return ostore.person_names(conn)


def _states(conn: Any) -> list[tuple[str, str]]:
    from chidao.i18n import language
    from chidao.store import directives as dstore

    lang = language()
    return [
        (s.name, s.label_en if lang == "en" else s.label)
        for t in dstore.templates_in_use(conn)
        for s in t.states
    ]


def _triggers(conn: Any) -> list[tuple[str, str]]:
    from chidao.i18n import language
    from chidao.store import directives as dstore

    lang = language()
    return [
        (t.trigger, t.label_en if lang == "en" and t.label_en else t.label)
        for template in dstore.templates_in_use(conn)
        for t in template.transitions
        if set(t.by) - {"system"}
    ]


directives = _from_store(_directives)
units = _from_store(_units)
people = _from_store(_people)
states = _from_store(_states)
_stored_triggers = _from_store(_triggers)


def triggers(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """The triggers of the templates in use, else of those chidao finds."""
    found = _stored_triggers(ctx, param, incomplete)
    if found:
        return found
    from chidao.cli.core import _templates
    from chidao.i18n import language

    lang = language()
    pairs = [
        (t.trigger, t.label_en if lang == "en" and t.label_en else t.label)
        for template, _path in _templates()
        for t in template.transitions
        if set(t.by) - {"system"}
    ]
    return _matching(pairs, incomplete)


def workflows(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list:
    from chidao.resources import workflow_files

    return _matching(((name, "") for name in workflow_files()), incomplete)
