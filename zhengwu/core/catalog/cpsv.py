"""CPSV-AP 3.2.0 JSON-LD export of one catalog item (mapping: anchors.md §A5).

``public_service(item, authority=…)`` maps a ``NewItem`` (the typed description of a stored
item version, see ``exchange.describe_items``) onto a ``cpsv:PublicService``:

=========================  ==========================================================
CPSV-AP property           事项 element
=========================  ==========================================================
``dct:identifier`` 1..1    基本编码 (the implementation code when exporting an adoption)
``dct:title`` 1..n         事项名称 (``@language`` zh)
``dct:description`` 1..n   generated from type, tiers, limits, case type and result
``cv:hasCompetentAuthority`` 1..n  the owner (``cv:PublicOrganisation``: prefLabel, spatial)
``cv:hasLegalResource``    设定依据 (``eli:LegalResource`` with its text)
``cpsv:hasInput``          申请材料 (``cv:Evidence`` each: identifier, title, description)
``cv:hasCost``             收费 (``cv:Cost``: identifier, description; ``cv:value`` and
                           ``cv:currency`` CNY when the maximum amount is known)
``cv:processingTime``      法定办结时限 as ``xsd:duration`` ``P{n}D``; the standard counts
                           working days, which a duration cannot say: the unit is noted in
                           ``zw:processingTimeUnit`` ("working-day") and in the description
``cpsv:follows``           办理流程 (``cpsv:Rule`` per step: identifier, title)
``dct:type``               事项类型 (``skos:Concept``: notation and prefLabel)
``cv:thematicArea``        行政权力事项 / 公共服务事项 (the two families of the item types)
``dct:spatial``            行使层级 (concepts 1–6)
``cv:produces``            审批结果 (``cv:Output``) when named
``adms:status``            draft / published / retired when given
=========================  ==========================================================

Identifiers of nested nodes are stable (``{base}/{code}/evidence/{n}`` …) so two exports of
the same version produce the same graph. ``export_item`` reads one stored item (through
the catalog service's read access) and maps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.catalog.codes import ITEM_TYPES
from zhengwu.core.catalog.inputs import NewItem
from zhengwu.core.security.principal import Principal
from zhengwu.tenants.models import Tenant

__all__ = ["CONTEXT", "DEFAULT_BASE", "Authority", "export_item", "public_service"]

DEFAULT_BASE = "urn:zhengwu:catalog"
"""Base of the node identifiers when the platform has no public URL configured."""

CONTEXT: dict[str, Any] = {
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dct": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "zw": "urn:zhengwu:vocab#",
    "cv:processingTime": {"@type": "xsd:duration"},
    "cv:value": {"@type": "xsd:decimal"},
    "cv:currency": {"@type": "@id"},
    "dct:spatial": {"@type": "@id"},
}
"""The JSON-LD context: CPSV-AP's namespaces (as in its SHACL shapes) and ours."""

_CURRENCY_CNY = "http://publications.europa.eu/resource/authority/currency/CNY"
_LEVELS_ZH = {1: "国家级", 2: "省级", 3: "市级", 4: "县级", 5: "乡镇（街道）级", 6: "村（社区）级"}
_CASE_ZH = {1: "即办件", 2: "承诺件"}
_STATUS = {"draft": "draft", "published": "published", "retired": "retired"}


@dataclass(frozen=True)
class Authority:
    """The competent authority: the owning (or adopting) tenant, or an implementing body."""

    code: str
    name: str
    credit_code: str | None = None


def _zh(text: str) -> dict[str, str]:
    return {"@value": text, "@language": "zh"}


