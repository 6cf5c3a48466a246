"""Implementation lists: adoption, every tightening rule, drift review, isolation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from tests.core.catalog import CREDIT, CREDIT_2, ENERGY, PATHS, at, build_world, energy_impl
from zhengwu.core import clock
from zhengwu.core.catalog import implementation as impls
from zhengwu.core.catalog import service
from zhengwu.core.catalog.delegation import who_handles
from zhengwu.core.catalog.inputs import LocalFee, LocalMaterial, NewMaterial, NewStep
from zhengwu.core.catalog.models import CatalogItem, Implementation, ImplementationMaterial
from zhengwu.core.db import scoped_session
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.tenants.models import Tenant, Venue, Window

SYSTEM = Principal.system()
PROVINCE = at("province", "province_admin")
COUNTY = at("county", "county_admin")
SIBLING = at("sibling_county", "county_admin")


@pytest.fixture
async def world(system_session):
    """The world, with 000104002000 published in 安徽省's catalog (v1)."""
    await build_world(system_session)
    item = await service.create_item(system_session, PROVINCE, "34", ENERGY)
    await service.publish_item(system_session, PROVINCE, item.id)
    await system_session.commit()
    return system_session


async def _window(s, code: str) -> Window:
    tenant = await s.scalar(select(Tenant).where(Tenant.code == code))
    venue = Venue(kind="service_centre", name=f"{tenant.name}政务服务中心", tenant_id=tenant.id,
                  tenant_path=tenant.path)
    s.add(venue)
    await s.flush()
    window = Window(venue_id=venue.id, number="1", name="综合窗口", tenant_id=tenant.id,
                    tenant_path=tenant.path)
    s.add(window)
    await s.flush()
    return window


def problems(e: pytest.ExceptionInfo[Invalid]) -> dict[str, str | None]:
    assert e.value.code == "implementation.invalid"
    return {p.code: p.field for p in e.value.params["problems"]}


async def test_adopt_derives_the_code_and_takes_the_catalog_elements(world):
    s = world
    window = await _window(s, "341881")
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl(window_id=window.id))
    await s.commit()
    assert impl.implementation_code == CREDIT + "4" + "000104002000"
    assert (impl.status, impl.use_level, impl.power_source) == ("active", 4, 1)
    assert impl.tenant_path == PATHS["county"]
    local = await impls.local_elements(s, impl)
    assert [(cm.seq, im.required) for im, cm in local.materials] == [(1, True), (2, True), (3, False)]
    assert [(cf.seq, f.amount_cents) for f, cf in local.fees] == [(1, 50_000)]
    item = await s.get(CatalogItem, impl.catalog_item_id)
    assert (item.version, item.tenant_path) == (1, "34")


async def test_local_elements_may_tighten(world):
    impl = await impls.adopt_item(world, COUNTY, "341881", energy_impl(
        promised_days=3, max_visits=0,
        materials=(LocalMaterial(1), LocalMaterial(2)),  # the optional one dropped
        fees=(LocalFee(1, 0),), in_hall=False, not_in_hall_reason="涉密项目，在发改委专窗办理"))
    local = await impls.local_elements(world, impl)
    assert [cm.name for _im, cm in local.materials] == ["申请书", "节能报告"]
    assert [f.amount_cents for f, _cf in local.fees] == [0]
    assert impl.promised_days == 3 and impl.max_visits == 0 and not impl.in_hall


