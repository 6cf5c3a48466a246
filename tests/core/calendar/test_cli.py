"""``zhengwu calendar show|import-notice|override|deadline`` against the test database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from tests.cli import invoke_cli
from tests.world import build_world
from zhengwu.core.calendar.models import CalendarDay, CalendarYear
from zhengwu.core.calendar.service import Deadline, seed_national

EXAMPLE = Path(__file__).resolve().parents[3] / "zhengwu" / "data" / "holiday-notice-example.json"
NOTICE_2027 = {  # test data in the notice's form (not the real 2027 notice)
    "year": 2027,
    "holidays": [{"from": "2027-01-01", "to": "2027-01-03", "name": "元旦"},
                 {"from": "2027-02-05", "to": "2027-02-12", "name": "春节"}],
    "workdays": [{"day": "2027-02-13", "name": "春节"}],
}


async def _seeded(session) -> None:
    await build_world(session)
    await seed_national(session)
    await session.commit()


async def test_show_lists_every_day_with_its_name(system_session, settings, monkeypatch):
    await _seeded(system_session)
    out = await invoke_cli(monkeypatch, settings, "calendar", "show", "2026")
    assert out.exit_code == 0, out.output
    assert "published" in out.output and "国庆节" in out.output and "中秋节" in out.output
    assert "33 holiday(s)" in out.output and "6 make-up workday(s)" in out.output
    out = await invoke_cli(monkeypatch, settings, "calendar", "show", "2026", "--json")
    info = json.loads(out.output)
    assert (info["status"], info["source"], info["tenant"]) == ("published", "chinese_calendar", None)
    days = {d["day"]: d for d in info["days"]}
    assert days["2026-10-01"]["kind"] == "holiday" and days["2026-10-01"]["name"] == "国庆节"
    assert days["2026-10-10"] == {"day": "2026-10-10", "weekday": "周六", "kind": "workday",
                                  "name": "国庆节", "source": "chinese_calendar",
                                  "provisional": False, "tenant": None}
    out = await invoke_cli(monkeypatch, settings, "calendar", "show", "2027", "--json")
    info = json.loads(out.output)
    assert info["status"] == "provisional" and all(d["provisional"] for d in info["days"])
    out = await invoke_cli(monkeypatch, settings, "calendar", "show", "2027")
    assert out.exit_code == 0 and "provisional" in out.output


async def test_import_notice_good_and_bad_files(system_session, settings, monkeypatch, tmp_path):
    await _seeded(system_session)

    async def count_2027() -> tuple[int, int]:
        system_session.expire_all()
        days = await system_session.scalar(select(func.count()).select_from(CalendarDay).where(
            CalendarDay.day >= date(2027, 1, 1)))
        years = await system_session.scalar(select(func.count()).select_from(CalendarYear).where(
            CalendarYear.year == 2027))
        await system_session.commit()
        return days or 0, years or 0

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": 2027, "holidays": [
        {"from": "2027-01-01", "name": "元旦"},
        {"from": "2027-02-30", "to": "2027-02-12", "name": "春节"}],
        "workdays": [{"day": "2027-02-10", "name": "春节"}]}, ensure_ascii=False), "utf-8")
    out = await invoke_cli(monkeypatch, settings, "calendar", "import-notice", str(bad))
    assert out.exit_code == 1, out.output
    assert "calendar.invalid_notice" in out.output
    for place, code in (("holidays[0].to", "calendar.missing_key"),
                        ("holidays[1].from", "calendar.bad_date"),
                        ("workdays[0]", "calendar.workday_on_weekday")):
        assert f"{place}: {code}" in out.output
    assert await count_2027() == (0, 0)
    broken = tmp_path / "broken.json"
    broken.write_text('{"year": 2027, "holidays": [', "utf-8")
    out = await invoke_cli(monkeypatch, settings, "calendar", "import-notice", str(broken))
    assert out.exit_code == 1 and "calendar.bad_json" in out.output
    assert await count_2027() == (0, 0)

    good = tmp_path / "notice-2027.json"
    good.write_text(json.dumps(NOTICE_2027, ensure_ascii=False), "utf-8")
    out = await invoke_cli(monkeypatch, settings, "calendar", "import-notice", str(good), "--dry-run")
    assert out.exit_code == 0 and "dry run" in out.output
    assert await count_2027() == (0, 0)
    out = await invoke_cli(monkeypatch, settings, "calendar", "import-notice", str(good))
    assert out.exit_code == 0, out.output
    assert "compared with the provisional rule" in out.output
    assert "+ 2027-02-13 周六 workday / 班 春节" in out.output
    assert "- 2027-10-01 周五 holiday / 休 国庆节" in out.output  # not in the (test) notice
    assert "7 added / 新增, 8 removed / 删除, 0 changed / 变更" in out.output
    assert await count_2027() == (12, 1)
    out = await invoke_cli(monkeypatch, settings, "calendar", "show", "2027", "--json")
    assert json.loads(out.output)["status"] == "published"

    # The shipped example is the 2026 schedule: importing it changes nothing.
    out = await invoke_cli(monkeypatch, settings, "calendar", "import-notice", str(EXAMPLE))
    assert out.exit_code == 0, out.output
    assert "0 added / 新增, 0 removed / 删除, 0 changed / 变更" in out.output


async def test_override_applies_to_the_subtree(system_session, settings, monkeypatch):
    await _seeded(system_session)
    out = await invoke_cli(monkeypatch, settings, "calendar", "override", "152501", "2027-03-22",
                           "holiday", "某民族节日")
    assert out.exit_code == 0, out.output
    assert "二连浩特市 (152501)" in out.output and "2027-03-22 周一" in out.output
    shown = json.loads((await invoke_cli(monkeypatch, settings, "calendar", "show", "2027",
                                         "--tenant", "152501200", "--json")).output)
    day = next(d for d in shown["days"] if d["day"] == "2027-03-22")
    assert (day["name"], day["tenant"], day["source"]) == ("某民族节日", "152501", "override")
    shown = json.loads((await invoke_cli(monkeypatch, settings, "calendar", "show", "2027",
                                         "--tenant", "341881", "--json")).output)
    assert "2027-03-22" not in {d["day"] for d in shown["days"]}
    out = await invoke_cli(monkeypatch, settings, "calendar", "deadline", "2027-03-19", "1",
                           "--tenant", "152501")
    assert "2027-03-23" in out.output and "某民族节日" in out.output
    out = await invoke_cli(monkeypatch, settings, "calendar", "override", "152501200", "2027-03-22",
                           "holiday", "x")
    assert out.exit_code == 1 and "calendar.override_tier" in out.output
    out = await invoke_cli(monkeypatch, settings, "calendar", "override", "152501", "2027-3-22",
                           "holiday", "x")
    assert out.exit_code == 2
    out = await invoke_cli(monkeypatch, settings, "calendar", "override", "152501", "2027-03-22",
                           "party", "x")
    assert out.exit_code == 2


async def test_deadline_prints_its_derivation(system_session, settings, monkeypatch):
    await _seeded(system_session)
    out = await invoke_cli(monkeypatch, settings, "calendar", "deadline", "2026-09-28", "5")
    assert out.exit_code == 0, out.output
    assert "due / 到期 2026-10-10 周六" in out.output
    for day in range(1, 8):  # the National Day break, each day named
        assert f"2026-10-0{day}" in out.output
    assert out.output.count("国庆节") == 7 and "PROVISIONAL" not in out.output
    out = await invoke_cli(monkeypatch, settings, "calendar", "deadline", "2026-09-28", "20",
                           "--tenant", "341881", "--pause", "2026-10-10:2026-10-12", "--json")
    derivation = json.loads(out.output)
    assert derivation["due"] == "2026-11-03" and derivation["tenant"] == "341881"
    assert derivation["paused"] == ["2026-10-10", "2026-10-11", "2026-10-12"]
    deadline = Deadline.from_dict(derivation)
    assert deadline.limit == 20 and len(deadline.skipped_holidays()) == 7
    out = await invoke_cli(monkeypatch, settings, "calendar", "deadline", "2026-12-10", "20")
    assert "due / 到期 2027-01-08" in out.output and "PROVISIONAL" in out.output
    assert "2027-01-01 周五  holiday / 节假日  元旦" in out.output
    out = await invoke_cli(monkeypatch, settings, "calendar", "deadline", "2026-09-28", "5",
                           "--pause", "2026-10-10")
    assert out.exit_code == 2
    out = await invoke_cli(monkeypatch, settings, "calendar", "deadline", "2026-09-28", "5",
                           "--tenant", "999999")
    assert out.exit_code == 1 and "tenant.not_found" in out.output
