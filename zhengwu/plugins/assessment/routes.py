"""HTTP downloads of a run's bulletin for logged-in staff (``Authorization: Bearer …``).

* ``GET /api/v1/assessment/runs/{id}/bulletin.html`` — the printable page;
* ``GET /api/v1/assessment/runs/{id}/bulletin.xlsx`` — the workbook, as an attachment.

Same service and rules as GraphQL's ``assessmentRun``: ``assessment:read`` at the run's tenant,
in the caller's acting subtree (``X-Zhengwu-Tenant``); 401 without a token, 404 outside.
"""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.errors import AuthenticationFailed
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.assessment.bulletin import XLSX_MEDIA_TYPE, bulletin_of, render_html, render_xlsx
from zhengwu.plugins.assessment.models import AssessmentRun
from zhengwu.plugins.assessment.runs import get_run

__all__ = ["BulletinController"]


async def _run(db: AsyncSession, principal: Principal, run_id: str) -> AssessmentRun:
    if principal.is_anonymous:
        raise AuthenticationFailed("auth.required", "需要登录", "authentication required")
    return await get_run(db, principal, run_id)


class BulletinController(Controller):
    """考核通报: HTML and Excel of a run for staff with ``assessment:read``."""

    path = "/api/v1/assessment/runs/{run_id:str}"
    tags = ["assessment"]

    @get("/bulletin.html", summary="A run's bulletin as a printable HTML page",
         media_type=MediaType.HTML)
    async def html(self, run_id: FromPath[str], principal: NamedDependency[Principal],
                   db: NamedDependency[AsyncSession]) -> Response[str]:
        run = await _run(db, principal, run_id)
        return Response(render_html(run), media_type=MediaType.HTML,
                        headers={"Cache-Control": "private, no-store"})

    @get("/bulletin.xlsx", summary="A run's bulletin as an Excel workbook",
         media_type=XLSX_MEDIA_TYPE)
    async def xlsx(self, run_id: FromPath[str], principal: NamedDependency[Principal],
                   db: NamedDependency[AsyncSession]) -> Response[bytes]:
        run = await _run(db, principal, run_id)
        title = bulletin_of(run).title
        disposition = (f'attachment; filename="assessment-{run.id}.xlsx"; '
                       f"filename*=UTF-8''{quote(title + '.xlsx')}")
        return Response(render_xlsx(run), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": disposition,
                                 "Cache-Control": "private, no-store"})
