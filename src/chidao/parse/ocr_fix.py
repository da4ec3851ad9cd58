"""General repairs for lines read by OCR from a scanned công văn.

Tesseract's Vietnamese model reads body text well but slips in predictable ways:
- diacritics on bold capitals ("HỌI ĐÔNG" for "HỘI ĐỒNG", "THƯ TRƯỜNG" for "THỨ TRƯỞNG"):
  a run of words whose letters, without their marks, spell a phrase of the administrative
  vocabulary below is given that phrase's marks (only when the run is not already a
  phrase of it; between two phrases spelled alike, the one with the fewest mark changes);
- look-alike characters: "⁄" (fraction slash) for "/", "Ð" (Icelandic eth) for "Đ",
  "()" for "@" in an e-mail address, "I1" for "11" inside a number;
- handwriting: the number and the day are often written by hand on the printed form
  ("Số: ⁄2##/BGDĐT-GDTC", "ngày/22//tháng 3"). A field that does not read as plain digits
  is left blank, as on a draft, rather than guessed; the printed rest of the line (the
  symbol, the place, month and year) is kept;
- the anchors that fields hang on, when a mark or a character is misread: "Số", "ngày …
  tháng … năm", "V/v", "Kính gửi", "Nơi nhận".

Nothing here is about particular documents: the vocabulary is the general one of
administrative bodies, titles and document parts (Nghị định 30/2020).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from chidao.parse.words import is_upper_line

# Bodies, fields of government, titles and document types as printed in capitals in the
# header, the title and the signature block: phrases of two words or more (one word alone
# is too often another word with the same letters).
VOCABULARY = """
ủy ban nhân dân | uỷ ban nhân dân | hội đồng nhân dân | hội đồng | ban chỉ đạo |
ban chấp hành | ban thường vụ | ban tổ chức | ban quản lý | văn phòng | thanh tra |
trung tâm | chi cục | tổng cục | học viện | đại học | nhà trường | phòng giáo dục |
sở giáo dục | bộ giáo dục | giáo dục | đào tạo | giáo dục và đào tạo |
giáo dục thường xuyên | giáo dục nghề nghiệp | giáo dục chính trị | giáo dục thể chất |
giáo dục mầm non | giáo dục tiểu học | giáo dục trung học | mầm non | tiểu học |
trung học cơ sở | trung học phổ thông | phổ thông | dân tộc nội trú | dân tộc bán trú |
bán trú | nội trú | học sinh | sinh viên | nhà giáo | nhân dân | ưu tú | nội vụ | tư pháp |
tài chính | kế hoạch | đầu tư | kế hoạch và đầu tư | công thương | nông nghiệp |
phát triển nông thôn | giao thông vận tải | xây dựng | tài nguyên | môi trường |
thông tin | truyền thông | thông tin và truyền thông | lao động | thương binh | xã hội |
thương binh và xã hội | văn hóa | văn hoá | thể thao | du lịch | khoa học | công nghệ |
khoa học và công nghệ | công nghệ thông tin | y tế | dân tộc | quốc phòng | ngoại vụ |
khảo thí | kiểm định | chất lượng | quản lý chất lượng | kiểm định chất lượng |
tổ chức cán bộ | kế hoạch tài chính | cơ sở vật chất | thi đua | khen thưởng |
thi đua khen thưởng | xét tặng | danh hiệu | kỷ niệm chương | tuyển sinh |
chủ tịch | phó chủ tịch | giám đốc | phó giám đốc | trưởng phòng | phó trưởng phòng |
bộ trưởng | thứ trưởng | thủ trưởng | cục trưởng | phó cục trưởng | vụ trưởng |
phó vụ trưởng | viện trưởng | hiệu trưởng | phó hiệu trưởng | chánh văn phòng |
phó chánh văn phòng | chánh thanh tra | trưởng ban | phó trưởng ban | tổng cục trưởng |
tổng giám đốc | bí thư | phó bí thư | chủ nhiệm | thường trực | thành viên |
tỉnh ủy | tỉnh uỷ | huyện ủy | huyện uỷ | thành phố | thị xã | thị trấn |
cộng hòa | cộng hoà | xã hội chủ nghĩa | việt nam | độc lập | tự do | hạnh phúc |
quốc gia | trung ương | chính phủ | thủ tướng |
thông báo | quyết định | hướng dẫn | công văn | báo cáo | tờ trình | giấy mời | chỉ thị |
công điện | nghị quyết | nghị định | thông tư | chương trình |
thượng khẩn | hỏa tốc | hoả tốc | tối mật | tuyệt mật
"""
# The words that open a part of the document, in any case, at the start of a line.
ANCHORS = """
kính gửi | nơi nhận | như trên | như kính gửi | trân trọng | bản điện tử | về việc | căn cứ
"""

_LOOKALIKES = str.maketrans({"⁄": "/", "Ð": "Đ", "ð": "đ", "‡": " ", "—": "-", "–": "-"})
_WORD = re.compile(r"(?P<lead>[^\w]*)(?P<core>[^\W\d_]+)(?P<trail>[^\w]*)$")
_EMAIL_AT = re.compile(
    r"(?<=[\w.])\s?(?:\(\)|\(@\)|\(a\)|@\)|\(@)\s?(?=[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org)\b)"
)
# "Số: …/SYMBOL": the first word spells "Số" (its mark may be misread), then a colon;
# or, on a short line, the number and a slash ("số 13/CT-TTg ngày …" wrapped in the body
# is not one).
_NUMBER_LINE = re.compile(r"^(?P<so>[Ss][^\W\d_]?)\s*(?P<colon>[:.;,])?\s*(?P<rest>.+)$")
# A symbol: capitals (two or more letters: "Z" or "Z7" is a stroke of handwriting), then
# "-" and the drafting unit: "PGD&ĐT", "BGDĐT-GDTC", "KH- PGD&ĐT".
_SYMBOL = re.compile(
    r"(?<![\w&])(?P<symbol>[A-ZĐ][A-ZĐa-zđ&.]*[A-ZĐa-zđ&][A-ZĐa-zđ&.]*(?:\s?-\s?[\wĐđ&.,]+)*)"
)
_DIGIT_LOOKALIKES = str.maketrans({"I": "1", "l": "1", "|": "1", "O": "0", "o": "0"})
# "Place, ngày D tháng M năm YYYY" with the day or month unreadable or missing.
_DATE_LINE = re.compile(
    r"^(?P<place>[^,\d]{2,40}),\s*(?P<middle>[nNtT].{0,40}?)\bn[aăâ]\S{0,2}\s*"
    r"(?P<y>\d{4})\b(?P<rest>.{0,12})$"
)
_DATE_WORDS = re.compile(r"(ng[aàáảãạ]y|th[aàáảãạ]ng)", re.IGNORECASE)
# "g1a": a digit between two small letters is a letter misread.
_DIGIT_IN_WORD = re.compile(r"(?<=[a-zà-ỹ])[10](?=[a-zà-ỹ])")
# Specks before a line in capitals ("-_ CỤC TRƯỞNG", "'CỤC TRƯỞNG"): a seal's edge, not a
# bullet ("- UBND các xã" keeps its dash: a dash alone is a bullet).
_SPECKS = re.compile(r"^[-_'\"`‘’“”~|.,:;\s]*[_'\"`‘’“”~|][-_'\"`‘’“”~|.,:;\s]*(?=[^\W\d_])")
_SUBJECT = re.compile(r"^V\s?[/|lI1]\s?[vVy]\b\s*")


def skeleton(word: str) -> str:
    """A word's letters without their marks, lower case: "Đồng" → "dong"."""
    base = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    return "".join(c for c in base if not unicodedata.combining(c))


