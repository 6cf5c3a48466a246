"""The shared service-item CSV files read as they are: items where rows allow, a report per row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.core.catalog_exchange import FIXTURES, at, build_world
from zhengwu.core.catalog import exchange
from zhengwu.core.catalog.models import CatalogItem, CatalogMaterial
from zhengwu.core.catalog.shared_files import read_shared_file
from zhengwu.core.errors import Invalid

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "service-items"
PROVINCE = at("province", "province_admin")


def test_detailed_items_give_five_items_and_say_what_the_rest_lack() -> None:
    f = read_shared_file(FIXTURES / "detailed-items.csv")
    assert f.counts == {"rows": 8, "item": 5, "superseded": 2, "needs_basic_code": 1,
                        "incomplete": 0}
    assert f.lack_counts == {"superseded": 2, "no_basic_code": 1, "no_item_type": 1,
                             "no_use_level": 1, "no_case_type": 1, "no_fee_info": 1}
    assert [(r.line, r.status) for r in f.rows] == [
        (2, "item"), (3, "superseded"), (4, "item"), (5, "superseded"), (6, "item"),
        (7, "item"), (8, "item"), (9, "needs_basic_code")]
    assert [i.basic_code for i in f.items] == ["000104002000", "000141005000", "00014100500001",
                                               "001033002000", "452004020000"]
    energy = f.items[0]
    assert (energy.name, energy.item_type, energy.use_levels, energy.statutory_days,
            energy.case_type, energy.max_visits, energy.is_free, energy.applicant_types) == (
        "固定资产投资项目节能审查", "01", (4,), 20, 2, 1, True, (2, 3, 4, 6))
    assert [m.name for m in energy.materials] == ["申请书", "节能报告"]
    assert energy.legal_basis and energy.legal_basis.startswith("《固定资产投资项目节能办法》")
    # Two versions of 001033002000 (task_version 11, 12): the newer, line 4, is kept.
    assert f.rows[1].superseded_by == 4 and "line 4 (12) is kept" in f.rows[1].lacks[0].en
    # The 33-character business_item_code makes lines 5/6 a business-handling item.
    business = f.items[2]
    assert (business.parent_code, len(business.materials)) == ("000141005000", 5)
    assert f.rows[3].superseded_by == 6
    # The Guangzhou row has no basic code: one is suggested by its implementation code, not used.
    gz = f.rows[7]
    assert gz.item is None and gz.basic_code is None
    assert gz.lacks[0].code == "catalog_import.no_basic_code"
    assert gz.lacks[0].params["suggested"] == "442011817001"
    assert gz.lacks[0].zh.startswith("第 9 行：没有基本编码")


def test_liaoning_catalog_rows_lack_limits_and_one_has_type_99() -> None:
    f = read_shared_file(FIXTURES / "liaoning-catalog-sample.csv")
    # Records start on lines 2, 8, 11, 16: the legal-basis cells span several lines.
    assert [(r.line, r.basic_code) for r in f.rows] == [
        (2, "210973001000"), (8, "000524018000"), (11, "219964005000"), (16, "212011084000")]
    assert f.counts == {"rows": 4, "item": 0, "superseded": 0, "needs_basic_code": 0,
                        "incomplete": 4}
    assert f.lack_counts == {"no_case_type": 4, "no_statutory_days": 4, "no_materials": 4,
                             "no_fee_info": 4, "unknown_item_type": 1}
    assert f.rows[2].lack_codes()[0] == "unknown_item_type"
    assert "99" in f.rows[2].lacks[0].en
    blocking = [p.code for p in f.rows[0].lacks if p.params["blocking"]]
    assert blocking == ["catalog_import.no_statutory_days"]


def test_guangan_rows_need_a_basic_code_and_keep_their_local_code() -> None:
    f = read_shared_file(FIXTURES / "guangan-district-items.csv")
    assert f.counts == {"rows": 5, "item": 0, "superseded": 0, "needs_basic_code": 5,
                        "incomplete": 0}
    assert f.lack_counts == {"no_basic_code": 5, "no_use_level": 5, "no_case_type": 5,
                             "no_statutory_days": 5, "no_materials": 5, "no_fee_info": 5}
    assert [r.local_code for r in f.needs_basic_code][:3] == [
        "511Z07001006", "511A0138000000", "G-000007-001"]
    first = f.rows[0]
    assert first.basic_code is None and first.item is None
    assert first.lacks[0].en == ("line 2: no basic code: needs a basic code; local code "
                                 "511Z07001006 kept")


def test_prerequisite_list_rows_have_names_only() -> None:
    f = read_shared_file(FIXTURES / "business-registration-prerequisites-2017.csv")
    assert f.counts["needs_basic_code"] == 3 and f.items == ()
    assert [r.name for r in f.rows] == ["证券公司设立审批", "烟草专卖生产企业许可证核发",
                                        "营利性民办学校(营利性民办培训机构)办学许可"]
    assert set(f.rows[0].lack_codes()) == {"no_basic_code", "no_item_type", "no_use_level",
                                           "no_case_type", "no_statutory_days", "no_materials",
                                           "no_fee_info"}


def test_a_file_without_the_common_columns_is_refused() -> None:
    with pytest.raises(Invalid) as e:
        read_shared_file(b"code,name\n1,x\n", name="other.csv")
    assert e.value.code == "catalog_import.bad_document"
    assert "basic_code" in e.value.en


def test_bad_codes_and_types_in_rows() -> None:
    header = ("basic_code,name,item_type,use_level,legal_basis,statutory_days,promised_days,"
              "case_type,implementing_body,implementation_code,materials,fees,visits,source\n")
    rows = ("0001040020,短编码,01,4,,20,,,,,申请书,is_fee=0,1,t\n"
            "000104002000,类型不符,07,4,,20,,,,,申请书,is_fee=0,1,t\n"
            "000104002000,层级不对,01,\"4,8\",,20,,,,,申请书,is_fee=0,1,t\n"
            "000104002000,即办件无时限,01,4,,,,即办件,,,1.申请书；2.身份证,is_fee=1,x,t\n")
    f = read_shared_file((header + rows).encode(), name="bad.csv")
    assert [r.lack_codes() for r in f.rows] == [
        ["bad_basic_code", "no_case_type"],
        ["item_type_mismatch", "no_case_type"],
        ["bad_use_level", "no_case_type"],
        ["fee_items_unlisted", "bad_visits"],
    ]
    instant = f.rows[3].item
    assert instant is not None and instant.case_type == 1 and instant.statutory_days is None
    assert [m.name for m in instant.materials] == ["申请书", "身份证"] and not instant.is_free


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared/data/service-items here")
def test_the_whole_shared_files_as_they_are() -> None:
    counts = {p.name: read_shared_file(p).counts for p in sorted(SHARED.glob("*.csv"))}
    assert counts["guangan-district-items.csv"]["needs_basic_code"] == 1135
    assert counts["liaoning-catalog-sample.csv"] == {"rows": 30, "item": 0, "superseded": 0,
                                                     "needs_basic_code": 0, "incomplete": 30}
    assert counts["detailed-items.csv"]["item"] == 5
    assert counts["business-registration-prerequisites-2017.csv"]["needs_basic_code"] == 31


@pytest.fixture
async def world(system_session):
    await build_world(system_session)
    return system_session


async def test_import_through_the_services_is_idempotent(world):
    s = world
    doc = read_shared_file(FIXTURES / "detailed-items.csv").document("34")
    assert doc.where[0].line == 2 and doc.where[0].en == "line 2 (000104002000)"
    report = await exchange.import_catalog(s, PROVINCE, "34", doc, publish=True)
    assert report.counts == {"created": 5, "published": 5}
    again = await exchange.import_catalog(
        s, PROVINCE, "34", read_shared_file(FIXTURES / "detailed-items.csv").document("34"),
        publish=True)
    assert again.counts == {"unchanged": 5}
    await s.rollback()
    rows = (await s.execute(select(CatalogItem.basic_code, CatalogItem.version,
                                   CatalogItem.status, CatalogItem.parent_id.is_not(None))
                            .order_by(CatalogItem.basic_code))).all()
    assert [tuple(r) for r in rows] == [
        ("000104002000", 1, "published", False), ("000141005000", 1, "published", False),
        ("00014100500001", 1, "published", True), ("001033002000", 1, "published", False),
        ("452004020000", 1, "published", False)]
    assert len((await s.scalars(select(CatalogMaterial))).all()) == 2 + 5 + 5 + 1 + 9
