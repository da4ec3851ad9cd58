"""Directive chains read back: the tree a directive belongs to, and roll-up counts.

Linking happens when a directive is issued (``engine.issue``) and the roll-up's effect when
a task is reported (``engine.fire``); this module only reads.
"""

from __future__ import annotations

from typing import Any

import pendulum

from chidao import engine
from chidao.clock import aware
from chidao.store import Store
from chidao.store import chains as cstore
from chidao.store import directives as dstore
from chidao.store import org as ostore
from chidao.workflow import Template


def chain(store: Store, ref: str, now: pendulum.DateTime) -> dict[str, Any]:
    """The whole chain a directive belongs to, from its topmost ancestor down, any depth."""
    with store.read() as conn:
        start = dstore.resolve_directive(conn, ref)
        edges = cstore.links(conn)
        up = {e["child"]: e for e in edges}
        root, seen = start, {start}
        while root in up and up[root]["parent"] not in seen:
            root = up[root]["parent"]
            seen.add(root)
        below: dict[int, list[dict[str, Any]]] = {}
        for e in edges:
            below.setdefault(e["parent"], []).append(e)
        members, queue = [], [root]
        while queue:
            current = queue.pop(0)
            if current in members:
                continue
            members.append(current)
            queue.extend(e["child"] for e in below.get(current, []))
        rows = {d: dstore.get_directive(conn, d) for d in members}
        templates = {
            d: engine.workflow_of(store, conn, row.template_id).template for d, row in rows.items()
        }
        counts = _counts(cstore.progress(conn, members, now), templates)
        offices = ostore.office_names(conn)

    def node(directive_id: int, via: dict[str, Any] | None) -> dict[str, Any]:
        row, count = rows[directive_id], counts.get(directive_id, {})
        return {
            "id": directive_id,
            "label": row.label,
            "office": row.office,
            "office_name": offices.get(row.office, ""),
            "subject": row.subject,
            "date": row.date,
            "due": aware(count["due"]) if count.get("due") else None,
            "total": count.get("total", 0),
            "reported": count.get("reported", 0),
            "late": int(count.get("late") or 0),
            "selected": directive_id == start,
            "via": via,
            "children": [
                node(
                    e["child"],
                    {
                        "task_id": e["task"],
                        "unit": e["unit_code"],
                        "unit_name": e["unit_name"],
                        "state": e["state"],
                        "state_label": templates[directive_id].label(e["state"]),
                    },
                )
                for e in sorted(below.get(directive_id, []), key=lambda e: e["child"])
                if e["child"] in rows
            ],
        }

    return node(root, None)


def _counts(
    grouped: list[dict[str, Any]], templates: dict[int, Template]
) -> dict[int, dict[str, Any]]:
    """Per directive: tasks, reported and late (open past due), by its template's rule."""
    out: dict[int, dict[str, Any]] = {}
    for r in grouped:
        entry = out.setdefault(r["directive_id"], {"total": 0, "reported": 0, "late": 0})
        category = templates[r["directive_id"]].category(r["state"])
        entry["total"] += r["n"]
        entry["reported"] += r["n"] if category == "reported" else 0
        entry["late"] += int(r["past_due"] or 0) if category in ("open", "overdue") else 0
        if r["due"] is not None and (entry.get("due") is None or r["due"] > entry["due"]):
            entry["due"] = r["due"]
    return out


def task_children(store: Store, task_id: int) -> tuple[int, int] | None:
    """How the directives answering this task stand: (tasks, reported), or None."""
    with store.read() as conn:
        return cstore.children_counts(conn, [task_id], dstore.reported_rule(conn)).get(task_id)
