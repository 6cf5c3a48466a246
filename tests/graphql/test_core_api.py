"""The core GraphQL API as a frontend uses it: per-tier schemas, queries, mutations, errors."""

from __future__ import annotations

ME = "{ me { username actingTenant { code tier name } permissions grants { role tenantCode } } }"


async def test_me_and_acting_tier(api):
    data = await api.gql("ningguo", ME)
    me = data["data"]["me"]
    assert me["actingTenant"] == {"code": "341881", "tier": "COUNTY", "name": "宁国市"}
    assert "tenant:create" in me["permissions"] and "tenant:merge" not in me["permissions"]
    # Acting at a township below: the township schema (no provisioning mutations).
    data = await api.gql("ningguo", ME, tenant="341881204")
    assert data["data"]["me"]["actingTenant"]["tier"] == "TOWNSHIP"


async def test_schema_differs_per_tier(api):
    q = '{ __type(name: "Mutation") { fields { name } } }'
    county = {f["name"] for f in (await api.gql("ningguo", q))["data"]["__type"]["fields"]}
    township = {f["name"] for f in (await api.gql("fangtang", q))["data"]["__type"]["fields"]}
    city = {f["name"] for f in (await api.gql("xuancheng", q))["data"]["__type"]["fields"]}
    assert "createTenant" in county and "mergeTenant" not in county
    assert "createTenant" not in township and "setSetting" in township
    assert "mergeTenant" in city


async def test_anonymous_gets_public_schema_without_introspection(api):
    data = await api.gql(None, "{ version }")
    assert data["data"]["version"]
    data = await api.gql(None, "{ __schema { types { name } } }")
    assert (data["errors"] and "data" not in data) or data.get("data") is None
    data = await api.gql(None, "{ me { username } }")
    assert data["errors"]


