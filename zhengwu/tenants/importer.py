"""Bulk import of divisions (行政区划批量导入): read a file, plan against the database, apply.

This module holds the three steps of an import. ``read_divisions`` reads the national table
(``code,name,tier,parent_code``) or the official padded list (``code,name``, 12 digits) and
checks every row on its own; ``plan_import`` checks the rows against the tree in the database
and computes the diff; ``apply_import`` writes a plan in committed batches. It must never
write anything while any row is bad, never delete a tenant, and never move back a tenant
that a merge has moved.

Rules and decisions (where the issue left a choice):

* **Codes.** The national table holds short forms (2, 4, 6, 9 or 12 digits, the length
  naming the tier); the padded list holds 12 digits, shortened by dropping all-zero trailing
  segments. The province and city segments must not be zero; the lower ones may, because
  the real table has such units: 东莞市 ``441900`` and 中山市 ``442000`` (不设区的地级市,
  whose county level repeats the city), 金门县 ``350527000``/``350527000000``. In the padded
  list the county level of such a city is absent (``441900000000`` is the city): when a
  township's county ``XXXX00`` is missing and the city ``XXXX`` is present, the county is
  synthesised with the city's name, as the national table does.
* **Checks.** Every row is checked on its own (columns, code, name, tier column, parent
  column: it must be the code's prefix *and* the tier right above) whatever ``under`` says:
  a bad file is reported whole. Rows that are imported are also checked against the tree:
  the parent must be in the file or in the database, and active there. The same code twice
  with the same name is a harmless duplicate (skipped and counted); with another name it is
  an error. Problems carry the file's line number; ``plan_import`` raises one ``Invalid``
  (``import.invalid_rows``) listing them all.
* **Diff.** *added* (not in the database), *renamed* (same code and parent, new name),
  *moved* (same code, another parent in the database — typically after a merge, 撤并),
  *unchanged*, *missing* (in the database below the import's root, in no row of the file).
  Apply adds and renames. It leaves moved tenants alone (name included: the merge was a
  decision of record and the file predates it) and only reports them; it never deletes a
  missing one.
* **``under``.** Limits the import to a code and everything below it (by code prefix). Its
  ancestors must be in the database or in the file; those only in the file are added too
  (with the permission checked at their paths), those already in the database are left as
  they are (never renamed by a narrowed import). *Missing* is then computed below ``under``;
  without it, below the file's top rows (the provinces of the national table).
* **Apply.** New rows go in tier order (provinces first), so a parent is always in an
  earlier or the same batch as its children; each batch is one transaction with one audit
  entry (``tenant.import``, counts only). A crash after batch *k* leaves *k* batches
  committed; planning again finds them unchanged and carries on (resumable; idempotent).
  Renames follow the additions, in the same kind of batches. The first load of an empty
  directory on PostgreSQL, given the owner's engine, is one transaction instead
  (``_apply_bulk``: indexes and the parent key rebuilt after the COPY; all or nothing).
* **Speed** (budget P1, see ``bench/README.md``). Tight loops over plain tuples, no ORM
  objects, the cyclic garbage collector paused while the big lists are built, sorted ids made
  in blocks (``_uuid7_block``), one driver-level SELECT of (code, name, path) for the diff,
  PostgreSQL ``COPY`` (asyncpg ``copy_records_to_table``, as the application role: it has
  INSERT on ``tenants``; records generated while asyncpg sends) and SQLite ``executemany``
  of six columns into a temporary table, then one ``INSERT … SELECT`` (``_SqliteWriter``).
  After a large PostgreSQL load run ``vacuum_analyze`` with an owner engine.
"""

from __future__ import annotations

import csv
import gc
import gzip
import io
import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol, cast

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement

from zhengwu.core import audit, clock
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.errors import Invalid, InvalidField, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import Resource, can
from zhengwu.tenants.codes import PLATFORM_CODE, Tier, kind_hint, parse_code
from zhengwu.tenants.models import Tenant, TenantStatus
from zhengwu.tenants.provisioning import ensure_platform_root

__all__ = [
    "FileFormat",
    "ImportPlan",
    "ImportResult",
    "Missing",
    "Moved",
    "ParsedFile",
    "Renamed",
    "apply_import",
    "plan_import",
    "read_divisions",
    "vacuum_analyze",
]

ProgressCallback = Callable[[int, int], None]
"""``on_progress(done, total)``: called after each committed batch."""

_TIER_OF_LENGTH = {2: Tier.PROVINCE.value, 4: Tier.CITY.value, 6: Tier.COUNTY.value,
                   9: Tier.TOWNSHIP.value, 12: Tier.VILLAGE.value}
_PARENT_LENGTH = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}
_DEPTH_OF_LENGTH = {n: Tier(t).depth for n, t in _TIER_OF_LENGTH.items()}
_NAME_MAX = 200  # tenants.name is String(200)
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_COLUMNS = ("id", "code", "name", "tier", "kind", "parent_id", "path", "depth", "status",
            "created_at", "updated_at")


class FileFormat(StrEnum):
    NATIONAL = "national"  # code,name,tier,parent_code — short codes, header row
    PADDED = "padded"  # code,name — official 12-digit codes, header optional


Row = tuple[int, str, str]
"""A good row: (line number, short code, name). Tier and parent follow from the code."""

NewDivision = tuple[int, str, str, str]
"""A row to add: (line number, short code, name, materialised path)."""


class Renamed(NamedTuple):
    line: int
    code: str
    old_name: str
    new_name: str


class Moved(NamedTuple):
    line: int
    code: str
    name: str
    file_parent: str  # the parent the file names ('' = platform)
    db_path: str  # where the tenant sits in the database


