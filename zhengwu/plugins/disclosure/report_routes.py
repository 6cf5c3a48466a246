"""HTTP downloads of the annual report for logged-in staff (``Authorization: Bearer …``).

* ``GET /api/v1/disclosure/{code}/annual-reports/{year}/html[?subtree=true]`` — the printable
  page (``text/html``);
* ``GET /api/v1/disclosure/{code}/annual-reports/{year}/xlsx[?subtree=true]`` — the workbook,
  as an attachment.

Same service, same rules as GraphQL's ``disclosureAnnualReport``: ``disclosure_report:read``
at the tenant, in the caller's acting subtree (``X-Zhengwu-Tenant`` picks the acting tenant);
errors are problem+json (401 without a token, 404 outside the subtree, 403 without the
permission, 422 ``disclosure_report.inconsistent`` listing every failing check).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from zhengwu.core.errors import AuthenticationFailed
from zhengwu.core.security.principal import Principal
from zhengwu.plugins.disclosure.report import AnnualReport, annual_report
from zhengwu.plugins.disclosure.report_render import XLSX_MEDIA_TYPE, render_html, render_xlsx

__all__ = ["AnnualReportController"]

Subtree = Annotated[bool, QueryParameter(name="subtree", required=False)]


async def _report(db: AsyncSession, principal: Principal, code: str, year: int,
                  subtree: bool) -> AnnualReport:
    if principal.is_anonymous:
        raise AuthenticationFailed("auth.required", "需要登录", "authentication required")
    return await annual_report(db, principal, code, year, subtree=subtree)


class AnnualReportController(Controller):
    """政府信息公开工作年度报告: HTML and Excel for staff with ``disclosure_report:read``."""

    path = "/api/v1/disclosure/{code:str}/annual-reports/{year:int}"
    tags = ["disclosure"]

    @get("/html", summary="The annual report as a printable HTML page", media_type=MediaType.HTML)
    async def html(self, code: FromPath[str], year: FromPath[int],
                   principal: NamedDependency[Principal], db: NamedDependency[AsyncSession],
                   subtree: Subtree = False) -> Response[str]:
        report = await _report(db, principal, code, year, subtree)
        return Response(render_html(report), media_type=MediaType.HTML,
                        headers={"Cache-Control": "private, no-store"})

    @get("/xlsx", summary="The annual report as an Excel workbook", media_type=XLSX_MEDIA_TYPE)
    async def xlsx(self, code: FromPath[str], year: FromPath[int],
                   principal: NamedDependency[Principal], db: NamedDependency[AsyncSession],
                   subtree: Subtree = False) -> Response[bytes]:
        report = await _report(db, principal, code, year, subtree)
        ascii_name = f"disclosure-annual-report-{report.tenant_code}-{year}.xlsx"
        disposition = (f'attachment; filename="{ascii_name}"; '
                       f"filename*=UTF-8''{quote(report.title + '.xlsx')}")
        return Response(render_xlsx(report), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": disposition,
                                 "Cache-Control": "private, no-store"})
