"""好差评 summed per service item (``ratingsByService``): counts per level, satisfaction rate, bad
ratings and their rectification rate against hand counts; ratings excluded on appeal and
ratings outside the period left out; scope (a sibling township, 港口镇, sees nothing of
方塘乡's)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.plugins.intake.test_lifecycle import PROPERTY_MATERIALS
from tests.plugins.intake.world import (
    ENERGY,
    MIGRANT,
    PROPERTY,
    TOWNSHIP,
    new_case,
)
from tests.plugins.supervision.api import supervision_api
from tests.plugins.supervision.world import MON, at, principal
from zhengwu.core import clock
from zhengwu.core.errors import Invalid, NotFound, PermissionDenied
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import ratings
from zhengwu.plugins.supervision.item_ratings import ratings_by_item

CLERK, FT_CLERK = principal("ng_clerk"), principal("ft_clerk")
FROM, TO = date(2026, 9, 1), date(2026, 10, 10)


@pytest.fixture
async def api(settings, system_session):
    async for api in supervision_api(settings, system_session):
        yield api


async def _rated(s):
    """Hand-counted ratings of 30 Sep 2026 (and one of 12 Oct, outside the period):

    | item | case | ratings |
    | --- | --- | --- |
    | ENERGY (宁国市) | A | pad 5, sms 4, online 2 (bad, open) |
    | ENERGY | B | pad 1 (bad, rectified through 回访), sms 3 |
    | ENERGY | C | pad 2 (bad, appeal upheld: excluded); sms 5 on 12 Oct |
    | PROPERTY (宁国市) | D | pad 4 |
    | MIGRANT (方塘乡) | E | pad 5, sms 1 (bad, open) |
    """
    with clock.freeze(MON):
        nos = []
        for code, who, tenant, materials in ((ENERGY, CLERK, "341881", (1, 2)),) * 3 + (
                (PROPERTY, CLERK, "341881", PROPERTY_MATERIALS),
                (MIGRANT, FT_CLERK, TOWNSHIP, (1, 2, 3))):
            case = await intake.submit_case(s, who, new_case(code, tenant, materials=materials))
            await intake.accept_case(s, who, case.id)
            nos.append(case.case_no)
        await s.commit()
    a, b, c, d, e = nos
    with at(2026, 9, 30):
        for no, level, channel in ((a, 5, "pad"), (a, 4, "sms"), (a, 2, "online"),
                                   (b, 3, "sms"), (d, 4, "pad"), (e, 5, "pad")):
            await ratings.rate_case(s, CLERK if no != e else FT_CLERK, no, level, channel)
        rectified = await ratings.rate_case(s, CLERK, b, 1, "pad")
        appealed = await ratings.rate_case(s, CLERK, c, 2, "pad")
        await ratings.rate_case(s, FT_CLERK, e, 1, "sms")
        await s.commit()
    with at(2026, 10, 8):
        for step in ("verify", "rectify", "feedback", "callback"):
            await ratings.record_step(s, CLERK, rectified.id, step, step)
        await ratings.appeal_rating(s, CLERK, appealed.id, "恶意差评")
        await ratings.decide_appeal(s, principal("ng_supervisor"), appealed.id, True, "查实")
        await s.commit()
    with at(2026, 10, 12):
        await ratings.rate_case(s, CLERK, c, 5, "sms")
        await s.commit()


def _figures(items):
    return [(i.basic_code, i.levels, i.rated, i.satisfaction_rate, i.bad, i.rectified,
             i.rectification_rate) for i in items]


async def test_per_item_against_hand_counts(api, system_session):
    s = system_session
    await _rated(s)
    county = await ratings_by_item(s, principal("ng_supervisor"), None, FROM, TO)
    assert _figures(county) == [
        (ENERGY, (1, 1, 1, 1, 1), 5, 0.4, 2, 1, 0.5),
        (MIGRANT, (1, 0, 0, 0, 1), 2, 0.5, 1, 0, 0.0),
        (PROPERTY, (0, 0, 0, 1, 0), 1, 1.0, 0, 0, None),
    ]
    assert county[0].item_name  # the catalog's name
    # the city above sees the same; the township only its own item
    assert _figures(await ratings_by_item(s, principal("xc_supervisor"), "341881", FROM, TO)) \
        == _figures(county)
    assert [i.basic_code for i in await ratings_by_item(s, principal("ft_supervisor"), None,
                                                        FROM, TO)] == [MIGRANT]
    # the 12 Oct rating counts in a period that includes it
    later = await ratings_by_item(s, principal("ng_supervisor"), None, FROM,
                                  date(2026, 10, 31))
    assert later[0].levels == (1, 1, 1, 1, 2)
    # scope: a sibling township sees nothing of 方塘乡's, and cannot ask about it
    assert await ratings_by_item(s, principal("gk_supervisor"), None, FROM, TO) == []
    with pytest.raises(NotFound):
        await ratings_by_item(s, principal("gk_supervisor"), TOWNSHIP, FROM, TO)
    with pytest.raises(NotFound):
        await ratings_by_item(s, principal("xz_supervisor"), "341881", FROM, TO)
    with pytest.raises(PermissionDenied):
        await ratings_by_item(s, principal("ng_assessor"), None, FROM, TO)
    with pytest.raises(Invalid):
        await ratings_by_item(s, principal("ng_supervisor"), None, TO, FROM)


QUERY = """query($from: Date!, $to: Date!, $under: String) {
  ratingsByService(from: $from, to: $to, under: $under) {
    basicCode itemName rated verySatisfied satisfied basicallySatisfied dissatisfied
    veryDissatisfied satisfactionRate badRatings rectified rectificationRate } }"""


async def test_over_graphql_and_isolated(api, system_session):
    await _rated(system_session)
    variables = {"from": "2026-09-01", "to": "2026-10-10"}
    with at(2026, 10, 12, 12):
        result = await api.gql("ft_supervisor", QUERY, variables)
        sibling = await api.gql("gk_supervisor", QUERY, variables)
        asked = await api.gql("gk_supervisor", QUERY, {**variables, "under": TOWNSHIP})
        anonymous = await api.gql(None, QUERY, variables)
    assert "errors" not in result, result
    [row] = result["data"]["ratingsByService"]
    assert row == {"basicCode": MIGRANT, "itemName": row["itemName"], "rated": 2,
                   "verySatisfied": 1, "satisfied": 0, "basicallySatisfied": 0,
                   "dissatisfied": 0, "veryDissatisfied": 1, "satisfactionRate": 0.5,
                   "badRatings": 1, "rectified": 0, "rectificationRate": 0.0}
    assert sibling["data"]["ratingsByService"] == []
    assert asked.get("errors") and (asked.get("data") or {}).get("ratingsByService") is None
    assert anonymous.get("errors")
