"""Workflow templates: YAML → validated ``Template`` → ONE ``transitions.Machine`` each.

A template declares the states a task moves through, the triggers that move it and who
may fire them (the recipient school, the office, or the system), the default deadline and
the escalation ladder. Validation reports every problem at once, each as "file:line:
message"; the keys and value types are the schema in ``schemas.workflow``. The machine is
built once per template (cached by content hash) and applied to a task only when a trigger
fires: one cursor object, attached to the machine once, takes the task's state, is
triggered, and yields the new state; no task ever owns a machine.

The steps live apart, as python-statemachine keeps its reader, model and factory:
``reader`` (files found and read), ``validate`` (a document checked into a template),
``model`` (the template itself) and ``machine`` (the one machine per template).
"""

from __future__ import annotations

from chidao.workflow.machine import Workflow, from_snapshot, workflow_for
from chidao.workflow.model import (
    PREVIOUS,
    ROLES,
    TARGETS,
    WAITING,
    Rung,
    State,
    Template,
    Transition,
    kind_words,
)
from chidao.workflow.reader import find_template, load_template, validate_files
from chidao.workflow.validate import template_from_yaml

__all__ = [
    "PREVIOUS",
    "ROLES",
    "TARGETS",
    "WAITING",
    "Rung",
    "State",
    "Template",
    "Transition",
    "Workflow",
    "find_template",
    "kind_words",
    "from_snapshot",
    "load_template",
    "template_from_yaml",
    "validate_files",
    "workflow_for",
]
