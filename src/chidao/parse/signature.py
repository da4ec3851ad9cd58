"""The end of a công văn: the distribution list ("Nơi nhận") and the signature block with
its signatory chain (KT., TM., TL., TUQ., Q.; "K/T" reads as "KT")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chidao.parse.body import BODY_END, BULLET
from chidao.parse.words import is_upper_line

DISTRIBUTION = re.compile(r"^Nơi nhận\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
SUB_LABEL = re.compile(r"^[^\W\d][^:]{0,30}:$")
AUTHORITY = re.compile(r"^(?P<auth>K/T|KT|TM|TL|TUQ|Q)\s*\.?\s+(?P<title>\S.*)$")
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
        while cursor < len(lines):
            line = lines[cursor]
            if line and SUB_LABEL.match(line):
                cursor += 1
                continue
            if line and not BULLET.match(line):
                break
            if line:
                entries.append(BULLET.sub("", line).rstrip(" ;.").strip())
            cursor += 1
        return [e for e in entries if e], cursor
    return [], start


def _name_after(lines: list[str], index: int) -> str | None:
    for line in lines[index : index + 8]:
        if line and not is_upper_line(line) and not line.startswith(("(", "-")):
            return line.strip(" .")
    return None


def _signer(lines: list[str], start: int) -> dict[str, Any] | None:
    for index in range(start, len(lines)):
        line = lines[index]
        if not line or not is_upper_line(line):
            continue
        chain = []
        cursor = index
        while cursor < len(lines) and (match := AUTHORITY.match(lines[cursor])):
            auth = "KT" if match["auth"] == "K/T" else match["auth"]
            chain.append({"authority": auth, "title": match["title"].strip()})
            cursor += 1
        if chain:
            if cursor < len(lines) and is_upper_line(lines[cursor]):
                position, name_from = lines[cursor], cursor + 1
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
