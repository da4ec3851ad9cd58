"""ONE ``transitions.Machine`` per template, applied to a task only when a trigger fires."""

from __future__ import annotations

import json
import threading
from functools import lru_cache

from transitions import Machine, MachineError

from chidao.errors import TransitionRefused
from chidao.workflow.model import PREVIOUS, Template


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
        task: int | None = None,
        previous: str | None = None,
    ) -> str:
        """The state after ``trigger`` fires from ``state`` for ``role``; or refuse.

        ``task`` names the task in a refusal. ``previous`` is the state the task was in
        before ``state`` (its ``prev_state``), for a ``dest: previous`` transition; without
        it such a move returns ``previous``.
        """
        if trigger not in self.machine.events:
            raise TransitionRefused.unknown_trigger(
                task=task,
                workflow=self.template.name,
                state=state,
                trigger=trigger,
                role=role,
                known=sorted(self.machine.events),
            )
        dest = self._decided.get((state, trigger))
        if dest is None:
            with self._lock:
                self._cursor.state = state
                try:
                    self._cursor.trigger(trigger)  # type: ignore[attr-defined]  # by the Machine
                except MachineError as err:
                    raise self._refused(task, state, trigger, role) from err
                dest = self._decided[(state, trigger)] = self._cursor.state
        if role not in self.who_may(trigger, state):
            raise self._refused(task, state, trigger, role, self.who_may(trigger, state))
        if self._dest.get((trigger, state)) == PREVIOUS:
            return previous or PREVIOUS
        return dest

    def _refused(
        self,
        task: int | None,
        state: str,
        trigger: str,
        role: str,
        meant_for: tuple[str, ...] = (),
    ) -> TransitionRefused:
        return TransitionRefused.not_allowed(
            task=task,
            state=state,
            label=self.template.label(state),
            trigger=trigger,
            role=role,
            allowed=self.allowed(state, role),
            meant_for=meant_for,
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
