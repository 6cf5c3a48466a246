"""An isolation matrix generated from the schema over every root field the disclosure plugin
contributes (catalog, publications and the review chain, requests for disclosure, the annual
report, the reply reasons).

Every field is sent by every attacker against a victim of 宁国市 (341881) in the state the
operation needs, with arguments from ``_values``; a field without a row in MATRIX, or a
required argument without a value, fails the test. Attackers get an error and no data and
change nothing (a snapshot of the disclosure tables); then the owner succeeds. The county
schema is the one attacked by county staff; 港口镇's editor sends the same operations through
the township schema, which must carry the same fields.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry import relay

from tests.plugins.disclosure.api import disclosure_api
from tests.plugins.disclosure.world import COUNTY, OTHER_COUNTY, SYSTEM, at, principal
from zhengwu.plugins.disclosure import catalog, review
from zhengwu.plugins.disclosure import publications as pubs
from zhengwu.plugins.disclosure import requests as reqs
from zhengwu.plugins.disclosure.models import (
    Attachment,
    Category,
    Consultation,
    Counter,
    DisclosureRequest,
    Publication,
    PublicationLink,
    ReportInput,
    RequestHistory,
    ReviewStep,
)
from zhengwu.plugins.disclosure.report_inputs import ReportInputsChange, save_report_inputs
from zhengwu.tenants import enablement


@pytest.fixture
async def api(settings, system_session):
    async for api in disclosure_api(settings, system_session):
        yield api


MATRIX = {
    # field: (the state the victim of 宁国市 must be in, who may do it)
    # -- data, no tenant's data at all: refused means "no victim data in the answer" (every
    #    logged-in user of a tier where disclosure is on may read them)
    "disclosureReplyReasons": ("draft", "ng_editor"),
    "publicationOptions": ("draft", "ng_editor"),
    # -- catalog, publications, review chain
    "disclosureCatalog": ("category", "ng_editor"),
    "publications": ("draft", "ng_editor"),  # filter {tenantCode: 341881}: an error outside
    "publication": ("draft", "ng_editor"),
    "addDisclosureCategory": ("category", "ng_admin"),
    "renameDisclosureCategory": ("category", "ng_admin"),
    "deleteDisclosureCategory": ("category", "ng_admin"),
    "createPublication": ("draft", "ng_editor"),
    "updatePublication": ("draft", "ng_editor"),
    "addPublicationAttachment": ("draft", "ng_editor"),
    "removePublicationAttachment": ("attached", "ng_editor"),
    "linkPublication": ("linkable", "ng_editor"),
    "submitPublication": ("draft", "ng_editor"),
    "approvePublicationStep": ("confidentiality", "ng_reviewer"),
    "returnPublication": ("confidentiality", "ng_reviewer"),
    "revisePublication": ("published", "ng_editor"),
    "withdrawPublication": ("published", "ng_reviewer"),
    # -- requests for disclosure
    # an outsider's list is its own subtree's (empty): no victim id or number in it = refused
    "disclosureRequests": ("registered", "ng_editor"),
    "disclosureRequest": ("registered", "ng_editor"),
    "registerDisclosureRequest": ("registered", "ng_editor"),
    "sendCorrectionNotice": ("registered", "ng_editor"),
    "recordCorrection": ("awaiting_correction", "ng_editor"),
    "openConsultation": ("registered", "ng_editor"),
    "answerConsultation": ("consulting", "ng_editor"),
    "extendDisclosureRequest": ("registered", "ng_approver"),
    "setDisclosureFee": ("chargeable", "ng_editor"),
    "recordFeePaid": ("fee_noticed", "ng_editor"),
    "replyDisclosureRequest": ("registered", "ng_editor"),
    "withdrawDisclosureRequest": ("registered", "ng_editor"),
    # -- the annual report (2025) and its hand-entered inputs
    "disclosureAnnualReport": ("report", "ng_editor"),
    "disclosureReportInputs": ("report", "ng_editor"),
    "saveDisclosureReportInputs": ("report", "ng_admin"),
}
ATTACKERS = ("xz_editor", "xz_admin", "gk_editor", "el_admin", "ng_clerk", "ng_assessor", None)
"""Sibling county 宣州区 (editor and admin, disclosure on there), 港口镇 (a township below
宁国市: it must not act on the county's objects), 二连浩特市's admin (another province, disclosure
enabled there by the test), 宁国市's window clerk (no disclosure role), its assessor
(aggregates only) and anonymous."""
EMPTY_IS_REFUSED = {"disclosureReplyReasons", "publicationOptions", "disclosureRequests"}
"""Fields that may answer an attacker without an error (static data, or a list filtered to
the caller's subtree): refused there means that none of the victim's ids, numbers or names
appears in the JSON of the answer."""
LEGITIMATE = {"disclosureCatalog": {"gk_editor"}}
"""The county's townships read the catalog they inherit (the county's own sub-categories
included): 港口镇 reading 宁国市's catalog is not an attack."""
STATIC = {"disclosureReplyReasons", "publicationOptions"}
WITHOUT_THE_RIGHT = {
    **dict.fromkeys(("addDisclosureCategory", "renameDisclosureCategory",
                     "deleteDisclosureCategory"), ("ng_editor", "ng_reviewer")),
    **dict.fromkeys(("createPublication", "updatePublication", "addPublicationAttachment",
                     "removePublicationAttachment", "linkPublication", "submitPublication",
                     "revisePublication", "registerDisclosureRequest",
                     "saveDisclosureReportInputs"), ("ng_reviewer",)),
    **dict.fromkeys(("approvePublicationStep", "returnPublication"), ("ng_editor", "ng_approver")),
    **dict.fromkeys(("withdrawPublication", "extendDisclosureRequest"), ("ng_editor",)),
}
"""宁国市's own staff without the permission or the step's role attack these fields too (the
reviewer may not draft, register or write the catalog and the report; the editor may not
review, withdraw or extend; the confidentiality step is the reviewer's, not the approver's)."""


@dataclass
class Victim:
    pub: str | None = None
    target: str | None = None
    attachment: str | None = None
    category: str | None = None
    request: str | None = None  # global ID
    consultation: str | None = None
    needles: list[str] = field(default_factory=list)


_SEQ = iter(range(1, 10_000))


async def _draft(s, title: str) -> Publication:
    f = pubs.PublicationFields(title=title, category_code="07", formed_on=date(2026, 3, 2),
                               disclosure_kinds=("result",), body="正文", timing="periodic")
    return await pubs.create_publication(s, principal("ng_editor"), COUNTY, f)


async def _register(s, name: str = "张三") -> DisclosureRequest:
    new = reqs.NewRequest(channel="in_person", requester_kind="natural_person",
                          requester_name=name, description="2025年危房改造补助名单",
                          tenant_code=COUNTY)
    return await reqs.register_request(s, principal("ng_editor"), new)


FEE_PAYER = "缴费申请人"


async def _victim(s, state: str) -> Victim:
    """A fresh victim of 宁国市 in ``state`` (built through the services, committed)."""
    n = next(_SEQ)
    v = Victim()
    editor, reviewer = principal("ng_editor"), principal("ng_reviewer")
    if state in ("draft", "attached", "linkable", "confidentiality", "published"):
        pub = await _draft(s, f"宁国市受害信息{n}")
        v.pub = str(pub.id)
        v.needles += [v.pub, pub.title]
        if state == "attached":
            att = await pubs.add_attachment(s, editor, pub.id, f"受害附件{n}.pdf",
                                            "application/pdf", b"content")
            v.attachment = str(att.id)
            v.needles.append(v.attachment)
        if state == "linkable":
            target = await _draft(s, f"宁国市受害目标{n}")
            v.target = str(target.id)
            v.needles.append(v.target)
        if state in ("confidentiality", "published"):
            await review.submit(s, editor, pub.id)
        if state == "published":
            await review.approve(s, reviewer, pub.id)
            await review.approve(s, reviewer, pub.id)
            assert pub.status == "published" and pub.index_no
            v.needles.append(pub.index_no)
    elif state == "category":
        row = await catalog.add_category(s, principal("ng_admin"), COUNTY, "07", f"受害类目{n}",
                                         description=f"受害类目说明{n}")
        v.category = row.code
        v.needles += [row.name, row.description]
    elif state in ("registered", "awaiting_correction", "consulting", "chargeable",
                   "fee_noticed"):
        if state in ("chargeable", "fee_noticed"):
            paid = await s.scalar(select(func.count()).select_from(DisclosureRequest).where(
                DisclosureRequest.requester_name == FEE_PAYER))
            for _ in range(10 - (paid or 0)):  # the requester's ten free requests of the month
                await _register(s, FEE_PAYER)
        req = await _register(s, FEE_PAYER if state in ("chargeable", "fee_noticed") else "张三")
        v.request = relay.to_base64("DisclosureRequest", str(req.id))
        v.needles += [str(req.id), v.request, req.request_no]
        if state == "awaiting_correction":
            await reqs.send_correction_notice(s, editor, req.id, ["写明文号"])
        if state == "consulting":
            c = await reqs.open_consultation(s, editor, req.id, "third_party", f"受害第三方{n}")
            v.consultation = str(c.id)
            v.needles += [v.consultation, c.party_name]
        if state == "fee_noticed":
            await reqs.set_fee(s, editor, req.id)
    elif state == "report":
        text = f"宁国市2025年受害叙述{n}"
        await save_report_inputs(s, principal("ng_admin"), ReportInputsChange(
            tenant_code=COUNTY, year=2025, narratives={"overview": text}))
        v.needles.append(text)
    else:
        raise AssertionError(state)
    await s.commit()
    return v


REQUEST_FIELDS = {"disclosureRequest", "sendCorrectionNotice", "recordCorrection",
                  "openConsultation", "extendDisclosureRequest", "setDisclosureFee",
                  "recordFeePaid", "replyDisclosureRequest", "withdrawDisclosureRequest"}


def _values(name: str, v: Victim) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": (v.consultation if name == "answerConsultation"
               else v.request if name in REQUEST_FIELDS else v.pub),
        "tenantCode": COUNTY, "first": 50, "year": 2025,
        # catalog
        "parentCode": "07", "code": v.category, "name": f"类目{name}", "description": "说明",
        # publications
        "publicationId": v.pub, "targetId": v.target, "attachmentId": v.attachment,
        "kind": "INTERPRETS", "title": f"宁国市新信息{name}", "categoryCode": "07",
        "formedOn": "2026-03-02", "disclosureKinds": ["result"], "body": "正文",
        "filename": "附件.pdf", "contentType": "application/pdf",
        "contentBase64": base64.b64encode(b"attachment").decode(),
        "comment": "意见", "reason": "理由",
        # requests
        "channel": "IN_PERSON", "requesterKind": "NATURAL_PERSON", "requesterName": "李四",
        "items": ["写明文号"], "partyName": "某公司", "outcome": "CONSENT", "days": 5,
        "type": "DISCLOSED", "text": "答复", "note": "说明",
        # the report
        "narratives": {"overview": f"宁国市2025年政务公开总体情况（{name}）"},
        "filter": None,
    }
    values.update({
        "addDisclosureCategory": {"code": None},  # the next free code
        "publications": {"filter": {"tenantCode": COUNTY}},
        "openConsultation": {"kind": "THIRD_PARTY"},
        "replyDisclosureRequest": {"reason": "provided"},
    }.get(name, {}))
    return values


