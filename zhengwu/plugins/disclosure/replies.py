"""The reply types of the regulation (Arts. 36–39, with 30, 35 and the fee rules) as data.

A reply is a ``type`` (the annual report's result block) and a ``reason`` (its numbered row or
the article's case). Every reason names the article it rests on and the annual report row it
is counted in (section 三, ``row`` = ``(block, line)``: block 1–6 for （一）…（六）, line 0 for a
block without sub-rows). ``needs`` says what state a request must be in for the reply to fit:

* ``open`` — any request being handled (registered, after correction, after consultation);
* ``corrected`` — a correction notice was sent and the completed application came back;
* ``correction_overdue`` — a correction notice is outstanding and its deadline has passed;
* ``fee_overdue`` — a fee notice is outstanding (unpaid).

``requests`` refuses a reply whose ``needs`` the request does not meet
(``disclosure_request.reply_does_not_fit``), and one that withholds without a ground.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REASONS", "REPLY_TYPES", "WITHHOLDING_TYPES", "Reason", "ReplyType", "reason"]


@dataclass(frozen=True)
class Reason:
    type: str
    code: str
    article: str
    title_zh: str
    row: tuple[int, int]  # (block 1–6, line; 0: the block itself)
    needs: str = "open"


@dataclass(frozen=True)
class ReplyType:
    code: str
    title_zh: str
    block: int


REPLY_TYPES: dict[str, ReplyType] = {t.code: t for t in (
    ReplyType("disclosed", "予以公开", 1),
    ReplyType("partly_disclosed", "部分公开", 2),
    ReplyType("not_disclosed", "不予公开", 3),
    ReplyType("cannot_provide", "无法提供", 4),
    ReplyType("not_processed", "不予处理", 5),
    ReplyType("other", "其他处理", 6),
)}

_ALL: tuple[Reason, ...] = (
    # （一）予以公开
    Reason("disclosed", "already_public", "36(1)", "已主动公开，告知获取方式和途径", (1, 0)),
    Reason("disclosed", "provided", "36(2)", "予以提供或告知获取的方式、途径和时间", (1, 0)),
    # （三）不予公开 (Arts. 14–16, and 36(7) for register queries)
    Reason("not_disclosed", "state_secret", "14", "属于国家秘密", (3, 1)),
    Reason("not_disclosed", "law_prohibited", "14", "其他法律行政法规禁止公开", (3, 2)),
    Reason("not_disclosed", "security_stability", "14", "危及“三安全一稳定”", (3, 3)),
    Reason("not_disclosed", "third_party_rights", "15", "保护第三方合法权益", (3, 4)),
    Reason("not_disclosed", "internal_affairs", "16(1)", "属于三类内部事务信息", (3, 5)),
    Reason("not_disclosed", "process_info", "16(2)", "属于四类过程性信息", (3, 6)),
    Reason("not_disclosed", "enforcement_file", "16(2)", "属于行政执法案卷", (3, 7)),
    Reason("not_disclosed", "administrative_query", "36(7)", "属于行政查询事项", (3, 8)),
    # （四）无法提供
    Reason("cannot_provide", "not_held", "36(4)", "本机关不掌握相关政府信息（经检索没有）", (4, 1)),
    Reason("cannot_provide", "not_ours", "36(5)", "不属于本机关负责公开（告知负责机关）", (4, 1)),
    Reason("cannot_provide", "needs_creation", "38", "没有现成信息需要另行制作", (4, 2)),
    Reason("cannot_provide", "still_unclear", "30", "补正后申请内容仍不明确", (4, 3), "corrected"),
    # （五）不予处理
    Reason("not_processed", "petition", "39", "信访举报投诉类申请", (5, 1)),
    Reason("not_processed", "repeat", "36(6)", "重复申请", (5, 2)),
    Reason("not_processed", "publication", "39", "要求提供公开出版物", (5, 3)),
    Reason("not_processed", "excessive", "35", "无正当理由大量反复申请", (5, 4)),
    Reason("not_processed", "confirm_reissue", "39", "要求行政机关确认或重新出具已获取信息", (5, 5)),
    # （六）其他处理
    Reason("other", "no_correction", "30", "申请人无正当理由逾期不补正、行政机关不再处理", (6, 1),
           "correction_overdue"),
    Reason("other", "fee_unpaid", "42", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理", (6, 2),
           "fee_overdue"),
    Reason("other", "other", "—", "其他", (6, 3)),
)

# （二）部分公开 (Art. 37: separable; counted only here): the withheld part's ground is one of
# the grounds of （三）.
_PARTLY = tuple(Reason("partly_disclosed", r.code, f"37, {r.article}",
                       f"部分公开（其余部分：{r.title_zh}）", (2, 0))
                for r in _ALL if r.type == "not_disclosed")

REASONS: dict[tuple[str, str], Reason] = {(r.type, r.code): r for r in (*_ALL, *_PARTLY)}

WITHHOLDING_TYPES = frozenset({"not_disclosed", "partly_disclosed"})
"""Replies that withhold (all or part): their reason is the legal ground (Arts. 14–16, 36(7))."""


def reason(type_: str, code: str) -> Reason | None:
    """The reason ``code`` of reply type ``type_``, or None when the pair does not exist."""
    return REASONS.get((type_, code))
