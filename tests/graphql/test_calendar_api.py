"""The working-day clock through GraphQL: deadlines at the acting tenant, a year's days, the
yearly notice (platform only) and regional overrides (from county up, in one's own subtree)."""

from __future__ import annotations

import pytest

from zhengwu.core.calendar.service import seed_national

DEADLINE = """query($start: Date!, $days: Int!, $pauses: [DateSpanInput!]) {
  workingDeadline(start: $start, days: $days, pauses: $pauses) {
    start limit due provisional provisionalYears skipped { day reason name } paused } }"""
OVERRIDE = """mutation($code: String!, $day: Date!, $kind: CalendarDayKind!, $name: String!) {
  addCalendarOverride(input: {tenantCode: $code, day: $day, kind: $kind, name: $name}) {
    override { day kind name source tenantCode } errors { field code message } } }"""
IMPORT = """mutation($input: ImportHolidayNoticeInput!) { importHolidayNotice(input: $input) {
  calendarYear { year status source days { day kind name } }
  added { day kind name } removed { day kind name source } changed { day }
  errors { field code message } } }"""
YEAR = "query($year: Int!) { calendarYear(year: $year) { year status source days { day kind name source provisional tenantCode } } }"
NOTICE_2027 = {  # test data in the notice's form (not the real 2027 notice)
    "year": 2027,
    "holidays": [{"from": "2027-01-01", "to": "2027-01-03", "name": "元旦"},
                 {"from": "2027-02-05", "to": "2027-02-12", "name": "春节"}],
    "workdays": [{"day": "2027-02-13", "name": "春节"}],
}


@pytest.fixture
async def cal(api, system_session):
    await seed_national(system_session)
    await system_session.commit()
    return api


async def _deadline(api, who, start, days, pauses=None, tenant=None):
    result = await api.gql(who, DEADLINE, {"start": start, "days": days, "pauses": pauses},
                           tenant=tenant)
    assert "errors" not in result, result
    return result["data"]["workingDeadline"]


async def test_deadline_across_national_day_from_a_county(cal):
    got = await _deadline(cal, "ningguo", "2026-09-28", 5)
    # Sep 29, 30 | Oct 1–7 国庆节 | Oct 8, 9 and the make-up Saturday Oct 10.
    assert got["due"] == "2026-10-10" and got["limit"] == 5 and got["start"] == "2026-09-28"
    assert got["provisional"] is False and got["provisionalYears"] == [] and got["paused"] == []
    assert got["skipped"] == [{"day": f"2026-10-0{d}", "reason": "HOLIDAY", "name": "国庆节"}
                              for d in range(1, 8)]
    # A township clerk below it gets the same answer; a pause pushes the date later.
    assert (await _deadline(cal, "fangtang", "2026-09-28", 5))["due"] == "2026-10-10"
    paused = await _deadline(cal, "ningguo", "2026-09-28", 5, [{"from": "2026-10-10", "to": "2026-10-12"}])
    assert paused["due"] == "2026-10-13"
    assert paused["paused"] == ["2026-10-10", "2026-10-11", "2026-10-12"]
    assert {"day": "2026-10-11", "reason": "PAUSED", "name": "暂停计时"} in paused["skipped"]
    count = await cal.gql("ningguo", '{ workingDays(from: "2026-09-28", to: "2026-10-10") }')
    assert count["data"]["workingDays"] == 5
    count = await cal.gql("ningguo", '{ workingDays(from: "2026-10-10", to: "2026-09-28", '
                                     'pauses: [{from: "2026-09-29", to: "2026-09-29"}]) }')
    assert count["data"]["workingDays"] == -4
    bad = await cal.gql("ningguo", '{ workingDeadline(start: "2026-09-28", days: -1) { due } }')
    assert bad["errors"][0]["extensions"]["code"] == "calendar.negative_limit"


async def test_deadline_into_an_unpublished_year_is_provisional(cal):
    got = await _deadline(cal, "ningguo", "2026-12-10", 20)
    assert got["due"] == "2027-01-08"
    assert got["provisional"] is True and got["provisionalYears"] == [2027]
    assert {"day": "2027-01-01", "reason": "HOLIDAY", "name": "元旦"} in got["skipped"]
    assert {"day": "2026-12-12", "reason": "WEEKEND", "name": "周六"} in got["skipped"]
    year = (await cal.gql("ningguo", YEAR, {"year": 2027}))["data"]["calendarYear"]
    assert (year["status"], year["source"]) == ("PROVISIONAL", "provisional_rule")
    assert all(d["provisional"] for d in year["days"]) and len(year["days"]) == 13


async def test_regional_override_is_seen_below_its_tenant_only(cal):
    # 二连浩特市's own admin sets a (test) ethnic holiday on Monday 2026-12-14.
    done = await cal.gql("erlian", OVERRIDE, {"code": "152501", "day": "2026-12-14",
                                              "kind": "HOLIDAY", "name": "民族节日（测试）"})
    assert done["data"]["addCalendarOverride"] == {
        "override": {"day": "2026-12-14", "kind": "HOLIDAY", "name": "民族节日（测试）",
                     "source": "override", "tenantCode": "152501"}, "errors": []}
    there = await _deadline(cal, "erlian", "2026-12-10", 20)
    assert there["due"] == "2027-01-11"
    assert {"day": "2026-12-14", "reason": "HOLIDAY", "name": "民族节日（测试）"} in there["skipped"]
    assert (await _deadline(cal, "ningguo", "2026-12-10", 20))["due"] == "2027-01-08"
    year = (await cal.gql("erlian", YEAR, {"year": 2026}))["data"]["calendarYear"]
    day = next(d for d in year["days"] if d["day"] == "2026-12-14")
    assert (day["source"], day["tenantCode"], day["provisional"]) == ("override", "152501", False)
    year = (await cal.gql("ningguo", YEAR, {"year": 2026}))["data"]["calendarYear"]
    assert year["status"] == "PUBLISHED" and "2026-12-14" not in {d["day"] for d in year["days"]}
    assert {"day": "2026-10-01", "kind": "HOLIDAY", "name": "国庆节", "source": "chinese_calendar",
            "provisional": False, "tenantCode": None} in year["days"]


