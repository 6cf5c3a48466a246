"""Tenant settings of the disclosure plugin (namespace ``disclosure``), resolved through the
cascade (an upper tier may lock them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["REVIEW_STEPS", "STEP_ROLE_CHOICES", "DisclosureSettings"]

REVIEW_STEPS = ("confidentiality", "leader", "principal")
"""The review chain's steps after drafting (方塘乡): 保密审查, 分管领导审核, 主要领导审批 (major
items only)."""

STEP_ROLE_CHOICES = ("disclosure_editor", "disclosure_reviewer", "disclosure_approver",
                     "supervisor", "county_admin", "city_admin", "province_admin")
"""The built-in roles a step may be given to (configurable per tenant, within these)."""


class DisclosureSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    step_roles: dict[str, str] = Field(
        default_factory=lambda: {"confidentiality": "disclosure_reviewer",
                                 "leader": "disclosure_reviewer",
                                 "principal": "disclosure_approver"},
        description="审核链各环节由哪个内置角色办理（保密审查 confidentiality、分管领导审核 leader、"
                    "主要领导审批 principal）")
    proactive_days: int = Field(
        20, ge=1, le=60, description="主动公开期限：信息形成或变更之日起（工作日，条例第26条：20日）")
    reply_days: int = Field(
        20, ge=1, le=20, description="依申请公开答复期限（工作日，条例第33条：20日）")
    correction_notice_days: int = Field(
        7, ge=1, le=7, description="一次性告知补正的期限（工作日，条例第30条：7日内）")
    max_extension_days: int = Field(
        20, ge=1, le=20, description="经批准可延长的最多工作日（条例第33条：20日）")
    # The bounds below only let a tenant be kinder than the national rules: a consulted
    # party's 15 working days are its right (Arts. 32, 34: a shorter limit would let the agency
    # take its silence as consent early); 109号's 10 free requests and 100 元 are a floor and
    # a ceiling.
    consultation_days: int = Field(
        15, ge=15, le=15,
        description="征求第三方或其他机关意见的期限（工作日，条例第32、34条：15日，不可缩短）")
    free_requests_per_month: int = Field(
        10, ge=10, le=100,
        description="每个申请人每自然月免收信息处理费的申请件数（国办函〔2020〕109号：10件，只可增加）")
    fee_per_request_cents: int = Field(
        10000, ge=0, le=10000,
        description="超出免费件数后第11–30件每件收费（分；国办函〔2020〕109号：100元，只可降低）")

    @field_validator("step_roles")
    @classmethod
    def _known_steps_and_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(REVIEW_STEPS))
        if unknown:
            raise ValueError(f"unknown review steps {unknown}; steps are {list(REVIEW_STEPS)}")
        bad = sorted(r for r in value.values() if r not in STEP_ROLE_CHOICES)
        if bad:
            raise ValueError(f"roles {bad} are not built-in roles a step may take "
                             f"({list(STEP_ROLE_CHOICES)})")
        return {**{"confidentiality": "disclosure_reviewer", "leader": "disclosure_reviewer",
                   "principal": "disclosure_approver"}, **value}
