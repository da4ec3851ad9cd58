"""The console dashboard an office lead opens every morning, and a principal's view.

``build`` gathers the numbers (a handful of GROUP BY queries, see ``store.dashboard``) into
plain data, the same that ``--json`` prints; ``render`` lays them out with rich for any
width from 80 columns up, in Vietnamese or English. The parts: ``data`` (queries and
assembly), ``labels`` (the words, through the catalog) and ``screen`` (rendering).
"""

from __future__ import annotations

from chidao.dashboard.data import URGENCY_RANK, Options, build, build_unit
from chidao.dashboard.labels import WORDS, words
from chidao.dashboard.screen import SCREEN_ROWS, render, render_unit

__all__ = [
    "SCREEN_ROWS",
    "URGENCY_RANK",
    "WORDS",
    "Options",
    "build",
    "build_unit",
    "render",
    "render_unit",
    "words",
]
