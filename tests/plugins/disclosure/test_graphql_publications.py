"""The catalog, publications and the review chain over GraphQL as a frontend sends them, and
the isolation matrix of every field they add (sibling county and township, another
province, a user without the role, anonymous)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from tests.plugins.disclosure.api import disclosure_api
from tests.plugins.disclosure.world import COUNTY, at

PUB = ("id tenantCode indexNo title status statusName currentStep version attribute timing "
       "dueOn overdue publishedLate publishedTitle isPublic disclosureKinds keyAreas "
       "deadline { start limit due skipped { day reason name } } "
       "reviewSteps { action fromStatus toStatus actor actorRole comment version } "
       "attachments { id filename contentType size sha256 } "
       "links { kind direction otherId otherTitle }")

DRAFT = {"tenantCode": COUNTY, "title": "宁国市2026年部门预算", "categoryCode": "07",
         "formedOn": "2026-09-25", "disclosureKinds": ["result"], "keyAreas": ["budget"],
         "body": "预算正文", "timing": "PERIODIC"}


@pytest.fixture
async def api(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        yield api


async def create(api: Any, who: str = "ng_editor", **kw: Any) -> dict[str, Any]:
    out = await api.mutate(who, "createPublication", {**DRAFT, **kw}, f"publication {{ {PUB} }}")
    assert out["errors"] == [], out
    return dict(out["publication"])


async def step(api: Any, who: str, name: str, pid: str, **kw: Any) -> dict[str, Any]:
    out = await api.mutate(who, name, {"publicationId": pid, **kw}, f"publication {{ {PUB} }}")
    assert out["errors"] == [], (name, who, out)
    return dict(out["publication"])


async def test_draft_review_and_publish(api):
    with at(2026, 10, 12):
        cat = await api.mutate("ng_admin", "addDisclosureCategory",
                               {"tenantCode": COUNTY, "parentCode": "07", "name": "部门预算"},
                               "category { code name source ownerCode }")
        assert cat == {"category": {"code": "07.01", "name": "部门预算", "source": "own",
                                    "ownerCode": COUNTY}, "errors": []}
        tree = await api.gql("ft_editor", '{ disclosureCatalog(tenantCode: "341881204") '
                                          '{ code source children { code source ownerCode } } }')
        nodes = {n["code"]: n for n in tree["data"]["disclosureCatalog"]}
        assert nodes["07"]["children"] == [{"code": "07.01", "source": "inherited",
                                            "ownerCode": COUNTY}]
        assert "33" in nodes and nodes["01"]["source"] == "national"

        pub = await create(api, categoryCode="07.01")
        assert (pub["status"], pub["dueOn"], pub["deadline"]["due"]) == ("DRAFT", "2026-10-29",
                                                                          "2026-10-29")
        assert pub["deadline"]["limit"] == 20
        oct1 = next(d for d in pub["deadline"]["skipped"] if d["day"] == "2026-10-01")
        assert oct1["reason"] == "HOLIDAY"
        content = "附件内容".encode()
        att = await api.mutate("ng_editor", "addPublicationAttachment",
                               {"publicationId": pub["id"], "filename": "预算.pdf",
                                "contentType": "application/pdf",
                                "contentBase64": base64.b64encode(content).decode()},
                               "attachment { filename size sha256 } publication { id }")
        assert att["attachment"] == {"filename": "预算.pdf", "size": len(content),
                                     "sha256": hashlib.sha256(content).hexdigest()}
        bad = await api.mutate("ng_editor", "addPublicationAttachment",
                               {"publicationId": pub["id"], "filename": "x.pdf",
                                "contentType": "application/pdf", "contentBase64": "%%%"},
                               "attachment { id }")
        assert [e["code"] for e in bad["errors"]] == ["publication.attachment_base64"]
        upd = await api.mutate("ng_editor", "updatePublication",
                               {"publicationId": pub["id"], "documentNo": "宁财〔2026〕1号",
                                "isMajor": True}, "publication { title isMajor }")
        assert upd["publication"] == {"title": "宁国市2026年部门预算", "isMajor": True}
        pid = pub["id"]
        await step(api, "ng_editor", "submitPublication", pid)
        # the approver does not hold the confidentiality step's role
        refused = await api.mutate("ng_approver", "approvePublicationStep", {"publicationId": pid},
                                   "publication { id }")
        assert refused["errors"][0]["code"] == "publication.role_required"
        assert "disclosure_reviewer" in refused["errors"][0]["message"]
        ret = await api.mutate("ng_reviewer", "returnPublication",
                               {"publicationId": pid, "comment": " "}, "publication { id }")
        assert ret["errors"][0]["code"] == "publication.comment_required"
        await step(api, "ng_reviewer", "returnPublication", pid, comment="请补充文号说明")
        await step(api, "ng_editor", "submitPublication", pid)
        await step(api, "ng_reviewer", "approvePublicationStep", pid)
        await step(api, "ng_reviewer", "approvePublicationStep", pid)
        pub = await step(api, "ng_approver", "approvePublicationStep", pid, comment="同意发布")
    assert (pub["status"], pub["isPublic"], pub["publishedLate"]) == ("PUBLISHED", True, False)
    assert pub["indexNo"] == "341881-0701-2026-00001"
    assert [(s["action"], s["toStatus"], s["actor"]) for s in pub["reviewSteps"]] == [
        ("submit", "CONFIDENTIALITY", "ng_editor"), ("return", "RETURNED", "ng_reviewer"),
        ("submit", "CONFIDENTIALITY", "ng_editor"), ("approve", "LEADER", "ng_reviewer"),
        ("approve", "PRINCIPAL", "ng_reviewer"), ("approve", "PUBLISHED", "ng_approver")]
    assert pub["reviewSteps"][1]["comment"] == "请补充文号说明"
    assert pub["attachments"][0]["filename"] == "预算.pdf"
    # refused transition: typed, naming the state
    again = await api.mutate("ng_editor", "submitPublication", {"publicationId": pid},
                             "publication { id }")
    assert again["errors"][0]["code"] == "publication.transition_not_allowed"
    assert "已发布" in again["errors"][0]["message"]
    # 方塘乡 interprets the county's public item (readable below under row-level security)
    with at(2026, 10, 13):
        ft = await create(api, "ft_editor", tenantCode="341881204", title="解读", categoryCode="01")
        link = await api.mutate("ft_editor", "linkPublication",
                                {"publicationId": ft["id"], "targetId": pid, "kind": "INTERPRETS"},
                                "publication { links { kind direction otherId otherTitle } }")
        assert link["publication"]["links"] == [{"kind": "INTERPRETS", "direction": "out",
                                                 "otherId": pid,
                                                 "otherTitle": "宁国市2026年部门预算"}]
        draft = await create(api, title="未发布的草稿")
        link = await api.mutate("ft_editor", "linkPublication",
                                {"publicationId": ft["id"], "targetId": draft["id"],
                                 "kind": "INTERPRETS"}, "publication { id }")
        assert link["errors"][0]["code"] == "publication.not_found"
    # revise: the public keeps the published title until republished
    with at(2026, 11, 2):
        rev = await step(api, "ng_editor", "revisePublication", pid)
        assert (rev["status"], rev["version"], rev["isPublic"]) == ("DRAFT", 2, True)
        upd = await api.mutate("ng_editor", "updatePublication",
                               {"publicationId": pid, "title": "宁国市2026年部门预算（更正）"},
                               f"publication {{ {PUB} }}")
        assert upd["publication"]["publishedTitle"] == "宁国市2026年部门预算"
        got = await api.gql("ng_reviewer", 'query($id: ID!) { publication(id: $id) '
                                           '{ title publishedTitle indexNo } }', {"id": pid})
        assert got["data"]["publication"] == {"title": "宁国市2026年部门预算（更正）",
                                              "publishedTitle": "宁国市2026年部门预算",
                                              "indexNo": "341881-0701-2026-00001"}
        wd = await step(api, "ng_reviewer", "withdrawPublication", pid, reason="数据有误")
        assert (wd["status"], wd["isPublic"]) == ("WITHDRAWN", False)
    # the list: scoped, filtered, paged
    page = await api.gql("ng_reviewer", '{ publications(first: 5, filter: {status: [WITHDRAWN]}) '
                                        '{ edges { node { id } } pageInfo { hasNextPage } } }')
    assert [e["node"]["id"] for e in page["data"]["publications"]["edges"]] == [pid]


async def test_bad_input_answers_typed_errors_and_writes_nothing(api):
    with at(2026, 10, 12):
        out = await api.mutate("ng_editor", "createPublication",
                               {**DRAFT, "categoryCode": "99", "attribute": "NOT_DISCLOSED",
                                "formedOn": "2026-12-01", "validFrom": "2026-10-01",
                                "validUntil": "2026-01-01"}, "publication { id }")
        assert out["publication"] is None
        assert {(e["code"], e["field"]) for e in out["errors"]} == {
            ("publication.category_unknown", "categoryCode"),
            ("publication.ground_required", "withholdGround"),
            ("publication.formed_in_future", "formedOn"),
            ("publication.validity_order", "validUntil")}
        out = await api.mutate("ng_editor", "createPublication",
                               {**DRAFT, "withholdGround": "state_secret", "categoryCode": ""},
                               "publication { id }")
        assert {e["code"] for e in out["errors"]} == {"publication.ground_not_allowed",
                                                      "publication.category_required"}
        listed = await api.gql("ng_editor", "{ publications { edges { node { id } } } }")
        assert listed["data"]["publications"]["edges"] == []
        out = await api.mutate("ng_admin", "deleteDisclosureCategory",
                               {"tenantCode": COUNTY, "code": "07"}, "code")
        assert out["errors"][0]["code"] == "disclosure_catalog.inherited"


QUERIES = {
    "disclosureCatalog": ('query($t: String!) { disclosureCatalog(tenantCode: $t) { code } }', "t"),
    "publications": ('query($t: String!) { publications(filter: {tenantCode: $t}) '
                     '{ edges { node { id } } } }', "t"),
    "publication": ('query($id: ID!) { publication(id: $id) { id title } }', "id"),
}


async def test_isolation_of_every_field(api):
    with at(2026, 10, 12):
        await api.mutate("ng_admin", "addDisclosureCategory",
                         {"tenantCode": COUNTY, "parentCode": "07", "name": "部门预算"}, "category { code }")
        pub = await create(api, categoryCode="07.01")
        draft = await create(api, title="另一条草稿")
        att = await api.mutate("ng_editor", "addPublicationAttachment",
                               {"publicationId": draft["id"], "filename": "a.pdf",
                                "contentType": "application/pdf",
                                "contentBase64": base64.b64encode(b"x").decode()},
                               "attachment { id }")
        att_id = att["attachment"]["id"]
        await step(api, "ng_editor", "submitPublication", pub["id"])
        pid = pub["id"]
        mutations: dict[str, dict[str, Any]] = {
            "addDisclosureCategory": {"tenantCode": COUNTY, "parentCode": "07", "name": "攻击"},
            "renameDisclosureCategory": {"tenantCode": COUNTY, "code": "07.01", "name": "攻击"},
            "deleteDisclosureCategory": {"tenantCode": COUNTY, "code": "07.01"},
            "createPublication": DRAFT,
            "updatePublication": {"publicationId": draft["id"], "title": "攻击"},
            "addPublicationAttachment": {"publicationId": draft["id"], "filename": "x.pdf",
                                         "contentType": "application/pdf",
                                         "contentBase64": base64.b64encode(b"x").decode()},
            "removePublicationAttachment": {"attachmentId": att_id},
            "linkPublication": {"publicationId": draft["id"], "targetId": pid, "kind": "INTERPRETS"},
            "submitPublication": {"publicationId": draft["id"]},
            "approvePublicationStep": {"publicationId": pid},
            "returnPublication": {"publicationId": pid, "comment": "攻击"},
            "revisePublication": {"publicationId": pid},
            "withdrawPublication": {"publicationId": pid, "reason": "攻击"},
        }
        leaks = []
        for who in ("xz_editor", "xz_admin", "gk_editor", "ft_editor", "el_admin", "ng_clerk", None):
            for name, (query, var) in QUERIES.items():
                if name == "disclosureCatalog" and who in ("ft_editor", "gk_editor"):
                    continue  # the county's townships read the catalog they inherit (below)
                data = await api.gql(who, query, {var: pid if var == "id" else COUNTY})
                if not data.get("errors") or (data.get("data") or {}).get(name):
                    leaks.append((who, name, data))
            for name, payload in mutations.items():
                fields = "code" if name == "deleteDisclosureCategory" else (
                    "category { code }" if "Category" in name else "publication { id }")
                query = (f"mutation($input: {name[0].upper()}{name[1:]}Input!) "
                         f"{{ {name}(input: $input) {{ {fields} errors {{ code }} }} }}")
                data = await api.gql(who, query, {"input": payload})
                result = (data.get("data") or {}).get(name)
                if not data.get("errors") and not (result and result["errors"]):
                    leaks.append((who, name, data))
        assert leaks == []
        # nothing changed: the owner still sees both items as they were
        mine = await api.gql("ng_reviewer", "{ publications { edges { node { title status "
                                            "attachments { id } } } } }")
        nodes = sorted((e["node"]["title"], e["node"]["status"], len(e["node"]["attachments"]))
                       for e in mine["data"]["publications"]["edges"])
        assert nodes == [("另一条草稿", "DRAFT", 1), ("宁国市2026年部门预算", "CONFIDENTIALITY", 0)]
        tree = await api.gql("ng_admin", '{ disclosureCatalog(tenantCode: "341881") '
                                         '{ code children { code name } } }')
        seven = next(n for n in tree["data"]["disclosureCatalog"] if n["code"] == "07")
        assert seven["children"] == [{"code": "07.01", "name": "部门预算"}]
        # control group: the township reads its county's catalog, the city reads the items
        ft = await api.gql("ft_editor", '{ disclosureCatalog(tenantCode: "341881") { code } }')
        assert "errors" not in ft and len(ft["data"]["disclosureCatalog"]) == 22
        city = await api.gql("xc_admin", 'query($id: ID!) { publication(id: $id) { id } }',
                             {"id": pid})
        assert city["data"]["publication"]["id"] == pid
        below = await api.gql("ng_editor", '{ disclosureCatalog(tenantCode: "341881204") { code } }')
        assert len(below["data"]["disclosureCatalog"]) == 27  # 01–22 and 30–34


def test_an_oversized_upload_is_refused_before_decoding():
    """The size is checked on the base64 text: a huge string is never decoded (an invalid one
    is refused as too large, not as bad base64); the largest allowed file still decodes."""
    from zhengwu.core.errors import Invalid
    from zhengwu.plugins.disclosure import graphql_publications as gp
    from zhengwu.plugins.disclosure.publications import MAX_ATTACHMENT_BYTES

    with pytest.raises(Invalid) as exc:
        gp._decode("!" * (gp._BASE64_MAX + 9))
    assert exc.value.code == "publication.attachment_too_large"
    largest = base64.b64encode(b"\0" * MAX_ATTACHMENT_BYTES).decode()
    assert len(gp._decode(largest)) == MAX_ATTACHMENT_BYTES


async def test_a_link_to_an_ancestor_shows_only_what_the_public_sees(api):
    """方塘乡 interprets 宁国市's public item: its links show the county item's published title,
    never a revision being drafted there, and nothing once the county withdraws it."""
    from tests.plugins.disclosure.world import TOWNSHIP

    with at(2026, 10, 12):
        county = await create(api)
        pid = county["id"]
        await step(api, "ng_editor", "submitPublication", pid)
        await step(api, "ng_reviewer", "approvePublicationStep", pid)
        await step(api, "ng_reviewer", "approvePublicationStep", pid)
        reading = await create(api, "ft_editor", tenantCode=TOWNSHIP, title="乡政策解读")
        linked = await step(api, "ft_editor", "linkPublication", reading["id"], targetId=pid,
                            kind="INTERPRETS")
        assert [(x["direction"], x["otherTitle"]) for x in linked["links"]] == [
            ("out", "宁国市2026年部门预算")]
        await step(api, "ng_editor", "revisePublication", pid)
        upd = await api.mutate("ng_editor", "updatePublication",
                               {"publicationId": pid, "title": "内部修订稿：待保密审查"},
                               "publication { title }")
        assert upd["errors"] == []

        async def township_sees() -> list[Any]:
            out = await api.gql("ft_editor", '{ publication(id: "%s") { links { otherId '
                                             'otherTitle } } }' % reading["id"])
            return [(x["otherId"], x["otherTitle"]) for x in out["data"]["publication"]["links"]]

        assert await township_sees() == [(pid, "宁国市2026年部门预算")]
        # the county itself sees the township's item (its subtree) by its working title
        mine = await api.gql("ng_editor", '{ publication(id: "%s") { links { otherTitle } } }'
                             % pid)
        assert mine["data"]["publication"]["links"] == [{"otherTitle": "乡政策解读"}]
        await step(api, "ng_reviewer", "withdrawPublication", pid, reason="信息有误")
        assert await township_sees() == [(pid, None)]
