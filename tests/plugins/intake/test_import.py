"""``zhengwu intake import``: historical cases of 宁国市, its 方塘乡 and two agent points
(tests/fixtures/intake-cases-341881.csv, 30 rows): all or nothing, every bad row reported,
idempotent, personal data protected exactly as for live cases."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.cli import invoke_cli
from tests.plugins.intake.world import SYSTEM, build_intake_world
from zhengwu.core.audit import AuditEntry
from zhengwu.core.errors import Invalid
from zhengwu.core.pii import mask_id_number
from zhengwu.plugins.intake import importer, lookup
from zhengwu.plugins.intake.lookup import MemoryLimiter
from zhengwu.plugins.intake.models import Case, CaseFee, CaseHistory
from zhengwu.plugins.intake.service import current_cipher

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "intake-cases-341881.csv"


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
async def world(system_session, settings):
    await build_intake_world(system_session, settings)
    return system_session


async def _count(session, model, *where) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _import(monkeypatch, settings, path: Path | str, *extra: str):
    return await invoke_cli(monkeypatch, settings, "intake", "import", str(path), "--tenant",
                            "341881", *extra)


async def test_the_sample_file_imports_every_row(world, settings, monkeypatch, sessionmaker):
    s = world
    result = await _import(monkeypatch, settings, FIXTURE)
    assert result.exit_code == 0, result.output
    assert "30 imported" in result.output
    assert await _count(s, Case) == 30 and await _count(s, Case, Case.imported.is_(True)) == 30
    statuses = dict((await s.execute(select(Case.status, func.count()).group_by(Case.status))).all())
    assert statuses == {"delivered": 24, "accepted": 4, "not_accepted": 1, "withdrawn": 1}
    # the county's own numbers are the case numbers; due dates on the working-day calendar
    case = await s.scalar(select(Case).where(Case.case_no == "NGZW2025092900417"))
    assert case.item_name == "不动产首次登记" and case.promised_days == 10
    # 10 working days after Mon 29 Sep 2025: the National Day break (1–8 Oct) skipped,
    # Saturday 11 Oct worked (调休)
    assert case.due_date == date(2025, 10, 20) and case.due_provisional is False
    assert "2025-10-01" in [d["day"] for d in case.due_derivation["skipped"]]
    assert (case.handling_days, case.on_time) == (9, True)
    assert case.fees_cents == 8000 and case.delivery_method == "pickup"
    assert await _count(s, CaseFee) == 8
    # agent-point cases: accepted at the village, handled by 方塘乡
    agent = await s.scalar(select(Case).where(Case.case_no == "SC-DB-2025-012"))
    assert (agent.channel, agent.basis, agent.status, agent.decision) == (
        "agent", "agent", "delivered", "denied")
    assert agent.tenant_path.endswith("/341881204201")
    assert agent.handling_path == "34/3418/341881/341881204"
    not_accepted = await s.scalar(select(Case).where(Case.case_no == "NGZW2025081200376"))
    assert not_accepted.not_accepted_on == date(2025, 8, 12) and not_accepted.accepted_on is None
    # one history row per case, saying so; one audit entry for the whole import
    history = (await s.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id))).all()
    assert [(h.action, h.to_status) for h in history] == [("import", "delivered")]
    assert "imported" in history[0].note
    entries = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "case.import"))).all()
    assert len(entries) == 1 and entries[0].after["imported"] == 30
    assert entries[0].tenant_path == "34/3418/341881"
    # the applicant looks the historical case up with the number on the receipt
    row = next(r for r in _rows() if r["case_no"] == "NGZW2025092900417")
    found = await lookup.public_lookup(sessionmaker, MemoryLimiter(), current_cipher(), code="341881",
                                       case_no=row["case_no"], check=row["id_number"][-4:],
                                       source="10.0.0.1")
    assert (found.status, found.delivered_on) == ("delivered", date(2025, 10, 20))


async def test_a_second_run_adds_nothing(world, settings, monkeypatch):
    s = world
    assert (await _import(monkeypatch, settings, FIXTURE)).exit_code == 0
    again = await _import(monkeypatch, settings, FIXTURE)
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert await _count(s, Case) == 30 and await _count(s, CaseHistory) == 30
    assert await _count(s, AuditEntry, AuditEntry.action == "case.import") == 1
    plan = await importer.plan_import(s, SYSTEM, importer.read_cases(FIXTURE), "341881",
                                      cipher=current_cipher())
    assert (plan.unchanged, len(plan.new)) == (30, 0)


async def test_dry_run_writes_nothing(world, settings, monkeypatch):
    result = await _import(monkeypatch, settings, FIXTURE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "30" in result.output
    assert await _count(world, Case) == 0


async def test_personal_data_is_encrypted_at_rest(world, settings, monkeypatch, owner_engine):
    assert (await _import(monkeypatch, settings, FIXTURE)).exit_code == 0
    secrets = [r["id_number"] for r in _rows() if r["id_number"]] + [r["phone"] for r in _rows()]
    assert len(secrets) == 53  # 23 ID numbers, 30 phones
    async with owner_engine.connect() as conn:  # raw rows, past the ORM and row-level security
        for table in ("intake_cases", "intake_case_history", "intake_fees", "audit_log"):
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            dump = "\n".join(repr(tuple(r)) for r in rows)
            leaked = [v for v in secrets if v in dump or v.lower() in dump]
            assert not leaked, f"{table} holds {len(leaked)} plain values"
    row = next(r for r in _rows() if r["case_no"] == "FTC-DB-2025-007")
    case = await world.scalar(select(Case).where(Case.case_no == row["case_no"]))
    cipher = current_cipher()
    assert case.applicant_id_enc.startswith("v1.")
    assert cipher.decrypt(case.applicant_id_enc) == row["id_number"]
    assert case.applicant_id_hash == cipher.blind_index("id_number", row["id_number"])
    assert case.applicant_id_masked == mask_id_number(row["id_number"])
    assert cipher.decrypt(case.phone_enc) == row["phone"]
    assert len(case.lookup_checks) == 2
    org = await world.scalar(select(Case).where(Case.case_no == "NGZW2025021000088"))
    assert org.applicant_kind == "organisation" and org.applicant_id_enc is None
    assert org.applicant_code == next(r["credit_code"] for r in _rows()
                                      if r["case_no"] == "NGZW2025021000088")


BAD = """\
case_no,tenant,basic_code,channel,applicant_kind,applicant_name,id_number,credit_code,phone,submitted_on,accepted_on,decision,decided_on,reason,delivered_on,fees
NG-OK-001,341881,340710001000,window,person,汪建华,341881196504120355,,13905631102,2025-01-14,2025-01-14,approved,2025-01-24,,2025-01-27,80
NG-BAD-002,341881,340710001000,window,person,胡桂芳,341881197108300261,,15856320417,2025-02-26,2025-02-26,,,,,
NG-BAD-003,341881,999999999000,window,person,程国庆,341881195910010173,,13866213398,2025-03-18,,,,,,
NG-BAD-004,341802,000104002000,window,person,吴秀兰,34188119680219044X,,18856304471,2025-04-07,,,,,,
NG-BAD-005,341881,340710001000,window,person,方志勇,341881198206060517,,13705638820,2025-05-20,2025-05-10,approved,2025-05-08,,2025-06-04,
NG-BAD-006,341881,340710001000,fax,person,张红梅,341881197912240625,,15305630981,2025-06-11,,,,,,
NG-OK-001,341881,340710001000,window,person,潘建设,341881196309090736,,13956378812,2025-09-29,,,,,,
NG-BAD-008,341881,340710001000,window,person,李玉珍,341881197403150285,,12345,2099-01-01,,,,,,
NG-BAD-009,341881,340710001000,window,person,唐文斌,341802197701090393,,13805637396,2025-08-28,2025-08-28,approved,,,,120
341881-2025-000001,341881,340710001000,window,person,汪红,341881196504120355,,,2025-01-14,,,,,,
NG-BAD-011,341881204201,342003002000,window,organisation,双村合作社,,91341881MA2N00A31XY,,2025-02-02,2025-02-02,denied,2025-02-05,,,
"""


async def test_a_bad_file_reports_every_problem_and_writes_nothing(world, settings, monkeypatch,
                                                                  tmp_path):
    path = tmp_path / "bad-cases.csv"
    path.write_text(BAD, encoding="utf-8")
    result = await _import(monkeypatch, settings, path)
    assert result.exit_code == 1
    assert await _count(world, Case) == 0 and await _count(world, AuditEntry,
                                                           AuditEntry.action == "case.import") == 0
    with pytest.raises(Invalid) as e:
        await importer.plan_import(world, SYSTEM, importer.read_cases(path), "341881",
                                   cipher=current_cipher())
    found = {(p.line, p.code) for p in e.value.params["problems"]}
    expected = {
        (3, "pii.id_number_checksum"),           # bad ID number
        (4, "import.unknown_item"),              # unknown item
        (5, "import.tenant_outside"),            # 宣州区 is not below 宁国市
        (6, "import.dates_out_of_order"),        # accepted before submitted, decided before…
        (7, "import.bad_channel"),               # unknown channel
        (8, "import.duplicate_case_no"),         # line 2's number again
        (9, "import.future_date"),               # submitted in 2099
        (9, "pii.phone_invalid"),                # and a bad phone on the same row
        (10, "import.decision_without_date"),    # approved without decided_on
        (10, "case.fee_above_standard"),         # 120 元 above the 80 元 standard
        (11, "import.reserved_case_no"),         # the platform's own number form
        (12, "catalog.bad_credit_code"),         # credit code of 19 characters
        (12, "case.reason_required"),            # a denial without its reason
    }
    assert expected <= found, sorted(expected - found)
    assert not any(line == 2 for line, _ in found)  # the good row has no problem
    for line, code in expected:
        assert f"line {line}" in result.output and code in result.output
    for secret in ("341881197108300261", "15856320417"):  # messages never echo personal data
        assert secret not in result.output


async def test_a_gbk_file_is_named_with_the_fix(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(Invalid) as e:
        importer.read_cases(path)
    problem = e.value.params["problems"][0]
    assert problem.code == "import.encoding" and "iconv -f GBK -t UTF-8" in problem.zh


def test_unknown_and_missing_columns_are_refused():
    data = b"case_no,tenant,basic_code,applicant_kind,applicant_nmae,submitted_on\n"
    with pytest.raises(Invalid) as e:
        importer.read_cases(data, "typo.csv")
    codes = {p.code for p in e.value.params["problems"]}
    assert codes == {"import.unknown_columns", "import.missing_columns"}


def test_the_sample_file_is_what_the_format_says():
    text_ = FIXTURE.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text_)))
    assert header == list(importer.COLUMNS)
    rows = _rows()
    assert len(rows) == 30
    assert {r["tenant"] for r in rows} == {"341881", "341881204", "341881204200", "341881204201"}


async def test_two_runs_at_once_import_once(world, sessionmaker):
    from zhengwu.core.db import ALL_SCOPE
    from zhengwu.core.errors import Conflict

    parsed, cipher = importer.read_cases(FIXTURE), current_cipher()
    async with sessionmaker() as other:
        other.info["scope"] = ALL_SCOPE
        first = await importer.plan_import(world, SYSTEM, parsed, "341881", cipher=cipher)
        second = await importer.plan_import(other, SYSTEM, parsed, "341881", cipher=cipher)
        await other.commit()  # both checked the same empty state; the second writes later
        assert len(first.new) == len(second.new) == 30
        await importer.apply_import(world, SYSTEM, first, cipher=cipher)
        with pytest.raises(Conflict) as e:
            await importer.apply_import(other, SYSTEM, second, cipher=cipher)
        assert e.value.code == "import.conflict"
    assert await _count(world, Case) == 30
    assert await _count(world, AuditEntry, AuditEntry.action == "case.import") == 1
