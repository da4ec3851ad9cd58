"""Words with positions → reading-order lines, for PDF text layers and OCR alike.

A Nghị định 30 page prints two columns side by side at the top (issuer | national motto;
"Số" | place and date) and at the bottom ("Nơi nhận" | signature block). Read row by row,
both columns land on one line and their baselines interleave. Here a run of rows that
share an empty vertical band is read as two columns: the left one top to bottom, then the
right one, each column building its own lines. Everything else is read row by row.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

# A row that opens one of these parts never continues the header's or body's columns.
_OPENS_PART = re.compile(r"^(Kính gửi|Nơi nhận)", re.IGNORECASE)


@dataclass(frozen=True)
class Word:
    """One word on a page, in points, y growing downwards; ``size`` is the font size."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    size: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


def rows_of(words: list[Word]) -> list[list[Word]]:
    """Words grouped by baseline: a word joins a row when its middle lies inside the row's
    first word, so rows of different font sizes never chain into one."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        for row in reversed(rows[-3:]):
            anchor = row[0]
            if abs(word.middle - anchor.middle) <= 0.45 * min(word.height, anchor.height):
                row.append(word)
                break
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def _row_text(row: list[Word]) -> str:
    return " ".join(w.text for w in row)


def _gaps(row: list[Word]) -> list[tuple[float, float]]:
    return [(a.x1, b.x0) for a, b in zip(row, row[1:], strict=False) if b.x0 > a.x1]


def _band(rows: list[list[Word]], left: float, right: float) -> tuple[float, float] | None:
    """The widest vertical band no word of ``rows`` crosses, inside the middle of the
    page and with words on both sides in at least one row."""
    size = statistics.median(w.size for row in rows for w in row)
    width = right - left
    candidates: list[tuple[float, float]] = []
    for row in rows:  # a column gap is wide in some row, even if a long line narrows it
        candidates += [g for g in _gaps(row) if g[1] - g[0] >= 1.5 * size]
    best: tuple[float, float] | None = None
    for start, end in candidates:
        for row in rows:
            for w in row:
                if w.x0 < end and w.x1 > start:  # the word narrows the band
                    start, end = max(
                        (start, min(end, w.x0)),
                        (max(start, w.x1), end),
                        key=lambda band: band[1] - band[0],
                    )
            if end - start < 0.4 * size:
                break
        else:
            centre = (start + end) / 2
            if left + 0.2 * width <= centre <= left + 0.8 * width and (
                best is None or end - start > best[1] - best[0]
            ):
                best = (start, end)
    if best is None:
        return None
    two_sided = any(
        any(w.x1 <= best[0] for w in row) and any(w.x0 >= best[1] for w in row) for row in rows
    )
    return best if two_sided else None


def _column_lines(rows: list[list[Word]], band: tuple[float, float]) -> list[str]:
    left = [w for row in rows for w in row if w.x1 <= band[0]]
    right = [w for row in rows for w in row if w.x0 >= band[1]]
    return [_row_text(r) for r in rows_of(left)] + [_row_text(r) for r in rows_of(right)]


def _blank_before(previous: list[Word], row: list[Word]) -> bool:
    """A blank line's worth of space between two rows."""
    return row[0].top - max(w.bottom for w in previous) > 0.9 * row[0].height


def _breaks_block(previous: list[Word], row: list[Word]) -> bool:
    """A blank line, or a row that opens Kính gửi / Nơi nhận."""
    return _blank_before(previous, row) or bool(_OPENS_PART.match(_row_text(row)))


def page_lines(words: list[Word], page_left: float, page_right: float) -> list[str]:
    """Reading-order lines of one page; an empty line where the page leaves one."""
    rows = rows_of(words)
    lines: list[str] = []
    index = 0
    while index < len(rows):
        if index and _blank_before(rows[index - 1], rows[index]):
            lines.append("")
        block = [rows[index]]
        band = _band(block, page_left, page_right)
        cursor = index + 1
        while cursor < len(rows) and not _breaks_block(block[-1], rows[cursor]):
            wider = _band([*block, rows[cursor]], page_left, page_right)
            if wider is None:
                break
            band = wider
            block.append(rows[cursor])
            cursor += 1
        if band is not None:
            lines += _column_lines(block, band)
        else:
            lines.append(_row_text(block[0]))
            cursor = index + 1
        index = cursor
    return lines