@pytest.mark.parametrize("changes, code, field", [
    ({"promised_days": 21}, "implementation.promised_exceeds_statutory", "promised_days"),
    ({"materials": (LocalMaterial(1), LocalMaterial(2), LocalMaterial(9))},
     "implementation.unknown_material", "materials[9]"),
    ({"materials": (LocalMaterial(2),)}, "implementation.required_material_dropped", "materials[1]"),
    ({"materials": (LocalMaterial(1, required=False), LocalMaterial(2))},
     "implementation.material_made_optional", "materials[1].required"),
    ({"fees": (LocalFee(1, 50_001),)}, "implementation.fee_exceeds_standard", "fees[1].amount_cents"),
    ({"fees": (LocalFee(2, 100),)}, "implementation.unknown_fee", "fees[2]"),
    ({"max_visits": 2}, "implementation.visits_exceed_standard", "max_visits"),
    ({"in_hall": False}, "implementation.not_in_hall_reason_missing", "not_in_hall_reason"),
    ({"department_credit_code": "11450721MB15580812"}, "catalog.bad_credit_checksum",
     "department_credit_code"),
    ({"department_credit_code": "11450721MB1558081"}, "catalog.bad_credit_code",
     "department_credit_code"),
    ({"department_name": " "}, "implementation.empty_department", "department_name"),
])
async def test_each_tightening_rule_names_its_element(world, changes, code, field):
    with pytest.raises(Invalid) as e:
        await impls.adopt_item(world, COUNTY, "341881", energy_impl(**changes))
    found = problems(e)
    assert found == {code: field}
    assert e.value.params["item"] == "000104002000"


async def test_foreign_window_is_refused(world):
    window = await _window(world, "341802")  # 宣州区's window
    with pytest.raises(Invalid) as e:
        await impls.adopt_item(world, SYSTEM, "341881", energy_impl(window_id=window.id))
    assert problems(e) == {"implementation.foreign_window": "window_id"}


async def test_tier_not_exercised(world):
    with pytest.raises(Invalid) as e:  # a township: use_levels are (3, 4)
        await impls.adopt_item(world, COUNTY, "341881204", energy_impl())
    assert problems(e) == {"implementation.level_not_exercised": "use_level"}


async def test_all_violations_reported_at_once_nothing_written(world):
    s = world
    with pytest.raises(Invalid) as e:
        await impls.adopt_item(s, COUNTY, "341881204", energy_impl(
            department_credit_code="11450721MB15580812", promised_days=30, max_visits=3,
            materials=(LocalMaterial(1, required=False), LocalMaterial(7)),
            fees=(LocalFee(1, 99_999), LocalFee(4)), in_hall=False))
    assert set(problems(e)) == {
        "implementation.level_not_exercised", "catalog.bad_credit_checksum",
        "implementation.promised_exceeds_statutory", "implementation.visits_exceed_standard",
        "implementation.material_made_optional", "implementation.unknown_material",
        "implementation.required_material_dropped", "implementation.fee_exceeds_standard",
        "implementation.unknown_fee", "implementation.not_in_hall_reason_missing"}
    assert "promised 30" in e.value.en and "承诺办结时限 30" in e.value.zh
    await s.rollback()
    assert await s.scalar(select(func.count()).select_from(Implementation)) == 0
    assert await s.scalar(select(func.count()).select_from(ImplementationMaterial)) == 0


async def test_duplicate_adoption_conflicts_other_department_does_not(world):
    s = world
    await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    with pytest.raises(Conflict) as e:
        await impls.adopt_item(s, COUNTY, "341881", energy_impl(department_name="另一名称"))
    assert e.value.code == "implementation.duplicate"
    other = await impls.adopt_item(s, COUNTY, "341881", energy_impl(
        department_name="宁国市数据资源局", department_credit_code=CREDIT_2))
    assert other.implementation_code.startswith(CREDIT_2)


async def test_nearest_catalog_wins(world):
    s = world
    national = await service.create_item(s, SYSTEM, "0", dataclasses.replace(ENERGY, use_levels=(4,)))
    await service.publish_item(s, SYSTEM, national.id)
    here = await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    there = await impls.adopt_item(s, SYSTEM, "152501", energy_impl())
    assert (await s.get(CatalogItem, here.catalog_item_id)).tenant_path == "34"
    assert there.catalog_item_id == national.id
    with pytest.raises(NotFound) as e:
        await impls.adopt_item(s, COUNTY, "341881", energy_impl(basic_code="001033002000"))
    assert e.value.code == "catalog_item.not_found"


