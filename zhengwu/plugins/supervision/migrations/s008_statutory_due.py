"""supervision: the statutory due date (法定办结日期) of a watched case, from intake's payloads.

Intake's events carry ``statutory_due`` beside the promised ``due_date``; past it the sweep and
the projection raise the escalated red card ``statutory_overdue``. Cases projected before this
revision keep NULL until their next event (or an ``intake replay`` snapshot).

Revision ID: s008
Revises: s007
"""

import sqlalchemy as sa
from alembic import op

revision = "s008"
down_revision = "s007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("supervision_cases", sa.Column("statutory_due", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("supervision_cases", "statutory_due")
