"""disclosure: publications — the actor's username on review steps; descendants may read an
ancestor's public items (to link a 政策解读 to them).

* ``disclosure_review_steps.actor_name``: who acted, by username (service principals and the
  "an editor cannot review their own draft" rule need it where there is no user id).
* a SELECT policy on ``disclosure_publications``: a tenant reads its ancestors' items that are
  public (``attribute = 'proactive' AND published_at IS NOT NULL AND withdrawn_at IS NULL``,
  the public-feed contract) — nothing else of them; writes stay in the subtree.

Revision ID: d002
Revises: d001
"""

import sqlalchemy as sa
from alembic import op

revision = "d002"
down_revision = "d001"
branch_labels = None
depends_on = None

_SCOPE = "(SELECT current_setting('zhengwu.scope', true))"


def upgrade() -> None:
    op.add_column("disclosure_review_steps",
                  sa.Column("actor_name", sa.String(length=100), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE POLICY disclosure_publications_public_above ON disclosure_publications "
            f"FOR SELECT USING ({_SCOPE} <> '' AND starts_with({_SCOPE}, tenant_path || '/') "
            "AND attribute = 'proactive' AND published_at IS NOT NULL AND withdrawn_at IS NULL)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS disclosure_publications_public_above "
                   "ON disclosure_publications")
    op.drop_column("disclosure_review_steps", "actor_name")
