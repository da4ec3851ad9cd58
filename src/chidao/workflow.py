"""Workflow templates: YAML → validated ``Template`` → ONE ``transitions.Machine`` each.

A template declares the states a task moves through, the triggers that move it and who
may fire them (the recipient school, the office, or the system), the default deadline and
the escalation ladder. Validation reports every problem at once, each as "file:line:
message"; the keys and value types are the schema in ``schemas.workflow``. The machine is
built once per template (cached by content hash) and applied to a task only when a trigger
fires: one cursor object, attached to the machine once, takes the task's state, is
triggered, and yields the new state; no task ever owns a machine.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transitions import Machine, MachineError

from chidao import lookup, yamlio
from chidao.calendar import Duration, parse_duration
from chidao.errors import InputError, NotFound, TemplateError, TransitionRefused
from chidao.resources import workflow_dirs, workflow_files

if TYPE_CHECKING:
    from chidao.schemas import Problem

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


# ---------------------------------------------------------------------------- validation


@dataclass
class _Problems:
    source: str
    items: list[str] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        self.items.append(f"{self.source}:{line}: {message}")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _read_states(doc: Any, problems: _Problems) -> list[State]:
    raw = doc.get("states")
    if not isinstance(raw, dict) or not raw:
        problems.add(yamlio.line_of(doc, "states"), "'states' must be a mapping of state names")
        return []
    states = []
    for key, spec in raw.items():
        name = str(key)  # the schema read a number as its digits
        spec = spec if isinstance(spec, dict) else {"label": spec} if spec else {}
        if name == PREVIOUS:
            problems.add(
                yamlio.line_of(raw, key),
                f"{PREVIOUS!r} is reserved (dest: {PREVIOUS} sends a task back); rename the state",
            )
        label = spec.get("label") or name
        states.append(
            State(
                name=str(name),
                label=str(label),
                label_en=str(spec.get("label_en") or name.replace("_", " ")),
                final=spec.get("final") is True,
                reported=spec.get("reported") is True,
                overdue=spec.get("overdue") is True,
            )
        )
    overdue = [s.name for s in states if s.overdue]
    if len(overdue) > 1:
        problems.add(
            yamlio.line_of(raw), f"only one state may be 'overdue: true' (found {overdue})"
        )
    return states


def _read_transitions(doc: Any, names: set[str], problems: _Problems) -> list[Transition]:
    raw = doc.get("transitions")
    if not isinstance(raw, list) or not raw:
        problems.add(yamlio.line_of(doc, "transitions"), "'transitions' must be a non-empty list")
        return []
    seen: dict[tuple[str, str], int] = {}
    out = []
    for spec in raw:
        line = yamlio.line_of(spec)
        if not isinstance(spec, dict):
            problems.add(line or yamlio.line_of(raw), "each transition must be a mapping")
            continue
        found = _read_transition(spec, line, names, problems)
        if found is None:
            continue
        for source in found.sources:
            if (found.trigger, source) in seen:
                problems.add(
                    line,
                    f"duplicate trigger {found.trigger!r} from state {source!r} "
                    f"(already at line {seen[(found.trigger, source)]})",
                )
            seen[(found.trigger, source)] = line
        out.append(found)
    return out


def _read_transition(
    spec: Any, line: int, names: set[str], problems: _Problems
) -> Transition | None:
    trigger = spec.get("trigger")
    if not trigger or not isinstance(trigger, str) or not trigger.isidentifier():
        problems.add(line, f"transition needs a 'trigger' that is a plain name, not {trigger!r}")
        return None
    sources = [str(s) for s in _as_list(spec.get("source"))]
    if sources == ["*"]:
        sources = sorted(names)
    if not sources:
        problems.add(line, f"transition {trigger!r} has no 'source'")
    dest = spec.get("dest")
    for state in [*sources, *([] if dest == PREVIOUS else [dest])]:
        if state not in names:
            problems.add(line, f"transition {trigger!r} names unknown state {state!r}")
    by = [str(b) for b in _as_list(spec.get("by"))]
    if not by or any(b not in ROLES for b in by):
        problems.add(
            line, f"transition {trigger!r}: 'by' must be among {', '.join(ROLES)}, not {by}"
        )
    return Transition(
        trigger=trigger,
        sources=tuple(sources),
        dest=str(dest),
        by=tuple(by),
        label=str(spec.get("label") or trigger),
        label_en=str(spec.get("label_en") or ""),
    )


def _edges(names: set[str], transitions: list[Transition]) -> dict[str, set[str]]:
    """Where each state may lead; ``dest: previous`` leads back to any state that has a
    move into its source."""
    edges: dict[str, set[str]] = {name: set() for name in names}
    pairs = [(source, t.dest) for t in transitions for source in t.sources if source in edges]
    for source, dest in pairs:
        if dest in names:
            edges[source].add(dest)
    into = {name: {s for s, ds in edges.items() if name in ds} for name in names}
    for source, dest in pairs:
        if dest == PREVIOUS:
            edges[source] |= into[source] or {source}
    return edges


def _check_graph(
    doc: Any, states: list[State], initial: str, transitions: list[Transition], problems: _Problems
) -> None:
    names = {s.name for s in states}
    if initial not in names:
        return
    edges = _edges(names, transitions)
    reached, todo = {initial}, [initial]
    while todo:
        for nxt in edges[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    state_lines = doc["states"]
    for state in states:
        line = yamlio.line_of(state_lines, state.name)
        if state.name not in reached:
            problems.add(line, f"state {state.name!r} cannot be reached from {initial!r}")
        if not edges[state.name] and not state.final:
            problems.add(
                line, f"state {state.name!r} has no way out and is not marked 'final: true'"
            )


def _read_duration(node: Any, key: str, default: str, problems: _Problems) -> Duration:
    value = node.get(key, default) if isinstance(node, dict) else default
    try:
        return parse_duration(value)
    except ValueError as exc:
        problems.add(yamlio.line_of(node, key), f"deadline.{key}: {exc}")
        return parse_duration(default)


def _read_rung(spec: Any, number: int, line: int, problems: _Problems) -> Rung | None:
    after = spec.get("after")
    waiting = str(spec.get("waiting", "due"))
    if waiting not in WAITING:
        problems.add(
            yamlio.line_of(spec, "waiting"),
            f"escalation rung {number}: 'waiting' must be one of {', '.join(WAITING)}",
        )
        return None
    floor = 0 if waiting == "receipt" else -60
    if not isinstance(after, int) or isinstance(after, bool) or not floor <= after <= 366:
        problems.add(
            line,
            f"escalation rung {number}: 'after' must be whole working days"
            + (" ≥ 0 after issue" if waiting == "receipt" else " (negative: before the due)"),
        )
        return None
    target = spec.get("to")
    if target not in TARGETS:
        problems.add(
            yamlio.line_of(spec, "to"),
            f"escalation rung {number}: unknown target {target!r} "
            f"(expected one of: {', '.join(TARGETS)})",
        )
        return None
    return Rung(
        after=after,
        to=target,
        kind=str(spec.get("kind") or "nhắc nhở"),
        waiting=waiting,
        kind_en=str(spec.get("kind_en") or ("reminder" if not spec.get("kind") else "")),
    )


def _read_ladder(doc: Any, problems: _Problems) -> list[Rung]:
    raw = doc.get("escalation")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(yamlio.line_of(doc, "escalation"), "'escalation' must be a list of rungs")
        return []
    rungs: list[Rung] = []
    for number, spec in enumerate(raw, start=1):
        line = yamlio.line_of(spec) or yamlio.line_of(raw)
        if not isinstance(spec, dict):
            problems.add(line, f"escalation rung {number} must be a mapping")
            continue
        rung = _read_rung(spec, number, line, problems)
        if rung is None:
            continue
        earlier = [r for r in rungs if r.waiting == rung.waiting]
        if earlier and rung.after < earlier[-1].after:
            problems.add(
                line,
                f"escalation rung {number} (after {rung.after}) comes after a later rung "
                f"(after {earlier[-1].after}); list rungs in order",
            )
        rungs.append(rung)
    return rungs


def _read_children(doc: Any, transitions: list[Transition], problems: _Problems) -> str:
    """``on_children_reported``: nothing, or a state that a system transition reaches."""
    children = str(doc.get("on_children_reported", "nothing"))
    if children == "nothing":
        return children
    if not any(t.dest == children and "system" in t.by for t in transitions):
        problems.add(
            yamlio.line_of(doc, "on_children_reported"),
            f"on_children_reported: no transition 'by: system' reaches {children!r}; "
            "declare one (e.g. {trigger: collect, source: [...], dest: "
            f"{children}, by: system}}) or say 'nothing'",
        )
    return children


def _what(loc: tuple[str | int, ...]) -> tuple[str, type]:
    """How a template's messages name the part at ``loc``, and its schema model."""
    from chidao.schemas import workflow as spec

    if loc[:1] == ("states",) and len(loc) == 2:
        return f"state {loc[1]!r}", spec.StateSpec
    if loc[:1] == ("transitions",) and len(loc) == 2:
        return "transition", spec.TransitionSpec
    if loc[:1] == ("escalation",) and len(loc) == 2 and isinstance(loc[1], int):
        return f"escalation rung {loc[1] + 1}", spec.RungSpec
    if loc == ("deadline",):
        return "deadline", spec.DeadlineSpec
    return "the template", spec.WorkflowFile


