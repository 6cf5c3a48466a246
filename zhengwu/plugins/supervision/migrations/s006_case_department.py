"""supervision: the department (部门) handling a watched case, from intake's payloads.

Intake's events carry ``department_name`` (the implementing department of the case's item);
the projection keeps it so that the live view can be read per department. Cases projected
before this revision keep NULL until their next event.

Revision ID: s006
Revises: s005
"""

import sqlalchemy as sa
from alembic import op

revision = "s006"
down_revision = "s005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("supervision_cases",
                  sa.Column("department_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("supervision_cases", "department_name")
