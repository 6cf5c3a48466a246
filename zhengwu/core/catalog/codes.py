"""Codes of the service-item standard: basic codes, credit codes, implementation codes,
and the national enumerations (domain-reference §1.2–1.3).

* **Basic code** (基本编码), 12 characters: 2 owner (``00`` national or a province code) +
  2 item type + 2 department + 3 main item + 3 sub-item, the sub-item being ``000`` (no
  sub-items), ``00Y`` (a main item that has sub-items) or ``001``… (a sub-item). A
  **business-handling item** (业务办理项) is a basic code + 2 digits.
* **Unified social credit code** (统一社会信用代码, GB 32100-2015), 18 characters with a
  weighted mod-31 check character.
* **Implementation code** (实施编码), 31 characters = credit code + exercising-level digit +
  basic code (checked against real county and provincial records).
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum

from zhengwu.core.errors import Invalid

__all__ = [
    "ITEM_TYPES",
    "CaseType",
    "PowerSource",
    "UseLevel",
    "credit_check_char",
    "implementation_code",
    "parse_basic_code",
    "validate_credit_code",
]

ITEM_TYPES: dict[str, str] = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
    "06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
    "20": "公共服务",
}
"""The national item types (事项类型)."""


class UseLevel(IntEnum):
    """行使层级: the tier an item is exercised at (a catalog item holds several)."""

    NATIONAL = 1
    PROVINCE = 2
    CITY = 3
    COUNTY = 4
    TOWNSHIP = 5
    VILLAGE = 6

    @classmethod
    def of_tier(cls, tier: str) -> UseLevel:
        return {"province": cls.PROVINCE, "city": cls.CITY, "county": cls.COUNTY,
                "township": cls.TOWNSHIP, "village": cls.VILLAGE, "platform": cls.NATIONAL}[tier]


class CaseType(IntEnum):
    INSTANT = 1  # 即办件
    PROMISED = 2  # 承诺件


class PowerSource(IntEnum):
    """权力来源 (national exchange codes)."""

    STATUTORY = 1  # 法定本级行使
    DELEGATED = 2  # 上级下放
    AUTHORISED = 3  # 上级授权
    PEER_AUTHORISED = 4  # 同级授权
    ENTRUSTED = 5  # 上级委托
    PEER_ENTRUSTED = 6  # 同级委托


class SubItemForm(StrEnum):
    NONE = "none"  # 000: a main item without sub-items
    MAIN_WITH_SUBS = "main"  # 00Y: a main item that has sub-items
    SUB = "sub"  # 001…: a sub-item


_BASIC = re.compile(r"(?P<owner>\d{2})(?P<type>\d{2})(?P<dept>[0-9A-Z]{2})(?P<main>\d{3})"
                    r"(?P<sub>\d{3}|00Y)(?P<business>\d{2})?")


def _bad_code(code: str, zh: str, en: str) -> Invalid:
    return Invalid("catalog.bad_basic_code", f"基本编码 {code} 无效：{zh}",
                   f"bad basic code {code}: {en}", field="basic_code", value=code)


def parse_basic_code(code: str) -> tuple[str, SubItemForm, bool]:
    """Check a basic code (12 characters, or 14 for a business-handling item).

    Returns (item type, sub-item form, is business item).

    >>> parse_basic_code("00016421300Y")
    ('01', <SubItemForm.MAIN_WITH_SUBS: 'main'>, False)
    >>> parse_basic_code("00016421300301")[2]
    True
    """
    code = (code or "").strip().upper()
    if len(code) not in (12, 14):
        raise _bad_code(code, "应为 12 位（业务办理项 14 位）", "must be 12 characters (14 for a "
                        "business-handling item)")
    m = _BASIC.fullmatch(code)
    if m is None:
        raise _bad_code(code, "结构应为 2位归属+2位类型+2位部门+3位主项+3位子项",
                        "structure is owner(2) type(2) dept(2) main(3) sub(3)")
    if m["type"] not in ITEM_TYPES:
        raise _bad_code(code, f"第 3–4 位事项类型 {m['type']} 不在国家编码中",
                        f"item type digits {m['type']} are not a national item type")
    if int(m["main"]) == 0:
        raise _bad_code(code, "主项序号不能为 000", "main item number must not be 000")
    sub = m["sub"]
    form = (SubItemForm.MAIN_WITH_SUBS if sub == "00Y" else
            SubItemForm.NONE if sub == "000" else SubItemForm.SUB)
    business = m["business"] is not None
    if business and (form is SubItemForm.MAIN_WITH_SUBS or m["business"] == "00"):
        raise _bad_code(code, "业务办理项应为无子项或子项编码加 01–99",
                        "a business-handling item is an item or sub-item code + 01–99")
    return m["type"], form, business


_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters.

    >>> credit_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str, field: str = "credit_code") -> str:
    """A unified social credit code (18 characters, checksum) or ``Invalid``."""
    code = (code or "").strip().upper()
    if len(code) != 18 or any(c not in _CREDIT_ALPHABET for c in code):
        raise Invalid("catalog.bad_credit_code", f"统一社会信用代码 {code} 格式无效（18 位，不含 I O Z S V）",
                      f"bad unified social credit code {code}: 18 characters of the GB 32100 alphabet",
                      field=field, value=code)
    if credit_check_char(code[:17]) != code[17]:
        raise Invalid("catalog.bad_credit_checksum", f"统一社会信用代码 {code} 校验位错误",
                      f"unified social credit code {code} fails its check character",
                      field=field, value=code)
    return code


def implementation_code(credit_code: str, level: int, basic_code: str) -> str:
    """实施编码 = credit code (18) + exercising-level digit + basic code (12).

    >>> implementation_code("11450721MB15580811", 4, "000104002000")  # 灵山县行政审批局
    '11450721MB155808114000104002000'
    """
    return f"{validate_credit_code(credit_code)}{int(level)}{basic_code.strip().upper()}"