def _schema_message(problem: Problem) -> str:
    from chidao.schemas import describe, fields_of

    if problem.type == "extra_forbidden":
        what, model = _what(problem.where)
        expected = ", ".join(sorted(fields_of(model)))
        return f"unknown key {problem.key!r} in {what} (expected one of: {expected})"
    if problem.type == "missing" and not problem.where:
        return f"{problem.key!r} is required"
    return describe(problem)


def _check_schema(doc: Any, problems: _Problems) -> None:
    """The template's keys and value types (``schemas.workflow``); a wrong type stops the
    checks here, since the ones that follow read those values."""
    from chidao.schemas import check
    from chidao.schemas import workflow as spec

    found = check(spec.WorkflowFile, doc)
    if not isinstance(found, list):
        return
    for problem in found:
        problems.add(problem.line or yamlio.line_of(doc), _schema_message(problem))
    if any(p.type != "extra_forbidden" for p in found):
        raise TemplateError(problems.items[0], problems.items)


def template_from_yaml(doc: Any, source: str) -> Template:
    """Validate a parsed template document; raise ``TemplateError`` listing every problem."""
    problems = _Problems(source)
    if not isinstance(doc, dict):
        raise TemplateError(problems=[f"{source}:1: a workflow template must be a YAML mapping"])
    _check_schema(doc, problems)
    states = _read_states(doc, problems)
    names = {s.name for s in states}
    initial = doc.get("initial")
    if not initial:
        problems.add(yamlio.line_of(doc), "no initial state: add 'initial: <state>'")
    elif initial not in names:
        problems.add(yamlio.line_of(doc, "initial"), f"initial state {initial!r} is not a state")
    transitions = _read_transitions(doc, names, problems)
    _check_graph(doc, states, str(initial), transitions, problems)
    triggers = {t.trigger for t in transitions}
    receipt = str(doc.get("receipt", "automatic"))
    if receipt != "automatic" and receipt not in triggers:
        problems.add(
            yamlio.line_of(doc, "receipt"),
            f"receipt must be 'automatic' or a trigger of this template, not {receipt!r}",
        )
    children = _read_children(doc, transitions, problems)
    deadline = doc.get("deadline") or {}
    default = _read_duration(deadline, "default", "10 working days", problems)
    grace = _read_duration(deadline, "grace", "0 days", problems)
    ahead = _read_duration(deadline, "ahead", "7 days", problems)
    ladder = _read_ladder(doc, problems)
    if receipt == "automatic" and any(r.waiting == "receipt" for r in ladder):
        problems.add(
            yamlio.line_of(doc, "escalation"),
            "a rung 'waiting: receipt' needs 'receipt: <trigger>' (receipt is automatic here)",
        )
    if problems.items:
        raise TemplateError(problems.items[0], problems.items)
    return Template(
        name=doc["name"],
        title=doc["title"],
        description=str(doc.get("description") or ""),
        states=tuple(states),
        initial=str(initial),
        transitions=tuple(transitions),
        default_deadline=default,
        grace=grace,
        escalation=tuple(ladder),
        receipt=receipt,
        on_children_reported=children,
        ahead=ahead,
    )


