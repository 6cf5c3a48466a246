"""HTTP of the printed notices for logged-in staff (``Authorization: Bearer …``).

* ``GET /api/v1/intake/notices/{number}`` — the notice or decision as its printable HTML page
  (A4; print it, or "print to PDF" in the browser), rendered again from the facts stored with
  it: the body's SHA-256 is the one stored when it was issued (also sent as
  ``X-Notice-SHA256``).

Same rule as reading the case (``notices.get_notice``): ``case:read`` at the acting tenant
(``X-Zhengwu-Tenant`` picks it) and the notice's case in the acting subtree. Errors are
problem+json: 401 without a token, 403 without ``case:read``, and one 404
``notice.not_found`` for a number that does not exist and for a notice of another subtree.
"""

from __future__ import annotations

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.errors import AuthenticationFailed
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.intake import notices

__all__ = ["CaseNoticeController"]


class CaseNoticeController(Controller):
    """文书: one printed notice or decision of a case, for staff who may read the case."""

    path = "/api/v1/intake/notices"
    tags = ["intake"]

    @get("/{number:str}", summary="A notice or decision of a case as a printable HTML page",
         media_type=MediaType.HTML)
    async def html(self, number: FromPath[str], principal: NamedDependency[Principal],
                   db: NamedDependency[AsyncSession]) -> Response[str]:
        if principal.is_anonymous:
            raise AuthenticationFailed("auth.required", "需要登录", "authentication required")
        notice = await notices.get_notice(db, principal, number[:60])
        return Response(notices.render(notice), media_type=MediaType.HTML,
                        headers={"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex",
                                 "X-Notice-SHA256": notice.sha256})
