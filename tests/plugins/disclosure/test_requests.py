"""Requests for disclosure (依申请公开) through the services: registration from every channel,
the correction notice and the restart, consultations stopping the clock, the one extension,
fees, every reply fitting or refused by state, withdrawal, the list's filters, isolation.

Dates on the real 2026 calendar (see test_clock.py for the day-by-day counts).
"""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.plugins.disclosure.world import (
    OTHER_COUNTY,
    SYSTEM,
    at,
    build_disclosure_world,
    principal,
)
from zhengwu.core.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.disclosure import replies
from zhengwu.plugins.disclosure import requests as svc
from zhengwu.plugins.disclosure.models import Counter, DisclosureRequest, RequestHistory

ED, APPROVER = principal("ng_editor"), principal("ng_approver")
ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (check character X)
CREDIT = "11450721MB15580811"


@pytest.fixture
async def s(system_session, settings):
    await build_disclosure_world(system_session, settings)
    return system_session


def new(**kw) -> svc.NewRequest:
    base = {"channel": "in_person", "requester_kind": "natural_person", "requester_name": "张三",
            "description": "2025年本镇农村危房改造补助名单"}
    return svc.NewRequest(**{**base, **kw})


async def register(s, who=ED, **kw) -> DisclosureRequest:
    req = await svc.register_request(s, who, new(**kw))
    await s.commit()
    return req


async def count(s, model) -> int:
    return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def history(s, req) -> list[str]:
    rows = (await s.scalars(select(RequestHistory).where(RequestHistory.request_id == req.id)
                            .order_by(RequestHistory.at, RequestHistory.id))).all()
    return [r.action for r in rows]


# ------------------------------------------------------------------------------ registration

async def test_register_in_person_numbers_and_clock(s):
    with at(2026, 9, 21):
        req = await register(s, requester_id=ID_NUMBER, phone="13800138000")
        second = await register(s, channel="online", confirmed_on=date(2026, 9, 21))
    assert req.request_no == "341881-GK-2026-00001"
    assert second.request_no == "341881-GK-2026-00002"
    # received Mon 21 Sep → due Mon 26 Oct (中秋 and 国庆 skipped, Sat 10 Oct worked)
    assert (req.received_on, req.clock_start, req.due_on) == (date(2026, 9, 21),) * 2 + (date(2026, 10, 26),)
    assert req.due_derivation["basis"]["reply_days"] == 20
    assert "国庆节" in {d["name"] for d in req.due_derivation["skipped"]}
    assert req.requester_id_masked == "110*************2X"
    assert ID_NUMBER not in (req.requester_id_enc or "") and req.requester_id_hash
    assert req.phone_masked == "138******00"
    assert await history(s, req) == ["register"]


async def test_register_by_mail_takes_the_day_signed_for(s):
    with at(2026, 9, 25):  # a Friday of 中秋 (off): registering is still possible
        req = await register(s, channel="registered_mail", submitted_on=date(2026, 9, 18),
                             signed_on=date(2026, 9, 22))
    # signed Tue 22 Sep: 23–24 (2), 28–30 (5), 8–9 Oct (7), Sat 10 (8), 12–16 (13), 19–23 (18),
    # 26–27 Oct (20) → Tue 27 Oct
    assert (req.received_on, req.due_on) == (date(2026, 9, 22), date(2026, 10, 27))


async def test_bad_registration_names_every_problem_and_writes_nothing(s):
    with at(2026, 9, 21), pytest.raises(Invalid) as exc:
        await svc.register_request(s, ED, new(requester_kind="alien", requester_name=" ",
                                              description="", channel="registered_mail",
                                              requester_id="110105194912310021"))
    fields = {p.field for p in exc.value.params["problems"]}
    assert fields == {"requesterKind", "requesterName", "description", "signedOn", "requesterId"}
    assert exc.value.code == "disclosure_request.invalid"
    # the ID number (checked as a credit code under a kind that is not a natural person's)
    # is in no message, no problem and no parameter of the error
    assert "110105194912310021" not in repr(exc.value.to_dict("zh")) + repr(
        exc.value.to_dict("en")) + repr(exc.value.params) + str(exc.value)
    await s.rollback()
    assert await count(s, DisclosureRequest) == 0
    assert await count(s, Counter) == 0


