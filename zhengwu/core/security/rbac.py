"""Authorization: the one decision point ``can(principal, action, resource)``.

Two halves, kept apart on purpose (stack-notes: casbin scans every rule per call):

* **casbin** holds the *policy*: which role may do which action on which kind of resource —
  the built-in roles below, the rules plugins contribute, and the custom roles admins define.
  Hundreds of rules, not one per user.
* **our ``grants`` table** holds the *assignments*: user × role × tenant, subtree or local.
  A principal carries its grants (loaded once per request), so ``can()`` never touches the
  database: it finds the grants that cover the resource's tenant and asks the (memoised)
  policy whether one of their roles allows the action.

Deny by default. Never call ``can()`` per row: filter rows in SQL by the principal's scope
(``permitted_clause`` is the SQL twin of ``can()`` for list queries).

No escalation: ``check_no_escalation`` is the one place that decides whether a principal may
hand a set of permissions to someone else (defining a custom role, granting a role).

Custom roles (``RoleDef.scope`` set: the path of the tenant that defined them) live in the
database and are loaded into ``policy`` by ``zhengwu.core.security.roles.reload_policy``; a
change made through that module is applied to this process's policy when its transaction
commits. Other processes keep their policy until they reload (restart, or a reload signal —
no watcher is wired yet).

This module must never touch the database or know where a principal came from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import casbin
from sqlalchemy import false, or_

from zhengwu.core.db import ALL_SCOPE, subtree_clause
from zhengwu.core.errors import DomainError, PermissionDenied
from zhengwu.core.security.principal import Principal, is_ancestor_or_self

# casbin logs the whole model at INFO on every rebuild; we rebuild at start-up and on changes.
logging.getLogger("casbin").setLevel(logging.WARNING)

__all__ = [
    "BUILTIN_ROLES",
    "CORE_PERMISSIONS",
    "Policy",
    "Resource",
    "RoleDef",
    "RoleEscalation",
    "can",
    "check_no_escalation",
    "permissions_at",
    "permitted_clause",
    "policy",
]

_MODEL = """
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && (p.obj == "*" || r.obj == p.obj) && (p.act == "*" || r.act == p.act)
"""

CORE_PERMISSIONS: tuple[str, ...] = (
    "tenant:read", "tenant:create", "tenant:update", "tenant:suspend", "tenant:merge",
    "tenant:import",
    "setting:read", "setting:write", "setting:lock",
    "venue:read", "venue:write",
    "user:read", "user:create", "user:update",
    "grant:read", "grant:write",
    "role:read", "role:write",
    "audit:read",
    "plugin:read", "plugin:manage",
    "catalog:read", "catalog:write", "catalog:publish",
    "implementation:read", "implementation:write",
    "delegation:read", "delegation:write",
    "calendar:write", "calendar:import",
)
"""Every permission the core knows, as ``resource:action``. Plugins add theirs."""


@dataclass(frozen=True)
class RoleDef:
    """A role: its permissions (``resource:action``, ``*`` wildcards) and where it may be granted.

    ``scope`` is set for custom roles: the path of the tenant that defined the role (``*``
    for the platform); such a role may be granted only in that tenant's subtree.
    """

    name: str
    title_zh: str
    permissions: tuple[str, ...]
    tiers: tuple[str, ...] = ()  # empty: any tier
    scope: str | None = None  # custom roles: the defining tenant's path

    @property
    def is_custom(self) -> bool:
        return self.scope is not None

    def grantable_at(self, tier: str) -> bool:
        return not self.tiers or tier in self.tiers

    def grantable_in(self, path: str) -> bool:
        """Whether the role may be granted at the tenant at ``path`` (custom roles: subtree)."""
        return self.scope is None or is_ancestor_or_self(self.scope, path)


_ADMIN = ("tenant:*", "setting:*", "venue:*", "user:*", "grant:*", "role:*", "audit:read",
          "plugin:*", "catalog:*", "implementation:*", "delegation:*", "calendar:write")
_COUNTY_ADMIN = ("tenant:read", "tenant:create", "tenant:update", "tenant:suspend",
                 "setting:*", "venue:*", "user:*", "grant:*", "role:*", "audit:read",
                 "plugin:*", "catalog:read", "implementation:*", "delegation:*", "calendar:write")
_STAFF = ("tenant:read", "setting:read", "venue:read", "catalog:read", "implementation:read",
          "delegation:read")

BUILTIN_ROLES: dict[str, RoleDef] = {r.name: r for r in (
    RoleDef("platform_admin", "平台管理员", ("*:*",), ("platform",)),
    RoleDef("province_admin", "省级管理员", _ADMIN, ("province",)),
    RoleDef("city_admin", "市级管理员", _ADMIN, ("city",)),
    RoleDef("county_admin", "县级管理员", _COUNTY_ADMIN, ("county",)),
    RoleDef("window_clerk", "窗口人员", _STAFF),
    RoleDef("approver", "审批人员", _STAFF),
    RoleDef("agent", "代办员", _STAFF),
    RoleDef("disclosure_editor", "信息公开经办人", _STAFF),
    RoleDef("disclosure_reviewer", "信息公开分管领导", _STAFF),
    RoleDef("disclosure_approver", "信息公开主要领导", _STAFF),
    RoleDef("supervisor", "监察人员", (*_STAFF, "user:read", "audit:read")),
    RoleDef("assessor", "考核人员", _STAFF),
    RoleDef("auditor", "审计员（只读）", ("*:read",)),
    RoleDef("device", "设备", ("tenant:read", "venue:read")),
)}


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is about: a kind (``tenant``, ``venue``, ``case``…) at a tenant path."""

    kind: str
    path: str


