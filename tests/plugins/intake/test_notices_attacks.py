"""Attacks on the printed notices (文书): what an outsider, a tenant that switched intake off,
or an applicant typing markup can get out of ``GET /api/v1/intake/notices/{number}`` and the
pages it serves. The sibling / other village / assessor / anonymous / "exists elsewhere" cases
are in ``test_notices.py``; these are the ones it leaves out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.plugins.intake.api import intake_api
from tests.plugins.intake.world import (
    ENERGY,
    ID_NUMBER,
    MIGRANT,
    PHONE,
    SYSTEM,
    TOWNSHIP,
    VILLAGE,
    new_case,
    person,
    principal,
)
from zhengwu.core import clock
from zhengwu.plugins.intake import notices, service
from zhengwu.plugins.intake.inputs import SupplementItem
from zhengwu.tenants import enablement

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
NOTICES = "query($id: ID!) { case(id: $id) { notices { number url } } }"
MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
async def api(settings, system_session):
    async for api in intake_api(settings, system_session):
        yield api


async def _accepted_at_the_village(s):
    with clock.freeze(MON):
        case = await service.submit_case(s, principal("ft_agent"), new_case(
            MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await service.accept_case(s, principal("ft_agent"), case.id)
        await s.commit()
    return case


async def _get(api, who, number):
    return await api.client.get(notices.notice_path(number),
                                headers={"Authorization": f"Bearer {api.tokens[who]}"})


async def test_graphql_refuses_the_notices_where_intake_is_switched_off(api, system_session):
    s = system_session
    case = await _accepted_at_the_village(s)
    await enablement.disable_plugin(s, SYSTEM, TOWNSHIP, "intake")
    await s.commit()
    data = await api.gql("ft_clerk", NOTICES, {"id": str(case.id)})
    assert data.get("data") is None or data["data"]["case"] is None
    assert data["errors"][0]["extensions"]["code"] == "plugin.not_enabled", data


async def test_the_notice_route_refuses_where_intake_is_switched_off(api, system_session):
    s = system_session
    case = await _accepted_at_the_village(s)
    [n] = (await api.gql("ft_clerk", NOTICES, {"id": str(case.id)}))["data"]["case"]["notices"]
    await enablement.disable_plugin(s, SYSTEM, TOWNSHIP, "intake")
    await s.commit()
    for who in ("ft_clerk", "ft_agent"):
        resp = await _get(api, who, n["number"])
        assert resp.status_code != 200, (who, resp.text[:200])
        assert resp.json()["code"] == "plugin.not_enabled"


async def test_applicant_and_staff_text_prints_as_text_on_every_kind(api, system_session):
    """Names, reasons, notes and bases typed by an applicant or a clerk cannot inject markup
    into any of the pages, and neither the ID number nor the phone is printed."""
    s = system_session
    clerk, approver = principal("ng_clerk"), principal("ng_approver")
    with clock.freeze(MON):
        bad = person(name="张" + MARKUP)
        one = await service.submit_case(s, clerk, new_case(ENERGY, materials=(), applicant=bad))
        await service.request_supplement(s, clerk, one.id, [SupplementItem(1, "missing", MARKUP),
                                                  SupplementItem(2, "missing")],
                                         note=MARKUP)
        two = await service.submit_case(s, clerk, new_case(applicant=bad))
        await service.not_accept_case(s, clerk, two.id, MARKUP, MARKUP)
        three = await service.submit_case(s, clerk, new_case(applicant=bad))
        await service.accept_case(s, clerk, three.id)
        await service.decide_case(s, approver, three.id, approved=False, reason=MARKUP)
        await service.deliver_case(s, clerk, three.id, method="pickup", note=MARKUP)
        await s.commit()
    kinds = set()
    for case in (one, two, three):
        listed = (await api.gql("ng_clerk", NOTICES, {"id": str(case.id)}))["data"]["case"]
        for n in listed["notices"]:
            resp = await _get(api, "ng_clerk", n["number"])
            assert resp.status_code == 200, resp.text
            page = resp.text
            kinds.add(n["number"].split("-")[1])
            assert "<script>" not in page and "<img" not in page, n["number"]
            assert "&lt;script&gt;" in page
            assert ID_NUMBER not in page and PHONE not in page and PHONE[-4:] + "<" not in page
    assert kinds == {"BZ", "BSL", "SL", "BY", "SD"}


async def test_enumerating_numbers_tells_nothing_and_the_tenant_header_grants_nothing(
        api, system_session):
    """Numbers are sequential, so a sibling walks them: every answer — a number issued in
    another subtree, one never issued — is the same 404 body (but for the number echoed), with
    the same headers; and naming the accepting village in ``X-Zhengwu-Tenant`` opens nothing to
    a principal whose grants do not cover it."""
    s = system_session
    case = await _accepted_at_the_village(s)
    [n] = (await api.gql("ft_clerk", NOTICES, {"id": str(case.id)}))["data"]["case"]["notices"]
    prefix = n["number"].rsplit("-", 1)[0]
    answers = []
    for serial in range(1, 4):  # 000001 exists (方塘村's), the others do not
        number = f"{prefix}-{serial:06d}"
        resp = await _get(api, "sc_agent", number)
        assert resp.status_code == 404
        answers.append((resp.text.replace(number, "N"), resp.headers.get("content-type")))
    assert len(set(answers)) == 1, answers
    for who in ("sc_agent", "gk_clerk", "ng_assessor"):
        resp = await api.client.get(notices.notice_path(n["number"]), headers={
            "Authorization": f"Bearer {api.tokens[who]}", "X-Zhengwu-Tenant": VILLAGE})
        assert resp.status_code in (403, 404), (who, resp.status_code)
        assert "受理通知书" not in resp.text
