"""The subtree feed (``/public/{code}/disclosure?subtree=1``): a county portal listing its
townships' public items too, each with its tenant and its address under that tenant.

At 宁国市 (county): P1 (public). At 方塘乡 (township): T1 (public, in the township's own
sub-category 01.01 "乡村规划"), T2 (draft), T3 (withdrawn), T4 (on request). At 港口镇
(township): G1 (public, its own 01.01 "镇级文件" — the same code, another name). At 宣州区
(sibling county): S1 (public). At 宣城市 (city, above): C1 (public).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from tests.plugins.disclosure.api import disclosure_api
from tests.plugins.disclosure.test_feed import _pub, _tenant
from tests.plugins.disclosure.world import (
    CITY,
    COUNTY,
    SIBLING_COUNTY,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
)
from zhengwu.plugins.disclosure.models import Category
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant

FEED = f"/public/{COUNTY}/disclosure"
P1, T1, T2, T3, T4 = ("341881-01-2026-00001", "341881204-0101-2026-00001",
                      "341881204-01-2026-00002", "341881204-01-2026-00003",
                      "341881204-01-2026-00004")
G1, S1, C1 = "341881100-0101-2026-00001", "341802-01-2026-00001", "3418-01-2026-00001"


@pytest.fixture
async def world(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        s = system_session
        for code, name in ((TOWNSHIP, "乡村规划"), (SIBLING_TOWNSHIP, "镇级文件")):
            t = await _tenant(s, code)
            s.add(Category(tenant_id=t.id, tenant_path=t.path, code="01.01", parent_code="01",
                           name=name))
        await _pub(s, COUNTY, title="宁国市 通知", index_no=P1, published_on=date(2026, 3, 1),
                   kinds=("result",))
        await _pub(s, TOWNSHIP, title="方塘乡 通知", category="01.01", index_no=T1,
                   published_on=date(2026, 3, 2), kinds=("service",), body="乡村 道路")
        await _pub(s, TOWNSHIP, title="方塘乡 草稿 通知", index_no=T2)
        await _pub(s, TOWNSHIP, title="方塘乡 撤回 通知", index_no=T3,
                   published_on=date(2026, 3, 3), withdrawn=True)
        await _pub(s, TOWNSHIP, title="方塘乡 依申请 通知", index_no=T4,
                   attribute="on_request", published_on=date(2026, 3, 4))
        await _pub(s, SIBLING_TOWNSHIP, title="港口镇 通知", category="01.01", index_no=G1,
                   published_on=date(2025, 5, 1))
        await _pub(s, SIBLING_COUNTY, title="宣州区 通知", index_no=S1,
                   published_on=date(2026, 3, 5))
        await _pub(s, CITY, title="宣城市 通知", index_no=C1, published_on=date(2026, 3, 6))
        await s.commit()
        yield api


async def _page(api: Any, url: str = FEED, **params: Any) -> dict[str, Any]:
    resp = await api.client.get(url, params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _numbers(body: dict[str, Any]) -> list[str]:
    return [i["index_no"] for i in body["items"]]


async def test_township_items_appear_under_the_county_only_with_subtree(world):
    api = world
    own = await _page(api)
    assert _numbers(own) == [P1]
    assert "tenant" not in own["items"][0] and own["query"]["subtree"] is False
    wide = await _page(api, subtree="1")
    assert _numbers(wide) == [T1, P1, G1]  # newest first; never S1 (sibling), C1 (above)
    assert wide["total"] == 3 and wide["query"]["subtree"] is True
    by_no = {i["index_no"]: i for i in wide["items"]}
    assert by_no[T1]["tenant"] == {"code": TOWNSHIP, "name": "方塘乡"}
    assert by_no[P1]["tenant"] == {"code": COUNTY, "name": "宁国市"}
    # stable addresses stay per tenant, and they answer
    assert by_no[T1]["url"] == f"/public/{TOWNSHIP}/disclosure/{T1}"
    assert by_no[P1]["url"] == f"{FEED}/{P1}"
    assert (await api.client.get(by_no[T1]["url"])).json()["title"] == "方塘乡 通知"
    # each township's own sub-category name, though both use the code 01.01
    assert by_no[T1]["category_name"] == "乡村规划"
    assert by_no[G1]["category_name"] == "镇级文件"
    # the township's own feed is unchanged; its subtree is itself
    assert _numbers(await _page(api, f"/public/{TOWNSHIP}/disclosure")) == [T1]
    assert _numbers(await _page(api, f"/public/{TOWNSHIP}/disclosure", subtree="1")) == [T1]
    # a sibling county never sees 宁国市's townships; the city sees all of its subtree
    assert _numbers(await _page(api, f"/public/{SIBLING_COUNTY}/disclosure", subtree="1")) == [S1]
    assert _numbers(await _page(api, f"/public/{CITY}/disclosure", subtree="true")) == [
        C1, S1, T1, P1, G1]


async def test_subtree_filters_and_pages(world):
    api = world
    assert _numbers(await _page(api, subtree="1", category="01.01")) == [T1, G1]
    assert _numbers(await _page(api, subtree="1", year="2025")) == [G1]
    assert _numbers(await _page(api, subtree="1", kind="service")) == [T1]
    assert _numbers(await _page(api, subtree="1", q="道路")) == [T1]
    first = await _page(api, subtree="1", per_page="2")
    second = await _page(api, subtree="1", per_page="2", page="2")
    assert (_numbers(first), _numbers(second)) == ([T1, P1], [G1])
    assert first["pages"] == 2 and second["total"] == 3
    assert _numbers(await _page(api, subtree="0")) == [P1]
    resp = await api.client.get(FEED, params={"subtree": "maybe"})
    assert resp.status_code == 422
    assert [e["code"] for e in resp.json()["errors"]] == ["disclosure_feed.subtree_invalid"]


async def test_drafts_withdrawn_and_on_request_items_never_appear(world):
    api = world
    listed = set()
    for params in ({"subtree": "1"}, {"subtree": "1", "q": "通知", "per_page": "100"}):
        listed |= set(_numbers(await _page(api, **params)))
    assert not listed & {T2, T3, T4}


async def test_switching_the_plugin_off_or_a_township_suspended_hides_its_items(world,
                                                                              system_session):
    api, s = world, system_session
    await enablement.disable_plugin(s, SYSTEM, TOWNSHIP, "disclosure")
    await s.commit()
    assert _numbers(await _page(api, subtree="1")) == [P1, G1]
    await enablement.enable_plugin(s, SYSTEM, TOWNSHIP, "disclosure")
    await s.execute(update(Tenant).where(Tenant.code == SIBLING_TOWNSHIP)
                    .values(status="suspended"))
    await s.commit()
    assert _numbers(await _page(api, subtree="1")) == [T1, P1]


async def test_the_html_page_names_each_tenant_and_links_to_its_address(world):
    api = world
    resp = await api.client.get(f"{FEED}.html", params={"subtree": "1"})
    assert resp.status_code == 200, resp.text
    html = resp.text
    assert "发布机关" in html and "方塘乡" in html and "港口镇" in html
    assert f'href="/public/{TOWNSHIP}/disclosure/{T1}.html"' in html
    assert 'name="subtree" type="checkbox" value="1" checked' in html
    plain = (await api.client.get(f"{FEED}.html")).text
    assert "发布机关" not in plain and T1 not in plain


async def test_a_subtree_page_costs_the_same_statements_whatever_the_tenants(world):
    """One statement for the total and one for the page, whether the subtree holds one tenant
    with items or four (no loop over tenants)."""
    from tests.plugins.disclosure.test_feed import RLS_SETUP, counting

    api = world
    engine = api.client.app.state.engine
    counts = {}
    for code in (SIBLING_COUNTY, COUNTY, CITY):  # 1, 3 and 5 items of 1, 3 and 5 tenants
        with counting(engine) as seen:
            resp = await api.client.get(f"/public/{code}/disclosure",
                                        params={"subtree": "1", "category": "01"})
        assert resp.status_code == 200
        counts[code] = len([s for s in seen if RLS_SETUP not in s])
    assert counts[SIBLING_COUNTY] <= counts[COUNTY] == counts[CITY] <= 12, counts
