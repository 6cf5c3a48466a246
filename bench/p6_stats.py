"""P6: subtree statistics over 1M cases of one province — ``case_statistics`` vs hand-written SQL.

    python bench/p6_stats.py [--postgres URL] [--cases 1000000] [--runs 7] [--file PATH]
                             [--under 34] [--reuse] [--explain]

PostgreSQL only (the budget is about a province's scan). A scratch database
``zhengwu_bench_p6`` is dropped, created and migrated (core and built-in plugins); the
province's divisions are imported from the national table (``--under 34``: 安徽省, 17,800
divisions; the packaged 宣城市 cut when the national file is missing); then ``--cases`` rows of
``intake_cases`` are generated over 2025–2026 and loaded with ``COPY`` (asyncpg
``copy_records_to_table``, the secondary indexes dropped and rebuilt around it), plus a fee for
about one case in ten, and ``VACUUM ANALYZE``. ``--reuse`` keeps a database already loaded
with the same number of cases.

Cases: 5% at city halls, 40% at county halls, 35% at township centres, 20% at village agent
points (handled by their township); channels window / online / kiosk (agent at villages); a
quarter instant items; 4% not accepted, 3% withdrawn, 2% left unaccepted; 92% of the accepted
promised cases decided, on time or late; one application in 200 is a parallel approval of
two sub-cases (the parent row is a container, never counted).

Timed for the province, a city, a county and a township, each the median of ``--runs``
rounds after one warm-up round, interleaved so that load on the machine hits all alike:

* **ours, as a request**: ``stats.case_statistics`` for an admin of that tenant through the
  application engine (role ``zhengwu_app``, a session scoped to the tenant: row-level
  security on): the tenant lookup, the permission check and the one statement with every
  figure (received, accepted, not accepted, completed, the five rates, handling days,
  channels, fees);
* **ours, as the metrics hook**: ``stats.subtree_figures`` with the operator's scope;
* **baseline**: a hand-written aggregate of received / completed / on-time for the same
  subtree and period (asyncpg as the owner: no RLS, no SQLAlchemy), and the same SQL run as
  the application role under RLS for information; custom plans for both (``plan_cache_mode``,
  as ``stats`` asks for its own statements);
* per child (``statistics_by_tenant``) against a hand-written ``GROUP BY`` on the child's path
  prefix, for the province (its cities) and the county (its townships).

Budget (architecture.md P6): ≤ 2× the hand-written SQL. Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.ids import uuid7
from zhengwu.core.migrate import builtin_plugin_locations, upgrade
from zhengwu.core.plugin_api import Period
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.platform import boot
from zhengwu.plugins.intake import stats
from zhengwu.plugins.intake.models import Case
from zhengwu.tenants.importer import apply_import, plan_import, read_divisions, vacuum_analyze
from zhengwu.tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT.parent / "shared" / "data" / "divisions-2023.csv.gz"
DEFAULT_PG = os.environ.get("ZHENGWU_BENCH_POSTGRES_URL",
                            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "zhengwu_bench_p6"
BUDGET = 2.0
PERIOD = Period(date(2026, 1, 1), date(2026, 12, 31))  # the data spans 2025–2026
DATA_START, DATA_DAYS = date(2025, 1, 1), 730
SUBTREES = (("province", "34"), ("city", "3418"), ("county", "341881"), ("township", "341881204"))
ADMIN = {"province": "province_admin", "city": "city_admin", "county": "county_admin",
         "township": "supervisor"}
SYSTEM = Principal.system("bench")

CASE_COLUMNS = (
    "id", "tenant_id", "tenant_path", "province_code", "case_no", "parent_id", "is_parallel",
    "handling_tenant_id", "handling_path", "basic_code", "item_name", "case_type", "channel",
    "status", "basis", "applicant_kind", "applicant_name", "lookup_checks", "submitted_at",
    "submitted_on", "accepted_on", "not_accepted_on", "promised_days", "extension_days",
    "due_date", "due_provisional", "tolerated_missing", "decided_on", "decision",
    "handling_days", "on_time", "fees_cents", "imported", "created_by", "version", "created_at",
    "updated_at")
FEE_COLUMNS = ("id", "tenant_id", "tenant_path", "case_id", "fee_seq", "name", "amount_cents",
               "charged_at", "charged_on", "charged_by")

BASELINE_SQL = """
SELECT count(*) FILTER (WHERE submitted_on BETWEEN $1 AND $2) AS received,
       count(*) FILTER (WHERE decided_on BETWEEN $1 AND $2) AS completed,
       count(*) FILTER (WHERE decided_on BETWEEN $1 AND $2 AND on_time) AS on_time
