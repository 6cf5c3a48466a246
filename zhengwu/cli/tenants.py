"""``zhengwu tenants …``: provision and inspect tenants (行政区划).

Thin wrappers over ``zhengwu.tenants``: each command opens an operator-scoped session, calls
the service as the operator (``Principal.system``) and prints the outcome.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhengwu.cli import _runtime
from zhengwu.cli._runtime import console, err_console, operator_session, run_async
from zhengwu.core.db import make_engine
from zhengwu.core.errors import Invalid, InvalidField
from zhengwu.core.security.principal import Principal
from zhengwu.tenants import importer

app = typer.Typer(no_args_is_help=True)

_VACUUM_AFTER = 50_000
"""Rows added on PostgreSQL above which the import runs ``VACUUM ANALYZE tenants``."""


# ---------------------------------------------------------------------------------- import


@app.command("import")
@run_async
async def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="National table (code,name,tier,parent_code; .csv or "
                                     ".csv.gz) or the padded 12-digit list (code,name)."),
    under: str | None = typer.Option(None, "--under", metavar="CODE",
                                     help="Import only CODE and everything below it."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Show what would change; write nothing."),
    examples: int = typer.Option(5, "--examples", min=0,
                                 help="Examples shown per class of change."),
) -> None:
    """Import divisions in bulk: check every row first, show the diff, then apply.

    Bad rows are all listed with their line numbers (exit code 1) and nothing is written.
    Re-running is safe: what is already in is unchanged, an interrupted import carries on.
    Moved tenants (after a merge) and tenants missing from the file are reported, never
    moved back or deleted.
    """
    settings = _runtime.get_settings()
    operator = Principal.system("cli:import")
    parsed = importer.read_divisions(path)
    async with operator_session(settings) as session:
        try:
            plan = await importer.plan_import(session, operator, parsed, under=under)
        except Invalid as exc:
            if exc.code != "import.invalid_rows":
                raise
            _print_problems(exc)
            raise typer.Exit(1) from exc
        _print_plan(plan, examples)
        if dry_run:
            console.print("[yellow]dry run[/yellow]: nothing written / 试运行，未写入任何数据")
            return
        if not plan.has_work:
            console.print("[green]nothing to do[/green] / 无需变更")
            return
        total = len(plan.added) + len(plan.renamed)
        # The operator's login owns the tables (it runs the migrations): on PostgreSQL the
        # first load of an empty directory takes the importer's bulk path with it.
        owner = make_engine(settings, as_owner=True) if settings.is_postgres else None
        try:
            with Progress(TextColumn("importing / 导入中"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                task = progress.add_task("import", total=total)
                result = await importer.apply_import(
                    session, operator, plan, batch_size=settings.import_batch_size,
                    on_progress=lambda done, _total: progress.update(task, completed=done),
                    owner=owner)
            if owner is not None and result.added >= _VACUUM_AFTER:
                await importer.vacuum_analyze(owner)
        finally:
            if owner is not None:
                await owner.dispose()
    console.print(f"[green]done[/green]: {result.added} added / 新增, {result.renamed} renamed / "
                  f"更名, {result.batches} batch(es); {result.left_alone} moved tenant(s) left "
                  "as they are / 已迁移的区划保持不变")


def _print_problems(exc: Invalid) -> None:
    """Every bad row on its own line (no table: codes and line numbers stay greppable)."""
    problems: list[InvalidField] = exc.params.get("problems", [])
    err_console.print(f"[red]{exc.zh}[/red] / {exc.en}", soft_wrap=True)
    for p in problems:
        where = f"line {p.line}" if p.line else "file"
        err_console.print(f"  {where}: [bold]{p.code}[/bold] {p.zh} / {p.en}", soft_wrap=True,
                          highlight=False)


def _print_plan(plan: importer.ImportPlan, examples: int) -> None:
    where = f"under {plan.under}" if plan.under else "whole file"
    console.print(f"[bold]{plan.source}[/bold] ({plan.format.value}, {where})")
    summary = Table("class / 类别", "count / 数量", "on apply / 应用时")
    actions = {"added": "added / 新增", "renamed": "renamed / 更名",
               "moved": "left alone / 保持不变", "unchanged": "-",
               "missing": "kept, never deleted / 保留，不删除",
               "duplicates": "skipped / 跳过"}
    for name, count in plan.counts.items():
        summary.add_row(name, f"{count:,}", actions[name])
    console.print(summary)
    if plan.synthesised:
        console.print(f"county level added for cities without counties / 补充县级: "
                      f"{', '.join(plan.synthesised)}")
    if not examples:
        return
    for line, code, name, path in plan.added[:examples]:
        console.print(f"  [green]+[/green] line {line}: {code} {name} ({path})")
    for r in plan.renamed[:examples]:
        console.print(f"  [cyan]~[/cyan] line {r.line}: {r.code} {r.old_name} → {r.new_name}")
    for m in plan.moved[:examples]:
        console.print(f"  [yellow]>[/yellow] line {m.line}: {m.code} {m.name}: file parent "
                      f"{m.file_parent or 'platform'}, database {m.db_path}")
    for g in plan.missing[:examples]:
        console.print(f"  [red]?[/red] {g.code} {g.name} ({g.path}) not in the file / 文件中没有")


# ------------------------------------------------------------------------ single tenants

_OPERATOR = Principal.system("cli")


async def _show(code: str) -> dict[str, object]:
    from zhengwu.tenants.provisioning import subtree_counts
    from zhengwu.tenants.scope import access_tenant

    async with operator_session() as session:
        tenant = await access_tenant(session, _OPERATOR, code)
        parent = None
        if tenant.parent_id is not None:
            from zhengwu.tenants.models import Tenant

            parent_row = await session.get(Tenant, tenant.parent_id)
            parent = {"code": parent_row.code, "name": parent_row.name} if parent_row else None
        return {"code": tenant.code, "padded": tenant.code.ljust(12, "0") if tenant.code != "0" else None,
                "name": tenant.name, "tier": tenant.tier, "kind": tenant.kind, "path": tenant.path,
                "parent": parent, "status": tenant.status,
                "descendants": await subtree_counts(session, tenant)}


@app.command()
@run_async
async def show(code: str = typer.Argument(..., help="Division code (any accepted form)."),
               as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Code, name, tier, kind, path, parent, status and descendants per tier."""
    import json

    info = await _show(code)
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    parent = info["parent"]
    console.print(f"{info['name']} ({info['code']}, {info['tier']}"
                  f"{', ' + str(info['kind']) if info['kind'] else ''}) — {info['status']}")
    console.print(f"  path    {info['path']}")
    parent_text = f"{parent['name']} ({parent['code']})" if isinstance(parent, dict) else "—"
    console.print(f"  parent  {parent_text}")
    counts = info["descendants"]
    assert isinstance(counts, dict)
    console.print("  below   " + (", ".join(f"{n} {t}" for t, n in counts.items()) or "nothing"))


