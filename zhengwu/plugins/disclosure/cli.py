"""``zhengwu disclosure …``: the disclosure plugin's operator commands (mounted through the
``zhengwu_cli`` hook).

* ``zhengwu disclosure report --tenant 341881 --year 2025 [--html FILE] [--xlsx FILE]
  [--subtree]`` — the annual report (政府信息公开工作年度报告): prints a summary and writes the
  HTML and/or Excel file. When the template's checks fail, every failing check is printed
  (``row.column: code message``), nothing is written and the exit code is 1.

The CLI's runtime (settings, operator session, console) is imported inside the command: the
command line loads plugins while it is being assembled, so this module must not import
``zhengwu.cli`` at import time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from zhengwu.core.errors import DomainError, InvalidField
from zhengwu.core.security.principal import Principal

if TYPE_CHECKING:
    from zhengwu.plugins.disclosure.report import AnnualReport

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _group() -> None:
    """政务公开: the annual report."""


@app.command("report")
def report(
    tenant: str = typer.Option(..., "--tenant", metavar="CODE",
                               help="The tenant (区划代码, e.g. the county 341881)."),
    year: int = typer.Option(..., "--year", metavar="YEAR", help="The report's year."),
    html: Path | None = typer.Option(None, "--html", dir_okay=False, writable=True,
                                     help="Write the printable HTML page to this file."),
    xlsx: Path | None = typer.Option(None, "--xlsx", dir_okay=False, writable=True,
                                     help="Write the Excel workbook to this file."),
    subtree: bool = typer.Option(False, "--subtree",
                                 help="Sum every tenant of the subtree (default: the tenant's own)."),
) -> None:
    """The annual report (政府信息公开工作年度报告) of a tenant and year, checked.

    Prints a summary; writes HTML and/or Excel. Failing consistency checks are all listed and
    nothing is written (exit code 1).
    """
    from zhengwu.cli import _runtime
    from zhengwu.plugins.disclosure.report_render import render_html, render_xlsx

    try:
        result = asyncio.run(_report(tenant, year, subtree))
    except DomainError as exc:
        _print_problems(exc)
        raise typer.Exit(1) from exc
    console = _runtime.console
    if html is not None:
        html.write_text(render_html(result), encoding="utf-8")
        console.print(f"HTML → {escape(str(html))}", highlight=False)
    if xlsx is not None:
        xlsx.write_bytes(render_xlsx(result))
        console.print(f"Excel → {escape(str(xlsx))}", highlight=False)


async def _report(code: str, year: int, subtree: bool) -> AnnualReport:
    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.disclosure.report import annual_report

    boot()
    console = _runtime.console
    operator = Principal.system("cli:disclosure-report")
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        report = await annual_report(session, operator, code, year, subtree=subtree)
    console.print(f"[bold]{escape(report.title)}[/bold]"
                  + ("（含所辖各级 / whole subtree）" if subtree else ""), highlight=False)
    matrix = report.table("requests")
    table = Table("申请 / requests", *(c.label for c in matrix.columns))
    for key in ("new", "carried_over", "result.7", "carried_forward"):
        row = matrix.row(key)
        table.add_row(row.label, *(str(int(v)) for v in row.values))
    console.print(table)
    docs = report.table("proactive.20_1")
    for key in ("rule", "normative"):
        row = docs.row(key)
        issued, repealed, in_force = (int(v) for v in row.values)
        console.print(f"{row.label}: 本年制发 {issued}，本年废止 {repealed}，现行有效 {in_force}",
                      highlight=False)
    console.print("[green]checks passed[/green] / 校验通过")
    return report


def _print_problems(exc: DomainError) -> None:
    """The error, then every failing check on its own line (``field: code message``)."""
    from zhengwu.cli import _runtime

    err = _runtime.err_console
    err.print(escape(f"error {exc.code}: {exc.zh}" if "problems" not in exc.params
                     else f"error {exc.code}"), soft_wrap=True, highlight=False)
    problems: list[InvalidField] = exc.params.get("problems", [])
    for p in problems:
        err.print(escape(f"  {p.field}: {p.code} {p.zh} / {p.en}"), soft_wrap=True,
                  highlight=False)
    if not problems:
        err.print(escape(f"  {exc.en}"), soft_wrap=True, highlight=False)
