"""Public service guides (办事指南): content, search, pagination, escaping, isolation.

Catalog rows and implementations are inserted directly with the models (the catalog
services are built elsewhere). Item data is copied from the shared real list
(``../shared/data/service-items/detailed-items.csv``: 固定资产投资项目节能审查,
全民健身设施拆迁或者改变用途批准, 在宗教活动场所内改建或者新建建筑物审批, 政府投资项目审批——可行性
研究报告审批); the implementations are put at 宁国市 and 宣州区 of the test world. The shared
list has no charged item, so the fee case uses the published housing standard of 不动产登记费
(发改价格规〔2016〕2559号, 80 元/件) under a constructed basic code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from markupsafe import escape
from sqlalchemy import select, update

from tests.world import build_world
from zhengwu.app import create_app
from zhengwu.core.catalog.codes import credit_check_char, implementation_code
from zhengwu.core.catalog.models import (
    CatalogFee,
    CatalogItem,
    CatalogMaterial,
    CatalogStep,
    Implementation,
    ImplementationFee,
    ImplementationMaterial,
)
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import settings as tenant_settings
from zhengwu.tenants.models import Tenant, Venue, Window

SYSTEM = Principal.system("tester")

LINGSHAN_APPROVAL = ("灵山县行政审批局", "11450721MB15580811")
LINGSHAN_CULTURE = ("灵山县文化广电体育和旅游局", "11450721348531435D")
LINGSHAN_DEVELOPMENT = ("灵山县发展和改革局", "114507210081153718")
XUANZHOU_BODY = ("宣州区行政审批局", "11341802MB0000001" + credit_check_char("11341802MB0000001"))
NINGGUO_REGISTRY = ("宁国市不动产登记中心", "12341881MB0000002" + credit_check_char("12341881MB0000002"))

ENERGY_BASIS = ("《固定资产投资项目节能办法》(2016年国家发改委令第44号) 第三条；《全国人民代表大会常务委员会关于修改"
                "<中华人民共和国节约能源法>等六部法律的决定》；《国务院关于加强节能工作的决定》(国发[2006]28号) 第二十三条")
ENERGY_CONDITIONS = "固定资产投资项目建设单位在开工建设前取得节能审查机关出具的节能审查意见。"
MATERIAL_BASIS = "《广西壮族自治区固定资产投资项目节能审查办法》第八条"
STEPS = [("受理", 1, "窗口受理"), ("审查", 3, "审批科室"), ("决定", 1, "分管负责人"), ("送达", None, "窗口")]
SCRIPT_NAME = "<script>alert('x')</script>测试事项"


@dataclass
class World:
    energy: str  # 宁国市: 固定资产投资项目节能审查 (active, published)
    fitness: str  # 宁国市: needs_review on a retired version
    religion: str  # 宁国市: retired implementation
    investment: str  # 宁国市: 公共服务
    registry: str  # 宁国市: charged
    script: str  # 宁国市: a name with markup
    draft: str  # 宁国市: implementation of a draft catalog version
    xuanzhou: str  # 宣州区: the energy item


async def _tenant(session, code: str) -> Tenant:
    return (await session.scalars(select(Tenant).where(Tenant.code == code))).one()


def _owned(tenant: Tenant) -> dict[str, Any]:
    return {"tenant_id": tenant.id, "tenant_path": tenant.path}


async def _item(session, owner: Tenant, basic_code: str, name: str, item_type: str, *,
                version: int = 1, status: str = "published", materials=(), fees=(), steps=(),
                **kw: Any) -> CatalogItem:
    item = CatalogItem(basic_code=basic_code, name=name, item_type=item_type, version=version,
                       status=status, use_levels=[2, 3, 4],
                       published_at=datetime(2024, 3, 1, 2, tzinfo=UTC) if status != "draft" else None,
                       is_free=not fees, **_owned(owner), **kw)
    session.add(item)
    await session.flush()
    for seq, m in enumerate(materials, 1):
        session.add(CatalogMaterial(item_id=item.id, seq=seq, **m, **_owned(owner)))
    for seq, f in enumerate(fees, 1):
        session.add(CatalogFee(item_id=item.id, seq=seq, **f, **_owned(owner)))
    for seq, (step, days, role) in enumerate(steps, 1):
        session.add(CatalogStep(item_id=item.id, seq=seq, name=step, limit_days=days, role=role,
                                **_owned(owner)))
    await session.flush()
    return item


async def _implement(session, tenant: Tenant, item: CatalogItem, body: tuple[str, str], *,
                     status: str = "active", fee_cents: dict[int, int | None] | None = None,
                     optional_local: frozenset[int] = frozenset(), **kw: Any) -> str:
    code = implementation_code(body[1], 4, item.basic_code)
    impl = Implementation(catalog_item_id=item.id, basic_code=item.basic_code,
                          implementation_code=code, status=status, department_name=body[0],
                          department_credit_code=body[1], use_level=4, **_owned(tenant), **kw)
    session.add(impl)
    await session.flush()
    for m in (await session.scalars(select(CatalogMaterial).where(CatalogMaterial.item_id == item.id))).all():
        session.add(ImplementationMaterial(implementation_id=impl.id, catalog_material_id=m.id,
                                           required=m.seq not in optional_local and m.required,
                                           **_owned(tenant)))
    for f in (await session.scalars(select(CatalogFee).where(CatalogFee.item_id == item.id))).all():
        session.add(ImplementationFee(implementation_id=impl.id, catalog_fee_id=f.id,
                                      amount_cents=(fee_cents or {}).get(f.seq), **_owned(tenant)))
    await session.flush()
    return code


async def _build(session) -> World:
    await build_world(session)
    anhui, ningguo, xuanzhou = [await _tenant(session, c) for c in ("34", "341881", "341802")]
    centre = Venue(kind="service_centre", name="宁国市政务服务中心", address="宁国市宁阳西路",
                   phone="0563-4012345", hours=None, active=True, **_owned(ningguo))
    session.add(centre)
    await session.flush()
    window = Window(venue_id=centre.id, number="3", name="投资项目审批窗口", kind="dedicated",
                    department="宁国市发展和改革委员会", active=True, **_owned(ningguo))
    session.add(window)
    await session.flush()

    energy = await _item(
        session, anhui, "000104002000", "固定资产投资项目节能审查", "01", version=2,
        legal_basis=ENERGY_BASIS, statutory_days=20, case_type=2, conditions=ENERGY_CONDITIONS,
        quantity_limit="无数量限制", max_visits=1, online_depth=3, applicant_types=[2, 3],
        result_type="批文", result_name="节能审查意见",
        materials=[
            {"name": "申请书", "form": "paper", "originals": 1, "copies": 0, "required": True,
             "blank_form_url": "https://zwfw.example.gov.cn/forms/energy-application.docx",
             "sample_url": "https://zwfw.example.gov.cn/forms/energy-application-sample.pdf",
             "legal_basis": MATERIAL_BASIS},
            {"name": "节能报告", "form": "both", "originals": 1, "copies": 2, "required": True,
             "legal_basis": MATERIAL_BASIS},
            {"name": "项目备案证明", "form": "electronic", "originals": 0, "copies": 1,
             "required": False},
        ],
        steps=STEPS)
    energy_code = await _implement(
        session, ningguo, energy, LINGSHAN_APPROVAL, promised_days=5, max_visits=1,
        window_id=window.id, online=True, online_url="https://www.ahzwfw.gov.cn/ningguo/energy",
        appointment=True, courier=True)

    fitness_v1 = await _item(
        session, anhui, "001033002000", "全民健身设施拆迁或者改变用途批准", "10", version=1,
        status="retired", legal_basis="《公共文化体育设施条例》（国务院令第382号）第二十七条",
        statutory_days=66, max_visits=1, materials=[{"name": "申请表", "originals": 1}])
    await _item(session, anhui, "001033002000", "全民健身设施拆迁或者改变用途批准", "10", version=2,
                legal_basis="《公共文化体育设施条例》（国务院令第382号）第二十七条", statutory_days=66,
                max_visits=1, materials=[{"name": "申请表", "originals": 1}])
    fitness_code = await _implement(session, ningguo, fitness_v1, LINGSHAN_CULTURE, promised_days=24,
                                    status="needs_review", review_reason="目录发布第 2 版")

    religion = await _item(
        session, anhui, "000141005000", "在宗教活动场所内改建或者新建建筑物审批", "01",
        legal_basis="《宗教事务条例》第三十三条第一款", statutory_days=20)
    religion_code = await _implement(session, ningguo, religion, LINGSHAN_APPROVAL, promised_days=10,
                                     status="retired")

    investment = await _item(
        session, anhui, "452004020000", "政府投资项目审批——可行性研究报告审批", "20",
        legal_basis="《国务院关于投资体制改革的决定》（国发〔2004〕20号）第三条第四款", statutory_days=20,
        max_visits=1, materials=[{"name": "由相应工程咨询资格的机构编制的可行性研究报告", "originals": 1}],
        steps=[("受理", 1, None), ("办结", 4, None)])
    investment_code = await _implement(session, ningguo, investment, LINGSHAN_DEVELOPMENT,
                                       promised_days=5, in_hall=False,
                                       not_in_hall_reason="涉密项目在部门办理",
                                       address="宁国市政务服务中心二楼", hours="工作日 08:30-17:30",
                                       phone="0563-4011111")

    registry = await _item(
        session, anhui, "000720001000", "不动产首次登记", "07", statutory_days=30, case_type=2,
        max_visits=1, materials=[{"name": "不动产登记申请书", "originals": 1}],
        fees=[{"name": "不动产登记费", "standard": "住宅类不动产每件80元",
               "max_amount_cents": 8000,
               "basis": "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
               "reducible": True, "reduction_basis": "小微企业免收"}])
    registry_code = await _implement(session, ningguo, registry, NINGGUO_REGISTRY, promised_days=5,
                                     fee_cents={1: 8000})

    script = await _item(session, anhui, "342005001000", SCRIPT_NAME, "20", statutory_days=1,
                         case_type=1, conditions="<b>bold</b> & more",
                         materials=[{"name": "身份证明\"><img src=x onerror=alert(1)>", "originals": 1,
                                     "blank_form_url": "javascript:alert(1)",
                                     "sample_url": "https://zwfw.example.gov.cn/s?a=1&b=<2>"}])
    script_code = await _implement(session, ningguo, script, LINGSHAN_APPROVAL, promised_days=0,
                                   online=True, online_url="javascript:alert(2)")

    draft = await _item(session, anhui, "342005002000", "草稿事项", "20", status="draft")
    draft_code = await _implement(session, ningguo, draft, LINGSHAN_APPROVAL)

    xuanzhou_code = await _implement(session, xuanzhou, energy, XUANZHOU_BODY, promised_days=10)
    await session.commit()
    return World(energy=energy_code, fitness=fitness_code, religion=religion_code,
                 investment=investment_code, registry=registry_code, script=script_code,
                 draft=draft_code, xuanzhou=xuanzhou_code)


@pytest.fixture
async def world(system_session) -> World:
    return await _build(system_session)


@pytest.fixture
async def client(settings, world) -> AsyncTestClient[Any]:
    app = create_app(settings, entry_points=False)
    async with AsyncTestClient(app) as c:
        yield c


async def _json(client, path: str, status: int = 200, **params) -> dict[str, Any]:
    resp = await client.get(path, params=params or None)
    assert resp.status_code == status, resp.text
    return resp.json()


async def _html(client, path: str, status: int = 200, **params) -> str:
    resp = await client.get(path, params=params or None)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    return resp.text


def _walk(value: Any, key: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


# ---------------------------------------------------------------- content


async def test_guide_json_has_every_element(client, world):
    g = await _json(client, f"/public/341881/guides/{world.energy}.json")
    assert g["tenant"] == {"code": "341881", "name": "宁国市"}
    assert g["name"] == "固定资产投资项目节能审查"
    assert g["basic_code"] == "000104002000"
    assert g["implementation_code"] == world.energy == "11450721MB155808114000104002000"
    assert (g["item_type"], g["item_type_name"]) == ("01", "行政许可")
    assert g["legal_basis"] == ENERGY_BASIS
    assert g["department_name"] == "灵山县行政审批局"
    assert g["department_credit_code"] == "11450721MB15580811"
    assert g["power_source_name"] == "法定本级行使"
    assert g["applicant_types"] == ["企业法人", "事业法人"]
    assert g["conditions"] == ENERGY_CONDITIONS
    assert g["quantity_limit"] == "无数量限制"
    assert g["version"] == 2 and g["published_on"] == "2024-03-01" and g["under_review"] is False
    assert [(m["name"], m["originals"], m["copies"], m["form"], m["form_name"], m["required"])
            for m in g["materials"]] == [
        ("申请书", 1, 0, "paper", "纸质", True),
        ("节能报告", 1, 2, "both", "纸质或电子", True),
        ("项目备案证明", 0, 1, "electronic", "电子", False),
    ]
    first = g["materials"][0]
    assert first["blank_form_url"].endswith("energy-application.docx")
    assert first["sample_url"].endswith("energy-application-sample.pdf")
    assert first["legal_basis"] == MATERIAL_BASIS
    assert g["is_free"] is True and g["fees"] == []
    assert (g["statutory_days"], g["promised_days"]) == (20, 5)
    assert (g["case_type"], g["case_type_name"]) == (2, "承诺件")
    assert [(s["seq"], s["name"], s["limit_days"], s["role"]) for s in g["steps"]] == [
        (i, name, days, role) for i, (name, days, role) in enumerate(STEPS, 1)]
    assert g["place"] == {"venue": "宁国市政务服务中心", "address": "宁国市宁阳西路",
                          "window": "3 号窗口（投资项目审批窗口）",
                          "hours": "工作日 09:00-12:00、13:30-17:30（法定节假日除外）"}
    assert g["contact"] == {"phone": "0563-4012345", "hotline": "12345"}
    assert g["max_visits"] == 1
    assert g["online"] is True and g["online_url"] == "https://www.ahzwfw.gov.cn/ningguo/energy"
    assert g["online_depth"] == 3 and g["online_depth_name"].startswith("三级")
    assert g["appointment"] is True and g["courier"] is True
    assert g["in_hall"] is True and g["not_in_hall_reason"] is None
    assert g["result_name"] == "节能审查意见"


async def test_guide_exposes_nothing_private(client, world):
    g = await _json(client, f"/public/341881/guides/{world.energy}.json")
    uuid_like = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    for key, value in _walk(g):
        assert not key.endswith("id"), key
        assert not (isinstance(value, str) and uuid_like.search(value)), (key, value)


async def test_guide_html_is_a_printable_page_with_every_section(client, world):
    page = await _html(client, f"/public/341881/guides/{world.energy}")
    assert '<html lang="zh-CN">' in page
    assert "@media print" in page and "@page" in page
    assert "<script" not in page.lower()  # readable without JavaScript
    for heading in ("基本信息", "受理条件", "申请材料", "收费", "办理时限", "办理流程",
                    "办理地点和时间", "办理方式", "咨询方式"):
        assert f"、{heading}</h2>" in page, heading
    for text in ("固定资产投资项目节能审查", "000104002000", world.energy, "行政许可（01）",
                 str(escape(ENERGY_BASIS)), "灵山县行政审批局", "11450721MB15580811",
                 ENERGY_CONDITIONS, "无数量限制", "原件 1 份", "原件 1 份；复印件 2 份", "复印件 1 份",
                 "纸质", "纸质或电子", "电子", "必需", "可选", "空白表格", "示例样表", MATERIAL_BASIS,
                 "不收费", "20 个工作日", "5 个工作日", "承诺件", "宁国市政务服务中心", "宁国市宁阳西路",
                 "3 号窗口（投资项目审批窗口）", "工作日 09:00-12:00、13:30-17:30（法定节假日除外）",
                 "0563-4012345", "12345", "最多跑 1 次", "https://www.ahzwfw.gov.cn/ningguo/energy",
                 "支持预约", "支持快递送达", "进驻政务大厅", "第 2 版", "宁国市（341881）"):
        assert text in page, text
    assert "法定节假日" in page


async def test_flowchart_draws_every_step_in_order(client, world):
    page = await _html(client, f"/public/341881/guides/{world.energy}")
    svg = page[page.index("<svg"):page.index("</svg>")]
    labels = ["开始"] + [f"{i}. {name}" for i, (name, _, _) in enumerate(STEPS, 1)] + ["结束"]
    positions = [svg.index(label) for label in labels]
    assert positions == sorted(positions)
    assert svg.count("<rect") == len(STEPS) + 2
    assert svg.count("marker-end") == len(STEPS) + 1  # an arrow between consecutive boxes
    assert "时限：3 个工作日" in svg and "承办：审批科室" in svg
    resp = await client.get(f"/public/341881/guides/{world.energy}.svg")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("image/svg+xml")
    assert resp.text.startswith("<svg") and "4. 送达" in resp.text


async def test_json_and_html_agree(client, world):
    for code in (world.energy, world.investment, world.registry, world.fitness):
        g = await _json(client, f"/public/341881/guides/{code}.json")
        page = await _html(client, f"/public/341881/guides/{code}")
        texts = [g["name"], g["basic_code"], g["implementation_code"], g["item_type_name"],
                 g["department_name"], g["department_credit_code"], g["case_type_name"],
                 g["place"]["hours"], g["contact"]["phone"], g["contact"]["hotline"]]
        texts += [v for v in (g["legal_basis"], g["conditions"], g["quantity_limit"],
                              g["place"]["address"], g["place"]["window"], g["place"]["venue"],
                              g["online_url"], g["not_in_hall_reason"], g["result_name"]) if v]
        texts += [m["name"] for m in g["materials"]] + [s["name"] for s in g["steps"]]
        texts += [f["standard"] for f in g["fees"]] + [f["basis"] for f in g["fees"]]
        for text in texts:
            assert str(escape(text)) in page, (code, text)
        for key in ("statutory_days", "promised_days"):
            if g[key]:
                assert f"{g[key]} 个工作日" in page
        if g["max_visits"] is not None:
            assert f"最多跑 {g['max_visits']} 次" in page
        assert ("不收费" in page) == g["is_free"]


async def test_fees_with_standard_and_basis(client, world):
    g = await _json(client, f"/public/341881/guides/{world.registry}.json")
    assert g["is_free"] is False
    assert g["fees"] == [{
        "name": "不动产登记费", "standard": "住宅类不动产每件80元", "amount_yuan": "80.00",
        "basis": "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        "reducible": True, "reduction_basis": "小微企业免收"}]
    page = await _html(client, f"/public/341881/guides/{world.registry}")
    assert "不收费" not in page
    assert "80.00 元" in page and "可减免：小微企业免收" in page and "发改价格规〔2016〕2559号" in page


async def test_local_place_and_contact_win_and_settings_fill_the_gaps(client, world, system_session):
    g = await _json(client, f"/public/341881/guides/{world.investment}.json")
    assert g["place"]["address"] == "宁国市政务服务中心二楼"
    assert g["place"]["hours"] == "工作日 08:30-17:30"
    assert g["place"]["window"] is None and g["place"]["venue"] == "宁国市政务服务中心"
    assert g["contact"]["phone"] == "0563-4011111"
    assert g["in_hall"] is False and g["not_in_hall_reason"] == "涉密项目在部门办理"
    assert (g["item_type"], g["item_type_name"]) == ("20", "公共服务")

    await tenant_settings.set_setting(system_session, SYSTEM, "341881", "core", "service_hours",
                                      "08:30-12:00,14:00-17:30")
    await tenant_settings.set_setting(system_session, SYSTEM, "341881", "core", "contact_phone",
                                      "0563-4020000")
    await tenant_settings.set_setting(system_session, SYSTEM, "3418", "core", "hotline", "0563-12345")
    await system_session.commit()
    g = await _json(client, f"/public/341881/guides/{world.registry}.json")
    assert g["place"]["hours"] == "工作日 08:30-12:00、14:00-17:30（法定节假日除外）"
    assert g["contact"] == {"phone": "0563-4020000", "hotline": "0563-12345"}
    assert g["place"]["address"] == "宁国市宁阳西路"  # the tenant's service centre


async def test_instant_item_and_zero_promised_limit(client, world):
    g = await _json(client, f"/public/341881/guides/{world.script}.json")
    assert (g["case_type_name"], g["promised_days"], g["statutory_days"]) == ("即办件", 0, 1)
    page = await _html(client, f"/public/341881/guides/{world.script}")
    assert "当场办结" in page and "1 个工作日" in page and "本事项未列明办理环节" in page


# ---------------------------------------------------------------- escaping


async def test_markup_in_catalog_text_shows_as_text(client, world):
    page = await _html(client, f"/public/341881/guides/{world.script}")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;测试事项" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript' not in page  # a non-web URL stays text, never a link
    assert "空白表格：javascript:alert(1)" in page and "：javascript:alert(2)" in page
    assert 'href="https://zwfw.example.gov.cn/s?a=1&amp;b=&lt;2&gt;"' in page
    listing = await _html(client, "/public/341881/guides", q="测试事项")
    assert "<script" not in listing.lower() and "&lt;script&gt;" in listing
    g = await _json(client, f"/public/341881/guides/{world.script}.json")
    assert g["name"] == SCRIPT_NAME  # JSON carries the text as it is
    search = await _json(client, "/public/341881/guides.json", q="<script>")
    assert [i["name"] for i in search["items"]] == [SCRIPT_NAME]


# ---------------------------------------------------------------- list and search


VISIBLE = ["energy", "fitness", "investment", "registry", "script"]


async def test_list_shows_public_guides_only(client, world):
    page = await _json(client, "/public/341881/guides.json")
    assert page["tenant"] == {"code": "341881", "name": "宁国市"}
    codes = [i["implementation_code"] for i in page["items"]]
    assert sorted(codes) == sorted(getattr(world, k) for k in VISIBLE)
    assert page["total"] == len(VISIBLE) and page["next_after"] is None
    assert world.religion not in codes and world.draft not in codes and world.xuanzhou not in codes
    energy = next(i for i in page["items"] if i["implementation_code"] == world.energy)
    assert energy == {"name": "固定资产投资项目节能审查", "basic_code": "000104002000",
                      "implementation_code": world.energy, "item_type": "01",
                      "item_type_name": "行政许可", "department_name": "灵山县行政审批局",
                      "case_type_name": "承诺件", "promised_days": 5, "max_visits": 1,
                      "online": True}


async def test_search_by_name(client, world):
    page = await _json(client, "/public/341881/guides.json", q="节能")
    assert [i["implementation_code"] for i in page["items"]] == [world.energy]
    assert page["total"] == 1
    page = await _json(client, "/public/341881/guides.json", q="审批")  # not the retired 宗教 item
    assert [i["implementation_code"] for i in page["items"]] == [world.investment]
    page = await _json(client, "/public/341881/guides.json", q="000720001000")  # a basic code
    assert [i["implementation_code"] for i in page["items"]] == [world.registry]
    page = await _json(client, "/public/341881/guides.json", q="不存在的事项")
    assert page == {"tenant": {"code": "341881", "name": "宁国市"}, "items": [], "total": 0,
                    "next_after": None}
    page = await _json(client, "/public/341881/guides.json", q="%")  # LIKE wildcards are text
    assert page["total"] == 0
    html = await _html(client, "/public/341881/guides", q="节能")
    assert "固定资产投资项目节能审查" in html and "不动产首次登记" not in html
    assert 'value="节能"' in html and "共 1 项" in html


async def test_search_by_type(client, world):
    for value in ("01", "1", "行政许可"):
        page = await _json(client, "/public/341881/guides.json", type=value)
        assert [i["implementation_code"] for i in page["items"]] == [world.energy], value
    page = await _json(client, "/public/341881/guides.json", type="20")
    assert {i["implementation_code"] for i in page["items"]} == {world.investment, world.script}
    page = await _json(client, "/public/341881/guides.json", type="20", q="可行性")
    assert [i["implementation_code"] for i in page["items"]] == [world.investment]
    html = await _html(client, "/public/341881/guides", type="07")
    assert "不动产首次登记" in html and "固定资产投资项目节能审查" not in html
    assert '<option value="07" selected>' in html
    problem = await _json(client, "/public/341881/guides.json", 422, type="99")
    assert problem["code"] == "guide.bad_item_type"
    await _html(client, "/public/341881/guides", 422, type="警察")


async def test_list_paginates(client, world):
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 2} | ({"after": after} if after else {})
        page = await _json(client, "/public/341881/guides.json", **params)
        assert page["total"] == len(VISIBLE) and len(page["items"]) <= 2
        seen += [i["implementation_code"] for i in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == len(VISIBLE)
    assert [c[19:] for c in seen] == sorted(c[19:] for c in seen)  # by basic code

    first = await _html(client, "/public/341881/guides", limit=2)
    match = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', first)
    assert match and "第一页" not in first
    second = await _html(client, match.group(1).replace("&amp;", "&"))
    assert "第一页" in second
    names_first = re.findall(r'/guides/([0-9A-Z]{31})"', first)
    names_second = re.findall(r'/guides/([0-9A-Z]{31})"', second)
    assert names_first == seen[:2] and names_second == seen[2:4]

    bad = await _json(client, "/public/341881/guides.json", 400, limit=0)
    assert bad["status"] == 400
    await _json(client, "/public/341881/guides.json", 422, after="NOSUCHCURSOR")


# ---------------------------------------------------------------- visibility and isolation


async def test_guide_of_another_tenant_is_not_reachable_under_this_url(client, world):
    problem = await _json(client, f"/public/341881/guides/{world.xuanzhou}.json", 404)
    assert problem["code"] == "guide.not_found"
    resp = await client.get(f"/public/341881/guides/{world.xuanzhou}")
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in resp.text
    g = await _json(client, f"/public/341802/guides/{world.xuanzhou}.json")
    assert g["tenant"] == {"code": "341802", "name": "宣州区"}
    assert g["department_name"] == "宣州区行政审批局" and g["promised_days"] == 10
    await _json(client, f"/public/341802/guides/{world.energy}.json", 404)
    # nor under a parent, a child or another province
    for code in ("3418", "34", "341881204", "152501"):
        await _json(client, f"/public/{code}/guides/{world.energy}.json", 404)


async def test_review_retired_and_draft(client, world):
    g = await _json(client, f"/public/341881/guides/{world.fitness}.json")
    assert g["under_review"] is True and g["version"] == 1 and g["promised_days"] == 24
    assert "正在复核" in await _html(client, f"/public/341881/guides/{world.fitness}")
    for code in (world.religion, world.draft):
        problem = await _json(client, f"/public/341881/guides/{code}.json", 404)
        assert problem["code"] == "guide.not_found"
        await _html(client, f"/public/341881/guides/{code}", 404)


async def test_suspended_tenant_has_no_public_guides(client, world, system_session):
    await system_session.execute(update(Tenant).where(Tenant.code == "341881").values(status="suspended"))
    await system_session.commit()
    for path in ("/public/341881/guides.json", f"/public/341881/guides/{world.energy}.json"):
        assert (await _json(client, path, 404))["code"] == "tenant.not_found"
    for path in ("/public/341881/guides", f"/public/341881/guides/{world.energy}"):
        await _html(client, path, 404)
    await _json(client, f"/public/341802/guides/{world.xuanzhou}.json")  # the sibling still works


async def test_portal_switched_off_hides_guides(client, world, system_session):
    await tenant_settings.set_setting(system_session, SYSTEM, "341881", "core",
                                      "public_portal_enabled", False)
    await system_session.commit()
    await _json(client, "/public/341881/guides.json", 404)
    await _html(client, f"/public/341881/guides/{world.energy}", 404)


async def test_division_code_in_any_form_and_bad_codes_never_fail(client, world):
    g = await _json(client, f"/public/341881000000/guides/{world.energy}.json")
    assert g["tenant"]["code"] == "341881"
    lower = await _json(client, f"/public/341881/guides/{world.energy.lower()}.json")
    assert lower["implementation_code"] == world.energy
    for path in ("/public/999999/guides.json", "/public/abc/guides.json",
                 "/public/0/guides.json",  # the platform root is no division with a hall
                 "/public/341881/guides/nothing.json", "/public/341881/guides/x.y.json",
                 f"/public/341881/guides/{'9' * 300}.json", "/public/341881/guides/%00.json"):
        resp = await client.get(path)
        assert resp.status_code == 404, (path, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert (await _json(client, "/public/341881/guides.json", q="\x00节能"))["total"] == 1
    await _json(client, "/public/341881/guides.json", 422, after="\x00")
    await _json(client, "/public/341881/guides.json", 422, type="\x00")
    for path in ("/public/abc/guides", "/public/341881/guides/nothing",
                 "/public/341881/guides/nothing.svg"):
        await _html(client, path, 404)


async def test_no_login_needed(client, world):
    for path in ("/public/341881/guides", "/public/341881/guides.json",
                 f"/public/341881/guides/{world.energy}", f"/public/341881/guides/{world.energy}.json"):
        assert (await client.get(path)).status_code == 200
        # a stale or foreign credential does not matter on a public page
        resp = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert resp.status_code == 200, resp.text
