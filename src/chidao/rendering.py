"""Rich building blocks that never read what users wrote as markup.

Rich reads ``[bold]``, ``[/]`` and ``:smile:`` in every plain string it renders; names,
subjects, notes and codes come from org files, dispatches and the command line, so a school
called "Trường [/] …" would crash a listing and a subject "[kế hoạch] …" would lose its
first words. ``Table`` turns every string cell, header, title and caption into a ``Text``
(shown as written); styled parts are built as ``Text`` with a style, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich import table
from rich.text import Text


def plain(value: Any) -> Any:
    """A string as a ``Text`` shown exactly as written; anything else as it is."""
    return Text(value) if isinstance(value, str) else value


class Table(table.Table):
    """``rich.table.Table`` whose strings are plain text (``Table.grid`` too)."""

    def __init__(self, *headers: Any, **options: Any) -> None:
        for key in ("title", "caption"):
            if key in options:
                options[key] = plain(options[key])
        super().__init__(*(plain(h) if isinstance(h, str) else h for h in headers), **options)

    def add_column(self, header: Any = "", footer: Any = "", **options: Any) -> None:
        super().add_column(plain(header), plain(footer), **options)

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*(plain(r) for r in renderables), **options)
