"""好差评: ratings per case and channel, the bad-rating rectification (核实 → 整改 → 反馈 → 回访)
with its deadlines on the real calendar (across the 2026 National Day holiday), the follow-up
rating, appeals against malicious ratings, the rates against hand counts, the rating pad's
event, and scope (a sibling county's supervisor sees nothing)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.plugins.intake.world import ENERGY, new_case
from tests.plugins.supervision.world import MON, at, build_supervision_world, principal
from zhengwu.core import clock, events
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.plugin_api import Period
from zhengwu.core.plugin_host import current_host
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import ratings
from zhengwu.plugins.supervision.models import Rating, RatingStep, WatchedCase

CLERK = principal("ng_clerk")
SUPERVISOR = principal("ng_supervisor")
COUNTY_PATH = "34/3418/341881"


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _cases(s, n=1):
    out = []
    with clock.freeze(MON):
        for _ in range(n):
            case = await intake.submit_case(s, CLERK, new_case(ENERGY))
            await intake.accept_case(s, CLERK, case.id)
            out.append((case.id, case.case_no))
        await s.commit()
    return out


async def test_the_bad_rating_workflow_with_deadlines(world):
    s = world
    [(cid, no)] = await _cases(s)
    with at(2026, 9, 30):  # Wed, the eve of the National Day holiday
        r = await ratings.rate_case(s, CLERK, no, 2, "pad", "等候时间太长")
        await s.commit()
    rid = r.id
    assert (r.case_id, r.level, r.bad, r.round, r.rectification) == (cid, 2, True, 1, "verify")
    # first contact: one working day → Thu 8 Oct (1–7 Oct holiday); closed within 15 working
    # days: 8, 9, 10 (调休 Sat), 12–16, 19–23, 26, 27 Oct
    assert (r.contact_due, r.close_due) == (date(2026, 10, 8), date(2026, 10, 27))
    with at(2026, 10, 8, 9):
        with pytest.raises(Conflict) as e:
            await ratings.record_step(s, CLERK, rid, "rectify", "先整改")
        assert e.value.code == "rating.step_not_allowed"
        await s.rollback()
        with pytest.raises(Invalid) as e:
            await ratings.record_step(s, CLERK, rid, "verify", " ")
        assert e.value.code == "rating.note_required"
        await s.rollback()
        await ratings.record_step(s, CLERK, rid, "verify", "电话联系申请人，情况属实")
        await s.commit()
    for step, day in (("rectify", 9), ("feedback", 12), ("callback", 13)):
        with at(2026, 10, day):
            await ratings.record_step(s, principal("ng_approver"), rid, step, f"{step} 完成")
            await s.commit()
    s.expire_all()
    r = await s.get(Rating, rid)
    assert r.rectification == "closed"
    assert r.contacted_at.replace(tzinfo=None) == datetime(2026, 10, 8, 1)  # 09:00 Shanghai
    assert r.closed_at.replace(tzinfo=None) == datetime(2026, 10, 13, 2)
    steps = (await s.execute(select(RatingStep.step, RatingStep.actor)
                             .where(RatingStep.rating_id == rid).order_by(RatingStep.at))).all()
    assert steps == [("verify", "ng_clerk"), ("rectify", "ng_approver"),
                     ("feedback", "ng_approver"), ("callback", "ng_approver")]
    with at(2026, 10, 14):  # closed: nothing more to record
        with pytest.raises(Conflict):
            await ratings.record_step(s, CLERK, rid, "callback", "again")
        await s.rollback()


async def test_one_rating_per_channel_and_the_follow_up(world):
    s = world
    [(cid, no), (cid2, no2)] = await _cases(s, 2)
    with at(2026, 9, 29):
        good = await ratings.rate_case(s, CLERK, no, 5, "pad")
        await ratings.rate_case(s, None, cid, 4, "online", actor="public")  # by id, the public
        await s.commit()
        assert good.rectification is None and good.contact_due is None
        for channel in ("pad", "online"):
            with pytest.raises(Conflict) as e:
                await ratings.rate_case(s, CLERK, no, 1, channel)
            assert e.value.code == "rating.duplicate"
            await s.rollback()
        for level in (0, 6):
            with pytest.raises(Invalid) as e:
                await ratings.rate_case(s, CLERK, no, level, "sms")
            assert e.value.code == "rating.level"
            await s.rollback()
        with pytest.raises(NotFound) as e:
            await ratings.rate_case(s, CLERK, "NO-SUCH-CASE", 3, "sms")
        assert e.value.code == "case.not_found"
        await s.rollback()
        bad = await ratings.rate_case(s, CLERK, no2, 1, "sms")
        await s.commit()
        bid = bad.id
        with pytest.raises(Conflict) as e:  # its rectification is not closed yet
            await ratings.rate_case(s, CLERK, no2, 4, "sms")
        assert e.value.code == "rating.duplicate"
        await s.rollback()
        for step in ratings.STEPS:
            await ratings.record_step(s, CLERK, bid, step, "done")
        await s.commit()
        again = await ratings.rate_case(s, CLERK, no2, 4, "sms", "改进明显")
        await s.commit()
        assert (again.round, again.bad) == (2, False)
        with pytest.raises(Conflict):  # a good follow-up ends it
            await ratings.rate_case(s, CLERK, no2, 5, "sms")
        await s.rollback()
    assert await s.scalar(select(Rating.id).where(Rating.case_id == cid2, Rating.round == 2))


async def test_appeal_excludes_the_rating_and_metrics_match_hand_counts(world):
    s = world
    cases = await _cases(s, 6)
    levels = [5, 4, 3, 2, 1, 1]
    with at(2026, 9, 29):
        rows = [await ratings.rate_case(s, CLERK, no, lv, "pad") for (_, no), lv in
                zip(cases, levels, strict=True)]
        await s.commit()
        ids = [r.id for r in rows]
        # the level-2 rating is rectified; one level-1 rating is appealed and upheld; the other
        # is appealed and the appeal rejected
        for step in ratings.STEPS:
            await ratings.record_step(s, CLERK, ids[3], step, "done")
        await ratings.appeal_rating(s, CLERK, ids[4], "申请人事后承认恶意差评")
        await ratings.appeal_rating(s, CLERK, ids[5], "材料不全被退回")
        await s.commit()
        with pytest.raises(Conflict) as e:
            await ratings.appeal_rating(s, CLERK, ids[0], "x")
        assert e.value.code == "rating.not_bad"
        await s.rollback()
        with pytest.raises(PermissionDenied):  # a clerk does not decide appeals
            await ratings.decide_appeal(s, CLERK, ids[4], True)
        await s.rollback()
        await ratings.decide_appeal(s, SUPERVISOR, ids[4], True, "录音证实恶意")
        await ratings.decide_appeal(s, SUPERVISOR, ids[5], False)
        await s.commit()
        with pytest.raises(Conflict) as e:
            await ratings.decide_appeal(s, SUPERVISOR, ids[4], False)
        assert e.value.code == "rating.no_pending_appeal"
        await s.rollback()
    s.expire_all()
    upheld = await s.get(Rating, ids[4])
    assert (upheld.excluded, upheld.appeal, upheld.rectification) == (True, "upheld", "void")
    metrics = current_host().metrics()
    period = Period(date(2026, 9, 1), date(2026, 10, 31))

    async def value(name, path=COUNTY_PATH):
        return await metrics[f"supervision.{name}"].compute(s, path, period)

    # counted: 5, 4, 3, 2, 1 (rejected appeal) — the upheld one left out
    sat = await value("satisfaction_rate")
    assert (sat.numerator, sat.denominator, sat.value) == (2, 5, 2 / 5)
    rect = await value("rectification_rate")  # bad: the level 2 (closed) and the rejected 1
    assert (rect.numerator, rect.denominator, rect.value) == (1, 2, 1 / 2)
    empty = await value("satisfaction_rate", "34/3418/341802")
    assert empty.value is None and empty.denominator == 0


async def test_scope(world):
    s = world
    [(_, no)] = await _cases(s)
    with at(2026, 9, 29):
        r = await ratings.rate_case(s, CLERK, no, 1, "pad")
        await s.commit()
        rid = r.id
        for who in ("xz_supervisor", "el_supervisor", "ft_supervisor"):
            with pytest.raises(NotFound) as e:
                await ratings.get_rating(s, principal(who), rid)
            assert e.value.code == "rating.not_found"
            with pytest.raises(NotFound) as e:
                await ratings.rate_case(s, principal(who), no, 5, "sms")
            assert e.value.code == "case.not_found"
            await s.rollback()
        assert (await ratings.get_rating(s, principal("xc_supervisor"), rid)).id == rid
        with pytest.raises(NotFound):
            await ratings.get_rating(s, SUPERVISOR, str(uuid.uuid4()))


async def test_the_rating_pad_event(world):
    s = world
    [(cid, no)] = await _cases(s)
    with at(2026, 9, 29):
        row = await s.get(WatchedCase, cid)
        for payload in ({"case_no": no, "level": 3, "channel": "pad"},
                        {"case_no": no, "level": 1, "channel": "pad"},   # duplicate: dropped
                        {"case_no": "NOPE", "level": 1, "channel": "pad"},
                        {"case_no": no, "level": 9, "channel": "sms"}):
            await events.publish(s, "hardware.rating_received", row.tenant_id, row.tenant_path,
                                 payload, "pad-0001")
        await s.commit()
    got = (await s.execute(select(Rating.level, Rating.channel, Rating.rated_by)
                           .where(Rating.case_id == cid))).all()
    assert got == [(3, "pad", "pad-0001")]


# ------------------------------------------------------------------ GraphQL

@pytest.fixture
async def api(settings, system_session):
    from tests.plugins.supervision.api import supervision_api

    async for api in supervision_api(settings, system_session):
        yield api


RATE = """mutation($input: RateCaseInput!) { rateCase(input: $input) {
  rating { id level channel bad rectification contactDue closeDue }
  errors { field code } } }"""
STEP = """mutation($input: RecordRectificationStepInput!) { recordRectificationStep(input: $input) {
  rating { rectification steps { step actor } } errors { code } } }"""
LIST = """query($bad: Boolean!) { ratings(badOnly: $bad) { totalCount
  edges { node { caseNo level levelName steps { step actor } } } } }"""


async def test_ratings_over_graphql(api, system_session):
    s = system_session
    [(_, no)] = await _cases(s)
    with at(2026, 9, 30):
        got = await api.gql("ng_clerk", RATE, {"input": {"caseNo": no, "level": 1,
                                                          "channel": "PAD", "comment": "态度差"}})
        rating = got["data"]["rateCase"]["rating"]
        assert got["data"]["rateCase"]["errors"] == []
        assert (rating["bad"], rating["channel"], rating["rectification"], rating["contactDue"],
                rating["closeDue"]) == (True, "PAD", "verify", "2026-10-08", "2026-10-27")
        again = await api.gql("ng_clerk", RATE, {"input": {"caseNo": no, "level": 5,
                                                           "channel": "PAD"}})
        assert again["data"]["rateCase"] == {"rating": None, "errors": [
            {"field": "channel", "code": "rating.duplicate"}]}
        bad = await api.gql("ng_clerk", RATE, {"input": {"caseNo": no, "level": 7,
                                                         "channel": "SMS"}})
        assert bad["data"]["rateCase"]["errors"][0]["code"] == "rating.level"
        step = await api.gql("ng_clerk", STEP, {"input": {"ratingId": rating["id"],
                                                          "step": "VERIFY", "note": "已联系"}})
        assert step["data"]["recordRectificationStep"] == {"rating": {
            "rectification": "rectify", "steps": [{"step": "verify", "actor": "ng_clerk"}]},
            "errors": []}
        page = await api.gql("ng_supervisor", LIST, {"bad": True})
        assert page["data"]["ratings"]["totalCount"] == 1
        assert page["data"]["ratings"]["edges"][0]["node"]["levelName"] == "非常不满意"
        sibling = await api.gql("xz_supervisor", LIST, {"bad": False})
        assert sibling["data"]["ratings"]["totalCount"] == 0
