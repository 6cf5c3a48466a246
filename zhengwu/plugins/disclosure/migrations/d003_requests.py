"""disclosure: reserved for the requests part (no change yet).

Revision ID: d003
Revises: d002
"""

revision = "d003"
down_revision = "d002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
