"""``chidao units import``: load or update the schools list from the spreadsheet an office
already keeps (xlsx or csv, Vietnamese or English headers).

Every row is checked before anything is written; each problem names the row and column.
A dry run lists what would change. The import itself is one transaction.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chidao import fields
from chidao.errors import InputError
from chidao.model import Unit

FIELDS = ("code", "name", "levels", "principal", "email", "phone")
REQUIRED = ("code", "name", "levels")
HEADERS = {
    "code": ("code", "mã", "mã đơn vị", "mã trường", "mã đv"),
    "name": ("name", "tên", "tên đơn vị", "tên trường", "đơn vị"),
    "levels": ("levels", "level", "cấp", "cấp học", "bậc học"),
    "principal": ("principal", "hiệu trưởng", "thủ trưởng", "người đứng đầu", "lãnh đạo"),
    "email": ("email", "e-mail", "thư điện tử", "địa chỉ email"),
    "phone": ("phone", "điện thoại", "số điện thoại", "sđt", "đt"),
}
# An .xlsx is a zip: its inflated size is read from the zip's directory before openpyxl
# opens it (zipfile never inflates a member past its declared size), so a bomb costs nothing.
MAX_XLSX_BYTES = 100 * 1024 * 1024
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # every school of the largest province, several times over


def _key(text: Any) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number
    return unicodedata.normalize("NFC", str(value)).strip()


def _check_zip(path: Path) -> None:
    """Refuse an .xlsx that would inflate past ``MAX_XLSX_BYTES``, before it is parsed."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: not an Excel .xlsx workbook ({exc})") from exc
    total = sum(info.file_size for info in entries)
    if total > MAX_XLSX_BYTES or len(entries) > 10_000:
        raise InputError(
            f"{path}: the workbook inflates to {total // 2**20:,} MB in {len(entries):,} parts; "
            f"chidao reads up to {MAX_XLSX_BYTES // 2**20} MB"
        )


def _limited(path: Path, rows: Iterable[Sequence[Any]]) -> list[tuple[int, list[str]]]:
    out = []
    for n, row in enumerate(rows, start=1):
        if n > MAX_ROWS:
            raise InputError(f"{path}: more than {MAX_ROWS:,} rows; split the file")
        out.append((n, [_cell(v) for v in row]))
    return out


def _xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    _check_zip(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        raise InputError(f"{path}: not an Excel .xlsx workbook ({exc})") from exc
    try:
        return _limited(path, book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError(f"{path}: larger than {MAX_CSV_BYTES // 2**20} MB; split the file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1258")  # Excel's "CSV" on a Vietnamese Windows
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: not a text file in UTF-8 or Windows-1258 (byte {exc.start})"
            ) from exc
    if "\x00" in text:
        raise InputError(f"{path}: not a CSV text file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _limited(path, csv.reader(io.StringIO(text), dialect))


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header row and the data rows (with their row numbers as the office sees them)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(path)
    elif suffix == ".csv":
        rows = _csv_rows(path)
    else:
        raise InputError(f"{path}: expected a .xlsx or .csv file")
    rows = [(n, r) for n, r in rows if any(r)]
    if not rows:
        raise InputError(f"{path}: the file is empty")
    (_first, header), *data = rows
    return header, data


def _levels(text: str) -> tuple[str, ...]:
    found = []
    for token in fields.split_levels(text):
        level = fields.level_of(token)
        if level is None:
            raise ValueError(token)
        if level not in found:
            found.append(level)
    return tuple(found)


@dataclass
class Plan:
    """What an import would do."""

    new: list[Unit] = field(default_factory=list)
    changed: list[tuple[Unit, dict[str, tuple[str, str]]]] = field(default_factory=list)
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def _columns(path: Path, header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column holds which field, and the columns nobody asked for."""
    columns: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        found = next((f for f, names in HEADERS.items() if _key(title) in names), None)
        if found and found not in columns:
            columns[found] = index
        elif title:
            ignored.append(title)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise InputError(
            f"{path}: row 1 has no column for {', '.join(missing)} (expected e.g. "
            + "; ".join(f"'{HEADERS[f][2]}'" for f in missing)
            + ")"
        )
    return columns, ignored


def _check(
    values: dict[str, str], number: int, seen: dict[str, int]
) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """A row's levels and its problems as (field, message); records its code in ``seen``."""
    problems = [(name, "is empty") for name in REQUIRED if not values[name]]
    code = values["code"]
    bad_code = fields.code_problem(code) if code else None
    if bad_code:
        problems.append(("code", bad_code))
    elif code in seen:
        problems.append(("code", f"{code} is already on row {seen[code]}"))
    elif code:
        seen[code] = number
    levels: tuple[str, ...] = ()
    try:
        levels = _levels(values["levels"]) if values["levels"] else ()
    except ValueError as exc:
        problems.append(("levels", fields.level_problem(exc.args[0])))
    bad_email = fields.email_problem(values.get("email", ""))
    if bad_email:
        problems.append(("email", bad_email))
    return levels, problems


def read_units(path: Path, office: str) -> tuple[list[Unit], list[str], list[str], set[str]]:
    """The units of the file, its problems ("file: row N, column 'X': …"), the columns it
    ignored, and the fields it has."""
    header, data = read_table(path)
    columns, ignored = _columns(path, header)
    problems: list[str] = []
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for number, row in data:
        values = {f: (row[i] if i < len(row) else "") for f, i in columns.items()}
        levels, bad = _check(values, number, seen)
        problems += [
            f"{path}: row {number}, column '{header[columns[name]]}': {message}"
            for name, message in bad
        ]
        units.append(
            Unit(
                code=values["code"],
                name=values["name"],
                levels=levels,
                office=office,
                principal=values.get("principal", ""),
                email=values.get("email", ""),
                phone=values.get("phone", ""),
            )
        )
    return units, problems, ignored, set(columns)


def _shown(unit: Unit, name: str) -> str:
    """A field of a unit as the import compares and shows it (levels: "TH,THCS")."""
    return ",".join(unit.levels) if name == "levels" else str(getattr(unit, name))


def plan(
    units: list[Unit], existing: dict[str, Unit], office: str, present: set[str]
) -> tuple[Plan, list[str]]:
    """Compare with the database: new, changed (field by field), unchanged; and refuse a
    code that belongs to another office."""
    result, problems = Plan(), []
    for unit in units:
        old = existing.get(unit.code)
        if old is None:
            result.new.append(unit)
            continue
        if old.office != office:
            office_code = old.office
            problems.append(f"unit {unit.code} belongs to office {office_code}, not {office}")
            continue
        diff = {}
        for name in FIELDS[1:]:
            if name not in present:
                continue
            before, after = _shown(old, name), _shown(unit, name)
            if before != after:
                diff[name] = (before, after)
        if diff:
            result.changed.append((unit, diff))
        else:
            result.unchanged += 1
    return result, problems
