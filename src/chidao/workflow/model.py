"""A workflow template as chidao holds it: states, transitions, the escalation ladder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chidao.calendar import Duration

ROLES = ("recipient", "office", "system")
TARGETS = (
    "level_contact",
    "signer",
    "signer.principal",
    "office_head",
    "parent_body",
    "recipient",
)
PREVIOUS = "previous"  # a transition's dest: back to the state the task was in before this one
WAITING = ("due", "receipt")  # what a rung chases: a due (default), or an unacknowledged receipt


@dataclass(frozen=True)
class State:
    name: str
    label: str
    label_en: str
    final: bool = False
    reported: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    by: tuple[str, ...]
    label: str
    label_en: str = ""  # empty: the template gives no English, the label is shown


@dataclass(frozen=True)
class Rung:
    """One step of the escalation ladder: ``after`` working days past due (negative: before
    it), to whom. A rung ``waiting: receipt`` chases a task whose receipt is still not
    acknowledged ``after`` working days after the directive was issued."""

    after: int
    to: str
    kind: str
    waiting: str = "due"
    kind_en: str = ""  # empty: the template gives no English, the kind is shown

    @property
    def before_due(self) -> bool:
        return self.waiting == "due" and self.after < 0


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...]
    default_deadline: Duration
    grace: Duration
    escalation: tuple[Rung, ...]
    receipt: str = "automatic"
    on_children_reported: str = "nothing"
    description: str = ""
    # how far ahead the sweep creates the next period's tasks of a recurring deadline
    ahead: Duration = Duration(7, "days")

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    def label(self, name: str, lang: str = "vi") -> str:
        try:
            state = self.state(name)
        except KeyError:
            return name
        return state.label_en if lang == "en" else state.label

    def trigger_label(self, trigger: str, lang: str = "vi") -> str:
        """What a person reads for a trigger ("Gửi báo cáo", in English "Send the report"),
        or the trigger itself; English falls back to the Vietnamese label."""
        found = next((t for t in self.transitions if t.trigger == trigger and t.label), None)
        if found is None:
            return trigger
        return found.label_en if lang == "en" and found.label_en else found.label

    def kind_label(self, kind: str, lang: str = "vi") -> str:
        """An escalation kind as a person reads it ("nhắc nhở", in English "reminder")."""
        return kind_words(self.escalation, lang).get(kind, kind)

    def category(self, name: str) -> str:
        """What a state means to every count in chidao: ``reported`` (the school's report is
        in), ``overdue`` (open and past its due), ``closed`` (final, nothing more expected)
        or ``open``. This is the one rule; nothing re-derives it from columns."""
        try:
            state = self.state(name)
        except KeyError:
            return "open"
        if state.reported:
            return "reported"
        if state.overdue:
            return "overdue"
        return "closed" if state.final else "open"

    def states_in(self, *categories: str) -> tuple[str, ...]:
        return tuple(s.name for s in self.states if self.category(s.name) in categories)

    @property
    def reported_states(self) -> tuple[str, ...]:
        return self.states_in("reported")

    @property
    def closed_states(self) -> tuple[str, ...]:
        """Reported or final: nothing is chased, extended or counted late there."""
        return tuple(s.name for s in self.states if s.reported or s.final)

    @property
    def overdue_state(self) -> str | None:
        return next((s.name for s in self.states if s.overdue), None)

    @property
    def overdue_triggers(self) -> tuple[str, ...]:
        """The system's triggers into the overdue state: what the sweep fires."""
        return tuple(
            dict.fromkeys(
                t.trigger
                for t in self.transitions
                if t.dest == self.overdue_state and "system" in t.by
            )
        )

    def system_trigger_to(self, state: str) -> str | None:
        """The system trigger that moves a task to ``state`` (on_children_reported)."""
        return next(
            (t.trigger for t in self.transitions if t.dest == state and "system" in t.by), None
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "states": [s.__dict__ for s in self.states],
            "initial": self.initial,
            "receipt": self.receipt,
            "transitions": [
                _without_empty(
                    {**t.__dict__, "sources": list(t.sources), "by": list(t.by)}, "label_en"
                )
                for t in self.transitions
            ],
            "default_deadline": self.default_deadline.__dict__,
            "grace": self.grace.__dict__,
            "escalation": [_without_empty(r.__dict__, "kind_en") for r in self.escalation],
            "on_children_reported": self.on_children_reported,
            "ahead": self.ahead.__dict__,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Template:
        return cls(
            name=data["name"],
            title=data["title"],
            description=data.get("description", ""),
            states=tuple(State(**s) for s in data["states"]),
            initial=data["initial"],
            receipt=data.get("receipt", "automatic"),
            transitions=tuple(
                Transition(
                    trigger=t["trigger"],
                    sources=tuple(t["sources"]),
                    dest=t["dest"],
                    by=tuple(t["by"]),
                    label=t["label"],
                    label_en=t.get("label_en", ""),  # older snapshots have none
                )
                for t in data["transitions"]
            ),
            default_deadline=Duration(**data["default_deadline"]),
            grace=Duration(**data["grace"]),
            escalation=tuple(Rung(**r) for r in data["escalation"]),
            on_children_reported=data.get("on_children_reported", "nothing"),
            ahead=Duration(**data.get("ahead", {"amount": 7, "unit": "days"})),
        )

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _without_empty(fields: dict[str, Any], key: str) -> dict[str, Any]:
    """A snapshot leaves out an English word the template does not give, so that a
    template without one keeps the snapshot (and content hash) it always had."""
    return {k: v for k, v in fields.items() if k != key or v}


def kind_words(rungs: Iterable[Rung], lang: str) -> dict[str, str]:
    """Each escalation kind of ``rungs`` as read in ``lang`` (Vietnamese: as written)."""
    return {r.kind: (r.kind_en if lang == "en" and r.kind_en else r.kind) for r in rungs}
