"""Row-level security on PostgreSQL: a person or unit login sees and changes only its own.

A login (``chidao user add``, recorded in ``logins``) is a role named after the person or
unit it acts as. The server, not chidao, decides which rows it reaches:

- a **unit** login: its own tasks, their directives, deliverables, events, escalations and
  extension requests; it may move its tasks, resolve their escalations, ask for an
  extension and append events whose actor is itself;
- a **person** login, of office O: the directives O issued and every task in them, and the
  tasks whose unit is O itself (O answering an upstream directive, from a Sở) with those
  directives; it may issue directives for O (directive, deliverables, tasks), move and
  extend those tasks, decide extension requests on O's directives, record their events
  (occurrences), and append events whose actor is itself. It also reads, and only reads,
  the directives that answer O's directives down the chain (a Phòng's answer to a Sở's
  directive, and its schools' tasks), so that the Sở still sees its roll-up ("cấp dưới
  37/46") and the whole chain below it; the Phòng sees its own part of the Sở's directive.

The owner of the tables bypasses these policies (as owner); the app roles of ``chidao db
grant`` are named in one ``chidao_app`` policy per table that lets them do everything
their grants allow. That policy says ``USING (true)``, so for them the planner folds every
policy away and the sweep and dashboard keep their plans (index-only scans included). A
role that is neither (granted by hand) sees no row of these tables.

Who a connection is comes from ``current_user`` through two small SQL functions; looking at
another table from a policy goes through a ``SECURITY DEFINER`` function (owned by the
owner, so it reads past the policies, with a fixed ``search_path``), which keeps the
policies from recursing into each other. :func:`install` is the one DDL for new databases
(``migrate.create``) and upgraded ones (revision 0007): both end with the same policies.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

# The tables whose rows belong to an office or a unit; the org tables, templates and
# chidao_meta have no private rows (every login reads them, only the app role writes them).
PROTECTED = (
    "tasks",
    "directives",
    "deliverables",
    "events",
    "escalations",
    "extension_requests",
    "notifications",
    "occurrences",
)
APP_POLICY = "chidao_app"
# the SECURITY DEFINER functions: they list any office's directive ids, so only logins may
# call them (the policies run them as the login)
OWNER_VIEWS = ("chidao_office_directives(text)", "chidao_followed_directives(text)")

_UNIT = "(SELECT chidao_login_unit())"
_OFFICE = "(SELECT chidao_login_office())"
_OFFICE_DIRECTIVES = f"(SELECT d FROM chidao_office_directives({_OFFICE}) AS d)"
_FOLLOWED = f"(SELECT d FROM chidao_followed_directives({_OFFICE}) AS d)"
_OWN_TASK = f"(unit_code = {_UNIT} OR unit_code = {_OFFICE})"  # its own, as recipient
_TASK_MINE = f"({_OWN_TASK} OR directive_id IN {_OFFICE_DIRECTIVES})"
_TASK_SEEN = f"({_OWN_TASK} OR directive_id IN {_FOLLOWED})"
_VISIBLE_TASKS = "(SELECT id FROM tasks)"  # the tasks' own policies apply inside
_MY_TASKS = f"(SELECT id FROM tasks WHERE {_TASK_MINE})"  # those it may change
_ME = "current_user::text"

# (table, policy, command, USING, WITH CHECK)
POLICIES: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    ("tasks", "login_read", "SELECT", _TASK_SEEN, None),
    ("tasks", "login_move", "UPDATE", _TASK_MINE, _TASK_MINE),
    ("tasks", "login_fan_out", "INSERT", None, f"directive_id IN {_OFFICE_DIRECTIVES}"),
    (
        "directives",
        "login_read",
        "SELECT",
        # office_code first: an INSERT … RETURNING must see its new row, which the
        # functions (reading the statement's snapshot) do not know yet
        f"office_code = {_OFFICE} OR id IN {_FOLLOWED} "
        f"OR id IN (SELECT directive_id FROM tasks WHERE {_OWN_TASK})",
        None,
    ),
    (
        "directives",
        "login_issue",
        "INSERT",
        None,
        f"office_code = {_OFFICE} AND issued_by = {_ME}",
    ),
    (
        "directives",
        "login_withdraw",
        "UPDATE",
        f"office_code = {_OFFICE}",
        f"office_code = {_OFFICE} AND withdrawn_by = {_ME}",
    ),
    ("deliverables", "login_read", "SELECT", "directive_id IN (SELECT id FROM directives)", None),
    ("deliverables", "login_issue", "INSERT", None, f"directive_id IN {_OFFICE_DIRECTIVES}"),
    ("events", "login_read", "SELECT", f"task_id IN {_VISIBLE_TASKS}", None),
    (
        "events",
        "login_append",
        "INSERT",
        None,
        f"actor = {_ME} AND task_id IN {_MY_TASKS}",
    ),
    ("escalations", "login_read", "SELECT", f"task_id IN {_VISIBLE_TASKS}", None),
    (
        "escalations",
        "login_resolve",
        "UPDATE",
        f"task_id IN {_MY_TASKS}",
        f"task_id IN {_MY_TASKS}",
    ),
    ("extension_requests", "login_read", "SELECT", f"task_id IN {_VISIBLE_TASKS}", None),
    (
        "extension_requests",
        "login_ask",
        "INSERT",
        None,
        f"requested_by = {_ME} AND status = 'pending' AND decided_by IS NULL "
        f"AND task_id IN (SELECT id FROM tasks WHERE {_OWN_TASK})",
    ),
    (
        "extension_requests",
        "login_decide",
        "UPDATE",
        f"task_id IN (SELECT id FROM tasks WHERE directive_id IN {_OFFICE_DIRECTIVES})",
        f"decided_by = {_ME}",
    ),
    ("notifications", "login_read", "SELECT", f"directive_id IN {_OFFICE_DIRECTIVES}", None),
    ("occurrences", "login_read", "SELECT", "directive_id IN (SELECT id FROM directives)", None),
    (
        "occurrences",
        "login_record",
        "INSERT",
        None,
        f"recorded_by = {_ME} AND directive_id IN {_OFFICE_DIRECTIVES}",
    ),
)


def _functions(path: str) -> list[str]:
    settings = f"SET search_path = {path}"
    return [
        # who the connection is: plain functions, they run as the caller (current_user)
        "CREATE OR REPLACE FUNCTION chidao_login_unit() RETURNS text LANGUAGE sql STABLE "
        f"{settings} AS $$ SELECT role FROM logins "
        "WHERE role = current_user AND kind = 'unit' $$",
        "CREATE OR REPLACE FUNCTION chidao_login_office() RETURNS text LANGUAGE sql STABLE "
        f"{settings} AS $$ SELECT p.office_code FROM logins l JOIN people p ON p.id = l.role "
        "WHERE l.role = current_user AND l.kind = 'person' $$",
        # the owner's view of directives, so that a policy can ask without recursing
        "CREATE OR REPLACE FUNCTION chidao_office_directives(office text) "
        "RETURNS SETOF integer LANGUAGE sql STABLE SECURITY DEFINER "
        f"{settings} AS $$ SELECT id FROM directives WHERE office_code = office $$",
        # and those answering them, down the chain (read only)
        "CREATE OR REPLACE FUNCTION chidao_followed_directives(office text) "
        "RETURNS SETOF integer LANGUAGE sql STABLE SECURITY DEFINER "
        f"{settings} AS $$ WITH RECURSIVE down(id) AS ("
        "SELECT id FROM directives WHERE office_code = office UNION "
        "SELECT d.id FROM directives d JOIN tasks t ON t.id = d.parent_task_id "
        "JOIN down ON down.id = t.directive_id) SELECT id FROM down $$",
    ]


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def install(conn: Connection, app_roles: Sequence[str] = ()) -> None:
    """The functions, row-level security and policies; ``app_roles`` keep full access.

    Idempotent: functions are replaced and policies made again, so a later revision can run
    it to bring a database to a changed set of policies.
    """
    if conn.dialect.name != "postgresql":
        return
    schema = _quote(conn, str(conn.exec_driver_sql("SELECT current_schema()").scalar()))
    for statement in _functions(f"pg_catalog, {schema}, pg_temp"):
        conn.exec_driver_sql(statement)
    for function in OWNER_VIEWS:  # logins only (store.identity grants them)
        conn.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
    for table in PROTECTED:
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {APP_POLICY} ON {table}")
        conn.exec_driver_sql(
            f"CREATE POLICY {APP_POLICY} ON {table} FOR ALL TO CURRENT_USER "
            "USING (true) WITH CHECK (true)"
        )
    for table, name, command, using, check in POLICIES:
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {name} ON {table}")
        conn.exec_driver_sql(
            f"CREATE POLICY {name} ON {table} FOR {command}"
            + (f" USING ({using})" if using else "")
            + (f" WITH CHECK ({check})" if check else "")
        )
    allow_app(conn, app_roles)


def allow_app(conn: Connection, app_roles: Sequence[str]) -> None:
    """Name ``app_roles`` (with the tables' owner, as a policy needs at least one role) in
    the ``chidao_app`` policy of every protected table: they see and change every row."""
    if conn.dialect.name != "postgresql":
        return
    owner = conn.exec_driver_sql(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'tasks'::regclass"
    ).scalar()
    names = ", ".join(_quote(conn, r) for r in dict.fromkeys([str(owner), *app_roles]))
    for table in PROTECTED:
        conn.exec_driver_sql(f"ALTER POLICY {APP_POLICY} ON {table} TO {names}")


def listing(conn: Connection) -> list[tuple[str, str, str, str, str]]:
    """Every policy on the tables: (table, name, command, USING, WITH CHECK), for tests and
    for comparing a new database with an upgraded one."""
    rows = conn.exec_driver_sql(
        "SELECT tablename, policyname, cmd, coalesce(qual, ''), coalesce(with_check, '') "
        "FROM pg_policies WHERE schemaname = current_schema() ORDER BY tablename, policyname"
    )
    return [tuple(r) for r in rows]
