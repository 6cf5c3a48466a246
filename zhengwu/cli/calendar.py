"""``zhengwu calendar …``: the statutory working-day clock (工作日历).

Thin wrappers over ``zhengwu.core.calendar.service``: each command opens an operator-scoped
session, acts as the operator (``Principal.system``) and prints the outcome.

* ``show YEAR [--tenant CODE] [--json]``: the year's status (published / provisional) and
  every holiday and make-up workday with its name (and, at a tenant, its chain's overrides).
* ``import-notice FILE [--dry-run]``: the State Council's yearly notice as JSON (format in
  the README and ``zhengwu/data/holiday-notice-example.json``). Every problem is listed
  with its place in the file, exit code 1, nothing written; on success the days added,
  removed and changed against what the clock used before.
* ``override TENANT DAY KIND NAME``: a regional holiday or workday for TENANT's subtree.
* ``deadline START DAYS [--tenant CODE] [--pause FROM:TO …] [--json]``: the due date and its
  derivation (every skipped holiday, weekend and paused day); provisional results are marked.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from zhengwu.cli import _runtime
from zhengwu.cli._runtime import console, err_console, operator_session, run_async
from zhengwu.core.calendar import service
from zhengwu.core.errors import Invalid, InvalidField
from zhengwu.core.security.principal import Principal
from zhengwu.tenants.scope import access_tenant

app = typer.Typer(no_args_is_help=True)

_OPERATOR = Principal.system("cli:calendar")
_WEEKDAY = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_KIND = {"holiday": "holiday / 休", "workday": "workday / 班"}
_REASON = {"holiday": "holiday / 节假日", "weekend": "weekend / 周末", "paused": "paused / 暂停计时"}


class Kind(StrEnum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"


def _say(text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False)


def _day(d: date) -> str:
    return f"{d.isoformat()} {_WEEKDAY[d.weekday()]}"


def _parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{what}: {value!r} is not a YYYY-MM-DD date") from None


def _parse_pause(value: str) -> tuple[date, date]:
    begin, sep, end = value.partition(":")
    if not sep:
        raise typer.BadParameter(f"--pause {value!r}: give FROM:TO, e.g. 2026-10-10:2026-10-12")
    return _parse_date(begin, "--pause"), _parse_date(end, "--pause")


def _print_problems(exc: Invalid) -> None:
    problems: list[InvalidField] = exc.params.get("problems", [])
    err_console.print(f"[red]error[/red] {exc.code}: {exc.zh} / {exc.en}", soft_wrap=True,
                      highlight=False)
    for p in problems:
        place = f"{p.field}: " if p.field else ""
        err_console.print(f"  {place}[bold]{p.code}[/bold] {p.zh} / {p.en}", soft_wrap=True,
                          highlight=False)


def _code(path: str | None) -> str | None:
    return None if path is None else path.rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------ show


@app.command()
@run_async
async def show(year: int = typer.Argument(..., help="The year, e.g. 2026."),
               tenant: str | None = typer.Option(None, "--tenant", metavar="CODE",
                                                 help="Include the regional overrides seen there."),
               as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """A year's status and every holiday and make-up workday, with names."""
    async with operator_session(_runtime.get_settings()) as session:
        where = None
        if tenant is not None:
            row = await access_tenant(session, _OPERATOR, tenant)
            where = (row.code, row.name, row.path)
        cal = await service.calendar_year(session, year, where[2] if where else None)
    if as_json:
        typer.echo(json.dumps({
            "year": cal.year, "status": cal.status, "source": cal.source,
            "imported_at": cal.imported_at.isoformat() if cal.imported_at else None,
            "tenant": where[0] if where else None,
            "days": [{"day": d.day.isoformat(), "weekday": _WEEKDAY[d.day.weekday()],
                      "kind": d.kind, "name": d.name, "source": d.source,
                      "provisional": d.provisional, "tenant": _code(d.tenant_path)}
                     for d in cal.days],
        }, ensure_ascii=False, indent=2))
        return
    at = f" at {where[1]} ({where[0]})" if where else " (national / 全国)"
    if cal.status == "published":
        _say(f"[bold]{year}[/bold]{at}: [green]published[/green] / 已发布 (source: {cal.source})")
    else:
        _say(f"[bold]{year}[/bold]{at}: [yellow]provisional[/yellow] / 暂定 — no State Council "
             "notice imported: the 2024 statutory holidays, no 调休; deadlines reaching this year "
             "are marked provisional")
    table = Table("day / 日期", "kind / 类型", "name / 名称", "source / 来源")
    for d in cal.days:
        source = f"override {_code(d.tenant_path)}" if d.tenant_path else d.source
        table.add_row(_day(d.day), _KIND.get(d.kind, d.kind), d.name, source)
    console.print(table)
    holidays = sum(d.kind == "holiday" for d in cal.days)
    _say(f"{holidays} holiday(s) / 休息日, {len(cal.days) - holidays} make-up workday(s) / 调休上班日")


# ------------------------------------------------------------------------------ import-notice