class Missing(NamedTuple):
    code: str
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A division file after the row-by-row checks (nothing compared with the database yet)."""

    source: str
    format: FileFormat
    rows: list[Row]
    """Good rows, tier by tier (provinces first), file order within a tier; no duplicates."""
    by_code: dict[str, Row]
    problems: list[InvalidField]
    bad_codes: frozenset[str]
    """Codes of rows with a problem: still "in the file" for their children's parent check."""
    duplicates: int = 0
    """Rows repeating an earlier row exactly (same code, same name): skipped."""
    synthesised: tuple[str, ...] = ()
    """County codes added for cities without counties (padded format only)."""

    def contains(self, code: str) -> bool:
        return code in self.by_code or code in self.bad_codes


@dataclass(slots=True)
class ImportPlan:
    """The diff of a file against the database, and what ``apply_import`` needs to write it."""

    source: str
    format: FileFormat
    under: str | None
    scope_path: str
    """Permission scope: the path of ``under`` or ``*`` (the whole tree)."""
    added: list[NewDivision]
    renamed: list[Renamed]
    moved: list[Moved]
    unchanged: int
    missing: list[Missing]
    duplicates: int = 0
    synthesised: tuple[str, ...] = ()
    parent_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    """Ids of tenants already in the database that receive new children."""

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "renamed": len(self.renamed),
                "moved": len(self.moved), "unchanged": self.unchanged,
                "missing": len(self.missing), "duplicates": self.duplicates}

    @property
    def has_work(self) -> bool:
        return bool(self.added or self.renamed)


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    renamed: int
    batches: int
    left_alone: int
    """Moved tenants reported and not touched."""


# --------------------------------------------------------------------------------------------
# Reading


def read_divisions(source: str | os.PathLike[str] | bytes | BinaryIO, *,
                   name: str | None = None) -> ParsedFile:
    """Read and check a division file (gzipped or plain, UTF-8); detect its format.

    Raises ``Invalid`` for a file that cannot be read as a whole (wrong encoding, unknown
    layout, no rows); row problems are collected in ``ParsedFile.problems``.
    """
    data, label = _read_bytes(source, name)
    reader: _Reader = csv.reader(io.StringIO(_decode(data, label)))
    first: list[str] | None = None
    for fields in reader:
        if any(f.strip() for f in fields):
            first = fields
            break
    if first is None:
        raise Invalid("import.empty_file", f"文件 {label} 没有任何数据行",
                      f"file {label} has no rows", field="file")
    fmt, is_header = _detect_format(first, label)
    # Headerless: the first row is data. While it is processed the reader's ``line_num``
    # still points at it, so every row's line number is ``reader.line_num``.
    rows: Iterable[list[str]] = reader if is_header else itertools.chain([first], reader)
    with _gc_paused():
        if fmt is FileFormat.NATIONAL:
            return _parse_national(rows, reader, label)
        return _parse_padded(rows, reader, label)


class _Reader(Protocol):
    """What we use of ``csv.reader``: rows and the number of the line last read."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def _read_bytes(source: str | os.PathLike[str] | bytes | BinaryIO,
                name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        data, label = source, name or "<bytes>"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        data, label = path.read_bytes(), name or path.name
    else:
        data, label = source.read(), name or str(getattr(source, "name", "<stream>"))
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    return data, label


def _decode(data: bytes, label: str) -> str:
    """UTF-8 (with or without BOM); a GBK/GB18030 file gets a clear error and a way out."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            raise Invalid(
                "import.encoding",
                f"文件 {label} 不是 UTF-8 编码（第 {line} 行起无法解码），请另存为 UTF-8 后再导入",
                f"file {label} is not UTF-8 (undecodable from line {line}); save it as UTF-8 "
                "and import again", field="file", line=line) from exc
        raise Invalid(
            "import.encoding_gbk",
            f"文件 {label} 看起来是 GBK/GB18030 编码（办公软件常见），不是 UTF-8；未写入任何数据。"
            f"请先转换：iconv -f GBK -t UTF-8 {label} > utf8-{label}"
            "（或在 Excel/WPS 中“另存为 CSV UTF-8”），再导入转换后的文件",
            f"file {label} looks GBK/GB18030-encoded (common in office software), not UTF-8; "
            f"nothing was written. Convert it first: iconv -f GBK -t UTF-8 {label} > "
            f"utf8-{label} (or save as 'CSV UTF-8' in Excel/WPS) and import that file",
            field="file", line=line) from exc


def _detect_format(first: list[str], label: str) -> tuple[FileFormat, bool]:
    """The format from the first row: a header names it, else the column count does."""
    cells = [c.strip().lower() for c in first]
    if cells and not cells[0].isdigit():  # a header
        if cells == ["code", "name", "tier", "parent_code"]:
            return FileFormat.NATIONAL, True
        if len(cells) == 2:
            return FileFormat.PADDED, True
    elif len(cells) == 4:
        return FileFormat.NATIONAL, False
    elif len(cells) == 2:
        return FileFormat.PADDED, False
    raise Invalid(
        "import.unknown_format",
        f"无法识别文件 {label} 的格式：应为全国区划表（表头 code,name,tier,parent_code）"
        "或 12 位代码表（code,name 两列）",
        f"unrecognised layout of {label}: expected the national table (header "
        "code,name,tier,parent_code) or the padded 12-digit list (two columns code,name)",
        field="file", first_row=",".join(first))


def _problem(line: int, code: str, zh: str, en: str, field_name: str = "code",
             **params: Any) -> InvalidField:
    return InvalidField(code, zh, en, field=field_name, line=line, params=params)


