"""Public case lookup (办件进度查询) over HTTP: progress only, every miss the same 404, rate
limits per source and per case number (in-process and, marked ``redis``, shared through
Redis), nothing personal in any answer or log — on SQLite and on PostgreSQL under
row-level security (the app's engine runs as the RLS-bound role there)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from tests.core.test_jobs import DEAD_REDIS_URL, REDIS_URL, redis_url  # noqa: F401
from tests.plugins.intake.world import (
    COUNTY,
    ID_NUMBER,
    MIGRANT,
    PHONE,
    SIBLING_COUNTY,
    SIBLING_TOWNSHIP,
    SYSTEM,
    TOWNSHIP,
    VILLAGE,
    build_intake_world,
    company,
    new_case,
    principal,
)
from zhengwu.app import create_app
from zhengwu.core import clock
from zhengwu.core.pii import mask_id_number, mask_phone
from zhengwu.plugins.intake import lookup, service
from zhengwu.plugins.intake.inputs import Applicant
from zhengwu.plugins.intake.lookup import LookupMiss, MemoryLimiter, RateLimited, RedisLimiter
from zhengwu.plugins.intake.routes import (
    LIMITER_STATE_KEY,
    install_access_log_filter,
    limiter_of,
)
from zhengwu.tenants.settings import set_setting

MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 28 Sep 2026, 10:00 in Shanghai
ID_TAIL, PHONE_TAIL = ID_NUMBER[-4:], PHONE[-4:]  # "002X", "5678"
PROGRESS_KEYS = {"case_no", "item_name", "status", "status_zh", "submitted_on", "due_date",
                 "due_provisional", "decided_on", "delivered_on"}


class FakeClock:
    """Seconds that only move when the test says so (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def world(system_session, settings) -> dict[str, Any]:
    s = system_session
    await build_intake_world(s, settings)
    clerk = principal("ng_clerk")
    with clock.freeze(MON):
        person = await service.submit_case(s, clerk, new_case())
        await service.accept_case(s, clerk, person.id)
        org = await service.submit_case(s, clerk, new_case(applicant=Applicant(
            kind="organisation", name="宁国市恒远新材料有限公司", credit_code=company(7),
            contact_name="程立新", phone="0563-4021876")))
        agent = await service.submit_case(s, principal("ft_agent"),
                                          new_case(MIGRANT, VILLAGE, materials=(1, 2, 3)))
        await s.commit()
    return {"person": person.case_no, "org": org.case_no, "credit": company(7),
            "agent": agent.case_no}


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(settings, world, fake_clock) -> Any:
    app = create_app(settings)
    app.state[LIMITER_STATE_KEY] = MemoryLimiter(clock=fake_clock)
    async with AsyncTestClient(app) as c:
        yield c


async def _get(client, code: str, case_no: str, check: str) -> Any:
    return await client.get(f"/public/{code}/cases/{case_no}", params={"check": check})


def _nothing_personal(text: str) -> None:
    for secret in (ID_NUMBER, PHONE, ID_NUMBER.lower(), mask_id_number(ID_NUMBER),
                   mask_phone(PHONE), "张三", "程立新", "4021876"):
        assert secret not in text


async def test_right_check_values_show_progress_only(client, world):
    by_id = await _get(client, COUNTY, world["person"], ID_TAIL)
    by_phone = await _get(client, COUNTY, world["person"], PHONE_TAIL.lower())
    by_lowercase_x = await _get(client, COUNTY, world["person"], ID_TAIL.lower())
    for resp in (by_id, by_phone, by_lowercase_x):
        assert resp.status_code == 200, resp.text
        assert resp.headers["cache-control"] == "no-store"
        _nothing_personal(resp.text)
    body = by_id.json()
    assert set(body) == PROGRESS_KEYS
    assert body == by_phone.json()
    # 5 working days after Mon 28 Sep 2026, the National Day break skipped
    assert body == {"case_no": world["person"], "item_name": "固定资产投资项目节能审查",
                    "status": "accepted", "status_zh": "已受理", "submitted_on": "2026-09-28",
                    "due_date": "2026-10-10", "due_provisional": False, "decided_on": None,
                    "delivered_on": None}
    org = await _get(client, COUNTY, world["org"], world["credit"][-4:])
    assert org.status_code == 200 and org.json()["status"] == "submitted"
    assert world["credit"] not in org.text
    # an agent point's case: found from the village, the township and the county
    for code in (VILLAGE, TOWNSHIP, COUNTY, "341881204200"):
        resp = await _get(client, code, world["agent"], ID_TAIL)
        assert resp.status_code == 200 and resp.json()["item_name"] == "流动人口婚育证明"


async def test_every_miss_is_the_same_404(client, world):
    case_no = world["person"]
    misses = [
        (COUNTY, case_no, "1234"),              # wrong check value
        (COUNTY, case_no, "12"),                # malformed check value
        (COUNTY, case_no, PHONE[-5:-1]),        # right digits, wrong place
        (COUNTY, world["org"], ID_TAIL),        # another case's check value
        (COUNTY, "341881-2026-999999", ID_TAIL),  # no such case
        (SIBLING_COUNTY, case_no, ID_TAIL),     # another tenant (intake not enabled there either)
        (SIBLING_TOWNSHIP, case_no, ID_TAIL),   # a township of the county, not the case's
        ("34", case_no, ID_TAIL),               # an ancestor where intake is not enabled
        ("999999", case_no, ID_TAIL),           # no such division
        (VILLAGE, case_no, ID_TAIL),            # below the accepting tenant
    ]
    bodies = []
    for code, number, check in misses:
        resp = await _get(client, code, number, check)
        assert resp.status_code == 404, (code, number, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        _nothing_personal(resp.text)
        bodies.append(resp.content)
    assert len(set(bodies)) == 1
    resp = await _get(client, COUNTY, world["agent"], "0000")  # the source's 11th try
    assert resp.status_code == 429  # limited: still says nothing about any case
    import json

    assert json.loads(bodies[0])["code"] == "case.not_found"


async def test_intake_switched_off_is_the_same_404(client, world, system_session):
    from zhengwu.tenants import enablement

    before = (await _get(client, COUNTY, world["org"], "0000")).content
    await enablement.disable_plugin(system_session, SYSTEM, COUNTY, "intake")
    await system_session.commit()
    resp = await _get(client, COUNTY, world["person"], ID_TAIL)
    assert resp.status_code == 404 and resp.content == before


async def test_rate_limit_per_source_kicks_in_at_the_eleventh_try_and_clears(client, world,
                                                                             fake_clock):
    case_no = world["person"]
    for _ in range(10):
        assert (await _get(client, COUNTY, case_no, "0000")).status_code == 404
    limited = await _get(client, COUNTY, case_no, ID_TAIL)  # even the right value now
    assert limited.status_code == 429
    assert limited.json()["code"] == "lookup.rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    fake_clock.advance(30)
    assert (await _get(client, COUNTY, case_no, ID_TAIL)).status_code == 429
    fake_clock.advance(31)  # a minute after the first tries
    assert (await _get(client, COUNTY, case_no, ID_TAIL)).status_code == 200
    # other case numbers from the same source count too
    fake_clock.advance(61)
    for n in range(10):
        await _get(client, COUNTY, f"341881-2026-{n:06d}", "0000")
    assert (await _get(client, "341802", "x", "0000")).status_code == 429


async def test_rate_limit_per_case_number_across_sources(settings, world, fake_clock, sessionmaker):
    from zhengwu.plugins.intake.service import current_cipher

    limiter = MemoryLimiter(clock=fake_clock)

    async def attempt(source: str, check: str = "0000") -> Any:
        return await lookup.public_lookup(sessionmaker, limiter, current_cipher(), code=COUNTY,
                                          case_no=world["person"], check=check, source=source)

    for n in range(10):
        with pytest.raises(LookupMiss):
            await attempt(f"10.0.0.{n}")
    with pytest.raises(RateLimited) as e:
        await attempt("10.0.1.1", ID_TAIL)
    assert e.value.status == 429 and 1 <= e.value.retry_after <= 60
    limiter.reset()
    assert (await attempt("10.0.1.1", ID_TAIL)).status == "accepted"


async def test_the_limit_is_a_tenant_setting(client, world, system_session):
    await set_setting(system_session, SYSTEM, COUNTY, "intake", "lookup_per_minute", 3)
    await system_session.commit()
    for _ in range(3):
        assert (await _get(client, COUNTY, world["person"], ID_TAIL)).status_code == 200
    assert (await _get(client, COUNTY, world["person"], ID_TAIL)).status_code == 429


async def test_html_form_and_result_without_javascript(client, world):
    form = await client.get(f"/public/{COUNTY}/cases")
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert "宁国市" in form.text and "<form" in form.text and 'name="check"' in form.text
    assert "<script" not in form.text.lower()
    found = await client.get(f"/public/{COUNTY}/cases",
                             params={"case_no": world["person"], "check": PHONE_TAIL})
    assert found.status_code == 200, found.text
    assert found.headers["referrer-policy"] == "no-referrer"
    assert "已受理" in found.text and "固定资产投资项目节能审查" in found.text
    assert "2026-10-10" in found.text and "<script" not in found.text.lower()
    _nothing_personal(found.text)
    assert PHONE_TAIL not in found.text  # the check value is not echoed
    wrong = await client.get(f"/public/{COUNTY}/cases",
                             params={"case_no": world["person"], "check": "0000"})
    foreign = await client.get(f"/public/{SIBLING_TOWNSHIP}/cases",
                               params={"case_no": world["person"], "check": ID_TAIL})
    assert wrong.status_code == foreign.status_code == 404
    assert "未查到该办件" in wrong.text and "未查到该办件" in foreign.text
    assert "已受理" not in wrong.text and "已受理" not in foreign.text
    _nothing_personal(wrong.text)
    script = await client.get(f"/public/{COUNTY}/cases",
                              params={"case_no": "<script>alert(1)</script>", "check": "1234"})
    assert script.status_code == 404 and "<script>alert" not in script.text


async def test_html_page_is_rate_limited_too(client, world):
    params = {"case_no": world["person"], "check": "0000"}
    for _ in range(10):
        assert (await client.get(f"/public/{COUNTY}/cases", params=params)).status_code == 404
    limited = await client.get(f"/public/{COUNTY}/cases", params=params)
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert "查询过于频繁" in limited.text


async def test_check_values_stay_out_of_the_access_log(caplog):
    install_access_log_filter()
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1", "GET",
                    "/public/341881/cases/341881-2026-000001?check=002X", "1.1", 200)
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1", "GET",
                    "/public/341881/cases?case_no=341881-2026-000001&check=5678", "1.1", 200)
    text = caplog.text
    assert "002X" not in text and "5678" not in text and "check=***" in text
    assert "case_no=341881-2026-000001" in text


