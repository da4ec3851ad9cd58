"""Template files: read (``yamlio``), validated, and found by path or by name."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chidao import lookup, yamlio
from chidao.errors import InputError, NotFound, TemplateError
from chidao.resources import workflow_dirs, workflow_files
from chidao.workflow.model import Template
from chidao.workflow.validate import template_from_yaml


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
