"""Repairs for text that reached us broken: Vietnamese as real PDF writers and old offices
emit it.

- "Ƣ/ƣ" (U+01A2/3, "OI") printed for "Ư/ư" by some PDF writers;
- tone marks left as combining characters after a space ("ho ̣c" → "học");
- TCVN3 (.VnTime fonts, "ABC" encoding): one byte per letter, read back as Windows-1252
  ("C¨n cø" → "Căn cứ"). A word is converted only when it holds characters that never
  occur in Unicode Vietnamese, so real Unicode text is left alone;
- VNI (VNI-Times fonts): a letter followed by one byte for its marks, read back as
  Windows-1252 ("Vieät Nam" → "Việt Nam", "Kính göûi" → "Kính gửi"). A text is VNI when
  characters Unicode Vietnamese never uses follow its vowels, and it holds none of the
  TCVN3 letters between 0xA1 and 0xBF that VNI never produces; then every word made of
  ASCII and VNI bytes is converted.

Everything comes out NFC.
"""

from __future__ import annotations

import re
import unicodedata

_OI = str.maketrans({"\u01a2": "Ư", "\u01a3": "ư"})
_MARKS = "\u0300-\u036f"
# "ho ̣c", "hoc ̣", "Nghi ̣quyết": a tone mark cut from its syllable by a space.
_LOOSE_MARK = re.compile(rf"(?P<word>(?:[^\W\d_][{_MARKS}]*)+)[ \t]+(?P<marks>[{_MARKS}]+)")
# "quố c": a final consonant cut from a syllable that carries a tone mark.
_LOOSE_FINAL = re.compile(rf"(?<=[{_MARKS}])[ \t]+(?P<final>ch|c|ng|nh|m|n|p|t)(?=[\s,.;:)]|$)")
_VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
_FINALS = re.compile(r"^(ch|c|ng|nh|m|n|p|t|i|o|u|y)(?![^\W\d_])")

# TCVN3 byte → Unicode letter (lower case; upper-case forms use the separate .VnTimeH
# fonts, which reuse these codes and cannot be told apart from the bytes alone).
_TCVN3_BYTES = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
_TCVN3 = {bytes([b]).decode("cp1252"): letter for b, letter in _TCVN3_BYTES.items()}
# Latin-1 letters that Unicode Vietnamese uses itself: they prove nothing.
_VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_TCVN3_MARKS = set(_TCVN3) - _VIETNAMESE_LATIN1
_VIETNAMESE_ONLY = set("ăâêôơưđĂÂÊÔƠƯĐ")


def _is_tcvn3_word(word: str) -> bool:
    return (
        any(c in _TCVN3_MARKS for c in word)
        and any(c.isascii() and c.isalpha() for c in word)
        and all(c.isascii() or c in _TCVN3 for c in word)
    )


def _from_tcvn3(word: str) -> str:
    return "".join(_TCVN3.get(c, c) for c in word)


def _tcvn3_line(line: str) -> str:
    """Convert the TCVN3 words of a line: those with telltale characters, and the
    Latin-1 words between two of them (their letters are TCVN3 codes too)."""
    words = line.split(" ")
    flags = [_is_tcvn3_word(w) for w in words]
    if sum(flags) < 2:
        return line
    out = []
    for index, word in enumerate(words):
        between = any(flags[:index]) and any(flags[index + 1 :])
        if flags[index] or (between and all(c.isascii() or c in _TCVN3 for c in word)):
            out.append(_from_tcvn3(word))
        else:
            out.append(word)
    return " ".join(out)