def _code_problem(line: int, code: str, *, padded: bool = False) -> InvalidField:
    """Why ``code`` is not a short (or, with ``padded``, a 12-digit) division code."""
    if not code:
        zh, en = "区划代码为空", "the division code is empty"
    elif not (code.isascii() and code.isdigit()):
        zh, en = f"区划代码 {code} 只能包含数字", f"division code {code} must be digits only"
    elif padded and len(code) != 12:
        zh, en = (f"区划代码 {code} 应为 12 位（现为 {len(code)} 位）",
                  f"division code {code} must have 12 digits (has {len(code)})")
    elif len(code) not in _PARENT_LENGTH:
        zh, en = (f"区划代码 {code} 长度应为 2、4、6、9 或 12 位",
                  f"division code {code} must have 2, 4, 6, 9 or 12 digits")
    else:
        zh, en = (f"区划代码 {code} 的省级或地级段不能为 00",
                  f"division code {code}: the province and city digits must not be 00")
    return _problem(line, "import.bad_code", zh, en, value=code)


def _short_ok(code: str) -> bool:
    n = len(code)
    return (n in _PARENT_LENGTH and code.isascii() and code.isdigit() and code[:2] != "00"
            and (n == 2 or code[2:4] != "00"))


def _shorten_padded(code: str) -> str | None:
    """``340000000000`` → ``34``; None when not 12 digits or a zero province/city segment."""
    if len(code) != 12 or not (code.isascii() and code.isdigit()):
        return None
    if code[2:] == "0000000000":
        short = code[:2]
    elif code[4:] == "00000000":
        short = code[:4]
    elif code[6:] == "000000":
        short = code[:6]
    elif code[9:] == "000":
        short = code[:9]
    else:
        short = code
    return short if _short_ok(short) else None


class _Collector:
    """The state shared by both formats' loops: de-duplication, tier buckets, problems."""

    __slots__ = ("bad_codes", "buckets", "by_code", "duplicates", "problems")

    def __init__(self) -> None:
        self.by_code: dict[str, Row] = {}
        self.buckets: dict[int, list[Row]] = {n: [] for n in sorted(_PARENT_LENGTH)}
        self.problems: list[InvalidField] = []
        self.bad_codes: set[str] = set()
        self.duplicates = 0

    def bad(self, problem: InvalidField, code: str | None = None) -> None:
        self.problems.append(problem)
        if code:
            self.bad_codes.add(code)

    def accept(self, line: int, code: str, name: str) -> None:
        first = self.by_code.get(code)
        if first is None:
            row = (line, code, name)
            self.by_code[code] = row
            self.buckets[len(code)].append(row)
        elif first[2] == name:
            self.duplicates += 1
        else:
            self.bad(_problem(
                line, "import.duplicate_code",
                f"区划代码 {code} 重复：第 {first[0]} 行为“{first[2]}”，此处为“{name}”",
                f"duplicate code {code}: line {first[0]} says {first[2]!r}, this line {name!r}",
                first_line=first[0]), code)

    def check_name(self, line: int, code: str, raw: str) -> str | None:
        name = raw.strip()
        if not name:
            self.bad(_problem(line, "import.empty_name", f"{code} 的名称为空",
                              f"the name of {code} is empty", "name"), code)
            return None
        if len(name) > _NAME_MAX:
            self.bad(_problem(line, "import.name_too_long",
                              f"{code} 的名称超过 {_NAME_MAX} 个字符",
                              f"the name of {code} is longer than {_NAME_MAX} characters",
                              "name"), code)
            return None
        return name

    def result(self, source: str, fmt: FileFormat,
               synthesised: tuple[str, ...] = ()) -> ParsedFile:
        rows = [row for n in sorted(self.buckets) for row in self.buckets[n]]
        self.problems.sort(key=lambda p: p.line or 0)
        return ParsedFile(source, fmt, rows, self.by_code, self.problems,
                          frozenset(self.bad_codes), self.duplicates, synthesised)


def _parse_national(rows: Iterable[list[str]], reader: _Reader, source: str) -> ParsedFile:
    c = _Collector()
    by_code, buckets = c.by_code, c.buckets
    tier_of, parent_length, name_max = _TIER_OF_LENGTH, _PARENT_LENGTH, _NAME_MAX
    for fields in rows:
        if not fields:
            continue
        line = reader.line_num
        if len(fields) == 4:
            # The hot path (665k rows): a clean row seen for the first time, checked inline.
            code, raw_name, tier, parent = fields
            n = len(code)
            name = raw_name.strip()
            if (n in parent_length and tier == tier_of[n] and parent == code[:parent_length[n]]
                    and code.isascii() and code.isdigit() and code[:2] != "00"
                    and (n == 2 or code[2:4] != "00") and name and len(name) <= name_max
                    and code not in by_code):
                row = (line, code, name)
                by_code[code] = row
                buckets[n].append(row)
                continue
        checked = _check_national_row(c, line, fields)
        if checked is not None:
            c.accept(line, *checked)
    return c.result(source, FileFormat.NATIONAL)


def _check_national_row(c: _Collector, line: int, fields: list[str]) -> tuple[str, str] | None:
    """The slow path of a row: spaces tolerated, every problem named; (code, name) if good."""
    if len(fields) != 4:
        c.bad(_problem(line, "import.malformed_row",
                       f"应有 4 列（code,name,tier,parent_code），实有 {len(fields)} 列",
                       f"expected 4 columns (code,name,tier,parent_code), found {len(fields)}",
                       "row", columns=len(fields)))
        return None
    code, raw_name, tier, parent = (f.strip() for f in fields)
    if not _short_ok(code):
        c.bad(_code_problem(line, code))
        return None
    n = len(code)
    expected_tier = _TIER_OF_LENGTH[n]
    if tier.lower() != expected_tier:
        c.bad(_problem(line, "import.tier_mismatch",
                       f"{code} 是{Tier(expected_tier).zh}代码（{expected_tier}），"
                       f"但层级列为“{tier}”",
                       f"{code} is a {expected_tier} code but the tier column says {tier!r}",
                       "tier", expected=expected_tier, found=tier), code)
        return None
    expected_parent = code[:_PARENT_LENGTH[n]]
    if parent == PLATFORM_CODE and n == 2:
        parent = ""
    if parent != expected_parent:
        c.bad(_parent_problem(line, code, parent, expected_parent), code)
        return None
    name = c.check_name(line, code, raw_name)
    return None if name is None else (code, name)


