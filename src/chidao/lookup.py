"""Find what the user means: codes and names compared the way people type them.

A clerk types ``746/sgddđt-gdcn``, ``746/SGDDDT-GDCN`` (D for Đ, the keyboard has none) or
``746 / SGDDĐT-GDCN``: all name ``746/SGDDĐT-GDCN``. ``fold`` is that comparison (case,
spaces, Đ/D); ``find`` picks the one thing a text names among known keys, or says what it
might have meant ("did you mean …", difflib). The resolvers below ask the store for the
keys: units (code or name), people (id or name), states (name or label, in either
language) and triggers of the templates in use; directive codes are resolved in
``store.directives.resolve_directive`` with the same folding.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chidao.errors import NotFound
from chidao.i18n import N_

_SPACE = re.compile(r"\s+")
DID_YOU_MEAN = N_("; did you mean {names}?")  # the end of a message; English like it


def fold(text: str) -> str:
    """What is left of a code or name once case, spaces and Đ/D no longer count.

    >>> fold("746 / SGDĐT-GDCN")
    '746/sgddt-gdcn'
    """
    text = unicodedata.normalize("NFC", text).replace("Đ", "D").replace("đ", "d")
    return _SPACE.sub("", text.casefold())


def suggestions(text: str, keys: Iterable[str], n: int = 3) -> list[str]:
    """The keys closest to ``text`` (after folding), best first: those as close as the
    closest one, up to ``n``."""
    by_fold: dict[str, str] = {}
    for key in keys:
        by_fold.setdefault(fold(key), key)
    typed = fold(text)
    scored = sorted(
        ((difflib.SequenceMatcher(None, typed, f).ratio(), f) for f in by_fold),
        key=lambda item: (-item[0], item[1]),
    )
    if not scored or scored[0][0] < 0.6:
        return []
    best = scored[0][0]
    return [by_fold[f] for ratio, f in scored[:n] if ratio >= best - 0.02]


def hint(text: str, keys: Iterable[str]) -> str:
    """ "; did you mean 'mn-hoa-ban'?" — or nothing when no key is close.

    >>> hint("mn-hoa-bam", ["mn-hoa-ban", "th-thanh-an"]), hint("xyz", ["mn-hoa-ban"])
    ("; did you mean 'mn-hoa-ban'?", '')
    """
    close = suggestions(text, keys)
    return DID_YOU_MEAN.format(names=", ".join(map(repr, close))) if close else ""


def find(text: str, keys: Mapping[str, str]) -> str | None:
    """The value of the one key ``text`` names: as written, else after folding; None when
    no key matches. ``keys`` maps what may be typed (a code, a name) to what it stands for.
    Several values behind the same folded text: the one typed exactly, else None.

    >>> find("746/sgddđt-gdcn", {"746/SGDDĐT-GDCN": "so-746"})
    'so-746'
    """
    if text in keys:
        return keys[text]
    folded = fold(text)
    found = {value for key, value in keys.items() if fold(key) == folded}
    return found.pop() if len(found) == 1 else None


# ------------------------------------------------------------------------- resolvers


def _id_or_name(text: str, named: Sequence[tuple[str, str]]) -> str | None:
    """The id that ``text`` names among (id, name) pairs, by either, folded."""
    keys = {ident: ident for ident, _name in named} | {name: ident for ident, name in named}
    return find(text, keys)


def unit(store: Any, text: str) -> str:
    """The code of the unit ``text`` names: its code or its name, folded."""
    from chidao.store import org as ostore

    with store.read() as conn:
        named = ostore.unit_names(conn)
    found = _id_or_name(text, named)
    if found is None:
        raise NotFound(
            f"unknown unit {text!r} (not in any loaded org file)"
            + hint(text, [code for code, _name in named]),
            kind="unit",
            key=text,
        )
    return found


def person(store: Any, text: str) -> str:
    """The id of the person ``text`` names: an id or a full name, folded."""
    from chidao.store import org as ostore

    with store.read() as conn:
        named = ostore.person_names(conn)
    found = _id_or_name(text, named)
    if found is None:
        raise NotFound(
            f"unknown person {text!r} (not in any loaded org file)"
            + hint(text, [pid for pid, _name in named]),
            kind="person",
            key=text,
        )
    return found


def state(store: Any, text: str) -> str:
    """The state ``text`` names among the templates in use: its name, or its label in
    either language ("Đã nhận", "received")."""
    from chidao.store import directives as dstore

    with store.read() as conn:
        templates = dstore.templates_in_use(conn)
    keys: dict[str, str] = {}
    for template in templates:
        for s in template.states:
            keys.update({s.label: s.name, s.label_en: s.name})
    for template in templates:
        keys.update({s.name: s.name for s in template.states})
    found = find(text, keys)
    if found is None:
        names = sorted({s.name for t in templates for s in t.states})
        raise NotFound(
            f"--state: unknown state {text!r}"
            + (f" (the workflows in use have: {', '.join(names)})" if names else "")
            + hint(text, list(keys))
        )
    return found


def trigger(store: Any, task_ids: Sequence[int], text: str) -> str:
    """The trigger ``text`` names in the workflows of these tasks: its name or its label
    ("Gửi báo cáo"), folded. Tasks that do not exist are left for the engine to name."""
    from chidao.store import directives as dstore

    with store.read() as conn:
        templates = dstore.templates_of_tasks(conn, task_ids)
    known = list(dict.fromkeys(t.trigger for tp in templates for t in tp.transitions))
    if not known:
        return text
    keys = {t.label: t.trigger for tp in templates for t in tp.transitions if t.label}
    keys |= {t.label_en: t.trigger for tp in templates for t in tp.transitions if t.label_en}
    found = find(text, keys | {t: t for t in known})
    if found is None:
        raise NotFound(
            f"unknown trigger {text!r} (the workflow has: {', '.join(known)})" + hint(text, known),
            kind="trigger",
            key=text,
        )
    return found
