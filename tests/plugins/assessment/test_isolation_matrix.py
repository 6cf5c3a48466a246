"""An isolation matrix generated from the schema over every root field the assessment plugin
contributes: each field is sent by every attacker against a victim of 宁国市 (341881) in the
state it needs; attackers get an error (or, for lists, nothing of the victim) and change
nothing; then the owner succeeds. A field without a row in MATRIX fails the test.

Attackers: the sibling county's assessor (宣州区), an assessor of 方塘乡 below 宁国市 (the
township schema has no assessment fields at all), 二连浩特市's admin (another province,
assessment enabled there by the test), 宁国市's window clerk (no assessment role), anonymous.
宣城市's assessor (the city above) is not an attacker: it reads its counties' runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.plugins.assessment.api import assessment_api
from tests.plugins.assessment.world import COUNTY, OTHER_COUNTY, SYSTEM, TOWNSHIP, principal
from zhengwu.plugins.assessment import runs, systems
from zhengwu.plugins.assessment.models import AssessmentRun, AssessmentSystem, ManualScore
from zhengwu.tenants import enablement

MATRIX = {
    "assessmentMetrics": ("published", "ng_assessor"),
    "assessmentSystems": ("published", "ng_assessor"),
    "assessmentSystem": ("published", "ng_assessor"),
    "assessmentManualScores": ("scored", "ng_assessor"),
    "assessmentRuns": ("run", "ng_assessor"),
    "assessmentRun": ("run", "ng_assessor"),
    "saveAssessmentSystem": ("draft", "ng_assessor"),
    "publishAssessmentSystem": ("draft", "ng_assessor"),
    "enterAssessmentScores": ("published", "ng_assessor"),
    "startAssessmentRun": ("published", "ng_assessor"),
}
ATTACKERS = ("xz_assessor", "ft_assessor", "el_admin", "ng_clerk", None)
EMPTY_IS_REFUSED = {"assessmentMetrics", "assessmentSystems", "assessmentRuns"}
STATIC = {"assessmentMetrics"}
TREE = [{"key": "rate", "name": "比率", "weight": 3, "metric": "probe.a", "rule": {"kind": "rank"}},
        {"key": "visit", "name": "现场检查", "weight": 1, "manual_max": 10}]
SELECTION = {
    "AssessmentMetric": "name",
    "AssessmentSystem": "id name code",
    "AssessmentManualScore": "targetCode score",
    "AssessmentRun": "id digest results { code total }",
}


@pytest.fixture
async def api(settings, system_session):
    async for api in assessment_api(settings, system_session):
        yield api


@dataclass
class Victim:
    system: str | None = None
    run: str | None = None
    code: str | None = None
    needles: list[str] = field(default_factory=list)


_SEQ = iter(range(1, 10_000))


async def _victim(s, state: str) -> Victim:
    n = next(_SEQ)
    who = principal("ng_assessor")
    v = Victim(code=f"V{n}")
    row = await systems.save_system(s, who, systems.SystemDraft(v.code, f"宁国市受害体系{n}", TREE))
    v.system = str(row.id)
    v.needles += [v.system, row.name]
    if state != "draft":
        await systems.publish_system(s, who, row.id)
    if state == "scored":
        await runs.enter_manual_scores(s, who, row.id, "2026-03", [runs.ManualEntry(TOWNSHIP, "visit", 7.25)])
        v.needles.append(TOWNSHIP)
    if state == "run":
        run = await runs.start_run(s, who, runs.RunRequest(row.id, "2026-03"))
        v.run = str(run.id)
        v.needles += [v.run, run.digest]
    await s.commit()
    return v


def _values(name: str, v: Victim) -> dict[str, Any]:
    return {
        "id": v.run if name == "assessmentRun" else v.system,
        "systemId": v.system, "period": "2026-03", "tenantCode": COUNTY,
        "code": v.code, "name": f"新名称{name}",
        "indicators": [{"key": "rate", "name": "比率", "weight": 1, "metric": "probe.a",
                        "rule": {"kind": "rank"}}],
        "scores": [{"targetCode": TOWNSHIP, "indicatorKey": "visit", "score": 5}],
    }


def _fields(app, tier: str) -> dict:
    from strawberry.utils.str_converters import to_camel_case

    import zhengwu.plugins.assessment as assessment

    contribution = assessment.zhengwu_graphql(tier=tier)
    schema = app.state.schemas[tier]._schema
    out = {}
    for part, root in ((contribution.query, schema.query_type),
                       (contribution.mutation, schema.mutation_type)):
        for f in part.__strawberry_definition__.fields:
            name = f.graphql_name or to_camel_case(f.python_name)
            out[name] = root.fields[name]
    return out


def _select(name: str, gtype) -> str:
    from graphql import get_named_type, is_leaf_type

    named = get_named_type(gtype)
    if is_leaf_type(named):
        return ""
    if "errors" in named.fields:
        parts = ["errors { code }"]
        for fname, f in named.fields.items():
            if fname != "errors":
                parts.append(f"{fname} {_select(name, f.type)}".strip())
        return "{ " + " ".join(parts) + " }"
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
        elif values.get(aname) is not None and aname != "tenantCode":
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


def _succeeded(result: dict, name: str, mutation: bool, v: Victim) -> bool:
    data = (result.get("data") or {}).get(name)
    if result.get("errors") or data is None:
        return False
    if mutation:
        return data.get("errors") == []
    if isinstance(data, list) and not data:
        return False
    return name in STATIC or _has_victim_data(result, v)


async def _snapshot(s) -> tuple:
    s.expire_all()

    async def rows(*cols):
        return tuple((await s.execute(select(*cols).order_by(cols[0]))).all())

    return (
        await rows(AssessmentSystem.id, AssessmentSystem.status, AssessmentSystem.version,
                   AssessmentSystem.name, AssessmentSystem.tree),
        await rows(ManualScore.id, ManualScore.score),
        await s.scalar(select(func.count()).select_from(AssessmentRun)),
    )


async def test_isolation_matrix_for_every_assessment_field(api, system_session):
    s = system_session
    await enablement.enable_plugin(s, SYSTEM, OTHER_COUNTY, "assessment")
    await s.commit()
    fields = _fields(api.client.app, "county")
    assert set(fields) == set(MATRIX), "every assessment field needs its row in MATRIX"
    assert "assessmentRuns" not in str(api.client.app.state.schemas["township"]._schema.query_type.fields)
    leaks, changed, failed = [], [], []
    for name, fld in fields.items():
        state, owner = MATRIX[name]
        v = await _victim(s, state)
        query, variables, mutation = _operation(name, fld, _values(name, v))
        before = await _snapshot(s)
        for who in ATTACKERS:
            result = await api.gql(who, query, variables)
            if not _refused(result, name, v):
                leaks.append((name, who, result))
        if await _snapshot(s) != before:
            changed.append(name)
        result = await api.gql(owner, query, variables)
        if not _succeeded(result, name, mutation, v):
            failed.append((name, owner, query, result))
        if not mutation:  # the city above reads what its county assesses
            above = await api.gql("xc_assessor", query, variables)
            if not _succeeded(above, name, mutation, v):
                failed.append((name, "xc_assessor", query, above))
    assert leaks == []
    assert changed == []
    assert failed == []
