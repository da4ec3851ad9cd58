"""Sweep notifications never lost: the moments whose escalations await their messages.

Revision ID: 0008
Revises: 0007

``unnotified`` notes, in the same transaction as a sweep batch's escalations, the moment
they were made (and how many batches noted it); the sweep's last step queues their
notifications and removes the note. A sweep that dies between the two leaves the note, and
the next sweep (at any ``now``) queues what is owed. Escalations made before this revision
are not revisited.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chidao.store.schema import AwareDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unnotified",
        sa.Column("at", AwareDateTime, primary_key=True),
        sa.Column("batches", sa.Integer, nullable=False),
    )
