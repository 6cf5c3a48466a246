"""The operator's ``zhengwu users`` and ``zhengwu roles`` commands, against the test database."""

from __future__ import annotations

from sqlalchemy import select

from tests.cli import invoke_cli
from tests.core.security_support import PASSWORD, count, reset_custom_roles
from tests.world import build_world
from zhengwu.core import audit
from zhengwu.core.security import passwords
from zhengwu.core.security.models import ApiToken, Grant, User


async def test_users_create_reads_the_password_from_stdin(system_session, settings, monkeypatch):
    await build_world(system_session)
    result = await invoke_cli(monkeypatch, settings, "users", "create", "wang.fang",
                              "--tenant", "341881", "--role", "county_admin",
                              "--display-name", "王芳", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "wang.fang" in result.output
    user = await system_session.scalar(select(User).where(User.username == "wang.fang"))
    assert user.display_name == "王芳" and user.tenant_path == "34/3418/341881"
    assert await passwords.verify_password(user.password_hash, PASSWORD)
    grant = await system_session.scalar(select(Grant).where(Grant.user_id == user.id))
    assert grant.role == "county_admin" and grant.subtree
    entry = await system_session.scalar(select(audit.AuditEntry)
                                        .where(audit.AuditEntry.action == "user.create"))
    assert entry.actor.startswith("cli:")


async def test_users_create_refuses_bad_input_cleanly(system_session, settings, monkeypatch):
    await build_world(system_session)
    weak = await invoke_cli(monkeypatch, settings, "users", "create", "li.lei",
                            "--tenant", "341881", "--role", "window_clerk", input="123456\n")
    assert weak.exit_code == 1 and "user.weak_password" in weak.output
    tier = await invoke_cli(monkeypatch, settings, "users", "create", "li.lei",
                            "--tenant", "341881", "--role", "province_admin",
                            input=PASSWORD + "\n")
    assert tier.exit_code == 1 and "grant.wrong_tier" in tier.output
    assert await count(system_session, User) == 0  # the user was not half-created


async def test_roles_grant_revoke_list(system_session, settings, monkeypatch):
    await build_world(system_session)
    created = await invoke_cli(monkeypatch, settings, "users", "create", "zhao.lei",
                               "--tenant", "341881", "--role", "window_clerk",
                               input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    granted = await invoke_cli(monkeypatch, settings, "roles", "grant", "zhao.lei", "approver",
                               "--tenant", "341881204", "--local")
    assert granted.exit_code == 0, granted.output
    rows = (await system_session.execute(select(Grant.role, Grant.tenant_path, Grant.subtree)
                                         .order_by(Grant.role))).all()
    assert [tuple(r) for r in rows] == [("approver", "34/3418/341881/341881204", False),
                                        ("window_clerk", "34/3418/341881", True)]
    revoked = await invoke_cli(monkeypatch, settings, "roles", "revoke", "zhao.lei",
                               "approver", "--tenant", "341881204")
    assert revoked.exit_code == 0, revoked.output
    again = await invoke_cli(monkeypatch, settings, "roles", "revoke", "zhao.lei",
                             "approver", "--tenant", "341881204")
    assert again.exit_code == 1 and "grant.not_found" in again.output
    listed = await invoke_cli(monkeypatch, settings, "roles", "list")
    assert listed.exit_code == 0, listed.output
    assert "province_admin" in listed.output and "county_admin" in listed.output
    reset_custom_roles()


async def test_users_token_is_printed_once(system_session, settings, monkeypatch):
    await build_world(system_session)
    created = await invoke_cli(monkeypatch, settings, "users", "create", "kiosk-341881",
                               "--tenant", "341881", "--kind", "service", "--no-password")
    assert created.exit_code == 0, created.output
    issued = await invoke_cli(monkeypatch, settings, "users", "token", "kiosk-341881",
                              "--name", "取号机", "--days", "30")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("zw_")
    row = await system_session.scalar(select(ApiToken))
    assert row.expires_at is not None and token.split("_", 2)[2] not in row.secret_hash
