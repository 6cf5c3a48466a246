"""The catalog: national categories per tier, sub-categories inherited downwards and never
removed below, codes unique along a line, names unique among siblings."""

from __future__ import annotations

import pytest

from tests.plugins.disclosure.world import (
    COUNTY,
    OTHER_COUNTY,
    SIBLING_COUNTY,
    SIBLING_TOWNSHIP,
    TOWNSHIP,
    build_disclosure_world,
    principal,
)
from zhengwu.core.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from zhengwu.plugins.disclosure import catalog


@pytest.fixture
async def world(system_session, settings):
    await build_disclosure_world(system_session, settings, with_users=True)
    return system_session


def codes(tree: list[catalog.CatalogEntry]) -> list[str]:
    return [n.code for n in catalog.flatten(tree)]


def test_national_catalog_per_tier():
    assert catalog.required_codes("province") == tuple(f"{i:02d}" for i in range(1, 16))
    assert catalog.required_codes("county") == tuple(f"{i:02d}" for i in range(1, 23))
    assert catalog.required_codes("city") == catalog.required_codes("county")
    assert catalog.required_codes("township") == (*catalog.required_codes("county"),
                                                  "30", "31", "32", "33", "34")
    assert catalog.required_codes("village") == ()
    names = {b.code: b.name for b in catalog.NATIONAL}
    assert names["07"] == "财政预算、决算信息"
    assert names["14"] == "公务员招考的职位、名额、报考条件等事项以及录用结果"
    assert names["33"] == "宅基地使用情况审核"
    assert len({b.name for b in catalog.NATIONAL}) == len(catalog.NATIONAL)


async def test_township_inherits_the_county_sub_categories(world):
    s = world
    admin = principal("ng_admin")
    added = await catalog.add_category(s, admin, COUNTY, "07", "部门预算")
    assert added.code == "07.01"
    own = await catalog.add_category(s, principal("ft_approver"), TOWNSHIP, "07.01", "乡镇部门预算")
    assert own.code == "07.01.01"
    await s.commit()

    ft = await catalog.effective_catalog(s, principal("ft_editor"), TOWNSHIP)
    assert "07.01" in codes(ft) and "07.01.01" in codes(ft) and "33" in codes(ft)
    node = {n.code: n for n in catalog.flatten(ft)}
    assert (node["07.01"].source, node["07.01"].owner_code) == ("inherited", COUNTY)
    assert node["07.01.01"].source == "own" and node["07"].source == "national"
    # the county sees its own sub-category, not the township's; 港口镇 not 方塘乡's
    ng = codes(await catalog.effective_catalog(s, principal("ng_editor"), COUNTY))
    assert "07.01" in ng and "07.01.01" not in ng and "30" not in ng
    gk = codes(await catalog.effective_catalog(s, principal("gk_editor"), SIBLING_TOWNSHIP))
    assert "07.01" in gk and "07.01.01" not in gk
    # a township reads its county's catalog (inherited), not a sibling's
    assert "07.01" in codes(await catalog.effective_catalog(s, principal("ft_editor"), COUNTY))
    for who, code in (("gk_editor", TOWNSHIP), ("xz_editor", COUNTY), ("el_admin", COUNTY),
                      ("xz_admin", TOWNSHIP)):
        with pytest.raises(NotFound):
            await catalog.effective_catalog(s, principal(who), code)
    with pytest.raises(PermissionDenied):
        await catalog.effective_catalog(s, principal("ng_clerk"), COUNTY)
    with pytest.raises(Conflict) as err:
        await catalog.effective_catalog(s, principal("el_admin"), OTHER_COUNTY)
    assert err.value.code == "plugin.not_enabled"


async def test_nobody_removes_or_renames_an_inherited_category(world):
    s = world
    await catalog.add_category(s, principal("ng_admin"), COUNTY, "07", "部门预算")
    await s.commit()
    ft = principal("ft_approver")
    for code in ("07.01", "07"):
        with pytest.raises(Conflict) as err:
            await catalog.delete_category(s, ft, TOWNSHIP, code)
        assert err.value.code == "disclosure_catalog.inherited"
        with pytest.raises(Conflict) as err:
            await catalog.rename_category(s, ft, TOWNSHIP, code, "改名")
        assert err.value.code == "disclosure_catalog.inherited"
    # a sibling county cannot touch it either (it does not even see it)
    with pytest.raises(NotFound):
        await catalog.delete_category(s, principal("xz_admin"), COUNTY, "07.01")
    with pytest.raises(NotFound):
        await catalog.delete_category(s, principal("xz_admin"), SIBLING_COUNTY, "07.01")
    # its owner may rename and delete it
    row = await catalog.rename_category(s, principal("ng_admin"), COUNTY, "07.01", "部门预算决算")
    assert row.name == "部门预算决算"
    assert await catalog.delete_category(s, principal("ng_admin"), COUNTY, "07.01") == "07.01"


