"""``zhengwu demo`` provisions 宣城市 with users, halls and an adopted catalog; twice is once."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.cli import invoke_cli
from zhengwu.core.catalog.models import CatalogItem, Implementation
from zhengwu.core.security import passwords
from zhengwu.core.security.models import User
from zhengwu.tenants.models import Tenant

passwords.use_fast_parameters()


async def _count(session, model, *where):
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_demo_is_complete_and_idempotent(system_session, settings, monkeypatch):
    first = await invoke_cli(monkeypatch, settings, "demo")
    assert first.exit_code == 0, first.output
    assert "983 divisions added, 14 users created" in first.output
    assert await _count(system_session, Tenant, Tenant.path.startswith("34/3418/")) == 981
    assert await _count(system_session, CatalogItem, CatalogItem.status == "published") == 9
    county = await _count(system_session, Implementation, Implementation.tenant_path == "34/3418/341881")
    townships = await _count(system_session, Implementation, Implementation.tenant_path != "34/3418/341881")
    assert county == 5 and townships > 0 and townships % 4 == 0
    second = await invoke_cli(monkeypatch, settings, "demo")
    assert second.exit_code == 0, second.output
    assert "0 divisions added, 0 users created; catalog: 0 items created, 0" in second.output
    assert await _count(system_session, User) == 14
