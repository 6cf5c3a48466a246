"""Exchange formats of the catalog and of implementation lists: JSON and Excel, both ways.

Two layers:

* **Documents** (no database): ``CatalogDocument`` / ``ImplementationDocument`` hold the typed
  inputs of the services (``NewItem`` …, ``NewImplementation`` …). ``read_*_json`` and
  ``read_*_xlsx`` check a file completely and raise **one** ``Invalid``
  (``catalog_import.invalid``, ``params["problems"]``: every problem, each naming the item
  and element — in JSON by index and code, in Excel by sheet, row and column) or return the
  document; ``*_to_json`` / ``*_to_xlsx`` write one.
* **Database** (``export_*`` / ``import_*``): reading goes by the tables (in the caller's
  scope); writing goes *through the catalog services* (``create_item``, ``publish_item``,
  ``adopt_item``), so every rule of the standard applies. An import is all or nothing: every
  item is tried in one transaction; when the services reject some, each rejection is
  recorded with its item, the transaction is rolled back and the accepted ones are replayed,
  so that *all* rejections are reported, and then nothing is committed. Re-importing the same
  content changes nothing (same code and same elements → ``unchanged``, no new version).

JSON (``version`` 1)::

    {"format": "zhengwu.catalog", "version": 1, "owner": "34",
     "items": [{"basic_code": "000104002000", "name": "…", "item_type": "01",
                "use_levels": [4], "statutory_days": 20, "case_type": 2, …,
                "materials": [{"name": "申请书", "form": "paper", "originals": 1, …}],
                "fees": [{"name": "…", "standard": "…", …}],
                "steps": [{"name": "受理", "limit_days": 1, "role": null}]}]}

    {"format": "zhengwu.implementations", "version": 1, "tenant": "341881",
     "implementations": [{"basic_code": "…", "department_name": "…",
                          "department_credit_code": "…", "promised_days": 5, …,
                          "materials": [{"seq": 1, "required": true}] | null,
                          "fees": [{"seq": 1, "amount_cents": 1000}] | null}]}

Every key of the typed inputs may appear (``FIELDS`` lists them); absent optional keys take
the input's default, unknown keys are errors (a typo must not be dropped silently).
``materials``/``fees`` ``null`` in an implementation mean "every catalog material/fee as is".
Export-only keys (``version``, ``status`` of an item; ``implementation_code``, ``status`` of
an implementation) are accepted and ignored on import.

Excel: one sheet per element group, Chinese headers in row 1, one record per row; rows of
the element sheets are linked to their item by 基本编码 (and, for implementations, by
实施主体统一社会信用代码). Catalog: 事项, 申请材料, 收费, 办理流程. Implementation list:
实施清单, 选用材料, 适用收费. Every sheet and every column of the layout must be present
(extra columns are ignored); merged cells are refused (they hide which row a value belongs
to); codes must be text cells (a number loses its leading zeros).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.codes import ITEM_TYPES, parse_basic_code
from zhengwu.core.catalog.inputs import (
    LocalFee,
    LocalMaterial,
    NewFee,
    NewImplementation,
    NewItem,
    NewMaterial,
    NewStep,
)
from zhengwu.core.catalog.models import (
    CatalogFee,
    CatalogItem,
    CatalogMaterial,
    CatalogStep,
    ImplementationFee,
    ImplementationMaterial,
)
from zhengwu.core.errors import DomainError, Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal

__all__ = [
    "CATALOG_FORMAT",
    "CATALOG_SHEETS",
    "FIELDS",
    "FORMAT_VERSION",
    "IMPLEMENTATIONS_FORMAT",
    "IMPLEMENTATION_SHEETS",
    "CatalogDocument",
    "Col",
    "ImplementationDocument",
    "ImportReport",
    "Where",
    "catalog_to_json",
    "catalog_to_xlsx",
    "current_versions",
    "describe_items",
    "dumps",
    "export_catalog",
    "export_implementations",
    "implementations_to_json",
    "implementations_to_xlsx",
    "import_catalog",
    "import_implementations",
    "item_from_rows",
    "normalise_item",
    "read_catalog",
    "read_catalog_json",
    "read_catalog_xlsx",
    "read_implementations",
    "read_implementations_json",
    "read_implementations_xlsx",
]

CATALOG_FORMAT = "zhengwu.catalog"
IMPLEMENTATIONS_FORMAT = "zhengwu.implementations"
FORMAT_VERSION = 1

Source = str | os.PathLike[str] | bytes | BinaryIO


# --------------------------------------------------------------------------------------------
# Field layout: one table drives JSON keys, Excel headers and value conversion.

Kind = Literal["text", "opt_text", "int", "opt_int", "bool", "ints", "case", "form", "type",
               "code"]


@dataclass(frozen=True)
class Col:
    """One element: the input's attribute, its Chinese header and how its value is written."""

    attr: str
    header: str
    kind: Kind
    required: bool = False


ITEM_COLUMNS: tuple[Col, ...] = (
    Col("basic_code", "基本编码", "code", True),
    Col("name", "事项名称", "text", True),
    Col("item_type", "事项类型", "type", True),
    Col("use_levels", "行使层级", "ints", True),
    Col("statutory_days", "法定办结时限（工作日）", "opt_int"),
    Col("case_type", "办件类型", "case"),
    Col("legal_basis", "设定依据", "opt_text"),
    Col("conditions", "受理条件", "opt_text"),
    Col("quantity_limit", "数量限制", "opt_text"),
    Col("max_visits", "到办事现场次数", "opt_int"),
    Col("online_depth", "网上办理深度", "opt_int"),
    Col("applicant_types", "服务对象", "ints"),
    Col("result_type", "审批结果类型", "opt_text"),
    Col("result_name", "审批结果名称", "opt_text"),
    Col("is_free", "是否免费", "bool"),
    Col("parent_code", "所属事项基本编码", "code"),
)
MATERIAL_COLUMNS: tuple[Col, ...] = (
    Col("name", "材料名称", "text", True),
    Col("form", "材料形式", "form"),
    Col("originals", "原件份数", "int"),
    Col("copies", "复印件份数", "int"),
    Col("required", "是否必需", "bool"),
    Col("blank_form_url", "空白表格", "opt_text"),
    Col("sample_url", "示例样表", "opt_text"),
    Col("legal_basis", "要求提供材料的依据", "opt_text"),
)
FEE_COLUMNS: tuple[Col, ...] = (
    Col("name", "收费项目名称", "text", True),
    Col("standard", "收费标准", "text", True),
    Col("max_amount_cents", "最高金额（分）", "opt_int"),
    Col("basis", "收费依据", "opt_text"),
    Col("reducible", "是否允许减免", "bool"),
    Col("reduction_basis", "减免依据", "opt_text"),
)
STEP_COLUMNS: tuple[Col, ...] = (
    Col("name", "环节名称", "text", True),
    Col("limit_days", "办理时限（工作日）", "opt_int"),
    Col("role", "办理角色", "opt_text"),
)
IMPLEMENTATION_COLUMNS: tuple[Col, ...] = (
    Col("basic_code", "基本编码", "code", True),
    Col("department_name", "实施主体", "text", True),
    Col("department_credit_code", "实施主体统一社会信用代码", "code", True),
    Col("promised_days", "承诺办结时限（工作日）", "opt_int"),
    Col("max_visits", "到办事现场次数", "opt_int"),
    Col("power_source", "权力来源", "int"),
    Col("local_code", "地方实施编码", "opt_text"),
    Col("online", "是否网办", "bool"),
    Col("online_url", "网办地址", "opt_text"),
    Col("in_hall", "是否进驻政务大厅", "bool"),
    Col("not_in_hall_reason", "未进驻原因", "opt_text"),
    Col("appointment", "是否支持预约", "bool"),
    Col("courier", "是否支持物流快递", "bool"),
    Col("address", "办理地点", "opt_text"),
    Col("hours", "办理时间", "opt_text"),
    Col("phone", "咨询电话", "opt_text"),
)
LOCAL_MATERIAL_COLUMNS: tuple[Col, ...] = (
    Col("seq", "目录材料序号", "int", True),
    Col("required", "是否必需", "bool"),
)
LOCAL_FEE_COLUMNS: tuple[Col, ...] = (
    Col("seq", "目录收费序号", "int", True),
    Col("amount_cents", "收费金额（分）", "opt_int"),
)