def _parent_problem(line: int, code: str, parent: str, expected: str) -> InvalidField:
    if parent and code.startswith(parent) and len(parent) in _PARENT_LENGTH:
        tier, parent_tier = Tier(_TIER_OF_LENGTH[len(code)]), Tier(_TIER_OF_LENGTH[len(parent)])
        return _problem(
            line, "import.wrong_tier_parent",
            f"{code}（{tier.zh}）的上级必须是紧邻的上一级 {expected}，而不是{parent_tier.zh}的 {parent}",
            f"{code} ({tier.value}) must sit right below its {(tier.parent or Tier.PLATFORM).value}"
            f" {expected}, not under the {parent_tier.value} {parent}",
            "parent_code", expected=expected, found=parent)
    return _problem(
        line, "import.wrong_parent",
        f"{code} 的上级应为 {expected or '平台（空）'}（代码前缀），而不是 {parent or '空'}",
        f"the parent of {code} must be {expected or 'empty (the platform)'} (its code prefix), "
        f"not {parent or 'empty'}", "parent_code", expected=expected, found=parent)


def _parse_padded(rows: Iterable[list[str]], reader: _Reader, source: str) -> ParsedFile:
    c = _Collector()
    for fields in rows:
        if not fields:
            continue
        line = reader.line_num
        if len(fields) != 2:
            c.bad(_problem(line, "import.malformed_row",
                           f"应有 2 列（code,name），实有 {len(fields)} 列",
                           f"expected 2 columns (code,name), found {len(fields)}", "row",
                           columns=len(fields)))
            continue
        raw_code, raw_name = fields
        code = _shorten_padded(raw_code) or _shorten_padded(raw_code.strip())
        if code is None:
            c.bad(_code_problem(line, raw_code.strip(), padded=True))
            continue
        name = c.check_name(line, code, raw_name)
        if name is not None:
            c.accept(line, code, name)
    # 不设区的地级市: the padded list has no county level under them; add it as the
    # national table does (county XXXX00 named like the city).
    synthesised: list[str] = []
    for _line, code, _name in c.buckets[9]:
        county = code[:6]
        if county.endswith("00") and not (county in c.by_code or county in c.bad_codes):
            city = c.by_code.get(code[:4])
            if city is not None:
                c.accept(city[0], county, city[2])
                synthesised.append(county)
    return c.result(source, FileFormat.PADDED, tuple(synthesised))


# --------------------------------------------------------------------------------------------
# Planning


def _require(principal: Principal, path: str) -> None:
    if not can(principal, "import", Resource("tenant", path)):
        raise PermissionDenied("tenant:import", path)


def _parent_code(code: str) -> str:
    return code[:_PARENT_LENGTH[len(code)]]


def _parent_in_path(path: str) -> str:
    """``34/3418/341881`` → ``3418``; a province's path → ``''`` (the platform)."""
    return path.rpartition("/")[0].rpartition("/")[2]


