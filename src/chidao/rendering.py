"""Rich building blocks that never read what users wrote as markup.

Rich reads ``[bold]``, ``[/]`` and ``:smile:`` in every plain string it renders; names,
subjects, notes and codes come from org files, dispatches and the command line, so a school
called "Trường [/] …" would crash a listing and a subject "[kế hoạch] …" would lose its
first words. ``Table`` turns every string cell, header, title and caption into a ``Text``
(shown as written); styled parts are built as ``Text`` with a style, never as markup.

``Listing`` is what every listing shows: a title, columns and rows, laid out for a given
width with one line per row (names cut with "…", narrow columns dropped) in the one look
all listings share (``listing_table``), or written out as CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich import box, table
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
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


# ------------------------------------------------------------------------- listings


def listing_table(title: Any = None, expand: bool = False) -> Table:
    """The one look of every listing and dashboard list: a bold title, a rule under the
    header, no vertical lines."""
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        expand=expand,
    )


@dataclass(frozen=True)
class Column:
    """A column of a listing. ``flex`` columns hold text that may be cut with "…" (names,
    subjects, notes) and share the room the others leave, by weight; the rest (ids,
    dates, numbers, short labels) are shown whole. When the screen is too narrow, texts
    with a shorter form are shortened first (``abbreviate``: "Trường Tiểu học …" → "TH
    …"), then flex columns cut, then the columns with the lowest ``keep`` go (9: never).
    ``max_width`` caps a column that repeats what the screen says elsewhere."""

    header: str
    justify: JustifyMethod = "left"
    flex: int = 0
    keep: int = 9
    min_width: int = 8
    max_width: int | None = None
    style: str = ""
    abbreviate: Callable[[str], str] | None = None


@dataclass
class Listing:
    """What a listing shows, laid out for any width (``table``) or written as CSV."""

    title: str | None
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    caption: Any = None

    def add_row(self, *cells: Any) -> None:
        self.rows.append(list(cells))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def table(self, width: int) -> Table:
        """One line per row at ``width`` columns: flex columns cut with "…", then narrow
        columns dropped (lowest keep first) while the rest cannot fit."""
        cells = [[_cell(c) for c in row] for row in self.rows]
        shown = list(range(len(self.columns)))
        if self._overflow(shown, cells, width) > 0:
            cells = [self._abbreviated(row) for row in cells]
        widths = self._fit(shown, cells, width)
        table = listing_table(self.title)
        if self.title:  # a title as wide as the screen allows, not folded to a narrow table
            table.min_width = min(width, cell_len(str(self.title)))
        for i in shown:
            column = self.columns[i]
            table.add_column(
                column.header,
                justify=column.justify,
                no_wrap=True,
                overflow="ellipsis",
                width=(widths or {}).get(i),
                style=column.style or None,
            )
        for row in cells:
            table.add_row(*(row[i] for i in shown))
        if self.caption is not None:
            table.caption = self.caption
            table.caption_justify = "left"
        return table

    def _fit(self, shown: list[int], cells: list[list[Text]], width: int) -> dict[int, int] | None:
        """Drop columns from ``shown`` (lowest keep first) while cutting flex columns cannot
        make the rest fit; the shown columns' widths (None: nothing more to drop)."""
        while self._droppable(shown) and self._overflow(shown, cells, width) > self._cuttable(
            shown, cells
        ):
            shown.remove(min(self._droppable(shown), key=self._drop_order))
        widths = self._widths(shown, cells, width)
        while widths is None and self._droppable(shown):
            shown.remove(min(self._droppable(shown), key=self._drop_order))
            widths = self._widths(shown, cells, width)
        return widths

    def _drop_order(self, i: int) -> tuple[int, int]:
        return self.columns[i].keep, -i

    def _abbreviated(self, row: list[Any]) -> list[Any]:
        return [
            Text(column.abbreviate(cell.plain), style=cell.style)
            if column.abbreviate and isinstance(cell, Text)
            else cell
            for column, cell in zip(self.columns, row, strict=True)
        ]

    def _natural(self, i: int, cells: list[list[Any]]) -> int:
        column = self.columns[i]
        found = max([cell_len(column.header)] + [_longest(row[i]) for row in cells])
        return (
            min(found, max(column.max_width, cell_len(column.header)))
            if column.max_width
            else found
        )

    def _overflow(self, shown: list[int], cells: list[list[Any]], width: int) -> int:
        """How many columns too wide the listing is at its natural widths."""
        return sum(self._natural(i, cells) for i in shown) - (width - (3 * len(shown) - 1))

    def _cuttable(self, shown: list[int], cells: list[list[Any]]) -> int:
        """How much may be cut from the flex columns before dropping a column is better:
        half their text."""
        return sum(self._natural(i, cells) for i in shown if self.columns[i].flex) // 2

    def _droppable(self, shown: list[int]) -> list[int]:
        return [i for i in shown if self.columns[i].keep < 9]

    def _widths(
        self, shown: list[int], cells: list[list[Text]], width: int
    ) -> dict[int, int] | None:
        """Each shown column's width, or None when even cut flex columns do not fit."""
        natural = {i: self._natural(i, cells) for i in shown}
        room = width - (3 * len(shown) - 1)  # box edges and verticals, padding inside
        fixed = sum(natural[i] for i in shown if not self.columns[i].flex)
        flex = [i for i in shown if self.columns[i].flex]
        if fixed + sum(natural[i] for i in flex) <= room:
            return natural
        left = room - fixed
        floors = {i: min(natural[i], self.columns[i].min_width) for i in flex}
        if left < sum(floors.values()):
            return None
        out = dict(natural)
        out.update(floors)
        wants = {i: natural[i] - floors[i] for i in flex}
        self._share(out, wants, left - sum(floors.values()))
        return out

    def _share(self, out: dict[int, int], wants: dict[int, int], spare: int) -> None:
        """Give ``spare`` columns to the flex columns by weight, up to what each wants."""
        while spare > 0 and any(wants.values()):
            weight = sum(self.columns[i].flex for i in wants if wants[i])
            given = 0
            for i in wants:
                if wants[i]:
                    share = min(wants[i], max(1, spare * self.columns[i].flex // weight))
                    share = min(share, spare - given)
                    out[i] += share
                    wants[i] -= share
                    given += share
            if given == 0:
                break
            spare -= given

    def csv(self, delimiter: str = ",") -> str:
        """The same rows as CSV: the headers, then each cell's text as shown."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow([c.header for c in self.columns])
        for row in self.rows:
            writer.writerow([_cell(c).plain for c in row])
        return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return Text("—")
    if isinstance(value, str):
        return Text(value)
    return value


def _longest(cell: Any) -> int:
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.split("\n")), default=0)
    return 8
