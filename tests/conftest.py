"""Shared fixtures: a fresh SQLite file per test, a frozen clock, the example org."""

from __future__ import annotations

import shutil
from pathlib import Path

import pendulum
import pytest
from click.testing import CliRunner

from chidao import engine
from chidao.cli import cli
from chidao.clock import TZ
from chidao.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WORKFLOWS = ROOT / "workflows"
TEMPLATES = Path(__file__).resolve().parent / "templates"
ISSUED = pendulum.datetime(2024, 3, 25, 8, tz=TZ)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chidao.db"


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store.open(f"sqlite:///{db_path}")
    yield s
    s.close()


@pytest.fixture
def dien_bien(store: Store) -> Store:
    engine.load_org_file(store, EXAMPLES / "org-dien-bien.yaml")
    return store


@pytest.fixture
def issued(dien_bien: Store):
    from chidao.directive import load_directive

    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    return engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt")


@pytest.fixture
def run(db_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the real CLI in-process against the test database."""
    monkeypatch.delenv("CHIDAO_NOW", raising=False)
    monkeypatch.delenv("CHIDAO_USER", raising=False)
    monkeypatch.setenv("CHIDAO_DB", f"sqlite:///{db_path}")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped workflows."""
    target = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, target)
    return target
