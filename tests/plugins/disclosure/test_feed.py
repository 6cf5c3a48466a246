"""The public feed (/public/{code}/disclosure…): only public items, their published text,
filters, stable item addresses, attachments of public items only, one identical 404, HTML
escaping, and a constant number of statements per page.

Publications are inserted directly with the models (the review chain is tested elsewhere).
At 宁国市 (county), public: A (07, 2025), B (07.01, 2026, "50%_折扣"), C (01, revised: its draft
title differs from the published one), D (02, a title with <script>), K (15, interprets C).
Not public: E (draft), F (on request), G (not disclosed), H (withdrawn; A repeals H).
Elsewhere: T at 方塘乡, S at 宣州区, X at 二连浩特市 (disclosure not enabled there).
"""

from __future__ import annotations

import hashlib
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.plugins.disclosure.api import disclosure_api
from tests.plugins.disclosure.world import COUNTY, OTHER_COUNTY, SIBLING_COUNTY, TOWNSHIP
from zhengwu.plugins.disclosure.models import Attachment, Category, Publication, PublicationLink
from zhengwu.tenants.models import Tenant

FEED = f"/public/{COUNTY}/disclosure"
A, B, C, D, K = ("341881-07-2025-00001", "341881-0701-2026-00001", "341881-01-2026-00001",
                 "341881-02-2026-00001", "341881-15-2026-00001")
F, G, H = "341881-01-2026-00090", "341881-01-2026-00091", "341881-01-2026-00092"
T, S, X = "341881204-01-2026-00001", "341802-01-2026-00001", "152501-01-2026-00001"
RLS_SETUP = "set_config('zhengwu.scope'"  # the core's per-transaction scope (PostgreSQL)


@contextmanager
def counting(engine: Any) -> Any:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def _tenant(session: Any, code: str) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.code == code))
    assert tenant is not None
    return tenant


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, tzinfo=UTC)


async def _pub(session: Any, code: str, *, title: str, category: str = "01",
               index_no: str | None = None, published_on: date | None = None,
               attribute: str = "proactive", withdrawn: bool = False, body: str = "",
               published_title: str | None = None, published_body: str | None = None,
               kinds: tuple[str, ...] = (), status: str | None = None) -> Publication:
    tenant = await _tenant(session, code)
    published = published_on is not None
    p = Publication(
        tenant_id=tenant.id, tenant_path=tenant.path, index_no=index_no, title=title,
        body=body, category_code=category, disclosure_kinds=list(kinds), key_areas=["budget", "procurement"],
        attribute=attribute, withhold_ground="state_secret" if attribute == "not_disclosed"
        else None, timing="long_term", formed_on=date(2025, 1, 2), document_no="宁政〔2025〕1号",
        department_name="宁国市人民政府办公室",
        status=status or ("withdrawn" if withdrawn else "published" if published else "draft"),
        published_at=_at(published_on) if published_on else None, published_on=published_on,
        published_late=False if published else None,
        published_title=(published_title or title) if published else None,
        published_body=(published_body if published_body is not None else body)
        if published else None,
        withdrawn_at=_at(date(2026, 6, 1)) if withdrawn else None,
        withdraw_reason="错误" if withdrawn else None)
    session.add(p)
    await session.flush()
    return p


async def _attach(session: Any, p: Publication, filename: str, content: bytes,
                  content_type: str = "application/pdf") -> Attachment:
    a = Attachment(tenant_id=p.tenant_id, tenant_path=p.tenant_path, publication_id=p.id,
                   filename=filename, content_type=content_type, size=len(content),
                   sha256=hashlib.sha256(content).hexdigest(), content=content,
                   created_at=datetime(2025, 1, 1, tzinfo=UTC))  # before publication
    session.add(a)
    await session.flush()
    return a


