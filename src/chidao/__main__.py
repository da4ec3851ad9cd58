"""``python -m chidao``: the same as the ``chidao`` command."""

from chidao.cli import cli

cli(prog_name="chidao")
