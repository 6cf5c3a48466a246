"""Disclosure's metrics for assessment against HAND-COUNTED rows, period March 2026.

Publications (proactive unless noted; ``due`` is due_on — else the day of publication when on
time, a week before when late):

* 宁国市 (county): P1 published 5 Mar on time (01); P2 published 20 Mar late (07.01); P3
  published 25 Mar on time (07), withdrawn 2 Apr; P4 published 27 Feb (02, before the period);
  P5 on request, "published" 10 Mar; P6 draft due 20 Mar (overdue); P7 draft due 31 Mar (due
  on the last day: not overdue); P8 due 25 Mar, published 3 Apr (overdue at the end); P9 a
  draft due 10 Mar, withdrawn (not overdue).
* 方塘乡 (township): T1 published 12 Mar on time (30); T2 draft due 2 Mar (overdue).
* 港口镇 (the township's sibling, also under 宁国市): G1 published 15 Mar on time (31).
* 宣州区 (sibling county): S1 published 12 Mar late (01); S2 draft due 3 Mar (overdue).

Requests (replied_on, on time?): 宁国市 R1 disclosed 3 Mar yes, R2 disclosed 10 Mar no, R3
not_disclosed 15 Mar yes, R4 cannot_provide 31 Mar yes, R5 disclosed 28 Feb (before), R6 open;
方塘乡 R7 partly_disclosed 20 Mar yes; 宣州区 R8 other 5 Mar yes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.plugins.disclosure.world import (
    COUNTY,
    OTHER_COUNTY,
    PATHS,
    SIBLING_COUNTY,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
    build_disclosure_world,
)
from zhengwu.core.plugin_api import Period
from zhengwu.platform import boot
from zhengwu.plugins.disclosure import catalog, replies
from zhengwu.plugins.disclosure.models import DisclosureRequest, Publication
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
CITY_PATH, COUNTY_PATH, TOWNSHIP_PATH = PATHS["3418"], PATHS[COUNTY], PATHS[TOWNSHIP]


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, tzinfo=UTC)


async def _tenant(session: Any, code: str) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.code == code))
    assert tenant is not None
    return tenant


async def _pub(session: Any, code: str, category: str = "01", *, published: date | None = None,
               late: bool = False, due: date | None = None, attribute: str = "proactive",
               withdrawn: date | None = None) -> None:
    tenant = await _tenant(session, code)
    if due is None:  # on time: due the day it was published; late: a week before
        due = (published or date(2026, 2, 2)) - timedelta(days=7 if late else 0)
    session.add(Publication(
        tenant_id=tenant.id, tenant_path=tenant.path, title="t", body="", category_code=category,
        disclosure_kinds=["result"], key_areas=[], attribute=attribute, timing="ad_hoc",
        formed_on=date(2026, 1, 5), due_on=due,
        status="withdrawn" if withdrawn else "published" if published else "draft",
        published_at=_at(published) if published else None, published_on=published,
        published_late=late if published else None, published_title="t" if published else None,
        published_body="" if published else None,
        withdrawn_at=_at(withdrawn) if withdrawn else None))


_N = iter(range(1, 1000))


async def _req(session: Any, code: str, reply_type: str | None = None,
               replied: date | None = None, on_time: bool = True) -> None:
    tenant = await _tenant(session, code)
    session.add(DisclosureRequest(
        tenant_id=tenant.id, tenant_path=tenant.path, request_no=f"{code}-2026-{next(_N):05d}",
        channel="online", requester_kind="natural_person", requester_name="张三",
        description="d", submitted_at=_at(date(2026, 2, 20)), received_on=date(2026, 2, 20),
        status="replied" if replied else "registered", clock_start=date(2026, 2, 20),
        due_on=date(2026, 3, 20), due_derivation={}, reply_type=reply_type,
        reply_reason="other" if reply_type else None, replied_on=replied,
        replied_on_time=on_time if replied else None))


@pytest.fixture
async def world(system_session, settings):
    s = system_session
    await build_disclosure_world(s, settings)
    d = date
    await _pub(s, COUNTY, "01", published=d(2026, 3, 5))                                 # P1
    await _pub(s, COUNTY, "07.01", published=d(2026, 3, 20), late=True)                  # P2
    await _pub(s, COUNTY, "07", published=d(2026, 3, 25), withdrawn=d(2026, 4, 2))       # P3
    await _pub(s, COUNTY, "02", published=d(2026, 2, 27))                                # P4
    await _pub(s, COUNTY, "03", published=d(2026, 3, 10), attribute="on_request")        # P5
    await _pub(s, COUNTY, "04", due=d(2026, 3, 20))                                      # P6
    await _pub(s, COUNTY, "04", due=d(2026, 3, 31))                                      # P7
    await _pub(s, COUNTY, "05", due=d(2026, 3, 25), published=d(2026, 4, 3), late=True)  # P8
    await _pub(s, COUNTY, "05", due=d(2026, 3, 10), withdrawn=d(2026, 3, 11))            # P9
    await _pub(s, TOWNSHIP, "30", published=d(2026, 3, 12))                              # T1
    await _pub(s, TOWNSHIP, "31", due=d(2026, 3, 2))                                     # T2
    await _pub(s, SIBLING_TOWNSHIP, "31", published=d(2026, 3, 15))                     # G1
    await _pub(s, SIBLING_COUNTY, "01", published=d(2026, 3, 12), late=True)             # S1
    await _pub(s, SIBLING_COUNTY, "01", due=d(2026, 3, 3))                               # S2
    await _req(s, COUNTY, "disclosed", d(2026, 3, 3))                                    # R1
    await _req(s, COUNTY, "disclosed", d(2026, 3, 10), on_time=False)                    # R2
    await _req(s, COUNTY, "not_disclosed", d(2026, 3, 15))                               # R3
    await _req(s, COUNTY, "cannot_provide", d(2026, 3, 31))                              # R4
    await _req(s, COUNTY, "disclosed", d(2026, 2, 28))                                   # R5
    await _req(s, COUNTY)                                                                # R6
    await _req(s, TOWNSHIP, "partly_disclosed", d(2026, 3, 20))                          # R7
    await _req(s, SIBLING_COUNTY, "other", d(2026, 3, 5))                                # R8
    await s.commit()
    return s


def _metrics() -> dict[str, Any]:
    return {n: spec for n, spec in boot().metrics().items() if spec.plugin == "disclosure"}


async def _values(session: Any, path: str, period: Period = MARCH) -> dict[str, Any]:
    return {n.removeprefix("disclosure."): await m.compute(session, path, period)
            for n, m in _metrics().items()}


def test_the_metrics_are_named_and_directed():
    metrics = _metrics()
    assert set(metrics) == {f"disclosure.{n}" for n in (
        "publications_published", "publications_on_time_rate", "publications_overdue",
        "requests_answered", "requests_on_time_rate", "catalog_completeness",
        *(f"replies_{t}" for t in replies.REPLY_TYPES))}
    assert metrics["disclosure.publications_overdue"].higher_is_better is False
    assert metrics["disclosure.requests_on_time_rate"].unit == "ratio"


async def test_publications(world):
    county = await _values(world, COUNTY_PATH)
    assert county["publications_published"].value == 5  # P1 P2 P3 T1 G1
    rate = county["publications_on_time_rate"]
    assert (rate.numerator, rate.denominator) == (4, 5) and rate.value == pytest.approx(0.8)
    assert county["publications_overdue"].value == 3  # P6 P8 T2
    township = await _values(world, TOWNSHIP_PATH)
    assert township["publications_published"].value == 1
    assert township["publications_overdue"].value == 1
    # the city adds 宣州区 (S1 late, S2 overdue)
    city = await _values(world, CITY_PATH)
    assert city["publications_published"].value == 6
    assert (city["publications_on_time_rate"].numerator,
            city["publications_on_time_rate"].denominator) == (4, 6)
    assert city["publications_overdue"].value == 4
    sibling = await _values(world, PATHS[SIBLING_COUNTY])
    assert (sibling["publications_published"].value, sibling["publications_overdue"].value) == (1, 1)
    assert sibling["publications_on_time_rate"].value == 0
    # at the end of February, P6 P7 P8 were not yet due; nothing was overdue
    feb = await _values(world, COUNTY_PATH, Period(date(2026, 2, 1), date(2026, 2, 28)))
    assert feb["publications_published"].value == 1 and feb["publications_overdue"].value == 0


async def test_requests_and_replies_by_type(world):
    county = await _values(world, COUNTY_PATH)
    assert county["requests_answered"].value == 5  # R1 R2 R3 R4 R7
    rate = county["requests_on_time_rate"]
    assert (rate.numerator, rate.denominator, rate.value) == (4, 5, pytest.approx(0.8))
    shares = {t: county[f"replies_{t}"] for t in replies.REPLY_TYPES}
    assert {t: v.numerator for t, v in shares.items()} == {
        "disclosed": 2, "partly_disclosed": 1, "not_disclosed": 1, "cannot_provide": 1,
        "not_processed": 0, "other": 0}
    assert all(v.denominator == 5 for v in shares.values())
    assert shares["disclosed"].value == pytest.approx(0.4)
    assert sum(v.value for v in shares.values()) == pytest.approx(1)
    township = await _values(world, TOWNSHIP_PATH)
    assert township["requests_answered"].value == 1
    assert township["replies_partly_disclosed"].value == 1
    assert (await _values(world, PATHS[SIBLING_COUNTY]))["replies_other"].numerator == 1
    empty = await _values(world, PATHS[SIBLING_TOWNSHIP])
    assert empty["requests_on_time_rate"].value is None
    assert empty["requests_on_time_rate"].denominator == 0
    assert empty["replies_disclosed"].value is None


async def test_catalog_completeness(world):
    county_required, township_required = (len(catalog.required_codes("county")),
                                           len(catalog.required_codes("township")))
    assert (county_required, township_required) == (22, 27)
    # 宁国市 fills 01 (P1), 07 (P2's 07.01; P3 withdrawn), 02 (P4, before the period);
    # 方塘乡 fills 30 (T1), 港口镇 31 (G1); villages do not disclose under the regulation
    county = (await _values(world, COUNTY_PATH))["catalog_completeness"]
    expected = [3 / 22, 1 / 27, 1 / 27]
    assert county.denominator == 3
    assert county.numerator == pytest.approx(sum(expected))
    assert county.value == pytest.approx(sum(expected) / 3)
    township = (await _values(world, TOWNSHIP_PATH))["catalog_completeness"]
    assert (township.denominator, township.value) == (1, pytest.approx(1 / 27))
    # at the end of February only P4 (02) was public
    feb = (await _values(world, COUNTY_PATH,
                         Period(date(2026, 2, 1), date(2026, 2, 28))))["catalog_completeness"]
    assert feb.value == pytest.approx((1 / 22) / 3)
    # where disclosure is not active, no tenant counts
    other = (await _values(world, PATHS[OTHER_COUNTY]))["catalog_completeness"]
    assert (other.value, other.denominator) == (None, 0)
    # switched off at 港口镇: the county averages over 宁国市 and 方塘乡
    await enablement.disable_plugin(world, SYSTEM, SIBLING_TOWNSHIP, "disclosure")
    await world.commit()
    county = (await _values(world, COUNTY_PATH))["catalog_completeness"]
    assert county.denominator == 2 and county.value == pytest.approx((3 / 22 + 1 / 27) / 2)


async def test_a_metric_is_one_statement(world, engine):
    from tests.plugins.disclosure.test_feed import counting

    metrics = _metrics()
    for name in ("publications_on_time_rate", "requests_on_time_rate", "replies_other"):
        with counting(engine) as seen:
            await metrics[f"disclosure.{name}"].compute(world, COUNTY_PATH, MARCH)
        assert len([s for s in seen if "set_config" not in s]) == 1, (name, seen)