def _in_subtree(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def _normalise_under(under: str, parsed: ParsedFile) -> str:
    """The short code meant by ``under``: as given when the file has it, else its padded
    (``341802000000``), short or GB/T 2260 (``340000``) form, in that order."""
    code = str(under).strip()
    if parsed.contains(code):
        return code
    short = _shorten_padded(code) if len(code) == 12 else (code if _short_ok(code) else None)
    if short is not None:
        return short
    try:
        return parse_code(code).short
    except Invalid as exc:
        raise Invalid("import.bad_under", f"--under 的区划代码 {code} 无效",
                      f"--under: bad division code {code}", field="under") from exc


async def plan_import(session: AsyncSession, principal: Principal, parsed: ParsedFile,
                      under: str | None = None) -> ImportPlan:
    """Check ``parsed`` against the database and compute the diff. Writes nothing.

    Raises ``Invalid`` (``import.invalid_rows``, ``params["problems"]``: every problem with
    its line) when any row is bad, and ``PermissionDenied`` without ``tenant:import`` at
    ``under`` (or at the platform without it).
    """
    u = _normalise_under(under, parsed) if under is not None else None
    u_db_path: str | None = None
    if u is None:
        _require(principal, "*")
    else:
        u_db_path = await session.scalar(select(Tenant.path).where(Tenant.code == u))
        if u_db_path is not None:
            _require(principal, u_db_path)
        elif not parsed.contains(u):
            raise Invalid("import.under_not_found", f"区划 {u} 既不在文件中，也不在数据库中",
                          f"division {u} is neither in the file nor in the database",
                          field="under")
    existing = await _load_existing(session, u, u_db_path)
    problems = list(parsed.problems)
    with _gc_paused():
        diff = _diff(parsed, existing, u, problems)
    # Parents already in the database: their ids (for the new rows) and their status.
    parents = await _load_parents(session, diff.db_parents)
    inactive = {code for code, (_id, status) in parents.items()
                if status != TenantStatus.ACTIVE.value}
    if inactive:
        for line, code, _name, _path in diff.added:
            parent = _parent_code(code)
            if parent in inactive:
                problems.append(_problem(
                    line, "import.parent_inactive",
                    f"{code} 的上级 {parent} 在数据库中已{_status_zh(parents[parent][1])}，不能在其下新增",
                    f"the parent {parent} of {code} is {parents[parent][1]} in the database; "
                    "nothing can be added below it", "parent_code", parent=parent))
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise Invalid("import.invalid_rows",
                      f"文件 {parsed.source} 有 {len(problems)} 处错误，未写入任何数据",
                      f"{parsed.source}: {len(problems)} bad row(s); nothing was written",
                      field="file", problems=problems)
    if u is not None and not diff.in_scope:
        raise Invalid("import.nothing_under", f"文件中没有 {u} 及其下级的区划",
                      f"the file has no divisions at or below {u}", field="under")
    scope_path = "*" if u is None else (u_db_path or diff.new_paths[u])
    if u is not None and u_db_path is None:
        _require(principal, scope_path)
    for code in diff.added_ancestors:
        _require(principal, diff.new_paths[code])
    missing = _missing(parsed, existing, u, u_db_path)
    return ImportPlan(
        source=parsed.source, format=parsed.format, under=u, scope_path=scope_path,
        added=diff.added, renamed=diff.renamed, moved=diff.moved, unchanged=diff.unchanged,
        missing=missing, duplicates=parsed.duplicates, synthesised=parsed.synthesised,
        parent_ids={code: id_ for code, (id_, _status) in parents.items()},
    )


def _status_zh(status: str) -> str:
    return {"suspended": "暂停", "merged": "撤并"}.get(status, status)


async def _load_existing(session: AsyncSession, u: str | None,
                         u_db_path: str | None) -> dict[str, tuple[str, str]]:
    """code → (name, path) of the tenants the import can touch: one SELECT, no ORM objects."""
    stmt = select(Tenant.code, Tenant.name, Tenant.path).where(Tenant.code != PLATFORM_CODE)
    if u is not None:
        cond = Tenant.code.startswith(u) | Tenant.code.in_(
            [u[:n] for n in (2, 4, 6, 9) if n < len(u)] or [u])
        if u_db_path is not None:
            cond = cond | ((Tenant.path >= u_db_path + "/") & (Tenant.path < u_db_path + "0"))
        stmt = stmt.where(cond)
    with _gc_paused():
        return {code: (name, path) for code, name, path in await _fetch_raw(session, stmt)}


async def _fetch_raw(session: AsyncSession, stmt: ClauseElement) -> Sequence[Sequence[Any]]:
    """Rows straight from the driver, in the session's transaction.

    For selects of plain strings over hundreds of thousands of rows: SQLAlchemy's ``Row``
    objects and result processing cost ~10 µs a row here. The statement is compiled with its
    values inline (they are validated division codes and paths).
    """
    conn = await session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver: Any = (await conn.get_raw_connection()).driver_connection
    if conn.dialect.name == "postgresql":
        return cast(Sequence[Sequence[Any]], await driver.fetch(sql))
    return cast(Sequence[Sequence[Any]], await driver.execute_fetchall(sql))


async def _load_parents(session: AsyncSession,
                        codes: set[str]) -> dict[str, tuple[uuid.UUID, str]]:
    found: dict[str, tuple[uuid.UUID, str]] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), 1000):
        rows = await session.execute(select(Tenant.code, Tenant.id, Tenant.status)
                                     .where(Tenant.code.in_(ordered[i:i + 1000])))
        found.update({code: (id_, status) for code, id_, status in rows})
    return found


@dataclass(slots=True)
class _Diff:
    added: list[NewDivision] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    unchanged: int = 0
    in_scope: int = 0
    new_paths: dict[str, str] = field(default_factory=dict)
    db_parents: set[str] = field(default_factory=set)
    added_ancestors: list[str] = field(default_factory=list)


def _diff(parsed: ParsedFile, existing: dict[str, tuple[str, str]], u: str | None,
          problems: list[InvalidField]) -> _Diff:
    """Classify the rows in scope (tier order, so a new parent's path is known first).

    The loop runs once per row of the national table: names are bound locally and the
    common cases (a new row under a new or known parent, an unchanged row) come first.
    """
    d = _Diff()
    ancestors = {u[:n] for n in (2, 4, 6, 9) if n < len(u)} if u is not None else set()
    rows = (parsed.rows if u is None else
            [r for r in parsed.rows if r[1].startswith(u) or r[1] in ancestors])
    new_paths, added, parent_length = d.new_paths, d.added, _PARENT_LENGTH
    existing_get, add_row = existing.get, added.append
    unchanged = 0
    for line, code, name in rows:
        parent = code[:parent_length[len(code)]]
        is_ancestor = u is not None and not code.startswith(u)
        db = existing_get(code)
        if db is None:
            if parent in new_paths:
                path = new_paths[parent] + "/" + code
            elif not parent:
                path = code
            elif parent in existing:
                path = existing[parent][1] + "/" + code
                d.db_parents.add(parent)
            else:
                # A parent in the file but without a path had a problem of its own, already
                # reported on its line: do not cascade.
                if not parsed.contains(parent):
                    problems.append(_problem(
                        line, "import.unknown_parent",
                        f"{code} 的上级 {parent} 既不在文件中，也不在数据库中",
                        f"the parent {parent} of {code} is neither in the file nor in the "
                        "database", "parent_code", parent=parent))
                continue
            new_paths[code] = path
            add_row((line, code, name, path))
            if is_ancestor:
                d.added_ancestors.append(code)
            continue
        if is_ancestor:
            continue  # already in the database: a narrowed import leaves it as it is
        db_name, db_path = db
        if _parent_in_path(db_path) != parent:
            d.moved.append(Moved(line, code, name, parent, db_path))
        elif db_name != name:
            d.renamed.append(Renamed(line, code, db_name, name))
        else:
            unchanged += 1
    d.unchanged = unchanged
    d.in_scope = len(added) - len(d.added_ancestors) + len(d.moved) + len(d.renamed) + unchanged
    return d


