"""One hierarchy of domain errors, each with a stable dotted code.

Every error a service raises is a ``DomainError``: REST turns it into problem+json, GraphQL
into a typed error with ``field``, ``code`` and ``message``. Messages exist in Chinese (the
default) and English; ``message(lang)`` picks one.

``NotFound`` is deliberately also the answer for "exists but not yours": the error never
reveals whether a record outside the caller's scope exists (the Zulip rule).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "AccountLocked",
    "AuthenticationFailed",
    "Conflict",
    "DomainError",
    "Invalid",
    "InvalidField",
    "NotFound",
    "PermissionDenied",
]


class DomainError(Exception):
    """Base class. ``code`` is stable; ``zh``/``en`` are readable by a clerk."""

    status: ClassVar[int] = 400

    def __init__(self, code: str, zh: str, en: str, *, field: str | None = None,
                 **params: Any) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field
        self.params = params

    def message(self, lang: str = "zh") -> str:
        return self.en if lang.lower().startswith("en") else self.zh

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message(lang)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.en!r})"


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it exists."""

    status = 404

    def __init__(self, kind: str, ref: object = None) -> None:
        super().__init__(
            f"{kind}.not_found",
            f"未找到{_zh_kind(kind)}：{ref}" if ref is not None else f"未找到{_zh_kind(kind)}",
            f"{kind} not found: {ref}" if ref is not None else f"{kind} not found",
            kind=kind,
        )


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, action: str, resource: str = "") -> None:
        super().__init__(
            "auth.permission_denied",
            f"无权执行此操作：{action}",
            f"permission denied: {action}" + (f" on {resource}" if resource else ""),
            action=action,
        )


class AuthenticationFailed(DomainError):
    status = 401

    def __init__(self, code: str = "auth.invalid_credentials",
                 zh: str = "用户名或密码错误", en: str = "invalid username or password") -> None:
        super().__init__(code, zh, en)


class AccountLocked(DomainError):
    status = 423

    def __init__(self, until: str) -> None:
        super().__init__(
            "auth.account_locked",
            f"登录失败次数过多，账户已锁定至 {until}",
            f"too many failed logins; account locked until {until}",
            until=until,
        )


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Bad input: names the field and the problem."""

    status = 422


@dataclass(frozen=True)
class InvalidField:
    """One problem of a multi-problem validation error (an import row, a form field)."""

    code: str
    zh: str
    en: str
    field: str | None = None
    line: int | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


_ZH_KINDS = {
    "tenant": "行政区划（租户）",
    "user": "用户",
    "role": "角色",
    "grant": "授权",
    "venue": "服务场所",
    "window": "窗口",
    "setting": "设置项",
}


def _zh_kind(kind: str) -> str:
    return _ZH_KINDS.get(kind, kind)