def _disclosure_fields(app, tier: str) -> dict:
    from strawberry.utils.str_converters import to_camel_case

    import zhengwu.plugins.disclosure as disclosure

    contribution = disclosure.zhengwu_graphql(tier=tier)
    schema = app.state.schemas[tier]._schema
    out = {}
    for part, root in ((contribution.query, schema.query_type),
                       (contribution.mutation, schema.mutation_type)):
        for f in part.__strawberry_definition__.fields:
            name = f.graphql_name or to_camel_case(f.python_name)
            out[name] = root.fields[name]
    return out


SELECTION = {
    "Publication": "id title indexNo status",
    "DisclosureRequest": "id requestNo status",
    "DisclosureConsultation": "id partyName outcome",
    "DisclosureCategory": "code name description children { code name description }",
    "PublicationAttachment": "id filename",
    "DisclosureReplyReason": "type reason",
    "PublicationOptions": "keyAreas { code title }",
    "DisclosureAnnualReport": "tenantCode title sections { number narrative }",
    "DisclosureReportInputs": "year narratives",
}


def _select(name: str, gtype) -> str:
    from graphql import get_named_type, is_leaf_type

    named = get_named_type(gtype)
    if is_leaf_type(named):
        return ""
    if "edges" in named.fields:
        node = get_named_type(get_named_type(named.fields["edges"].type).fields["node"].type)
        return f"{{ edges {{ node {{ {SELECTION[node.name]} }} }} }}"
    if "errors" in named.fields:
        parts = ["errors { code }"]
        for fname, f in named.fields.items():
            if fname != "errors":
                inner = _select(name, f.type)
                parts.append(f"{fname} {inner}".strip())
        return "{ " + " ".join(parts) + " }"
    if named.name not in SELECTION:
        raise AssertionError(f"{name}: add a selection for {named.name}")
    return f"{{ {SELECTION[named.name]} }}"


