"""intake's part of ``zhengwu demo`` (hook ``zhengwu_cli``): a realistic day of cases at
宁国市 and 方塘乡 (341881204) and two of its villages, run through the services on the current
day by the demo's own staff.

The day, modelled on the service-centre reports in the seeds (county centre windows with
一次性告知 and 收费, township 即办件, village 全程代办点 "代办点前台综合受理，乡后台办理"):

======================  ===========================================  ====================
where                   case                                         ends the day
======================  ===========================================  ====================
宁国市 window 3         不动产首次登记, fee 80 元 (不动产登记费)         accepted, fee charged
宁国市 online           不动产首次登记 (网上申请, awaiting the window)  submitted
宁国市 window 1         固定资产投资项目节能审查, report missing        needs_supplement
宁国市 window 1         在宗教活动场所内改建…审批 (outside the item)     not_accepted
宁国市 window 1         内地居民婚姻登记 (即办件)                      delivered
宁国市 window 2         新办企业设立登记 (same-day 企业开办)            delivered
宁国市 window 2         并联审批: 新办企业设立登记 + 节能审查           accepted; one part approved
方塘乡 window 1         生育登记 (即办件)                              delivered
方塘乡 window 1         城乡居民基本养老保险参保登记                   in_review
方塘村 agent point      流动人口婚育证明 (代办, decided by 方塘乡)      approved
双村 agent point        流动人口婚育证明 (代办)                        accepted
======================  ===========================================  ====================

Prerequisites made here when missing: intake enabled at 宁国市, the halls and windows the
cases use, 方塘乡's 代办 delegation of 流动人口婚育证明 to 方塘村 and 双村, and their agent points.
Applicants are invented, with ID numbers that pass GB 11643 (check characters computed) and
plausible phone numbers.

Idempotent: every case carries an idempotency key ``demo:<name>``; a case whose key exists is
skipped. Each case's whole script (submit … deliver) is one transaction, so a failure leaves
no half-run case behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import clock
from zhengwu.core.catalog import delegation
from zhengwu.core.catalog.inputs import NewDelegation
from zhengwu.core.catalog.models import Delegation
from zhengwu.core.pii import id_check_char
from zhengwu.core.security.authn import principals_of
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.intake import service
from zhengwu.plugins.intake.inputs import (
    Applicant,
    NewCase,
    NewParallelCase,
    ParallelPart,
    SubmittedMaterial,
    SupplementItem,
)
from zhengwu.plugins.intake.models import Case
from zhengwu.tenants import enablement, venues
from zhengwu.tenants.models import Tenant, Venue, Window

__all__ = ["CASES", "KEY_PREFIX", "demo_day", "demo_id_number"]

SYSTEM = Principal.system("demo")
KEY_PREFIX = "demo:"
COUNTY, TOWNSHIP = "341881", "341881204"
FANGTANG_VILLAGE, SHUANG_VILLAGE = "341881204200", "341881204201"
AGENT_POINTS = {FANGTANG_VILLAGE: "方塘村代办点", SHUANG_VILLAGE: "双村代办点"}

PROPERTY = "340710001000"   # 不动产首次登记 (county, fee 80 元)
ENERGY = "000104002000"     # 固定资产投资项目节能审查 (county)
RELIGIOUS = "000141005000"  # 在宗教活动场所内改建或者新建建筑物审批 (county)
MARRIAGE = "340702001000"   # 内地居民婚姻登记 (county, 即办件)
COMPANY = "340101001000"    # 新办企业设立登记 (county)
BIRTH = "342003001000"      # 生育登记 (township, 即办件)
PENSION = "342004001000"    # 城乡居民基本养老保险参保登记 (township)
MIGRANT = "342003002000"    # 流动人口婚育证明 (township; 代办 at villages)


def demo_id_number(birth: date, serial: int, region: str = COUNTY) -> str:
    """A synthetic resident ID number that passes GB 11643 (odd serial: male, even: female)."""
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    return first17 + id_check_char(first17)


def _credit(prefix: str, serial: int) -> str:
    from zhengwu.core.catalog.codes import credit_check_char

    first17 = f"{prefix}{COUNTY}{serial:09d}" if len(prefix) == 2 else f"{prefix}{serial:07d}"
    return first17[:17] + credit_check_char(first17[:17])


def _person(name: str, birth: date, serial: int, phone: str, region: str = COUNTY) -> Applicant:
    return Applicant(kind="person", name=name, id_number=demo_id_number(birth, serial, region),
                     phone=phone)


def _org(name: str, code: str, contact: str, phone: str) -> Applicant:
    return Applicant(kind="organisation", name=name, credit_code=code, contact_name=contact,
                     phone=phone)


def _materials(*seqs: int) -> tuple[SubmittedMaterial, ...]:
    return tuple(SubmittedMaterial(seq=s, originals=1, copies=1) for s in seqs)


@dataclass
class _Day:
    session: AsyncSession
    staff: dict[str, Principal]
    windows: dict[tuple[str, str], uuid.UUID]  # (tenant code, window number) → id

    def who(self, username: str) -> Principal:
        return self.staff[username]

    def window(self, code: str, number: str) -> uuid.UUID | None:
        """The window (None when the hall has no such window: cases still go in)."""
        return self.windows.get((code, number))


Script = Callable[[_Day, str], Awaitable[object]]


async def _property_with_fee(day: _Day, key: str) -> None:
    clerk = day.who("ningguo_clerk")
    window = day.window(COUNTY, "3")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=COUNTY, basic_code=PROPERTY, window_id=window, idempotency_key=key,
        applicant=_person("汪建国", date(1968, 3, 14), 31, "13905631827"),
        materials=_materials(1, 2, 3, 4)))
    await service.accept_case(day.session, clerk, case.id)
    await service.charge_fee(day.session, clerk, case.id, fee_seq=1, amount_cents=8000,
                             window_id=window)


async def _property_online(day: _Day, key: str) -> None:
    await service.submit_case(day.session, day.who("ningguo_clerk"), NewCase(
        tenant_code=COUNTY, basic_code=PROPERTY, channel="online", idempotency_key=key,
        applicant=_person("胡秀英", date(1975, 9, 2), 42, "15856321094"),
        materials=_materials(1, 2, 3, 4)))


async def _energy_supplement(day: _Day, key: str) -> None:
    clerk = day.who("ningguo_clerk")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=COUNTY, basic_code=ENERGY, window_id=day.window(COUNTY, "1"),
        idempotency_key=key, materials=_materials(1),
        applicant=_org("宁国市恒远新材料有限公司", _credit("91341881MA", 2107), "程立新",
                       "0563-4021876")))
    await service.request_supplement(day.session, clerk, case.id, [
        SupplementItem(2, "missing", "未提交节能报告（年综合能源消费量 1000 吨标准煤以上须编制）")],
        note="一次性告知：请补正节能报告后再行受理")


async def _religious_not_accepted(day: _Day, key: str) -> None:
    clerk = day.who("ningguo_clerk")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=COUNTY, basic_code=RELIGIOUS, window_id=day.window(COUNTY, "1"),
        idempotency_key=key, materials=_materials(1, 2, 3),
        applicant=_org("宁国市某寺管理委员会", _credit("71", 3), "方德明", "0563-4117315")))
    await service.not_accept_case(
        day.session, clerk, case.id,
        reason="拟建的停车场不是建筑物，且位于宗教活动场所用地范围之外，不属于本事项受理范围，"
               "请向自然资源和规划部门申请",
        legal_basis="《宗教事务条例》第三十三条；《中华人民共和国行政许可法》第三十二条第一款第（二）项")


async def _marriage_instant(day: _Day, key: str) -> None:
    clerk = day.who("ningguo_clerk")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=COUNTY, basic_code=MARRIAGE, window_id=day.window(COUNTY, "1"),
        idempotency_key=key, materials=_materials(1, 2, 3, 4),
        applicant=_person("吴志强", date(1996, 5, 20), 17, "18856301275")))
    await service.complete_instant(day.session, clerk, case.id, approved=True)
    await service.deliver_case(day.session, clerk, case.id, method="pickup",
                               note="结婚证当场颁发")


async def _company_same_day(day: _Day, key: str) -> None:
    clerk, approver = day.who("ningguo_clerk"), day.who("ningguo_approver")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=COUNTY, basic_code=COMPANY, window_id=day.window(COUNTY, "2"),
        idempotency_key=key, materials=_materials(1, 2, 3, 4),
        applicant=_person("张丽华", date(1989, 11, 8), 26, "13956372408")))
    await service.accept_case(day.session, clerk, case.id)
    await service.decide_case(day.session, approver, case.id, approved=True)
    await service.deliver_case(day.session, clerk, case.id, method="electronic",
                               note="电子营业执照已发放，印章同步刻制")


async def _parallel(day: _Day, key: str) -> None:
    clerk, approver = day.who("ningguo_clerk"), day.who("ningguo_approver")
    parent = await service.submit_parallel(day.session, clerk, NewParallelCase(
        tenant_code=COUNTY, title="宁国市皖南竹木制品有限公司 企业开办与投资项目并联审批",
        window_id=day.window(COUNTY, "2"), idempotency_key=key,
        parts=(ParallelPart(COMPANY, _materials(1, 2, 3, 4)), ParallelPart(ENERGY, _materials(1, 2))),
        applicant=_org("宁国市皖南竹木制品有限公司", _credit("91341881MA", 3318), "潘春梅",
                       "13705639162")))
    await service.accept_case(day.session, clerk, parent.id)
    first = (await service.parts_of(day.session, parent))[0]
    await service.decide_case(day.session, approver, first.id, approved=True)


async def _birth_instant(day: _Day, key: str) -> None:
    clerk = day.who("fangtang_clerk")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=TOWNSHIP, basic_code=BIRTH, window_id=day.window(TOWNSHIP, "1"),
        idempotency_key=key, materials=_materials(1, 2),
        applicant=_person("方玉兰", date(1995, 7, 23), 48, "15305631796")))
    await service.complete_instant(day.session, clerk, case.id, approved=True)
    await service.deliver_case(day.session, clerk, case.id, method="pickup",
                               note="生育服务登记卡当场发放")


async def _pension_in_review(day: _Day, key: str) -> None:
    clerk, approver = day.who("fangtang_clerk"), day.who("fangtang_approver")
    case = await service.submit_case(day.session, clerk, NewCase(
        tenant_code=TOWNSHIP, basic_code=PENSION, window_id=day.window(TOWNSHIP, "1"),
        idempotency_key=key, materials=_materials(1, 2),
        applicant=_person("王德明", date(1966, 1, 30), 53, "13866217430")))
    await service.accept_case(day.session, clerk, case.id)
    await service.start_step(day.session, approver, case.id, 1)


async def _village_fangtang(day: _Day, key: str) -> None:
    agent, township = day.who("fangtang_agent"), day.who("fangtang_approver")
    case = await service.submit_case(day.session, agent, NewCase(
        tenant_code=FANGTANG_VILLAGE, basic_code=MIGRANT, channel="agent", idempotency_key=key,
        materials=_materials(1, 2, 3),
        applicant=_person("李春梅", date(1993, 4, 11), 64, "18756302319")))
    await service.accept_case(day.session, agent, case.id, note="村代办点前台受理，乡民生服务中心后台办理")
    await service.decide_case(day.session, township, case.id, approved=True)


async def _village_shuangcun(day: _Day, key: str) -> None:
    agent = day.who("shuangcun_agent")
    case = await service.submit_case(day.session, agent, NewCase(
        tenant_code=SHUANG_VILLAGE, basic_code=MIGRANT, channel="agent", idempotency_key=key,
        materials=_materials(1, 3),
        applicant=_person("潘志刚", date(1990, 12, 5), 75, "13505637744")))
    await service.accept_case(day.session, agent, case.id)


CASES: tuple[tuple[str, Script], ...] = (
    ("county-property-fee", _property_with_fee),
    ("county-property-online", _property_online),
    ("county-energy-supplement", _energy_supplement),
    ("county-religious-not-accepted", _religious_not_accepted),
    ("county-marriage-instant", _marriage_instant),
    ("county-company-same-day", _company_same_day),
    ("county-parallel", _parallel),
    ("township-birth-instant", _birth_instant),
    ("township-pension", _pension_in_review),
    ("village-fangtang-agent", _village_fangtang),
    ("village-shuangcun-agent", _village_shuangcun),
)
"""The day's cases, in the order they come in; keys are ``demo:<name>``."""

