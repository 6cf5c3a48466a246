"""The supervision GraphQL API as a supervisors' frontend uses it: the card list and its
filters, the acts on a card, 督办, a constant number of statements per page, and an isolation
matrix generated from the schema over every field the plugin contributes."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from strawberry import relay

from tests.plugins.intake.world import OTHER_COUNTY, SYSTEM, TOWNSHIP, new_case
from tests.plugins.supervision.api import ALERT_FIELDS, supervision_api
from tests.plugins.supervision.world import MON, at, principal
from zhengwu.core import clock
from zhengwu.plugins.intake import service as intake
from zhengwu.plugins.supervision import complaints, ratings, service
from zhengwu.plugins.supervision.models import (
    Alert,
    AlertEntry,
    Complaint,
    Rating,
    RatingStep,
    SupervisionTicket,
)
from zhengwu.plugins.supervision.notify import notify_pending
from zhengwu.plugins.supervision.sweep import sweep
from zhengwu.tenants import enablement


@pytest.fixture
async def api(settings, system_session):
    async for api in supervision_api(settings, system_session):
        yield api


class Quiet:
    async def send(self, notifications):
        pass


async def _township_cards(s, n: int = 1) -> list:
    """``n`` 方塘乡 cases accepted with a required material missing, overdue by Thu 8 Oct, swept
    and notified: three cards each (missing_required, near_deadline, overdue)."""
    from tests.plugins.intake.world import MIGRANT

    clerk = principal("ft_clerk")
    ids = []
    with clock.freeze(MON):
        for _ in range(n):
            case = await intake.submit_case(s, clerk, new_case(MIGRANT, TOWNSHIP, materials=(1, 2)))
            await intake.accept_case(s, clerk, case.id, tolerate_missing=True)
            ids.append(case.id)
        await s.commit()
    with at(2026, 10, 8):
        await sweep(s, await enablement.enabled_scope(s, "supervision"), clock.now())
        await notify_pending(s, clock.now(), notifier=Quiet())
        await s.commit()
    return ids


LIST = """query($filter: AlertFilter, $first: Int, $after: String, $order: AlertOrder) {
  alerts(filter: $filter, first: $first, after: $after, order: $order) {
    totalCount edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } }""" % ALERT_FIELDS


def _mutation(name: str, fields: str = "alert { id status }") -> str:
    return (f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
            f"{{ {fields} errors {{ field code message }} }} }}")


async def test_a_supervisor_works_through_the_cards(api, system_session):
    await _township_cards(system_session)
    listed = await api.gql("ng_supervisor", LIST, {"filter": {"colour": "RED", "live": True}})
    assert "errors" not in listed, listed
    conn = listed["data"]["alerts"]
    assert conn["totalCount"] == 2
    red = {e["node"]["reason"]: e["node"] for e in conn["edges"]}
    overdue = red["OVERDUE"]
    assert (overdue["colour"], overdue["kind"], overdue["status"], overdue["reasonName"]) == (
        "RED", "DEADLINE", "NOTIFIED", "超期未办结")
    assert overdue["dueDate"] == "2026-09-30" and overdue["handler"] == "ft_clerk"
    assert overdue["acceptingTenant"] == {"code": "341881204", "name": "方塘乡"}
    assert overdue["handlingTenantCode"] == "341881204"
    assert [h["action"] for h in overdue["history"]] == ["notified"]
    assert overdue["history"][0]["data"]["recipients"] == ["ft_clerk", "ft_supervisor",
                                                           "ng_supervisor", "xc_supervisor"]
    assert red["MISSING_REQUIRED"]["detail"] == {"materials": [3], "tolerated": True}
    gid = overdue["id"]
    with at(2026, 10, 8, 11):
        ack = await api.gql("ft_clerk", _mutation("acknowledgeAlert"), {"input": {"alertId": gid}})
        assert ack["data"]["acknowledgeAlert"] == {"alert": {"id": gid, "status": "ACKNOWLEDGED"},
                                                   "errors": []}
        early = await api.gql("ng_supervisor", _mutation("closeAlert"), {"input": {"alertId": gid}})
        assert early["data"]["closeAlert"]["alert"] is None
        assert early["data"]["closeAlert"]["errors"][0]["code"] == "alert.transition_not_allowed"
        blank = await api.gql("ft_clerk", _mutation("explainAlert"),
                              {"input": {"alertId": gid, "explanation": " "}})
        assert blank["data"]["explainAlert"]["errors"][0]["code"] == "alert.text_required"
        said = await api.gql("ft_clerk", _mutation("explainAlert"),
                             {"input": {"alertId": gid, "explanation": "申请人补正材料延误"}})
        assert said["data"]["explainAlert"]["errors"] == []
        ticket = await api.gql("ng_supervisor", _mutation(
            "superviseCase", "ticket { id caseNo days dueOn status alertId }"),
            {"input": {"alertId": gid, "instructions": "三日内办结", "days": 3}})
        assert ticket["data"]["superviseCase"]["errors"] == []
        t = ticket["data"]["superviseCase"]["ticket"]
        assert (t["days"], t["dueOn"], t["status"], t["alertId"]) == (3, "2026-10-12", "OPEN", gid)
        closed = await api.gql("ng_supervisor", _mutation("closeAlert", "alert { %s }" % ALERT_FIELDS),
                               {"input": {"alertId": gid, "note": "情况属实"}})
    card = closed["data"]["closeAlert"]["alert"]
    assert (card["status"], card["explanation"], card["closedBy"], card["closeNote"]) == (
        "CLOSED", "申请人补正材料延误", "ng_supervisor", "情况属实")
    assert [h["action"] for h in card["history"]] == [
        "notified", "acknowledge", "explain", "supervised", "close"]
    assert [x["id"] for x in card["tickets"]] == [t["id"]]
    with at(2026, 10, 8, 12):
        live = await api.gql("ng_supervisor", '{ supervisionOverview(under: "341881") { asOf '
                                              "totals { watched overdue redCards openTickets } "
                                              "rows { tenant { code } subtree watched overdue } "
                                              "departments { tenantCode departmentName watched "
                                              "overdue redCards } } }")
    view = live["data"]["supervisionOverview"]
    assert view["asOf"] == "2026-10-08"
    assert view["totals"] == {"watched": 1, "overdue": 1, "redCards": 1, "openTickets": 1}
    assert view["rows"][-1] == {"tenant": {"code": "341881204"}, "subtree": True, "watched": 1,
                                "overdue": 1}
    assert view["departments"] == [
        {"tenantCode": "341881", "departmentName": "宁国市数据资源管理局", "watched": 0,
         "overdue": 0, "redCards": 0},
        {"tenantCode": "341881204", "departmentName": "方塘乡人民政府", "watched": 1,
         "overdue": 1, "redCards": 1}]
    tickets = await api.gql("ft_supervisor", "{ supervisionTickets(openOnly: true) { totalCount "
                                             "edges { node { id instructions } } } }")
    assert tickets["data"]["supervisionTickets"]["totalCount"] == 1
    done = await api.gql("ft_supervisor", _mutation("closeSupervisionTicket", "ticket { status result }"),
                         {"input": {"ticketId": t["id"], "result": "已办结"}})
    assert done["data"]["closeSupervisionTicket"]["ticket"] == {"status": "CLOSED", "result": "已办结"}
    one = await api.gql("xc_supervisor", "query($id: ID!) { alert(id: $id) { status } }", {"id": gid})
    assert one["data"]["alert"]["status"] == "CLOSED"


async def test_filters_pages_and_errors(api, system_session):
    await _township_cards(system_session, 3)
    seen, after = [], None
    while True:
        page = await api.gql("ft_supervisor", LIST, {"first": 4, "after": after, "order": "RAISED_ASC"})
        conn = page["data"]["alerts"]
        assert conn["totalCount"] == 9
        seen += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 9
    newest = await api.gql("ft_supervisor", LIST, {"first": 9})
    assert [e["node"]["id"] for e in newest["data"]["alerts"]["edges"]] == seen[::-1]
    yellow = await api.gql("ft_supervisor", LIST, {"filter": {"reasons": ["NEAR_DEADLINE"],
                                                              "statuses": ["NOTIFIED"]}})
    assert yellow["data"]["alerts"]["totalCount"] == 3
    one = await api.gql("ft_supervisor", LIST, {"filter": {"caseNo": "341881204-2026-000002"}})
    assert one["data"]["alerts"]["totalCount"] == 3
    bad = await api.gql("ft_supervisor", LIST, {"after": "nonsense"})
    assert bad["errors"][0]["extensions"]["code"] == "pagination.bad_cursor"
    missing = await api.gql("ft_supervisor", "query($id: ID!) { alert(id: $id) { id } }",
                            {"id": relay.to_base64("Alert", "0190b2a4-0000-7000-8000-000000000000")})
    assert missing["errors"][0]["extensions"]["code"] == "alert.not_found"
    village = await api.gql("ft_agent", "{ alerts { totalCount } }")
    assert "alerts" in village["errors"][0]["message"]  # no supervision fields at village tier
    await enablement.disable_plugin(system_session, SYSTEM, TOWNSHIP, "supervision")
    await system_session.commit()
    off = await api.gql("ft_supervisor", "{ alerts { totalCount } }")
    assert off["errors"][0]["extensions"]["code"] == "plugin.not_enabled"


@contextmanager
def counting(engine):
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if "set_config('zhengwu.scope'" not in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def test_a_page_costs_a_constant_number_of_statements(api, system_session):
    ids = await _township_cards(system_session, 4)
    with at(2026, 10, 8, 11):
        for cid in ids:
            card = await system_session.scalar(select(Alert.id).where(Alert.case_id == cid).limit(1))
            await service.supervise_case(system_session, principal("ng_supervisor"), alert_id=card,
                                         instructions="督办")
        await system_session.commit()
    engine = api.client.app.state.engine
    counts = []
    for first in (2, 12):
        with counting(engine) as seen:
            page = await api.gql("ng_supervisor", LIST, {"first": first})
        assert len(page["data"]["alerts"]["edges"]) == first
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


# ------------------------------------------------------------------ isolation matrix
#
# Every root field supervision contributes to the township schema is sent by every attacker
# against a victim card (or ticket) of 方塘乡 in the state the operation needs, with arguments
# from VALUES; a field without a row in MATRIX, or a required argument without a value, fails
# the test. Attackers get an error and no data and change nothing; then the owner succeeds.

MATRIX = {
    # field: (the state the victim card must be in, who may do it)
    "alerts": ("notified", "ft_supervisor"),
    "alert": ("notified", "ft_supervisor"),
    "supervisionTickets": ("ticket", "ft_supervisor"),
    "supervisionOverview": ("notified", "ft_supervisor"),
    "acknowledgeAlert": ("notified", "ft_clerk"),
    "explainAlert": ("acknowledged", "ft_clerk"),
    "correctAlert": ("acknowledged", "ft_approver"),
    "closeAlert": ("explained", "ng_supervisor"),
    "superviseCase": ("notified", "xc_supervisor"),
    "closeSupervisionTicket": ("ticket", "ft_supervisor"),
    "ratings": ("rated", "ft_supervisor"),
    "rateCase": ("rated", "ft_clerk"),  # on SMS (the victim's rating is on the pad)
    "recordRectificationStep": ("rated", "ft_clerk"),
    "appealRating": ("rated", "ft_approver"),
    "decideRatingAppeal": ("appealed", "ft_supervisor"),
    "complaints": ("complaint_open", "ft_supervisor"),
    "fileComplaint": ("notified", "ft_clerk"),
    "assignComplaint": ("complaint_open", "ng_supervisor"),
    "replyComplaint": ("complaint_open", "ft_clerk"),
    "callbackComplaint": ("complaint_replied", "ft_supervisor"),
    "closeComplaint": ("complaint_called_back", "ft_supervisor"),
    "supervisionTrends": ("rated", "ft_supervisor"),
    "supervisionPerformance": ("rated", "ft_supervisor"),
    "supervisionDailySummaries": ("rated", "ft_supervisor"),
    "supervisionWindowPerformance": ("rated", "ft_supervisor"),
    "supervisionDepartmentPerformance": ("rated", "ft_supervisor"),
    "ratingsByService": ("rated", "ft_supervisor"),
}
ATTACKERS = ("gk_supervisor", "xz_supervisor", "el_supervisor", None, "ng_assessor", "ft_agent")
"""Sibling township, sibling county, another province (supervision on there too), anonymous,
the county's assessor (metrics only) and 方塘村's agent (village tier: no supervision fields).
Staff (``ft_clerk``) attack the supervisors' fields too."""
SUPERVISORS_ONLY = {"closeAlert", "superviseCase", "closeSupervisionTicket", "decideRatingAppeal",
                    "assignComplaint", "callbackComplaint", "closeComplaint"}


