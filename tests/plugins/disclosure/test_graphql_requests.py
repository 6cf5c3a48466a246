"""Requests for disclosure over GraphQL as a frontend sends them: the whole flow with the
deadline's derivation, typed errors in payloads, and the isolation matrix for every field."""

from __future__ import annotations

import pytest

from tests.plugins.disclosure.api import disclosure_api
from tests.plugins.disclosure.world import at

R = """id requestNo status requesterName requesterId receivedOn clockStart dueOn overdue
       extendedDays replyType replyReason repliedOn repliedOnTime
       deadline { start limit due skipped { day reason name } paused }
       excludedSpans { kind start end }
       consultations { id kind partyName sentOn dueOn answeredOn outcome }
       history { actor action fromStatus toStatus }"""
ONE = "query($id: ID!) { disclosureRequest(id: $id) { %s } }" % R
LIST = """query($f: DisclosureRequestFilter, $after: String) {
  disclosureRequests(first: 2, after: $after, filter: $f) {
    edges { cursor node { requestNo status } } pageInfo { hasNextPage endCursor } } }"""
ID_NUMBER = "11010519491231002X"


@pytest.fixture
async def api(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        yield api


async def register(api, who="ng_editor", **extra):
    inp = {"channel": "IN_PERSON", "requesterKind": "NATURAL_PERSON", "requesterName": "张三",
           "description": "2025年危房改造补助名单", **extra}
    p = await api.mutate(who, "registerDisclosureRequest", inp, f"request {{ {R} }}")
    assert p["errors"] == [], p
    return p["request"]


async def test_the_flow_with_its_clock(api):
    with at(2026, 9, 21):
        req = await register(api, requesterId=ID_NUMBER)
    assert req["requestNo"] == "341881-GK-2026-00001"
    assert (req["requesterName"], req["requesterId"]) == ("张*", "110*************2X")
    # received Mon 21 Sep → Mon 26 Oct, 中秋 and 国庆 skipped (test_clock.py)
    assert (req["receivedOn"], req["dueOn"], req["deadline"]["limit"]) == ("2026-09-21", "2026-10-26", 20)
    assert {"day": "2026-10-01", "reason": "HOLIDAY", "name": "国庆节"} in req["deadline"]["skipped"]
    with at(2026, 9, 30):
        p = await api.mutate("ng_editor", "openConsultation",
                             {"id": req["id"], "kind": "CO_PRODUCER", "partyName": "宁国市财政局"},
                             "consultation { id dueOn } request { status dueOn }")
        assert p["errors"] == []
        assert p["consultation"]["dueOn"] == "2026-10-27"
        assert p["request"] == {"status": "CONSULTING", "dueOn": "2026-11-17"}
        cid = p["consultation"]["id"]
    with at(2026, 10, 19):
        p = await api.mutate("ng_editor", "answerConsultation",
                             {"id": cid, "outcome": "CONSENT", "answeredOn": "2026-10-16"},
                             "request { status dueOn }")
        assert p["request"] == {"status": "REGISTERED", "dueOn": "2026-11-06"}
        # the editor may not approve an extension; the approver may, once, at most 20 days
        p = await api.mutate("ng_editor", "extendDisclosureRequest",
                             {"id": req["id"], "days": 5, "reason": "检索档案"}, "request { id }")
        assert p["errors"][0]["code"] == "auth.permission_denied" and p["request"] is None
        p = await api.mutate("ng_approver", "extendDisclosureRequest",
                             {"id": req["id"], "days": 21, "reason": "检索档案"}, "request { id }")
        assert (p["errors"][0]["code"], p["errors"][0]["field"]) == (
            "disclosure_request.extension_too_long", "days")
        p = await api.mutate("ng_approver", "extendDisclosureRequest",
                             {"id": req["id"], "days": 20, "reason": "检索档案"},
                             "request { dueOn extendedDays }")
        # 6 Nov + 20 working days: 9–13 (5), 16–20 (10), 23–27 (15), 30 Nov – 4 Dec (20)
        assert p["request"] == {"dueOn": "2026-12-04", "extendedDays": 20}
        p = await api.mutate("ng_approver", "extendDisclosureRequest",
                             {"id": req["id"], "days": 1, "reason": "再延"}, "request { id }")
        assert p["errors"][0]["code"] == "disclosure_request.already_extended"
        p = await api.mutate("ng_editor", "replyDisclosureRequest",
                             {"id": req["id"], "type": "NOT_DISCLOSED", "text": "不予公开"},
                             "request { id }")
        assert p["errors"][0]["code"] == "disclosure_request.ground_required"
        p = await api.mutate("ng_editor", "replyDisclosureRequest",
                             {"id": req["id"], "type": "PARTLY_DISCLOSED", "reason": "process_info",
                              "text": "部分公开"}, "request { status replyType replyReason repliedOnTime }")
        assert p["request"] == {"status": "REPLIED", "replyType": "PARTLY_DISCLOSED",
                                "replyReason": "process_info", "repliedOnTime": True}
        data = await api.gql("ng_supervisor", ONE, {"id": req["id"]})
    one = data["data"]["disclosureRequest"]
    assert [h["action"] for h in one["history"]] == [
        "register", "consultation_open", "consultation_answer", "extend", "reply"]
    assert one["history"][3]["actor"] == "ng_approver"
    assert one["excludedSpans"] == [{"kind": "consultation", "start": "2026-09-30", "end": "2026-10-16"}]
    assert one["consultations"][0]["outcome"] == "CONSENT"
    assert one["deadline"]["limit"] == 40 and one["deadline"]["paused"][0] == "2026-09-30"
    # by number too
    by_no = await api.gql("ng_editor", ONE, {"id": "341881-GK-2026-00001"})
    assert by_no["data"]["disclosureRequest"]["id"] == req["id"]


async def test_correction_fee_and_withdrawal_payloads(api):
    with at(2026, 2, 9):
        req = await register(api)
    with at(2026, 2, 26):
        p = await api.mutate("ng_editor", "sendCorrectionNotice", {"id": req["id"], "items": ["写明文号"]},
                             "request { id }")
        assert p["errors"][0]["code"] == "disclosure_request.correction_too_late"
        assert "2026-02-25" in p["errors"][0]["message"]
    with at(2026, 9, 1):
        reqs = [await register(api, requesterId=ID_NUMBER) for _ in range(11)]
        p = await api.mutate("ng_editor", "setDisclosureFee", {"id": reqs[0]["id"]}, "request { id }")
        assert p["errors"][0]["code"] == "disclosure_request.fee_not_chargeable"
        p = await api.mutate("ng_editor", "setDisclosureFee", {"id": reqs[10]["id"]},
                             "request { feeCents feeNoticeOn }")
        assert p["request"] == {"feeCents": 10000, "feeNoticeOn": "2026-09-01"}
        p = await api.mutate("ng_editor", "recordFeePaid", {"id": reqs[10]["id"]}, "request { feePaidOn }")
        assert p["request"] == {"feePaidOn": "2026-09-01"}
        p = await api.mutate("ng_editor", "withdrawDisclosureRequest",
                             {"id": reqs[1]["id"], "note": "申请人撤回"},
                             "request { status replyType replyReason }")
        assert p["request"] == {"status": "WITHDRAWN", "replyType": "OTHER", "replyReason": "other"}


async def test_list_filters_and_pages(api):
    with at(2026, 9, 21):
        a = await register(api)
        b = await register(api, requesterKind="COMMERCIAL", requesterName="某公司")
        c = await register(api, requesterKind="RESEARCH", requesterName="某研究所")
    with at(2026, 10, 27):
        first = (await api.gql("ng_editor", LIST))["data"]["disclosureRequests"]
        assert [e["node"]["requestNo"] for e in first["edges"]] == [c["requestNo"], b["requestNo"]]
        assert first["pageInfo"]["hasNextPage"]
        rest = (await api.gql("ng_editor", LIST, {"after": first["pageInfo"]["endCursor"]}))
        assert [e["node"]["requestNo"] for e in rest["data"]["disclosureRequests"]["edges"]] == [a["requestNo"]]
        odd = await api.gql("ng_editor", LIST, {"f": {"requesterKind": "COMMERCIAL", "overdue": True,
                                                      "open": True, "year": 2026,
                                                      "status": ["REGISTERED"]}})
        assert [e["node"]["requestNo"] for e in odd["data"]["disclosureRequests"]["edges"]] == [b["requestNo"]]
        # the city sees its subtree; the township does not see the county's requests
        city = await api.gql("xc_admin", LIST)
        assert len(city["data"]["disclosureRequests"]["edges"]) == 2
        ft = await api.gql("ft_editor", LIST)
        assert ft["data"]["disclosureRequests"]["edges"] == []


ATTACKERS = ["xz_editor", "xz_admin", "gk_editor", "el_admin", "ng_clerk", None]

MUTATIONS = [
    ("sendCorrectionNotice", {"items": ["x"]}),
    ("recordCorrection", {}),
    ("openConsultation", {"kind": "THIRD_PARTY", "partyName": "x"}),
    ("extendDisclosureRequest", {"days": 5, "reason": "x"}),
    ("setDisclosureFee", {}),
    ("recordFeePaid", {}),
    ("replyDisclosureRequest", {"type": "DISCLOSED", "reason": "provided", "text": "x"}),
    ("withdrawDisclosureRequest", {"note": "x"}),
]


@pytest.mark.parametrize("who", ATTACKERS, ids=lambda w: w or "anonymous")
async def test_isolation_every_field(api, who):
    with at(2026, 9, 21):
        req = await register(api)
        p = await api.mutate("ng_editor", "openConsultation",
                             {"id": req["id"], "kind": "THIRD_PARTY", "partyName": "某公司"},
                             "consultation { id }")
        cid = p["consultation"]["id"]
    with at(2026, 10, 20):
        one = await api.gql(who, ONE, {"id": req["id"]})
        assert one.get("errors") and not (one.get("data") or {}).get("disclosureRequest"), one
        by_no = await api.gql(who, ONE, {"id": req["requestNo"]})
        assert by_no.get("errors") and not (by_no.get("data") or {}).get("disclosureRequest")
        listed = await api.gql(who, LIST)
        if not listed.get("errors"):
            assert listed["data"]["disclosureRequests"]["edges"] == []
        inputs = [(name, {"id": req["id"], **extra}) for name, extra in MUTATIONS]
        inputs.append(("answerConsultation", {"id": cid, "outcome": "CONSENT"}))
        inputs.append(("registerDisclosureRequest", {
            "tenantCode": "341881", "channel": "IN_PERSON", "requesterKind": "OTHER",
            "requesterName": "x", "description": "x"}))
        for name, inp in inputs:
            q = (f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
                 "{ errors { code } } }")
            data = await api.gql(who, q, {"input": inp})
            refused = data.get("errors") or data["data"][name]["errors"]
            assert refused, (who, name, data)
    # nothing changed: the owner still sees the request as it was
    with at(2026, 10, 20):
        mine = (await api.gql("ng_editor", ONE, {"id": req["id"]}))["data"]["disclosureRequest"]
    assert (mine["status"], mine["extendedDays"], mine["replyType"]) == ("CONSULTING", 0, None)
    assert [h["action"] for h in mine["history"]] == ["register", "consultation_open"]
    assert mine["consultations"][0]["outcome"] is None
