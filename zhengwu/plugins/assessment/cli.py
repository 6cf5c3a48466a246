"""``zhengwu assessment …``: the assessment plugin's operator commands (hook ``zhengwu_cli``).

* ``zhengwu assessment run --tenant 341881 --system MONTHLY --period 2026-03 [--tier township]``
  — runs the latest published version of the tenant's system over its targets with a progress
  bar, commits the run and prints the ranking and the run's id and digest;
* ``zhengwu assessment bulletin RUN_ID --out file.html|file.xlsx`` — writes the bulletin.

The CLI's runtime is imported inside the commands (plugins load while the CLI is assembled).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from zhengwu.core.errors import DomainError, InvalidField
from zhengwu.core.security.principal import Principal

app = typer.Typer(no_args_is_help=True)
OPERATOR = "cli:assessment"


@app.callback()
def _group() -> None:
    """考核评估: runs and bulletins."""


@app.command("run")
def run(
    tenant: str = typer.Option(..., "--tenant", metavar="CODE", help="The assessing tenant."),
    system: str = typer.Option(..., "--system", metavar="CODE",
                               help="The indicator system's code (its latest published version)."),
    period: str = typer.Option(..., "--period", help="2026-03-10, 2026-W11 or 2026-03."),
    tier: str | None = typer.Option(None, "--tier", help="The targets' tier (default: next below)."),
) -> None:
    """Run an indicator system over the targets below the tenant and print the ranking."""
    try:
        asyncio.run(_run(tenant, system, period, tier))
    except DomainError as exc:
        _print_problems(exc)
        raise typer.Exit(1) from exc


async def _run(tenant: str, system_code: str, period: str, tier: str | None) -> None:
    from rich.progress import Progress

    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.assessment import runs, systems

    boot()
    console = _runtime.console
    operator = Principal.system(OPERATOR)
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        system = await systems.published_version(session, operator, tenant, system_code)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("考核 / assessing", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = await runs.start_run(session, operator, runs.RunRequest(
                system_id=system.id, period=period, tier=tier), progress=progress)
        await session.commit()
    table = Table("名次", "考核对象", "代码", "总分", title=escape(
        f"{system.name}（第{system.version}版） {period}"))
    for r in result.results:
        table.add_row(str(r["rank"]), escape(r["name"]), r["code"], f"{r['total']:.2f}")
    console.print(table)
    if result.missing:
        console.print(f"[yellow]{len(result.missing)} 项缺少数据，按0分计[/yellow]")
    console.print(f"run {result.id}  digest {result.digest}", highlight=False)


@app.command("bulletin")
def bulletin(
    run_id: str = typer.Argument(..., metavar="RUN_ID"),
    out: Path = typer.Option(..., "--out", dir_okay=False, writable=True,
                             help="file.html or file.xlsx"),
) -> None:
    """Write a run's bulletin (通报) as HTML or Excel."""
    if out.suffix.lower() not in (".html", ".xlsx"):
        raise typer.BadParameter("--out must end in .html or .xlsx")
    try:
        data = asyncio.run(_bulletin(run_id, out.suffix.lower()))
    except DomainError as exc:
        _print_problems(exc)
        raise typer.Exit(1) from exc
    out.write_bytes(data)
    from zhengwu.cli import _runtime

    _runtime.console.print(f"bulletin → {escape(str(out))}", highlight=False)


async def _bulletin(run_id: str, suffix: str) -> bytes:
    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.assessment.bulletin import render_html, render_xlsx
    from zhengwu.plugins.assessment.runs import get_run

    boot()
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        run = await get_run(session, Principal.system(OPERATOR), run_id)
        return render_html(run).encode() if suffix == ".html" else render_xlsx(run)


def _print_problems(exc: DomainError) -> None:
    from zhengwu.cli import _runtime

    err = _runtime.err_console
    err.print(escape(f"error {exc.code}: {exc.zh}"), soft_wrap=True, highlight=False)
    problems: list[InvalidField] = exc.params.get("problems", [])
    for p in problems:
        err.print(escape(f"  {p.field}: {p.code} {p.en}"), soft_wrap=True, highlight=False)