def _operation(name: str, fld, values: dict) -> tuple[str, dict, bool]:
    from graphql import GraphQLInputObjectType, GraphQLNonNull, Undefined, get_named_type

    declared, passed, variables = [], [], {}
    for aname, arg in fld.args.items():
        named = get_named_type(arg.type)
        if aname == "input" and isinstance(named, GraphQLInputObjectType):
            value: Any = {}
            for fname, f in named.fields.items():
                if values.get(fname) is not None:
                    value[fname] = values[fname]
                elif isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined:
                    raise AssertionError(f"{name}: add a value for {named.name}.{fname}")
        elif values.get(aname) is not None:
            value = values[aname]
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            raise AssertionError(f"{name}: add a value for required argument {aname!r}")
        else:
            continue
        declared.append(f"${aname}: {arg.type}")
        passed.append(f"{aname}: ${aname}")
        variables[aname] = value
    mutation = "errors" in getattr(get_named_type(fld.type), "fields", {})
    head = f"({', '.join(declared)})" if declared else ""
    args = f"({', '.join(passed)})" if passed else ""
    kind = "mutation" if mutation else "query"
    return f"{kind}{head} {{ {name}{args} {_select(name, fld.type)} }}", variables, mutation


def _has_victim_data(result: dict, v: Victim) -> bool:
    text = json.dumps(result.get("data"), ensure_ascii=False)
    return any(needle in text for needle in v.needles)


