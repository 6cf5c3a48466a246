"""disclosure: reserved for the feed and report part (no change yet).

Revision ID: d004
Revises: d003
"""

revision = "d004"
down_revision = "d003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