FIELDS: dict[str, tuple[Col, ...]] = {
    "item": ITEM_COLUMNS, "material": MATERIAL_COLUMNS, "fee": FEE_COLUMNS, "step": STEP_COLUMNS,
    "implementation": IMPLEMENTATION_COLUMNS, "local_material": LOCAL_MATERIAL_COLUMNS,
    "local_fee": LOCAL_FEE_COLUMNS,
}
"""The elements of each record, in export order (JSON keys are the ``attr`` names)."""

_CODE = "基本编码"
_CREDIT = "实施主体统一社会信用代码"
_SEQ = "序号"
CATALOG_SHEETS: dict[str, tuple[str, ...]] = {
    "事项": tuple(c.header for c in ITEM_COLUMNS),
    "申请材料": (_CODE, _SEQ, *(c.header for c in MATERIAL_COLUMNS)),
    "收费": (_CODE, _SEQ, *(c.header for c in FEE_COLUMNS)),
    "办理流程": (_CODE, _SEQ, *(c.header for c in STEP_COLUMNS)),
}
"""Sheets of a catalog workbook and their columns (row 1), in order."""
IMPLEMENTATION_SHEETS: dict[str, tuple[str, ...]] = {
    "实施清单": tuple(c.header for c in IMPLEMENTATION_COLUMNS),
    "选用材料": (_CODE, _CREDIT, *(c.header for c in LOCAL_MATERIAL_COLUMNS)),
    "适用收费": (_CODE, _CREDIT, *(c.header for c in LOCAL_FEE_COLUMNS)),
}
"""Sheets of an implementation-list workbook and their columns (row 1), in order."""

_ELEMENT_ZH = {"materials": "申请材料", "fees": "收费", "steps": "办理流程"}

_CASE_ZH = {1: "即办件", 2: "承诺件"}
_FORM_ZH = {"paper": "纸质", "electronic": "电子", "both": "纸质和电子"}
_TRUE = {"是", "true", "1", "y", "yes", "t"}
_FALSE = {"否", "false", "0", "n", "no", "f"}


# --------------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class CatalogDocument:
    """A catalog as exchanged: the owner's code and its items (each with its elements)."""

    owner: str
    items: tuple[NewItem, ...]
    source: str = "<memory>"
    where: tuple[Where, ...] = ()
    """Where each item came from (same order as ``items``), for error messages."""

    def location(self, index: int) -> Where:
        return self.where[index] if index < len(self.where) else _json_where(index,
                                                                            self.items[index].basic_code)


@dataclass(frozen=True)
class ImplementationDocument:
    """A tenant's implementation list as exchanged."""

    tenant: str
    implementations: tuple[NewImplementation, ...]
    source: str = "<memory>"
    where: tuple[Where, ...] = ()

    def location(self, index: int) -> Where:
        return self.where[index] if index < len(self.where) else _json_where(
            index, self.implementations[index].basic_code, "implementations")


@dataclass(frozen=True)
class Where:
    """A place in a document, in both languages; ``line`` is an Excel row (or CSV line)."""

    zh: str
    en: str
    line: int | None = None


def _json_where(index: int, code: str | None, key: str = "items") -> Where:
    suffix_zh = f"（{code}）" if code else ""
    suffix_en = f" ({code})" if code else ""
    return Where(f"第 {index + 1} 项{suffix_zh}", f"{key}[{index}]{suffix_en}")


def _problem(code: str, where: Where, zh: str, en: str, *, field: str | None = None,
             **params: Any) -> InvalidField:
    return InvalidField(f"catalog_import.{code}", f"{where.zh}：{zh}", f"{where.en}: {en}",
                        field=field, line=where.line, params=params)


def _raise_problems(source: str, problems: list[InvalidField]) -> None:
    if problems:
        raise Invalid("catalog_import.invalid",
                      f"{source} 有 {len(problems)} 处错误，未导入任何数据",
                      f"{source}: {len(problems)} problem(s); nothing was imported",
                      field="file", problems=problems)


