"""Case statistics, fee totals and the metrics hook against a HAND-COUNTED September 2026.

The cases below are made through the services on chosen days (clock frozen at 10:00 in
Shanghai). September 2026 has no holiday before 中秋 (25 Sep), so the working days are plain
weekdays: Tue 1 … Fri 4, Mon 7 … Fri 11, Mon 14 … Fri 18. The period is 1–30 September.

At 宁国市 (county hall, windows 1 and 2 of its 政务服务中心):

* A  节能审查 (promised 5), window 1: submitted + accepted 1 Sep, decided 3 Sep (due 8 Sep):
  on time, handling 2 (2, 3 Sep).
* B  不动产首次登记 (promised 10), window 1: submitted + accepted 1 Sep, fee 80 元 at window 1 on
  1 Sep, decided 16 Sep (due 15 Sep): LATE, handling 11 (2–4, 7–11, 14–16 Sep).
* C  不动产首次登记, online: submitted 2 Sep, not accepted 2 Sep.
* D  parallel approval (节能审查 + 宗教场所改建), window 1: submitted + accepted 7 Sep; part 1
  decided 9 Sep (due 14 Sep: on time, handling 2), part 2 still open. The parent is a container:
  never counted.
* E  节能审查: submitted + accepted 27 Aug (before the period), decided 2 Sep (due 3 Sep): on
  time, handling 4 (28, 31 Aug, 1, 2 Sep) — completed in September, not accepted in it.
* F  节能审查, kiosk: submitted 14 Sep, never accepted.
* J  不动产首次登记, window 2: submitted + accepted 10 Sep, open; fees 50 元 at window 2 and 30 元
  at window 1 on 10 Sep, and 10 元 on 8 Oct (after the period).

At 方塘乡 (township) and 方塘村 (its village agent point):

* G  生育登记 (即办件) at 方塘乡: completed on the spot 8 Sep (handling 0).
* H  流动人口婚育证明 (promised 2) at 方塘乡: submitted, accepted and decided 8 Sep (on the spot,
  handling 0, on time).
* I  流动人口婚育证明 at 方塘村 through the agent: submitted + accepted 9 Sep, decided by the
  township 10 Sep (due 11 Sep): on time, handling 1.

港口镇 (sibling township) has no case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import strawberry
from sqlalchemy import text

from tests.plugins.intake.world import (
    BIRTH,
    COUNTY,
    ENERGY,
    MIGRANT,
    PROPERTY,
    RELIGIOUS,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
    VILLAGE,
    build_intake_world,
    new_case,
    person,
    principal,
)
from zhengwu.core import clock
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.errors import Invalid, NotFound, PermissionDenied
from zhengwu.core.plugin_api import Period
from zhengwu.graphql.context import GraphQLContext
from zhengwu.graphql.errors import DomainErrorExtension
from zhengwu.graphql.session import SerialSession
from zhengwu.platform import boot
from zhengwu.plugins.intake import service, stats
from zhengwu.plugins.intake.graphql_stats import StatsQuery
from zhengwu.plugins.intake.inputs import NewParallelCase, ParallelPart, SubmittedMaterial
from zhengwu.tenants import venues

SEPTEMBER = Period(date(2026, 9, 1), date(2026, 9, 30))
COUNTY_PATH = "34/3418/341881"
TOWNSHIP_PATH = f"{COUNTY_PATH}/341881204"
PROPERTY_MATERIALS = (1, 2, 3, 4)


def on(month: int, day: int) -> Any:
    return clock.freeze(datetime(2026, month, day, 2, 0, tzinfo=UTC))


async def build_september(s) -> dict[str, Any]:
    """The cases of the module docstring; returns the windows' ids."""
    clerk, approver = principal("ng_clerk"), principal("ng_approver")
    ft_clerk, ft_approver, agent = principal("ft_clerk"), principal("ft_approver"), principal("ft_agent")
    centre = await venues.create_venue(s, SYSTEM, COUNTY, venues.NewVenue("service_centre", "宁国市政务服务中心"))
    w1 = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow("1", "综合受理一号窗"))
    w2 = await venues.create_window(s, SYSTEM, centre.id, venues.NewWindow("2", "综合受理二号窗"))
    await s.commit()

    async def accepted(new) -> Any:
        case = await service.submit_case(s, clerk, new)
        await service.accept_case(s, clerk, case.id)
        return case.id

    with on(8, 27):
        e = await accepted(new_case(ENERGY))
        await s.commit()
    with on(9, 1):
        a = await accepted(new_case(ENERGY, window_id=w1.id))
        b = await accepted(new_case(PROPERTY, materials=PROPERTY_MATERIALS, window_id=w1.id))
        await service.charge_fee(s, clerk, b, fee_seq=1, amount_cents=8000)
        await s.commit()
    with on(9, 2):
        await service.decide_case(s, approver, e, approved=True)
        c = (await service.submit_case(s, clerk, new_case(PROPERTY, materials=PROPERTY_MATERIALS,
                                                          channel="online"))).id
        await service.not_accept_case(s, clerk, c, "不属于本机关职权范围", "《行政许可法》第三十二条")
        await s.commit()
    with on(9, 3):
        await service.decide_case(s, approver, a, approved=True)
        await s.commit()
    with on(9, 7):
        parent = await service.submit_parallel(s, clerk, NewParallelCase(
            tenant_code=COUNTY, title="某科技有限公司投资项目并联审批", applicant=person(), window_id=w1.id,
            parts=(ParallelPart(ENERGY, (SubmittedMaterial(1, originals=1), SubmittedMaterial(2, originals=1))),
                   ParallelPart(RELIGIOUS, tuple(SubmittedMaterial(q, originals=1) for q in (1, 2, 3))))))
        await service.accept_case(s, clerk, parent.id)
        d1, _d2 = [p.id for p in await service.parts_of(s, parent)]
        await s.commit()
    with on(9, 8):
        g = (await service.submit_case(s, ft_clerk, new_case(BIRTH, TOWNSHIP))).id
        await service.complete_instant(s, ft_clerk, g)
        h = (await service.submit_case(s, ft_clerk, new_case(MIGRANT, TOWNSHIP, materials=(1, 2, 3)))).id
        await service.accept_case(s, ft_clerk, h)
        await service.decide_case(s, ft_approver, h, approved=True)
        await s.commit()
    with on(9, 9):
        await service.decide_case(s, approver, d1, approved=True)
        i = (await service.submit_case(s, agent, new_case(MIGRANT, VILLAGE, materials=(1, 2, 3)))).id
        await service.accept_case(s, agent, i)
        await s.commit()
    with on(9, 10):
        await service.decide_case(s, ft_approver, i, approved=True)
        j = await accepted(new_case(PROPERTY, materials=PROPERTY_MATERIALS, window_id=w2.id))
        await service.charge_fee(s, clerk, j, fee_seq=1, amount_cents=5000)
        await service.charge_fee(s, clerk, j, fee_seq=1, amount_cents=3000, window_id=w1.id)
        await s.commit()
    with on(9, 14):
        await service.submit_case(s, clerk, new_case(ENERGY, channel="kiosk"))
        await s.commit()
    with on(9, 16):
        await service.decide_case(s, approver, b, approved=True)
        await s.commit()
    with on(10, 8):
        await service.charge_fee(s, clerk, j, fee_seq=1, amount_cents=1000, window_id=w2.id)
        await s.commit()
    return {"centre": centre, "w1": w1, "w2": w2}