STAFF = ("ningguo_clerk", "ningguo_approver", "fangtang_clerk", "fangtang_approver",
         "fangtang_agent", "shuangcun_agent")


async def _prerequisites(session: AsyncSession) -> None:
    county = await session.scalar(select(Tenant).where(Tenant.code == COUNTY))
    if county is None:
        raise RuntimeError("the intake demo needs 宁国市 (341881): run the core demo first")
    if service.PLUGIN not in await enablement.active_plugins(session, county):
        await enablement.enable_plugin(session, SYSTEM, COUNTY, service.PLUGIN)
    township = await session.scalar(select(Tenant).where(Tenant.code == TOWNSHIP))
    assert township is not None
    await _halls(session, county, township)
    for village in (FANGTANG_VILLAGE, SHUANG_VILLAGE):
        tenant = await session.scalar(select(Tenant).where(Tenant.code == village))
        assert tenant is not None
        given = await session.scalar(select(Delegation.id).where(
            Delegation.tenant_id == township.id, Delegation.basic_code == MIGRANT,
            Delegation.kind == "agent", Delegation.to_path == tenant.path,
            Delegation.revoked_at.is_(None)))
        if given is None:
            await delegation.delegate(session, SYSTEM, TOWNSHIP, NewDelegation(
                basic_code=MIGRANT, kind="agent", to_code=village,
                note="全程代办：村代办点前台受理，乡民生服务中心后台办理、统一出件"))
        if await session.scalar(select(Venue.id).where(Venue.tenant_id == tenant.id)) is None:
            await venues.create_venue(session, SYSTEM, village, venues.NewVenue(
                "agent_point", AGENT_POINTS[village]))
    await session.commit()