async def test_update_and_retire(world):
    s = world
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    updated = await impls.update_implementation(s, COUNTY, impl.id, energy_impl(
        promised_days=2, department_credit_code=CREDIT_2, phone="0563-4012345"))
    assert updated.promised_days == 2 and updated.implementation_code.startswith(CREDIT_2 + "4")
    with pytest.raises(Invalid) as e:
        await impls.update_implementation(s, COUNTY, impl.id, energy_impl(promised_days=25))
    assert problems(e) == {"implementation.promised_exceeds_statutory": "promised_days"}
    with pytest.raises(Invalid) as e2:
        await impls.update_implementation(s, COUNTY, impl.id, energy_impl(basic_code="001033002000"))
    assert e2.value.code == "implementation.code_immutable"
    retired = await impls.retire_implementation(s, COUNTY, impl.id)
    assert retired.status == "retired"
    with pytest.raises(Conflict) as e3:
        await impls.update_implementation(s, COUNTY, impl.id, energy_impl())
    assert e3.value.code == "implementation.retired"
    assert await impls.list_implementations(s, COUNTY, status="active") == []


async def test_list_filters_and_search(world):
    s = world
    a = await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    b = await impls.adopt_item(s, SYSTEM, "341802", energy_impl(department_name="宣州区发改委"))
    assert [i.id for i in await impls.list_implementations(s, COUNTY)] == [a.id]
    assert {i.id for i in await impls.list_implementations(s, at("city", "city_admin"))} == {a.id, b.id}
    city = at("city", "city_admin")
    assert [i.id for i in await impls.list_implementations(s, city, tenant_code="341802")] == [b.id]
    assert [i.id for i in await impls.list_implementations(s, city, search="宣州")] == [b.id]
    assert len(await impls.list_implementations(s, city, search="节能审查")) == 2
    assert len(await impls.list_implementations(s, city, search=CREDIT)) == 2
    assert await impls.list_implementations(s, city, status="needs_review") == []


# -- drift -----------------------------------------------------------------------------------

async def _publish_v2(s, **changes):
    v2 = await service.create_item(s, PROVINCE, "34", dataclasses.replace(ENERGY, **changes))
    await service.publish_item(s, PROVINCE, v2.id)
    await s.commit()
    return v2


async def test_publishing_v2_flags_v1_implementations_which_keep_working(world):
    s = world
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    other = await impls.adopt_item(s, SYSTEM, "341802", energy_impl())
    await s.commit()
    published = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    with clock.freeze(published):
        v2 = await _publish_v2(s, name="固定资产投资项目节能审查（2025版）")
    await s.refresh(impl)
    assert impl.status == "needs_review" and "v2" in impl.review_reason
    # Still listed, readable and handled on its old version until confirmed.
    assert [i.id for i in await impls.list_implementations(s, COUNTY)] == [impl.id]
    assert (await impls.get_implementation(s, COUNTY, impl.id)).id == impl.id
    answer = await who_handles(s, "341881", "000104002000")
    assert answer.accepts and answer.implementation_id == impl.id
    report = await impls.drift_report(s, at("city", "city_admin"))
    assert [(r.tenant_code, r.adopted_version, r.newest_version) for r in report] == [
        ("341802", 1, 2), ("341881", 1, 2)]
    row = report[1]
    assert row.tenant_name == "宁国市" and row.item_name == "固定资产投资项目节能审查"
    assert row.since is not None and row.since.replace(tzinfo=UTC) == published
    assert [r.tenant_code for r in await impls.drift_report(s, at("city", "city_admin"),
                                                             under="341881")] == ["341881"]
    assert [r.tenant_code for r in await impls.drift_report(s, COUNTY)] == ["341881"]
    confirmed = await impls.confirm_review(s, COUNTY, impl.id)
    await s.commit()
    assert (confirmed.status, confirmed.catalog_item_id, confirmed.review_reason) == (
        "active", v2.id, None)
    local = await impls.local_elements(s, confirmed)
    assert {cm.item_id for _im, cm in local.materials} == {v2.id}
    assert [r.tenant_code for r in await impls.drift_report(s, SYSTEM)] == ["341802"]
    with pytest.raises(Conflict) as e:
        await impls.confirm_review(s, COUNTY, impl.id)
    assert e.value.code == "implementation.not_in_review"
    with pytest.raises(NotFound):  # the sibling's pending item is not 宁国市's to confirm
        await impls.confirm_review(s, COUNTY, other.id)


