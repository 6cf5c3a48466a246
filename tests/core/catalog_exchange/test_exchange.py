"""JSON and Excel exchange of catalogs and implementation lists, CPSV-AP export, the CLI."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from typing import Any

import pytest
import typer
from openpyxl import load_workbook
from sqlalchemy import func, select

import tests.cli as cli
from tests.cli import invoke_cli
from tests.core.catalog_exchange import (
    CREDIT,
    CREDIT_2,
    ENERGY,
    FITNESS,
    FIXTURES,
    MARRIAGE,
    MARRIAGE_SUB,
    at,
    build_world,
    sample_catalog,
)
from zhengwu.core.catalog import cpsv, exchange
from zhengwu.core.catalog.exchange import (
    CATALOG_SHEETS,
    CatalogDocument,
    ImplementationDocument,
    normalise_item,
)
from zhengwu.core.catalog.inputs import LocalFee, LocalMaterial, NewImplementation, NewItem
from zhengwu.core.catalog.models import CatalogItem
from zhengwu.core.errors import Invalid, PermissionDenied
from zhengwu.core.security.principal import Principal

SYSTEM = Principal.system()
PROVINCE = at("province", "province_admin")


def problems(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[str, int | None, str]]:
    return [(p.code, p.line, p.en) for p in exc.value.params["problems"]]


def codes(exc: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [p.code for p in exc.value.params["problems"]]


def normalised(doc: CatalogDocument) -> tuple[NewItem, ...]:
    return tuple(normalise_item(i) for i in doc.items)


IMPLEMENTATIONS = ImplementationDocument(tenant="341881", implementations=(
    NewImplementation(basic_code="000104002000", department_name="宁国市发展和改革委员会",
                      department_credit_code=CREDIT, promised_days=5, max_visits=1,
                      materials=(LocalMaterial(1), LocalMaterial(2), LocalMaterial(3, False)),
                      fees=(LocalFee(1, 30_000),), online=True,
                      online_url="https://example.invalid/ng", address="宁国市政务服务中心 2 楼",
                      hours="工作日 9:00–17:00", phone="0563-4011234", appointment=True),
    NewImplementation(basic_code="001033002000", department_name="宁国市文化旅游体育局",
                      department_credit_code=CREDIT_2, promised_days=20, in_hall=False,
                      not_in_hall_reason="须现场核查", local_code="LOCAL-1"),
))


# ---------------------------------------------------------------------------- documents

def test_json_round_trip_of_documents() -> None:
    doc = sample_catalog()
    data = exchange.dumps(exchange.catalog_to_json(doc))
    parsed = json.loads(data)
    assert (parsed["format"], parsed["version"], parsed["owner"]) == ("zhengwu.catalog", 1, "34")
    assert parsed["items"][2]["materials"][0] == {
        "name": "居民身份证", "form": "both", "originals": 1, "copies": 1, "required": True,
        "blank_form_url": None, "sample_url": None, "legal_basis": None}
    back = exchange.read_catalog_json(data, name="c.json")
    assert back.owner == "34" and back.items == normalised(doc)
    imps = exchange.read_implementations_json(
        exchange.dumps(exchange.implementations_to_json(IMPLEMENTATIONS)))
    assert imps.implementations == IMPLEMENTATIONS.implementations and imps.tenant == "341881"


def test_excel_round_trip_of_documents() -> None:
    doc = sample_catalog()
    data = exchange.catalog_to_xlsx(doc)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["事项", "申请材料", "收费", "办理流程"]
    assert [c.value for c in wb["事项"][1]][:4] == ["基本编码", "事项名称", "事项类型", "行使层级"]
    assert wb["事项"]["A2"].value == "000104002000" and wb["事项"]["C2"].value == "01"
    assert wb["申请材料"].max_row == 1 + 3 + 1 + 3 + 1  # header + materials of 4 items
    back = exchange.read_catalog_xlsx(data, name="c.xlsx")
    assert back.owner == "34" and back.items == normalised(doc)
    assert back.where[2].line == 4 and "事项" in back.where[2].zh
    imp_data = exchange.implementations_to_xlsx(IMPLEMENTATIONS)
    assert load_workbook(io.BytesIO(imp_data)).sheetnames == ["实施清单", "选用材料", "适用收费"]
    imps = exchange.read_implementations_xlsx(imp_data)
    assert imps.tenant == "341881"
    # The second has no rows in 选用材料/适用收费: None (every catalog one) both ways.
    assert imps.implementations == IMPLEMENTATIONS.implementations


def test_json_problems_all_reported_with_item_and_element() -> None:
    doc = exchange.catalog_to_json(sample_catalog())
    items = doc["items"]
    items[0]["statutory_days"] = "二十"  # wrong type
    items[0]["materials"][1]["name"] = ""  # missing required value in an element
    items[1]["basic_code"] = "0010330020"  # malformed code
    items[2]["colour"] = "red"  # unknown key
    items[3]["fees"][0]["max_amount_cents"] = 9.5
    items.append(dict(items[0], statutory_days=20, materials=[]))  # duplicate code
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_json(json.dumps(doc).encode(), name="bad.json")
    assert e.value.code == "catalog_import.invalid"
    assert codes(e) == ["catalog_import.wrong_type", "catalog_import.missing_value",
                        "catalog_import.bad_code", "catalog_import.unknown_key",
                        "catalog_import.wrong_type", "catalog_import.duplicate"]
    en = [p[2] for p in problems(e)]
    assert en[0].startswith("items[0] (000104002000): item.statutory_days expected an integer")
    assert en[1].startswith("items[0] (000104002000) materials[1]: materials.name (材料名称)")
    assert en[2].startswith("items[1] (0010330020): bad basic code")
    assert "'colour'" in en[3] and en[4].startswith("items[3] (34071300100001) fees[0]")
    assert en[5] == "items[4] (000104002000): basic code 000104002000 appears twice (items[0])"
    zh = e.value.params["problems"][1].zh
    assert zh.startswith("第 1 项（000104002000）申请材料第 2 条")


@pytest.mark.parametrize(("document", "code"), [
    (b"not json", "catalog_import.bad_document"),
    (b'{"format": "other", "version": 1}', "catalog_import.bad_document"),
    (b'{"format": "zhengwu.catalog", "version": 2, "owner": "34", "items": []}',
     "catalog_import.bad_version"),
    (b'{"format": "zhengwu.catalog", "version": 1, "owner": "34", "items": {}}',
     "catalog_import.bad_document"),
])
def test_json_documents_that_are_not_catalogs(document: bytes, code: str) -> None:
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_json(document)
    assert e.value.code == code


def _workbook(mutate: Any) -> bytes:
    wb = load_workbook(io.BytesIO(exchange.catalog_to_xlsx(sample_catalog())))
    mutate(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_missing_sheet_and_column_named() -> None:
    def mutate(wb: Any) -> None:
        del wb["收费"]
        wb["办理流程"].delete_cols(3)  # 环节名称
        wb["事项"]["B1"] = "名称"  # 事项名称 renamed
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_xlsx(_workbook(mutate), name="bad.xlsx")
    assert problems(e) == [
        ("catalog_import.missing_column", None, "sheet 事项: column '事项名称' is missing"),
        ("catalog_import.missing_sheet", None, "workbook: sheet '收费' is missing"),
        ("catalog_import.missing_column", None, "sheet 办理流程: column '环节名称' is missing"),
    ]
    assert e.value.params["problems"][1].zh == "工作簿：缺少工作表「收费」"


def test_excel_merged_cells_refused_with_range_and_sheet() -> None:
    def mutate(wb: Any) -> None:
        wb["申请材料"].merge_cells("A2:A4")
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_xlsx(_workbook(mutate))
    assert problems(e) == [("catalog_import.merged_cells", None,
                            "sheet 申请材料: has merged cells A2:A4 (unmerge them; fill every row)")]
    assert e.value.params["problems"][0].params["range"] == "A2:A4"


def test_excel_wrong_types_and_empty_cells_name_sheet_row_column() -> None:
    def mutate(wb: Any) -> None:
        ws = wb["事项"]
        ws["A3"] = 1033002000  # a code typed as a number lost its zeros
        ws["E2"] = "二十"  # 法定办结时限
        ws["B4"] = None  # 事项名称 empty
        ws["O5"] = "也许"  # 是否免费
        wb["申请材料"]["B3"] = "x"  # 序号
        wb["收费"]["D2"] = None  # 收费标准 (required)
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_xlsx(_workbook(mutate))
    got = problems(e)
    assert [(c, line) for c, line, _ in got] == [
        ("catalog_import.wrong_type", 2), ("catalog_import.wrong_type", 3),
        ("catalog_import.missing_value", 4), ("catalog_import.wrong_type", 5),
        ("catalog_import.wrong_type", 3), ("catalog_import.missing_value", 2)]
    en = [p[2] for p in got]
    assert en[0] == ("sheet 事项 row 2: E 列「法定办结时限（工作日）」 expected an integer, got '二十' (str)")
    assert en[1].startswith("sheet 事项 row 3: A 列「基本编码」 expected text (a code must be a text cell")
    assert en[2] == "sheet 事项 row 4: B 列「事项名称」 (事项名称) is required"
    assert en[4].startswith("sheet 申请材料 row 3: B 列「序号」")
    assert en[5] == "sheet 收费 row 2: D 列「收费标准」 (收费标准) is required"


def test_excel_element_rows_of_no_item_and_repeated_seq() -> None:
    def mutate(wb: Any) -> None:
        wb["办理流程"].append(["009999999000", 1, "受理", 1, None])  # no such item
        wb["申请材料"]["B3"] = 1  # 序号 1 twice for 000104002000
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_xlsx(_workbook(mutate))
    assert problems(e) == [
        ("catalog_import.duplicate", 3, "sheet 申请材料 row 3: 序号 1 appears twice for 000104002000"),
        ("catalog_import.orphan_row", 8, "sheet 办理流程 row 8: 基本编码 009999999000 is not in sheet 事项"),
    ]


def test_excel_duplicate_code_and_bad_basic_code() -> None:
    def mutate(wb: Any) -> None:
        wb["事项"]["A3"] = "000104002000"
        wb["事项"]["A4"] = "340799001000"  # type digits 07 fine, but row's type is 07 … main 001
        wb["事项"]["A5"] = "3407130010"
    with pytest.raises(Invalid) as e:
        exchange.read_catalog_xlsx(_workbook(mutate))
    assert [(c, line) for c, line, _ in problems(e)] == [
        ("catalog_import.duplicate", 3), ("catalog_import.bad_code", 5)]


def test_implementation_workbook_problems() -> None:
    wb = load_workbook(io.BytesIO(exchange.implementations_to_xlsx(IMPLEMENTATIONS)))
    wb["选用材料"]["C2"] = "一"
    wb["选用材料"].append(["000104002000", CREDIT_2, 1, "是"])  # not an implementation here
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(Invalid) as e:
        exchange.read_implementations_xlsx(buf.getvalue())
    assert [(c, line) for c, line, _ in problems(e)] == [
        ("catalog_import.wrong_type", 2), ("catalog_import.orphan_row", 5)]
    assert problems(e)[1][2] == (f"sheet 选用材料 row 5: 基本编码, 实施主体统一社会信用代码 "
                                 f"000104002000 / {CREDIT_2} is not in sheet 实施清单")
    wb["实施清单"]["B3"] = None
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(Invalid) as e:
        exchange.read_implementations_xlsx(buf.getvalue())
    # The list itself is wrong: its element rows are not also blamed for it.
    assert [(c, line) for c, line, _ in problems(e)] == [
        ("catalog_import.missing_value", 3), ("catalog_import.wrong_type", 2)]


# ---------------------------------------------------------------------------------- CPSV-AP

_IRI = re.compile(r"^(https?://|urn:)\S+$")


def _check_context(node: Any, context: dict[str, Any]) -> None:
    """Every key is a keyword or a compact IRI whose prefix the context defines."""
    if isinstance(node, list):
        for n in node:
            _check_context(n, context)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@context":
            continue
        if not key.startswith("@"):
            prefix, _, local = key.partition(":")
            assert local and prefix in context, key
            assert _IRI.match(context[prefix]), prefix
        _check_context(value, context)


def test_cpsv_ap_export_has_required_properties_and_valid_context() -> None:
    doc = cpsv.public_service(normalise_item(ENERGY),
                              authority=cpsv.Authority("34", "安徽省"), version=3,
                              status="published")
    ctx = doc["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str)}
    assert prefixes["cpsv"] == "http://purl.org/vocab/cpsv#"
    assert prefixes["cv"] == "http://data.europa.eu/m8g/"
    assert prefixes["dct"] == "http://purl.org/dc/terms/"
    for term, definition in ctx.items():
        if isinstance(definition, dict):  # typed terms are compact IRIs of known prefixes
            assert term.split(":")[0] in prefixes
    _check_context(doc, prefixes)
    assert doc["@type"] == "cpsv:PublicService"
    # CPSV-AP 3.2.0 mandatory: identifier 1..1, title 1..n, description 1..n, authority 1..n.
    assert doc["dct:identifier"] == "000104002000"
    assert doc["dct:title"] == [{"@value": "固定资产投资项目节能审查", "@language": "zh"}]
    assert doc["dct:description"][0]["@value"].startswith("行政许可事项，行使层级：市级、县级")
    authority = doc["cv:hasCompetentAuthority"][0]
    assert authority["@type"] == "cv:PublicOrganisation"
    assert authority["skos:prefLabel"] and authority["dct:spatial"]
    assert [e["dct:title"][0]["@value"] for e in doc["cpsv:hasInput"]] == [
        "申请书", "节能报告", "项目备案证明"]
    assert all(e["@type"] == "cv:Evidence" and e["dct:identifier"] for e in doc["cpsv:hasInput"])
    cost = doc["cv:hasCost"][0]
    assert (cost["cv:value"], cost["cv:currency"]) == (
        "500.00", "http://publications.europa.eu/resource/authority/currency/CNY")
    assert doc["cv:processingTime"] == "P20D" and doc["zw:processingTimeUnit"] == "working-day"
    assert "20 个工作日" in doc["dct:description"][0]["@value"]
    assert doc["cv:hasLegalResource"][0]["@type"] == "eli:LegalResource"
    assert doc["dct:type"][0]["skos:notation"] == "01"
    assert doc["cv:thematicArea"][0]["skos:prefLabel"]["@value"] == "行政权力事项"
    assert [r["dct:identifier"] for r in doc["cpsv:follows"]] == [
        "000104002000-S1", "000104002000-S2", "000104002000-S3"]
    ids = [n["@id"] for n in (*doc["cpsv:hasInput"], *doc["cv:hasCost"], *doc["cpsv:follows"])]
    assert len(set(ids)) == len(ids)
    json.dumps(doc, ensure_ascii=False)  # serialisable as is
    # A free public-service item without limit: no processing time, no costs.
    free = cpsv.public_service(normalise_item(dataclasses.replace(
        FITNESS, statutory_days=None, case_type=1)), authority=cpsv.Authority("0", "国家"))
    assert "cv:processingTime" not in free and free["cv:hasCost"] == []


# ---------------------------------------------------------------------------------- database

@pytest.fixture
async def world(system_session):
    await build_world(system_session)
    return system_session


async def _versions(session: Any) -> list[tuple[str, int, str]]:
    await session.rollback()
    return [tuple(r) for r in (await session.execute(
        select(CatalogItem.basic_code, CatalogItem.version, CatalogItem.status)
        .order_by(CatalogItem.basic_code, CatalogItem.version))).all()]


async def test_json_round_trip_through_the_services(world):
    s = world
    data = exchange.dumps(exchange.catalog_to_json(sample_catalog()))
    report = await exchange.import_catalog(s, PROVINCE, "34", exchange.read_catalog_json(data),
                                           publish=True)
    assert report.counts == {"created": 4, "published": 4}
    exported = await exchange.export_catalog(s, PROVINCE, "34")
    assert exported.items == normalised(sample_catalog())
    assert exchange.catalog_to_json(exported) == exchange.catalog_to_json(
        CatalogDocument("34", normalised(sample_catalog())))
    # Importing the same again changes nothing: no new versions, nothing published.
    again = await exchange.import_catalog(s, PROVINCE, "34", exchange.read_catalog_json(data),
                                          publish=True)
    assert again.counts == {"unchanged": 4}
    assert await _versions(s) == [("000104002000", 1, "published"), ("001033002000", 1, "published"),
                                  ("340713001000", 1, "published"),
                                  ("34071300100001", 1, "published")]


async def test_excel_round_trip_and_new_versions_only_for_changes(world):
    s = world
    await exchange.import_catalog(s, SYSTEM, "34", sample_catalog(), publish=True)
    exported = await exchange.export_catalog(s, SYSTEM, "34")
    wb = load_workbook(io.BytesIO(exchange.catalog_to_xlsx(exported)))
    wb["事项"]["E3"] = 60  # FITNESS statutory 66 → 60
    buf = io.BytesIO()
    wb.save(buf)
    doc = exchange.read_catalog_xlsx(buf.getvalue())
    assert doc.owner == "34"
    dry = await exchange.import_catalog(s, SYSTEM, "34", doc, dry_run=True)
    assert dry.counts == {"unchanged": 3, "new_version": 1}
    assert len(await _versions(s)) == 4  # dry run wrote nothing
    report = await exchange.import_catalog(s, SYSTEM, "34", doc)
    assert report.outcomes[1] == ("001033002000", "new_version")
    assert ("001033002000", 2, "draft") in await _versions(s)
    # The draft's content changes again: the draft is updated, not versioned again.
    changed = dataclasses.replace(doc, items=(dataclasses.replace(doc.items[1], max_visits=0),))
    assert (await exchange.import_catalog(s, SYSTEM, "34", changed)).counts == {"updated": 1}
    # Published with --publish: v2 published, v1 retired.
    await exchange.import_catalog(s, SYSTEM, "34", changed, publish=True)
    vs = await _versions(s)
    assert ("001033002000", 1, "retired") in vs and ("001033002000", 2, "published") in vs
    final = await exchange.export_catalog(s, SYSTEM, "34")
    assert final.items[1].max_visits == 0 and final.items[1].statutory_days == 60


async def test_service_rejections_all_reported_and_nothing_written(world):
    s = world
    bad_type = dataclasses.replace(FITNESS, item_type="01")  # code digits say 10
    slow_steps = dataclasses.replace(ENERGY, statutory_days=10)  # steps add up to 20
    doc = CatalogDocument("34", (slow_steps, bad_type, MARRIAGE), source="mixed.json")
    with pytest.raises(Invalid) as e:
        await exchange.import_catalog(s, PROVINCE, "34", doc)
    got = problems(e)
    assert [c for c, _, _ in got] == ["catalog.steps_exceed_statutory",
                                      "catalog.item_type_mismatch"]
    assert got[0][2].startswith("items[0] (000104002000) (steps): the steps' limits add up")
    assert got[1][2].startswith("items[1] (001033002000) (item_type): item type 01 differs")
    assert await _versions(s) == []
    # A county may read but not write the province's catalog: nothing written either.
    county = at("county", "county_admin")
    with pytest.raises(PermissionDenied):
        await exchange.import_catalog(s, county, "34", sample_catalog())
    assert await _versions(s) == []


async def test_business_item_needs_its_parent_in_the_catalog_or_file(world):
    s = world
    with pytest.raises(Invalid) as e:
        await exchange.import_catalog(s, SYSTEM, "34", CatalogDocument("34", (MARRIAGE_SUB,)))
    assert codes(e) == ["catalog.parent_not_found"]
    report = await exchange.import_catalog(s, SYSTEM, "34",
                                           CatalogDocument("34", (MARRIAGE, MARRIAGE_SUB)))
    assert report.counts == {"created": 2}


async def test_implementation_lists_round_trip_through_adopt_item(world):
    implementation = pytest.importorskip("zhengwu.core.catalog.implementation")
    s = world
    await exchange.import_catalog(s, SYSTEM, "34", sample_catalog(), publish=True)
    county = at("county", "county_admin")
    data = exchange.implementations_to_xlsx(IMPLEMENTATIONS)
    doc = exchange.read_implementations(data, name="list.xlsx")
    report = await exchange.import_implementations(s, county, "341881", doc)
    assert report.counts == {"adopted": 2}
    listed = await implementation.list_implementations(s, county, tenant_code="341881")
    assert len(listed) == 2
    exported = await exchange.export_implementations(s, county, "341881")
    # Exported explicitly: the second's "every catalog material/fee" became the full lists.
    first, second = exported.implementations
    assert first == IMPLEMENTATIONS.implementations[0]
    assert second.materials == (LocalMaterial(1),) and second.fees == ()
    assert dataclasses.replace(second, materials=None, fees=None) == \
        IMPLEMENTATIONS.implementations[1]
    again = await exchange.import_implementations(
        s, county, "341881", exchange.read_implementations_json(
            exchange.dumps(exchange.implementations_to_json(exported))))
    assert again.counts == {"unchanged": 2}
    # A raised fee is refused by the service, named with its row; nothing written.
    raised = dataclasses.replace(first, fees=(LocalFee(1, 60_000),))
    with pytest.raises(Invalid) as e:
        await exchange.import_implementations(
            s, county, "341881", ImplementationDocument("341881", (raised,), source="r.json"))
    assert e.value.params["problems"][0].en.startswith("implementations[0] (000104002000)")


# ---------------------------------------------------------------------------------- CLI

@pytest.fixture
def catalog_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the root CLI if it has ``catalog`` already; else mount our app on a bare root."""
    from zhengwu.cli import catalog

    names = {g.name for g in cli.app.registered_groups}
    if "catalog" not in names:
        root = typer.Typer()
        root.add_typer(catalog.app, name="catalog")
        monkeypatch.setattr(cli, "app", root)