async def test_credit_code_for_organisations(s):
    with at(2026, 9, 21):
        req = await register(s, requester_kind="commercial", requester_name="某某有限公司",
                             requester_id=CREDIT)
        assert req.requester_id_masked is not None and CREDIT not in req.requester_id_masked
        with pytest.raises(Invalid) as exc:
            await svc.register_request(s, ED, new(requester_kind="research", requester_id="bad"))
        assert exc.value.field == "requesterId"
        # a person's ID number typed under an organisation's kind is not echoed
        with pytest.raises(Invalid) as exc:
            await svc.register_request(s, ED, new(requester_kind="commercial",
                                                  requester_id=ID_NUMBER))
        assert exc.value.code == "catalog.bad_credit_checksum"
        assert ID_NUMBER not in repr(exc.value.to_dict("zh")) + repr(exc.value.to_dict("en"))
        assert ID_NUMBER not in repr(exc.value.params) + str(exc.value)


async def test_purpose_is_bounded(s):
    with at(2026, 9, 21), pytest.raises(Invalid) as exc:
        await svc.register_request(s, ED, new(purpose="用" * (svc.MAX_TEXT + 1)))
    assert (exc.value.code, exc.value.field) == ("disclosure_request.purpose_too_long", "purpose")


async def test_register_in_the_future_is_refused(s):
    with at(2026, 9, 21), pytest.raises(Invalid) as exc:
        await svc.register_request(s, ED, new(channel="fax", confirmed_on=date(2026, 9, 22)))
    assert exc.value.code == "disclosure_request.date_in_future"


# ------------------------------------------------------------------------------ correction

async def test_correction_notice_window_and_restart(s):
    with at(2026, 2, 9):  # Mon 9 Feb; last day for the notice: Wed 25 Feb (春节 in between)
        req = await register(s)
        late = await register(s)
    with at(2026, 2, 26):
        with pytest.raises(Conflict) as exc:
            await svc.send_correction_notice(s, ED, late.id, ["写明文件名称"])
        assert exc.value.code == "disclosure_request.correction_too_late"
        assert exc.value.params["last_day"] == "2026-02-25" and "2026-02-25" in exc.value.zh
    with at(2026, 2, 25):
        with pytest.raises(Invalid):
            await svc.send_correction_notice(s, ED, req.id, ["  "])
        for items in (["补"] * 51, ["补" * (svc.MAX_TEXT + 1)]):
            with pytest.raises(Invalid) as bad:
                await svc.send_correction_notice(s, ED, req.id, items)
            assert bad.value.code == "disclosure_request.correction_items_too_long"
        await svc.send_correction_notice(s, ED, req.id, ["写明文件名称", "写明年份"],
                                         respond_by=date(2026, 3, 11))
        await s.commit()
        with pytest.raises(Conflict) as exc:
            await svc.send_correction_notice(s, ED, req.id, ["再补"])
        assert exc.value.code == "disclosure_request.transition_not_allowed"
    await s.refresh(req)
    assert (req.status, req.correction_deadline) == ("awaiting_correction", date(2026, 3, 11))
    with at(2026, 3, 5):
        # before the deadline the agency may not close it as "no correction"
        with pytest.raises(Conflict) as exc:
            await svc.reply_request(s, ED, req.id, svc.Reply("other", "no_correction", "不再处理"))
        assert exc.value.code == "disclosure_request.reply_does_not_fit"
        # still_unclear needs a correction first
        with pytest.raises(Conflict):
            await svc.reply_request(s, ED, req.id, svc.Reply("cannot_provide", "still_unclear", "仍不明确"))
        await svc.record_correction(s, ED, req.id)
        await s.commit()
    # completed Thu 5 Mar: the clock restarts → Thu 2 Apr
    assert (req.status, req.clock_start, req.due_on) == ("registered", date(2026, 3, 5), date(2026, 4, 2))
    assert req.due_derivation["basis"]["restarted"] is True
    with at(2026, 3, 6):
        done = await svc.reply_request(s, ED, req.id, svc.Reply("cannot_provide", "still_unclear",
                                                                "补正后仍不明确"))
        await s.commit()
    assert (done.status, done.replied_on_time) == ("replied", True)
    assert await history(s, req) == ["register", "correction_notice", "correction", "reply"]