async def test_confirm_reports_problems_and_keeps_needs_review(world):
    s = world
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl(promised_days=5))
    await s.commit()
    await _publish_v2(s, statutory_days=4, steps=(NewStep("受理", 1), NewStep("决定", 3)),
                      materials=(*ENERGY.materials, NewMaterial("节能承诺书", originals=1)))
    with pytest.raises(Invalid) as e:
        await impls.confirm_review(s, COUNTY, impl.id)
    assert problems(e) == {"implementation.promised_exceeds_statutory": "promised_days",
                           "implementation.required_material_dropped": "materials[4]"}
    await s.rollback()
    await s.refresh(impl)
    assert impl.status == "needs_review"
    fixed = await impls.confirm_review(s, COUNTY, impl.id, energy_impl(promised_days=3))
    assert fixed.status == "active" and fixed.promised_days == 3
    assert len((await impls.local_elements(s, fixed)).materials) == 4


async def test_retiring_the_item_flags_too(world):
    s = world
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    v1 = await s.get(CatalogItem, impl.catalog_item_id)
    await service.retire_item(s, PROVINCE, v1.id)
    await s.refresh(impl)
    assert impl.status == "needs_review"
    [row] = await impls.drift_report(s, COUNTY)
    assert row.newest_version is None
    with pytest.raises(NotFound):  # nothing to re-point at
        await impls.confirm_review(s, COUNTY, impl.id)


# -- isolation -------------------------------------------------------------------------------

async def test_isolation_between_counties_and_tiers(world):
    s = world
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    await s.commit()
    # A sibling county: 宁国市 is invisible, its list unreachable.
    with pytest.raises(NotFound) as e:
        await impls.adopt_item(s, SIBLING, "341881", energy_impl())
    assert e.value.code == "tenant.not_found"
    for call in (impls.update_implementation(s, SIBLING, impl.id, energy_impl()),
                 impls.retire_implementation(s, SIBLING, impl.id),
                 impls.get_implementation(s, SIBLING, impl.id)):
        with pytest.raises(NotFound) as e:
            await call
        assert e.value.code == "implementation.not_found"
    assert await impls.list_implementations(s, SIBLING) == []
    with pytest.raises(NotFound):
        await impls.list_implementations(s, SIBLING, tenant_code="341881")
    assert await impls.drift_report(s, SIBLING) == []
    # Another province: nothing.
    assert await impls.list_implementations(s, at("other_county", "county_admin")) == []
    # The province is visible to the county (an ancestor) but not its to write.
    with pytest.raises(PermissionDenied):
        await impls.adopt_item(s, COUNTY, "34", energy_impl())
    # Staff read but never write.
    clerk = at("county", "window_clerk")
    assert [i.id for i in await impls.list_implementations(s, clerk)] == [impl.id]
    with pytest.raises(PermissionDenied):
        await impls.update_implementation(s, clerk, impl.id, energy_impl())
    with pytest.raises(PermissionDenied):
        await impls.adopt_item(s, clerk, "341881", energy_impl())
    # A township clerk does not see the county's own list.
    assert await impls.list_implementations(s, at("township", "window_clerk")) == []


@pytest.mark.pg_only
async def test_rls_keeps_implementation_lists_in_their_subtree(world, sessionmaker):
    s = world
    await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    await impls.adopt_item(s, SYSTEM, "341802", energy_impl())
    await s.commit()
    async with scoped_session(sessionmaker, PATHS["sibling_county"]) as ss:
        rows = (await ss.execute(text("SELECT tenant_path FROM implementations"))).scalars().all()
        assert rows == [PATHS["sibling_county"]]
        mats = (await ss.execute(text("SELECT DISTINCT tenant_path FROM implementation_materials")))
        assert mats.scalars().all() == [PATHS["sibling_county"]]
    async with scoped_session(sessionmaker, PATHS["county"]) as cs:
        # The county session adopts through the services: it reads the province's catalog.
        impl = await impls.adopt_item(cs, COUNTY, "341881", energy_impl(
            department_name="宁国市数据资源局", department_credit_code=CREDIT_2))
        await cs.commit()
        assert impl.tenant_path == PATHS["county"]
        assert len(await impls.list_implementations(cs, COUNTY)) == 2