FROM intake_cases
WHERE (tenant_path = $3 OR (tenant_path >= $3 || '/' AND tenant_path < $3 || '0'))
  AND NOT is_parallel
  AND (submitted_on BETWEEN $1 AND $2 OR decided_on BETWEEN $1 AND $2)"""

GROUP_BY_SQL = """
SELECT substr(tenant_path, 1, $4) AS prefix,
       count(*) FILTER (WHERE submitted_on BETWEEN $1 AND $2) AS received,
       count(*) FILTER (WHERE decided_on BETWEEN $1 AND $2) AS completed,
       count(*) FILTER (WHERE decided_on BETWEEN $1 AND $2 AND on_time) AS on_time
FROM intake_cases
WHERE (tenant_path = $3 OR (tenant_path >= $3 || '/' AND tenant_path < $3 || '0'))
  AND NOT is_parallel
  AND (submitted_on BETWEEN $1 AND $2 OR decided_on BETWEEN $1 AND $2)
GROUP BY 1"""


# ------------------------------------------------------------------------------ the data

class Places:
    """The province's tenants by tier, with what a case needs of them."""

    def __init__(self, rows: list[tuple[str, uuid.UUID, str, str]]) -> None:
        self.by_tier: dict[str, list[tuple[uuid.UUID, str]]] = {}
        self.id_of: dict[str, uuid.UUID] = {}
        for _code, tid, path, tier in rows:
            self.by_tier.setdefault(tier, []).append((tid, path))
            self.id_of[path] = tid
        weights = {"city": 5, "county": 40, "township": 35, "village": 20}
        self.tiers = [t for t in weights if self.by_tier.get(t)]
        self.weights = [weights[t] for t in self.tiers]

    def pick(self, rng: random.Random) -> tuple[str, uuid.UUID, str, uuid.UUID, str]:
        tier = rng.choices(self.tiers, self.weights)[0]
        tid, path = rng.choice(self.by_tier[tier])
        if tier == "village":  # an agent point: its township handles the case
            handling = path.rsplit("/", 1)[0]
            return tier, tid, path, self.id_of[handling], handling
        return tier, tid, path, tid, path


Row = tuple[Any, ...]