async def test_no_correction_after_the_deadline(s):
    with at(2026, 9, 21):
        req = await register(s)
        await svc.send_correction_notice(s, ED, req.id, ["写明文件名称"])  # default: +15 working days
        await s.commit()
    # notice Mon 21 Sep + 15 working days: 22–24 (3), 28–30 (6), 8–9 Oct (8), Sat 10 (9),
    # 12–16 (14), Mon 19 Oct (15)
    assert req.correction_deadline == date(2026, 10, 19)
    with at(2026, 10, 19), pytest.raises(Conflict):
        await svc.reply_request(s, ED, req.id, svc.Reply("other", "no_correction", "逾期未补正"))
    with at(2026, 10, 20):
        with pytest.raises(Conflict):  # an ordinary reply does not fit while awaiting correction
            await svc.reply_request(s, ED, req.id, svc.Reply("disclosed", "provided", "提供"))
        await svc.reply_request(s, ED, req.id, svc.Reply("other", "no_correction", "逾期未补正"))
        await s.commit()
    assert (req.reply_type, req.reply_reason, req.replied_on) == ("other", "no_correction", date(2026, 10, 20))


async def test_closing_while_awaiting_correction_is_never_late(s):
    """The clock stops with the correction notice (Art. 30): closing the request after the
    applicant's deadline — as no_correction, or a withdrawal — is on time even when the
    incomplete application's due date has passed."""
    with at(2026, 2, 9):
        silent, leaving = await register(s), await register(s)
    assert silent.due_on == date(2026, 3, 13)  # 20 working days (春节, two make-up Saturdays)
    with at(2026, 2, 25):
        for req in (silent, leaving):
            await svc.send_correction_notice(s, ED, req.id, ["写明文件名称"],
                                             respond_by=date(2026, 3, 16))
        await s.commit()
    with at(2026, 3, 17):
        await svc.reply_request(s, ED, silent.id, svc.Reply("other", "no_correction", "逾期未补正"))
        await svc.withdraw_request(s, ED, leaving.id, "申请人电话撤回")
        await s.commit()
    assert (silent.status, silent.replied_on_time) == ("replied", True)
    assert (leaving.status, leaving.replied_on_time) == ("withdrawn", True)


# ------------------------------------------------------------------------------ consultations

