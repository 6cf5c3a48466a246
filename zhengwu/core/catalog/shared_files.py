"""Reading the shared service-item CSV files as they are (``shared/data/service-items``).

Four real sources share the first 14 columns (``basic_code, name, item_type, use_level,
legal_basis, statutory_days, promised_days, case_type, implementing_body,
implementation_code, materials, fees, visits, source``) and add their own; empty cells are
values the source did not give. ``read_shared_file`` turns every row into a ``RowReport``:
the ``NewItem`` when the row has what a catalog item needs, and in any case the list of
what it lacks, with the file's line number (the line a record *starts* on: legal-basis
cells span lines).

What a row needs to become an item (the catalog service's own rules, checked here so the
report says it per row instead of failing the import):

* a basic code that parses (``no_basic_code``, ``bad_basic_code``). A row without one is
  *never* given an invented code: Sichuan's local codes (``511A0138000000``, ``G-000007-001``)
  are kept as ``local_code`` and the row is listed under ``needs_basic_code``; when a
  31/33-character implementation code shows a basic code, it is only *suggested* in the
  report (``params["suggested"]``);
* a national item type equal to the code's digits 3–4 (``no_item_type``,
  ``unknown_item_type`` — Liaoning's ``99`` —, ``item_type_mismatch``);
* exercising tiers 1–6 (``no_use_level``, ``bad_use_level``);
* a statutory limit in working days for a promised-deadline item (``no_statutory_days``,
  ``bad_statutory_days``, ``unknown_days_unit`` when the unit code is not ``1``);
* a name of at most 300 characters (``no_name``, ``name_too_long``).

Reported but not blocking (``blocking=False`` in ``params``): ``no_materials``,
``no_fee_info``, ``fee_items_unlisted`` (``is_fee=1`` without the fee items),
``no_case_type`` (承诺件 assumed), ``bad_visits``, ``superseded`` (the same code again with
an older ``task_version``: the newest version of each code is kept, the others point at it).

Mapping decisions: ``materials`` split on ``；``/``;`` (a leading "1." numbering dropped),
each a required paper material; ``fees`` ``is_fee=0`` → free; ``visits`` → maximum visits;
``project_type_code`` → case type; ``serve_type_code`` → applicant types (服务对象, when
every code is a national one); ``promised_days`` and the implementing body are
implementation elements and stay out of the catalog item. A 33-character
``business_item_code`` (credit code + level + 14-character code) makes the row a
business-handling item of its basic code.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhengwu.core.catalog.codes import ITEM_TYPES, parse_basic_code
from zhengwu.core.catalog.exchange import CatalogDocument, Where, normalise_item
from zhengwu.core.catalog.inputs import NewItem, NewMaterial
from zhengwu.core.errors import Invalid, InvalidField

__all__ = [
    "BLOCKING",
    "COMMON_COLUMNS",
    "RowReport",
    "SharedFile",
    "read_shared_file",
]

COMMON_COLUMNS = ("basic_code", "name", "item_type", "use_level", "legal_basis",
                  "statutory_days", "promised_days", "case_type", "implementing_body",
                  "implementation_code", "materials", "fees", "visits", "source")
"""The columns every shared file starts with."""

BLOCKING = frozenset({
    "no_name", "name_too_long", "no_basic_code", "bad_basic_code", "no_item_type",
    "unknown_item_type", "item_type_mismatch", "no_use_level", "bad_use_level",
    "no_statutory_days", "bad_statutory_days", "unknown_days_unit",
})
"""Lacks that keep a row from becoming an item (short codes, without ``catalog_import.``)."""

_APPLICANT_TYPES = {1, 2, 3, 4, 5, 6, 9}
_NAME_MAX = 300
_NUMBERING = re.compile(r"^\s*\d+\s*[.．、)）]\s*")
_SPLIT = re.compile(r"[；;]")


@dataclass(frozen=True)
class RowReport:
    """One row of a shared file: what it gives and what it lacks."""

    line: int
    name: str
    basic_code: str | None
    """The row's code as an item: its basic code, or for a business-handling row the
    14-character code; ``None`` when the row has none."""
    local_code: str | None
    lacks: tuple[InvalidField, ...]
    item: NewItem | None = None
    version: str | None = None
    superseded_by: int | None = None

    @property
    def blocked(self) -> bool:
        return any(p.params.get("blocking") for p in self.lacks)

    @property
    def needs_basic_code(self) -> bool:
        return self.basic_code is None

    @property
    def status(self) -> str:
        """``item`` | ``superseded`` | ``needs_basic_code`` | ``incomplete``."""
        if self.superseded_by is not None:
            return "superseded"
        if self.item is not None:
            return "item"
        return "needs_basic_code" if self.needs_basic_code else "incomplete"

    def lack_codes(self) -> list[str]:
        return [p.code.removeprefix("catalog_import.") for p in self.lacks]


@dataclass(frozen=True)
class SharedFile:
    """A shared file read row by row. Nothing compared with the database yet."""

    source: str
    columns: tuple[str, ...]
    rows: tuple[RowReport, ...]

    @property
    def items(self) -> tuple[NewItem, ...]:
        """The items (newest version of each code), parents before business items."""
        return tuple(r.item for r in self._item_rows() if r.item is not None)

    def _item_rows(self) -> list[RowReport]:
        return sorted((r for r in self.rows if r.status == "item"),
                      key=lambda r: r.basic_code or "")

    @property
    def needs_basic_code(self) -> tuple[RowReport, ...]:
        return tuple(r for r in self.rows if r.needs_basic_code)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status (``item``, ``superseded``, ``needs_basic_code``, ``incomplete``)."""
        c = Counter(r.status for r in self.rows)
        return {"rows": len(self.rows), **{k: c.get(k, 0) for k in
                                            ("item", "superseded", "needs_basic_code",
                                             "incomplete")}}

    @property
    def lack_counts(self) -> dict[str, int]:
        """How many rows lack each thing (short codes)."""
        return dict(Counter(code for r in self.rows for code in r.lack_codes()))

    def document(self, owner: str) -> CatalogDocument:
        """The items as a catalog document for ``exchange.import_catalog`` (lines kept)."""
        rows = self._item_rows()
        return CatalogDocument(owner=owner, items=tuple(r.item for r in rows if r.item),
                               source=self.source,
                               where=tuple(Where(f"第 {r.line} 行（{r.basic_code}）",
                                                 f"line {r.line} ({r.basic_code})", r.line)
                                           for r in rows))


