"""Repairs for text that reached us broken: Vietnamese as real PDF writers and old offices
emit it.

- "Ƣ/ƣ" (U+01A2/3, "OI") printed for "Ư/ư" by some PDF writers;
- tone marks left as combining characters after a space ("ho ̣c" → "học");
- TCVN3 (.VnTime fonts, "ABC" encoding): one byte per letter, read back as Windows-1252
  ("C¨n cø" → "Căn cứ"). A word is converted only when it holds characters that never
  occur in Unicode Vietnamese, so real Unicode text is left alone.

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