async def test_codes_unique_along_the_line_and_names_among_siblings(world):
    s = world
    await catalog.add_category(s, principal("ft_approver"), TOWNSHIP, "07", "乡镇预算")  # 07.01 below
    await s.commit()
    # the county's next code skips the one its township took
    up = await catalog.add_category(s, principal("ng_admin"), COUNTY, "07", "部门预算")
    assert up.code == "07.02"
    # a sibling township may use 07.01 (not on the same line)
    side = await catalog.add_category(s, principal("ng_admin"), SIBLING_TOWNSHIP, "07", "港口镇预算")
    assert side.code == "07.01"
    cases: list[tuple[str, str, str, str | None, str]] = [
        (COUNTY, "07", "部门预算", None, "disclosure_catalog.name_taken"),
        (COUNTY, "07", "乡镇预算", None, "disclosure_catalog.name_taken"),  # met in 方塘乡's view
        (COUNTY, "99", "无此类目", None, "disclosure_catalog.parent_unknown"),
        (COUNTY, "30", "乡镇类目", None, "disclosure_catalog.parent_unknown"),  # township only
        (COUNTY, "07", "新类目", "07.01", "disclosure_catalog.code_taken"),
        (COUNTY, "07", "新类目", "08.05", "disclosure_catalog.code_format"),
        (COUNTY, "07", "新类目", "07.1", "disclosure_catalog.code_format"),
        (COUNTY, "07", "  ", None, "disclosure_catalog.name_required"),
    ]
    for tenant, parent, name, code, expected in cases:
        with pytest.raises(DomainError) as err:
            await catalog.add_category(s, principal("ng_admin"), tenant, parent, name, code=code)
        assert err.value.code == expected, (parent, name, code)
    with pytest.raises(PermissionDenied):
        await catalog.add_category(s, principal("ng_editor"), COUNTY, "07", "编辑不能加")
    with pytest.raises(Invalid):
        await catalog.add_category(s, principal("ng_admin"), COUNTY, "", "无上级")
    long = "说" * (catalog.MAX_DESCRIPTION + 1)
    with pytest.raises(Invalid) as bad:
        await catalog.add_category(s, principal("ng_admin"), COUNTY, "07", "新类目",
                                   description=long)
    assert bad.value.code == "disclosure_catalog.description_too_long"
    with pytest.raises(Invalid) as bad:
        await catalog.rename_category(s, principal("ng_admin"), COUNTY, "07.02", "部门预算",
                                      description=long)
    assert bad.value.code == "disclosure_catalog.description_too_long"


async def test_a_sub_category_in_use_is_neither_renamed_nor_deleted(world):
    from datetime import date

    from tests.plugins.disclosure.world import at
    from zhengwu.plugins.disclosure import publications as pubs

    s = world
    await catalog.add_category(s, principal("ng_admin"), COUNTY, "07", "部门预算")
    await catalog.add_category(s, principal("ng_admin"), COUNTY, "07.01", "教育局预算")
    await s.commit()
    with pytest.raises(Conflict) as err:  # it has a sub-category
        await catalog.delete_category(s, principal("ng_admin"), COUNTY, "07.01")
    assert err.value.code == "disclosure_catalog.has_children"
    with at(2026, 10, 12):  # 方塘乡 files an item under the county's 07.01.01
        await pubs.create_publication(s, principal("ft_editor"), TOWNSHIP, pubs.PublicationFields(
            title="乡镇教育预算", category_code="07.01.01", formed_on=date(2026, 10, 9),
            disclosure_kinds=("result",)))
        await s.commit()
    for code in ("07.01", "07.01.01"):
        with pytest.raises(Conflict) as err:
            await catalog.rename_category(s, principal("ng_admin"), COUNTY, code, "新名称")
        assert err.value.code == "disclosure_catalog.in_use"
    with pytest.raises(Conflict) as err:
        await catalog.delete_category(s, principal("ng_admin"), COUNTY, "07.01.01")
    assert (err.value.code, err.value.params["count"]) == ("disclosure_catalog.in_use", 1)
    # the description may still change
    row = await catalog.rename_category(s, principal("ng_admin"), COUNTY, "07.01.01", "教育局预算",
                                        description="教育系统")
    assert row.description == "教育系统"