HALLS = {
    COUNTY: ("service_centre", "宁国市政务服务中心", (
        ("1", "综合受理窗口", "comprehensive", None),
        ("2", "市场监管窗口", "dedicated", "宁国市市场监督管理局"),
        ("3", "不动产登记窗口", "dedicated", "宁国市自然资源和规划局"))),
    TOWNSHIP: ("convenience_centre", "方塘乡便民服务中心", (("1", "综合窗口", "comprehensive", None),)),
}
"""The halls and windows the day's cases use (the core demo makes them; made here if missing)."""


async def _halls(session: AsyncSession, *tenants: Tenant) -> None:
    for tenant in tenants:
        kind, name, windows = HALLS[tenant.code]
        venue = await session.scalar(select(Venue).where(Venue.tenant_id == tenant.id,
                                                         Venue.kind == kind).order_by(Venue.name))
        if venue is None:
            venue = await venues.create_venue(session, SYSTEM, tenant.code, venues.NewVenue(kind, name))
        numbers = set((await session.scalars(select(Window.number).where(
            Window.tenant_id == tenant.id))).all())
        for number, title, window_kind, department in windows:
            if number not in numbers:
                await venues.create_window(session, SYSTEM, venue.id, venues.NewWindow(
                    number, title, kind=window_kind, department=department))