class _Bad(Exception):
    """A value that does not fit its element (converted into an ``InvalidField``)."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


# --------------------------------------------------------------------------------------------
# Values


def _convert(col: Col, value: Any, *, excel: bool) -> Any:
    """The input value of ``col`` from a JSON value or an Excel cell; ``_Bad`` if it does not fit.

    ``None`` (absent, null, empty cell, blank text) returns ``None``: the caller applies the
    default or reports a missing required value. JSON is strict about types; Excel also
    accepts digits typed as text and whole-number floats (Excel stores every number so).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    k = col.kind
    if k in ("text", "opt_text"):
        if isinstance(value, str):
            return value.strip()
        if excel and isinstance(value, int | float) and not isinstance(value, bool):
            return _number_text(value)
        raise _wrong("文本", "text", value)
    if k == "code":
        if isinstance(value, str):
            return value.strip().upper()
        raise _wrong("文本（编码须为文本格式，数字会丢失前导 0）",
                     "text (a code must be a text cell: a number loses its leading zeros)", value)
    if k == "type":
        v: str
        if isinstance(value, str) and value.strip().isdigit():
            v = value.strip().zfill(2)
        elif excel and _whole(value):
            v = f"{int(value):02d}"
        else:
            raise _wrong("两位数字的事项类型编码", "a two-digit item type code", value)
        if v not in ITEM_TYPES:
            raise _Bad("bad_value", f"事项类型 {v} 不在国家编码（01–10、20）中",
                       f"item type {v} is not a national item type (01–10, 20)")
        return v
    if k in ("int", "opt_int"):
        return _int(value, excel)
    if k == "bool":
        if isinstance(value, bool):
            return value
        if excel and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if excel and _whole(value) and int(value) in (0, 1):
            return bool(int(value))
        raise _wrong("是/否" if excel else "true/false", "是/否 (yes/no)" if excel else "a boolean",
                     value)
    if k == "ints":
        if excel:
            if _whole(value):
                return (int(value),)
            if not isinstance(value, str):
                raise _wrong("以逗号分隔的数字", "numbers separated by commas", value)
            parts = [p.strip() for p in value.replace("，", ",").replace("、", ",").split(",")]
            if not all(p.isdigit() for p in parts if p):
                raise _wrong("以逗号分隔的数字", "numbers separated by commas", value)
            return tuple(int(p) for p in parts if p)
        if not isinstance(value, list) or not all(_strict_int(v) for v in value):
            raise _wrong("整数数组", "a list of integers", value)
        return tuple(value)
    if k == "case":
        if isinstance(value, str) and value.strip() in ("即办件", "承诺件"):
            return 1 if value.strip() == "即办件" else 2
        case = _int(value, excel)
        if case not in (1, 2):
            raise _Bad("bad_value", f"办件类型应为 1（即办件）或 2（承诺件），而不是 {case}",
                       f"case type must be 1 (即办件) or 2 (承诺件), not {case}")
        return case
    if k == "form":
        if isinstance(value, str):
            v = value.strip()
            for key, zh in _FORM_ZH.items():
                if v in (key, zh):
                    return key
        raise _Bad("bad_value",
                   f"材料形式应为 纸质/电子/纸质和电子（paper/electronic/both），而不是 {value!r}",
                   f"material form must be paper, electronic or both (纸质/电子/纸质和电子), "
                   f"not {value!r}")
    raise AssertionError(k)  # pragma: no cover


def _number_text(value: int | float) -> str:
    return str(int(value)) if _whole(value) else str(value)


def _whole(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())


def _strict_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any, excel: bool) -> int:
    if _strict_int(value):
        return int(value)
    if excel and _whole(value):
        return int(value)
    if excel and isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise _wrong("整数", "an integer", value)


def _wrong(zh: str, en: str, value: Any) -> _Bad:
    shown = value if not isinstance(value, str) else repr(value)
    return _Bad("wrong_type", f"应为{zh}，实际为 {shown}（{type(value).__name__}）",
                f"expected {en}, got {shown} ({type(value).__name__})")


def _export_value(col: Col, value: Any, *, excel: bool) -> Any:
    if not excel:
        return list(value) if col.kind == "ints" else value
    if value is None:
        return None
    if col.kind == "ints":
        return ",".join(str(v) for v in value)
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "case":
        return _CASE_ZH.get(value, value)
    if col.kind == "form":
        return _FORM_ZH.get(value, value)
    return value


def _record(cols: Sequence[Col], obj: Any, *, excel: bool) -> dict[str, Any]:
    return {c.attr: _export_value(c, getattr(obj, c.attr), excel=excel) for c in cols}


def _build(cols: Sequence[Col], values: Mapping[str, Any], where: Where, element: str,
           problems: list[InvalidField], *, excel: bool,
           column_of: Callable[[Col], str] | None = None) -> dict[str, Any] | None:
    """Convert ``values`` (attr → raw) into constructor keywords; ``None`` after a problem."""
    out: dict[str, Any] = {}
    ok = True
    for col in cols:
        label_zh = column_of(col) if column_of else f"{element}.{col.attr}"
        label_en = column_of(col) if column_of else f"{element}.{col.attr}"
        try:
            v = _convert(col, values.get(col.attr), excel=excel)
        except _Bad as bad:
            problems.append(_problem(bad.code, where, f"{label_zh} {bad.zh}", f"{label_en} {bad.en}",
                                     field=col.attr, element=element, column=col.header))
            ok = False
            continue
        if v is None:
            if col.required:
                problems.append(_problem("missing_value", where, f"{label_zh}（{col.header}）不能为空",
                                         f"{label_en} ({col.header}) is required", field=col.attr,
                                         element=element, column=col.header))
                ok = False
            continue
        out[col.attr] = v
    return out if ok else None


# --------------------------------------------------------------------------------------------
# Normalisation and equality


def normalise_item(item: NewItem) -> NewItem:
    """The canonical form of an item for comparison (codes upper-case, levels sorted, an item
    with fee items not free — as the catalog service stores it)."""
    return dataclasses.replace(
        item, basic_code=item.basic_code.strip().upper(), is_free=item.is_free and not item.fees,
        parent_code=item.parent_code.strip().upper() if item.parent_code else None,
        use_levels=tuple(sorted(set(item.use_levels))),
        applicant_types=tuple(sorted(set(item.applicant_types))))


def item_from_rows(row: CatalogItem, materials: Iterable[CatalogMaterial],
                   fees: Iterable[CatalogFee], steps: Iterable[CatalogStep],
                   parent_code: str | None = None) -> NewItem:
    """The typed input that describes a stored item version (for export and comparison)."""
    return normalise_item(NewItem(
        basic_code=row.basic_code, name=row.name, item_type=row.item_type,
        use_levels=tuple(row.use_levels or ()), statutory_days=row.statutory_days,
        case_type=row.case_type, legal_basis=row.legal_basis, conditions=row.conditions,
        quantity_limit=row.quantity_limit, max_visits=row.max_visits,
        online_depth=row.online_depth, applicant_types=tuple(row.applicant_types or ()),
        result_type=row.result_type, result_name=row.result_name, is_free=row.is_free,
        materials=tuple(NewMaterial(m.name, m.form, m.originals, m.copies, m.required,
                                    m.blank_form_url, m.sample_url, m.legal_basis)
                        for m in sorted(materials, key=lambda m: m.seq)),
        fees=tuple(NewFee(f.name, f.standard, f.max_amount_cents, f.basis, f.reducible,
                          f.reduction_basis) for f in sorted(fees, key=lambda f: f.seq)),
        steps=tuple(NewStep(s.name, s.limit_days, s.role)
                    for s in sorted(steps, key=lambda s: s.seq)),
        parent_code=parent_code))


# --------------------------------------------------------------------------------------------
# JSON


def catalog_to_json(doc: CatalogDocument) -> dict[str, Any]:
    """The JSON document of a catalog (``json.dumps(..., ensure_ascii=False)`` to write it)."""
    items = []
    for item in doc.items:
        rec = _record(ITEM_COLUMNS, item, excel=False)
        rec["materials"] = [_record(MATERIAL_COLUMNS, m, excel=False) for m in item.materials]
        rec["fees"] = [_record(FEE_COLUMNS, f, excel=False) for f in item.fees]
        rec["steps"] = [_record(STEP_COLUMNS, s, excel=False) for s in item.steps]
        items.append(rec)
    return {"format": CATALOG_FORMAT, "version": FORMAT_VERSION, "owner": doc.owner,
            "items": items}


