"""Tenant settings of the intake plugin (namespace ``intake``), resolved through the cascade."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["IntakeSettings"]


class IntakeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    supplement_notice_days: int = Field(
        5, ge=0, le=20,
        description="材料不齐时一次性告知补正的期限（工作日，行政许可法第32条：5日内）")
    max_extension_days: int = Field(
        10, ge=0, le=30, description="经批准可延长的最多工作日（行政许可法第42条：10日）")
    extension_item_types: list[str] = Field(
        default_factory=lambda: ["01"],
        description="允许延期的事项类型（默认仅行政许可 01；法律另有规定的可增加）")
    lookup_per_minute: int = Field(
        10, ge=1, le=120, description="公众查询办件进度：每个来源每分钟最多次数")
    review_body: str = Field(
        "", max_length=200,
        description="不予受理通知书、不予决定书载明的行政复议机关（如“宁国市人民政府”）；空则只告知权利和期限")
    court: str = Field(
        "", max_length=200,
        description="不予受理通知书、不予决定书载明的管辖法院（如“宁国市人民法院”）；空则只告知权利和期限")
