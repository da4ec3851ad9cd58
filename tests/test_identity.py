"""Who acts: person and unit logins on PostgreSQL, held by the server's row-level security.

Two offices (pgd-a, pgd-b) with two schools each, on a database owned by ``ident_owner``
(who may create roles) with ``ident_app`` granted by ``chidao db grant``. Each person and
school connects as its own login (``chidao user add``); what it sees and changes is checked
through chidao and through raw SQL on its own connection. SQLite has no logins: ``whoami``
resolves ``--as`` there, and ``user add`` says so in one line.
"""

from __future__ import annotations

import contextlib
import getpass
import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

from chidao.cli import cli
from chidao.store import Store, migrate, policies

OWNER, APP, PASSWORD = "ident_owner", "ident_app", "mật-khẩu 1"
ORG = """\
offices:
  - code: pgd-a
    name: Phòng Giáo dục và Đào tạo A
    kind: Phòng GD&ĐT
    people:
      - {id: lead-a, name: Nguyễn Văn An, position: Trưởng phòng, head: true}
      - {id: cv-a, name: Cù Thị Ánh, position: Chuyên viên, reports_to: lead-a, levels: [MN]}
    units:
      - {code: mn-a1, name: Trường Mầm non A1, levels: [MN]}
      - {code: mn-a2, name: Trường Mầm non A2, levels: [MN]}
  - code: pgd-b
    name: Phòng Giáo dục và Đào tạo B
    kind: Phòng GD&ĐT
    people:
      - {id: lead-b, name: Trần Thị Bình, position: Trưởng phòng, head: true}
    units:
      - {code: mn-b1, name: Trường Mầm non B1, levels: [MN]}
      - {code: mn-b2, name: Trường Mầm non B2, levels: [MN]}
"""
DIRECTIVE = """\
office: {office}
number: "{number}"
symbol: PGDĐT-GDMN
date: 2024-03-20
subject: báo cáo công tác bán trú của {office}
recipient_levels: [MN]
deadlines:
  - {{item: "1", due: 2024-04-01T00:00:00+07:00}}
"""
ISSUE_AT = "21/03/2024 08:00"


class Server:
    """One database on the session's server, and the CLI run as any of its roles."""

    def __init__(self, pg_server, name: str, folder: Path) -> None:
        self.pg, self.name, self.folder = pg_server, name, folder
        self.logins: list[str] = []
        self.password_file = folder / "password.txt"
        self.password_file.write_text(PASSWORD + "\n", encoding="utf-8")

    def url(self, role: str, password: str | None = None) -> str:
        return self.pg.url(self.name, role, password)

    def run(self, *args: str, role: str = APP, input: str | None = None):
        """The real CLI, connected as ``role`` (a login with its password)."""
        url = self.url(role, PASSWORD if role in self.logins else None)
        return CliRunner().invoke(cli, ["--db", url, *args], input=input, catch_exceptions=False)

    def json(self, *args: str, role: str = APP):
        result = self.run(*args, "--json", role=role)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def add(self, *idents: str) -> None:
        for ident in idents:
            self.logins.append(ident)
            result = self.run("user", "add", ident, "--password-file", str(self.password_file))
            assert result.exit_code == 0, result.output

    @contextlib.contextmanager
    def sql(self, role: str):
        """A raw psycopg connection as ``role``, rolled back at the end."""
        password = PASSWORD if role in self.logins else None
        with psycopg.connect(
            host="127.0.0.1", port=self.pg.port, user=role, password=password, dbname=self.name
        ) as conn:
            yield conn
            conn.rollback()

    def directive_file(self, office: str, number: str) -> str:
        path = self.folder / f"{office}-{number}.yaml"
        path.write_text(DIRECTIVE.format(office=office, number=number), encoding="utf-8")
        return str(path)


