"""Input checked at the door: one pydantic model per kind of file chidao reads.

``directive`` (a structured directive, and the parser's output), ``org`` (offices, people,
units) and ``workflow`` (templates) each declare their fields, types and ranges once; the
same models export the JSON Schemas shipped beside this file for editors
(``python -m chidao.schemas`` writes them again). ``check`` validates a document read by
``yamlio`` and turns pydantic's errors into chidao's lines, "file:line: field.path:
what is wrong", lines counted from the YAML, list positions counted from 1.

Nothing here is imported until a file is read, so commands that read none start fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chidao import yamlio
from chidao.errors import InputError
from chidao.schemas.types import kind

HERE = Path(__file__).resolve().parent
M = TypeVar("M", bound=BaseModel)


class FileModel(BaseModel):
    """A mapping of a chidao file: unknown keys are refused, values are checked by type."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a document: where (line, path) and what."""

    line: int
    loc: tuple[str | int, ...]
    type: str
    message: str
    value: Any

    @property
    def key(self) -> str | int | None:
        """The key a missing or unknown field error is about."""
        return self.loc[-1] if self.type in ("missing", "extra_forbidden") and self.loc else None

    @property
    def where(self) -> tuple[str | int, ...]:
        """The loc of the value the message is about (the parent, for a key error)."""
        return self.loc[:-1] if self.key is not None else self.loc


def path(loc: Sequence[str | int]) -> str:
    """``deadlines[2].relative.amount``; list positions from 1, as a clerk counts."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line(doc: Any, loc: Sequence[str | int], kind_of: str) -> int:
    """The line of the value at ``loc``; 0 (none) for a problem of the whole file."""
    if not loc or (kind_of == "missing" and len(loc) == 1):
        return 0
    node, line = doc, yamlio.line_of(doc)
    for part in loc:
        if isinstance(node, dict) and not isinstance(part, int) and part in node:
            line, node = yamlio.line_of(node, part) or line, node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line, node = yamlio.line_of(node, part) or line, node[part]
        else:
            break
    return line


_TYPES = {
    "string_type": "must be text, not {kind}",
    "list_type": "must be a list, not {kind}",
    "dict_type": "must be a mapping of fields, not {kind}",
    "model_type": "must be a mapping of fields, not {kind}",
    "model_attributes_type": "must be a mapping of fields, not {kind}",
    "int_type": "must be a whole number, not {kind}",
    "bool_type": "must be true or false, not {kind}",
    "date_type": "must be a date, not {kind}",
}


def _message(error: dict[str, Any]) -> str:
    kind_of = error["type"]
    loc = error["loc"]
    if kind_of == "missing":
        return f"required field {loc[-1]!r} is missing"
    if kind_of == "extra_forbidden":
        return f"unknown field {loc[-1]!r}"
    if kind_of in _TYPES:
        return _TYPES[kind_of].format(kind=kind(error.get("input")))
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problems(exc: ValidationError, doc: Any) -> list[Problem]:
    """Every error of a validation, in the order of the file's lines."""
    found = [
        Problem(
            line=_line(doc, error["loc"], error["type"]),
            loc=tuple(error["loc"]),
            type=error["type"],
            message=_message(dict(error)),
            value=error.get("input"),
        )
        for error in exc.errors(include_url=False)
    ]
    return sorted(found, key=lambda p: p.line)


def line_of_problem(source: str, problem: Problem, describe: Callable[[Problem], str]) -> str:
    line = f"{source}:{problem.line}" if problem.line else source
    return f"{line}: {describe(problem)}"


def problem_error(source: str, problem: Problem, describe: Callable[[Problem], str]) -> InputError:
    """The error for a document's first problem: its message, and where as fields."""
    return InputError(
        line_of_problem(source, problem, describe),
        file=source,
        line=problem.line or None,
        field=path(problem.where) or None,
    )


def describe(problem: Problem) -> str:
    """The plain style: "field.path: message" (the path is left out at the top)."""
    where = path(problem.where)
    return f"{where}: {problem.message}" if where else problem.message


def check(model: type[M], doc: Any) -> M | list[Problem]:
    """The validated model, or what is wrong with ``doc``."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        return problems(exc, doc)
    except RecursionError:
        return [Problem(0, (), "nesting", "lists and mappings nest too deeply", None)]


def fields_of(model: type[BaseModel]) -> list[str]:
    """The keys a model reads, as written in files (aliases included)."""
    return [f.alias or name for name, f in model.model_fields.items()]


# ---------------------------------------------------------------------------- JSON Schemas


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each kind of file, as shipped for editors."""
    from chidao.schemas.directive import DirectiveFile
    from chidao.schemas.org import OrgFile
    from chidao.schemas.workflow import WorkflowFile

    out = {}
    for name, model in (("directive", DirectiveFile), ("org", OrgFile), ("workflow", WorkflowFile)):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://chidao.invalid/schemas/{name}.schema.json"
        out[name] = schema
    return out


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_json_schemas(folder: Path = HERE) -> list[Path]:
    written = []
    for name, schema in json_schemas().items():
        target = folder / f"{name}.schema.json"
        target.write_text(schema_text(schema), encoding="utf-8")
        written.append(target)
    return written