async def _victim(s, state: str) -> tuple[str, str | None, str, str | None, str | None]:
    """A fresh overdue card of 方塘乡 in ``state``: (alert global id, ticket global id, case no,
    rating global id — a bad pad rating of the case for ``rated``, appealed for ``appealed`` —,
    complaint global id — a hall complaint at 方塘乡 for ``complaint_*`` in that state)."""
    cid = (await _township_cards(s))[0]
    card = await s.scalar(select(Alert).where(Alert.case_id == cid, Alert.reason == "overdue"))
    aid, case_no = card.id, card.case_no
    ticket = rating = complaint = None
    with at(2026, 10, 8, 11):
        if state.startswith("complaint_"):
            c = await complaints.file_complaint(s, principal("ft_clerk"), tenant_code=TOWNSHIP,
                                                source="hall", category="attitude",
                                                content="态度差")
            if state in ("complaint_replied", "complaint_called_back"):
                await complaints.reply_complaint(s, principal("ft_clerk"), c.id, "已答复")
            if state == "complaint_called_back":
                await complaints.callback_complaint(s, principal("ft_supervisor"), c.id, True)
            complaint = relay.to_base64("Complaint", str(c.id))
        if state in ("rated", "appealed"):
            r = await ratings.rate_case(s, principal("ft_clerk"), case_no, 1, "pad")
            if state == "appealed":
                await ratings.appeal_rating(s, principal("ft_clerk"), r.id, "恶意差评")
            rating = relay.to_base64("Rating", str(r.id))
        if state in ("acknowledged", "explained"):
            await service.acknowledge_alert(s, principal("ft_clerk"), aid)
        if state == "explained":
            await service.explain_alert(s, principal("ft_clerk"), aid, "说明")
        if state == "ticket":
            t = await service.supervise_case(s, principal("ft_supervisor"), alert_id=aid,
                                             instructions="督办")
            ticket = relay.to_base64("SupervisionTicket", str(t.id))
        await s.commit()
    return relay.to_base64("Alert", str(aid)), ticket, case_no, rating, complaint