@pytest.fixture
def server(pg_server, tmp_path, monkeypatch):
    """A new database owned by ident_owner, ident_app granted, the two offices loaded."""
    with pg_server.admin() as conn:
        for role, powers in ((OWNER, "LOGIN CREATEROLE"), (APP, "LOGIN")):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f"CREATE ROLE {role} {powers}")
    name = pg_server.new_database()
    with pg_server.admin() as conn:
        conn.execute(f"ALTER DATABASE {name} OWNER TO {OWNER}")
    srv = Server(pg_server, name, tmp_path)
    for variable in ("CHIDAO_USER", "CHIDAO_NOW", "CHIDAO_DB"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CHIDAO_DB_OWNER", srv.url(OWNER))
    assert srv.run("db", "upgrade").exit_code == 0
    assert srv.run("db", "grant", APP).exit_code == 0
    org = tmp_path / "org.yaml"
    org.write_text(ORG, encoding="utf-8")
    assert srv.run("org", "load", str(org), "--as", "lead-a").exit_code == 0
    yield srv
    pg_server.drop_database(name)
    with pg_server.admin() as conn:  # the logins are the cluster's: drop them with the test
        for role in dict.fromkeys(srv.logins):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _issue_both(server: Server) -> dict[str, int]:
    """lead-a issues directive 12 of pgd-a, lead-b directive 34 of pgd-b: two tasks each."""
    server.add("lead-a", "lead-b")
    ids = {}
    for office, number, role in (("pgd-a", "12", "lead-a"), ("pgd-b", "34", "lead-b")):
        issued = server.json(
            "directive",
            "issue",
            server.directive_file(office, number),
            "-w",
            "bao-cao",
            "--now",
            ISSUE_AT,
            role=role,
        )
        assert (issued["office"], issued["tasks"]) == (office, 2)
        ids[office] = issued["directive_id"]
    return ids


def _tasks(server: Server, role: str) -> dict[str, int]:
    """unit → task id, as ``role`` sees them through chidao."""
    return {t["unit"]: t["id"] for t in server.json("task", "list", role=role)}


# ------------------------------------------------------------------------ user add, whoami


def test_user_add_makes_a_login_named_after_the_person_or_unit(server):
    added = server.run("user", "add", "lead-a", "--password-file", str(server.password_file))
    server.logins.append("lead-a")
    assert added.exit_code == 0, added.output
    owner = Store.open(server.url(OWNER))
    assert added.output == (
        f"lead-a (person) may now connect to {owner.label}: a new login; it sees its office's "
        "directives and tasks\n"
    )
    owner.close()
    server.logins.append("mn-a1")
    prompted = server.run("user", "add", "mn-a1", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert "mn-a1 (unit) may now connect to" in prompted.output
    assert prompted.output.endswith("a new login; it sees its own tasks\n")
    again = server.run("user", "add", "mn-a1", "--password-file", str(server.password_file))
    assert "its password changed" in again.output
    with server.pg.admin(server.name) as conn:
        roles = conn.execute(
            "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolpassword LIKE 'SCRAM-%' "
            "FROM pg_authid WHERE rolname IN ('lead-a', 'mn-a1') ORDER BY rolname"
        ).fetchall()
        logins = conn.execute("SELECT role, kind FROM logins ORDER BY role").fetchall()
    assert roles == [("lead-a", True, False, False, True), ("mn-a1", True, False, False, True)]
    assert logins == [("lead-a", "person"), ("mn-a1", "unit")]


def test_user_add_refuses_what_cannot_be_a_login(server, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    for args, message in (
        (["nobody"], "unknown person or unit 'nobody' (not in any loaded org file)"),
        (
            ["pg_lead"],
            "'pg_lead' cannot be a PostgreSQL role name: names starting with 'pg_' are "
            "reserved for PostgreSQL's own roles",
        ),
        (
            ["x" * 64],
            f"'{'x' * 64}' cannot be a PostgreSQL role name: longer than 63 bytes, the "
            "longest role name PostgreSQL allows",
        ),
        (["public"], "'public' cannot be a PostgreSQL role name: 'public' is a reserved role name"),
        (
            ["lead-a", "--password-file", str(empty)],
            f"--password-file {empty}: the first line (the password) is empty",
        ),
        (
            ["lead-a", "--password-file", str(tmp_path / "none.txt")],
            f"--password-file {tmp_path / 'none.txt'}: no such file",
        ),
    ):
        result = server.run("user", "add", *args)
        assert (result.exit_code, result.output) == (1, f"Error: {message}\n"), args
    granted = server.run("db", "grant", "lead-a")  # not a role yet
    assert granted.exit_code == 1
    server.add("lead-a")
    granted = server.run("db", "grant", "lead-a")
    assert granted.output == (
        "Error: lead-a is a person login (chidao user add): the app role must be a role of its "
        "own\n"
    )


def test_whoami_names_the_login_and_a_login_acts_only_as_itself(server, monkeypatch):
    server.add("lead-a", "mn-a1")
    shown = server.run("whoami", role="lead-a")
    assert shown.exit_code == 0, shown.output
    first, second = shown.output.splitlines()
    assert first == "Nguyễn Văn An (lead-a), Trưởng phòng, Phòng Giáo dục và Đào tạo A (pgd-a)"
    assert second.startswith("PostgreSQL login lead-a on ") and "the server checks" in second
    me = server.json("whoami", role="mn-a1")
    assert {k: me[k] for k in ("id", "kind", "name", "office", "role", "login")} == {
        "id": "mn-a1",
        "kind": "unit",
        "name": "Trường Mầm non A1",
        "office": "pgd-a",
        "role": "mn-a1",
        "login": True,
    }
    assert server.run("whoami", "--as", "lead-a", role="lead-a").exit_code == 0
    for args in (("whoami", "--as", "cv-a"), ("task", "fire", "start", "1", "--as", "cv-a")):
        refused = server.run(*args, role="lead-a")
        assert (refused.exit_code, refused.output) == (
            1,
            "Error: --as cv-a: this connection is the PostgreSQL login lead-a, which acts only "
            "as itself\n",
        )
    monkeypatch.setenv("CHIDAO_USER", "cv-a")
    assert server.run("task", "fire", "start", "1", role="lead-a").output == (
        "Error: CHIDAO_USER=cv-a: this connection is the PostgreSQL login lead-a, which acts "
        "only as itself\n"
    )
    monkeypatch.delenv("CHIDAO_USER")
    app = server.run("whoami", "--as", "cv-a")  # the app role is nobody: --as names the actor
    assert app.output.splitlines()[0] == (
        "Cù Thị Ánh (cv-a), Chuyên viên, Phòng Giáo dục và Đào tạo A (pgd-a)"
    )
    assert f"PostgreSQL role {APP} on " in app.output and "is no person or unit login" in app.output
    assert server.json("whoami")["id"] is None


def test_sqlite_has_no_logins(tmp_path, monkeypatch):
    monkeypatch.delenv("CHIDAO_USER", raising=False)
    db = f"sqlite:///{tmp_path / 'chidao.db'}"
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, ["--db", db, *args], catch_exceptions=False)

    assert (
        run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tp-dien-bien").exit_code
        == 0
    )
    added = run("user", "add", "tung-nt", "--password-file", str(tmp_path / "pw"))
    assert (added.exit_code, added.output) == (
        1,
        "Error: logins exist only on a PostgreSQL server; on an SQLite file there are no roles: "
        "--as ID or CHIDAO_USER says who acts\n",
    )
    me = run("whoami", "--as", "tung-nt")
    first, second = me.output.splitlines()
    assert first == (
        "Nguyễn Thanh Tùng (tung-nt), Phó trưởng phòng, Phòng Giáo dục và Đào tạo huyện Điện Biên "
        "(pgddt-dien-bien)"
    )
    assert second == (
        f"named by --as or CHIDAO_USER on {tmp_path / 'chidao.db'} (SQLite has no logins), by OS "
        f"account {getpass.getuser()}"
    )
    monkeypatch.setenv("CHIDAO_USER", "mn-hoa-ban")
    data = json.loads(run("whoami", "--json").output)
    assert (data["id"], data["kind"], data["office"], data["role"], data["login"]) == (
        "mn-hoa-ban",
        "unit",
        "pgddt-dien-bien",
        None,
        False,
    )
    monkeypatch.delenv("CHIDAO_USER")
    assert run("whoami").output.startswith("nobody: give --as ID")


def test_the_password_is_the_one_given(server):
    """The test server trusts every local connection; for one login, ask for SCRAM."""
    hba = server.pg.data / "pg_hba.conf"
    trusting = hba.read_text()
    hba.write_text(f"host all mn-a2 127.0.0.1/32 scram-sha-256\n{trusting}")
    try:
        with server.pg.admin() as conn:
            conn.execute("SELECT pg_reload_conf()")
        server.add("mn-a2")
        assert server.run("whoami", role="mn-a2").output.startswith("Trường Mầm non A2 (mn-a2)")
        wrong = CliRunner().invoke(cli, ["--db", server.url("mn-a2", "sai"), "whoami"])
        assert wrong.exit_code == 1 and "password authentication failed" in wrong.output
    finally:
        hba.write_text(trusting)
        with server.pg.admin() as conn:
            conn.execute("SELECT pg_reload_conf()")


# ------------------------------------------------------------------------ through chidao


def test_each_unit_and_office_sees_and_changes_only_its_own(server):
    directives = _issue_both(server)
    server.add("mn-a1", "mn-b1")
    everything = _tasks(server, APP)
    assert sorted(everything) == ["mn-a1", "mn-a2", "mn-b1", "mn-b2"]
    assert _tasks(server, "mn-a1") == {"mn-a1": everything["mn-a1"]}
    assert _tasks(server, "mn-b1") == {"mn-b1": everything["mn-b1"]}
    assert sorted(_tasks(server, "lead-a")) == ["mn-a1", "mn-a2"]
    assert sorted(_tasks(server, "lead-b")) == ["mn-b1", "mn-b2"]
    for role, office, count in (
        ("mn-a1", "pgd-a", 1),
        ("lead-a", "pgd-a", 2),
        ("lead-b", "pgd-b", 2),
    ):
        (listed,) = server.json("directive", "list", role=role)
        assert (listed["id"], sum(listed["states"].values())) == (directives[office], count)
        board = server.json("dashboard", "--now", "22/03/2024 08:00", role=role)  # no sweep
        assert [d["id"] for d in board["directives"]] == [directives[office]]
        assert sum(board["totals"].values()) == count
    # a school moves its own task, and no other
    own = server.run(
        "task", "fire", "start", str(everything["mn-a1"]), "--now", "22/03/2024", role="mn-a1"
    )
    assert own.output == f"Task {everything['mn-a1']}: received → implementing\n"
    for unit in ("mn-a2", "mn-b1"):
        other = server.run("task", "fire", "start", str(everything[unit]), role="mn-a1")
        assert other.output == f"Error: task {everything[unit]} does not exist\n"
    # a person records a report for a school of its office (the event keeps both), no other
    kept = server.run(
        "task", "fire", "report", str(everything["mn-a2"]), "--now", "23/03/2024", role="lead-a"
    )
    assert kept.exit_code == 0, kept.output
    last = server.json("task", "history", str(everything["mn-a2"]), role=APP)[-1]
    assert (last["actor"], last["on_behalf_of"]) == ("lead-a", "mn-a2")
    refused = server.run("task", "fire", "report", str(everything["mn-b2"]), role="lead-a")
    assert refused.output == f"Error: task {everything['mn-b2']} does not exist\n"
    history = server.json("task", "history", str(everything["mn-a1"]), role="mn-a1")
    assert [(e["trigger"], e["actor"]) for e in history][-1] == ("start", "mn-a1")
    assert server.run("task", "history", str(everything["mn-b1"]), role="mn-a1").exit_code == 1


def test_a_person_cannot_issue_or_extend_for_another_office(server):
    directives = _issue_both(server)
    b_tasks = _tasks(server, "lead-b")
    extend = server.run(
        "directive",
        "extend",
        str(directives["pgd-b"]),
        "--to",
        "10/04/2024",
        "--now",
        ISSUE_AT,
        role="lead-a",
    )
    assert extend.output == f"Error: directive '{directives['pgd-b']}' does not exist\n"
    for task in b_tasks.values():
        one = server.run(
            "task", "extend", str(task), "--to", "10/04/2024", "--now", ISSUE_AT, role="lead-a"
        )
        assert one.output == f"Error: task {task} does not exist\n"
    issue = server.run(
        "directive",
        "issue",
        server.directive_file("pgd-b", "56"),
        "-w",
        "bao-cao",
        "--now",
        ISSUE_AT,
        role="lead-a",
    )
    assert issue.exit_code == 1
    assert issue.output.startswith("Error: ") and len(issue.output.splitlines()) == 1
    assert "issuing a directive of pgd-b is an action of the office pgd-b" in issue.output
    assert len(server.json("directive", "list")) == 2  # nothing was written
    own = server.run(
        "directive",
        "extend",
        str(directives["pgd-b"]),
        "--to",
        "10/04/2024",
        "--now",
        ISSUE_AT,
        role="lead-b",
    )
    assert own.exit_code == 0, own.output
    dues = {t["unit"]: t["due"] for t in server.json("task", "list")}
    assert dues["mn-b1"].startswith("2024-04-10") and dues["mn-a1"].startswith("2024-04-01")


def test_the_sweep_is_the_app_roles(server):
    _issue_both(server)
    server.add("mn-a1")
    refused = server.run("sweep", "--now", "05/04/2024 08:00", role="mn-a1")
    assert refused.output == (
        "Error: the sweep is the system's work and sees every office: run it as the app role, "
        "not as the login mn-a1\n"
    )
    assert server.json("sweep", "--now", "05/04/2024 08:00")["overdue"] == 4
    board = server.json("dashboard", "--now", "05/04/2024 08:00", role="mn-a1")
    assert board["totals"] == {"overdue": 1}


# ------------------------------------------------------------------------ through raw SQL


def _refused(conn, statement: str, params: tuple = (), match: str = "") -> str:
    with pytest.raises(psycopg.Error, match=match) as caught:
        with conn.transaction():
            conn.execute(statement, params)
    return str(caught.value)


def test_raw_sql_by_a_login_gets_no_further(server):
    _issue_both(server)
    server.add("mn-a1")
    everything = _tasks(server, APP)
    own, other = everything["mn-a1"], everything["mn-b1"]
    for unit, task in everything.items():
        assert server.run("task", "fire", "start", str(task), "--as", unit).exit_code == 0
    with server.sql("mn-a1") as conn:
        assert conn.execute("SELECT id, unit_code FROM tasks").fetchall() == [(own, "mn-a1")]
        assert conn.execute("SELECT count(*) FROM directives").fetchone() == (1,)
        assert conn.execute("SELECT DISTINCT task_id FROM events").fetchall() == [(own,)]
        with conn.transaction(force_rollback=True):
            moved = conn.execute("UPDATE tasks SET state = 'reported' WHERE id = %s", (other,))
            assert moved.rowcount == 0  # the server does not let it see the row
            moved = conn.execute("UPDATE tasks SET state = 'reported'")
            assert moved.rowcount == 1  # its own, the only one it reaches
        _refused(conn, "UPDATE tasks SET unit_code = 'mn-b1'", match="permission denied")
        event = (
            "INSERT INTO events (task_id, to_state, trigger, actor, at, note) "
            "VALUES (%s, 'reported', 'report', %s, now(), '')"
        )
        for task, actor in ((own, "lead-a"), (own, "system"), (other, "mn-a1")):
            _refused(conn, event, (task, actor), match="row-level security policy")
        with conn.transaction(force_rollback=True):
            conn.execute(event, (own, "mn-a1"))  # its own event on its own task
        ask = (
            "INSERT INTO extension_requests (task_id, requested_to, requested_by, requested_at, "
            "note, status, decision_note) VALUES (%s, now(), 'mn-a1', now(), '', %s, '')"
        )
        _refused(conn, ask, (own, "granted"), match="row-level security policy")
        _refused(conn, ask, (other, "pending"), match="row-level security policy")
        with conn.transaction(force_rollback=True):
            conn.execute(ask, (own, "pending"))
        for statement in (
            "DELETE FROM tasks",
            "UPDATE events SET note = ''",
            "INSERT INTO logins VALUES ('mn-b1', 'unit', now())",
            "UPDATE people SET phone = ''",
            "INSERT INTO directives (office_code, subject, document, template_id, issued_at, "
            "issued_by, identity) VALUES ('pgd-a', 's', '{}', 1, now(), 'mn-a1', 'x')",
        ):
            _refused(conn, statement, match="permission denied")
    with server.sql("lead-a") as conn:
        assert {u for (u,) in conn.execute("SELECT unit_code FROM tasks")} == {"mn-a1", "mn-a2"}
        with conn.transaction(force_rollback=True):
            changed = conn.execute("UPDATE tasks SET rung = 5 WHERE unit_code LIKE 'mn-b%'")
            assert changed.rowcount == 0
            withdrawn = conn.execute(  # thu hồi another office's directive: not even seen
                "UPDATE directives SET withdrawn_at = now(), withdrawn_by = 'lead-a' "
                "WHERE office_code = 'pgd-b'"
            )
            assert withdrawn.rowcount == 0
            own = conn.execute(
                "UPDATE directives SET withdrawn_at = now(), withdrawn_by = 'lead-a' "
                "WHERE office_code = 'pgd-a'"
            )
            assert own.rowcount == 1
        _refused(
            conn,
            "INSERT INTO directives (office_code, subject, document, template_id, issued_at, "
            "issued_by, identity) VALUES ('pgd-b', 's', '{}', 1, now(), 'lead-a', 'x')",
            match="row-level security policy",
        )
        with server.pg.admin(server.name) as admin:
            theirs = admin.execute(
                "SELECT d.id, v.id FROM directives d JOIN deliverables v ON v.directive_id = d.id "
                "WHERE d.office_code = 'pgd-b'"
            ).fetchone()
        _refused(
            conn,
            "INSERT INTO tasks (directive_id, deliverable_id, unit_code, state, version, "
            "created_at, updated_at) VALUES (%s, %s, 'mn-a1', 'received', 1, now(), now())",
            theirs,
            match="row-level security policy",
        )
    with server.sql(APP) as conn:
        assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (4,)


# ------------------------------------------------------------------------ chains


def test_a_chain_for_the_sos_and_the_phongs_own_reads(server):
    for org, head in (
        ("org-so-dien-bien.yaml", "gd-so-dien-bien"),
        ("org-dien-bien.yaml", "tp-dien-bien"),
    ):
        assert server.run("org", "load", str(EXAMPLES / org), "--as", head).exit_code == 0
    server.add("pgd-so-dien-bien", "tung-nt", "mn-hoa-ban")
    so = server.json(
        "directive",
        "issue",
        str(EXAMPLES / "directives" / "so-746-2024.yaml"),
        "-w",
        "bao-cao-tong-hop",
        "--now",
        "21/03/2024 10:00",
        role="pgd-so-dien-bien",
    )
    phong = server.run(
        "directive",
        "issue",
        str(EXAMPLES / "directives" / "ctxh-2024.yaml"),
        "-w",
        "bao-cao",
        "--office",
        "pgddt-dien-bien",
        "--now",
        "25/03/2024 08:00",
        role="tung-nt",
    )
    assert "Linked as the answer of pgddt-dien-bien to its task" in phong.output, phong.output
    upstream = _tasks(server, "tung-nt")["pgddt-dien-bien"]
    # the Phòng: its own task in the Sở's directive, its own directive and all its schools
    tree = server.json("chain", "show", "746/SGDDĐT-GDCN", "--now", "26/03/2024", role="tung-nt")
    assert (tree["id"], tree["total"]) == (so["directive_id"], 1)
    assert [(c["office"], c["total"]) for c in tree["children"]] == [("pgddt-dien-bien", 46)]
    # the Sở: its fifteen tasks, and reads (only reads) the Phòng's answer below them
    tree = server.json(
        "chain", "show", "746/SGDDĐT-GDCN", "--now", "26/03/2024", role="pgd-so-dien-bien"
    )
    assert (tree["total"], tree["children"][0]["total"]) == (15, 46)
    school = _tasks(server, "mn-hoa-ban")["mn-hoa-ban"]
    moved = server.run("task", "fire", "report", str(school), role="pgd-so-dien-bien")
    assert moved.output == (
        f"Error: task {school} is a task of pgddt-dien-bien; pgd-so-dien-bien works for "
        "so-dien-bien\n"
    )
    with server.sql("pgd-so-dien-bien") as conn, conn.transaction(force_rollback=True):
        assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (15 + 46,)
        changed = conn.execute(
            "UPDATE tasks SET state = 'reported' WHERE directive_id <> %s", (so["directive_id"],)
        )
        assert changed.rowcount == 0  # below its own directive it only reads
    # the Phòng records 45 reports for its schools; the 46th school reports as its own login
    schools = [
        t
        for u, t in _tasks(server, "tung-nt").items()
        if u not in ("pgddt-dien-bien", "mn-hoa-ban")
    ]
    done = server.run(
        "task", "fire", "report", *map(str, schools), "--now", "28/03/2024", role="tung-nt"
    )
    assert done.exit_code == 0, done.output
    last = server.run(
        "task", "fire", "report", str(school), "--now", "28/03/2024 09:00", role="mn-hoa-ban"
    )
    assert last.exit_code == 0, last.output
    shown = server.json("task", "show", str(upstream), role="tung-nt")
    assert shown["state"] == "received"  # a school's login may not move the Phòng's task
    assert shown["children"] == {"tasks": 46, "reported": 46}
    server.json("sweep", "--now", "28/03/2024 10:00")  # the app role's sweep rolls it up
    shown = server.json("task", "show", str(upstream), role="tung-nt")
    assert shown["state"] == "ready"
    assert (shown["events"][-1]["trigger"], shown["events"][-1]["actor"]) == ("collect", "system")
    # the Phòng reports its own task up to the Sở, as the recipient
    up = server.run("task", "fire", "report", str(upstream), "--now", "29/03/2024", role="tung-nt")
    assert up.exit_code == 0, up.output
    assert server.json("task", "show", str(upstream), role="pgd-so-dien-bien")["state"] == (
        "reported"
    )
    server.json("sweep", "--now", "30/03/2024 10:00")  # nothing is behind any more
    again = server.json("task", "show", str(upstream), role="tung-nt")
    assert (again["state"], len(again["events"])) == ("reported", len(shown["events"]) + 1)


# ------------------------------------------------------------------------ the schema


def _security(url: str) -> dict[str, object]:
    store = Store.open(url, create=False)
    with store.read() as conn:
        protected = conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r' ORDER BY relname"
        ).scalars()
        functions = conn.exec_driver_sql(
            "SELECT proname, prosecdef, proconfig::text, prosrc FROM pg_proc "
            "WHERE proname LIKE 'chidao\\_%%' ORDER BY proname"
        ).all()
        found = {
            "tables": list(protected),
            "functions": [tuple(f) for f in functions],
            "policies": policies.listing(conn),
        }
    store.close()
    return found


def test_new_and_upgraded_databases_get_the_same_security(pg_server):
    import sqlalchemy as sa

    made, upgraded = pg_server.new_database(), pg_server.new_database()
    Store.open(pg_server.url(made)).close()
    engine = sa.create_engine(pg_server.url(upgraded))
    with engine.begin() as conn:
        migrate.upgrade(conn, migrate.Status(None, migrate.head(), stamped=False), target="0005")
    with engine.begin() as conn:
        migrate.upgrade(conn, migrate.Status("0005", migrate.head(), stamped=True))
    engine.dispose()
    new, old = _security(pg_server.url(made)), _security(pg_server.url(upgraded))
    assert new == old
    assert new["tables"] == sorted(policies.PROTECTED)
    assert len(new["policies"]) == len(policies.POLICIES) + len(policies.PROTECTED)
    for name in (made, upgraded):
        pg_server.drop_database(name)


def test_the_app_role_reaches_every_row_with_the_owners_plans(server):
    """The app role's policy is ``true``: the planner drops the logins' policies for it, so
    the dashboard's GROUP BY has the very plan the owner (who bypasses them) gets."""
    _issue_both(server)
    query = (
        "EXPLAIN (COSTS OFF) SELECT directive_id, state, count(*), max(rung) FROM tasks "
        "WHERE directive_id = 1 GROUP BY directive_id, state"
    )
    plans = {}
    for role in (OWNER, APP):
        with server.sql(role) as conn:
            conn.execute("SET enable_seqscan = off")
            plans[role] = [row for (row,) in conn.execute(query)]
    assert plans[APP] == plans[OWNER]
    assert "SubPlan" not in str(plans[APP]) and "chidao" not in str(plans[APP])
    with server.sql("lead-a") as conn:  # a login's plan carries its policy
        conn.execute("SET enable_seqscan = off")
        assert "SubPlan" in str(conn.execute(query).fetchall())


def test_readme_tells_who_may_do_what():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Who may do what", 1)[1].split("\n## ", 1)[0]
    for needed in ("chidao user add", "chidao whoami", "chidao db grant", "row-level security"):
        assert needed in section, needed


def test_a_login_s_fire_is_one_connection_and_one_question_before_its_write(server):
    """The login (and the clock) are asked on the command's own connection, in one
    statement before the write, not on a connection of their own."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    _issue_both(server)
    server.add("mn-a1")
    task = _tasks(server, "mn-a1")["mn-a1"]
    connects: list[object] = []
    statements: list[str] = []

    def connected(*_args: object) -> None:
        connects.append(1)

    def executed(_conn, _cursor, statement, *_args: object) -> None:
        statements.append(statement)

    event.listen(Pool, "connect", connected)
    event.listen(Engine, "before_cursor_execute", executed)
    try:
        fired = server.run(
            "task", "fire", "start", str(task), "--now", "22/03/2024 09:00", role="mn-a1"
        )
    finally:
        event.remove(Pool, "connect", connected)
        event.remove(Engine, "before_cursor_execute", executed)
    assert fired.exit_code == 0, fired.output
    assert len(connects) == 1
    asked = [s for s in statements if "current_user" in s]
    assert asked == ["SELECT (SELECT role FROM logins WHERE role = current_user), now()"]
