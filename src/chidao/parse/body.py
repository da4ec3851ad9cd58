"""The body of a công văn: "Kính gửi" recipients, the upstream documents it implements,
the numbered tasks (I. > 1. > a)), every deadline with the task it belongs to, and the
people it names to report to."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from chidao.i18n import N_
from chidao.parse.words import CODE, DATE, HONORIFIC, digits, levels_in, make_date, read_name

RECIPIENTS = re.compile(r"^Kính gửi\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
BULLET = re.compile(r"^[-–—+•*]\s*")
# "Kính gửi: ………": a blank left for the clerk, no recipient
PLACEHOLDER = re.compile(r"^[\s.…_-]*$")
KINDS = {
    "công văn": "Công văn",
    "quyết định": "Quyết định",
    "kế hoạch": "Kế hoạch",
    "chỉ thị": "Chỉ thị",
    "thông báo": "Thông báo",
    "hướng dẫn": "Hướng dẫn",
    "báo cáo": "Báo cáo",
    "thông tư": "Thông tư",
    "nghị quyết": "Nghị quyết",
    "nghị định": "Nghị định",
    "văn bản": "Văn bản",
    "tờ trình": "Tờ trình",
    "luật": "Luật",
    "công điện": "Công điện",
    "chương trình": "Chương trình",
}
TYPE_CODES = {
    "QĐ": "Quyết định",
    "CT": "Chỉ thị",
    "KH": "Kế hoạch",
    "TB": "Thông báo",
    "HD": "Hướng dẫn",
    "BC": "Báo cáo",
    "TT": "Thông tư",
    "NQ": "Nghị quyết",
    "NĐ": "Nghị định",
    "CĐ": "Công điện",
    "TTr": "Tờ trình",
    "CTr": "Chương trình",
}
REFERENCE = re.compile(
    r"(?:(?P<kind>" + "|".join(KINDS) + r")\s+)?số\s+(?P<code>" + CODE + r")"
    r"(?=(?P<tail>[^;]{0,200}))",
    re.IGNORECASE,
)
REF_DATE = re.compile(r"^[\s,]*(?:ngày\s+)" + DATE, re.IGNORECASE)
REF_ISSUER = re.compile(
    r"\bcủa\s+(?P<issuer>.+?)(?=\s+về\s|\s+ban hành|\s+v/v|[,;(]|\.$|$)", re.IGNORECASE
)

ROMAN = re.compile(r"^(?P<n>(?:X{0,3})(?:IX|IV|V?I{0,3}))\.\s+(?P<text>\S.*)$")
ARABIC = re.compile(r"^(?P<n>\d{1,2})[.)]\s*(?P<text>[^\d\s.)/].*)$")
LETTER = re.compile(r"^(?P<n>[a-zđ])[).]\s+(?P<text>\S.*)$")
CLOSING = re.compile(r"\./\.\s*$|^Nơi nhận", re.IGNORECASE)
# Where the body ends: the distribution list, labelled or not ("- Như trên;").
BODY_END = re.compile(r"^(Nơi nhận|[-–•+]\s*(Như trên|Như Điều \d+|Như kính gửi)\b)", re.IGNORECASE)
# Lines after which "Kính gửi" can no longer open the recipients: the body has begun.
BODY_OPENS = re.compile(r"^(Căn cứ|Thực hiện|Theo|Nhằm|I\.\s|1[.)]\s?\D)", re.IGNORECASE)

TIME_DEADLINE = re.compile(
    r"(?:trước|chậm nhất(?: là| vào)?(?: trước)?|hạn chót|không quá|đến)\s+(?:lúc\s+)?"
    r"(?P<h>\d{1,2})\s*(?:giờ|h|g)\s*"
    r"(?P<min>\d{2})?\s*(?:phút)?\s*,?\s*(?:ngày\s+)?" + DATE.replace("(?P<", "(?P<t"),
    re.IGNORECASE,
)
DAY_DEADLINE = re.compile(
    r"(?P<word>trước|chậm nhất(?: là| vào)?|trong|hạn chót(?: là)?|hạn cuối(?: là)?|"
    r"hạn(?: nộp| gửi| báo cáo)?(?: là)?|không quá|muộn nhất(?: là)?|đến hết|"
    r"từ\s+(?:ngày\s+)?\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{4})?\s+đến)\s*:?\s*"
    r"(?:ngày\s+|(?=\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}))" + DATE,
    re.IGNORECASE,
)
DAILY = re.compile(
    r"trước\s+(?P<h>\d{1,2})\s*(?:giờ|h)\s*(?P<min>\d{2})?\s*(?:phút\s*)?,?\s*h[ằà]ng ngày",
    re.IGNORECASE,
)
# "đã hoàn thành xong trước ngày …", "được tổ chức … trước ngày …": a condition on the
# past, not a task's deadline.
CONDITION = re.compile(r"\b(đã|được)\b[^.;:]*$", re.IGNORECASE)
WEEKDAY = re.compile(r"^\s*\(?\s*(?P<day>thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)", re.IGNORECASE)
WEEKDAYS = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")
MONTH_DEADLINE = re.compile(r"trong tháng\s+(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})", re.IGNORECASE)
RELATIVE = re.compile(
    r"(?:trong\s+(?:thời hạn|vòng|thời gian)?\s*|sau\s+|chậm nhất\s+(?:là\s+)?)?(?P<n>\d{1,3})\s+"
    r"ngày(?P<work>\s+làm việc)?\s*,?\s*(?:kể\s+)?(?:từ|tính từ)\s+(?:ngày|khi|thời điểm)\s+"
    r"(?P<from>[^,.;)]{0,60})",
    re.IGNORECASE,
)
RECURRING = re.compile(
    r"(?P<every>h[ằà]ng\s+tháng|h[ằà]ng\s+quý|định kỳ\s+(?:hằng\s+)?(?:tháng|quý))",
    re.IGNORECASE,
)
RECURRING_DAY = re.compile(r"ngày\s+(?P<d>\d{1,2})(?!\s*[/\d])", re.IGNORECASE)

CONTACT_LEVEL = re.compile(
    r"cấp\s+(?P<level>MN|TH|THCS|THPT|Mầm non|Tiểu học|Trung học cơ sở)\s*:\s*"
    + HONORIFIC
    + r"\s+(?P<rest>.+?)(?=;|\)|$)",
    re.IGNORECASE,
)
CONTACT = re.compile(r"(?<![\wđ])" + HONORIFIC + r"\s+(?P<rest>\w.*)", re.IGNORECASE)
PHONE = re.compile(r"(?:điện thoại|ĐT|SĐT|đt|di động)\s*:?\s*(?P<phone>[\d][\d .]{7,16}\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Body:
    recipients: list[str] = field(default_factory=list)
    recipient_levels: list[str] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    end: int = 0


def _strip_entry(text: str) -> str:
    return BULLET.sub("", text).rstrip(" ;.").strip()


def read_recipients(lines: list[str], start: int) -> tuple[list[str], int]:
    """The "Kính gửi" entries and the index of the line after them; a "Kính gửi" after
    the body has begun (in a form appended after the signature) is not the letter's."""
    for index in range(start, len(lines)):
        match = RECIPIENTS.match(lines[index])
        if match:
            first = [_strip_entry(match["rest"])] if match["rest"].strip() else []
            entries, after = _recipient_lines(lines, index + 1, first)
            return [e for e in entries if e and not PLACEHOLDER.match(e)], after
        if BODY_OPENS.match(lines[index]) or BODY_END.match(lines[index]):
            break
    return [], start


