"""disclosure: reserved for the publications part (no change yet).

Revision ID: d002
Revises: d001
"""

revision = "d002"
down_revision = "d001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