async def test_consultations_stop_the_clock_both_kinds(s):
    with at(2026, 9, 21):
        req = await register(s)
    with at(2026, 9, 30):
        third = await svc.open_consultation(s, ED, req.id, "third_party", "某某公司")
        co = await svc.open_consultation(s, ED, req.id, "co_producer", "宁国市财政局")
        await s.commit()
    assert (third.due_on, co.due_on, req.status) == (date(2026, 10, 27), date(2026, 10, 27), "consulting")
    # while open, each is reckoned through its limit (27 Oct): due Tue 17 Nov
    assert req.due_on == date(2026, 11, 17)
    with at(2026, 10, 16):
        with pytest.raises(Conflict) as exc:  # not while a consultation is open
            await svc.reply_request(s, ED, req.id, svc.Reply("disclosed", "provided", "提供"))
        assert exc.value.code == "disclosure_request.reply_does_not_fit"
        with pytest.raises(Invalid) as exc:
            await svc.answer_consultation(s, ED, third.id, "objection")
        assert exc.value.code == "disclosure_request.objection_reason_required"
        with pytest.raises(Invalid) as exc:
            await svc.answer_consultation(s, ED, third.id, "objection",
                                          note="理" * (svc.MAX_TEXT + 1))
        assert exc.value.code == "disclosure_request.note_too_long"
        await svc.answer_consultation(s, ED, third.id, "consent")
        with pytest.raises(Conflict) as exc:
            await svc.answer_consultation(s, ED, co.id, "silence")
        assert exc.value.code == "disclosure_request.silence_too_early"
        await s.commit()
    assert req.status == "consulting"
    with at(2026, 10, 28):
        await svc.answer_consultation(s, ED, co.id, "silence")  # silence of a co-producer = consent
        await s.commit()
    # the co-producer's span runs through its limit 27 Oct: due Tue 17 Nov (test_clock)
    assert (req.status, req.due_on) == ("registered", date(2026, 11, 17))
    spans = req.due_derivation["basis"]["spans"]
    assert [(x["from"], x["to"]) for x in spans] == [("2026-09-30", "2026-10-16"),
                                                     ("2026-09-30", "2026-10-27")]
    with at(2026, 11, 17):
        await svc.reply_request(s, ED, req.id, svc.Reply("disclosed", "provided", "予以提供"))
        await s.commit()
    assert req.replied_on_time is True


async def test_answered_consultation_brings_the_due_date_back(s):
    with at(2026, 9, 21):
        req = await register(s)
    with at(2026, 9, 30):
        c = await svc.open_consultation(s, ED, req.id, "co_producer", "宁国市财政局")
        await s.commit()
    with at(2026, 10, 19):
        await svc.answer_consultation(s, ED, c.id, "consent", answered_on=date(2026, 10, 16))
        await s.commit()
    # paused 30 Sep – 16 Oct → Fri 6 Nov (test_clock)
    assert req.due_on == date(2026, 11, 6)


async def test_third_party_objection_withholds_unless_public_interest(s):
    with at(2026, 9, 21):
        req = await register(s)
        other = await register(s)
        for r in (req, other):
            c = await svc.open_consultation(s, ED, r.id, "third_party", "某某公司")
            await svc.answer_consultation(s, ED, c.id, "objection", note="涉及商业秘密")
        await s.commit()
    with at(2026, 9, 22):
        with pytest.raises(Conflict) as exc:
            await svc.reply_request(s, ED, req.id, svc.Reply("disclosed", "provided", "提供"))
        assert exc.value.code == "disclosure_request.third_party_objection"
        await svc.reply_request(s, ED, req.id, svc.Reply("disclosed", "provided", "公共利益需要，予以公开",
                                                         public_interest=True))
        await svc.reply_request(s, ED, other.id, svc.Reply("not_disclosed", "third_party_rights",
                                                           "涉及第三方商业秘密"))
        await s.commit()
    rows = (await s.scalars(select(RequestHistory).where(RequestHistory.request_id == req.id,
                                                         RequestHistory.action == "reply"))).all()
    assert rows[0].detail["notify_third_parties"] == ["某某公司"]


# ------------------------------------------------------------------------------ extension

