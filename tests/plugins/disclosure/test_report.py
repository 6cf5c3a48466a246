"""The annual report against HAND-COUNTED data for 2025, its checks and its isolation.

Rows are inserted directly (the request and publication services are built in parallel).

Requests of 宁国市 (kind, received, replied, reply → row of section 三):

* R1  natural_person  2024-12-20  2025-01-10  disclosed/provided        → 二, （一）
* R2  natural_person  2024-11-01  2024-11-20  disclosed/provided        → not in 2025 at all
* R3  natural_person  2025-03-01  2025-03-20  not_disclosed/state_secret → 一, （三）1
* R4  commercial      2025-04-01  2025-04-15  partly/third_party_rights → 一, （二）
* R5  commercial      2025-12-25  —                                      → 一, 四
* R6  research        2025-05-01  2025-05-20  cannot_provide/not_held   → 一, （四）1
* R7  research        2025-06-01  2025-06-10  cannot_provide/not_ours   → 一, （四）1
* R8  public_interest 2025-07-01  2025-07-05  not_processed/repeat      → 一, （五）2
* R9  legal_service   2025-08-01  2025-08-30  other/fee_unpaid          → 一, （六）2
* R10 other           2025-12-30  2026-01-05  disclosed/already_public  → 一, 四
* R11 natural_person  2024-12-28  —                                      → 二, 四
* R12 other           2025-02-01  2025-02-10  cannot_provide/still_unclear → 一, （四）3
* R13 natural_person  2026-01-05  —                                      → not in 2025

So 一 = np 1, com 2, res 2, pi 1, legal 1, other 2 (9); 二 = np 2 (2); （七） = np 2, com 1,
res 2, pi 1, legal 1, other 1 (8); 四 = np 1, com 1, other 1 (3); 2 + 9 = 8 + 3.

方塘乡 (township): T1 natural_person 2025-03-03 → 2025-03-10 disclosed/provided (一, （一）); T2
commercial 2024-12-01, open (二, 四). 宣州区 (sibling county): X1 natural_person 2025, open.

Publications of 宁国市 (kind, published, repealed / valid until / withdrawn):
P1 rule 2025-02-01; P2 normative 2025-03-01; P3 normative 2023-05-01 repealed 2025-06-01;
P4 normative 2022-01-01 valid until 2025-06-30; P5 normative 2024-01-01; P6 rule 2025-04-01
withdrawn 2025-05-01; P7 other 2025-03-01; P8 normative draft; P9 normative 2026-01-10; P10
rule 2024-06-01 repealed 2026-02-01; P11 rule first published 2024-05-01 (review step), a
revision republished 2025-03-01; P12 rule first published 2025-06-01 (review step), a revision
republished 2026-01-15. → 规章 issued 2 (P1, P12), repealed 0, in force 4 (P1, P10, P11, P12);
规范性文件 issued 1 (P2), repealed 1 (P3), in force 2 (P2, P5). 方塘乡: one normative 2025-07-01.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.plugins.disclosure.world import (
    COUNTY,
    SIBLING_COUNTY,
    TOWNSHIP,
    build_disclosure_world,
    principal,
)
from zhengwu.core.audit import AuditEntry
from zhengwu.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from zhengwu.core.security.principal import GrantRef, Principal
from zhengwu.plugins.disclosure import report as rep
from zhengwu.plugins.disclosure.models import (
    DisclosureRequest,
    Publication,
    ReportInput,
    ReviewStep,
)
from zhengwu.plugins.disclosure.report_inputs import ReportInputsChange, save_report_inputs
from zhengwu.tenants.models import Tenant

_seq = itertools.count(1)

REQUESTS: dict[str, list[tuple[str, date, date | None, str | None, str | None]]] = {
    COUNTY: [
        ("natural_person", date(2024, 12, 20), date(2025, 1, 10), "disclosed", "provided"),
        ("natural_person", date(2024, 11, 1), date(2024, 11, 20), "disclosed", "provided"),
        ("natural_person", date(2025, 3, 1), date(2025, 3, 20), "not_disclosed", "state_secret"),
        ("commercial", date(2025, 4, 1), date(2025, 4, 15), "partly_disclosed", "third_party_rights"),
        ("commercial", date(2025, 12, 25), None, None, None),
        ("research", date(2025, 5, 1), date(2025, 5, 20), "cannot_provide", "not_held"),
        ("research", date(2025, 6, 1), date(2025, 6, 10), "cannot_provide", "not_ours"),
        ("public_interest", date(2025, 7, 1), date(2025, 7, 5), "not_processed", "repeat"),
        ("legal_service", date(2025, 8, 1), date(2025, 8, 30), "other", "fee_unpaid"),
        ("other", date(2025, 12, 30), date(2026, 1, 5), "disclosed", "already_public"),
        ("natural_person", date(2024, 12, 28), None, None, None),
        ("other", date(2025, 2, 1), date(2025, 2, 10), "cannot_provide", "still_unclear"),
        ("natural_person", date(2026, 1, 5), None, None, None),
    ],
    TOWNSHIP: [
        ("natural_person", date(2025, 3, 3), date(2025, 3, 10), "disclosed", "provided"),
        ("commercial", date(2024, 12, 1), None, None, None),
    ],
    SIBLING_COUNTY: [("natural_person", date(2025, 3, 3), None, None, None)],
}

_D = date
PUBLICATIONS: dict[str, list[dict[str, Any]]] = {
    COUNTY: [
        {"doc_kind": "rule", "published_on": _D(2025, 2, 1)},
        {"doc_kind": "normative", "published_on": _D(2025, 3, 1)},
        {"doc_kind": "normative", "published_on": _D(2023, 5, 1), "repealed_on": _D(2025, 6, 1)},
        {"doc_kind": "normative", "published_on": _D(2022, 1, 1), "valid_until": _D(2025, 6, 30)},
        {"doc_kind": "normative", "published_on": _D(2024, 1, 1)},
        {"doc_kind": "rule", "published_on": _D(2025, 4, 1),
         "withdrawn_at": datetime(2025, 5, 1, 2, tzinfo=UTC), "status": "withdrawn"},
        {"doc_kind": "other", "published_on": _D(2025, 3, 1)},
        {"doc_kind": "normative", "published_on": None, "status": "draft"},
        {"doc_kind": "normative", "published_on": _D(2026, 1, 10)},
        {"doc_kind": "rule", "published_on": _D(2024, 6, 1), "repealed_on": _D(2026, 2, 1)},
        {"doc_kind": "rule", "published_on": _D(2025, 3, 1),
         "first_published_at": datetime(2024, 5, 1, 2, tzinfo=UTC)},
        {"doc_kind": "rule", "published_on": _D(2026, 1, 15),
         "first_published_at": datetime(2025, 6, 1, 2, tzinfo=UTC)},
    ],
    TOWNSHIP: [{"doc_kind": "normative", "published_on": _D(2025, 7, 1)}],
    SIBLING_COUNTY: [{"doc_kind": "rule", "published_on": _D(2025, 7, 1)}],
}

NG_INPUTS = ReportInputsChange(
    COUNTY, 2025,
    narratives={"overview": "宁国市2025年政务公开总体情况。", "problems": "存在的问题。"},
    review_litigation={"review_upheld": 1, "review_corrected": 1, "review_total": 2,
                       "direct_suit_pending": 1, "direct_suit_total": 1},
    proactive={"licensing": 120, "penalty": 30, "coercion": 4, "fees": 12.5})

COLS = ("natural_person", "commercial", "research", "public_interest", "legal_service", "other",
        "total")


async def tenant(session: AsyncSession, code: str) -> Tenant:
    found = await session.scalar(select(Tenant).where(Tenant.code == code))
    assert found is not None
    return found


def request_row(t: Tenant, kind: str, received: date, replied: date | None, type_: str | None,
                reason: str | None) -> DisclosureRequest:
    n = next(_seq)
    return DisclosureRequest(
        tenant_id=t.id, tenant_path=t.path, request_no=f"T{n:06d}", channel="online",
        requester_kind=kind, requester_name=f"申请人{n}", description="申请公开",
        submitted_at=datetime(received.year, received.month, received.day, 2, tzinfo=UTC),
        received_on=received, status="replied" if replied else "registered",
        clock_start=received, due_on=received, due_derivation={}, reply_type=type_,
        reply_reason=reason, replied_on=replied)


def publication_row(t: Tenant, **kw: Any) -> Publication:
    values: dict[str, Any] = {"status": "published" if kw.get("published_on") else "draft", **kw}
    return Publication(tenant_id=t.id, tenant_path=t.path, title=f"文件{next(_seq)}",
                       category_code="01", attribute="proactive", timing="long_term",
                       formed_on=date(2022, 1, 1), **values)


async def seed_report_data(session: AsyncSession, settings: Any = None, *,
                           build: bool = True, inputs: bool = True) -> None:
    """The world (unless built already) plus the hand-counted requests, publications and
    宁国市's (and 方塘乡's) inputs."""
    if build:
        await build_disclosure_world(session, settings)
    for code, rows in REQUESTS.items():
        t = await tenant(session, code)
        session.add_all(request_row(t, *r) for r in rows)
    for code, pubs in PUBLICATIONS.items():
        t = await tenant(session, code)
        for p in pubs:
            values = dict(p)
            first_at = values.pop("first_published_at", None)
            pub = publication_row(t, **values)
            session.add(pub)
            if first_at is not None:  # first published then; republished on published_on
                await session.flush()
                session.add_all(ReviewStep(
                    tenant_id=t.id, tenant_path=t.path, publication_id=pub.id, action="approve",
                    from_status="leader", to_status="published", at=at, version=v)
                    for v, at in ((1, first_at), (2, datetime.combine(
                        values["published_on"], datetime.min.time(), UTC))))
    await session.flush()
    if inputs:
        await save_report_inputs(session, principal("ng_editor"), NG_INPUTS)
        await save_report_inputs(session, principal("ft_editor"), ReportInputsChange(
            TOWNSHIP, 2025, proactive={"licensing": 5}, review_litigation={"review_pending": 1,
                                                                           "review_total": 1}))
    await session.commit()


def row(report: rep.AnnualReport, key: str) -> list[int]:
    values = report.table("requests").row(key).values
    return [int(v) for v in values]


@pytest.fixture
async def seeded(system_session, settings):
    await seed_report_data(system_session, settings)
    return system_session


# ------------------------------------------------------------------------------ the tables

async def test_the_matrix_against_hand_counted_requests(seeded):
    report = await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2025)
    assert (report.tenant_name, report.year, report.title) == (
        "宁国市", 2025, "宁国市政府信息公开工作年度报告（2025年）")
    assert [c.label for c in report.table("requests").columns] == [
        "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert row(report, "new") == [1, 2, 2, 1, 1, 2, 9]
    assert row(report, "carried_over") == [2, 0, 0, 0, 0, 0, 2]
    assert row(report, "result.1") == [1, 0, 0, 0, 0, 0, 1]
    assert row(report, "result.2") == [0, 1, 0, 0, 0, 0, 1]
    assert row(report, "result.3") == [1, 0, 0, 0, 0, 0, 1]
    assert row(report, "result.3.1") == [1, 0, 0, 0, 0, 0, 1]
    assert all(row(report, f"result.3.{i}") == [0] * 7 for i in range(2, 9))
    assert row(report, "result.4") == [0, 0, 2, 0, 0, 1, 3]
    assert row(report, "result.4.1") == [0, 0, 2, 0, 0, 0, 2]
    assert row(report, "result.4.2") == [0] * 7
    assert row(report, "result.4.3") == [0, 0, 0, 0, 0, 1, 1]
    assert row(report, "result.5") == row(report, "result.5.2") == [0, 0, 0, 1, 0, 0, 1]
    assert row(report, "result.6") == row(report, "result.6.2") == [0, 0, 0, 0, 1, 0, 1]
    assert row(report, "result.7") == [2, 1, 2, 1, 1, 1, 8]
    assert row(report, "carried_forward") == [1, 1, 0, 0, 0, 1, 3]
    # every row of the template, in its order
    keys = [r.key for r in report.table("requests").rows]
    assert keys == ["new", "carried_over", "result", "result.1", "result.2", "result.3",
                    *(f"result.3.{i}" for i in range(1, 9)), "result.4",
                    *(f"result.4.{i}" for i in range(1, 4)), "result.5",
                    *(f"result.5.{i}" for i in range(1, 6)), "result.6",
                    *(f"result.6.{i}" for i in range(1, 4)), "result.7", "carried_forward"]
    assert report.table("requests").row("result.3.3").label == "3．危及“三安全一稳定”"
    assert rep.consistency_problems(report) == []


async def test_sections_two_and_four_and_the_narratives(seeded):
    report = await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2025)
    assert [(s.number, s.title) for s in report.sections] == [
        ("一", "总体情况"), ("二", "主动公开政府信息情况"), ("三", "收到和处理政府信息公开申请情况"),
        ("四", "政府信息公开行政复议、行政诉讼情况"), ("五", "存在的主要问题及改进情况"),
        ("六", "其他需要报告的事项")]
    docs = report.table("proactive.20_1")
    assert [c.label for c in docs.columns] == ["本年制发件数", "本年废止件数", "现行有效件数"]
    assert docs.row("rule").values == (2, 0, 4)
    assert docs.row("normative").values == (1, 1, 2)
    assert report.table("proactive.20_5").cell("licensing", "decisions") == 120
    assert report.table("proactive.20_6").cell("penalty", "decisions") == 30
    assert report.table("proactive.20_6").cell("coercion", "decisions") == 4
    assert report.table("proactive.20_8").cell("fees", "amount") == 12.5
    assert "录入" in (report.table("proactive.20_8").note or "")
    review = report.table("review_litigation")
    assert len(review.columns) == 15
    assert review.cell("cases", "review_total") == 2
    assert review.cell("cases", "direct_suit_pending") == 1
    assert review.cell("cases", "suit_after_review_total") == 0
    assert report.section("一").narrative == "宁国市2025年政务公开总体情况。"
    assert report.section("五").narrative == "存在的问题。"
    assert report.section("六").narrative is None


async def test_a_year_without_anything_is_all_zeros(seeded):
    report = await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2019)
    assert all(v == 0 for t in (report.table("requests"), report.table("review_litigation"))
               for r in t.rows for v in r.values)


async def test_subtree_is_the_sum_of_its_tenants(seeded):
    own = await rep.annual_report(seeded, principal("ng_admin"), COUNTY, 2025)
    township = await rep.annual_report(seeded, principal("ng_admin"), TOWNSHIP, 2025)
    whole = await rep.annual_report(seeded, principal("ng_admin"), COUNTY, 2025, subtree=True)
    assert whole.subtree and whole.tenants_with_inputs == 2
    for table in ("requests", "review_litigation", "proactive.20_1", "proactive.20_5"):
        for r in whole.table(table).rows:
            expected = [a + b for a, b in zip(own.table(table).row(r.key).values,
                                              township.table(table).row(r.key).values,
                                              strict=True)]
            assert list(r.values) == expected, (table, r.key)
    assert row(whole, "new") == [2, 2, 2, 1, 1, 2, 10]
    assert row(whole, "carried_over") == [2, 1, 0, 0, 0, 0, 3]
    assert whole.table("proactive.20_1").row("normative").values == (2, 1, 3)
    assert whole.table("proactive.20_5").cell("licensing", "decisions") == 125
    assert whole.section("一").narrative == "宁国市2025年政务公开总体情况。"  # the asking tenant's


async def test_subtree_report_costs_one_statement_per_table(seeded, engine):
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await rep.compute_report(seeded, await tenant(seeded, COUNTY), 2025, subtree=True)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    touching = [s for s in statements if "disclosure_" in s]
    assert len(touching) == 3, touching  # requests, publications, report inputs


# ------------------------------------------------------------------------------ the checks

def _problems(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[str, str | None]]:
    assert exc.value.code == "disclosure_report.inconsistent"
    return [(p.code, p.field) for p in exc.value.params["problems"]]


async def test_hand_entered_carried_over_that_does_not_fit_fails_the_balance(seeded):
    await save_report_inputs(seeded, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, carried_over={"natural_person": 3, "research": 1}))
    with pytest.raises(Invalid) as exc:
        await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2025)
    assert sorted(_problems(exc)) == [
        ("disclosure_report.balance", "carried_over.natural_person"),
        ("disclosure_report.balance", "carried_over.research"),
        ("disclosure_report.balance", "carried_over.total")]
    problem = exc.value.params["problems"][0]
    assert problem.params["inflow"] == 2 + 3 + 1 and problem.params["outflow"] == 3
    assert "上年结转+本年新收 6 ≠ 办理结果总计+结转下年度 3" in exc.value.zh


async def test_a_carried_over_total_that_is_not_the_sum_fails_the_row_total(seeded):
    await save_report_inputs(seeded, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, carried_over={"total": 1}))
    with pytest.raises(Invalid) as exc:
        await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2025)
    assert _problems(exc) == [("disclosure_report.row_total", "carried_over.total"),
                              ("disclosure_report.balance", "carried_over.total")]


async def test_subtree_sums_entered_totals_with_the_columns_of_inputs_without_one(seeded):
    """方塘乡 enters a total, 宁国市 does not: the subtree's total is 1 + 2 (no false alarm);
    the carried-over figures still do not balance (no outcomes for them)."""
    await save_report_inputs(seeded, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, carried_over={"natural_person": 2}))
    await save_report_inputs(seeded, principal("ft_editor"), ReportInputsChange(
        TOWNSHIP, 2025, carried_over={"commercial": 1, "total": 1}))
    with pytest.raises(Invalid) as exc:
        await rep.annual_report(seeded, principal("ng_admin"), COUNTY, 2025, subtree=True)
    codes = _problems(exc)
    assert ("disclosure_report.row_total", "carried_over.total") not in codes
    assert ("disclosure_report.balance", "carried_over.natural_person") in codes
    report = await rep.compute_report(seeded, await tenant(seeded, COUNTY), 2025, subtree=True)
    assert row(report, "carried_over") == [4, 2, 0, 0, 0, 0, 6]


async def test_review_and_litigation_totals_are_checked(seeded):
    await save_report_inputs(seeded, principal("ng_editor"), ReportInputsChange(
        COUNTY, 2025, review_litigation={"review_upheld": 2, "review_total": 1,
                                         "direct_suit_total": 0, "suit_after_review_other": 1}))
    with pytest.raises(Invalid) as exc:
        await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2025)
    assert _problems(exc) == [
        ("disclosure_report.review_total", "review_litigation.review_total"),
        ("disclosure_report.review_total", "review_litigation.suit_after_review_total")]


async def test_replies_the_template_does_not_know_break_the_block_and_total_checks(seeded):
    ng = await tenant(seeded, COUNTY)
    seeded.add_all([
        request_row(ng, "research", date(2025, 9, 1), date(2025, 9, 2), "not_disclosed", "whim"),
        request_row(ng, "research", date(2025, 9, 1), date(2025, 9, 2), "bogus", "x"),
        request_row(ng, "martian", date(2025, 9, 1), None, None, None),
    ])
    await seeded.commit()
    with pytest.raises(Invalid) as exc:
        await rep.annual_report(seeded, principal("ng_editor"), COUNTY, 2025)
    assert sorted(set(_problems(exc))) == sorted({
        ("disclosure_report.row_total", "new.total"),
        ("disclosure_report.row_total", "carried_forward.total"),
        ("disclosure_report.results_total", "result.7.research"),
        ("disclosure_report.results_total", "result.7.total"),
        ("disclosure_report.block_total", "result.3.research"),
        ("disclosure_report.block_total", "result.3.total"),
    })


# ------------------------------------------------------------------------------ access

@pytest.mark.parametrize("who", ["xz_editor", "xz_admin", "gk_editor", "el_admin"])
async def test_outsiders_cannot_read_the_county_report(seeded, who):
    with pytest.raises(NotFound):
        await rep.annual_report(seeded, principal(who), COUNTY, 2025)


async def test_a_township_cannot_read_its_county_and_a_clerk_has_no_role(seeded):
    with pytest.raises(NotFound):
        await rep.annual_report(seeded, principal("ft_editor"), COUNTY, 2025)
    with pytest.raises(PermissionDenied):
        await rep.annual_report(seeded, principal("ng_clerk"), COUNTY, 2025)
    with pytest.raises(NotFound):
        await rep.annual_report(seeded, Principal.anonymous(), COUNTY, 2025)


async def test_the_sibling_county_sees_only_its_own(seeded):
    report = await rep.annual_report(seeded, principal("xz_editor"), SIBLING_COUNTY, 2025,
                                     subtree=True)
    assert row(report, "new") == [1, 0, 0, 0, 0, 0, 1]
    assert report.table("proactive.20_1").row("rule").values == (1, 0, 1)


async def test_not_enabled_and_bad_years(seeded):
    other = Principal(None, "root", None, "15", None, "15", "province", (GrantRef("province_admin", "15"),))
    with pytest.raises(Conflict) as exc:
        await rep.annual_report(seeded, other, "152501", 2025)
    assert exc.value.code == "plugin.not_enabled"
    for year in (2007, 2099):
        with pytest.raises(Invalid) as bad:
            await rep.annual_report(seeded, principal("ng_editor"), COUNTY, year)
        assert bad.value.code == "disclosure_report.year"


# ------------------------------------------------------------------------------ inputs

async def test_inputs_are_validated_all_at_once_and_nothing_is_written(seeded):
    before = (await seeded.scalars(select(ReportInput))).all()
    snapshot = {(r.tenant_id, r.year): (dict(r.proactive), dict(r.review_litigation))
                for r in before}
    with pytest.raises(Invalid) as exc:
        await save_report_inputs(seeded, principal("ng_editor"), ReportInputsChange(
            COUNTY, 2025, narratives={"overview": 3, "summary": "x"},
            review_litigation={"review_upheld": -1, "review_total": 1.5, "review_final": 1},
            proactive={"licensing": "12", "fees": -2}, carried_over={"natural_person": True}))
    assert exc.value.code == "disclosure_report.invalid"
    assert [(p.code, p.field) for p in exc.value.params["problems"]] == [
        ("disclosure_report.input_not_text", "narratives.overview"),
        ("disclosure_report.input_key_unknown", "narratives.summary"),
        ("disclosure_report.input_count", "reviewLitigation.review_upheld"),
        ("disclosure_report.input_count", "reviewLitigation.review_total"),
        ("disclosure_report.input_key_unknown", "reviewLitigation.review_final"),
        ("disclosure_report.input_count", "proactive.licensing"),
        ("disclosure_report.input_amount", "proactive.fees"),
        ("disclosure_report.input_count", "carriedOver.natural_person"),
    ]
    await seeded.rollback()
    after = (await seeded.scalars(select(ReportInput))).all()
    assert {(r.tenant_id, r.year): (dict(r.proactive), dict(r.review_litigation))
            for r in after} == snapshot


async def test_inputs_upsert_one_row_keep_parts_left_out_and_are_audited(seeded):
    ng = await tenant(seeded, COUNTY)
    await save_report_inputs(seeded, principal("ng_approver"), ReportInputsChange(
        COUNTY, 2025, proactive={"licensing": 7}))
    await seeded.commit()
    rows = (await seeded.scalars(select(ReportInput).where(ReportInput.tenant_id == ng.id))).all()
    assert len(rows) == 1
    assert rows[0].proactive == {"licensing": 7}
    assert rows[0].review_litigation["review_total"] == 2  # kept
    entries = (await seeded.scalars(select(AuditEntry).where(
        AuditEntry.action == "disclosure_report.inputs", AuditEntry.tenant_id == ng.id)
        .order_by(AuditEntry.seq))).all()
    assert len(entries) == 2
    assert entries[-1].before is not None and entries[-1].before["proactive"]["licensing"] == 120
    assert entries[-1].after is not None and entries[-1].after["proactive"] == {"licensing": 7}


@pytest.mark.parametrize("who", ["ng_reviewer", "ng_clerk", "ng_supervisor"])
async def test_only_writers_save_inputs(seeded, who):
    with pytest.raises(PermissionDenied):
        await save_report_inputs(seeded, principal(who), ReportInputsChange(
            COUNTY, 2025, proactive={"licensing": 1}))


@pytest.mark.parametrize("who", ["xz_admin", "gk_editor", "el_admin", "ft_editor"])
async def test_outsiders_cannot_save_the_county_inputs(seeded, who):
    with pytest.raises(NotFound):
        await save_report_inputs(seeded, principal(who), ReportInputsChange(
            COUNTY, 2025, proactive={"licensing": 1}))


# ------------------------------------------------------------------------------ end to end

async def test_requests_handled_through_the_service_land_in_their_rows(system_session, settings):
    """Registered, replied and withdrawn through ``requests`` (not inserted): the report of
    2025 carries one forward, the report of 2026 carries it over and counts every reply."""
    from tests.plugins.disclosure.world import at
    from zhengwu.plugins.disclosure import requests as svc

    s = system_session
    await build_disclosure_world(s, settings)
    ed = principal("ng_editor")

    def new(kind: str) -> svc.NewRequest:
        return svc.NewRequest(channel="in_person", requester_kind=kind, requester_name="申请人",
                              description="2025年本市农村危房改造补助名单")

    with at(2025, 12, 29):
        late = await svc.register_request(s, ed, new("natural_person"))
    with at(2026, 3, 2):
        secret = await svc.register_request(s, ed, new("commercial"))
        gone = await svc.register_request(s, ed, new("research"))
    with at(2026, 1, 5):
        await svc.reply_request(s, ed, late.id, svc.Reply("disclosed", "provided", "予以提供"))
    with at(2026, 3, 5):
        await svc.reply_request(s, ed, secret.id, svc.Reply("not_disclosed", "state_secret",
                                                            "属于国家秘密"))
        await svc.withdraw_request(s, ed, gone.id, "申请人不再需要")
    await s.commit()

    y2025 = await rep.annual_report(s, ed, COUNTY, 2025)
    assert row(y2025, "new") == [1, 0, 0, 0, 0, 0, 1]
    assert row(y2025, "result.7") == [0] * 7
    assert row(y2025, "carried_forward") == [1, 0, 0, 0, 0, 0, 1]
    y2026 = await rep.annual_report(s, ed, COUNTY, 2026)
    assert row(y2026, "carried_over") == [1, 0, 0, 0, 0, 0, 1]
    assert row(y2026, "new") == [0, 1, 1, 0, 0, 0, 2]
    assert row(y2026, "result.1") == [1, 0, 0, 0, 0, 0, 1]
    assert row(y2026, "result.3.1") == [0, 1, 0, 0, 0, 0, 1]
    assert row(y2026, "result.6.3") == row(y2026, "result.6") == [0, 0, 1, 0, 0, 0, 1]
    assert row(y2026, "result.7") == [1, 1, 1, 0, 0, 0, 3]
    assert row(y2026, "carried_forward") == [0] * 7