def test_the_limiter_follows_the_deployment(settings):
    local = State({"settings": settings})
    assert isinstance(limiter_of(local), MemoryLimiter)
    assert limiter_of(local) is limiter_of(local)  # one per app
    shared = State({"settings": settings.model_copy(update={"redis_url": DEAD_REDIS_URL})})
    assert isinstance(limiter_of(shared), RedisLimiter)


async def test_memory_limiter_is_a_sliding_window():
    tick = FakeClock()
    limiter = MemoryLimiter(clock=tick)
    for _ in range(10):
        assert await limiter.hit("k", 10) is None
        tick.advance(5)  # ten tries over 50 s
    assert await limiter.hit("k", 10) == 10  # the first try leaves the window in 10 s
    tick.advance(10)
    assert await limiter.hit("k", 10) is None
    assert await limiter.hit("other", 10) is None


@pytest.mark.redis
@pytest.mark.usefixtures("redis_url")
async def test_redis_limiter_is_shared_between_servers_and_clears():
    import uuid

    tick = FakeClock()
    prefix = f"zhengwu-test:lookup:{uuid.uuid4().hex}"
    first = RedisLimiter(REDIS_URL, clock=tick, prefix=prefix)
    second = RedisLimiter(REDIS_URL, clock=tick, prefix=prefix)  # another API server
    try:
        tick.now = 60 * 100_000 + 1  # one second into a window
        for n in range(10):
            limiter = first if n % 2 else second
            assert await limiter.hit("case:abc", 10) is None
        assert await first.hit("case:abc", 10) == 59
        assert await second.hit("case:abc", 10) == 59
        assert await first.hit("case:other", 10) is None
        tick.advance(60)  # the next minute
        assert await second.hit("case:abc", 10) is None
        ttl = await first.client.ttl(f"{prefix}:case:abc:{int(tick.now // 60)}")
        assert 0 < ttl <= 65  # keys expire by themselves
    finally:
        await first.reset()
        await first.close()
        await second.close()


