"""Persistence: the only package that imports SQLAlchemy.

``database`` opens a store and runs transactions; ``schema`` declares the tables;
``org``, ``directives`` and ``tasks`` hold the set-based queries each part needs.
"""

from chidao.store.database import Store

__all__ = ["Store"]
