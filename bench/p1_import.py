"""P1: import the whole country (665,276 divisions) — the importer vs a raw load, same run.

    python bench/p1_import.py [--postgres URL] [--sqlite] [--file PATH] [--rounds N]

Without ``--postgres``/``--sqlite`` both backends run (PostgreSQL at
``$ZHENGWU_BENCH_POSTGRES_URL`` or ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``).

PostgreSQL: a scratch database ``zhengwu_bench`` is dropped, created and migrated; then

* **baseline** — read the same file (gunzip, UTF-8, ``csv``) and ``COPY`` its rows as they are
  into a bare table (four text columns, no index, no key), with asyncpg as the owner;
* **import** — ``read_divisions`` + ``plan_import`` + ``apply_import`` through the application
  engine (role ``zhengwu_app``): every check, ids, kinds, paths, batches of
  ``import_batch_size`` with one audit entry each, primary key, two unique indexes, the
  parent index and the parent foreign key maintained;
* **second run** — the same again on the loaded table (idempotent: nothing to add);
* subtree counts (``provisioning.subtree_counts``) for a province, a county and a township.

SQLite: the same against a fresh file, the baseline being one raw ``executemany`` into a bare
table. The baseline runs before and after the import; the ratio uses their mean. The cyclic
garbage collector is paused in the baseline's read too (the importer pauses it while it
builds its lists), so the ratio compares work, not collector pauses.

Budget: import ≤ 3 × baseline on each backend. Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import gzip
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.migrate import upgrade
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import provisioning
from zhengwu.tenants.importer import apply_import, plan_import, read_divisions, vacuum_analyze
from zhengwu.tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "divisions-2023.csv.gz"
DEFAULT_PG = os.environ.get("ZHENGWU_BENCH_POSTGRES_URL",
                            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "zhengwu_bench"
BUDGET = 3.0
SUBTREES = ("34", "341881", "341881204")
T = TypeVar("T")


def read_raw(path: Path) -> list[list[str]]:
    """The baseline's read: the bytes, gunzipped, decoded, split by ``csv``; header dropped."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    gc.disable()
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    finally:
        gc.enable()
    return rows[1:]


async def timed(fn: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    start = time.perf_counter()
    result = await fn()
    return time.perf_counter() - start, result


def line(label: str, seconds: float, rows: int | None = None) -> None:
    rate = f"{rows / seconds:>12,.0f} rows/s" if rows else ""
    print(f"  {label:<44} {seconds:>8.2f} s {rate}")


async def import_once(settings: Settings, path: Path,
                      owner: AsyncEngine | None = None) -> tuple[int, dict[str, int]]:
    """The real thing, as the CLI does it: read, plan, apply (application engine; with
    ``owner`` the first load of an empty directory takes the bulk path)."""
    engine = make_engine(settings)
    system = Principal.system("bench")
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["scope"] = ALL_SCOPE
            parsed = read_divisions(path)
            plan = await plan_import(session, system, parsed)
            await apply_import(session, system, plan, batch_size=settings.import_batch_size,
                               owner=owner)
            return len(parsed.rows), plan.counts
    finally:
        await engine.dispose()


async def subtree_timings(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            session.info["scope"] = ALL_SCOPE
            for code in SUBTREES:
                tenant = await session.scalar(select(Tenant).where(Tenant.code == code))
                if tenant is None:
                    print(f"  subtree {code}: not in the file")
                    continue
                times, counts = [], {}
                for _ in range(7):
                    start = time.perf_counter()
                    counts = await provisioning.subtree_counts(session, tenant)
                    times.append(time.perf_counter() - start)
                shown = ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)
                print(f"  subtree_counts {code:<10} median {statistics.median(times) * 1000:7.2f} ms"
                      f"  ({shown})")
    finally:
        await engine.dispose()


def verdict(name: str, ours: float, baselines: list[float]) -> None:
    base = statistics.mean(baselines)
    ratio = ours / base
    mark = "within" if ratio <= BUDGET else "OVER"
    print(f"  => {name}: import {ours:.2f} s / baseline {base:.2f} s = {ratio:.2f}x "
          f"({mark} the {BUDGET:.0f}x budget)")


# ------------------------------------------------------------------------------ PostgreSQL


async def bench_postgres(url: str, path: Path, rounds: int) -> None:
    head = url.rpartition("/")[0]
    bench_url = f"{head}/{BENCH_DB}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                f"WHERE datname = '{BENCH_DB}'"))
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}"'))
        await conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        version = (await conn.execute(text("SHOW server_version"))).scalar()
    await admin.dispose()
    settings = Settings(database_url=bench_url, _env_file=None)  # type: ignore[call-arg]
    await asyncio.to_thread(upgrade, settings)
    owner = make_engine(settings, as_owner=True)
    print(f"\nPostgreSQL {version} — {bench_url.split('@')[-1]}")

    async def baseline() -> int:
        rows = read_raw(path)
        async with owner.connect() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS p1_bare"))
            await conn.execute(text("CREATE TABLE p1_bare (code text, name text, tier text, "
                                    "parent_code text)"))
            await conn.commit()
            raw = await conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                "p1_bare", records=rows, columns=["code", "name", "tier", "parent_code"])
            await conn.execute(text("DROP TABLE p1_bare"))
            await conn.commit()
        return len(rows)

    async def empty_directory() -> None:
        async with owner.begin() as conn:
            await conn.execute(text("TRUNCATE tenants, audit_log, audit_heads CASCADE"))

    await run_rounds("raw COPY into a bare table", baseline, settings, path, rounds,
                     after_load=lambda: vacuum_analyze(owner), owner=owner,
                     reset=empty_directory)
    await owner.dispose()


