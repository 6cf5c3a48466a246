"""The annual report's hand-entered parts (``ReportInput``), one row per tenant and year.

``save_report_inputs`` upserts the row: each part given replaces that part (a part left out,
``None``, is kept). Every problem of the input is reported at once
(``disclosure_report.invalid`` with one problem per bad key or value) and nothing is written.

Parts and keys (``report.py`` names them; unknown keys are refused):

* ``narratives`` — ``overview`` (一、总体情况), ``problems`` (五), ``other`` (六): text, at most
  20,000 characters each;
* ``review_litigation`` — the fifteen cells of section 四, ``<group>_<outcome>`` with group
  ``review`` | ``direct_suit`` | ``suit_after_review`` and outcome ``upheld`` | ``corrected`` |
  ``other`` | ``pending`` | ``total``: non-negative integers (the totals are entered as on
  paper; the report checks them);
* ``proactive`` — ``licensing``, ``penalty``, ``coercion`` (decisions this year: non-negative
  integers) and ``fees`` (行政事业性收费, 万元: a non-negative number, at most 4 decimals);
* ``carried_over`` — requests carried over from before the platform, per requester column
  (``natural_person`` … ``other``) and optionally ``total`` as entered: non-negative integers.

Needs ``disclosure_report:write`` at the tenant (in the caller's subtree, plugin enabled);
audited (``disclosure_report.inputs``, before and after). Flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core import audit
from zhengwu.core.db import new_id
from zhengwu.core.errors import Invalid, InvalidField
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.disclosure.models import ReportInput
from zhengwu.plugins.disclosure.report import (
    APPLICANTS,
    NARRATIVES,
    PROACTIVE_INPUTS,
    REVIEW_GROUPS,
    REVIEW_OUTCOMES,
    TOTAL,
    check_year,
    report_tenant,
)

__all__ = ["MAX_NARRATIVE", "PARTS", "ReportInputsChange", "report_inputs", "save_report_inputs"]

MAX_NARRATIVE = 20_000
MAX_COUNT = 10_000_000
"""An upper bound for a count (a typo guard; no government handles ten million of anything)."""

_KEYS: dict[str, tuple[str, ...]] = {
    "narratives": tuple(k for k, _, _ in NARRATIVES),
    "review_litigation": tuple(f"{g}_{o}" for g, _ in REVIEW_GROUPS for o, _ in REVIEW_OUTCOMES),
    "proactive": tuple(k for k, _ in PROACTIVE_INPUTS),
    "carried_over": (*(k for k, _ in APPLICANTS), TOTAL),
}
PARTS = tuple(_KEYS)
_FIELD = {"narratives": "narratives", "review_litigation": "reviewLitigation",
          "proactive": "proactive", "carried_over": "carriedOver"}


@dataclass(frozen=True)
class ReportInputsChange:
    """What to save for ``tenant_code`` and ``year``; ``None`` keeps a part as it is.

    Each part should be a mapping of the keys above; anything else (a list, a number: JSON
    from a client) is refused as ``disclosure_report.input_not_object``, hence ``object``."""

    tenant_code: str
    year: int
    narratives: object = None
    review_litigation: object = None
    proactive: object = None
    carried_over: object = None


def _validate(part: str, values: Any, problems: list[InvalidField]) -> dict[str, Any]:
    name = _FIELD[part]
    if not isinstance(values, dict):
        problems.append(InvalidField("disclosure_report.input_not_object",
                                     f"{name} 须为键值对象", f"{name} must be an object", field=name))
        return {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        where = f"{name}.{key}"
        if key not in _KEYS[part]:
            problems.append(InvalidField(
                "disclosure_report.input_key_unknown", f"{where}：未知项，可用项为 {'、'.join(_KEYS[part])}",
                f"{where}: unknown key; known keys are {', '.join(_KEYS[part])}", field=where))
            continue
        if part == "narratives":
            if value is None:
                continue
            if not isinstance(value, str):
                problems.append(InvalidField("disclosure_report.input_not_text", f"{where}：须为文字",
                                             f"{where} must be text", field=where))
            elif len(value) > MAX_NARRATIVE:
                problems.append(InvalidField(
                    "disclosure_report.input_too_long", f"{where}：不超过 {MAX_NARRATIVE} 字",
                    f"{where}: at most {MAX_NARRATIVE} characters", field=where))
            elif value.strip():
                clean[key] = value.strip()
            continue
        if part == "proactive" and key == "fees":
            ok = (isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
                  and value < MAX_COUNT and round(float(value), 4) == float(value))
            if not ok:
                problems.append(InvalidField(
                    "disclosure_report.input_amount", f"{where}：须为不小于0的金额（万元，最多4位小数）",
                    f"{where} must be a non-negative amount in 万元 (at most 4 decimals)",
                    field=where))
            else:
                clean[key] = value
            continue
        integral = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
        if not integral or not 0 <= value < MAX_COUNT:
            problems.append(InvalidField(
                "disclosure_report.input_count", f"{where}：须为不小于0的整数",
                f"{where} must be a non-negative integer", field=where, params={"value": value}))
        else:
            clean[key] = int(value)
    return clean


async def report_inputs(session: AsyncSession, principal: Principal, tenant_code: str | None,
                        year: int) -> ReportInput | None:
    """The saved inputs of a tenant and year (``disclosure_report:read``), or None."""
    check_year(year)
    tenant = await report_tenant(session, principal, tenant_code, "read")
    return await session.scalar(select(ReportInput).where(ReportInput.tenant_id == tenant.id,
                                                          ReportInput.year == year))


async def save_report_inputs(session: AsyncSession, principal: Principal,
                             change: ReportInputsChange) -> ReportInput:
    """Upsert the hand-entered parts of ``change`` (see the module docstring)."""
    check_year(change.year)
    tenant = await report_tenant(session, principal, change.tenant_code, "write")
    problems: list[InvalidField] = []
    parts = {part: _validate(part, getattr(change, part), problems)
             for part in PARTS if getattr(change, part) is not None}
    if problems:
        raise Invalid("disclosure_report.invalid",
                      "年度报告填报内容有误：" + "；".join(p.zh for p in problems),
                      "invalid annual report inputs: " + "; ".join(p.en for p in problems),
                      field=problems[0].field, problems=problems)
    row = await session.scalar(select(ReportInput).where(ReportInput.tenant_id == tenant.id,
                                                         ReportInput.year == change.year))
    before = _snapshot(row) if row is not None else None
    if row is None:
        row = ReportInput(id=new_id(), tenant_id=tenant.id, tenant_path=tenant.path,
                          year=change.year, narratives={}, review_litigation={}, proactive={},
                          carried_over={})
        session.add(row)
    for part, values in parts.items():
        setattr(row, part, values)
    row.updated_by = principal.user_id
    await session.flush()
    await audit.record(session, principal, "disclosure_report.inputs", tenant_id=tenant.id,
                       tenant_path=tenant.path, target_type="disclosure_report_input",
                       target_id=row.id, before=before, after=_snapshot(row))
    return row


def _snapshot(row: ReportInput) -> dict[str, Any]:
    return {"year": row.year, **{part: dict(getattr(row, part) or {}) for part in PARTS}}
