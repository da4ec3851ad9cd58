"""The one error hierarchy of chidao.

Library code raises these with messages a clerk understands; ``cli.py`` alone turns them
into ``Error: …`` on stderr and exit status 1. The class docstring is the default message.
"""

from __future__ import annotations


class ChidaoError(Exception):
    """Something went wrong."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(ChidaoError):
    """The input is not valid."""


class OutOfRange(InputError):
    """A number, date or id is outside what chidao accepts."""


class TemplateError(InputError):
    """The workflow template is not valid."""

    def __init__(self, message: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [self.message]


class NotFound(ChidaoError):
    """Not found."""


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


class ConcurrentChange(ChidaoError):
    """Someone else changed this task in the meantime; reload and try again."""


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
