"""HTTP of the public feed (政府信息公开目录): no login, no JavaScript.

* ``GET /public/{code}/disclosure`` — JSON: a page of the tenant's published items
  (``category``, ``year``, ``kind``, ``attribute``, ``q``, ``page``, ``per_page``;
  ``subtree=1`` adds the items of the active, enabled tenants below, each with its tenant and
  its address under that tenant);
* ``GET /public/{code}/disclosure.html`` — the same as a plain page in Chinese with a search
  form (catalog, year, 五公开, text) and page links;
* ``GET /public/{code}/disclosure/{index_no}`` (JSON) and ``…/{index_no}.html`` — one item at
  its stable address, by its index number (索引号);
* ``GET /public/{code}/disclosure/{index_no}/attachments/{attachment_id}`` — a file of a
  public item, as a download.

Every miss is one 404 (``disclosure.not_found``): problem+json on the JSON routes, a page on
the ``.html`` ones. A bad search is 422 (``disclosure_feed.invalid_query`` with every problem).
Answers are ``Cache-Control: public, max-age=60`` (published information; a withdrawal is
seen within a minute), misses and errors ``no-cache``. No rate limit here: the feed holds no
secret to guess, every page is cacheable, and a reverse proxy or CDN in front limits and
caches better than the app (the intake lookup limits because it guards a check value).
The rules live in ``feed``; this module only speaks HTTP.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, QueryParameter

from zhengwu.core.errors import DomainError
from zhengwu.plugins.disclosure import feed, publications
from zhengwu.plugins.disclosure.feed import FeedPage, FeedQuery, PublicItem
from zhengwu.web.problems import exception_handlers as problem_handlers
from zhengwu.web.problems import language

__all__ = ["PublicFeedController", "PublicFeedPageController", "content_disposition",
           "safe_media_type"]

PUBLIC = {"Cache-Control": "public, max-age=60", "X-Content-Type-Options": "nosniff"}
MISS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
FILE = {**PUBLIC, "Content-Security-Policy": "sandbox", "X-Robots-Tag": "noindex"}

Text = Annotated[str | None, QueryParameter(max_length=200, required=False)]
HTML_SUFFIX = ".html"


def _query(category: str | None, year: str | None, kind: str | None, attribute: str | None,
           q: str | None, page: str | None, per_page: str | None,
           subtree: str | None = None) -> FeedQuery:
    return feed.check_query(category=category, year=year, kind=kind, attribute=attribute, q=q,
                            page=page, per_page=per_page, subtree=subtree)


def _is_html(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.endswith(HTML_SUFFIX)


def _error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """problem+json on the JSON routes, a page on the ``.html`` ones; same status."""
    if not isinstance(exc, DomainError):
        exc = DomainError("disclosure_feed.invalid_query", "检索条件有误", "bad request")
    if _is_html(request):
        html = _render("feed_error.html.j2", message=exc.message(language(request)))
        return Response(html, status_code=exc.status, media_type=MediaType.HTML, headers=MISS)
    response: Response[Any] = problem_handlers[DomainError](request, exc)
    response.headers.update(MISS)
    return response


class PublicFeedController(Controller):
    """The feed (JSON), one item (JSON or HTML by suffix) and attachments."""

    path = "/public/{code:str}/disclosure"
    tags = ["public"]
    exception_handlers = {DomainError: _error, ValidationException: _error}

    @get("/", summary="Public disclosure feed (JSON): published items of one tenant")
    async def feed_json(self, state: State, code: FromPath[str], category: Text = None,
                   year: Text = None, kind: Text = None, attribute: Text = None, q: Text = None,
                   page: Text = None, per_page: Text = None,
                   subtree: Text = None) -> Response[dict[str, Any]]:
        """Newest first. ``category`` includes its sub-categories; ``kind`` is one of the five
        disclosures; ``q`` searches the published title and body (≤ 50 characters);
        ``subtree=1`` adds the items of the tenants below (each under its own address)."""
        query = _query(category, year, kind, attribute, q, page, per_page, subtree)
        result = await feed.public_feed(state.sessionmaker, code, query)
        body = result.to_dict()
        for item in body["items"]:
            owner = item["tenant"]["code"] if "tenant" in item else code
            item["url"] = _item_url(owner, item["index_no"])
        return Response(body, media_type=MediaType.JSON, headers=PUBLIC)

    @get("/{index_no:str}", summary="One published item by its index number (JSON; .html: a page)")
    async def one(self, request: Request[Any, Any, Any], state: State, code: FromPath[str],
                  index_no: FromPath[str]) -> Response[Any]:
        html = index_no.endswith(HTML_SUFFIX)
        number = index_no.removesuffix(HTML_SUFFIX)
        place, item = await feed.public_item(state.sessionmaker, code, number)
        if html:
            page = _render("feed_item.html.j2", place=place, item=item, code=code,
                           feed_url=_feed_url(code, {}),
                           file_url=lambda a: _file_url(code, item.index_no, a.id),
                           item_url=lambda n: _item_url(code, n) + HTML_SUFFIX,
                           kinds=feed.KINDS_ZH, timing=publications.TIMINGS,
                           areas=publications.KEY_AREAS)
            return Response(page, media_type=MediaType.HTML, headers=PUBLIC)
        body = item.to_dict()
        body["url"] = _item_url(code, item.index_no)
        for a in body["attachments"]:
            a["url"] = _file_url(code, item.index_no, uuid.UUID(a["id"]))
        return Response(body, media_type=MediaType.JSON, headers=PUBLIC)

    @get("/{index_no:str}/attachments/{attachment_id:uuid}",
         summary="A file of a published item (download)", media_type=MediaType.TEXT)
    async def attachment(self, state: State, code: FromPath[str], index_no: FromPath[str],
                         attachment_id: FromPath[uuid.UUID]) -> Response[bytes]:
        f = await feed.public_attachment(state.sessionmaker, code, index_no, attachment_id)
        return Response(f.content, media_type=safe_media_type(f.content_type),
                        headers={**FILE, "Content-Disposition": content_disposition(f.filename)})


class PublicFeedPageController(Controller):
    """The feed as a page: search form, list, page links."""

    path = "/public/{code:str}/disclosure.html"
    tags = ["public"]
    exception_handlers = {DomainError: _error, ValidationException: _error}

    @get("/", summary="Public disclosure feed (HTML page, no JavaScript)", media_type=MediaType.HTML)
    async def page(self, request: Request[Any, Any, Any], state: State, code: FromPath[str],
                   category: Text = None, year: Text = None, kind: Text = None,
                   attribute: Text = None, q: Text = None, page: Text = None,
                   per_page: Text = None, subtree: Text = None) -> Response[str]:
        try:
            query = _query(category, year, kind, attribute, q, page, per_page, subtree)
        except DomainError as exc:
            # the tenant must exist and be enabled before the form says anything about it
            result = await feed.public_feed(state.sessionmaker, code, FeedQuery(per_page=1))
            html = _page_html(code, result, FeedQuery(), message=exc.message(language(request)),
                              items=False)
            return Response(html, status_code=exc.status, media_type=MediaType.HTML,
                            headers=MISS)
        result = await feed.public_feed(state.sessionmaker, code, query)
        return Response(_page_html(code, result, query), media_type=MediaType.HTML,
                        headers=PUBLIC)


# ---------------------------------------------------------------------------- addresses

def _base(code: str) -> str:
    return f"/public/{quote(code, safe='')}/disclosure"


def _item_url(code: str, index_no: str) -> str:
    return f"{_base(code)}/{quote(index_no, safe='')}"


def _file_url(code: str, index_no: str, attachment_id: uuid.UUID) -> str:
    return f"{_item_url(code, index_no)}/attachments/{attachment_id}"


def _feed_url(code: str, params: dict[str, str]) -> str:
    return f"{_base(code)}.html" + (f"?{urlencode(params)}" if params else "")


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}"
                         r"(;\s?[A-Za-z0-9_.-]{1,32}=[A-Za-z0-9_.\"-]{1,64}){0,3}$")


def safe_media_type(content_type: str | None) -> str:
    """The stored content type when it is a plain media type, else ``application/octet-stream``
    (never a header value that could carry anything else)."""
    value = (content_type or "").strip()
    return value if _MEDIA_TYPE.match(value) else "application/octet-stream"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in filename) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -------------------------------------------------------------------------------- pages


TEMPLATES = Path(__file__).parent / "templates"
"""``feed_*.html.j2``: the layout, the list with its search form, one item, a miss."""

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template escapes everything (the .j2 suffix is not ".html")
    undefined=StrictUndefined)


def _render(template: str, **values: Any) -> str:
    return _ENV.get_template(template).render(**values)


def _page_html(code: str, result: FeedPage, query: FeedQuery, *, message: str | None = None,
               items: bool = True) -> str:
    prev_url = _feed_url(code, query.params(page=query.page - 1)) if query.page > 1 else None
    next_url = (_feed_url(code, query.params(page=query.page + 1))
                if query.page < result.pages else None)
    shown: tuple[PublicItem, ...] = result.items if items else ()
    return _render("feed_list.html.j2", place=result.tenant_name, action=_feed_url(code, {}),
                   categories=result.categories, kinds=feed.KINDS_ZH, query=query,
                   q_max=feed.Q_MAX, message=message, show_items=items, items=shown,
                   total=result.total, pages=result.pages, prev_url=prev_url,
                   next_url=next_url,
                   item_url=lambda i: _item_url(i.tenant_code or code, i.index_no) + HTML_SUFFIX)