async def test_tenants_connection_paginates_within_subtree(api):
    q = """query($after: String) { tenants(first: 3, after: $after) {
        edges { node { code parent { code } } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = (await api.gql("ningguo", q, {"after": after}))["data"]["tenants"]
        seen += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["341881", "341881100", "341881204", "341881204200", "341881204201"]
    first = (await api.gql("ningguo", q, {"after": None}))["data"]["tenants"]["edges"][0]
    assert first["node"]["parent"] == {"code": "3418"}  # the ancestor is readable (breadcrumb)


async def test_page_size_is_capped(api):
    data = await api.gql("ningguo", "{ tenants(first: 500) { edges { node { code } } } }")
    assert data["errors"][0]["extensions"]["code"] == "pagination.bad_page_size"


async def test_settings_with_source(api):
    m = """mutation($v: JSON!) { setSetting(input: {tenantCode: "341881", namespace: "core",
            key: "hotline", value: $v}) { setting { value source } errors { field code message } } }"""
    data = await api.gql("ningguo", m, {"v": "0563-4012345"})
    assert data["data"]["setSetting"] == {"setting": {"value": "0563-4012345", "source": "341881"},
                                          "errors": []}
    q = '{ tenant(code: "341881204") { settings(namespace: "core") { key value source } } }'
    rows = {s["key"]: s for s in (await api.gql("ningguo", q))["data"]["tenant"]["settings"]}
    assert rows["hotline"]["source"] == "341881" and rows["hotline"]["value"] == "0563-4012345"
    assert rows["hotline"] and rows["service_hours"]["source"] == "default"


async def test_typed_mutation_errors_in_both_languages(api):
    m = """mutation { createTenant(input: {code: "341881999", name: ""}) {
            tenant { code } errors { field code message } } }"""
    zh = (await api.gql("ningguo", m))["data"]["createTenant"]
    en = (await api.gql("ningguo", m, lang="en"))["data"]["createTenant"]
    assert zh["tenant"] is None
    assert zh["errors"][0]["code"] == en["errors"][0]["code"] == "tenant.empty_name"
    assert zh["errors"][0]["field"] == "name"
    assert "名称" in zh["errors"][0]["message"] and "name" in en["errors"][0]["message"]


async def test_create_tenant_then_audit(api):
    m = """mutation { createTenant(input: {code: "341881205", name: "新乡"}) {
            tenant { code tier kind path } errors { code } } }"""
    data = (await api.gql("ningguo", m))["data"]["createTenant"]
    assert data["errors"] == [] and data["tenant"]["path"] == "34/3418/341881/341881205"
    q = '{ auditEntries(first: 5, filter: {action: "tenant.create"}) { edges { node { actor targetId } } } }'
    edges = (await api.gql("auditor", q))["data"]["auditEntries"]["edges"]
    assert edges[0]["node"] == {"actor": "ningguo", "targetId": "341881205"}


async def test_sibling_cannot_see_or_touch(api):
    data = await api.gql("xuanzhou", '{ tenant(code: "341881") { name } }')
    assert data["errors"][0]["extensions"]["code"] == "tenant.not_found"
    missing = await api.gql("xuanzhou", '{ tenant(code: "341899") { name } }')
    assert missing["errors"][0]["message"].replace("341899", "X") == \
        data["errors"][0]["message"].replace("341881", "X")
    m = 'mutation { suspendTenant(input: {code: "341881"}) { errors { code } } }'
    assert (await api.gql("xuanzhou", m))["data"]["suspendTenant"]["errors"][0]["code"] == "tenant.not_found"
    denied = await api.gql("xuanzhou", ME, tenant="341881")
    assert denied["errors"]


async def test_malformed_and_oversized_queries_are_typed_errors(api):
    bad = await api.gql("ningguo", "{ tenants { edges { node { code } }")
    assert bad["errors"] and "Syntax Error" in bad["errors"][0]["message"]
    deep = "{ me { actingTenant " + "{ parent " * 12 + "{ code }" + " }" * 12 + " } }"
    assert (await api.gql("ningguo", deep))["errors"]
    aliases = "{ " + " ".join(f"a{i}: me {{ username }}" for i in range(40)) + " }"
    assert (await api.gql("ningguo", aliases))["errors"]
    unknown = await api.gql("ningguo", '{ node(id: "VGVuYW50OjEyMw==") { id } }')
    assert unknown["data"]["node"] is None


async def test_bad_tokens_answer_in_graphql_shape(api):
    api.tokens["forged"] = api.tokens["ningguo"][:-4] + "AAAA"
    data = await api.gql("forged", ME)
    assert data["errors"][0]["extensions"]["code"] == "auth.token_invalid"
    api.tokens["junk"] = "not-a-token"
    assert (await api.gql("junk", ME))["errors"][0]["extensions"]["code"] == "auth.token_invalid"


async def test_many_root_fields_share_one_session_safely(api):
    q = """{ me { username } tenants(first: 5) { edges { node { code settings { key } } } }
             settings(namespace: "core") { key source } plugins { name }
             users(first: 5) { edges { node { username grants { role } } } }
             t: tenant(code: "341881204") { descendantCounts { tier count } } }"""
    data = await api.gql("ningguo", q)
    assert "errors" not in data, data
    assert data["data"]["t"]["descendantCounts"] == [{"tier": "VILLAGE", "count": 2}]


async def test_children_connection(api):
    q = """{ tenant(code: "341881") { children(first: 1) { edges { node { code
              children { edges { node { code } } } } } pageInfo { hasNextPage endCursor } } } }"""
    page = (await api.gql("ningguo", q))["data"]["tenant"]["children"]
    assert [e["node"]["code"] for e in page["edges"]] == ["341881100"]
    assert page["pageInfo"]["hasNextPage"] is True
    q2 = '{ tenant(code: "341881") { children(first: 5, after: "%s") { edges { node { code children { edges { node { code } } } } } } } }'
    rest = (await api.gql("ningguo", q2 % page["pageInfo"]["endCursor"]))["data"]["tenant"]["children"]
    assert [e["node"]["code"] for e in rest["edges"]] == ["341881204"]
    assert [e["node"]["code"] for e in rest["edges"][0]["node"]["children"]["edges"]] == \
        ["341881204200", "341881204201"]
    # A township clerk reads its ancestor (breadcrumb) but not the ancestor's other children.
    up = (await api.gql("fangtang", '{ tenant(code: "341881") { name children { edges { node { code } } } } }'))
    assert up["data"]["tenant"]["children"]["edges"] == []
