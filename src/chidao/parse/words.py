"""Small readers shared by the parts of the parser: dates, codes, names, school levels."""

from __future__ import annotations

import datetime as dt
import re

# "21/03/2024", "1/4", "12 tháng 3 năm 2024", "12 tháng 3"
DATE = (
    r"(?P<d>\d{1,2})\s*(?:/|-|\.|\s+tháng\s+)\s*(?P<m>\d{1,2})"
    r"(?:\s*(?:/|-|\.|\s+năm\s+)\s*(?P<y>\d{4}))?"
)
DATE_RE = re.compile(DATE, re.IGNORECASE)
# 746/SGDĐT-GDCN, 80/KH-UBND, 260-KH/TU, 31/2017/TT-BGDĐT; two drafting units joined by
# a comma with no space: 345/SGD&ĐT-GDTrH,GDTX
CODE = r"\d{1,6}(?:[/-][0-9A-Za-zĐđÀ-ỹ&.]+(?:,(?=[A-ZĐ])[0-9A-Za-zĐđÀ-ỹ&]+)*)+"

LEVEL_PATTERNS = (
    ("MN", r"\bMN\b|mầm non|mẫu giáo|nhà trẻ"),
    ("TH", r"\bTH\b|tiểu học|\bPTDTBT\s+TH\b"),
    ("THCS", r"\bTHCS\b|trung học cơ sở"),
    ("THPT", r"\bTHPT\b|trung học phổ thông|\bPTDTNT\b"),
    ("GDTX", r"\bGDTX\b|GDNN\s*-\s*GDTX|giáo dục thường xuyên"),
    ("PGDĐT", r"phòng giáo dục(?: và đào tạo)?|phòng GD\s*&?\s*ĐT|phòng GDĐT|\bPGDĐT\b"),
)
LEVEL_ORDER = ("MN", "TH", "THCS", "THPT", "GDTX", "PGDĐT")
_LEVEL_RES = tuple((level, re.compile(rx, re.IGNORECASE)) for level, rx in LEVEL_PATTERNS)

HONORIFIC = r"(?:đ\.\s?c|đ/c|đồng chí|ông|bà)"


def levels_in(text: str) -> set[str]:
    """School levels a phrase covers: "Tiểu học và Trung học cơ sở" → {TH, THCS}."""
    return {level for level, rx in _LEVEL_RES if rx.search(text)}


def make_date(d: str | int, m: str | int, y: str | int | None, year: int | None) -> dt.date | None:
    """A date, taking ``year`` (the document's) when the text gives none; None if invalid."""
    year_value = int(y) if y else year
    if year_value is None:
        return None
    try:
        return dt.date(year_value, int(m), int(d))
    except ValueError:
        return None


def first_date(text: str, year: int | None) -> dt.date | None:
    match = DATE_RE.search(text)
    return make_date(match["d"], match["m"], match["y"], year) if match else None


def is_name_word(word: str) -> bool:
    """ "Chinh", "Đô", "Ư": a capitalised word of letters only."""
    return word.isalpha() and word[0].isupper() and (len(word) == 1 or word[1:].islower())


def read_name(text: str) -> str | None:
    """The capitalised words that open ``text``: a person's name (2 to 5 words)."""
    words = []
    for raw in text.split():
        word = raw.strip(",;:.()")
        if not word or not is_name_word(word):
            break
        words.append(word)
        if len(words) == 5 or word != raw.rstrip("(").lstrip("("):
            break  # punctuation after a word ends the name
    return " ".join(words) if len(words) >= 2 else None


def is_upper_line(line: str) -> bool:
    """ "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "K/T TRƯỞNG PHÒNG": every letter is a capital."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)