def read_shared_file(source: str | os.PathLike[str] | bytes, *,
                     name: str | None = None) -> SharedFile:
    """Read one shared CSV (UTF-8, header row) and report on every row.

    Raises ``Invalid`` (``catalog_import.bad_document``) only when the file as a whole is
    not one of these files (encoding, missing common columns).
    """
    if isinstance(source, bytes):
        data, label = source, name or "<bytes>"
    else:
        data, label = Path(source).read_bytes(), name or Path(source).name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("catalog_import.bad_document", f"{label} 不是 UTF-8 编码的 CSV",
                      f"{label} is not UTF-8 CSV", field="file") from exc
    records = _records(text)
    header_line, header = next(records, (0, []))
    header = [h.strip() for h in header]
    missing = [c for c in COMMON_COLUMNS if c not in header]
    if missing:
        raise Invalid("catalog_import.bad_document",
                      f"{label} 缺少共同列：{', '.join(missing)}",
                      f"{label} lacks the common columns: {', '.join(missing)}",
                      field="file", missing=missing)
    del header_line
    reports = [_row(line, dict(zip(header, values, strict=False)))
               for line, values in records if any(v.strip() for v in values)]
    return SharedFile(label, tuple(header), tuple(_supersede(reports)))


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on."""
    reader = csv.reader(io.StringIO(text))
    last = 0
    for values in reader:
        yield last + 1, values
        last = reader.line_num


def _lack(code: str, line: int, zh: str, en: str, field: str, **params: Any) -> InvalidField:
    return InvalidField(f"catalog_import.{code}", f"第 {line} 行：{zh}", f"line {line}: {en}",
                        field=field, line=line, params={"blocking": code in BLOCKING, **params})


def _cell(row: Mapping[str, str | None], key: str) -> str:
    return (row.get(key) or "").strip()


def _row(line: int, row: Mapping[str, str | None]) -> RowReport:
    lacks: list[InvalidField] = []

    def lack(code: str, zh: str, en: str, field: str, **params: Any) -> None:
        lacks.append(_lack(code, line, zh, en, field, **params))

    name = _cell(row, "name")
    if not name:
        lack("no_name", "没有事项名称", "no item name", "name")
    elif len(name) > _NAME_MAX:
        lack("name_too_long", f"事项名称超过 {_NAME_MAX} 字", f"the name is longer than "
             f"{_NAME_MAX} characters", "name")

    code = _cell(row, "basic_code").upper() or None
    local = _cell(row, "local_item_code") or None
    parent: str | None = None
    business = _cell(row, "business_item_code").upper()
    if code is None:
        suggested = _suggested_code(_cell(row, "implementation_code").upper())
        extra = {"suggested": suggested} if suggested else {}
        hint_zh = f"（实施编码显示可能为 {suggested}，未采用）" if suggested else ""
        hint_en = f" (the implementation code suggests {suggested}; not used)" if suggested else ""
        local_zh = f"；地方编码 {local} 已保留" if local else ""
        local_en = f"; local code {local} kept" if local else ""
        lack("no_basic_code", f"没有基本编码，需要补充基本编码{hint_zh}{local_zh}",
             f"no basic code: needs a basic code{hint_en}{local_en}", "basic_code",
             local_code=local, **extra)
    elif len(business) == 33 and business[19:31] == code:
        parent, code = code, business[19:]
    code_type: str | None = None
    if code is not None:
        try:
            code_type = parse_basic_code(code)[0]
        except Invalid as exc:
            kind = ("unknown_item_type" if "事项类型" in exc.zh and len(code) in (12, 14)
                    else "bad_basic_code")
            lack(kind, exc.zh, exc.en, "basic_code", value=code)

    item_type = _cell(row, "item_type")
    if not item_type:
        lack("no_item_type", "没有事项类型", "no item type", "item_type")
    elif item_type not in ITEM_TYPES:
        if not any(p.code == "catalog_import.unknown_item_type" for p in lacks):
            lack("unknown_item_type", f"事项类型 {item_type} 不在国家编码（01–10、20）中",
                 f"item type {item_type} is not a national one (01–10, 20)", "item_type",
                 value=item_type)
    elif code_type is not None and code_type != item_type:
        lack("item_type_mismatch", f"事项类型 {item_type} 与基本编码第 3–4 位 {code_type} 不一致",
             f"item type {item_type} differs from the code's digits {code_type}", "item_type")

    levels = _ints(_cell(row, "use_level"))
    if not _cell(row, "use_level"):
        lack("no_use_level", "没有行使层级", "no exercising tier (use_level)", "use_level")
    elif levels is None or not levels or not set(levels) <= set(range(1, 7)):
        lack("bad_use_level", f"行使层级 {_cell(row, 'use_level')} 应为 1–6",
             f"exercising tiers {_cell(row, 'use_level')!r} must be 1–6", "use_level")

    case_type = _case_type(row)
    if case_type is None:
        lack("no_case_type", "没有办件类型（按承诺件处理）", "no case type (promised-deadline "
             "assumed)", "case_type")
    days_text = _cell(row, "statutory_days")
    days: int | None = None
    unit = _cell(row, "statutory_days_unit_code")
    if days_text:
        if days_text.isdigit():
            days = int(days_text)
        else:
            lack("bad_statutory_days", f"法定办结时限 {days_text!r} 不是工作日数",
                 f"statutory limit {days_text!r} is not a number of working days",
                 "statutory_days")
        if unit not in ("", "1"):
            lack("unknown_days_unit", f"时限单位代码 {unit} 未知（只认 1 = 工作日）",
                 f"unknown time unit code {unit} (only 1 = working days)",
                 "statutory_days_unit_code")
    if (case_type or 2) == 2 and not days and not any(
            p.code == "catalog_import.bad_statutory_days" for p in lacks):
        lack("no_statutory_days", "没有法定办结时限（承诺件必须有）",
             "no statutory limit (a promised-deadline item needs one)", "statutory_days")

    materials = _materials(_cell(row, "materials"))
    if not materials:
        lack("no_materials", "没有申请材料", "no materials listed", "materials")
    fees = _cell(row, "fees").replace(" ", "").lower()
    is_free = True
    if not fees:
        lack("no_fee_info", "没有收费信息", "no fee information", "fees")
    elif fees in ("is_fee=1", "是", "收费"):
        is_free = False
        lack("fee_items_unlisted", "收费但未列出收费项目", "charges a fee but lists no fee items",
             "fees")
    visits_text = _cell(row, "visits")
    visits = int(visits_text) if visits_text.isdigit() else None
    if visits_text and visits is None:
        lack("bad_visits", f"到现场次数 {visits_text!r} 不是数字",
             f"visits {visits_text!r} is not a number", "visits")
    applicants = _ints(_cell(row, "serve_type_code")) or ()
    if not set(applicants) <= _APPLICANT_TYPES:
        applicants = ()

    item: NewItem | None = None
    if code is not None and not any(p.params.get("blocking") for p in lacks):
        assert levels is not None
        item = normalise_item(NewItem(
            basic_code=code, name=name, item_type=item_type, use_levels=levels,
            statutory_days=days, case_type=case_type or 2,
            legal_basis=_cell(row, "legal_basis") or None, max_visits=visits,
            applicant_types=applicants, is_free=is_free, materials=materials,
            parent_code=parent))
    return RowReport(line=line, name=name, basic_code=code, local_code=local,
                     lacks=tuple(lacks), item=item, version=_cell(row, "task_version") or None)


def _suggested_code(implementation_code: str) -> str | None:
    """The basic code inside a 31/33-character implementation code, if it parses."""
    if len(implementation_code) not in (31, 33):
        return None
    candidate = implementation_code[19:]
    try:
        parse_basic_code(candidate)
    except Invalid:
        return None
    return candidate


def _ints(text: str) -> tuple[int, ...] | None:
    parts = [p.strip() for p in re.split(r"[,，、]", text) if p.strip()]
    if not all(p.isdigit() for p in parts):
        return None
    return tuple(sorted({int(p) for p in parts}))


def _case_type(row: Mapping[str, str | None]) -> int | None:
    for key in ("case_type", "project_type_code"):
        v = _cell(row, key)
        if v in ("1", "即办件"):
            return 1
        if v in ("2", "承诺件"):
            return 2
    return None


def _materials(text: str) -> tuple[NewMaterial, ...]:
    names = [_NUMBERING.sub("", part).strip() for part in _SPLIT.split(text)]
    return tuple(NewMaterial(name=n[:_NAME_MAX]) for n in names if n)


def _supersede(rows: list[RowReport]) -> list[RowReport]:
    """Keep the newest version of each code (highest ``task_version``, else the last row)."""
    best: dict[str, RowReport] = {}
    for r in rows:
        if r.item is None or r.basic_code is None:
            continue
        cur = best.get(r.basic_code)
        if cur is None or _version_key(r) >= _version_key(cur):
            best[r.basic_code] = r
    out = []
    for r in rows:
        winner = best.get(r.basic_code or "")
        if r.item is not None and winner is not None and winner is not r:
            note = _lack("superseded", r.line,
                         f"基本编码 {r.basic_code} 的较旧版本（{r.version or '?'}），以第 "
                         f"{winner.line} 行（{winner.version or '?'}）为准",
                         f"an older version ({r.version or '?'}) of {r.basic_code}; line "
                         f"{winner.line} ({winner.version or '?'}) is kept", "task_version",
                         kept=winner.line)
            r = RowReport(r.line, r.name, r.basic_code, r.local_code, (*r.lacks, note), None,
                          r.version, winner.line)
        out.append(r)
    return out


def _version_key(r: RowReport) -> tuple[int, int]:
    v = r.version or ""
    return (int(v) if v.isdigit() else -1, r.line)
