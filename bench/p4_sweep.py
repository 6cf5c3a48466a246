"""P4 — the e-supervision sweep over 1M open watched cases (budget: ≤ 2× one hand-written UPDATE
over the same rows, same run).

What it does, all against one PostgreSQL database it drops and creates (``zhengwu_bench_p4``):

1. Migrates it (core + built-in plugins), creates the province 安徽省 and switches supervision on
   there (so every row below is swept).
2. Loads ``--cases`` open watched cases (default 1,000,000) with COPY, as the projection would
   hold them: spread over 1,568 synthetic townships (16 cities × 7 counties × 14 townships),
   due from five working days before "today" (Mon 16 Nov 2026) to 25 after it — 3% overdue,
   ~7% within the yellow threshold — on the national calendar, ``yellow_on`` computed with the
   default threshold (1 working day), half of them in a step with its own limit (4% of those
   over it), 2% paused. Then ``VACUUM ANALYZE``.
3. Times, through the application role (row-level security on, operator scope):
   * a reference: one read-only SELECT over the same rows counting them by colour (the floor
     of anything that reads every open case);
   * the **baseline**: one hand-written UPDATE over the same rows — every open, unpaused case
     gets its colour (``CASE WHEN due_date < today THEN red WHEN yellow_on <= today THEN yellow
     ELSE green END``) written into it; rolled back, run before and after the sweeps, mean;
   * the **sweep** exactly as the ``supervision.sweep`` job runs it (``sweep.sweep``: thresholds,
     three card rules and the ticket rule, urging, the notification queue), committed: the
     first run (raises every card due today) and a second run (nothing to raise: the steady
     state every ten minutes), each followed by ``VACUUM ANALYZE`` outside the timing;
   * a third run one hour later with ``urge_after_hours`` at 1 (every card urged once).

Run: ``python bench/p4_sweep.py [--cases 1000000] [--url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]``
(or ``$ZHENGWU_BENCH_POSTGRES_URL``). Prints figures; never asserts (budgets are design targets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from zhengwu.core import clock
from zhengwu.core.calendar.service import WorkCalendar, load_calendar
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.ids import uuid7
from zhengwu.core.migrate import builtin_plugin_locations, upgrade
from zhengwu.core.security.principal import Principal
from zhengwu.platform import boot
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.plugins.supervision.thresholds import turns_yellow_on
from zhengwu.tenants import enablement, provisioning
from zhengwu.tenants.settings import set_setting

DB = "zhengwu_bench_p4"
TODAY = date(2026, 11, 16)  # a Monday
NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SYSTEM = Principal.system("bench")
COLUMNS = ("id", "case_no", "basic_code", "channel", "case_type", "parent_id", "is_parallel",
           "handling_path", "status", "watching", "accepted_on", "accepted_by", "handler",
           "due_date", "yellow_days", "yellow_on", "step_seq", "step_name", "step_started_on",
           "step_limit", "step_due", "paused", "paused_since", "pauses", "decided_on", "on_time",
           "closed_on", "last_event", "last_event_at", "tenant_id", "tenant_path", "created_at",
           "updated_at")

BASELINE = text("""
UPDATE supervision_cases SET last_event = CASE WHEN due_date < :today THEN 'red'
    WHEN yellow_on <= :today THEN 'yellow' ELSE 'green' END
WHERE watching AND NOT paused""")


SCAN = text("""
SELECT CASE WHEN due_date < :today THEN 'red' WHEN yellow_on <= :today THEN 'yellow'
    ELSE 'green' END AS colour, count(*)
FROM supervision_cases WHERE watching AND NOT paused GROUP BY 1""")


def _db_url(base: str, name: str) -> str:
    return f"{base.rpartition('/')[0]}/{name}"


async def _recreate(base: str) -> None:
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DB}'"))
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}"'))
        await conn.execute(text(f'CREATE DATABASE "{DB}"'))
    await admin.dispose()


def _townships() -> list[str]:
    out = []
    for c in range(1, 17):
        city = f"34{c:02d}"
        for k in range(1, 8):
            county = f"{city}{k:02d}"
            for t in range(1, 15):
                out.append(f"34/{city}/{county}/{county}{100 + t:03d}")
    return out


def _records(n: int, cal: WorkCalendar, tenant_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """Open cases as a hall's week looks: 3% past their due date, ~7% within one working day
    of it, the rest due up to 25 working days ahead; half in a step (4% of those over the
    step's limit); 2% paused."""
    rng = random.Random(4)
    paths = _townships()
    shifted: dict[tuple[date, int], date] = {}
    yellow_of: dict[date, date] = {}

    def shift(day: date, k: int) -> date:
        """``k`` working days after (k > 0) or before (k < 0) ``day``."""
        key = (day, k)
        if key not in shifted:
            if k >= 0:
                shifted[key] = cal.add_working_days(day, k).due
            else:
                d, left = day, -k
                while left:
                    d -= timedelta(days=1)
                    left -= cal.is_workday(d)
                shifted[key] = d
        return shifted[key]

    stamp = NOW - timedelta(days=1)
    base = uuid7().int >> 80 << 80
    records = []
    for i in range(n):
        roll = rng.random()
        ahead = rng.randint(-5, -1) if roll < 0.03 else rng.randint(0, 1) if roll < 0.10 \
            else rng.randint(2, 25)
        due = shift(TODAY, ahead)
        accepted = shift(due, -rng.randint(max(3, ahead + 1), 30))
        if due not in yellow_of:
            yellow_of[due] = turns_yellow_on(cal, due, 1)
        in_step = rng.random() < 0.5
        step_limit = rng.randint(1, 5) if in_step else None
        step_due = (shift(TODAY, rng.randint(-2, -1) if rng.random() < 0.04 else rng.randint(0, 5))
                    if in_step else None)
        step_start = shift(step_due, -step_limit) if step_due and step_limit else None
        paused = rng.random() < 0.02
        path = paths[i % len(paths)]
        records.append((
            uuid.UUID(int=base | i), f"{path[-9:]}-2026-{i:07d}", "000104002000", "window", 2,
            None, False, path, "in_review" if in_step else "accepted", True, accepted,
            "clerk", "approver" if in_step else "clerk", due, 1, yellow_of[due],
            1 if in_step else None, "审查" if in_step else None, step_start, step_limit, step_due,
            paused, accepted if paused else None, "[]", None, None, None, "step_started", stamp,
            tenant_id, path, stamp, stamp))
    return records


async def _load(settings: Settings, n: int) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, settings, "heads", builtin_plugin_locations())
    boot()
    engine = make_engine(settings)
    sm = make_sessionmaker(engine)
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        province = await provisioning.create_tenant(s, SYSTEM, "34", "安徽省")
        await enablement.enable_plugin(s, SYSTEM, "34", "supervision")
        await s.commit()
        cal = await load_calendar(s, None, range(2026, 2028))
        tenant_id = province.id
    await engine.dispose()
    t = time.perf_counter()
    records = _records(n, cal, tenant_id)
    built = time.perf_counter() - t
    owner = make_engine(settings, as_owner=True)
    t = time.perf_counter()
    async with owner.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table("supervision_cases", records=records, columns=COLUMNS)
        await conn.commit()
    copied = time.perf_counter() - t
    await _vacuum(owner)
    await owner.dispose()
    return {"built": built, "copied": copied}


