"""The end of a công văn: the distribution list ("Nơi nhận") and the signature block with
its signatory chain (KT., TM., TL., TUQ., Q.; "K/T" reads as "KT")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chidao.parse.body import BODY_END, BULLET
from chidao.parse.words import is_upper_line, read_name

DISTRIBUTION = re.compile(r"^Nơi nhận\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
SUB_LABEL = re.compile(r"^[^\W\d][^:]{0,30}:$")
# "KT. GIÁM ĐỐC", "K/T", "K.T"; scans and hasty typing glue it: "KTCHỦ TỊCH" (no
# Vietnamese word starts with KT, TM, TL or TUQ; "Q." needs its dot or a space).
AUTHORITY = re.compile(
    r"^(?:(?P<auth>K\s*[/.]\s*T|KT|TM|TL|TUQ)\s*[.,]?\s*|(?P<acting>Q)\s*(?:\.\s*|\s+))"
    r"(?P<title>[^\W\d_].*)$"
)
# The unit a position heads, printed on the line below it ("CỤC TRƯỞNG" / "CỤC CÔNG NGHỆ
# THÔNG TIN"); a line under the signature ("PHÓ CHỦ TỊCH UBND TỈNH") is another matter.
UNIT = re.compile(r"^(CỤC|VỤ|VIỆN|BAN|PHÒNG|TRUNG TÂM|VĂN PHÒNG|THANH TRA)\s")
POSITIONS = re.compile(
    r"^(PHÓ\s+)?(TRƯỞNG PHÒNG|GIÁM ĐỐC|CHỦ TỊCH|HIỆU TRƯỞNG|CHÁNH VĂN PHÒNG|TRƯỞNG BAN|"
    r"BỘ TRƯỞNG|THỨ TRƯỞNG|CỤC TRƯỞNG|VỤ TRƯỞNG|TRƯỞNG\s+\S.*|PHÓ\s+\S.*)$"
)


@dataclass
class Footer:
    distribution: list[str] = field(default_factory=list)
    signer: dict[str, Any] | None = None


def _distribution(lines: list[str], start: int) -> tuple[list[str], int]:
    """The "Nơi nhận" list; its label may be missing ("- Như trên;" opens it then), and
    sub-labels such as "Bản điện tử:" group entries without being one."""
    for index in range(start, len(lines)):
        match = DISTRIBUTION.match(lines[index])
        if match:
            entries = [match["rest"].strip()] if match["rest"].strip() else []
            cursor = index + 1
        elif BODY_END.match(lines[index]):
            entries, cursor = [], index
        else:
            continue
        cursor = _entries(lines, cursor, entries)
        return [e.rstrip(" ;.").strip() for e in entries if e.rstrip(" ;.").strip()], cursor
    return [], start


def _continues(lines: list[str], cursor: int, entries: list[str]) -> bool:
    """Whether the line at ``cursor`` goes on with the last entry: a wrapped entry ("- Các
    Vụ: GDCT, GDMN," / "GDTH, GDTrH;"), never the signature's capitals or a name."""
    line = lines[cursor]
    return bool(
        entries
        and lines[cursor - 1]
        and not is_upper_line(line)
        and read_name(line.strip(" .")) != line.strip(" .")
    )


def _entries(lines: list[str], cursor: int, entries: list[str]) -> int:
    """Read the entries from ``cursor`` into ``entries``; the index after the list."""
    while cursor < len(lines):
        line = lines[cursor]
        if not line:
            following = next((x for x in lines[cursor + 1 :] if x), "")
            if not BULLET.match(following) and not SUB_LABEL.match(following):
                break
        elif SUB_LABEL.match(line):
            pass
        elif BULLET.match(line):
            entries.append(BULLET.sub("", line).strip())
        elif _continues(lines, cursor, entries):
            entries[-1] = f"{entries[-1]} {line}"
        else:
            break
        cursor += 1
    return cursor


def _name_after(lines: list[str], index: int) -> str | None:
    """The signer's name: the first line below the title that is a person's name, else
    the first that is not in capitals (specks of a seal read as letters are neither)."""
    window = [line.strip(" .") for line in lines[index : index + 8] if line]
    for line in window:
        if read_name(line) == line:
            return line
    for line in window:
        if not is_upper_line(line) and not line.startswith(("(", "-")):
            if sum(c.isalpha() for c in line) >= 4:
                return line
    return None


def _authority(line: str) -> dict[str, str] | None:
    match = AUTHORITY.match(line)
    if not match:
        return None
    auth = "Q" if match["acting"] else re.sub(r"[\s/.]", "", match["auth"])
    return {"authority": auth, "title": match["title"].strip()}


def _position(lines: list[str], cursor: int) -> tuple[str, int]:
    """The position line at ``cursor`` and the unit line below it, if any."""
    position = lines[cursor]
    following = cursor + 1
    if following < len(lines) and UNIT.match(lines[following]):
        if is_upper_line(lines[following]):
            return f"{position} {lines[following]}", following + 1
    return position, following


def _signer(lines: list[str], start: int) -> dict[str, Any] | None:
    for index in range(start, len(lines)):
        line = lines[index]
        if not line or not is_upper_line(line):
            continue
        chain = []
        cursor = index
        while cursor < len(lines) and (link := _authority(lines[cursor])):
            chain.append(link)
            cursor += 1
        if chain:
            if cursor < len(lines) and is_upper_line(lines[cursor]):
                position, name_from = _position(lines, cursor)
            else:  # "Q. TRƯỞNG PHÒNG" then the name: the title is the position
                position, name_from = chain[-1]["title"], cursor
            return {"chain": chain, "position": position, "name": _name_after(lines, name_from)}
        if POSITIONS.match(line):
            return {"chain": [], "position": line, "name": _name_after(lines, index + 1)}
    return None


def parse_footer(lines: list[str], start: int, body_start: int) -> Footer:
    """``start``: where "Nơi nhận" may begin; ``body_start``: where to look for a signature
    block that the copy placed before the distribution list."""
    footer = Footer()
    footer.distribution, after = _distribution(lines, start)
    footer.signer = _signer(lines, after if footer.distribution else start)
    if footer.signer is None:
        footer.signer = _signer(lines, body_start)
    return footer