async def test_one_extension_of_at_most_twenty_days(s):
    with at(2026, 9, 21):
        req = await register(s)
    with at(2026, 10, 20):
        with pytest.raises(PermissionDenied):  # the editor is not the head of the office
            await svc.extend_request(s, ED, req.id, 10, "需要检索档案")
        with pytest.raises(Invalid) as exc:
            await svc.extend_request(s, APPROVER, req.id, 21, "需要检索档案")
        assert exc.value.code == "disclosure_request.extension_too_long"
        with pytest.raises(Invalid) as exc:
            await svc.extend_request(s, APPROVER, req.id, 5, "  ")
        assert exc.value.field == "reason"
        await s.rollback()
        await s.refresh(req)
        assert (req.extended_days, req.due_on) == (0, date(2026, 10, 26))  # nothing changed
        await svc.extend_request(s, APPROVER, req.id, 20, "需要检索档案")
        await s.commit()
    assert (req.extended_days, req.due_on) == (20, date(2026, 11, 23))
    with at(2026, 10, 21), pytest.raises(Conflict) as exc:
        await svc.extend_request(s, APPROVER, req.id, 1, "再延")
    assert exc.value.code == "disclosure_request.already_extended"
    await s.rollback()
    await s.refresh(req)
    assert (req.extended_days, req.due_on) == (20, date(2026, 11, 23))
    assert await history(s, req) == ["register", "extend"]


async def test_extension_after_the_due_date_is_refused(s):
    with at(2026, 9, 21):
        req = await register(s)
    with at(2026, 10, 27), pytest.raises(Conflict) as exc:
        await svc.extend_request(s, APPROVER, req.id, 5, "来不及")
    assert exc.value.code == "disclosure_request.extension_too_late"


# ------------------------------------------------------------------------------ replies

OPEN_REASONS = [r for r in replies.REASONS.values() if r.needs == "open"]


@pytest.mark.parametrize("reason", OPEN_REASONS, ids=lambda r: f"{r.type}/{r.code}")
async def test_every_open_reply_fits_a_registered_request(s, reason):
    with at(2026, 9, 21):
        req = await register(s)
    with at(2026, 10, 27):  # one working day late
        await svc.reply_request(s, ED, req.id, svc.Reply(reason.type, reason.code, "答复正文"))
        await s.commit()
    assert (req.status, req.reply_type, req.reply_reason) == ("replied", reason.type, reason.code)
    assert (req.replied_on, req.replied_on_time) == (date(2026, 10, 27), False)


async def test_replies_refused(s):
    with at(2026, 9, 21):
        req = await register(s)
        cases = [
            (svc.Reply("not_disclosed", None, "不予公开"), "disclosure_request.ground_required"),
            (svc.Reply("partly_disclosed", "", "部分公开"), "disclosure_request.ground_required"),
            (svc.Reply("disclosed", None, "公开"), "disclosure_request.reason_required"),
            (svc.Reply("not_disclosed", "provided", "x"), "disclosure_request.reason_unknown"),
            (svc.Reply("maybe", "provided", "x"), "disclosure_request.reply_type_unknown"),
            (svc.Reply("disclosed", "provided", " "), "disclosure_request.text_required"),
            (svc.Reply("other", "fee_unpaid", "未缴费"), "disclosure_request.reply_does_not_fit"),
            (svc.Reply("other", "no_correction", "未补正"), "disclosure_request.reply_does_not_fit"),
            (svc.Reply("cannot_provide", "still_unclear", "不明确"), "disclosure_request.reply_does_not_fit"),
        ]
        for reply, code in cases:
            with pytest.raises(DomainError) as exc:
                await svc.reply_request(s, ED, req.id, reply)
            assert exc.value.code == code, reply
        await svc.reply_request(s, ED, req.id, svc.Reply("partly_disclosed", "process_info", "部分"))
        await s.commit()
        with pytest.raises(Conflict) as exc:  # replied: no second reply
            await svc.reply_request(s, ED, req.id, svc.Reply("disclosed", "provided", "x"))
        assert exc.value.code == "disclosure_request.transition_not_allowed"


async def test_withdrawal_is_other_other(s):
    with at(2026, 9, 21):
        req = await register(s)
    with at(2026, 9, 22):
        with pytest.raises(Invalid):
            await svc.withdraw_request(s, ED, req.id, "")
        await svc.withdraw_request(s, ED, req.id, "申请人电话撤回")
        await s.commit()
    assert (req.status, req.reply_type, req.reply_reason) == ("withdrawn", "other", "other")
    assert req.replied_on == date(2026, 9, 22) and "申请人电话撤回" in (req.reply_text or "")
    with at(2026, 9, 23), pytest.raises(Conflict):
        await svc.withdraw_request(s, ED, req.id, "again")