def _values(alert: str, ticket: str | None, case_no: str, rating: str | None,
            complaint: str | None) -> dict:
    return {"id": alert, "alertId": alert, "ticketId": ticket, "caseNo": case_no,
            "ratingId": rating, "level": 2, "channel": "SMS", "step": "VERIFY",
            "reason": "恶意差评", "upheld": True, "complaintId": complaint,
            "tenantCode": TOWNSHIP, "source": "HALL", "category": "ATTITUDE", "content": "投诉",
            "reply": "答复", "satisfied": True,
            "filter": {"under": TOWNSHIP}, "under": TOWNSHIP, "explanation": "说明",
            "correction": "已纠正", "instructions": "督办", "result": "已办结", "note": "备注",
            "from": "2026-09-01", "to": "2026-10-31"}


def _supervision_fields(app) -> dict:
    from strawberry.utils.str_converters import to_camel_case

    import zhengwu.plugins.supervision as supervision

    contribution = supervision.zhengwu_graphql(tier="township")
    schema = app.state.schemas["township"]._schema
    out = {}
    for part, root in ((contribution.query, schema.query_type),
                       (contribution.mutation, schema.mutation_type)):
        for f in part.__strawberry_definition__.fields:
            name = f.graphql_name or to_camel_case(f.python_name)
            out[name] = root.fields[name]
    return out


