"""Shared fixtures: a fresh database per test on each backend, a frozen clock, the example org.

Every test that asks for ``db_url``, ``store`` or ``run`` runs twice: ``[sqlite]`` on a new
file and ``[postgresql]`` on a new database of a throwaway server that this session starts
(``tests/pgserver.py``) and removes at the end. ``CHIDAO_TEST_BACKENDS=sqlite`` (or
``--backends sqlite``) restricts the run for a quick local check; the default is both.
A test that is about SQLite files only is marked ``@pytest.mark.sqlite_only``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
from click.testing import CliRunner
from pgserver import PgServer, PostgresMissing

from chidao import engine
from chidao.cli import cli
from chidao.clock import TZ
from chidao.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WORKFLOWS = ROOT / "workflows"
TEMPLATES = Path(__file__).resolve().parent / "templates"
ISSUED = pendulum.datetime(2024, 3, 25, 8, tz=TZ)

# Every database the tests make is a simulation (writes take --now); processes the tests
# start inherit it. Tests of live databases say simulation=False or unset it.
os.environ["CHIDAO_SIMULATION"] = "1"
# Messages are asserted word for word in English, the language of the code; the Vietnamese
# that users see by default is tested in test_i18n.py (and where a test says --lang vi).
os.environ["CHIDAO_LANG"] = "en"


BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=os.environ.get("CHIDAO_TEST_BACKENDS", ",".join(BACKENDS)),
        help="comma-separated database backends to test (env CHIDAO_TEST_BACKENDS; "
        "default: sqlite,postgresql)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test is about SQLite files; skipped on PostgreSQL"
    )
    chosen = [b.strip() for b in config.getoption("--backends").split(",") if b.strip()]
    unknown = set(chosen) - set(BACKENDS)
    if unknown or not chosen:
        raise pytest.UsageError(f"--backends: choose among {', '.join(BACKENDS)}")
    config.chidao_backends = chosen  # type: ignore[attr-defined]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", metafunc.config.chidao_backends, indirect=True)


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session, stopped and removed at its end."""
    if "postgresql" not in pytestconfig.chidao_backends:  # type: ignore[attr-defined]
        pytest.skip("PostgreSQL is not among the backends under test (--backends)")
    try:
        server = PgServer()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name = request.param
    if name != "sqlite" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about SQLite files only")
    return name


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The address of a new, empty database on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'chidao.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.new_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def dien_bien(store: Store) -> Store:
    engine.load_org_file(store, EXAMPLES / "org-dien-bien.yaml", "tp-dien-bien")
    return store


@pytest.fixture
def issued(dien_bien: Store):
    from chidao.directive import load_directive

    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    return engine.issue(dien_bien, directive, "bao-cao", ISSUED, "tung-nt")


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):
    """Run the real CLI in-process against the test database."""
    monkeypatch.delenv("CHIDAO_NOW", raising=False)
    monkeypatch.delenv("CHIDAO_USER", raising=False)
    monkeypatch.setenv("CHIDAO_DB", db_url)
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
