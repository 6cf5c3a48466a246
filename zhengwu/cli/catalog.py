"""``zhengwu catalog …``: import and export the service-item catalog and implementation lists.

Thin wrappers over ``zhengwu.core.catalog.exchange`` (JSON and Excel), ``.cpsv`` (CPSV-AP
JSON-LD of one item) and ``.shared_files`` (the shared CSV files as they are). Each command
opens an operator-scoped session and acts as the operator (``Principal.system``); the
services check every rule. Problems are printed one per line with their place in the file
(greppable), exit code 1, nothing written.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from zhengwu.cli import _runtime
from zhengwu.cli._runtime import console, err_console, operator_session, run_async
from zhengwu.core.catalog import cpsv, exchange, shared_files
from zhengwu.core.errors import Invalid, InvalidField
from zhengwu.core.security.principal import Principal

app = typer.Typer(no_args_is_help=True)

_OPERATOR = Principal.system("cli:catalog")


class Format(StrEnum):
    JSON = "json"
    XLSX = "xlsx"
    JSONLD = "jsonld"


def _say(text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False)


def _print_problems(exc: Invalid) -> None:
    problems: list[InvalidField] = exc.params.get("problems", [])
    err_console.print(f"[red]{exc.zh}[/red] / {exc.en}", soft_wrap=True, highlight=False)
    for p in problems:
        err_console.print(f"  [bold]{p.code}[/bold] {p.zh} / {p.en}", soft_wrap=True,
                          highlight=False)


def _print_report(report: exchange.ImportReport) -> None:
    table = Table("outcome / 结果", "count / 数量")
    names = {"created": "created / 新建", "new_version": "new version / 新版本",
             "updated": "draft updated / 草稿已更新", "unchanged": "unchanged / 无变化",
             "published": "published / 已发布", "adopted": "adopted / 已采用"}
    for key, count in report.counts.items():
        table.add_row(names.get(key, key), str(count))
    _say(f"[bold]{report.source}[/bold] → {report.target}")
    console.print(table)
    if report.dry_run:
        _say("[yellow]dry run[/yellow]: nothing written / 试运行，未写入任何数据")
    else:
        _say("[green]done[/green] / 完成")


@app.command("import")
@run_async
async def import_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="Catalog or implementation list (.json, .xlsx), or a "
                                     "shared service-item file (.csv)."),
    owner: str | None = typer.Option(None, "--owner", metavar="CODE",
                                     help="The catalog's owner (a province, or 0)."),
    implementations: str | None = typer.Option(
        None, "--implementations", metavar="TENANT",
        help="Import an implementation list into TENANT instead of a catalog."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and show; write nothing."),
    publish: bool = typer.Option(False, "--publish",
                                 help="Publish every created or changed item."),
    report_path: Path | None = typer.Option(
        None, "--report", metavar="FILE", help="Shared files: write the per-row report (CSV)."),
    examples: int = typer.Option(5, "--examples", min=0,
                                 help="Shared files: rows shown per status."),
) -> None:
    """Import a catalog or an implementation list: all or nothing, every problem listed.

    The target is --owner (or --implementations), whatever owner the document names.

    Re-importing the same content changes nothing (no new version). A shared CSV is read as
    it is: rows that lack what an item needs are reported (line and reason) and left out;
    the rest are imported.
    """
    if (owner is None) == (implementations is None):
        raise typer.BadParameter("give --owner CODE (catalog) or --implementations TENANT")
    try:
        if implementations is not None:
            imp_doc = exchange.read_implementations(path, tenant=implementations)
            async with operator_session(_runtime.get_settings()) as session:
                rep = await exchange.import_implementations(session, _OPERATOR, implementations,
                                                            imp_doc, dry_run=dry_run)
            _print_report(rep)
            return
        assert owner is not None
        if path.suffix.lower() == ".csv":
            shared = shared_files.read_shared_file(path)
            _print_shared(shared, examples)
            if report_path is not None:
                await asyncio.to_thread(report_path.write_text, _report_csv(shared), "utf-8")
                _say(f"per-row report / 逐行报告: {report_path}")
            doc = shared.document(owner)
            if not doc.items:
                _say("no row has what an item needs / 没有可导入的事项")
                return
        else:
            doc = exchange.read_catalog(path, owner=owner)
        async with operator_session(_runtime.get_settings()) as session:
            rep = await exchange.import_catalog(session, _OPERATOR, owner, doc, publish=publish,
                                                dry_run=dry_run)
        _print_report(rep)
    except Invalid as exc:
        if "problems" not in exc.params:
            raise
        _print_problems(exc)
        raise typer.Exit(1) from exc


def _print_shared(shared: shared_files.SharedFile, examples: int) -> None:
    c = shared.counts
    _say(f"[bold]{shared.source}[/bold]: {c['rows']} row(s) / 行; {c['item']} item(s) / 可导入事项, "
         f"{c['superseded']} older version(s) / 旧版本, {c['needs_basic_code']} needs a basic "
         f"code / 需补充基本编码, {c['incomplete']} incomplete / 要素不全")
    table = Table("lacks / 缺少", "rows / 行数", "blocks / 阻止导入")
    for code, n in sorted(shared.lack_counts.items(), key=lambda kv: -kv[1]):
        table.add_row(code, str(n), "yes" if code in shared_files.BLOCKING else "no")
    console.print(table)
    if not examples:
        return
    for status in ("needs_basic_code", "incomplete", "superseded"):
        rows = [r for r in shared.rows if r.status == status][:examples]
        for r in rows:
            local = f" [{r.local_code}]" if r.local_code else ""
            _say(f"  line {r.line} {status}: {r.basic_code or '-'}{local} {r.name[:40]} — "
                 f"{', '.join(r.lack_codes())}")


def _report_csv(shared: shared_files.SharedFile) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["line", "status", "basic_code", "local_code", "name", "lacks", "details"])
    for r in shared.rows:
        w.writerow([r.line, r.status, r.basic_code or "", r.local_code or "", r.name,
                    ";".join(r.lack_codes()), "；".join(p.zh for p in r.lacks)])
    return buf.getvalue()


@app.command("export")
@run_async
async def export(
    owner: str | None = typer.Option(None, "--owner", metavar="CODE",
                                     help="Export the catalog of CODE."),
    implementations: str | None = typer.Option(
        None, "--implementations", metavar="TENANT", help="Export TENANT's implementation list."),
    fmt: Format = typer.Option(Format.JSON, "--format", help="json, xlsx, or jsonld (one item)."),
    item: str | None = typer.Option(None, "--item", metavar="BASIC_CODE",
                                    help="With --format jsonld: the item to export."),
    output: Path = typer.Option(..., "-o", "--output", dir_okay=False, help="File to write."),
) -> None:
    """Export a catalog or an implementation list (JSON, Excel), or one item as CPSV-AP JSON-LD."""
    if (owner is None) == (implementations is None):
        raise typer.BadParameter("give --owner CODE (catalog) or --implementations TENANT")
    async with operator_session(_runtime.get_settings()) as session:
        if fmt is Format.JSONLD:
            if owner is None or item is None:
                raise typer.BadParameter("--format jsonld needs --owner and --item")
            doc = await cpsv.export_item(session, _OPERATOR, owner, item)
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
            await asyncio.to_thread(output.write_text, text, "utf-8")
            _say(f"[green]written[/green] {output}: CPSV-AP PublicService {item}")
            return
        if implementations is not None:
            imps = await exchange.export_implementations(session, _OPERATOR, implementations)
            data = (exchange.implementations_to_xlsx(imps) if fmt is Format.XLSX
                    else exchange.dumps(exchange.implementations_to_json(imps)))
            count = len(imps.implementations)
        else:
            assert owner is not None
            cat = await exchange.export_catalog(session, _OPERATOR, owner)
            data = (exchange.catalog_to_xlsx(cat) if fmt is Format.XLSX
                    else exchange.dumps(exchange.catalog_to_json(cat)))
            count = len(cat.items)
    await asyncio.to_thread(output.write_bytes, data)
    _say(f"[green]written[/green] {output}: {count} record(s) / 条")