@pytest.fixture
async def world(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        s = system_session
        county = await _tenant(s, COUNTY)
        s.add(Category(tenant_id=county.id, tenant_path=county.path, code="07.01",
                       parent_code="07", name="部门预算"))
        a = await _pub(s, COUNTY, title="2025年财政预算 Budget Report", category="07", index_no=A,
                       published_on=date(2025, 3, 10), body="全部公开", kinds=("result",))
        await _pub(s, COUNTY, title="关于 50%_折扣 的通知", category="07.01", index_no=B,
                   published_on=date(2026, 2, 1), kinds=("service",))
        c = await _pub(s, COUNTY, title="DRAFT 修订稿", category="01", index_no=C,
                       published_on=date(2026, 3, 1), body="draft body",
                       published_title="现行规定", published_body="published body",
                       kinds=("decision",), status="leader")
        await _pub(s, COUNTY, title="<script>alert(1)</script>公告", category="02", index_no=D,
                   published_on=date(2026, 3, 2), body="<b>粗体</b>")
        k = await _pub(s, COUNTY, title="《现行规定》政策解读", category="15", index_no=K,
                       published_on=date(2026, 3, 3))
        await _pub(s, COUNTY, title="草稿 budget", category="07")
        await _pub(s, COUNTY, title="依申请公开 budget", index_no=F, attribute="on_request",
                   published_on=date(2026, 1, 5))
        await _pub(s, COUNTY, title="不予公开 budget", index_no=G, attribute="not_disclosed",
                   published_on=date(2026, 1, 5))
        h = await _pub(s, COUNTY, title="已撤回 budget", index_no=H, published_on=date(2026, 1, 6),
                       withdrawn=True)
        await _pub(s, TOWNSHIP, title="方塘乡 budget", index_no=T, published_on=date(2026, 1, 7))
        await _pub(s, SIBLING_COUNTY, title="宣州区 budget", index_no=S,
                   published_on=date(2026, 1, 7))
        await _pub(s, OTHER_COUNTY, title="二连浩特 budget", index_no=X,
                   published_on=date(2026, 1, 7))
        files = {"a": await _attach(s, a, "预算表 2025.pdf", b"%PDF-1.4 budget"),
                 "html": await _attach(s, a, 'x"\r\n<b>.html', b"<script>1</script>",
                                       "text/html\r\nSet-Cookie: a=b"),
                 "h": await _attach(s, h, "withdrawn.pdf", b"%PDF-1.4 gone")}
        for source, target, kind in ((a, h, "repeals"), (k, c, "interprets")):
            s.add(PublicationLink(tenant_id=county.id, tenant_path=county.path,
                                  publication_id=source.id, target_id=target.id, kind=kind))
        await s.commit()
        yield api, files


async def _items(api: Any, url: str = FEED, **params: Any) -> list[str]:
    resp = await api.client.get(url, params=params)
    assert resp.status_code == 200, resp.text
    return [i["index_no"] for i in resp.json()["items"]]


async def test_only_public_items_newest_first_with_their_published_text(world):
    api, _ = world
    resp = await api.client.get(FEED)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "public, max-age=60"
    body = resp.json()
    assert [i["index_no"] for i in body["items"]] == [K, D, C, B, A]
    assert (body["total"], body["page"], body["pages"]) == (5, 1, 1)
    assert body["tenant"] == {"code": COUNTY, "name": "宁国市"}
    titles = {i["index_no"]: i["title"] for i in body["items"]}
    assert titles[C] == "现行规定"  # the published text, not the revision in review
    assert "DRAFT" not in resp.text and "草稿" not in resp.text and "撤回" not in resp.text
    a = next(i for i in body["items"] if i["index_no"] == A)
    assert a["category_name"] == "财政预算、决算信息" and a["url"] == f"{FEED}/{A}"
    assert a["published_on"] == "2025-03-10" and a["disclosure_kinds"] == ["result"]
    assert [x["filename"] for x in a["attachments"]] == ['x"\r\n<b>.html', "预算表 2025.pdf"]
    assert a["links"] == []  # A repeals H, but H is withdrawn: not shown
    b = next(i for i in body["items"] if i["index_no"] == B)
    assert b["category_name"] == "部门预算"  # the county's own sub-category
    # the township's feed is its own items only; the county's does not include them
    assert await _items(api, f"/public/{TOWNSHIP}/disclosure") == [T]
    assert await _items(api, f"/public/{SIBLING_COUNTY}/disclosure") == [S]


async def test_filters(world):
    api, _ = world
    assert await _items(api, category="07") == [B, A]  # with its sub-category 07.01
    assert await _items(api, category="07.01") == [B]
    assert await _items(api, category="0") == []  # a code, not a prefix of digits
    assert await _items(api, year="2025") == [A]
    assert await _items(api, year=2026, category="07") == [B]
    assert await _items(api, kind="decision") == [C]
    assert await _items(api, kind="service") == [B]
    assert await _items(api, attribute="proactive") == [K, D, C, B, A]
    # text: case-insensitive, in the published title or body, wildcards match themselves
    assert await _items(api, q="BUDGET") == [A]
    assert await _items(api, q="%") == [B]
    assert await _items(api, q="_") == [B]
    assert await _items(api, q="50%_") == [B]
    assert await _items(api, q="0%") == [B]
    assert await _items(api, q="全部") == [A]
    assert await _items(api, q="published body") == [C]
    assert await _items(api, q="draft") == []  # the draft's text is not public
    # pages
    resp = await api.client.get(FEED, params={"per_page": 2, "page": 2})
    body = resp.json()
    assert [i["index_no"] for i in body["items"]] == [C, B]
    assert (body["total"], body["pages"]) == (5, 3)


async def test_bad_searches_are_reported_at_once(world):
    api, _ = world
    resp = await api.client.get(FEED, params={"q": "长" * 51, "category": "07%", "year": "abc",
                                              "attribute": "on_request", "per_page": 101,
                                              "kind": "everything"})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["code"] == "disclosure_feed.invalid_query"
    assert {e["code"] for e in body["errors"]} == {
        "disclosure_feed.q_too_long", "disclosure_feed.category_invalid",
        "disclosure_feed.year_invalid", "disclosure_feed.attribute_not_public",
        "disclosure_feed.per_page_invalid", "disclosure_feed.kind_invalid"}
    page = await api.client.get(f"{FEED}.html", params={"page": "0"})
    assert page.status_code == 422 and "页码" in page.text and "<form" in page.text


async def test_item_at_its_stable_address(world):
    api, _ = world
    resp = await api.client.get(f"{FEED}/{C}")
    assert resp.status_code == 200, resp.text
    item = resp.json()
    assert (item["index_no"], item["title"], item["body"]) == (C, "现行规定", "published body")
    assert item["category_name"] == "行政法规、规章和规范性文件"
    assert item["links"] == [{"relation": "interpreted_by", "index_no": K,
                              "title": "《现行规定》政策解读"}]
    assert (await api.client.get(f"{FEED}/{K}")).json()["links"] == [
        {"relation": "interprets", "index_no": C, "title": "现行规定"}]
    page = await api.client.get(f"{FEED}/{C}.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "现行规定" in page.text and "published body" in page.text and "DRAFT" not in page.text
    assert f'href="{FEED}/{K}.html"' in page.text and "政策解读" in page.text
    assert "预算决算、政府采购" in page.text and "长期公开" in page.text


async def test_html_escapes_everything(world):
    api, _ = world
    page = await api.client.get(f"{FEED}/{D}.html")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<b>粗体" not in page.text and "&lt;b&gt;粗体" in page.text
    listing = await api.client.get(f"{FEED}.html", params={"q": '"><script>x</script>'})
    assert listing.status_code == 200
    assert "<script>" not in listing.text and "&lt;script&gt;alert(1)" not in listing.text
    assert "&#34;&gt;&lt;script&gt;x&lt;/script&gt;" in listing.text  # echoed in the form, escaped
    full = await api.client.get(f"{FEED}.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公告" in full.text and "<script>" not in full.text


async def test_the_html_page(world):
    api, _ = world
    page = await api.client.get(f"{FEED}.html", params={"per_page": 2, "category": "07"})
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="zh-CN">' in html and "政府信息公开目录" in html and "宁国市" in html
    assert '<option value="07" selected>' in html and "财政预算、决算信息" in html
    assert "部门预算" in html and '<option value="16">' in html  # county catalog: Art. 21 too
    assert '<option value="30">' not in html  # township-only categories
    assert "共 2 条" in html and f'href="{FEED}/{B}.html"' in html
    assert "下一页" not in html
    page = await api.client.get(f"{FEED}.html", params={"per_page": 2})
    assert "共 5 条" in page.text and "第 1 / 3 页" in page.text
    assert f'href="{FEED}.html?page=2&amp;per_page=2" rel="next"' in page.text
    page = await api.client.get(f"{FEED}.html", params={"per_page": 2, "page": 3})
    assert f'href="{FEED}.html?page=2&amp;per_page=2" rel="prev"' in page.text
    assert f'href="{FEED}/{A}.html"' in page.text


async def test_attachments_only_of_public_items(world):
    api, files = world
    a, h = files["a"].id, files["h"].id
    resp = await api.client.get(f"{FEED}/{A}/attachments/{a}")
    assert resp.status_code == 200
    assert resp.content == b"%PDF-1.4 budget"
    assert resp.headers["content-type"].startswith("application/pdf")
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E9%A2%84%E7%AE%97%E8%A1%A8%202025.pdf" in disposition
    assert resp.headers["x-content-type-options"] == "nosniff"
    item = (await api.client.get(f"{FEED}/{A}")).json()
    assert item["attachments"][1]["url"] == f"{FEED}/{A}/attachments/{a}"
    # a stored file is never rendered by the browser, nor can its metadata forge headers
    resp = await api.client.get(f"{FEED}/{A}/attachments/{files['html'].id}")
    assert resp.status_code == 200 and "set-cookie" not in resp.headers
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["content-disposition"].startswith('attachment; filename="x___<b>.html"')
    assert resp.headers["content-security-policy"] == "sandbox"
    misses = [f"{FEED}/{H}/attachments/{h}",          # the item is withdrawn
              f"{FEED}/{C}/attachments/{a}",          # another item's file
              f"{FEED}/{A}/attachments/{uuid.uuid4()}",
              f"/public/{SIBLING_COUNTY}/disclosure/{A}/attachments/{a}"]
    for url in misses:
        resp = await api.client.get(url)
        assert resp.status_code == 404, url


async def test_every_miss_is_the_same_404(world):
    api, _ = world
    misses = [f"{FEED}/{F}", f"{FEED}/{G}", f"{FEED}/{H}", f"{FEED}/nothing-here",
              f"{FEED}/{T}",                                  # the township's item, county address
              f"/public/{TOWNSHIP}/disclosure/{A}",           # the county's item, township address
              f"/public/{SIBLING_COUNTY}/disclosure/{A}",
              f"/public/{OTHER_COUNTY}/disclosure/{X}",       # plugin not enabled there
              f"/public/{OTHER_COUNTY}/disclosure",
              "/public/999999/disclosure", "/public/abc/disclosure", f"{FEED}/{'9' * 61}"]
    answers = set()
    for url in misses:
        resp = await api.client.get(url)
        assert resp.status_code == 404, (url, resp.text)
        assert resp.headers["cache-control"] == "no-cache"
        answers.add(resp.text)
    assert len(answers) == 1, answers
    assert "disclosure.not_found" in answers.pop()
    pages = set()
    for url in [f"{FEED}/{H}.html", f"{FEED}/{F}.html", f"/public/{OTHER_COUNTY}/disclosure.html",
                "/public/999999/disclosure.html", f"/public/{OTHER_COUNTY}/disclosure/{X}.html"]:
        resp = await api.client.get(url)
        assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html")
        pages.add(resp.text)
    assert len(pages) == 1 and "未找到该公开信息" in pages.pop()


async def test_a_page_costs_constant_statements(world):
    api, _ = world
    engine = api.client.app.state.engine
    counts, totals = {}, {}
    for n in (2, 5):
        for url in (FEED, f"{FEED}.html"):
            with counting(engine) as seen:
                resp = await api.client.get(url, params={"per_page": n})
            assert resp.status_code == 200
            totals[n, url] = len(seen)
            counts[n, url] = len([s for s in seen if RLS_SETUP not in s])
    for url in (FEED, f"{FEED}.html"):
        assert counts[2, url] == counts[5, url] and totals[2, url] == totals[5, url], counts
    assert counts[5, FEED] <= 10, counts


async def test_the_empty_form_and_any_caller_see_the_same_feed(world):
    api, _ = world
    anonymous = await api.client.get(FEED)
    form = await api.client.get(f"{FEED}.html", params={"category": "", "kind": "", "year": "",
                                                        "q": ""})
    assert form.status_code == 200 and "共 5 条" in form.text
    # a token (of any tenant, with or without a disclosure role) neither widens nor narrows it
    for who in ("el_admin", "xz_admin", "gk_editor", "ng_clerk", "ng_editor"):
        headers = {"Authorization": f"Bearer {api.tokens[who]}"}
        resp = await api.client.get(FEED, headers=headers)
        assert resp.status_code == 200 and resp.json() == anonymous.json(), who
        miss = await api.client.get(f"{FEED}/{H}", headers=headers)  # withdrawn stays hidden
        assert miss.status_code == 404, who
        assert (await api.client.get(f"/public/{OTHER_COUNTY}/disclosure/{X}",
                                     headers=headers)).status_code == 404, who


async def test_through_the_review_chain(world, system_session):
    """Published by the real services: it appears at its index number; a revision in review
    leaves the published text public; withdrawn, it is the same 404 as anything else."""
    from tests.plugins.disclosure.world import at, principal
    from zhengwu.plugins.disclosure import publications as pubs
    from zhengwu.plugins.disclosure import review

    api, _ = world
    s = system_session
    with at(2026, 10, 12):
        pub = await pubs.create_publication(s, principal("ng_editor"), COUNTY, pubs.PublicationFields(
            title="宁国市2026年部门预算", category_code="07", formed_on=date(2026, 10, 9),
            disclosure_kinds=("result",), body="预算正文", timing="periodic"))
        await review.submit(s, principal("ng_editor"), pub.id)
        await review.approve(s, principal("ng_reviewer"), pub.id, "同意")
        await review.approve(s, principal("ng_reviewer"), pub.id, "同意")
        await s.commit()
        index_no = pub.index_no
        assert index_no and index_no.startswith(f"{COUNTY}-")
        assert (await _items(api, q="部门预算")) == [index_no]
        await review.revise(s, principal("ng_editor"), pub.id, "更正")
        await pubs.update_publication(s, principal("ng_editor"), pub.id,
                                      {"title": "修订中的标题", "body": "修订中的正文"})
        await s.commit()
    item = (await api.client.get(f"{FEED}/{index_no}")).json()
    assert (item["title"], item["body"]) == ("宁国市2026年部门预算", "预算正文")
    assert await _items(api, q="修订中") == []
    with at(2026, 10, 13):
        await review.withdraw(s, principal("ng_reviewer"), pub.id, "信息有误")
        await s.commit()
    gone = await api.client.get(f"{FEED}/{index_no}")
    unknown = await api.client.get(f"{FEED}/nothing-here")
    assert gone.status_code == 404 and gone.text == unknown.text
    assert await _items(api, q="部门预算") == []


async def test_a_file_added_to_a_revision_waits_for_its_review(world, system_session):
    """Attachments are not versioned: one added while a published item is revised must not
    reach the public before the revision passes the review chain (保密审查 included)."""
    from tests.plugins.disclosure.world import at, principal
    from zhengwu.plugins.disclosure import publications as pubs
    from zhengwu.plugins.disclosure import review

    api, _ = world
    s = system_session
    editor, reviewer = principal("ng_editor"), principal("ng_reviewer")
    with at(2026, 10, 12):
        pub = await pubs.create_publication(s, editor, COUNTY, pubs.PublicationFields(
            title="宁国市2026年部门预算", category_code="07", formed_on=date(2026, 10, 9),
            disclosure_kinds=("result",), body="预算正文", timing="periodic"))
        first = await pubs.add_attachment(s, editor, pub.id, "预算.pdf", "application/pdf",
                                          b"%PDF reviewed")
        await review.submit(s, editor, pub.id)
        await review.approve(s, reviewer, pub.id, "同意")
        await review.approve(s, reviewer, pub.id, "同意")
        await s.commit()
        index_no = pub.index_no
    with at(2026, 10, 20):
        await review.revise(s, editor, pub.id, "补充附件")
        added = await pubs.add_attachment(s, editor, pub.id, "未审核.pdf", "application/pdf",
                                          b"%PDF not reviewed")
        await s.commit()
    item = (await api.client.get(f"{FEED}/{index_no}")).json()
    assert [a["id"] for a in item["attachments"]] == [str(first.id)]
    page = (await api.client.get(FEED, params={"q": "部门预算"})).json()
    assert [a["id"] for a in page["items"][0]["attachments"]] == [str(first.id)]
    assert (await api.client.get(f"{FEED}/{index_no}/attachments/{added.id}")).status_code == 404
    assert (await api.client.get(f"{FEED}/{index_no}/attachments/{first.id}")).status_code == 200
    with at(2026, 10, 21):
        await review.submit(s, editor, pub.id)
        await review.approve(s, reviewer, pub.id, "同意")
        await review.approve(s, reviewer, pub.id, "同意")
        await s.commit()
    item = (await api.client.get(f"{FEED}/{index_no}")).json()
    assert {a["id"] for a in item["attachments"]} == {str(first.id), str(added.id)}
    assert (await api.client.get(f"{FEED}/{index_no}/attachments/{added.id}")).status_code == 200
