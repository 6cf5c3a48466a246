"""HTTP of the intake plugin: the public case lookup (办件进度查询), no login, no JavaScript.

* ``GET /public/{code}/cases/{case_no}?check=XXXX`` — JSON progress of one case;
* ``GET /public/{code}/cases?case_no=…&check=…`` — a plain HTML form, and the same answer
  as a printable page (without both parameters: the empty form).

``code`` is a division code in any accepted form; the case must lie in its subtree. Errors:
``case.not_found`` (404) for every kind of miss, ``lookup.rate_limited`` (429, with
``Retry-After``); the JSON route answers problem+json, the page re-renders the form with the
message and the same status. Responses are ``Cache-Control: no-store`` and the page sends
no referrer (its address holds the check value). The rules live in ``lookup``; this module
only speaks HTTP. ``install_access_log_filter`` keeps the check value out of the server's
access log.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, QueryParameter

from zhengwu.core.errors import DomainError
from zhengwu.plugins.intake import lookup
from zhengwu.plugins.intake.lookup import CASE_NO_MAX, CaseProgress, RateLimited, RateLimiter
from zhengwu.web.problems import exception_handlers as problem_handlers
from zhengwu.web.problems import language

__all__ = ["LIMITER_STATE_KEY", "PublicCaseLookupController", "install_access_log_filter",
           "limiter_of"]

LIMITER_STATE_KEY = "intake_lookup_limiter"
"""Where the app keeps its lookup limiter (``app.state``); tests may put their own there."""

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex"}

CaseNoQuery = Annotated[str | None, QueryParameter(name="case_no", max_length=CASE_NO_MAX,
                                                   required=False)]
CheckQuery = Annotated[str | None, QueryParameter(name="check", max_length=16, required=False)]
CheckRequired = Annotated[str, QueryParameter(name="check", max_length=16)]


def limiter_of(state: State) -> RateLimiter:
    """The app's limiter: Redis-backed when ``ZHENGWU_REDIS_URL`` is set, else in-process."""
    limiter: RateLimiter | None = state.get(LIMITER_STATE_KEY)
    if limiter is None:
        limiter = lookup.make_limiter(state.settings.redis_url)
        state[LIMITER_STATE_KEY] = limiter
    return limiter


