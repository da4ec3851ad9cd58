"""Template snapshots, directives (each also its workflow instance), deliverables, and the
fan-out that turns one directive into a task per recipient unit per deliverable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from chidao import lookup
from chidao.errors import DatabaseError, DuplicateDirective, NotFound, UnreadableRecord
from chidao.model import DirectiveRow, directive_label
from chidao.store.database import dialect_insert
from chidao.store.schema import (
    deliverables,
    directives,
    occurrences,
    tasks,
    templates,
    unit_levels,
    units,
)
from chidao.workflow import Template, Workflow, from_snapshot

FAN_OUT_CHUNK = 10_000


def save_template(conn: Connection, template: Template, source: str, now: dt.datetime) -> int:
    """The id of this exact template content, storing a new version when it changed."""
    content_hash = template.content_hash
    found = conn.execute(
        select(templates.c.id).where(
            templates.c.name == template.name, templates.c.content_hash == content_hash
        )
    ).scalar()
    if found is not None:
        return found
    version = (
        conn.execute(
            select(func.coalesce(func.max(templates.c.version), 0)).where(
                templates.c.name == template.name
            )
        ).scalar_one()
        + 1
    )
    return _new_id(
        conn.execute(
            insert(templates).values(
                name=template.name,
                version=version,
                content_hash=content_hash,
                title=template.title,
                source=source,
                spec=json.dumps(template.to_json(), sort_keys=True, ensure_ascii=False),
                created_at=now,
            )
        )
    )


def _new_id(result: CursorResult[Any]) -> int:
    """The id the database gave the row just inserted."""
    key = result.inserted_primary_key
    if key is None:
        raise DatabaseError("the database gave no id to the new row")
    return int(key[0])


def workflow_of(conn: Connection, template_id: int) -> Workflow:
    row = conn.execute(
        select(templates.c.name, templates.c.content_hash, templates.c.spec).where(
            templates.c.id == template_id
        )
    ).one()
    try:
        return from_snapshot(row.content_hash, row.spec)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # changed outside chidao
        raise UnreadableRecord(
            f"template {template_id} ({row.name}) stored in the database cannot be read "
            f"({type(exc).__name__}: {exc})"
        ) from exc


def labels_of_template(conn: Connection, template_id: int) -> list[str]:
    """The directives issued with a template, as listings name them (``directive_label``)."""
    rows = conn.execute(
        select(directives.c.id, directives.c.code, directives.c.subject, directives.c.date)
        .where(directives.c.template_id == template_id)
        .order_by(directives.c.id)
    )
    return [directive_label(code, id_, subject, date) for id_, code, subject, date in rows]


def templates_in_use(conn: Connection) -> list[Template]:
    """The templates directives were issued with (readable ones), oldest first."""
    ids = conn.scalars(
        select(directives.c.template_id).distinct().order_by(directives.c.template_id)
    )
    return _readable(conn, list(ids))


def templates_of_tasks(conn: Connection, task_ids: Sequence[int]) -> list[Template]:
    """The templates of these tasks' directives (readable ones)."""
    ids = conn.scalars(
        select(directives.c.template_id)
        .join(tasks, tasks.c.directive_id == directives.c.id)
        .where(tasks.c.id.in_(list(task_ids)))
        .distinct()
    )
    return _readable(conn, sorted(ids))


def _readable(conn: Connection, template_ids: Sequence[int]) -> list[Template]:
    found = []
    for template_id in template_ids:
        try:
            found.append(workflow_of(conn, template_id).template)
        except UnreadableRecord:
            continue  # the screens say so; a lookup just does without it
    return found


def reported_rule(conn: Connection) -> Callable[[int, str], bool]:
    """Whether a task of template ``template_id`` in ``state`` counts as reported: asked of
    that template (``Template.category``), each template read once."""
    seen: dict[int, Template] = {}

    def reported(template_id: int, state: str) -> bool:
        if template_id not in seen:
            seen[template_id] = workflow_of(conn, template_id).template
        return seen[template_id].category(state) == "reported"

    return reported


def template_info(conn: Connection, template_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(templates.c.name, templates.c.version, templates.c.content_hash).where(
            templates.c.id == template_id
        )
    ).one()
    return dict(row._mapping)


def find_same(
    conn: Connection,
    office: str,
    number: str | None,
    symbol: str | None,
    date: dt.date | None,
    subject: str,
) -> int | None:
    """An earlier directive with the same issuer, number, symbol and date (blank = blank).

    Without a number those do not identify a document, so the subject must match too.
    """

    def same(column, value):
        return column.is_(None) if value is None else column == value

    query = select(directives.c.id).where(
        directives.c.office_code == office,
        same(directives.c.number, number),
        same(directives.c.symbol, symbol),
        same(directives.c.date, date),
    )
    if number is None:
        query = query.where(directives.c.subject == subject)
    return conn.execute(query.order_by(directives.c.id.desc())).scalar()


def identity(row: dict[str, Any], again: int = 0) -> str:
    """The directive's identity key: what makes two issues the same document."""
    parts = [row["office_code"], row["number"] or "", row["symbol"] or "", str(row["date"] or "")]
    if not row["number"]:
        parts.append(row["subject"])
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{digest}#{again}" if again else digest


