"""Section 二's 行政许可 and 行政事业性收费 from the platform (intake's metrics through the core's
hook), against HAND-COUNTED cases of 2025, and the hand-entered override.

Intake is switched on at 宁国市 (so at 方塘乡 too). Cases (item type, accepted at → decided by,
decision day) and fees (charged day):

* L1  01 行政许可   宁国市 → 宁国市  approved 2025-03-01   fee 80 元 on 2025-03-01
* L2  01 行政许可   方塘乡 → 宁国市  denied   2025-06-01   fee 120 元 on 2025-06-01 (at 方塘乡's window)
* L3  01 行政许可   宁国市 → 宁国市  approved 2024-12-30   fee 30 元 on 2024-12-30 (another year)
* L4  01 行政许可   宁国市 → 宁国市  open                  fee 10 元 on 2025-02-02
* L5  07 行政确认   宁国市 → 宁国市  approved 2025-04-01   (not licensing)
* L6  01 (a parallel-approval parent) 宁国市 → 宁国市 approved 2025-04-02 (a container: never)
* L7  01 行政许可   方塘乡 → 方塘乡  approved 2025-05-05   fee 50 元 on 2025-05-05
* L8  01 行政许可   宣州区 → 宣州区  approved 2025-05-05   fee 999 元 (sibling county: never)

So 宁国市 本级: licensing 2 (L1, L2), fees 80 + 120 + 10 = 210 元 = 0.021 万元; 方塘乡:
licensing 1, fees 50 元 = 0.005 万元; the subtree: 3 and 0.026 万元.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.plugins.disclosure.test_report import seed_report_data, tenant
from tests.plugins.disclosure.world import (
    COUNTY,
    SIBLING_COUNTY,
    SYSTEM,
    TOWNSHIP,
    build_disclosure_world,
    principal,
)
from zhengwu.platform import boot
from zhengwu.plugins.disclosure import report as rep
from zhengwu.plugins.disclosure import report_platform
from zhengwu.plugins.disclosure.report_inputs import ReportInputsChange, save_report_inputs
from zhengwu.plugins.disclosure.report_render import render_html, render_xlsx
from zhengwu.plugins.intake.models import Case, CaseFee
from zhengwu.tenants import enablement

_seq = itertools.count(1)

CASES = (  # (accepted at, decided by, item type, decision, decided on, parallel, fee 元, fee day)
    (COUNTY, COUNTY, "01", "approved", date(2025, 3, 1), False, 80, date(2025, 3, 1)),
    (TOWNSHIP, COUNTY, "01", "denied", date(2025, 6, 1), False, 120, date(2025, 6, 1)),
    (COUNTY, COUNTY, "01", "approved", date(2024, 12, 30), False, 30, date(2024, 12, 30)),
    (COUNTY, COUNTY, "01", None, None, False, 10, date(2025, 2, 2)),
    (COUNTY, COUNTY, "07", "approved", date(2025, 4, 1), False, 0, None),
    (COUNTY, COUNTY, "01", "approved", date(2025, 4, 2), True, 0, None),
    (TOWNSHIP, TOWNSHIP, "01", "approved", date(2025, 5, 5), False, 50, date(2025, 5, 5)),
    (SIBLING_COUNTY, SIBLING_COUNTY, "01", "approved", date(2025, 5, 5), False, 999,
     date(2025, 5, 5)),
)


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, tzinfo=UTC)


async def seed_cases(s: Any) -> None:
    for at_code, by_code, item_type, decision, decided_on, parallel, fee, fee_day in CASES:
        at, by = await tenant(s, at_code), await tenant(s, by_code)
        n = next(_seq)
        submitted = decided_on or date(2025, 2, 1)
        case = Case(
            tenant_id=at.id, tenant_path=at.path, province_code=at.path[:2],
            case_no=f"TEST-{n:05d}", is_parallel=parallel, handling_tenant_id=by.id,
            handling_path=by.path, item_name=f"事项{n}", item_type=item_type, channel="window",
            status="approved" if decision == "approved" else "denied" if decision else "accepted",
            applicant_kind="organisation", applicant_name=f"申请单位{n}",
            submitted_at=_at(submitted), submitted_on=submitted, accepted_on=submitted,
            decided_at=_at(decided_on) if decided_on else None, decided_on=decided_on,
            decision=decision, created_by="tester")
        s.add(case)
        await s.flush()
        if fee:
            assert fee_day is not None
            s.add(CaseFee(tenant_id=at.id, tenant_path=at.path, case_id=case.id, fee_seq=1,
                          name="工本费", amount_cents=fee * 100, charged_at=_at(fee_day),
                          charged_on=fee_day, charged_by="tester"))
    await s.flush()


@pytest.fixture
async def platform_world(system_session, settings):
    s = system_session
    await build_disclosure_world(s, settings)
    await enablement.enable_plugin(s, SYSTEM, COUNTY, "intake")
    await seed_cases(s)
    await s.commit()
    return s


def cell(report: rep.AnnualReport, table: str, key: str) -> tuple[float, str | None]:
    row = report.table(table).row(key)
    return row.values[0], row.origin


async def test_the_metrics_are_registered_by_intake():
    boot()  # the platform's plugins, found through their entry points
    specs = report_platform.platform_metrics()
    assert {k: s.name for k, s in specs.items()} == {
        "licensing": "intake.licensing_decisions", "fees": "intake.handling_fees"}
    assert all(s.plugin == "intake" for s in specs.values())


async def test_licensing_and_fees_come_from_the_platform(platform_world):
    s = platform_world
    editor = principal("ng_editor")
    county = await rep.annual_report(s, editor, COUNTY, 2025)
    assert cell(county, "proactive.20_5", "licensing") == (2, "platform")
    assert cell(county, "proactive.20_8", "fees") == (0.021, "platform")
    assert cell(county, "proactive.20_6", "penalty") == (0, "entered")  # never the platform's
    assert "由平台根据受理系统本年作出的行政许可决定" in (county.table("proactive.20_5").note or "")
    assert "由平台根据受理系统本年收取的费用" in (county.table("proactive.20_8").note or "")
    assert "填报人录入" in (county.table("proactive.20_6").note or "")
    township = await rep.annual_report(s, principal("ft_editor"), TOWNSHIP, 2025)
    assert cell(township, "proactive.20_5", "licensing") == (1, "platform")
    assert cell(township, "proactive.20_8", "fees") == (0.005, "platform")
    whole = await rep.annual_report(s, editor, COUNTY, 2025, subtree=True)
    assert cell(whole, "proactive.20_5", "licensing") == (3, "platform")
    assert cell(whole, "proactive.20_8", "fees") == (0.026, "platform")
    earlier = await rep.annual_report(s, editor, COUNTY, 2024)
    assert cell(earlier, "proactive.20_5", "licensing") == (1, "platform")  # L3
    assert cell(earlier, "proactive.20_8", "fees") == (0.003, "platform")
    sibling = await rep.annual_report(s, principal("xz_editor"), SIBLING_COUNTY, 2025)
    # intake is not switched on at 宣州区: its cells stay hand-entered (its case is ignored)
    assert cell(sibling, "proactive.20_5", "licensing") == (0, "entered")
    assert "未启用受理系统" in (sibling.table("proactive.20_5").note or "")


async def test_a_hand_entered_value_overrides_and_the_subtree_sums_per_tenant(platform_world):
    s = platform_world
    await save_report_inputs(s, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, proactive={"licensing": 120, "penalty": 30}))
    await save_report_inputs(s, principal("ft_editor"), ReportInputsChange(
        TOWNSHIP, 2025, proactive={"fees": 1.5}))
    await s.commit()
    editor = principal("ng_editor")
    county = await rep.annual_report(s, editor, COUNTY, 2025)
    assert cell(county, "proactive.20_5", "licensing") == (120, "entered")
    assert "替代平台统计数 2" in (county.table("proactive.20_5").note or "")
    assert cell(county, "proactive.20_8", "fees") == (0.021, "platform")
    assert cell(county, "proactive.20_6", "penalty") == (30, "entered")
    township = await rep.annual_report(s, principal("ft_editor"), TOWNSHIP, 2025)
    assert cell(township, "proactive.20_5", "licensing") == (1, "platform")
    assert cell(township, "proactive.20_8", "fees") == (1.5, "entered")
    whole = await rep.annual_report(s, editor, COUNTY, 2025, subtree=True)
    # 宁国市 entered 120 for its own 2; 方塘乡's 1 from the platform: 121
    assert cell(whole, "proactive.20_5", "licensing") == (121, "mixed")
    # 宁国市's 0.021 from the platform, 方塘乡 entered 1.5 for its own 0.005: 1.521
    assert cell(whole, "proactive.20_8", "fees") == (1.521, "mixed")
    assert cell(whole, "proactive.20_6", "penalty") == (30, "entered")
    note = whole.table("proactive.20_5").note or ""
    assert "全辖区平台统计数为 3" in note and "其中 1 个单位" in note
    # the subtree is the sum of the two own reports
    for table, key in (("proactive.20_5", "licensing"), ("proactive.20_8", "fees")):
        assert cell(whole, table, key)[0] == pytest.approx(
            cell(county, table, key)[0] + cell(township, table, key)[0])


async def test_the_notes_reach_the_html_and_the_workbook(platform_world):
    from io import BytesIO

    from openpyxl import load_workbook

    s = platform_world
    report = await rep.annual_report(s, principal("ng_editor"), COUNTY, 2025)
    html = render_html(report)
    assert "行政许可由平台根据受理系统本年作出的行政许可决定" in html
    sheet = load_workbook(BytesIO(render_xlsx(report))).active
    texts = [str(c.value) for r in sheet.iter_rows() for c in r if c.value is not None]
    assert any("行政事业性收费由平台根据受理系统本年收取的费用" in t for t in texts)
    assert 0.021 in [c.value for r in sheet.iter_rows() for c in r]


async def test_the_hand_counted_report_world_without_intake_is_unchanged(system_session,
                                                                         settings):
    """Intake installed but not switched on: every cell is entered, as before."""
    await seed_report_data(system_session, settings)
    report = await rep.annual_report(system_session, principal("ng_editor"), COUNTY, 2025)
    assert cell(report, "proactive.20_5", "licensing") == (120, "entered")
    assert cell(report, "proactive.20_8", "fees") == (12.5, "entered")


async def test_the_figures_under_row_level_security(platform_world, sessionmaker):
    """Through sessions scoped like a request's (PostgreSQL: row-level security decides)."""
    for who, code, subtree, expected in (("ng_editor", COUNTY, True, (3, 0.026)),
                                         ("ng_editor", COUNTY, False, (2, 0.021)),
                                         ("ft_editor", TOWNSHIP, False, (1, 0.005))):
        p = principal(who)
        async with sessionmaker() as scoped:
            scoped.info["scope"] = p.acting_path
            report = await rep.annual_report(scoped, p, code, 2025, subtree=subtree)
            assert (cell(report, "proactive.20_5", "licensing")[0],
                    cell(report, "proactive.20_8", "fees")[0]) == expected, (who, subtree)
