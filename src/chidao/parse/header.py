"""The header of a công văn (Nghị định 30/2020): the parent and issuing bodies, number and
symbol, place and date, the "V/v" subject, urgency and secrecy. In plain-text copies the
two header columns arrive one after the other, and any part may be missing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from chidao.parse.words import is_upper_line, make_date

MOTTO = re.compile(r"^(CỘNG HO?[ÀOÁ]A|CỘNG HÒA|CỘNG HOÀ)|^Độc lập\s*[-–]\s*Tự do", re.IGNORECASE)
# "Số: 4144 /GDĐT – VP", "Số:12 /KH- PGD&ĐT": spaces and dashes inside a symbol
NUMBER = re.compile(
    r"^Số\s*:?\s*(?P<number>\d*)\s*/\s*"
    r"(?P<symbol>[^\s,;/–-]*(?:\s*[/–-]\s*[^\s,;/–-]+)*)",
    re.IGNORECASE,
)
PLACE_DATE = re.compile(
    r"^(?P<place>[^,\d]{2,60}),\s*ngày\s*(?P<d>\d{0,2})\s*tháng\s*(?P<m>\d{0,2})\s*năm\s*(?P<y>\d{4})",
    re.IGNORECASE,
)
# The day or month left blank or unreadable (handwritten on a scan): place and year only.
PLACE_YEAR = re.compile(
    r"^(?P<place>[^,\d]{2,40}),\s*(?:ngày|tháng)\b.{0,30}?năm\s*(?P<y>\d{4})", re.IGNORECASE
)
SUBJECT = re.compile(r"^(?:V/v|Về việc|Về\s*:)\.?\s*:?\s*(?P<text>.*)$", re.IGNORECASE)
# The name of a document type printed as its title, the subject on the lines below it.
TITLE = re.compile(
    r"^(KẾ HOẠCH|QUYẾT ĐỊNH|HƯỚNG DẪN|THÔNG BÁO|CHỈ THỊ|BÁO CÁO|TỜ TRÌNH|CÔNG ĐIỆN|"
    r"CHƯƠNG TRÌNH|GIẤY MỜI|THÔNG TRI|NGHỊ QUYẾT|QUY CHẾ|QUY ĐỊNH)$"
)
URGENCY = {"KHẨN": "Khẩn", "THƯỢNG KHẨN": "Thượng khẩn", "HỎA TỐC": "Hỏa tốc", "HOẢ TỐC": "Hỏa tốc"}
SECRECY = {"MẬT": "Mật", "TỐI MẬT": "Tối mật", "TUYỆT MẬT": "Tuyệt mật"}
BODY_WORDS = (
    "PHÒNG",
    "SỞ",
    "BAN",
    "TRƯỜNG",
    "TRUNG TÂM",
    "VĂN PHÒNG",
    "ỦY BAN",
    "UỶ BAN",
    "UBND",
    "CHI CỤC",
    "CỤC",
    "BỘ",
    "HỘI ĐỒNG",
    "BAN CHỈ ĐẠO",
    "TỔNG CỤC",
    "VỤ",
    "VIỆN",
    "HỌC VIỆN",
    "ĐẠI HỌC",
    "THANH TRA",
    "HỘI",
    "ĐOÀN",
    "LIÊN ĐOÀN",
    "TỈNH ỦY",
    "TỈNH UỶ",
    "HUYỆN ỦY",
    "HUYỆN UỶ",
    "THÀNH ỦY",
    "THÀNH UỶ",
    "ĐẢNG ỦY",
    "ĐẢNG UỶ",
    "ĐẢNG BỘ",
    "CHÍNH PHỦ",
    "BỘ CHỈ HUY",
    "CÔNG AN",
    "KHO BẠC",
    "BẢO HIỂM",
    "BỆNH VIỆN",
    "CÔNG TY",
    "CHI NHÁNH",
    "MẶT TRẬN",
    "CÔNG ĐOÀN",
    "QUỸ",
    "NGÂN HÀNG",
    "TÒA ÁN",
    "TOÀ ÁN",
    "VIỆN KIỂM SÁT",
    "HIỆP HỘI",
    "TẬP ĐOÀN",
    "BỘ TƯ LỆNH",
)
STARTS_BODY = re.compile(r"^(Kính gửi|Căn cứ|Thực hiện|Theo|Nhằm)", re.IGNORECASE)


@dataclass
class Header:
    """What the header says; ``end`` is the index of the first line after it."""

    number: str | None = None
    symbol: str | None = None
    issuer: str | None = None
    issuer_parent: str | None = None
    place: str | None = None
    date: dt.date | None = None
    year: int | None = None
    month: int | None = None  # known when the day is left blank or unreadable
    subject: str | None = None
    urgency: str | None = None
    secrecy: str | None = None
    end: int = 0
    found: set[str] = field(default_factory=set)

    @property
    def earliest(self) -> dt.date | None:
        """The first day the document can be dated: its date, or the first of the month or
        year it gives when the day is blank (a deadline before it is no deadline)."""
        if self.date or self.year is None:
            return self.date
        return dt.date(self.year, self.month or 1, 1)


def _bodies(lines: list[str], header: Header) -> None:
    """The uppercase lines at the very top: parent body then issuing body."""
    names: list[str] = []
    for line in lines:
        if not line:
            if names:
                break
            continue
        if MOTTO.search(line) or NUMBER.match(line) or not is_upper_line(line):
            break
        if line in URGENCY or line in SECRECY:
            break
        names.append(line)
    if not names:
        return
    groups: list[str] = []
    for name in names:
        if groups and not name.startswith(BODY_WORDS):
            # a name wrapped over two lines: "ỦY BAN NHÂN DÂN" / "HUYỆN ĐIỆN BIÊN",
            # "HỘI ĐỒNG XÉT TẶNG DANH" / "HIỆU NHÀ GIÁO ƯU TÚ"
            groups[-1] = f"{groups[-1]} {name}"
        else:
            groups.append(name)
    header.issuer = groups[-1]
    header.issuer_parent = " ".join(groups[:-1]) or None


def _symbol(text: str) -> str | None:
    return re.sub(r"\s+", "", text).replace("–", "-") or None


def _subject(lines: list[str], start: int, header: Header, first: str | None = None) -> int:
    """The subject from ``start``; ``first``: its first line, when it opens with no
    "V/v" (the line under a title) and may start like a body sentence ("Thực hiện …")."""
    opening = SUBJECT.match(lines[start])
    parts = [first if first is not None else opening["text"] if opening else lines[start]]
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if (
            not line
            or MOTTO.search(line)
            or PLACE_DATE.match(line)
            or NUMBER.match(line)
            or line in URGENCY
            or line in SECRECY
            or STARTS_BODY.match(line)
            or is_upper_line(line)
        ):
            break
        parts.append(line)
        index += 1
    subject = " ".join(p for p in parts if p).strip()
    header.subject = SUBJECT.sub(r"\g<text>", subject).strip() or None
    return index


def _titled_subject(lines: list[str], index: int, header: Header) -> int:
    """After a title line ("KẾ HOẠCH"), the subject is the text up to the next gap."""
    following = index + 1
    if following < len(lines) and lines[following] and not is_upper_line(lines[following]):
        return _subject(lines, following, header, first=lines[following])
    return following


def _number_or_date(line: str, header: Header) -> bool:
    """Read "Số: …/…" or "Place, ngày … năm …" once each; whether the line was one."""
    if (number := NUMBER.match(line)) and "number" not in header.found:
        header.number = number["number"] or None
        header.symbol = _symbol(number["symbol"])
        header.found.add("number")
    elif (when := PLACE_DATE.match(line)) and "date" not in header.found:
        header.place = when["place"].strip()
        header.year = int(when["y"])
        header.month = int(when["m"]) if when["m"] and 1 <= int(when["m"]) <= 12 else None
        if when["d"] and when["m"]:
            header.date = make_date(when["d"], when["m"], when["y"], None)
        header.found.add("date")
    elif (when := PLACE_YEAR.match(line)) and "date" not in header.found:
        header.place, header.year = when["place"].strip(), int(when["y"])
        header.found.add("date")
    else:
        return False
    return True


def parse_header(lines: list[str]) -> Header:
    """Read the header; ``end`` is the index of the first line after it."""
    header = Header()
    _bodies(lines, header)
    index = 0
    while index < len(lines):
        line = lines[index]
        if STARTS_BODY.match(line):
            break
        if _number_or_date(line, header):
            pass
        elif SUBJECT.match(line) and header.subject is None:
            index = _subject(lines, index, header)
            continue
        elif TITLE.match(line) and header.subject is None:
            index = _titled_subject(lines, index, header)
            continue
        elif line.upper() in URGENCY and is_upper_line(line):
            header.urgency = URGENCY[line.upper()]
        elif line.upper() in SECRECY and is_upper_line(line):
            header.secrecy = SECRECY[line.upper()]
        index += 1
    header.end = index
    return header
