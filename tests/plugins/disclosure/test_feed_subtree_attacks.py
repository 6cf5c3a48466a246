"""Attacks on the subtree feed (``?subtree=1``): what a county portal must never show of the
tenants below it.

A township's 政策解读 of its county's document is a cross-tenant link (the township owns it).
The contract (feed.py, README) is that a listed item's links are those within its own tenant,
so the county's item never names the township's interpretation — above all not when the
township is suspended or has switched the plugin off (its items are then hidden everywhere).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from tests.plugins.disclosure.test_feed_subtree import (
    FEED,
    P1,
    T1,
    T2,
    T3,
    T4,
    _numbers,
    _page,
    world,  # noqa: F401  (the fixture)
)
from tests.plugins.disclosure.world import SYSTEM, TOWNSHIP
from zhengwu.plugins.disclosure.models import Publication, PublicationLink
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant


async def _link(s: Any, source_no: str, target_no: str, kind: str = "interprets") -> None:
    source = await s.scalar(select(Publication).where(Publication.index_no == source_no))
    target = await s.scalar(select(Publication).where(Publication.index_no == target_no))
    s.add(PublicationLink(publication_id=source.id, target_id=target.id, kind=kind,
                          tenant_id=source.tenant_id, tenant_path=source.tenant_path))
    await s.commit()


def _links(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {i["index_no"]: i["links"] for i in body["items"]}


async def test_a_townships_interpretation_of_the_countys_item_is_not_linked_on_the_subtree_feed(
        world, system_session):  # noqa: F811  (the imported fixture)
    api, s = world, system_session
    await _link(s, T1, P1)
    wide = _links(await _page(api, subtree="1"))
    assert wide[P1] == [] and wide[T1] == []  # within its own tenant only, both ways
    # as on each tenant's own feed
    assert _links(await _page(api))[P1] == []
    assert _links(await _page(api, f"/public/{TOWNSHIP}/disclosure"))[T1] == []


async def test_a_suspended_or_switched_off_townships_titles_never_reach_the_county_page(
        world, system_session):  # noqa: F811  (the imported fixture)
    api, s = world, system_session
    await _link(s, T1, P1)
    await enablement.disable_plugin(s, SYSTEM, TOWNSHIP, "disclosure")
    await s.commit()
    for params in ({"subtree": "1"}, {"subtree": "1", "q": "通知", "per_page": "100"}):
        resp = await api.client.get(FEED, params=params)
        assert "方塘乡" not in resp.text, resp.text
    html = await api.client.get(f"{FEED}.html", params={"subtree": "1"})
    assert html.status_code == 200 and "方塘乡 通知" not in html.text
    await enablement.enable_plugin(s, SYSTEM, TOWNSHIP, "disclosure")
    await s.execute(update(Tenant).where(Tenant.code == TOWNSHIP).values(status="suspended"))
    await s.commit()
    resp = await api.client.get(FEED, params={"subtree": "1"})
    assert T1 not in _numbers(resp.json()) and "方塘乡" not in resp.text


async def test_unpublished_withdrawn_and_on_request_items_are_no_link_targets_either(
        world, system_session):  # noqa: F811  (the imported fixture)
    """Links inside the township to its own non-public items show on no feed."""
    api, s = world, system_session
    for target in (T2, T3, T4):
        await _link(s, T1, target)
    wide = _links(await _page(api, subtree="1"))
    assert wide[T1] == []
