"""GraphQL and the bulletin downloads, as a frontend uses them: define, publish, score, run,
read the results, download the bulletin; typed errors come back in the payload."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.plugins.assessment.api import assessment_api
from tests.plugins.assessment.world import PATHS, SIBLING_TOWNSHIP, TOWNSHIP, VALUES

SAVE = """mutation($input: SaveAssessmentSystemInput!) { saveAssessmentSystem(input: $input) {
  system { id version status indicators { key points children { key points } } }
  errors { field code message } } }"""
PUBLISH = """mutation($input: PublishAssessmentSystemInput!) { publishAssessmentSystem(input: $input) {
  system { id status } errors { code } } }"""
SCORES = """mutation($input: EnterAssessmentScoresInput!) { enterAssessmentScores(input: $input) {
  scores { targetCode score } errors { field code } } }"""
RUN = """mutation($input: StartAssessmentRunInput!) { startAssessmentRun(input: $input) {
  run { id digest targetCount results { code name rank total scores { key score } }
        missing { targetCode indicatorKey reason } bulletinHtmlUrl bulletinXlsxUrl }
  errors { field code } } }"""
INDICATORS = [
    {"key": "service", "name": "办件服务", "weight": 3, "children": [
        {"key": "rate", "name": "按时办结率", "weight": 1, "metric": "probe.a",
         "rule": {"kind": "linear", "zeroAt": 0.5, "fullAt": 1.0}},
        {"key": "complaints", "name": "投诉扣分", "weight": 1, "metric": "probe.count",
         "rule": {"kind": "deduction", "points": 5}}]},
    {"key": "visit", "name": "现场检查<b>", "weight": 1, "manualMax": 10},
]


@pytest.fixture
async def api(settings, system_session):
    async for api in assessment_api(settings, system_session):
        yield api


async def test_define_publish_score_run_and_download(api):
    VALUES.clear()
    VALUES["probe.a"] = {PATHS[TOWNSHIP]: 1.0, PATHS[SIBLING_TOWNSHIP]: 0.75}
    VALUES["probe.count"] = {PATHS[TOWNSHIP]: 2, PATHS[SIBLING_TOWNSHIP]: 0}
    bad = await api.gql("ng_assessor", SAVE, {"input": {"code": "M", "name": "月度", "indicators": [
        {"key": "x", "name": "x", "weight": 0, "metric": "probe.nothing", "rule": {"kind": "rank"}}]}})
    errors = bad["data"]["saveAssessmentSystem"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("x", "assessment.unknown_metric"), ("x", "assessment.bad_weight")}
    saved = (await api.gql("ng_assessor", SAVE, {"input": {
        "code": "M", "name": "月度考核", "indicators": INDICATORS}}))["data"]["saveAssessmentSystem"]
    assert saved["errors"] == []
    system = saved["system"]
    assert (system["version"], system["status"]) == (1, "draft")
    assert [(i["key"], i["points"]) for i in system["indicators"]] == [("service", 75.0), ("visit", 25.0)]
    assert [c["points"] for c in system["indicators"][0]["children"]] == [37.5, 37.5]
    pub = await api.gql("ng_assessor", PUBLISH, {"input": {"id": system["id"]}})
    assert pub["data"]["publishAssessmentSystem"]["system"]["status"] == "published"
    wrong = await api.gql("ng_assessor", SCORES, {"input": {"systemId": system["id"], "period": "2026-03",
                                                             "scores": [{"targetCode": TOWNSHIP, "indicatorKey": "visit", "score": 12}]}})
    assert wrong["data"]["enterAssessmentScores"]["errors"] == [
        {"field": "scores[0].score", "code": "assessment.score_out_of_range"}]
    ok = await api.gql("ng_assessor", SCORES, {"input": {"systemId": system["id"], "period": "2026-03",
                                                          "scores": [{"targetCode": TOWNSHIP, "indicatorKey": "visit", "score": 8}]}})
    assert ok["data"]["enterAssessmentScores"]["errors"] == []
    ran = (await api.gql("ng_assessor", RUN, {"input": {"systemId": system["id"], "period": "2026-03"}})
           )["data"]["startAssessmentRun"]
    assert ran["errors"] == []
    run = ran["run"]
    # FT: 37.5 + (37.5 − 10) + 25 × 0.8 = 85; GK: 18.75 + 37.5 + 0 = 56.25 (visit missing)
    assert [(r["code"], r["rank"], r["total"]) for r in run["results"]] == [
        (TOWNSHIP, 1, 85.0), (SIBLING_TOWNSHIP, 2, 56.25)]
    assert run["missing"] == [{"targetCode": SIBLING_TOWNSHIP, "indicatorKey": "visit",
                               "reason": "no_manual_score"}]
    html = await api.client.get(run["bulletinHtmlUrl"], headers=api.headers("ng_assessor"))
    assert html.status_code == 200
    page = html.text
    assert "方塘乡" in page and "港口镇" in page and "<svg" in page and "<script" not in page
    assert page.index("方塘乡") < page.index("港口镇")  # ranked order
    assert "现场检查&lt;b&gt;" in page and "现场检查<b>" not in page  # autoescaped
    assert "2026年3月月通报" in page
    xlsx = await api.client.get(run["bulletinXlsxUrl"], headers=api.headers("ng_assessor"))
    assert xlsx.status_code == 200
    wb = load_workbook(BytesIO(xlsx.content))
    rows = list(wb["排名"].iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[1], r[2], r[-1]) for r in rows] == [
        (1, "方塘乡", TOWNSHIP, 85.0), (2, "港口镇", SIBLING_TOWNSHIP, 56.25)]
    assert len(list(wb["输入"].iter_rows(min_row=2))) == 6  # 2 targets × 3 leaves
    # a sibling county's assessor and anonymous get nothing
    for who, status in (("xz_assessor", 404), (None, 401)):
        resp = await api.client.get(run["bulletinHtmlUrl"], headers=api.headers(who))
        assert resp.status_code == status
    # editing the published system gives version 2 as a draft
    again = (await api.gql("ng_assessor", SAVE, {"input": {
        "code": "M", "name": "月度考核", "indicators": INDICATORS[:1]}}))["data"]["saveAssessmentSystem"]
    assert (again["system"]["version"], again["system"]["status"]) == (2, "draft")