async def _vacuum(owner: Any) -> None:
    async with owner.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE supervision_cases"))
        await conn.execute(text("VACUUM ANALYZE supervision_alerts"))
        await conn.execute(text("VACUUM ANALYZE supervision_alert_actions"))


async def _baseline(sm: Any) -> tuple[float, int]:
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        t = time.perf_counter()
        result = await s.execute(BASELINE, {"today": TODAY})
        elapsed = time.perf_counter() - t
        await s.rollback()
    return elapsed, int(result.rowcount)


async def _scan(sm: Any) -> tuple[float, dict[str, int]]:
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        t = time.perf_counter()
        rows = (await s.execute(SCAN, {"today": TODAY})).all()
        elapsed = time.perf_counter() - t
        await s.rollback()
    return elapsed, {c: int(n) for c, n in rows}


async def _sweep(sm: Any, now: datetime) -> tuple[float, dict[str, Any], list[tuple[str, float]]]:
    phases: list[tuple[str, float]] = []
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        t = time.perf_counter()
        last = t

        async def progress(done: int, total: int, message: str) -> None:
            nonlocal last
            now_ = time.perf_counter()
            phases.append((message, now_ - last))
            last = now_

        with clock.freeze(now):
            enabled = await enablement.enabled_scope(s, "supervision")
            report = await sweep(s, enabled, now, progress)
            await s.commit()
        elapsed = time.perf_counter() - t
    return elapsed, report.as_dict(), phases


async def run(base: str, n: int) -> None:
    await _recreate(base)
    settings = Settings(database_url=_db_url(base, DB), environment="test",
                        _env_file=None)  # type: ignore[call-arg]
    loaded = await _load(settings, n)
    print(f"P4 — sweep over {n:,} open watched cases (PostgreSQL, database {DB})")
    print(f"  build records {loaded['built']:.1f} s, COPY {loaded['copied']:.1f} s")
    engine = make_engine(settings)
    owner = make_engine(settings, as_owner=True)
    sm = make_sessionmaker(engine)
    scan, colours = await _scan(sm)
    print(f"  reference: one read-only pass over the open rows (colour counts) {scan:.2f} s  "
          f"{colours}")
    b1, rows = await _baseline(sm)
    print(f"  baseline 1: hand-written UPDATE of {rows:,} open rows  {b1:.2f} s")
    await _vacuum(owner)
    first, report1, phases1 = await _sweep(sm, NOW)
    await _vacuum(owner)
    second, report2, phases2 = await _sweep(sm, NOW + timedelta(minutes=10))
    await _vacuum(owner)
    b2, _ = await _baseline(sm)
    await _vacuum(owner)
    print(f"  baseline 2: {b2:.2f} s")
    base_mean = (b1 + b2) / 2
    print(f"  sweep, first run (raises today's cards): {first:.2f} s = "
          f"{first / base_mean:.2f}x baseline   {json.dumps(report1)}")
    for message, seconds in phases1:
        print(f"      {seconds:6.2f} s  {message}")
    print(f"  sweep, second run (steady state, nothing new): {second:.2f} s = "
          f"{second / base_mean:.2f}x baseline   raised={report2['raised']}")
    for message, seconds in phases2:
        print(f"      {seconds:6.2f} s  {message}")
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        await set_setting(s, SYSTEM, "34", "supervision", "urge_after_hours", 1)
        await s.commit()
    third, report3, _ = await _sweep(sm, NOW + timedelta(hours=1, minutes=5))
    print(f"  sweep one hour later, urge_after_hours=1: {third:.2f} s = "
          f"{third / base_mean:.2f}x baseline   urged={report3['urged']:,}")
    await engine.dispose()
    await owner.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default=os.environ.get(
        "ZHENGWU_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    asyncio.run(run(args.url, args.cases))


if __name__ == "__main__":
    main()