def issues_of_identity(conn: Connection, row: dict[str, Any]) -> int:
    """How many times this document was issued already (with --again)."""
    digest = identity(row)
    return conn.execute(
        select(func.count()).where(
            or_(directives.c.identity == digest, directives.c.identity.like(f"{digest}#%"))
        )
    ).scalar_one()


def insert_directive(conn: Connection, row: dict[str, Any], again: int = 0) -> int:
    """Insert the directive; a second one with the same identity is refused by the database
    (so two processes issuing it at once cannot both succeed)."""
    try:
        with conn.begin_nested():
            return _new_id(
                conn.execute(insert(directives).values(**row, identity=identity(row, again)))
            )
    except IntegrityError as exc:
        if "identity" not in str(exc.orig):
            raise
        raise DuplicateDirective(
            f"directive {row['code'] or row['symbol'] or row['subject'][:40]!r} of "
            f"{row['office_code']} was issued at the same moment by someone else; "
            "nothing was written"
        ) from exc


def insert_deliverables(
    conn: Connection, directive_id: int, rows: list[dict[str, Any]]
) -> list[int]:
    ids = []
    for seq, row in enumerate(rows, start=1):
        ids.append(
            _new_id(
                conn.execute(insert(deliverables).values(directive_id=directive_id, seq=seq, **row))
            )
        )
    return ids


def _recipients(office: str, levels: Sequence[str], unit_codes: Sequence[str]):
    """The WHERE clause selecting recipient units: by level, or by explicit code."""
    if unit_codes:
        return units.c.code.in_(list(unit_codes))
    return and_(
        units.c.office_code == office,
        exists().where(
            unit_levels.c.unit_code == units.c.code, unit_levels.c.level.in_(list(levels))
        ),
    )


def count_recipients(
    conn: Connection, office: str, levels: Sequence[str], unit_codes: Sequence[str]
) -> int:
    return conn.execute(
        select(func.count()).select_from(units).where(_recipients(office, levels, unit_codes))
    ).scalar_one()


def fan_out(
    conn: Connection,
    directive_id: int,
    office: str,
    levels: Sequence[str],
    unit_codes: Sequence[str],
    plan: Sequence[dict[str, Any]],
    state: str,
    now: dt.datetime,
    progress: Callable[[int], None] | None = None,
    total: int | None = None,
) -> int:
    """Create every task with INSERT … SELECT: one statement, or runs of units so that
    ``progress`` can show (``total``, the recipients counted before, spares counting again).

    ``plan`` has one entry per deliverable: its id, due_at, late_at, due_seq, period and
    received_at. Set-based: no
    row is built in Python, whatever the number of units.
    """
    where = _recipients(office, levels, unit_codes)
    if total is not None and (progress is None or total <= FAN_OUT_CHUNK):
        chunks: list[tuple[int, Any]] = [(total, where)]  # one statement: nothing to show
    else:
        chunks = _chunks(conn, where)
    created = 0
    for done, chunk in chunks:
        for entry in plan:
            chosen = select(
                literal(directive_id),
                literal(entry["deliverable_id"]),
                units.c.code,
                literal(state),
                literal(1),
                literal(entry["due_at"], type_=tasks.c.due_at.type),
                literal(entry["late_at"], type_=tasks.c.late_at.type),
                literal(entry["due_seq"], type_=tasks.c.due_seq.type),
                literal(entry["period"]),
                literal(entry["received_at"], type_=tasks.c.received_at.type),
                literal(now, type_=tasks.c.created_at.type),
                literal(now, type_=tasks.c.updated_at.type),
            ).where(chunk)
            result = conn.execute(
                insert(tasks)
                .from_select(
                    [
                        "directive_id",
                        "deliverable_id",
                        "unit_code",
                        "state",
                        "version",
                        "due_at",
                        "late_at",
                        "due_seq",
                        "period",
                        "received_at",
                        "created_at",
                        "updated_at",
                    ],
                    chosen,
                )
                .execution_options(preserve_rowcount=True)  # PostgreSQL: count INSERT … SELECT
            )
            created += result.rowcount
        if progress:
            progress(done)
    return created


def _chunks(conn: Connection, where: Any) -> list[tuple[int, Any]]:
    """The recipients in runs of ``FAN_OUT_CHUNK`` codes: (how many are done after each
    run, the condition choosing it). Only each run's first code comes back from the
    database, and the count."""
    numbered = (
        select(units.c.code, func.row_number().over(order_by=units.c.code).label("n"))
        .where(where)
        .subquery()
    )
    firsts = list(
        conn.scalars(
            select(numbered.c.code)
            .where((numbered.c.n - 1) % FAN_OUT_CHUNK == 0)
            .order_by(numbered.c.code)
        )
    )
    count = conn.execute(select(func.count()).select_from(units).where(where)).scalar_one()
    return [
        (
            min((n + 1) * FAN_OUT_CHUNK, count),
            and_(
                where,
                units.c.code >= first,
                *([units.c.code < firsts[n + 1]] if n + 1 < len(firsts) else []),
            ),
        )
        for n, first in enumerate(firsts)
    ]


