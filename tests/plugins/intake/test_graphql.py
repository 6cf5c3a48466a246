"""The intake GraphQL API as a frontend uses it: the whole lifecycle, typed errors, the plugin
switch, the masked applicant, and the list's scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.plugins.intake.api import CASE_FIELDS, intake_api, submit_input
from tests.plugins.intake.world import (
    BIRTH,
    ID_NUMBER,
    MIGRANT,
    PHONE,
    PROPERTY,
    SIBLING_COUNTY,
    TOWNSHIP,
    VILLAGE,
)
from zhengwu.core import clock

# Monday 2026-09-28, 10:00 in Shanghai: the National Day break (Oct 1–7) is three days away.
MON = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)


def at(y: int, m: int, d: int):
    return clock.freeze(datetime(y, m, d, 2, 0, tzinfo=UTC))


@pytest.fixture
async def api(settings, system_session):
    async for api in intake_api(settings, system_session):
        yield api


CASE_QUERY = "query($id: ID!) { case(id: $id) { %s } }" % CASE_FIELDS


async def test_lifecycle_as_a_frontend_drives_it(api):
    with clock.freeze(MON):
        submitted = await api.mutate("ng_clerk", "submitCase", submit_input(idempotencyKey="k-1"),
                                     CASE_FIELDS)
        assert submitted["errors"] == [], submitted
        case = submitted["case"]
        assert case["caseNo"] == "341881-2026-000001" and case["status"] == "SUBMITTED"
        assert case["statusName"] == "已提交" and case["channel"] == "WINDOW"
        assert case["deadline"] is None and case["dueDate"] is None
        assert case["applicant"] == {"kind": "PERSON", "name": "张*", "idNumber": "110*************2X",
                                     "creditCode": None, "phone": "138******78", "contactName": "李*"}
        assert case["acceptingTenant"]["code"] == case["handlingTenant"]["code"] == "341881"
        accepted = await api.mutate("ng_clerk", "acceptCase", {"caseId": case["id"]}, CASE_FIELDS)
        assert accepted["errors"] == [], accepted
        case = accepted["case"]
    # 5 working days after Mon 28 Sep: Tue 29, Wed 30, Oct 1–7 off, Thu 8, Fri 9, Sat 10 (调休)
    assert case["status"] == "ACCEPTED" and case["dueDate"] == "2026-10-10"
    assert case["deadline"]["start"] == "2026-09-28" and case["deadline"]["limit"] == 5
    skipped = {d["day"]: d for d in case["deadline"]["skipped"]}
    assert skipped["2026-10-01"]["reason"] == "HOLIDAY" and "国庆" in skipped["2026-10-01"]["name"]
    assert "2026-10-07" in skipped and "2026-10-10" not in skipped
    assert [s["status"] for s in case["steps"]] == ["PENDING"] * len(case["steps"]) and case["steps"]
    cid = case["id"]
    with at(2026, 9, 29):
        assigned = await api.mutate("ng_approver", "assignCaseStep",
                                    {"caseId": cid, "seq": 1, "assignee": "ng_approver"}, CASE_FIELDS)
        assert assigned["errors"] == [] and assigned["case"]["steps"][0]["assignee"] == "ng_approver"
        started = await api.mutate("ng_approver", "startCaseStep", {"caseId": cid, "seq": 1},
                                   CASE_FIELDS)
        assert started["case"]["status"] == "IN_REVIEW"
        assert started["case"]["steps"][0]["status"] == "ACTIVE"
        assert started["case"]["steps"][0]["dueDate"] is not None
        finished = await api.mutate("ng_approver", "finishCaseStep",
                                    {"caseId": cid, "seq": 1, "opinion": "材料齐全"}, CASE_FIELDS)
        assert finished["case"]["steps"][0]["opinion"] == "材料齐全"
    with at(2026, 10, 9):
        decided = await api.mutate("ng_approver", "decideCase", {"caseId": cid, "decision": "APPROVED"},
                                   CASE_FIELDS)
        assert decided["errors"] == [], decided
        assert decided["case"]["decision"] == "APPROVED" and decided["case"]["onTime"] is True
        assert decided["case"]["handlingDays"] == 4  # 29, 30 Sep, 8, 9 Oct
    with at(2026, 10, 10):
        delivered = await api.mutate("ng_clerk", "deliverCase", {"caseId": cid, "method": "COURIER"},
                                     CASE_FIELDS)
    case = delivered["case"]
    assert case["status"] == "DELIVERED" and case["deliveryMethod"] == "COURIER"
    assert case["deliveredOn"] == "2026-10-10"
    actions = [h["action"] for h in case["history"]]
    assert actions[0] == "submit" and actions[-1] == "deliver"
    assert {"accept", "assign_step", "start_step", "finish_step", "decide"} <= set(actions)
    assert case["history"][0]["actionName"] == "收件" and case["history"][0]["fromStatus"] is None
    assert case["history"][-1]["fromStatus"] == "APPROVED" and case["history"][-1]["toStatus"] == "DELIVERED"
    # the same case read back, by id and by number, and in the list
    again = await api.gql("ng_clerk", CASE_QUERY, {"id": cid})
    assert again["data"]["case"] == case
    by_no = await api.gql("ng_clerk", '{ caseByNumber(caseNo: "341881-2026-000001") { id } }')
    assert by_no["data"]["caseByNumber"]["id"] == cid
    listed = await api.gql("ng_clerk", "{ cases(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }")
    assert [e["node"]["id"] for e in listed["data"]["cases"]["edges"]] == [cid]


# --------------------------------------------------------------------- typed errors

async def _snapshot(session) -> dict:
    """Every intake row count, every case's (status, version), and the audit trail's length."""
    from sqlalchemy import func, select

    from zhengwu.core.audit import AuditEntry
    from zhengwu.plugins.intake import models

    await session.commit()  # a fresh transaction sees what the app committed
    out: dict = {}
    for name in models.TABLES:
        table = models.Case.metadata.tables[name]
        out[name] = await session.scalar(select(func.count()).select_from(table))
    out["cases"] = sorted((str(i), st, v) for i, st, v in (await session.execute(
        select(models.Case.id, models.Case.status, models.Case.version))).all())
    out["audit"] = await session.scalar(select(func.count()).select_from(AuditEntry))
    return out


async def test_bad_input_is_typed_errors_and_changes_nothing(api, system_session):
    with clock.freeze(MON):
        first = await api.mutate("ng_clerk", "submitCase", submit_input(idempotencyKey="window-7-0001"))
        assert first["errors"] == []
        before = await _snapshot(system_session)
        bad_id = submit_input(materials=(1, 9))
        bad_id["applicant"]["idNumber"] = "110105194912310021"  # wrong check character
        payload = await api.mutate("ng_clerk", "submitCase", bad_id)
        assert payload["case"] is None
        by_code = {e["code"]: e for e in payload["errors"]}
        assert by_code["pii.id_number_checksum"]["field"] == "applicant.idNumber"
        assert by_code["case.material_not_in_list"]["field"] == "materials[1]"
        assert all(e["message"] for e in payload["errors"])
        again = await api.mutate("ng_clerk", "submitCase", submit_input(idempotencyKey="window-7-0001"))
        assert [(e["code"], e["field"]) for e in again["errors"]] == [
            ("case.duplicate_submission", "idempotencyKey")]
        assert "341881-2026-000001" in again["errors"][0]["message"]
        out_of_order = await api.mutate("ng_clerk", "deliverCase", {"caseId": first["case"]["id"]})
        assert [e["code"] for e in out_of_order["errors"]] == ["case.transition_not_allowed"]
        assert out_of_order["case"] is None
        unknown = await api.mutate("ng_clerk", "acceptCase", {"caseId": "no-such-case"})
        assert [e["code"] for e in unknown["errors"]] == ["case.not_found"]
        english = await api.client.post(
            "/graphql", headers={"Authorization": f"Bearer {api.tokens['ng_clerk']}",
                                 "Accept-Language": "en"},
            json={"query": 'mutation { withdrawCase(input: {caseId: "%s", reason: " "}) '
                           '{ errors { code message } } }' % first["case"]["id"]})
        assert english.json()["data"]["withdrawCase"]["errors"] == [
            {"code": "case.reason_required", "message": "the reason is required (at most 2000 characters)"}]
        assert await _snapshot(system_session) == before


async def test_plugin_not_enabled_where_intake_is_off(api):
    listed = await api.gql("xz_admin", "{ cases(first: 5) { edges { node { id } } } }")
    assert listed["data"] is None
    assert listed["errors"][0]["extensions"]["code"] == "plugin.not_enabled"
    submitted = await api.gql("xz_admin", 'mutation { submitCase(input: {tenantCode: "%s", basicCode: "%s", '
                              'applicant: {kind: PERSON, name: "张三", idNumber: "%s"}}) { errors { code } } }'
                              % (SIBLING_COUNTY, PROPERTY, ID_NUMBER))
    assert submitted["errors"][0]["extensions"]["code"] == "plugin.not_enabled"
    # …and on at 宁国市: the same query answers
    assert (await api.gql("ng_clerk", "{ cases { edges { node { id } } } }"))["data"]["cases"]["edges"] == []


async def test_applicant_is_masked_in_every_answer(api):
    """No response — payloads, the list, the case, history — holds the plain ID number or phone."""
    texts = []
    with clock.freeze(MON):
        data, text = await api.raw("ng_clerk", "mutation($i: SubmitCaseInput!) { submitCase(input: $i) "
                                   "{ case { %s } errors { code } } }" % CASE_FIELDS, {"i": submit_input()})
        texts.append(text)
        cid = data["data"]["submitCase"]["case"]["id"]
        for query, variables in (
                ("mutation($id: ID!) { acceptCase(input: {caseId: $id}) { case { %s } } }" % CASE_FIELDS,
                 {"id": cid}),
                (CASE_QUERY, {"id": cid}),
                ("{ cases { edges { node { %s } } } }" % CASE_FIELDS, None),
                ('{ caseByNumber(caseNo: "341881-2026-000001") { %s } }' % CASE_FIELDS, None)):
            data, text = await api.raw("ng_clerk", query, variables)
            assert "errors" not in data, data
            texts.append(text)
    # an organisation's name and credit code are public; its contact person is masked
    from tests.plugins.intake.world import company

    org = submit_input(applicant={"kind": "ORGANISATION", "name": "宁国市某某有限公司",
                                  "creditCode": company(), "contactName": "王小明", "phone": PHONE})
    data, text = await api.raw("ng_clerk", "mutation($i: SubmitCaseInput!) { submitCase(input: $i) "
                               "{ case { applicant { kind name creditCode contactName phone } } } }",
                               {"i": org})
    texts.append(text)
    assert data["data"]["submitCase"]["case"]["applicant"] == {
        "kind": "ORGANISATION", "name": "宁国市某某有限公司", "creditCode": company(),
        "contactName": "王**", "phone": "138******78"}
    for text in texts:
        assert ID_NUMBER not in text and PHONE not in text and ID_NUMBER.lower() not in text
        assert "张三" not in text and "李四" not in text


async def test_agent_point_takes_cases_for_its_township(api):
    """A village agent point accepts 代办 items for the township, sees its point's cases only,
    and never decides; the township sees and decides them."""
    with clock.freeze(MON):
        mine = await api.mutate("ft_agent", "submitCase", submit_input(MIGRANT, materials=(1, 2, 3)),
                                "id channel acceptingTenant { code } handlingTenant { code }")
        assert mine["errors"] == [], mine
        case = mine["case"]
        assert case["channel"] == "AGENT"
        assert (case["acceptingTenant"]["code"], case["handlingTenant"]["code"]) == (VILLAGE, TOWNSHIP)
        other = await api.mutate("sc_agent", "submitCase", submit_input(MIGRANT, materials=(1, 2, 3)))
        assert other["errors"] == []
        township = await api.mutate("ft_clerk", "submitCase", submit_input(MIGRANT, materials=(1, 2, 3)))
        assert township["errors"] == []
        listing = "query($f: CaseFilter) { cases(filter: $f) { edges { node { id } } } }"

        async def ids(who, f=None):
            data = await api.gql(who, listing, {"f": f})
            assert "errors" not in data, data
            return {e["node"]["id"] for e in data["data"]["cases"]["edges"]}

        assert await ids("ft_agent") == {case["id"]}
        assert await ids("sc_agent") == {other["case"]["id"]}
        assert await ids("ft_approver") == {case["id"], other["case"]["id"], township["case"]["id"]}
        assert await ids("ng_approver", {"handledHere": True}) == set()
        assert len(await ids("ng_approver")) == 3
        assert len(await ids("ft_approver", {"handledHere": True})) == 3
        accepted = await api.mutate("ft_agent", "acceptCase", {"caseId": case["id"]})
        assert accepted["errors"] == []
        refused = await api.mutate("ft_agent", "decideCase", {"caseId": case["id"], "decision": "APPROVED"})
        assert [e["code"] for e in refused["errors"]] == ["auth.permission_denied"]
        decided = await api.mutate("ft_approver", "decideCase", {"caseId": case["id"], "decision": "APPROVED"})
        assert decided["errors"] == [] and decided["case"]["status"] == "APPROVED"
        delivered = await api.mutate("ft_agent", "deliverCase", {"caseId": case["id"]})
        assert delivered["case"]["status"] == "DELIVERED"


async def test_pages_follow_their_cursors_in_every_order(api):
    with clock.freeze(MON):
        for _ in range(5):
            assert (await api.mutate("ng_clerk", "submitCase", submit_input()))["errors"] == []
    query = ("query($after: String, $order: CaseOrder!) { cases(first: 2, after: $after, order: $order) "
             "{ edges { cursor node { caseNo } } pageInfo { hasNextPage hasPreviousPage endCursor } } }")
    for order, expected in (("SUBMITTED_DESC", [5, 4, 3, 2, 1]), ("SUBMITTED_ASC", [1, 2, 3, 4, 5]),
                            ("CASE_NO", [1, 2, 3, 4, 5])):
        seen, after, pages = [], None, 0
        while True:
            data = (await api.gql("ng_clerk", query, {"after": after, "order": order}))["data"]["cases"]
            seen += [int(e["node"]["caseNo"][-6:]) for e in data["edges"]]
            pages += 1
            assert data["pageInfo"]["hasPreviousPage"] is (after is not None)
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        assert (seen, pages) == (expected, 3), order
    bad = await api.gql("ng_clerk", '{ cases(after: "bm9wZQ==") { edges { cursor } } }')
    assert bad["errors"][0]["extensions"]["code"] == "pagination.bad_cursor"
    too_many = await api.gql("ng_clerk", "{ cases(first: 101) { edges { cursor } } }")
    assert too_many["errors"][0]["extensions"]["code"] == "pagination.bad_page_size"
    filtered = await api.gql("ng_clerk", '{ cases(filter: {status: [ACCEPTED]}) { edges { cursor } } }')
    assert filtered["data"]["cases"]["edges"] == []


async def test_search_by_applicant_id_number_or_phone(api):
    """A clerk finds an applicant's cases by the full ID number or phone (keyed hash); the
    answer shows them masked, and a malformed number is a typed error."""
    from tests.plugins.intake.world import company

    with clock.freeze(MON):
        mine = (await api.mutate("ng_clerk", "submitCase", submit_input()))["case"]["caseNo"]
        org = submit_input(applicant={"kind": "ORGANISATION", "name": "某公司", "creditCode": company()})
        assert (await api.mutate("ng_clerk", "submitCase", org))["errors"] == []
    query = ("query($f: CaseFilter) { cases(filter: $f) { edges { node { caseNo "
             "applicant { idNumber phone } } } } }")

    async def found(f):
        data, text = await api.raw("ng_clerk", query, {"f": f})
        assert ID_NUMBER not in text and PHONE not in text
        return data

    for f in ({"applicantIdNumber": ID_NUMBER.lower()}, {"applicantPhone": "+86 138-1234-5678"},
              {"applicantIdNumber": ID_NUMBER, "applicantPhone": PHONE}):
        edges = (await found(f))["data"]["cases"]["edges"]
        assert [e["node"]["caseNo"] for e in edges] == [mine], f
        assert edges[0]["node"]["applicant"] == {"idNumber": "110*************2X", "phone": "138******78"}
    assert (await found({"applicantIdNumber": "110101199003070011"}))["data"]["cases"]["edges"] == []
    bad = await found({"applicantIdNumber": "110105194912310021"})
    assert bad["errors"][0]["extensions"] == {"code": "pii.id_number_checksum",
                                              "field": "filter.applicantIdNumber"}


async def test_parallel_approval_with_its_parts(api):
    from tests.plugins.intake.world import ENERGY

    with clock.freeze(MON):
        payload = await api.mutate("ng_clerk", "submitParallelCase", {
            "title": "新建厂房并联审批", "applicant": submit_input()["applicant"],
            "parts": [{"basicCode": ENERGY, "materials": [{"seq": 1}, {"seq": 2}]},
                      {"basicCode": PROPERTY, "materials": [{"seq": s} for s in (1, 2, 3, 4)]}]},
            "id caseNo isParallel itemName parts { caseNo itemName status parent { caseNo } }")
        assert payload["errors"] == [], payload
        parent = payload["case"]
        assert parent["isParallel"] and parent["itemName"] == "新建厂房并联审批"
        assert [p["caseNo"] for p in parent["parts"]] == [parent["caseNo"] + "-1", parent["caseNo"] + "-2"]
        assert {p["parent"]["caseNo"] for p in parent["parts"]} == {parent["caseNo"]}
        accepted = await api.mutate("ng_clerk", "acceptCase", {"caseId": parent["id"]},
                                    "status dueDate deadline { due } parts { status dueDate }")
    assert accepted["errors"] == []
    case = accepted["case"]
    assert case["status"] == "ACCEPTED" and {p["status"] for p in case["parts"]} == {"ACCEPTED"}
    assert case["dueDate"] == max(p["dueDate"] for p in case["parts"]) == case["deadline"]["due"]
    tops = await api.gql("ng_clerk", "{ cases(filter: {includeParts: false}) { edges { node { caseNo } } } }")
    assert [e["node"]["caseNo"] for e in tops["data"]["cases"]["edges"]] == [parent["caseNo"]]


async def test_instant_item_fees_suspension_and_extension(api, system_session):
    from tests.plugins.intake.world import COUNTY, SYSTEM
    from zhengwu.tenants.settings import set_setting

    await set_setting(system_session, SYSTEM, COUNTY, "intake", "extension_item_types", ["01", "07"])
    await system_session.commit()
    with clock.freeze(MON):
        instant = await api.mutate("ft_clerk", "submitCase", submit_input(BIRTH, materials=(1, 2)))
        done = await api.mutate("ft_clerk", "completeInstantCase", {"caseId": instant["case"]["id"]},
                                "status caseType dueDate onTime deadline { limit due skipped { day } }")
        assert done["errors"] == [] and done["case"]["status"] == "APPROVED"
        assert done["case"]["caseType"] == "INSTANT" and done["case"]["deadline"]["limit"] == 0
        cid = (await api.mutate("ng_clerk", "submitCase", submit_input(PROPERTY, materials=(1, 2, 3, 4))))["case"]["id"]
        assert (await api.mutate("ng_clerk", "acceptCase", {"caseId": cid}))["errors"] == []
        above = await api.mutate("ng_clerk", "chargeCaseFee", {"caseId": cid, "feeSeq": 1, "amountCents": 9000})
        assert [e["code"] for e in above["errors"]] == ["case.fee_above_standard"]
        fee = await api.mutate("ng_clerk", "chargeCaseFee", {"caseId": cid, "feeSeq": 1, "amountCents": 8000},
                               "feesCents fees { feeSeq amountCents chargedBy }")
        assert fee["case"]["feesCents"] == 8000
        assert fee["case"]["fees"] == [{"feeSeq": 1, "amountCents": 8000, "chargedBy": "ng_clerk"}]
    with at(2026, 9, 29):
        wrong_kind = await api.mutate("ng_approver", "suspendCase",
                                      {"caseId": cid, "kind": "SUPPLEMENT", "reason": "补正"})
        assert [e["code"] for e in wrong_kind["errors"]] == ["case.pause_kind"]  # requestSupplement
        suspended = await api.mutate("ng_approver", "suspendCase",
                                     {"caseId": cid, "kind": "EXPERT_REVIEW", "reason": "专家评审"},
                                     "status pauses { kind startDay endDay }")
        assert suspended["case"]["status"] == "SUSPENDED"
        assert suspended["case"]["pauses"] == [{"kind": "EXPERT_REVIEW", "startDay": "2026-09-29", "endDay": None}]
    with at(2026, 10, 8):
        resumed = await api.mutate("ng_approver", "resumeCase", {"caseId": cid},
                                   "status dueDate deadline { paused } history { action }")
        assert resumed["case"]["status"] == "ACCEPTED"
        assert resumed["case"]["deadline"]["paused"][:2] == ["2026-09-29", "2026-09-30"]
        assert "deadline_changed" in [h["action"] for h in resumed["case"]["history"]]
        extended = await api.mutate("ng_approver", "extendCase", {"caseId": cid, "days": 5, "reason": "需要论证"},
                                    "extensionDays dueDate")
        assert extended["case"]["extensionDays"] == 5
        assert extended["case"]["dueDate"] > resumed["case"]["dueDate"]


async def test_supplement_round_trip(api):
    with clock.freeze(MON):
        cid = (await api.mutate("ng_clerk", "submitCase", submit_input(materials=())))["case"]["id"]
        incomplete = await api.mutate("ng_clerk", "acceptCase", {"caseId": cid})
        assert [e["code"] for e in incomplete["errors"]] == ["case.materials_incomplete"]
        notice = await api.mutate("ng_clerk", "requestSupplement", {
            "caseId": cid, "items": [{"seq": 1}, {"seq": 2, "problem": "FAULTY", "note": "未盖章"}]},
            "status supplementNotices { round notifyBy late items { seq problem note } }")
        assert notice["errors"] == [] and notice["case"]["status"] == "NEEDS_SUPPLEMENT"
        (n,) = notice["case"]["supplementNotices"]
        assert n["round"] == 1 and n["late"] is False and n["notifyBy"] == "2026-10-10"  # 29, 30 Sep, 8, 9, 10 Oct (调休)
        assert [i["problem"] for i in n["items"]] == ["MISSING", "FAULTY"]
        received = await api.mutate("ng_clerk", "receiveSupplement", {
            "caseId": cid, "materials": [{"seq": 1, "originals": 1}, {"seq": 2, "originals": 1}]},
            "status materials { seq status }")
        assert received["case"]["status"] == "SUBMITTED"
        assert {m["status"] for m in received["case"]["materials"]} == {"OK"}
        tolerated = await api.mutate("ng_clerk", "acceptCase", {"caseId": cid, "tolerateMissing": True})
        assert tolerated["errors"] == []


async def test_enums_name_every_value_of_the_lifecycle():
    from zhengwu.plugins.intake import graphql as api_types
    from zhengwu.plugins.intake.inputs import APPLICANT_KINDS, CHANNELS, DELIVERY_METHODS, PAUSE_KINDS
    from zhengwu.plugins.intake.lifecycle import STATES

    def values(enum):
        return {m.value for m in enum}

    assert values(api_types.CaseStatus) == set(STATES)
    assert values(api_types.CaseChannel) == set(CHANNELS)
    assert values(api_types.ApplicantKind) == set(APPLICANT_KINDS)
    assert values(api_types.DeliveryMethod) == set(DELIVERY_METHODS)
    assert values(api_types.PauseKind) == {*PAUSE_KINDS, "supplement"}


def test_read_only_above_the_county():
    from zhengwu.graphql.schema import build_schema
    from zhengwu.platform import boot

    host = boot()
    try:
        for tier in ("province", "city", "county", "township", "village"):
            sdl = build_schema(tier, host).as_str()
            assert "cases(" in sdl and "caseByNumber(" in sdl, tier
            assert ("submitCase(" in sdl) is (tier in ("county", "township", "village")), tier
        assert "cases(" not in build_schema("platform", host).as_str()
        # the plugin.not_enabled guard sits on each schema's copy, never on the shared classes
        from zhengwu.plugins.intake.graphql import CaseMutation, CaseQuery
        from zhengwu.plugins.intake.graphql_stats import StatsQuery

        for root in (CaseQuery, CaseMutation, StatsQuery):
            assert all(not f.extensions for f in root.__strawberry_definition__.fields), root
    finally:
        boot([], entry_points=False)


# ------------------------------------------------------------------ isolation matrix
#
# Generated from the schema: every root field intake contributes to the county schema is sent
# by every attacker against a victim case (or tenant) in the state the operation needs, with
# arguments filled from VALUES; a field without an entry in MATRIX, or a required argument
# without a value, fails the test — so a new field cannot ship without its row. Attackers get
# an error and no data, and leave every row as it was; then the owner succeeds (control).

MATRIX = {
    # field: (victim, the state it must be in, who may do it)
    "cases": ("village", "submitted", "ft_agent"),
    "case": ("village", "submitted", "ft_agent"),
    "caseByNumber": ("village", "submitted", "ft_agent"),
    "submitCase": ("village", None, "ft_agent"),
    "submitParallelCase": ("county", None, "ng_clerk"),
    "requestSupplement": ("village", "submitted", "ft_agent"),
    "receiveSupplement": ("village", "needs_supplement", "ft_agent"),
    "acceptCase": ("village", "submitted", "ft_agent"),
    "notAcceptCase": ("village", "submitted", "ft_agent"),
    "completeInstantCase": ("township", "submitted", "ft_clerk"),
    "assignCaseStep": ("village", "accepted", "ft_approver"),
    "startCaseStep": ("village", "accepted", "ft_approver"),
    "finishCaseStep": ("village", "in_review", "ft_approver"),
    "decideCase": ("village", "in_review", "ft_approver"),
    "deliverCase": ("village", "approved", "ft_agent"),
    "withdrawCase": ("village", "accepted", "ft_agent"),
    "suspendCase": ("village", "accepted", "ft_approver"),
    "resumeCase": ("village", "suspended", "ft_approver"),
    "extendCase": ("village", "accepted", "ft_approver"),
    "chargeCaseFee": ("county", "accepted", "ng_clerk"),
    # aggregates (graphql_stats): the county's assessor reads them, a case never
    "caseStatistics": ("village", None, "ng_assessor"),
    "caseStatisticsByTenant": ("village", None, "ng_assessor"),
    "caseFeeTotals": ("village", None, "ng_assessor"),
}
ALSO_ALLOWED = {"caseFeeTotals": {"ft_agent"}}
"""Besides the owner: the agent point reads its own fee totals (收费日结, case:fee)."""
ATTACKERS = ("sc_agent", "gk_clerk", "xz_admin", "el_admin", None, "ng_assessor")
"""Sibling village, sibling township, sibling county (intake off there), another province
(intake on there), anonymous, and the county's assessor (aggregates only). The village agent
point ``ft_agent`` attacks too wherever it is not the owner: a child trying to decide."""


def _victims():
    from tests.plugins.intake.world import COUNTY, MIGRANT, TOWNSHIP, VILLAGE

    return {"village": (VILLAGE, MIGRANT, (1, 2, 3), "ft_agent", "ft_approver"),
            "township": (TOWNSHIP, BIRTH, (1, 2), "ft_clerk", "ft_approver"),
            "county": (COUNTY, PROPERTY, (1, 2, 3, 4), "ng_clerk", "ng_approver")}


async def _victim_case(session, victim: str, state: str):
    """A case at the victim tenant driven to ``state`` through the services."""
    from tests.plugins.intake.world import new_case, principal
    from zhengwu.plugins.intake import service
    from zhengwu.plugins.intake.inputs import SupplementItem

    tenant, item, materials, front, back = _victims()[victim]
    front, back = principal(front), principal(back)
    given = () if state == "needs_supplement" else materials
    case = await service.submit_case(session, front, new_case(item, tenant, materials=given))
    if state == "needs_supplement":
        await service.request_supplement(session, front, case.id, [SupplementItem(s) for s in materials])
    elif state != "submitted":
        await service.accept_case(session, front, case.id)
        if state == "in_review":
            await service.start_step(session, back, case.id, 1)
        elif state == "suspended":
            await service.suspend_case(session, back, case.id, "inspection", "现场核查")
        elif state == "approved":
            await service.decide_case(session, back, case.id, approved=True)
    await session.commit()
    return case


def _values(tenant: str, case) -> dict:
    from strawberry import relay

    from tests.plugins.intake.world import ENERGY, MIGRANT

    gid = str(relay.GlobalID("Case", str(case.id))) if case is not None else None
    return {
        "id": gid, "caseId": gid, "caseNo": case.case_no if case is not None else None,
        "filter": {"under": tenant}, "tenantCode": tenant,
        "basicCode": MIGRANT, "applicant": submit_input()["applicant"],
        "materials": [{"seq": s, "originals": 1} for s in (1, 2, 3)],
        "title": "并联审批", "parts": [{"basicCode": ENERGY, "materials": [{"seq": 1}, {"seq": 2}]},
                                   {"basicCode": PROPERTY, "materials": [{"seq": s} for s in (1, 2, 3, 4)]}],
        "items": [{"seq": 1, "problem": "FAULTY"}], "reason": "申请人要求", "legalBasis": "《行政许可法》第三十二条",
        "decision": "APPROVED", "seq": 1, "assignee": "ft_approver", "opinion": "同意",
        "method": "PICKUP", "kind": "INSPECTION", "days": 2, "feeSeq": 1, "amountCents": 8000,
        "from": "2026-11-01", "to": "2026-12-31",
    }


def _operation(name: str, field, values: dict) -> tuple[str, dict]:
    """The operation text and its variables for root field ``name`` (required values or fail)."""
    from graphql import GraphQLInputObjectType, GraphQLNonNull, Undefined, get_named_type

    declared, passed, variables = [], [], {}
    for aname, arg in field.args.items():
        named = get_named_type(arg.type)
        if isinstance(named, GraphQLInputObjectType) and aname not in values:
            value = {}
            for fname, f in named.fields.items():
                v = values.get(f"{named.name}.{fname}", values.get(fname))
                if v is not None:
                    value[fname] = v
                elif isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined:
                    raise AssertionError(f"{name}: add a value for required input field {named.name}.{fname}")
        elif aname in values:
            value = values[aname]
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            raise AssertionError(f"{name}: add a value for required argument {aname!r}")
        else:
            continue
        declared.append(f"${aname}: {arg.type}")
        passed.append(f"{aname}: ${aname}")
        variables[aname] = value
    fields = get_named_type(field.type).fields
    selection = ("{ case { id caseNo status } errors { code } }" if "errors" in fields
                 else "{ edges { node { id caseNo } } }" if "edges" in fields
                 else "{ id caseNo status applicant { idNumber } }" if "caseNo" in fields
                 else "{ __typename }")
    kind = "mutation" if "errors" in fields else "query"
    head = f"{kind}({', '.join(declared)})" if declared else kind
    return f"{head} {{ {name}({', '.join(passed)}) {selection} }}", variables


def _refused(result: dict, name: str) -> bool:
    if result.get("errors"):
        return (result.get("data") or {}).get(name) is None
    payload = (result.get("data") or {}).get(name)
    return isinstance(payload, dict) and bool(payload.get("errors")) and payload.get("case") is None


def _intake_fields(app) -> dict:
    """Root fields intake contributes to the county schema (graphql-core fields by name)."""
    from strawberry.utils.str_converters import to_camel_case

    import zhengwu.plugins.intake as intake

    contribution = intake.zhengwu_graphql(tier="county")
    schema = app.state.schemas["county"]._schema
    out = {}
    for part, root in ((contribution.query, schema.query_type), (contribution.mutation, schema.mutation_type)):
        for f in part.__strawberry_definition__.fields:
            name = f.graphql_name or to_camel_case(f.python_name)
            out[name] = root.fields[name]
    return out


async def test_isolation_matrix_for_every_case_operation(api, system_session):
    from tests.plugins.intake.world import OTHER_COUNTY, SYSTEM, TOWNSHIP
    from zhengwu.tenants import enablement
    from zhengwu.tenants.settings import set_setting

    # intake on in the other province too, so that its admin meets the scope, not the switch
    await enablement.enable_plugin(system_session, SYSTEM, OTHER_COUNTY, "intake")
    await set_setting(system_session, SYSTEM, TOWNSHIP, "intake", "extension_item_types", ["01", "20"])
    await system_session.commit()
    fields = _intake_fields(api.client.app)
    assert set(fields) == set(MATRIX), "every intake field needs its row in MATRIX (and only those)"
    leaks, changed, failed_controls = [], [], []
    for name, field in fields.items():
        victim, state, owner = MATRIX[name]
        tenant = _victims()[victim][0]
        case = await _victim_case(system_session, victim, state) if state else None
        query, variables = _operation(name, field, _values(tenant, case))
        before = await _snapshot(system_session)
        allowed = {owner, *ALSO_ALLOWED.get(name, ())}
        attackers = [who for who in (*ATTACKERS, "ft_agent") if who not in allowed]
        for who in attackers:
            result = await api.gql(who, query, variables)
            if not _refused(result, name):
                leaks.append((name, who, result))
        if await _snapshot(system_session) != before:
            changed.append(name)
        result = await api.gql(owner, query, variables)
        data = (result.get("data") or {}).get(name)
        ok = (not result.get("errors") and data is not None
              and (data.get("errors") == [] if "errors" in data else True)
              and (bool(data["edges"]) if "edges" in data else True))
        if not ok:
            failed_controls.append((name, owner, result))
    assert leaks == []
    assert changed == []
    assert failed_controls == []


async def test_assessors_read_no_case(api):
    """An assessor (case_stats:read only) gets an error for every case query, at every level."""
    with clock.freeze(MON):
        cid = (await api.mutate("ng_clerk", "submitCase", submit_input()))["case"]["id"]
    for query in ("{ cases { edges { node { id } } } }",
                  '{ cases(filter: {under: "341881"}) { edges { node { id } } } }',
                  '{ case(id: "%s") { id } }' % cid,
                  '{ caseByNumber(caseNo: "341881-2026-000001") { id } }',
                  '{ caseByNumber(caseNo: "341881-2026-999999") { id } }'):
        result = await api.gql("ng_assessor", query)
        assert result["data"] is None, (query, result)
        assert result["errors"][0]["extensions"]["code"] == "auth.permission_denied"
