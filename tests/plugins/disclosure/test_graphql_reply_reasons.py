"""The reply types as data over GraphQL, and the plugin's guard where it is not enabled."""

from __future__ import annotations

import pytest

from tests.plugins.disclosure.api import disclosure_api

Q = "{ disclosureReplyReasons { type typeTitle reason article title reportBlock reportLine } }"


@pytest.fixture
async def api(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        yield api


async def test_reply_reasons_cover_the_annual_report_rows(api):
    data = await api.gql("ng_editor", Q)
    assert "errors" not in data, data
    rows = {(r["reportBlock"], r["reportLine"]) for r in data["data"]["disclosureReplyReasons"]}
    # （一）（二） whole, （三）1–8, （四）1–3, （五）1–5, （六）1–3: every result row of the template
    assert rows == {(1, 0), (2, 0), *((3, i) for i in range(1, 9)), *((4, i) for i in range(1, 4)),
                    *((5, i) for i in range(1, 6)), *((6, i) for i in range(1, 4))}
    secret = next(r for r in data["data"]["disclosureReplyReasons"]
                  if (r["type"], r["reason"]) == ("not_disclosed", "state_secret"))
    assert (secret["typeTitle"], secret["article"], secret["title"]) == ("不予公开", "14", "属于国家秘密")


async def test_not_enabled_elsewhere(api):
    data = await api.gql("el_admin", Q)
    assert data["errors"][0]["extensions"]["code"] == "plugin.not_enabled"
