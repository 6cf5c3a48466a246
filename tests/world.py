"""A small realistic world for tests: real divisions from two provinces.

安徽省 34 → 宣城市 3418 → 宁国市 341881 (→ 方塘乡 341881204 → 方塘村 / 双村) and
宣州区 341802 (→ 西林街道 341802001 → 城西社区), plus 内蒙古 15 → 锡林郭勒盟 1525 →
二连浩特市 152501 (→ 格日勒敖都苏木 152501200 → 陶力嘎查) as the other province.

Every test can attack from a sibling (宣州区 vs 宁国市), a child, a parent and another
province. ``PATHS`` names them for readability.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.security.principal import Principal
from zhengwu.tenants import provisioning

DIVISIONS = [
    ("34", "安徽省"), ("3418", "宣城市"), ("341881", "宁国市"), ("341881204", "方塘乡"),
    ("341881204200", "方塘村委会"), ("341881204201", "双村村委会"), ("341881100", "港口镇"),
    ("341802", "宣州区"), ("341802001", "西林街道"), ("341802001001", "城西社区居委会"),
    ("15", "内蒙古自治区"), ("1525", "锡林郭勒盟"), ("152501", "二连浩特市"),
    ("152501200", "格日勒敖都苏木"), ("152501200201", "陶力嘎查"),
]

PATHS = {
    "province": "34",
    "city": "34/3418",
    "county": "34/3418/341881",
    "township": "34/3418/341881/341881204",
    "village": "34/3418/341881/341881204/341881204200",
    "sibling_county": "34/3418/341802",
    "sibling_township": "34/3418/341881/341881100",
    "sibling_village": "34/3418/341881/341881204/341881204201",
    "other_province": "15",
    "other_county": "15/1525/152501",
}


async def build_world(session: AsyncSession) -> dict[str, str]:
    """Create the divisions above (as the operator) and commit. Returns ``PATHS``."""
    system = Principal.system()
    for code, name in DIVISIONS:
        await provisioning.create_tenant(session, system, code, name)
    await session.commit()
    return PATHS
