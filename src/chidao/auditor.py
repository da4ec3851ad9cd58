"""``chidao audit``: verifying the chain in the database, exporting it, checking an export.

An export is JSON Lines: a header line, one line per event (with its hash), and a last line
holding the head — one hash over every task's last hash (``audit.head_of``). Kept outside
the database (printed, mailed to the Sở, on another disk), it proves later that nothing it
holds was rewritten, even by someone who rebuilt every hash in the database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chidao.audit import Break, head_of
from chidao.errors import InputError
from chidao.store import Store
from chidao.store import audit as astore

FORMAT = "chidao-audit/1"


@dataclass(frozen=True)
class Verified:
    tasks: int
    events: int
    head: str
    breaks: list[Break]
    export_problems: list[str]


def verify(store: Store, against: Path | None = None) -> Verified:
    """Recompute every chain; with ``against``, also check an earlier export still holds."""
    exported = _read_export(against) if against else None
    with store.read() as conn:
        n_tasks, n_events, breaks = astore.verify(conn)
        head = astore.heads(conn)
        problems = _compare(conn, exported, against) if exported is not None else []
    return Verified(n_tasks, n_events, head, breaks, problems)


def export(store: Store, path: Path, now: dt.datetime) -> tuple[int, str]:
    """Write the chain to ``path`` (a regular file, replaced whole); (events, head)."""
    _regular_target(path)
    heads: dict[int, str] = {}
    count = 0
    folder = path.resolve().parent
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=folder, prefix=f".{path.name}.", delete=False
    ) as out:
        try:
            with store.read() as conn:
                header = {"format": FORMAT, "database": store.label, "exported_at": now.isoformat()}
                out.write(json.dumps(header, ensure_ascii=False) + "\n")
                for row in astore.export_rows(conn):
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    heads[row["task"]] = row["hash"] or ""
                    count += 1
            head = head_of(sorted(heads.items()))
            out.write(json.dumps({"head": head, "events": count}) + "\n")
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            os.unlink(out.name)
            raise
    os.chmod(out.name, 0o644)
    os.replace(out.name, path)
    return count, head


def _regular_target(path: Path) -> None:
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: not a regular file; give a file name to write the export to")
    if not path.resolve().parent.is_dir():
        raise InputError(f"{path}: folder {path.resolve().parent} does not exist")


def _read_export(path: Path) -> dict[str, Any]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the export ({exc})") from exc
    try:
        header, *rows, tail = (json.loads(line) for line in lines)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: not a chidao audit export") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT or "head" not in tail:
        raise InputError(f"{path}: not a chidao audit export ({FORMAT})")
    return {"rows": rows, "head": tail["head"]}


def _compare(conn, exported: dict[str, Any], path: Path | None) -> list[str]:
    rows = exported["rows"]
    problems: list[str] = []
    last: dict[int, str] = {}
    for row in rows:
        last[row["task"]] = row["hash"] or ""
    if head_of(sorted(last.items())) != exported["head"]:
        problems.append(f"{path}: the export itself was changed (its head does not match)")
    stored = astore.hashes_of(conn, [row["id"] for row in rows])
    for row in rows:
        if row["id"] not in stored:
            problems.append(f"event {row['id']} of task {row['task']} is in the export but gone")
        elif stored[row["id"]] != row["hash"]:
            problems.append(
                f"event {row['id']} of task {row['task']} differs from the export (rewritten)"
            )
        if len(problems) >= 20:
            break
    return problems