def _missing(parsed: ParsedFile, existing: dict[str, tuple[str, str]], u: str | None,
             u_db_path: str | None) -> list[Missing]:
    """Tenants below the import's root that no row of the file names (reported, kept).

    The root is ``under``; without it, the file's top rows (rows whose parent is not in the
    file: the provinces of the national table, the top of a cut).
    """
    absent = [code for code in existing if not parsed.contains(code)]
    if not absent or (u is not None and u_db_path is None):
        return []  # all named (always so on a first load), or ``under`` is new
    roots: set[str] = set()
    if u is None:
        roots = {code for _line, code, _name in parsed.rows
                 if not parsed.contains(_parent_code(code))}
    out: list[Missing] = []
    for code in absent:
        name, path = existing[code]
        inside = (_in_subtree(path, u_db_path) if u_db_path is not None
                  else not roots.isdisjoint(path.split("/")))
        if inside:
            out.append(Missing(code, name, path))
    out.sort(key=lambda m: m.path)
    return out


# --------------------------------------------------------------------------------------------
# Applying


async def apply_import(session: AsyncSession, principal: Principal, plan: ImportPlan, *,
                       batch_size: int = 20_000,
                       on_progress: ProgressCallback | None = None,
                       owner: AsyncEngine | None = None) -> ImportResult:
    """Write ``plan``: additions (tier order), then renames, one committed batch at a time.

    The session's pending work is committed first; each batch is its own transaction with
    one audit entry. After a failure, plan again and apply: the committed batches show as
    unchanged and the import carries on from there. Ids are 32-hex-digit strings inside
    (both drivers take them as they are).

    ``owner``: an engine connected as the owner of the tables (``make_engine(settings,
    as_owner=True)``). With it, the first load of an empty directory on PostgreSQL takes
    the bulk path (``_apply_bulk``): one transaction instead of batches, several times
    faster. Without it, or when the directory already has divisions, batches as above.
    """
    _require(principal, plan.scope_path)
    total = len(plan.added) + len(plan.renamed)
    if not total:
        return ImportResult(0, 0, 0, len(plan.moved))
    root_id = (await ensure_platform_root(session)).id
    await session.commit()
    dialect = session.get_bind().dialect
    if (owner is not None and dialect.name == "postgresql" and not plan.renamed
            and not plan.parent_ids and len(plan.added) >= BULK_MIN_ROWS):
        result = await _apply_bulk(owner, principal, plan, root_id, batch_size, on_progress)
        if result is not None:
            return result
    writer = _PostgresWriter() if dialect.name == "postgresql" else _SqliteWriter(dialect)
    ids: dict[str, str] = {code: id_.hex for code, id_ in plan.parent_ids.items()}
    ids[""] = root_id.hex
    size = max(1, batch_size)
    adds = [plan.added[i:i + size] for i in range(0, len(plan.added), size)]
    renames = [plan.renamed[i:i + size] for i in range(0, len(plan.renamed), size)]
    batches = len(adds) + len(renames)
    done = 0

    async def commit(number: int, added: int, renamed: int) -> None:
        nonlocal done
        await _audit_batch(session, principal, plan, ids, root_id, number, batches,
                           added, renamed)
        await session.commit()
        done += added + renamed
        if on_progress is not None:
            on_progress(done, total)

    for number, chunk in enumerate(adds, start=1):
        await writer.insert(session, chunk, _uuid7_block(len(chunk)), ids, clock.now())
        await commit(number, len(chunk), 0)
    for number, renamed in enumerate(renames, start=len(adds) + 1):
        await _rename(session, renamed, clock.now())
        await commit(number, 0, len(renamed))
    return ImportResult(len(plan.added), len(plan.renamed), batches, len(plan.moved))


BULK_MIN_ROWS = 50_000
"""Below this many new rows the batched path is fast enough and keeps the table readable."""

_STAMPS = ("created_at", "updated_at")
assert _COLUMNS[-len(_STAMPS):] == _STAMPS
_STAMP_DEFAULTS = """
SELECT a.attname, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'tenants'::regclass AND a.attname IN ('created_at', 'updated_at')
"""
"""The timestamps' own defaults (none today: the ORM sets them), restored after a bulk load."""

_SECONDARY_DDL = """
SELECT format('ALTER TABLE tenants DROP CONSTRAINT %I', conname),
       format('ALTER TABLE tenants ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)),
       CASE contype WHEN 'f' THEN 2 ELSE 1 END
  FROM pg_constraint
 WHERE conrelid = 'tenants'::regclass
   AND (contype = 'u' OR (contype = 'f' AND confrelid = 'tenants'::regclass))
UNION ALL
SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid), 0
  FROM pg_index
 WHERE indrelid = 'tenants'::regclass AND NOT indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)
"""
"""Every secondary index, unique constraint and self-reference of ``tenants``, read from the
catalog (so a later migration's index is handled too): how to drop it, how to rebuild it,
and the rebuild order (plain indexes, unique constraints, then foreign keys)."""