# ------------------------------------------------------------------------------ fees

async def test_fees_count_per_requester_per_month(s):
    with at(2026, 9, 1):
        mine = [await register(s, requester_id=ID_NUMBER) for _ in range(11)]
        # the same person under another name is the same requester (by the ID's keyed hash)
        twelfth = await register(s, requester_id=ID_NUMBER, requester_name="张叁")
        # a namesake without an ID number is counted by name, apart from the ID holder
        namesake = await register(s)
    with at(2026, 9, 2):
        with pytest.raises(Conflict) as exc:
            await svc.set_fee(s, ED, mine[9].id)
        assert (exc.value.code, exc.value.params["ordinal"]) == ("disclosure_request.fee_not_chargeable", 10)
        with pytest.raises(Conflict):
            await svc.set_fee(s, ED, namesake.id)
        await svc.set_fee(s, ED, mine[10].id)
        await svc.set_fee(s, ED, twelfth.id)
        await s.commit()
    assert (mine[10].fee_cents, twelfth.fee_cents) == (10000, 10000)
    # received Tue 1 Sep; fee notice Wed 2 Sep, unpaid: the span runs from 2 Sep through the
    # payment limit (2 Sep + 20 working days: 3–4 (2), 7–11 (7), 14–18 (12), Sun 20 worked
    # (13), 21–24 (17), 28–30 (20) → Wed 30 Sep), so no day counted yet; then 8–9 Oct (2),
    # Sat 10 worked (3), 12–16 (8), 19–23 (13), 26–30 (18), 2–3 Nov (20) → Tue 3 Nov
    assert mine[10].due_on == date(2026, 11, 3)
    with at(2026, 9, 30):
        with pytest.raises(Conflict) as exc:
            await svc.reply_request(s, ED, mine[10].id, svc.Reply("disclosed", "provided", "提供"))
        assert exc.value.code == "disclosure_request.fee_outstanding"
        with pytest.raises(Conflict):  # the payment limit has not passed yet
            await svc.reply_request(s, ED, mine[10].id, svc.Reply("other", "fee_unpaid", "未缴费"))
        await svc.record_fee_paid(s, ED, twelfth.id, paid_on=date(2026, 9, 4))
        await s.commit()
    # paid Fri 4 Sep: paused 2–4 Sep; from 1 Sep: 7–11 (5), 14–18 (10), Sun 20 (11), 21–24
    # (15), 28–30 (18), 8–9 Oct (20) → Fri 9 Oct
    assert twelfth.due_on == date(2026, 10, 9)
    with at(2026, 10, 8):
        await svc.reply_request(s, ED, mine[10].id, svc.Reply("other", "fee_unpaid", "逾期未缴费"))
        await svc.reply_request(s, ED, twelfth.id, svc.Reply("disclosed", "provided", "提供"))
        await s.commit()
    assert mine[10].reply_reason == "fee_unpaid" and twelfth.replied_on_time is True


# ------------------------------------------------------------------------------ list and isolation