# ---------------------------------------------------------------------------------- SQLite


async def bench_sqlite(path: Path, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="zhengwu-p1-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{db}",  # type: ignore[call-arg]
                            _env_file=None)
        await asyncio.to_thread(upgrade, settings)
        engine = make_engine(settings)
        import sqlite3

        print(f"\nSQLite {sqlite3.sqlite_version} — {db}")

        async def baseline() -> int:
            rows = read_raw(path)
            async with engine.connect() as conn:
                await conn.execute(text("DROP TABLE IF EXISTS p1_bare"))
                await conn.execute(text("CREATE TABLE p1_bare (code TEXT, name TEXT, tier TEXT, "
                                        "parent_code TEXT)"))
                await conn.commit()
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                await driver.executemany("INSERT INTO p1_bare VALUES (?, ?, ?, ?)", rows)
                await driver.commit()
                await conn.execute(text("DROP TABLE p1_bare"))
                await conn.commit()
            return len(rows)

        async def analyze() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()

        await run_rounds("raw executemany into a bare table", baseline, settings, path, rounds,
                         after_load=analyze)
        await engine.dispose()


async def run_rounds(label: str, baseline: Callable[[], Awaitable[int]], settings: Settings,
                     path: Path, rounds: int, after_load: Callable[[], Awaitable[None]],
                     owner: AsyncEngine | None = None,
                     reset: Callable[[], Awaitable[None]] | None = None) -> None:
    """baseline, import, second import, [batched import], baseline (``rounds`` baselines)."""
    bases: list[float] = []
    for _ in range(rounds):
        seconds, n = await timed(baseline)
        bases.append(seconds)
        line(f"baseline: {label}", seconds, n)
    how = "bulk path" if owner is not None else "batches"
    seconds, (n, counts) = await timed(lambda: import_once(settings, path, owner))
    line(f"import ({how}): read+validate+insert+indexes", seconds, n)
    print(f"    counts: {counts}")
    first = seconds
    seconds, _ = await timed(after_load)
    line("maintenance after the load (VACUUM/ANALYZE)", seconds)
    seconds, (n, counts) = await timed(lambda: import_once(settings, path, owner))
    line("second run (idempotent, nothing to add)", seconds, n)
    print(f"    counts: {counts}")
    second = seconds
    await subtree_timings(settings)
    batched = None
    if reset is not None:
        await reset()
        batched, (n, counts) = await timed(lambda: import_once(settings, path))
        line("import (batches, app role, no owner rights)", batched, n)
    for _ in range(rounds):
        seconds, n = await timed(baseline)
        bases.append(seconds)
        line(f"baseline again: {label}", seconds, n)
    verdict(f"first import ({how})", first, bases)
    verdict("second run", second, bases)
    if batched is not None:
        verdict("first import (batches)", batched, bases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL",
                        help="PostgreSQL server URL (any database; the bench creates its own)")
    parser.add_argument("--sqlite", action="store_true", help="run the SQLite benchmark")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="national table")
    parser.add_argument("--rounds", type=int, default=1, help="baseline runs before and after")
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"national table not found: {args.file} (pass --file PATH)")
    if args.postgres is None and not args.sqlite:
        args.postgres, args.sqlite = DEFAULT_PG, True
    print(f"P1 import — {args.file.name}; {platform.python_implementation()} "
          f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s); "
          f"load average {os.getloadavg()[0]:.2f}")
    if args.postgres:
        asyncio.run(bench_postgres(args.postgres, args.file, args.rounds))
    if args.sqlite:
        asyncio.run(bench_sqlite(args.file, args.rounds))


if __name__ == "__main__":
    main()