@pytest.fixture
async def world(system_session, settings):
    await build_intake_world(system_session, settings)
    ids = await build_september(system_session)
    return system_session, ids


# Hand-counted figures (see the module docstring).
COUNTY_FIGURES = dict(
    received=10,            # A B C D1 D2 F G H I J (E was received in August, D's parent never)
    accepted=8,             # A B D1 D2 G H I J
    not_accepted=1,         # C
    completed=7,            # A B D1 E G H I
    accepted_completed=6,   # A B D1 G H I (E was accepted in August)
    on_time=6,              # all completed but B
    on_the_spot=2,          # G H
    instant_accepted=1, instant_completed=1,       # G
    promised_accepted=7, promised_completed=5,     # A B D1 D2 H I J / A B D1 H I
    handling_days=20, handling_days_cases=7,       # 2 + 11 + 2 + 4 + 0 + 0 + 1
    fees_cents=16000,       # 80 + 50 + 30 元 (the 10 元 of 8 Oct is outside)
)
COUNTY_CHANNELS = {"window": 7, "online": 1, "agent": 1, "kiosk": 1}
COUNTY_RATES = dict(completion_rate=6 / 8, on_time_rate=6 / 7, on_the_spot_rate=2 / 7,
                    instant_completion_rate=1.0, promised_completion_rate=5 / 7,
                    average_handling_days=20 / 7)

