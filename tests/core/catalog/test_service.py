"""Catalog items: drafts, versions, validation, publishing, reading across tiers, isolation."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import select, text

from tests.core.catalog import ENERGY, FITNESS, PATHS, at, build_world
from zhengwu.core import audit
from zhengwu.core.catalog import service
from zhengwu.core.catalog.inputs import NewItem, NewMaterial, NewStep
from zhengwu.core.catalog.models import CatalogItem, CatalogMaterial
from zhengwu.core.db import scoped_session
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal

SYSTEM = Principal.system()
PROVINCE = at("province", "province_admin")


@pytest.fixture
async def world(system_session):
    await build_world(system_session)
    return system_session


def problem_codes(exc: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [p.code for p in exc.value.params["problems"]]


async def test_create_draft_with_children_and_audit(world):
    s = world
    item = await service.create_item(s, PROVINCE, "34", ENERGY)
    await s.commit()
    assert (item.version, item.status, item.tenant_path) == (1, "draft", "34")
    assert item.use_levels == [3, 4] and item.is_free is False
    elements = await service.item_elements(s, item)
    assert [m.seq for m in elements.materials] == [1, 2, 3]
    assert [m.name for m in elements.materials] == ["申请书", "节能报告", "项目备案证明"]
    assert elements.fees[0].max_amount_cents == 50_000
    assert [(st.seq, st.limit_days) for st in elements.steps] == [(1, 1), (2, 15), (3, 4)]
    actions = (await s.scalars(select(audit.AuditEntry.action))).all()
    assert "catalog.create" in actions
    assert (await audit.verify(s))[1] == []


async def test_versions_one_draft_at_a_time(world):
    s = world
    v1 = await service.create_item(s, PROVINCE, "34", ENERGY)
    with pytest.raises(Conflict) as e:
        await service.create_item(s, PROVINCE, "34", ENERGY)
    assert e.value.code == "catalog.draft_exists"
    await service.publish_item(s, PROVINCE, v1.id)
    v2 = await service.create_item(s, PROVINCE, "34", dataclasses.replace(ENERGY, max_visits=0))
    assert v2.version == 2 and v2.status == "draft"
    # The same code in the national catalog is numbered on its own.
    n1 = await service.create_item(s, SYSTEM, "0", ENERGY)
    assert n1.version == 1 and n1.tenant_path == "0"


async def test_every_item_problem_reported_at_once(world):
    bad = NewItem(basic_code="000204002000", name=" ", item_type="01", use_levels=(0, 7),
                  statutory_days=-1, case_type=3, max_visits=-2, online_depth=5,
                  applicant_types=(8,),
                  materials=(NewMaterial("", form="fax", copies=-1),),
                  steps=(NewStep("", -3),))
    with pytest.raises(Invalid) as e:
        await service.create_item(world, PROVINCE, "34", bad)
    assert e.value.code == "catalog.invalid"
    codes = problem_codes(e)
    for code in ("catalog.item_type_mismatch", "catalog.empty_name", "catalog.bad_use_level",
                 "catalog.bad_case_type", "catalog.negative_days", "catalog.negative_visits",
                 "catalog.bad_online_depth", "catalog.bad_applicant_type",
                 "catalog.empty_material_name", "catalog.bad_material_form",
                 "catalog.negative_count", "catalog.empty_step_name"):
        assert code in codes, code
    fields = {p.field for p in e.value.params["problems"]}
    assert {"item_type", "use_levels", "statutory_days", "materials[1].form"} <= fields
    assert all(p.params["item"] == "000204002000" for p in e.value.params["problems"])
    assert (await world.scalar(select(CatalogItem.id))) is None  # nothing written


@pytest.mark.parametrize("changes, code, field", [
    ({"basic_code": "0001040020"}, "catalog.bad_basic_code", "basic_code"),
    ({"basic_code": "001104002000", "item_type": "11"}, "catalog.bad_basic_code", "basic_code"),
    ({"item_type": "99"}, "catalog.bad_item_type", "item_type"),
    ({"use_levels": ()}, "catalog.use_levels_empty", "use_levels"),
    ({"statutory_days": None}, "catalog.statutory_days_missing", "statutory_days"),
    ({"statutory_days": 10}, "catalog.steps_exceed_statutory", "steps"),
    ({"basic_code": "00010400200001"}, "catalog.parent_missing", "parent_code"),
    ({"parent_code": "000104002000"}, "catalog.parent_mismatch", "parent_code"),
])
async def test_single_problems_name_their_element(world, changes, code, field):
    with pytest.raises(Invalid) as e:
        await service.create_item(world, PROVINCE, "34", dataclasses.replace(ENERGY, **changes))
    problems = e.value.params["problems"]
    assert code in [p.code for p in problems]
    assert field in [p.field for p in problems if p.code == code]


async def test_instant_item_needs_no_statutory_limit(world):
    item = await service.create_item(world, PROVINCE, "34", dataclasses.replace(
        ENERGY, case_type=1, statutory_days=None, steps=()))
    assert item.case_type == 1 and item.statutory_days is None


async def test_business_items_hang_off_their_parent(world):
    s = world
    main = NewItem(basic_code="00016421300Y", name="林木采伐许可证核发", item_type="01",
                   use_levels=(3, 4), statutory_days=20)
    sub = dataclasses.replace(main, basic_code="000164213003", name="林木采伐许可证核发（市级权限）")
    renew = dataclasses.replace(sub, basic_code="00016421300301", name="林木采伐许可证延续",
                                parent_code="000164213003")
    with pytest.raises(Invalid) as e:  # the parent is not in the catalog yet
        await service.create_item(s, PROVINCE, "34", renew)
    assert "catalog.parent_not_found" in problem_codes(e)
    await service.create_item(s, PROVINCE, "34", main)
    parent = await service.create_item(s, PROVINCE, "34", sub)
    child = await service.create_item(s, PROVINCE, "34", renew)
    assert child.parent_id == parent.id and child.basic_code == "00016421300301"
    # Another owner's item of that code is not a parent: it must be in the same catalog.
    with pytest.raises(Invalid) as e:
        await service.create_item(s, SYSTEM, "0", renew)
    assert "catalog.parent_not_found" in problem_codes(e)


async def test_only_a_province_or_the_platform_owns_a_catalog(world):
    for code in ("3418", "341881", "341881204"):
        with pytest.raises(Invalid) as e:
            await service.create_item(world, SYSTEM, code, ENERGY)
        assert e.value.code == "catalog.owner_tier"
    item = await service.create_item(world, SYSTEM, "0", ENERGY)
    assert item.tenant_path == "0"


async def test_drafts_edit_published_rows_are_immutable(world):
    s = world
    item = await service.create_item(s, PROVINCE, "34", ENERGY)
    edited = await service.update_item(s, PROVINCE, item.id, dataclasses.replace(
        ENERGY, name="固定资产投资项目节能审查（修订）", materials=(NewMaterial("申请书"),)))
    assert edited.name.endswith("（修订）")
    assert len((await service.item_elements(s, edited)).materials) == 1
    with pytest.raises(Invalid) as e:
        await service.update_item(s, PROVINCE, item.id, FITNESS)
    assert "catalog.code_immutable" in problem_codes(e)
    await service.publish_item(s, PROVINCE, item.id)
    with pytest.raises(Conflict) as e:
        await service.update_item(s, PROVINCE, item.id, ENERGY)
    assert e.value.code == "catalog.not_draft"
    with pytest.raises(Conflict) as e:
        await service.publish_item(s, PROVINCE, item.id)
    assert e.value.code == "catalog.not_draft"


async def test_publish_retires_the_previous_version(world):
    s = world
    v1 = await service.create_item(s, PROVINCE, "34", ENERGY)
    await service.publish_item(s, PROVINCE, v1.id)
    v2 = await service.create_item(s, PROVINCE, "34", dataclasses.replace(ENERGY, statutory_days=20))
    await service.publish_item(s, PROVINCE, v2.id)
    await s.commit()
    await s.refresh(v1)
    assert (v1.status, v2.status) == ("retired", "published")
    assert v1.retired_at is not None and v2.published_at is not None
    newest = await service.get_item(s, at("county", "window_clerk"), code="000104002000")
    assert newest.id == v2.id
    old = await service.get_item(s, at("county", "window_clerk"), code="000104002000", version=1)
    assert old.id == v1.id
    await service.retire_item(s, PROVINCE, v2.id)
    with pytest.raises(NotFound):
        await service.get_item(s, PROVINCE, code="000104002000")
    with pytest.raises(Conflict) as e:
        await service.retire_item(s, PROVINCE, v2.id)
    assert e.value.code == "catalog.not_published"


async def test_list_reads_ancestors_and_national_with_filters(world):
    s = world
    prov = await service.create_item(s, PROVINCE, "34", ENERGY)
    await service.create_item(s, SYSTEM, "0", FITNESS)
    await service.create_item(s, SYSTEM, "15", ENERGY)  # another province's catalog
    await s.commit()
    clerk = at("township", "window_clerk")
    listed = await service.list_items(s, clerk)
    assert {(i.basic_code, i.tenant_path) for i in listed} == {("000104002000", "34"),
                                                               ("001033002000", "0")}
    assert [i.id for i in await service.list_items(s, clerk, search="节能")] == [prov.id]
    assert [i.id for i in await service.list_items(s, clerk, search="0001040")] == [prov.id]
    assert [i.basic_code for i in await service.list_items(s, clerk, item_type="10")] == ["001033002000"]
    assert [i.tenant_path for i in await service.list_items(s, clerk, owner_code="0")] == ["0"]
    assert await service.list_items(s, clerk, status="published") == []
    with pytest.raises(NotFound):
        await service.list_items(s, clerk, owner_code="15")
    other = await service.list_items(s, at("other_county", "window_clerk"))
    assert {i.tenant_path for i in other} == {"15", "0"}
    assert len(await service.list_items(s, SYSTEM)) == 3


async def test_isolation_county_cannot_write_the_province_catalog(world):
    s = world
    item = await service.create_item(s, PROVINCE, "34", ENERGY)
    county = at("county", "county_admin")
    with pytest.raises(PermissionDenied):
        await service.create_item(s, county, "34", FITNESS)
    with pytest.raises(PermissionDenied):
        await service.publish_item(s, county, item.id)
    with pytest.raises(PermissionDenied):
        await service.update_item(s, county, item.id, ENERGY)
    # Its own tenant is visible but it lacks catalog:write there too.
    with pytest.raises(PermissionDenied):
        await service.create_item(s, county, "341881", ENERGY)
    # Another province: not even visible.
    with pytest.raises(NotFound):
        await service.create_item(s, county, "15", ENERGY)
    other = at("other_county", "county_admin")
    with pytest.raises(NotFound) as e:
        await service.publish_item(s, other, item.id)
    assert e.value.code == "catalog_item.not_found"
    with pytest.raises(NotFound):
        await service.get_item(s, other, item.id)
    # A province admin may not write the national catalog nor another province's.
    with pytest.raises(PermissionDenied):
        await service.create_item(s, PROVINCE, "0", FITNESS)
    with pytest.raises(NotFound):
        await service.create_item(s, PROVINCE, "15", FITNESS)
    # Staff read, never write.
    with pytest.raises(PermissionDenied):
        await service.create_item(s, at("province", "window_clerk"), "34", FITNESS)
    assert (await service.get_item(s, at("village", "agent"), item.id)).id == item.id


async def test_events_announced(world):
    from zhengwu.core.hooks import hookimpl
    from zhengwu.core.plugin_api import PluginInfo
    from zhengwu.platform import boot

    heard: list[tuple[str, dict]] = []

    class Listener:
        @hookimpl
        def zhengwu_plugin_info(self):
            return PluginInfo(name="catalog-listener", version="1", title_zh="监听",
                              title_en="listener")

        @hookimpl
        def zhengwu_event(self, event, session):
            heard.append((event.name, event.payload))

    boot([Listener()], entry_points=False)
    try:
        item = await service.create_item(world, PROVINCE, "34", ENERGY)
        await service.publish_item(world, PROVINCE, item.id)
    finally:
        boot([], entry_points=False)
    names = [n for n, _ in heard]
    assert names == ["catalog.item_created", "catalog.item_published"]
    assert heard[1][1]["version"] == 1


@pytest.mark.pg_only
async def test_rls_county_reads_the_province_catalog_but_cannot_insert(world, sessionmaker):
    item = await service.create_item(world, PROVINCE, "34", ENERGY)
    await service.create_item(world, SYSTEM, "0", FITNESS)
    await service.create_item(world, SYSTEM, "15", ENERGY)
    await world.commit()
    async with scoped_session(sessionmaker, PATHS["county"]) as s:
        rows = (await s.execute(text("SELECT basic_code, tenant_path FROM catalog_items"))).all()
        assert sorted(rows) == [("000104002000", "34"), ("001033002000", "0")]
        mats = (await s.execute(text("SELECT count(*) FROM catalog_materials"))).scalar()
        assert mats == 3 + 1
        s.add(CatalogItem(basic_code="000104003000", version=1, name="伪造", item_type="01",
                          use_levels=[4], tenant_id=item.tenant_id, tenant_path="34", extra={},
                          applicant_types=[]))
        with pytest.raises(Exception, match="row-level security"):
            await s.flush()
        await s.rollback()
        res = await s.execute(text("UPDATE catalog_items SET name = 'pwned'"))
        assert res.rowcount == 0
        s.add(CatalogMaterial(item_id=item.id, seq=9, name="伪造材料", tenant_id=item.tenant_id,
                              tenant_path="34"))
        with pytest.raises(Exception, match="row-level security"):
            await s.flush()
        await s.rollback()
    async with scoped_session(sessionmaker, PATHS["other_county"]) as s:
        rows = (await s.execute(text("SELECT tenant_path FROM catalog_items"))).scalars().all()
        assert sorted(rows) == ["0", "15"]


async def test_unknown_id_is_not_found(world):
    with pytest.raises(NotFound):
        await service.publish_item(world, PROVINCE, uuid.uuid4())
