"""Tenant settings of the e-supervision plugin (namespace ``supervision``), resolved through the
core's cascade: a tenant overrides a key for its subtree, an upper tier may lock it (a province
fixing the yellow-card threshold for every county below it, say).

The handling tenant's effective values apply to a case (the tenant that reviews and decides is
the one the clock and the cards are about).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Channel", "SupervisionSettings"]

Channel = Literal["window", "agent", "online", "kiosk"]
"""Every channel intake knows (the values ``hall_channels`` may list)."""


class SupervisionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    yellow_days: int = Field(
        1, ge=0, le=30,
        description="黄牌预警阈值：距承诺期限剩余工作日不超过该值时亮黄牌（0 = 到期当日）")
    yellow_share_percent: int | None = Field(
        None, ge=1, le=99,
        description="黄牌预警（按时限比例）：已用工作日达到承诺时限的该百分比时亮黄牌（向上取整，"
                    "暂停期间不计）；与 yellow_days 并用，以先到者为准；不设（null）则不启用")
    urge_after_hours: int = Field(
        24, ge=1, le=720,
        description="催办：预警亮牌后多少小时仍未签收，自动催办（此后每隔同样时长再催）")
    hall_channels: list[Channel] = Field(
        default_factory=lambda: ["window", "agent", "kiosk"],
        description="应进必进事项的厅内受理渠道（window 窗口、agent 代办点、kiosk 自助终端、online "
                    "网上）；以其他渠道受理应进必进事项的，亮红牌。网上也受理应进必进事项的中心，"
                    "将 online 加入此列表")
    supervision_days: int = Field(
        5, ge=1, le=60, description="督办单的默认办理期限（工作日）")

    rating_contact_days: int = Field(
        1, ge=1, le=30, description="差评整改：首次联系（核实）期限（工作日，自评价之日起）")
    rating_close_days: int = Field(
        15, ge=1, le=60, description="差评整改：办结（回访完成）期限（工作日，自评价之日起）")
    complaint_days: int = Field(
        5, ge=1, le=60, description="投诉办理期限（工作日，自收到之日起；含 12345 工单）")
