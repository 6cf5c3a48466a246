"""投诉: complaints from the hall and online, 12345 hotline tickets imported from CSV and JSON
(idempotent; bad files refused whole with every bad row reported), assignment, deadlines on the
real calendar, reply, callback, closure, the rates against hand counts, scope, and the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.plugins.intake.world import COUNTY, SIBLING_COUNTY, TOWNSHIP
from tests.plugins.supervision.world import at, build_supervision_world, principal
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.plugin_api import Period
from zhengwu.core.plugin_host import current_host
from zhengwu.plugins.supervision import complaints
from zhengwu.plugins.supervision.models import Complaint

CSV = """id,tenant_code,category,content,received_on,department
T-001,341881,attitude,窗口人员态度生硬,2026-09-30,市场监管局
T-002,341881204,efficiency,办理时间过长,2026-09-30,
T-003,341802,other,咨询转投诉,2026-09-29,
"""


@pytest.fixture
async def world(system_session, settings):
    await build_supervision_world(system_session, settings)
    return system_session


async def _count(s) -> int:
    return int(await s.scalar(select(func.count()).select_from(Complaint)) or 0)


async def test_import_is_idempotent_in_both_formats(world):
    s = world
    with at(2026, 10, 8):
        report = await complaints.import_tickets(s, complaints.parse_tickets(CSV, "csv"))
        await s.commit()
        assert (report.rows, report.added, report.skipped, report.errors) == (3, 3, 0, [])
        again = await complaints.import_tickets(s, complaints.parse_tickets(CSV, "csv"))
        await s.commit()
        assert (again.added, again.skipped) == (0, 3)
        doc = json.dumps({"tickets": [
            {"id": "T-001", "tenant_code": "341881", "category": "attitude", "content": "重复"},
            {"id": "T-004", "tenant_code": "341881", "category": "fees", "content": "多收费",
             "received_on": "2026-10-08", "case_no": "X1"}]}, ensure_ascii=False)
        report = await complaints.import_tickets(s, complaints.parse_tickets(doc, "json"))
        await s.commit()
        assert (report.added, report.skipped) == (1, 1)
    assert await _count(s) == 4
    rows = {r.external_id: r for r in (await s.scalars(select(Complaint))).all()}
    # received Wed 30 Sep, five working days: 8, 9, 10 (调休 Sat), 12, 13 Oct
    assert (rows["T-001"].due_on, rows["T-001"].days) == (date(2026, 10, 13), 5)
    assert rows["T-001"].tenant_path == "34/3418/341881"
    assert rows["T-002"].tenant_path == "34/3418/341881/341881204"
    assert (rows["T-001"].source, rows["T-001"].department) == ("hotline", "市场监管局")
    assert rows["T-001"].content == "窗口人员态度生硬"  # the re-import changed nothing
    assert rows["T-004"].due_on == date(2026, 10, 14)  # 9, 10 (Sat), 12, 13, 14 Oct


async def test_bad_files_are_refused_whole(world):
    s = world
    rows = complaints.parse_tickets(CSV + "T-001,341881,attitude,again,,\n"
                                          "T-009,999999,attitude,unknown tenant,,\n"
                                          "T-010,341881,nonsense,,2026-13-01,\n", "csv")
    with at(2026, 10, 8):
        report = await complaints.import_tickets(s, rows)
        await s.rollback()
    assert report.added == 0
    assert [(e["row"], e["code"]) for e in report.errors] == [
        (4, "complaint.duplicate_id"), (5, "tenant.not_found"), (6, "complaint.category"),
        (6, "complaint.content_required"), (6, "complaint.received_on")]
    assert await _count(s) == 0
    with pytest.raises(Invalid):
        complaints.parse_tickets("{", "json")
    with pytest.raises(Invalid):
        complaints.parse_tickets("a", "xlsx")


async def test_the_life_of_a_complaint(world):
    s = world
    clerk, supervisor = principal("ng_clerk"), principal("ng_supervisor")
    with at(2026, 9, 30):
        with pytest.raises(Invalid) as e:
            await complaints.file_complaint(s, clerk, tenant_code=COUNTY, source="hotline",
                                            category="attitude", content="x")
        assert e.value.code == "complaint.source"
        with pytest.raises(Invalid) as e:
            await complaints.file_complaint(s, clerk, tenant_code=COUNTY, source="hall",
                                            category="weather", content="x")
        assert e.value.code == "complaint.category"
        row = await complaints.file_complaint(s, clerk, tenant_code=COUNTY, source="hall",
                                              category="attitude", content="窗口态度差")
        await s.commit()
        cid = row.id
        assert (row.status, row.due_on, row.filed_by) == ("open", date(2026, 10, 13), "ng_clerk")
        with pytest.raises(PermissionDenied):  # staff do not assign
            await complaints.assign_complaint(s, clerk, cid, TOWNSHIP, "方塘乡便民服务中心")
        await s.rollback()
        with pytest.raises(NotFound):  # nor may anyone assign outside their subtree
            await complaints.assign_complaint(s, supervisor, cid, SIBLING_COUNTY)
        await s.rollback()
        await complaints.assign_complaint(s, supervisor, cid, TOWNSHIP, "方塘乡便民服务中心",
                                          category="efficiency")
        await s.commit()
    for who in ("xz_supervisor", "gk_supervisor", "el_supervisor"):
        with pytest.raises(NotFound):
            await complaints.get_complaint(s, principal(who), cid)
        await s.rollback()
    with at(2026, 10, 12):
        with pytest.raises(Conflict) as e:
            await complaints.close_complaint(s, principal("ft_supervisor"), cid)
        assert e.value.code == "complaint.transition_not_allowed"
        await s.rollback()
        row = await complaints.reply_complaint(s, principal("ft_clerk"), cid, "已约谈当事人并整改")
        await s.commit()
        assert (row.status, row.replied_on, row.tenant_path) == (
            "replied", date(2026, 10, 12), "34/3418/341881/341881204")
        with pytest.raises(PermissionDenied):
            await complaints.callback_complaint(s, principal("ft_clerk"), cid, True)
        await s.rollback()
        await complaints.callback_complaint(s, principal("ft_supervisor"), cid, True, "满意")
        row = await complaints.close_complaint(s, supervisor, cid, "办结")
        await s.commit()
    assert (row.status, row.callback_satisfied, row.closed_by, row.category) == (
        "closed", True, "ng_supervisor", "efficiency")


async def test_rates_against_hand_counts(world):
    s = world
    with at(2026, 10, 8):
        await complaints.import_tickets(s, complaints.parse_tickets(CSV, "csv"))
        await s.commit()
    ids = {r.external_id: r.id for r in (await s.scalars(select(Complaint))).all()}
    sup = principal("ng_supervisor")
    with at(2026, 10, 13):  # T-001 answered on its due day and closed
        await complaints.reply_complaint(s, sup, ids["T-001"], "答复")
        await complaints.callback_complaint(s, sup, ids["T-001"], True)
        await complaints.close_complaint(s, sup, ids["T-001"])
        await s.commit()
    with at(2026, 10, 14):  # T-002 (due 13 Oct) answered a day late
        await complaints.reply_complaint(s, sup, ids["T-002"], "答复")
        await s.commit()
    metrics = current_host().metrics()

    async def value(name, end=date(2026, 10, 31), path="34/3418/341881"):
        return await metrics[f"supervision.{name}"].compute(
            s, path, Period(date(2026, 9, 1), end))

    reply = await value("complaint_reply_rate")
    assert (reply.numerator, reply.denominator) == (2, 2)  # T-003 is 宣州区's
    on_time = await value("complaint_on_time_rate")
    assert (on_time.numerator, on_time.denominator, on_time.value) == (1, 2, 0.5)
    done = await value("complaint_completion_rate")
    assert (done.numerator, done.denominator) == (1, 2)
    city = await value("complaint_reply_rate", path="34/3418")
    assert (city.numerator, city.denominator) == (2, 3)
    # the city adds 宣州区's T-003, unanswered and due on 12 Oct (30 Sep, 8, 9, 10, 12 Oct)
    city_on_time = await value("complaint_on_time_rate", path="34/3418")
    assert (city_on_time.numerator, city_on_time.denominator) == (1, 3)
    # a period ending on 1 Oct: T-003 not yet due, so it is left out
    early = await value("complaint_on_time_rate", end=date(2026, 10, 1), path="34/3418/341802")
    assert (early.denominator, early.value) == (0, None)


async def test_import_from_the_command_line(world, settings, monkeypatch, tmp_path):
    from tests.cli import invoke_cli

    s = world
    good, bad = tmp_path / "tickets.csv", tmp_path / "bad.json"
    good.write_text(CSV, encoding="utf-8")
    bad.write_text(json.dumps([{"id": "B1", "tenant_code": "999999", "category": "other",
                                "content": "x"}, {"id": "B1", "tenant_code": "341881",
                                                  "category": "other", "content": "y"}]),
                   encoding="utf-8")
    with at(2026, 10, 8):
        first = await invoke_cli(monkeypatch, settings, "supervision", "import-tickets", str(good))
        again = await invoke_cli(monkeypatch, settings, "supervision", "import-tickets",
                                 str(good), "--json")
        refused = await invoke_cli(monkeypatch, settings, "supervision", "import-tickets",
                                   str(bad))
    assert first.exit_code == 0, first.output
    assert "3 added" in first.output
    assert again.exit_code == 0 and json.loads(again.output)["skipped"] == 3
    assert refused.exit_code == 1
    assert "tenant.not_found" in refused.output and "complaint.duplicate_id" in refused.output
    s.expire_all()
    assert await _count(s) == 3


# ------------------------------------------------------------------ GraphQL

@pytest.fixture
async def api(settings, system_session):
    from tests.plugins.supervision.api import supervision_api

    async for api in supervision_api(settings, system_session):
        yield api


FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  complaint { id source category status dueOn days } errors { field code } } }"""
ACT = """mutation($input: %sInput!) { %s(input: $input) {
  complaint { status repliedBy callbackSatisfied closedBy } errors { code } } }"""