def _recipient_lines(lines: list[str], cursor: int, entries: list[str]) -> tuple[list[str], int]:
    """The entries under "Kính gửi" from ``cursor`` on (bullets, a first plain line, a
    table's cells), and the index of the line after the last one."""
    after = cursor
    while cursor < len(lines):
        line = lines[cursor]
        cursor += 1
        if not line:
            continue
        bullet = BULLET.match(line) or (
            not entries and "|" not in line and len(line) < 120 and not line.endswith(":")
        )
        if "|" in line:  # a table of recipients (or a bullet's cells)
            keep = None if bullet else " -"
            entries += [_strip_entry(c) for c in line.split("|") if c.strip(keep)]
        elif bullet:
            entries.append(_strip_entry(line))
        else:
            break
        after = cursor
    return entries, after


def _code_kind(code: str) -> str:
    for part in re.split(r"[/-]", code)[1:]:
        if part in TYPE_CODES:
            return TYPE_CODES[part]
    return "Công văn"


def find_references(
    text: str, year: int | None, own: str | None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The documents cited in ``text`` whose mention starts before ``limit``."""
    refs: list[dict[str, Any]] = []
    for match in REFERENCE.finditer(text):
        if limit is not None and match.start() >= limit:
            break
        code = match["code"].rstrip(".")
        if own and code == own:
            continue
        tail = match["tail"]
        when = REF_DATE.match(tail)
        date = make_date(when["d"], when["m"], when["y"], year) if when else None
        issuer = REF_ISSUER.search(tail[:160])
        kind = KINDS.get(match["kind"].lower()) if match["kind"] else _code_kind(code)
        refs.append(
            {
                "kind": kind,
                "code": code,
                "date": date.isoformat() if date else None,
                "issuer": issuer["issuer"].strip().rstrip(".") if issuer else None,
            }
        )
    return refs


def _item_match(line: str, kinds: list[str]) -> tuple[str, str, str] | None:
    for kind, rx in (("roman", ROMAN), ("arabic", ARABIC), ("letter", LETTER)):
        match = rx.match(line)
        if match and match["n"]:
            if kind not in kinds:
                kinds.append(kind)  # the first kind seen is the top level
            return kind, match["n"], match["text"].strip()
    return None


@dataclass
class _Moment:
    due: dt.datetime | None = None
    relative: dict[str, Any] | None = None
    recurring: dict[str, Any] | None = None


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59)


class _Found:
    """Deadlines found in one stretch of text, kept in order and never overlapping."""

    def __init__(self, text: str, limit: int, issued: dt.date | None, context: str = "") -> None:
        self.text, self.limit, self.issued = text, limit, issued
        self.context = context  # the line before: a condition may start there
        self.found: list[tuple[int, str, _Moment]] = []
        self.taken: list[tuple[int, int]] = []
        self.warnings: list[str] = []

    def free(self, span: tuple[int, int]) -> bool:
        return span[0] < self.limit and all(span[1] <= a or span[0] >= b for a, b in self.taken)

    def add(self, match: re.Match, moment: _Moment) -> None:
        self.taken.append(match.span())
        self.found.append((match.start(), match.group(0).strip(), moment))

    def add_due(self, match: re.Match, day: dt.date, due: dt.datetime) -> None:
        """An absolute deadline, unless it is a condition on the past."""
        if not self.free(match.span()):
            return
        before = f"{self.context} {self.text[: match.start()]}"[-120:]
        if CONDITION.search(before) or (self.issued and day < self.issued):
            self.taken.append(match.span())
            return
        self._check_weekday(match, day)
        self.add(match, _Moment(due=due))

    def _check_weekday(self, match: re.Match, day: dt.date) -> None:
        said = WEEKDAY.match(self.text[match.end() : match.end() + 20])
        if said and " ".join(said["day"].lower().split()) != WEEKDAYS[day.weekday()]:
            self.warnings.append(
                N_(
                    "deadline «{text}»: {date} is a {weekday}, the document says {said}: check it"
                ).format(
                    text=match.group(0).strip(),
                    date=f"{day:%d/%m/%Y}",
                    weekday=WEEKDAYS[day.weekday()],
                    said=said["day"],
                )
            )


def _recurring_in(found: _Found) -> None:
    text = found.text
    recurring = RECURRING.search(text)
    if recurring and recurring.start() < found.limit:
        every = "quarter" if "quý" in recurring["every"].lower() else "month"
        day = RECURRING_DAY.search(text)
        if day:
            found.taken.append(day.span())
            start, end = min(recurring.start(), day.start()), max(recurring.end(), day.end())
            tail = text[end:].split(".", 1)[0].split(";", 1)[0]
            found.found.append(
                (
                    start,
                    (text[start:end] + tail).strip(" ,"),
                    _Moment(recurring={"every": every, "day": int(day["d"])}),
                )
            )
    for match in DAILY.finditer(text):
        if found.free(match.span()):
            time = f"{int(match['h']):02d}:{match['min'] or '00'}"
            found.add(match, _Moment(recurring={"every": "day", "day": None, "time": time}))


def _relative_in(found: _Found) -> None:
    for match in RELATIVE.finditer(found.text):
        if not found.free(match.span()):
            continue
        source = match["from"].lower()
        origin = (
            "receipt"
            if "nhận" in source
            else "issue"
            if any(w in source for w in ("ban hành", "ký", "văn bản này"))
            else "event"
        )
        unit = "working_days" if match["work"] else "days"
        found.add(
            match, _Moment(relative={"amount": int(match["n"]), "unit": unit, "from": origin})
        )


def _absolute_in(found: _Found, year: int | None) -> None:
    text = found.text
    for match in TIME_DEADLINE.finditer(text):
        day = make_date(match["td"], match["tm"], match["ty"], year)
        if day:
            moment = dt.datetime(
                day.year, day.month, day.day, int(match["h"]) % 24, int(match["min"] or 0) % 60
            )
            found.add_due(match, day, moment)
    for match in DAY_DEADLINE.finditer(text):
        day = make_date(match["d"], match["m"], match["y"], year)
        if day:
            strict = match["word"].lower() == "trước"
            found.add_due(
                match, day, dt.datetime(day.year, day.month, day.day) if strict else _end_of(day)
            )
    for match in MONTH_DEADLINE.finditer(text):
        y, m = int(match["y"]), int(match["m"])
        if 1 <= m <= 12:
            last = dt.date(y, m, _calendar.monthrange(y, m)[1])
            found.add_due(match, last, _end_of(last))


def _deadlines_in(
    text: str,
    year: int | None,
    limit: int | None = None,
    issued: dt.date | None = None,
    context: str = "",
) -> tuple[list[tuple[str, _Moment]], list[str]]:
    """Deadlines that start before ``limit`` (the rest of ``text`` is the next line, joined
    so a deadline wrapped over two lines is read whole), and warnings about them."""
    found = _Found(text, len(text) if limit is None else limit, issued, context)
    _recurring_in(found)
    _relative_in(found)
    _absolute_in(found, year)
    ordered = [(t, m) for start, t, m in sorted(found.found, key=lambda f: f[0])]
    return ordered, found.warnings


def _contacts_in(text: str, known: dict[str, dict[str, Any]], limit: int | None = None) -> None:
    """The people named in ``text`` whose mention starts before ``limit`` (the rest is the
    next line, so "điện" / "thoại: 0912…" is read whole on the line that names them)."""
    limit = len(text) if limit is None else limit
    for match in CONTACT_LEVEL.finditer(text):
        if match.start() >= limit:
            break
        name = read_name(match["rest"])
        if name and name not in known:
            level = levels_in(match["level"]) or {match["level"].upper()}
            known[name] = {
                "name": name,
                "level": sorted(level)[0],
                "phone": None,
                "email": None,
                "role": f"cấp {match['level']}",
            }
    for match in CONTACT.finditer(text):
        if match.start() >= limit:
            break
        name = read_name(match["rest"])
        if name and name not in known:
            known[name] = _contact(name, match["rest"])


def _contact(name: str, rest: str) -> dict[str, Any]:
    """A person named in a contact sentence: the role, phone and e-mail written after the
    name, and the level a role "phụ trách …" names."""
    sentence = re.split(r"(?<=[.;])\s|\)", rest)[0]
    after = sentence[len(name) :]
    role = after.strip(" ,").split(",")[0].strip() or None
    phone = PHONE.search(after)
    email = EMAIL.search(after)
    levels = (
        levels_in(re.sub(r"^.*?phụ trách", "", role)) if role and "phụ trách" in role else set()
    )
    return {
        "name": name,
        "level": sorted(levels)[0] if len(levels) == 1 else None,
        "phone": digits(phone["phone"]) if phone else None,
        "email": email.group(0) if email else None,
        "role": role,
    }


def _joined(lines: list[str], index: int) -> str:
    """A line and the next non-empty one: what a wrap split ("Công văn số" / "123/…",
    "616/SGDĐT-" / "KTKĐCLGD") is matched whole."""
    line = lines[index]
    for after in lines[index + 1 : index + 3]:
        if BODY_END.match(after):
            break
        if after:
            glue = "" if line.endswith(("-", "/")) else " "
            return f"{line}{glue}{after}"
    return line


def _is_next(kinds: list[str], path: dict[str, str], item: tuple[str, str, str]) -> bool:
    """Whether an item continues the numbering after a "./." (then the body goes on)."""
    kind, number, _ = item
    if kind not in path or not number.isdigit() or not path[kind].isdigit():
        return False
    return int(number) == int(path[kind]) + 1


class _Items:
    """The tree of numbered tasks as the lines reveal it."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.kinds: list[str] = []
        self.path: dict[str, str] = {}
        self.stack: list[dict[str, Any]] = []
        self.closed = False

    def read(self, line: str) -> str | None:
        """Take one line; the item path ("II.5") it belongs to, None after the closing."""
        item = _item_match(line, self.kinds) if line else None
        if item and self.closed and not _is_next(self.kinds, self.path, item):
            item = None
        if item:
            self.closed = False
            kind, number, text = item
            depth = self.kinds.index(kind)
            node = {"number": number, "text": text, "items": []}
            for deeper in self.kinds[depth:]:
                self.path.pop(deeper, None)
            self.path[kind] = number
            del self.stack[depth:]
            (self.stack[-1]["items"] if self.stack else self.body.items).append(node)
            self.stack.append(node)
        elif CLOSING.search(line):
            self.closed = True
        if self.closed:
            return None
        return ".".join(self.path[k] for k in self.kinds if k in self.path) or None


def parse_body(
    lines: list[str],
    start: int,
    year: int | None,
    own_code: str | None,
    issued: dt.date | None = None,
) -> Body:
    body = Body()
    body.recipients, index = read_recipients(lines, start)
    levels: set[str] = set()
    for entry in body.recipients:
        levels |= levels_in(entry)
    body.recipient_levels = sorted(levels)
    items = _Items(body)
    contacts: dict[str, dict[str, Any]] = {}
    previous = ""
    while index < len(lines):
        line = lines[index]
        if BODY_END.match(line):
            break
        joined = _joined(lines, index)
        index += 1
        if not line:
            continue
        body.references += find_references(joined, year, own_code, limit=len(line))
        _contacts_in(joined, contacts, limit=len(line))
        where = items.read(line)
        found, warnings = _deadlines_in(
            joined, year, limit=len(line), issued=issued, context=previous
        )
        previous = line
        body.warnings += warnings
        for text, moment in found:
            body.deadlines.append({"text": text, "item": where, "moment": moment})
    body.contacts = list(contacts.values())
    body.end = index
    return body