def _operation(name: str, field, values: dict) -> tuple[str, dict]:
    from graphql import GraphQLInputObjectType, GraphQLNonNull, Undefined, get_named_type

    declared, passed, variables = [], [], {}
    for aname, arg in field.args.items():
        named = get_named_type(arg.type)
        if (isinstance(named, GraphQLInputObjectType) and aname not in values) or aname == "input":
            value = {}
            for fname, f in named.fields.items():
                if values.get(fname) is not None:
                    value[fname] = values[fname]
                elif isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined:
                    raise AssertionError(f"{name}: add a value for {named.name}.{fname}")
            if name == "superviseCase":
                value.pop("caseNo", None)  # through the card
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
    selection = ("{ errors { code } " + ("ticket { id } }" if "ticket" in fields
                                         else "rating { id } }" if "rating" in fields
                                         else "complaint { id } }" if "complaint" in fields
                                         else "alert { id } }")
                 if "errors" in fields
                 else "{ edges { node { id } } }" if "edges" in fields
                 else "{ asOf totals { watched redCards } }" if "totals" in fields
                 else "{ period buckets { start received ratings } }" if "buckets" in fields
                 else "{ clerk accepted ratings }" if "clerk" in fields
                 else "{ day tenantCode received feesCents }" if "day" in fields
                 else "{ windowNumber accepted ratings }" if "windowNumber" in fields
                 else "{ departmentName accepted ratings }" if "departmentName" in fields
                 else "{ basicCode rated badRatings }" if "basicCode" in fields
                 else "{ id caseNo }")
    kind = "mutation" if "errors" in fields else "query"
    return f"{kind}({', '.join(declared)}) {{ {name}({', '.join(passed)}) {selection} }}", variables


