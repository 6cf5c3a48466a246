"""每日定时汇总: the daily summary per tenant against hand-counted cases (the analysis test's
county plus a case with a fee), idempotency, the job's schedule, reading the kept rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.plugins.intake.test_lifecycle import PROPERTY_MATERIALS
from tests.plugins.intake.world import PROPERTY, new_case
from tests.plugins.supervision.test_analysis import world  # noqa: F401 (the fixture)
from tests.plugins.supervision.world import at, principal
from zhengwu.core import clock
from zhengwu.core.errors import NotFound, PermissionDenied
from zhengwu.core.jobs.cron import CronSchedule
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import jobs, summary
from zhengwu.plugins.supervision.models import DailySummary
from zhengwu.tenants import enablement


async def _fee(s):
    with at(2026, 10, 9, 11):
        case = await intake.submit_case(s, principal("ng_clerk"),
                                        new_case(PROPERTY, materials=PROPERTY_MATERIALS))
        await intake.accept_case(s, principal("ng_clerk"), case.id)
        await intake.charge_fee(s, principal("ng_clerk"), case.id, fee_seq=1, amount_cents=8000)
        await s.commit()


def _figures(rows, code):
    [r] = [r for r in rows if r.tenant_code == code]
    d = r.summary
    return (d.received, d.completed, d.fees_cents, d.yellow_cards, d.red_cards, d.complaints,
            d.ratings, d.bad_ratings)


async def test_daily_figures_per_tenant_and_idempotency(world):  # noqa: F811
    s = world
    await _fee(s)
    enabled = await enablement.enabled_scope(s, "supervision")
    with at(2026, 10, 10, 9):
        kept = await summary.summarize(s, enabled, date(2026, 10, 9), clock.now())
        await summary.summarize(s, enabled, date(2026, 9, 28), clock.now())
        await s.commit()
    assert kept > 3
    rows = await summary.list_summaries(s, principal("ng_supervisor"), None, date(2026, 9, 28),
                                        date(2026, 10, 9))
    oct9 = [r for r in rows if r.summary.day == date(2026, 10, 9)]
    sep28 = [r for r in rows if r.summary.day == date(2026, 9, 28)]
    # received, completed, fees, yellow, red, complaints, ratings, bad ratings
    assert _figures(oct9, "341881") == (1, 1, 8000, 2, 1, 0, 2, 1)  # fee case; decided; 2 near
    # overdue, past the statutory limit (due Thu 8 Oct); the complaint
    assert _figures(oct9, "341881204") == (0, 0, 0, 1, 2, 1, 0, 0)
    # the agent case overdue and past the statutory limit
    assert _figures(oct9, "341881204200") == (0, 0, 0, 1, 2, 0, 0, 0)
    assert _figures(oct9, "341881100") == (0,) * 8  # 港口镇: a row of zeros
    assert _figures(sep28, "341881") == (3, 0, 0, 0, 0, 0, 0, 0)
    assert _figures(sep28, "341881204") == (1, 0, 0, 0, 1, 0, 0, 0)  # missing material: red
    assert _figures(sep28, "341881204200") == (1, 0, 0, 0, 0, 0, 0, 0)
    # run again (the job for the 9th, another day's clock): one row per tenant, same figures
    with at(2026, 10, 12, 9):
        await summary.summarize(s, enabled, date(2026, 10, 9), clock.now())
        await s.commit()
    count = await s.scalar(select(func.count()).select_from(DailySummary)
                           .where(DailySummary.day == date(2026, 10, 9)))
    assert count == kept
    again = await summary.list_summaries(s, principal("ng_supervisor"), None, date(2026, 10, 9),
                                         date(2026, 10, 9))
    assert [_figures(again, c) for c in ("341881", "341881204")] == [
        (1, 1, 8000, 2, 1, 0, 2, 1), (0, 0, 0, 1, 2, 1, 0, 0)]
    town = await summary.list_summaries(s, principal("ft_supervisor"), None, date(2026, 10, 9),
                                        date(2026, 10, 9))
    assert {r.tenant_code for r in town} == {"341881204", "341881204200", "341881204201"}
    with pytest.raises(NotFound):
        await summary.list_summaries(s, principal("xz_supervisor"), "341881", date(2026, 10, 9),
                                     date(2026, 10, 9))
    with pytest.raises(PermissionDenied):
        await summary.list_summaries(s, principal("ng_assessor"), None, date(2026, 10, 9),
                                     date(2026, 10, 9))


async def test_the_job_summarizes_yesterday_after_midnight_in_shanghai(world):  # noqa: F811
    s = world
    spec = {j.name: j for j in jobs.JOBS}[jobs.SUMMARIZE]
    from datetime import UTC, datetime
    nxt = CronSchedule.parse(spec.cron).next_after(datetime(2026, 10, 9, 12, 0, tzinfo=UTC))
    assert nxt == datetime(2026, 10, 9, 16, 10, tzinfo=UTC)  # 00:10 on the 10th in China
    with at(2026, 10, 10, 9):
        day, rows = await jobs.summarize_day(s)
        await s.commit()
    assert day == date(2026, 10, 9) and rows > 3


async def test_summarize_from_the_command_line(world, settings, monkeypatch):  # noqa: F811
    from tests.cli import invoke_cli

    s = world
    with at(2026, 10, 10, 9):
        first = await invoke_cli(monkeypatch, settings, "supervision", "summarize")
        again = await invoke_cli(monkeypatch, settings, "supervision", "summarize",
                                 "--day", "2026-10-09")
        bad = await invoke_cli(monkeypatch, settings, "supervision", "summarize", "--day", "9.10")
    assert first.exit_code == 0 and "2026-10-09" in first.output, first.output
    assert again.exit_code == 0
    assert bad.exit_code == 2
    s.expire_all()
    rows = await s.scalar(select(func.count()).select_from(DailySummary)
                          .where(DailySummary.day == date(2026, 10, 9)))
    per_tenant = await s.scalar(select(func.count(func.distinct(DailySummary.tenant_id)))
                                .where(DailySummary.day == date(2026, 10, 9)))
    assert rows == per_tenant > 3