async def test_list_filters_and_keyset(s):
    with at(2025, 12, 1):
        old = await register(s, requester_kind="research")
    with at(2026, 9, 21):
        a = await register(s)
        b = await register(s, requester_kind="commercial")
        await svc.reply_request(s, ED, b.id, svc.Reply("disclosed", "already_public", "已公开"))
        await s.commit()
    with at(2026, 10, 27):
        async def nos(**kw):
            page = await svc.list_requests(s, ED, svc.RequestFilter(**kw), 10)
            return [r.request_no for r in page.rows]

        assert await nos() == [b.request_no, a.request_no, old.request_no]
        assert await nos(year=2026) == [b.request_no, a.request_no]
        assert await nos(open=True) == [a.request_no, old.request_no]
        assert await nos(open=False) == [b.request_no]
        assert await nos(overdue=True) == [a.request_no, old.request_no]
        assert await nos(requester_kind="research") == [old.request_no]
        assert await nos(status=("replied",)) == [b.request_no]
        for year in (0, 10000):  # refused, not a failure of date()
            with pytest.raises(Invalid) as exc:
                await nos(year=year)
            assert exc.value.code == "disclosure_request.filter_year"
        first = await svc.list_requests(s, ED, None, 2)
        assert first.has_next
        rest = await svc.list_requests(s, ED, None, 2, svc.page_key(first.rows[-1]))
        assert [r.request_no for r in rest.rows] == [old.request_no] and not rest.has_next
    assert old.request_no == "341881-GK-2025-00001"


ATTACKERS = ["xz_editor", "xz_admin", "gk_editor", "el_admin", "ng_clerk"]


@pytest.mark.parametrize("who", [*ATTACKERS, "anonymous"])
async def test_isolation(s, who):
    attacker = Principal.anonymous() if who == "anonymous" else principal(who)
    with at(2026, 9, 21):
        req = await register(s)
        c = await svc.open_consultation(s, ED, req.id, "third_party", "某某公司")
        await s.commit()
    before = await count(s, RequestHistory)
    with at(2026, 10, 20):
        attempts = [
            svc.get_request(s, attacker, req.id),
            svc.get_request(s, attacker, req.request_no),
            svc.register_request(s, attacker, new(tenant_code="341881")),
            svc.send_correction_notice(s, attacker, req.id, ["x"]),
            svc.record_correction(s, attacker, req.id),
            svc.open_consultation(s, attacker, req.id, "third_party", "x"),
            svc.answer_consultation(s, attacker, c.id, "consent"),
            svc.extend_request(s, attacker, req.id, 5, "x"),
            svc.set_fee(s, attacker, req.id),
            svc.record_fee_paid(s, attacker, req.id),
            svc.reply_request(s, attacker, req.id, svc.Reply("disclosed", "provided", "x")),
            svc.withdraw_request(s, attacker, req.id, "x"),
        ]
        for attempt in attempts:
            with pytest.raises((NotFound, PermissionDenied)):
                await attempt
        # the list answers the attacker's own subtree (empty here) or refuses
        with contextlib.suppress(NotFound, PermissionDenied):
            assert (await svc.list_requests(s, attacker, None, 10)).rows == []
    await s.rollback()
    assert await count(s, RequestHistory) == before
    assert await count(s, DisclosureRequest) == 1


async def test_readers_and_children(s):
    with at(2026, 9, 21):
        req = await register(s)
        township = await register(s, who=principal("ft_editor"))
    assert township.request_no == "341881204-GK-2026-00001"
    sup = principal("ng_supervisor")
    assert (await svc.get_request(s, sup, req.id)).id == req.id
    with at(2026, 9, 22), pytest.raises(PermissionDenied):
        await svc.withdraw_request(s, sup, req.id, "x")
    # the township sees its own, not the county's; registering at its parent is refused
    ft = principal("ft_editor")
    with pytest.raises(NotFound):
        await svc.get_request(s, ft, req.id)
    with at(2026, 9, 22), pytest.raises(NotFound):
        await svc.register_request(s, ft, new(tenant_code="341881"))
    # the county editor handles the township's request (a grant covers the subtree)
    with at(2026, 9, 22):
        await svc.withdraw_request(s, ED, township.id, "撤回")
    # not enabled at 二连浩特市 (even for the operator)
    with at(2026, 9, 22), pytest.raises(Conflict) as exc:
        await svc.register_request(s, SYSTEM, new(tenant_code=OTHER_COUNTY))
    assert exc.value.code == "plugin.not_enabled"