TOWNSHIP_FIGURES = dict(
    received=3, accepted=3, not_accepted=0, completed=3, accepted_completed=3, on_time=3,
    on_the_spot=2, instant_accepted=1, instant_completed=1, promised_accepted=2,
    promised_completed=2, handling_days=1, handling_days_cases=3, fees_cents=0)
TOWNSHIP_CHANNELS = {"window": 2, "online": 0, "agent": 1, "kiosk": 0}
TOWNSHIP_RATES = dict(completion_rate=1.0, on_time_rate=1.0, on_the_spot_rate=2 / 3,
                      instant_completion_rate=1.0, promised_completion_rate=1.0,
                      average_handling_days=1 / 3)

RATE_NAMES = tuple(COUNTY_RATES)


def assert_figures(st: stats.CaseStatistics, figures: dict, channels: dict, rates: dict) -> None:
    assert {k: getattr(st, k) for k in figures} == figures
    assert dict(st.channels) == channels
    for name, expected in rates.items():
        assert getattr(st, name) == pytest.approx(expected), name


async def test_figures_of_the_county_the_township_the_village_and_a_sibling(world):
    s, _ = world
    assessor = principal("ng_assessor")
    county = await stats.case_statistics(s, assessor, COUNTY, SEPTEMBER)
    assert (county.tenant_code, county.tenant_name) == (COUNTY, "宁国市")
    assert_figures(county, COUNTY_FIGURES, COUNTY_CHANNELS, COUNTY_RATES)
    assert county.fees_yuan == 160.0

    township = await stats.case_statistics(s, assessor, TOWNSHIP, SEPTEMBER)
    assert_figures(township, TOWNSHIP_FIGURES, TOWNSHIP_CHANNELS, TOWNSHIP_RATES)

    village = await stats.case_statistics(s, assessor, VILLAGE, SEPTEMBER)
    assert (village.received, village.accepted, village.completed, village.on_time,
            village.handling_days, dict(village.channels)["agent"]) == (1, 1, 1, 1, 1, 1)
    assert village.on_the_spot_rate == 0.0 and village.instant_completion_rate is None

    sibling = await stats.case_statistics(s, assessor, SIBLING_TOWNSHIP, SEPTEMBER)
    assert {k: getattr(sibling, k) for k in COUNTY_FIGURES} == dict.fromkeys(COUNTY_FIGURES, 0)
    assert [getattr(sibling, r) for r in RATE_NAMES] == [None] * len(RATE_NAMES)

    # the acting tenant by default; and a period that only holds the late decision of B
    assert (await stats.case_statistics(s, assessor, None, SEPTEMBER)) == county
    late = await stats.case_statistics(s, assessor, COUNTY, Period(date(2026, 9, 16), date(2026, 9, 16)))
    assert (late.received, late.accepted, late.completed, late.on_time, late.on_time_rate,
            late.average_handling_days, late.completion_rate) == (0, 0, 1, 0, 0.0, 11.0, None)
    # August: E was received and accepted there, not yet decided by the end of August
    august = await stats.case_statistics(s, assessor, COUNTY, Period(date(2026, 8, 1), date(2026, 8, 31)))
    assert (august.received, august.accepted, august.completed, august.completion_rate) == (1, 1, 0, 0.0)


