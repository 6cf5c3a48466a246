"""The catalog through GraphQL: a province publishes, a county adopts, drift, guides, rules."""

from __future__ import annotations

ITEM = "000104002000"
CREDIT = "11450721MB15580811"
CREATE = """mutation { createCatalogItem(input: {ownerCode: "34", basicCode: "%s",
  name: "固定资产投资项目节能审查", itemType: "01", useLevels: [2, 3, 4], statutoryDays: 20,
  legalBasis: "《固定资产投资项目节能审查办法》第三条", maxVisits: 1,
  materials: [{name: "申请书", originals: 1}, {name: "节能报告", copies: 1, required: false}],
  steps: [{name: "受理", limitDays: 1}, {name: "审查", limitDays: 3}]}) {
  item { id basicCode version status materials { seq name required } steps { name } }
  errors { field code message } } }""" % ITEM
PUBLISH = 'mutation($id: ID!) { publishCatalogItem(input: {id: $id}) { item { status version } errors { code } } }'
ADOPT = """mutation($days: Int) { adoptItem(input: {tenantCode: "341881", basicCode: "%s",
  departmentName: "宁国市发展和改革委员会", departmentCreditCode: "%s", promisedDays: $days}) {
  implementation { id implementationCode status promisedDays item { version } }
  errors { field code message } } }""" % (ITEM, CREDIT)


async def _publish(api):
    raw = await api.gql("anhui", CREATE)
    assert raw.get("data"), raw
    created = raw["data"]["createCatalogItem"]
    assert created["errors"] == [], created
    item = created["item"]
    assert item["status"] == "draft" and [m["required"] for m in item["materials"]] == [True, False]
    published = (await api.gql("anhui", PUBLISH, {"id": item["id"]}))["data"]["publishCatalogItem"]
    assert published == {"item": {"status": "published", "version": item["version"]}, "errors": []}
    return item


async def test_publish_adopt_drift_and_guide(api):
    await _publish(api)
    too_slow = (await api.gql("ningguo", ADOPT, {"days": 30}))["data"]["adoptItem"]
    assert too_slow["implementation"] is None
    assert [e["code"] for e in too_slow["errors"]] == ["implementation.promised_exceeds_statutory"]
    adopted = (await api.gql("ningguo", ADOPT, {"days": 5}))["data"]["adoptItem"]
    assert adopted["errors"] == []
    impl = adopted["implementation"]
    assert impl["implementationCode"] == f"{CREDIT}4{ITEM}" and impl["status"] == "active"
    # The county sees its list; the sibling county does not.
    q = "{ implementations { edges { node { implementationCode } } } }"
    assert len((await api.gql("ningguo", q))["data"]["implementations"]["edges"]) == 1
    assert (await api.gql("xuanzhou", q))["data"]["implementations"]["edges"] == []
    guide = (await api.gql("ningguo", '{ guide(implementationCode: "%s") }' % impl["implementationCode"]))
    assert "errors" not in guide, guide
    assert "节能报告" in str(guide["data"]["guide"])
    denied = await api.gql("xuanzhou", '{ guide(implementationCode: "%s") }' % impl["implementationCode"])
    assert denied["errors"][0]["extensions"]["code"].endswith("not_found")
    # A new version makes the adoption pending review, and the report says where.
    v2 = (await api.gql("anhui", CREATE))["data"]["createCatalogItem"]["item"]
    await api.gql("anhui", PUBLISH, {"id": v2["id"]})
    drift = (await api.gql("ningguo", "{ driftReport { tenantCode basicCode adoptedVersion newestVersion } }"))
    assert drift["data"]["driftReport"] == [{"tenantCode": "341881", "basicCode": ITEM,
                                             "adoptedVersion": 1, "newestVersion": 2}]
    confirm = 'mutation($id: ID!) { confirmImplementationReview(input: {id: $id}) { implementation { status item { version } } errors { code } } }'
    done = (await api.gql("ningguo", confirm, {"id": impl["id"]}))["data"]["confirmImplementationReview"]
    assert done == {"implementation": {"status": "active", "item": {"version": 2}}, "errors": []}


async def test_catalog_mutations_exist_only_where_catalogs_are_owned(api):
    q = '{ __type(name: "Mutation") { fields { name } } }'
    county = {f["name"] for f in (await api.gql("ningguo", q))["data"]["__type"]["fields"]}
    province = {f["name"] for f in (await api.gql("anhui", q))["data"]["__type"]["fields"]}
    assert "createCatalogItem" in province and "createCatalogItem" not in county
    assert "adoptItem" in county and "delegateItem" in county


async def test_handling_answers_for_the_subtree(api):
    await _publish(api)
    await api.gql("ningguo", ADOPT, {"days": 5})
    q = '{ handling(basicCode: "%s", tenantCode: "%s") { accepts basis deciderCode } }'
    assert (await api.gql("ningguo", q % (ITEM, "341881")))["data"]["handling"] == \
        {"accepts": True, "basis": "statutory", "deciderCode": "341881"}
    township = (await api.gql("ningguo", q % (ITEM, "341881204")))["data"]["handling"]
    assert township["accepts"] is False
    assert (await api.gql("fangtang", q % (ITEM, "341881")))["errors"]  # not its subtree


async def test_implementations_page_in_sql(api):
    """Keyset pages over the subtree: every adoption once, in order."""
    from zhengwu.core.catalog.codes import credit_check_char

    await _publish(api)
    other = "11341881000000099" + credit_check_char("11341881000000099")
    assert (await api.gql("ningguo", ADOPT, {"days": 5}))["data"]["adoptItem"]["errors"] == []
    m = ADOPT.replace(CREDIT, other).replace("宁国市发展和改革委员会", "宁国市数据资源管理局")
    assert (await api.gql("ningguo", m, {"days": 4}))["data"]["adoptItem"]["errors"] == []
    q = """query($after: String) { implementations(first: 1, after: $after) {
        edges { node { departmentCreditCode } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = (await api.gql("ningguo", q, {"after": after}))["data"]["implementations"]
        seen += [e["node"]["departmentCreditCode"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted([CREDIT, other])
    bad = await api.gql("ningguo", q, {"after": "bm90LWEtY3Vyc29y"})
    assert bad["errors"][0]["extensions"]["code"] == "pagination.bad_cursor"
