"""Public pages of a tenant, no login: the service guides (办事指南).

Routes (the division code in any accepted form: ``341881``, ``341881000000``):

* ``GET /public/{code}/guides`` — HTML list, searchable (``q`` name text or code, ``type``
  item type code or name), paginated (``limit`` 1–100, ``after`` cursor);
* ``GET /public/{code}/guides.json`` — the same as JSON (``items``, ``total``, ``next_after``);
* ``GET /public/{code}/guides/{implementation_code}`` — the printable guide page;
* ``GET /public/{code}/guides/{implementation_code}.json`` — the guide as JSON;
* ``GET /public/{code}/guides/{implementation_code}.svg`` — its flowchart alone.

Errors: ``.json`` answers problem+json like the rest of the API; the HTML pages answer a
plain HTML page with the same status (404 for an unknown, inactive or foreign tenant or
guide; 400 for a bad query). Reads run with the operator scope because no principal is
involved; ``zhengwu.core.catalog.guide`` restricts every query to public data.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, QueryParameter

from zhengwu.core.catalog import guide as guides
from zhengwu.core.db import ALL_SCOPE, scoped_session
from zhengwu.core.errors import DomainError
from zhengwu.web.problems import exception_handlers as problem_handlers
from zhengwu.web.problems import language
from zhengwu.web.templates import guides as pages

__all__ = ["PublicGuidesController"]

CACHE = {"Cache-Control": "public, max-age=300"}
SVG = "image/svg+xml"

Query = Annotated[str | None, QueryParameter(name="q", max_length=100, required=False)]
TypeQuery = Annotated[str | None, QueryParameter(name="type", max_length=20, required=False)]
Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=guides.MAX_PAGE)]
After = Annotated[str | None, QueryParameter(name="after", max_length=40, required=False)]


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.endswith(".json")


def _error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """problem+json for ``.json`` paths, a plain HTML page otherwise."""
    handler = problem_handlers[DomainError if isinstance(exc, DomainError) else ValidationException]
    if _wants_json(request):
        return handler(request, exc)  # type: ignore[no-any-return]
    if isinstance(exc, DomainError):
        status, message = exc.status, exc.message(language(request))
    else:
        status, message = 400, "请求参数有误，请检查查询条件。"
    return Response(pages.render_error(status, message), status_code=status,
                    media_type=MediaType.HTML)


class PublicGuidesController(Controller):
    """办事指南: public, printable, no JavaScript."""

    path = "/public/{code:str}"
    tags = ["public"]
    exception_handlers = {DomainError: _error, ValidationException: _error}

    async def _page(self, state: State, code: str, q: str | None, item_type: str | None,
                    limit: int, after: str | None) -> guides.GuidePage:
        async with scoped_session(state.sessionmaker, ALL_SCOPE) as session:
            kind = guides.item_type_code(item_type) if item_type else None
            return await guides.search_guides(session, code, q=q, item_type=kind, limit=limit,
                                              after=after)

    @get("/guides", summary="Service guides of a tenant (HTML, searchable)",
         media_type=MediaType.HTML)
    async def list_html(self, state: State, code: FromPath[str], q: Query = None,
                        item_type: TypeQuery = None, limit: Limit = 20,
                        after: After = None) -> Response[str]:
        page = await self._page(state, code, q, item_type, limit, after)
        kind = guides.item_type_code(item_type) if item_type else None
        html = pages.render_list(page, q=q, item_type=kind, limit=limit, after=after)
        return Response(html, media_type=MediaType.HTML, headers=CACHE)

    @get("/guides.json", summary="Service guides of a tenant (JSON, searchable)")
    async def list_json(self, state: State, code: FromPath[str], q: Query = None,
                        item_type: TypeQuery = None, limit: Limit = 20,
                        after: After = None) -> Response[dict[str, Any]]:
        page = await self._page(state, code, q, item_type, limit, after)
        return Response(page.to_dict(), media_type=MediaType.JSON, headers=CACHE)

    @get("/guides/{ref:str}", summary="One service guide: HTML page, .json or .svg flowchart")
    async def guide(self, state: State, code: FromPath[str], ref: FromPath[str]) -> Response[Any]:
        stem, dot, suffix = ref.rpartition(".")
        if not dot or suffix not in ("json", "svg"):
            stem, suffix = ref, "html"
        async with scoped_session(state.sessionmaker, ALL_SCOPE) as session:
            guide = await guides.build_guide(session, code, stem)
        if suffix == "json":
            return Response(guide.to_dict(), media_type=MediaType.JSON, headers=CACHE)
        if suffix == "svg":
            return Response(str(pages.flowchart_svg(guide)), media_type=SVG, headers=CACHE)
        return Response(pages.render_guide(guide), media_type=MediaType.HTML, headers=CACHE)
