"""``zhengwu supervision …``: the e-supervision plugin's operator commands (mounted through the
``zhengwu_cli`` hook).

* ``zhengwu supervision sweep [--json]`` — run the sweep now over every tenant where the plugin
  is on (what the ``supervision.sweep`` job does every 10 minutes) and print what it did.
  Running it again raises nothing twice.
* ``zhengwu supervision import-tickets FILE [--format csv|json] [--json]`` — import 12345
  hotline tickets (all or nothing: with any bad row every bad row is printed, nothing is
  written, exit 1; a ticket imported before is skipped).
* ``zhengwu supervision summarize [--day YYYY-MM-DD]`` — 每日定时汇总 now for ``day`` (default:
  yesterday in Asia/Shanghai; what the ``supervision.summarize`` job does after midnight); run
  again, the day's rows are replaced.
* ``zhengwu supervision notify`` — send the cards and 督办 tickets waiting to be sent now (normally the
  ``supervision.notify`` job, deferred through the outbox).

The CLI's runtime (settings, operator session, console) is imported inside the commands: the
command line loads plugins while it is being assembled, so this module must not import
``zhengwu.cli`` at import time.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from zhengwu.core import clock
from zhengwu.core.errors import DomainError

app = typer.Typer(no_args_is_help=True)

_NAMES = {
    "recomputed": "thresholds recomputed / 重算黄牌日",
    "near_deadline": "yellow: near deadline / 临近期限",
    "overdue": "red: overdue / 超期",
    "step_over_limit": "yellow: step over limit / 环节超时",
    "ticket_overdue": "red: 督办 overdue / 督办逾期",
    "complaint_overdue": "red: complaint not answered / 投诉逾期",
    "rectification_contact_overdue": "yellow: bad rating not contacted / 差评逾期未核实",
    "rectification_overdue": "red: rectification overdue / 差评整改逾期",
    "urged": "urged / 催办",
    "raised": "cards raised / 新亮牌",
}


@app.command("sweep")
def sweep_(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """巡检: raise the yellow and red cards due now, urge the unanswered ones, queue notifications."""
    try:
        asyncio.run(_sweep(as_json))
    except DomainError as exc:
        _error(exc)
        raise typer.Exit(1) from exc


async def _sweep(as_json: bool) -> None:
    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.supervision.projection import PLUGIN
    from zhengwu.plugins.supervision.sweep import sweep
    from zhengwu.tenants.enablement import enabled_scope

    boot()
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        enabled = await enabled_scope(session, PLUGIN)
        report = await sweep(session, enabled, clock.now())
        await session.commit()
    if as_json:
        _runtime.console.print_json(json.dumps(report.as_dict()))
        return
    table = Table(f"sweep {report.today.isoformat()} / 巡检", "count / 数量")
    for key, value in report.as_dict().items():
        if key in _NAMES:
            table.add_row(_NAMES[key], f"{value:,}")
    _runtime.console.print(table)
    if report.notify_queued:
        _runtime.console.print("notifications queued (outbox) / 预警通知已排队", highlight=False)


@app.command("notify")
def notify() -> None:
    """Send the cards and 督办 tickets waiting to be sent now (通知)."""
    try:
        asyncio.run(_notify())
    except DomainError as exc:
        _error(exc)
        raise typer.Exit(1) from exc


async def _notify() -> None:
    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.supervision.notify import notify_pending, notify_tickets

    boot()
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        tickets = await notify_tickets(session, clock.now())
        sent = await notify_pending(session, clock.now())
        await session.commit()
    _runtime.console.print(f"{sent} card(s) sent / 已通知"
                           + (f", {tickets} 督办 ticket(s) sent" if tickets else ""),
                           highlight=False)


@app.command("summarize")
def summarize_(day: str = typer.Option("", "--day", help="YYYY-MM-DD (default: yesterday).")
               ) -> None:
    """每日定时汇总: keep the day's figures per tenant (cases, fees, cards, complaints, ratings)."""
    from datetime import date

    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError:
        typer.echo(f"error: --day {day!r} is not YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(_summarize(the_day))
    except DomainError as exc:
        _error(exc)
        raise typer.Exit(1) from exc


async def _summarize(day: Any) -> None:
    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.supervision.jobs import summarize_day

    boot()
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        the_day, rows = await summarize_day(session, day)
        await session.commit()
    _runtime.console.print(f"{the_day.isoformat()}: {rows} tenant summaries kept / 每日汇总完成",
                           highlight=False)


@app.command("import-tickets")
def import_tickets_(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                    help="The 12345 ticket export (CSV or JSON)."),
        fmt: str = typer.Option("", "--format", help="csv or json (default: the file's suffix)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """导入 12345 热线工单 (hotline tickets) as complaints; re-importing adds nothing."""
    try:
        from zhengwu.plugins.supervision.complaints import parse_tickets

        rows = parse_tickets(file.read_text(encoding="utf-8"),
                             fmt or file.suffix.lstrip(".").lower())
        ok = asyncio.run(_import(rows, as_json))
    except DomainError as exc:
        _error(exc)
        raise typer.Exit(1) from exc
    if not ok:
        raise typer.Exit(1)


async def _import(rows: list[dict[str, Any]], as_json: bool) -> bool:
    from rich.markup import escape

    from zhengwu.cli import _runtime
    from zhengwu.platform import boot
    from zhengwu.plugins.supervision.complaints import import_tickets

    boot()
    async with _runtime.operator_session(_runtime.get_settings()) as session:
        report = await import_tickets(session, rows)
        if report.errors:
            await session.rollback()
        else:
            await session.commit()
    if as_json:
        _runtime.console.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for e in report.errors:
            _runtime.err_console.print(escape(f"row {e['row']} ({e['id']}): {e['code']} — "
                                              f"{e['message']}"), soft_wrap=True, highlight=False)
        _runtime.console.print(
            f"{report.rows} row(s): {report.added} added, {report.skipped} already imported, "
            f"{len(report.errors)} bad / 导入{'失败，未写入' if report.errors else '完成'}",
            highlight=False)
    return not report.errors


def _error(exc: DomainError) -> None:
    from rich.markup import escape

    from zhengwu.cli import _runtime

    _runtime.err_console.print(escape(f"error {exc.code}: {exc.zh} / {exc.en}"), soft_wrap=True,
                               highlight=False)
