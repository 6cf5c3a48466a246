"""The printable page of a notice or decision (文书): HTML for A4, from stored facts only.

``render_notice(kind, number, version, facts)`` is a pure function of its arguments — no
clock, no database, no settings — so a notice rendered again years later is the same bytes
(its SHA-256 is kept on the record; see ``notices``). Jinja2 with autoescaping on: reasons,
notes and names typed by staff print as text. A print stylesheet sets A4 margins; the seal is
a placeholder box (（印章）) where the issuing office stamps the paper copy. There is no PDF:
a CJK PDF needs a CJK font embedded, and none ships with the platform — the browser's "print
to PDF" of this page is the PDF.

The legal text follows the statute each document rests on: 《中华人民共和国行政许可法》 art. 32
(acceptance, non-acceptance, one-time supplement notice, stamped and dated), art. 38
(decisions; a refusal gives reasons and the remedies), art. 44 (certificates within ten
days), art. 45 (special procedures not counted, told in writing), art. 42 (an extension,
approved by the head of the organ, with its reason), 《行政复议法》 art. 20 (sixty days) and
《行政诉讼法》 art. 46 (six months).

A change to a template that changes its output must bump ``TEMPLATE_VERSION`` and keep the
old version renderable (``notice_templates.TEMPLATES`` by version), or stored digests stop verifying.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

from zhengwu.core.errors import Invalid
from zhengwu.plugins.intake.notice_templates import TEMPLATES as _TEMPLATES

__all__ = ["TEMPLATE_VERSION", "render_notice", "title_of", "zh_date"]

TEMPLATE_VERSION = 1

_METHODS = {"pickup": "窗口领取（直接送达）", "courier": "邮寄送达", "electronic": "电子送达"}


def zh_date(value: str | None) -> str:
    """``2026-09-28`` → ``2026年9月28日`` (``—`` for none)."""
    if not value:
        return "—"
    d = date.fromisoformat(value)
    return f"{d.year}年{d.month}月{d.day}日"


def clause(value: str | None) -> str:
    """Staff text set inside a sentence: without its own closing punctuation (no "。。")."""
    return (value or "").strip().rstrip("。．.；;，, ")


def _env(version: int) -> Environment:
    env = Environment(loader=DictLoader(_TEMPLATES[version]), autoescape=select_autoescape(
        default=True, default_for_string=True), undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["zh_date"] = zh_date
    env.filters["clause"] = clause
    return env


_ENVS = {v: _env(v) for v in _TEMPLATES}


def title_of(kind: str, facts: dict[str, Any]) -> str:
    """The document's title; decisions on licensing items are 准予/不予行政许可决定书."""
    if kind in ("approval", "denial"):
        return ("准予" if kind == "approval" else "不予") + (
            "行政许可" if facts.get("licensing") else "") + "决定书"
    return {"acceptance": "受理通知书", "non_acceptance": "不予受理通知书",
            "supplement": "补正材料通知书", "delivery": "送达回证",
            "suspension": "特别程序告知书", "extension": "延期告知书",
            "withdrawal": "撤回申请确认书"}[kind]


def render_notice(kind: str, number: str, version: int, facts: dict[str, Any]) -> str:
    env = _ENVS.get(version)
    if env is None or kind not in _TEMPLATES[version]:
        raise Invalid("notice.template_unknown", f"文书模板不存在：{kind} 第{version}版",
                      f"no template for {kind} version {version}", field="kind")
    return env.get_template(kind).render(kind=kind, number=number, f=facts,
                                         title=title_of(kind, facts), methods=_METHODS)
