"""``zhengwu intake …``: the intake plugin's operator commands (mounted through the
``zhengwu_cli`` hook).

* ``zhengwu intake import FILE.csv --tenant 341881 [--dry-run]`` — historical cases
  (format: ``importer``): every bad row listed with its line (exit code 1, nothing written);
  otherwise one transaction with a progress bar. Running it again adds nothing.
* ``zhengwu intake replay [--tenant 341881]`` — announce every open accepted case again
  (``intake.case_snapshot``, see ``replay``) so that a plugin installed after the cases were
  accepted, or after an import, learns of them; one transaction per batch; idempotent.

The CLI's runtime (settings, operator session, console) is imported inside the command: the
command line loads plugins while it is being assembled, so this module must not import
``zhengwu.cli`` at import time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhengwu.core.errors import DomainError, Invalid, InvalidField
from zhengwu.core.security.principal import Principal

app = typer.Typer(no_args_is_help=True)

_NAMES = {"rows": "rows in file / 文件行数", "new": "to import / 待导入",
          "unchanged": "already imported / 已导入（跳过）", "submitted": "  submitted / 已提交",
          "accepted": "  accepted (open) / 已受理（在办）", "approved": "  approved / 准予",
          "denied": "  denied / 不予", "delivered": "  delivered / 已送达（办结）",
          "not_accepted": "  not accepted / 不予受理", "withdrawn": "  withdrawn / 已撤回"}


@app.command("import")
def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="CSV file of historical cases (UTF-8, header row)."),
    tenant: str = typer.Option(..., "--tenant", metavar="CODE",
                               help="Import into this tenant's subtree (e.g. the county 341881)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and show; write nothing."),
) -> None:
    """Import historical cases (历史办件): check every row, then write all in one transaction.

    Bad rows are all listed with their line numbers (exit code 1) and nothing is written.
    Rows imported before (same case number at the same tenant) are skipped: a second run
    adds nothing. ID numbers and phones are encrypted like those of live cases.
    """
    try:
        asyncio.run(_import(path, tenant, dry_run))
    except Invalid as exc:
        if "problems" not in exc.params:
            _print_error(exc)
            raise typer.Exit(1) from exc
        _print_problems(exc)
        raise typer.Exit(1) from exc
    except DomainError as exc:
        _print_error(exc)
        raise typer.Exit(1) from exc


async def _import(path: Path, under: str, dry_run: bool) -> None:
    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.intake import importer
    from zhengwu.plugins.intake.service import current_cipher

    boot()
    console = _runtime.console
    operator = Principal.system("cli:intake-import")
    parsed = await asyncio.to_thread(importer.read_cases, path)
    cipher = current_cipher()
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        with console.status(f"checking {len(parsed.rows):,} rows / 校验中"):
            plan = await importer.plan_import(session, operator, parsed, under, cipher=cipher)
        table = Table("cases / 办件", "count / 数量")
        for key, count in plan.counts.items():
            table.add_row(_NAMES.get(key, key), f"{count:,}")
        console.print(f"[bold]{escape(parsed.source)}[/bold] → {plan.under.name} "
                      f"({plan.under.code})", highlight=False)
        console.print(table)
        if dry_run:
            console.print("[yellow]dry run[/yellow]: nothing written / 试运行，未写入任何数据")
            return
        if not plan.new:
            console.print("[green]nothing to do[/green] / 无需导入")
            return
        with Progress(TextColumn("importing / 导入中"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("import", total=len(plan.new))
            result = await importer.apply_import(
                session, operator, plan, cipher=cipher,
                on_progress=lambda done, _total: progress.update(task, completed=done))
    console.print(f"[green]done[/green]: {result.imported} imported / 已导入, {result.unchanged} "
                  f"already there / 已存在, {result.batches} batch(es), one transaction",
                  highlight=False)


def _print_problems(exc: Invalid) -> None:
    """Every bad row on its own line (greppable: ``line N: code message``)."""
    from zhengwu.cli import _runtime

    err = _runtime.err_console
    problems: list[InvalidField] = exc.params.get("problems", [])
    err.print(f"[red]{escape(exc.zh)}[/red] / {escape(exc.en)}", soft_wrap=True, highlight=False)
    for p in problems:
        where = f"line {p.line}" if p.line else "file"
        column = f" ({p.field})" if p.field else ""
        err.print(escape(f"  {where}{column}: {p.code} {p.zh} / {p.en}"), soft_wrap=True,
                  highlight=False)


def _print_error(exc: DomainError) -> None:
    from zhengwu.cli import _runtime

    _runtime.err_console.print(escape(f"error {exc.code}: {exc.zh} / {exc.en}"), soft_wrap=True,
                               highlight=False)


@app.command("replay")
def replay(
    tenant: str | None = typer.Option(None, "--tenant", metavar="CODE",
                                      help="Only the open cases of this subtree (default: all)."),
    batch: int = typer.Option(500, "--batch", min=1, max=10_000,
                              help="Cases per transaction."),
) -> None:
    """Announce the open accepted cases again (intake.case_snapshot) for plugins that missed them.

    Run it after installing a plugin that follows cases (e-supervision) or after importing
    historical open cases: listeners that know a case already ignore its snapshot, so running
    it twice changes nothing.
    """
    try:
        asyncio.run(_replay(tenant, batch))
    except DomainError as exc:
        _print_error(exc)
        raise typer.Exit(1) from exc


async def _replay(code: str | None, batch: int) -> None:
    from zhengwu.cli import _runtime
    from zhengwu.core.errors import NotFound
    from zhengwu.platform import boot
    from zhengwu.plugins.intake.replay import count_open_cases, replay_batch
    from zhengwu.tenants.models import Tenant

    boot()
    console = _runtime.console
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        path = None
        if code is not None:
            from sqlalchemy import select

            found = await session.scalar(select(Tenant).where(Tenant.code == code))
            if found is None:
                raise NotFound("tenant", code)
            path = found.path
        total = await count_open_cases(session, path)
        done, after = 0, None
        with Progress(TextColumn("replaying / 重放在办件"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("replay", total=total)
            while True:
                result = await replay_batch(session, under_path=path, after=after, limit=batch)
                await session.commit()
                if result.last_id is None:
                    break
                done, after = done + result.announced, result.last_id
                progress.update(task, completed=done)
    console.print(f"[green]done[/green]: {done} open case(s) announced / 已重放在办件",
                  highlight=False)
