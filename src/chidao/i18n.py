"""One language for everything a user reads: Vietnamese by default, English on request.

Messages are written in English in the code and looked up in the gettext catalog
``locale/vi/LC_MESSAGES/chidao.mo`` (made with Babel from ``chidao.po``, see
``chidao.locale.catalog``); English needs no catalog. ``_`` translates one message into the
current language, which ``set_language`` chooses once per command (``--lang``,
``CHIDAO_LANG``) and ``using`` changes for one rendering.

Library code raises ``ChidaoError`` messages built as f-strings in English; ``message``
translates such a finished message at the command line's edge by matching it against the
catalog's templates (``"task {task_id} does not exist"``), whose values are kept as they
are. Only the standard library's ``gettext`` is used here: Babel is a build tool.
"""

from __future__ import annotations

import gettext
import os
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

LANGS = ("vi", "en")
DEFAULT = "vi"
DOMAIN = "chidao"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: list[str] = []  # the language chosen by set_language (empty: not chosen yet)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang``; English (the language of the code) is the identity."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def language() -> str:
    """The current language: as set, else ``CHIDAO_LANG``, else Vietnamese."""
    if _current:
        return _current[-1]
    lang = os.environ.get("CHIDAO_LANG") or DEFAULT
    return lang if lang in LANGS else DEFAULT


def set_language(lang: str | None) -> str:
    """Choose the language of what follows (None: ``CHIDAO_LANG`` or Vietnamese)."""
    _current[:] = [lang] if lang else []
    return language()


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Render in ``lang`` for a while (None: the current language)."""
    _current.append(lang or language())
    try:
        yield _current[-1]
    finally:
        _current.pop()


def _(message: str) -> str:
    """``message`` (English, as written in the code) in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


# ------------------------------------------------------------------ finished messages


def message(text: str) -> str:
    """A message built in English by library code, in the current language.

    Exact catalog entries first, then the templates with ``{placeholders}`` (the longest
    literal text first); a value caught by a placeholder is translated in turn when it is
    itself a message (``"{file}: {problem}"``). A message the catalog does not know stays as
    it is, and a location prefix (``file:12: …``) is kept while the rest is translated.

    >>> with using("vi"):
    ...     message("task 12 does not exist"), message("an English message never seen")
    ('không có nhiệm vụ 12', 'an English message never seen')
    """
    lang = language()
    if lang == "en" or not text:
        return text
    return _translate(text, lang, 0) or _translate_tail(text, lang) or text


def _translate(text: str, lang: str, depth: int) -> str | None:
    catalog = translations(lang)
    found = catalog.gettext(text)
    if found != text:
        return found
    if depth > 3:
        return None
    for pattern, names, target in _patterns(lang):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {  # a phrase caught by a placeholder may be a message itself
            name: (_translate(value, lang, depth + 1) if " " in value else None) or value
            for name, value in zip(names, match.groups(), strict=True)
        }
        return _fill(target, values)
    return None


def _translate_tail(text: str, lang: str) -> str | None:
    """``where: message`` with only the message known: keep ``where`` as written."""
    start = 0
    while (cut := text.find(": ", start)) != -1:
        rest = _translate(text[cut + 2 :], lang, 1)
        if rest is not None:
            return text[: cut + 2] + rest
        start = cut + 2
    return None


def _fields(template: str) -> list[tuple[str, str | None]]:
    """(literal text, placeholder name or None) pairs of a ``str.format`` template."""
    out = []
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        out.append((literal, field.split("!")[0].split(":")[0] if field is not None else None))
    return out


def _fill(target: str, values: dict[str, str]) -> str:
    parts = []
    for literal, field in _fields(target):
        parts.append(literal)
        if field is not None:
            parts.append(values.get(field, "{" + field + "}"))
    return "".join(parts)


def is_template(fields: list[tuple[str, str | None]]) -> bool:
    """Whether a message with placeholders is matched as a template: it has two words of
    its own, or starts with its one word ("task {id}"); "{a} or {b}" would match anything."""
    if all(field is None for _text, field in fields):
        return False
    words = len(re.findall(r"[^\W\d_]{2,}", "".join(text for text, _field in fields)))
    return words >= 2 or (words == 1 and bool(re.search(r"[^\W\d_]{2,}", fields[0][0])))


@cache
def _patterns(lang: str) -> list[tuple[re.Pattern[str], list[str], str]]:
    """The catalog's templates as anchored patterns, the most specific (longest literal
    text) first; templates with less than two words of text are left out, unless they start
    with their word ("task {id}")."""
    catalog = getattr(translations(lang), "_catalog", {})
    found = []
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or "{" not in msgid or not msgstr:
            continue
        try:
            fields = _fields(msgid)
        except ValueError:
            continue
        if not is_template(fields):
            continue
        literal = "".join(text for text, _field in fields)
        names = [field for _text, field in fields if field is not None]
        regex = "".join(
            re.escape(text) + ("(.*?)" if field is not None else "") for text, field in fields
        )
        found.append((len(literal), re.compile(regex, re.DOTALL), names, msgstr))
    found.sort(key=lambda item: -item[0])
    return [(pattern, names, msgstr) for _n, pattern, names, msgstr in found]