def resolve_directive(conn: Connection, ref: str) -> int:
    """A directive named by its id ("12", "#12") or its code ("746/SGDĐT-GDCN")."""
    text = ref.strip().lstrip("#")
    if text.isascii() and text.isdigit():
        big = len(text) > 10 or int(text) > 2**31 - 1  # no INTEGER id is that large
        found = (
            None
            if big
            else conn.execute(select(directives.c.id).where(directives.c.id == int(text))).scalar()
        )
        if found is None:
            raise NotFound(f"directive {ref[:40]!r} does not exist", kind="directive", key=ref)
        return found
    ids = list(
        conn.scalars(
            # SQLite's lower() folds ASCII only, so "Đ" must also match as typed
            select(directives.c.id)
            .where(or_(directives.c.code == text, func.lower(directives.c.code) == text.lower()))
            .order_by(directives.c.id)
        )
    )
    if not ids:  # as people type it: any case, spaces, D for Đ (the codes are few)
        codes = conn.execute(
            select(directives.c.id, directives.c.code).where(directives.c.code.is_not(None))
        ).all()
        folded = lookup.fold(text)
        ids = sorted(id_ for id_, code in codes if lookup.fold(code) == folded)
        if not ids:
            raise NotFound(
                f"directive {ref!r} does not exist (name it by its code or id)"
                + lookup.hint(text, [code for _id, code in codes]),
                kind="directive",
                key=ref,
            )
    if len(ids) > 1:
        raise NotFound(
            f"directive {ref!r} was issued {len(ids)} times (ids {', '.join(map(str, ids))}); "
            "name it by id"
        )
    return ids[0]


def get_directive(conn: Connection, directive_id: int) -> DirectiveRow:
    row = conn.execute(select(directives).where(directives.c.id == directive_id)).mappings().one()
    return DirectiveRow(
        id=row["id"],
        office=row["office_code"],
        number=row["number"],
        symbol=row["symbol"],
        code=row["code"],
        date=row["date"],
        subject=row["subject"],
        urgency=row["urgency"],
        recipient_levels=tuple(filter(None, row["recipient_levels"].split(","))),
        signer=row["signer"],
        document=row["document"],
        template_id=row["template_id"],
        parent_task_id=row["parent_task_id"],
        issued_at=row["issued_at"],
        issued_by=row["issued_by"],
        withdrawn_at=row["withdrawn_at"],
        withdrawn_by=row["withdrawn_by"],
    )


def mark_withdrawn(conn: Connection, directive_id: int, actor: str, now) -> None:
    conn.execute(
        update(directives)
        .where(directives.c.id == directive_id)
        .values(withdrawn_at=literal(now, type_=directives.c.withdrawn_at.type), withdrawn_by=actor)
    )


def directive_summaries(conn: Connection) -> list[dict[str, Any]]:
    """Per directive: its identity and how many tasks are in each state (one GROUP BY)."""
    counts = (
        select(tasks.c.directive_id, tasks.c.state, func.count().label("n")).group_by(
            tasks.c.directive_id, tasks.c.state
        )
    ).subquery()
    rows = conn.execute(
        select(
            directives.c.id,
            directives.c.code,
            directives.c.subject,
            directives.c.office_code,
            directives.c.date,
            directives.c.template_id,
            directives.c.withdrawn_at,
            counts.c.state,
            counts.c.n,
        )
        .join(counts, counts.c.directive_id == directives.c.id, isouter=True)
        .order_by(directives.c.id)
    ).mappings()
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row["id"],
            {
                "id": row["id"],
                "code": row["code"],
                "subject": row["subject"],
                "office": row["office_code"],
                "date": row["date"],
                "template_id": row["template_id"],
                "withdrawn_at": row["withdrawn_at"],
                "states": {},
            },
        )
        if row["state"] is not None:
            entry["states"][row["state"]] = row["n"]
    return list(out.values())


def deliverable_of_task(conn: Connection, task_id: int) -> dict[str, Any]:
    row = (
        conn.execute(
            select(deliverables)
            .join(tasks, tasks.c.deliverable_id == deliverables.c.id)
            .where(tasks.c.id == task_id)
        )
        .mappings()
        .one()
    )
    return dict(row)


def deliverables_of(conn: Connection, directive_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(deliverables)
        .where(deliverables.c.directive_id == directive_id)
        .order_by(deliverables.c.seq)
    ).mappings()
    return [dict(r) for r in rows]


def directive_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(directives)).scalar_one()


def add_occurrence(
    conn: Connection,
    directive_id: int,
    name: str,
    key: str,
    at: dt.datetime,
    actor: str,
    now: dt.datetime,
) -> bool:
    """Record an event of a directive; False when it was recorded already."""
    result = conn.execute(
        dialect_insert(conn, occurrences)
        .values(
            directive_id=directive_id,
            name=name,
            name_key=key,
            at=at,
            recorded_by=actor,
            recorded_at=now,
        )
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)
    )
    return result.rowcount == 1
