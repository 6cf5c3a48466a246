"""supervision: the share-of-limit yellow rule's input kept per watched case.

``supervision_cases.yellow_share`` is the ``yellow_share_percent`` that ``yellow_on`` was
computed with (NULL: the rule was off), so that the sweep finds the rows to recompute when a
tenant changes or locks the setting, as it does for ``yellow_days``.

Revision ID: s007
Revises: s006
"""

import sqlalchemy as sa
from alembic import op

revision = "s007"
down_revision = "s006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("supervision_cases", sa.Column("yellow_share", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("supervision_cases", "yellow_share")
