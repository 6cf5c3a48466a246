"""The annual report over GraphQL (``disclosureAnnualReport``, ``saveDisclosureReportInputs``)
and its HTML/Excel downloads over HTTP, as a frontend sends them, with the attackers of the
isolation rules."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.plugins.disclosure.api import DisclosureApi, disclosure_api
from tests.plugins.disclosure.test_report import seed_report_data
from tests.plugins.disclosure.world import COUNTY, TOWNSHIP

REPORT = """query($code: String, $year: Int!, $subtree: Boolean! = false) {
  disclosureAnnualReport(tenantCode: $code, year: $year, subtree: $subtree) {
    tenantCode tenantName year subtree title htmlUrl xlsxUrl
    sections { number title narrative tables {
      key title note labelled header { label colspan rowspan } columns { key label }
      rows { key label level cells { column label value } } } }
  }
}"""
SAVE_FIELDS = "reportInputs { year proactive reviewLitigation narratives carriedOver }"


@pytest.fixture
async def api(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        await seed_report_data(system_session, build=False)
        yield api


async def _report(api: DisclosureApi, who: str | None, code: str | None = COUNTY,
                  year: int = 2025, subtree: bool = False) -> dict[str, Any]:
    return await api.gql(who, REPORT, {"code": code, "year": year, "subtree": subtree})


def _cells(report: dict[str, Any], table: str, row: str) -> list[float]:
    t = next(t for s in report["sections"] for t in s["tables"] if t["key"] == table)
    return [c["value"] for c in next(r for r in t["rows"] if r["key"] == row)["cells"]]


async def test_the_report_as_data(api):
    data = await _report(api, "ng_editor")
    assert "errors" not in data, data
    report = data["data"]["disclosureAnnualReport"]
    assert report["title"] == "宁国市政府信息公开工作年度报告（2025年）"
    assert [s["number"] for s in report["sections"]] == ["一", "二", "三", "四", "五", "六"]
    assert report["sections"][0]["narrative"] == "宁国市2025年政务公开总体情况。"
    assert _cells(report, "requests", "new") == [1, 2, 2, 1, 1, 2, 9]
    assert _cells(report, "requests", "result.7") == [2, 1, 2, 1, 1, 1, 8]
    assert _cells(report, "requests", "result") == []  # the heading row 三、本年度办理结果
    assert _cells(report, "proactive.20_1", "normative") == [1, 1, 2]
    assert _cells(report, "proactive.20_8", "fees") == [12.5]
    matrix = report["sections"][2]["tables"][0]
    assert matrix["header"][1][1] == {"label": "法人或其他组织", "colspan": 5, "rowspan": 1}
    assert matrix["rows"][0]["cells"][0] == {"column": "natural_person", "label": "自然人",
                                             "value": 1}
    review = report["sections"][3]["tables"][0]
    assert review["labelled"] is False and len(review["columns"]) == 15
    assert report["htmlUrl"] == "/api/v1/disclosure/341881/annual-reports/2025/html"
    whole = (await _report(api, "ng_admin", subtree=True))["data"]["disclosureAnnualReport"]
    assert _cells(whole, "requests", "new") == [2, 2, 2, 1, 1, 2, 10]
    assert whole["xlsxUrl"].endswith("/xlsx?subtree=true")


@pytest.mark.parametrize("who, code", [
    ("xz_editor", COUNTY), ("xz_admin", COUNTY), ("gk_editor", COUNTY), ("gk_editor", TOWNSHIP),
    ("ft_editor", COUNTY), ("el_admin", COUNTY), ("ng_clerk", COUNTY), ("ng_assessor", COUNTY)])
async def test_outsiders_get_no_report(api, who, code):
    data = await _report(api, who, code)
    assert data.get("data") is None or data["data"].get("disclosureAnnualReport") is None
    assert data["errors"][0]["extensions"]["code"] in (
        "tenant.not_found", "auth.permission_denied", "plugin.not_enabled")


async def test_anonymous_has_no_such_field(api):
    data = await _report(api, None)
    assert data.get("data") is None
    assert "disclosureAnnualReport" in data["errors"][-1]["message"]  # the public schema


async def test_save_inputs_then_the_report_shows_them_or_fails_loudly(api):
    payload = await api.mutate("ng_editor", "saveDisclosureReportInputs", {
        "tenantCode": COUNTY, "year": 2025,
        "proactive": {"licensing": 99, "penalty": 1, "coercion": 0, "fees": 0.75}}, SAVE_FIELDS)
    assert payload["errors"] == []
    assert payload["reportInputs"]["proactive"]["licensing"] == 99
    assert payload["reportInputs"]["reviewLitigation"]["review_total"] == 2  # kept
    report = (await _report(api, "ng_reviewer"))["data"]["disclosureAnnualReport"]
    assert _cells(report, "proactive.20_5", "licensing") == [99]
    assert _cells(report, "proactive.20_8", "fees") == [0.75]

    saved = await api.gql("ng_reviewer", """{ disclosureReportInputs(tenantCode: "341881", year: 2025)
        { year proactive narratives } }""")
    assert saved["data"]["disclosureReportInputs"]["proactive"]["fees"] == 0.75
    none = await api.gql("ng_reviewer", "{ disclosureReportInputs(year: 2024) { year } }")
    assert none["data"]["disclosureReportInputs"] is None
    refused = await api.gql("xz_admin", """{ disclosureReportInputs(tenantCode: "341881",
        year: 2025) { year } }""")
    assert refused["errors"][0]["extensions"]["code"] == "tenant.not_found"

    payload = await api.mutate("ng_editor", "saveDisclosureReportInputs", {
        "tenantCode": COUNTY, "year": 2025, "carriedOver": {"commercial": 4}}, SAVE_FIELDS)
    assert payload["errors"] == []
    data = await _report(api, "ng_editor")
    assert data["errors"][0]["extensions"]["code"] == "disclosure_report.inconsistent"
    assert "商业企业" in data["errors"][0]["message"]


async def test_bad_inputs_are_all_named(api):
    payload = await api.mutate("ng_editor", "saveDisclosureReportInputs", {
        "tenantCode": COUNTY, "year": 2025, "proactive": {"licensing": -1, "permits": 3},
        "reviewLitigation": [1, 2]}, SAVE_FIELDS)
    assert payload["reportInputs"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("reviewLitigation", "disclosure_report.input_not_object"),
        ("proactive.licensing", "disclosure_report.input_count"),
        ("proactive.permits", "disclosure_report.input_key_unknown")]


@pytest.mark.parametrize("who", ["xz_admin", "gk_editor", "el_admin", "ng_clerk", "ng_reviewer"])
async def test_outsiders_cannot_save(api, who):
    query = ("mutation($input: SaveDisclosureReportInputsInput!) { saveDisclosureReportInputs("
             f"input: $input) {{ {SAVE_FIELDS} errors {{ field code message }} }} }}")
    data = await api.gql(who, query, {"input": {"tenantCode": COUNTY, "year": 2025,
                                                "proactive": {"licensing": 1}}})
    if who == "el_admin":  # the plugin's guard answers before the resolver
        assert data["errors"][0]["extensions"]["code"] == "plugin.not_enabled"
        return
    payload = data["data"]["saveDisclosureReportInputs"]
    assert payload["reportInputs"] is None
    assert payload["errors"][0]["code"] in ("tenant.not_found", "auth.permission_denied")


async def test_downloads_for_logged_in_staff(api):
    headers = {"Authorization": f"Bearer {api.tokens['ng_editor']}"}
    base = f"/api/v1/disclosure/{COUNTY}/annual-reports/2025"
    resp = await api.client.get(f"{base}/html", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    assert "宁国市政府信息公开工作年度报告（2025年）" in resp.text
    resp = await api.client.get(f"{base}/xlsx?subtree=true", headers=headers)
    assert resp.status_code == 200, resp.text
    assert "attachment" in resp.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(resp.content))["年度报告"]
    assert ws["A1"].value == "宁国市政府信息公开工作年度报告（2025年）"


@pytest.mark.parametrize("who, status", [
    (None, 401), ("xz_admin", 404), ("gk_editor", 404), ("el_admin", 404), ("ng_clerk", 403)])
async def test_downloads_refused_to_outsiders(api, who, status):
    headers = {"Authorization": f"Bearer {api.tokens[who]}"} if who else {}
    for kind in ("html", "xlsx"):
        resp = await api.client.get(f"/api/v1/disclosure/{COUNTY}/annual-reports/2025/{kind}",
                                    headers=headers)
        assert resp.status_code == status, (kind, resp.text)
        assert "政府信息公开工作年度报告" not in resp.text