async def _staff(session: AsyncSession) -> dict[str, Principal]:
    staff = await principals_of(session, STAFF)
    missing = [u for u in STAFF if u not in staff]
    if missing:
        raise RuntimeError(f"the intake demo needs the demo users {', '.join(missing)}")
    return staff


async def _windows(session: AsyncSession) -> dict[tuple[str, str], uuid.UUID]:
    rows = (await session.execute(
        select(Tenant.code, Window.number, Window.id).join(Tenant, Tenant.id == Window.tenant_id)
        .where(Tenant.code.in_((COUNTY, TOWNSHIP))))).all()
    return {(code, number): wid for code, number, wid in rows}


async def demo_day(session: AsyncSession) -> str:
    """Run the day's cases that are not there yet; one line for the demo's summary."""
    await _prerequisites(session)
    day = _Day(session, await _staff(session), await _windows(session))
    done = set((await session.scalars(select(Case.idempotency_key).where(
        Case.idempotency_key.like(KEY_PREFIX + "%")))).all())
    created = 0
    for name, script in CASES:
        key = KEY_PREFIX + name
        if key in done:
            continue
        try:
            await script(day, key)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        created += 1
    return (f"a day of cases at 宁国市, 方塘乡, 方塘村 and 双村 on {clock.today_shanghai()}: "
            f"{created} created, {len(CASES) - created} already there")
