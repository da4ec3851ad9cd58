"""Alembic environment: always run from ``chidao.store.migrate`` on a connection it opened."""

from __future__ import annotations

from alembic import context

from chidao.store import schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=schema.metadata,
    render_as_batch=True,  # SQLite alters a table by copying it
    transaction_per_migration=False,
)
context.run_migrations()
