"""The body of a công văn: "Kính gửi" recipients, the upstream documents it implements,
the numbered tasks (I. > 1. > a)), every deadline with the task it belongs to, and the
people it names to report to."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from chidao.parse.words import CODE, DATE, HONORIFIC, digits, levels_in, make_date, read_name

RECIPIENTS = re.compile(r"^Kính gửi\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
BULLET = re.compile(r"^[-–—+•*]\s*")
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
ARABIC = re.compile(r"^(?P<n>\d{1,2})[.)]\s+(?P<text>\D.*)$")
LETTER = re.compile(r"^(?P<n>[a-zđ])[).]\s+(?P<text>\S.*)$")
CLOSING = re.compile(r"\./\.\s*$|^Nơi nhận", re.IGNORECASE)

TIME_DEADLINE = re.compile(
    r"(?:trước|chậm nhất(?: là| vào)?|hạn chót|không quá)\s+(?:lúc\s+)?"
    r"(?P<h>\d{1,2})\s*(?:giờ|h|g)\s*"
    r"(?P<min>\d{2})?\s*(?:phút)?\s*,?\s*(?:ngày\s+)?" + DATE.replace("(?P<", "(?P<t"),
    re.IGNORECASE,
)
DAY_DEADLINE = re.compile(
    r"(?P<word>trước|chậm nhất(?: là| vào)?|trong|hạn chót(?: là)?|hạn cuối(?: là)?|"
    r"hạn(?: nộp| gửi| báo cáo)?(?: là)?|không quá|muộn nhất(?: là)?)\s*:?\s*ngày\s+" + DATE,
    re.IGNORECASE,
)
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
    end: int = 0


def _strip_entry(text: str) -> str:
    return BULLET.sub("", text).rstrip(" ;.").strip()


def read_recipients(lines: list[str], start: int) -> tuple[list[str], int]:
    """The "Kính gửi" entries and the index of the line after them."""
    for index in range(start, len(lines)):
        match = RECIPIENTS.match(lines[index])
        if not match:
            continue
        entries = [_strip_entry(match["rest"])] if match["rest"].strip() else []
        after = index + 1
        cursor = index + 1
        while cursor < len(lines):
            line = lines[cursor]
            if not line:
                cursor += 1
                continue
            if BULLET.match(line) or (
                not entries and "|" not in line and len(line) < 120 and not line.endswith(":")
            ):
                if "|" in line:
                    entries += [_strip_entry(c) for c in line.split("|") if c.strip()]
                else:
                    entries.append(_strip_entry(line))
                cursor += 1
                after = cursor
                continue
            if "|" in line:  # a table of recipients
                entries += [_strip_entry(c) for c in line.split("|") if c.strip(" -")]
                cursor += 1
                after = cursor
                continue
            break
        return [e for e in entries if e], after
    return [], start


def _code_kind(code: str) -> str:
    for part in re.split(r"[/-]", code)[1:]:
        if part in TYPE_CODES:
            return TYPE_CODES[part]
    return "Công văn"


def find_references(text: str, year: int | None, own: str | None) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    for match in REFERENCE.finditer(text):
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


def _deadlines_in(text: str, year: int | None) -> list[tuple[str, _Moment]]:
    found: list[tuple[int, str, _Moment]] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    def add(match: re.Match, moment: _Moment) -> None:
        taken.append(match.span())
        found.append((match.start(), match.group(0).strip(), moment))

    recurring = RECURRING.search(text)
    if recurring:
        every = "quarter" if "quý" in recurring["every"].lower() else "month"
        day = RECURRING_DAY.search(text)
        if day:
            taken.append(day.span())
            start, end = min(recurring.start(), day.start()), max(recurring.end(), day.end())
            tail = re.match(r"[^.;]*", text[end:]).group(0)
            found.append(
                (
                    start,
                    (text[start:end] + tail).strip(" ,"),
                    _Moment(recurring={"every": every, "day": int(day["d"])}),
                )
            )
    for match in RELATIVE.finditer(text):
        source = match["from"].lower()
        origin = (
            "receipt"
            if "nhận" in source
            else "issue"
            if any(w in source for w in ("ban hành", "ký", "văn bản này"))
            else "event"
        )
        add(
            match,
            _Moment(
                relative={
                    "amount": int(match["n"]),
                    "unit": "working_days" if match["work"] else "days",
                    "from": origin,
                }
            ),
        )
    for match in TIME_DEADLINE.finditer(text):
        day = make_date(match["td"], match["tm"], match["ty"], year)
        if day and free(match.span()):
            add(
                match,
                _Moment(
                    due=dt.datetime(
                        day.year, day.month, day.day, int(match["h"]), int(match["min"] or 0)
                    )
                ),
            )
    for match in DAY_DEADLINE.finditer(text):
        day = make_date(match["d"], match["m"], match["y"], year)
        if day and free(match.span()):
            strict = match["word"].lower() == "trước"
            due = dt.datetime(day.year, day.month, day.day) if strict else _end_of(day)
            add(match, _Moment(due=due))
    for match in MONTH_DEADLINE.finditer(text):
        if free(match.span()):
            y, m = int(match["y"]), int(match["m"])
            if 1 <= m <= 12:
                add(match, _Moment(due=_end_of(dt.date(y, m, _calendar.monthrange(y, m)[1]))))
    return [(t, m) for _, t, m in sorted(found, key=lambda f: f[0])]


def _contacts_in(text: str, known: dict[str, dict[str, Any]]) -> None:
    for match in CONTACT_LEVEL.finditer(text):
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
        rest = match["rest"]
        name = read_name(rest)
        if not name or name in known:
            continue
        sentence = re.split(r"(?<=[.;])\s|\)", rest)[0]
        after = sentence[len(name) :]
        role = after.strip(" ,").split(",")[0].strip() or None
        phone = PHONE.search(after)
        email = EMAIL.search(after)
        levels = (
            levels_in(re.sub(r"^.*?phụ trách", "", role or ""))
            if role and "phụ trách" in role
            else set()
        )
        known[name] = {
            "name": name,
            "level": sorted(levels)[0] if len(levels) == 1 else None,
            "phone": digits(phone["phone"]) if phone else None,
            "email": email.group(0) if email else None,
            "role": role,
        }


def parse_body(lines: list[str], start: int, year: int | None, own_code: str | None) -> Body:
    body = Body()
    body.recipients, index = read_recipients(lines, start)
    levels: set[str] = set()
    for entry in body.recipients:
        levels |= levels_in(entry)
    body.recipient_levels = sorted(levels)
    kinds: list[str] = []
    path: dict[str, str] = {}
    stack: list[dict[str, Any]] = []
    contacts: dict[str, dict[str, Any]] = {}
    closed = False
    while index < len(lines):
        line = lines[index]
        if re.match(r"^Nơi nhận", line, re.IGNORECASE):
            break
        index += 1
        if not line:
            continue
        for ref in find_references(line, year, own_code):
            body.references.append(ref)
        _contacts_in(line, contacts)
        item = None if closed else _item_match(line, kinds)
        if item:
            kind, number, text = item
            depth = kinds.index(kind)
            node = {"number": number, "text": text, "items": []}
            for deeper in kinds[depth:]:
                path.pop(deeper, None)
            path[kind] = number
            del stack[depth:]
            (stack[-1]["items"] if stack else body.items).append(node)
            stack.append(node)
        where = ".".join(path[k] for k in kinds if k in path) or None
        if CLOSING.search(line) and not item:
            closed, where = True, None
        for text, moment in _deadlines_in(line, year):
            body.deadlines.append({"text": text, "item": where, "moment": moment})
    body.contacts = list(contacts.values())
    body.end = index
    return body
