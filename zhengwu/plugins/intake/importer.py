"""Historical cases from a county's own records (历史办件导入): a CSV file, checked whole, then
written in one transaction — or not at all.

File format (UTF-8, a BOM is fine; a GBK file is recognised and named, with the ``iconv``
command to convert it; comma-separated, one header row, columns in any order, names as
below; unknown columns are refused so a typo never drops data silently):

==================  ========  ============================================================
column              required  meaning
==================  ========  ============================================================
case_no             yes       the county's own case number (办件编号), kept as the case
                              number (≤ 40 characters, no spaces): applicants look their
                              historical cases up with the number on their receipt. The
                              platform's own form ``<code>-<year>-<6 digits>`` is reserved.
tenant              yes       the accepting tenant (window, township centre, village agent
                              point): a division code inside ``--tenant``'s subtree
basic_code          yes       the item's basic code; the tenant must accept it today
                              (implementation list and delegations as they are now)
channel             no        window (default) | online | agent | kiosk, or 窗口 / 网上 /
                              代办点 / 自助终端; an agent point's item is always ``agent``
applicant_kind      yes       person | organisation (自然人 / 法人, 法人或其他组织)
applicant_name      yes       name of the person or organisation
id_number           person    resident ID number (GB 11643, checked)
credit_code         org.      unified social credit code (GB 32100, checked)
phone               no        mobile or landline (checked)
contact_name        no        contact person
submitted_on        yes       date handed in (YYYY-MM-DD or YYYY/M/D)
accepted_on         no        date accepted (受理); needed for approved/denied
decision            no        approved | denied | not_accepted | withdrawn, or 准予 / 不予 /
                              不予受理 / 撤回; empty: the case is still open
decided_on          with      date of the decision (or of 不予受理 / 撤回)
                    decision
reason              denied,   reason of the denial or of 不予受理
                    not acc.
delivered_on        no        date the result was delivered (办结); approved/denied only
delivery_method     no        pickup (default) | courier | electronic (窗口领取/邮寄送达/电子送达)
promised_days       no        promised limit in working days (default: the implementation's)
fees                no        fees charged in 元: ``80`` (the item's first fee) or
                              ``1:80;2:12.5`` (by fee number); at or below the standard
==================  ========  ============================================================

Every row is checked before anything is written, and **every** bad row is reported with its
line number and reason (``import.invalid_rows``): bad ID number, credit code or phone, unknown
or not-accepted item, tenant unknown or outside the subtree or without intake, dates
unparseable, in the future or out of order, unknown channel, decision without its date, a
case number used twice or already taken by another case… Then nothing is written.

Otherwise every new row becomes a case with ``imported=True``: personal data protected
exactly as live cases (``applicants.protect_applicant``: encrypted, keyed hashes, masks,
lookup check values bound to the case number), the due date computed on the handling
tenant's working-day calendar from the acceptance date, handling days and on-time for decided
cases, fees as fee rows, one history row (action ``import``, note "imported"). All rows go in
one transaction, flushed in batches (progress reported per batch), with one audit entry
(``case.import``: counts and the file's SHA-256, never rows). Closed cases are history, not
news: nothing is announced of them. Each open accepted case is announced as an
``intake.case_snapshot`` (``replay``), so that plugins that follow cases (e-supervision) watch it
from the import on.

Idempotent: a row's key is its case number per accepting tenant (``idempotency_key =
"import:<case_no>"``); rows already imported are counted as unchanged and skipped, so a second
run adds nothing. Materials and procedure steps of historical cases are not imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit, clock
from zhengwu.core.calendar.service import WorkCalendar, load_calendar
from zhengwu.core.catalog.delegation import who_handles
from zhengwu.core.catalog.models import CatalogFee, CatalogItem, Implementation, ImplementationFee
from zhengwu.core.db import new_id, subtree_clause
from zhengwu.core.errors import Conflict, Invalid, InvalidField, PermissionDenied
from zhengwu.core.pii import PiiCipher
from zhengwu.core.security.principal import Principal, is_ancestor_or_self
from zhengwu.core.security.rbac import Resource, can
from zhengwu.plugins.intake import replay
from zhengwu.plugins.intake.applicants import ProtectedApplicant, check_hash, protect_applicant
from zhengwu.plugins.intake.deadlines import compute_due, compute_statutory_due
from zhengwu.plugins.intake.inputs import APPLICANT_KINDS, CHANNELS, DELIVERY_METHODS, Applicant
from zhengwu.plugins.intake.models import Case, CaseFee, CaseHistory
from zhengwu.tenants import enablement
from zhengwu.tenants.models import Tenant
from zhengwu.tenants.scope import access_tenant, normalise_code

__all__ = ["COLUMNS", "REQUIRED", "CaseFile", "CaseImportPlan", "CaseImportResult",
           "apply_import", "plan_import", "read_cases"]

PLUGIN = "intake"
KEY_PREFIX = "import:"
COLUMNS = ("case_no", "tenant", "basic_code", "channel", "applicant_kind", "applicant_name",
           "id_number", "credit_code", "phone", "contact_name", "submitted_on", "accepted_on",
           "decision", "decided_on", "reason", "delivered_on", "delivery_method",
           "promised_days", "fees")
REQUIRED = ("case_no", "tenant", "basic_code", "applicant_kind", "applicant_name", "submitted_on")
CASE_NO_MAX = 40
_OWN_NUMBER = re.compile(r"^\d{2,12}-\d{4}-\d{6}(-\d+)?$")
_ALIASES = {
    "channel": {"窗口": "window", "网上": "online", "网办": "online", "代办点": "agent", "代办": "agent",
                "自助终端": "kiosk"},
    "applicant_kind": {"自然人": "person", "个人": "person", "法人": "organisation",
                       "法人或其他组织": "organisation", "organization": "organisation"},
    "decision": {"准予": "approved", "批准": "approved", "不予": "denied", "不予许可": "denied",
                 "不予受理": "not_accepted", "撤回": "withdrawn"},
    "delivery_method": {"窗口领取": "pickup", "邮寄送达": "courier", "邮寄": "courier",
                        "电子送达": "electronic"},
}
DECISIONS = ("approved", "denied", "not_accepted", "withdrawn")
ProgressCallback = Callable[[int, int], None]


def _problem(line: int | None, code: str, zh: str, en: str, column: str | None = None,
             **params: Any) -> InvalidField:
    return InvalidField(code, zh, en, field=column, line=line, params=params)


def _invalid(problems: Sequence[InvalidField], source: str) -> Invalid:
    rows = len({p.line for p in problems if p.line})
    return Invalid("import.invalid_rows",
                   f"{source}：{len(problems)} 处错误（{rows} 行），未导入任何办件",
                   f"{source}: {len(problems)} problem(s) on {rows} row(s); nothing imported",
                   field="file", problems=list(problems))


def _raise(problems: Sequence[InvalidField], source: str) -> None:
    if problems:
        raise _invalid(problems, source)


# ------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class CaseRow:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class CaseFile:
    source: str
    sha256: str
    rows: tuple[CaseRow, ...]


def read_cases(data: bytes | Path, name: str | None = None) -> CaseFile:
    """Parse the file (no database): header and encoding checked, cells stripped."""
    if isinstance(data, Path):
        name = name or data.name
        data = data.read_bytes()
    source = name or "cases.csv"
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
            hint_zh, hint_en = "文件似为 GBK 编码", "the file looks GBK-encoded"
        except UnicodeDecodeError:
            hint_zh, hint_en = "文件不是 UTF-8 编码", "the file is not UTF-8"
        line = data[:exc.start].count(b"\n") + 1
        raise Invalid("import.invalid_rows", f"{source}：{hint_zh}", f"{source}: {hint_en}",
                      field="file", problems=[_problem(
                          line, "import.encoding",
                          f"{hint_zh}，请先转换：iconv -f GBK -t UTF-8 {source} > utf8.csv",
                          f"{hint_en}; convert it first: iconv -f GBK -t UTF-8 {source} > utf8.csv")]
                      ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    problems: list[InvalidField] = []
    if header is None:
        raise _invalid([_problem(1, "import.empty", "文件为空（缺少表头行）",
                                 "the file is empty (no header row)")], source)
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    if unknown:
        problems.append(_problem(1, "import.unknown_columns", f"未知的列：{'、'.join(unknown)}",
                                 f"unknown column(s): {', '.join(unknown)}", columns=unknown))
    if missing:
        problems.append(_problem(1, "import.missing_columns", f"缺少必需的列：{'、'.join(missing)}",
                                 f"missing required column(s): {', '.join(missing)}",
                                 columns=missing))
    twice = sorted({h for h in names if h and names.count(h) > 1})
    if twice:
        problems.append(_problem(1, "import.duplicate_columns", f"列重复：{'、'.join(twice)}",
                                 f"column(s) given twice: {', '.join(twice)}"))
    _raise(problems, source)
    rows: list[CaseRow] = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            problems.append(_problem(line, "import.column_count",
                                     f"应有 {len(names)} 列，实为 {len(record)} 列",
                                     f"expected {len(names)} columns, found {len(record)}"))
            continue
        rows.append(CaseRow(line, {n: c.strip() for n, c in zip(names, record, strict=True) if n}))
    _raise(problems, source)
    return CaseFile(source, digest, tuple(rows))


# ----------------------------------------------------------------------------- planning

@dataclass
class _Item:
    impl: Implementation
    catalog: CatalogItem
    decider: Tenant
    basis: str
    fees: dict[int, tuple[str, int | None]]  # fee seq → (name, standard in cents)


@dataclass
class _Prepared:
    row: CaseRow
    tenant: Tenant
    item: _Item
    who: ProtectedApplicant
    channel: str
    submitted_on: date
    accepted_on: date | None
    decision: str | None
    decided_on: date | None
    reason: str | None
    delivered_on: date | None
    delivery_method: str | None
    promised_days: int | None
    fees: list[tuple[int, int]]  # (fee seq, cents)


@dataclass
class CaseImportPlan:
    """What applying would do: ``new`` rows to write, ``unchanged`` already imported."""

    source: str
    sha256: str
    under: Tenant
    rows: int
    new: list[_Prepared] = field(default_factory=list)
    unchanged: int = 0

    @property
    def counts(self) -> dict[str, int]:
        by_status: dict[str, int] = {}
        for p in self.new:
            status = _status(p)
            by_status[status] = by_status.get(status, 0) + 1
        return {"rows": self.rows, "new": len(self.new), "unchanged": self.unchanged, **by_status}


@dataclass(frozen=True)
class CaseImportResult:
    imported: int
    unchanged: int
    batches: int


def _status(p: _Prepared) -> str:
    if p.decision in ("approved", "denied"):
        return "delivered" if p.delivered_on else p.decision
    if p.decision in ("not_accepted", "withdrawn"):
        return p.decision
    return "accepted" if p.accepted_on else "submitted"


def _choice(row: CaseRow, column: str, allowed: Sequence[str], default: str | None,
            problems: list[InvalidField]) -> str | None:
    raw = row.get(column)
    if not raw:
        return default
    value = _ALIASES.get(column, {}).get(raw, raw.lower())
    if value not in allowed:
        problems.append(_problem(row.line, f"import.bad_{column}",
                                 f"{column} 的值“{raw}”无效，应为 {'/'.join(allowed)}",
                                 f"{column} {raw!r} must be one of {', '.join(allowed)}", column))
        return None
    return value


def _day(row: CaseRow, column: str, today: date, problems: list[InvalidField]) -> date | None:
    raw = row.get(column)
    if not raw:
        return None
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", raw)
    try:
        if m is None:
            raise ValueError(raw)
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        problems.append(_problem(row.line, "import.bad_date", f"{column} 日期“{raw}”无效（应为 YYYY-MM-DD）",
                                 f"{column} {raw!r} is no date (YYYY-MM-DD)", column))
        return None
    if d > today:
        problems.append(_problem(row.line, "import.future_date", f"{column} {d} 晚于今天",
                                 f"{column} {d} is in the future", column))
        return None
    return d


def _fees(row: CaseRow, item: _Item | None, problems: list[InvalidField]) -> list[tuple[int, int]]:
    raw = row.get("fees")
    if not raw:
        return []
    out: list[tuple[int, int]] = []
    for part in re.split(r"[;；]", raw):
        part = part.strip()
        if not part:
            continue
        seq_text, colon, amount_text = part.rpartition(":")
        try:
            seq = int(seq_text) if colon else 1
            cents_dec = Decimal(amount_text.strip()) * 100
            if cents_dec != cents_dec.to_integral_value() or cents_dec <= 0:
                raise InvalidOperation
            cents = int(cents_dec)
        except (ValueError, InvalidOperation):
            problems.append(_problem(row.line, "import.bad_fees", f"收费“{part}”无效（应为 80 或 1:80）",
                                     f"fee {part!r} is invalid (80, or 1:80)", "fees"))
            continue
        if item is None:
            continue
        fee = item.fees.get(seq)
        if fee is None:
            problems.append(_problem(row.line, "case.fee_unknown",
                                     f"收费项目 {seq} 不在事项 {item.impl.basic_code} 的收费清单中",
                                     f"fee {seq} is not charged for item {item.impl.basic_code}", "fees"))
            continue
        name, standard = fee
        if standard is not None and cents > standard:
            problems.append(_problem(row.line, "case.fee_above_standard",
                                     f"收费 {cents / 100:.2f} 元高于“{name}”的标准 {standard / 100:.2f} 元",
                                     f"{cents} cents is above the standard of {standard} cents", "fees"))
            continue
        out.append((seq, cents))
    return out


class _Resolver:
    """Tenants, enablement and items, each asked once per file."""

    def __init__(self, session: AsyncSession, under: Tenant) -> None:
        self.session, self.under = session, under
        self.tenants: dict[str, Tenant | None] = {}
        self.enabled: dict[uuid.UUID, bool] = {}
        self.items: dict[tuple[str, str], _Item | InvalidField] = {}

    async def tenant(self, row: CaseRow, problems: list[InvalidField]) -> Tenant | None:
        raw = row.get("tenant")
        try:
            code = normalise_code(raw)
        except Exception:
            problems.append(_problem(row.line, "import.bad_tenant", f"区划代码“{raw}”无效",
                                     f"{raw!r} is not a division code", "tenant"))
            return None
        if code not in self.tenants:
            self.tenants[code] = await self.session.scalar(select(Tenant).where(Tenant.code == code))
        tenant = self.tenants[code]
        if tenant is None or not is_ancestor_or_self(self.under.path, tenant.path):
            problems.append(_problem(row.line, "import.tenant_outside",
                                     f"受理单位 {code} 不在 {self.under.name}（{self.under.code}）辖区内",
                                     f"tenant {code} is not in {self.under.code}'s subtree", "tenant"))
            return None
        if tenant.status != "active":
            problems.append(_problem(row.line, "case.tenant_not_active", f"{tenant.name}已{tenant.status}",
                                     f"{tenant.code} is {tenant.status}", "tenant"))
            return None
        if tenant.id not in self.enabled:
            self.enabled[tenant.id] = PLUGIN in await enablement.active_plugins(self.session, tenant)
        if not self.enabled[tenant.id]:
            problems.append(_problem(row.line, "plugin.not_enabled", f"{tenant.name}未启用受理办件（intake）",
                                     f"intake is not enabled at {tenant.code}", "tenant"))
            return None
        return tenant

    async def item(self, row: CaseRow, tenant: Tenant, problems: list[InvalidField]) -> _Item | None:
        code = row.get("basic_code").upper()
        key = (tenant.code, code)
        if key not in self.items:
            self.items[key] = await self._resolve(tenant, code)
        found = self.items[key]
        if isinstance(found, InvalidField):
            problems.append(replace(found, line=row.line))
            return None
        return found

    async def _resolve(self, tenant: Tenant, code: str) -> _Item | InvalidField:
        answer = await who_handles(self.session, tenant.code, code)
        if answer.item_id is None:
            return _problem(None, "import.unknown_item", f"事项 {code} 不在已发布的事项目录中",
                            f"item {code} is in no published catalog", "basic_code")
        if not answer.accepts:
            where = f"（由{answer.handled_by_name}办理）" if answer.handled_by_name else ""
            return _problem(None, "case.item_not_handled_here", f"{tenant.name}不受理事项 {code}{where}",
                            f"{tenant.code} does not accept item {code}: {answer.note_en}",
                            "basic_code")
        decider = await self.session.scalar(select(Tenant).where(Tenant.code == answer.decider_code))
        assert decider is not None
        q = select(Implementation).where(Implementation.basic_code == answer.basic_code,
                                         Implementation.status != "retired")
        if answer.implementation_id is not None:
            q = q.where(Implementation.id == answer.implementation_id)
        else:  # 代办: the decider's implementation
            q = q.where(Implementation.tenant_id == decider.id).order_by(
                Implementation.created_at).limit(1)
        impl = await self.session.scalar(q)
        if impl is None:
            return _problem(None, "case.item_not_implemented",
                            f"{decider.name}尚未将事项 {code} 纳入实施清单",
                            f"{decider.code} has not adopted item {code}", "basic_code")
        catalog = await self.session.get(CatalogItem, impl.catalog_item_id)
        assert catalog is not None
        fee_rows = (await self.session.execute(
            select(CatalogFee, ImplementationFee.amount_cents)
            .join(ImplementationFee, ImplementationFee.catalog_fee_id == CatalogFee.id)
            .where(ImplementationFee.implementation_id == impl.id))).all()
        fees = {f.seq: (f.name, local if local is not None else f.max_amount_cents)
                for f, local in fee_rows}
        return _Item(impl, catalog, decider, answer.basis, fees)


def _dates(row: CaseRow, today: date, problems: list[InvalidField]) -> dict[str, Any]:
    decision = _choice(row, "decision", DECISIONS, None, problems)
    d = {c: _day(row, c, today, problems)
         for c in ("submitted_on", "accepted_on", "decided_on", "delivered_on")}
    sub, acc, dec, dlv = d["submitted_on"], d["accepted_on"], d["decided_on"], d["delivered_on"]
    line = row.line

    def order(a: date | None, b: date | None, ca: str, cb: str) -> None:
        if a is not None and b is not None and b < a:
            problems.append(_problem(line, "import.dates_out_of_order", f"{cb} {b} 早于 {ca} {a}",
                                     f"{cb} {b} is before {ca} {a}", cb))

    order(sub, acc, "submitted_on", "accepted_on")
    order(acc or sub, dec, "accepted_on" if acc else "submitted_on", "decided_on")
    order(dec, dlv, "decided_on", "delivered_on")

    def add(code: str, zh: str, en: str, column: str) -> None:
        problems.append(_problem(line, code, zh, en, column))

    if decision is None and row.get("decision") == "" and dec is not None:
        add("import.decided_without_decision", "有决定日期但未填写决定（decision）",
            "decided_on is given without a decision", "decision")
    if decision is not None and dec is None and row.get("decided_on") == "":
        add("import.decision_without_date", "填写了决定但缺少决定日期（decided_on）",
            "a decision needs decided_on", "decided_on")
    if decision in ("approved", "denied") and acc is None and row.get("accepted_on") == "":
        add("import.decided_not_accepted", "准予或不予决定须有受理日期（accepted_on）",
            "an approved or denied case needs accepted_on", "accepted_on")
    if decision == "not_accepted" and row.get("accepted_on"):
        add("import.not_accepted_but_accepted", "不予受理的办件不能有受理日期",
            "a case not accepted has no accepted_on", "accepted_on")
    if row.get("delivered_on") and decision not in ("approved", "denied"):
        add("import.delivered_without_decision", "只有准予或不予的办件才能送达",
            "only approved or denied cases are delivered", "delivered_on")
    if decision in ("denied", "not_accepted") and not row.get("reason"):
        add("case.reason_required", "不予许可或不予受理须写明理由（reason）",
            "a denial or non-acceptance needs its reason", "reason")
    return {"decision": decision, **d}


async def plan_import(session: AsyncSession, principal: Principal, parsed: CaseFile, under: str,
                      *, cipher: PiiCipher) -> CaseImportPlan:
    """Check every row against the directory, catalog and calendar; raise every problem at
    once (``import.invalid_rows``) or return what applying would write. Writes nothing."""
    root = await access_tenant(session, principal, under)
    if not can(principal, "import", Resource("case", root.path)):
        raise PermissionDenied("case:import", root.path)
    today = clock.today_shanghai()
    problems: list[InvalidField] = []
    plan = CaseImportPlan(parsed.source, parsed.sha256, root, len(parsed.rows))
    resolver = _Resolver(session, root)
    existing = {(tid, key) for tid, key in (await session.execute(
        select(Case.tenant_id, Case.idempotency_key).where(
            subtree_clause(Case.tenant_path, root.path),
            Case.idempotency_key.like(KEY_PREFIX + "%")))).all()}
    seen: dict[str, int] = {}
    candidates: list[tuple[CaseRow, str, Tenant | None]] = []
    for row in parsed.rows:
        before = len(problems)
        for column in REQUIRED:
            if not row.get(column):
                problems.append(_problem(row.line, "import.required", f"缺少 {column}",
                                         f"{column} is required", column))
        case_no = _check_case_no(row, seen, problems)
        tenant = await resolver.tenant(row, problems) if row.get("tenant") else None
        done = tenant is not None and (tenant.id, KEY_PREFIX + case_no) in existing
        if done and len(problems) == before:
            plan.unchanged += 1  # imported by an earlier run: nothing to check or write
            continue
        candidates.append((row, case_no, tenant))
    taken = await _taken_numbers(session, [c for _, c, _ in candidates if c])
    for row, case_no, tenant in candidates:
        if case_no in taken:
            problems.append(_problem(row.line, "import.case_no_taken",
                                     f"办件编号 {case_no} 已被其他办件使用",
                                     f"case number {case_no} is already used by another case",
                                     "case_no"))
        prepared = await _prepare(resolver, row, tenant, today, cipher, problems)
        if prepared is not None:
            plan.new.append(prepared)
    _raise(sorted(problems, key=lambda p: p.line or 0), parsed.source)
    return plan


def _check_case_no(row: CaseRow, seen: dict[str, int], problems: list[InvalidField]) -> str:
    """The row's case number when it is usable (else "" and a problem)."""
    case_no = row.get("case_no")
    if not case_no:
        return ""
    if len(case_no) > CASE_NO_MAX or any(c.isspace() for c in case_no) or not case_no.isprintable():
        problems.append(_problem(row.line, "import.bad_case_no",
                                 f"办件编号“{case_no[:50]}”无效（不超过 {CASE_NO_MAX} 个字符，不含空格）",
                                 f"case number {case_no[:50]!r} is invalid (at most {CASE_NO_MAX} "
                                 "characters, no spaces)", "case_no"))
        return ""
    if _OWN_NUMBER.match(case_no):
        problems.append(_problem(row.line, "import.reserved_case_no",
                                 f"办件编号“{case_no}”与本平台编号格式（区划-年份-序号）冲突",
                                 f"case number {case_no!r} has the platform's own form "
                                 "(<code>-<year>-<serial>), which is reserved", "case_no"))
        return ""
    if case_no in seen:
        problems.append(_problem(row.line, "import.duplicate_case_no",
                                 f"办件编号 {case_no} 与第 {seen[case_no]} 行重复",
                                 f"case number {case_no} repeats line {seen[case_no]}", "case_no"))
        return ""
    seen[case_no] = row.line
    return case_no


