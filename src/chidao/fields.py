"""What a field of an org record must be, wherever the record is read from.

A school comes into chidao from the org file (``schemas.org``) or from the office's
spreadsheet (``units_import``); both ask these functions, so that a value one of them
refuses the other refuses too, with the same words. Each check returns the problem as a
message, or None when the value is good.
"""

from __future__ import annotations

import re
import unicodedata

from chidao.i18n import N_
from chidao.model import LEVEL_NAMES, LEVELS

MAX_CODE = 64  # unit codes and person ids: String(64) columns
_CODE = re.compile(r"^[\w.-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LEVEL_WORDS = (
    {name.casefold(): code for code, name in LEVEL_NAMES.items()}
    | {code.casefold(): code for code in LEVELS}
    | {"pgddt": "PGDĐT", "pgd": "PGDĐT", "gdnn-gdtx": "GDTX"}
)


def code_problem(code: str) -> str | None:
    """A unit code (or person id): letters, digits, '-', '_', '.'; at most 64."""
    if not _CODE.match(code):
        return N_("{code!r} is not a unit code (letters, digits, '-', '_', '.')").format(code=code)
    if len(code) > MAX_CODE:
        return N_("{code!r}… is longer than {n} characters").format(code=code[:20], n=MAX_CODE)
    return None


def email_problem(email: str) -> str | None:
    """An e-mail address, or nothing (an empty field is no address, not a bad one)."""
    if email and not _EMAIL.match(email):
        return N_("{email!r} is not an e-mail address").format(email=email)
    return None


def level_of(word: str) -> str | None:
    """A school level from its code ("TH", "th"), an alias ("PGD") or its name ("Tiểu
    học"); None when the word names none."""
    key = " ".join(unicodedata.normalize("NFC", word).casefold().split())
    return _LEVEL_WORDS.get(key)


def level_problem(word: str) -> str:
    return N_(
        "unknown level {level!r} (expected {levels} or their names, e.g. 'Tiểu học, THCS')"
    ).format(level=word, levels=", ".join(LEVELS))


def split_levels(text: str) -> list[str]:
    """The words of levels written in one cell or value: "TH, THCS", "TH&THCS", "MN; TH"."""
    return [w.strip() for w in re.split(r"[,;&/+]| - ", text) if w.strip()]