async def test_by_tenant_rows_add_up_to_the_subtree(world):
    s, _ = world
    rows = await stats.statistics_by_tenant(s, principal("ng_assessor"), COUNTY, SEPTEMBER)
    assert [(r.tenant_code, r.subtree) for r in rows] == [
        (COUNTY, False), (SIBLING_TOWNSHIP, True), (TOWNSHIP, True)]
    own, gangkou, fangtang = rows
    assert (own.received, own.accepted, own.completed, own.not_accepted, own.fees_cents) == (7, 5, 4, 1, 16000)
    assert own.on_time_rate == pytest.approx(3 / 4)  # A D1 E on time, B late
    assert gangkou.received == 0 and gangkou.completion_rate is None
    assert_figures(fangtang, TOWNSHIP_FIGURES, TOWNSHIP_CHANNELS, TOWNSHIP_RATES)
    for name in COUNTY_FIGURES:
        assert sum(getattr(r, name) for r in rows) == COUNTY_FIGURES[name], name
    # below the township: its own counter (G, H) and its two villages (I at 方塘村)
    rows = await stats.statistics_by_tenant(s, principal("ng_assessor"), TOWNSHIP, SEPTEMBER)
    assert [(r.tenant_code, r.received) for r in rows] == [
        (TOWNSHIP, 2), (VILLAGE, 1), ("341881204201", 0)]
    # a village has no children: its own row only
    rows = await stats.statistics_by_tenant(s, principal("ng_assessor"), VILLAGE, SEPTEMBER)
    assert [(r.tenant_code, r.subtree, r.received) for r in rows] == [(VILLAGE, False, 1)]
    # the operator at the platform root: one row per province
    rows = await stats.statistics_by_tenant(s, SYSTEM, "0", SEPTEMBER)
    assert [(r.tenant_code, r.received) for r in rows] == [("0", 0), ("15", 0), ("34", 10)]


async def test_daily_fee_totals_per_window_and_per_centre(world):
    s, ids = world
    w1, w2, centre = ids["w1"], ids["w2"], ids["centre"]
    totals = await stats.daily_fee_totals(s, principal("ng_assessor"), COUNTY,
                                          date(2026, 9, 1), date(2026, 9, 30))
    assert [(w.day, w.window_id, w.window_number, w.venue_id, w.fees, w.amount_cents)
            for w in totals.windows] == [
        (date(2026, 9, 1), w1.id, "1", centre.id, 1, 8000),
        (date(2026, 9, 10), w1.id, "1", centre.id, 1, 3000),
        (date(2026, 9, 10), w2.id, "2", centre.id, 1, 5000)]
    assert [(v.day, v.venue_name, v.fees, v.amount_cents) for v in totals.venues] == [
        (date(2026, 9, 1), "宁国市政务服务中心", 1, 8000), (date(2026, 9, 10), "宁国市政务服务中心", 2, 8000)]
    assert [(d.day, d.amount_cents) for d in totals.days] == [(date(2026, 9, 1), 8000), (date(2026, 9, 10), 8000)]
    assert (totals.fees, totals.amount_cents) == (3, 16000)
    october = await stats.daily_fee_totals(s, principal("ng_clerk"), None, date(2026, 10, 1), date(2026, 10, 31))
    assert [(w.day, w.window_id, w.amount_cents) for w in october.windows] == [(date(2026, 10, 8), w2.id, 1000)]
    township = await stats.daily_fee_totals(s, principal("ft_clerk"), None, date(2026, 9, 1), date(2026, 9, 30))
    assert (township.windows, township.amount_cents) == ([], 0)
    with pytest.raises(Invalid) as e:
        await stats.daily_fee_totals(s, principal("ng_clerk"), None, date(2026, 1, 1), date(2026, 12, 31))
    assert e.value.code == "case_stats.period_too_long"


