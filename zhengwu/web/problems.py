"""One error shape for every HTTP answer: RFC 9457 problem+json.

Domain errors keep their stable ``code`` and speak the caller's language
(``Accept-Language``: zh-CN by default, en on request). Validation errors name the field.
Unexpected errors answer a bare 500 without internals (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from zhengwu.core.errors import DomainError

__all__ = ["exception_handlers", "language"]

log = logging.getLogger("zhengwu.web")
PROBLEM = "application/problem+json"


def language(request: Request[Any, Any, Any]) -> str:
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "zh"


def _problem(status: int, code: str, title: str, detail: str | None = None,
             **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": f"urn:zhengwu:error:{code}", "title": title,
                            "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM)


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    lang = language(request)
    if request.url.path.startswith("/graphql"):
        # Raised before GraphQL ran (bad token, foreign acting tenant): answer in GraphQL's
        # own error shape so clients read one format, with the HTTP status kept.
        ext = {"code": exc.code, **({"field": exc.field} if exc.field else {})}
        return Response({"data": None, "errors": [{"message": exc.message(lang), "extensions": ext}]},
                        status_code=exc.status)
    extra: dict[str, Any] = {"field": exc.field}
    problems = exc.params.get("problems")
    if problems:
        extra["errors"] = [
            {"code": p.code, "field": p.field, "line": p.line,
             "message": p.en if lang == "en" else p.zh} for p in problems
        ]
    return _problem(exc.status, exc.code, exc.message(lang), **extra)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    lang = language(request)
    errors = exc.extra if isinstance(exc.extra, list) else []
    title = "请求数据无效" if lang == "zh" else "invalid request"
    return _problem(400, "request.invalid", title, str(exc.detail), errors=errors or None)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = {401: "auth.required", 403: "auth.permission_denied", 404: "http.not_found",
            405: "http.method_not_allowed"}.get(exc.status_code, f"http.{exc.status_code}")
    return _problem(exc.status_code, code, str(exc.detail))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    title = "服务器内部错误" if language(request) == "zh" else "internal server error"
    return _problem(HTTP_500_INTERNAL_SERVER_ERROR, "server.error", title)


exception_handlers: dict[Any, Any] = {
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}