def generate(places: Places, n: int, seed: int = 6) -> Iterator[tuple[Row, Row | None]]:
    """``n`` case rows (parallel parents included) and, for some, a fee row."""
    rng = random.Random(seed)
    rand, randrange = rng.random, rng.randrange
    stamp_of: dict[date, datetime] = {}
    empty = "[]"
    days = [DATA_START + timedelta(d) for d in range(DATA_DAYS + 60)]
    promised_choices = (2, 3, 5, 10, 15, 20)
    made = 0
    parent: tuple[uuid.UUID, str, uuid.UUID, str, uuid.UUID, str, int] | None = None
    while made < n:
        if parent is None and made % 200 == 0 and n - made >= 3:
            tier, tid, path, hid, hpath = places.pick(rng)
            pid = uuid7()
            sub_day = randrange(DATA_DAYS)
            parent = (pid, tier, tid, path, hid, hpath, sub_day)
            made += 1
            sub = days[sub_day]
            stamp = stamp_of.get(sub) or stamp_of.setdefault(sub, datetime.combine(sub, dtime(2), UTC))
            yield ((pid, tid, path, path[:2], f"P{made:09d}", None, True, hid, hpath, None,
                    "并联审批", 2, "window", "accepted", "statutory", "organisation", "某公司",
                    empty, stamp, sub, sub, None, None, 0, sub + timedelta(20), False, empty, None,
                    None, None, None, 0, False, "bench", 1, stamp, stamp), None)
            children = 2
            continue
        if parent is not None:
            pid, tier, tid, path, hid, hpath, sub_day = parent
            children -= 1
            if children == 0:
                parent = None
            parent_id: uuid.UUID | None = pid
        else:
            tier, tid, path, hid, hpath = places.pick(rng)
            sub_day = randrange(DATA_DAYS)
            parent_id = None
        made += 1
        sub = days[sub_day]
        stamp = stamp_of.get(sub) or stamp_of.setdefault(sub, datetime.combine(sub, dtime(2), UTC))
        instant = parent_id is None and rand() < 0.25
        if tier == "village":
            channel = "agent"
        else:
            r = rand()
            channel = "window" if r < 0.6 else "online" if r < 0.92 else "kiosk"
        accepted = not_accepted = decided = due = None
        handling = on_time = decision = promised = None
        r = rand()
        if parent_id is None and r < 0.04:
            status, not_accepted = "not_accepted", days[sub_day + randrange(3)]
        elif parent_id is None and r < 0.07:
            status = "withdrawn"
        elif parent_id is None and r < 0.09:
            status = "submitted"
        elif instant:
            status, accepted, decided, due = "delivered", sub, sub, sub
            handling, on_time, decision = 0, True, "approved"
        else:
            accepted = sub if parent_id is not None or rand() < 0.6 else days[sub_day + 1 + randrange(3)]
            promised = promised_choices[randrange(6)]
            due = accepted + timedelta(promised * 7 // 5 + 1)
            if rand() < 0.92:
                handling = max(0, int(rng.gauss(promised * 0.7, promised * 0.4)))
                decided = accepted + timedelta(handling * 7 // 5)
                on_time = decided <= due
                decision = "approved" if rand() < 0.95 else "denied"
                status = "delivered" if rand() < 0.8 else decision
            else:
                status = "accepted"
        cid = uuid7()
        fee = None
        if accepted is not None and not instant and rand() < 0.12:
            amount = 1000 + 500 * randrange(15)
            fee = (uuid7(), tid, path, cid, 1, "登记费", amount, stamp, accepted, "bench")
        yield ((cid, tid, path, path[:2], f"C{made:09d}", parent_id, False, hid, hpath,
                "000104002000", "事项", 1 if instant else 2, channel, status,
                "agent" if tier == "village" else "statutory", "person", "张三", empty, stamp, sub,
                accepted, not_accepted, promised, 0, due, False, empty, decided, decision,
                handling, on_time, fee[6] if fee else 0, False, "bench", 1, stamp, stamp), fee)


async def load_cases(dsn: str, places: Places, n: int) -> tuple[int, int]:
    """COPY ``n`` generated cases (and their fees) with the secondary indexes dropped."""
    conn = await asyncpg.connect(dsn)
    try:
        indexes = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
                                   "'intake_cases' AND indexname LIKE 'ix_%'")
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            for ix in indexes:
                await conn.execute(f'DROP INDEX "{ix["indexname"]}"')
            fees: list[tuple[Any, ...]] = []
            chunk: list[tuple[Any, ...]] = []
            loaded = 0
            gc.disable()
            try:
                for case, fee in generate(places, n):
                    chunk.append(case)
                    if fee is not None:
                        fees.append(fee)
                    if len(chunk) == 100_000:
                        await conn.copy_records_to_table("intake_cases", records=chunk,
                                                         columns=list(CASE_COLUMNS))
                        loaded += len(chunk)
                        chunk = []
                        print(f"\r  loaded {loaded:,} cases", end="", flush=True)
                if chunk:
                    await conn.copy_records_to_table("intake_cases", records=chunk,
                                                     columns=list(CASE_COLUMNS))
                    loaded += len(chunk)
                print(f"\r  loaded {loaded:,} cases")
                await conn.copy_records_to_table("intake_fees", records=fees,
                                                 columns=list(FEE_COLUMNS))
            finally:
                gc.enable()
            for ix in indexes:
                await conn.execute(ix["indexdef"])
        await conn.execute("VACUUM ANALYZE intake_cases")
        await conn.execute("VACUUM ANALYZE intake_fees")
        return loaded, len(fees)
    finally:
        await conn.close()


# ------------------------------------------------------------------------------ set-up

async def prepare(url: str, source: Path | bytes, under: str, n: int, reuse: bool) -> Settings:
    head = url.rpartition("/")[0]
    settings = Settings(database_url=f"{head}/{BENCH_DB}", _env_file=None)  # type: ignore[call-arg]
    dsn = settings.database_url.replace("+asyncpg", "")
    if reuse:
        try:
            conn = await asyncpg.connect(dsn)
            have = await conn.fetchval("SELECT count(*) FROM intake_cases")
            await conn.close()
            if have == n:
                print(f"  reusing {BENCH_DB}: {have:,} cases")
                return settings
            print(f"  {BENCH_DB} holds {have:,} cases, not {n:,}: rebuilding")
        except (asyncpg.InvalidCatalogNameError, asyncpg.UndefinedTableError):
            pass
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                f"WHERE datname = '{BENCH_DB}'"))
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}"'))
        await conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    await admin.dispose()
    start = time.perf_counter()
    await asyncio.to_thread(upgrade, settings, "heads", builtin_plugin_locations())
    print(f"  migrated in {time.perf_counter() - start:.1f} s")
    engine, owner = make_engine(settings), make_engine(settings, as_owner=True)
    try:
        start = time.perf_counter()
        async with make_sessionmaker(engine)() as s:
            s.info["scope"] = ALL_SCOPE
            plan = await plan_import(s, SYSTEM, read_divisions(source), under=under)
            await apply_import(s, SYSTEM, plan, owner=owner)
        await vacuum_analyze(owner)
        print(f"  divisions under {under}: {plan.counts} in {time.perf_counter() - start:.1f} s")
        async with make_sessionmaker(owner)() as s:
            s.info["scope"] = ALL_SCOPE
            rows = (await s.execute(select(Tenant.code, Tenant.id, Tenant.path, Tenant.tier)
                                    .where(Tenant.path.startswith(under)))).all()
    finally:
        await engine.dispose()
        await owner.dispose()
    required = {c.name for c in Case.__table__.columns if not c.nullable}
    missing = required - set(CASE_COLUMNS)
    if missing:
        sys.exit(f"the generator misses NOT NULL columns of intake_cases: {sorted(missing)}")
    start = time.perf_counter()
    cases, fees = await load_cases(dsn, Places([tuple(r) for r in rows]), n)
    print(f"  {cases:,} cases and {fees:,} fees generated, COPY'd, indexed and analysed in "
          f"{time.perf_counter() - start:.1f} s")
    return settings


