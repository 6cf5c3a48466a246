"""Isolation matrix generated from the schema: every root field that names an object is
attacked from a sibling, a child, another province and anonymously, aimed at 宁国市 341881.

The generator walks the county schema's Query and Mutation roots. For each field whose
arguments (or input object) name a tenant, user or node, it fills them with the victim's
values and sends the operation as each attacker. An attacker must get an error (GraphQL
error or payload ``errors``) and no data; afterwards the audit trail shows no change made
by an attacker. A new field whose arguments the generator cannot fill fails the test, so
the matrix grows with the schema.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)

from zhengwu.graphql.schema import build_schema
from zhengwu.platform import boot

VICTIM = "341881"
ATTACKERS = {
    "sibling": "xuanzhou",      # 宣州区, the sibling county
    "child": "fangtang",        # a township clerk below the victim
    "other_province": "erlian",  # 二连浩特市
    "anonymous": None,
}
TARGETED = {"code", "tenantCode", "id", "source", "target", "username", "fromCode", "toCode",
            "implementationCode", "under"}
ITEM = "000104002000"  # 固定资产投资项目节能审查 (a real basic code)
CREDIT = "11450721MB15580811"  # a real, valid unified social credit code


def _victim_values(node_ids: dict[str, str]) -> dict[str, Any]:
    return {"code": VICTIM, "tenantCode": VICTIM, "source": VICTIM, "target": "341802",
            "username": "ningguo", "id": node_ids["tenant"], "name": "攻击", "namespace": "core",
            "key": "hotline", "value": "110", "role": "window_clerk", "plugin": "none",
            "password": "Attack-Window-2024!", "parentCode": None, "basicCode": ITEM,
            "departmentName": "攻击部门", "departmentCreditCode": CREDIT, "kind": "2",
            "fromCode": VICTIM, "toCode": "341881204", "under": VICTIM,
            "implementationCode": node_ids["implementation"],
            # the working-day clock: its queries need dates; an override a day, kind and name
            "start": "2026-09-28", "days": 5, "from": "2026-09-28", "to": "2026-10-12",
            "year": 2026, "day": "2026-10-09", "AddCalendarOverrideInput.kind": "HOLIDAY"}


async def _victim_catalog(session) -> str:
    """A published provincial item adopted by the victim county; returns its implementation code."""
    from zhengwu.core.catalog import implementation, service
    from zhengwu.core.catalog.inputs import NewImplementation, NewItem, NewMaterial
    from zhengwu.core.security.principal import Principal

    system = Principal.system("tester")
    item = await service.create_item(session, system, "34", NewItem(
        basic_code=ITEM, name="固定资产投资项目节能审查", item_type="01", use_levels=(2, 3, 4),
        statutory_days=20, materials=(NewMaterial("申请书", originals=1), NewMaterial("节能报告", copies=1))))
    await service.publish_item(session, system, item.id)
    impl = await implementation.adopt_item(session, system, VICTIM, NewImplementation(
        basic_code=ITEM, department_name="宁国市发展和改革委员会", department_credit_code=CREDIT,
        promised_days=5))
    await session.commit()
    return impl.implementation_code


def _selection(type_: Any, depth: int = 0) -> str:
    named = get_named_type(type_)
    if isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
        return ""
    if "errors" in getattr(named, "fields", {}):
        return "{ errors { code } }"
    return "{ __typename }"


def _literal(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _input_literal(type_: Any, values: dict[str, Any], where: str) -> str:
    named = get_named_type(type_)
    assert isinstance(named, GraphQLInputObjectType)
    parts = []
    for name, field in named.fields.items():
        required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        value = values.get(f"{named.name}.{name}", values.get(name))  # "Input.field" first
        if value is not None:
            enum = isinstance(get_named_type(field.type), GraphQLEnumType)
            parts.append(f"{name}: {value if enum else _literal(value)}")
        elif required:
            raise AssertionError(f"{where}: add a value for required input field {name!r}")
    return "{ " + ", ".join(parts) + " }"


def _operations(node_ids: dict[str, str]) -> list[tuple[str, str]]:
    schema = build_schema("county", boot([], entry_points=False))._schema
    values = _victim_values(node_ids)
    ops = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for fname, field in root.fields.items():
            args, targeted = [], False
            for aname, arg in field.args.items():
                named = get_named_type(arg.type)
                if isinstance(named, GraphQLInputObjectType):
                    if set(named.fields) & TARGETED:
                        targeted = True
                    args.append(f"{aname}: {_input_literal(arg.type, values, f'{fname}.{aname}')}")
                elif aname in TARGETED:
                    targeted = True
                    args.append(f"{aname}: {_literal(values[aname])}")
                elif aname in values and isinstance(arg.type, GraphQLNonNull):
                    args.append(f"{aname}: {_literal(values[aname])}")
                elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
                    raise AssertionError(f"{fname}: add a value for required argument {aname!r}")
            if not targeted:
                continue
            call = f"{fname}({', '.join(args)})" if args else fname
            ops.append((f"{kind}.{fname}", f"{kind} {{ {call} {_selection(field.type)} }}"))
    return ops


def _denied(result: dict[str, Any], op: str) -> bool:
    if result.get("errors"):
        return True
    payload = next(iter((result.get("data") or {}).values()), None)
    if payload is None:
        return True  # e.g. node(): null for "not yours"
    return bool(isinstance(payload, dict) and payload.get("errors"))


async def test_every_targeted_field_is_refused_to_every_attacker(api, system_session):
    implementation_code = await _victim_catalog(system_session)
    tenant_id = (await api.gql("ningguo", '{ tenant(code: "341881") { id } }'))["data"]["tenant"]["id"]
    ops = _operations({"tenant": tenant_id, "implementation": implementation_code})
    users = await api.gql("ningguo", '{ users(filter: {under: "341881"}) { edges { node { id username } } } }')
    user_id = next(e["node"]["id"] for e in users["data"]["users"]["edges"] if e["node"]["username"] == "ningguo")
    ops.append(("query.node(user)", f'query {{ node(id: "{user_id}") {{ __typename }} }}'))
    names = {name for name, _ in ops}
    # The generator found the fields that matter (a sanity floor, not the full list).
    assert {"query.tenant", "query.node", "query.settings", "query.plugins", "mutation.createTenant",
            "mutation.suspendTenant", "mutation.setSetting", "mutation.grantRole",
            "mutation.createUser", "mutation.enablePlugin", "mutation.addCalendarOverride"} <= names
    leaks = []
    for attacker, who in ATTACKERS.items():
        for name, op in ops:
            if attacker == "child" and name in ("query.tenant", "query.node"):
                continue  # an ancestor's name and code are readable (breadcrumbs), by design
            result = await api.gql(who, op)
            if not _denied(result, name):
                leaks.append((attacker, name, result))
    assert leaks == []
    audit = (await api.gql("platform", "{ auditEntries(first: 100) { edges { node { actor action } } } }"))
    actors = {e["node"]["actor"] for e in audit["data"]["auditEntries"]["edges"]}
    assert not actors & {"xuanzhou", "fangtang", "erlian", "anonymous"}


async def test_the_owner_and_its_parent_are_not_refused(api):
    """Control group: the same operations succeed for the victim's own admin and its city."""
    for who in ("ningguo", "xuancheng"):
        result = await api.gql(who, '{ tenant(code: "341881") { code settings { key } } }')
        assert result["data"]["tenant"]["code"] == VICTIM
        m = ('mutation { setSetting(input: {tenantCode: "341881", namespace: "core", key: "hotline", '
             'value: "0563-1"}) { errors { code } } }')
        assert (await api.gql(who, m))["data"]["setSetting"]["errors"] == []


