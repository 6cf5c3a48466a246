"""Delegation (下放/授权/委托/代办) and "who may accept this item here, and who decides"."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.core.catalog import CREDIT_2, ENERGY, FITNESS, PATHS, at, build_world, energy_impl
from zhengwu.core import clock
from zhengwu.core.catalog import implementation as impls
from zhengwu.core.catalog import service
from zhengwu.core.catalog.delegation import delegate, list_delegations, revoke_delegation, who_handles
from zhengwu.core.catalog.inputs import NewDelegation, NewImplementation
from zhengwu.core.catalog.models import Delegation
from zhengwu.core.db import scoped_session
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal

SYSTEM = Principal.system()
PROVINCE = at("province", "province_admin")
COUNTY = at("county", "county_admin")
FITNESS_CODE = "001033002000"  # exercised at the county only (use_levels 4)
JUNE = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
YEAR_2025 = {"valid_from": date(2025, 1, 1), "valid_to": date(2025, 12, 31)}


def fitness_impl(**changes: object) -> NewImplementation:
    return energy_impl(basic_code=FITNESS_CODE, department_name="文化体育服务站",
                       department_credit_code=CREDIT_2, promised_days=20, fees=None, **changes)


@pytest.fixture
async def world(system_session):
    """ENERGY (tiers 3, 4) and FITNESS (tier 4) published in 安徽省's catalog; 宁国市 adopted
    both; the clock stands in June 2025."""
    s = system_session
    await build_world(s)
    for new in (ENERGY, FITNESS):
        item = await service.create_item(s, PROVINCE, "34", new)
        await service.publish_item(s, PROVINCE, item.id)
    await impls.adopt_item(s, COUNTY, "341881", energy_impl())
    await impls.adopt_item(s, COUNTY, "341881", fitness_impl())
    await s.commit()
    with clock.freeze(JUNE):
        yield s


async def test_a_statutory_tier_with_an_implementation(world):
    answer = await who_handles(world, "341881", "000104002000")
    assert (answer.accepts, answer.basis, answer.decider_code, answer.power_source) == (
        True, "statutory", "341881", 1)
    assert answer.decides_itself and answer.implementation_id is not None
    assert answer.on == date(2025, 6, 2) and answer.item_version == 1
    # 宣州区 exercises it too but has not adopted it: not here; the city is entitled (tier 3).
    answer = await who_handles(world, "341802", "000104002000")
    assert (answer.accepts, answer.basis, answer.handled_by_code) == (False, "not_handled", "3418")
    assert "未纳入实施清单" in answer.note_zh


async def test_b_delegated_down_with_dates(world):
    s = world
    d = await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204",
                                                         **YEAR_2025))
    assert (d.tenant_path, d.to_path, d.kind) == (PATHS["county"], PATHS["township"], "2")
    # Delegated but not adopted yet: not handled there, the county is named.
    answer = await who_handles(s, "341881204", FITNESS_CODE)
    assert (answer.accepts, answer.handled_by_code) == (False, "341881")
    impl = await impls.adopt_item(s, COUNTY, "341881204", fitness_impl())
    assert (impl.power_source, impl.use_level) == (2, 5)
    assert impl.implementation_code == CREDIT_2 + "5" + FITNESS_CODE
    answer = await who_handles(s, "341881204", FITNESS_CODE)
    assert (answer.accepts, answer.basis, answer.decider_code, answer.power_source,
            answer.delegation_id) == (True, "delegated", "341881204", 2, d.id)
    # Dates honoured: before and after the validity, the township does not handle it.
    for day in (date(2024, 12, 31), date(2026, 1, 1)):
        answer = await who_handles(s, "341881204", FITNESS_CODE, on=day)
        assert (answer.accepts, answer.handled_by_code) == (False, "341881"), day
    assert (await who_handles(s, "341881204", FITNESS_CODE, on=date(2025, 12, 31))).accepts


async def test_b_authorised_limited_to_a_tier(world):
    s = world
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "3", "341881",
                                                     to_tiers=("township",)))
    impl = await impls.adopt_item(s, COUNTY, "341881100", fitness_impl())  # 港口镇
    assert impl.power_source == 3
    answer = await who_handles(s, "341881100", FITNESS_CODE)
    assert (answer.basis, answer.decider_code) == ("authorised", "341881100")
    # Villages are outside to_tiers.
    with pytest.raises(Invalid) as e:
        await impls.adopt_item(s, COUNTY, "341881204200", fitness_impl())
    assert [p.code for p in e.value.params["problems"]] == ["implementation.level_not_exercised"]


async def test_c_entrusted_decides_in_the_delegators_name(world):
    s = world
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "5", "341881100"))
    impl = await impls.adopt_item(s, COUNTY, "341881100", fitness_impl())
    assert impl.power_source == 5
    answer = await who_handles(s, "341881100", FITNESS_CODE)
    assert (answer.accepts, answer.basis, answer.decider_code, answer.power_source) == (
        True, "entrusted", "341881", 5)
    assert not answer.decides_itself and "宁国市" in answer.note_zh


async def test_d_village_agent_points(world):
    s = world
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204"))
    await impls.adopt_item(s, COUNTY, "341881204", fitness_impl())
    agent = await delegate(s, COUNTY, "341881204", NewDelegation(FITNESS_CODE, "agent",
                                                                "341881204200"))
    answer = await who_handles(s, "341881204200", FITNESS_CODE)  # 方塘村
    assert (answer.accepts, answer.basis, answer.decider_code, answer.delegation_id) == (
        True, "agent", "341881204", agent.id)
    assert answer.decider_name == "方塘乡" and not answer.decides_itself
    # 双村 has no agent point: not handled, its township is named.
    answer = await who_handles(s, "341881204201", FITNESS_CODE)
    assert (answer.accepts, answer.handled_by_code, answer.handled_by_name) == (
        False, "341881204", "方塘乡")


async def test_d_agent_under_an_entrusted_township_decider_is_the_entruster(world):
    s = world
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "5", "341881204"))
    await delegate(s, COUNTY, "341881204", NewDelegation(FITNESS_CODE, "agent", "341881204200"))
    answer = await who_handles(s, "341881204200", FITNESS_CODE)
    assert (answer.basis, answer.decider_code, answer.power_source) == ("agent", "341881", 5)
    # What was entrusted cannot be passed on (acceptance by agents aside).
    with pytest.raises(Invalid) as e:
        await delegate(s, COUNTY, "341881204", NewDelegation(FITNESS_CODE, "2", "341881204201"))
    assert e.value.code == "delegation.not_exercised"
    assert "entrusted" in e.value.en


async def test_e_not_handled_names_the_nearest_ancestor(world):
    s = world
    answer = await who_handles(s, "341881204200", FITNESS_CODE)
    assert (answer.accepts, answer.basis, answer.handled_by_code) == (False, "not_handled", "341881")
    answer = await who_handles(s, "341881204", "000104002000")
    assert answer.handled_by_code == "341881"
    answer = await who_handles(s, "152501", FITNESS_CODE)  # another province's catalog
    assert (answer.accepts, answer.handled_by_code, answer.item_id) == (False, None, None)
    answer = await who_handles(s, "3418", FITNESS_CODE)  # nobody above a county has it
    assert (answer.accepts, answer.handled_by_code) == (False, None)
    with pytest.raises(NotFound):
        await who_handles(s, "349999", FITNESS_CODE)


async def test_revocation_ends_the_delegation_and_flags_its_implementations(world):
    s = world
    d = await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204"))
    impl = await impls.adopt_item(s, COUNTY, "341881204", fitness_impl())
    with pytest.raises(PermissionDenied):  # the township's clerk cannot revoke it
        await revoke_delegation(s, at("township", "window_clerk"), d.id)
    with pytest.raises(NotFound):
        await revoke_delegation(s, at("sibling_county", "county_admin"), d.id)
    revoked = await revoke_delegation(s, COUNTY, d.id)
    assert revoked.revoked_at is not None
    await s.refresh(impl)
    assert impl.status == "needs_review"
    answer = await who_handles(s, "341881204", FITNESS_CODE)
    assert (answer.accepts, answer.handled_by_code) == (False, "341881")
    with pytest.raises(Conflict) as e:
        await revoke_delegation(s, COUNTY, d.id)
    assert e.value.code == "delegation.revoked"
    with pytest.raises(Invalid) as e2:  # no delegation any more: the rule fails on review
        await impls.confirm_review(s, COUNTY, impl.id)
    assert "implementation.level_not_exercised" in [p.code for p in e2.value.params["problems"]]


@pytest.mark.parametrize("from_code, new, code", [
    ("341881", NewDelegation(FITNESS_CODE, "4", "341881204"), "delegation.bad_kind"),
    ("341881", NewDelegation(FITNESS_CODE, "2", "341881"), "delegation.not_below"),
    ("341881", NewDelegation(FITNESS_CODE, "agent", "341881204200"), "delegation.agent_not_township"),
    ("341881204", NewDelegation(FITNESS_CODE, "agent", "341881204"), "delegation.not_below"),
    ("341881", NewDelegation(FITNESS_CODE, "2", "341881204", to_tiers=("county",)),
     "delegation.bad_tier"),
    ("341881", NewDelegation(FITNESS_CODE, "2", "341881204", valid_from=date(2025, 6, 1),
                             valid_to=date(2025, 5, 1)), "delegation.bad_dates"),
    ("341881204", NewDelegation(FITNESS_CODE, "2", "341881204200"), "delegation.not_exercised"),
])
async def test_bad_delegations(world, from_code, new, code):
    with pytest.raises(Invalid) as e:
        await delegate(world, COUNTY, from_code, new)
    assert e.value.code == code
    assert await world.scalar(select(Delegation.id)) is None


async def test_duplicates_and_unknown_items(world):
    s = world
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204"))
    with pytest.raises(Conflict) as e:
        await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204"))
    assert e.value.code == "delegation.duplicate"
    # Revoked or expired ones do not block a new one.
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "5", "341881204"))
    with pytest.raises(NotFound):  # not in any catalog the county reads
        await delegate(s, COUNTY, "341881", NewDelegation("000141005000", "2", "341881204"))


async def test_isolation(world):
    s = world
    with pytest.raises(NotFound):
        await delegate(s, at("sibling_county", "county_admin"), "341881",
                       NewDelegation(FITNESS_CODE, "2", "341881204"))
    with pytest.raises(PermissionDenied):
        await delegate(s, COUNTY, "34", NewDelegation(FITNESS_CODE, "2", "341881"))
    with pytest.raises(PermissionDenied):
        await delegate(s, at("county", "window_clerk"), "341881",
                       NewDelegation(FITNESS_CODE, "2", "341881204"))
    with pytest.raises(NotFound):  # the receiver must be visible too
        await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341802001"))
    religious = await service.create_item(s, PROVINCE, "34", dataclasses.replace(
        ENERGY, basic_code="000141005000", name="在宗教活动场所内改建或者新建建筑物审批",
        use_levels=(2,), fees=(), steps=()))
    await service.publish_item(s, PROVINCE, religious.id)
    with pytest.raises(Invalid) as e:  # the province does not exercise the energy review
        await delegate(s, PROVINCE, "34", NewDelegation("000104002000", "2", "341881"))
    assert e.value.code == "delegation.not_exercised"
    province_d = await delegate(s, PROVINCE, "34", NewDelegation(
        "000141005000", "2", "341881", to_tiers=("township",)))
    with pytest.raises(PermissionDenied):  # readable (it reaches the county) but not its own
        await revoke_delegation(s, COUNTY, province_d.id)
    county_d = await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204"))
    seen = {d.id for d in await list_delegations(s, at("township", "window_clerk"))}
    assert seen == {province_d.id, county_d.id}
    assert await list_delegations(s, at("sibling_county", "window_clerk")) == []
    assert [d.id for d in await list_delegations(s, COUNTY, basic_code=FITNESS_CODE)] == [county_d.id]


@pytest.mark.pg_only
async def test_rls_a_village_scoped_session_gets_the_same_answer(world, sessionmaker):
    s = world
    await delegate(s, COUNTY, "341881", NewDelegation(FITNESS_CODE, "2", "341881204"))
    await impls.adopt_item(s, COUNTY, "341881204", fitness_impl())
    await delegate(s, COUNTY, "341881204", NewDelegation(FITNESS_CODE, "agent", "341881204200"))
    await s.commit()
    async with scoped_session(sessionmaker, PATHS["village"]) as vs:
        answer = await who_handles(vs, "341881204200", FITNESS_CODE)
        assert (answer.accepts, answer.basis, answer.decider_code) == (True, "agent", "341881204")
    async with scoped_session(sessionmaker, PATHS["township"]) as ts:
        answer = await who_handles(ts, "341881204", FITNESS_CODE)
        assert (answer.basis, answer.implementation_id is not None) == ("delegated", True)
    async with scoped_session(sessionmaker, PATHS["sibling_village"]) as vs:
        answer = await who_handles(vs, "341881204201", FITNESS_CODE)
        assert (answer.accepts, answer.handled_by_code) == (False, "341881204")


async def test_national_item_delegated_by_the_province(world):
    s = world
    national = await service.create_item(s, SYSTEM, "0", dataclasses.replace(
        ENERGY, basic_code="000141005000", name="在宗教活动场所内改建或者新建建筑物审批",
        use_levels=(2,), fees=(), steps=()))
    await service.publish_item(s, SYSTEM, national.id)
    await delegate(s, PROVINCE, "34", NewDelegation("000141005000", "2", "341881",
                                                   to_tiers=("county",)))
    impl = await impls.adopt_item(s, COUNTY, "341881", energy_impl(
        basic_code="000141005000", fees=None, department_name="宁国市民族宗教事务局"))
    assert (impl.catalog_item_id, impl.power_source) == (national.id, 2)
    answer = await who_handles(s, "341881", "000141005000")
    assert (answer.basis, answer.decider_code) == ("delegated", "341881")