def implementations_to_json(doc: ImplementationDocument) -> dict[str, Any]:
    """The JSON document of an implementation list."""
    out = []
    for imp in doc.implementations:
        rec = _record(IMPLEMENTATION_COLUMNS, imp, excel=False)
        rec["materials"] = (None if imp.materials is None else
                            [_record(LOCAL_MATERIAL_COLUMNS, m, excel=False) for m in imp.materials])
        rec["fees"] = (None if imp.fees is None else
                       [_record(LOCAL_FEE_COLUMNS, f, excel=False) for f in imp.fees])
        out.append(rec)
    return {"format": IMPLEMENTATIONS_FORMAT, "version": FORMAT_VERSION, "tenant": doc.tenant,
            "implementations": out}


def dumps(document: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON, Chinese left readable, keys in layout order."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


_ITEM_EXTRA = {"materials", "fees", "steps", "version", "status"}
_IMP_EXTRA = {"materials", "fees", "implementation_code", "status", "version"}


def read_catalog_json(source: Source, *, name: str | None = None) -> CatalogDocument:
    """Read and check a catalog JSON document (every problem reported at once)."""
    data, label = _read_bytes(source, name)
    doc = _load_json(data, label, CATALOG_FORMAT, "owner", "items")
    problems: list[InvalidField] = []
    items: list[NewItem] = []
    wheres: list[Where] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(doc["items"]):
        code = raw.get("basic_code") if isinstance(raw, dict) else None
        where = _json_where(index, code if isinstance(code, str) else None)
        if not isinstance(raw, dict):
            problems.append(_problem("wrong_type", where, "应为对象", "expected an object"))
            continue
        _unknown_keys(raw, ITEM_COLUMNS, _ITEM_EXTRA, where, "item", problems)
        kwargs = _build(ITEM_COLUMNS, raw, where, "item", problems, excel=False)
        key = code.strip().upper() if isinstance(code, str) else None
        if key and key in seen:
            problems.append(_problem("duplicate", where, f"基本编码 {key} 重复出现（第 {seen[key] + 1} 项）",
                                     f"basic code {key} appears twice (items[{seen[key]}])",
                                     field="basic_code", first=seen[key]))
            continue
        if key:
            seen[key] = index
        children = {}
        for key, cols, cls in (("materials", MATERIAL_COLUMNS, NewMaterial),
                               ("fees", FEE_COLUMNS, NewFee), ("steps", STEP_COLUMNS, NewStep)):
            children[key] = _json_children(raw.get(key), key, cols, cls, where, problems)
        if kwargs is None or any(v is None for v in children.values()):
            continue
        item = _make_item(kwargs, children, where, problems)
        if item is not None:
            items.append(item)
            wheres.append(where)
    _raise_problems(label, problems)
    return CatalogDocument(owner=str(doc["owner"]), items=tuple(items), source=label,
                           where=tuple(wheres))


def read_implementations_json(source: Source, *, name: str | None = None) -> ImplementationDocument:
    """Read and check an implementation-list JSON document."""
    data, label = _read_bytes(source, name)
    doc = _load_json(data, label, IMPLEMENTATIONS_FORMAT, "tenant", "implementations")
    problems: list[InvalidField] = []
    out: list[NewImplementation] = []
    wheres: list[Where] = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(doc["implementations"]):
        code = raw.get("basic_code") if isinstance(raw, dict) else None
        where = _json_where(index, code if isinstance(code, str) else None, "implementations")
        if not isinstance(raw, dict):
            problems.append(_problem("wrong_type", where, "应为对象", "expected an object"))
            continue
        _unknown_keys(raw, IMPLEMENTATION_COLUMNS, _IMP_EXTRA, where, "implementation", problems)
        kwargs = _build(IMPLEMENTATION_COLUMNS, raw, where, "implementation", problems,
                        excel=False)
        mats = _json_children(raw.get("materials"), "materials", LOCAL_MATERIAL_COLUMNS,
                              LocalMaterial, where, problems, nullable=True)
        fees = _json_children(raw.get("fees"), "fees", LOCAL_FEE_COLUMNS, LocalFee, where,
                              problems, nullable=True)
        if kwargs is None or mats is False or fees is False:
            continue
        key = (kwargs["basic_code"], kwargs["department_credit_code"])
        if key in seen:
            problems.append(_problem("duplicate", where, f"事项 {key[0]} 由 {key[1]} 实施重复出现",
                                     f"item {key[0]} implemented by {key[1]} appears twice",
                                     field="basic_code"))
            continue
        seen.add(key)
        out.append(NewImplementation(**kwargs, materials=mats, fees=fees))
        wheres.append(where)
    _raise_problems(label, problems)
    return ImplementationDocument(tenant=str(doc["tenant"]), implementations=tuple(out),
                                  source=label, where=tuple(wheres))


def _load_json(data: bytes, label: str, fmt: str, owner_key: str, list_key: str) -> dict[str, Any]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid("catalog_import.bad_document", f"{label} 不是 UTF-8 JSON 文档：{exc}",
                      f"{label} is not a UTF-8 JSON document: {exc}", field="file") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise Invalid("catalog_import.bad_document",
                      f"{label} 的 format 应为 {fmt}，实际为 {got!r}",
                      f"{label}: format must be {fmt!r}, got {got!r}", field="format")
    if doc.get("version") != FORMAT_VERSION:
        raise Invalid("catalog_import.bad_version",
                      f"{label} 的版本 {doc.get('version')!r} 不受支持（支持 {FORMAT_VERSION}）",
                      f"{label}: version {doc.get('version')!r} is not supported "
                      f"(supported: {FORMAT_VERSION})", field="version")
    if not isinstance(doc.get(owner_key), str | int) or not str(doc.get(owner_key)).strip():
        raise Invalid("catalog_import.bad_document", f"{label} 缺少 {owner_key}",
                      f"{label}: {owner_key!r} is missing", field=owner_key)
    if not isinstance(doc.get(list_key), list):
        raise Invalid("catalog_import.bad_document", f"{label} 的 {list_key} 应为数组",
                      f"{label}: {list_key!r} must be a list", field=list_key)
    return doc


def _unknown_keys(raw: Mapping[str, Any], cols: Sequence[Col], extra: set[str], where: Where,
                  element: str, problems: list[InvalidField]) -> None:
    known = {c.attr for c in cols} | extra
    for key in raw:
        if key not in known:
            problems.append(_problem("unknown_key", where, f"未知的键 {key!r}",
                                     f"unknown key {key!r} in {element}", field=str(key)))


def _json_children(raw: Any, key: str, cols: Sequence[Col], cls: type[Any], where: Where,
                   problems: list[InvalidField], *, nullable: bool = False) -> Any:
    """A tuple of ``cls`` from a JSON list; ``None`` after a problem (``False`` if nullable)."""
    failed: Any = False if nullable else None
    if raw is None:
        return None if nullable else ()
    if not isinstance(raw, list):
        problems.append(_problem("wrong_type", where, f"{key} 应为数组", f"{key} must be a list",
                                 field=key))
        return failed
    out = []
    ok = True
    for i, rec in enumerate(raw):
        sub = Where(f"{where.zh}{_ELEMENT_ZH.get(key, key)}第 {i + 1} 条", f"{where.en} {key}[{i}]")
        if not isinstance(rec, dict):
            problems.append(_problem("wrong_type", sub, "应为对象", "expected an object", field=key))
            ok = False
            continue
        _unknown_keys(rec, cols, set(), sub, key, problems)
        kwargs = _build(cols, rec, sub, key, problems, excel=False)
        if kwargs is None:
            ok = False
            continue
        out.append(cls(**kwargs))
    return tuple(out) if ok else failed


def _make_item(kwargs: dict[str, Any], children: Mapping[str, Any], where: Where,
               problems: list[InvalidField]) -> NewItem | None:
    code = kwargs["basic_code"]
    try:
        parse_basic_code(code)
    except Invalid as exc:
        problems.append(_problem("bad_code", where, exc.zh, exc.en, field="basic_code"))
        return None
    return normalise_item(NewItem(**kwargs, **children))


# --------------------------------------------------------------------------------------------
# Excel


def catalog_to_xlsx(doc: CatalogDocument) -> bytes:
    """A catalog workbook (sheets ``CATALOG_SHEETS``)."""
    rows: dict[str, list[list[Any]]] = {s: [] for s in CATALOG_SHEETS}
    for item in doc.items:
        rows["事项"].append(list(_record(ITEM_COLUMNS, item, excel=True).values()))
        for sheet, key, cols in (("申请材料", "materials", MATERIAL_COLUMNS),
                                 ("收费", "fees", FEE_COLUMNS), ("办理流程", "steps", STEP_COLUMNS)):
            for seq, child in enumerate(getattr(item, key), start=1):
                rows[sheet].append([item.basic_code, seq,
                                    *_record(cols, child, excel=True).values()])
    return _workbook(CATALOG_SHEETS, rows, {"基本编码", "所属事项基本编码", "事项类型"},
                     title=f"{CATALOG_FORMAT} v{FORMAT_VERSION} owner={doc.owner}")


def implementations_to_xlsx(doc: ImplementationDocument) -> bytes:
    """An implementation-list workbook (sheets ``IMPLEMENTATION_SHEETS``).

    An implementation whose materials (fees) are ``None`` — every catalog one as is — has no
    rows in 选用材料 (适用收费); read back, no rows means ``None`` again.
    """
    rows: dict[str, list[list[Any]]] = {s: [] for s in IMPLEMENTATION_SHEETS}
    for imp in doc.implementations:
        rows["实施清单"].append(list(_record(IMPLEMENTATION_COLUMNS, imp, excel=True).values()))
        key = [imp.basic_code, imp.department_credit_code]
        for m in imp.materials or ():
            rows["选用材料"].append([*key, *_record(LOCAL_MATERIAL_COLUMNS, m, excel=True).values()])
        for f in imp.fees or ():
            rows["适用收费"].append([*key, *_record(LOCAL_FEE_COLUMNS, f, excel=True).values()])
    return _workbook(IMPLEMENTATION_SHEETS, rows, {_CODE, _CREDIT, "地方实施编码"},
                     title=f"{IMPLEMENTATIONS_FORMAT} v{FORMAT_VERSION} tenant={doc.tenant}")


def _workbook(layout: Mapping[str, Sequence[str]], rows: Mapping[str, list[list[Any]]],
              text_columns: set[str], *, title: str) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = title
    bold = Font(bold=True)
    for sheet, headers in layout.items():
        ws = wb.create_sheet(sheet)
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = bold
        for r in rows[sheet]:
            ws.append(r)
        ws.freeze_panes = "A2"
        for i, header in enumerate(headers, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(10, min(40, 2 * len(header) + 4))
            if header in text_columns:
                for (cell,) in ws.iter_rows(min_col=i, max_col=i):
                    cell.number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class _Sheet:
    """A checked sheet: its rows as header → value, with their row numbers."""

    name: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # header → column letter


def _read_sheets(data: bytes, label: str, layout: Mapping[str, Sequence[str]],
                 problems: list[InvalidField]) -> dict[str, _Sheet]:
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise Invalid("catalog_import.bad_document", f"{label} 不是 Excel 工作簿（.xlsx）：{exc}",
                      f"{label} is not an Excel workbook (.xlsx): {exc}", field="file") from exc
    out: dict[str, _Sheet] = {}
    for name, headers in layout.items():
        book = Where(f"工作表「{name}」", f"sheet {name}")
        if name not in wb.sheetnames:
            problems.append(_problem("missing_sheet", Where("工作簿", "workbook"),
                                     f"缺少工作表「{name}」", f"sheet {name!r} is missing",
                                     field=name, sheet=name))
            continue
        ws: Worksheet = wb[name]
        merged = [str(r) for r in ws.merged_cells.ranges]
        for rng in merged:
            problems.append(_problem("merged_cells", book, f"含合并单元格 {rng}（请取消合并，每行填写完整）",
                                     f"has merged cells {rng} (unmerge them; fill every row)",
                                     field=name, sheet=name, range=rng))
        if merged:
            continue
        sheet = _Sheet(name)
        header_row = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        index: dict[str, int] = {}
        for i, h in enumerate(header_row):
            text = str(h).strip() if h is not None else ""
            if not text:
                continue
            if text in index:
                problems.append(_problem("duplicate_column", book, f"列「{text}」出现两次",
                                         f"column {text!r} appears twice", field=text, sheet=name))
            index.setdefault(text, i)
        missing = [h for h in headers if h not in index]
        for h in missing:
            problems.append(_problem("missing_column", book, f"缺少列「{h}」",
                                     f"column {h!r} is missing", field=h, sheet=name, column=h))
        if missing:
            continue
        sheet.columns = {h: get_column_letter(index[h] + 1) for h in headers}
        for rownum, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            cells = {h: values[index[h]] if index[h] < len(values) else None for h in headers}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
                continue
            sheet.rows.append((rownum, cells))
        out[name] = sheet
    return out


def _row_where(sheet: str, row: int) -> Where:
    return Where(f"工作表「{sheet}」第 {row} 行", f"sheet {sheet} row {row}", line=row)


def _cell_label(sheet: _Sheet) -> Callable[[Col], str]:
    return lambda col: f"{sheet.columns.get(col.header, '?')} 列「{col.header}」"


def _link_value(sheet: _Sheet, row: int, cells: Mapping[str, Any], header: str,
                problems: list[InvalidField]) -> str | None:
    col = Col("link", header, "code", True)
    got = _build((col,), {"link": cells.get(header)}, _row_where(sheet.name, row), sheet.name,
                 problems, excel=True, column_of=_cell_label(sheet))
    return None if got is None else str(got["link"])


def _children_from_sheet(sheet: _Sheet | None, cols: Sequence[Col], cls: type[Any],
                         link: Sequence[str], known: Mapping[tuple[str, ...], Any] | None,
                         problems: list[InvalidField]) -> dict[tuple[str, ...], list[Any]]:
    """Rows of an element sheet grouped by their link key, ordered by 序号 when present.

    ``known`` None: the parent sheet had problems of its own, so rows are not checked for
    an unknown parent (those would mostly repeat the parent sheet's problems)."""
    out: dict[tuple[str, ...], list[tuple[int, Any]]] = {}
    if sheet is None:
        return {}
    has_seq = _SEQ in sheet.columns
    for row, cells in sheet.rows:
        where = _row_where(sheet.name, row)
        keys = [_link_value(sheet, row, cells, h, problems) for h in link]
        seq: int | None = None
        if has_seq:
            got = _build((Col("seq", _SEQ, "int", True),), {"seq": cells.get(_SEQ)}, where,
                         sheet.name, problems, excel=True, column_of=_cell_label(sheet))
            seq = None if got is None else got["seq"]
        kwargs = _build(cols, {c.attr: cells.get(c.header) for c in cols}, where, sheet.name,
                        problems, excel=True, column_of=_cell_label(sheet))
        if any(k is None for k in keys) or kwargs is None or (has_seq and seq is None):
            continue
        key = tuple(k for k in keys if k is not None)
        if known is not None and key not in known:
            problems.append(_problem("orphan_row", where,
                                     f"{'、'.join(link)} {' / '.join(key)} "
                                     f"在「{_parent_sheet(link)}」中不存在",
                                     f"{', '.join(link)} {' / '.join(key)} is not in sheet "
                                     f"{_parent_sheet(link)}", field=link[0]))
            continue
        group = out.setdefault(key, [])
        if has_seq and any(s == seq for s, _ in group):
            problems.append(_problem("duplicate", where, f"{' / '.join(key)} 的序号 {seq} 重复",
                                     f"{_SEQ} {seq} appears twice for {' / '.join(key)}",
                                     field="seq"))
            continue
        group.append((seq if seq is not None else row, cls(**kwargs)))
    return {k: [obj for _, obj in sorted(v, key=lambda p: p[0])] for k, v in out.items()}


def _parent_sheet(link: Sequence[str]) -> str:
    return "实施清单" if _CREDIT in link else "事项"


def read_catalog_xlsx(source: Source, *, owner: str = "", name: str | None = None) -> CatalogDocument:
    """Read and check a catalog workbook: every sheet, column, cell problem at once."""
    data, label = _read_bytes(source, name)
    problems: list[InvalidField] = []
    sheets = _read_sheets(data, label, CATALOG_SHEETS, problems)
    before = len(problems)
    base: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}
    order: list[tuple[str, ...]] = []
    if "事项" in sheets:
        sheet = sheets["事项"]
        for row, cells in sheet.rows:
            where = _row_where("事项", row)
            kwargs = _build(ITEM_COLUMNS, {c.attr: cells.get(c.header) for c in ITEM_COLUMNS},
                            where, "事项", problems, excel=True, column_of=_cell_label(sheet))
            if kwargs is None:
                # Keep its code known so its element rows are not reported as orphans.
                code = cells.get(_CODE)
                if isinstance(code, str) and code.strip():
                    base.setdefault((code.strip().upper(),), (row, {}))
                continue
            code = kwargs["basic_code"]
            try:
                parse_basic_code(code)
            except Invalid as exc:
                problems.append(_problem("bad_code", where, exc.zh, exc.en, field="basic_code",
                                         column=_CODE))
                base.setdefault((code,), (row, {}))
                continue
            if (code,) in base:
                problems.append(_problem("duplicate", where, f"基本编码 {code} 重复出现（第 "
                                         f"{base[(code,)][0]} 行）", f"basic code {code} appears "
                                         f"twice (row {base[(code,)][0]})", field="basic_code"))
                continue
            base[(code,)] = (row, kwargs)
            order.append((code,))
    known = base if "事项" in sheets and len(problems) == before else None
    children = {
        key: _children_from_sheet(sheets.get(sheet), cols, cls, (_CODE,), known, problems)
        for key, sheet, cols, cls in (("materials", "申请材料", MATERIAL_COLUMNS, NewMaterial),
                                      ("fees", "收费", FEE_COLUMNS, NewFee),
                                      ("steps", "办理流程", STEP_COLUMNS, NewStep))}
    _raise_problems(label, problems)
    items = tuple(normalise_item(NewItem(**base[k][1], materials=tuple(children["materials"].get(k, ())),
                                         fees=tuple(children["fees"].get(k, ())),
                                         steps=tuple(children["steps"].get(k, ()))))
                  for k in order)
    wheres = tuple(_row_where("事项", base[k][0]) for k in order)
    return CatalogDocument(owner=owner or _workbook_owner(data, "owner"), items=items,
                           source=label, where=wheres)


def read_implementations_xlsx(source: Source, *, tenant: str = "",
                              name: str | None = None) -> ImplementationDocument:
    """Read and check an implementation-list workbook."""
    data, label = _read_bytes(source, name)
    problems: list[InvalidField] = []
    sheets = _read_sheets(data, label, IMPLEMENTATION_SHEETS, problems)
    before = len(problems)
    base: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}
    order: list[tuple[str, ...]] = []
    if "实施清单" in sheets:
        sheet = sheets["实施清单"]
        for row, cells in sheet.rows:
            where = _row_where("实施清单", row)
            kwargs = _build(IMPLEMENTATION_COLUMNS,
                            {c.attr: cells.get(c.header) for c in IMPLEMENTATION_COLUMNS},
                            where, "实施清单", problems, excel=True, column_of=_cell_label(sheet))
            if kwargs is None:
                continue
            key = (kwargs["basic_code"], kwargs["department_credit_code"])
            if key in base:
                problems.append(_problem("duplicate", where, f"事项 {key[0]} 由 {key[1]} 实施重复出现"
                                         f"（第 {base[key][0]} 行）", f"item {key[0]} implemented by "
                                         f"{key[1]} appears twice (row {base[key][0]})",
                                         field="basic_code"))
                continue
            base[key] = (row, kwargs)
            order.append(key)
    known = base if "实施清单" in sheets and len(problems) == before else None
    mats = _children_from_sheet(sheets.get("选用材料"), LOCAL_MATERIAL_COLUMNS, LocalMaterial,
                                (_CODE, _CREDIT), known, problems)
    fees = _children_from_sheet(sheets.get("适用收费"), LOCAL_FEE_COLUMNS, LocalFee,
                                (_CODE, _CREDIT), known, problems)
    _raise_problems(label, problems)
    imps = tuple(NewImplementation(**base[k][1],
                                   materials=tuple(mats[k]) if k in mats else None,
                                   fees=tuple(fees[k]) if k in fees else None) for k in order)
    wheres = tuple(_row_where("实施清单", base[k][0]) for k in order)
    return ImplementationDocument(tenant=tenant or _workbook_owner(data, "tenant"),
                                  implementations=imps, source=label, where=wheres)


