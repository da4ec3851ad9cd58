"""The one error hierarchy of chidao.

Library code raises these with messages a clerk understands; ``cli.py`` alone turns them
into ``Error: …`` on stderr and exit status 1. The class docstring is the default message.
"""

from __future__ import annotations

from collections.abc import Sequence

from chidao.i18n import _


class ChidaoError(Exception):
    """Something went wrong."""

    # True when the message was built in the user's language already (from the error's
    # fields); otherwise it is English, and the command line translates it (i18n.message)
    translated = False

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(ChidaoError):
    """The input is not valid."""

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        # where, when it is known: the file, its line (from 1) and the field ("deadlines[2]")
        self.file, self.line, self.field = file, line, field


class OutOfRange(InputError):
    """A number, date or id is outside what chidao accepts."""


class TemplateError(InputError):
    """The workflow template is not valid."""

    def __init__(self, message: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [self.message]


class NotFound(ChidaoError):
    """Not found."""

    def __init__(
        self, message: str | None = None, *, kind: str | None = None, key: object = None
    ) -> None:
        super().__init__(message)
        self.kind, self.key = kind, key  # what was looked for ("task", "unit" …) and by what


class TransitionRefused(ChidaoError):
    """That transition is not allowed."""

    def __init__(
        self,
        message: str | None = None,
        *,
        task: int | None = None,
        state: str | None = None,
        trigger: str | None = None,
        role: str | None = None,
        allowed: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.task, self.state, self.trigger, self.role = task, state, trigger, role
        self.allowed = allowed

    @classmethod
    def not_allowed(
        cls,
        *,
        task: int | None,
        state: str,
        label: str,
        trigger: str,
        role: str,
        allowed: Sequence[str],
        meant_for: Sequence[str] = (),
    ) -> TransitionRefused:
        """``trigger`` may not fire from ``state`` (labelled ``label``) for ``role``; with
        ``meant_for``, it may, but only for those roles. The message is built here, once,
        in the current language."""
        if meant_for:
            why = _("{trigger!r} is for the {who_may}, not the {role}").format(
                trigger=trigger, who_may=" or ".join(meant_for), role=role
            )
        else:
            why = _("{trigger!r} is not allowed from here").format(trigger=trigger)
        text = _("{what} is «{label}» ({state}): {why}; allowed for {role}: {allowed}").format(
            what=_what(task),
            label=label,
            state=state,
            why=why,
            role=role,
            allowed=", ".join(allowed) or _("none"),
        )
        refused = cls(
            text, task=task, state=state, trigger=trigger, role=role, allowed=tuple(allowed)
        )
        refused.translated = True
        return refused

    @classmethod
    def unknown_trigger(
        cls,
        *,
        task: int | None,
        workflow: str,
        state: str,
        trigger: str,
        role: str,
        known: Sequence[str],
    ) -> TransitionRefused:
        """``trigger`` is not a trigger of ``workflow`` at all."""
        text = _("{what}: workflow {name!r} has no trigger {trigger!r} (it has: {known})").format(
            what=_what(task), name=workflow, trigger=trigger, known=", ".join(known) or _("none")
        )
        refused = cls(text, task=task, state=state, trigger=trigger, role=role)
        refused.translated = True
        return refused


def _what(task: int | None) -> str:
    return _("task {id}").format(id=task) if task is not None else "task"


class ConcurrentChange(ChidaoError):
    """Someone else changed this task in the meantime; reload and try again."""

    def __init__(self, message: str | None = None, *, task: int | None = None) -> None:
        super().__init__(message)
        self.task = task


class DuplicateDirective(ChidaoError):
    """This directive has already been issued."""


class ParseError(InputError):
    """The document could not be read."""


class DatabaseError(ChidaoError):
    """The database cannot be used."""


class UnreadableRecord(DatabaseError):
    """A record stored in the database cannot be read (it was changed outside chidao)."""


class DatabaseBusy(DatabaseError):
    """The database stayed busy (other writers, or conflicting changes); nothing was written."""


class BadRows(InputError):
    """A spreadsheet has rows that cannot be imported; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0])
        self.problems = problems


class BadFile(InputError):
    """A file has problems; nothing was loaded."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0])
        self.problems = problems


class ChainBroken(ChidaoError):
    """The audit chain does not hold: an event was changed, removed or inserted."""
