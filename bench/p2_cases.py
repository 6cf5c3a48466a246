"""P2 (cases): a GraphQL page of 50 cases with their item, tenants and status history vs a
hand-written litestar + SQL + msgspec endpoint returning the same JSON, in the same process
and run.

Prints statements per request (pages of 10 and 50; with and without row-level security's
per-transaction ``set_config`` on PostgreSQL), requests per second of each and the ratio
(budget: GraphQL ≥ 10% of the hand-written endpoint; statements constant, ≤ 6).

    python bench/p2_cases.py [--postgres [URL]] [--sqlite] [--requests 300] [--cases 400]

Without a backend flag both run: SQLite in a temporary file and PostgreSQL at
``$ZHENGWU_BENCH_POSTGRES_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``;
the script drops and creates its own database ``zhengwu_bench_p2_cases``). The world is
``bench/intake_world.py``'s: 宁国市 with two adopted items and ``--cases`` cases (half of them
accepted, some decided: two to five history entries each), read by a window clerk of 宁国市.
Requests go through the ASGI app in-process, one at a time, so the figures compare the work
per request, not the network. Request logging is off.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import msgspec
from intake_world import COUNTY, global_id, in_process, login, prepare, scratch_pg, sqlite_settings
from litestar import Litestar, Request, get
from litestar.datastructures import State
from sqlalchemy import event, select
from sqlalchemy.orm import aliased

import zhengwu.plugins.intake as intake
from zhengwu.app import create_app
from zhengwu.core.config import Settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker, subtree_clause
from zhengwu.core.pii import mask_name
from zhengwu.core.security.models import Grant, User
from zhengwu.plugins.intake.lifecycle import STATES
from zhengwu.plugins.intake.models import Case, CaseHistory
from zhengwu.tenants.models import Tenant

PAGE = 50
ROUNDS = 10
PG_URL = os.environ.get("ZHENGWU_BENCH_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
QUERY = """query($n: Int, $after: String) { cases(first: $n, after: $after) {
  edges { node { id caseNo status statusName channel itemName basicCode implementationCode
    departmentName submittedAt acceptedOn dueDate
    applicant { name idNumber phone }
    acceptingTenant { code name } handlingTenant { code name }
    history { at actor action fromStatus toStatus } } }
  pageInfo { hasNextPage endCursor } } }"""


# ---------------------------------------------------------------- the hand-written baseline

def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def baseline_app(settings: Settings) -> Litestar:
    """The same JSON written by hand: JWT check, three statements (scope, the page with both
    tenants joined, the history of the page), msgspec."""
    encoder = msgspec.json.Encoder()
    secret = settings.secret_key.get_secret_value()

    @get("/bench/cases")
    async def cases(request: Request[Any, Any, Any], state: State, n: int = PAGE) -> bytes:
        token = request.headers["authorization"].split(" ", 1)[1]
        user_id = uuid.UUID(jwt.decode(token, secret, algorithms=["HS256"])["sub"])
        async with state.sm() as s:
            s.info["scope"] = ALL_SCOPE
            scope = (await s.execute(select(Grant.tenant_path).join(User, User.id == Grant.user_id)
                                     .where(User.id == user_id))).scalar_one()
            acc, hdl = aliased(Tenant), aliased(Tenant)
            rows = (await s.execute(
                select(Case.id, Case.case_no, Case.status, Case.channel, Case.item_name,
                       Case.basic_code, Case.implementation_code, Case.department_name,
                       Case.submitted_at, Case.accepted_on, Case.due_date, Case.applicant_kind,
                       Case.applicant_name, Case.applicant_id_masked, Case.phone_masked,
                       acc.code, acc.name, hdl.code, hdl.name)
                .join(acc, acc.id == Case.tenant_id).join(hdl, hdl.id == Case.handling_tenant_id)
                .where(subtree_clause(Case.tenant_path, scope))
                .order_by(Case.submitted_at.desc(), Case.id.desc()).limit(n + 1))).all()
            page = rows[:n]
            history: dict[uuid.UUID, list[dict[str, Any]]] = {r[0]: [] for r in page}
            for cid, at, actor, action, before, after in (await s.execute(
                    select(CaseHistory.case_id, CaseHistory.at, CaseHistory.actor,
                           CaseHistory.action, CaseHistory.from_status, CaseHistory.to_status)
                    .where(CaseHistory.case_id.in_(list(history)),
                           subtree_clause(CaseHistory.tenant_path, scope))
                    .order_by(CaseHistory.case_id, CaseHistory.at, CaseHistory.id))).all():
                history[cid].append({"at": at.isoformat(), "actor": actor, "action": action,
                                     "fromStatus": before.upper() if before else None,
                                     "toStatus": after.upper() if after else None})
        edges = []
        for r in page:
            edges.append({"node": {
                "id": global_id("Case", r[0]), "caseNo": r[1], "status": r[2].upper(),
                "statusName": STATES[r[2]], "channel": r[3].upper(), "itemName": r[4],
                "basicCode": r[5], "implementationCode": r[6], "departmentName": r[7],
                "submittedAt": r[8].isoformat(), "acceptedOn": _iso(r[9]), "dueDate": _iso(r[10]),
                "applicant": {"name": mask_name(r[12]) if r[11] == "person" else r[12],
                              "idNumber": r[13], "phone": r[14]},
                "acceptingTenant": {"code": r[15], "name": r[16]},
                "handlingTenant": {"code": r[17], "name": r[18]},
                "history": history[r[0]]}})
        body = {"data": {"cases": {"edges": edges, "pageInfo": {"hasNextPage": len(rows) > n,
                                                                "endCursor": None}}}}
        return encoder.encode(body)

    async def startup(app: Litestar) -> None:
        app.state.engine = make_engine(settings)
        app.state.sm = make_sessionmaker(app.state.engine)

    async def shutdown(app: Litestar) -> None:
        await app.state.engine.dispose()

    return Litestar([cases], on_startup=[startup], on_shutdown=[shutdown])


# ---------------------------------------------------------------- measuring

def _strip_cursor(body: dict[str, Any]) -> dict[str, Any]:
    body["data"]["cases"]["pageInfo"]["endCursor"] = None
    return body


async def run(settings: Settings, requests: int) -> dict[str, float]:
    out: dict[str, float] = {}
    app = create_app(settings, plugins=[intake], entry_points=False)
    base = baseline_app(settings)
    async with in_process(app) as gql, in_process(base) as raw:
        headers = await login(gql, "bench_clerk")

        async def one_gql(n: int = PAGE) -> dict[str, Any]:
            r = await gql.post("/graphql", json={"query": QUERY, "variables": {"n": n}}, headers=headers)
            return r.json()

        async def one_raw(n: int = PAGE) -> dict[str, Any]:
            return (await raw.get("/bench/cases", params={"n": n}, headers=headers)).json()

        a, b = await one_gql(), await one_raw()
        assert "errors" not in a, a
        assert len(a["data"]["cases"]["edges"]) == PAGE
        assert _strip_cursor(a) == _strip_cursor(b), "the two endpoints disagree"
        out["history_entries"] = sum(len(e["node"]["history"]) for e in a["data"]["cases"]["edges"])

        engine = app.state.engine
        for n in (10, PAGE):
            seen: list[str] = []

            def count(*args: Any, into: list[str] = seen) -> None:
                into.append(args[2])

            event.listen(engine.sync_engine, "before_cursor_execute", count)
            await one_gql(n)
            event.remove(engine.sync_engine, "before_cursor_execute", count)
            out[f"statements_{n}"] = len(seen)
            out[f"statements_{n}_without_rls"] = len([s for s in seen if "set_config" not in s])

        # Interleaved rounds (the machine is shared and noisy): each round runs both
        # endpoints; rates are medians of the rounds, the ratio the median of the rounds'.
        calls = {"graphql": one_gql, "handwritten": one_raw}
        for call in calls.values():
            for _ in range(10):
                await call()
        samples: dict[str, list[float]] = {label: [] for label in calls}
        per_round = max(1, requests // ROUNDS)
        for _ in range(ROUNDS):
            for label, call in calls.items():
                t0 = time.perf_counter()
                for _ in range(per_round):
                    await call()
                samples[label].append(per_round / (time.perf_counter() - t0))
        for label, rates in samples.items():
            out[f"{label}_rps"] = statistics.median(rates)
        out["ratio"] = statistics.median(g / h for g, h in zip(samples["graphql"],
                                                                samples["handwritten"], strict=True))
    return out


async def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", nargs="?", const=PG_URL,
                        help="PostgreSQL server URL (a scratch database is created)")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cases", type=int, default=400)
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = []
    if args.sqlite or not args.postgres:
        backends.append(("sqlite", None))
    if args.postgres or not args.sqlite:
        backends.append(("postgresql", args.postgres or PG_URL))
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if url is None:
                settings = sqlite_settings(str(Path(tmp) / "p2_cases.sqlite3"))
            else:
                settings = await scratch_pg(url, "zhengwu_bench_p2_cases")
            t0 = time.perf_counter()
            await prepare(settings, cases=args.cases)
            print(f"[{name}] world with {args.cases} cases of {COUNTY} in {time.perf_counter() - t0:.1f} s")
            r = await run(settings, args.requests)
        print(f"[{name}] statements per request: page of 10 → {r['statements_10']:.0f}, page of {PAGE} → "
              f"{r['statements_50']:.0f} ({r['statements_10_without_rls']:.0f} / "
              f"{r['statements_50_without_rls']:.0f} without RLS set_config; budget ≤ 6, constant)")
        print(f"[{name}] page of {PAGE} cases, {r['history_entries']:.0f} history entries: GraphQL "
              f"{r['graphql_rps']:.1f} req/s, hand-written {r['handwritten_rps']:.1f} req/s (medians of "
              f"{ROUNDS} interleaved rounds), ratio {r['ratio']:.1%} (median of the rounds'; budget ≥ 10%)")


if __name__ == "__main__":
    asyncio.run(main())