@app.command("import-notice")
@run_async
async def import_notice(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="The notice as JSON (see zhengwu/data/holiday-notice-example.json)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and show the changes; write nothing."),
) -> None:
    """Import the State Council's yearly holiday notice (replaces that year's national days).

    Every problem is listed with its place in the file (exit code 1, nothing written).
    """
    try:
        text = await asyncio.to_thread(path.read_text, "utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        err_console.print(f"[red]error[/red] calendar.bad_json: {path} 不是 UTF-8 JSON / "
                          f"is not UTF-8 JSON: {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from exc
    try:
        notice = service.notice_from_dict(data)
        async with operator_session(_runtime.get_settings()) as session:
            change = await service.import_notice(session, _OPERATOR, notice.year,
                                                 notice.holidays, notice.workdays)
            if dry_run:
                await session.rollback()
            else:
                await session.commit()
    except Invalid as exc:
        if "problems" not in exc.params:
            raise
        _print_problems(exc)
        raise typer.Exit(1) from exc
    before = ("the published calendar / 已发布的日历" if change.previous_status == "published"
              else "the provisional rule / 暂定规则")
    _say(f"[bold]{notice.year}[/bold]: {len(notice.holidays)} holiday(s), "
         f"{len(notice.workdays)} make-up workday(s); compared with {before}:")
    for row in change.added:
        _say(f"  [green]+[/green] {_day(row.day)} {_KIND[row.kind]} {row.name}")
    for row in change.removed:
        _say(f"  [red]-[/red] {_day(row.day)} {_KIND[row.kind]} {row.name}")
    for old, new in change.changed:
        _say(f"  [yellow]~[/yellow] {_day(new.day)} {_KIND[new.kind]} {new.name} "
             f"(was {_KIND[old.kind]} {old.name})")
    _say(f"{len(change.added)} added / 新增, {len(change.removed)} removed / 删除, "
         f"{len(change.changed)} changed / 变更")
    if dry_run:
        _say("[yellow]dry run[/yellow]: nothing written / 试运行，未写入任何数据")
    else:
        _say(f"[green]imported[/green]: {notice.year} is published / 已导入并发布")


# ------------------------------------------------------------------------------ override


@app.command()
@run_async
async def override(tenant: str = typer.Argument(..., help="Division code (province, city or county)."),
                   day: str = typer.Argument(..., help="YYYY-MM-DD."),
                   kind: Kind = typer.Argument(..., help="holiday or workday."),
                   name: str = typer.Argument(..., help="The day's name, e.g. 那达慕.")) -> None:
    """A regional holiday or workday at TENANT for its whole subtree (民族节日 …)."""
    on = _parse_date(day, "DAY")
    async with operator_session(_runtime.get_settings()) as session:
        row = await service.add_override(session, _OPERATOR, tenant, on, kind.value, name)
        where = await access_tenant(session, _OPERATOR, tenant)
        await session.commit()
    _say(f"{where.name} ({where.code}): {_day(row.day)} {_KIND[row.kind]} {row.name} — "
         "applies to its subtree / 适用于本级及下级")


# ------------------------------------------------------------------------------ deadline


@app.command()
@run_async
async def deadline(start: str = typer.Argument(..., help="Start (the day of acceptance), YYYY-MM-DD."),
                   days: int = typer.Argument(..., help="The limit in working days."),
                   tenant: str | None = typer.Option(None, "--tenant", metavar="CODE",
                                                     help="Apply the regional overrides seen there."),
                   pause: list[str] = typer.Option([], "--pause", metavar="FROM:TO",
                                                   help="A paused span (inclusive); repeatable."),
                   as_json: bool = typer.Option(False, "--json", help="Print the derivation as JSON.")
                   ) -> None:
    """The due date (the DAYS-th working day after START) and how it was reckoned."""
    begin = _parse_date(start, "START")
    pauses = [_parse_pause(p) for p in pause]
    async with operator_session(_runtime.get_settings()) as session:
        result = await service.deadline_at(session, _OPERATOR, tenant, begin, days, pauses)
        where = await access_tenant(session, _OPERATOR, tenant) if tenant else None
    if as_json:
        out: dict[str, Any] = {**result.to_dict(), "tenant": where.code if where else None}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    at = f"at {where.name} ({where.code})" if where else "national calendar / 全国"
    _say(f"{_day(result.start)} + {result.limit} working day(s) / 个工作日 → due / 到期 "
         f"[bold]{_day(result.due)}[/bold] ({at})")
    if result.skipped:
        _say("skipped / 不计:")
        for s in result.skipped:
            _say(f"  {_day(s.day)}  {_REASON.get(s.reason, s.reason)}  {s.name}")
    if result.paused:
        _say("paused / 暂停: " + ", ".join(d.isoformat() for d in result.paused))
    if result.provisional:
        years = ", ".join(str(y) for y in result.provisional_years)
        _say(f"[yellow]PROVISIONAL / 暂定[/yellow]: no State Council notice for {years} yet; "
             "reckoned with the 2024 statutory holidays and no 调休 — re-check once the notice "
             "is imported")
