"""The intake test world: 宁国市 (county) and 方塘乡 (township) with items from the demo
catalog, intake enabled at 宁国市 (so its townships and villages too), a 代办 delegation from
方塘乡 to its villages, and staff of every role at every tier that handles cases.

Items (real and seed items of zhengwu/data/demo-catalog.json):

* county 341881: 000104002000 固定资产投资项目节能审查 (licensing, statutory 20, promised 5),
  340710001000 不动产首次登记 (30, promised 10, fee 80 元), 000141005000 宗教场所改建审批 (20/10)
* township 341881204: 342003002000 流动人口婚育证明 (3, promised 2; entrusted to the villages
  as 代办), 342003001000 生育登记 (即办件)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.world import build_world
from zhengwu.core.calendar.service import seed_national
from zhengwu.core.catalog import delegation, exchange, implementation, service
from zhengwu.core.catalog.inputs import NewDelegation, NewImplementation
from zhengwu.core.security import grants, passwords, users
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.plugins.intake.inputs import Applicant, NewCase, SubmittedMaterial
from zhengwu.tenants import enablement

passwords.use_fast_parameters()

SYSTEM = Principal.system("tester")
PASSWORD = "Hall-Window-2024!"
CATALOG = Path(__file__).resolve().parents[3] / "zhengwu" / "data" / "demo-catalog.json"

ENERGY = "000104002000"       # county, licensing, 20/5 working days, 3 steps
PROPERTY = "340710001000"     # county, 30/10, fee 80 元
RELIGIOUS = "000141005000"    # county, 20/10
MIGRANT = "342003002000"      # township, 3/2, entrusted to villages (代办)
BIRTH = "342003001000"        # township, 即办件

COUNTY, TOWNSHIP, VILLAGE = "341881", "341881204", "341881204200"
SIBLING_VILLAGE, SIBLING_TOWNSHIP, SIBLING_COUNTY = "341881204201", "341881100", "341802"
OTHER_COUNTY = "152501"

ID_NUMBER = "11010519491231002X"  # the classic GB 11643 specimen
PHONE = "13812345678"
CREDIT = "91341881MA2N0X1234"  # replaced below by a code with a valid check character


def credit(serial: int, region: str = "341881") -> str:
    from zhengwu.core.catalog.codes import credit_check_char

    first17 = f"11{region}MB{serial:07d}"[:17]
    return first17 + credit_check_char(first17)


def company(serial: int = 1) -> str:
    from zhengwu.core.catalog.codes import credit_check_char

    first17 = f"91{COUNTY}MA{serial:07d}"[:17]
    return first17 + credit_check_char(first17)


# username → (home tenant, role)
STAFF = {
    "ng_admin": (COUNTY, "county_admin"),
    "ng_clerk": (COUNTY, "window_clerk"),
    "ng_approver": (COUNTY, "approver"),
    "ng_supervisor": (COUNTY, "supervisor"),
    "ng_assessor": (COUNTY, "assessor"),
    "ft_clerk": (TOWNSHIP, "window_clerk"),
    "ft_approver": (TOWNSHIP, "approver"),
    "ft_agent": (VILLAGE, "agent"),          # 方塘村 agent point
    "sc_agent": (SIBLING_VILLAGE, "agent"),  # 双村 agent point (sibling village)
    "gk_clerk": (SIBLING_TOWNSHIP, "window_clerk"),  # 港口镇 (sibling township)
    "xz_admin": (SIBLING_COUNTY, "county_admin"),    # 宣州区 (sibling county)
    "el_admin": (OTHER_COUNTY, "county_admin"),      # 二连浩特市 (other province)
}


def principal(username: str) -> Principal:
    """A principal acting at the person's home tenant with their grant (as a request has)."""
    from tests.world import PATHS  # noqa: F401

    code, role = STAFF[username]
    path = _PATHS[code]
    return Principal(None, username, None, path, None, path, _TIER[len(code)],
                     (GrantRef(role, path),))


_TIER = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
_PATHS = {
    COUNTY: "34/3418/341881", TOWNSHIP: "34/3418/341881/341881204",
    VILLAGE: "34/3418/341881/341881204/341881204200",
    SIBLING_VILLAGE: "34/3418/341881/341881204/341881204201",
    SIBLING_TOWNSHIP: "34/3418/341881/341881100", SIBLING_COUNTY: "34/3418/341802",
    OTHER_COUNTY: "15/1525/152501",
}


@dataclass
class IntakeWorld:
    ids: dict[str, Any]


async def build_intake_world(session: AsyncSession, settings: Any = None,
                             with_users: bool = False) -> IntakeWorld:
    """Divisions, catalog, adoptions, delegation, enablement (and optionally users)."""
    from zhengwu.platform import boot

    boot()
    await build_world(session)
    await seed_national(session, range(2024, 2027))  # tests truncate every table, the calendar too
    doc = exchange.read_catalog(CATALOG)
    wanted = {ENERGY, PROPERTY, RELIGIOUS, MIGRANT, BIRTH}
    for item in doc.items:
        if item.basic_code in wanted:
            row = await service.create_item(session, SYSTEM, "34", item)
            await service.publish_item(session, SYSTEM, row.id)
    for code, days in ((ENERGY, 5), (PROPERTY, 10), (RELIGIOUS, 10)):
        await implementation.adopt_item(session, SYSTEM, COUNTY, NewImplementation(
            basic_code=code, department_name="宁国市数据资源管理局", department_credit_code=credit(1),
            promised_days=days))
    await implementation.adopt_item(session, SYSTEM, TOWNSHIP, NewImplementation(
        basic_code=MIGRANT, department_name="方塘乡人民政府", department_credit_code=credit(2, "341881"),
        promised_days=2))
    await implementation.adopt_item(session, SYSTEM, TOWNSHIP, NewImplementation(
        basic_code=BIRTH, department_name="方塘乡人民政府", department_credit_code=credit(2, "341881")))
    for village in (VILLAGE, SIBLING_VILLAGE):
        await delegation.delegate(session, SYSTEM, TOWNSHIP, NewDelegation(
            basic_code=MIGRANT, kind="agent", to_code=village, valid_from=date(2024, 1, 1)))
    await enablement.enable_plugin(session, SYSTEM, COUNTY, "intake")
    if with_users:
        for username, (code, role) in STAFF.items():
            user = await users.create_user(session, SYSTEM, users.NewUser(username, code, PASSWORD),
                                           settings=settings)
            await grants.grant_role(session, SYSTEM, user.id, role, code)
    await session.commit()
    return IntakeWorld({})


def person(**kw: Any) -> Applicant:
    base = dict(kind="person", name="张三", id_number=ID_NUMBER, phone=PHONE)
    base.update(kw)
    return Applicant(**base)


def all_materials(*seqs: int) -> tuple[SubmittedMaterial, ...]:
    return tuple(SubmittedMaterial(seq=s, originals=1) for s in seqs)


def new_case(code: str = ENERGY, tenant: str = COUNTY, materials: tuple[int, ...] = (1, 2),
             **kw: Any) -> NewCase:
    return NewCase(tenant_code=tenant, basic_code=code, applicant=kw.pop("applicant", person()),
                   materials=all_materials(*materials), **kw)