async def test_metrics_hook_values_equal_the_statistics(world):
    s, _ = world
    metrics = {name: spec for name, spec in boot().metrics().items() if spec.plugin == "intake"}
    assert set(metrics) == {f"intake.{n}" for n in (
        "received", "accepted", "completed", "completion_rate", "on_time_rate", "on_the_spot_rate",
        "instant_completion_rate", "promised_completion_rate", "average_handling_days", "fees",
        "licensing_decisions", "handling_fees")}
    assert metrics["intake.average_handling_days"].higher_is_better is False
    for path, expected in ((COUNTY_PATH, COUNTY_FIGURES | COUNTY_RATES),
                           (TOWNSHIP_PATH, TOWNSHIP_FIGURES | TOWNSHIP_RATES)):
        values = {n.removeprefix("intake."): await m.compute(s, path, SEPTEMBER) for n, m in metrics.items()}
        for name in ("received", "accepted", "completed"):
            assert values[name].value == expected[name]
        for name in RATE_NAMES:
            assert values[name].value == pytest.approx(expected[name]), name
        assert values["fees"].value == expected["fees_cents"] / 100 and values["fees"].unit == "元"
    county = {n: await metrics[f"intake.{n}"].compute(s, COUNTY_PATH, SEPTEMBER)
              for n in ("completion_rate", "on_time_rate", "average_handling_days")}
    assert (county["completion_rate"].numerator, county["completion_rate"].denominator) == (6, 8)
    assert (county["on_time_rate"].numerator, county["on_time_rate"].denominator) == (6, 7)
    assert (county["average_handling_days"].numerator, county["average_handling_days"].denominator) == (20, 7)
    empty = await metrics["intake.on_time_rate"].compute(s, "34/3418/341881/341881100", SEPTEMBER)
    assert (empty.value, empty.denominator) == (None, 0)


async def test_who_may_see_statistics(world, sessionmaker):
    s, _ = world
    assessor = principal("ng_assessor")
    # an assessor sees aggregates, even through a session scoped to its tenant (RLS on PostgreSQL) …
    async with sessionmaker() as scoped:
        scoped.info["scope"] = assessor.acting_path
        county = await stats.case_statistics(scoped, assessor, COUNTY, SEPTEMBER)
        assert_figures(county, COUNTY_FIGURES, COUNTY_CHANNELS, COUNTY_RATES)
        # … never a case
        first = await scoped.scalar(text("SELECT case_no FROM intake_cases LIMIT 1"))
        with pytest.raises(PermissionDenied):
            await service.get_case(scoped, assessor, first)
    for who, code in (("gk_clerk", COUNTY), ("xz_admin", COUNTY), ("el_admin", COUNTY),
                      ("ft_clerk", COUNTY), ("ng_assessor", "3418"), ("ng_assessor", "99")):
        with pytest.raises(NotFound) as e:
            await stats.case_statistics(s, principal(who), code, SEPTEMBER)
        assert e.value.code == "tenant.not_found", (who, code)
    for who, code in (("gk_clerk", SIBLING_TOWNSHIP), ("ft_agent", VILLAGE), ("ng_clerk", COUNTY)):
        with pytest.raises(PermissionDenied):
            await stats.case_statistics(s, principal(who), code, SEPTEMBER)
    with pytest.raises(NotFound):
        await stats.daily_fee_totals(s, principal("gk_clerk"), COUNTY, date(2026, 9, 1), date(2026, 9, 2))
    with pytest.raises(PermissionDenied):  # approvers decide; they do not take money
        await stats.daily_fee_totals(s, principal("ng_approver"), COUNTY, date(2026, 9, 1), date(2026, 9, 2))
    supervisor = await stats.case_statistics(s, principal("ng_supervisor"), TOWNSHIP, SEPTEMBER)
    assert supervisor.received == 3
    with pytest.raises(Invalid) as e:
        await stats.case_statistics(s, assessor, COUNTY, Period(date(2026, 9, 30), date(2026, 9, 1)))
    assert e.value.code == "case_stats.period"