async def _apply_bulk(owner: AsyncEngine, principal: Principal, plan: ImportPlan,
                      root_id: uuid.UUID, batch_size: int,
                      on_progress: ProgressCallback | None) -> ImportResult | None:
    """The first load of an empty directory on PostgreSQL, as the table owner.

    Maintaining two unique indexes, the parent index and the parent foreign key row by row
    costs several times the COPY itself (the foreign key alone is a lookup and a row lock
    per row). For a first load, one transaction locks ``tenants`` (ACCESS EXCLUSIVE: nobody
    reads the directory meanwhile, which on an empty directory hurts no one), drops them
    (as read from the catalog), copies every row, and rebuilds them — sorted index builds
    and one validating join. Nothing is visible until the commit; a failure leaves nothing
    behind and the next run starts over. Returns None (having changed nothing) when the
    directory turns out not to be empty once locked.
    """
    total = len(plan.added)
    size = max(1, batch_size)
    async with owner.connect() as conn, conn.begin():
        await conn.exec_driver_sql("SET LOCAL lock_timeout = '30s'")
        await conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        await conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        await conn.exec_driver_sql("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE")
        taken = await conn.scalar(select(Tenant.id).where(Tenant.code != PLATFORM_CODE)
                                  .limit(1))
        if taken is not None:
            return None
        catalog: Sequence[Sequence[Any]] = (await conn.exec_driver_sql(_SECONDARY_DDL)).all()
        ddl = [(str(drop), str(create), int(order)) for drop, create, order in catalog]
        for drop, _create, _order in ddl:
            await conn.exec_driver_sql(drop)
        # The two timestamps are the same for every row: a column default for the duration
        # of the load spares encoding 1.3 million datetimes (~40% of the COPY's client time).
        defaults: Sequence[Sequence[Any]] = (await conn.exec_driver_sql(_STAMP_DEFAULTS)).all()
        stamp = clock.now().isoformat()
        await conn.exec_driver_sql(
            "ALTER TABLE tenants " + ", ".join(f"ALTER {column} SET DEFAULT '{stamp}'"
                                               for column in _STAMPS))
        driver: Any = (await conn.get_raw_connection()).driver_connection
        ids = {"": root_id.hex}
        for start in range(0, total, size):
            chunk = plan.added[start:start + size]
            await driver.copy_records_to_table(
                "tenants", records=_records(chunk, _uuid7_block(len(chunk)), ids, None),
                columns=list(_COLUMNS[:-len(_STAMPS)]))
            if on_progress is not None:
                on_progress(min(start + size, total), total)
        await conn.exec_driver_sql(
            "ALTER TABLE tenants " + ", ".join(
                f"ALTER {column} SET DEFAULT {expr}" if expr else f"ALTER {column} DROP DEFAULT"
                for column, expr in defaults))
        for _drop, create, _order in sorted(ddl, key=lambda row: row[2]):
            await conn.exec_driver_sql(create)
        # The audit entry, in the same transaction (RLS applies to the owner too).
        async with AsyncSession(bind=conn) as session:
            session.info["scope"] = ALL_SCOPE
            await _audit_batch(session, principal, plan, ids, root_id, 1, 1, total, 0,
                               mode="bulk")
            await session.commit()
    return ImportResult(total, 0, 1, len(plan.moved))


class _PostgresWriter:
    """asyncpg binary COPY, fed by the record generator.

    asyncpg sends every 512 kB as it encodes, so the server inserts (and maintains the
    indexes and the foreign key) on its own core while Python builds the next records.
    ``synchronous_commit`` is off for the import's transactions: a crash may lose the last
    batches' commits, which re-running the import restores (it is resumable), and each
    batch no longer waits for its WAL flush.
    """

    @staticmethod
    async def insert(session: AsyncSession, chunk: Sequence[NewDivision], new_ids: list[str],
                     ids: dict[str, str], now: datetime) -> None:
        conn = await session.connection()
        await conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        raw = await conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            "tenants", records=_records(chunk, new_ids, ids, now), columns=list(_COLUMNS))


class _SqliteWriter:
    """``executemany`` of six plain columns into a temporary table, then one ``INSERT … SELECT``.

    Python's ``sqlite3`` binds every parameter of every row on its own: 665k rows of 11
    columns cost more than the insert itself. The new rows go into ``temp.{stage}`` with what
    only Python knows (id, code, name, kind, parent id, path: 32-hex-digit ids, SQLAlchemy's
    storage format of UUIDs); tier, depth, status and the two timestamps (SQLAlchemy's own
    storage format, taken from the column type once) are added by SQLite, which writes
    ``tenants`` in one statement. The staging table is dropped in the same transaction.
    Going through the typed ``insert(Tenant)`` would cost more still (two UUIDs and two
    datetimes converted per row).
    """

    def __init__(self, dialect: Dialect) -> None:
        table = Tenant.__table__
        to_db = table.c.id.type.dialect_impl(dialect).bind_processor(dialect)
        probe = uuid.UUID(_uuid7_block(1)[0])
        if to_db is not None and to_db(probe) != probe.hex:
            raise RuntimeError("unexpected SQLite storage format of UUID columns")
        self._time = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)

    async def insert(self, session: AsyncSession, chunk: Sequence[NewDivision],
                     new_ids: list[str], ids: dict[str, str], now: datetime) -> None:
        stamp = self._time(now) if self._time is not None else now
        conn = await session.connection()
        with _gc_paused():
            rows = list(_stage_rows(chunk, new_ids, ids))
        stage = _SQLITE_STAGE
        await conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{stage}")
        await conn.exec_driver_sql(
            f"CREATE TEMP TABLE {stage} (id, code, name, kind, parent_id, path)")
        await conn.exec_driver_sql(f"INSERT INTO temp.{stage} VALUES (?, ?, ?, ?, ?, ?)", rows)
        await conn.exec_driver_sql(
            f"INSERT INTO tenants ({', '.join(_COLUMNS)}) "
            f"SELECT id, code, name, {_length_case('code', _TIER_OF_LENGTH)}, kind, parent_id, "
            f"path, {_length_case('code', _DEPTH_OF_LENGTH)}, ?, ?, ? "
            f"FROM temp.{stage} ORDER BY rowid", (TenantStatus.ACTIVE.value, stamp, stamp))
        await conn.exec_driver_sql(f"DROP TABLE temp.{stage}")