_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# VNI mark bytes (lower case; upper-case letters take the upper-case bytes): a tone; a
# circumflex with or without a tone (after a, e, o); a breve with or without one (after a).
_VNI_TONES = {"ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
_VNI_HATS = {"â": "", "á": _ACUTE, "à": _GRAVE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
_VNI_BREVES = {"ê": "", "é": _ACUTE, "è": _GRAVE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
# VNI bytes that are letters of their own: ơ, ư, đ and the i and y with marks.
_VNI_LETTERS = {
    "ô": "ơ",
    "ö": "ư",
    "ñ": "đ",
    "í": "í",
    "ì": "ì",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "î": "ỵ",
}
_VNI_BYTES = {
    c
    for table in (_VNI_TONES, _VNI_HATS, _VNI_BREVES, _VNI_LETTERS)
    for key in table
    for c in (key, key.upper())
}
# Pairs that only VNI writes: a vowel then a tone byte ("caùc", "Vieät"); Unicode
# Vietnamese puts no "ù" after a vowel and never uses the other bytes at all.
_VNI_PROOF = re.compile(r"[aeouyAEOUYôöÔÖ][ùøûõïÙØÛÕÏ]|[aeoAEO][åäÅÄ]|[aA][úüëÚÜË]|[eoEO][âÂ]")
_TCVN3_ONLY = re.compile(r"[\u00a1-\u00aa\u00ac-\u00ae\u00b5-\u00b9\u00bc-\u00be]")


def _is_vni(text: str) -> bool:
    proofs = len(_VNI_PROOF.findall(text))
    return proofs > 0 and proofs > len(_TCVN3_ONLY.findall(text))


def _vni_mark(base: str, mark: str) -> str | None:
    """The marks a VNI byte adds to ``base`` (a letter, decomposed), None if it adds none."""
    letter, has = base[:1].lower(), base[1:]
    lower = mark.lower()
    if lower in _VNI_TONES and letter in "aeouy" and not set(has) - {_CIRCUMFLEX, _BREVE, _HORN}:
        if not any(m in has for m in (_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)):
            return _VNI_TONES[lower]
    if not has and lower in _VNI_HATS and letter in "aeo":
        return _CIRCUMFLEX + _VNI_HATS[lower]
    if not has and lower in _VNI_BREVES and letter == "a":
        return _BREVE + _VNI_BREVES[lower]
    return None


def _from_vni(word: str) -> str:
    letters: list[str] = []  # decomposed
    for char in word:
        added = _vni_mark(letters[-1], char) if letters else None
        if added is not None:
            letters[-1] += added
            continue
        single = _VNI_LETTERS.get(char.lower())
        if single is not None:
            char = single.upper() if char.isupper() else single
        letters.append(unicodedata.normalize("NFD", char))
    return unicodedata.normalize("NFC", "".join(letters))


def _vni_text(text: str) -> str:
    """Convert every run of letters of ``text`` made of ASCII and VNI bytes."""
    return re.sub(
        r"[A-Za-z\u00c0-\u00ff]+",
        lambda m: (
            _from_vni(m.group(0))
            if all(c.isascii() or c in _VNI_BYTES for c in m.group(0))
            else m.group(0)
        ),
        text,
    )


def _place_mark(match: re.Match[str]) -> str:
    """Put a loose tone mark back on the last vowel of the syllable before it."""
    word, marks = match["word"], match["marks"]
    end = len(word)
    while end and not unicodedata.combining(word[end - 1]) and word[end - 1] not in _VOWELS:
        end -= 1
    if end == 0:
        return word + marks
    while end < len(word) and unicodedata.combining(word[end]):
        end += 1
    return word[:end] + marks + word[end:] + "\u2060"


def _rejoin_marks(text: str) -> str:
    text = _LOOSE_MARK.sub(_place_mark, text)
    # after a mark placed on a syllable ending in a vowel, a following final belongs to
    # it ("ho ̣c" → "học"), anything else starts the next word ("Nghi ̣quyết")
    text = re.sub(
        "\u2060(?P<next>\\S*)",
        lambda m: m["next"] if _FINALS.match(m["next"]) else (" " + m["next"]).rstrip(),
        text,
    )
    return _LOOSE_FINAL.sub(lambda m: m["final"], text)


def repair_text(text: str) -> str:
    """One line or a whole text, repaired and NFC."""
    text = unicodedata.normalize("NFD", text.translate(_OI))
    if any(unicodedata.combining(c) for c in text):
        text = _rejoin_marks(text)
    text = unicodedata.normalize("NFC", text)
    if _is_vni(text):
        return _vni_text(text)
    if any(c in _TCVN3_MARKS for c in text):
        text = "\n".join(_tcvn3_line(line) for line in text.split("\n"))
    return text


def looks_vietnamese(text: str) -> bool:
    """Enough letters with Vietnamese diacritics: a page OCR'd without the Vietnamese
    model ("BO GIAO DUC VA DAO TAO") has almost none; real Vietnamese has one letter in
    six or so."""
    letters = [c for c in unicodedata.normalize("NFC", text) if c.isalpha()]
    if not letters:
        return False
    marked = sum(
        1
        for c in letters
        if c in _VIETNAMESE_ONLY or (not c.isascii() and unicodedata.decomposition(c))
    )
    return marked / len(letters) >= 0.04
