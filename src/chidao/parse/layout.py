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

# A row that opens one of these parts never continues the header's or body's columns
# (tolerant of a misread mark: OCR reads "Kinh gửi", "Noi nhân").
_OPENS_PART = re.compile(r"^(K[iíìỉ]nh\s*g[uưửứừ]i|N[oơởớờ]i\s*nh[aâậấầ]n)", re.IGNORECASE)


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
    for candidate in candidates:
        band = _narrowed(candidate, rows, 0.4 * size)
        if band is None:
            continue
        centre = (band[0] + band[1]) / 2
        if left + 0.2 * width <= centre <= left + 0.8 * width and (
            best is None or band[1] - band[0] > best[1] - best[0]
        ):
            best = band
    if best is None or not _two_sided(rows, best):
        return None
    return best


def _narrowed(
    band: tuple[float, float], rows: list[list[Word]], least: float
) -> tuple[float, float] | None:
    """``band`` narrowed by every word that crosses it (keeping the wider side), row by
    row; None once it is narrower than ``least``."""
    start, end = band
    for row in rows:
        for w in row:
            if w.x0 < end and w.x1 > start:  # the word narrows the band
                start, end = max(
                    (start, min(end, w.x0)),
                    (max(start, w.x1), end),
                    key=lambda b: b[1] - b[0],
                )
        if end - start < least:
            return None
    return start, end


def _two_sided(rows: list[list[Word]], band: tuple[float, float]) -> bool:
    """Some row has words on both sides of ``band``."""
    return any(
        any(w.x1 <= band[0] for w in row) and any(w.x0 >= band[1] for w in row) for row in rows
    )


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


Block = tuple[list[list[Word]], tuple[float, float] | None]
Box = tuple[float, float, float, float]


def _attach_lone_rows(blocks: list[Block], page_left: float, page_right: float) -> list[Block]:
    """A row right above or below a two-column block is part of it when the block's band
    still runs through it: the signer's "KT. BỘ TRƯỞNG" printed a little above
    "Nơi nhận:" (the band narrows to fit it)."""
    merged: list[Block] = []
    for block, band in blocks:
        previous = merged[-1] if merged else None
        if band and previous and len(previous[0]) == 1 and previous[1] is None:
            wider = _band([previous[0][0], *block], page_left, page_right)
            if wider:
                merged[-1] = ([previous[0][0], *block], wider)
                continue
        if previous and previous[1] and band is None and len(block) == 1:
            wider = _band([*previous[0], block[0]], page_left, page_right)
            if wider:
                merged[-1] = ([*previous[0], block[0]], wider)
                continue
        merged.append((block, band))
    return merged


def blocks_of(rows: list[list[Word]], page_left: float, page_right: float) -> list[Block]:
    """Rows in blocks: a run of rows sharing an empty vertical band (two columns) with that
    band, or one row (band None). An empty row list stands for a blank line."""
    blocks: list[Block] = []
    index = 0
    while index < len(rows):
        if index and _blank_before(rows[index - 1], rows[index]):
            blocks.append(([], None))
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
        if band is None:
            block, cursor = [rows[index]], index + 1
        blocks.append((block, band))
        index = cursor
    return _attach_lone_rows(blocks, page_left, page_right)


def _box(words: list[Word]) -> Box:
    return (
        min(w.x0 for w in words),
        min(w.top for w in words),
        max(w.x1 for w in words),
        max(w.bottom for w in words),
    )


def column_boxes(
    words: list[Word], page_left: float, page_right: float
) -> list[tuple[Box, list[Box]]]:
    """The two-column blocks of the header and the footer (above the first and below the
    last row of body text, a row across most of the page): each block's box and the boxes
    of its two columns, each as tall as the block and reaching from its side of the band to
    the edge of the print."""
    blocks = blocks_of(rows_of(words), page_left, page_right)
    wide = [
        i
        for i, (block, band) in enumerate(blocks)
        if block
        and band is None
        and _box(block[0])[2] - _box(block[0])[0] > 0.6 * (page_right - page_left)
    ]
    if not wide:
        return []
    found = []
    x0, _, x1, _ = _box(words)  # the printed width of the page
    for index, (block, band) in enumerate(blocks):
        if band is None or wide[0] < index < wide[-1]:
            continue
        if index < wide[0] and _OPENS_PART.match(_row_text(block[0])):
            continue  # "Kính gửi:" beside its list is not the header's columns
        _, top, _, bottom = _box([w for row in block for w in row])
        found.append(
            ((x0, top, x1, bottom), [(x0, top, band[0], bottom), (band[1], top, x1, bottom)])
        )
    return found


def page_lines(words: list[Word], page_left: float, page_right: float) -> list[str]:
    """Reading-order lines of one page; an empty line where the page leaves one."""
    lines: list[str] = []
    for block, band in blocks_of(rows_of(words), page_left, page_right):
        if not block:
            lines.append("")
        elif band is None:
            lines.append(_row_text(block[0]))
        else:
            lines += _column_lines(block, band)
    return lines
