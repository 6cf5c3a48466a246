"""Attacks on ``ratingsByService``: the item's name is read from the catalog by ``basic_code``
— a national code that every province's catalog reuses for its own item (with its own name,
drafts included). The name must come from a catalog the asking tenant may read (its own
tier and above), never from another province's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import MIGRANT, OTHER_COUNTY
from tests.plugins.supervision.api import supervision_api
from tests.plugins.supervision.test_item_ratings import QUERY, _rated
from tests.plugins.supervision.world import at
from zhengwu.core.catalog.models import CatalogItem
from zhengwu.tenants.models import Tenant


@pytest.fixture
async def api(settings, system_session):
    async for api in supervision_api(settings, system_session):
        yield api


FOREIGN = "龘 另一省份的草稿事项"  # sorts after every real name (the query takes max(name))


async def test_another_provinces_catalog_never_names_the_item(api, system_session):
    s = system_session
    await _rated(s)
    other = await s.scalar(select(Tenant).where(Tenant.code == OTHER_COUNTY))
    s.add(CatalogItem(tenant_id=other.id, tenant_path=other.path, basic_code=MIGRANT,
                      name=FOREIGN, item_type="20", status="draft"))
    await s.commit()
    with at(2026, 10, 12, 12):
        result = await api.gql("ft_supervisor", QUERY, {"from": "2026-09-01", "to": "2026-10-10"})
    assert "errors" not in result, result
    [row] = result["data"]["ratingsByService"]
    assert row["basicCode"] == MIGRANT and row["itemName"] != FOREIGN
