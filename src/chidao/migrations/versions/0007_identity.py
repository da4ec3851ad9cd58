"""Person and unit logins, and row-level security on PostgreSQL.

Revision ID: 0007
Revises: 0006

- ``logins``: the PostgreSQL roles made by ``chidao user add``, each named after the person
  id or unit code it acts as (``kind``);
- PostgreSQL only: the functions, ROW LEVEL SECURITY and policies of ``store.policies``
  (the same DDL that makes a new database), with the app roles granted so far named in
  the policy that lets them reach every row. SQLite gets the (empty) table only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chidao.store import policies, roles
from chidao.store.schema import AwareDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logins",
        sa.Column("role", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("created_at", AwareDateTime, nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        policies.install(bind, roles.granted(bind))