@cache
def _phrases(text: str) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """The phrases of ``text`` ("a | b c | …") by the skeletons of their words."""
    found: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for phrase in text.replace("\n", " ").split("|"):
        words = tuple(unicodedata.normalize("NFC", phrase).split())
        same = found.setdefault(tuple(skeleton(w) for w in words), [])
        if len(words) >= 2 and words not in same:
            same.append(words)
    return {key: value for key, value in found.items() if value}


def _marks(word: str) -> list[set[str]]:
    letters: list[set[str]] = []
    for char in unicodedata.normalize("NFD", word.lower()):
        if unicodedata.combining(char) and letters:
            letters[-1].add(char)
        else:
            letters.append({"đ"} if char == "đ" else set())
    return letters


def _mark_changes(written: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    """How many marks must be added or taken away to turn ``written`` into ``phrase``."""
    return sum(
        len(a ^ b)
        for w, p in zip(written, phrase, strict=True)
        for a, b in zip(_marks(w), _marks(p), strict=False)
    )


def _cased(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _best_phrase(cores: list[str], text: str) -> tuple[str, ...] | None:
    """The phrase of ``text`` these words were meant to be, when they are not one."""
    candidates = _phrases(text).get(tuple(skeleton(c) for c in cores))
    if not candidates:
        return None
    written = tuple(c.lower() for c in cores)
    if written in candidates:
        return written
    ranked = sorted((_mark_changes(written, p), p) for p in candidates)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None  # two phrases fit as well: leave the words as read
    return ranked[0][1]


def _run(parts: list[re.Match[str] | None]) -> list[str] | None:
    """The letters of a run of words read as one phrase: only the first word may open
    with punctuation, only the last may end with it."""
    if not all(parts):
        return None
    matches = [m for m in parts if m]
    if any(m["trail"] for m in matches[:-1]) or any(m["lead"] for m in matches[1:]):
        return None
    return [m["core"] for m in matches]


def _phrase_at(parts: list[re.Match[str] | None], index: int) -> tuple[int, tuple[str, ...]]:
    """The longest misread phrase starting at word ``index``: capitals anywhere (body text
    is left alone: "tại chính quyền" is not "tài chính"), an anchor at the line start."""
    for size in range(min(6, len(parts) - index), 1, -1):
        cores = _run(parts[index : index + size])
        if cores is None:
            continue
        phrase = None
        if all(c.isupper() for c in cores):
            phrase = _best_phrase(cores, VOCABULARY)
        if phrase is None and index == 0:
            phrase = _best_phrase(cores, ANCHORS)
        if phrase is not None:
            return size, phrase
    return 1, ()


def fix_vocabulary(line: str) -> str:
    """Give misread words of an administrative phrase the phrase's marks."""
    tokens = line.split(" ")
    parts = [_WORD.match(t) for t in tokens]
    index = 0
    while index < len(tokens):
        size, phrase = _phrase_at(parts, index)
        for offset, word in enumerate(phrase):
            match = parts[index + offset]
            if match:
                tokens[index + offset] = (
                    match["lead"] + _cased(word, match["core"]) + match["trail"]
                )
        index += size
    return " ".join(tokens)


def _digits_or_blank(text: str) -> str:
    """A field that may be handwritten: its digits when it reads as nothing but digits
    ("I1" is 11), else blank."""
    value = text.strip(" .,:;").translate(_DIGIT_LOOKALIKES)
    return value if value.isdigit() and len(value) <= 6 else ""


def _symbol_in(rest: str) -> re.Match[str] | None:
    """The printed symbol after the number: right after a slash, else after junk that is
    neither a letter, a digit nor a dash (a handwritten number ran over the slash)."""
    matches = list(_SYMBOL.finditer(rest))
    for match in matches:
        if rest[: match.start()].rstrip().endswith("/"):
            return match
    for match in matches:
        before = rest[: match.start()].rstrip()
        if not before or not (before[-1].isalnum() or before[-1] in "-/"):
            return match
    return None


def fix_number_line(line: str) -> str:
    """ "Số:⁄2##BGDĐT-GDTC" → "Số: /BGDĐT-GDTC"; "Số: 15 /PGD" stays "Số: 15/PGD"; a
    "Số" line with nothing readable after it → "Số: /"."""
    match = _NUMBER_LINE.match(line)
    if not match or skeleton(match["so"]) != "so" or len(line) > 60:
        return line
    rest = match["rest"]
    if not match["colon"] and (len(line) > 40 or not line[0].isupper() or "/" not in rest):
        return line
    symbol = _symbol_in(rest)
    if symbol is None:
        return "Số: /"
    number = rest[: symbol.start()].rstrip().removesuffix("/")
    text = symbol["symbol"].strip(" .,")
    if year := re.fullmatch(r"(?P<n>.*?)\s*/\s*(?P<y>(?:19|20)\d\d)", number):
        number, text = year["n"], f"{year['y']}/{text}"  # "Số: 12/2020/QĐ-UBND"
    return f"Số: {_digits_or_blank(number)}/{text}"


def fix_date_line(line: str) -> str:
    """ "Hà Giang, ngày/22//tháng 3 năm 2020" → "Hà Giang, ngày tháng 3 năm 2020"."""
    match = _DATE_LINE.match(line)
    if not match or len(match["place"].split()) > 6:
        return line
    parts = _DATE_WORDS.split(match["middle"])
    # parts: text before "ngày", then pairs (anchor, text after it)
    if parts[0].strip() or len(parts) < 3:
        return line
    fields = {
        skeleton(anchor): _digits_or_blank(value)
        for anchor, value in zip(parts[1::2], parts[2::2], strict=True)
    }
    day, month = fields.get("ngay", ""), fields.get("thang", "")
    return f"{match['place'].strip()}, ngày {day} tháng {month} năm {match['y']}{match['rest']}"


def fix_ocr_line(line: str) -> str:
    """One line read by OCR, repaired by the rules above; NFC."""
    line = unicodedata.normalize("NFC", line).translate(_LOOKALIKES)
    line = " ".join(line.split())
    line = _EMAIL_AT.sub("@", line)
    line = _DIGIT_IN_WORD.sub(lambda m: "i" if m.group(0) == "1" else "o", line)
    line = _SUBJECT.sub("V/v ", line)
    if is_upper_line(line):
        line = _SPECKS.sub("", line)
    line = fix_vocabulary(line)
    return fix_date_line(fix_number_line(line))


def fix_ocr_lines(lines: list[str]) -> list[str]:
    return [fix_ocr_line(line) for line in lines]