def load_template(path: str | Path) -> tuple[Template, str]:
    """Read and validate one template file; return it with its source text."""
    path = Path(path)
    doc = yamlio.load(path)
    return template_from_yaml(doc, str(path)), path.read_text(encoding="utf-8")


def find_template(ref: str) -> tuple[Template, str]:
    """A template by file path, or by name in the workflow folders (``resources``)."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_template(path)
    for folder in workflow_dirs():
        for candidate in (folder / f"{ref}.yaml", folder / f"{ref}.yml"):
            if candidate.is_file():
                return load_template(candidate)
    known = workflow_files()
    found = lookup.find(ref, {name: name for name in known})
    if found is not None:  # "Bao-Cao", "bao cao"… as people type it
        return load_template(known[found])
    raise NotFound(
        f"unknown workflow {ref!r}: no {ref}.yaml in "
        + ", ".join(str(d) for d in dict.fromkeys(workflow_dirs()))
        + lookup.hint(ref, list(known))
    )


def validate_files(paths: Iterable[str | Path]) -> list[str]:
    """Every problem in every file, as "file:line: message" lines."""
    problems: list[str] = []
    for path in paths:
        try:
            load_template(path)
        except TemplateError as exc:
            problems.extend(exc.problems)
        except InputError as exc:
            problems.append(exc.message)
    return problems


# ---------------------------------------------------------------------------- the machine


class _Cursor:
    """Stands in for whichever task a trigger is applied to; never stored.

    It is attached to the machine once; before each trigger it takes the task's state.
    """

    def __init__(self) -> None:
        self.state = ""


class Workflow:
    """A template with its single ``transitions.Machine``.

    The machine decides every move of every task: one at a time through ``apply`` (a
    trigger fired on some tasks), or compiled into ``moves`` (source → dest for a trigger
    and role) that the store turns into one set-based ``CASE`` over many tasks. A ``dest:
    previous`` transition is an internal one in the machine; the task's ``prev_state``
    column supplies the state it returns to.
    """

    def __init__(self, template: Template) -> None:
        self.template = template
        self._cursor = _Cursor()
        self._lock = threading.Lock()
        self.machine = Machine(
            model=self._cursor,
            states=[s.name for s in template.states],
            initial=template.initial,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.sources),
                    "dest": None if t.dest == PREVIOUS else t.dest,
                }
                for t in template.transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        self._by = {(t.trigger, source): t.by for t in template.transitions for source in t.sources}
        self._dest = {
            (t.trigger, source): t.dest for t in template.transitions for source in t.sources
        }
        # what the machine answered for (state, trigger): it has no conditions or callbacks,
        # so its answer never changes, and a fire asks it once per pair, not once per task
        self._decided: dict[tuple[str, str], str] = {}

    def allowed(self, state: str, role: str | None = None) -> list[str]:
        """Triggers that may fire from ``state`` (by ``role`` when given)."""
        return [
            trigger
            for trigger in self.machine.get_triggers(state)
            if role is None or role in self._by.get((trigger, state), ())
        ]

    def who_may(self, trigger: str, state: str) -> tuple[str, ...]:
        return self._by.get((trigger, state), ())

    def triggers_for(self, role: str) -> list[str]:
        """Every trigger ``role`` may fire from some state."""
        return list(dict.fromkeys(t.trigger for t in self.template.transitions if role in t.by))

    def moves(self, trigger: str, role: str) -> dict[str, str]:
        """``trigger`` fired by ``role``, compiled: source state → dest (or ``previous``).

        Each pair is checked by the machine itself, so the set-based statements built
        from it move tasks exactly as ``apply`` would, one by one."""
        found = {}
        for (name, source), dest in self._dest.items():
            if name == trigger and role in self._by[(name, source)]:
                self.apply(source, trigger, role)  # the machine agrees, or this raises
                found[source] = dest
        return found

    def apply(
        self,
        state: str,
        trigger: str,
        role: str,
        what: str = "task",
        previous: str | None = None,
    ) -> str:
        """The state after ``trigger`` fires from ``state`` for ``role``; or refuse.

        ``previous`` is the state the task was in before ``state`` (its ``prev_state``),
        for a ``dest: previous`` transition; without it such a move returns ``previous``.
        """
        if trigger not in self.machine.events:
            known = ", ".join(sorted(self.machine.events)) or "none"
            raise TransitionRefused(
                f"{what}: workflow {self.template.name!r} has no trigger {trigger!r} "
                f"(it has: {known})",
                state=state,
                trigger=trigger,
                role=role,
            )
        dest = self._decided.get((state, trigger))
        if dest is None:
            with self._lock:
                self._cursor.state = state
                try:
                    self._cursor.trigger(trigger)  # type: ignore[attr-defined]  # by the Machine
                except MachineError as err:
                    raise self._refused(what, state, trigger, role, "") from err
                dest = self._decided[(state, trigger)] = self._cursor.state
        if role not in self.who_may(trigger, state):
            return self._raise_role(what, state, trigger, role)
        if self._dest.get((trigger, state)) == PREVIOUS:
            return previous or PREVIOUS
        return dest

    def _refused(
        self, what: str, state: str, trigger: str, role: str, why: str
    ) -> TransitionRefused:
        allowed = self.allowed(state, role)
        label = self.template.label(state)
        return TransitionRefused(
            f"{what} is «{label}» ({state}): "
            + (why or f"{trigger!r} is not allowed from here")
            + f"; allowed for {role}: {', '.join(allowed) or 'none'}",
            state=state,
            trigger=trigger,
            role=role,
            allowed=tuple(allowed),
        )

    def _raise_role(self, what: str, state: str, trigger: str, role: str) -> str:
        raise self._refused(
            what,
            state,
            trigger,
            role,
            f"{trigger!r} is for the {' or '.join(self.who_may(trigger, state))}, not the {role}",
        )


@lru_cache(maxsize=64)
def from_snapshot(content_hash: str, spec: str) -> Workflow:
    """The one shared ``Workflow`` (and machine) for a stored template snapshot.

    Cached by content hash: every task of every instance issued with this exact template
    shares one machine, however many tasks there are.
    """
    return Workflow(Template.from_json(json.loads(spec)))


def workflow_for(template: Template) -> Workflow:
    """The shared ``Workflow`` for a template loaded from YAML."""
    return from_snapshot(template.content_hash, json.dumps(template.to_json(), sort_keys=True))
