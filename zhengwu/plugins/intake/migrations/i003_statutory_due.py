"""intake: the statutory due date (法定办结日期) of a case, beside the promised one.

``statutory_due`` is the ``statutory_days``-th working day after acceptance (plus an approved
extension, ALL art. 42), on the handling tenant's calendar with the same pauses as
``due_date``; ``deadlines.refresh_due`` writes both. Open cases accepted before this revision
keep NULL until their deadline is next recomputed (a resumption, an extension, a step
started, or the ``intake.recompute_deadlines`` job after a calendar change): the working-day
calendar lives in the database, so no SQL of a migration can reckon it.

Revision ID: i003
Revises: i002
"""

import sqlalchemy as sa
from alembic import op

revision = "i003"
down_revision = "i002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_cases", sa.Column("statutory_due", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("intake_cases", "statutory_due")