async def test_add_override_refused_outside_ones_subtree(cal):
    variables = {"code": "341881", "day": "2026-10-09", "kind": "HOLIDAY", "name": "攻击"}
    sibling = (await cal.gql("xuanzhou", OVERRIDE, variables))["data"]["addCalendarOverride"]
    assert sibling["override"] is None and [e["code"] for e in sibling["errors"]] == ["tenant.not_found"]
    other = (await cal.gql("erlian", OVERRIDE, variables))["data"]["addCalendarOverride"]
    assert [e["code"] for e in other["errors"]] == ["tenant.not_found"]
    upward = (await cal.gql("ningguo", OVERRIDE, {**variables, "code": "3418"}))["data"]
    assert [e["code"] for e in upward["addCalendarOverride"]["errors"]] == ["auth.permission_denied"]
    child = await cal.gql("fangtang", OVERRIDE, variables)  # a township: not in its schema
    assert child.get("data") is None and child["errors"]
    auditor = (await cal.gql("auditor", OVERRIDE, variables))["data"]["addCalendarOverride"]
    assert [e["code"] for e in auditor["errors"]] == ["auth.permission_denied"]
    township = (await cal.gql("ningguo", OVERRIDE, {**variables, "code": "341881204"}))["data"]
    assert [e["code"] for e in township["addCalendarOverride"]["errors"]] == ["calendar.override_tier"]
    assert (await _deadline(cal, "ningguo", "2026-10-08", 1))["due"] == "2026-10-09"
    # The county itself and its city may (the control group).
    for who in ("ningguo", "xuancheng"):
        ok = (await cal.gql(who, OVERRIDE, {**variables, "name": f"{who}（测试）"}))["data"]
        assert ok["addCalendarOverride"]["errors"] == [], ok
    assert (await _deadline(cal, "ningguo", "2026-10-08", 1))["due"] == "2026-10-10"


async def test_import_holiday_notice_platform_only(cal):
    county = await cal.gql("ningguo", IMPORT, {"input": NOTICE_2027})
    assert county.get("data") is None and county["errors"]  # not in the county's schema
    bad = {**NOTICE_2027, "holidays": [{"from": "2027-01-03", "to": "2027-01-01", "name": "元旦"},
                                       {"from": "2028-02-05", "to": "2028-02-06", "name": ""}],
           "workdays": [{"day": "2027-02-10", "name": "春节"}]}
    refused = (await cal.gql("platform", IMPORT, {"input": bad}))["data"]["importHolidayNotice"]
    assert refused["calendarYear"] is None
    assert {(e["field"], e["code"]) for e in refused["errors"]} == {
        ("holidays[0]", "calendar.range_order"), ("holidays[1]", "calendar.wrong_year"),
        ("holidays[1]", "calendar.name"), ("workdays[0]", "calendar.workday_on_weekday")}
    year = (await cal.gql("ningguo", YEAR, {"year": 2027}))["data"]["calendarYear"]
    assert year["status"] == "PROVISIONAL"  # nothing written

    done = (await cal.gql("platform", IMPORT, {"input": NOTICE_2027}))["data"]["importHolidayNotice"]
    assert done["errors"] == []
    assert (done["calendarYear"]["year"], done["calendarYear"]["status"],
            done["calendarYear"]["source"]) == (2027, "PUBLISHED", "notice")
    assert len(done["calendarYear"]["days"]) == 12
    assert {"day": "2027-02-13", "kind": "WORKDAY", "name": "春节"} in done["added"]
    assert {"day": "2027-10-01", "kind": "HOLIDAY", "name": "国庆节", "source": "provisional"} in done["removed"]
    assert (len(done["added"]), len(done["removed"]), done["changed"]) == (7, 8, [])
    got = await _deadline(cal, "ningguo", "2026-12-10", 20)
    assert got["due"] == "2027-01-08" and got["provisional"] is False
    assert (await _deadline(cal, "ningguo", "2027-02-04", 1))["due"] == "2027-02-13"
    year = (await cal.gql("ningguo", YEAR, {"year": 2027}))["data"]["calendarYear"]
    assert (year["status"], year["source"]) == ("PUBLISHED", "notice")


async def test_calendar_fields_per_tier(cal):
    q = '{ __type(name: "Mutation") { fields { name } } }'
    fields = {}
    for who, tenant in (("platform", None), ("anhui", None), ("ningguo", None),
                        ("ningguo", "341881204")):
        result = await cal.gql(who, q, tenant=tenant)
        fields[tenant or who] = {f["name"] for f in result["data"]["__type"]["fields"]}
    assert "importHolidayNotice" in fields["platform"]
    assert not {"importHolidayNotice"} & (fields["anhui"] | fields["ningguo"])
    assert "addCalendarOverride" in fields["anhui"] and "addCalendarOverride" in fields["ningguo"]
    assert "addCalendarOverride" not in fields["341881204"]  # townships follow their county
    year = await cal.gql("fangtang", YEAR, {"year": 2026})
    assert year["data"]["calendarYear"]["status"] == "PUBLISHED"
    far = await cal.gql("fangtang", YEAR, {"year": 2200})
    assert far["data"]["calendarYear"] is None
    assert far["errors"][0]["extensions"]["code"] == "calendar.year_out_of_range"
