"""The review chain: every action from every state (allowed and refused, table-driven), major
and non-major items, return and resubmit, revise while the public keeps the published text,
withdraw, roles from the tenant's settings, own drafts, every step recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.plugins.disclosure.world import COUNTY, SYSTEM, TOWNSHIP, at, build_disclosure_world, principal
from zhengwu.core.errors import DomainError, Invalid, NotFound, PermissionDenied
from zhengwu.plugins.disclosure import publications as pubs
from zhengwu.plugins.disclosure import review
from zhengwu.plugins.disclosure.models import Publication, ReviewStep
from zhengwu.tenants.settings import set_setting


@pytest.fixture
async def world(system_session, settings):
    await build_disclosure_world(system_session, settings, with_users=True)
    return system_session


def fields(**kw: Any) -> pubs.PublicationFields:
    base: dict[str, Any] = {"title": "宁国市2026年部门预算", "category_code": "07",
                            "formed_on": date(2026, 10, 9), "disclosure_kinds": ("result",),
                            "body": "预算正文", "timing": "periodic"}
    return pubs.PublicationFields(**{**base, **kw})


EDITOR, REVIEWER, APPROVER = "ng_editor", "ng_reviewer", "ng_approver"
LATER = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)  # an hour after the frozen 10:00 Shanghai


async def draft(s: Any, major: bool = False, tenant: str = COUNTY, editor: str = EDITOR,
                **kw: Any) -> Publication:
    pub = await pubs.create_publication(s, principal(editor), tenant, fields(is_major=major, **kw))
    await s.commit()
    return pub


async def undo(s: Any, *objs: Any) -> None:
    """Roll back a refused attempt and reload the objects the test keeps using."""
    await s.rollback()
    for o in objs:
        await s.refresh(o)


async def act(s: Any, pub: Publication, action: str, who: str | None = None) -> Publication:
    """Run ``action`` on ``pub`` as the person who normally does it (or ``who``)."""
    step = pub.status
    default = {"submit": EDITOR, "revise": EDITOR, "withdraw": REVIEWER,
               "approve": APPROVER if step == "principal" else REVIEWER,
               "return": APPROVER if step == "principal" else REVIEWER}[action]
    p = principal(who or default)
    if action == "submit":
        out = await review.submit(s, p, pub.id)
    elif action == "approve":
        out = await review.approve(s, p, pub.id, "同意")
    elif action == "return":
        out = await review.return_(s, p, pub.id, "请补充依据")
    elif action == "revise":
        out = await review.revise(s, p, pub.id, "更正数字")
    else:
        out = await review.withdraw(s, p, pub.id, "信息有误")
    await s.commit()
    return out


PATHS = {  # how to bring a (non-major | major) item to each state
    "draft": [], "confidentiality": ["submit"], "returned": ["submit", "return"],
    "leader": ["submit", "approve"], "principal": ["submit", "approve", "approve"],
    "published": ["submit", "approve", "approve"], "withdrawn": ["withdraw"],
}

NO = "publication.transition_not_allowed"
# (state, major) → action → resulting state or the refusal's code
TABLE: dict[tuple[str, bool], dict[str, str]] = {
    ("draft", False): {"submit": "confidentiality", "approve": NO, "return": NO, "revise": NO,
                       "withdraw": "withdrawn"},
    ("returned", False): {"submit": "confidentiality", "approve": NO, "return": NO, "revise": NO,
                          "withdraw": "withdrawn"},
    ("confidentiality", False): {"submit": NO, "approve": "leader", "return": "returned",
                                 "revise": NO, "withdraw": "withdrawn"},
    ("leader", False): {"submit": NO, "approve": "published", "return": "returned", "revise": NO,
                        "withdraw": "withdrawn"},
    ("leader", True): {"submit": NO, "approve": "principal", "return": "returned", "revise": NO,
                       "withdraw": "withdrawn"},
    ("principal", True): {"submit": NO, "approve": "published", "return": "returned",
                          "revise": NO, "withdraw": "withdrawn"},
    ("published", False): {"submit": NO, "approve": NO, "return": NO, "revise": "draft",
                           "withdraw": "withdrawn"},
    ("withdrawn", False): {"submit": NO, "approve": NO, "return": NO, "revise": NO,
                           "withdraw": NO},
}
CASES = [(state, major, action, expected) for (state, major), row in TABLE.items()
         for action, expected in row.items()]


async def test_every_action_from_every_state(world):
    s = world
    with at(2026, 10, 12):
        for state, major, action, expected in CASES:
            pub = await draft(s, major=major, title=f"{state}-{major}-{action}")
            for step in PATHS[state]:
                pub = await act(s, pub, step)
            assert pub.status == state, (state, major)
            before = len(await pubs.review_steps_of(s, pub))
            if expected == NO:
                with pytest.raises(DomainError) as err:
                    await act(s, pub, action)
                await undo(s, pub)
                assert err.value.code == NO, (state, major, action, err.value)
                assert err.value.params["status"] == state
                assert err.value.params["action"] == action
                refreshed = await s.get(Publication, pub.id)
                assert refreshed is not None and refreshed.status == state
                assert len(await pubs.review_steps_of(s, refreshed)) == before
            else:
                out = await act(s, pub, action)
                assert out.status == expected, (state, major, action)
                steps = await pubs.review_steps_of(s, out)
                assert len(steps) == before + 1
                last = steps[-1]
                assert (last.action, last.from_status, last.to_status) == (action, state, expected)
                assert last.actor_name and last.at is not None


async def test_non_major_and_major_chains_record_every_step(world):
    s = world
    with at(2026, 10, 12):
        small = await draft(s)
        for a in ("submit", "approve", "approve"):
            small = await act(s, small, a)
        assert small.status == "published"
        big = await draft(s, major=True, title="重大事项")
        for a in ("submit", "approve", "approve", "approve"):
            big = await act(s, big, a)
        assert big.status == "published"
        steps = await pubs.review_steps_of(s, big)
        assert [(x.action, x.to_status, x.actor_name, x.actor_role, x.version) for x in steps] == [
            ("submit", "confidentiality", EDITOR, "disclosure_editor", 1),
            ("approve", "leader", REVIEWER, "disclosure_reviewer", 1),
            ("approve", "principal", REVIEWER, "disclosure_reviewer", 1),
            ("approve", "published", APPROVER, "disclosure_approver", 1),
        ]
        assert steps[1].comment == "同意"


async def test_return_needs_a_comment_and_the_item_is_resubmitted(world):
    s = world
    with at(2026, 10, 12):
        pub = await act(s, await draft(s), "submit")
        with pytest.raises(Invalid) as err:
            await review.return_(s, principal(REVIEWER), pub.id, "  ")
        assert err.value.code == "publication.comment_required"
        await undo(s, pub)
        pub = await act(s, pub, "return")
        assert pub.status == "returned"
        pub = await pubs.update_publication(s, principal(EDITOR), pub.id, {"body": "补充了依据"})
        pub = await act(s, pub, "submit")
        assert pub.status == "confidentiality"
        with pytest.raises(Invalid) as err:
            await review.withdraw(s, principal(REVIEWER), pub.id, "")
        assert err.value.code == "publication.reason_required"


async def test_revise_keeps_the_public_text_until_republished(world):
    s = world
    with at(2026, 10, 12):
        pub = await draft(s)
        for a in ("submit", "approve", "approve"):
            pub = await act(s, pub, a)
        index_no, first_at = pub.index_no, pub.published_at
        assert pubs.is_public(pub) and pub.published_title == "宁国市2026年部门预算"
    with at(2026, 10, 20):
        pub = await act(s, pub, "revise")
        assert (pub.status, pub.version) == ("draft", 2)
        pub = await pubs.update_publication(s, principal(EDITOR), pub.id,
                                            {"title": "宁国市2026年部门预算（修订）", "body": "新正文"})
        await s.commit()
        pub = await act(s, pub, "submit")
        pub = await act(s, pub, "approve")
        # still in the chain: the public sees the first version
        assert pubs.is_public(pub)
        assert (pub.published_title, pub.published_body) == ("宁国市2026年部门预算", "预算正文")
        pub = await act(s, pub, "approve")
        assert (pub.published_title, pub.published_body) == ("宁国市2026年部门预算（修订）", "新正文")
        assert pub.index_no == index_no and pub.published_on == date(2026, 10, 20)
        assert pub.published_at != first_at
        versions = {x.version for x in await pubs.review_steps_of(s, pub)}
        assert versions == {1, 2}


async def test_withdraw_takes_the_item_off_the_feed(world):
    s = world
    with at(2026, 10, 12):
        pub = await draft(s)
        for a in ("submit", "approve", "approve"):
            pub = await act(s, pub, a)
        assert pubs.is_public(pub)
        with pytest.raises(PermissionDenied):  # editors do not withdraw
            await review.withdraw(s, principal(EDITOR), pub.id, "错误")
        pub = await act(s, pub, "withdraw")
        assert not pubs.is_public(pub)
        assert pub.published_at is not None and pub.withdrawn_at is not None
        assert pub.withdraw_reason == "信息有误"


async def test_roles_come_from_the_tenant_settings(world):
    s = world
    with at(2026, 10, 12):
        pub = await act(s, await draft(s), "submit")
        # the approver does not hold the confidentiality step's role (disclosure_reviewer)
        with pytest.raises(review.RoleRequired) as err:
            await review.approve(s, principal(APPROVER), pub.id)
        assert (err.value.code, err.value.params["role"]) == ("publication.role_required",
                                                              "disclosure_reviewer")
        await undo(s, pub)
        # the county gives the confidentiality review to its approvers
        await set_setting(s, SYSTEM, COUNTY, "disclosure", "step_roles",
                          {"confidentiality": "disclosure_approver"})
        await s.commit()
        with pytest.raises(review.RoleRequired):
            await review.approve(s, principal(REVIEWER), pub.id)
        await undo(s, pub)
        pub = await act(s, pub, "approve", who=APPROVER)
        assert pub.status == "leader"
        steps = await pubs.review_steps_of(s, pub)
        assert steps[-1].actor_role == "disclosure_approver"
        # a role whose permissions lack publication:approve cannot do the principal step
        await set_setting(s, SYSTEM, COUNTY, "disclosure", "step_roles",
                          {"confidentiality": "disclosure_approver", "principal": "disclosure_reviewer"})
        await s.commit()
        big = await draft(s, major=True, title="重大")
        big = await act(s, big, "submit")
        big = await act(s, big, "approve", who=APPROVER)
        big = await act(s, big, "approve", who=REVIEWER)
        assert big.status == "principal"
        with pytest.raises(PermissionDenied):
            await review.approve(s, principal(REVIEWER), big.id)
        await undo(s, big)
        with pytest.raises(review.RoleRequired):
            await review.approve(s, principal(APPROVER), big.id)
        await undo(s, big)
        # 方塘乡 inherits the county's setting
        ft = await draft(s, tenant=TOWNSHIP, editor="ft_editor")
        ft = await act(s, ft, "submit", who="ft_editor")
        with pytest.raises(review.RoleRequired):
            await review.approve(s, principal("ft_reviewer"), ft.id)
        await undo(s, ft)
        ft = await act(s, ft, "approve", who="ft_approver")
        assert ft.status == "leader"


async def test_nobody_reviews_their_own_draft_and_outsiders_cannot_act(world):
    s = world
    with at(2026, 10, 12):
        # ng_approver drafts (approvers may not draft: only editors hold publication:draft)
        with pytest.raises(PermissionDenied):
            await pubs.create_publication(s, principal(APPROVER), COUNTY, fields())
        await s.rollback()
        await set_setting(s, SYSTEM, COUNTY, "disclosure", "step_roles",
                          {"confidentiality": "disclosure_editor"})
        await s.commit()
        pub = await act(s, await draft(s), "submit")
        # the editor holds the step's role but not publication:review
        with pytest.raises(PermissionDenied):
            await review.approve(s, principal(EDITOR), pub.id)
        await undo(s, pub)
    s2 = world
    with at(2026, 10, 12):
        await set_setting(s2, SYSTEM, COUNTY, "disclosure", "step_roles",
                          {"confidentiality": "disclosure_reviewer"})
        await s2.commit()
        # a reviewer who submitted the item cannot review it
        step = ReviewStep(publication_id=pub.id, tenant_id=pub.tenant_id,
                          tenant_path=pub.tenant_path, action="submit", from_status="returned",
                          to_status="confidentiality", actor_name=REVIEWER, at=LATER,
                          version=pub.version)
        s2.add(step)
        await s2.commit()
        with pytest.raises(DomainError) as err:
            await review.approve(s2, principal(REVIEWER), pub.id)
        assert err.value.code == "publication.own_draft"
        await undo(s2, pub)
        for who in ("xz_editor", "xz_admin", "gk_editor", "el_admin", "ft_reviewer"):
            with pytest.raises(NotFound):
                await review.approve(s2, principal(who), pub.id)
            with pytest.raises(NotFound):
                await review.withdraw(s2, principal(who), pub.id, "越权")
        with pytest.raises(PermissionDenied):
            await review.approve(s2, principal("ng_clerk"), pub.id)
        rows = (await s2.scalars(select(ReviewStep).where(ReviewStep.publication_id == pub.id))).all()
        assert len(rows) == 2


@pytest.mark.parametrize(("first", "then"), [("not_disclosed", "proactive"),
                                             ("proactive", "on_request")])
async def test_a_revision_cannot_change_the_attribute(world, first, then):
    """The feed reads the row's attribute: a revision that made a published not-disclosed item
    proactive would put its published text on the feed with no review; one that made a public
    item on-request would take it off the feed without the withdraw permission."""
    s = world
    ground = "internal_affairs" if first == "not_disclosed" else None
    with at(2026, 10, 12):
        pub = await draft(s, attribute=first, withhold_ground=ground)
        for a in ("submit", "approve", "approve"):
            pub = await act(s, pub, a)
        was_public = pubs.is_public(pub)
        pub = await act(s, pub, "revise")
        with pytest.raises(DomainError) as e:
            await pubs.update_publication(s, principal(EDITOR), pub.id,
                                          {"attribute": then, "withhold_ground": None})
        assert e.value.code == "publication.attribute_locked"
        await undo(s, pub)
        assert pub.attribute == first and pubs.is_public(pub) == was_public
        # the other fields still change; the same attribute is accepted
        pub = await pubs.update_publication(s, principal(EDITOR), pub.id,
                                            {"attribute": first, "title": "修订标题"})
        assert pub.title == "修订标题"