async def test_redis_limiter_falls_back_to_this_process_when_redis_is_down():
    tick = FakeClock()
    limiter = RedisLimiter(DEAD_REDIS_URL, clock=tick)
    try:
        for _ in range(3):
            assert await limiter.hit("k", 3) is None
        assert await limiter.hit("k", 3) is not None
    finally:
        await limiter.close()


@pytest.mark.redis
@pytest.mark.usefixtures("redis_url")
async def test_lookup_through_redis(settings, world, sessionmaker):
    import uuid

    from zhengwu.plugins.intake.service import current_cipher

    tick = FakeClock()
    limiter = RedisLimiter(REDIS_URL, clock=tick, prefix=f"zhengwu-test:lookup:{uuid.uuid4().hex}")
    try:
        found = await lookup.public_lookup(sessionmaker, limiter, current_cipher(), code=COUNTY,
                                           case_no=world["person"], check=ID_TAIL, source="10.1.1.1")
        assert found.due_date == date(2026, 10, 10)
        for _ in range(9):
            with pytest.raises(LookupMiss):
                await lookup.public_lookup(sessionmaker, limiter, current_cipher(), code=COUNTY,
                                           case_no=world["person"], check="0000", source="10.1.1.1")
        with pytest.raises(RateLimited):
            await lookup.public_lookup(sessionmaker, limiter, current_cipher(), code=COUNTY,
                                       case_no=world["person"], check=ID_TAIL, source="10.1.1.2")
    finally:
        await limiter.reset()
        await limiter.close()


async def test_bad_requests_do_not_echo_the_check_value(client, world):
    resp = await _get(client, COUNTY, world["person"], "002X-and-more-than-sixteen")
    assert resp.status_code == 400 and resp.json()["code"] == "request.invalid"
    assert "002X" not in resp.text and world["person"] not in resp.text
    missing = await client.get(f"/public/{COUNTY}/cases/{world['person']}")
    assert missing.status_code == 400 and missing.json()["code"] == "request.invalid"
