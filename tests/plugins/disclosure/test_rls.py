"""PostgreSQL row-level security of the disclosure tables, bypassing the application's
filters (raw SELECTs with no WHERE): a tenant reads its subtree, and of its ancestors only
their public items (migration d002) — never their drafts, items on request or not
disclosed, withdrawn items, nor their attachments, review steps or requests; siblings
nothing; and an ancestor's public item cannot be written from below."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.plugins.disclosure.world import (
    COUNTY,
    PATHS,
    SIBLING_TOWNSHIP,
    TOWNSHIP,
    build_disclosure_world,
)
from zhengwu.core.db import scoped_session
from zhengwu.plugins.disclosure.models import (
    Attachment,
    DisclosureRequest,
    Publication,
    ReviewStep,
)
from zhengwu.tenants.models import Tenant

pytestmark = pytest.mark.pg_only

NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)


async def _pub(s: Any, code: str, title: str, *, attribute: str = "proactive",
               published: bool = True, withdrawn: bool = False) -> Publication:
    tenant = await s.scalar(select(Tenant).where(Tenant.code == code))
    p = Publication(
        tenant_id=tenant.id, tenant_path=tenant.path, title=title, body=f"{title} 正文",
        category_code="01", disclosure_kinds=["result"], key_areas=[], attribute=attribute,
        withhold_ground="state_secret" if attribute == "not_disclosed" else None,
        timing="ad_hoc", doc_kind="other", is_major=False, version=1,
        status="withdrawn" if withdrawn else "published" if published else "draft",
        formed_on=date(2026, 3, 1), published_at=NOW if published else None,
        published_on=NOW.date() if published else None,
        withdrawn_at=NOW if withdrawn else None)
    s.add(p)
    await s.flush()
    s.add(Attachment(publication_id=p.id, tenant_id=tenant.id, tenant_path=tenant.path,
                     filename=f"{title}.pdf", content_type="application/pdf", size=1,
                     sha256="0" * 64, content=b"x", created_at=NOW))
    s.add(ReviewStep(publication_id=p.id, tenant_id=tenant.id, tenant_path=tenant.path,
                     action="submit", from_status="draft", to_status="confidentiality",
                     at=NOW, comment=f"{title} 审核意见", version=1))
    return p


@pytest.fixture
async def pg_world(settings, system_session):
    assert settings.is_postgres
    s = system_session
    await build_disclosure_world(s, settings)
    county = await s.scalar(select(Tenant).where(Tenant.code == COUNTY))
    public = await _pub(s, COUNTY, "县公开")
    await _pub(s, COUNTY, "县草稿", published=False)
    await _pub(s, COUNTY, "县依申请", attribute="on_request")
    await _pub(s, COUNTY, "县不予公开", attribute="not_disclosed")
    await _pub(s, COUNTY, "县已撤回", withdrawn=True)
    await _pub(s, TOWNSHIP, "乡草稿", published=False)
    await _pub(s, SIBLING_TOWNSHIP, "港口镇公开")
    s.add(DisclosureRequest(
        tenant_id=county.id, tenant_path=county.path, request_no="341881-GK-2026-00001",
        channel="in_person", requester_kind="natural_person", requester_name="张三",
        description="县的申请", submitted_at=NOW, received_on=NOW.date(), status="registered",
        clock_start=NOW.date(), due_on=NOW.date(), due_derivation={}, extended_days=0))
    await s.commit()
    return public


async def _all(s: Any, sql: str) -> set[str]:
    return {r[0] for r in await s.execute(text(sql))}


async def test_below_reads_only_the_ancestors_public_items(pg_world, sessionmaker):
    async with scoped_session(sessionmaker, PATHS[TOWNSHIP]) as s:
        assert await _all(s, "SELECT title FROM disclosure_publications") == {"乡草稿", "县公开"}
        assert await _all(s, "SELECT filename FROM disclosure_attachments") == {"乡草稿.pdf"}
        assert await _all(s, "SELECT comment FROM disclosure_review_steps") == {"乡草稿 审核意见"}
        assert await _all(s, "SELECT request_no FROM disclosure_requests") == set()
    async with scoped_session(sessionmaker, PATHS[SIBLING_TOWNSHIP]) as s:
        assert await _all(s, "SELECT title FROM disclosure_publications") == {"港口镇公开",
                                                                             "县公开"}
    async with scoped_session(sessionmaker, PATHS[COUNTY]) as s:  # its own subtree, all of it
        assert len(await _all(s, "SELECT title FROM disclosure_publications")) == 7
        assert await _all(s, "SELECT request_no FROM disclosure_requests") == {
            "341881-GK-2026-00001"}


async def test_an_ancestors_public_item_is_not_writable_below(pg_world, sessionmaker):
    public = pg_world
    async with scoped_session(sessionmaker, PATHS[TOWNSHIP]) as s:
        res = await s.execute(text("UPDATE disclosure_publications SET title = 'pwned' "
                                   "WHERE id = :id"), {"id": public.id})
        assert res.rowcount == 0
        res = await s.execute(text("DELETE FROM disclosure_publications WHERE id = :id"),
                              {"id": public.id})
        assert res.rowcount == 0
    async with scoped_session(sessionmaker, PATHS[COUNTY]) as s:
        assert await _all(s, "SELECT title FROM disclosure_publications WHERE title = '县公开'") \
            == {"县公开"}
