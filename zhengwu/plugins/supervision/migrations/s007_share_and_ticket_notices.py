"""supervision: the share-of-limit yellow rule's input per watched case, and 督办 tickets sent
to people with their history.

* ``supervision_cases.yellow_share`` — the ``yellow_share_percent`` that ``yellow_on`` was
  computed with (NULL: the rule was off), so that the sweep finds the rows to recompute when a
  tenant changes or locks the setting, as it does for ``yellow_days``.
* ``supervision_tickets.notify_pending`` / ``notice`` / ``notified_at`` / ``overdue_on`` — a
  ticket waits to be sent when opened and again (once) when the sweep finds it overdue.
* ``supervision_ticket_actions`` — each ticket's history (opened, notified with its recipients,
  closed), owned like the ticket (row-level security).

Revision ID: s007
Revises: s006
"""

import sqlalchemy as sa
from alembic import op

from zhengwu.core.rls import enable_rls

revision = "s007"
down_revision = "s006"
branch_labels = None
depends_on = None


def _path() -> sa.types.TypeEngine:
    return sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql")


def upgrade() -> None:
    op.add_column("supervision_cases", sa.Column("yellow_share", sa.Integer(), nullable=True))

    op.add_column("supervision_tickets", sa.Column("notify_pending", sa.Boolean(), nullable=False,
                                                   server_default=sa.false()))
    op.add_column("supervision_tickets", sa.Column("notice", sa.String(length=16), nullable=True))
    op.add_column("supervision_tickets",
                  sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("supervision_tickets", sa.Column("overdue_on", sa.Date(), nullable=True))
    pending = sa.text("notify_pending")
    op.create_index("ix_supervision_tickets_pending", "supervision_tickets", ["id"],
                    postgresql_where=pending, sqlite_where=pending)

    op.create_table(
        "supervision_ticket_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_path", _path(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_ticket_actions")),
    )
    op.create_index(op.f("ix_supervision_ticket_actions_ticket_id"),
                    "supervision_ticket_actions", ["ticket_id"])
    op.create_index(op.f("ix_supervision_ticket_actions_tenant_id"),
                    "supervision_ticket_actions", ["tenant_id"])
    op.create_index(op.f("ix_supervision_ticket_actions_tenant_path"),
                    "supervision_ticket_actions", ["tenant_path"])
    enable_rls(op, "supervision_ticket_actions")


def downgrade() -> None:
    op.drop_table("supervision_ticket_actions")
    op.drop_index("ix_supervision_tickets_pending", table_name="supervision_tickets")
    for column in ("overdue_on", "notified_at", "notice", "notify_pending"):
        op.drop_column("supervision_tickets", column)
    op.drop_column("supervision_cases", "yellow_share")
