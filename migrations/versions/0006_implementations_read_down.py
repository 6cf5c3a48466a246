"""Implementation lists readable below their tenant (like the catalog).

A village agent point accepts cases for items its township has adopted (代办); to check the
materials and the promised limit it must read the township's implementation. Implementation
lists are public anyway (the service guides publish them), so descendants may read them;
writes stay in the owner's subtree.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("implementations", "implementation_materials", "implementation_fees")
_SCOPE = "(SELECT current_setting('zhengwu.scope', true))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"CREATE POLICY {table}_ancestors ON {table} FOR SELECT USING "
                   f"({_SCOPE} <> '' AND starts_with({_SCOPE}, tenant_path || '/'))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS {table}_ancestors ON {table}")
