"""``chidao``: the click command line (``chidao.cli:cli``).

``base`` holds the root group and the shared options; each other module registers its
commands on it when imported.
"""

from chidao.cli import (  # noqa: F401 (they register the commands)
    audit,
    core,
    db,
    deadlines,
    identity,
    screens,
)
from chidao.cli.base import cli

__all__ = ["cli"]