# ------------------------------------------------------------------------------ timing

async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await fn()
    return time.perf_counter() - start, result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


async def run(settings: Settings, runs: int, explain: bool) -> None:
    boot()  # the intake permissions in the policy (case_stats:read)
    engine = make_engine(settings)
    sm = make_sessionmaker(engine)
    dsn = settings.database_url.replace("+asyncpg", "")
    # The baselines get custom plans too (asyncpg prepares and caches every statement; from
    # the sixth run PostgreSQL may plan it generically, as stats._custom_plan explains).
    custom = {"plan_cache_mode": "force_custom_plan"}
    owner = await asyncpg.connect(dsn, server_settings=custom)
    app = await asyncpg.connect(dsn, server_settings={**custom, "role": settings.database_app_role})
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        tenants = {code: (await s.scalar(select(Tenant).where(Tenant.code == code)))
                   for _tier, code in SUBTREES}
    verdicts: list[tuple[str, float]] = []
    try:
        for tier, code in SUBTREES:
            tenant = tenants[code]
            if tenant is None:
                print(f"\n{tier} {code}: not in the data")
                continue
            path = tenant.path
            who = Principal(None, f"bench_{tier}", None, path, tenant.id, path, tier,
                            (GrantRef(ADMIN[tier], path),))

            async def ours_request(who: Principal = who, code: str = code) -> stats.CaseStatistics:
                async with sm() as s:
                    s.info["scope"] = who.acting_path
                    return await stats.case_statistics(s, who, code, PERIOD)

            async def ours_metric(path: str = path) -> stats.CaseStatistics:
                async with sm() as s:
                    s.info["scope"] = ALL_SCOPE
                    return await stats.subtree_figures(s, path, PERIOD)

            # fetch, not fetchrow: a row limit on the portal turns parallel query off
            async def baseline(path: str = path) -> Any:
                return (await owner.fetch(BASELINE_SQL, PERIOD.start, PERIOD.end, path))[0]

            async def baseline_rls(path: str = path) -> Any:
                async with app.transaction():
                    await app.execute("SELECT set_config('zhengwu.scope', $1, true)", path)
                    return (await app.fetch(BASELINE_SQL, PERIOD.start, PERIOD.end, path))[0]

            variants: dict[str, Callable[[], Awaitable[Any]]] = {
                "baseline: hand-written SQL (owner, no RLS)": baseline,
                "baseline under RLS (app role, scoped)": baseline_rls,
                "case_statistics (request: RLS, checks)": ours_request,
                "subtree_figures (metrics: operator scope)": ours_metric,
            }
            times: dict[str, list[float]] = {k: [] for k in variants}
            results: dict[str, Any] = {}
            for round_no in range(runs + 1):
                for label, fn in variants.items():
                    seconds, results[label] = await timed(fn)
                    if round_no:  # the first round warms the caches
                        times[label].append(seconds)
            base = statistics.median(times["baseline: hand-written SQL (owner, no RLS)"])
            ours: stats.CaseStatistics = results["case_statistics (request: RLS, checks)"]
            b = results["baseline: hand-written SQL (owner, no RLS)"]
            same = (b["received"], b["completed"], b["on_time"]) == (ours.received, ours.completed,
                                                                     ours.on_time)
            print(f"\n{tier} {code} {tenant.name} — received {ours.received:,}, accepted "
                  f"{ours.accepted:,}, completed {ours.completed:,}, completion rate "
                  f"{ours.completion_rate or 0:.1%}, on time {ours.on_time_rate or 0:.1%}, on the "
                  f"spot {ours.on_the_spot_rate or 0:.1%}, fees {ours.fees_yuan:,.0f} 元"
                  f"{'' if same else '  (MISMATCH with the baseline!)'}")
            for label, ts in times.items():
                med = statistics.median(ts)
                print(f"  {label:<44} {ms(med)}  (min {min(ts) * 1000:.1f}, max "
                      f"{max(ts) * 1000:.1f})  {med / base:5.2f}x")
            for label in ("case_statistics (request: RLS, checks)",
                          "subtree_figures (metrics: operator scope)"):
                verdicts.append((f"{tier} {code}: {label}", statistics.median(times[label]) / base))
            if explain and tier in ("province", "county"):
                await show_plan(sm, path)
        for tier, code in (("province", "34"), ("county", "341881")):
            tenant = tenants.get(code)
            if tenant is None:
                continue
            await by_tenant(sm, owner, app, tenant, tier, runs, verdicts)
    finally:
        await owner.close()
        await app.close()
        await engine.dispose()
    print("\nverdicts (median ours / median hand-written, budget ≤ 2x):")
    for label, ratio in verdicts:
        print(f"  {label:<70} {ratio:5.2f}x  {'within' if ratio <= BUDGET else 'OVER'}")