def _refused(result: dict, name: str) -> bool:
    if result.get("errors"):
        return (result.get("data") or {}).get(name) is None
    payload = (result.get("data") or {}).get(name)
    return (isinstance(payload, dict) and bool(payload.get("errors"))
            and payload.get("alert") is None and payload.get("ticket") is None
            and payload.get("rating") is None and payload.get("complaint") is None)


async def _snapshot(s) -> tuple:
    s.expire_all()
    alerts = (await s.execute(select(Alert.id, Alert.status).order_by(Alert.id))).all()
    tickets = (await s.execute(select(SupervisionTicket.id, SupervisionTicket.status)
                               .order_by(SupervisionTicket.id))).all()
    entries = await s.scalar(select(func.count()).select_from(AlertEntry))
    rated = (await s.execute(select(Rating.id, Rating.rectification, Rating.appeal)
                             .order_by(Rating.id))).all()
    steps = await s.scalar(select(func.count()).select_from(RatingStep))
    complained = (await s.execute(select(Complaint.id, Complaint.status, Complaint.tenant_path)
                                  .order_by(Complaint.id))).all()
    return tuple(alerts), tuple(tickets), entries, tuple(rated), steps, tuple(complained)


async def test_isolation_matrix_for_every_supervision_field(api, system_session):
    s = system_session
    await enablement.enable_plugin(s, SYSTEM, OTHER_COUNTY, "supervision")
    await s.commit()
    fields = _supervision_fields(api.client.app)
    assert set(fields) == set(MATRIX), "every supervision field needs its row in MATRIX"
    leaks, changed, failed = [], [], []
    for name, field in fields.items():
        state, owner = MATRIX[name]
        alert, ticket, case_no, rating, complaint = await _victim(s, state)
        query, variables = _operation(name, field,
                                      _values(alert, ticket, case_no, rating, complaint))
        before = await _snapshot(s)
        attackers = ATTACKERS + (("ft_clerk",) if name in SUPERVISORS_ONLY else ())
        for who in attackers:
            with at(2026, 10, 8, 12):
                result = await api.gql(who, query, variables)
            if not _refused(result, name):
                leaks.append((name, who, result))
        if await _snapshot(s) != before:
            changed.append(name)
        with at(2026, 10, 8, 12):
            result = await api.gql(owner, query, variables)
        data = (result.get("data") or {}).get(name)
        ok = (not result.get("errors") and data is not None
              and (data.get("errors") == [] if "errors" in data else True)
              and (bool(data["edges"]) if "edges" in data else True))
        if not ok:
            failed.append((name, owner, result))
    assert leaks == []
    assert changed == []
    assert failed == []
