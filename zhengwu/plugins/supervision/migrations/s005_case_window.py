"""supervision: the window (窗口) a watched case came in through, from intake's payloads.

Intake's events carry ``window_id``; the projection keeps it so that performance can be read
per window. Cases projected before this revision keep NULL until their next event.

Revision ID: s005
Revises: s004
"""

import sqlalchemy as sa
from alembic import op

revision = "s005"
down_revision = "s004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("supervision_cases", sa.Column("window_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_supervision_cases_window_id"), "supervision_cases", ["window_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_supervision_cases_window_id"), table_name="supervision_cases")
    op.drop_column("supervision_cases", "window_id")
