"""Division codes (统计用区划代码): parsing, tiers, parents and the kind hint.

A code is 2+2+2+3+3 digits (province, city, county, township, village). We store the
*short form* — 2, 4, 6, 9 or 12 digits, the length naming the tier — and accept on input:

* the short forms themselves (``34``, ``3418``, ``341881``, ``341881204``, ``341881204201``);
* the official padded 12-digit form (``340000000000`` → ``34``, ``341881204000`` → ``341881204``);
* the six-digit GB/T 2260 form of a province (``340000`` → ``34``).

Below the city, a segment may be all zeros: the national table has counties such as 东莞市
``441900`` and 中山市 ``442000`` (cities without counties) and the placeholder township
``350527000``. So six digits ending in ``00`` are a county, not a city in GB/T form (write a
city as four digits or padded to twelve), and a 12-digit code ending in ``000`` is read as the
padded form of its parent — the national CSV, which names the tier, is not ambiguous.

The kind (乡/镇/街道/苏木…, 村委会/居委会/社区/嘎查…) is a *hint* from the code's range and
the name (domain-reference §6.2: the ranges have known exceptions), never validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from zhengwu.core.errors import Invalid

__all__ = [
    "DivisionCode",
    "Tier",
    "kind_hint",
    "parse_code",
    "tier_of_length",
]


class Tier(StrEnum):
    """Tier of a tenant. ``platform`` is the operator's root above the provinces."""

    PLATFORM = "platform"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"

    @property
    def depth(self) -> int:
        return _DEPTH[self]

    @property
    def child(self) -> Tier | None:
        order = list(Tier)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None

    @property
    def parent(self) -> Tier | None:
        order = list(Tier)
        i = order.index(self)
        return order[i - 1] if i > 0 else None

    @property
    def zh(self) -> str:
        return _ZH[self]


_DEPTH = {Tier.PLATFORM: 0, Tier.PROVINCE: 1, Tier.CITY: 2, Tier.COUNTY: 3,
          Tier.TOWNSHIP: 4, Tier.VILLAGE: 5}
_ZH = {Tier.PLATFORM: "平台", Tier.PROVINCE: "省级", Tier.CITY: "地级", Tier.COUNTY: "县级",
       Tier.TOWNSHIP: "乡级", Tier.VILLAGE: "村级"}
_LENGTH_TIER = {2: Tier.PROVINCE, 4: Tier.CITY, 6: Tier.COUNTY, 9: Tier.TOWNSHIP,
                12: Tier.VILLAGE}
_TIER_LENGTH = {t: n for n, t in _LENGTH_TIER.items()}
PLATFORM_CODE = "0"
"""Code of the platform root tenant (not a division code)."""

_DIGITS = re.compile(r"[0-9]+")


def tier_of_length(length: int) -> Tier | None:
    return _LENGTH_TIER.get(length)


@dataclass(frozen=True, slots=True)
class DivisionCode:
    """A parsed division code in its short form."""

    short: str

    @property
    def tier(self) -> Tier:
        return _LENGTH_TIER[len(self.short)]

    @property
    def padded(self) -> str:
        """The official 12-digit form."""
        return self.short.ljust(12, "0")

    @property
    def parent(self) -> DivisionCode | None:
        """The parent implied by the code (None for a province)."""
        parent_tier = self.tier.parent
        if parent_tier is None or parent_tier is Tier.PLATFORM:
            return None
        return DivisionCode(self.short[: _TIER_LENGTH[parent_tier]])

    @property
    def segment(self) -> str:
        """The digits this tier adds (e.g. ``204`` for a township)."""
        parent = self.parent
        return self.short[len(parent.short):] if parent else self.short

    def ancestors(self) -> list[DivisionCode]:
        """Ancestors implied by the code, province first."""
        out: list[DivisionCode] = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]

    def __str__(self) -> str:
        return self.short


def _bad(code: object, zh: str, en: str) -> Invalid:
    return Invalid("tenant.bad_code", f"区划代码 {code!s} 无效：{zh}",
                   f"bad division code {code!s}: {en}", field="code", value=str(code))


def parse_code(raw: str | int) -> DivisionCode:
    """Parse a division code in any accepted form into its short form.

    >>> parse_code("340000000000").short
    '34'
    >>> parse_code(" 341881204 ").tier
    <Tier.TOWNSHIP: 'township'>
    >>> parse_code("441900").tier   # 东莞市 in the county tier of the national table
    <Tier.COUNTY: 'county'>
    """
    code = str(raw).strip()
    if not code:
        raise _bad(raw, "为空", "empty")
    if not _DIGITS.fullmatch(code):
        raise _bad(raw, "只能包含数字", "digits only")
    n = len(code)
    if n == 12:
        # Padded official form: strip all-zero trailing segments, tier by tier.
        for length, tail in ((2, 10), (4, 8), (6, 6), (9, 3)):
            if code[length:] == "0" * tail:
                code = code[:length]
                break
    elif n == 6 and code[2:] == "0000":
        code = code[:2]
    if len(code) not in _LENGTH_TIER:
        raise _bad(raw, "长度应为 2、4、6、9 或 12 位", "length must be 2, 4, 6, 9 or 12 digits")
    # The province and city segments are never zero (lower ones can be: see the docstring).
    for start, end in ((0, 2), (2, 4)):
        if end <= len(code) and int(code[start:end]) == 0:
            raise _bad(raw, f"第 {start + 1}–{end} 位不能全为 0",
                       f"digits {start + 1}-{end} must not all be zero")
    return DivisionCode(code)


_TOWNSHIP_NAME_KINDS = {"街道办事处": "街道", "街道": "街道", "苏木": "苏木", "民族乡": "民族乡",
                        "镇": "镇", "乡": "乡"}
_VILLAGE_NAME_KINDS = {"嘎查委员会": "嘎查", "嘎查": "嘎查", "社区居委会": "社区",
                       "社区居民委员会": "社区", "社区": "社区", "居委会": "居委会",
                       "居民委员会": "居委会", "村委会": "村委会", "村民委员会": "村委会"}
_SUFFIX_LENGTHS = (7, 5, 3, 2, 1)  # longest first: 社区居委会 before 居委会


def kind_hint(code: DivisionCode | str, name: str) -> str | None:
    """The kind of a township- or village-level unit, from the name first, then the range.

    Takes a ``DivisionCode`` or its short form (the importer calls it 600k times: plain
    dictionary lookups of the name's ending, no objects).

    >>> kind_hint(parse_code("152501200"), "格日勒敖都苏木")
    '苏木'
    >>> kind_hint("152501200201", "陶力嘎查")
    '嘎查'
    >>> kind_hint(parse_code("152501400"), "二连浩特市社区建设管理局")
    '类似乡级单位'
    """
    short = code.short if isinstance(code, DivisionCode) else code
    if len(short) == 9:
        table, n = _TOWNSHIP_NAME_KINDS, int(short[6:])
    elif len(short) == 12:
        table, n = _VILLAGE_NAME_KINDS, int(short[9:])
    else:
        return None
    name = name.strip()
    for length in _SUFFIX_LENGTHS:
        kind = table.get(name[-length:])
        if kind is not None:
            return kind
    if table is _TOWNSHIP_NAME_KINDS:
        return "街道" if n < 100 else "镇" if n < 200 else "乡" if n < 400 else "类似乡级单位"
    return "居委会" if n < 200 else "村委会" if n < 400 else "类似居委会" if n < 500 else "类似村委会"