LIST = """{ complaints { totalCount edges { node { externalId status dueOn } } } }"""


async def test_complaints_over_graphql(api, system_session):
    s = system_session
    with at(2026, 9, 30):
        got = await api.gql("ft_clerk", FILE, {"input": {
            "tenantCode": TOWNSHIP, "source": "ONLINE", "category": "FEES", "content": "多收费"}})
        c = got["data"]["fileComplaint"]
        assert c["errors"] == []
        assert (c["complaint"]["source"], c["complaint"]["status"], c["complaint"]["dueOn"]) == (
            "ONLINE", "OPEN", "2026-10-13")
        cid = c["complaint"]["id"]
        early = await api.gql("ft_supervisor", ACT % ("CloseComplaint", "closeComplaint"),
                              {"input": {"complaintId": cid}})
        assert early["data"]["closeComplaint"]["errors"] == [
            {"code": "complaint.transition_not_allowed"}]
        for who, name, extra in (("ft_clerk", "replyComplaint", {"reply": "已退费"}),
                                 ("ft_supervisor", "callbackComplaint", {"satisfied": False}),
                                 ("ng_supervisor", "closeComplaint", {})):
            res = await api.gql(who, ACT % (name[0].upper() + name[1:], name),
                                {"input": {"complaintId": cid, **extra}})
            assert res["data"][name]["errors"] == [], res
        assert res["data"]["closeComplaint"]["complaint"] == {
            "status": "CLOSED", "repliedBy": "ft_clerk", "callbackSatisfied": False,
            "closedBy": "ng_supervisor"}
        await complaints.import_tickets(s, complaints.parse_tickets(CSV, "csv"))
        await s.commit()
        county = await api.gql("ng_supervisor", LIST)
        assert county["data"]["complaints"]["totalCount"] == 3  # T-003 is 宣州区's
        sibling = await api.gql("xz_supervisor", LIST)
        assert [e["node"]["externalId"] for e in sibling["data"]["complaints"]["edges"]] == [
            "T-003"]
