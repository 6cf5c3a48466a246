"""``zhengwu demo`` provisions 宣城市 with users, halls, an adopted catalog, intake's day of
cases at 宁国市, 方塘乡 and two of its villages, e-supervision's cards, complaint and rating, and
disclosure's year 2025 with both annual reports; twice is once."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.cli import invoke_cli
from zhengwu.core.catalog.models import CatalogItem, Implementation
from zhengwu.core.errors import NotFound
from zhengwu.core.security import passwords
from zhengwu.core.security.authn import build_principal
from zhengwu.core.security.grants import grant_ref
from zhengwu.core.security.models import Grant, User
from zhengwu.plugins.disclosure.models import DisclosureRequest, Publication
from zhengwu.plugins.intake import service
from zhengwu.plugins.intake.models import Case, CaseFee
from zhengwu.plugins.supervision.models import Complaint, Rating, RatingStep
from zhengwu.tenants.models import Tenant

passwords.use_fast_parameters()

DAY = {"submitted": 1, "needs_supplement": 1, "not_accepted": 1, "accepted": 3, "in_review": 1,
       "approved": 1, "delivered": 3}
"""Top-level cases of the demo day by status (the parallel approval counts once)."""


async def _count(session, model, *where):
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def _principal(session, username):
    user = await session.scalar(select(User).where(User.username == username))
    rows = (await session.execute(select(Grant.role, Grant.tenant_path, Grant.subtree)
                                  .where(Grant.user_id == user.id))).all()
    return build_principal(user, [grant_ref(r, p, s) for r, p, s in rows])


async def _statuses(session) -> dict[str, int]:
    rows = (await session.execute(select(Case.status, func.count()).where(Case.parent_id.is_(None))
                                  .group_by(Case.status))).all()
    return dict(rows)


async def _supervision(session) -> tuple:
    """(complaints, the ticket's status, ratings, the rating's level and rectification, steps)."""
    session.expire_all()
    ticket = await session.scalar(select(Complaint))
    rating = await session.scalar(select(Rating))
    return (await _count(session, Complaint), ticket.status if ticket else None,
            await _count(session, Rating), rating.level if rating else None,
            rating.rectification if rating else None, await _count(session, RatingStep))


async def _disclosure(session) -> tuple:
    """(publications by status, public ones, requests by status) of the demo year."""
    session.expire_all()
    pubs = dict((await session.execute(select(Publication.status, func.count())
                                       .group_by(Publication.status))).all())
    public = await _count(session, Publication, Publication.attribute == "proactive",
                          Publication.published_at.is_not(None), Publication.withdrawn_at.is_(None))
    reqs = dict((await session.execute(select(DisclosureRequest.status, func.count())
                                       .group_by(DisclosureRequest.status))).all())
    return pubs, public, reqs


DISCLOSURE = ({"published": 15, "withdrawn": 1, "leader": 1}, 14,
              {"replied": 13, "withdrawn": 1, "registered": 2})


async def test_demo_is_complete_and_idempotent(system_session, settings, monkeypatch, sessionmaker,
                                               tmp_path):
    monkeypatch.chdir(tmp_path)  # the demo writes its annual reports to ./demo-reports
    first = await invoke_cli(monkeypatch, settings, "demo")
    assert first.exit_code == 0, first.output
    assert "983 divisions added, 20 users created" in first.output
    assert await _count(system_session, Tenant, Tenant.path.startswith("34/3418/")) == 981
    assert await _count(system_session, CatalogItem, CatalogItem.status == "published") == 9
    county = await _count(system_session, Implementation, Implementation.tenant_path == "34/3418/341881")
    townships = await _count(system_session, Implementation, Implementation.tenant_path != "34/3418/341881")
    assert county == 5 and townships > 0 and townships % 4 == 0
    assert "11 created, 0 already there" in first.output

    # intake's day: every kind of case, one parallel approval, two agent-point cases
    assert await _statuses(system_session) == DAY
    parallel = (await system_session.scalars(select(Case).where(Case.is_parallel))).all()
    assert len(parallel) == 1
    parts = (await system_session.scalars(select(Case).where(Case.parent_id == parallel[0].id)
                                          .order_by(Case.case_no))).all()
    assert [p.status for p in parts] == ["approved", "accepted"]
    assert all(p.handling_path == "34/3418/341881" for p in parts)
    fee = await system_session.scalar(select(CaseFee))
    assert fee.amount_cents == 8000 and "不动产登记费" in fee.name
    agent_cases = (await system_session.scalars(select(Case).where(Case.channel == "agent")
                                                .order_by(Case.tenant_path))).all()
    assert [c.tenant_path.rsplit("/", 1)[-1] for c in agent_cases] == ["341881204200", "341881204201"]
    assert {c.handling_path for c in agent_cases} == {"34/3418/341881/341881204"}
    assert all(c.applicant_id_enc and c.applicant_id_enc.startswith("v1.") for c in agent_cases)
    instant = (await system_session.scalars(select(Case).where(Case.case_type == 1))).all()
    assert {c.item_name for c in instant} == {"内地居民婚姻登记", "生育登记"}
    assert {c.tenant_path.rsplit("/", 1)[-1] for c in instant} == {"341881", "341881204"}

    # the 方塘村 case: the village agent and the township see it, the sibling village does not
    fangtang_case = agent_cases[0].case_no
    for username, sees in (("fangtang_agent", True), ("fangtang_approver", True),
                           ("ningguo_approver", True), ("shuangcun_agent", False)):
        who = await _principal(system_session, username)
        async with sessionmaker() as scoped:  # row-level security with the person's scope
            scoped.info["scope"] = who.scope
            if sees:
                assert (await service.get_case(scoped, who, fangtang_case)).status == "approved"
            else:
                try:
                    await service.get_case(scoped, who, fangtang_case)
                    raise AssertionError(f"{username} must not see {fangtang_case}")
                except NotFound:
                    pass
                assert await scoped.scalar(select(func.count()).select_from(Case).where(
                    Case.case_no == fangtang_case, Case.tenant_path.startswith(who.scope))) == 0

    # supervision: a 12345 complaint handled to closure, a bad rating rectified
    assert "complaint DEMO-12345-0001 closed" in first.output, first.output
    assert "rectification closed" in first.output
    assert await _supervision(system_session) == (1, "closed", 1, 2, "closed", 4)

    # disclosure: a year of publications and requests, the annual reports rendered
    assert "17 publications and 16 requests created" in first.output, first.output
    assert await _disclosure(system_session) == DISCLOSURE
    reports = sorted(p.name for p in (tmp_path / "demo-reports").iterdir())
    assert reports == ["341881-2025.html", "341881-2025.xlsx", "341881204-2025.html",
                       "341881204-2025.xlsx"]
    page = (tmp_path / "demo-reports" / "341881-2025.html").read_text()
    assert "宁国市政府信息公开工作年度报告（2025年）" in page and "行政规范性文件" in page

    second = await invoke_cli(monkeypatch, settings, "demo")
    assert second.exit_code == 0, second.output
    assert "0 divisions added, 0 users created; catalog: 0 items created, 0" in second.output
    assert "0 created, 11 already there" in second.output
    assert await _count(system_session, User) == 20
    assert await _statuses(system_session) == DAY
    assert await _supervision(system_session) == (1, "closed", 1, 2, "closed", 4)
    assert "0 publications and 0 requests created" in second.output
    assert await _disclosure(system_session) == DISCLOSURE
