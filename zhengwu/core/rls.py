"""PostgreSQL row-level security for tenant-owned tables, used by migrations (core and plugins).

The policy compares ``tenant_path`` with the transaction's scope (``zhengwu.scope``, set by
``zhengwu.core.db`` for every transaction):

* ``*`` — the operator (CLI, jobs): every row;
* a path — the acting tenant: that tenant and its subtree (range form, index-served);
* empty or unset — nothing (fail closed: after ``SET LOCAL`` ends, the setting reads ``''``).

``ancestors_readable`` additionally lets a tenant *read* rows of its ancestors (settings
overrides: the cascade reads upward); writes stay in the subtree.
"""

from __future__ import annotations

from typing import Any

__all__ = ["APP_ROLE_DEFAULT", "create_app_role", "enable_rls", "scope_condition"]

APP_ROLE_DEFAULT = "zhengwu_app"
_SCOPE = "(SELECT current_setting('zhengwu.scope', true))"


def scope_condition(column: str = "tenant_path") -> str:
    s = _SCOPE
    return (f"({s} = '*' OR ({s} <> '' AND ({column} = {s} OR "
            f"({column} >= {s} || '/' AND {column} < {s} || '0'))))")


def enable_rls(op: Any, table: str, *, ancestors_readable: bool = False) -> None:
    """Enable and force RLS on ``table`` with the scope policy. No-op off PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    cond = scope_condition()
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_scope ON {table} USING ({cond}) WITH CHECK ({cond})")
    if ancestors_readable:
        op.execute(
            f"CREATE POLICY {table}_ancestors ON {table} FOR SELECT USING "
            f"({_SCOPE} <> '' AND starts_with({_SCOPE}, tenant_path || '/'))"
        )


def create_app_role(op: Any, role: str = APP_ROLE_DEFAULT) -> None:
    """The role the application runs as: no login, no BYPASSRLS, not the owner."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} NOLOGIN NOBYPASSRLS; END IF; END $$"
    )
    op.execute(f"GRANT {role} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}"
    )
