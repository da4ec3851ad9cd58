"""The workflow template's schema: the keys of a template and the type of each value.

What needs the whole template (states that exist, a reachable graph, rungs in order, a
duration that reads) is checked by ``chidao.workflow``, which reports every problem at
once; this schema only makes sure those checks receive the types they expect.
"""

from __future__ import annotations

from typing import Annotated, Any

from chidao.schemas import FileModel
from chidao.schemas.types import Check, Flag, Text, fail, kind, one_or_many, whole
from chidao.schemas.types import text as up_to
from chidao.workflow import ROLES, TARGETS

Name = Annotated[str, up_to(64, required=True)]  # states and triggers: String(64) columns
ROLES_SCHEMA = {"type": "string", "enum": list(ROLES)}
TARGETS_SCHEMA = {"type": "string", "enum": list(TARGETS)}


def _duration(value: Any) -> Any:
    if value is None or (isinstance(value, int | str) and not isinstance(value, bool)):
        return value
    raise fail("must be a duration such as '10 working days', not {kind}", kind=kind(value))


Duration = Annotated[
    str | int,
    Check(
        _duration,
        {
            "anyOf": [
                {"type": "string", "examples": ["10 working days", "7 days", "48 hours"]},
                {"type": "integer", "minimum": 0, "description": "days"},
            ]
        },
    ),
]


def _state(value: Any) -> Any:
    """A state may be written as its label alone (``received: Đã nhận``) or left empty."""
    if value is None:
        return {}
    return {"label": value} if isinstance(value, str) else value


class StateSpec(FileModel):
    label: Text | None = None
    label_en: Text | None = None
    final: Flag = False
    reported: Flag = False
    overdue: Flag = False
    description: Text = ""


State = Annotated[
    StateSpec,
    Check(_state, {"anyOf": [{"type": "string"}, {"type": "null"}]}, inner=True),
]


class TransitionSpec(FileModel):
    trigger: Annotated[str | None, up_to(64)] = None
    source: Annotated[list[Name], one_or_many({"type": "string"})] = []
    dest: Annotated[str | None, up_to(64)] = None
    by: Annotated[list[Annotated[str, up_to(64)]], one_or_many(ROLES_SCHEMA)] = []
    label: Text | None = None
    label_en: Text | None = None


class RungSpec(FileModel):
    after: Annotated[int | None, whole(-366, 366)] = None
    to: Annotated[str | None, Check(up_to(32).func, TARGETS_SCHEMA)] = None
    kind: Annotated[str | None, up_to(200)] = None
    kind_en: Annotated[str | None, up_to(200)] = None
    waiting: Annotated[str | None, up_to(16)] = None


class DeadlineSpec(FileModel):
    default: Duration | None = None
    grace: Duration | None = None
    ahead: Duration | None = None


class WorkflowFile(FileModel):
    name: Annotated[str, up_to(128, required=True)]
    title: Annotated[str, up_to(500, required=True)]
    description: Text = ""
    states: dict[Name, State] | None = None
    initial: Annotated[str | None, up_to(64)] = None
    receipt: Annotated[str | None, up_to(64)] = None
    transitions: list[TransitionSpec] | None = None
    deadline: DeadlineSpec | None = None
    escalation: list[RungSpec] | None = None
    on_children_reported: Annotated[str | None, up_to(64)] = None