async def test_cli_import_export(world, settings, monkeypatch, catalog_cli, tmp_path):
    src = tmp_path / "catalog.json"
    src.write_bytes(exchange.dumps(exchange.catalog_to_json(sample_catalog())))
    dry = await invoke_cli(monkeypatch, settings, "catalog", "import", str(src), "--owner", "34",
                           "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "created" in dry.output and "dry run" in dry.output
    ok = await invoke_cli(monkeypatch, settings, "catalog", "import", str(src), "--owner", "34",
                          "--publish")
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "out.xlsx"
    exp = await invoke_cli(monkeypatch, settings, "catalog", "export", "--owner", "34",
                           "--format", "xlsx", "-o", str(out))
    assert exp.exit_code == 0, exp.output
    assert exchange.read_catalog_xlsx(out.read_bytes()).items == normalised(sample_catalog())
    ld = tmp_path / "item.jsonld"
    one = await invoke_cli(monkeypatch, settings, "catalog", "export", "--owner", "34",
                           "--format", "jsonld", "--item", "000104002000", "-o", str(ld))
    assert one.exit_code == 0, one.output
    assert json.loads(ld.read_text())["@type"] == "cpsv:PublicService"
    again = await invoke_cli(monkeypatch, settings, "catalog", "import", str(out), "--owner", "34")
    assert again.exit_code == 0 and "unchanged" in again.output
    # A bad workbook: every problem listed with its sheet and row, exit 1.
    wb = load_workbook(out)
    wb["事项"]["C2"] = "99"
    wb["收费"].merge_cells("E2:E3")
    wb.save(out)
    bad = await invoke_cli(monkeypatch, settings, "catalog", "import", str(out), "--owner", "34")
    assert bad.exit_code == 1
    assert "merged cells E2:E3" in bad.output and "row 2" in bad.output
    async with _count(world) as before:
        pass
    assert before == 4


async def test_cli_imports_a_shared_file_with_its_report(world, settings, monkeypatch,
                                                         catalog_cli, tmp_path):
    report = tmp_path / "report.csv"
    res = await invoke_cli(monkeypatch, settings, "catalog", "import",
                           str(FIXTURES / "detailed-items.csv"), "--owner", "34",
                           "--report", str(report))
    assert res.exit_code == 0, res.output
    assert "5 item(s)" in res.output and "needs a basic code" in res.output
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("line,status,basic_code") and len(lines) == 9
    again = await invoke_cli(monkeypatch, settings, "catalog", "import",
                             str(FIXTURES / "detailed-items.csv"), "--owner", "34")
    assert again.exit_code == 0 and "unchanged" in again.output
    async with _count(world) as n:
        pass
    assert n == 5


class _count:
    """``async with _count(session) as n``: the number of catalog rows."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> int:
        await self.session.rollback()
        return int(await self.session.scalar(select(func.count()).select_from(CatalogItem)))

    async def __aexit__(self, *exc: object) -> None:
        return None


def test_sheet_layout_is_documented() -> None:
    assert CATALOG_SHEETS["申请材料"][:3] == ("基本编码", "序号", "材料名称")
    assert exchange.FIELDS["item"][0].header == "基本编码"
