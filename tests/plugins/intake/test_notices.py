"""Printed notices and decisions (文书): issued by their lifecycle event, once; numbered per
issuing tenant, kind and year; the applicant masked; the stored facts render the same bytes
again; and read through the case's scope (HTTP and GraphQL)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.plugins.intake.api import intake_api
from tests.plugins.intake.world import (
    COUNTY,
    ENERGY,
    ID_NUMBER,
    MIGRANT,
    PHONE,
    PROPERTY,
    SYSTEM,
    TOWNSHIP,
    VILLAGE,
    build_intake_world,
    new_case,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.errors import NotFound
from zhengwu.plugins.intake import notices, service
from zhengwu.plugins.intake.inputs import SubmittedMaterial, SupplementItem
from zhengwu.plugins.intake.models import CaseNotice
from zhengwu.tenants.settings import set_setting

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday; National Day (Oct 1–7) ahead
CLERK, APPROVER = principal("ng_clerk"), principal("ng_approver")


def at(y: int, m: int, d: int):
    return clock.freeze(datetime(y, m, d, 2, 0, tzinfo=UTC))


async def _notices(s, case_id) -> list[CaseNotice]:
    return list((await s.scalars(select(CaseNotice).where(CaseNotice.case_id == case_id)
                                 .order_by(CaseNotice.issued_at, CaseNotice.id))).all())


@pytest.fixture
async def world(system_session, settings):
    await build_intake_world(system_session, settings)
    return system_session


async def test_each_kind_is_issued_once_by_its_event(world):
    s = world
    with clock.freeze(MON):
        case = await service.submit_case(s, CLERK, new_case(ENERGY, materials=()))
        assert await _notices(s, case.id) == []  # submission is not an act to notify
        await service.request_supplement(s, CLERK, case.id, [SupplementItem(1, "missing"),
                                                             SupplementItem(2, "faulty", "未盖章")])
        await service.receive_supplement(s, CLERK, case.id, [SubmittedMaterial(1, originals=1),
                                                             SubmittedMaterial(2, originals=1)])
        await service.accept_case(s, CLERK, case.id)
        await s.commit()
    with at(2026, 10, 9):
        await service.decide_case(s, APPROVER, case.id, approved=True)
        await service.deliver_case(s, CLERK, case.id, method="pickup")
        await s.commit()
    found = await _notices(s, case.id)
    assert [n.kind for n in found] == ["supplement", "acceptance", "approval", "delivery"]
    supplement, acceptance, approval, delivery = found
    assert [i["seq"] for i in supplement.facts["items"]] == [1, 2]  # every material, one notice
    assert supplement.event_key == "supplement:1"
    assert acceptance.number == "341881-SL-2026-000001"
    assert acceptance.facts["due_date"] == "2026-10-10"
    assert [h["name"] for h in acceptance.facts["derivation"]["holidays"]] == ["国庆节"]
    assert approval.number == "341881-ZY-2026-000001" and approval.issued_by == "ng_approver"
    assert delivery.facts["documents"] == [{"title": "准予行政许可决定书", "number": approval.number}]
    # issuing again for the same event returns the record, never a second number
    with at(2026, 10, 9):
        again = await notices.issue_acceptance(s, CLERK, case)
    assert again.id == acceptance.id and len(await _notices(s, case.id)) == 4

    with clock.freeze(MON):
        refused = await service.submit_case(s, CLERK, new_case(PROPERTY, materials=(1, 2, 3, 4)))
        await service.not_accept_case(s, CLERK, refused.id, "申请事项不属于本机关职权范围",
                                      "《中华人民共和国行政许可法》第三十二条第一款第（二）项")
        denied = await service.submit_case(s, CLERK, new_case(PROPERTY, materials=(1, 2, 3, 4)))
        await service.accept_case(s, CLERK, denied.id)
        await service.decide_case(s, APPROVER, denied.id, approved=False, reason="房屋权属来源证明不符")
        await s.commit()
    assert [n.kind for n in await _notices(s, refused.id)] == ["non_acceptance"]
    assert [n.kind for n in await _notices(s, denied.id)] == ["acceptance", "denial"]


async def test_instant_items_and_parallel_approvals(world):
    from tests.plugins.intake.world import BIRTH
    from zhengwu.plugins.intake.inputs import NewParallelCase, ParallelPart

    s = world
    clerk = principal("ft_clerk")
    with clock.freeze(MON):
        instant = await service.submit_case(s, clerk, new_case(BIRTH, TOWNSHIP, materials=(1, 2)))
        await service.complete_instant(s, clerk, instant.id)
        parallel = await service.submit_parallel(s, CLERK, NewParallelCase(
            tenant_code=COUNTY, title="新建项目", applicant=new_case().applicant,
            parts=(ParallelPart(ENERGY, new_case().materials),
                   ParallelPart(PROPERTY, new_case(materials=(1, 2, 3, 4)).materials))))
        await service.accept_case(s, CLERK, parallel.id)
        await s.commit()
    assert [n.kind for n in await _notices(s, instant.id)] == ["acceptance", "approval"]
    assert (await _notices(s, instant.id))[0].number == "341881204-SL-2026-000001"
    # one acceptance notice for the whole application, listing each part and its due date
    [accepted] = await _notices(s, parallel.id)
    assert [p["case_no"] for p in accepted.facts["parts"]] == [
        f"{parallel.case_no}-1", f"{parallel.case_no}-2"]
    for part in await service.parts_of(s, parallel):
        assert await _notices(s, part.id) == []


async def test_numbers_per_issuing_tenant_kind_and_year(world):
    s = world
    with clock.freeze(MON):
        cases = [await service.submit_case(s, CLERK, new_case()) for _ in range(2)]
        for c in cases:
            await service.accept_case(s, CLERK, c.id)
        village = await service.submit_case(s, principal("ft_agent"), new_case(
            MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await service.accept_case(s, principal("ft_agent"), village.id)
        await s.commit()
    with at(2026, 9, 29):
        await service.decide_case(s, principal("ft_approver"), village.id, approved=True)
        await s.commit()
    numbers = [n.number for c in cases for n in await _notices(s, c.id)]
    assert numbers == ["341881-SL-2026-000001", "341881-SL-2026-000002"]
    # the agent point accepts (its numbers), the township decides (its numbers)
    assert [n.number for n in await _notices(s, village.id)] == [
        "341881204200-SL-2026-000001", "341881204-ZY-2026-000001"]
    # a new year starts at 1 again
    from zhengwu.tenants.models import Tenant
    county = await s.scalar(select(Tenant).where(Tenant.code == COUNTY))
    assert await notices._next_number(s, county, "acceptance", 2027) == "341881-SL-2027-000001"
    assert await notices._next_number(s, county, "acceptance", 2026) == "341881-SL-2026-000003"


async def test_the_page_masks_the_applicant_and_states_what_the_law_requires(world):
    s = world
    await set_setting(s, SYSTEM, COUNTY, "intake", "review_body", "宁国市人民政府")
    with clock.freeze(MON):
        case = await service.submit_case(s, CLERK, new_case(PROPERTY, materials=(1, 2, 3, 4)))
        await service.not_accept_case(s, CLERK, case.id, "<b>不属于</b>本机关职权范围。",
                                      "《中华人民共和国行政许可法》第三十二条")
        accepted = await service.submit_case(s, CLERK, new_case())
        await service.accept_case(s, CLERK, accepted.id)
        await s.commit()
    [refusal] = await _notices(s, case.id)
    html = notices.render(refusal)
    assert ID_NUMBER not in html and PHONE not in html
    assert "110*************2X" in html and "张三" in html
    assert "不予受理通知书" in html and refusal.number in html and "（印章）" in html
    assert "&lt;b&gt;不属于&lt;/b&gt;" in html  # autoescaped: staff text prints as text
    assert "。。" not in html
    assert "宁国市人民政府申请行政复议" in html and "提起行政诉讼" in html and "六十日" in html
    assert "2026年9月28日" in html
    [acceptance] = await _notices(s, accepted.id)
    page = notices.render(acceptance)
    assert "2026年10月10日" in page and "国庆节" in page and "第三十二条" in page
    assert "@page" in page and "A4" in page


async def test_the_stored_facts_reproduce_the_document(world, system_session):
    s = world
    with clock.freeze(MON):
        case = await service.submit_case(s, CLERK, new_case(ENERGY, materials=()))
        await service.request_supplement(s, CLERK, case.id, [SupplementItem(1), SupplementItem(2)])
        await s.commit()
    [issued] = await _notices(s, case.id)
    digest = issued.sha256
    s.expunge_all()  # read back from the database, the clock elsewhere
    with at(2030, 1, 1):
        [stored] = await _notices(s, case.id)
        html = notices.render(stored)
    assert hashlib.sha256(html.encode()).hexdigest() == digest == stored.sha256
    assert notices.verify(stored)
    stored.facts = {**stored.facts, "issued_on": "2026-09-29"}
    assert not notices.verify(stored)


async def test_reading_a_notice_follows_the_case_scope(world):
    s = world
    with clock.freeze(MON):
        case = await service.submit_case(s, principal("ft_agent"), new_case(
            MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await service.accept_case(s, principal("ft_agent"), case.id)
        await s.commit()
    [n] = await _notices(s, case.id)
    for who in ("ft_agent", "ft_clerk", "ng_clerk"):
        assert (await notices.get_notice(s, principal(who), n.number)).id == n.id
    for who in ("sc_agent", "gk_clerk", "xz_admin"):
        with pytest.raises(NotFound) as miss:
            await notices.get_notice(s, principal(who), n.number)
        assert miss.value.code == "notice.not_found"


# ------------------------------------------------------------------------------ HTTP

@pytest.fixture
async def api(settings, system_session):
    async for api in intake_api(settings, system_session):
        yield api


NOTICES = """query($id: ID!) { case(id: $id) { caseNo notices { kind title number issuedAt
    issuedOn issuedBy sha256 url } } }"""


async def test_staff_fetch_notices_as_html_and_graphql_lists_them(api, system_session):
    s = system_session
    with clock.freeze(MON):
        case = await service.submit_case(s, principal("ft_agent"), new_case(
            MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await service.accept_case(s, principal("ft_agent"), case.id)
        await s.commit()
    data = await api.gql("ft_clerk", NOTICES, {"id": str(case.id)})
    assert "errors" not in data, data
    [listed] = data["data"]["case"]["notices"]
    assert listed["kind"] == "ACCEPTANCE" and listed["title"] == "受理通知书"
    assert listed["number"] == "341881204200-SL-2026-000001"
    assert listed["url"] == f"/api/v1/intake/notices/{listed['number']}"

    async def get(who, url=listed["url"]):
        headers = {"Authorization": f"Bearer {api.tokens[who]}"} if who else {}
        return await api.client.get(url, headers=headers)

    # the agent point that accepted and the township that handles both read it
    for who in ("ft_agent", "ft_clerk"):
        resp = await get(who)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/html")
        assert hashlib.sha256(resp.content).hexdigest() == listed["sha256"]
        assert resp.headers["x-notice-sha256"] == listed["sha256"]
        assert "no-store" in resp.headers["cache-control"]
        assert ID_NUMBER not in resp.text and "110*************2X" in resp.text
    missing = await get("ft_clerk", "/api/v1/intake/notices/341881204200-SL-2026-999999")
    assert missing.status_code == 404
    for who in ("sc_agent", "gk_clerk", "xz_admin", "el_admin"):  # siblings: the same 404
        resp = await get(who)
        assert resp.status_code == 404, (who, resp.text)
        assert resp.json()["code"] == missing.json()["code"] == "notice.not_found"
    assert (await get(None)).status_code == 401
    assert (await get("ng_assessor")).status_code == 403  # aggregates only, never a case
    data = await api.gql("sc_agent", NOTICES, {"id": str(case.id)})
    assert data.get("data") is None or data["data"]["case"] is None


async def test_mutations_issue_the_notices_under_row_level_security(api):
    """Through GraphQL as the staff send it (on PostgreSQL as the app's role, under row-level
    security): the agent point's acts are numbered by the point, the township's decision by
    the township, and a failed mutation issues nothing."""
    from tests.plugins.intake.api import submit_input

    fields = "id notices { kind number issuedBy }"
    with clock.freeze(MON):
        case = (await api.mutate("ft_agent", "submitCase", submit_input(MIGRANT, materials=(1, 2, 3)),
                                 fields))["case"]
        assert case["notices"] == []
        await api.mutate("ft_agent", "acceptCase", {"caseId": case["id"]})
        refused = await api.mutate("ft_agent", "decideCase", {"caseId": case["id"],
                                                              "decision": "APPROVED"}, fields)
        assert refused["case"] is None and refused["errors"]
        await api.mutate("ft_approver", "decideCase", {"caseId": case["id"], "decision": "APPROVED"})
        done = await api.mutate("ft_agent", "deliverCase", {"caseId": case["id"]}, fields)
    assert done["errors"] == [], done
    assert [(n["kind"], n["number"], n["issuedBy"]) for n in done["case"]["notices"]] == [
        ("ACCEPTANCE", "341881204200-SL-2026-000001", "ft_agent"),
        ("APPROVAL", "341881204-ZY-2026-000001", "ft_approver"),
        ("DELIVERY", "341881204200-SD-2026-000001", "ft_agent"),
    ]
