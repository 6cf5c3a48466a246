"""Row-level security on the core's tenant-owned tables; append-only audit log.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from zhengwu.core.rls import create_app_role, enable_rls

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_OWNED = ["api_tokens", "audit_log", "custom_roles", "grants", "users", "venues",
                "windows"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    create_app_role(op)
    for table in TENANT_OWNED:
        enable_rls(op, table)
    enable_rls(op, "setting_overrides", ancestors_readable=True)
    # The audit log is append-only: no UPDATE or DELETE, whoever asks (TRUNCATE stays
    # possible for the owner, e.g. to reset a test database).
    op.execute("REVOKE UPDATE, DELETE ON audit_log FROM zhengwu_app")
    op.execute(
        """
        CREATE FUNCTION zhengwu_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION zhengwu_audit_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS zhengwu_audit_append_only()")
    for table in [*TENANT_OWNED, "setting_overrides"]:
        op.execute(f"DROP POLICY IF EXISTS {table}_scope ON {table}")
        op.execute(f"DROP POLICY IF EXISTS {table}_ancestors ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
