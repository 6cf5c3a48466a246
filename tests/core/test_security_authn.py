"""Authentication: login and lockout, JWTs, API tokens and the acting tenant."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr
from sqlalchemy import event, select

from tests.core.security_support import (
    PASSWORD,
    SYSTEM,
    acting_session,
    make_user,
    principal_of,
)
from tests.world import build_world
from zhengwu.core import audit, clock
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.errors import AccountLocked, AuthenticationFailed, Invalid, NotFound
from zhengwu.core.security import authn, tokens, users
from zhengwu.core.security.models import ApiToken, User
from zhengwu.core.security.principal import GrantRef

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


async def _login(sessionmaker, settings, username, password):
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        return await authn.login(s, settings, username, password)


async def _principal(sessionmaker, settings, token, acting=None):
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        return await authn.principal_for_bearer(s, settings, token, acting)


async def _user(sessionmaker, username) -> User:
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        return (await s.scalars(select(User).where(User.username == username))).one()


# ----------------------------------------------------------------------- login and JWT


async def test_login_and_jwt_round_trip(system_session, sessionmaker, settings):
    await build_world(system_session)
    user = await make_user(system_session, settings, "ng.admin", "341881",
                           [("county_admin", "341881", True), ("auditor", "341881204", False)])
    token = await _login(sessionmaker, settings, "NG.Admin", PASSWORD)
    claims = jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=["HS256"],
                        issuer="zhengwu")
    assert claims["sub"] == str(user.id) and claims["jti"]
    assert claims["exp"] - claims["iat"] == settings.jwt_ttl_seconds
    p = await _principal(sessionmaker, settings, token)
    assert p.user_id == user.id and p.username == "ng.admin" and p.kind == "person"
    assert p.home_path == p.acting_path == p.scope == "34/3418/341881"
    assert p.acting_tier == "county" and p.acting_tenant_id == user.tenant_id
    assert set(p.grants) == {GrantRef("county_admin", "34/3418/341881", True),
                             GrantRef("auditor", "34/3418/341881/341881204", False)}
    assert (await _user(sessionmaker, "ng.admin")).last_login_at is not None
    # The "Bearer " prefix is tolerated.
    assert (await _principal(sessionmaker, settings, f"Bearer {token}")).user_id == user.id


async def test_unknown_user_and_wrong_password_look_the_same(system_session, sessionmaker,
                                                             settings):
    await build_world(system_session)
    await make_user(system_session, settings, "ng.admin", "341881")
    errors = []
    for name, pw in [("ng.admin", "Wrong-Password-1"), ("nobody", PASSWORD), ("x", PASSWORD)]:
        with pytest.raises(AuthenticationFailed) as e:
            await _login(sessionmaker, settings, name, pw)
        errors.append((e.value.code, e.value.zh, e.value.en))
    assert len(set(errors)) == 1 and errors[0][0] == "auth.invalid_credentials"


async def test_unknown_user_is_verified_against_a_dummy(system_session, sessionmaker, settings,
                                                        monkeypatch):
    await build_world(system_session)
    calls = []
    real = authn.passwords.verify_dummy

    async def spy(password):
        calls.append(password)
        await real(password)

    monkeypatch.setattr(authn.passwords, "verify_dummy", spy)
    with pytest.raises(AuthenticationFailed):
        await _login(sessionmaker, settings, "nobody", "guess")
    assert calls == ["guess"]


async def test_expired_and_forged_tokens(system_session, sessionmaker, settings):
    await build_world(system_session)
    user = await make_user(system_session, settings, "ng.admin", "341881")
    with clock.freeze(T0):
        token = tokens.issue_jwt(settings, user.id)
        assert (await _principal(sessionmaker, settings, token)).user_id == user.id
    with clock.freeze(T0 + timedelta(seconds=settings.jwt_ttl_seconds - 1)):
        assert (await _principal(sessionmaker, settings, token)).user_id == user.id
    with clock.freeze(T0 + timedelta(seconds=settings.jwt_ttl_seconds)), \
            pytest.raises(AuthenticationFailed) as e:
        await _principal(sessionmaker, settings, token)
    assert e.value.code == "auth.token_expired"

    other = settings.model_copy(update={"secret_key": SecretStr("another-secret-key-" + "x" * 40)})
    now = int(time.time())
    claims = {"iss": "zhengwu", "sub": str(user.id), "iat": now, "exp": now + 600, "jti": "j"}
    forged = [
        tokens.issue_jwt(other, user.id),  # signed with another key
        jwt.encode(claims, "", algorithm="none"),  # unsigned
        tokens.issue_jwt(settings, user.id)[:-4] + "AAAA",  # tampered signature
        jwt.encode({**claims, "iss": "elsewhere"}, settings.secret_key.get_secret_value(),
                   algorithm="HS256"),
        jwt.encode({k: v for k, v in claims.items() if k != "jti"},
                   settings.secret_key.get_secret_value(), algorithm="HS256"),
        jwt.encode({**claims, "sub": str(uuid.uuid4())},  # well signed, nobody
                   settings.secret_key.get_secret_value(), algorithm="HS256"),
        "not-a-token", "", "zw_short_x",
    ]
    for bad in forged:
        with pytest.raises(AuthenticationFailed) as e:
            await _principal(sessionmaker, settings, bad)
        assert e.value.code == "auth.token_invalid", bad


async def test_lockout_after_consecutive_failures_and_reset(system_session, sessionmaker,
                                                            settings):
    await build_world(system_session)
    await make_user(system_session, settings, "ng.admin", "341881")
    s3 = settings.model_copy(update={"login_max_failures": 3, "login_lockout_seconds": 600})
    with clock.freeze(T0):
        for _ in range(2):
            with pytest.raises(AuthenticationFailed):
                await _login(sessionmaker, s3, "ng.admin", "Wrong-Password-1")
        # A success resets the count ...
        await _login(sessionmaker, s3, "ng.admin", PASSWORD)
        assert (await _user(sessionmaker, "ng.admin")).failed_logins == 0
        for _ in range(2):
            with pytest.raises(AuthenticationFailed):
                await _login(sessionmaker, s3, "ng.admin", "Wrong-Password-1")
        # ... so only the third consecutive failure locks.
        with pytest.raises(AccountLocked) as e:
            await _login(sessionmaker, s3, "ng.admin", "Wrong-Password-1")
        assert e.value.code == "auth.account_locked"
        # While locked, even the right password is refused.
        with pytest.raises(AccountLocked):
            await _login(sessionmaker, s3, "ng.admin", PASSWORD)
    with clock.freeze(T0 + timedelta(seconds=599)), pytest.raises(AccountLocked):
        await _login(sessionmaker, s3, "ng.admin", PASSWORD)
    with clock.freeze(T0 + timedelta(seconds=600)):
        assert await _login(sessionmaker, s3, "ng.admin", PASSWORD)
    u = await _user(sessionmaker, "ng.admin")
    assert u.failed_logins == 0 and u.locked_until is None
    locked = await system_session.scalar(select(audit.AuditEntry)
                                         .where(audit.AuditEntry.action == "user.locked"))
    assert locked is not None and locked.tenant_path == "34/3418/341881"


async def test_failed_attempts_survive_the_callers_rollback(system_session, sessionmaker,
                                                            settings):
    await build_world(system_session)
    await make_user(system_session, settings, "ng.admin", "341881")
    async with scoped_session(sessionmaker, ALL_SCOPE) as s:
        with pytest.raises(AuthenticationFailed):
            await authn.login(s, settings, "ng.admin", "Wrong-Password-1")
        await s.rollback()  # what a failing request does
    assert (await _user(sessionmaker, "ng.admin")).failed_logins == 1


async def test_inactive_users_cannot_log_in_or_use_tokens(system_session, sessionmaker,
                                                          settings):
    await build_world(system_session)
    user = await make_user(system_session, settings, "ng.admin", "341881")
    token = await _login(sessionmaker, settings, "ng.admin", PASSWORD)
    await users.set_user_active(system_session, SYSTEM, user.id, False)
    await system_session.commit()
    with pytest.raises(AuthenticationFailed) as e:
        await _login(sessionmaker, settings, "ng.admin", PASSWORD)
    assert e.value.code == "auth.account_inactive"
    with pytest.raises(AuthenticationFailed) as e:
        await _principal(sessionmaker, settings, token)
    assert e.value.code == "auth.account_inactive"


async def test_authentication_refuses_a_scoped_session(system_session, sessionmaker, settings):
    await build_world(system_session)
    async with scoped_session(sessionmaker, "34/3418/341881") as s:
        with pytest.raises(RuntimeError):
            await authn.login(s, settings, "ng.admin", PASSWORD)
        with pytest.raises(RuntimeError):
            await authn.principal_for_bearer(s, settings, "x", None)


# ----------------------------------------------------------------------- API tokens


async def test_api_token_create_use_revoke(system_session, sessionmaker, settings):
    await build_world(system_session)
    svc = await make_user(system_session, settings, "kiosk-341881", "341881",
                          [("device", "341881", True)], password=None, kind="service")
    with clock.freeze(T0):
        issued = await tokens.create_api_token(system_session, SYSTEM, "kiosk-341881", "大厅取号机")
        await system_session.commit()
    plain = issued.plaintext
    assert plain.startswith(f"zw_{issued.token.lookup}_")
    row = await system_session.get(ApiToken, issued.token.id)
    secret = plain.split("_", 2)[2]
    assert secret not in row.secret_hash and len(row.secret_hash) == 64
    entry = await system_session.scalar(select(audit.AuditEntry)
                                        .where(audit.AuditEntry.action == "token.create"))
    assert secret not in str(entry.after)

    with clock.freeze(T0 + timedelta(minutes=5)):
        p = await _principal(sessionmaker, settings, plain)
    assert p.user_id == svc.id and p.kind == "service" and p.scope == "34/3418/341881"
    assert p.grants == (GrantRef("device", "34/3418/341881", True),)
    await system_session.refresh(row)
    assert tokens.as_utc(row.last_used_at) == T0 + timedelta(minutes=5)
    with clock.freeze(T0 + timedelta(minutes=5, seconds=30)):  # within the resolution
        await _principal(sessionmaker, settings, plain)
    await system_session.refresh(row)
    assert tokens.as_utc(row.last_used_at) == T0 + timedelta(minutes=5)

    wrong_secret = plain[:-3] + ("aaa" if not plain.endswith("aaa") else "bbb")
    with pytest.raises(AuthenticationFailed) as e:
        await _principal(sessionmaker, settings, wrong_secret)
    assert e.value.code == "auth.token_invalid"
    with pytest.raises(AuthenticationFailed):
        await _principal(sessionmaker, settings, "zw_000000000000_" + "x" * 40)

    await tokens.revoke_api_token(system_session, SYSTEM, issued.token.id)
    await system_session.commit()
    with pytest.raises(AuthenticationFailed) as e:
        await _principal(sessionmaker, settings, plain)
    assert e.value.code == "auth.token_invalid"
    actions = set((await system_session.scalars(select(audit.AuditEntry.action))).all())
    assert "token.revoke" in actions


async def test_api_token_expiry(system_session, sessionmaker, settings):
    await build_world(system_session)
    await make_user(system_session, settings, "kiosk-341881", "341881", password=None,
                    kind="service")
    with clock.freeze(T0):
        with pytest.raises(Invalid):
            await tokens.create_api_token(system_session, SYSTEM, "kiosk-341881", "x",
                                          expires_at=T0 - timedelta(days=1))
        issued = await tokens.create_api_token(system_session, SYSTEM, "kiosk-341881", "x",
                                               expires_at=T0 + timedelta(days=30))
        await system_session.commit()
    with clock.freeze(T0 + timedelta(days=29)):
        assert (await _principal(sessionmaker, settings, issued.plaintext)).username
    with clock.freeze(T0 + timedelta(days=30)), pytest.raises(AuthenticationFailed) as e:
        await _principal(sessionmaker, settings, issued.plaintext)
    assert e.value.code == "auth.token_expired"


async def test_tokens_are_managed_by_owner_or_admin_only(system_session, sessionmaker, settings):
    await build_world(system_session)
    me = await make_user(system_session, settings, "ng.clerk", "341881",
                         [("window_clerk", "341881", True)])
    other = await make_user(system_session, settings, "ng.other", "341881",
                            [("window_clerk", "341881", True)])
    xz_admin = await make_user(system_session, settings, "xz.admin", "341802",
                               [("county_admin", "341802", True)])
    p = await principal_of(sessionmaker, settings, me)
    async with acting_session(sessionmaker, p) as s:
        mine = await tokens.create_api_token(s, p, "ng.clerk", "my script")
        assert [t.id for t in await tokens.list_api_tokens(s, p, "ng.clerk")] == [mine.token.id]
        with pytest.raises(NotFound):
            await tokens.create_api_token(s, p, other.id, "not mine")
        await s.commit()
    xp = await principal_of(sessionmaker, settings, xz_admin)
    async with acting_session(sessionmaker, xp) as s:
        with pytest.raises(NotFound) as e:
            await tokens.revoke_api_token(s, xp, mine.token.id)
        assert e.value.code == "api_token.not_found"


# ----------------------------------------------------------------------- acting tenant


async def test_acting_tenant_via_header(system_session, sessionmaker, settings):
    await build_world(system_session)
    admin = await make_user(system_session, settings, "ng.admin", "341881",
                            [("county_admin", "341881", True)])
    clerk = await make_user(system_session, settings, "ng.clerk", "341881",
                            [("window_clerk", "341881204", False)])
    token = tokens.issue_jwt(settings, admin.id)
    p = await _principal(sessionmaker, settings, token, "341881204")
    assert p.acting_path == p.scope == "34/3418/341881/341881204" and p.acting_tier == "township"
    assert p.home_path == "34/3418/341881"
    p = await _principal(sessionmaker, settings, token, "341881204000")  # official padded form
    assert p.acting_tier == "township" and p.scope == "34/3418/341881/341881204"
    p = await _principal(sessionmaker, settings, token, "341881204200")
    assert p.acting_tier == "village" and p.scope.endswith("/341881204200")
    p = await _principal(sessionmaker, settings, token, "341881")  # home named explicitly
    assert p.scope == "34/3418/341881"
    # A sibling, an ancestor, another province, an unknown or malformed code: not found.
    for code in ("341802", "3418", "34", "152501", "341881999", "garbage"):
        with pytest.raises(NotFound) as e:
            await _principal(sessionmaker, settings, token, code)
        assert e.value.code == "tenant.not_found", code
    # A descendant not covered by one of the user's grants is refused as well.
    ctoken = tokens.issue_jwt(settings, clerk.id)
    assert (await _principal(sessionmaker, settings, ctoken, "341881204")).acting_tier == \
        "township"
    for code in ("341881100", "341881204200"):  # other township; village below a local grant
        with pytest.raises(NotFound):
            await _principal(sessionmaker, settings, ctoken, code)


async def test_platform_users_reach_every_province(system_session, sessionmaker, settings):
    await build_world(system_session)
    op = await make_user(system_session, settings, "platform.op", "0",
                         [("platform_admin", "0", True)])
    token = tokens.issue_jwt(settings, op.id)
    p = await _principal(sessionmaker, settings, token)
    assert p.scope == ALL_SCOPE and p.acting_tier == "platform"
    p = await _principal(sessionmaker, settings, token, "152501")
    assert p.scope == "15/1525/152501" and p.acting_tier == "county"
    async with acting_session(sessionmaker, p) as s:
        assert [u.username for u in await users.list_users(s, p)] == []


async def test_one_query_loads_the_user_and_its_grants(system_session, sessionmaker, settings,
                                                       engine):
    await build_world(system_session)
    user = await make_user(system_session, settings, "ng.admin", "341881",
                           [("county_admin", "341881", True), ("auditor", "341881204", True),
                            ("approver", "341881100", False)])
    token = tokens.issue_jwt(settings, user.id)
    statements: list[str] = []

    def count_statement(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SELECT SET_CONFIG", "BEGIN")):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count_statement)
    try:
        p = await _principal(sessionmaker, settings, token)
        assert len(p.grants) == 3 and len(statements) == 1
        statements.clear()
        p = await _principal(sessionmaker, settings, token, "341881204")
        assert p.acting_tier == "township" and len(statements) == 2  # + the acting tenant
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count_statement)
