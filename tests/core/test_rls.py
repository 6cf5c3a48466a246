"""PostgreSQL row-level security: the database itself keeps tenants apart.

These tests bypass the application's own filters on purpose (raw ``SELECT *`` with no
WHERE) and show that a principal still sees no foreign row, that a missing scope sees
nothing (fail closed), that a scope never leaks to the next user of a pooled connection,
and that a foreign row cannot be written.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.world import PATHS, build_world
from zhengwu.core.db import scoped_session
from zhengwu.core.security.models import User
from zhengwu.models import tenant_owned_tables
from zhengwu.tenants.models import Venue

pytestmark = pytest.mark.pg_only


@pytest.fixture
async def pg_world(settings, system_session):
    assert settings.is_postgres
    await build_world(system_session)
    for key in ("county", "sibling_county", "township", "other_county"):
        system_session.add(User(username=f"u-{key}", display_name=key, tenant_id=uuid.uuid4(),
                                tenant_path=PATHS[key]))
        system_session.add(Venue(kind="service_centre", name=f"中心-{key}", tenant_id=uuid.uuid4(),
                                 tenant_path=PATHS[key]))
    await system_session.commit()


async def _usernames(session) -> set[str]:
    rows = await session.execute(text("SELECT username FROM users"))  # no filter at all
    return {r[0] for r in rows}


async def test_raw_select_sees_only_the_subtree(pg_world, sessionmaker):
    async with scoped_session(sessionmaker, PATHS["county"]) as s:
        assert await _usernames(s) == {"u-county", "u-township"}
        venues = (await s.execute(text("SELECT name FROM venues"))).scalars().all()
        assert sorted(venues) == ["中心-county", "中心-township"]
    async with scoped_session(sessionmaker, PATHS["other_county"]) as s:
        assert await _usernames(s) == {"u-other_county"}


async def test_missing_or_empty_scope_sees_nothing(pg_world, sessionmaker, engine):
    async with scoped_session(sessionmaker, "") as s:
        assert await _usernames(s) == set()
    async with sessionmaker() as s:  # no scope set at all
        assert await _usernames(s) == set()
    async with engine.connect() as conn:  # Core connection that skipped the session event
        assert (await conn.execute(text("SELECT count(*) FROM users"))).scalar() == 0


async def test_scope_never_leaks_to_the_next_transaction(pg_world, sessionmaker):
    # The pool hands the same connection back; the scope was transaction-local.
    for _ in range(5):
        async with scoped_session(sessionmaker, PATHS["county"]) as s:
            assert len(await _usernames(s)) == 2
        async with sessionmaker() as s:
            assert await _usernames(s) == set()
            raw = (await s.execute(text("SELECT current_setting('zhengwu.scope', true)"))).scalar()
            assert raw in ("", None)


async def test_foreign_rows_cannot_be_written(pg_world, sessionmaker):
    async with scoped_session(sessionmaker, PATHS["county"]) as s:
        s.add(User(username="intruder", display_name="x", tenant_id=uuid.uuid4(),
                   tenant_path=PATHS["sibling_county"]))
        with pytest.raises(Exception, match="row-level security"):
            await s.flush()
        await s.rollback()
        # Updating a foreign row silently matches nothing: it is invisible.
        res = await s.execute(text("UPDATE users SET display_name = 'pwned' WHERE username = 'u-sibling_county'"))
        assert res.rowcount == 0
        # Moving an own row out of the subtree is refused.
        with pytest.raises(Exception, match="row-level security"):
            await s.execute(text("UPDATE users SET tenant_path = :p WHERE username = 'u-county'"),
                            {"p": PATHS["sibling_county"]})
        await s.rollback()


async def test_prefix_lookalike_paths_are_not_in_the_subtree(pg_world, sessionmaker, system_session):
    # 34/3418/3418810 would match a naive LIKE '34/3418/341881%'; the range form excludes it.
    system_session.add(User(username="lookalike", display_name="x", tenant_id=uuid.uuid4(),
                            tenant_path=PATHS["county"] + "0"))
    await system_session.commit()
    async with scoped_session(sessionmaker, PATHS["county"]) as s:
        assert "lookalike" not in await _usernames(s)


async def test_app_role_cannot_bypass(pg_world, sessionmaker):
    async with sessionmaker() as s:
        row = (await s.execute(text(
            "SELECT current_user, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user"
        ))).one()
        assert row[0] == "zhengwu_app" and row[1] is False and row[2] is False
        rows = (await s.execute(text(
            "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
            "WHERE relkind = 'r' AND relname = ANY(:names)"), {"names": tenant_owned_tables()}
        )).all()
        # Every table with a tenant_path column, core or plugin, has forced RLS.
        assert {name for name, forced in rows if forced} == set(tenant_owned_tables())


async def test_role_survives_rolled_back_transactions(pg_world, sessionmaker):
    # Regression: a role set inside a first transaction was undone by its rollback, and
    # the pooled connection then ran as the (superuser) login role, bypassing RLS.
    for _ in range(4):
        async with sessionmaker() as s:
            assert (await s.execute(text("SELECT current_user"))).scalar() == "zhengwu_app"
            await s.rollback()