@app.command()
@run_async
async def create(code: str, name: str,
                 parent: str | None = typer.Option(None, help="Parent code (default: implied).")) -> None:
    """Create one tenant under its parent."""
    from zhengwu.tenants import provisioning

    async with operator_session() as session:
        tenant = await provisioning.create_tenant(session, _OPERATOR, code, name, parent)
        await session.commit()
    console.print(f"created {tenant.name} ({tenant.code}, {tenant.tier}) at {tenant.path}")


@app.command()
@run_async
async def suspend(code: str) -> None:
    """Suspend a tenant: no new business, data kept."""
    from zhengwu.tenants import provisioning

    async with operator_session() as session:
        tenant = await provisioning.suspend_tenant(session, _OPERATOR, code)
        await session.commit()
    console.print(f"suspended {tenant.name} ({tenant.code})")


@app.command()
@run_async
async def reactivate(code: str) -> None:
    """Reactivate a suspended tenant."""
    from zhengwu.tenants import provisioning

    async with operator_session() as session:
        tenant = await provisioning.reactivate_tenant(session, _OPERATOR, code)
        await session.commit()
    console.print(f"reactivated {tenant.name} ({tenant.code})")


@app.command()
@run_async
async def merge(source: str, target: str) -> None:
    """Merge SOURCE into TARGET (撤并): children and records move, with a trace."""
    from zhengwu.tenants import provisioning

    async with operator_session() as session:
        trace = await provisioning.merge_tenant(session, _OPERATOR, source, target)
        await session.commit()
    moved = ", ".join(f"{k} {v}" for k, v in sorted(trace.moved.items())) or "nothing"
    console.print(f"merged {source} into {target}; moved: {moved}")
