"""The operator's commands for identity and access: ``zhengwu users …`` and ``zhengwu roles …``.

Thin wrappers: each command opens an operator-scoped session, loads the custom roles into
the policy, calls the services of ``zhengwu.core.security`` as the operator (a system
principal named after the OS user, so the audit log says who ran it) and commits.

Passwords are read from standard input when it is piped (``echo … | zhengwu users create``)
or with a hidden prompt and confirmation; they are never taken from the command line, where
they would land in the shell history and the process list.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from zhengwu.cli import _runtime
from zhengwu.cli._runtime import console, err_console, operator_session, run_async
from zhengwu.core.security import grants as grants_service
from zhengwu.core.security import roles as roles_service
from zhengwu.core.security import tokens as tokens_service
from zhengwu.core.security import users as users_service
from zhengwu.core.security.principal import Principal
from zhengwu.core.security.rbac import BUILTIN_ROLES

__all__ = ["roles_app", "users_app"]

users_app = typer.Typer(no_args_is_help=True, help="Create users, list them, issue API tokens.")
roles_app = typer.Typer(no_args_is_help=True, help="Grant, revoke and list roles.")


def _operator() -> Principal:
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    return Principal.system(f"cli:{who}")


def _read_password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            err_console.print("[red]error[/red] no password on standard input")
            raise typer.Exit(1)
        return password
    password: str = typer.prompt("Password / 密码", hide_input=True,
                                 confirmation_prompt="Repeat / 再次输入")
    return password


@users_app.command("create")
@run_async
async def create_user(
    username: str = typer.Argument(..., help="Login name (3-64: letters, digits, _ . @ -)."),
    tenant: str = typer.Option(..., "--tenant", help="Division code of the home tenant."),
    role: str | None = typer.Option(None, "--role", help="Role to grant at the home tenant."),
    display_name: str | None = typer.Option(None, "--display-name", help="Name shown to others."),
    local: bool = typer.Option(False, "--local", help="Grant the role for the tenant only, "
                                                      "not its subtree."),
    kind: str = typer.Option("person", "--kind", help="person, service or device."),
    no_password: bool = typer.Option(False, "--no-password",
                                     help="Service/device account that uses API tokens only."),
) -> None:
    """Create a user at a tenant (password from stdin when piped, else prompted)."""
    settings = _runtime.get_settings()  # looked up at call time (tests patch it)
    password = None if no_password else _read_password()
    operator = _operator()
    async with operator_session(settings) as session:
        await roles_service.reload_policy(session)
        user = await users_service.create_user(
            session, operator,
            users_service.NewUser(username=username, tenant_code=tenant, password=password,
                                  display_name=display_name, kind=kind),
            settings=settings)
        if role:
            await grants_service.grant_role(session, operator, user.id, role, tenant,
                                            subtree=not local)
        await session.commit()
    granted = f" with role {role}{' (local)' if local else ''}" if role else ""
    console.print(f"created user [bold]{user.username}[/bold] at {user.tenant_path}{granted}")


@users_app.command("list")
@run_async
async def list_users(
    tenant: str | None = typer.Option(None, "--tenant", help="Only users in this subtree."),
    search: str | None = typer.Option(None, "--search", help="Part of username or name."),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """List users (operator view)."""
    async with operator_session() as session:
        rows = await users_service.list_users(session, _operator(), under=tenant,
                                              search=search, limit=limit)
    table = Table("username", "display name", "kind", "home tenant", "active")
    for u in rows:
        table.add_row(u.username, u.display_name, u.kind, u.tenant_path,
                      "yes" if u.is_active else "no")
    console.print(table)


@users_app.command("token")
@run_async
async def issue_token(
    username: str = typer.Argument(...),
    name: str = typer.Option(..., "--name", help="What the token is for."),
    days: int | None = typer.Option(None, "--days", min=1, help="Expire after this many days."),
) -> None:
    """Issue an API token for a user; it is printed once and never shown again."""
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    async with operator_session() as session:
        issued = await tokens_service.create_api_token(session, _operator(), username, name,
                                                       expires_at=expires)
        await session.commit()
    err_console.print(f"token {issued.token.lookup} for {username}"
                      + (f", expires {expires:%Y-%m-%d}" if expires else "")
                      + " — store it now, it is not shown again:")
    typer.echo(issued.plaintext)


@roles_app.command("grant")
@run_async
async def grant(
    username: str = typer.Argument(...),
    role: str = typer.Argument(...),
    tenant: str = typer.Option(..., "--tenant", help="Division code where the role applies."),
    local: bool = typer.Option(False, "--local", help="For this tenant only, not its subtree."),
) -> None:
    """Grant a role to a user at a tenant (and its subtree unless --local)."""
    operator = _operator()
    async with operator_session() as session:
        await roles_service.reload_policy(session)
        await grants_service.grant_role(session, operator, username, role, tenant,
                                        subtree=not local)
        await session.commit()
    console.print(f"granted {role} to {username} at {tenant}{' (local)' if local else ''}")


@roles_app.command("revoke")
@run_async
async def revoke(
    username: str = typer.Argument(...),
    role: str = typer.Argument(...),
    tenant: str = typer.Option(..., "--tenant", help="Division code where it was granted."),
) -> None:
    """Revoke a role from a user at a tenant."""
    operator = _operator()
    async with operator_session() as session:
        await roles_service.reload_policy(session)
        await grants_service.revoke_role(session, operator, username, role, tenant)
        await session.commit()
    console.print(f"revoked {role} from {username} at {tenant}")


@roles_app.command("list")
@run_async
async def list_roles() -> None:
    """List the built-in roles (with the tiers where they may be granted) and custom roles."""
    async with operator_session() as session:
        await roles_service.reload_policy(session)
    table = Table("role", "title", "granted at", "permissions")
    for role in roles_service.list_roles(_operator()):
        where = (f"subtree of {role.scope}" if role.is_custom
                 else ", ".join(role.tiers) or "any tier")
        origin = "" if role.is_custom or role.name in BUILTIN_ROLES else " (plugin)"
        table.add_row(role.name + origin, role.title_zh, where, " ".join(role.permissions))
    console.print(table)
