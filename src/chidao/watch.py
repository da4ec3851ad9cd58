"""The dashboard on a wall screen (``dashboard --watch``): cut to the terminal's height.

A board taller than the screen would end in rich's "..." with the lists out of sight. Here
each list shows fewer rows, each with its usual caption ("… và 8 đơn vị khác — thêm
--limit 23"), until the whole board fits; when even one row per list does not fit, the two
summary tables (by level, by completion) give way too, since the header already says how
many are reported and how many are late. The lines are counted by rendering at the real
width, so what fits here fits on the screen.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, RenderableType

from chidao import dashboard


def _height(shown: RenderableType, width: int) -> int:
    measure = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    return len(measure.render_lines(shown, measure.options, pad=False, new_lines=False))


def fit(data: dict[str, Any], lang: str, width: int, height: int) -> RenderableType:
    """The board of ``data`` (from ``dashboard.build``) in at most ``height`` lines when it
    can be: the most rows per list that fit, at least one."""
    most = data["limit"] or dashboard.SCREEN_ROWS

    def board(rows: int, compact: bool = False) -> RenderableType:
        return dashboard.render({**data, "limit": rows, "compact": compact}, lang, width)

    full = board(most)
    if _height(full, width) <= height:
        return full
    for compact in (False, True):
        low, high, best = 1, most, None
        while low <= high:  # the most rows that fit: a list's height grows with its rows
            middle = (low + high) // 2
            shown = board(middle, compact)
            if _height(shown, width) <= height:
                best, low = shown, middle + 1
            else:
                high = middle - 1
        if best is not None:
            return best
    return board(1, compact=True)  # nothing fits: the top of the board, with its captions