def _workbook_owner(data: bytes, key: str) -> str:
    """The owner (tenant) code written in the workbook's title by the export, or ''."""
    try:
        title = load_workbook(io.BytesIO(data), read_only=True).properties.title or ""
    except Exception:  # pragma: no cover - already read once
        return ""
    for part in title.split():
        if part.startswith(key + "="):
            return part.split("=", 1)[1]
    return ""


# --------------------------------------------------------------------------------------------
# Files


def _read_bytes(source: Source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "<bytes>"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return path.read_bytes(), name or path.name
    return source.read(), name or str(getattr(source, "name", "<stream>"))


def _is_xlsx(data: bytes, label: str) -> bool:
    return data[:2] == b"PK" or label.lower().endswith(".xlsx")


def read_catalog(source: Source, *, owner: str = "", name: str | None = None) -> CatalogDocument:
    """A catalog from JSON or Excel (told apart by content)."""
    data, label = _read_bytes(source, name)
    if _is_xlsx(data, label):
        return read_catalog_xlsx(data, owner=owner, name=label)
    return read_catalog_json(data, name=label)


def read_implementations(source: Source, *, tenant: str = "",
                         name: str | None = None) -> ImplementationDocument:
    """An implementation list from JSON or Excel (told apart by content)."""
    data, label = _read_bytes(source, name)
    if _is_xlsx(data, label):
        return read_implementations_xlsx(data, tenant=tenant, name=label)
    return read_implementations_json(data, name=label)


# --------------------------------------------------------------------------------------------
# Database: export


async def _owner(session: AsyncSession, principal: Principal, code: str) -> Any:
    from zhengwu.tenants.scope import access_tenant

    return await access_tenant(session, principal, code)


async def describe_items(session: AsyncSession,
                         rows: Sequence[CatalogItem]) -> dict[str, tuple[CatalogItem, NewItem]]:
    """Each row with the typed input that describes it (elements loaded in three queries).

    Keys are basic codes; for a code given several times the last row wins.
    """
    if not rows:
        return {}
    ids = [r.id for r in rows]
    mats: dict[Any, list[CatalogMaterial]] = {}
    fees: dict[Any, list[CatalogFee]] = {}
    steps: dict[Any, list[CatalogStep]] = {}
    for m in (await session.scalars(select(CatalogMaterial)
                                    .where(CatalogMaterial.item_id.in_(ids)))).all():
        mats.setdefault(m.item_id, []).append(m)
    for f in (await session.scalars(select(CatalogFee).where(CatalogFee.item_id.in_(ids)))).all():
        fees.setdefault(f.item_id, []).append(f)
    for st in (await session.scalars(select(CatalogStep).where(CatalogStep.item_id.in_(ids)))).all():
        steps.setdefault(st.item_id, []).append(st)
    parent_ids = {r.parent_id for r in rows if r.parent_id is not None}
    parents: dict[Any, str] = {}
    if parent_ids:
        parents = dict((await session.execute(
            select(CatalogItem.id, CatalogItem.basic_code).where(CatalogItem.id.in_(parent_ids))
        )).all())
    return {r.basic_code: (r, item_from_rows(r, mats.get(r.id, []), fees.get(r.id, []),
                                             steps.get(r.id, []),
                                             parents.get(r.parent_id) if r.parent_id else None))
            for r in rows}


def current_versions(rows: Iterable[CatalogItem]) -> list[CatalogItem]:
    """The current version of each code (the highest that is not retired), in code order."""
    best: dict[str, CatalogItem] = {}
    for r in rows:
        if r.status != "retired" and (r.basic_code not in best
                                      or r.version > best[r.basic_code].version):
            best[r.basic_code] = r
    return [best[c] for c in sorted(best)]


async def export_catalog(session: AsyncSession, principal: Principal,
                         owner_code: str) -> CatalogDocument:
    """The current catalog of ``owner_code`` (drafts included), items in code order.

    Read through ``service.list_items`` (the principal must be able to read that catalog).
    Parents come before their business-handling items (a 14-character code sorts after its
    12-character item), so the document imports back in order.
    """
    from zhengwu.core.catalog import service

    owner = await _owner(session, principal, owner_code)
    rows = await service.list_items(session, principal, owner_code=owner.code)
    current = await describe_items(session, current_versions(rows))
    return CatalogDocument(owner=owner.code, items=tuple(item for _, item in current.values()),
                           source=f"catalog {owner.code}")


async def _implementations(session: AsyncSession, principal: Principal, tenant_code: str
                          ) -> tuple[str, dict[tuple[str, str], tuple[Any, NewImplementation]]]:
    """The tenant's code and its live implementations by (basic code, credit code), each with
    its id and its typed description (materials and fees explicit, by catalog ``seq``)."""
    from zhengwu.core.catalog import implementation as impl_service

    tenant = await _owner(session, principal, tenant_code)
    imps = [i for i in await impl_service.list_implementations(session, principal,
                                                               tenant_code=tenant.code)
            if i.status != "retired"]
    ids = [i.id for i in imps]
    mats: dict[Any, list[LocalMaterial]] = {}
    fees: dict[Any, list[LocalFee]] = {}
    if ids:
        for imp_id, seq, required in (await session.execute(
                select(ImplementationMaterial.implementation_id, CatalogMaterial.seq,
                       ImplementationMaterial.required)
                .join(CatalogMaterial, CatalogMaterial.id == ImplementationMaterial.catalog_material_id)
                .where(ImplementationMaterial.implementation_id.in_(ids))
                .order_by(CatalogMaterial.seq))).all():
            mats.setdefault(imp_id, []).append(LocalMaterial(seq, required))
        for imp_id, seq, amount in (await session.execute(
                select(ImplementationFee.implementation_id, CatalogFee.seq,
                       ImplementationFee.amount_cents)
                .join(CatalogFee, CatalogFee.id == ImplementationFee.catalog_fee_id)
                .where(ImplementationFee.implementation_id.in_(ids))
                .order_by(CatalogFee.seq))).all():
            fees.setdefault(imp_id, []).append(LocalFee(seq, amount))
    out = {}
    for i in sorted(imps, key=lambda i: (i.basic_code, i.department_credit_code)):
        out[(i.basic_code, i.department_credit_code)] = (i.id, NewImplementation(
            basic_code=i.basic_code, department_name=i.department_name,
            department_credit_code=i.department_credit_code, promised_days=i.promised_days,
            max_visits=i.max_visits, materials=tuple(mats.get(i.id, ())),
            fees=tuple(fees.get(i.id, ())), online=i.online, online_url=i.online_url,
            in_hall=i.in_hall, not_in_hall_reason=i.not_in_hall_reason,
            appointment=i.appointment, courier=i.courier, address=i.address, hours=i.hours,
            phone=i.phone, local_code=i.local_code, power_source=i.power_source))
    return tenant.code, out


async def export_implementations(session: AsyncSession, principal: Principal,
                                 tenant_code: str) -> ImplementationDocument:
    """The implementation list of ``tenant_code`` (retired ones left out), read through
    ``list_implementations``. Chosen materials and applied fees are written explicitly (by
    their catalog ``seq``); the window is not exchanged (it is a local record)."""
    code, current = await _implementations(session, principal, tenant_code)
    return ImplementationDocument(tenant=code,
                                  implementations=tuple(imp for _, imp in current.values()),
                                  source=f"implementations {code}")


# --------------------------------------------------------------------------------------------
# Database: import


Outcome = Literal["created", "new_version", "updated", "unchanged", "adopted"]


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do), item by item."""

    source: str
    target: str
    dry_run: bool
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    """(code, outcome) per record, in document order."""
    published: int = 0

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, o in self.outcomes:
            out[o] = out.get(o, 0) + 1
        if self.published:
            out["published"] = self.published
        return out


def _rejections(where: Where, exc: DomainError) -> list[InvalidField]:
    """A service's refusal of one record, as problems naming the record (one per violation
    when the service listed several)."""
    listed: list[InvalidField] = list(exc.params.get("problems") or ())
    if not listed:
        listed = [InvalidField(exc.code, exc.zh, exc.en, field=exc.field,
                               params={k: v for k, v in exc.params.items() if k != "problems"})]
    out = []
    for p in listed:
        fz = f"（{p.field}）" if p.field else ""
        fe = f" ({p.field})" if p.field else ""
        out.append(InvalidField(p.code, f"{where.zh}{fz}：{p.zh}", f"{where.en}{fe}: {p.en}",
                                field=p.field, line=where.line, params=p.params))
    return out


async def _all_or_nothing(session: AsyncSession, count: int,
                          step: Callable[[int], Any], where: Callable[[int], Where],
                          source: str, *, dry_run: bool) -> list[Any]:
    """Apply ``step(i)`` for every record in one transaction; commit only if all succeed.

    A rejected record is recorded, the transaction rolled back and the accepted records
    replayed (so one pass reports every rejection). Returns each record's result.
    """
    results: list[Any] = [None] * count
    accepted: list[int] = []
    problems: list[InvalidField] = []
    for i in range(count):
        try:
            results[i] = await step(i)
            accepted.append(i)
        except (PermissionDenied, NotFound):
            await session.rollback()  # not about the record: the caller may not do this at all
            raise
        except DomainError as exc:
            problems.extend(_rejections(where(i), exc))
            await session.rollback()
            for j in accepted:
                results[j] = await step(j)
    if problems or dry_run:
        await session.rollback()
    _raise_problems(source, problems)
    if not dry_run:
        await session.commit()
    return results


async def import_catalog(session: AsyncSession, principal: Principal, owner_code: str,
                         doc: CatalogDocument, *, publish: bool = False,
                         dry_run: bool = False) -> ImportReport:
    """Import ``doc`` into the catalog of ``owner_code`` through the catalog services.

    Per item, against its current version (the highest, draft or published):

    * none → ``create_item`` (``created``, version 1);
    * same content → nothing (``unchanged``; with ``publish`` a current draft is published);
    * a draft with other content → ``update_item`` on that draft (``updated``);
    * a published version with other content → ``create_item`` (``new_version``).

    With ``publish`` every created or changed draft is published (``publish_item``: the
    previous version retires and its implementations are flagged for review). All or
    nothing; commits unless ``dry_run``. Raises ``Invalid`` (``catalog_import.invalid``)
    listing every rejected item with the services' own codes.
    """
    from zhengwu.core.catalog import service

    owner = await _owner(session, principal, owner_code)
    path, code = owner.path, owner.code
    await session.rollback()  # start clean: the import owns its transaction

    async def step(i: int) -> tuple[Outcome, bool]:
        item = normalise_item(doc.items[i])
        current = await current_items_one(session, path, item.basic_code)
        outcome: Outcome
        if current is not None and current[1] == item:
            row, outcome = current[0], "unchanged"
        elif current is not None and current[0].status == "draft":
            row = await service.update_item(session, principal, current[0].id, item)
            outcome = "updated"
        else:
            row = await service.create_item(session, principal, code, item)
            outcome = "created" if current is None else "new_version"
        if publish and row.status == "draft":
            await service.publish_item(session, principal, row.id)
            return outcome, True
        return outcome, False

    results = await _all_or_nothing(session, len(doc.items), step, doc.location, doc.source,
                                    dry_run=dry_run)
    report = ImportReport(doc.source, code, dry_run)
    for item, (outcome, published) in zip(doc.items, results, strict=True):
        report.outcomes.append((item.basic_code, outcome))
        report.published += int(published)
    return report


async def current_items_one(session: AsyncSession, owner_path: str,
                            basic_code: str) -> tuple[CatalogItem, NewItem] | None:
    """The current version of one item of the catalog at ``owner_path``, or ``None``."""
    row = await session.scalar(
        select(CatalogItem).where(CatalogItem.tenant_path == owner_path,
                                  CatalogItem.basic_code == basic_code,
                                  CatalogItem.status != "retired")
        .order_by(CatalogItem.version.desc()).limit(1))
    if row is None:
        return None
    return (await describe_items(session, [row]))[row.basic_code]


async def import_implementations(session: AsyncSession, principal: Principal, tenant_code: str,
                                 doc: ImplementationDocument, *,
                                 dry_run: bool = False) -> ImportReport:
    """Import an implementation list into ``tenant_code`` through the implementation service.

    Per record, keyed by (basic code, department credit code): new → ``adopt_item``
    (``adopted``); equal to the live one → nothing (``unchanged``); different →
    ``update_implementation`` (``updated``). All or nothing; commits unless ``dry_run``.
    """
    from zhengwu.core.catalog import implementation as impl_service

    code, existing = await _implementations(session, principal, tenant_code)
    await session.rollback()

    async def step(i: int) -> Outcome:
        imp = doc.implementations[i]
        old = existing.get((imp.basic_code.strip().upper(),
                            imp.department_credit_code.strip().upper()))
        if old is None:
            await impl_service.adopt_item(session, principal, code, imp)
            return "adopted"
        if _same_implementation(old[1], imp):
            return "unchanged"
        await impl_service.update_implementation(session, principal, old[0], imp)
        return "updated"

    results = await _all_or_nothing(session, len(doc.implementations), step, doc.location,
                                    doc.source, dry_run=dry_run)
    report = ImportReport(doc.source, code, dry_run)
    report.outcomes = [(imp.basic_code, o) for imp, o in zip(doc.implementations, results,
                                                            strict=True)]
    return report


def _same_implementation(old: NewImplementation, new: NewImplementation) -> bool:
    """Equal in every exchanged element (``None`` materials/fees: compare as unspecified)."""
    skip = {"window_id"}
    for f in dataclasses.fields(NewImplementation):
        if f.name in skip:
            continue
        a, b = getattr(old, f.name), getattr(new, f.name)
        if f.name in ("materials", "fees") and b is None:
            continue
        if a != b:
            return False
    return True
