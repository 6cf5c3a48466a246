"""Shared data of the catalog tests: real items and credit codes, principals of the world.

Items come from ``../shared/data/service-items/detailed-items.csv`` (copied here: a
newcomer's machine has no ``../shared``): 000104002000 固定资产投资项目节能审查 (行政许可,
statutory 20 working days, promised 5 at 灵山县行政审批局, 11450721MB15580811) and
001033002000 全民健身设施拆迁或者改变用途批准 (其他行政权力, statutory 66, promised 24). The
forestry item 00016421300Y / 000164213003 and its business-handling items 00016421300301/02
are the Yunnan 林木采伐许可证核发 example of domain-reference §1.2.
"""

from __future__ import annotations

from tests.world import PATHS, build_world
from zhengwu.core.catalog.inputs import NewFee, NewImplementation, NewItem, NewMaterial, NewStep
from zhengwu.core.security.principal import GrantRef, Principal

__all__ = ["CREDIT", "CREDIT_2", "ENERGY", "FITNESS", "PATHS", "TIERS", "at", "build_world",
           "energy_impl"]

CREDIT = "11450721MB15580811"  # 灵山县行政审批局 (real, valid)
CREDIT_2 = "11450721348531435D"  # 灵山县文化广电体育和旅游局 (real, valid)

TIERS = {"province": "province", "city": "city", "county": "county", "township": "township",
         "village": "village", "sibling_county": "county", "sibling_township": "township",
         "sibling_village": "village", "other_province": "province", "other_county": "county"}

ENERGY = NewItem(
    basic_code="000104002000", name="固定资产投资项目节能审查", item_type="01",
    use_levels=(3, 4), statutory_days=20, case_type=2, max_visits=1, online_depth=3,
    legal_basis="《固定资产投资项目节能办法》(2016年国家发改委令第44号) 第三条",
    applicant_types=(2, 3),
    materials=(NewMaterial("申请书", originals=1), NewMaterial("节能报告", originals=1, copies=2),
               NewMaterial("项目备案证明", required=False, copies=1)),
    # Illustrative fee (the source item is free): an expert-review charge capped at 500 元.
    fees=(NewFee("节能评审费", "每件不超过 500 元", max_amount_cents=50_000,
                 basis="illustrative"),),
    steps=(NewStep("受理", 1), NewStep("审查", 15), NewStep("决定", 4)),
)

FITNESS = NewItem(
    basic_code="001033002000", name="全民健身设施拆迁或者改变用途批准", item_type="10",
    use_levels=(4,), statutory_days=66, case_type=2, max_visits=1,
    legal_basis="《公共文化体育设施条例》（国务院令第382号）第二十七条",
    materials=(NewMaterial("申请表", originals=1),),
)


def at(key: str, role: str, *, local: bool = False) -> Principal:
    """A principal acting at ``PATHS[key]`` with ``role`` granted there."""
    path = PATHS[key]
    return Principal(None, f"{role}@{key}", None, path, None, path, TIERS[key],
                     (GrantRef(role, path, subtree=not local),))


def energy_impl(**changes: object) -> NewImplementation:
    base: dict[str, object] = dict(basic_code="000104002000", department_name="宁国市发展和改革委员会",
                                   department_credit_code=CREDIT, promised_days=5, max_visits=1)
    base.update(changes)
    return NewImplementation(**base)  # type: ignore[arg-type]