_SQLITE_STAGE = "zhengwu_import_stage"


def _length_case(column: str, values: dict[int, Any]) -> str:
    """``CASE length(column) WHEN 2 THEN … END`` from one of the tier tables above."""
    whens = " ".join(f"WHEN {n} THEN {v!r}" for n, v in sorted(values.items()))
    return f"CASE length({column}) {whens} END"


def _stage_rows(chunk: Sequence[NewDivision], new_ids: list[str],
                ids: dict[str, str]) -> Iterator[tuple[str, str, str, str | None, str, str]]:
    """(id, code, name, kind, parent id, path) per new tenant; registers each new id."""
    parent_length, hint = _PARENT_LENGTH, kind_hint
    for (_line, code, name, path), new_id in zip(chunk, new_ids, strict=True):
        n = len(code)
        ids[code] = new_id
        yield (new_id, code, name, hint(code, name) if n > 6 else None,
               ids[code[:parent_length[n]]], path)


def _records(chunk: Sequence[NewDivision], new_ids: list[str], ids: dict[str, str],
             now: Any) -> Iterator[tuple[Any, ...]]:
    """One tuple per new tenant, in ``_COLUMNS`` order, made as the writer consumes them.

    Registers each new id for the children that follow (tier order: parents come first).
    ``now`` None: without the two timestamps (the bulk path sets them by default).
    """
    active = TenantStatus.ACTIVE.value
    tier_of, parent_length, depth_of = _TIER_OF_LENGTH, _PARENT_LENGTH, _DEPTH_OF_LENGTH
    hint = kind_hint
    for (_line, code, name, path), new_id in zip(chunk, new_ids, strict=True):
        n = len(code)
        ids[code] = new_id
        row = (new_id, code, name, tier_of[n], hint(code, name) if n > 6 else None,
               ids[code[:parent_length[n]]], path, depth_of[n], active)
        yield row if now is None else (*row, now, now)


async def _rename(session: AsyncSession, chunk: Sequence[Renamed], now: datetime) -> None:
    table = cast(Table, Tenant.__table__)
    stmt = (update(table).where(table.c.code == bindparam("b_code"))
            .values(name=bindparam("b_name"), kind=bindparam("b_kind"), updated_at=now))
    params = [{"b_code": r.code, "b_name": r.new_name,
               "b_kind": kind_hint(r.code, r.new_name) if len(r.code) > 6 else None}
              for r in chunk]
    conn = await session.connection()
    await conn.execute(stmt, params)


async def _audit_batch(session: AsyncSession, principal: Principal, plan: ImportPlan,
                       ids: dict[str, str], root_id: uuid.UUID, number: int, of: int,
                       added: int, renamed: int, mode: str = "batches") -> None:
    """One entry per batch, at ``under`` (or the platform): counts, never the rows."""
    if plan.under is None:
        tenant_id, tenant_path = root_id, PLATFORM_CODE
    else:
        known = ids.get(plan.under)
        found = (uuid.UUID(known) if known is not None else
                 await session.scalar(select(Tenant.id).where(Tenant.code == plan.under)))
        if found is None:  # pragma: no cover - plan_import guarantees it exists by now
            raise NotFound("tenant", plan.under)
        tenant_id, tenant_path = found, plan.scope_path
    await audit.record(
        session, principal, "tenant.import", tenant_id=tenant_id, tenant_path=tenant_path,
        target_type="tenant", target_id=plan.under or "platform",
        after={"source": plan.source, "format": plan.format.value, "batch": number,
               "batches": of, "added": added, "renamed": renamed, "mode": mode})


async def vacuum_analyze(engine: AsyncEngine) -> None:
    """``VACUUM ANALYZE tenants`` after a big PostgreSQL load (index-only scans need it).

    Needs an engine connected as the table owner (``make_engine(settings, as_owner=True)``):
    the application role may not vacuum. Outside a transaction, as VACUUM requires.
    """
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE tenants"))


# --------------------------------------------------------------------------------------------
# Helpers


_VERSION_7 = bytes(0x70 | (b & 0x0F) for b in range(256))
_VARIANT_RFC = bytes(0x80 | (b & 0x3F) for b in range(256))


def _uuid7_block(n: int) -> list[str]:
    """``n`` version-7 UUIDs as 32 hex digits, made in bulk: one clock read, one urandom call.

    The RFC 9562 layout of ``zhengwu.core.ids.uuid7`` (48 bits of Unix milliseconds, the
    version and variant bits, random bits elsewhere), built with byte-slice operations over
    the whole block instead of integer arithmetic per id: ~0.3 µs an id instead of ~3 µs,
    which matters at 665k rows. Ids of one block share their millisecond and are sorted.
    """
    if n <= 0:
        return []
    buf = bytearray(os.urandom(16 * n))
    ms = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    for i, byte in enumerate(ms.to_bytes(6, "big")):
        buf[i::16] = bytes((byte,)) * n
    buf[6::16] = buf[6::16].translate(_VERSION_7)
    buf[8::16] = buf[8::16].translate(_VARIANT_RFC)
    digits = buf.hex()
    # Sorted, the ids of a block increase in insertion order: every primary-key (and parent
    # index) insertion lands on the rightmost leaf, 4x cheaper than random places.
    return sorted(digits[i:i + 32] for i in range(0, 32 * n, 32))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large lists of tuples.

    Every few hundred allocations the collector walks all live container objects; with
    hundreds of thousands of tuples alive that doubles the time of a load, and tuples of
    strings never form cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
