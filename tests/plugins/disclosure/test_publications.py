"""Publications: the due date on the working-day calendar (across the 2026 National Day
holiday), late publication visible and counted, index numbers per tenant and year, bad input
refused whole, attachments, links (政策解读, 废止), the scoped list."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.plugins.disclosure.world import (
    COUNTY,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
    at,
    build_disclosure_world,
    principal,
)
from zhengwu.core.calendar.service import Deadline
from zhengwu.core.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from zhengwu.plugins.disclosure import catalog, review
from zhengwu.plugins.disclosure import publications as pubs
from zhengwu.plugins.disclosure.models import Attachment, Publication, PublicationLink
from zhengwu.tenants.settings import set_setting


@pytest.fixture
async def world(system_session, settings):
    await build_disclosure_world(system_session, settings, with_users=True)
    return system_session


def fields(**kw: Any) -> pubs.PublicationFields:
    base: dict[str, Any] = {"title": "宁国市2026年部门预算", "category_code": "07",
                            "formed_on": date(2026, 9, 25), "disclosure_kinds": ("result",),
                            "body": "正文", "timing": "periodic"}
    return pubs.PublicationFields(**{**base, **kw})


async def publish(s: Any, pub: Publication, editor: str = "ng_editor",
                  reviewer: str = "ng_reviewer") -> Publication:
    pub = await review.submit(s, principal(editor), pub.id)
    pub = await review.approve(s, principal(reviewer), pub.id)
    pub = await review.approve(s, principal(reviewer), pub.id)
    await s.commit()
    assert pub.status == "published"
    return pub


async def test_due_in_twenty_working_days_across_national_day(world):
    s = world
    with at(2026, 9, 28):
        pub = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields())
        await s.commit()
    # Formed Fri 25 Sep 2026 (中秋节). Counting from the next day: 28, 29, 30 Sep (1–3); 1–7 Oct
    # National Day; 8, 9 Oct (4, 5); Sat 10 Oct make-up workday (6); 12–16 Oct (7–11);
    # 19–23 Oct (12–16); 26, 27, 28, 29 Oct (17–20).
    assert pub.due_on == date(2026, 10, 29)
    assert pub.due_derivation is not None
    d = Deadline.from_dict(pub.due_derivation)
    assert (d.start, d.limit, d.due) == (date(2026, 9, 25), 20, date(2026, 10, 29))
    assert {x.day for x in d.skipped_holidays()} >= {date(2026, 10, 1), date(2026, 10, 7)}
    assert not pubs.is_overdue(pub, date(2026, 10, 29)) and pubs.is_overdue(pub, date(2026, 10, 30))
    # on time on the 29th, late on the 30th; the overdue view lists the unpublished one
    with at(2026, 10, 29):
        on_time = await publish(s, pub)
        assert on_time.published_late is False
        late = await pubs.create_publication(s, principal("ng_editor"), COUNTY,
                                             fields(title="迟发的信息"))
        await s.commit()
    with at(2026, 10, 30):
        page = await pubs.list_publications(s, principal("ng_reviewer"),
                                            pubs.PublicationFilter(overdue=True), 20)
        assert [p.id for p in page.items] == [late.id]
        late = await publish(s, late)
        assert late.published_late is True and late.published_on == date(2026, 10, 30)
        page = await pubs.list_publications(s, principal("ng_reviewer"),
                                            pubs.PublicationFilter(overdue=True), 20)
        assert page.items == []
    counted = await s.scalar(select(func.count()).select_from(Publication).where(
        Publication.published_late.is_(True)))
    assert counted == 1
    # the setting changes the limit; items not proactive have no due date
    await set_setting(s, SYSTEM, COUNTY, "disclosure", "proactive_days", 5)
    await s.commit()
    with at(2026, 10, 30):
        five = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields())
        assert five.due_on == date(2026, 10, 9)  # 28, 29, 30 Sep, 8, 9 Oct
        other = await pubs.create_publication(s, principal("ng_editor"), COUNTY,
                                              fields(attribute="on_request"))
        assert other.due_on is None and other.due_derivation is None


async def test_index_numbers_per_tenant_and_year(world):
    s = world
    await catalog.add_category(s, principal("ng_admin"), COUNTY, "07", "部门预算")
    await s.commit()
    with at(2026, 10, 12):
        a = await publish(s, await pubs.create_publication(
            s, principal("ng_editor"), COUNTY, fields(category_code="07.01")))
        b = await publish(s, await pubs.create_publication(
            s, principal("ng_editor"), COUNTY, fields(category_code="02", title="机构职能")))
        # 方塘乡's sequence is its own; it uses the inherited 07.01
        c = await publish(s, await pubs.create_publication(
            s, principal("ft_editor"), TOWNSHIP, fields(category_code="07.01")),
            "ft_editor", "ft_reviewer")
        # withheld items still get a number (they are in the catalog), never the feed
        d = await publish(s, await pubs.create_publication(
            s, principal("ng_editor"), COUNTY,
            fields(attribute="not_disclosed", withhold_ground="process_info", title="内部讨论记录")))
    assert (a.index_no, b.index_no) == ("341881-0701-2026-00001", "341881-02-2026-00002")
    assert c.index_no == "341881204-0701-2026-00001"
    assert d.index_no == "341881-07-2026-00003" and not pubs.is_public(d)
    assert d.published_late is None
    with at(2027, 1, 4):
        e = await pubs.create_publication(s, principal("ng_editor"), COUNTY,
                                          fields(formed_on=date(2026, 12, 30)))
        await s.commit()
        e = await publish(s, e)
    assert e.index_no == "341881-07-2027-00001"
    # the number stays through a revision
    with at(2027, 1, 5):
        a = await review.revise(s, principal("ng_editor"), a.id)
        a = await publish(s, a)
    assert a.index_no == "341881-0701-2026-00001"
    assert (await pubs.get_publication(s, principal("ng_editor"), a.index_no)).id == a.id


BAD: list[tuple[dict[str, Any], set[str]]] = [
    ({"category_code": ""}, {"publication.category_required"}),
    ({"category_code": "99"}, {"publication.category_unknown"}),
    ({"category_code": "30"}, {"publication.category_unknown"}),  # a township category
    ({"attribute": "not_disclosed"}, {"publication.ground_required"}),
    ({"attribute": "not_disclosed", "withhold_ground": "administrative_query"},
     {"publication.ground_unknown"}),
    ({"withhold_ground": "state_secret"}, {"publication.ground_not_allowed"}),
    ({"attribute": "on_request", "withhold_ground": "state_secret"},
     {"publication.ground_not_allowed"}),
    ({"formed_on": date(2026, 10, 13)}, {"publication.formed_in_future"}),
    ({"formed_on": None}, {"publication.formed_on_required"}),
    ({"valid_from": date(2026, 10, 1), "valid_until": date(2026, 9, 1)},
     {"publication.validity_order"}),
    ({"disclosure_kinds": ()}, {"publication.disclosure_kinds_required"}),
    ({"disclosure_kinds": ("result", "gossip")}, {"publication.disclosure_kind_unknown"}),
    ({"key_areas": ("budget", "weather")}, {"publication.key_area_unknown"}),
    ({"attribute": "secret"}, {"publication.attribute_unknown"}),
    ({"timing": "never"}, {"publication.timing_unknown"}),
    ({"doc_kind": "memo"}, {"publication.doc_kind_unknown"}),
    ({"title": " "}, {"publication.title_required"}),
    ({"title": "", "category_code": "", "formed_on": None},
     {"publication.title_required", "publication.category_required",
      "publication.formed_on_required"}),
]


async def test_bad_input_is_refused_whole_and_nothing_is_written(world):
    s = world
    with at(2026, 10, 12):
        for change, expected in BAD:
            with pytest.raises(Invalid) as err:
                await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(**change))
            await s.rollback()
            assert err.value.code == "publication.invalid"
            assert {p.code for p in err.value.params["problems"]} == expected, change
        assert await s.scalar(select(func.count()).select_from(Publication)) == 0
        ok = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(
            attribute="not_disclosed", withhold_ground="state_secret", key_areas=["budget"],
            doc_kind="normative", valid_from=date(2026, 10, 1), valid_until=date(2026, 12, 31),
            disclosure_kinds=["decision", "result"]))
        await s.commit()
        pid = ok.id
        # an edit is checked whole too, and leaves the draft as it was
        with pytest.raises(Invalid) as err:
            await pubs.update_publication(s, principal("ng_editor"), pid,
                                          {"attribute": "proactive", "category_code": "99"})
        assert {p.code for p in err.value.params["problems"]} == {
            "publication.ground_not_allowed", "publication.category_unknown"}
        await s.rollback()
        again = await s.get(Publication, pid)
        assert again is not None and (again.attribute, again.category_code) == ("not_disclosed", "07")
        with pytest.raises(Invalid) as err:
            await pubs.update_publication(s, principal("ng_editor"), pid, {"status": "published"})
        assert err.value.code == "publication.field_unknown"
        await s.rollback()
        # without body or attachment it cannot be submitted
        empty = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(body=""))
        await s.commit()
        eid = empty.id
        with pytest.raises(Invalid) as err:
            await review.submit(s, principal("ng_editor"), eid)
        assert err.value.code == "publication.content_required"
        await s.rollback()
        await pubs.add_attachment(s, principal("ng_editor"), eid, "预算表.pdf", "application/pdf",
                                  b"%PDF-1.4 ...")
        sub = await review.submit(s, principal("ng_editor"), eid)
        assert sub.status == "confidentiality"
        await s.commit()
        # a draft is editable only before submission
        with pytest.raises(Conflict) as cerr:
            await pubs.update_publication(s, principal("ng_editor"), eid, {"title": "改"})
        assert cerr.value.code == "publication.transition_not_allowed"


async def test_attachments(world):
    s = world
    with at(2026, 10, 12):
        pub = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields())
        await s.commit()
        pid = pub.id
        att = await pubs.add_attachment(s, principal("ng_editor"), pid, "C:\\docs\\预算.xlsx",
                                        "Application/Vnd.ms-excel", b"abc")
        assert (att.filename, att.content_type, att.size) == ("预算.xlsx", "application/vnd.ms-excel", 3)
        assert att.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        await s.commit()
        aid = att.id
        for name, ctype, content, code in (
                ("", "application/pdf", b"x", "publication.attachment_filename"),
                ("a.pdf", "pdf", b"x", "publication.attachment_content_type"),
                ("a.pdf", "application/pdf", b"", "publication.attachment_empty"),
                ("a.pdf", "application/pdf", b"x" * (pubs.MAX_ATTACHMENT_BYTES + 1),
                 "publication.attachment_too_large")):
            with pytest.raises(Invalid) as err:
                await pubs.add_attachment(s, principal("ng_editor"), pid, name, ctype, content)
            assert {p.code for p in err.value.params["problems"]} == {code}
            await s.rollback()
        for who in ("xz_editor", "gk_editor", "el_admin", "ft_editor"):
            with pytest.raises(NotFound):
                await pubs.add_attachment(s, principal(who), pid, "x.pdf", "application/pdf", b"x")
            with pytest.raises(NotFound):
                await pubs.remove_attachment(s, principal(who), aid)
        with pytest.raises(PermissionDenied):
            await pubs.remove_attachment(s, principal("ng_reviewer"), aid)
        await pubs.remove_attachment(s, principal("ng_editor"), aid)
        await s.commit()
        assert await s.scalar(select(func.count()).select_from(Attachment)) == 0


async def test_links_interpretation_and_repeal(world):
    s = world
    with at(2026, 10, 12):
        old = await publish(s, await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(
            title="旧办法", category_code="01", doc_kind="normative", document_no="宁政〔2020〕1号")))
        new = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(
            title="新办法", category_code="01", doc_kind="normative"))
        await s.commit()
        link = await pubs.link_publication(s, principal("ng_editor"), new.id, old.id, "repeals")
        assert link.kind == "repeals"
        reading = await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(
            title="《新办法》政策解读", category_code="01"))
        await pubs.link_publication(s, principal("ng_editor"), reading.id, new.id, "interprets")
        await s.commit()
        # 方塘乡 may interpret the county's public item, not repeal it, not link an unpublished one
        ft = await pubs.create_publication(s, principal("ft_editor"), TOWNSHIP, fields(title="解读"))
        await s.commit()
        await pubs.link_publication(s, principal("ft_editor"), ft.id, old.id, "interprets")
        for target, kind in ((old.id, "repeals"), (new.id, "interprets")):
            with pytest.raises(NotFound):
                await pubs.link_publication(s, principal("ft_editor"), ft.id, target, kind)
        gk = await pubs.create_publication(s, principal("gk_editor"), SIBLING_TOWNSHIP, fields())
        await s.commit()
        with pytest.raises(NotFound):  # a sibling's item is never a target
            await pubs.link_publication(s, principal("gk_editor"), gk.id, ft.id, "interprets")
        with pytest.raises(DomainError) as err:
            await pubs.link_publication(s, principal("ng_editor"), new.id, new.id, "repeals")
        assert err.value.code == "publication.link_self"
        with pytest.raises(DomainError) as err:
            await pubs.link_publication(s, principal("ng_editor"), new.id, old.id, "cites")
        assert err.value.code == "publication.link_kind"
    with at(2026, 10, 20):
        new = await publish(s, new)
        old_now = await s.get(Publication, old.id)
        assert old_now is not None
        await s.refresh(old_now)
        assert old_now.repealed_on == date(2026, 10, 20)
        links = await pubs.links_of(s, new)
        assert {(lk.kind, other.title if other else None, d) for lk, other, d in links} == {
            ("repeals", "旧办法", "out"), ("interprets", "《新办法》政策解读", "in")}
    assert await s.scalar(select(func.count()).select_from(PublicationLink)) == 3


async def test_list_is_scoped_filtered_and_keyset_paged(world):
    s = world
    with at(2026, 10, 12):
        for i in range(5):
            await pubs.create_publication(s, principal("ng_editor"), COUNTY,
                                          fields(title=f"县级信息{i}", category_code="02"))
        await pubs.create_publication(s, principal("ft_editor"), TOWNSHIP, fields(title="乡级信息"))
        await pubs.create_publication(s, principal("gk_editor"), SIBLING_TOWNSHIP, fields(title="港口镇"))
        await pubs.create_publication(s, principal("ng_editor"), COUNTY, fields(
            title="2025年的信息", formed_on=date(2025, 3, 3), attribute="on_request"))
        await s.commit()
    ng = principal("ng_reviewer")
    seen: list[str] = []
    after = None
    while True:
        page = await pubs.list_publications(s, ng, None, 3, after)
        seen += [p.title for p in page.items]
        if not page.has_next:
            break
        after = pubs.page_key(page.items[-1])
    assert len(seen) == 8 and len(set(seen)) == 8
    ft = await pubs.list_publications(s, principal("ft_reviewer"), None, 50)
    assert [p.title for p in ft.items] == ["乡级信息"]
    only_ft = await pubs.list_publications(s, ng, pubs.PublicationFilter(tenant_code=TOWNSHIP), 50)
    assert [p.title for p in only_ft.items] == ["乡级信息"]
    f = pubs.PublicationFilter(category_code="02", text="县级信息3")
    assert [p.title for p in (await pubs.list_publications(s, ng, f, 50)).items] == ["县级信息3"]
    f = pubs.PublicationFilter(year=2025, attribute="on_request")
    assert [p.title for p in (await pubs.list_publications(s, ng, f, 50)).items] == ["2025年的信息"]
    f = pubs.PublicationFilter(status=("published",))
    assert (await pubs.list_publications(s, ng, f, 50)).items == []
    # bounded searches; LIKE wildcards match themselves
    for f, code in ((pubs.PublicationFilter(text="县" * 101), "publication.filter_text_too_long"),
                    (pubs.PublicationFilter(year=0), "publication.filter_year"),
                    (pubs.PublicationFilter(year=10000), "publication.filter_year"),
                    (pubs.PublicationFilter(category_code="0" * 41), "publication.filter_category")):
        with pytest.raises(DomainError) as err:
            await pubs.list_publications(s, ng, f, 5)
        assert err.value.params["problems"][0].code == code
    for text in ("%", "_", "县级信息_"):
        f = pubs.PublicationFilter(text=text)
        assert (await pubs.list_publications(s, ng, f, 50)).items == []
    for who, code in (("ft_reviewer", COUNTY), ("gk_editor", TOWNSHIP), ("xz_admin", COUNTY),
                      ("el_admin", COUNTY)):
        with pytest.raises(NotFound):
            await pubs.list_publications(s, principal(who), pubs.PublicationFilter(tenant_code=code), 5)
    with pytest.raises(PermissionDenied):
        await pubs.list_publications(s, principal("ng_clerk"), None, 5)
