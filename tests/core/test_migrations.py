"""The migrations create exactly the tables the models describe (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zhengwu.models import Base, tenant_owned_tables


async def test_models_and_migrations_agree(owner_engine):
    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with owner_engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == [], f"models and migrations disagree: {changes}"


def test_every_tenant_owned_table_is_known():
    # A new tenant-owned table must get RLS in its migration (zhengwu.core.rls.enable_rls).
    assert set(tenant_owned_tables()) >= {"users", "grants", "venues", "windows",
                                          "setting_overrides", "audit_log"}