def _refused(result: dict, name: str, v: Victim) -> bool:
    if name in EMPTY_IS_REFUSED:
        return not _has_victim_data(result, v)
    if result.get("errors"):
        return (result.get("data") or {}).get(name) is None
    payload = (result.get("data") or {}).get(name)
    return (isinstance(payload, dict) and bool(payload.get("errors"))
            and all(value is None for key, value in payload.items() if key != "errors"))


async def _snapshot(s) -> tuple:
    s.expire_all()

    async def rows(*cols):
        return tuple((await s.execute(select(*cols).order_by(cols[0]))).all())

    async def count(model):
        return await s.scalar(select(func.count()).select_from(model))

    return (
        await rows(Publication.id, Publication.status, Publication.version, Publication.index_no,
                   Publication.title, Publication.published_at, Publication.withdrawn_at),
        await count(ReviewStep),
        await rows(Category.id, Category.code, Category.name, Category.description),
        await rows(Attachment.id, Attachment.publication_id),
        await rows(PublicationLink.id, PublicationLink.target_id),
        await rows(DisclosureRequest.id, DisclosureRequest.status, DisclosureRequest.due_on,
                   DisclosureRequest.extended_days, DisclosureRequest.fee_notice_on,
                   DisclosureRequest.fee_paid_on, DisclosureRequest.reply_type),
        await rows(Consultation.id, Consultation.outcome),
        await count(RequestHistory),
        await rows(ReportInput.id, ReportInput.year, ReportInput.narratives,
                   ReportInput.proactive, ReportInput.review_litigation,
                   ReportInput.carried_over),
        await rows(Counter.id, Counter.kind, Counter.year, Counter.value),
    )


def _succeeded(result: dict, name: str, mutation: bool, v: Victim) -> bool:
    data = (result.get("data") or {}).get(name)
    if result.get("errors") or data is None:
        return False
    if mutation:
        return data.get("errors") == []
    if isinstance(data, dict) and "edges" in data and not data["edges"]:
        return False
    if isinstance(data, list) and not data:
        return False
    return name in STATIC or _has_victim_data(result, v)  # the owner sees the victim


async def test_isolation_matrix_for_every_disclosure_field(api, system_session):
    s = system_session
    await enablement.enable_plugin(s, SYSTEM, OTHER_COUNTY, "disclosure")
    await s.commit()
    fields = _disclosure_fields(api.client.app, "county")
    assert set(fields) == set(MATRIX), "every disclosure field needs its row in MATRIX"
    assert set(_disclosure_fields(api.client.app, "township")) == set(fields)
    leaks, changed, failed = [], [], []
    with at(2026, 3, 10):
        for name, fld in fields.items():
            state, owner = MATRIX[name]
            v = await _victim(s, state)
            query, variables, mutation = _operation(name, fld, _values(name, v))
            before = await _snapshot(s)
            for who in ATTACKERS + WITHOUT_THE_RIGHT.get(name, ()):
                if who in LEGITIMATE.get(name, ()):
                    continue
                result = await api.gql(who, query, variables)
                if not _refused(result, name, v):
                    leaks.append((name, who, result))
            if await _snapshot(s) != before:
                changed.append(name)
            result = await api.gql(owner, query, variables)
            if not _succeeded(result, name, mutation, v):
                failed.append((name, owner, query, result))
    assert leaks == []
    assert changed == []
    assert failed == []
