"""The README's examples run as written, so the documentation cannot drift.

A fenced block under ``<!-- example: NAME -->`` is a shell session: ``export`` sets a
variable, each ``chidao …`` line runs through the real CLI from the repository's root (globs
expanded as a shell would) and must succeed, and a comment line right under a command
(``#   Linked as …``) is a line that command prints, in English. A block under ``<!--
example: refused after the walk-through: ARGS -->`` holds the refusal of ``chidao ARGS``
after the walk-through, in Vietnamese then English, word for word. The screen captures are
checked by test_readme_screens.py, the command table by test_cli.py.
"""

from __future__ import annotations

import glob
import re
import shlex

import pytest
from conftest import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- example: (?P<name>[^>]+?) -->\n```\w*\n(?P<text>.*?)```\n", re.DOTALL)
EXAMPLES = {m["name"]: m["text"] for m in BLOCK.finditer(README.read_text(encoding="utf-8"))}
REFUSED = "refused after the walk-through: "


def _args(line: str) -> list[str]:
    """A command line's arguments after ``chidao``, globs expanded from the root."""
    words = shlex.split(line, comments=True)
    assert words[0] == "chidao", line
    out = []
    for word in words[1:]:
        matches = sorted(glob.glob(word, root_dir=ROOT)) if "*" in word else []
        out += matches or [word]
    return out


def _session(text: str, run, monkeypatch) -> None:
    """Run a block as a shell would, line by line (see the module's docstring)."""
    monkeypatch.chdir(ROOT)
    printed = None
    for line in text.splitlines():
        if line.startswith("export "):
            name, value = shlex.split(line, comments=True)[1].split("=", 1)
            monkeypatch.setenv(name, value)
        elif line.startswith("chidao "):
            result = run(*_args(line))
            assert result.exit_code == 0, f"{line}\n{result.output}"
            printed = result.output
        elif line.startswith("#") and printed is not None:
            assert line.lstrip("# ") in printed, f"README says {line!r}; it printed:\n{printed}"


def test_the_readme_has_its_examples():
    assert {"walk-through", "chain"} <= set(EXAMPLES)
    assert any(name.startswith(REFUSED) for name in EXAMPLES)


def test_the_walk_through_runs_and_refuses_as_the_readme_says(run, monkeypatch):
    monkeypatch.setenv("CHIDAO_LANG", "en")
    _session(EXAMPLES["walk-through"], run, monkeypatch)
    for name, text in EXAMPLES.items():
        if not name.startswith(REFUSED):
            continue
        args = shlex.split(name.removeprefix(REFUSED))
        for lang, expected in zip(("vi", "en"), text.splitlines(), strict=True):
            result = run("--lang", lang, *args)
            assert result.exit_code == 1
            assert result.output.strip() == expected


def test_the_chain_example_runs(run, monkeypatch):
    monkeypatch.setenv("CHIDAO_LANG", "en")
    monkeypatch.setenv("CHIDAO_SIMULATION", "1")  # exported by the walk-through above it
    _session(EXAMPLES["chain"], run, monkeypatch)


@pytest.mark.parametrize(
    "module", ["chidao.clock", "chidao.calendar", "chidao.lookup", "chidao.i18n"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    failed, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert failed == 0
    assert tried > 0, f"{module} has no example in its docstrings"