def _split(permission: str) -> tuple[str, str]:
    obj, _, act = permission.partition(":")
    return obj, act or "*"


class Policy:
    """The casbin enforcer plus a memo of its answers, rebuilt whenever the policy changes.

    It remembers its three inputs (plugin permissions, plugin grants of built-in roles,
    custom roles) so that replacing one of them keeps the others.
    """

    def __init__(self) -> None:
        self._roles: dict[str, RoleDef] = {}
        self._permissions: set[str] = set(CORE_PERMISSIONS)
        self._memo: dict[tuple[str, str, str], bool] = {}
        self._role_perms: dict[str, frozenset[str]] = {}
        self._extra_roles: dict[str, RoleDef] = {}
        self._extra_permissions: tuple[str, ...] = ()
        self._plugin_grants: dict[str, tuple[str, ...]] = {}
        self._enforcer: casbin.Enforcer
        self.version: int | None = None
        """The ``policy_version`` the custom roles were loaded at (None: never loaded)."""
        self.load()

    def load(self, extra_roles: Iterable[RoleDef] = (),
             extra_permissions: Iterable[str] = (),
             plugin_grants: Mapping[str, Iterable[str]] | None = None) -> None:
        """(Re)build the policy with the plugins' roles, permissions and grants.

        Custom roles already loaded (``set_custom_roles``) are kept: plugins are loaded at
        start-up, custom roles come from the database, in either order.
        """
        custom = {n: r for n, r in self._extra_roles.items() if r.is_custom}
        self._extra_roles = {**{role.name: role for role in extra_roles}, **custom}
        self._extra_permissions = tuple(extra_permissions)
        self._plugin_grants = {k: tuple(v) for k, v in (plugin_grants or {}).items()}
        self._rebuild()

    def snapshot(self) -> tuple[tuple[RoleDef, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
        """What ``load`` was given (plugin roles, permissions, grants), to load it again."""
        roles = tuple(r for r in self._extra_roles.values() if not r.is_custom)
        return roles, self._extra_permissions, dict(self._plugin_grants)

    def set_custom_roles(self, roles: Iterable[RoleDef]) -> None:
        """Replace every custom role (``scope`` set), keeping plugin roles and rules."""
        kept = {n: r for n, r in self._extra_roles.items() if not r.is_custom}
        kept.update({r.name: r for r in roles})
        self._extra_roles = kept
        self._rebuild()

    def put_role(self, role: RoleDef) -> None:
        """Add or replace one extra role (a custom role after its definition commits)."""
        self._extra_roles[role.name] = role
        self._rebuild()

    def drop_role(self, name: str) -> None:
        """Forget one extra role (built-in roles cannot be dropped)."""
        if self._extra_roles.pop(name, None) is not None:
            self._rebuild()

    def _rebuild(self) -> None:
        roles = {name: role for name, role in BUILTIN_ROLES.items()}
        for name, perms in self._plugin_grants.items():
            base = roles.get(name)
            if base is not None:
                roles[name] = RoleDef(base.name, base.title_zh, (*base.permissions, *perms),
                                      base.tiers)
        for role in self._extra_roles.values():
            roles[role.name] = role
        extra_permissions = self._extra_permissions
        model = casbin.model.Model()
        model.load_model_from_text(_MODEL)
        enforcer = casbin.Enforcer(model)
        rules = [[role.name, *_split(p)] for role in roles.values() for p in role.permissions]
        if rules:
            enforcer.add_policies(rules)
        self._enforcer = enforcer
        self._roles = roles
        self._permissions = set(CORE_PERMISSIONS) | set(extra_permissions)
        self._memo.clear()
        self._role_perms.clear()

    @property
    def roles(self) -> Mapping[str, RoleDef]:
        return self._roles

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(self._permissions)

    def role_allows(self, role: str, kind: str, action: str) -> bool:
        key = (role, kind, action)
        hit = self._memo.get(key)
        if hit is None:
            hit = bool(self._enforcer.enforce(role, kind, action))
            self._memo[key] = hit
        return hit

    def role_permissions(self, role: str) -> frozenset[str]:
        """The concrete permissions of a role (wildcards expanded over known permissions)."""
        perms = self._role_perms.get(role)
        if perms is None:
            perms = frozenset(p for p in self._permissions if self.role_allows(role, *_split(p)))
            self._role_perms[role] = perms
        return perms

    def enforcer(self) -> casbin.Enforcer:
        """The underlying casbin enforcer (benchmarks compare against it; services use ``can``)."""
        return self._enforcer


policy = Policy()
"""The process-wide policy. ``zhengwu.app`` reloads it with plugin rules and custom roles."""


def can(principal: Principal, action: str, resource: Resource) -> bool:
    """Whether ``principal`` may do ``action`` on ``resource``. Deny by default.

    The resource must lie in the principal's acting scope, and a grant covering the
    resource's tenant must carry a role whose policy allows ``resource.kind:action``.
    """
    if principal.is_anonymous or not principal.sees(resource.path):
        return False
    for grant in principal.grants:
        if grant.applies_to(resource.path) and policy.role_allows(grant.role, resource.kind,
                                                                   action):
            return True
    return False


def permissions_at(principal: Principal, path: str, *, throughout: bool = False) -> set[str]:
    """Every permission ``principal`` holds at ``path`` (for the no-escalation rule).

    ``throughout=True`` counts only grants that cover the whole subtree of ``path`` (a local
    grant at ``path`` does not): what the principal holds everywhere below ``path`` too.
    """
    if principal.is_anonymous or not principal.sees(path):
        return set()
    held: set[str] = set()
    for grant in principal.grants:
        if grant.applies_to(path) and (grant.subtree or not throughout):
            held |= policy.role_permissions(grant.role)
    return held


class RoleEscalation(PermissionDenied):
    """``role.escalation``: handing on permissions the principal does not hold itself."""

    def __init__(self, missing: Iterable[str], path: str) -> None:
        names = sorted(missing)
        listed = ", ".join(names)
        DomainError.__init__(
            self, "role.escalation",
            f"不能授予自己未持有的权限：{listed}",
            f"cannot hand on permissions you do not hold at {path}: {listed}",
            field="permissions", permissions=names, path=path,
        )


def check_no_escalation(principal: Principal, path: str, permissions: Iterable[str], *,
                        throughout: bool = True) -> None:
    """Raise ``RoleEscalation`` unless ``principal`` holds every one of ``permissions``.

    ``permissions`` are concrete (expand roles with ``policy.role_permissions``). With
    ``throughout`` (the default) they must be held across the whole subtree of ``path``,
    because what is handed on there also applies below it.
    """
    missing = set(permissions) - permissions_at(principal, path, throughout=throughout)
    if missing:
        raise RoleEscalation(missing, path)


def permitted_clause(column: Any, principal: Principal, kind: str, action: str) -> Any:
    """SQL condition on a ``tenant_path`` column: the rows ``can()`` would allow.

    The union, over the principal's grants whose role allows ``kind:action``, of the part of
    the grant's reach that lies in the acting scope (a subtree grant: its subtree; a local
    grant: its tenant only). No such grant: ``false``. Use it for list queries, together
    with the scope filter, instead of calling ``can()`` per row.
    """
    if principal.is_anonymous or not principal.acting_path:
        return false()
    scope = principal.acting_path
    conds: list[Any] = []
    seen: set[tuple[str, bool]] = set()
    for grant in principal.grants:
        if not policy.role_allows(grant.role, kind, action):
            continue
        if grant.subtree:
            if is_ancestor_or_self(grant.tenant_path, scope):
                key = (scope, True)
            elif is_ancestor_or_self(scope, grant.tenant_path):
                key = (grant.tenant_path, True)
            else:
                continue
        elif principal.sees(grant.tenant_path) and grant.tenant_path != ALL_SCOPE:
            key = (grant.tenant_path, False)
        else:
            continue
        if key in seen:
            continue
        seen.add(key)
        conds.append(subtree_clause(column, key[0]) if key[1] else column == key[0])
    if not conds:
        return false()
    return conds[0] if len(conds) == 1 else or_(*conds)