async def by_tenant(sm: Any, owner: Any, app: Any, tenant: Tenant, tier: str, runs: int,
                    verdicts: list[tuple[str, float]]) -> None:
    width = {"province": 4, "city": 6, "county": 9, "township": 12}[tier]
    n = len(tenant.path) + 1 + width
    who = Principal(None, f"bench_{tier}", None, tenant.path, tenant.id, tenant.path, tier,
                    (GrantRef(ADMIN[tier], tenant.path),))

    async def ours() -> list[stats.CaseStatistics]:
        async with sm() as s:
            s.info["scope"] = who.acting_path
            return await stats.statistics_by_tenant(s, who, tenant.code, PERIOD)

    async def baseline() -> Any:
        return await owner.fetch(GROUP_BY_SQL, PERIOD.start, PERIOD.end, tenant.path, n)

    async def baseline_rls() -> Any:
        async with app.transaction():
            await app.execute("SELECT set_config('zhengwu.scope', $1, true)", tenant.path)
            return await app.fetch(GROUP_BY_SQL, PERIOD.start, PERIOD.end, tenant.path, n)

    variants: dict[str, Callable[[], Awaitable[Any]]] = {
        "hand-written GROUP BY (owner, no RLS)": baseline,
        "hand-written GROUP BY under RLS": baseline_rls,
        "statistics_by_tenant (request: RLS, checks)": ours,
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    rows: list[stats.CaseStatistics] = []
    for round_no in range(runs + 1):
        for label, fn in variants.items():
            seconds, result = await timed(fn)
            if label.startswith("statistics_by_tenant"):
                rows = result
            if round_no:
                times[label].append(seconds)
    base = statistics.median(times["hand-written GROUP BY (owner, no RLS)"])
    top = sorted((r for r in rows if r.subtree), key=lambda r: -(r.on_time_rate or 0))[:3]
    print(f"\nper child of {tier} {tenant.code} ({len(rows) - 1} children): best on-time rates "
          + ", ".join(f"{r.tenant_name} {r.on_time_rate or 0:.2%}" for r in top))
    for label, ts in times.items():
        med = statistics.median(ts)
        print(f"  {label:<44} {ms(med)}  (min {min(ts) * 1000:.1f}, max "
              f"{max(ts) * 1000:.1f})  {med / base:5.2f}x")
    ours_med = statistics.median(times["statistics_by_tenant (request: RLS, checks)"])
    verdicts.append((f"{tier} {tenant.code}: statistics_by_tenant vs GROUP BY", ours_med / base))


async def show_plan(sm: Any, path: str) -> None:
    from sqlalchemy.dialects import postgresql

    stmt = stats.figures_statement(path).params(period_start=PERIOD.start, period_end=PERIOD.end)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    async with sm() as s:
        s.info["scope"] = ALL_SCOPE
        plan = (await s.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))).scalars().all()
    print("  plan of the statement (operator scope):")
    for row in plan:
        print(f"    {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL",
                        help="PostgreSQL server URL (any database; the bench creates its own)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="rows of intake_cases")
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (after one warm-up)")
    parser.add_argument("--file", type=Path, default=None, help="national division table")
    parser.add_argument("--under", default="34", help="the province to load (division code)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the scratch database when it holds --cases cases already")
    parser.add_argument("--explain", action="store_true", help="print the statement's plan")
    args = parser.parse_args()
    source: Path | bytes
    if args.file is not None:
        source = args.file
    elif NATIONAL.exists():
        source = NATIONAL
    else:
        source = resources.files("zhengwu").joinpath("data/divisions-3418.csv").read_bytes()
    print(f"P6 subtree statistics — {args.cases:,} cases under {args.under}, period "
          f"{PERIOD.start}..{PERIOD.end}; {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.2f}")

    async def go() -> None:
        settings = await prepare(args.postgres, source, args.under, args.cases, args.reuse)
        await run(settings, args.runs, args.explain)

    asyncio.run(go())


if __name__ == "__main__":
    main()