async def _taken_numbers(session: AsyncSession, numbers: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = list(numbers[start:start + 500])
        taken.update((await session.scalars(select(Case.case_no).where(Case.case_no.in_(chunk)))).all())
    return taken


async def _prepare(resolver: _Resolver, row: CaseRow, tenant: Tenant | None, today: date,
                   cipher: PiiCipher, problems: list[InvalidField]) -> _Prepared | None:
    """Every check of one row (all its problems appended); the row ready to write, or None."""
    before = len(problems)
    item = await resolver.item(row, tenant, problems) if tenant is not None and row.get(
        "basic_code") else None
    channel = _choice(row, "channel", tuple(CHANNELS), "window", problems)
    kind = _choice(row, "applicant_kind", tuple(APPLICANT_KINDS), None, problems)
    method = _choice(row, "delivery_method", tuple(DELIVERY_METHODS), None, problems)
    dates = _dates(row, today, problems)
    promised: int | None = None
    if row.get("promised_days"):
        try:
            promised = int(row.get("promised_days"))
            if not 0 <= promised <= 365:
                raise ValueError
        except ValueError:
            problems.append(_problem(row.line, "import.bad_promised_days",
                                     "promised_days 应为 0–365 的整数（工作日）",
                                     "promised_days must be a whole number of working days, 0–365",
                                     "promised_days"))
    fees = _fees(row, item, problems)
    who_problems: list[InvalidField] = []
    who = protect_applicant(Applicant(
        kind=kind or row.get("applicant_kind"), name=row.get("applicant_name"),
        id_number=row.get("id_number") or None, credit_code=row.get("credit_code") or None,
        contact_name=row.get("contact_name") or None, phone=row.get("phone") or None),
        cipher, who_problems)
    problems.extend(replace(p, line=row.line, field=_column_of(p.field)) for p in who_problems
                    if kind is not None or p.code != "case.applicant_kind")
    if (len(problems) > before or tenant is None or item is None or who is None or channel is None
            or not row.get("case_no")):
        return None
    if item.basis == "agent":
        channel = "agent"
    return _Prepared(row=row, tenant=tenant, item=item, who=who, channel=channel,
                     submitted_on=dates["submitted_on"], accepted_on=dates["accepted_on"],
                     decision=dates["decision"], decided_on=dates["decided_on"],
                     reason=row.get("reason") or None, delivered_on=dates["delivered_on"],
                     delivery_method=(method or "pickup") if dates["delivered_on"] else None,
                     promised_days=promised, fees=fees)


def _column_of(service_field: str | None) -> str | None:
    return {"applicant.idNumber": "id_number", "applicant.creditCode": "credit_code",
            "applicant.phone": "phone", "applicant.name": "applicant_name",
            "applicant.kind": "applicant_kind", "applicant.contactName": "contact_name"
            }.get(service_field or "", service_field)


# ----------------------------------------------------------------------------- applying

def _at(d: date | None) -> datetime | None:
    """A historical date as a time: the start of that day in China."""
    return datetime.combine(d, time(0), clock.SHANGHAI) if d is not None else None


class _Calendars:
    def __init__(self, session: AsyncSession, years: range) -> None:
        self.session, self.years = session, years
        self.loaded: dict[str, WorkCalendar] = {}

    async def of(self, path: str) -> WorkCalendar:
        if path not in self.loaded:
            self.loaded[path] = await load_calendar(self.session, path, self.years)
        return self.loaded[path]


async def _build(p: _Prepared, principal: Principal, cals: _Calendars,
                 cipher: PiiCipher) -> tuple[Case, list[Any]]:
    t, item, who = p.tenant, p.item, p.who
    case_no = p.row.get("case_no")
    status = _status(p)
    case = Case(
        id=new_id(), tenant_id=t.id, tenant_path=t.path, province_code=t.path.split("/")[0][:2],
        case_no=case_no, channel=p.channel, status=status, applicant_kind=who.kind,
        applicant_name=who.name, applicant_code=who.code, applicant_id_enc=who.id_enc,
        applicant_id_hash=who.id_hash, applicant_id_masked=who.id_masked,
        contact_name=who.contact_name, phone_enc=who.phone_enc, phone_hash=who.phone_hash,
        phone_masked=who.phone_masked,
        lookup_checks=[check_hash(cipher, case_no, tail) for tail in who.tails],
        idempotency_key=KEY_PREFIX + case_no, submitted_at=_at(p.submitted_on),
        submitted_on=p.submitted_on, handling_tenant_id=item.decider.id,
        handling_path=item.decider.path, implementation_id=item.impl.id,
        basic_code=item.impl.basic_code, implementation_code=item.impl.implementation_code,
        item_name=item.catalog.name, item_type=item.catalog.item_type,
        department_name=item.impl.department_name, case_type=item.catalog.case_type,
        statutory_days=item.catalog.statutory_days,
        promised_days=p.promised_days if p.promised_days is not None else item.impl.promised_days,
        basis=item.basis, imported=True, created_by=principal.username,
        extension_days=0, fees_cents=sum(c for _, c in p.fees), is_parallel=False,
        tolerated_missing=[])
    if p.accepted_on is not None:
        case.accepted_on, case.accepted_at = p.accepted_on, _at(p.accepted_on)
        cal = await cals.of(case.handling_path)
        deadline = compute_due(cal, case, [])
        if deadline is not None:
            case.due_date, case.due_provisional = deadline.due, deadline.provisional
            case.due_derivation = deadline.to_dict()
            case.statutory_due = compute_statutory_due(cal, case, [])
        if p.decision in ("approved", "denied") and p.decided_on is not None:
            case.handling_days = cal.count_working_days(p.accepted_on, p.decided_on)
            case.on_time = case.due_date is None or p.decided_on <= case.due_date
    if p.decision in ("approved", "denied"):
        case.decision, case.decision_reason = p.decision, p.reason
        case.decided_on, case.decided_at = p.decided_on, _at(p.decided_on)
    elif p.decision == "not_accepted":
        case.not_accepted_on, case.not_accepted_reason = p.decided_on, p.reason
    elif p.decision == "withdrawn":
        case.withdrawn_at, case.withdraw_reason = _at(p.decided_on), p.reason
    if p.delivered_on is not None:
        case.delivered_on, case.delivered_at = p.delivered_on, _at(p.delivered_on)
        case.delivery_method = p.delivery_method
    owned = {"case_id": case.id, "tenant_id": t.id, "tenant_path": t.path}
    extra: list[Any] = [CaseHistory(
        **owned, at=clock.now(), actor=principal.username, action="import", from_status=None,
        to_status=status, note="imported / 历史办件导入",
        data={"imported": True, "source_line": p.row.line,
              "dates": {k: v.isoformat() for k, v in (
                  ("submitted_on", p.submitted_on), ("accepted_on", p.accepted_on),
                  ("decided_on", p.decided_on), ("delivered_on", p.delivered_on)) if v}})]
    charged_on = p.accepted_on or p.submitted_on
    for seq, cents in p.fees:
        extra.append(CaseFee(**owned, fee_seq=seq, name=item.fees[seq][0], amount_cents=cents,
                             window_id=None, venue_id=None, charged_at=_at(charged_on),
                             charged_on=charged_on, charged_by=principal.username))
    return case, extra


async def apply_import(session: AsyncSession, principal: Principal, plan: CaseImportPlan, *,
                       cipher: PiiCipher, batch_size: int = 2_000,
                       on_progress: ProgressCallback | None = None) -> CaseImportResult:
    """Write the plan's new rows in ONE transaction (flushed per batch), with one audit entry,
    and commit. A failure rolls everything back; a case number taken since the plan was made
    (a concurrent run) is ``import.conflict``. Apply in the session that planned (the plan
    holds its rows), with no rollback in between."""
    total = len(plan.new)
    years = [d.year for p in plan.new for d in (p.accepted_on, p.decided_on) if d is not None]
    today = clock.today_shanghai()
    # every year a due date or a count may reach (a year left out would read as unpublished)
    cals = _Calendars(session, range(min(years, default=today.year),
                                     max(years, default=today.year) + 3))
    size = max(1, batch_size)
    batches = 0
    try:
        for start in range(0, total, size):
            still_open = []
            for p in plan.new[start:start + size]:
                case, extra = await _build(p, principal, cals, cipher)
                session.add(case)
                session.add_all(extra)
                if replay.is_replayed(case):
                    still_open.append(case)
            await session.flush()
            await replay.announce_snapshots(session, still_open)
            batches += 1
            if on_progress is not None:
                on_progress(min(start + size, total), total)
        await audit.record(session, principal, "case.import", tenant_id=plan.under.id,
                           tenant_path=plan.under.path, target_type="case_import",
                           target_id=plan.sha256[:16],
                           after={"file": plan.source, "sha256": plan.sha256, "rows": plan.rows,
                                  "imported": total, "unchanged": plan.unchanged,
                                  "counts": plan.counts})
        await session.commit()
    except IntegrityError as exc:  # a case number taken since the check (a live case, a rerun)
        await session.rollback()
        raise Conflict("import.conflict",
                       "导入期间有其他办件使用了相同的办件编号，未导入任何办件，请重新运行",
                       "a case number was taken while importing; nothing was imported, run it "
                       "again", field="file") from exc
    except BaseException:
        await session.rollback()
        raise
    return CaseImportResult(imported=total, unchanged=plan.unchanged, batches=batches)
