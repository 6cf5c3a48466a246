"""Exchange formats (JSON, Excel, CPSV-AP JSON-LD) and the shared-file importer.

Items: the catalog tests' real items (``tests.core.catalog``) plus 结婚登记 (行政确认, 即办件,
with a fee) and one business-handling item of it, so every element group has rows.
"""

from __future__ import annotations

from pathlib import Path

from tests.core.catalog import CREDIT, CREDIT_2, ENERGY, FITNESS, PATHS, at, build_world
from zhengwu.core.catalog.exchange import CatalogDocument
from zhengwu.core.catalog.inputs import NewFee, NewItem, NewMaterial, NewStep

__all__ = ["CREDIT", "CREDIT_2", "ENERGY", "FITNESS", "FIXTURES", "MARRIAGE", "MARRIAGE_SUB",
           "PATHS", "at", "build_world", "sample_catalog"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "service-items"

MARRIAGE = NewItem(
    basic_code="340713001000", name="结婚登记", item_type="07", use_levels=(4,), case_type=1,
    legal_basis="《婚姻登记条例》第四条", conditions="男女双方自愿，达到法定婚龄",
    applicant_types=(1,), result_type="证照", result_name="结婚证", is_free=False,
    materials=(NewMaterial("居民身份证", form="both", originals=1, copies=1),
               NewMaterial("户口簿", originals=1),
               NewMaterial("近期半身免冠合影照片", copies=3, required=False,
                           sample_url="https://example.invalid/photo.png")),
    fees=(NewFee("结婚证工本费", "9 元/本", max_amount_cents=900, basis="计价格〔2001〕1805号",
                 reducible=True, reduction_basis="低保对象免收"),),
    steps=(NewStep("受理", 0, "窗口"), NewStep("审查", 0), NewStep("颁证", 0, "登记员")),
)
MARRIAGE_SUB = NewItem(
    basic_code="34071300100001", name="内地居民结婚登记", item_type="07", use_levels=(4,),
    case_type=1, parent_code="340713001000", is_free=False,
    materials=(NewMaterial("居民身份证", originals=1),),
    fees=(NewFee("结婚证工本费", "9 元/本", max_amount_cents=900),),
)


def sample_catalog(owner: str = "34") -> CatalogDocument:
    return CatalogDocument(owner=owner, items=(ENERGY, FITNESS, MARRIAGE, MARRIAGE_SUB))
