"""Alembic migrations of the chidao database (run by ``chidao.store.migrate``, no alembic.ini).

``versions/`` holds one file per schema change, oldest first: ``0001`` creates schema 1 from
nothing, each later one brings the previous schema to the next with its data. A new
database is made from ``chidao.store.schema`` (the one declaration of the current tables)
and stamped at the head; a test checks that the revisions, applied from nothing, give
exactly those tables.
"""
