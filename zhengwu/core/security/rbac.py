"""Authorization: the one decision point ``can(principal, action, resource)``.

Two halves, kept apart on purpose (stack-notes: casbin scans every rule per call):

* **casbin** holds the *policy*: which role may do which action on which kind of resource —
  the built-in roles below, the rules plugins contribute, and the custom roles admins define.
  Hundreds of rules, not one per user.
* **our ``grants`` table** holds the *assignments*: user × role × tenant, subtree or local.
  A principal carries its grants (loaded once per request), so ``can()`` never touches the
  database: it finds the grants that cover the resource's tenant and asks the (memoised)
  policy whether one of their roles allows the action.

Deny by default. Never call ``can()`` per row: filter rows in SQL by the principal's scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import casbin

from zhengwu.core.security.principal import Principal, is_ancestor_or_self

__all__ = [
    "BUILTIN_ROLES",
    "CORE_PERMISSIONS",
    "Policy",
    "Resource",
    "RoleDef",
    "can",
    "permissions_at",
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
)
"""Every permission the core knows, as ``resource:action``. Plugins add theirs."""


@dataclass(frozen=True)
class RoleDef:
    """A role: its permissions (``resource:action``, ``*`` wildcards) and where it may be granted."""

    name: str
    title_zh: str
    permissions: tuple[str, ...]
    tiers: tuple[str, ...] = ()  # empty: any tier

    def grantable_at(self, tier: str) -> bool:
        return not self.tiers or tier in self.tiers


_ADMIN = ("tenant:*", "setting:*", "venue:*", "user:*", "grant:*", "role:*", "audit:read",
          "plugin:*")
_COUNTY_ADMIN = ("tenant:read", "tenant:create", "tenant:update", "tenant:suspend",
                 "setting:*", "venue:*", "user:*", "grant:*", "role:*", "audit:read",
                 "plugin:*")
_STAFF = ("tenant:read", "setting:read", "venue:read")

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
    """The casbin enforcer plus a memo of its answers, rebuilt whenever the policy changes."""

    def __init__(self) -> None:
        self._roles: dict[str, RoleDef] = {}
        self._permissions: set[str] = set(CORE_PERMISSIONS)
        self._memo: dict[tuple[str, str, str], bool] = {}
        self._enforcer: casbin.Enforcer
        self.load()

    def load(self, extra_roles: Iterable[RoleDef] = (),
             extra_permissions: Iterable[str] = (),
             plugin_grants: Mapping[str, Iterable[str]] | None = None) -> None:
        """(Re)build the policy from the built-in roles, plugin rules and custom roles."""
        roles = {name: role for name, role in BUILTIN_ROLES.items()}
        for name, perms in (plugin_grants or {}).items():
            base = roles.get(name)
            if base is not None:
                roles[name] = RoleDef(base.name, base.title_zh, (*base.permissions, *perms),
                                      base.tiers)
        for role in extra_roles:
            roles[role.name] = role
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

    def role_permissions(self, role: str) -> set[str]:
        """The concrete permissions of a role (wildcards expanded over known permissions)."""
        return {p for p in self._permissions if self.role_allows(role, *_split(p))}


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


def permissions_at(principal: Principal, path: str) -> set[str]:
    """Every permission ``principal`` holds at ``path`` (for the no-escalation rule)."""
    if not principal.sees(path) and not is_ancestor_or_self(principal.acting_path, path):
        return set()
    held: set[str] = set()
    for grant in principal.grants:
        if grant.applies_to(path):
            held |= policy.role_permissions(grant.role)
    return held
