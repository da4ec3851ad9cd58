"""A parsed template document checked, every problem at once ("file:line: message"), into a
``Template``; the keys and value types are the schema in ``schemas.workflow``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chidao import yamlio
from chidao.calendar import Duration, parse_duration
from chidao.errors import TemplateError
from chidao.workflow.model import (
    PREVIOUS,
    ROLES,
    TARGETS,
    WAITING,
    Rung,
    State,
    Template,
    Transition,
)

if TYPE_CHECKING:
    from chidao.schemas import Problem


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
    return Transition(
        trigger=trigger,
        sources=tuple(sources),
        dest=str(dest),
        by=_read_roles(spec, trigger, line, problems),
        label=str(spec.get("label") or trigger),
        label_en=str(spec.get("label_en") or ""),
    )


def _read_roles(spec: Any, trigger: str, line: int, problems: _Problems) -> tuple[str, ...]:
    """Who may fire a transition: one or more of ``ROLES``."""
    by = [str(b) for b in _as_list(spec.get("by"))]
    if not by or any(b not in ROLES for b in by):
        problems.add(
            line, f"transition {trigger!r}: 'by' must be among {', '.join(ROLES)}, not {by}"
        )
    return tuple(by)


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
