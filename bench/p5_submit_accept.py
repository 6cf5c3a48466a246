"""P5: submit + accept a case through GraphQL (two mutations per case, as a frontend sends
them) vs a bare INSERT endpoint (a litestar handler inserting one row into a bare table), in
the same process and run.

Prints cases per second through GraphQL, inserts per second of the bare endpoint, the ratio
(budget: ≥ 30%), and the statements each mutation costs.

    python bench/p5_submit_accept.py [--postgres [URL]] [--sqlite] [--cases 300] [--profile FILE]
                                     [--statements]

Without a backend flag both run: SQLite in a temporary file and PostgreSQL at
``$ZHENGWU_BENCH_POSTGRES_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``;
the script drops and creates its own database ``zhengwu_bench_p5``). The world is
``bench/intake_world.py``'s; a window clerk of 宁国市 submits 不动产首次登记 (four materials,
an applicant with ID number and phone, an idempotency key) and accepts it, which computes its
due date on the working-day calendar and creates its four steps. The bare endpoint decodes a
JSON body with msgspec and inserts it as one row (id, number, JSON document, time) with
SQLAlchemy Core on the owner's engine — no authentication, no scope, no checks. Requests go
through the ASGI apps in-process, one at a time. ``--profile`` writes a pyinstrument HTML
profile of the GraphQL rounds (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from intake_world import ID_NUMBER, PHONE, PROPERTY, in_process, login, prepare, scratch_pg, sqlite_settings
from litestar import Litestar, Request, post
from litestar.datastructures import State
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, Uuid, event, insert

import zhengwu.plugins.intake as intake
from zhengwu.app import create_app
from zhengwu.core.config import Settings
from zhengwu.core.db import make_engine

PG_URL = os.environ.get("ZHENGWU_BENCH_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
ROUNDS = 10
SUBMIT = """mutation($input: SubmitCaseInput!) { submitCase(input: $input) {
  case { id caseNo status } errors { field code message } } }"""
NOOP = "{ me { username } }"
ACCEPT = """mutation($input: AcceptCaseInput!) { acceptCase(input: $input) {
  case { id caseNo status dueDate deadline { due } } errors { field code message } } }"""

BARE = MetaData()
bare_cases = Table("bench_bare_cases", BARE,
                   Column("id", Uuid, primary_key=True), Column("case_no", String(40)),
                   Column("body", JSON), Column("created_at", DateTime(timezone=True)))


def submit_input(i: int) -> dict[str, Any]:
    return {"basicCode": PROPERTY, "idempotencyKey": f"bench-{uuid.uuid4().hex}",
            "applicant": {"kind": "PERSON", "name": "张三", "idNumber": ID_NUMBER, "phone": PHONE},
            "materials": [{"seq": s, "originals": 1} for s in (1, 2, 3, 4)]}


# ---------------------------------------------------------------- the bare baseline

class Body(msgspec.Struct):
    basicCode: str
    idempotencyKey: str
    applicant: dict[str, Any]
    materials: list[dict[str, Any]]


def bare_app(settings: Settings) -> Litestar:
    decoder = msgspec.json.Decoder(Body)
    counter = iter(range(1, 10**9))

    @post("/bench/bare")
    async def insert_one(request: Request[Any, Any, Any], state: State) -> dict[str, str]:
        body = decoder.decode(await request.body())
        row_id = uuid.uuid4()
        async with state.engine.begin() as conn:
            await conn.execute(insert(bare_cases).values(
                id=row_id, case_no=f"{next(counter):06d}", body=msgspec.to_builtins(body),
                created_at=datetime.now(UTC)))
        return {"id": str(row_id)}

    async def startup(app: Litestar) -> None:
        app.state.engine = make_engine(settings, as_owner=True)
        async with app.state.engine.begin() as conn:
            await conn.run_sync(BARE.create_all)

    async def shutdown(app: Litestar) -> None:
        await app.state.engine.dispose()

    return Litestar([insert_one], on_startup=[startup], on_shutdown=[shutdown])


# ---------------------------------------------------------------- measuring

async def run(settings: Settings, cases: int, profile: str | None,
              show_statements: bool = False) -> dict[str, float]:
    out: dict[str, float] = {}
    app = create_app(settings, plugins=[intake], entry_points=False)
    base = bare_app(settings)
    async with in_process(app) as gql, in_process(base) as raw:
        headers = await login(gql, "bench_clerk")
        serial = iter(range(10**9))

        async def one_case() -> dict[str, Any]:
            r = await gql.post("/graphql", json={"query": SUBMIT, "variables": {
                "input": submit_input(next(serial))}}, headers=headers)
            sub = r.json()["data"]["submitCase"]
            assert sub["errors"] == [], sub
            r = await gql.post("/graphql", json={"query": ACCEPT, "variables": {
                "input": {"caseId": sub["case"]["id"]}}}, headers=headers)
            acc = r.json()["data"]["acceptCase"]
            assert acc["errors"] == [], acc
            return acc

        async def two_noops() -> dict[str, Any]:
            """The floor: two authenticated GraphQL requests that do nothing (``me``)."""
            for _ in range(2):
                r = await gql.post("/graphql", json={"query": NOOP}, headers=headers)
            return r.json()

        async def one_insert() -> dict[str, Any]:
            r = await raw.post("/bench/bare", json=submit_input(next(serial)))
            assert r.status_code == 201, r.text
            return r.json()

        first = await one_case()
        assert first["case"]["status"] == "ACCEPTED" and first["case"]["dueDate"], first
        engine = app.state.engine
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        r = await gql.post("/graphql", json={"query": SUBMIT, "variables": {"input": submit_input(0)}},
                           headers=headers)
        out["statements_submit"] = len(seen)
        if show_statements:
            print("submitCase:\n  " + "\n  ".join(" ".join(q.split())[:140] for q in seen))
        seen.clear()
        await gql.post("/graphql", json={"query": ACCEPT, "variables": {"input": {
            "caseId": r.json()["data"]["submitCase"]["case"]["id"]}}}, headers=headers)
        out["statements_accept"] = len(seen)
        if show_statements:
            print("acceptCase:\n  " + "\n  ".join(" ".join(q.split())[:140] for q in seen))
        event.remove(engine.sync_engine, "before_cursor_execute", count)

        # Interleaved rounds (the machine is shared and noisy): each round runs every
        # endpoint in turn; the figure of each is the median of its rounds.
        calls = {"graphql": one_case, "bare": one_insert, "floor": two_noops}
        for call in calls.values():
            for _ in range(10):
                await call()
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
        samples: dict[str, list[float]] = {label: [] for label in calls}
        per_round = max(1, cases // ROUNDS)
        for _ in range(ROUNDS):
            for label, call in calls.items():
                if profiler is not None and label == "graphql":
                    profiler.start()
                t0 = time.perf_counter()
                for _ in range(per_round):
                    await call()
                samples[label].append(per_round / (time.perf_counter() - t0))
                if profiler is not None and label == "graphql":
                    profiler.stop()
        if profiler is not None and profile:
            await asyncio.to_thread(Path(profile).write_text, profiler.output_html(), encoding="utf-8")
            print(profiler.output_text(color=False, show_all=False, short_mode=False)[:20000])
        for label, rates in samples.items():
            out[f"{label}_per_s"] = statistics.median(rates)
        # ratios within each round (same load), then their median
        out["ratio"] = statistics.median(g / b for g, b in zip(samples["graphql"], samples["bare"],
                                                                strict=True))
        out["floor_ratio"] = statistics.median(f / b for f, b in zip(samples["floor"], samples["bare"],
                                                                     strict=True))
    return out


async def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", nargs="?", const=PG_URL,
                        help="PostgreSQL server URL (a scratch database is created)")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--profile", help="write a pyinstrument HTML profile of the GraphQL rounds")
    parser.add_argument("--statements", action="store_true", help="print each mutation's statements")
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = []
    if args.sqlite or not args.postgres:
        backends.append(("sqlite", None))
    if args.postgres or not args.sqlite:
        backends.append(("postgresql", args.postgres or PG_URL))
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if url is None:
                settings = sqlite_settings(str(Path(tmp) / "p5.sqlite3"))
            else:
                settings = await scratch_pg(url, "zhengwu_bench_p5")
            await prepare(settings)
            r = await run(settings, args.cases, args.profile, args.statements)
        print(f"[{name}] statements: submitCase {r['statements_submit']:.0f}, acceptCase "
              f"{r['statements_accept']:.0f} (authentication and the plugin switch included)")
        print(f"[{name}] GraphQL submit + accept {r['graphql_per_s']:.1f} cases/s, bare INSERT "
              f"{r['bare_per_s']:.1f} rows/s (medians of {ROUNDS} interleaved rounds), ratio "
              f"{r['ratio']:.1%} (median of the rounds' ratios; budget ≥ 30%)")
        print(f"[{name}] floor: two authenticated GraphQL requests doing nothing ({NOOP}) "
              f"{r['floor_per_s']:.1f} pairs/s = {r['floor_ratio']:.1%} of the bare INSERT")


if __name__ == "__main__":
    asyncio.run(main())