QUERY = """query($code: String, $from: Date!, $to: Date!) {
  caseStatistics(tenantCode: $code, from: $from, to: $to) {
    tenantCode tenantName ownOnly from to received accepted notAccepted completed
    acceptedCompleted completionRate onTime onTimeRate onTheSpot onTheSpotRate
    instantAccepted instantCompleted instantCompletionRate promisedAccepted promisedCompleted
    promisedCompletionRate averageHandlingDays channels { channel name received } fees }
  caseStatisticsByTenant(tenantCode: $code, from: $from, to: $to) { tenantCode ownOnly received }
  caseFeeTotals(tenantCode: $code, from: $from, to: $to) {
    fees amount windows { day windowNumber venueName fees amount } venues { day venueName amount }
    days { day amount } } }"""


async def test_graphql_stats_query(world, settings):
    s, _ = world
    schema = strawberry.Schema(query=StatsQuery, extensions=[DomainErrorExtension])

    async def run(who: str, code: str | None, frm: str = "2026-09-01", to: str = "2026-09-30") -> Any:
        # fields resolve concurrently: one session, taking turns (as the controller wraps it)
        ctx = GraphQLContext(principal=principal(who), session=SerialSession(s), settings=settings)
        return await schema.execute(QUERY, variable_values={"code": code, "from": frm, "to": to},
                                    context_value=ctx)

    result = await run("ng_admin", None)
    assert result.errors is None
    data = result.data["caseStatistics"]
    assert {k: data[k] for k in ("tenantCode", "ownOnly", "from", "received", "accepted", "notAccepted",
                                 "completed", "acceptedCompleted", "onTime", "onTheSpot")} == {
        "tenantCode": COUNTY, "ownOnly": False, "from": "2026-09-01", "received": 10, "accepted": 8,
        "notAccepted": 1, "completed": 7, "acceptedCompleted": 6, "onTime": 6, "onTheSpot": 2}
    assert data["completionRate"] == 0.75 and data["onTimeRate"] == pytest.approx(6 / 7)
    assert data["instantCompletionRate"] == 1.0 and data["averageHandlingDays"] == pytest.approx(20 / 7)
    assert {c["channel"]: c["received"] for c in data["channels"]} == COUNTY_CHANNELS
    assert data["fees"] == 160.0
    assert [(r["tenantCode"], r["ownOnly"], r["received"]) for r in result.data["caseStatisticsByTenant"]] == [
        (COUNTY, True, 7), (SIBLING_TOWNSHIP, False, 0), (TOWNSHIP, False, 3)]
    fees = result.data["caseFeeTotals"]
    assert (fees["fees"], fees["amount"]) == (3, 160.0)
    assert [(w["day"], w["windowNumber"], w["amount"]) for w in fees["windows"]] == [
        ("2026-09-01", "1", 80.0), ("2026-09-10", "1", 30.0), ("2026-09-10", "2", 50.0)]
    assert [(v["day"], v["amount"]) for v in fees["venues"]] == [("2026-09-01", 80.0), ("2026-09-10", 80.0)]

    sibling = await run("ng_admin", SIBLING_TOWNSHIP)
    zero = sibling.data["caseStatistics"]
    assert (zero["received"], zero["completionRate"], zero["onTimeRate"], zero["averageHandlingDays"]) == (
        0, None, None, None)

    refused = await run("gk_clerk", COUNTY)
    assert refused.data is None
    assert {e.extensions["code"] for e in refused.errors} == {"tenant.not_found"}
    backwards = await run("ng_admin", None, frm="2026-09-30", to="2026-09-01")
    assert backwards.errors[0].extensions["code"] == "case_stats.period"


async def test_no_case_no_figures(system_session):
    """An empty subtree: zeros and no rates (not rates of 0)."""
    s = system_session
    await build_intake_world(s)
    st = await stats.subtree_figures(s, ALL_SCOPE, SEPTEMBER)
    assert (st.tenant_code, st.received, st.fees_cents, st.completion_rate, st.average_handling_days) == (
        "0", 0, 0, None, None)