def _source(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client is not None else ""


async def _progress(request: Request[Any, Any, Any], state: State, code: str, case_no: str,
                    check: str | None) -> CaseProgress:
    from zhengwu.plugins.intake.service import current_cipher

    return await lookup.public_lookup(state.sessionmaker, limiter_of(state), current_cipher(),
                                      code=code, case_no=case_no, check=check,
                                      source=_source(request))


_BAD_REQUEST_ZH = "请求参数有误：需要办件编号（不超过60个字符）和查询码（4个字符）。"
_BAD_REQUEST_EN = "bad request: a case number (at most 60 characters) and a check value (4 characters)"


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.rstrip("/").endswith("/cases")


def _error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """problem+json on the JSON route (with ``Retry-After`` when limited); HTML on the page."""
    retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    if _wants_html(request):
        if isinstance(exc, DomainError):
            status, message = exc.status, exc.message(language(request))
        else:
            status, message = 400, _BAD_REQUEST_ZH
        html = _render(code=request.path_params.get("code", ""), title=None, case_no="",
                       message=message, progress=None)
        return Response(html, status_code=status, media_type=MediaType.HTML,
                        headers={**PRIVATE, **retry})
    if not isinstance(exc, DomainError):  # litestar's own message would echo the address
        exc = DomainError("request.invalid", _BAD_REQUEST_ZH, _BAD_REQUEST_EN, field="check")
    response: Response[Any] = problem_handlers[DomainError](request, exc)
    response.headers.update({**PRIVATE, **retry})
    return response


class PublicCaseLookupController(Controller):
    """办件进度查询: case number + check value → progress; nothing personal."""

    path = "/public/{code:str}/cases"
    tags = ["public"]
    exception_handlers = {DomainError: _error, ValidationException: _error}

    @get("/", summary="Case lookup (HTML form and result, no JavaScript)", media_type=MediaType.HTML)
    async def page(self, request: Request[Any, Any, Any], state: State, code: FromPath[str],
                   case_no: CaseNoQuery = None, check: CheckQuery = None) -> Response[str]:
        title = await lookup.public_title(state.sessionmaker, code)
        given = (case_no or "").strip()
        if not given or not (check or "").strip():
            html = _render(code=code, title=title, case_no=given, message=None, progress=None)
            return Response(html, media_type=MediaType.HTML, headers=PRIVATE)
        status, retry, message, progress = 200, {}, None, None
        try:
            progress = await _progress(request, state, code, given, check)
        except RateLimited as exc:
            status, retry = exc.status, {"Retry-After": str(exc.retry_after)}
            message = exc.message(language(request))
        except DomainError as exc:
            status, message = exc.status, exc.message(language(request))
        html = _render(code=code, title=title, case_no=given, message=message, progress=progress)
        return Response(html, status_code=status, media_type=MediaType.HTML,
                        headers={**PRIVATE, **retry})

    @get("/{case_no:str}", summary="Case lookup (JSON): progress of one case, nothing personal")
    async def one(self, request: Request[Any, Any, Any], state: State, code: FromPath[str],
                  case_no: FromPath[str], check: CheckRequired) -> Response[dict[str, Any]]:
        """``check``: the last four characters of the applicant's ID number (or unified social
        credit code) or of the phone on the application. Every miss is ``case.not_found``."""
        if len(case_no) > CASE_NO_MAX:
            raise lookup.LookupMiss()
        progress = await _progress(request, state, code, case_no, check)
        return Response(progress.to_dict(), media_type=MediaType.JSON, headers=PRIVATE)


# ------------------------------------------------------------------------------- page

_PAGE = """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>办件进度查询 — {{ place }}</title>
<style>
body{font-family:"Noto Serif CJK SC","Source Han Serif SC","SimSun",serif;margin:0 auto;
max-width:40rem;padding:1rem 1.5rem;line-height:1.6;color:#111}
h1{font-size:1.5rem;margin:.5rem 0}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left}
th{background:#f2f2f2;width:8rem;white-space:nowrap}
form p{margin:.4rem 0}label{display:inline-block;width:6rem}
.message{background:#fff8e1;border:1px solid #e0c060;padding:.4rem .6rem}
.muted{color:#555;font-size:.9rem}
@media print{form,.no-print{display:none}}
</style>
</head>
<body>
<p class="muted">{{ place }} 政务服务</p>
<h1>办件进度查询</h1>
<form method="get" action="">
<p><label for="case_no">办件编号</label>
<input id="case_no" name="case_no" value="{{ case_no }}" maxlength="{{ max_no }}" required></p>
<p><label for="check">查询码</label>
<input id="check" name="check" type="password" maxlength="4" minlength="4" required
autocomplete="off" inputmode="latin"></p>
<p class="muted">查询码：申请人身份证号码（或统一社会信用代码）后四位，或申请时所留电话号码后四位。</p>
<p><button type="submit">查询</button></p>
</form>
{% if message %}<p class="message" role="alert">{{ message }}</p>{% endif %}
{% if p %}
<table>
<tr><th>办件编号</th><td>{{ p.case_no }}</td></tr>
<tr><th>事项名称</th><td>{{ p.item_name }}</td></tr>
<tr><th>办理状态</th><td>{{ p.status_zh }}（{{ p.status }}）</td></tr>
<tr><th>申请日期</th><td>{{ p.submitted_on }}</td></tr>
<tr><th>承诺办结日期</th><td>{% if p.due_date %}{{ p.due_date }}{% if p.due_provisional %}
（预计：该年度节假日安排尚未公布，日期可能调整）{% endif %}{% else %}—{% endif %}</td></tr>
<tr><th>决定日期</th><td>{{ p.decided_on or "—" }}</td></tr>
<tr><th>送达日期</th><td>{{ p.delivered_on or "—" }}</td></tr>
</table>
{% endif %}
</body>
</html>
"""

_ENV = Environment(loader=DictLoader({"lookup.html": _PAGE}), autoescape=select_autoescape(
    default=True, default_for_string=True), undefined=StrictUndefined)


def _render(*, code: str, title: str | None, case_no: str, message: str | None,
            progress: CaseProgress | None) -> str:
    place = title or f"区划代码 {code}"
    return _ENV.get_template("lookup.html").render(place=place, case_no=case_no, message=message,
                                                   p=progress, max_no=CASE_NO_MAX)


# ------------------------------------------------------------------------ access log

_CHECK = re.compile(r"((?:^|[?&;])check=)[^&;#\s]*", re.IGNORECASE)


class _HideCheckValue(logging.Filter):
    """Blanks ``check=…`` in log records (uvicorn's access log prints the query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "check=" in record.msg.lower():
            record.msg = _CHECK.sub(r"\1***", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_CHECK.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def install_access_log_filter() -> None:
    """Keep lookup check values out of the access logs (idempotent)."""
    for name in ("uvicorn.access", "granian.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideCheckValue) for f in logger.filters):
            logger.addFilter(_HideCheckValue())