def public_service(item: NewItem, *, authority: Authority, base: str = DEFAULT_BASE,
                   version: int | None = None, status: str | None = None,
                   identifier: str | None = None) -> dict[str, Any]:
    """The ``cpsv:PublicService`` JSON-LD document of ``item`` (with ``@context``)."""
    code = item.basic_code
    node = f"{base}/{authority.code}/{code}" + (f"/v{version}" if version else "")
    type_name = ITEM_TYPES.get(item.item_type, item.item_type)
    levels = "、".join(_LEVELS_ZH.get(v, str(v)) for v in item.use_levels)
    parts = [f"{type_name}事项，行使层级：{levels}"]
    if item.statutory_days is not None:
        parts.append(f"法定办结时限 {item.statutory_days} 个工作日")
    parts.append(f"办件类型：{_CASE_ZH.get(item.case_type, str(item.case_type))}")
    if item.max_visits is not None:
        parts.append(f"到办事现场次数：{item.max_visits}")
    if item.result_name:
        parts.append(f"办理结果：{item.result_name}")
    parts.append("免费" if item.is_free and not item.fees else "收费")
    description = [_zh("；".join(parts) + "。")]
    if item.conditions:
        description.append(_zh(f"受理条件：{item.conditions}"))
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": node,
        "@type": "cpsv:PublicService",
        "dct:identifier": identifier or code,
        "dct:title": [_zh(item.name)],
        "dct:description": description,
        "cv:hasCompetentAuthority": [_organisation(authority, base)],
        "dct:type": [{
            "@id": f"{base}/item-type/{item.item_type}", "@type": "skos:Concept",
            "skos:notation": item.item_type, "skos:prefLabel": _zh(type_name)}],
        "cv:thematicArea": [{
            "@id": f"{base}/family/{'public' if item.item_type == '20' else 'power'}",
            "@type": "skos:Concept",
            "skos:prefLabel": _zh("公共服务事项" if item.item_type == "20" else "行政权力事项")}],
        "dct:spatial": [f"{base}/use-level/{v}" for v in item.use_levels],
        "cpsv:hasInput": [
            {"@id": f"{node}/evidence/{i}", "@type": "cv:Evidence",
             "dct:identifier": f"{code}-M{i}", "dct:title": [_zh(m.name)],
             "dct:description": [_zh(_material_text(m.form, m.originals, m.copies, m.required))],
             **({"cv:hasLegalResource": [_legal(f"{node}/evidence/{i}/basis", m.legal_basis)]}
                if m.legal_basis else {})}
            for i, m in enumerate(item.materials, 1)],
        "cv:hasCost": [_cost(node, code, i, f.name, f.standard, f.max_amount_cents, f.basis)
                       for i, f in enumerate(item.fees, 1)],
        "cpsv:follows": [
            {"@id": f"{node}/rule/{i}", "@type": "cpsv:Rule", "dct:identifier": f"{code}-S{i}",
             "dct:title": [_zh(s.name)],
             **({"dct:description": [_zh(f"环节时限 {s.limit_days} 个工作日")]}
                if s.limit_days is not None else {})}
            for i, s in enumerate(item.steps, 1)],
    }
    if item.legal_basis:
        doc["cv:hasLegalResource"] = [_legal(f"{node}/legal-basis", item.legal_basis)]
    if item.statutory_days is not None:
        doc["cv:processingTime"] = f"P{item.statutory_days}D"
        doc["zw:processingTimeUnit"] = "working-day"
    if item.result_name:
        doc["cv:produces"] = [{"@id": f"{node}/output", "@type": "cv:Output",
                               "dct:identifier": f"{code}-R", "dct:title": [_zh(item.result_name)],
                               **({"dct:type": item.result_type} if item.result_type else {})}]
    if status in _STATUS:
        doc["adms:status"] = {"@id": f"{base}/status/{_STATUS[status]}"}
    if version is not None:
        doc["zw:version"] = version
    if item.parent_code:
        doc["zw:parentItem"] = {"@id": f"{base}/{authority.code}/{item.parent_code}"}
    return doc


def _organisation(authority: Authority, base: str) -> dict[str, Any]:
    org: dict[str, Any] = {"@id": f"{base}/organisation/{authority.credit_code or authority.code}",
                           "@type": "cv:PublicOrganisation",
                           "skos:prefLabel": [_zh(authority.name)],
                           "dct:spatial": [f"{base}/division/{authority.code}"]}
    if authority.credit_code:
        org["dct:identifier"] = authority.credit_code
    return org


def _legal(node: str, text: str) -> dict[str, Any]:
    return {"@id": node, "@type": "eli:LegalResource", "dct:description": [_zh(text)]}


def _cost(node: str, code: str, i: int, name: str, standard: str, cents: int | None,
          basis: str | None) -> dict[str, Any]:
    cost: dict[str, Any] = {"@id": f"{node}/cost/{i}", "@type": "cv:Cost",
                            "dct:identifier": f"{code}-F{i}",
                            "dct:description": [_zh(f"{name}：{standard}")]}
    if cents is not None:
        cost["cv:value"] = f"{cents // 100}.{cents % 100:02d}"
        cost["cv:currency"] = _CURRENCY_CNY
    if basis:
        cost["cv:hasLegalResource"] = [_legal(f"{node}/cost/{i}/basis", basis)]
    return cost


def _material_text(form: str, originals: int, copies: int, required: bool) -> str:
    forms = {"paper": "纸质", "electronic": "电子", "both": "纸质和电子"}
    return (f"{'必需' if required else '非必需'}；{forms.get(form, form)}；原件 {originals} 份，"
            f"复印件 {copies} 份")


async def export_item(session: AsyncSession, principal: Principal, owner_code: str,
                      basic_code: str, *, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The JSON-LD of the current version of ``basic_code`` in the catalog of ``owner_code``.

    Read through ``service.list_items`` (the principal must read that catalog);
    ``catalog_item.not_found`` when the catalog has no such item.
    """
    from zhengwu.core.catalog import service
    from zhengwu.core.catalog.access import not_found
    from zhengwu.core.catalog.exchange import current_versions, describe_items

    code = basic_code.strip().upper()
    rows = await service.list_items(session, principal, owner_code=owner_code, search=code)
    current = current_versions(r for r in rows if r.basic_code == code)
    if not current:
        raise not_found("catalog_item", code)
    row, item = (await describe_items(session, current))[code]
    owner = await session.get(Tenant, row.tenant_id)
    assert owner is not None
    return public_service(item, authority=Authority(owner.code, owner.name), base=base,
                          version=row.version, status=row.status)
